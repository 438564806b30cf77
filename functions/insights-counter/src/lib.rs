//! The insights counter: triggered by the table's stream (requests, reports, feedback answers
//! and the signposting index; the event source mapping filters to those), it adds each change
//! to the programme's counters, once (`insights::record`).
//!
//! Layer: the top, over `records`, `insights` and `stream-batch` (a Lambda adapter: it reads the event, calls
//! the crate and answers).

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use lambda_runtime::LambdaEvent;
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

pub async fn handle(table: &Table, event: LambdaEvent<Event>) -> stream_batch::Response {
    // In order: a request's stage moves must not overtake each other.
    Ok(stream_batch::in_order(&event.payload.records, |record| count(table, record)).await)
}

/// Adds one stream record's change to the counters, once.
async fn count(table: &Table, record: &EventRecord) -> Result<(), String> {
    let (Some(pk), Some(sk)) = (
        key(&record.change.keys, "pk"),
        key(&record.change.keys, "sk"),
    ) else {
        return Ok(());
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
        Ok(applied) => {
            tracing::debug!(pk = change.pk, sk = change.sk, applied, "counted");
            Ok(())
        }
        Err(error) => Err(format!("{} {} not counted: {error}", change.pk, change.sk)),
    }
}
