//! A term plan over loaded requests and reviewers: the input of the exact planner
//! ([`term_planning::plan`]) built with matching's own hard rules and points
//! ([`matching::rank`], not a copy), and its answer in the product's terms.
//!
//! Pure: the caller loads the open requests and the pool (as the matcher does) and passes
//! `today` and the term being planned. [`reciprocal_term`] proposes reciprocal pairs and triads
//! among the schools that asked for them, on the same rules.
//!
//! # What is planned, and in what order
//!
//! Each open request has one place to fill: its lead ([`Place::Lead`]), or, once the lead is
//! known, the second reviewer of its team ([`Place::Second`]). A team still waiting for its
//! lead gets both, in two exact stages: first every lead place (a request is served when it has
//! a lead, so this maximises the requests served, then minimises the cost), then every second
//! place, with each team's planned lead as its lead (the second must differ from the lead, and
//! earns the mix bonus against them), on the capacity the leads left. A joint plan of both
//! places could be cheaper in points; it could not serve more requests.
//!
//! # Windows, capacity and cost
//!
//! - Each request's visit windows are cut to the term, so matching's availability and capacity
//!   rules judge the term's days only. A second's windows are the caller's to narrow to the
//!   lead's visit day, as the matcher does, once that day is known.
//! - A reviewer's capacity in the term is `capacity_per_term` less the reviews done, booked
//!   or offered in it (their history and open offers): what the capacity rule counts.
//! - A pair's cost is minus its points ([`Score::total`]); a follow-up's original lead, whom
//!   matching tries first whatever their points, costs [`ORIGINAL_LEAD_PREFERENCE`] less.
//!   The load-spread points are those of the reviewer's load before the plan.

use std::collections::{HashMap, HashSet};

use term_planning::{Candidate, Pair, PlanError, Problem, reciprocal};
use time::{Date, Month};
use ulid::Ulid;

use crate::matching::{
    self, MatchRequest, OriginalReview, ReviewerRecord, Role, RuleOut, Score, Term,
};
use records::domain::request::{ReviewRequest, VisitWindow};
use records::programme::ProgrammeSettings;
use records::reviewers::Reviewer;

/// Taken off a follow-up's original lead's cost: more than any spread of points, so they come
/// first, as in one-by-one matching.
pub const ORIGINAL_LEAD_PREFERENCE: i32 = 1_000;

/// The place a request is waiting to fill.
#[derive(Debug, Clone, Copy)]
pub enum Place<'a> {
    /// Its lead; `team`: it will want a second reviewer too.
    Lead { team: bool },
    /// The second reviewer of a team whose lead is known.
    Second { lead: &'a Reviewer },
}

/// A request waiting for a reviewer.
#[derive(Debug, Clone, Copy)]
pub struct OpenRequest<'a> {
    pub request: &'a ReviewRequest,
    /// Reviewers who declined or let its offer expire, or are already on it.
    pub excluded: &'a HashSet<Ulid>,
    pub follow_up_of: Option<OriginalReview>,
    pub place: Place<'a>,
}

/// A coordinator's choice about one pair: `request` indexes the open requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    pub request: usize,
    pub reviewer: Ulid,
    pub role: Role,
}

/// One proposed offer.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposed {
    /// Index into the open requests.
    pub request: usize,
    pub reviewer: Ulid,
    pub role: Role,
    /// Why the pair scores what it does.
    pub score: Score,
    pub pinned: bool,
}

/// A place the plan leaves empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeftWithout {
    pub request: usize,
    pub role: Role,
    /// Reviewers eligible for the place (all needed elsewhere when this is not 0).
    pub eligible: usize,
    /// Each rule that ruled reviewers out, with how many, most first.
    pub ruled_out: Vec<(RuleOut, usize)>,
}

/// Why a term cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TermPlanError {
    #[error("a pin or forbid names a request, reviewer or place that is not open: {0:?}")]
    UnknownChoice(Choice),
    #[error(transparent)]
    Plan(#[from] PlanError),
}

#[derive(Debug, Clone, PartialEq)]
pub struct TermPlan {
    /// Leads first, each stage by request.
    pub proposed: Vec<Proposed>,
    pub left_without: Vec<LeftWithout>,
}

/// Plans every open request's place in `term` at once: see the module documentation. Pins
/// and forbids name open requests by index and a place they have; a forbid holds in both
/// stages. A pin of a team's second applies only when the plan gives the team a lead.
pub fn plan_term(
    open: &[OpenRequest<'_>],
    pool: &[ReviewerRecord<'_>],
    settings: &ProgrammeSettings,
    term: Term,
    today: Date,
    pins: &[Choice],
    forbids: &[Choice],
) -> Result<TermPlan, TermPlanError> {
    for choice in pins.iter().chain(forbids) {
        let open_place = open.get(choice.request).map(|o| o.place);
        let has_place = match (open_place, choice.role) {
            (Some(Place::Lead { .. }), Role::Lead) => true,
            (Some(Place::Lead { team }), Role::Second) => team,
            (Some(Place::Second { .. }), Role::Second) => true,
            _ => false,
        };
        let known = pool.iter().any(|r| r.reviewer.id == choice.reviewer);
        if !has_place || !known {
            return Err(TermPlanError::UnknownChoice(*choice));
        }
    }
    let mut capacity = term_capacity(pool, term);
    let clipped: Vec<ReviewRequest> = open.iter().map(|o| within_term(o.request, term)).collect();

    let leads: Vec<Slot> = open
        .iter()
        .enumerate()
        .filter(|(_, o)| matches!(o.place, Place::Lead { .. }))
        .map(|(i, _)| Slot::new(i, Role::Lead, None))
        .collect();
    let mut plan = TermPlan {
        proposed: Vec::new(),
        left_without: Vec::new(),
    };
    let stage = Stage {
        open,
        clipped: &clipped,
        pool,
        settings,
        today,
        pins,
        forbids,
    };
    let planned_leads = stage.run(&leads, &mut capacity, &mut plan)?;

    let seconds: Vec<Slot> = open
        .iter()
        .enumerate()
        .filter_map(|(i, o)| match o.place {
            Place::Second { lead } => Some(Slot::new(i, Role::Second, Some(lead))),
            Place::Lead { team: true } => planned_leads
                .get(&i)
                .map(|&lead| Slot::new(i, Role::Second, Some(pool[lead].reviewer))),
            Place::Lead { team: false } => None,
        })
        .collect();
    stage.run(&seconds, &mut capacity, &mut plan)?;
    Ok(plan)
}

/// One place as the solver sees it (a solver request wanting one reviewer).
struct Slot<'a> {
    open: usize,
    role: Role,
    lead: Option<&'a Reviewer>,
}

impl<'a> Slot<'a> {
    fn new(open: usize, role: Role, lead: Option<&'a Reviewer>) -> Self {
        Slot { open, role, lead }
    }
}

/// What both stages share.
struct Stage<'s, 'a> {
    open: &'s [OpenRequest<'a>],
    clipped: &'s [ReviewRequest],
    pool: &'s [ReviewerRecord<'a>],
    settings: &'s ProgrammeSettings,
    today: Date,
    pins: &'s [Choice],
    forbids: &'s [Choice],
}

impl Stage<'_, '_> {
    /// Plans `places` on `capacity` (taking what it uses), adds the result to `plan`, and
    /// returns the reviewer (pool index) given to each open request.
    fn run(
        &self,
        places: &[Slot<'_>],
        capacity: &mut [u32],
        plan: &mut TermPlan,
    ) -> Result<HashMap<usize, usize>, PlanError> {
        let position: HashMap<Ulid, usize> = self
            .pool
            .iter()
            .enumerate()
            .map(|(i, record)| (record.reviewer.id, i))
            .collect();
        let mut candidates = Vec::new();
        let mut scores: HashMap<(u32, u32), Score> = HashMap::new();
        let mut eligible = Vec::with_capacity(places.len());
        let mut ruled_out = Vec::with_capacity(places.len());
        for (q, place) in places.iter().enumerate() {
            let open = &self.open[place.open];
            let mut excluded = open.excluded.clone();
            excluded.extend(place.lead.map(|lead| lead.id));
            let outcome = matching::rank(
                &MatchRequest {
                    request: &self.clipped[place.open],
                    excluded: &excluded,
                    role: place.role,
                    lead: place.lead,
                    follow_up_of: open.follow_up_of,
                },
                self.pool,
                self.settings,
                self.today,
            );
            for candidate in &outcome.ranked {
                let r = position[&candidate.reviewer.id] as u32;
                let preference = if candidate.score.original_lead {
                    ORIGINAL_LEAD_PREFERENCE
                } else {
                    0
                };
                candidates.push(Candidate {
                    request: q as u32,
                    reviewer: r,
                    cost: -candidate.score.total().saturating_add(preference),
                });
                scores.insert((q as u32, r), candidate.score);
            }
            eligible.push(outcome.ranked.len());
            ruled_out.push(count_reasons(&outcome.ruled_out));
        }
        let choices = |list: &[Choice], role: Option<Role>| -> Vec<Pair> {
            let index: HashMap<usize, u32> = places
                .iter()
                .enumerate()
                .map(|(q, p)| (p.open, q as u32))
                .collect();
            list.iter()
                .filter(|c| role.is_none_or(|role| c.role == role))
                .filter_map(|c| {
                    Some(Pair {
                        request: *index.get(&c.request)?,
                        reviewer: *position.get(&c.reviewer)? as u32,
                    })
                })
                .collect()
        };
        let role = places.first().map(|p| p.role);
        let pins = choices(self.pins, role);
        let forbids = choices(self.forbids, None);
        let wanted = vec![1; places.len()];
        let solved = term_planning::plan(&Problem {
            wanted: &wanted,
            capacity,
            candidates: &candidates,
            pins: &pins,
            forbids: &forbids,
        })?;
        let mut given = HashMap::new();
        for a in &solved.assignments {
            let place = &places[a.request as usize];
            capacity[a.reviewer as usize] -= 1;
            given.insert(place.open, a.reviewer as usize);
            plan.proposed.push(Proposed {
                request: place.open,
                reviewer: self.pool[a.reviewer as usize].reviewer.id,
                role: place.role,
                score: scores[&(a.request, a.reviewer)],
                pinned: a.pinned,
            });
        }
        for short in &solved.short {
            let q = short.request as usize;
            plan.left_without.push(LeftWithout {
                request: places[q].open,
                role: places[q].role,
                eligible: eligible[q],
                ruled_out: std::mem::take(&mut ruled_out[q]),
            });
        }
        Ok(given)
    }
}

/// Each reviewer's capacity left in `term`: `capacity_per_term` less the reviews done, booked
/// or offered in it.
fn term_capacity(pool: &[ReviewerRecord<'_>], term: Term) -> Vec<u32> {
    pool.iter()
        .map(|record| {
            let load = record
                .history
                .iter()
                .map(|review| review.visit_date)
                .chain(record.open_offers.iter().copied())
                .filter(|&day| term.contains(day))
                .count();
            u32::from(record.reviewer.capacity_per_term).saturating_sub(load as u32)
        })
        .collect()
}

/// One leg of a reciprocal arrangement: a reviewer from one opted-in school leads the review
/// of another.
#[derive(Debug, Clone, PartialEq)]
pub struct ReciprocalLeg {
    /// Index into the open requests: the reviewer's own school's request.
    pub from: usize,
    pub reviewer: Ulid,
    /// Index into the open requests: the school they review.
    pub reviews: usize,
    pub score: Score,
}

/// Reciprocal pairs and triads among opted-in schools, beside the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Reciprocal {
    /// Each arrangement's legs in cycle order.
    pub arrangements: Vec<Vec<ReciprocalLeg>>,
    /// See [`term_planning::reciprocal::Proposal`]: whether the search proved it best, and
    /// its bounds when it did not.
    pub optimal: bool,
    pub schools_bound: u32,
    pub cost_bound: i64,
}

/// Proposes reciprocal arrangements among the open requests at `opted_in` (indices) whose
/// schools asked to review a school in return: a reviewer whose home school is one of them
/// may lead the review of another when matching's hard rules allow it as lead (cut to
/// `term`, with the request's exclusions), on their capacity left in the term; their points
/// are the cost ([`term_planning::reciprocal`] explains the method).
pub fn reciprocal_term(
    open: &[OpenRequest<'_>],
    opted_in: &[usize],
    pool: &[ReviewerRecord<'_>],
    settings: &ProgrammeSettings,
    term: Term,
    today: Date,
    options: reciprocal::Options,
) -> Reciprocal {
    let capacity = term_capacity(pool, term);
    let schools: Vec<reciprocal::OptedIn> = opted_in
        .iter()
        .map(|&i| reciprocal::OptedIn {
            request: i as u32,
            reviewers: (0..pool.len() as u32)
                .filter(|&r| {
                    pool[r as usize].reviewer.home_school_urn == open[i].request.school.urn
                })
                .collect(),
        })
        .collect();
    let from_opted: HashSet<u32> = schools.iter().flat_map(|s| s.reviewers.clone()).collect();
    let position: HashMap<Ulid, u32> = pool
        .iter()
        .enumerate()
        .map(|(i, record)| (record.reviewer.id, i as u32))
        .collect();
    let mut candidates = Vec::new();
    let mut scores = HashMap::new();
    for &i in opted_in {
        let outcome = matching::rank(
            &MatchRequest {
                request: &within_term(open[i].request, term),
                excluded: open[i].excluded,
                role: Role::Lead,
                lead: None,
                follow_up_of: open[i].follow_up_of,
            },
            pool,
            settings,
            today,
        );
        for candidate in &outcome.ranked {
            let r = position[&candidate.reviewer.id];
            if from_opted.contains(&r) {
                candidates.push(Candidate {
                    request: i as u32,
                    reviewer: r,
                    cost: -candidate.score.total(),
                });
                scores.insert((i as u32, r), candidate.score);
            }
        }
    }
    let proposal = reciprocal::propose(&schools, &candidates, &capacity, options);
    Reciprocal {
        arrangements: proposal
            .arrangements
            .iter()
            .map(|a| {
                a.legs
                    .iter()
                    .map(|leg| ReciprocalLeg {
                        from: leg.from as usize,
                        reviewer: pool[leg.reviewer as usize].reviewer.id,
                        reviews: leg.reviews as usize,
                        score: scores[&(leg.reviews, leg.reviewer)],
                    })
                    .collect()
            })
            .collect(),
        optimal: proposal.optimal,
        schools_bound: proposal.schools_bound,
        cost_bound: proposal.cost_bound,
    }
}

/// The request with its windows cut to `term` (none left: it cannot be visited in the term).
fn within_term(request: &ReviewRequest, term: Term) -> ReviewRequest {
    let (first, last) = term_days(term);
    let mut request = request.clone();
    request.visit_windows = request
        .visit_windows
        .iter()
        .map(|w| VisitWindow {
            start: w.start.max(first),
            end: w.end.min(last),
        })
        .filter(|w| w.start <= w.end)
        .collect();
    request
}

/// The first and last day of `term` (as [`Term::of`] draws them).
fn term_days(term: Term) -> (Date, Date) {
    let (year, first, last) = match term {
        Term::Autumn(year) => (year, Month::September, Month::December),
        Term::Spring(year) => (year, Month::January, Month::March),
        Term::Summer(year) => (year, Month::April, Month::August),
    };
    // The first of a month and the 31st of December, March and August always exist.
    let day = |month, day| Date::from_calendar_date(year, month, day).expect("a real day");
    (day(first, 1), day(last, 31))
}

fn count_reasons(ruled_out: &[(&Reviewer, Vec<RuleOut>)]) -> Vec<(RuleOut, usize)> {
    let mut counts: Vec<(RuleOut, usize)> = Vec::new();
    for reason in ruled_out.iter().flat_map(|(_, reasons)| reasons) {
        match counts.iter_mut().find(|(known, _)| known == reason) {
            Some((_, n)) => *n += 1,
            None => counts.push((*reason, 1)),
        }
    }
    // Stable: equal counts keep the order rules are checked in.
    counts.sort_by_key(|&(_, n)| std::cmp::Reverse(n));
    counts
}

#[cfg(test)]
mod tests;
