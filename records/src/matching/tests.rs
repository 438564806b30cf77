use time::macros::date;

use super::fixtures::*;
use super::*;
use crate::domain::request::{Text, VisitWindow};

fn no_one() -> HashSet<Ulid> {
    HashSet::new()
}

/// Ranks `pool` for the lead of `request`, leaving out `excluded`.
fn rank_for_lead<'a>(
    request: &ReviewRequest,
    excluded: &HashSet<Ulid>,
    pool: &[ReviewerRecord<'a>],
) -> MatchOutcome<'a> {
    let match_request = MatchRequest {
        request,
        excluded,
        role: Role::Lead,
        lead: None,
        follow_up_of: None,
    };
    rank(&match_request, pool, &settings(), TODAY)
}

/// Runs the whole engine on a pool of one.
fn judge<'a>(
    record: ReviewerRecord<'a>,
    request: &ReviewRequest,
    role: Role,
    lead: Option<&Reviewer>,
    settings: &ProgrammeSettings,
) -> Result<Candidate<'a>, Vec<RuleOut>> {
    let excluded = no_one();
    let match_request = MatchRequest {
        request,
        excluded: &excluded,
        role,
        lead,
        follow_up_of: None,
    };
    let mut outcome = rank(&match_request, &[record], settings, TODAY);
    match (outcome.ranked.pop(), outcome.ruled_out.pop()) {
        (Some(candidate), None) => Ok(candidate),
        (None, Some((_, reasons))) => Err(reasons),
        other => panic!("one reviewer, judged once: {other:?}"),
    }
}

/// As the lead of the fixture request under the demo settings.
fn judge_lead(reviewer: &Reviewer) -> Result<Candidate<'_>, Vec<RuleOut>> {
    judge(record(reviewer), &request(), Role::Lead, None, &settings())
}

fn reasons(reviewer: &Reviewer) -> Vec<RuleOut> {
    judge_lead(reviewer).expect_err("ruled out")
}

/// Why the fixture reviewer, with one `change`, may not lead.
fn reasons_when(change: impl FnOnce(&mut Reviewer)) -> Vec<RuleOut> {
    let mut changed = reviewer(1);
    change(&mut changed);
    reasons(&changed)
}

fn windows(request: &mut ReviewRequest, windows: &[(Date, Date)]) {
    request.visit_windows = windows
        .iter()
        .map(|&(start, end)| VisitWindow { start, end })
        .collect();
}

fn review(school: &str, visit_date: Date) -> ReviewHistory {
    ReviewHistory {
        school: urn(school),
        visit_date,
    }
}

#[test]
fn the_fixture_reviewer_is_a_candidate_in_both_windows() {
    let ada = reviewer(1);
    let candidate = judge_lead(&ada).expect("eligible");
    assert_eq!(candidate.available_windows, [0, 1]);
    assert_eq!(
        candidate.score,
        Score {
            phase_fit: 30,
            school_type_fit: 20,
            home_region: 15,
            ..Score::default()
        }
    );
    assert_eq!(candidate.score.total(), 65);
}

#[test]
fn reviewers_are_never_sent_to_their_own_school() {
    let own = Reviewer {
        home_school_urn: urn(SCHOOL_URN),
        ..reviewer(1)
    };
    assert!(is_own_school(&own, &urn(SCHOOL_URN)));
    assert!(!is_own_school(&reviewer(1), &urn(SCHOOL_URN)));
    assert_eq!(reasons(&own), [RuleOut::OwnSchool]);
}

#[test]
fn the_same_trust_is_found_ignoring_case_and_surrounding_space() {
    assert!(shares_trust(
        Some(" oak VALLEY trust "),
        Some("Oak Valley Trust")
    ));
    assert!(shares_trust(Some("Ésprit Trust"), Some("ésprit trust")));
    assert!(!shares_trust(Some("Oak Valley Trust"), Some("Elm Trust")));
    assert!(!shares_trust(Some("Oak Valley Trust"), None));
    assert!(!shares_trust(None, Some("Oak Valley Trust")));
    assert!(!shares_trust(None, None));
    assert!(!shares_trust(Some("  "), Some(" ")), "blank is no trust");

    let mut in_a_trust = request();
    in_a_trust.school.trust = Some(Text::parse("Oak Valley Trust", 120, false).unwrap());
    let colleague = Reviewer {
        trust: Some("oak valley trust".into()),
        ..reviewer(1)
    };
    assert_eq!(
        judge(
            record(&colleague),
            &in_a_trust,
            Role::Lead,
            None,
            &settings()
        )
        .unwrap_err(),
        [RuleOut::SameTrust]
    );
}

#[test]
fn the_same_local_authority_is_a_conflict_only_while_the_rule_is_on() {
    let neighbour = Reviewer {
        local_authority: la(CAMDEN),
        ..reviewer(1)
    };
    assert_eq!(reasons(&neighbour), [RuleOut::SameLocalAuthority]);
    let one_la_programme = ProgrammeSettings {
        local_authority_conflict_rule: false,
        ..settings()
    };
    assert!(
        judge(
            record(&neighbour),
            &request(),
            Role::Lead,
            None,
            &one_la_programme
        )
        .is_ok()
    );
}

#[test]
fn a_school_reviewed_in_the_recent_years_is_ruled_out() {
    let school = urn(SCHOOL_URN);
    let on = |date: Date| [review(SCHOOL_URN, date)];
    // Exactly three years before today still counts; a day earlier does not.
    assert!(reviewed_recently(
        &on(date!(2023 - 11 - 23)),
        &school,
        3,
        TODAY,
        None
    ));
    assert!(!reviewed_recently(
        &on(date!(2023 - 11 - 22)),
        &school,
        3,
        TODAY,
        None
    ));
    assert!(reviewed_recently(&on(TODAY), &school, 3, TODAY, None));
    // A booking after today is load, not a past review.
    assert!(!reviewed_recently(
        &on(date!(2027 - 01 - 12)),
        &school,
        3,
        TODAY,
        None
    ));
    assert!(
        !reviewed_recently(&on(date!(2026 - 01 - 12)), &school, 0, TODAY, None),
        "0: no rule"
    );
    let elsewhere = [review("100999", date!(2026 - 01 - 12))];
    assert!(!reviewed_recently(&elsewhere, &school, 3, TODAY, None));

    let returning = reviewer(1);
    let history = on(date!(2025 - 03 - 04));
    let record = ReviewerRecord {
        history: &history,
        ..record(&returning)
    };
    assert_eq!(
        judge(record, &request(), Role::Lead, None, &settings()).unwrap_err(),
        [RuleOut::ReviewedRecently { years: 3 }]
    );
}

#[test]
fn whole_years_are_counted_by_the_calendar_even_from_29_february() {
    for (from, to, within) in [
        (date!(2023 - 05 - 10), date!(2026 - 05 - 10), true),
        (date!(2023 - 05 - 10), date!(2026 - 05 - 11), false),
        (date!(2024 - 02 - 29), date!(2027 - 02 - 28), true),
        (date!(2024 - 02 - 29), date!(2027 - 03 - 01), false),
        (date!(2025 - 02 - 28), date!(2028 - 02 - 29), false),
        (date!(2025 - 03 - 01), date!(2028 - 02 - 29), true),
    ] {
        assert_eq!(within_years(from, 3, to), within, "{from} to {to}");
    }
}

#[test]
fn a_declared_conflict_is_ruled_out() {
    let conflicted = reasons_when(|r| r.conflicts = vec![urn("100999"), urn(SCHOOL_URN)]);
    assert_eq!(conflicted, [RuleOut::DeclaredConflict]);
    let elsewhere = Reviewer {
        conflicts: vec![urn("100999")],
        ..reviewer(1)
    };
    assert!(judge_lead(&elsewhere).is_ok());
}

#[test]
fn excluded_reviewers_and_the_lead_are_not_offered_it_again() {
    let request = request();
    let (declined, lead, other) = (reviewer(1), reviewer(2), reviewer(3));
    let excluded = HashSet::from([declined.id]);
    let as_second = MatchRequest {
        request: &request,
        excluded: &excluded,
        role: Role::Second,
        lead: Some(&lead),
        follow_up_of: None,
    };
    assert!(is_excluded(&declined, &as_second));
    assert!(is_excluded(&lead, &as_second));
    assert!(!is_excluded(&other, &as_second));

    let pool = [record(&declined), record(&lead), record(&other)];
    let outcome = rank(&as_second, &pool, &settings(), TODAY);
    assert_eq!(outcome.ranked.len(), 1);
    assert_eq!(outcome.ranked[0].reviewer.id, other.id);
    for (_, reasons) in &outcome.ruled_out {
        assert_eq!(reasons, &[RuleOut::DeclinedOrExpired]);
    }
}

#[test]
fn a_dbs_check_must_exist_and_stay_in_date_until_the_latest_visit_day() {
    let latest = date!(2027 - 03 - 05);
    assert_eq!(dbs_problem(None, latest, TODAY), Some(RuleOut::NoDbsCheck));
    assert_eq!(
        dbs_problem(Some(date!(2026 - 12 - 01)), latest, TODAY),
        Some(RuleOut::NoDbsCheck),
        "a check dated after today has not happened yet"
    );
    assert_eq!(dbs_problem(Some(TODAY), latest, TODAY), None);
    assert_eq!(
        dbs_problem(Some(date!(2024 - 03 - 05)), latest, TODAY),
        None
    );
    assert_eq!(
        dbs_problem(Some(date!(2024 - 03 - 04)), latest, TODAY),
        Some(RuleOut::DbsOutOfDate)
    );

    // In date for the first window, not for the last: the latest window decides.
    let expiring = Reviewer {
        dbs_checked_on: Some(date!(2024 - 02 - 01)),
        ..reviewer(1)
    };
    assert_eq!(reasons(&expiring), [RuleOut::DbsOutOfDate]);
    let unchecked = Reviewer {
        dbs_checked_on: None,
        ..reviewer(1)
    };
    assert_eq!(reasons(&unchecked), [RuleOut::NoDbsCheck]);
}

#[test]
fn reviewers_must_be_trained_by_today() {
    assert!(is_trained(Some(TODAY), TODAY));
    assert!(is_trained(Some(date!(2019 - 09 - 01)), TODAY));
    assert!(!is_trained(Some(date!(2026 - 11 - 24)), TODAY));
    assert!(!is_trained(None, TODAY));
    let untrained = reasons_when(|r| r.trained_on = None);
    assert_eq!(untrained, [RuleOut::NotTrained]);
}

#[test]
fn inactive_reviewers_are_ruled_out() {
    assert_eq!(reasons_when(|r| r.active = false), [RuleOut::Inactive]);
}

#[test]
fn terms_follow_the_english_school_year() {
    assert_eq!(Term::of(date!(2026 - 09 - 01)), Term::Autumn(2026));
    assert_eq!(Term::of(date!(2026 - 12 - 31)), Term::Autumn(2026));
    assert_eq!(Term::of(date!(2027 - 01 - 01)), Term::Spring(2027));
    assert_eq!(Term::of(date!(2027 - 03 - 31)), Term::Spring(2027));
    assert_eq!(Term::of(date!(2027 - 04 - 01)), Term::Summer(2027));
    assert_eq!(Term::of(date!(2027 - 08 - 31)), Term::Summer(2027));
    assert!(Term::Summer(2027).contains(date!(2027 - 07 - 20)));
    assert!(!Term::Summer(2027).contains(date!(2026 - 07 - 20)));
    assert_eq!(
        Term::of(date!(2027 - 02 - 14)).last_day(),
        date!(2027 - 03 - 31)
    );
    assert_eq!(Term::Spring(2027).to_string(), "spring term 2027");
}

#[test]
fn load_counts_reviews_and_open_offers_in_each_term() {
    let ada = reviewer(1);
    let history = [
        review("100101", date!(2026 - 10 - 01)),
        review("100102", date!(2027 - 01 - 20)),
        review("100103", date!(2025 - 10 - 01)),
    ];
    let offers = [date!(2027 - 02 - 01), date!(2027 - 05 - 01)];
    let record = ReviewerRecord {
        reviewer: &ada,
        history: &history,
        open_offers: &offers,
    };
    let terms = [Term::Autumn(2026), Term::Spring(2027), Term::Summer(2027)];
    let mut loads = [9; 3];
    count_term_loads(&record, &terms, &mut loads);
    assert_eq!(loads, [1, 2, 1]);
}

#[test]
fn a_full_term_closes_its_windows_but_not_the_others() {
    let mut request = request();
    windows(
        &mut request,
        &[
            (date!(2026 - 12 - 14), date!(2026 - 12 - 18)),
            (date!(2027 - 01 - 11), date!(2027 - 01 - 22)),
        ],
    );
    let busy = reviewer(1);
    let history = [review("100101", date!(2026 - 10 - 05))];
    let spring = [date!(2027 - 01 - 25), date!(2027 - 02 - 08)];
    let record = ReviewerRecord {
        reviewer: &busy,
        history: &history,
        open_offers: &spring,
    };
    let candidate = judge(record, &request, Role::Lead, None, &settings()).unwrap();
    assert_eq!(candidate.available_windows, [0]);
    assert_eq!(candidate.score.reviews_in_visit_term, 1);

    let full = [
        review("100101", date!(2026 - 10 - 05)),
        review("100102", date!(2026 - 11 - 02)),
    ];
    let record = ReviewerRecord {
        history: &full,
        ..record
    };
    assert_eq!(
        judge(record, &request, Role::Lead, None, &settings()).unwrap_err(),
        [RuleOut::AtCapacity]
    );
}

#[test]
fn a_capacity_of_zero_is_never_eligible() {
    let paused = reasons_when(|r| r.capacity_per_term = 0);
    assert_eq!(paused, [RuleOut::AtCapacity]);
}

#[test]
fn only_free_weekdays_keep_a_window_open() {
    let range = |text: &str| text.parse::<DateRange>().unwrap();
    // Saturday 16 and Sunday 17 January 2027.
    assert!(!has_free_weekday(
        date!(2027 - 01 - 16),
        date!(2027 - 01 - 17),
        &[]
    ));
    assert!(has_free_weekday(
        date!(2027 - 01 - 16),
        date!(2027 - 01 - 18),
        &[]
    ));
    let week = (date!(2027 - 01 - 11), date!(2027 - 01 - 15));
    let overlapping = [
        range("2027-01-13..2027-01-20"),
        range("2027-01-09..2027-01-13"),
    ];
    assert!(!has_free_weekday(week.0, week.1, &overlapping));
    let gap = [
        range("2027-01-14..2027-01-20"),
        range("2027-01-09..2027-01-12"),
    ];
    assert!(has_free_weekday(week.0, week.1, &gap), "13 January is free");
    assert!(!has_free_weekday(
        date!(2027 - 01 - 15),
        date!(2027 - 01 - 14),
        &[]
    ));
}

#[test]
fn a_reviewer_away_for_every_window_is_unavailable() {
    let away = Reviewer {
        unavailable: vec![
            "2027-01-04..2027-01-29".parse().unwrap(),
            "2027-02-22..2027-03-05".parse().unwrap(),
        ],
        ..reviewer(1)
    };
    assert_eq!(reasons(&away), [RuleOut::UnavailableInEveryWindow]);
    let back_in_march = Reviewer {
        unavailable: vec!["2027-01-04..2027-03-04".parse().unwrap()],
        ..reviewer(1)
    };
    assert_eq!(judge_lead(&back_in_march).unwrap().available_windows, [1]);
}

#[test]
fn a_window_across_a_term_boundary_is_judged_day_by_day() {
    let mut request = request();
    windows(
        &mut request,
        &[(date!(2026 - 12 - 14), date!(2027 - 01 - 15))],
    );
    let spring_full = [date!(2027 - 02 - 01), date!(2027 - 02 - 15)];
    let away_in_december = Reviewer {
        unavailable: vec!["2026-12-14..2026-12-31".parse().unwrap()],
        ..reviewer(1)
    };
    let away_record = ReviewerRecord {
        open_offers: &spring_full,
        ..record(&away_in_december)
    };
    // Free only in January, and the spring term is full.
    assert_eq!(
        judge(away_record, &request, Role::Lead, None, &settings()).unwrap_err(),
        [RuleOut::AtCapacity]
    );
    let free_in_december = reviewer(2);
    let free_record = ReviewerRecord {
        open_offers: &spring_full,
        ..record(&free_in_december)
    };
    let candidate = judge(free_record, &request, Role::Lead, None, &settings()).unwrap();
    assert_eq!(candidate.available_windows, [0]);
    assert_eq!(candidate.score.reviews_in_visit_term, 0);
}

#[test]
fn reviewers_must_travel_to_the_schools_region() {
    let northerner = Reviewer {
        local_authority: la(BIRMINGHAM),
        regions: vec![Region::WestMidlands, Region::NorthWest],
        ..reviewer(1)
    };
    assert!(!travels_to(&northerner, Some(Region::London)));
    assert!(
        !travels_to(&reviewer(1), None),
        "an unknown region is nowhere they go"
    );
    assert_eq!(reasons(&northerner), [RuleOut::DoesNotTravelToRegion]);
}

#[test]
fn only_a_lead_must_be_allowed_to_lead() {
    let supporter = Reviewer {
        may_lead: false,
        ..reviewer(1)
    };
    assert_eq!(reasons(&supporter), [RuleOut::MayNotLead]);
    assert!(
        judge(
            record(&supporter),
            &request(),
            Role::Second,
            None,
            &settings()
        )
        .is_ok()
    );
}

#[test]
fn every_broken_rule_is_reported_not_just_the_first() {
    let hopeless = Reviewer {
        home_school_urn: urn(SCHOOL_URN),
        local_authority: la(CAMDEN),
        conflicts: vec![urn(SCHOOL_URN)],
        dbs_checked_on: None,
        trained_on: None,
        active: false,
        capacity_per_term: 0,
        unavailable: vec!["2027-01-01..2027-03-31".parse().unwrap()],
        regions: vec![Region::SouthWest],
        may_lead: false,
        ..reviewer(1)
    };
    let history = [review(SCHOOL_URN, date!(2025 - 01 - 01))];
    let record = ReviewerRecord {
        history: &history,
        ..record(&hopeless)
    };
    let excluded = HashSet::from([hopeless.id]);
    let request = request();
    let outcome = rank_for_lead(&request, &excluded, &[record]);
    assert_eq!(
        outcome.ruled_out[0].1,
        [
            RuleOut::OwnSchool,
            RuleOut::SameLocalAuthority,
            RuleOut::ReviewedRecently { years: 3 },
            RuleOut::DeclaredConflict,
            RuleOut::DeclinedOrExpired,
            RuleOut::NoDbsCheck,
            RuleOut::NotTrained,
            RuleOut::Inactive,
            RuleOut::AtCapacity,
            RuleOut::UnavailableInEveryWindow,
            RuleOut::DoesNotTravelToRegion,
            RuleOut::MayNotLead,
        ]
    );
}

#[test]
fn descriptions_name_no_school_and_nothing_personal() {
    let all = [
        RuleOut::OwnSchool,
        RuleOut::SameTrust,
        RuleOut::SameLocalAuthority,
        RuleOut::ReviewedRecently { years: 1 },
        RuleOut::ReviewedRecently { years: 3 },
        RuleOut::DeclaredConflict,
        RuleOut::DeclinedOrExpired,
        RuleOut::NoDbsCheck,
        RuleOut::DbsOutOfDate,
        RuleOut::NotTrained,
        RuleOut::Inactive,
        RuleOut::AtCapacity,
        RuleOut::UnavailableInEveryWindow,
        RuleOut::DoesNotTravelToRegion,
        RuleOut::MayNotLead,
    ];
    let descriptions: HashSet<String> = all.iter().map(ToString::to_string).collect();
    assert_eq!(
        descriptions.len(),
        all.len(),
        "each says something different"
    );
    for description in &descriptions {
        // They read after a name the caller may show: "Ada Okafor works at this school".
        assert!(
            description.starts_with(|c: char| c.is_ascii_lowercase()),
            "{description}"
        );
        assert!(!description.contains("Brook") && !description.contains(SCHOOL_URN));
    }
    assert_eq!(
        RuleOut::ReviewedRecently { years: 3 }.description(),
        "reviewed this school in the last 3 years"
    );
    assert_eq!(
        RuleOut::ReviewedRecently { years: 1 }.description(),
        "reviewed this school in the last year"
    );
}

mod ranking;
