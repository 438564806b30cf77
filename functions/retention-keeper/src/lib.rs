//! The retention keeper: triggered by the table's stream (a request item carrying a TTL, and
//! items of a request's partition that are new or were written without a TTL; the event source
//! mapping filters to those), it keeps the request's TTL backstop on every item of its
//! partition (`ttl_backstop`). Event filters cannot compare the old and new images, so most
//! records of a request item reach it with nothing moved: it tells from the record and returns
//! without a read.
//!
//! Layer: the top, over `records`, `ttl-backstop` and `stream-batch` (a Lambda adapter: it reads the event,
//! calls the crate and answers).

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use lambda_runtime::LambdaEvent;
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

pub async fn handle(table: &Table, event: LambdaEvent<Event>) -> stream_batch::Response {
    // In order: a request's TTL moves must not overtake each other.
    Ok(stream_batch::in_order(&event.payload.records, |record| keep(table, record)).await)
}

/// Keeps the backstop as one stream record needs (most need nothing, and cost no read).
async fn keep(table: &Table, stream_record: &EventRecord) -> Result<(), String> {
    let change = &stream_record.change;
    let (Some(pk), Some(sk)) = (string(&change.keys, "pk"), string(&change.keys, "sk")) else {
        return Ok(());
    };
    let record = Record {
        event_name: &stream_record.event_name,
        pk,
        sk,
        old_ttl: ttl(&change.old_image),
        new_ttl: ttl(&change.new_image),
    };
    if let Some(trigger) = Trigger::of(&record) {
        let changed = ttl_backstop::apply(table, &trigger)
            .await
            .map_err(|error| format!("{pk} {sk}: TTL backstop not kept: {error}"))?;
        tracing::info!(pk, sk, changed, "TTL backstop kept");
    }
    Ok(())
}
