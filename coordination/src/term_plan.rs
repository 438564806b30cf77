//! Planning a term from the console: every request still waiting for a reviewer, planned at
//! once ([`workflows::term_plan::plan_term`]), shown to the coordinator with reciprocal
//! arrangements among the schools that asked for one, then sent one offer at a time through
//! the named offer's own path ([`Coordination::offer_to`]'s transaction, audit-logged as a
//! plan's offer).
//!
//! What is planned: a request waiting for its lead (submitted, being matched, or nobody
//! eligible; no offer waiting for an answer), and a booked team still looking for its second
//! reviewer. Requests confirming, held, offered or past that are left alone. Each place is
//! judged on what the matcher itself reads for it ([`workflows::offers::MatchInputs`]: the
//! exclusions, a fixed day, a follow-up's original lead), so the plan and the matcher agree.
//!
//! What is sent: the lead offers, and the second of each booked team still looking for one (its
//! offer is for the lead's booked day). A team planned with its lead gets its second from the
//! matcher once the lead accepts (its day is not known yet); the plan's second only shows the
//! capacity it needs. Each offer is conditional on the request being as the plan saw it: a
//! request that moved on is skipped and reported, never offered twice.

use std::collections::HashMap;

use records::audit::{Actor, AuditSubject};
use records::lifecycle::RequestState;
use records::request::{StoredRequest, read_request};
use records::store::dynamo_error;
use time::Date;
use workflows::matching::{Role, Term, needs_second_reviewer};
use workflows::offers::MatchInputs;
use workflows::term_plan::{
    self, Choice, OpenRequest, Place, Reciprocal, TermPlan, TermPlanError, reciprocal_term,
};

use crate::named_offer::looking_for_a_second;
use crate::refusal::{Refused, seen};
use crate::{Coordination, CoordinationError};

/// The states whose lead's place a plan fills.
const WAITING_FOR_A_LEAD: [RequestState; 3] = [
    RequestState::Submitted,
    RequestState::Matching,
    RequestState::NeedsAttention,
];

/// A request in the plan, as the page names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRequest {
    pub id: String,
    pub reference: String,
    pub school: String,
    /// What the plan saw of it ([`seen`]): its offer is sent only if it is still so.
    pub seen: String,
    /// The school asked to review a school in return.
    pub reciprocal: bool,
    /// Its place is the second reviewer's of a booked team.
    pub second_only: bool,
}

/// A coordinator's pin or forbid, by the ids the page carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairChoice {
    pub request_id: String,
    pub reviewer_id: String,
    pub role: Role,
}

/// A computed plan, with what the page needs to name everyone in it.
#[derive(Debug, Clone)]
pub struct PlanView {
    pub term: Term,
    /// Indexed by the plan's `request` fields.
    pub requests: Vec<PlannedRequest>,
    /// Every reviewer of the pool, by id.
    pub reviewers: HashMap<String, String>,
    pub plan: TermPlan,
    pub reciprocal: Reciprocal,
    /// Pins and forbids that name a request or pair no longer open (left out of the plan).
    pub dropped: Vec<PairChoice>,
}

/// One offer of a plan to send: `role`'s place on `request_id`, as the plan saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedOffer {
    pub request_id: String,
    pub role: Role,
    pub reviewer_id: String,
    pub seen: String,
}

/// What sending a plan did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanSent {
    /// (request id, offer id) of each offer sent.
    pub sent: Vec<(String, String)>,
    /// (request id, why) of each offer not sent: nothing was stored for it.
    pub skipped: Vec<(String, Refused)>,
}

impl Coordination {
    /// The plan of `term` as on `today`, keeping `pins` and `forbids` that still name an open
    /// place (the others are listed in [`PlanView::dropped`]).
    pub async fn plan_term(
        &self,
        term: Term,
        today: Date,
        pins: &[PairChoice],
        forbids: &[PairChoice],
    ) -> Result<PlanView, CoordinationError> {
        let mut waiting: Vec<(StoredRequest, Role)> = Vec::new();
        for state in WAITING_FOR_A_LEAD {
            for stored in self.requests_in(state).await? {
                if stored.open_offer.is_none() {
                    waiting.push((stored, Role::Lead));
                }
            }
        }
        for stored in self.requests_in(RequestState::Accepted).await? {
            if looking_for_a_second(&stored) {
                waiting.push((stored, Role::Second));
            }
        }
        waiting.sort_by(|a, b| a.0.created_at.cmp(&b.0.created_at));
        let mut inputs: Vec<MatchInputs> = Vec::with_capacity(waiting.len());
        for (stored, role) in &waiting {
            inputs.push(self.workflow.match_inputs(stored, *role, today).await?);
        }
        let Some(first) = inputs.first() else {
            return Ok(PlanView {
                term,
                requests: Vec::new(),
                reviewers: HashMap::new(),
                plan: TermPlan {
                    proposed: Vec::new(),
                    left_without: Vec::new(),
                },
                reciprocal: Reciprocal {
                    arrangements: Vec::new(),
                    optimal: true,
                    schools_bound: 0,
                    cost_bound: 0,
                },
                dropped: pins.iter().chain(forbids).cloned().collect(),
            });
        };
        // Every place's inputs read the same pool: the first one's is the plan's.
        let pool = first.records();
        let settings = &first.settings;
        let mut kept = Vec::with_capacity(waiting.len());
        let mut open: Vec<OpenRequest> = Vec::with_capacity(waiting.len());
        for (at, ((stored, role), input)) in waiting.iter().zip(&inputs).enumerate() {
            let place = match role {
                Role::Lead => Place::Lead {
                    team: needs_second_reviewer(&stored.request, settings),
                },
                // A team whose lead left the pool is the matcher's (and the coordinator's).
                Role::Second => match (stored.lead.as_ref()).and_then(|lead| {
                    (first.pool.iter()).find(|r| r.id.to_string() == lead.reviewer_id)
                }) {
                    Some(lead) => Place::Second { lead },
                    None => continue,
                },
            };
            kept.push(at);
            open.push(OpenRequest {
                request: &input.request,
                excluded: &input.excluded,
                follow_up_of: input.follow_up_of,
                place,
            });
        }
        let requests: Vec<PlannedRequest> = kept
            .iter()
            .map(|&at| &waiting[at])
            .map(|(stored, role)| PlannedRequest {
                id: stored.id.clone(),
                reference: stored.reference.to_string(),
                school: stored.request.school.name.to_string(),
                seen: seen(stored),
                reciprocal: stored.request.reciprocal,
                second_only: *role == Role::Second,
            })
            .collect();
        let mut dropped = Vec::new();
        let mut choices = |list: &[PairChoice]| -> Vec<Choice> {
            let mut kept = Vec::new();
            for choice in list {
                let request = requests.iter().position(|r| r.id == choice.request_id);
                let reviewer = choice.reviewer_id.parse().ok();
                match (request, reviewer) {
                    (Some(request), Some(reviewer)) => kept.push(Choice {
                        request,
                        reviewer,
                        role: choice.role,
                    }),
                    _ => dropped.push(choice.clone()),
                }
            }
            kept
        };
        let mut pinned = choices(pins);
        let mut forbidden = choices(forbids);
        // A choice the planner refuses (a reviewer gone, a place no longer the request's) is
        // dropped, and the plan computed without it.
        let plan = loop {
            match term_plan::plan_term(&open, &pool, settings, term, today, &pinned, &forbidden) {
                Ok(plan) => break plan,
                Err(TermPlanError::UnknownChoice(bad)) => {
                    pinned.retain(|c| *c != bad);
                    forbidden.retain(|c| *c != bad);
                    dropped.push(PairChoice {
                        request_id: requests[bad.request].id.clone(),
                        reviewer_id: bad.reviewer.to_string(),
                        role: bad.role,
                    });
                }
                // Pins that cannot all hold (a reviewer pinned beyond their capacity): the
                // plan without any pin, and the pins reported as dropped.
                Err(TermPlanError::Plan(_)) if !pinned.is_empty() => {
                    dropped.extend(pinned.drain(..).map(|c| PairChoice {
                        request_id: requests[c.request].id.clone(),
                        reviewer_id: c.reviewer.to_string(),
                        role: c.role,
                    }));
                }
                Err(TermPlanError::Plan(e)) => {
                    return Err(CoordinationError::Plan(e.to_string()));
                }
            }
        };
        let opted_in: Vec<usize> = (0..requests.len())
            .filter(|&i| requests[i].reciprocal && !requests[i].second_only)
            .collect();
        let reciprocal = reciprocal_term(
            &open,
            &opted_in,
            &pool,
            settings,
            term,
            today,
            Default::default(),
        );
        Ok(PlanView {
            term,
            reviewers: first
                .pool
                .iter()
                .map(|r| (r.id.to_string(), r.name.clone()))
                .collect(),
            requests,
            plan,
            reciprocal,
            dropped,
        })
    }

    /// Sends each of `offers` through the named offer's path, one transaction each, and
    /// records the send in the audit log.
    pub async fn send_plan(
        &self,
        actor: &Actor,
        term: Term,
        offers: &[PlannedOffer],
    ) -> Result<PlanSent, CoordinationError> {
        let mut outcome = PlanSent::default();
        for offer in offers {
            match self
                .offer_named(
                    actor,
                    (&offer.request_id, offer.role),
                    &offer.reviewer_id,
                    &offer.seen,
                    "offered by the term plan",
                )
                .await?
            {
                Ok(offer_id) => outcome.sent.push((offer.request_id.clone(), offer_id)),
                Err(refused) => outcome.skipped.push((offer.request_id.clone(), refused)),
            }
        }
        let detail = format!(
            "{term}: {} offers sent, {} skipped",
            outcome.sent.len(),
            outcome.skipped.len()
        );
        let table = self.workflow.table();
        let entry = actor
            .entry("term plan sent", AuditSubject::Programme, detail)
            .transact_put(table)?;
        table
            .transact(vec![entry])
            .await
            .map_err(|e| dynamo_error("TransactWriteItems", e))?;
        Ok(outcome)
    }

    /// Every request in `state` (the state index; no scan).
    async fn requests_in(
        &self,
        state: RequestState,
    ) -> Result<Vec<StoredRequest>, CoordinationError> {
        let items = self
            .workflow
            .table()
            .index_items(&records::keys::state_index_key(state.as_str()), None)
            .await
            .map_err(|e| dynamo_error("Query", e))?;
        Ok(items
            .into_iter()
            .map(read_request)
            .collect::<Result<_, _>>()?)
    }
}
