//! Matching: which reviewers may review a school, and who among them fits best.
//!
//! [`rank`] splits the pool in two: reviewers who break a hard rule, each with every rule they
//! break (so an administrator can see why nobody was found), and eligible candidates, best
//! first. It is pure: no I/O and no clock. The caller passes `today`, each reviewer's history
//! (reviews done or booked) and their open offers.
//!
//! # Hard rules
//!
//! A reviewer is ruled out ([`RuleOut`]) when any of these holds:
//!
//! - the school is their own school, or in their trust (names compared ignoring case and
//!   surrounding space), or, when the programme's `local_authority_conflict_rule` is on, in
//!   their local authority;
//! - they reviewed the school `recent_review_years` years before `today` or since (0: no such
//!   rule; bookings after `today` do not count). For a follow-up visit, the original lead's own
//!   review being followed up does not count (any other review of the school by them does);
//! - they declared a conflict with the school, or are in the request's `excluded` set
//!   (declined, let the offer expire, already on the review), or are the lead when choosing a
//!   second;
//! - they have no enhanced DBS check, or it is dated after `today` (not yet done), or it will be
//!   more than [`DBS_VALID_FOR_YEARS`] years old on the last day of the latest visit window;
//! - they are not trained by `today`, or are inactive;
//! - they have no visit window with a weekday they are free in a [`Term`] where they are below
//!   `capacity_per_term` (capacity 0: never). Their load in a term counts their history and
//!   their open offers in it. A window that crosses a term boundary is judged day by day;
//! - they do not travel to the school's region; or the role is lead and they may not lead.
//!
//! # Preference score
//!
//! Eligible reviewers are scored ([`Score`]):
//!
//! | component                | points                                                        |
//! |--------------------------|---------------------------------------------------------------|
//! | phase fit                | +30 if they know the school's phase                           |
//! | school-type fit          | +20 if they know the school's type                            |
//! | specialisms              | +10 per specialism the school wants that they have, up to +30 |
//! | home region              | +15 if their own school is in the school's region             |
//! | load spread              | -5 per review they already have in the visit term             |
//! | special/mainstream mix   | +25 for a second reviewer of the other kind (below)           |
//!
//! **Follow-up visits** prefer the lead of the review they follow up: when that reviewer is
//! eligible to lead it, they are tried first, whatever their points ([`Score::original_lead`]).
//! The hard rules still apply to them (capacity, DBS, availability, conflicts...): only the
//! recent-review rule makes the one exception above, since a follow-up is by design a return
//! to a school they reviewed.
//!
//! The specialisms a school wants: communication and interaction → speech, language and
//! communication, and autism; cognition and learning → specific learning difficulties; social,
//! emotional and mental health → SEMH; sensory and/or physical → sensory, and physical; and
//! the review type: TA deployment, preparing for adulthood and alternative provision reviews
//! want that specialism. (No focus area maps onto a specialism.)
//!
//! "The visit term" is the term of their least loaded available window.
//!
//! The mix bonus serves the domain's "one from a special school for a mainstream school".
//! Reviewers record the school types they know, not their home school's type, so a reviewer
//! who knows special schools counts as "from a special school" (a simplification). The second
//! earns the bonus when that differs from the lead; with no lead given, from the school itself
//! (special or not).
//!
//! Ties go to the reviewer with fewer reviews in the visit term, then to the lower id (ULID
//! string order), so the same input always gives the same order, whatever the pool's order.
//!
//! # Cost
//!
//! Everything about the request (region, wanted specialisms, windows split into terms) is worked
//! out once; each reviewer then costs one pass over their history and offers plus a pass over
//! the windows (checking each window against their few unavailable ranges), with two scratch
//! buffers reused across the pool. Sorting the candidates is the only step above linear.

use std::cmp::Ordering;
use std::collections::HashSet;

use time::{Date, Weekday};
use ulid::Ulid;

pub use crate::domain::calendar::Term;
use crate::domain::request::{ReviewRequest, ReviewType};
pub use crate::domain::rules::{DBS_VALID_FOR_YEARS, RuleOut};
use crate::domain::{
    AreaOfNeed, DateRange, LocalAuthority, Phase, Region, SchoolType, Specialism, Urn,
};
use crate::programme::ProgrammeSettings;
pub use crate::request::OriginalReview;
use crate::reviewers::Reviewer;

/// Realistic test data, for this crate's tests and (with the `fixtures` feature) the tests of
/// the crates above.
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
#[cfg(test)]
mod properties;

pub const PHASE_FIT_POINTS: i32 = 30;
pub const SCHOOL_TYPE_FIT_POINTS: i32 = 20;
pub const POINTS_PER_SPECIALISM: i32 = 10;
pub const MAX_SPECIALISM_POINTS: i32 = 30;
pub const HOME_REGION_POINTS: i32 = 15;
/// Taken off per review already in the visit term, to spread the work.
pub const POINTS_OFF_PER_REVIEW_IN_TERM: i32 = 5;
pub const SPECIAL_MAINSTREAM_MIX_POINTS: i32 = 25;

/// A review a reviewer did or has booked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewHistory {
    pub school: Urn,
    pub visit_date: Date,
}

/// A reviewer with what matching needs to know beyond their profile.
#[derive(Debug, Clone, Copy)]
pub struct ReviewerRecord<'a> {
    pub reviewer: &'a Reviewer,
    /// Reviews they did or have booked.
    pub history: &'a [ReviewHistory],
    /// Visit dates of the offers they hold and have not answered: these count towards load.
    pub open_offers: &'a [Date],
}

/// The place being filled on a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[default]
    Lead,
    Second,
}

/// What is being matched: a request and the place on it.
#[derive(Debug, Clone, Copy)]
pub struct MatchRequest<'a> {
    pub request: &'a ReviewRequest,
    /// Reviewers who declined or let this request's offer expire, or are already on it.
    pub excluded: &'a HashSet<Ulid>,
    pub role: Role,
    /// The lead, when choosing a second.
    pub lead: Option<&'a Reviewer>,
    /// For a follow-up visit: the review it follows up.
    pub follow_up_of: Option<OriginalReview>,
}

/// Why a candidate ranks where they do: each component in points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Score {
    pub phase_fit: i32,
    pub school_type_fit: i32,
    pub specialisms: i32,
    pub home_region: i32,
    /// Zero or negative.
    pub load_spread: i32,
    pub special_mainstream_mix: i32,
    /// Reviews they already have (done, booked or offered) in the term of their least loaded
    /// available window; the first tie-breaker.
    pub reviews_in_visit_term: u32,
    /// They led the review this follow-up visit returns to, and the place is the lead's: they
    /// come before everyone else (points only order the rest).
    pub original_lead: bool,
}

impl Score {
    pub fn total(&self) -> i32 {
        self.phase_fit
            + self.school_type_fit
            + self.specialisms
            + self.home_region
            + self.load_spread
            + self.special_mainstream_mix
    }
}

/// An eligible reviewer.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    pub reviewer: &'a Reviewer,
    pub score: Score,
    /// Indices into the request's `visit_windows` of the windows they could visit in.
    pub available_windows: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct MatchOutcome<'a> {
    /// Best first.
    pub ranked: Vec<Candidate<'a>>,
    /// Everyone else with every rule they break, in pool order.
    pub ruled_out: Vec<(&'a Reviewer, Vec<RuleOut>)>,
}

/// Whether the request gets a second reviewer: the programme lists its review type or its
/// school type (storage values, e.g. `special` or `ta_deployment`).
pub fn needs_second_reviewer(request: &ReviewRequest, settings: &ProgrammeSettings) -> bool {
    let review_type = request.review_type.as_str();
    let school_type = request.school.school_type.as_str();
    settings
        .second_reviewer_for_types
        .iter()
        .map(|listed| listed.trim())
        .any(|listed| {
            listed.eq_ignore_ascii_case(review_type) || listed.eq_ignore_ascii_case(school_type)
        })
}

/// Splits `pool` into eligible candidates, best first, and the reviewers ruled out with why.
pub fn rank<'a>(
    request: &MatchRequest<'_>,
    pool: &[ReviewerRecord<'a>],
    settings: &ProgrammeSettings,
    today: Date,
) -> MatchOutcome<'a> {
    let visit = Visit::of(request.request, request.lead, today);
    let mut loads = vec![0_u32; visit.terms.len()];
    let mut open_windows = Vec::with_capacity(request.request.visit_windows.len());
    let mut ranked = Vec::new();
    let mut ruled_out = Vec::new();
    for record in pool {
        match assess(
            record,
            request,
            &visit,
            settings,
            today,
            &mut loads,
            &mut open_windows,
        ) {
            Ok(candidate) => ranked.push(candidate),
            Err(reasons) => ruled_out.push((record.reviewer, reasons)),
        }
    }
    // Stable, so even a reviewer listed twice keeps one order.
    ranked.sort_by(best_first);
    MatchOutcome { ranked, ruled_out }
}

/// The documented order: a follow-up's original lead, then higher total, then fewer reviews
/// in the visit term, then lower id.
fn best_first(a: &Candidate<'_>, b: &Candidate<'_>) -> Ordering {
    b.score
        .original_lead
        .cmp(&a.score.original_lead)
        .then(b.score.total().cmp(&a.score.total()))
        .then(
            a.score
                .reviews_in_visit_term
                .cmp(&b.score.reviews_in_visit_term),
        )
        // A ULID's string is its 128 bits in big-endian base 32, so comparing the numbers
        // orders exactly as comparing the strings, without allocating them.
        .then(a.reviewer.id.cmp(&b.reviewer.id))
}

/// What matching needs to know about the request, worked out once for the whole pool.
struct Visit<'r> {
    urn: &'r Urn,
    trust: Option<&'r str>,
    local_authority_code: u16,
    /// `None` only if the school's LA code is unknown: then nobody can be sent.
    region: Option<Region>,
    phase: Phase,
    school_type: SchoolType,
    wanted_specialisms: SpecialismSet,
    /// The day a DBS check must still be in date on.
    latest_visit_day: Date,
    /// The windows cut at term boundaries, in window order.
    stretches: Vec<Stretch>,
    /// The distinct terms the windows touch; `Stretch::term` indexes this.
    terms: Vec<Term>,
    /// For the second reviewer's mix bonus: whether the lead (or the school) is special.
    other_is_special: bool,
}

/// A part of one visit window that lies in one term.
struct Stretch {
    window: usize,
    first_day: Date,
    last_day: Date,
    term: usize,
}

impl<'r> Visit<'r> {
    fn of(request: &'r ReviewRequest, lead: Option<&Reviewer>, today: Date) -> Self {
        let school = &request.school;
        let windows = &request.visit_windows;
        let mut stretches = Vec::new();
        let mut terms = Vec::new();
        for (window, visit_window) in windows.iter().enumerate() {
            let mut first_day = visit_window.start;
            while first_day <= visit_window.end {
                let last_day = Term::of(first_day).last_day().min(visit_window.end);
                let term = Term::of(first_day);
                let term = match terms.iter().position(|known| *known == term) {
                    Some(index) => index,
                    None => {
                        terms.push(term);
                        terms.len() - 1
                    }
                };
                stretches.push(Stretch {
                    window,
                    first_day,
                    last_day,
                    term,
                });
                match last_day.next_day() {
                    Some(next) => first_day = next,
                    None => break,
                }
            }
        }
        Visit {
            urn: &school.urn,
            trust: school.trust.as_ref().map(|trust| trust.as_str()),
            local_authority_code: school.local_authority_code,
            region: LocalAuthority::by_code(school.local_authority_code).map(|la| la.region),
            phase: school.phase,
            school_type: school.school_type,
            wanted_specialisms: wanted_specialisms(request),
            latest_visit_day: windows.iter().map(|w| w.end).max().unwrap_or(today),
            stretches,
            terms,
            other_is_special: lead.map_or(
                school.school_type == SchoolType::Special,
                from_special_school,
            ),
        }
    }
}

/// One reviewer against the request: a candidate, or every rule they break.
fn assess<'a>(
    record: &ReviewerRecord<'a>,
    request: &MatchRequest<'_>,
    visit: &Visit<'_>,
    settings: &ProgrammeSettings,
    today: Date,
    loads: &mut [u32],
    open_windows: &mut Vec<usize>,
) -> Result<Candidate<'a>, Vec<RuleOut>> {
    let reviewer = record.reviewer;
    let mut reasons = Vec::new();
    if is_own_school(reviewer, visit.urn) {
        reasons.push(RuleOut::OwnSchool);
    }
    if shares_trust(reviewer.trust.as_deref(), visit.trust) {
        reasons.push(RuleOut::SameTrust);
    }
    if settings.local_authority_conflict_rule
        && reviewer.local_authority.code == visit.local_authority_code
    {
        reasons.push(RuleOut::SameLocalAuthority);
    }
    let years = settings.recent_review_years;
    // A follow-up returns to the school its original lead reviewed: that one review is not a
    // conflict for them.
    let followed_up = request
        .follow_up_of
        .filter(|original| original.lead == reviewer.id)
        .map(|original| original.visit_date);
    if reviewed_recently(record.history, visit.urn, years, today, followed_up) {
        reasons.push(RuleOut::ReviewedRecently { years });
    }
    if reviewer.conflicts.contains(visit.urn) {
        reasons.push(RuleOut::DeclaredConflict);
    }
    if is_excluded(reviewer, request) {
        reasons.push(RuleOut::DeclinedOrExpired);
    }
    if let Some(problem) = dbs_problem(reviewer.dbs_checked_on, visit.latest_visit_day, today) {
        reasons.push(problem);
    }
    if !is_trained(reviewer.trained_on, today) {
        reasons.push(RuleOut::NotTrained);
    }
    if !reviewer.active {
        reasons.push(RuleOut::Inactive);
    }
    count_term_loads(record, &visit.terms, loads);
    let availability = check_windows(reviewer, &visit.stretches, loads, open_windows);
    if availability.at_capacity {
        reasons.push(RuleOut::AtCapacity);
    }
    if !availability.free_in_some_window {
        reasons.push(RuleOut::UnavailableInEveryWindow);
    }
    if !travels_to(reviewer, visit.region) {
        reasons.push(RuleOut::DoesNotTravelToRegion);
    }
    if request.role == Role::Lead && !reviewer.may_lead {
        reasons.push(RuleOut::MayNotLead);
    }
    match availability.reviews_in_visit_term {
        Some(reviews) if reasons.is_empty() => Ok(Candidate {
            reviewer,
            score: Score {
                original_lead: request.role == Role::Lead && followed_up.is_some(),
                ..score(reviewer, visit, request.role, reviews)
            },
            available_windows: open_windows.clone(),
        }),
        // Only reachable with reasons: no open window means a capacity or availability reason.
        _ => Err(reasons),
    }
}

fn is_own_school(reviewer: &Reviewer, school: &Urn) -> bool {
    reviewer.home_school_urn == *school
}

/// Both name a trust, and it is the same name ignoring case and surrounding space.
fn shares_trust(reviewer_trust: Option<&str>, school_trust: Option<&str>) -> bool {
    match (reviewer_trust.map(str::trim), school_trust.map(str::trim)) {
        // A blank name is no trust, not a trust shared with every other blank.
        (Some(ours), Some(theirs)) if !ours.is_empty() => ours
            .chars()
            .flat_map(char::to_lowercase)
            .eq(theirs.chars().flat_map(char::to_lowercase)),
        _ => false,
    }
}

/// They visited `school` `years` years before `today` or since (0 years: never counts); the
/// visit on `followed_up` (the review a follow-up returns to) does not count.
fn reviewed_recently(
    history: &[ReviewHistory],
    school: &Urn,
    years: u8,
    today: Date,
    followed_up: Option<Date>,
) -> bool {
    years > 0
        && history.iter().any(|review| {
            review.school == *school
                && Some(review.visit_date) != followed_up
                && review.visit_date <= today
                && within_years(review.visit_date, i32::from(years), today)
        })
}

/// Whether `day` is at most `years` whole years after `since` (the anniversary itself counts).
fn within_years(since: Date, years: i32, day: Date) -> bool {
    // Compared as (year, month, day), so 29 February needs no special case: its anniversary in
    // a common year falls after 28 February and before 1 March.
    (since.year() + years, since.month() as u8, since.day())
        >= (day.year(), day.month() as u8, day.day())
}

fn is_excluded(reviewer: &Reviewer, request: &MatchRequest<'_>) -> bool {
    request.excluded.contains(&reviewer.id)
        || request.lead.is_some_and(|lead| lead.id == reviewer.id)
}

/// What is wrong with a DBS check for a visit that may be as late as `latest_visit_day`.
fn dbs_problem(checked_on: Option<Date>, latest_visit_day: Date, today: Date) -> Option<RuleOut> {
    match checked_on {
        // A check dated after today has not happened: a mistyped date, not a certificate.
        None => Some(RuleOut::NoDbsCheck),
        Some(checked_on) if checked_on > today => Some(RuleOut::NoDbsCheck),
        Some(checked_on) if !within_years(checked_on, DBS_VALID_FOR_YEARS, latest_visit_day) => {
            Some(RuleOut::DbsOutOfDate)
        }
        Some(_) => None,
    }
}

fn is_trained(trained_on: Option<Date>, today: Date) -> bool {
    trained_on.is_some_and(|trained_on| trained_on <= today)
}

fn travels_to(reviewer: &Reviewer, region: Option<Region>) -> bool {
    region.is_some_and(|region| reviewer.regions.contains(&region))
}

/// Fills `loads[i]` with the reviewer's reviews and open offers in `terms[i]`.
fn count_term_loads(record: &ReviewerRecord<'_>, terms: &[Term], loads: &mut [u32]) {
    loads.fill(0);
    let visit_dates = record
        .history
        .iter()
        .map(|review| review.visit_date)
        .chain(record.open_offers.iter().copied());
    for date in visit_dates {
        let term = Term::of(date);
        if let Some(index) = terms.iter().position(|known| *known == term) {
            loads[index] = loads[index].saturating_add(1);
        }
    }
}

struct Availability {
    free_in_some_window: bool,
    at_capacity: bool,
    /// The least load among the open windows' terms; `None` when no window is open.
    reviews_in_visit_term: Option<u32>,
}

/// Which windows are open to the reviewer (into `open_windows`): a window is open when it has
/// a weekday they are free on in a term where they have room.
fn check_windows(
    reviewer: &Reviewer,
    stretches: &[Stretch],
    loads: &[u32],
    open_windows: &mut Vec<usize>,
) -> Availability {
    open_windows.clear();
    let capacity = u32::from(reviewer.capacity_per_term);
    let mut free_anywhere = false;
    let mut room_anywhere = false;
    let mut least_load: Option<u32> = None;
    for stretch in stretches {
        let load = loads[stretch.term];
        let has_room = load < capacity;
        let is_free = has_free_weekday(stretch.first_day, stretch.last_day, &reviewer.unavailable);
        free_anywhere |= is_free;
        room_anywhere |= has_room;
        if is_free && has_room {
            least_load = Some(least_load.map_or(load, |least| least.min(load)));
            if open_windows.last() != Some(&stretch.window) {
                open_windows.push(stretch.window);
            }
        }
    }
    // Capacity is the reason when it is what stops them: full wherever they are free, or (when
    // they are free nowhere) full in every visit term too. With no windows at all, only a
    // capacity of 0 is a capacity problem.
    let at_capacity = capacity == 0
        || if free_anywhere {
            least_load.is_none()
        } else {
            !stretches.is_empty() && !room_anywhere
        };
    Availability {
        free_in_some_window: free_anywhere,
        at_capacity,
        reviews_in_visit_term: least_load,
    }
}

/// Whether some weekday from `first_day` to `last_day` is outside every unavailable range.
fn has_free_weekday(first_day: Date, last_day: Date, unavailable: &[DateRange]) -> bool {
    let mut day = first_weekday_from(first_day);
    while let Some(weekday) = day.filter(|day| *day <= last_day) {
        match unavailable.iter().find(|range| range.contains(weekday)) {
            None => return true,
            // Jump past the whole range: each range is jumped at most once.
            Some(range) => day = range.end().next_day().and_then(first_weekday_from),
        }
    }
    false
}

fn first_weekday_from(date: Date) -> Option<Date> {
    match date.weekday() {
        Weekday::Saturday => date.next_day()?.next_day(),
        Weekday::Sunday => date.next_day(),
        _ => Some(date),
    }
}

/// A set of specialisms as bits, so matching one reviewer allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct SpecialismSet(u16);

impl SpecialismSet {
    fn insert(&mut self, specialism: Specialism) {
        self.0 |= 1 << specialism as u16;
    }

    fn of(specialisms: &[Specialism]) -> Self {
        let mut set = SpecialismSet::default();
        for specialism in specialisms {
            set.insert(*specialism);
        }
        set
    }

    fn shared_with(self, other: SpecialismSet) -> u32 {
        (self.0 & other.0).count_ones()
    }
}

fn specialisms_for_need(need: AreaOfNeed) -> &'static [Specialism] {
    match need {
        AreaOfNeed::CommunicationAndInteraction => {
            &[Specialism::SpeechLanguageCommunication, Specialism::Autism]
        }
        AreaOfNeed::CognitionAndLearning => &[Specialism::SpecificLearningDifficulties],
        AreaOfNeed::SocialEmotionalMentalHealth => &[Specialism::Semh],
        AreaOfNeed::SensoryPhysical => &[Specialism::Sensory, Specialism::Physical],
    }
}

fn specialism_for_review_type(review_type: ReviewType) -> Option<Specialism> {
    match review_type {
        ReviewType::TaDeployment => Some(Specialism::TaDeployment),
        ReviewType::PreparingForAdulthood => Some(Specialism::PreparingForAdulthood),
        ReviewType::AlternativeProvision => Some(Specialism::AlternativeProvision),
        ReviewType::SendReview | ReviewType::TrustSend => None,
    }
}

fn wanted_specialisms(request: &ReviewRequest) -> SpecialismSet {
    let mut wanted = SpecialismSet::default();
    for need in &request.school.areas_of_need {
        for specialism in specialisms_for_need(*need) {
            wanted.insert(*specialism);
        }
    }
    if let Some(specialism) = specialism_for_review_type(request.review_type) {
        wanted.insert(specialism);
    }
    wanted
}

/// Treated as "from a special school" (see the module docs for why this is a simplification).
fn from_special_school(reviewer: &Reviewer) -> bool {
    reviewer.school_types.contains(&SchoolType::Special)
}

fn score(reviewer: &Reviewer, visit: &Visit<'_>, role: Role, reviews_in_visit_term: u32) -> Score {
    Score {
        phase_fit: phase_fit_points(reviewer, visit.phase),
        school_type_fit: school_type_fit_points(reviewer, visit.school_type),
        specialisms: specialism_points(reviewer, visit.wanted_specialisms),
        home_region: home_region_points(reviewer, visit.region),
        load_spread: load_spread_points(reviews_in_visit_term),
        special_mainstream_mix: mix_points(reviewer, role, visit.other_is_special),
        reviews_in_visit_term,
        original_lead: false,
    }
}

fn phase_fit_points(reviewer: &Reviewer, phase: Phase) -> i32 {
    if reviewer.phases.contains(&phase) {
        PHASE_FIT_POINTS
    } else {
        0
    }
}

fn school_type_fit_points(reviewer: &Reviewer, school_type: SchoolType) -> i32 {
    if reviewer.school_types.contains(&school_type) {
        SCHOOL_TYPE_FIT_POINTS
    } else {
        0
    }
}

fn specialism_points(reviewer: &Reviewer, wanted: SpecialismSet) -> i32 {
    let matches = SpecialismSet::of(&reviewer.specialisms).shared_with(wanted);
    // At most 10 specialisms exist, so the product cannot overflow.
    (matches as i32 * POINTS_PER_SPECIALISM).min(MAX_SPECIALISM_POINTS)
}

fn home_region_points(reviewer: &Reviewer, region: Option<Region>) -> i32 {
    if region == Some(reviewer.local_authority.region) {
        HOME_REGION_POINTS
    } else {
        0
    }
}

fn load_spread_points(reviews_in_visit_term: u32) -> i32 {
    let reviews = i32::try_from(reviews_in_visit_term).unwrap_or(i32::MAX);
    reviews.saturating_mul(-POINTS_OFF_PER_REVIEW_IN_TERM)
}

fn mix_points(reviewer: &Reviewer, role: Role, other_is_special: bool) -> i32 {
    if role == Role::Second && from_special_school(reviewer) != other_is_special {
        SPECIAL_MAINSTREAM_MIX_POINTS
    } else {
        0
    }
}

#[cfg(test)]
mod tests;
