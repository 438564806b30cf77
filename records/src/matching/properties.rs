//! Property tests: random pools and requests, judged against the hard rules restated plainly
//! here (day by day, without the engine's helpers), so a shared mistake cannot hide.

use std::cmp::Reverse;
use std::collections::HashSet;
use std::ptr;

use proptest::prelude::*;
use proptest::sample::{Index, select, subsequence};
use time::{Date, Duration, Month, Weekday};
use ulid::Ulid;

use super::fixtures::{TODAY, request as fixture_request, settings as fixture_settings, urn};
use super::{Candidate, MatchRequest, ReviewHistory, ReviewerRecord, Role, rank};
use crate::domain::request::{ReviewRequest, ReviewType, Text, VisitWindow};
use crate::domain::{
    AreaOfNeed, DateRange, LocalAuthority, Phase, Region, SchoolType, Specialism, Urn,
};
use crate::programme::ProgrammeSettings;
use crate::reviewers::Reviewer;

/// Few enough that reviewers' homes, conflicts and histories often hit the requesting school.
const URNS: &[&str] = &["100000", "100001", "100002", "100003", "100004", "100005"];
/// Spelt differently on purpose: the same trust must be found whatever the case and spacing.
const TRUSTS: &[&str] = &[
    "Oak Valley Trust",
    " oak valley TRUST",
    "Elm Academies",
    "ELM academies ",
    "Ash Learning Partnership",
    "  ",
];
/// Camden, Hackney, Islington (London), Birmingham, Kent: same-LA and same-region clashes.
const NEARBY_LA_CODES: &[u16] = &[202, 204, 206, 330, 886];

#[derive(Debug, Clone)]
struct GeneratedReviewer {
    reviewer: Reviewer,
    history: Vec<ReviewHistory>,
    open_offers: Vec<Date>,
    excluded: bool,
}

#[derive(Debug, Clone)]
struct Scenario {
    request: ReviewRequest,
    role: Role,
    /// For a second: which pool member leads, if one does yet.
    lead: Option<Index>,
    local_authority_conflict_rule: bool,
    recent_review_years: u8,
    pool: Vec<GeneratedReviewer>,
}

impl Scenario {
    fn settings(&self) -> ProgrammeSettings {
        ProgrammeSettings {
            local_authority_conflict_rule: self.local_authority_conflict_rule,
            recent_review_years: self.recent_review_years,
            ..fixture_settings()
        }
    }

    fn records(&self) -> Vec<ReviewerRecord<'_>> {
        self.pool
            .iter()
            .map(|generated| ReviewerRecord {
                reviewer: &generated.reviewer,
                history: &generated.history,
                open_offers: &generated.open_offers,
            })
            .collect()
    }

    fn excluded(&self) -> HashSet<Ulid> {
        self.pool
            .iter()
            .filter(|generated| generated.excluded)
            .map(|generated| generated.reviewer.id)
            .collect()
    }

    fn lead(&self) -> Option<&Reviewer> {
        match self.role {
            Role::Lead => None,
            Role::Second => self.lead.map(|index| &index.get(&self.pool).reviewer),
        }
    }
}

fn a_urn() -> impl Strategy<Value = Urn> {
    select(URNS).prop_map(urn)
}

fn a_day(from: i64, to: i64) -> impl Strategy<Value = Date> {
    (from..=to).prop_map(|offset| TODAY + Duration::days(offset))
}

fn a_local_authority() -> impl Strategy<Value = &'static LocalAuthority> {
    prop_oneof![
        select(NEARBY_LA_CODES)
            .prop_map(|code| LocalAuthority::by_code(code).expect("a bundled LA code")),
        any::<Index>().prop_map(|index| index.get(LocalAuthority::all())),
    ]
}

fn a_trust() -> impl Strategy<Value = Option<String>> {
    prop::option::of(select(TRUSTS).prop_map(str::to_owned))
}

fn some_of<T: Clone + std::fmt::Debug>(
    all: &'static [T],
    at_least: usize,
) -> impl Strategy<Value = Vec<T>> {
    subsequence(all, at_least..=all.len())
}

fn an_unavailable_range() -> impl Strategy<Value = DateRange> {
    (a_day(-30, 400), 0_i64..40).prop_map(|(start, days)| {
        DateRange::new(start, start + Duration::days(days)).expect("ends on or after its start")
    })
}

fn a_reviewer() -> impl Strategy<Value = GeneratedReviewer> {
    let who = (
        any::<u128>(),
        a_urn(),
        a_trust(),
        a_local_authority(),
        // Often everywhere, so enough reviewers pass to test the ranking order.
        prop_oneof![Just(Region::ALL.to_vec()), some_of(Region::ALL, 1)],
        some_of(Phase::ALL, 1),
        some_of(SchoolType::ALL, 1),
        some_of(Specialism::ALL, 0),
    );
    let standing = (
        prop::bool::weighted(0.7),
        prop::option::weighted(0.9, a_day(-1500, 30)),
        prop::option::weighted(0.9, a_day(-1300, 30)),
        0_u8..=4,
        prop::collection::vec(an_unavailable_range(), 0..4),
        prop::collection::vec(a_urn(), 0..2),
        prop::bool::weighted(0.9),
    );
    let workload = (
        prop::collection::vec((a_urn(), a_day(-1500, 400)), 0..6),
        prop::collection::vec(a_day(-30, 400), 0..3),
        prop::bool::weighted(0.1),
    );
    (who, standing, workload).prop_map(
        |(
            (
                random,
                home_school_urn,
                trust,
                local_authority,
                regions,
                phases,
                school_types,
                specialisms,
            ),
            (
                may_lead,
                trained_on,
                dbs_checked_on,
                capacity_per_term,
                unavailable,
                conflicts,
                active,
            ),
            (history, open_offers, excluded),
        )| GeneratedReviewer {
            reviewer: Reviewer {
                // Made unique per pool in `a_scenario`.
                id: Ulid(random),
                name: "Sam Reviewer".into(),
                email: "sam@example.sch.uk".into(),
                home_school_urn,
                trust,
                local_authority,
                regions,
                phases,
                school_types,
                specialisms,
                may_lead,
                trained_on,
                dbs_checked_on,
                capacity_per_term,
                unavailable,
                conflicts,
                active,
            },
            history: history
                .into_iter()
                .map(|(school, visit_date)| ReviewHistory { school, visit_date })
                .collect(),
            open_offers,
            excluded,
        },
    )
}

fn a_request() -> impl Strategy<Value = ReviewRequest> {
    (
        a_urn(),
        a_local_authority(),
        a_trust(),
        select(Phase::ALL),
        select(SchoolType::ALL),
        some_of(AreaOfNeed::ALL, 1),
        select(ReviewType::ALL),
        prop::collection::vec((21_i64..=340, 0_i64..=25), 0..4),
    )
        .prop_map(
            |(urn, la, trust, phase, school_type, needs, review_type, windows)| {
                let mut request = fixture_request();
                request.school.urn = urn;
                request.school.local_authority_code = la.code;
                // A blank name is no trust: `Text` refuses it.
                request.school.trust = trust.and_then(|name| Text::parse(&name, 120, false).ok());
                request.school.phase = phase;
                request.school.school_type = school_type;
                request.school.areas_of_need = needs;
                request.review_type = review_type;
                request.visit_windows = windows
                    .into_iter()
                    .map(|(from_today, days)| {
                        let start = TODAY + Duration::days(from_today);
                        VisitWindow {
                            start,
                            end: start + Duration::days(days),
                        }
                    })
                    .collect();
                request
            },
        )
}

fn a_scenario() -> impl Strategy<Value = Scenario> {
    (
        a_request(),
        prop_oneof![Just(Role::Lead), Just(Role::Second)],
        prop::option::of(any::<Index>()),
        any::<bool>(),
        0_u8..=5,
        prop::collection::vec(a_reviewer(), 1..=60),
    )
        .prop_map(
            |(
                request,
                role,
                lead,
                local_authority_conflict_rule,
                recent_review_years,
                mut pool,
            )| {
                for (position, generated) in pool.iter_mut().enumerate() {
                    let random = generated.reviewer.id.0;
                    generated.reviewer.id = Ulid((random << 8) | position as u128);
                }
                Scenario {
                    request,
                    role,
                    lead,
                    local_authority_conflict_rule,
                    recent_review_years,
                    pool,
                }
            },
        )
}

/// The date `years` years before `date`; from 29 February into a common year, 1 March.
fn years_before(date: Date, years: i32) -> Date {
    date.replace_year(date.year() - years).unwrap_or_else(|_| {
        Date::from_calendar_date(date.year() - years, Month::March, 1).expect("a real date")
    })
}

/// (year, 0 autumn / 1 spring / 2 summer): September–December, January–March, April–August.
fn school_term(date: Date) -> (i32, u8) {
    let term = match date.month() as u8 {
        9..=12 => 0,
        1..=3 => 1,
        _ => 2,
    };
    (date.year(), term)
}

/// Each window the reviewer could take, with the least load among its usable days, found by
/// walking every day.
fn plainly_open_windows(
    generated: &GeneratedReviewer,
    request: &ReviewRequest,
) -> Vec<(usize, usize)> {
    let reviewer = &generated.reviewer;
    let load_in = |term| {
        generated
            .history
            .iter()
            .map(|review| review.visit_date)
            .chain(generated.open_offers.iter().copied())
            .filter(|date| school_term(*date) == term)
            .count()
    };
    let mut open = Vec::new();
    for (index, window) in request.visit_windows.iter().enumerate() {
        let mut least_load: Option<usize> = None;
        let mut day = window.start;
        while day <= window.end {
            let weekday = !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday);
            let away = reviewer
                .unavailable
                .iter()
                .any(|range| range.start() <= day && day <= range.end());
            let load = load_in(school_term(day));
            if weekday && !away && load < usize::from(reviewer.capacity_per_term) {
                least_load = Some(least_load.map_or(load, |least| least.min(load)));
            }
            day += Duration::days(1);
        }
        if let Some(load) = least_load {
            open.push((index, load));
        }
    }
    open
}

/// Every hard rule, written out as plainly as possible.
fn plainly_eligible(
    generated: &GeneratedReviewer,
    scenario: &Scenario,
    excluded: &HashSet<Ulid>,
    lead: Option<&Reviewer>,
) -> bool {
    let reviewer = &generated.reviewer;
    let school = &scenario.request.school;
    let same_trust = match (&reviewer.trust, &school.trust) {
        (Some(ours), Some(theirs)) => {
            let ours = ours.trim().to_lowercase();
            !ours.is_empty() && ours == theirs.as_str().trim().to_lowercase()
        }
        _ => false,
    };
    let years = i32::from(scenario.recent_review_years);
    let reviewed_recently = years > 0
        && generated.history.iter().any(|review| {
            review.school == school.urn
                && review.visit_date <= TODAY
                && review.visit_date >= years_before(TODAY, years)
        });
    let latest_visit_day = scenario
        .request
        .visit_windows
        .iter()
        .map(|window| window.end)
        .max()
        .unwrap_or(TODAY);
    let school_region = LocalAuthority::by_code(school.local_authority_code).map(|la| la.region);
    let same_local_authority = scenario.local_authority_conflict_rule
        && reviewer.local_authority.code == school.local_authority_code;

    reviewer.home_school_urn != school.urn
        && !same_trust
        && !same_local_authority
        && !reviewed_recently
        && !reviewer.conflicts.contains(&school.urn)
        && !excluded.contains(&reviewer.id)
        && lead.is_none_or(|lead| lead.id != reviewer.id)
        && reviewer
            .dbs_checked_on
            .is_some_and(|checked| checked <= TODAY && checked >= years_before(latest_visit_day, 3))
        && reviewer.trained_on.is_some_and(|trained| trained <= TODAY)
        && reviewer.active
        && !plainly_open_windows(generated, &scenario.request).is_empty()
        && school_region.is_some_and(|region| reviewer.regions.contains(&region))
        && (scenario.role == Role::Second || reviewer.may_lead)
}

fn documented_order(candidate: &Candidate<'_>) -> (Reverse<i32>, u32, String) {
    (
        Reverse(candidate.score.total()),
        candidate.score.reviews_in_visit_term,
        candidate.reviewer.id.to_string(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn candidates_keep_every_hard_rule_and_the_pool_is_split_cleanly(scenario in a_scenario()) {
        let settings = scenario.settings();
        let pool = scenario.records();
        let excluded = scenario.excluded();
        let lead = scenario.lead();
        let match_request = MatchRequest {
            request: &scenario.request,
            excluded: &excluded,
            role: scenario.role,
            lead,
            follow_up_of: None,
        };
        let outcome = rank(&match_request, &pool, &settings, TODAY);

        prop_assert_eq!(outcome.ranked.len() + outcome.ruled_out.len(), scenario.pool.len());
        for (position, generated) in scenario.pool.iter().enumerate() {
            let ranked = outcome
                .ranked
                .iter()
                .filter(|candidate| ptr::eq(candidate.reviewer, &generated.reviewer))
                .count();
            let ruled_out = outcome
                .ruled_out
                .iter()
                .filter(|(reviewer, _)| ptr::eq(*reviewer, &generated.reviewer))
                .count();
            prop_assert_eq!(ranked + ruled_out, 1, "reviewer {} is on both sides or neither", position);
            let eligible = plainly_eligible(generated, &scenario, &excluded, lead);
            prop_assert_eq!(ranked == 1, eligible, "reviewer {} judged wrongly: {:?}", position, outcome.ruled_out.iter().find(|(r, _)| ptr::eq(*r, &generated.reviewer)));
        }

        for candidate in &outcome.ranked {
            let generated = scenario
                .pool
                .iter()
                .find(|generated| ptr::eq(&generated.reviewer, candidate.reviewer))
                .expect("candidates come from the pool");
            prop_assert!(plainly_eligible(generated, &scenario, &excluded, lead));
            let open = plainly_open_windows(generated, &scenario.request);
            let open_windows: Vec<usize> = open.iter().map(|(window, _)| *window).collect();
            prop_assert_eq!(&candidate.available_windows, &open_windows);
            let least_load = open.iter().map(|(_, load)| *load as u32).min();
            prop_assert_eq!(Some(candidate.score.reviews_in_visit_term), least_load);
        }
        for (_, reasons) in &outcome.ruled_out {
            prop_assert!(!reasons.is_empty(), "ruled out without a reason");
        }
        for pair in outcome.ranked.windows(2) {
            prop_assert!(documented_order(&pair[0]) <= documented_order(&pair[1]), "out of order: {:?}", pair);
        }
    }

    #[test]
    fn the_same_input_gives_the_same_order_whatever_the_pool_order(scenario in a_scenario()) {
        let settings = scenario.settings();
        let pool = scenario.records();
        let excluded = scenario.excluded();
        let match_request = MatchRequest {
            request: &scenario.request,
            excluded: &excluded,
            role: scenario.role,
            lead: scenario.lead(),
            follow_up_of: None,
        };
        let summary = |pool: &[ReviewerRecord<'_>]| {
            let outcome = rank(&match_request, pool, &settings, TODAY);
            let ranked: Vec<_> = outcome
                .ranked
                .iter()
                .map(|c| (c.reviewer.id, c.score, c.available_windows.clone()))
                .collect();
            let mut ruled_out: Vec<_> = outcome
                .ruled_out
                .iter()
                .map(|(reviewer, reasons)| (reviewer.id, reasons.clone()))
                .collect();
            ruled_out.sort_by_key(|(id, _)| *id);
            (ranked, ruled_out)
        };
        let first = summary(&pool);
        prop_assert_eq!(&summary(&pool), &first);
        let reversed: Vec<_> = pool.iter().rev().copied().collect();
        prop_assert_eq!(&summary(&reversed), &first);
    }
}
