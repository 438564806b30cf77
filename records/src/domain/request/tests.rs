use super::*;
use time::macros::date;

const TODAY: Date = date!(2026 - 11 - 23);

/// Brook Primary's request, as typed (postcode in lower case) and for two chosen focus areas.
pub fn valid() -> RawReviewRequest {
    RawReviewRequest {
        postcode: "nw1 2db".into(),
        focus_scope: "chosen".into(),
        focus_areas: vec!["leadership".into(), "outcomes".into()],
        ..fixture::raw_request()
    }
}

fn errors_for(raw: RawReviewRequest) -> Vec<(&'static str, String)> {
    ReviewRequest::parse(&raw, TODAY)
        .unwrap_err()
        .into_iter()
        .map(|e| (e.field, e.message))
        .collect()
}

fn only_error(raw: RawReviewRequest) -> (&'static str, String) {
    let errors = errors_for(raw);
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors[0].clone()
}

#[test]
fn a_valid_request_parses_into_canonical_values() {
    let request = ReviewRequest::parse(&valid(), TODAY).unwrap();
    assert_eq!(request.school.postcode.as_str(), "NW1 2DB");
    assert_eq!(request.school.sen_support_percent.to_string(), "14.5%");
    assert_eq!(request.school.local_authority().name, "Camden");
    let keys: Vec<String> = request
        .areas()
        .iter()
        .map(|a| a.as_str().to_owned())
        .collect();
    assert_eq!(keys, ["leadership", "outcomes"], "in the school's order");
    assert_eq!(request.areas()[0].label(), "Leadership of SEND");
    assert_eq!(
        request.visit_windows[0].to_string(),
        "11 January 2027 to 22 January 2027"
    );
    assert!(
        !request.reciprocal,
        "reviewing in return is asked for, never assumed"
    );
    let in_return = RawReviewRequest {
        reciprocal: true,
        ..valid()
    };
    assert!(ReviewRequest::parse(&in_return, TODAY).unwrap().reciprocal);
    // A request stored before the question was asked reads as no.
    let mut stored = serde_json::to_value(&request).unwrap();
    stored.as_object_mut().unwrap().remove("reciprocal");
    let read: ReviewRequest = serde_json::from_value(stored).unwrap();
    assert!(!read.reciprocal);
}

#[test]
fn every_field_reports_its_own_problem() {
    // (how the form is spoiled, the field it concerns, part of its message)
    type Case = (fn(&mut RawReviewRequest), &'static str, &'static str);
    let cases: Vec<Case> = vec![
        (|r| r.urn = "12345".into(), "urn", "6 digits"),
        (
            |r| r.school_name = "  ".into(),
            "school_name",
            "Enter the school's name",
        ),
        (
            |r| r.school_name = "x".repeat(121),
            "school_name",
            "120 characters",
        ),
        (
            |r| r.school_name = "Brook\u{7}".into(),
            "school_name",
            "special characters",
        ),
        (|r| r.phase = "infant".into(), "phase", "phase"),
        (
            |r| r.school_type = "".into(),
            "school_type",
            "type of school",
        ),
        (
            |r| r.local_authority = "999".into(),
            "local_authority",
            "local authority",
        ),
        (|r| r.postcode = "NW1".into(), "postcode", "postcode"),
        (
            |r| r.number_on_roll = "0".into(),
            "number_on_roll",
            "whole number",
        ),
        (
            |r| r.number_on_roll = "many".into(),
            "number_on_roll",
            "whole number",
        ),
        (
            |r| r.sen_support_percent = "101".into(),
            "sen_support_percent",
            "0 to 100",
        ),
        (
            |r| r.ehc_plan_percent = "2.55".into(),
            "ehc_plan_percent",
            "0 to 100",
        ),
        (
            |r| r.areas_of_need = vec![],
            "areas_of_need",
            "at least one",
        ),
        (
            |r| r.areas_of_need = vec!["maths".into()],
            "areas_of_need",
            "not one of the options",
        ),
        (
            |r| r.review_type = "ofsted".into(),
            "review_type",
            "kind of review",
        ),
        (
            |r| r.focus_scope = "".into(),
            "focus_scope",
            "every focus area",
        ),
        (
            |r| r.focus_areas = vec![],
            "focus_areas",
            "Select the focus areas",
        ),
        (
            |r| r.visit_windows.truncate(1),
            "window_2_start",
            "at least two",
        ),
        (
            |r| r.visit_windows[0].0 = "2026-12-01".into(),
            "window_1_start",
            "three weeks",
        ),
        (
            |r| r.visit_windows[1].1 = "2028-01-01".into(),
            "window_2_end",
            "12 months",
        ),
        (
            |r| r.visit_windows[0].1 = "2027-01-01".into(),
            "window_1_end",
            "on or after",
        ),
        (
            |r| r.visit_windows[0].0 = "31/02/2027".into(),
            "window_1_start",
            "real date",
        ),
        (
            |r| r.learning_goal = "".into(),
            "learning_goal",
            "most wants to learn",
        ),
        (
            |r| r.learning_goal = "x".repeat(1501),
            "learning_goal",
            "1500 characters",
        ),
        (|r| r.contact_name = "".into(), "contact_name", "full name"),
        (|r| r.contact_role = "".into(), "contact_role", "your role"),
        (
            |r| r.contact_email = "grace@".into(),
            "contact_email",
            "correct format",
        ),
        (
            |r| r.contact_email = "a b@school.uk".into(),
            "contact_email",
            "correct format",
        ),
        (
            |r| r.contact_email = "a@b.c\r\nBcc: x@y.z".into(),
            "contact_email",
            "correct format",
        ),
        (
            |r| r.contact_phone = "123".into(),
            "contact_phone",
            "phone number",
        ),
        (|r| r.no_pupil_named = false, "no_pupil_named", "no pupil"),
        (
            |r| r.privacy_notice_accepted = false,
            "privacy_notice_accepted",
            "privacy notice",
        ),
    ];
    for (break_it, field, words) in cases {
        let mut raw = valid();
        break_it(&mut raw);
        let (got_field, message) = only_error(raw);
        assert_eq!(got_field, field);
        assert!(
            message.contains(words),
            "{field}: {message:?} should mention {words:?}"
        );
    }
}

#[test]
fn all_problems_are_reported_together() {
    // Every field but the two optional ones (trust, phone).
    assert_eq!(errors_for(RawReviewRequest::default()).len(), 19);
}

#[test]
fn multi_line_text_keeps_line_breaks_and_single_line_text_refuses_them() {
    let mut raw = valid();
    raw.learning_goal = "Line one\r\nLine two".into();
    let request = ReviewRequest::parse(&raw, TODAY).unwrap();
    assert_eq!(request.learning_goal.as_str(), "Line one\nLine two");
    let mut raw = valid();
    raw.contact_name = "Grace\nHopper".into();
    assert_eq!(only_error(raw).0, "contact_name");
}

#[test]
fn postcodes_parse_in_every_uk_shape() {
    for (input, canonical) in [
        ("sw1a1aa", "SW1A 1AA"),
        ("M1 1AE", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("CR2 6XH", "CR2 6XH"),
        ("DN55 1PT", "DN55 1PT"),
        ("W1A 0AX", "W1A 0AX"),
        ("gir 0aa", "GIR 0AA"),
    ] {
        assert_eq!(input.parse::<Postcode>().unwrap().as_str(), canonical);
    }
    for bad in ["", "SW1A", "SW1A 1AAA", "12345", "SW1A 1CA", "ÄB1 1AA"] {
        assert!(bad.parse::<Postcode>().is_err(), "{bad}");
    }
}

#[test]
fn percentages_keep_one_decimal_place() {
    assert_eq!("0".parse::<Percentage>().unwrap().to_string(), "0%");
    assert_eq!("100".parse::<Percentage>().unwrap().to_string(), "100%");
    assert_eq!(
        " 12.5 % ".parse::<Percentage>().unwrap().to_string(),
        "12.5%"
    );
    for bad in ["-1", "100.1", "1.25", "abc", ""] {
        assert!(bad.parse::<Percentage>().is_err(), "{bad}");
    }
}

#[test]
fn dates_come_from_date_inputs_or_day_month_year() {
    assert_eq!(parse_date_input("2027-03-04"), Some(date!(2027 - 03 - 04)));
    assert_eq!(parse_date_input("4/3/2027"), Some(date!(2027 - 03 - 04)));
    assert_eq!(parse_date_input("31/02/2027"), None);
    assert_eq!(parse_date_input("4/3/27"), None);
}

#[test]
fn references_use_an_unambiguous_alphabet_and_parse_back() {
    let mut rng = rand::rng();
    for _ in 0..200 {
        let reference = Reference::generate(&mut rng);
        let text = reference.to_string();
        assert!(!text[3..].contains(['0', 'O', '1', 'I', 'L', 'U']));
        assert_eq!(text.parse::<Reference>().unwrap(), reference);
    }
    assert!("SR-7K3M-Q9".parse::<Reference>().is_ok());
    assert!("sr-7k3m-q9".parse::<Reference>().is_ok());
    assert!("SR-7K3M-Q0".parse::<Reference>().is_err());
    assert!("SR-7K3MQ9".parse::<Reference>().is_err());
}

#[test]
fn email_addresses_are_normalised_and_header_safe() {
    assert_eq!(
        " Ada@Example.ORG "
            .parse::<EmailAddress>()
            .unwrap()
            .as_str(),
        "Ada@example.org"
    );
    for bad in [
        "ada",
        "ada@",
        "@x.org",
        "ada@x",
        "a..b@x.org",
        "ada@x.org>",
        "ada@-x.org",
        "ad\"a@x.org",
    ] {
        assert!(bad.parse::<EmailAddress>().is_err(), "{bad}");
    }
}

fn ta_framework() -> FrameworkRef {
    let area = |key: &str, title: &str| NamedArea {
        key: FocusArea::parse(key).unwrap(),
        title: title.to_owned(),
        heading: title.to_owned(),
    };
    FrameworkRef {
        review_type: ReviewType::TaDeployment,
        version: 3,
        areas: vec![
            area("deployment", "How TAs are deployed"),
            area("preparation", "Preparation and time with teachers"),
        ],
    }
}

#[test]
fn focus_areas_are_checked_against_the_chosen_types_framework_and_recorded_with_it() {
    let frameworks = Frameworks::new(vec![FrameworkRef::whole_school(), ta_framework()]);
    let ta = |areas: &[&str]| RawReviewRequest {
        review_type: "ta_deployment".into(),
        focus_scope: "chosen".into(),
        focus_areas: areas.iter().map(|a| (*a).to_owned()).collect(),
        ..valid()
    };
    let request = ReviewRequest::parse_with(&ta(&["preparation"]), TODAY, &frameworks).unwrap();
    assert_eq!(request.framework, ta_framework());
    let titles: Vec<String> = request.areas().into_iter().map(|a| a.title).collect();
    assert_eq!(titles, ["Preparation and time with teachers"]);

    // Another framework's area is refused at the field; so is a type the programme lacks.
    let errors = ReviewRequest::parse_with(&ta(&["outcomes"]), TODAY, &frameworks).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].field, "focus_areas");
    assert!(errors[0].message.contains("\"outcomes\""), "{errors:?}");
    let pfa = RawReviewRequest {
        review_type: "preparing_for_adulthood".into(),
        ..valid()
    };
    let errors = ReviewRequest::parse_with(&pfa, TODAY, &frameworks).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].field, "review_type");

    // "All" is every area of the framework.
    let all = RawReviewRequest {
        focus_scope: "all".into(),
        ..ta(&[])
    };
    let request = ReviewRequest::parse_with(&all, TODAY, &frameworks).unwrap();
    assert_eq!(request.areas(), ta_framework().areas);
}

#[test]
fn a_request_stored_before_frameworks_reads_as_the_whole_school_frameworks_first_version() {
    let request = ReviewRequest::parse(&valid(), TODAY).unwrap();
    let mut stored = serde_json::to_value(&request).unwrap();
    stored.as_object_mut().unwrap().remove("framework");
    let read: ReviewRequest = serde_json::from_value(stored).unwrap();
    assert_eq!(read.framework, FrameworkRef::whole_school());
    assert_eq!(read.areas().len(), 2);
}
