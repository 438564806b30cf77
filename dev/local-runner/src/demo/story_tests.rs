//! The demo tells the same story on every day of the next two years: the same reviewers are
//! eligible for the same requests, ruled out for the same reasons, and the browser tests that
//! book demo reviewers find a visit day and a place in the term, whatever day the stack starts.
//! Cheap (no stack): the product's own CSV parser and matching rules, day by day.

use std::collections::HashSet;

use records::domain::request::{RawReviewRequest, ReviewRequest};
use records::programme::ProgrammeSettings;
use records::reviewers::{self, Reviewer};
use time::{Date, Duration, OffsetDateTime, Weekday};
use workflows::matching::{
    self, MatchRequest, OriginalReview, ReviewHistory, ReviewerRecord, Role, RuleOut, Term,
};
use workflows::report::reminders::add_working_days;

use super::{REVIEWERS_CSV, pool, reviewers_csv};

/// Every day from today to two years ahead.
fn next_two_years() -> impl Iterator<Item = Date> {
    let today = OffsetDateTime::now_utc().date();
    (0..=731).map(move |n| today + Duration::days(n))
}

/// The request the browser tests send for a school, with two visit windows given in days from
/// `today` (as `school.mjs` and `review.mjs` do).
fn request(
    la: &str,
    phase: &str,
    windows: [(i64, i64); 2],
    today: Date,
    urn: &str,
) -> ReviewRequest {
    let day = |n: i64| (today + Duration::days(n)).to_string();
    let raw = RawReviewRequest {
        urn: urn.into(),
        school_name: "Demo School".into(),
        phase: phase.into(),
        school_type: "mainstream".into(),
        local_authority: la.into(),
        trust: "".into(),
        postcode: "CV1 2GT".into(),
        number_on_roll: "900".into(),
        sen_support_percent: "12.5".into(),
        ehc_plan_percent: "2.1".into(),
        areas_of_need: vec!["cognition_and_learning".into()],
        review_type: "send_review".into(),
        focus_scope: "all".into(),
        focus_areas: vec![],
        visit_windows: windows.iter().map(|&(a, b)| (day(a), day(b))).collect(),
        learning_goal: "How well our teaching assistants are deployed.".into(),
        contact_name: "Jo Park".into(),
        contact_role: "SENCO".into(),
        contact_email: "jo.park@example.sch.uk".into(),
        contact_phone: "".into(),
        no_pupil_named: true,
        privacy_notice_accepted: true,
        reciprocal: false,
    };
    ReviewRequest::parse(&raw, today).unwrap_or_else(|e| panic!("{today}: {e:?}"))
}

/// Who may lead `request` on `today`, best first, and every other reviewer with the rules they break.
fn outcome(
    request: &ReviewRequest,
    pool: &[Reviewer],
    history: &[(usize, Vec<ReviewHistory>)],
    follow_up_of: Option<OriginalReview>,
    today: Date,
) -> (Vec<String>, Vec<(String, Vec<RuleOut>)>) {
    let none = Vec::new();
    let records: Vec<ReviewerRecord<'_>> = pool
        .iter()
        .enumerate()
        .map(|(i, reviewer)| ReviewerRecord {
            reviewer,
            history: history
                .iter()
                .find(|(at, _)| *at == i)
                .map_or(&none, |(_, h)| h),
            open_offers: &[],
        })
        .collect();
    let excluded = HashSet::new();
    let ask = MatchRequest {
        request,
        excluded: &excluded,
        role: Role::Lead,
        lead: None,
        follow_up_of,
    };
    let result = matching::rank(&ask, &records, &ProgrammeSettings::demo(), today);
    (
        result
            .ranked
            .iter()
            .map(|c| c.reviewer.name.clone())
            .collect(),
        result
            .ruled_out
            .iter()
            .map(|(r, why)| (r.name.clone(), why.clone()))
            .collect(),
    )
}

/// The first weekday `from`..=`to` days after `today` on which `reviewer` can visit (what
/// `review.mjs` looks for with the pool it reads from the stack).
fn visit_day(reviewer: &Reviewer, today: Date, from: i64, to: i64) -> Option<Date> {
    (from..=to).map(|n| today + Duration::days(n)).find(|day| {
        !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday)
            && !reviewer.unavailable.iter().any(|r| r.contains(*day))
    })
}

fn named<'a>(pool: &'a [Reviewer], name: &str) -> (usize, &'a Reviewer) {
    pool.iter()
        .enumerate()
        .find(|(_, r)| r.name == name)
        .unwrap_or_else(|| panic!("{name} is in the demo pool"))
}

#[test]
fn the_demo_file_resolves_and_parses_with_the_same_pool_every_day() {
    let calendar_date = REVIEWERS_CSV.as_bytes().windows(10).find(|w| {
        w.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
    });
    assert_eq!(
        calendar_date.map(String::from_utf8_lossy),
        None,
        "dev/demo/reviewers.csv writes its dates relative to today, never as calendar dates"
    );
    for today in next_two_years() {
        let pool = pool(today).unwrap_or_else(|e| panic!("{today}: {e}"));
        assert_eq!(pool.len(), 20);
        assert_eq!(pool.iter().filter(|r| r.may_lead).count(), 14);
        assert_eq!(pool.iter().filter(|r| !r.active).count(), 1);
        assert_eq!(
            pool.iter().filter(|r| r.dbs_checked_on.is_none()).count(),
            1
        );
        assert!(pool.iter().filter(|r| !r.conflicts.is_empty()).count() >= 2);
        for r in &pool {
            assert!(r.trained_on.is_some_and(|d| d < today), "{}", r.name);
            assert!(r.dbs_checked_on.is_none_or(|d| d < today), "{}", r.name);
            for range in &r.unavailable {
                assert!(range.start() > today, "{}: unavailable ahead", r.name);
            }
        }
    }
}

#[test]
fn an_export_of_the_demo_pool_imports_as_the_same_reviewers() {
    let today = OffsetDateTime::now_utc().date();
    let pool = pool(today).unwrap();
    let again: Vec<Reviewer> = reviewers::parse_csv(&reviewers::to_csv(&pool))
        .unwrap()
        .into_iter()
        .map(|r| r.reviewer)
        .collect();
    assert_eq!(again, pool);
    for reviewer in &pool {
        assert_eq!(&Reviewer::from_item(&reviewer.to_item()).unwrap(), reviewer);
    }
    assert!(reviewers_csv(today).contains(&today.to_string()[..4]));
}

/// `request.test.mjs`, `offers.test.mjs` and the others: a Camden mainstream primary with
/// windows 30–40 and 60–70 days ahead. The same leads, free for the next four months, and the
/// same reasons for everyone else (two DBS checks out of date, one missing), on every day.
#[test]
fn a_camden_primary_has_the_same_leads_and_ruled_out_reasons_every_day() {
    let mut first = None;
    for today in next_two_years() {
        let pool = pool(today).unwrap();
        let request = request("202", "primary", [(30, 40), (60, 70)], today, "100000");
        let (mut leads, ruled_out) = outcome(&request, &pool, &[], None, today);
        assert!(!leads.is_empty(), "{today}: nobody can lead");
        // offers.test.mjs moves a booked visit three weeks on: every lead is free until then.
        for lead in &leads {
            let (_, reviewer) = named(&pool, lead);
            assert_eq!(
                visit_day(reviewer, today, 30, 30 + 120).map(|_| ()),
                Some(())
            );
            assert!(
                reviewer
                    .unavailable
                    .iter()
                    .all(|r| r.start() > today + Duration::days(120)),
                "{today}: {lead} is away within 120 days"
            );
        }
        // Ties are broken by id, and the demo's ids are new each day: compare who, not the order.
        leads.sort_unstable();
        let story = (leads, ruled_out);
        match &first {
            None => first = Some(story),
            Some(first) => assert_eq!(&story, first, "on {today} the story changed"),
        }
    }
    let (_, ruled_out) = first.unwrap();
    let with = |rule: RuleOut| {
        let mut names: Vec<&str> = ruled_out
            .iter()
            .filter(|(_, why)| why.contains(&rule))
            .map(|(name, _)| name.as_str())
            .collect();
        names.sort_unstable();
        names
    };
    assert_eq!(with(RuleOut::DbsOutOfDate), ["Declan Murphy", "Wei Chen"]);
    assert_eq!(with(RuleOut::NoDbsCheck), ["Aisha Mohammed"]);
}

/// `review.mjs` and `follow_up.test.mjs`: a Coventry mainstream secondary that Tomasz Nowak
/// fits best (the matcher offers it to him first); he finds a weekday in the window 30–40 days ahead, visits it twice in a run
/// (the report test and the follow-up test's review), and leads the follow-up visit, asked for
/// with windows from 100 days ahead, within his three reviews a term and with his DBS check in
/// date.
#[test]
fn the_coventry_reviews_and_their_follow_up_fit_tomasz_nowak_every_day() {
    for today in next_two_years() {
        let pool = pool(today).unwrap();
        let (at, tomasz) = named(&pool, "Tomasz Nowak");
        let review = request("331", "secondary", [(30, 40), (60, 70)], today, "900201");
        let (leads, _) = outcome(&review, &pool, &[], None, today);
        assert_eq!(
            leads.first().map(String::as_str),
            Some("Tomasz Nowak"),
            "{today}: {leads:?}"
        );
        let visit = visit_day(tomasz, today, 30, 40)
            .unwrap_or_else(|| panic!("{today}: no weekday for Tomasz Nowak in 30..40"));

        let booked = vec![
            ReviewHistory {
                school: review.school.urn.clone(),
                visit_date: visit,
            },
            ReviewHistory {
                school: "900202".parse().unwrap(),
                visit_date: visit,
            },
        ];
        let follow_up = request(
            "331",
            "secondary",
            [(100, 114), (130, 144)],
            today,
            "900201",
        );
        let original = OriginalReview {
            lead: tomasz.id,
            visit_date: visit,
        };
        let (leads, ruled_out) = outcome(
            &follow_up,
            &pool,
            &[(at, booked.clone())],
            Some(original),
            today,
        );
        assert_eq!(
            leads.first().map(String::as_str),
            Some("Tomasz Nowak"),
            "{today}: {ruled_out:?}"
        );
        let follow_up_day = visit_day(tomasz, today, 100, 114)
            .unwrap_or_else(|| panic!("{today}: no weekday for the follow-up in 100..114"));
        let in_term = |term: Term| {
            booked
                .iter()
                .map(|b| b.visit_date)
                .chain([follow_up_day])
                .filter(|d| term.contains(*d))
                .count()
        };
        for day in [visit, follow_up_day] {
            assert!(
                in_term(Term::of(day)) <= usize::from(tomasz.capacity_per_term),
                "{today}: Tomasz Nowak is over capacity in the {}",
                Term::of(day)
            );
        }
    }
}

/// The date arithmetic the reminders rely on, for every day: a report due N working days after
/// a visit falls on a weekday with exactly N weekdays after the visit up to it.
#[test]
fn working_days_and_terms_hold_on_every_day() {
    for today in next_two_years() {
        assert!(Term::of(today).contains(today));
        for n in [1_u8, 5, 15] {
            let due = add_working_days(today, n);
            assert!(!matches!(
                due.weekday(),
                Weekday::Saturday | Weekday::Sunday
            ));
            let weekdays = (1..=(due - today).whole_days())
                .map(|d| today + Duration::days(d))
                .filter(|d| !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday))
                .count();
            assert_eq!(
                weekdays,
                usize::from(n),
                "{today} + {n} working days = {due}"
            );
        }
    }
}
