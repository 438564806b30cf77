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

use crate::links::EmailLinks;
use crate::store::{n, s};

pub const PENDING_INDEX_KEY: &str = "OUTBOX_PENDING";
pub const KEY_PREFIX: &str = "OUTBOX#";
pub const SORT_KEY: &str = "OUTBOX";

pub fn pk(id: &str) -> String {
    format!("{KEY_PREFIX}{id}")
}

/// Where an outbox item is stored. An email about a request lives in the request's partition
/// (sk `OUTBOX#<id>`): the request's page lists its emails by key, with the state the sender
/// writes on them, and the request's purge removes them with it. Any other email (and every
/// email queued before) has its own partition (`OUTBOX#<id>`, sk `OUTBOX`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxKey {
    pub pk: String,
    pub sk: String,
}

impl OutboxKey {
    /// A new item's key: in request `about`'s partition, if the email is about one.
    fn new(about: Option<&str>) -> Self {
        let id = ulid::Ulid::new().to_string();
        match about {
            Some(request_id) => Self {
                pk: crate::keys::request_pk(request_id),
                sk: pk(&id),
            },
            None => Self {
                pk: pk(&id),
                sk: SORT_KEY.to_owned(),
            },
        }
    }

    /// The outbox item's key among a stored item's keys, if they are one.
    pub fn from_keys(pk: &str, sk: &str) -> Option<Self> {
        let own = pk.starts_with(KEY_PREFIX) && sk == SORT_KEY;
        let in_request = crate::keys::request_id_of(pk).is_some() && sk.starts_with(KEY_PREFIX);
        let key = Self {
            pk: pk.to_owned(),
            sk: sk.to_owned(),
        };
        ((own || in_request) && !key.id().is_empty()).then_some(key)
    }

    /// The item's own id (a ULID), for logs.
    pub fn id(&self) -> &str {
        let tagged = if self.sk == SORT_KEY {
            &self.pk
        } else {
            &self.sk
        };
        tagged.strip_prefix(KEY_PREFIX).unwrap_or_default()
    }

    /// The request the email is about, if it is stored with it.
    pub fn request_id(&self) -> Option<&str> {
        crate::keys::request_id_of(&self.pk)
    }
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
        links: &EmailLinks,
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
    /// The address emails are sent from (the organiser of the calendar messages).
    pub sender_address: String,
    /// The site's base URL, without a trailing slash.
    pub site_url: String,
}

/// Declares an email template's struct over its three fields (the programme, the payload and a
/// link that may be empty); the template file is the calling crate's (`askama`, which the
/// caller depends on, derives it).
///
/// It lives here, in another crate than its callers, for a build reason: askama writes each
/// template's path relative to the file holding the derive when that file is inside the
/// calling package, and rustc resolves it from the file that invoked the outer macro, which
/// for a caller in a sub-folder is another folder. Derived from another crate's macro, the
/// path is always absolute, so the fuzz workspace (`fuzz/`, whose crates sit outside its
/// root and so get absolute file names) builds as the main workspace does.
#[macro_export]
macro_rules! email_template {
    ($name:ident, $path:literal, $data:ty) => {
        #[derive(askama::Template)]
        #[template(path = $path)]
        struct $name<'a> {
            programme: &'a $crate::outbox::Programme,
            email: &'a $data,
            #[allow(dead_code)] // not every email has a link
            link: &'a str,
        }
    };
}

/// The programme the emails of tests are rendered for (this crate's tests and, with the
/// `fixtures` feature, other crates').
#[cfg(any(test, feature = "fixtures"))]
pub fn example_programme() -> Programme {
    Programme {
        name: "Northshire SEND Review".into(),
        contact_email: "send@northshire.example".into(),
        sender_address: "reviews@northshire.example".into(),
        site_url: "https://reviews.example".into(),
    }
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

/// Text escaped for HTML (an element's content or a quoted attribute).
pub fn html_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Each line an escaped HTML paragraph: the HTML part of plain emails.
pub fn html_paragraphs(lines: &[String]) -> String {
    lines
        .iter()
        .map(|line| format!("<p>{}</p>", html_text(line)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The transaction item that queues `email` for delivery to `to`; `about` is the id of the
/// request it is about, if any (the request's page then lists it).
pub fn put<E: OutboxEmail>(
    table: &str,
    about: Option<&str>,
    to: &str,
    email: &E,
    now: OffsetDateTime,
) -> TransactWriteItem {
    let key = OutboxKey::new(about);
    let created = now.format(&Rfc3339).unwrap_or_default();
    let payload = payload_json(email);
    let put = Put::builder()
        .table_name(table)
        .item("pk", s(key.pk))
        .item("sk", s(key.sk))
        .item("gsi1pk", s(PENDING_INDEX_KEY))
        .item("gsi1sk", s(created.clone()))
        .item("to", s(to))
        .item("email_kind", s(E::KIND))
        .item("email", s(payload))
        .item("state", s(state::PENDING))
        .item("attempts", n(0))
        .item("created_at", s(created))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .expect("table, item and condition are set");
    TransactWriteItem::builder().put(put).build()
}

/// One email about a request, as its page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedEmail {
    pub to: String,
    /// The subject it was sent with; before it is sent, what kind of email it is.
    pub subject: String,
    pub sent: bool,
    /// RFC 3339.
    pub queued_at: String,
    /// RFC 3339, once sent.
    pub sent_at: Option<String>,
}

/// The emails about request `request_id`, newest first (those queued before emails were
/// stored with their request are not among them).
pub async fn about_request(
    table: &crate::store::Table,
    request_id: &str,
) -> Result<Vec<QueuedEmail>, crate::store::StoreError> {
    use crate::store::get_s;
    let items = table
        .partition_items(&crate::keys::request_pk(request_id), Some(KEY_PREFIX))
        .await
        .map_err(|e| crate::store::dynamo_error("Query", e))?;
    let mut emails: Vec<QueuedEmail> = items
        .iter()
        .map(|item| {
            let text = |name| get_s(item, name).unwrap_or_default().to_owned();
            let sent = get_s(item, "state") == Some(state::SENT);
            QueuedEmail {
                to: text("to"),
                subject: get_s(item, "subject")
                    .map(str::to_owned)
                    .unwrap_or_else(|| kind_label(&text("email_kind"))),
                sent,
                queued_at: text("created_at"),
                sent_at: get_s(item, "sent_at").map(str::to_owned),
            }
        })
        .collect();
    // Read in sort-key (ULID) order; newest first by the time each was queued.
    emails.reverse();
    emails.sort_by_key(|e| std::cmp::Reverse(OffsetDateTime::parse(&e.queued_at, &Rfc3339).ok()));
    Ok(emails)
}

/// A stored `kind` as people read it: `request_confirmation` -> `Request confirmation`.
fn kind_label(kind: &str) -> String {
    let words = kind.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "An email".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_about_a_request_is_stored_with_it_and_others_on_their_own() {
        let about = OutboxKey::new(Some("01R"));
        assert_eq!(about.pk, "REQUEST#01R");
        assert!(about.sk.starts_with("OUTBOX#"));
        assert_eq!(about.request_id(), Some("01R"));
        assert_eq!(
            OutboxKey::from_keys(&about.pk, &about.sk),
            Some(about.clone())
        );
        assert_eq!(about.id(), &about.sk["OUTBOX#".len()..]);

        let own = OutboxKey::new(None);
        assert!(own.pk.starts_with("OUTBOX#"));
        assert_eq!(own.sk, "OUTBOX");
        assert_eq!(own.request_id(), None);
        assert_eq!(own.id(), &own.pk["OUTBOX#".len()..]);
        assert_eq!(OutboxKey::from_keys(&own.pk, &own.sk), Some(own));
    }

    #[test]
    fn other_items_are_not_outbox_items() {
        assert_eq!(OutboxKey::from_keys("REQUEST#01R", "REQUEST"), None);
        assert_eq!(OutboxKey::from_keys("REQUEST#01R", "EVENT#2027"), None);
        assert_eq!(OutboxKey::from_keys("OUTBOX#", "OUTBOX"), None);
        assert_eq!(OutboxKey::from_keys("REQUEST#01R", "OUTBOX#"), None);
        assert_eq!(OutboxKey::from_keys("OFFER#01O", "OUTBOX#01X"), None);
        assert_eq!(OutboxKey::from_keys("OUTBOX#01X", "OUTBOX#01X"), None);
    }

    #[test]
    fn a_kind_reads_as_words() {
        assert_eq!(kind_label("request_confirmation"), "Request confirmation");
        assert_eq!(kind_label(""), "An email");
    }
}
