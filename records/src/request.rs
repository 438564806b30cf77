//! A school's review request as stored (`REQUEST#<id>` / `REQUEST`), its timeline, and the
//! keys and helpers every workflow that reads or changes a request uses.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};
use ulid::Ulid;

use crate::domain::parse_date;
use crate::domain::request::{Reference, ReviewRequest, Text};
use crate::domain::stage::RequestState;
use crate::links::{ReviewLink, review_link_expiry, token_hash};
use crate::outbox;
use crate::outbox::OutboxEmail;
use crate::store::{StoreError, Table, Transacted, dynamo_error, get_s, s};

/// The request as stored (`REQUEST#<id>` / `REQUEST`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredRequest {
    pub id: String,
    pub reference: Reference,
    pub state: RequestState,
    pub created_at: String,
    /// `YYYY-MM-DD`: once the report is final, the day after which everything of the request
    /// is purged (`workflows::retention`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_after: Option<String>,
    pub request: ReviewRequest,
    /// Reviewers who declined or let an offer for this request expire (ULIDs).
    #[serde(default)]
    pub excluded_reviewers: Vec<String>,
    /// The offer waiting for an answer, if any. (Absent, not NULL, when none: conditions test
    /// `attribute_not_exists`.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_offer: Option<String>,
    /// When an administrator withdrew it (RFC 3339; absent on a request withdrawn before this
    /// was kept, whose timeline still says when).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn_at: Option<String>,
    /// Who leads the review and when they visit, once accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead: Option<TeamMember>,
    /// Where finding a second reviewer is (`second_state::*`), for reviews that have one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_state: Option<String>,
    /// The second reviewer's offer waiting for an answer, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_offer: Option<String>,
    /// The second reviewer, once they accept (same visit date as the lead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second: Option<TeamMember>,
    /// A new visit date one side asked for, waiting for the other side to confirm.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_change: Option<DateChange>,
    /// How many times the booked visit has moved (calendar files carry it as SEQUENCE).
    #[serde(default)]
    pub visit_sequence: u32,
    /// The calendar entry's description once the school confirmed the plan of the day (its
    /// sessions as text, `visit_day`): every later calendar message about the visit carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar_description: Option<String>,
    /// `YYYY-MM-DD`: a booked lead dropped out, and the lead's place is offered for this day
    /// only (the second reviewer, if any, keeps it). Gone once a new lead accepts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed_visit_date: Option<String>,
    /// A follow-up visit: the review it returns to (`workflows::after_report::follow_up`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up_of: Option<FollowUpOf>,
    /// The follow-up visit the school asked for once this review's report was final.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follow_up: Option<FollowUpLink>,
    /// The school agreed to signposting (`workflows::after_report::signposting`); off unless it
    /// opts in.
    #[serde(default)]
    pub signposting: bool,
    /// The status link's version: its token is signed with it, and renewing the link
    /// (`coordination::status_link`) raises it, so every older link is refused. 0 (absent on
    /// requests stored before) until the first renewal.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub status_link_version: u32,
}

fn is_zero(version: &u32) -> bool {
    *version == 0
}

impl StoredRequest {
    /// A request as it is first stored: waiting for its contact to confirm it, with nothing
    /// decided yet.
    pub fn submitted(
        id: String,
        reference: Reference,
        request: ReviewRequest,
        created_at: String,
    ) -> Self {
        StoredRequest {
            id,
            reference,
            state: RequestState::PendingConfirmation,
            created_at,
            purge_after: None,
            request,
            excluded_reviewers: Vec::new(),
            open_offer: None,
            lead: None,
            second_state: None,
            second_offer: None,
            withdrawn_at: None,
            second: None,
            date_change: None,
            visit_sequence: 0,
            calendar_description: None,
            fixed_visit_date: None,
            follow_up_of: None,
            follow_up: None,
            signposting: false,
            status_link_version: 0,
        }
    }

    /// The reviewers on the review, lead first.
    pub fn team(&self) -> impl Iterator<Item = &TeamMember> {
        self.lead.iter().chain(self.second.iter())
    }
}

/// A condition on the request item: its `visit_sequence` is still `:seen_sequence` (0:
/// absent), so two changes made from one reading cannot both send the same SEQUENCE.
pub const SEQUENCE_SEEN: &str =
    "(attribute_not_exists(visit_sequence) OR visit_sequence = :seen_sequence)";

/// A reviewer on a booked review, and the visit date.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TeamMember {
    pub reviewer_id: String,
    pub reviewer_name: String,
    /// Stored as `YYYY-MM-DD`.
    #[serde(with = "crate::domain::iso_date")]
    pub visit_date: Date,
    /// The accepted offer: the reviewer's links to the review are signed for it.
    #[serde(default)]
    pub offer_id: String,
}

/// Who asked to move the visit: the other side confirms.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    School,
    Reviewer,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DateChange {
    /// Stored as `YYYY-MM-DD`.
    #[serde(with = "crate::domain::iso_date")]
    pub proposed_date: Date,
    pub asked_by: Side,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    pub asked_at: String,
}

/// Finding the second reviewer of a review team runs beside the request's own state (which
/// stays `accepted` once the lead has a date).
pub mod second_state {
    pub const MATCHING: &str = "matching";
    pub const OFFERED: &str = "offered";
    pub const ACCEPTED: &str = "accepted";
    pub const NEEDS_ATTENTION: &str = "needs_attention";
}

/// One line of a request's timeline (`REQUEST#<id>` / `EVENT#<time>#<ulid>`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TimelineEvent {
    pub at: String,
    pub kind: String,
    /// What the school may read about it (never another school's or a declined reviewer's details).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl TimelineEvent {
    /// An event of `kind` at `at` (RFC 3339), with what the school may read about it.
    pub fn new(at: impl Into<String>, kind: impl Into<String>, detail: Option<String>) -> Self {
        Self {
            at: at.into(),
            kind: kind.into(),
            detail,
        }
    }
}

/// The transaction item that adds `event` to request `request_id`'s timeline.
pub fn timeline_put(table: &str, request_id: &str, event: &TimelineEvent) -> TransactWriteItem {
    let mut item: HashMap<String, AttributeValue> =
        serde_dynamo::to_item(event).expect("an event serialises to an item");
    item.insert("pk".into(), s(request_pk(request_id)));
    item.insert("sk".into(), s(crate::keys::event_sk(&event.at)));
    put(table, item, false)
}

pub use crate::keys::request_pk;

pub fn put(
    table: &str,
    item: HashMap<String, AttributeValue>,
    only_if_new: bool,
) -> TransactWriteItem {
    let mut put = Put::builder().table_name(table).set_item(Some(item));
    if only_if_new {
        put = put.condition_expression("attribute_not_exists(pk)");
    }
    TransactWriteItem::builder()
        .put(put.build().expect("table and item are set"))
        .build()
}

/// The item that finds request `request_id` from its status link at `version`: the token's
/// hash as its key, so no token is stored. Written once per version; the older ones stay (and
/// are refused by their version) until the request is purged.
pub fn status_link_put(
    table: &str,
    request_id: &str,
    status_token: &str,
    version: u32,
) -> TransactWriteItem {
    let mut item = HashMap::from([
        (
            "pk".to_owned(),
            s(crate::keys::status_pk(&token_hash(status_token))),
        ),
        ("sk".to_owned(), s("STATUS")),
        ("request_id".to_owned(), s(request_id)),
    ]);
    if version > 0 {
        item.insert("version".to_owned(), crate::store::n(version));
    }
    put(table, item, true)
}

/// What a status link finds.
#[derive(Debug)]
pub enum StatusLinkFound {
    /// The request, with its timeline (oldest first).
    Current(Box<StoredRequest>, Vec<TimelineEvent>),
    /// The link was renewed since this one was sent: it opens nothing now.
    Replaced,
    /// Never issued, or its request purged.
    Unknown,
}

/// The request a status link points at, if the link is its current one.
pub async fn find_by_status_token(
    table: &Table,
    token: &str,
) -> Result<StatusLinkFound, StoreError> {
    let link = table
        .client
        .get_item()
        .table_name(&table.name)
        .key("pk", s(crate::keys::status_pk(&token_hash(token))))
        .key("sk", s("STATUS"))
        .send()
        .await
        .map_err(|e| dynamo_error("GetItem", e))?
        .item;
    let Some(link) = link else {
        return Ok(StatusLinkFound::Unknown);
    };
    let Some(request_id) = get_s(&link, "request_id") else {
        return Ok(StatusLinkFound::Unknown);
    };
    let Some(request) = table
        .get(request_pk(request_id), "REQUEST")
        .await?
        .map(read_request)
        .transpose()?
    else {
        return Ok(StatusLinkFound::Unknown);
    };
    let version = crate::store::get_i64(&link, "version").unwrap_or(0);
    if version != i64::from(request.status_link_version) {
        return Ok(StatusLinkFound::Replaced);
    }
    // The request item and its timeline only: the partition also holds evidence, access-log
    // and document items, which may run to many pages.
    let events = table
        .partition_items(&request_pk(request_id), Some(crate::keys::EVENT_PREFIX))
        .await
        .map_err(|e| dynamo_error("Query", e))?
        .into_iter()
        .filter_map(|item| serde_dynamo::from_item(item).ok())
        .collect();
    Ok(StatusLinkFound::Current(Box::new(request), events))
}

/// The status link version of request `request_id` now (0 if it is gone): what its emails'
/// status links are signed at when they are delivered.
pub async fn status_link_version(table: &Table, request_id: &str) -> Result<u32, StoreError> {
    let item = table.get(request_pk(request_id), "REQUEST").await?;
    Ok(item
        .and_then(|item| crate::store::get_i64(&item, "status_link_version"))
        .and_then(|version| u32::try_from(version).ok())
        .unwrap_or(0))
}

/// A request item as read from the table: an unreadable one (an unknown state, a malformed
/// date) is a [`StoreError::Corrupt`] naming it.
pub fn read_request(item: crate::store::Item) -> Result<StoredRequest, StoreError> {
    let key = item
        .get("pk")
        .and_then(|pk| pk.as_s().ok())
        .cloned()
        .unwrap_or_else(|| "REQUEST#?".into());
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt {
        key: format!("{key}/REQUEST"),
        reason: e.to_string(),
    })
}

/// On a follow-up request: the review it returns to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpOf {
    pub request_id: String,
    pub reference: String,
    /// The original lead reviewer (a ULID): matching tries them first.
    pub lead_reviewer_id: String,
    /// Their visit day, `YYYY-MM-DD`: that visit is no "reviewed recently" conflict for them.
    pub lead_visit_date: String,
    /// The final report's recommendations, in order: the follow-up's report reviews progress
    /// on each.
    pub recommendations: Vec<Recommendation>,
}

impl FollowUpOf {
    /// The original review, as matching takes it.
    pub fn review(&self) -> Option<OriginalReview> {
        Some(OriginalReview {
            lead: self.lead_reviewer_id.parse().ok()?,
            visit_date: parse_date(&self.lead_visit_date).ok()?,
        })
    }
}

/// On the original request: its follow-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpLink {
    pub request_id: String,
    pub reference: String,
    pub asked_at: String,
}

/// A recommendation of a final report (a follow-up visit's report reviews progress on each).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recommendation {
    pub action: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_steps: Option<Text>,
}

/// The review a follow-up visit returns to: who led it, and the day they visited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OriginalReview {
    pub lead: Ulid,
    pub visit_date: Date,
}

/// Sets `flag` on the stored request to `at`, if it is not set yet (and, with `state`, while the
/// request is in it): the guard that makes a reminder or a sweep's step happen once.
pub fn flag_once(
    table: &Table,
    request_id: &str,
    flag: &str,
    at: &str,
    state: Option<RequestState>,
) -> TransactWriteItem {
    let mut condition = "attribute_exists(pk) AND attribute_not_exists(#flag)".to_owned();
    let mut update = Update::builder()
        .table_name(&table.name)
        .key("pk", s(request_pk(request_id)))
        .key("sk", s("REQUEST"))
        .update_expression("SET #flag = :at")
        .expression_attribute_names("#flag", flag)
        .expression_attribute_values(":at", s(at));
    if let Some(state) = state {
        condition.push_str(" AND #state = :state");
        update = update
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":state", s(state.as_str()));
    }
    let update = update
        .condition_expression(condition)
        .build()
        .expect("complete update");
    TransactWriteItem::builder().update(update).build()
}

/// Sets `flag` on the request (if not set, and the request still `accepted`) and queues `email`
/// in one transaction, with `also` (conditions that must still hold); whether it was sent.
pub async fn remind_once<E: OutboxEmail>(
    table: &Table,
    request_id: &str,
    flag: &str,
    also: Option<TransactWriteItem>,
    address: &str,
    email: &E,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let at = now.format(&Rfc3339).unwrap_or_default();
    let mut items = vec![
        flag_once(table, request_id, flag, &at, Some(RequestState::Accepted)),
        outbox::put(&table.name, Some(request_id), address, email, now),
    ];
    items.extend(also);
    match table.transact(items).await {
        Ok(Transacted::Committed) => Ok(true),
        // Another run reminded first, or the report moved on meanwhile.
        Ok(Transacted::Cancelled(_)) => Ok(false),
        Err(err) => Err(dynamo_error("TransactWriteItems", err)),
    }
}

/// The review link of a team member (signed for their accepted offer).
pub fn review_link_for(member: &TeamMember) -> ReviewLink {
    ReviewLink {
        offer_id: member.offer_id.clone(),
        expires_at: review_link_expiry(member.visit_date),
    }
}
