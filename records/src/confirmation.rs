//! A request's contact confirms it, and a coordinator releases a held one: the two steps
//! between a request being stored and matching. Each is one transaction whose request update
//! is guarded by the lifecycle's rule ([`Action::Confirm`], [`Action::Release`]), so a repeat
//! or a race stores nothing.
//!
//! Confirming moves `pending_confirmation` to `submitted` (the matcher's stream filter sees
//! it) or, when the programme holds every confirmed request, to `held`; it counts against the
//! school's daily limit (confirmed requests only: a stranger filing in a school's name cannot
//! use up its day). Releasing moves `held` to `submitted`. Both move the purge date to the
//! programme's retention after this activity.

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::audit::AuditEntry;
use crate::lifecycle::{Action, Guard, Person, Refusal, RequestState, Why, allowed_on};
use crate::rate_limit::counter;
use crate::request::{StoredRequest, TimelineEvent, request_pk, timeline_put};
use crate::retention::{self, PurgeRule};
use crate::store::{StoreError, Table, Transacted, dynamo_error, s};

/// What confirming did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmed {
    /// The request is matched now.
    Matching,
    /// The request waits for a coordinator to release it.
    Held,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    /// Not (or no longer) unconfirmed: already confirmed, withdrawn...
    #[error("{0}")]
    Refused(Refusal),
    /// Past the days an unconfirmed request is kept.
    #[error("this confirmation link has expired")]
    Expired,
    /// The school has had its day's confirmed requests.
    #[error("too many confirmed requests for this school today")]
    TooManyForSchool,
    #[error(transparent)]
    Store(#[from] StoreError),
}

// The per-school counter's position in the confirming transaction.
const AT_SCHOOL_LIMIT: usize = 2;

/// The last moment request `stored` may be confirmed: [`retention::UNCONFIRMED_DAYS`] after it
/// was stored (then it is purged).
pub fn confirm_by(stored: &StoredRequest) -> Option<OffsetDateTime> {
    let created = OffsetDateTime::parse(&stored.created_at, &Rfc3339).ok()?;
    Some(created + Duration::days(retention::UNCONFIRMED_DAYS))
}

/// The school's contact confirms `stored` at `now`: held when `hold`, else matched; counted
/// against `per_school_per_day`; purged `retention_months` after today unless something else
/// happens.
pub async fn confirm(
    table: &Table,
    stored: &StoredRequest,
    hold: bool,
    per_school_per_day: u32,
    retention_months: u16,
    now: OffsetDateTime,
) -> Result<Confirmed, ConfirmError> {
    allowed_on(stored, None, Person::School, Action::Confirm, now.date())
        .map_err(ConfirmError::Refused)?;
    if confirm_by(stored).is_none_or(|by| now > by) {
        return Err(ConfirmError::Expired);
    }
    let (to, outcome, detail) = if hold {
        (
            RequestState::Held,
            Confirmed::Held,
            "You confirmed the request. A coordinator checks it before we look for a reviewer.",
        )
    } else {
        (
            RequestState::Submitted,
            Confirmed::Matching,
            "You confirmed the request. We are looking for a reviewer.",
        )
    };
    let day = now.date();
    let items = vec![
        move_state(
            &table.name,
            stored,
            Action::Confirm,
            to,
            "confirmed_at",
            retention_months,
            now,
        ),
        timeline_put(
            &table.name,
            &stored.id,
            &TimelineEvent::new(at(now), "confirmed", Some(detail.to_owned())),
        ),
        counter(
            &table.name,
            format!("RATE#school#{}#{day}", stored.request.school.urn),
            per_school_per_day,
            now + Duration::days(2),
        ),
    ];
    match table.transact(items).await {
        Ok(Transacted::Committed) => Ok(outcome),
        Ok(cancelled) if cancelled.failed_at(AT_SCHOOL_LIMIT) => {
            Err(ConfirmError::TooManyForSchool)
        }
        // Confirmed (or withdrawn) meanwhile: the rule says which.
        Ok(_) => Err(ConfirmError::Refused(Refusal {
            action: Action::Confirm,
            why: Why::NotNow(RequestState::Submitted),
        })),
        Err(error) => Err(dynamo_error("TransactWriteItems", error).into()),
    }
}

/// A coordinator releases held request `stored` for matching at `now`, with `audit` (its audit
/// entry) in the same transaction. `Ok(false)`: it was no longer held.
pub async fn release(
    table: &Table,
    stored: &StoredRequest,
    audit: &AuditEntry,
    retention_months: u16,
) -> Result<bool, StoreError> {
    let now = audit.at;
    let items = vec![
        move_state(
            &table.name,
            stored,
            Action::Release,
            RequestState::Submitted,
            "released_at",
            retention_months,
            now,
        ),
        timeline_put(
            &table.name,
            &stored.id,
            &TimelineEvent::new(
                at(now),
                "released",
                Some("A coordinator checked the request. We are looking for a reviewer.".into()),
            ),
        ),
        audit.transact_put(table)?,
    ];
    match table.transact(items).await {
        Ok(Transacted::Committed) => Ok(true),
        Ok(Transacted::Cancelled(_)) => Ok(false),
        Err(error) => Err(dynamo_error("TransactWriteItems", error)),
    }
}

fn at(now: OffsetDateTime) -> String {
    now.format(&Rfc3339).unwrap_or_default()
}

/// The request's move to `to` under `action`'s guard, stamping `stamp` and its purge date.
fn move_state(
    table: &str,
    stored: &StoredRequest,
    action: Action,
    to: RequestState,
    stamp: &str,
    retention_months: u16,
    now: OffsetDateTime,
) -> TransactWriteItem {
    let update = Update::builder()
        .table_name(table)
        .key("pk", s(request_pk(&stored.id)))
        .key("sk", s("REQUEST"))
        .update_expression("SET #lc_state = :to, gsi1pk = :index, #stamp = :at")
        .expression_attribute_names("#stamp", stamp)
        .expression_attribute_values(":to", s(to.as_str()))
        .expression_attribute_values(":index", s(crate::keys::state_index_key(to.as_str())))
        .expression_attribute_values(":at", s(at(now)));
    let activity = PurgeRule::LastActivity {
        on: now.date(),
        retention_months,
    };
    let update = Guard::new(action, now.date())
        .on_update(
            retention::moved_by(update, activity),
            Some("attribute_exists(pk)"),
        )
        .build()
        .expect("table, key and expression are set");
    TransactWriteItem::builder().update(update).build()
}
