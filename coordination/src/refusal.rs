//! What an action answers when it stores nothing, and what a page saw of the request (its
//! forms send it back, so an action on a request that moved on since is refused).

use std::fmt;

use records::lifecycle::{Action, Person, RequestState, allowed_on};
use records::request::StoredRequest;
use time::Date;

use crate::{Coordination, CoordinationError};

/// What the page saw of the request: a form sends it back, and an action refuses (storing
/// nothing) when the request has moved on since.
pub fn seen(stored: &StoredRequest) -> String {
    let member = |m: Option<&records::request::TeamMember>| {
        m.map(|m| format!("{}@{}", m.reviewer_id, m.visit_date))
            .unwrap_or_default()
    };
    format!(
        "{}.{}.{}.{}.{}.{}.{}",
        stored.state.as_str(),
        stored.open_offer.as_deref().unwrap_or_default(),
        stored.second_state.as_deref().unwrap_or_default(),
        stored.second_offer.as_deref().unwrap_or_default(),
        member(stored.lead.as_ref()),
        member(stored.second.as_ref()),
        stored.visit_sequence,
    )
}

impl Coordination {
    /// Request `id` as the coordinator's page showed it, or the refusal that comes before any
    /// rule: no such request, or it changed since the page was read.
    pub(crate) async fn as_seen(
        &self,
        id: &str,
        seen_on_page: &str,
    ) -> Result<Result<StoredRequest, Refused>, CoordinationError> {
        let Some(stored) = self.workflow.request(id).await? else {
            return Ok(Err(Refused::NoSuchRequest));
        };
        if seen(&stored) != seen_on_page {
            return Ok(Err(Refused::Stale));
        }
        Ok(Ok(stored))
    }
}

/// Why an action stored nothing, in words a coordinator can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    NoSuchRequest,
    /// The request changed since the page was drawn (or while the action ran).
    Stale,
    WrongStage(RequestState),
    /// The lifecycle's rule refuses the action at the request's stage.
    Lifecycle(records::lifecycle::Refusal),
    NoSuchReviewer,
    /// The reviewer breaks these hard rules now.
    RulesFailed(Vec<String>),
    AlreadyOffered,
    /// The workflow's own refusal.
    Workflow(String),
    /// A form field's error: (field name, message).
    Field(&'static str, String),
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refused::NoSuchRequest => f.write_str("There is no such request."),
            Refused::Stale => f.write_str(
                "The request changed since this page was loaded, so nothing was changed. Look at it again and choose again.",
            ),
            Refused::WrongStage(state) => write!(f, "This cannot be done while the request is {state}."),
            Refused::Lifecycle(refusal) => refusal.fmt(f),
            Refused::NoSuchReviewer => f.write_str("Choose an active reviewer from the list."),
            Refused::RulesFailed(reasons) => write!(
                f,
                "This reviewer cannot be offered the review: they {}.",
                reasons.join("; ")
            ),
            Refused::AlreadyOffered => {
                f.write_str("This reviewer already has the offer waiting for their answer.")
            }
            Refused::Workflow(reason) => {
                let mut chars = reason.chars();
                match chars.next() {
                    Some(first) => write!(f, "{}{}.", first.to_uppercase(), chars.as_str()),
                    None => Ok(()),
                }
            }
            Refused::Field(_, message) => f.write_str(message),
        }
    }
}

/// The lifecycle's rule for the administrator's `action` on `stored` on `today`. (None of
/// their actions depends on the report beyond the visit day.)
pub(crate) fn administrator_may(
    stored: &StoredRequest,
    action: Action,
    today: Date,
) -> Result<(), Refused> {
    allowed_on(stored, None, Person::Administrator, action, today).map_err(Refused::Lifecycle)
}
