use askama::Template;
use records::domain::request::Text;
use records::programme::GradingScale;
use workflows::after_report::action_plan::{ActionPlan, ActionRow, ActionStatus};
use workflows::report::examples::{areas, document, pairs, review, typical};
use workflows::report::render::Stage;
use workflows::report::{RawReport, Report, ReportFieldError, ReportTemplate};

use super::*;

fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn branding() -> records::branding::Branding {
    records::branding::Branding::from(&records::programme::ProgrammeSettings::demo())
}

fn editor_html(
    form: &RawReport,
    errors: &[ReportFieldError],
    conflict: Option<(&str, &Report)>,
    scale: Option<&GradingScale>,
    is_lead: bool,
) -> String {
    let branding = branding();
    ReportEditorPage::new(EditorInput {
        branding: &branding,
        school_name: "Oakfield <Primary>",
        reference: "SR-ABCD-12",
        visit_date_text: "10 March 2027".into(),
        action: "/reviews/token",
        version: 7,
        is_lead,
        checked: false,
        template: &review(&areas()),
        action_plan: None,
        scale,
        form,
        errors,
        conflict,
        saved: false,
        factual_check: None,
        script: "",
    })
    .render()
    .unwrap()
}

#[test]
fn the_editor_shows_every_box_with_its_limit_and_counter() {
    let scale = GradingScale::new(["Leading", "Effective"]).unwrap();
    let form = RawReport::from_pairs(&pairs(&[
        ("outcomes.went_well", "Attendance <b>up</b>"),
        ("outcomes.judgement", "Effective"),
    ]));
    let html = editor_html(&form, &[], None, Some(&scale), true);
    assert!(html.contains("Oakfield &#60;Primary&#62;"));
    assert!(
        html.contains("Attendance &#60;b&#62;up&#60;/b&#62;"),
        "typed text is escaped"
    );
    assert!(html.contains(r#"<input type="hidden" name="version" value="7">"#));
    assert!(html.contains("data-autosave"));
    // One filled point and two spare boxes, each with its limit and counter.
    for n in 1..=3 {
        let id = format!("outcomes-went_well-{n}");
        assert!(
            html.contains(&format!(r#"id="{id}" name="outcomes.went_well""#)),
            "{id}"
        );
        assert!(html.contains(&format!(r#"id="{id}-count""#)));
    }
    assert!(!html.contains("outcomes-went_well-4"));
    assert!(html.contains(&format!(
        r#"maxlength="{MAX_POINT_CHARS}" data-maxlength="{MAX_POINT_CHARS}""#
    )));
    assert!(html.contains(r#"<option value="Effective" selected>Effective</option>"#));
    assert!(html.contains(r#"name="recommendation""#) && html.contains(r#"name="next_steps""#));
    assert!(
        html.contains(r#"value="submit""#),
        "the lead can send the draft"
    );
    assert!(!editor_html(&form, &[], None, None, false).contains(r#"value="submit""#));
    assert!(
        !editor_html(&form, &[], None, None, false).contains("<select"),
        "no scale, no judgement"
    );
}

#[test]
fn the_editor_links_errors_to_their_boxes_and_shows_both_texts_after_a_conflict() {
    let form = RawReport::from_pairs(&pairs(&[("summary", "My summary")]));
    let errors = vec![ReportFieldError {
        field: "summary".into(),
        message: "Enter the overall summary".into(),
    }];
    let html = editor_html(&form, &errors, None, None, true);
    assert!(html.contains(r##"<a href="#summary">Enter the overall summary</a>"##));
    assert!(html.contains(r#"id="summary-error""#));

    let mut theirs = Report::empty(&areas());
    theirs.summary = Some(Text::parse("Their summary", 100, true).unwrap());
    let html = editor_html(&form, &[], Some(("Tom O'Neill", &theirs)), None, true);
    assert!(html.contains("Someone else saved a newer version"));
    assert!(html.contains("Neill saved a newer version of the report"));
    assert!(
        html.contains("My summary</textarea>"),
        "the person's own text stays in the form"
    );
    assert!(
        html.contains("Their summary"),
        "and the saved text is shown beside it"
    );
}

#[test]
fn the_factual_check_page_shows_the_draft_and_a_box_per_section() {
    let report = typical();
    let mut doc = document(&report);
    doc.stage = Stage::Draft;
    let branding = branding();
    let errors = vec![ReportFieldError {
        field: "comment.summary".into(),
        message: "Keep your comment on Summary to 1500 characters or fewer".into(),
    }];
    let posted = pairs(&[("comment.summary", "<i>too long</i>")]);
    let html = FactualCheckPage::new(
        &branding,
        "SR-ABCD-12",
        &doc,
        "/status/t/report",
        4,
        &posted,
        &errors,
        None,
    )
    .unwrap()
    .render()
    .unwrap();
    for section in Section::all(&report) {
        assert!(html.contains(&format!(r#"id="{}""#, section.field())));
    }
    assert!(html.contains("&#60;i&#62;too long&#60;/i&#62;</textarea>"));
    assert!(html.contains("Draft for the school to check for factual accuracy"));
    assert!(html.contains(&words(report.areas[0].went_well[0].as_str())));
    assert!(html.contains(r#"name="version" value="4""#));

    let accepted = FactualCheck::Accepted;
    let html = FactualCheckPage::new(
        &branding,
        "SR-ABCD-12",
        &doc,
        "/x",
        4,
        &[],
        &[],
        Some(&accepted),
    )
    .unwrap()
    .render()
    .unwrap();
    assert!(html.contains("You confirmed the draft is factually accurate"));
    assert!(!html.contains("<form"));
}

#[test]
fn the_editor_asks_for_progress_beside_the_schools_action_plan() {
    let branding = branding();
    let plan = ActionPlan {
        rows: vec![ActionRow {
            action: "Recommendation 1".into(),
            owner: "Ms <Hughes>".into(),
            target_date: "2027-01-31".into(),
            status: ActionStatus::InProgress,
            notes: "Training booked".into(),
        }],
    };
    let form = RawReport::from_pairs(&pairs(&[("progress-1-rating", "good_progress")]));
    let errors = vec![ReportFieldError {
        field: "progress-2-seen".into(),
        message: "Enter the progress seen on recommendation 2".into(),
    }];
    let html = ReportEditorPage::new(EditorInput {
        branding: &branding,
        school_name: "Oakfield",
        reference: "SR-ABCD-12",
        visit_date_text: "10 March 2027".into(),
        action: "/reviews/token/report",
        version: 1,
        is_lead: true,
        checked: false,
        template: &ReportTemplate::FollowUp {
            recommendations: typical().recommendations,
        },
        action_plan: Some(&plan),
        scale: None,
        form: &form,
        errors: &errors,
        conflict: None,
        saved: false,
        factual_check: None,
        script: "",
    })
    .render()
    .unwrap();
    assert!(html.contains("Follow-up report: Oakfield"));
    for original in &typical().recommendations {
        assert!(html.contains(&original.action.as_str().replace('\'', "&#39;")));
    }
    for n in 1..=typical().recommendations.len() {
        assert!(html.contains(&format!(
            r#"id="progress-{n}-rating" name="progress-{n}-rating""#
        )));
        assert!(html.contains(&format!(
            r#"id="progress-{n}-seen" name="progress-{n}-seen""#
        )));
    }
    assert!(html.contains(r#"<option value="good_progress" selected>Good progress</option>"#));
    assert!(html.contains("In progress, led by Ms &#60;Hughes&#62;, target 2027-01-31."));
    assert!(html.contains("Training booked"));
    assert!(html.contains(
        r##"<a href="#progress-2-seen">Enter the progress seen on recommendation 2</a>"##
    ));
    assert!(html.contains("New recommendations"));
    assert!(!html.contains("What went well"), "no focus areas");
}
