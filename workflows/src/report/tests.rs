use super::examples::{areas, document, filler, maximal, pairs, review, template_of, typical};
use super::render::Stage;
use super::*;
use records::programme::GradingScale;

fn parse(
    fields: &[(&str, &str)],
    scale: Option<&GradingScale>,
) -> Result<Report, Vec<ReportFieldError>> {
    Report::parse(
        &RawReport::from_pairs(&pairs(fields)),
        &review(&areas()),
        scale,
    )
}

fn fields_of(errors: &[ReportFieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.field.as_str()).collect()
}

#[test]
fn a_form_parses_into_the_report_in_the_requests_area_order() {
    let report = parse(
        &[
            ("leadership.went_well", "Clear vision"),
            ("outcomes.went_well", " Good progress "),
            ("outcomes.went_well", ""),
            ("outcomes.went_well", "Attendance is up"),
            ("outcomes.even_better_if", "Track small steps"),
            ("outcomes.evidence", "Data\r\nand books"),
            (
                "quality_of_provision.went_well",
                "not one of this request's areas",
            ),
            ("summary", "An inclusive school."),
            ("recommendation", "Embed the graduated approach"),
            ("next_steps", "Share the provision map"),
            ("recommendation", ""),
            ("next_steps", ""),
            ("recommendation", "Review passports"),
            ("next_steps", ""),
            ("version", "3"),
        ],
        None,
    )
    .unwrap();
    assert_eq!(report.areas.len(), 2);
    let outcomes = &report.areas[0];
    assert_eq!(outcomes.area.as_str(), "outcomes");
    assert_eq!(
        outcomes
            .went_well
            .iter()
            .map(Text::as_str)
            .collect::<Vec<_>>(),
        ["Good progress", "Attendance is up"]
    );
    assert_eq!(
        outcomes.evidence.as_ref().unwrap().as_str(),
        "Data\nand books"
    );
    assert_eq!(report.areas[1].went_well[0].as_str(), "Clear vision");
    assert!(report.areas[1].even_better_if.is_empty());
    assert_eq!(
        report.summary.as_ref().unwrap().as_str(),
        "An inclusive school."
    );
    assert_eq!(report.recommendations.len(), 2, "the empty row is dropped");
    assert_eq!(
        report.recommendations[1].action.as_str(),
        "Review passports"
    );
    assert_eq!(report.recommendations[1].next_steps, None);
}

#[test]
fn the_stored_report_fills_the_form_back_in() {
    let report = typical();
    let raw = RawReport::from_report(&report);
    assert_eq!(
        Report::parse(&raw, &template_of(&report), None).unwrap(),
        report
    );
}

#[test]
fn every_limit_is_reported_on_its_own_field() {
    let long_point = "x".repeat(MAX_POINT_CHARS + 1);
    let long_evidence = "x".repeat(MAX_EVIDENCE_CHARS + 1);
    let long_summary = "x".repeat(MAX_SUMMARY_CHARS + 1);
    let long_action = "x".repeat(MAX_RECOMMENDATION_CHARS + 1);
    let long_steps = "x".repeat(MAX_NEXT_STEPS_CHARS + 1);
    let errors = parse(
        &[
            ("outcomes.went_well", "fine"),
            ("outcomes.went_well", &long_point),
            ("leadership.evidence", &long_evidence),
            ("summary", &long_summary),
            ("recommendation", &long_action),
            ("next_steps", &long_steps),
            ("recommendation", ""),
            ("next_steps", "steps without a recommendation"),
            ("leadership.even_better_if", "bell\u{7}"),
        ],
        None,
    )
    .unwrap_err();
    assert_eq!(
        fields_of(&errors),
        [
            "outcomes-went_well-2",
            "leadership-even_better_if-1",
            "leadership-evidence",
            "summary",
            "recommendation-1",
            "next_steps-1",
            "recommendation-2",
        ]
    );
    assert_eq!(
        errors[0].message,
        format!(
            "Keep point 2 under What went well in Outcomes for learners with SEND to {MAX_POINT_CHARS} characters or fewer"
        )
    );
    assert_eq!(
        errors[1].message,
        "Remove the special characters from point 1 under Even better if in Leadership of SEND"
    );
    assert_eq!(
        errors[6].message,
        "Enter recommendation 2, or clear its next steps to remove it"
    );
}

#[test]
fn text_at_its_limit_is_accepted() {
    let point = "x".repeat(MAX_POINT_CHARS);
    let summary = "é".repeat(MAX_SUMMARY_CHARS);
    let report = parse(
        &[("outcomes.went_well", &point), ("summary", &summary)],
        None,
    )
    .unwrap();
    assert_eq!(
        report.areas[0].went_well[0].as_str().chars().count(),
        MAX_POINT_CHARS
    );
    assert_eq!(
        report.summary.unwrap().as_str().chars().count(),
        MAX_SUMMARY_CHARS
    );
}

#[test]
fn lists_are_limited_in_length() {
    let many: Vec<(&str, &str)> = (0..=MAX_POINTS)
        .map(|_| ("outcomes.went_well", "a point"))
        .collect();
    let errors = parse(&many, None).unwrap_err();
    assert_eq!(
        fields_of(&errors),
        [format!("outcomes-went_well-{}", MAX_POINTS + 1)]
    );

    let mut rows = Vec::new();
    for _ in 0..=MAX_RECOMMENDATIONS {
        rows.push(("recommendation", "do this"));
        rows.push(("next_steps", ""));
    }
    let errors = parse(&rows, None).unwrap_err();
    assert_eq!(
        errors[0].message,
        format!("Give at most {MAX_RECOMMENDATIONS} recommendations")
    );
}

#[test]
fn a_judgement_needs_a_scale_and_one_of_its_grades() {
    let scale = GradingScale::new(["Leading", "Effective", "Developing"]).unwrap();
    let report = parse(&[("outcomes.judgement", "Effective")], Some(&scale)).unwrap();
    assert_eq!(report.areas[0].judgement.as_deref(), Some("Effective"));
    assert_eq!(report.areas[1].judgement, None);

    let errors = parse(&[("outcomes.judgement", "Outstanding")], Some(&scale)).unwrap_err();
    assert_eq!(fields_of(&errors), ["outcomes-judgement"]);
    let errors = parse(&[("outcomes.judgement", "Effective")], None).unwrap_err();
    assert_eq!(
        errors[0].message,
        "This programme does not give judgements: leave it out"
    );
}

#[test]
fn a_draft_may_be_incomplete_but_submitting_needs_every_part() {
    let empty = Report::empty(&areas());
    assert_eq!(parse(&[], None).unwrap(), empty);
    let missing = empty.check_ready(None).unwrap_err();
    assert_eq!(
        fields_of(&missing),
        [
            "outcomes-went_well-1",
            "outcomes-even_better_if-1",
            "outcomes-evidence",
            "leadership-went_well-1",
            "leadership-even_better_if-1",
            "leadership-evidence",
            "summary",
            "recommendation-1",
        ]
    );
    assert!(typical().check_ready(None).is_ok());

    let scale = GradingScale::new(["Leading", "Effective"]).unwrap();
    let missing = typical().check_ready(Some(&scale)).unwrap_err();
    assert_eq!(missing.len(), 3, "one judgement per area: {missing:?}");
    assert!(maximal(Some(&scale)).check_ready(Some(&scale)).is_ok());
}

#[test]
fn the_maximal_report_has_every_field_at_its_limit() {
    let report = maximal(None);
    let areas: Vec<_> = report.areas.iter().map(|a| a.area.clone()).collect();
    assert_eq!(
        areas,
        records::domain::request::FrameworkRef::whole_school().keys()
    );
    let raw = RawReport::from_report(&report);
    assert_eq!(
        Report::parse(&raw, &template_of(&report), None).unwrap(),
        report,
        "it is within every limit"
    );
    assert_eq!(report.areas[0].went_well.len(), MAX_POINTS);
    assert_eq!(
        report.areas[0].went_well[0].as_str().chars().count(),
        MAX_POINT_CHARS
    );
    assert_eq!(report.recommendations.len(), MAX_RECOMMENDATIONS);
    assert_eq!(
        report.recommendations[0]
            .next_steps
            .as_ref()
            .unwrap()
            .as_str()
            .chars()
            .count(),
        MAX_NEXT_STEPS_CHARS
    );
    assert_eq!(filler(20, "Seed").chars().count(), 20);
}

#[test]
fn the_school_comments_on_sections_or_accepts() {
    let report = typical();
    let accepted = FactualCheck::parse(&pairs(&[("comment.summary", "  ")]), &report).unwrap();
    assert_eq!(accepted, FactualCheck::Accepted);

    let check = FactualCheck::parse(
        &pairs(&[
            ("comment.leadership", "We have two SEND governors, not one."),
            (
                "comment.recommendations",
                "Recommendation 2 is already in our plan.",
            ),
            ("comment.outcomes", "not an area of this report"),
        ]),
        &report,
    )
    .unwrap();
    assert_eq!(
        check
            .comments()
            .iter()
            .map(|c| c.section.clone())
            .collect::<Vec<_>>(),
        [
            Section::Area(FocusArea::parse("leadership").unwrap()),
            Section::Recommendations
        ]
    );

    let long = "x".repeat(MAX_COMMENT_CHARS + 1);
    let errors = FactualCheck::parse(&pairs(&[("comment.summary", &long)]), &report).unwrap_err();
    assert_eq!(fields_of(&errors), ["comment.summary"]);

    let stored: FactualCheck =
        serde_json::from_str(&serde_json::to_string(&check).unwrap()).unwrap();
    assert_eq!(stored, check);
}

#[test]
fn the_html_report_escapes_what_people_typed() {
    let mut report = typical();
    report.summary = Some(Text::parse("<script>alert(1)</script> & more", 100, true).unwrap());
    let html = document(&report).to_html().unwrap();
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62; &#38; more"),
        "{html}"
    );
    assert!(!html.contains("<script>"));
    for findings in &report.areas {
        assert!(html.contains(&findings.heading()));
    }
    assert!(html.contains("Northshire SEND Review"));
    assert!(html.contains("Priya Shah (lead reviewer)"));
    assert!(html.contains("10 March 2027"));
    assert!(html.contains("#1d70b8"));
}

#[test]
fn a_draft_says_so() {
    let report = typical();
    let mut doc = document(&report);
    assert!(!doc.body_html().unwrap().contains("factual accuracy"));
    doc.stage = Stage::Draft;
    assert!(
        doc.body_html()
            .unwrap()
            .contains("Draft for the school to check for factual accuracy")
    );
}

#[test]
fn the_band_text_is_readable_on_the_programmes_colour() {
    let report = typical();
    let mut doc = document(&report);
    assert_eq!(doc.on_primary_colour(), "#ffffff");
    doc.primary_colour = "#ffdd00".parse().unwrap();
    assert_eq!(doc.on_primary_colour(), "#0b0c0c");
}

/// The PDF's text, extracted as a reader (or a screen reader, or a search) would.
fn pdf_text(pdf: &[u8]) -> String {
    let text = pdf_extract::extract_text_from_mem(pdf).expect("the PDF parses");
    // Lines wrap wherever the page is narrow: compare words, not lines. Footers (artifacts, but
    // a plain extractor keeps them) would split a paragraph that runs over a page.
    let words = words(&text);
    let mut text = String::new();
    for part in words.split("Northshire SEND Review · Oakfield Primary School Page ") {
        let part = match part.split_once(" of ") {
            Some((number, rest)) if number.chars().all(|c| c.is_ascii_digit()) => {
                rest.split_once(' ').map_or("", |(_, rest)| rest)
            }
            _ => part,
        }
        .trim();
        if !text.is_empty() && !part.is_empty() {
            text.push(' ');
        }
        text.push_str(part);
    }
    text
}

fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_pdf_has_the_text_of_every_section() {
    let report = typical();
    let pdf = pdf::render(&document(&report)).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdf_text(&pdf);
    for expected in [
        "Northshire SEND Review",
        "Oakfield Primary School: review report",
        "URN 123456",
        "10 March 2027",
        "31 March 2027",
        "Priya Shah (lead reviewer), Tom O'Neill (reviewer)",
        "Summary",
        "Recommendations",
        "Suggested next steps",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} is missing from {text}"
        );
    }
    for findings in &report.areas {
        assert!(text.contains(&findings.heading()));
        for point in findings.went_well.iter().chain(&findings.even_better_if) {
            assert!(text.contains(&words(point.as_str())), "{point} is missing");
        }
        assert!(text.contains(&words(findings.evidence.as_ref().unwrap().as_str())));
    }
    for recommendation in &report.recommendations {
        assert!(text.contains(&words(recommendation.action.as_str())));
    }
    // Tagged: a structure tree with headings and lists, in English.
    let raw = String::from_utf8_lossy(&pdf);
    for marker in ["/StructTreeRoot", "/H1", "/H2", "/LI", "/Lang(en-GB)"] {
        assert!(raw.contains(marker), "{marker} is missing");
    }
}

#[test]
fn the_maximal_report_breaks_over_pages_and_loses_no_text() {
    let scale = GradingScale::new(["Leading", "Effective"]).unwrap();
    let report = maximal(Some(&scale));
    let pdf = pdf::render(&document(&report)).unwrap();
    let text = pdf_text(&pdf);
    let raw_text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
    assert!(raw_text.contains("Page 1 of"));
    assert!(text.contains("Judgement: Leading"));
    for findings in &report.areas {
        for point in findings.went_well.iter().chain(&findings.even_better_if) {
            assert!(text.contains(&words(point.as_str())), "{point} is missing");
        }
    }
    assert!(text.contains(&words(report.summary.as_ref().unwrap().as_str())));
}

#[test]
fn a_word_longer_than_a_line_is_broken_and_kept() {
    let mut report = typical();
    let long_word = "a".repeat(300);
    report.summary = Some(Text::parse(&format!("Start {long_word} end"), 1000, true).unwrap());
    let pdf = pdf::render(&document(&report)).unwrap();
    let text: String = pdf_text(&pdf).split_whitespace().collect();
    assert!(text.contains(&format!("Start{long_word}end")));
}

#[test]
fn the_report_emails_link_to_the_schools_report_page() {
    use records::outbox::{OutboxEmail, Programme};
    let links = records::links::LinkSecret::from_bytes(&[7u8; 32]).unwrap();
    let programme = Programme {
        name: "Northshire SEND Review".into(),
        contact_email: "send-review@northshire.example".into(),
        sender_address: "reviews@example.org".into(),
        site_url: "https://review.example".into(),
    };
    let link = format!(
        "https://review.example/status/{}/report",
        links.status_token("01REQ", 0)
    );
    let to_check = (ReportToCheck {
        request_id: "01REQ".into(),
        reference: "SR-ABCD-12".into(),
        school_name: "Oakfield <Primary>".into(),
        lead_name: "Priya Shah".into(),
    })
    .render(&programme, &links.for_email(0))
    .unwrap();
    assert_eq!(
        to_check.subject,
        "Your draft report is ready to check: SR-ABCD-12"
    );
    assert!(to_check.html.contains("Oakfield &#60;Primary&#62;"));
    assert!(to_check.html.contains(&link) && to_check.text.contains(&link));
    assert!(to_check.attachments.is_empty());

    let delivered = (ReportFinal {
        request_id: "01REQ".into(),
        reference: "SR-ABCD-12".into(),
        school_name: "Oakfield Primary".into(),
        pdf_key: "requests/01REQ/report/report.pdf".into(),
    })
    .render(&programme, &links.for_email(0))
    .unwrap();
    assert_eq!(delivered.subject, "Your review report: SR-ABCD-12");
    assert!(delivered.text.contains(&link));
    assert!(delivered.text.contains("attached to this email as a PDF"));
}

mod follow_up {
    use super::*;
    use crate::report::examples;

    fn template() -> ReportTemplate {
        ReportTemplate::FollowUp {
            recommendations: typical().recommendations,
        }
    }

    fn parse(fields: &[(&str, &str)]) -> Result<Report, Vec<ReportFieldError>> {
        Report::parse(&RawReport::from_pairs(&pairs(fields)), &template(), None)
    }

    /// An HTML document's text, tags dropped, the few entities the templates write undone,
    /// whitespace as single spaces.
    fn visible_text(html: &str) -> String {
        let mut text = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' => {
                    in_tag = false;
                    text.push(' ');
                }
                c if !in_tag => text.push(c),
                _ => {}
            }
        }
        words(&text.replace("&#39;", "'").replace("&amp;", "&"))
    }

    #[test]
    fn the_form_parses_into_progress_on_each_original_recommendation() {
        let report = parse(&[
            ("progress-2-seen", "Passports are reviewed each half term."),
            ("progress-1-rating", "achieved"),
            ("progress-2-rating", "some_progress"),
            ("progress-1-seen", "Every class plans with the map."),
            // Focus-area fields are not part of a follow-up's report.
            ("outcomes.went_well", "ignored"),
            ("summary", "Good progress overall."),
        ])
        .unwrap();
        let originals = typical().recommendations;
        assert_eq!(report.progress.len(), originals.len(), "one row each");
        assert!(report.areas.is_empty());
        assert!(report.is_follow_up());
        assert_eq!(report.progress[0].recommendation, originals[0].action);
        assert_eq!(report.progress[0].rating, Some(ProgressRating::Achieved));
        assert_eq!(
            report.progress[0].seen.as_ref().unwrap().as_str(),
            "Every class plans with the map."
        );
        assert_eq!(
            report.progress[1].rating,
            Some(ProgressRating::SomeProgress)
        );
        assert_eq!(report.progress[2].rating, None, "not answered yet");
        assert_eq!(report.progress[2].seen, None);
        // And the stored report fills the form back in.
        let again = Report::parse(&RawReport::from_report(&report), &template(), None).unwrap();
        assert_eq!(again, report);
    }

    #[test]
    fn a_bad_rating_or_too_long_progress_is_reported_on_its_own_field() {
        let long = "x".repeat(MAX_PROGRESS_CHARS + 1);
        let errors = parse(&[
            ("progress-1-rating", "brilliant"),
            ("progress-3-seen", long.as_str()),
        ])
        .unwrap_err();
        assert_eq!(fields_of(&errors), ["progress-1-rating", "progress-3-seen"]);
        assert!(errors[1].message.contains("recommendation 3"), "{errors:?}");
        // Positions beyond any report's recommendations are not rows at all.
        let raw = RawReport::from_pairs(&pairs(&[
            ("progress-99999999999-rating", "achieved"),
            ("progress-0-seen", "x"),
            ("progress-x-seen", "x"),
        ]));
        assert!(raw.progress.is_empty());
    }

    #[test]
    fn submitting_needs_progress_on_every_recommendation_but_no_new_one() {
        let mut report = parse(&[("summary", "Overall.")]).unwrap();
        let missing = report.check_ready(None).unwrap_err();
        let n = typical().recommendations.len();
        assert_eq!(missing.len(), 2 * n, "{missing:?}");
        assert_eq!(missing[0].field, "progress-1-rating");
        assert_eq!(missing[1].field, "progress-1-seen");
        for progress in &mut report.progress {
            progress.rating = Some(ProgressRating::GoodProgress);
            progress.seen = Some(Text::parse("Seen.", 10, true).unwrap());
        }
        assert!(report.recommendations.is_empty());
        assert!(
            report.check_ready(None).is_ok(),
            "a follow-up may give no new recommendation"
        );
    }

    #[test]
    fn the_school_can_comment_on_the_progress() {
        let report = examples::follow_up(&typical());
        let sections = Section::all(&report);
        assert_eq!(
            sections,
            [
                Section::Progress,
                Section::Summary,
                Section::Recommendations
            ]
        );
        let check = FactualCheck::parse(
            &pairs(&[("comment.progress", "Recommendation 2 is done now.")]),
            &report,
        )
        .unwrap();
        assert_eq!(check.comments()[0].section, Section::Progress);
    }

    #[test]
    fn the_html_and_pdf_give_the_progress_on_each_recommendation() {
        let original = typical();
        let report = examples::follow_up(&original);
        let doc = document(&report);
        let html = visible_text(&doc.to_html().unwrap());
        let pdf = pdf_text(&pdf::render(&doc).unwrap());
        for text in [&html, &pdf] {
            for expected in [
                "Oakfield Primary School: follow-up visit report",
                "Follows up",
                "review SR-7K3M-Q9, visit on 12 November 2026",
                "Progress on the recommendations",
                "Progress: Achieved",
                "Progress: Not yet started",
                "New recommendations",
                "Extend the provision map to the early years unit.",
            ] {
                assert!(text.contains(expected), "{expected:?} is missing: {text}");
            }
            for (recommendation, progress) in original.recommendations.iter().zip(&report.progress)
            {
                assert!(text.contains(&words(recommendation.action.as_str())));
                assert!(text.contains(&words(progress.seen.as_ref().unwrap().as_str())));
            }
        }
        assert!(!pdf.contains("What went well"), "no focus areas");
    }
}
