//! Offering a request to a reviewer the coordinator names. Each active reviewer is judged by the
//! matcher's own code ([`workflows::offers::MatchInputs::rank`]), so the console and the matcher
//! never disagree: a reviewer the matcher rules out cannot be offered the review, and the only
//! way round a rule is to change the settings or the reviewer's record.

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use records::audit::{Actor, AuditSubject};
use records::lifecycle::{Action, Guard};
use records::request::{StoredRequest, second_state};
use records::store::{Transacted, dynamo_error, s};
use time::OffsetDateTime;
use workflows::matching::{Candidate, MatchOutcome, Role, RuleOut};
use workflows::offers::offer_state;

use crate::refusal::{Refused, administrator_may};
use crate::{Coordination, CoordinationError};

/// A hard rule of the matcher, as the coordinator reads it (some group several [`RuleOut`]s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HardRule {
    ConflictOfInterest,
    LocalAuthority,
    RecentReview,
    Dbs,
    Training,
    Capacity,
    Availability,
    Region,
    MayLead,
    NotAlreadyAsked,
}

impl HardRule {
    pub const ALL: [HardRule; 10] = [
        HardRule::ConflictOfInterest,
        HardRule::LocalAuthority,
        HardRule::RecentReview,
        HardRule::Dbs,
        HardRule::Training,
        HardRule::Capacity,
        HardRule::Availability,
        HardRule::Region,
        HardRule::MayLead,
        HardRule::NotAlreadyAsked,
    ];

    pub fn label(self) -> &'static str {
        match self {
            HardRule::ConflictOfInterest => "Conflict of interest",
            HardRule::LocalAuthority => "Local authority rule",
            HardRule::RecentReview => "Recent review",
            HardRule::Dbs => "Enhanced DBS check",
            HardRule::Training => "Training",
            HardRule::Capacity => "Capacity",
            HardRule::Availability => "Availability",
            HardRule::Region => "Travels to the region",
            HardRule::MayLead => "May lead",
            HardRule::NotAlreadyAsked => "Not declined or already on it",
        }
    }

    /// The rule a matcher's reason belongs to (`Inactive` belongs to none: inactive reviewers
    /// are not listed).
    fn of(reason: RuleOut) -> Option<HardRule> {
        Some(match reason {
            RuleOut::OwnSchool | RuleOut::SameTrust | RuleOut::DeclaredConflict => {
                HardRule::ConflictOfInterest
            }
            RuleOut::SameLocalAuthority => HardRule::LocalAuthority,
            RuleOut::ReviewedRecently { .. } => HardRule::RecentReview,
            RuleOut::NoDbsCheck | RuleOut::DbsOutOfDate => HardRule::Dbs,
            RuleOut::NotTrained => HardRule::Training,
            RuleOut::AtCapacity => HardRule::Capacity,
            RuleOut::UnavailableInEveryWindow => HardRule::Availability,
            RuleOut::DoesNotTravelToRegion => HardRule::Region,
            RuleOut::MayNotLead => HardRule::MayLead,
            RuleOut::DeclinedOrExpired => HardRule::NotAlreadyAsked,
            RuleOut::Inactive => return None,
        })
    }
}

/// One hard rule for one reviewer: passed, or failed with the matcher's reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleCheck {
    pub rule: HardRule,
    /// Empty when the rule passes.
    pub failures: Vec<String>,
}

/// One active reviewer against the request's lead place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub reviewer_id: String,
    pub name: String,
    pub checks: Vec<RuleCheck>,
    /// The matcher's score, when every hard rule passes.
    pub score: Option<i32>,
}

impl Verdict {
    pub fn eligible(&self) -> bool {
        self.score.is_some()
    }
}

/// The eligible candidate `reviewer_id` of `outcome` (never `except`, a reviewer being
/// replaced), or why they cannot be offered the review: unknown, or the rules they fail.
pub(crate) fn chosen<'o, 'p>(
    outcome: &'o MatchOutcome<'p>,
    reviewer_id: &str,
    except: Option<&str>,
) -> Result<&'o Candidate<'p>, Refused> {
    let Some(verdict) = verdicts(outcome)
        .into_iter()
        .find(|v| v.reviewer_id == reviewer_id && Some(v.reviewer_id.as_str()) != except)
    else {
        return Err(Refused::NoSuchReviewer);
    };
    outcome
        .ranked
        .iter()
        .find(|c| c.reviewer.id.to_string() == reviewer_id)
        .ok_or_else(|| {
            Refused::RulesFailed(
                verdict
                    .checks
                    .iter()
                    .flat_map(|c| c.failures.iter().cloned())
                    .collect(),
            )
        })
}

/// Every active reviewer's verdict: the eligible best first (the matcher's order), then the
/// others by name.
pub fn verdicts(outcome: &MatchOutcome<'_>) -> Vec<Verdict> {
    let mut out: Vec<Verdict> = outcome
        .ranked
        .iter()
        .map(|candidate| Verdict {
            reviewer_id: candidate.reviewer.id.to_string(),
            name: candidate.reviewer.name.clone(),
            checks: checks(&[]),
            score: Some(candidate.score.total()),
        })
        .collect();
    let mut others: Vec<Verdict> = outcome
        .ruled_out
        .iter()
        .filter(|(reviewer, _)| reviewer.active)
        .map(|(reviewer, reasons)| Verdict {
            reviewer_id: reviewer.id.to_string(),
            name: reviewer.name.clone(),
            checks: checks(reasons),
            score: None,
        })
        .collect();
    others.sort_by(|a, b| a.name.cmp(&b.name));
    out.extend(others);
    out
}

fn checks(reasons: &[RuleOut]) -> Vec<RuleCheck> {
    HardRule::ALL
        .iter()
        .map(|&rule| RuleCheck {
            rule,
            failures: reasons
                .iter()
                .filter(|reason| HardRule::of(**reason) == Some(rule))
                .map(|reason| reason.description().into_owned())
                .collect(),
        })
        .collect()
}

impl Coordination {
    /// Every active reviewer judged for the lead's place on `stored`, as of `now`.
    pub async fn lead_verdicts(
        &self,
        stored: &StoredRequest,
        now: OffsetDateTime,
    ) -> Result<Vec<Verdict>, CoordinationError> {
        let inputs = self
            .workflow
            .match_inputs(stored, Role::Lead, now.date())
            .await?;
        Ok(verdicts(&inputs.rank()))
    }

    /// Offers the lead's place on request `id` to `reviewer_id`, who must pass every hard rule
    /// now. An offer still waiting for an answer is withdrawn in the same transaction. Nothing
    /// is stored when the request changed since the page `seen_on_page` was drawn.
    pub async fn offer_to(
        &self,
        actor: &Actor,
        id: &str,
        reviewer_id: &str,
        seen_on_page: &str,
    ) -> Result<Result<String, Refused>, CoordinationError> {
        self.offer_named(
            actor,
            (id, Role::Lead),
            reviewer_id,
            seen_on_page,
            "offered to a named reviewer",
        )
        .await
    }

    /// [`Self::offer_to`], audit-logged as `audit_action`: the one path by which a coordinator's
    /// choice (a named reviewer, a term plan's assignment) becomes an offer. `role` is the
    /// place: the lead's, or a booked team's second for the lead's day (the matcher's own
    /// offer of a second, [`workflows::offers::Workflow::offer_items`]), which the lifecycle
    /// allows only before the visit day and which is refused unless the place is still
    /// looking for its second.
    pub(crate) async fn offer_named(
        &self,
        actor: &Actor,
        (id, role): (&str, Role),
        reviewer_id: &str,
        seen_on_page: &str,
        audit_action: &str,
    ) -> Result<Result<String, Refused>, CoordinationError> {
        let stored = match self.as_seen(id, seen_on_page).await? {
            Ok(stored) => stored,
            Err(refused) => return Ok(Err(refused)),
        };
        let action = match role {
            Role::Lead => Action::OfferNamed,
            Role::Second => Action::OfferSecond,
        };
        if let Err(refused) = administrator_may(&stored, action, actor.at.date()) {
            return Ok(Err(refused));
        }
        if role == Role::Second && !looking_for_a_second(&stored) {
            return Ok(Err(Refused::Workflow(
                "the team is not looking for a second reviewer".into(),
            )));
        }
        let inputs = self
            .workflow
            .match_inputs(&stored, role, actor.at.date())
            .await?;
        let outcome = inputs.rank();
        let candidate = match chosen(&outcome, reviewer_id, None) {
            Ok(candidate) => candidate,
            Err(refused) => return Ok(Err(refused)),
        };
        let table = self.workflow.table();
        let (offer_id, mut items) =
            self.workflow
                .offer_items(&stored, &inputs, candidate.reviewer, actor.at)?;
        if role == Role::Second {
            // The offer's own request update expects the matcher's search under way; a second
            // place that found nobody ("needs attention") is offered too.
            items[0] = second_offered(&table.name, &stored.id, &offer_id);
        } else if let Some(open) = &stored.open_offer {
            if let Some(offer) = self.workflow.offer(open).await?
                && offer.reviewer_id == reviewer_id
            {
                return Ok(Err(Refused::AlreadyOffered));
            }
            items.push(withdraw_open_offer(&table.name, open));
        }
        Guard::new(action, actor.at.date()).add_to(&table.name, &stored.id, &mut items);
        let subject = AuditSubject::Request {
            id: stored.id.clone(),
            reference: stored.reference.to_string(),
        };
        let mut detail = match role {
            Role::Lead => format!("offered the review to {}", candidate.reviewer.name),
            Role::Second => format!(
                "offered the second reviewer's place to {}",
                candidate.reviewer.name
            ),
        };
        if role == Role::Lead && stored.open_offer.is_some() {
            detail.push_str(" (the offer waiting for an answer was withdrawn)");
        }
        items.push(
            actor
                .entry(audit_action, subject, detail)
                .transact_put(table)?,
        );
        match table
            .transact(items)
            .await
            .map_err(|e| dynamo_error("TransactWriteItems", e))?
        {
            Transacted::Committed => Ok(Ok(offer_id)),
            Transacted::Cancelled(_) => Ok(Err(Refused::Stale)),
        }
    }
}

/// Whether a booked team is still looking for its second reviewer: searching or found nobody,
/// with no offer waiting and nobody booked.
pub(crate) fn looking_for_a_second(stored: &StoredRequest) -> bool {
    matches!(
        stored.second_state.as_deref(),
        Some(second_state::MATCHING | second_state::NEEDS_ATTENTION)
    ) && stored.second_offer.is_none()
        && stored.second.is_none()
}

/// The request: its second place, still looking, waits for offer `offer_id`.
fn second_offered(table: &str, request_id: &str, offer_id: &str) -> TransactWriteItem {
    let update = Update::builder()
        .table_name(table)
        .key("pk", s(records::keys::request_pk(request_id)))
        .key("sk", s("REQUEST"))
        .update_expression("SET second_state = :offered, second_offer = :offer")
        .condition_expression(
            "second_state IN (:matching, :attention) AND attribute_not_exists(second_offer) \
             AND attribute_not_exists(#second)",
        )
        .expression_attribute_names("#second", "second")
        .expression_attribute_values(":offered", s(second_state::OFFERED))
        .expression_attribute_values(":offer", s(offer_id))
        .expression_attribute_values(":matching", s(second_state::MATCHING))
        .expression_attribute_values(":attention", s(second_state::NEEDS_ATTENTION))
        .build()
        .expect("complete update");
    TransactWriteItem::builder().update(update).build()
}

/// Withdraws offer `offer_id` if it is still open (its reviewer is not asked again by it).
fn withdraw_open_offer(table: &str, offer_id: &str) -> TransactWriteItem {
    let update = Update::builder()
        .table_name(table)
        .key("pk", s(records::keys::offer_pk(offer_id)))
        .key("sk", s("OFFER"))
        .update_expression("SET #state = :withdrawn REMOVE gsi1pk, gsi1sk")
        .condition_expression("#state = :open")
        .expression_attribute_names("#state", "state")
        .expression_attribute_values(":withdrawn", s(offer_state::WITHDRAWN))
        .expression_attribute_values(":open", s(offer_state::OPEN))
        .build()
        .expect("complete update");
    TransactWriteItem::builder().update(update).build()
}
