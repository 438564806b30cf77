//! The retention keeper: triggered by the table's stream (a request item carrying a TTL, and
//! items of a request's partition that are new or were written without a TTL; the event source
//! mapping filters to those), it keeps the request's TTL backstop on every item of its
//! partition (`ttl_backstop`). Event filters cannot compare the old and new images, so most
//! records of a request item reach it with nothing moved: it tells from the record and returns
//! without a read.
//!
//! Layer: the top, over `records` and `ttl-backstop` (a Lambda adapter: it reads the event,
//! calls the crate and answers).

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::{Error, LambdaEvent};
use records::store::Table;
use serde_dynamo::{AttributeValue, Item};
use ttl_backstop::{Record, Trigger};

fn string<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name)? {
        AttributeValue::S(value) => Some(value),
        _ => None,
    }
}

fn ttl(item: &Item) -> Option<i64> {
    match item.get("expires_at")? {
        AttributeValue::N(value) => value.parse().ok(),
        _ => None,
    }
}

pub async fn handle(
    table: &Table,
    event: LambdaEvent<Event>,
) -> Result<DynamoDbEventResponse, Error> {
    let mut response = DynamoDbEventResponse::default();
    // In order: a request's TTL moves must not overtake each other.
    for stream_record in &event.payload.records {
        let change = &stream_record.change;
        let (Some(pk), Some(sk)) = (string(&change.keys, "pk"), string(&change.keys, "sk")) else {
            continue;
        };
        let record = Record {
            event_name: &stream_record.event_name,
            pk,
            sk,
            old_ttl: ttl(&change.old_image),
            new_ttl: ttl(&change.new_image),
        };
        let Some(trigger) = Trigger::of(&record) else {
            continue;
        };
        match ttl_backstop::apply(table, &trigger).await {
            Ok(changed) => tracing::info!(pk, sk, changed, "TTL backstop kept"),
            Err(error) => {
                tracing::error!(pk, sk, %error, "TTL backstop not kept; the record will be retried");
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = change.sequence_number.clone();
                response.batch_item_failures.push(failure);
                // Later records wait for this one, as the event source mapping retries from here.
                break;
            }
        }
    }
    Ok(response)
}
