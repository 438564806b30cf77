//! The outbox: an email to send is an item written in the same transaction as the state change
//! that causes it. The mail sender (stream-triggered) delivers it; see [`crate::mail`].

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::mail::Email;
use crate::store::{n, s};

pub const PENDING_INDEX_KEY: &str = "OUTBOX_PENDING";
pub const KEY_PREFIX: &str = "OUTBOX#";
pub const SORT_KEY: &str = "OUTBOX";

pub fn pk(id: &str) -> String {
    format!("{KEY_PREFIX}{id}")
}

/// The id of an outbox item from its partition key, if it is one.
pub fn id_from_pk(pk: &str) -> Option<&str> {
    pk.strip_prefix(KEY_PREFIX).filter(|id| !id.is_empty())
}

/// The states an outbox item goes through: pending -> sending (leased) -> sent.
pub mod state {
    pub const PENDING: &str = "pending";
    pub const SENDING: &str = "sending";
    pub const SENT: &str = "sent";
}

/// The transaction item that queues `email` for delivery to `to`.
pub fn put(table: &str, to: &str, email: &Email, now: OffsetDateTime) -> TransactWriteItem {
    let id = ulid::Ulid::new().to_string();
    let created = now.format(&Rfc3339).unwrap_or_default();
    let payload = serde_json::to_string(email).expect("emails serialise");
    let put = Put::builder()
        .table_name(table)
        .item("pk", s(pk(&id)))
        .item("sk", s(SORT_KEY))
        .item("gsi1pk", s(PENDING_INDEX_KEY))
        .item("gsi1sk", s(created.clone()))
        .item("to", s(to))
        .item("email", s(payload))
        .item("state", s(state::PENDING))
        .item("attempts", n(0))
        .item("created_at", s(created))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .expect("table, item and condition are set");
    TransactWriteItem::builder().put(put).build()
}
