//! Retention and erasure: removing everything a request left behind.
//!
//! A request's report being final sets its `purge_after` date (the programme's
//! `retention_months` later, [`purge_date`]) with [`schedule_purge`], whose items go in the
//! same transaction as the report's finalisation. The scheduled function purges every request
//! past its date ([`purge_due`]); the admin tool purges one early on the school's request
//! (`send-review-admin requests purge REF`, the right to erasure).
//!
//! A purge removes, in this order:
//! 1. every object version and delete marker under `requests/<id>/` in the evidence bucket;
//! 2. every item under `REQUEST#<id>` (the request, timeline, evidence, access log,
//!    self-evaluation, notes, the retention marker...);
//! 3. every other item that names the request (`request_id = <id>`): its reference, status
//!    link hash, idempotency records and offers; and every outbox email about it.
//!
//! Kept: the reviewers' own review history (`REVIEWER#<id>` / `REVIEW#<date>#<request>`: the
//! school's URN and the visit date, which the "not a school they reviewed recently" rule needs)
//! and their term counters; rate-limit counters (hashed, and gone within two days by TTL).
//! Every step is idempotent, so a purge that fails half way is simply run again.
//!
//! | item | pk | sk | gsi1 |
//! |---|---|---|---|
//! | retention marker | `REQUEST#<id>` | `RETENTION` | `PURGE_DUE` / `<purge_after>#<id>` |

use std::collections::HashMap;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use time::{Date, Month};

use crate::evidence::{EvidenceError, EvidenceStore, request_prefix};
use records::domain::{format_date, parse_date};
use records::request::request_pk;
use records::store::{Item, Table, get_s, s};

pub const DUE_INDEX_KEY: &str = "PURGE_DUE";
const MARKER_SORT_KEY: &str = "RETENTION";

/// `retention_months` after `final_on` (the last day of a shorter month if need be).
pub fn purge_date(final_on: Date, retention_months: u16) -> Date {
    let months = i32::from(final_on.month() as u8) - 1 + i32::from(retention_months);
    let year = final_on.year() + months.div_euclid(12);
    let month = Month::try_from((months.rem_euclid(12) + 1) as u8).expect("1..=12");
    let mut day = final_on.day();
    loop {
        if let Ok(date) = Date::from_calendar_date(year, month, day) {
            return date;
        }
        day -= 1;
    }
}

/// The transaction items that give request `request_id` its purge date: `purge_after` on the
/// request, and the marker the scheduled purge finds it by. For the report's finalisation
/// transaction; setting it again moves the date.
pub fn schedule_purge(table: &str, request_id: &str, purge_after: Date) -> Vec<TransactWriteItem> {
    let date = format_date(purge_after);
    let update = Update::builder()
        .table_name(table)
        .key("pk", s(request_pk(request_id)))
        .key("sk", s("REQUEST"))
        .update_expression("SET purge_after = :date")
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_values(":date", s(&date))
        .build()
        .expect("table, key and expression are set");
    let marker = Put::builder()
        .table_name(table)
        .item("pk", s(request_pk(request_id)))
        .item("sk", s(MARKER_SORT_KEY))
        .item("request_id", s(request_id))
        .item("purge_after", s(&date))
        .item("gsi1pk", s(DUE_INDEX_KEY))
        .item("gsi1sk", s(format!("{date}#{request_id}")))
        .build()
        .expect("table and item are set");
    vec![
        TransactWriteItem::builder().update(update).build(),
        TransactWriteItem::builder().put(marker).build(),
    ]
}

#[derive(Debug, thiserror::Error)]
pub enum PurgeError {
    #[error(transparent)]
    Store(#[from] records::store::StoreError),
    #[error(transparent)]
    Evidence(#[from] EvidenceError),
}

fn dynamo<E>(operation: &'static str) -> impl FnOnce(E) -> PurgeError
where
    E: ProvideErrorMetadata + std::error::Error,
{
    move |e| PurgeError::Store(records::store::dynamo_error(operation, e))
}

/// What a purge removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Purged {
    /// `(key, version id)` of every object version and delete marker.
    pub objects: Vec<(String, String)>,
    /// `(pk, sk)` of every item.
    pub items: Vec<(String, String)>,
}

/// Removes every object and item of request `request_id` (see the module's list); idempotent.
pub async fn purge(store: &EvidenceStore, request_id: &str) -> Result<Purged, PurgeError> {
    let table = &store.table;
    let objects = store
        .delete_all_versions(&request_prefix(request_id))
        .await?;
    let own = table
        .partition_items(&request_pk(request_id), None)
        .await
        .map_err(|e| dynamo("Query")(e.into_service_error()))?;
    let reference = own
        .iter()
        .find(|item| get_s(item, "sk") == Some("REQUEST"))
        .and_then(|item| get_s(item, "reference"))
        .map(str::to_owned);
    let mut keys: Vec<(String, String)> = own.iter().filter_map(key_of).collect();
    for item in scan_related(table, request_id, reference.as_deref()).await? {
        if let Some(key) = key_of(&item)
            && !keys.contains(&key)
        {
            keys.push(key);
        }
    }
    for (pk, sk) in &keys {
        table.delete(pk, sk).await?;
    }
    Ok(Purged {
        objects,
        items: keys,
    })
}

fn key_of(item: &Item) -> Option<(String, String)> {
    Some((get_s(item, "pk")?.to_owned(), get_s(item, "sk")?.to_owned()))
}

/// Items elsewhere in the table that belong to the request: they name it in `request_id`
/// (reference, status link, idempotency records, offers), or are emails about it. Reviewers'
/// own items (their review history) are kept. A scan: purges are rare, the table small.
async fn scan_related(
    table: &Table,
    request_id: &str,
    reference: Option<&str>,
) -> Result<Vec<Item>, PurgeError> {
    let mut filter = "(request_id = :id AND NOT begins_with(pk, :reviewer)) OR \
                      (begins_with(pk, :outbox) AND contains(email, :quoted_id))"
        .to_owned();
    let mut values: HashMap<String, AttributeValue> = HashMap::from([
        (":id".to_owned(), s(request_id)),
        (":reviewer".to_owned(), s("REVIEWER#")),
        (":outbox".to_owned(), s(records::outbox::KEY_PREFIX)),
        (":quoted_id".to_owned(), s(format!("\"{request_id}\""))),
    ]);
    if let Some(reference) = reference {
        filter.push_str(" OR (begins_with(pk, :outbox) AND contains(email, :reference))");
        values.insert(":reference".to_owned(), s(format!("\"{reference}\"")));
    }
    Ok(table.scan_items(&filter, values, Some("pk, sk")).await?)
}

/// The requests whose purge date is before `today`.
pub async fn due(table: &Table, today: Date) -> Result<Vec<String>, PurgeError> {
    let markers = table
        .index_items(DUE_INDEX_KEY, None)
        .await
        .map_err(|e| dynamo("Query")(e.into_service_error()))?;
    Ok(markers
        .iter()
        .filter(|m| {
            get_s(m, "purge_after")
                .and_then(|d| parse_date(d).ok())
                .is_some_and(|date| date < today)
        })
        .filter_map(|m| get_s(m, "request_id").map(str::to_owned))
        .collect())
}

/// Purges every request past its date; each request's outcome.
pub async fn purge_due(
    store: &EvidenceStore,
    today: Date,
) -> Result<Vec<(String, Result<Purged, PurgeError>)>, PurgeError> {
    let mut results = Vec::new();
    for request_id in due(&store.table, today).await? {
        let result = purge(store, &request_id).await;
        results.push((request_id, result));
    }
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_purge_date_is_whole_months_later_clamped_to_the_month() {
        assert_eq!(purge_date(date!(2027 - 03 - 15), 12), date!(2028 - 03 - 15));
        assert_eq!(purge_date(date!(2027 - 11 - 30), 3), date!(2028 - 02 - 29));
        assert_eq!(purge_date(date!(2027 - 01 - 31), 1), date!(2027 - 02 - 28));
        assert_eq!(purge_date(date!(2027 - 12 - 01), 0), date!(2027 - 12 - 01));
        assert_eq!(purge_date(date!(2027 - 06 - 10), 72), date!(2033 - 06 - 10));
    }

    #[test]
    fn scheduling_sets_the_date_and_the_index_marker() {
        let items = schedule_purge("t", "01REQ", date!(2028 - 03 - 15));
        let update = items[0].update().unwrap();
        assert_eq!(update.key()["pk"], s("REQUEST#01REQ"));
        assert_eq!(
            update.expression_attribute_values().unwrap()[":date"],
            s("2028-03-15")
        );
        let marker = items[1].put().unwrap().item();
        assert_eq!(marker["gsi1pk"], s(DUE_INDEX_KEY));
        assert_eq!(marker["gsi1sk"], s("2028-03-15#01REQ"));
        assert_eq!(marker["pk"], s("REQUEST#01REQ"));
    }
}
