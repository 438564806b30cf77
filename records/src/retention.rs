//! When a request's data is purged: the date rules, and the items that store the date.
//!
//! Every request has a purge date from the moment it is stored ([`PurgeRule`]):
//! - unconfirmed: [`UNCONFIRMED_DAYS`] after it was stored;
//! - confirmed, withdrawn or idle: the programme's `retention_months` after its last activity
//!   (its last change of state: each one moves the date, in the change's own update of the
//!   request item, through [`moved_by`]);
//! - its report final: `retention_months` after the finalisation (set by the report's workflow).
//!
//! The date lives on the request item (`purge_after`, authoritative), with the table's TTL
//! attribute `expires_at` [`TTL_BACKSTOP_DAYS`] later as a backstop (DynamoDB TTL deletes
//! within days). A retention marker (`REQUEST#<id>` / `RETENTION`, in the sparse index under
//! [`DUE_INDEX_KEY`]) holds the earliest date the request may be due: the scheduled purge
//! (`workflows::retention::purge_due`, the primary, which also removes S3 objects) finds it by
//! that, and, if the request's own date has moved on since, moves the marker instead of
//! purging. The marker has no TTL: it names nobody, and losing it would lose the purge.

use aws_sdk_dynamodb::types::builders::UpdateBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use time::{Date, Duration, Month};

use crate::domain::format_date;
use crate::request::request_pk;
use crate::store::{StoreError, Table, get_i64, n, s};

/// The marker items' key in the table's sparse index.
pub const DUE_INDEX_KEY: &str = "PURGE_DUE";
/// The retention marker's sort key.
pub const MARKER_SORT_KEY: &str = "RETENTION";
/// Days an unconfirmed request is kept.
pub const UNCONFIRMED_DAYS: i64 = 7;
/// Days after the purge date the TTL backstop falls.
pub const TTL_BACKSTOP_DAYS: i64 = 14;

/// Which rule dates a request's purge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurgeRule {
    /// Stored on this day and not confirmed (yet).
    Unconfirmed { stored_on: Date },
    /// Confirmed (withdrawn, idle or under way), its state last changed on this day.
    LastActivity { on: Date, retention_months: u16 },
    /// Its report was finalised on this day.
    Final { on: Date, retention_months: u16 },
}

impl PurgeRule {
    /// The day after which everything of the request is purged.
    pub fn date(self) -> Date {
        match self {
            PurgeRule::Unconfirmed { stored_on } => stored_on + Duration::days(UNCONFIRMED_DAYS),
            PurgeRule::LastActivity {
                on,
                retention_months,
            }
            | PurgeRule::Final {
                on,
                retention_months,
            } => purge_date(on, retention_months),
        }
    }
}

/// `retention_months` after `from` (the last day of a shorter month if need be).
pub fn purge_date(from: Date, retention_months: u16) -> Date {
    let months = i32::from(from.month() as u8) - 1 + i32::from(retention_months);
    let year = from.year() + months.div_euclid(12);
    let month = Month::try_from((months.rem_euclid(12) + 1) as u8).expect("1..=12");
    let mut day = from.day();
    loop {
        if let Ok(date) = Date::from_calendar_date(year, month, day) {
            return date;
        }
        day -= 1;
    }
}

/// The TTL backstop of an item purged after `purge_after`: epoch seconds, some days later.
pub fn ttl_backstop(purge_after: Date) -> i64 {
    (purge_after + Duration::days(TTL_BACKSTOP_DAYS + 1))
        .midnight()
        .assume_utc()
        .unix_timestamp()
}

/// The attributes a request item stored with purge date `date` carries (`purge_after` and its
/// TTL backstop), for a put of the whole item.
pub fn request_attributes(date: Date) -> [(String, AttributeValue); 2] {
    [
        ("purge_after".to_owned(), s(format_date(date))),
        ("expires_at".to_owned(), n(ttl_backstop(date))),
    ]
}

const SET_PURGE: &str = "purge_after = :purge_after, expires_at = :purge_ttl";

/// `update` of a request item (its update expression already set) that also moves the
/// request's purge date to `rule`'s: the one way a change of state moves it.
pub fn moved_by(update: UpdateBuilder, rule: PurgeRule) -> UpdateBuilder {
    let date = rule.date();
    let expression = update.get_update_expression().clone().unwrap_or_default();
    let expression = match expression.strip_prefix("SET ") {
        Some(rest) => format!("SET {SET_PURGE}, {rest}"),
        None => format!("SET {SET_PURGE} {expression}"),
    };
    update
        .update_expression(expression.trim_end())
        .expression_attribute_values(":purge_after", s(format_date(date)))
        .expression_attribute_values(":purge_ttl", n(ttl_backstop(date)))
}

/// The retention marker of request `request_id` due after `date` (a put: writing it again
/// moves the date).
pub fn marker(table: &str, request_id: &str, date: Date) -> TransactWriteItem {
    let day = format_date(date);
    let marker = Put::builder()
        .table_name(table)
        .item("pk", s(request_pk(request_id)))
        .item("sk", s(MARKER_SORT_KEY))
        .item("request_id", s(request_id))
        .item("purge_after", s(&day))
        .item("gsi1pk", s(DUE_INDEX_KEY))
        .item("gsi1sk", s(format!("{day}#{request_id}")))
        .build()
        .expect("table and item are set");
    TransactWriteItem::builder().put(marker).build()
}

/// The transaction items that give request `request_id` its purge date: `purge_after` (and its
/// backstop) on the request, and the marker. For the report's finalisation transaction;
/// setting it again moves the date.
pub fn schedule_purge(table: &str, request_id: &str, purge_after: Date) -> Vec<TransactWriteItem> {
    let update = Update::builder()
        .table_name(table)
        .key("pk", s(request_pk(request_id)))
        .key("sk", s("REQUEST"))
        .update_expression(format!("SET {SET_PURGE}"))
        .condition_expression("attribute_exists(pk)")
        .expression_attribute_values(":purge_after", s(format_date(purge_after)))
        .expression_attribute_values(":purge_ttl", n(ttl_backstop(purge_after)));
    vec![
        TransactWriteItem::builder()
            .update(update.build().expect("table, key and expression are set"))
            .build(),
        marker(table, request_id, purge_after),
    ]
}

/// Request `request_id`'s TTL backstop (`expires_at`) as stored now, read consistently: what
/// every other item of its partition carries (or an earlier one of its own). None: no such
/// request, or one stored before requests had one.
pub async fn request_ttl(table: &Table, request_id: &str) -> Result<Option<i64>, StoreError> {
    let request = table.get(request_pk(request_id), "REQUEST").await?;
    Ok(request
        .as_ref()
        .and_then(|item| get_i64(item, "expires_at")))
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
    fn each_way_a_request_ends_has_its_date() {
        let day = date!(2027 - 03 - 15);
        assert_eq!(
            PurgeRule::Unconfirmed { stored_on: day }.date(),
            date!(2027 - 03 - 22)
        );
        let activity = PurgeRule::LastActivity {
            on: day,
            retention_months: 12,
        };
        assert_eq!(activity.date(), date!(2028 - 03 - 15));
        let last = PurgeRule::Final {
            on: day,
            retention_months: 6,
        };
        assert_eq!(last.date(), date!(2027 - 09 - 15));
    }

    #[test]
    fn the_backstop_falls_days_after_the_purge_date() {
        let date = date!(2027 - 03 - 22);
        let backstop = time::OffsetDateTime::from_unix_timestamp(ttl_backstop(date)).unwrap();
        assert_eq!(backstop.date(), date!(2027 - 04 - 06));
        assert!(backstop.date() > date + Duration::days(TTL_BACKSTOP_DAYS));
    }

    #[test]
    fn scheduling_sets_the_date_its_backstop_and_the_index_marker() {
        let items = schedule_purge("t", "01REQ", date!(2028 - 03 - 15));
        let update = items[0].update().unwrap();
        assert_eq!(update.key()["pk"], s("REQUEST#01REQ"));
        let values = update.expression_attribute_values().unwrap();
        assert_eq!(values[":purge_after"], s("2028-03-15"));
        assert_eq!(values[":purge_ttl"], n(ttl_backstop(date!(2028 - 03 - 15))));
        let marker = items[1].put().unwrap().item();
        assert_eq!(marker["gsi1pk"], s(DUE_INDEX_KEY));
        assert_eq!(marker["gsi1sk"], s("2028-03-15#01REQ"));
        assert_eq!(marker["pk"], s("REQUEST#01REQ"));
        assert!(
            !marker.contains_key("expires_at"),
            "the marker outlives a late purge"
        );
    }

    #[test]
    fn a_change_of_state_moves_the_date_in_its_own_update() {
        let rule = PurgeRule::LastActivity {
            on: date!(2027 - 03 - 15),
            retention_months: 12,
        };
        let set = Update::builder().update_expression("SET #state = :to REMOVE open_offer");
        let moved = moved_by(set, rule);
        assert_eq!(
            moved.get_update_expression().as_deref(),
            Some(
                "SET purge_after = :purge_after, expires_at = :purge_ttl, #state = :to REMOVE open_offer"
            )
        );
        let values = moved.get_expression_attribute_values().clone().unwrap();
        assert_eq!(values[":purge_after"], s("2028-03-15"));
        assert_eq!(values[":purge_ttl"], n(ttl_backstop(date!(2028 - 03 - 15))));
        let removed = moved_by(Update::builder().update_expression("REMOVE x"), rule);
        assert_eq!(
            removed.get_update_expression().as_deref(),
            Some("SET purge_after = :purge_after, expires_at = :purge_ttl REMOVE x")
        );
    }
}
