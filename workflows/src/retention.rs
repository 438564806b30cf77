//! Retention and erasure: removing everything a request left behind.
//!
//! Every request has a purge date from the moment it is stored (`records::retention`: the
//! rules, and the marker the date is found by). The scheduled function purges every request
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
use aws_sdk_dynamodb::types::AttributeValue;
use time::Date;

use crate::evidence::{EvidenceError, EvidenceStore, request_prefix};
use records::domain::parse_date;
use records::request::request_pk;
pub use records::retention::{DUE_INDEX_KEY, purge_date, schedule_purge};
use records::store::{Item, Table, get_s, s};

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

/// Purges every request past its date; each request's outcome. A request whose own date has
/// moved on since its marker was written (it was confirmed, or changed state) is not purged:
/// its marker moves to that date.
pub async fn purge_due(
    store: &EvidenceStore,
    today: Date,
) -> Result<Vec<(String, Result<Purged, PurgeError>)>, PurgeError> {
    let mut results = Vec::new();
    for request_id in due(&store.table, today).await? {
        let request = store.table.get(request_pk(&request_id), "REQUEST").await?;
        let moved_to = request
            .as_ref()
            .and_then(|item| get_s(item, "purge_after"))
            .and_then(|date| parse_date(date).ok())
            .filter(|date| *date >= today);
        if let Some(date) = moved_to {
            let marker = records::retention::marker(&store.table.name, &request_id, date);
            store
                .table
                .transact(vec![marker])
                .await
                .map_err(dynamo("TransactWriteItems"))?;
            continue;
        }
        let result = purge(store, &request_id).await;
        results.push((request_id, result));
    }
    Ok(results)
}
