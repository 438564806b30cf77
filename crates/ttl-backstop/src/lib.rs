//! The TTL backstop on every item of a request. The request item carries the table's TTL
//! attribute `expires_at` (its purge date plus `records::retention::TTL_BACKSTOP_DAYS`); every
//! other item under its partition key carries the same value (a copy) or an earlier one of its
//! own (a pending upload's day, say), so DynamoDB's TTL removes the whole request even if the
//! scheduled purge never runs. The retention marker carries none: it must outlive the request.
//!
//! The retention keeper (a stream function) drives it: [`Trigger::of`] decides from one stream
//! record alone whether anything may have to change (most changes of a request item move
//! nothing, and cost no read), and [`apply`] reads the request's TTL as stored now and makes
//! conditional updates, so a re-delivered record changes nothing.
//!
//! Layer: over `records` only.

use records::retention::{MARKER_SORT_KEY, request_ttl};
use records::store::{
    StoreError, Table, dynamo_error, get_i64, get_s, is_conditional_check_failed, n,
};

/// The request item's sort key.
const REQUEST_SORT_KEY: &str = "REQUEST";

/// What one stream record says, as far as the backstop cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// `INSERT`, `MODIFY` or `REMOVE`.
    pub event_name: &'a str,
    pub pk: &'a str,
    pub sk: &'a str,
    /// `expires_at` in the old image (none for an insert) and in the new one.
    pub old_ttl: Option<i64>,
    pub new_ttl: Option<i64>,
}

/// Work a stream record may need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger<'a> {
    /// The request item's TTL was set or moved from `old` to `new`: the items that carried
    /// `old` (or `new`) were copies and follow it; the others keep the earlier of their own
    /// and the request's.
    RequestMoved {
        request_id: &'a str,
        old: Option<i64>,
        new: i64,
    },
    /// An item of the request's partition is new, or was written without a TTL (its `own`).
    Item {
        request_id: &'a str,
        sk: &'a str,
        own: Option<i64>,
    },
}

impl<'a> Trigger<'a> {
    /// The work `record` needs, decided from the record alone (no read): none for a request
    /// item whose TTL did not move, the retention marker, a removal, or an item that kept a TTL.
    pub fn of(record: &Record<'a>) -> Option<Self> {
        let request_id = records::keys::request_id_of(record.pk)?;
        if !matches!(record.event_name, "INSERT" | "MODIFY") || record.sk == MARKER_SORT_KEY {
            return None;
        }
        if record.sk == REQUEST_SORT_KEY {
            let new = record.new_ttl?;
            return (record.old_ttl != Some(new)).then_some(Trigger::RequestMoved {
                request_id,
                old: record.old_ttl,
                new,
            });
        }
        (record.event_name == "INSERT" || record.new_ttl.is_none()).then_some(Trigger::Item {
            request_id,
            sk: record.sk,
            own: record.new_ttl,
        })
    }
}

/// The TTL an item of a request should get, if it must change: `own` is what it carries,
/// `copies` the values that were the request's (an item carrying one was copied from it),
/// `request` the request's TTL now. A copy follows the request, earlier or later; an item
/// without one gets it; an item's own TTL is lowered to the request's, never raised.
pub fn next_ttl(own: Option<i64>, copies: &[i64], request: i64) -> Option<i64> {
    match own {
        None => Some(request),
        Some(own) if own == request => None,
        Some(own) if copies.contains(&own) || own > request => Some(request),
        Some(_) => None,
    }
}

/// Does the work of `trigger`: how many items it changed. Every update is conditional on the
/// item's TTL being what was read, so a record delivered twice, or one overtaken by a later
/// change, changes nothing wrongly; a request already purged changes nothing.
pub async fn apply(table: &Table, trigger: &Trigger<'_>) -> Result<usize, StoreError> {
    let (request_id, copies, one_item) = match *trigger {
        Trigger::RequestMoved {
            request_id,
            old,
            new,
        } => (request_id, old.into_iter().chain([new]).collect(), None),
        Trigger::Item {
            request_id,
            sk,
            own,
        } => (request_id, Vec::new(), Some((sk.to_owned(), own))),
    };
    // What the request carries now, which a later record may have moved on from.
    let Some(ttl) = request_ttl(table, request_id).await? else {
        return Ok(0);
    };
    let pk = records::request::request_pk(request_id);
    let items = match one_item {
        Some(item) => vec![item],
        None => partition_ttls(table, &pk).await?,
    };
    let mut changed = 0;
    for (sk, own) in items {
        if let Some(next) = next_ttl(own, &copies, ttl) {
            changed += usize::from(set_ttl(table, &pk, &sk, own, next).await?);
        }
    }
    Ok(changed)
}

/// Every item of partition `pk` but the request and its retention marker, with its TTL.
async fn partition_ttls(table: &Table, pk: &str) -> Result<Vec<(String, Option<i64>)>, StoreError> {
    let items = table
        .partition_items(pk, None)
        .await
        .map_err(|e| dynamo_error("Query", e))?;
    Ok(items
        .iter()
        .filter_map(|item| {
            let sk = get_s(item, "sk")?;
            (sk != REQUEST_SORT_KEY && sk != MARKER_SORT_KEY)
                .then(|| (sk.to_owned(), get_i64(item, "expires_at")))
        })
        .collect())
}

/// Sets item `pk`/`sk`'s TTL to `ttl` if it still carries `was` (and still exists); whether
/// it did. A changed or deleted item is left to its own stream record.
async fn set_ttl(
    table: &Table,
    pk: &str,
    sk: &str,
    was: Option<i64>,
    ttl: i64,
) -> Result<bool, StoreError> {
    let update = table
        .update(pk, sk)
        .update_expression("SET expires_at = :ttl")
        .expression_attribute_values(":ttl", n(ttl));
    let update = match was {
        Some(was) => update
            .condition_expression("expires_at = :was")
            .expression_attribute_values(":was", n(was)),
        None => {
            update.condition_expression("attribute_exists(pk) AND attribute_not_exists(expires_at)")
        }
    };
    match update.send().await {
        Ok(_) => Ok(true),
        Err(err) if is_conditional_check_failed(&err) => Ok(false),
        Err(err) => Err(dynamo_error("UpdateItem", err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record<'a>(event: &'a str, sk: &'a str, old: Option<i64>, new: Option<i64>) -> Record<'a> {
        Record {
            event_name: event,
            pk: "REQUEST#r1",
            sk,
            old_ttl: old,
            new_ttl: new,
        }
    }

    #[test]
    fn a_request_item_whose_ttl_did_not_move_needs_nothing() {
        assert_eq!(
            Trigger::of(&record("MODIFY", "REQUEST", Some(5), Some(5))),
            None
        );
        assert_eq!(
            Trigger::of(&record("MODIFY", "REQUEST", Some(5), None)),
            None
        );
        assert_eq!(
            Trigger::of(&record("MODIFY", "REQUEST", Some(5), Some(9))),
            Some(Trigger::RequestMoved {
                request_id: "r1",
                old: Some(5),
                new: 9
            })
        );
        assert_eq!(
            Trigger::of(&record("INSERT", "REQUEST", None, Some(9))),
            Some(Trigger::RequestMoved {
                request_id: "r1",
                old: None,
                new: 9
            })
        );
    }

    #[test]
    fn items_need_work_when_new_or_left_without_a_ttl() {
        let item = |own| {
            Some(Trigger::Item {
                request_id: "r1",
                sk: "EVENT#1",
                own,
            })
        };
        assert_eq!(
            Trigger::of(&record("INSERT", "EVENT#1", None, None)),
            item(None)
        );
        assert_eq!(
            Trigger::of(&record("INSERT", "EVENT#1", None, Some(3))),
            item(Some(3))
        );
        assert_eq!(
            Trigger::of(&record("MODIFY", "EVENT#1", Some(3), None)),
            item(None)
        );
        assert_eq!(
            Trigger::of(&record("MODIFY", "EVENT#1", None, Some(3))),
            None
        );
        assert_eq!(
            Trigger::of(&record("REMOVE", "EVENT#1", Some(3), None)),
            None
        );
        assert_eq!(
            Trigger::of(&record("INSERT", MARKER_SORT_KEY, None, None)),
            None
        );
        let elsewhere = Record {
            pk: "OUTBOX#1",
            ..record("INSERT", "OUTBOX", None, None)
        };
        assert_eq!(Trigger::of(&elsewhere), None);
    }

    #[test]
    fn a_copy_follows_the_request_and_an_own_ttl_only_ever_falls() {
        // Copies of the old (or new) value follow, later or earlier.
        assert_eq!(next_ttl(Some(100), &[100, 200], 200), Some(200));
        assert_eq!(next_ttl(Some(200), &[200, 100], 100), Some(100));
        // A copy of the record's new value, overtaken by a later move: the value now.
        assert_eq!(next_ttl(Some(200), &[100, 200], 300), Some(300));
        // No TTL: the request's.
        assert_eq!(next_ttl(None, &[100], 200), Some(200));
        // Its own, shorter: kept, whichever way the request moves.
        assert_eq!(next_ttl(Some(50), &[100, 200], 200), None);
        assert_eq!(next_ttl(Some(50), &[200, 100], 100), None);
        // Its own, longer: the request's.
        assert_eq!(next_ttl(Some(500), &[100, 200], 200), Some(200));
        assert_eq!(next_ttl(Some(150), &[200, 100], 100), Some(100));
        // Already right.
        assert_eq!(next_ttl(Some(200), &[100, 200], 200), None);
    }
}
