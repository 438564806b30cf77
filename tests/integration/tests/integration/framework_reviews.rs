//! A review of another type than the whole-school one, through the pages and links people use:
//! the request form and the API offer and check the focus areas of the chosen type's framework;
//! the request records the framework version it was made under; the status page, the
//! self-evaluation, the report editor and the PDF show that version's areas, prompts and
//! headings, even after a programme publishes a new version mid-review, which only new
//! requests get.

use ::frameworks::{Framework, Published};
use records::domain::request::ReviewType;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::support::{
    TestStack, attached_pdf_text, complete_report, day, link_containing, report_form, reviewer_row,
    spawn, unique_address, version_on,
};

/// The built-in TA framework's first two areas, as its file names them.
const CLASSROOM: (&str, &str) = (
    "everyday_classroom",
    "Teaching assistants in everyday classrooms",
);
const PREPARATION: (&str, &str) = ("preparation", "Preparation and time with teachers");
/// The first mainstream prompt of the classroom area.
const CLASSROOM_PROMPT: &str = "Who do teaching assistants work with in lessons, and who decides?";
/// The programme's own title for the classroom area, published mid-review.
const RENAMED: &str = "Our teaching assistants in lessons";

fn ta_request(urn: &str, email: &str, focus_areas: Value) -> Value {
    json!({
        "school": {
            "urn": urn, "name": "Brook Primary School", "phase": "primary", "type": "mainstream",
            "local_authority_code": 202, "postcode": "NW1 2DB", "number_on_roll": 420,
            "sen_support_percent": 14.5, "ehc_plan_percent": 3.2,
            "areas_of_need": ["communication_and_interaction"]
        },
        "review_type": "ta_deployment",
        "focus_areas": focus_areas,
        "visit_windows": [
            { "start": day(30).to_string(), "end": day(40).to_string() },
            { "start": day(60).to_string(), "end": day(70).to_string() }
        ],
        "learning_goal": "How our teaching assistants help pupils learn.",
        "contact": { "name": "Grace Hopper", "role": "SENCO", "email": email },
        "declarations": { "no_pupil_named": true, "privacy_notice_accepted": true }
    })
}

/// The programme publishes its own TA framework over the built-in: the classroom area renamed.
async fn publish_renamed_classroom_area(app: &TestStack) {
    let mut framework = Framework::built_in(ReviewType::TaDeployment);
    framework.name = "Northshire TA review".into();
    framework.areas[0].title = RENAMED.into();
    framework.areas[0].report_heading = RENAMED.into();
    let audit = records::audit::Actor::new("coordinator (test)", OffsetDateTime::now_utc()).entry(
        "framework published",
        records::audit::AuditSubject::Programme,
        "the TA framework",
    );
    let published = ::frameworks::publish(&app.table_handle(), &framework, 0, &audit)
        .await
        .unwrap();
    assert_eq!(published, Published::Published { version: 1 });
}

#[tokio::test]
async fn the_form_and_the_api_offer_each_type_its_own_areas_and_refuse_another_types() {
    let app = spawn().await;
    let form = app.page(&app.url("/request")).await;
    assert!(form.contains("Focus areas of a Teaching assistant deployment review"));
    assert!(form.contains(&format!(r#"value="ta_deployment:{}""#, CLASSROOM.0)));
    assert!(form.contains(CLASSROOM.1));
    assert!(form.contains("Focus areas of a Preparing for Adulthood review"));

    // The API refuses a whole-school area with a TA review, at the field, storing nothing.
    let school = unique_address("school");
    let (status, problem) = app
        .post_request_json(&ta_request("100101", &school, json!(["outcomes"])))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let errors = problem["errors"].to_string();
    assert!(errors.contains("/focus_areas"), "{problem}");
    assert!(
        errors.contains("not one of the focus areas of this kind of review"),
        "{problem}"
    );
    assert!(app.items_with_prefix("REFERENCE#").await.is_empty());

    // The served document lists each type's areas: what it shows is what is accepted.
    let document: Value = app
        .open(app.url("/api/v1/openapi.json"))
        .await
        .json()
        .await
        .unwrap();
    let conditions = document["components"]["schemas"]["ReviewRequest"]["allOf"].to_string();
    assert!(
        conditions.contains(r#"{"const":"ta_deployment"}"#),
        "{conditions}"
    );
    assert!(conditions.contains(CLASSROOM.0), "{conditions}");
}

/// The form reads the programme's settings with the frameworks' pointers in one batch while
/// its branding is not cached, then the pointers alone: either way it shows both as stored.
#[tokio::test]
async fn the_form_shows_the_programmes_settings_and_the_frameworks_as_published_when_read_together()
{
    let app = spawn().await;
    let settings = records::programme::ProgrammeSettings::new(
        "Riverside SEND Partnership",
        "partnership@example.org",
    );
    records::programme::put(&app.table_handle(), &settings)
        .await
        .unwrap();
    let first = app.page(&app.url("/request")).await;
    assert!(first.contains("Riverside SEND Partnership"), "{first}");
    assert!(first.contains(CLASSROOM.1) && !first.contains(RENAMED));

    // Published after the branding was cached: the next form reads the pointers again.
    publish_renamed_classroom_area(&app).await;
    let next = app.page(&app.url("/request")).await;
    assert!(next.contains("Riverside SEND Partnership"), "{next}");
    assert!(
        next.contains(RENAMED) && !next.contains(CLASSROOM.1),
        "{next}"
    );
}

#[tokio::test]
async fn a_ta_review_keeps_its_framework_version_when_a_new_one_is_published_mid_review() {
    let app = spawn().await;
    let lead = unique_address("lead");
    app.import_reviewers(&[reviewer_row("Ada Lead", &lead, 204, "primary", 2, "900001")])
        .await;
    let school = unique_address("school");
    let reference = app
        .submit_json(ta_request(
            "100101",
            &school,
            json!([CLASSROOM.0, PREPARATION.0]),
        ))
        .await;
    let booked = app
        .accept_offer(reference.as_str(), &school, &lead, 0)
        .await;
    let request_id = booked.school.request_id.clone();
    let stored = app.stored_request(&request_id).await;
    assert_eq!(
        (
            stored.request.framework.review_type,
            stored.request.framework.version
        ),
        (ReviewType::TaDeployment, 0)
    );

    // Mid-review, the programme publishes its own version.
    publish_renamed_classroom_area(&app).await;

    // The school's pages keep the version the request was made under.
    let status = app.page(&booked.status_link).await;
    assert!(status.contains(CLASSROOM.1) && status.contains(PREPARATION.1));
    assert!(!status.contains(RENAMED));
    let evaluation = app
        .page(&format!("{}/self-evaluation", booked.status_link))
        .await;
    assert!(evaluation.contains(CLASSROOM.1), "the area's title");
    assert!(
        evaluation.contains(CLASSROOM_PROMPT),
        "the TA framework's prompt"
    );
    assert!(!evaluation.contains(RENAMED));
    assert!(!evaluation.contains("Outcomes for learners with SEND"));

    // The report editor and the PDF have the request's framework's headings.
    app.move_visit(reference.as_str(), day(-1)).await;
    let review = app.page(&booked.review_link).await;
    let report_link = app.href(&review, "Write the report");
    let editor = app.page(&report_link).await;
    assert!(editor.contains(&format!(r#"name="{}.went_well""#, CLASSROOM.0)));
    assert!(editor.contains(CLASSROOM.1) && !editor.contains(RENAMED));
    let areas = stored.request.areas();
    let report = complete_report(&areas);
    let sent = app
        .post(&report_link, &report_form(&report, 0, "submit"))
        .await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let school_mails = app.wait_for_mail(&school, 3).await;
    let check_link = link_containing(&school_mails[..1], "/report");
    let draft = app.page(&check_link).await;
    assert!(draft.contains(CLASSROOM.1) && !draft.contains(RENAMED));
    let accepted = app
        .post(&check_link, &format!("version={}", version_on(&draft)))
        .await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    let editor = app.page(&report_link).await;
    let finalised = app
        .post(
            &report_link,
            &report_form(&report, version_on(&editor).parse().unwrap(), "finalise"),
        )
        .await;
    assert_eq!(
        finalised.status(),
        StatusCode::SEE_OTHER,
        "{:?}",
        finalised.headers().get(LOCATION)
    );
    // Finalising queues the report with the feedback invitation: either may arrive first.
    let reports = app
        .wait_for_mail_where(&school, 1, |m| m.subject.starts_with("Your review report"))
        .await;
    let text = attached_pdf_text(&reports[0]);
    assert!(text.contains(CLASSROOM.1), "{text}");
    assert!(text.contains(PREPARATION.1), "{text}");
    assert!(!text.contains(RENAMED));

    // A new request gets the new version, with the programme's own title.
    let other = unique_address("other");
    let newer = app
        .submit_json(ta_request("100102", &other, json!("all")))
        .await;
    let newer = app
        .stored_request(&app.request_id(newer.as_str()).await)
        .await;
    assert_eq!(newer.request.framework.version, 1);
    let titles: Vec<String> = newer.request.areas().into_iter().map(|a| a.title).collect();
    assert_eq!(titles.len(), 6, "all of the framework's areas");
    assert_eq!(titles[0], RENAMED);
}
