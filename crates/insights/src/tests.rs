use std::collections::BTreeMap;

use records::domain::calendar::Term;
use records::lifecycle::RequestState;
use time::macros::datetime;

use crate::counters::{self, Counts, MIN_SCHOOLS_NAMED};
use crate::feedback::{FeedbackAnswer, Respondent};
use crate::store::Period;
use crate::tally::{self, LeadPart, RequestImage, RequestPart, SchoolPart, Scope, SignpostImage};

fn request(id: &str, state: RequestState) -> RequestImage {
    RequestImage {
        id: id.into(),
        state,
        created_at: "2026-10-01T09:00:00Z".into(),
        request: RequestPart {
            review_type: "send_review".into(),
            school: SchoolPart {
                phase: "primary".into(),
                school_type: "mainstream".into(),
            },
            framework: None,
        },
        lead: None,
    }
}

fn counts_after(tallies: &[tally::Tally]) -> Counts {
    let mut counts = Counts::default();
    for tally in tallies {
        for (name, by) in &tally.adds {
            *counts.numbers.entry(name.clone()).or_default() += by;
        }
        for (set, name, added) in &tally.names {
            let names = counts.names.entry(set.clone()).or_default();
            if *added {
                names.insert(name.clone());
            } else {
                names.remove(name);
            }
        }
    }
    counts
}

#[test]
fn a_request_is_counted_once_confirmed_and_moves_between_stages() {
    let at = datetime!(2026-10-11 12:00 UTC);
    let pending = request("r1", RequestState::PendingConfirmation);
    let held = request("r1", RequestState::Held);
    let mut booked = request("r1", RequestState::Accepted);
    booked.lead = Some(LeadPart {
        visit_date: "2026-11-20".into(),
    });
    let mut tallies = tally::request_changed("e1", None, Some(&pending), at);
    assert!(tallies.is_empty(), "an unconfirmed request is not counted");
    tallies.extend(tally::request_changed(
        "e2",
        Some(&pending),
        Some(&held),
        at,
    ));
    tallies.extend(tally::request_changed("e3", Some(&held), Some(&booked), at));
    let counts = counts_after(&tallies);
    assert_eq!(counts.get(counters::RECEIVED), 1);
    assert_eq!(counts.get("stage.held"), 0);
    assert_eq!(counts.get("stage.accepted"), 1);
    assert_eq!(counts.get("review_type.send_review"), 1);
    assert_eq!(counts.get("phase.primary"), 1);
    assert_eq!(counts.get("school_type.mainstream"), 1);
    assert_eq!(counts.get(counters::BOOKED), 1);
    assert_eq!(counts.get("days.to_booked.10"), 1);
    assert!(
        tallies
            .iter()
            .all(|t| t.scope == Scope::Term(Term::Autumn(2026)))
    );
    // The milestones are the request's: booked again after a lead drops out, the marker is
    // the same one, so the store adds nothing the second time.
    let again = tally::request_changed("e9", Some(&held), Some(&booked), at);
    let marker = again.iter().find(|t| t.adds.contains_key(counters::BOOKED));
    assert_eq!(
        marker.unwrap().marker,
        ("r1".to_owned(), "booked".to_owned())
    );
}

#[test]
fn a_final_report_counts_its_areas_even_better_if_and_its_days() {
    let mut booked = request("r1", RequestState::Accepted);
    booked.lead = Some(LeadPart {
        visit_date: "2026-11-20".into(),
    });
    let report: tally::ReportImage = serde_json::from_value(serde_json::json!({
        "state": "final",
        "finalised_at": "2026-12-10T10:00:00Z",
        "body": {"areas": [
            {"area": "outcomes", "even_better_if": ["More pupil voice"], "went_well": []},
            {"area": "leadership", "even_better_if": []}
        ]}
    }))
    .unwrap();
    let counts = counts_after(&tally::report_changed(&booked, Some("checked"), &report));
    assert_eq!(counts.get(counters::FINAL), 1);
    assert_eq!(counts.get("ebi.outcomes"), 1);
    assert_eq!(counts.get("ebi.leadership"), 0);
    // Another framework's area of the same key is counted apart.
    let mut ta = booked.clone();
    ta.request.framework = Some(tally::FrameworkPart {
        review_type: "ta_deployment".into(),
    });
    let ta_counts = counts_after(&tally::report_changed(&ta, Some("checked"), &report));
    assert_eq!(ta_counts.get("ebi.ta_deployment#outcomes"), 1);
    assert_eq!(ta_counts.get("ebi.outcomes"), 0);
    assert_eq!(counts.get("days.to_visit.50"), 1);
    assert_eq!(counts.get("days.to_final.70"), 1);
    assert!(tally::report_changed(&booked, Some("final"), &report).is_empty());
}

#[test]
fn median_and_90th_percentile_come_from_the_histogram() {
    let mut counts = Counts::default();
    // 1..=10 days, one request each.
    for day in 1..=10 {
        counts
            .numbers
            .insert(counters::days(counters::TO_BOOKED, day), 1);
    }
    let spread = counts.spread(counters::TO_BOOKED);
    assert_eq!(spread.count, 10);
    assert_eq!(spread.median, Some(5));
    assert_eq!(spread.p90, Some(9));
    assert_eq!(counts.spread(counters::TO_FINAL).median, None);
}

#[test]
fn schools_are_named_only_behind_five_or_more() {
    let event = |i: usize| format!("e{i}");
    let mut tallies = Vec::new();
    for i in 0..MIN_SCHOOLS_NAMED {
        let school = SignpostImage {
            request_id: format!("r{i}"),
            school_name: format!("School {i}"),
        };
        tallies.extend(tally::signpost_changed(
            &event(i),
            "outcomes",
            None,
            Some(&school),
        ));
        if i + 1 < MIN_SCHOOLS_NAMED {
            let strengths = counts_after(&tallies).strengths();
            assert_eq!(strengths[0].schools, i as i64 + 1);
            assert_eq!(strengths[0].names, None, "named behind {} schools", i + 1);
        }
    }
    let strengths = counts_after(&tallies).strengths();
    assert_eq!(strengths[0].names.as_ref().map(Vec::len), Some(5));
    // One withdraws: four are left, and nobody is named.
    let gone = SignpostImage {
        request_id: "r0".into(),
        school_name: "School 0".into(),
    };
    tallies.extend(tally::signpost_changed("e9", "outcomes", Some(&gone), None));
    let strengths = counts_after(&tallies).strengths();
    assert_eq!(strengths[0].schools, 4);
    assert_eq!(strengths[0].names, None);
}

#[test]
fn feedback_needs_a_score_for_every_question() {
    let now = datetime!(2026-12-10 10:00 UTC);
    let form = BTreeMap::from([
        ("useful".to_owned(), "5".to_owned()),
        ("done_with".to_owned(), "6".to_owned()),
    ]);
    let errors = FeedbackAnswer::parse(Respondent::School, &form, now).unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["done_with", "next_steps"]);
    let form = BTreeMap::from([
        ("went_well".to_owned(), "4".to_owned()),
        ("prepared".to_owned(), "3".to_owned()),
        ("took_back".to_owned(), "5".to_owned()),
        ("comment".to_owned(), " Our new provision map ".to_owned()),
    ]);
    let answer = FeedbackAnswer::parse(Respondent::Second, &form, now).unwrap();
    assert_eq!(answer.comment, "Our new provision map");
    let counts = counts_after(&tally::feedback_given(
        &request("r1", RequestState::Accepted),
        &answer,
    ));
    assert_eq!(counts.get("feedback.reviewer.answers"), 1);
    let scores = counts.scores();
    let took_back = scores.iter().find(|s| s.question == "took_back").unwrap();
    assert_eq!(took_back.mean(), Some(5.0));
    assert_eq!(took_back.side, "reviewer");
}

#[test]
fn a_year_is_its_three_terms() {
    let year = Period::from_key("year-2026").unwrap();
    assert_eq!(
        year.terms(),
        [Term::Autumn(2026), Term::Spring(2027), Term::Summer(2027)]
    );
    assert_eq!(Period::year_of(Term::Summer(2027)), year);
    assert_eq!(
        Period::from_key("autumn-2026"),
        Some(Period::Term(Term::Autumn(2026)))
    );
    assert_eq!(Period::from_key("year-x"), None);
}
