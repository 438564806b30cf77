//! Counters that refuse a public form past a limit: one item per key and period (`sk` `RATE`),
//! updated inside the transaction of what the form does, so a refused attempt stores nothing.

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use time::OffsetDateTime;

use crate::store::{n, s};

/// A counter at `pk` that refuses to go past `limit` (the transaction is cancelled instead);
/// the item expires at `expires`.
pub fn counter(table: &str, pk: String, limit: u32, expires: OffsetDateTime) -> TransactWriteItem {
    let update = Update::builder()
        .table_name(table)
        .key("pk", s(pk))
        .key("sk", s("RATE"))
        .update_expression("ADD hits :one SET expires_at = :exp")
        .condition_expression("attribute_not_exists(hits) OR hits < :limit")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":limit", n(limit))
        .expression_attribute_values(":exp", n(expires.unix_timestamp()))
        .build()
        .expect("table, key and expression are set");
    TransactWriteItem::builder().update(update).build()
}

/// The start of `now`'s hour: the period of a per-hour counter.
pub fn hour_of(now: OffsetDateTime) -> OffsetDateTime {
    now.replace_minute(0)
        .and_then(|t| t.replace_second(0))
        .unwrap_or(now)
}
