//! The visit day: the plan the school and the lead build from a suggested day (versioned: a
//! stale save stores nothing), the areas no session serves, the school's confirmation, the
//! email to the other side when a confirmed plan changes, the lifecycle's refusals, and the
//! verbal feedback (shown to the school from the next morning, seeding the draft report).

use reqwest::StatusCode;
use time::{Duration, OffsetDateTime};
use visit_day::store::{CONFIRMED, DRAFT, FEEDBACK, PLAN, feedback_for_school};
use visit_day::{Plan, VerbalFeedback};

use crate::support::{Answered, Booked, TestStack, body, redirect, spawn};

/// One session's fields in row `n` of the plan form.
pub(crate) fn session<'a>(
    n: usize,
    kind: &'a str,
    (start, end): (&'a str, &'a str),
    area: &'a str,
) -> Vec<(String, &'a str)> {
    let mut fields = vec![
        (format!("session-{n}-kind"), kind),
        (format!("session-{n}-start"), start),
        (format!("session-{n}-end"), end),
        (format!("session-{n}-place"), "Library"),
        (
            format!("session-{n}-attendees"),
            "SENCO, two teaching assistants",
        ),
    ];
    if !area.is_empty() {
        fields.push((format!("session-{n}-area"), area));
    }
    fields
}

/// Posts a plan form (`decision=save`) based on `version` with `sessions`.
pub(crate) async fn save_plan(
    app: &TestStack,
    url: &str,
    version: &str,
    sessions: &[Vec<(String, &str)>],
) -> reqwest::Response {
    let mut pairs: Vec<(String, &str)> =
        vec![("decision".into(), "save"), ("version".into(), version)];
    for s in sessions {
        pairs.extend(s.iter().cloned());
    }
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    app.post_pairs(url, &pairs).await
}

async fn stored_plan(
    app: &TestStack,
    booked: &Booked,
) -> Option<records::versioned::Versioned<Plan>> {
    PLAN.get::<Plan>(&app.table_handle(), &booked.school.request_id)
        .await
        .unwrap()
}

/// The emails about a changed plan sent to `address` so far.
async fn plan_emails(app: &TestStack, address: &str) -> usize {
    app.stack
        .mail_to(address)
        .await
        .unwrap()
        .iter()
        .filter(|m| m.subject.starts_with("Visit plan changed"))
        .count()
}

/// The `count`th email about a changed plan to `address` (the newest once there are `count`).
async fn plan_email(
    app: &TestStack,
    address: &str,
    count: usize,
) -> local_runner::mailbox::SentMail {
    let changed = |m: &local_runner::mailbox::SentMail| m.subject.starts_with("Visit plan changed");
    let mails = app.wait_for_mail_where(address, count, changed).await;
    mails[0].clone()
}

/// A plan `day` saved on `url` over `version` is refused with `reason`.
async fn refused(
    app: &TestStack,
    (url, version): (&str, &str),
    day: &[Vec<(String, &str)>],
    reason: &str,
) {
    let answer = save_plan(app, url, version, day).await;
    answer.says(StatusCode::CONFLICT, reason).await;
}

/// The plan page of each side.
pub(crate) fn pages(booked: &Booked) -> (String, String) {
    (
        format!("{}/visit-day", booked.status_link),
        format!("{}/visit-day", booked.review_link),
    )
}

#[tokio::test]
async fn the_plan_is_drafted_from_the_focus_areas_a_stale_save_stores_nothing_and_the_school_confirms_it()
 {
    let app = spawn().await;
    let booked = app.booked().await;
    let (school, lead) = pages(&booked);
    let areas = visit_day::store::area_keys(&app.stored_request(&booked.school.request_id).await);
    assert_eq!(areas.len(), 8, "the whole review: every area");

    // Nothing saved: both sides see the suggested day, which serves every area asked for.
    let status = app.text_at(&booked.status_link).await;
    assert!(
        status.contains("Plan the visit day with the lead reviewer"),
        "{status}"
    );
    for page in [&school, &lead] {
        let html = body(app.open(page).await, StatusCode::OK).await;
        assert!(
            html.contains("A suggested day, drafted from the review&#39;s focus areas"),
            "{html}"
        );
        assert!(html.contains("Meeting with the SENCO") && html.contains("Meeting with governors"));
        assert!(html.contains("Every focus area of the review is served"));
        assert!(
            !html.contains("Confirm this plan"),
            "nothing saved, nothing to confirm"
        );
    }
    assert!(
        stored_plan(&app, &booked).await.is_none(),
        "opening a page stores nothing"
    );

    // The lead saves a day of one session, for leadership only: outcomes is not served.
    let saved = save_plan(
        &app,
        &lead,
        "0",
        &[session(
            1,
            "senco_meeting",
            ("09:00", "10:00"),
            "leadership",
        )],
    )
    .await;
    assert!(redirect(&saved).ends_with("/visit-day?saved=plan"));
    let html = app.text_at(&school).await;
    assert!(
        html.contains("No session serves these focus areas yet"),
        "{html}"
    );
    assert!(html.contains("<li>Outcomes for learners with SEND</li>"));
    assert!(!html.contains("<li>Leadership of SEND</li>"));
    assert!(html.contains("Last saved by Ada Lead"));

    // The school's page from before that save (version 0) stores nothing and shows both.
    let stale = save_plan(
        &app,
        &school,
        "0",
        &[session(1, "learning_walk", ("10:00", "11:00"), "outcomes")],
    )
    .await;
    let html = body(stale, StatusCode::CONFLICT).await;
    assert!(html.contains("Ada Lead saved a newer plan"), "{html}");
    assert!(
        html.contains(r#"<option value="learning_walk" selected>"#),
        "the school's own text stays in the form"
    );
    let stored = stored_plan(&app, &booked).await.unwrap();
    assert_eq!((stored.version, stored.state.as_str()), (1, DRAFT));
    assert_eq!(stored.body.sessions.len(), 1);
    assert_eq!(stored.body.sessions[0].kind.as_str(), "senco_meeting");

    // Bad input: a problem per field, nothing stored.
    let bad = save_plan(
        &app,
        &school,
        "1",
        &[
            session(1, "", ("09:00", "10:00"), ""),
            session(2, "pupil_voice", ("11:00", "10:30"), ""),
            session(3, "work_scrutiny", ("half past one", "14:00"), ""),
        ],
    )
    .await;
    let html = body(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        html.contains(r##"<a href="#session-1-kind">Choose what session 1 is</a>"##),
        "{html}"
    );
    assert!(html.contains("Session 2 must end after it starts (11:00)"));
    assert!(html.contains("Enter the time session 3 starts as hours and minutes, like 09:30"));
    assert_eq!(stored_plan(&app, &booked).await.unwrap().version, 1);

    // The school adds a session for outcomes: it is served now; then it confirms.
    let served = [
        session(1, "senco_meeting", ("09:00", "10:00"), "leadership"),
        session(2, "work_scrutiny", ("10:00", "11:00"), "outcomes"),
    ];
    let both = save_plan(&app, &school, "1", &served).await;
    assert!(redirect(&both).ends_with("/visit-day?saved=1"));
    let html = app.text_at(&school).await;
    assert!(
        !html.contains("<li>Outcomes for learners with SEND</li>"),
        "{html}"
    );
    assert!(html.contains("<li>Efficient use of resources</li>"));
    assert!(html.contains("Confirm this plan"));
    let lead_html = app.text_at(&lead).await;
    assert!(
        !lead_html.contains("Confirm this plan"),
        "only the school confirms"
    );
    let confirmed = app
        .post_pairs(&school, &[("decision", "confirm"), ("version", "2")])
        .await;
    assert!(redirect(&confirmed).ends_with("/visit-day?saved=1"));
    let stored = stored_plan(&app, &booked).await.unwrap();
    assert_eq!((stored.version, stored.state.as_str()), (3, CONFIRMED));
    // A second click (an old page) confirms nothing more.
    app.post_pairs(&school, &[("decision", "confirm"), ("version", "2")])
        .await
        .says(StatusCode::CONFLICT, "The plan was not confirmed")
        .await;
    assert!(
        app.text_at(&booked.status_link)
            .await
            .contains("You have confirmed the plan of the day.")
    );
    // Nobody was told of a change: nothing changed after confirmation.
    assert_eq!(plan_emails(&app, &booked.school_contact).await, 0);
    assert_eq!(plan_emails(&app, &booked.lead).await, 0);
}

#[tokio::test]
async fn a_change_after_confirmation_emails_the_other_side_once() {
    let app = spawn().await;
    let booked = app.booked().await;
    let (school, lead) = pages(&booked);
    let day = [session(
        1,
        "senco_meeting",
        ("09:00", "10:00"),
        "leadership",
    )];
    assert!(redirect(&save_plan(&app, &lead, "0", &day).await).ends_with("?saved=plan"));
    app.post_pairs(&school, &[("decision", "confirm"), ("version", "1")])
        .await;

    // The lead changes the confirmed plan: the school gets one email with the new day.
    let changed = [
        session(1, "senco_meeting", ("09:00", "10:00"), "leadership"),
        session(2, "lesson_visits", ("10:15", "11:30"), "outcomes"),
    ];
    redirect(&save_plan(&app, &lead, "2", &changed).await);
    let email = plan_email(&app, &booked.school_contact, 1).await;
    assert!(
        email
            .text
            .contains("Ada Lead, the lead reviewer, changed the plan"),
        "{}",
        email.text
    );
    assert!(
        email
            .text
            .contains("10:15–11:30 Lesson visits, Library (SENCO, two teaching assistants)")
    );
    assert!(
        email
            .links
            .iter()
            .any(|l| l.contains("/status/") && l.ends_with("/visit-day"))
    );
    assert_eq!(plan_emails(&app, &booked.school_contact).await, 1);
    assert_eq!(
        plan_emails(&app, &booked.lead).await,
        0,
        "not to the one who changed it"
    );
    assert_eq!(
        stored_plan(&app, &booked).await.unwrap().state,
        CONFIRMED,
        "it stays confirmed"
    );

    // The school changes it: the lead gets one email, linking to their own page.
    redirect(&save_plan(&app, &school, "3", &day).await);
    let email = plan_email(&app, &booked.lead, 1).await;
    assert!(email.text.contains("The school changed the plan"));
    assert!(
        email
            .links
            .iter()
            .any(|l| l.contains("/reviews/") && l.ends_with("/visit-day"))
    );

    // A stale save after confirmation stores nothing and sends nothing.
    let stale = save_plan(&app, &lead, "2", &changed).await;
    assert_eq!(stale.status(), StatusCode::CONFLICT);
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(plan_emails(&app, &booked.school_contact).await, 1);
    assert_eq!(plan_emails(&app, &booked.lead).await, 1);
    assert_eq!(stored_plan(&app, &booked).await.unwrap().version, 4);
}

#[tokio::test]
async fn the_plan_is_refused_before_booking_after_the_visit_and_after_withdrawal() {
    let app = spawn().await;
    let day = [session(1, "senco_meeting", ("09:00", "10:00"), "")];

    // Not booked yet: the page says so and a save stores nothing.
    let unbooked = app.school().await;
    let url = app.url(&format!("/status/{}/visit-day", unbooked.token));
    app.open(&url)
        .await
        .says(
            StatusCode::OK,
            "The visit day is planned once a visit is booked",
        )
        .await;
    refused(
        &app,
        (&url, "0"),
        &day,
        "The visit day can be planned once a visit is booked.",
    )
    .await;
    let table = app.table_handle();
    assert!(
        PLAN.get::<Plan>(&table, &unbooked.request_id)
            .await
            .unwrap()
            .is_none()
    );

    // The visit has taken place: the plan no longer changes, and the page offers no form.
    let booked = app.booked().await;
    let (school, lead) = pages(&booked);
    redirect(&save_plan(&app, &lead, "0", &day).await);
    let to_the_visit =
        (crate::support::visit_day() - OffsetDateTime::now_utc().date()).whole_days();
    app.days_pass(&booked.school.request_id, to_the_visit + 1)
        .await;
    refused(
        &app,
        (&school, "1"),
        &day,
        "The visit has taken place, so its plan can no longer change.",
    )
    .await;
    let html = app.text_at(&school).await;
    assert!(!html.contains("Save the plan") && html.contains("The visit has taken place"));

    // Withdrawn: refused, nothing stored.
    app.withdraw(
        &booked.school.reference,
        "The school closed for building work",
    )
    .await;
    refused(&app, (&school, "1"), &day, "withdrawn").await;
    assert_eq!(stored_plan(&app, &booked).await.unwrap().version, 1);
}

#[tokio::test]
async fn verbal_feedback_is_shown_to_the_school_the_next_morning_and_seeds_an_empty_draft_report() {
    let app = spawn().await;
    let booked = app.booked().await;
    let (_, lead) = pages(&booked);
    let feedback = |version: &'static str| {
        [
            ("decision", "feedback"),
            ("version", version),
            (
                "feedback-leadership-went_well",
                "A clear vision for SEND\nGovernors know the provision",
            ),
            (
                "feedback-outcomes-even_better_if",
                "Track small steps of progress",
            ),
            ("feedback-general-went_well", "A warm welcome"),
        ]
    };

    // Before the day: refused, and the page has no feedback form.
    app.post_pairs(&lead, &feedback("0"))
        .await
        .says(
            StatusCode::CONFLICT,
            "The verbal feedback can be recorded from the day of the visit.",
        )
        .await;
    assert!(!app.text_at(&lead).await.contains("Save the feedback"));

    // On the day the lead records it; the school does not see it that day.
    let today = OffsetDateTime::now_utc().date();
    let to_the_visit = (crate::support::visit_day() - today).whole_days();
    app.days_pass(&booked.school.request_id, to_the_visit).await;
    assert!(app.text_at(&lead).await.contains("Save the feedback"));
    let saved = app.post_pairs(&lead, &feedback("0")).await;
    assert!(redirect(&saved).ends_with("?saved=feedback#verbal-feedback"));
    let status = app.text_at(&booked.status_link).await;
    assert!(
        !status.contains("A clear vision for SEND")
            && !status.contains("Verbal feedback from the visit")
    );

    // The release, by the clock the use case is given: 08:00 UK time the next morning.
    let stored = app.stored_request(&booked.school.request_id).await;
    let release = visit_day::feedback::shown_to_school_from(today);
    let table = app.table_handle();
    assert!(
        feedback_for_school(&table, &stored, release - Duration::minutes(1))
            .await
            .unwrap()
            .is_none()
    );
    let shown = feedback_for_school(&table, &stored, release)
        .await
        .unwrap()
        .expect("shown from 08:00");
    assert_eq!(shown.body.about("leadership").unwrap().went_well.len(), 2);

    // The days pass: the school's status page shows the points.
    app.days_pass(&booked.school.request_id, 2).await;
    let status = app.text_at(&booked.status_link).await;
    assert!(
        status.contains("Verbal feedback from the visit"),
        "{status}"
    );
    assert!(
        status.contains("<li>A clear vision for SEND</li>")
            && status.contains("<li>Track small steps of progress</li>")
    );
    assert!(status.contains("<li>A warm welcome</li>"));

    // The report editor's empty draft starts from them (per area; general points stay out).
    let report = app.text_at(format!("{}/report", booked.review_link)).await;
    assert!(
        report.contains(">A clear vision for SEND</textarea>"),
        "{report}"
    );
    assert!(report.contains(">Governors know the provision</textarea>"));
    assert!(report.contains(">Track small steps of progress</textarea>"));
    assert!(!report.contains("A warm welcome"));
    let stored = FEEDBACK
        .get::<VerbalFeedback>(&table, &booked.school.request_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.updated_by, "Ada Lead");
}
