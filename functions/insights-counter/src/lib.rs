//! The insights counter: triggered by the table's stream (requests, reports, feedback answers
//! and the signposting index; the event source mapping filters to those), it adds each change
//! to the programme's counters, once (`insights::record`).
//!
//! Layer: the top, over `records` and `insights` (a Lambda adapter: it reads the event, calls
//! the crate and answers).

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::{Error, LambdaEvent};
use records::store::Table;
use serde_dynamo::{AttributeValue, Item};
use time::OffsetDateTime;

fn key(keys: &Item, name: &str) -> Option<String> {
    match keys.get(name)? {
        AttributeValue::S(value) => Some(value.clone()),
        _ => None,
    }
}

/// An image the record carries (an empty one is none: an insert has no old image).
fn image(item: &Item) -> Option<Item> {
    (!item.is_empty()).then(|| item.clone())
}

pub async fn handle(
    table: &Table,
    event: LambdaEvent<Event>,
) -> Result<DynamoDbEventResponse, Error> {
    let mut response = DynamoDbEventResponse::default();
    // In order: a request's stage moves must not overtake each other.
    for record in &event.payload.records {
        let (Some(pk), Some(sk)) = (
            key(&record.change.keys, "pk"),
            key(&record.change.keys, "sk"),
        ) else {
            continue;
        };
        let change = insights::Change {
            event_id: record.event_id.clone(),
            pk,
            sk,
            old: image(&record.change.old_image),
            new: image(&record.change.new_image),
            at: OffsetDateTime::from_unix_timestamp(
                record.change.approximate_creation_date_time.timestamp(),
            )
            .unwrap_or_else(|_| OffsetDateTime::now_utc()),
        };
        match insights::record(table, &change).await {
            Ok(applied) => tracing::debug!(pk = change.pk, sk = change.sk, applied, "counted"),
            Err(error) => {
                tracing::error!(pk = change.pk, sk = change.sk, %error, "not counted; the record will be retried");
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = record.change.sequence_number.clone();
                response.batch_item_failures.push(failure);
                // Later records wait for this one, as the event source mapping retries from here.
                break;
            }
        }
    }
    Ok(response)
}
