//! The outbox: an email to send is an item written in the same transaction as the state change
//! that causes it. The mail sender (stream-triggered, the `mail` crate) delivers it.
//!
//! Each email is a payload type of the workflow that sends it, implementing [`OutboxEmail`]:
//! its stored `kind`, and how it renders. The item stores the payload as JSON with its `kind`
//! first (`{"kind":"request_confirmation",...}`); the mail crate's registry turns it back into
//! the payload by that `kind`. Stored kinds and payload shapes never change: items already
//! queued must keep rendering.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use serde::Serialize;

use crate::links::LinkSecret;
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

/// An email a workflow sends, stored in the outbox and rendered at delivery.
pub trait OutboxEmail: Serialize {
    /// The stored `kind` of this email: never renamed (queued items name it).
    const KIND: &'static str;

    /// Subject, text and HTML, with the programme's identity and signed links.
    fn render(
        &self,
        programme: &Programme,
        links: &LinkSecret,
    ) -> Result<RenderedEmail, RenderError>;

    /// The stored final report's PDF to attach at delivery, if this email carries one.
    fn report_pdf_key(&self) -> Option<&str> {
        None
    }
}

/// Why an email could not be rendered (a template failed).
pub type RenderError = Box<dyn std::error::Error + Send + Sync>;

/// The programme's white-label identity, as emails show it.
#[derive(Debug, Clone)]
pub struct Programme {
    pub name: String,
    pub contact_email: String,
    /// The site's base URL, without a trailing slash.
    pub site_url: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// The stored JSON of `email`: its fields, with `"kind"` first (the shape serde gives an
/// internally tagged enum, which is how the items already queued were written).
pub fn payload_json<E: OutboxEmail>(email: &E) -> String {
    let fields = serde_json::to_string(email).expect("emails serialise");
    let kind = serde_json::to_string(E::KIND).expect("a kind serialises");
    match fields.strip_prefix('{') {
        Some("}") => format!("{{\"kind\":{kind}}}"),
        Some(rest) => format!("{{\"kind\":{kind},{rest}"),
        None => panic!("an email payload serialises to a JSON object"),
    }
}

/// The transaction item that queues `email` for delivery to `to`.
pub fn put<E: OutboxEmail>(
    table: &str,
    to: &str,
    email: &E,
    now: OffsetDateTime,
) -> TransactWriteItem {
    let id = ulid::Ulid::new().to_string();
    let created = now.format(&Rfc3339).unwrap_or_default();
    let payload = payload_json(email);
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
