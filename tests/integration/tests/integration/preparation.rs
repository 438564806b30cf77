//! Preparing for the visit: the school's self-evaluation (saved as typed, never silently
//! overwritten, submitted when complete, reminders before the visit) and the review team's
//! preparation page (the self-evaluation, the evidence with downloads, private notes).

use records::domain::request::FocusArea;
use records::store::Item;
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::Value;
use time::{Duration, OffsetDateTime};
use workflows::self_evaluation::{KIND, SelfEvaluation};

use crate::support::{
    Answered, PDF, TestStack, at_nine, body, complete_self_evaluation, csp, form_encode, offer_id,
    redirect, reviewer_row, spawn, tampered, visit_day,
};

fn encode(text: &str) -> String {
    form_encode(&[("x", text)])[2..].to_owned()
}

#[tokio::test]
async fn the_school_saves_its_self_evaluation_an_old_page_cannot_overwrite_it_and_the_team_reads_it_once_submitted()
 {
    let app = spawn().await;
    let booked = app.booked().await;
    let url = format!("{}/self-evaluation", booked.status_link);
    let table = app.table_handle();

    let page = app.open(&url).await;
    assert_eq!(page.status(), StatusCode::OK);
    let csp = csp(&page);
    assert!(csp.contains("script-src 'sha256-"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(
        html.contains("How do learners with SEND progress compared with their starting points")
    );
    assert!(html.contains("Please submit it by"));

    // Save; the page says so and shows the text.
    let saved = app
        .post_pairs(
            &url,
            &[
                ("version", "0"),
                ("decision", "save"),
                ("evaluation_outcomes", "Good progress <b>overall</b>."),
            ],
        )
        .await;
    assert!(redirect(&saved).ends_with("/self-evaluation?saved=1"));
    let html = app
        .text_at(app.url(saved.headers()[LOCATION].to_str().unwrap()))
        .await;
    assert!(html.contains("Your changes are saved."));
    assert!(
        html.contains("Good progress &#60;b&#62;overall&#60;/b&#62;."),
        "user text is escaped"
    );

    // An old page (version 0) cannot overwrite it: 409, both texts shown, nothing stored.
    let html = app
        .post_stale(
            &url,
            &[("decision", "save"), ("evaluation_outcomes", "Older text")],
        )
        .await;
    assert!(
        html.contains(">Older text</textarea>"),
        "the school's own text stays in the form"
    );
    assert!(html.contains("The saved version says:"));
    let stored = KIND
        .get::<SelfEvaluation>(&table, &booked.school.request_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.version, 1);
    assert_eq!(
        stored
            .body
            .section(&FocusArea::parse("outcomes").unwrap())
            .unwrap()
            .evaluation,
        "Good progress <b>overall</b>."
    );

    // Autosave answers JSON with the new version; too much text is refused and stores nothing.
    let autosaved = app
        .autosave(
            &url,
            &form_encode(&[
                ("version", "1"),
                ("decision", "autosave"),
                ("evaluation_outcomes", "Good progress."),
            ]),
        )
        .await;
    assert_eq!(autosaved.status(), StatusCode::OK);
    assert_eq!(autosaved.json::<Value>().await.unwrap()["version"], 2);
    let too_long = "x".repeat(4001);
    let refused = app
        .post_pairs(
            &url,
            &[
                ("version", "2"),
                ("decision", "save"),
                ("evaluation_leadership", &too_long),
            ],
        )
        .await;
    refused
        .says(
            StatusCode::UNPROCESSABLE_ENTITY,
            "must be 4000 characters or fewer",
        )
        .await;
    assert_eq!(
        KIND.get::<SelfEvaluation>(&table, &booked.school.request_id)
            .await
            .unwrap()
            .unwrap()
            .version,
        2
    );

    // Submitting an incomplete one saves it but says what is missing.
    let incomplete = app
        .post_pairs(
            &url,
            &[
                ("version", "2"),
                ("decision", "submit"),
                ("evaluation_outcomes", "Good progress."),
            ],
        )
        .await;
    incomplete
        .says(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Write your evaluation of leadership of send",
        )
        .await;

    // Complete: submitted, read-only, and the lead is told.
    let submitted = app
        .post(
            &url,
            &complete_self_evaluation("3", &crate::support::all_areas(), |area| {
                format!("Our view on {}.", area.title)
            }),
        )
        .await;
    assert_eq!(submitted.status(), StatusCode::SEE_OTHER);
    let html = app.text_at(&url).await;
    assert!(html.contains("You submitted your self-evaluation."));
    assert!(!html.contains("<textarea"));
    let late = app
        .post_pairs(&url, &[("version", "4"), ("decision", "save")])
        .await;
    assert_eq!(
        late.status(),
        StatusCode::SEE_OTHER,
        "a submitted self-evaluation is not changed"
    );
    let mails = app.wait_for_mail(&booked.lead, 3).await;
    assert!(
        mails[0]
            .subject
            .contains("has submitted its self-evaluation")
    );
    assert!(mails[0].links.iter().any(|l| l.contains("/reviews/")));

    // The lead reads it on the preparation page.
    let review = app.text_at(&booked.review_link).await;
    assert!(review.contains("Our view on Leadership of SEND."));
    assert!(review.contains("The provision map"));
}

#[tokio::test]
async fn the_review_team_downloads_the_evidence_and_keeps_private_notes_that_an_old_page_cannot_overwrite()
 {
    let app = spawn().await;
    let booked = app.booked().await;

    // Before anything is shared.
    let html = app.text_at(&booked.review_link).await;
    assert!(html.contains("The school has not started its self-evaluation yet."));
    assert!(html.contains("The school has not shared any files yet."));

    // The school uploads a PDF; the reviewer downloads it through a short-lived URL, recorded.
    let store = app.evidence_store();
    let (evidence_id, _) = app.upload_pdf(&booked.school, "Provision map").await;
    let html = app.text_at(&booked.review_link).await;
    assert!(html.contains("Provision map"));
    let download = app
        .open(format!("{}/evidence/{evidence_id}", booked.review_link))
        .await;
    assert_eq!(download.status(), StatusCode::SEE_OTHER);
    let url = download.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(url.contains("X-Amz-Expires="), "{url}");
    let file = reqwest::get(&url).await.unwrap();
    assert_eq!(file.bytes().await.unwrap().as_ref(), PDF);
    let log = store.access_log(&booked.school.request_id).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].accessor, "reviewer");
    // Another request's reviewer, an expired link and a tampered one: 403, no URL, no record.
    // Ada steps back for a while, so Bo takes the second school.
    let resting = reviewer_row("Ada Lead", &booked.lead, 204, "primary", 2, "900001");
    app.import_reviewers(&[format!("{},no", resting.strip_suffix(",yes").unwrap())])
        .await;
    let other = app.booked_with("Bo Other", "100102").await;
    let tampered = tampered(&booked.review_link);
    let secret = records::links::LinkSecret::load(
        app.stack.function_env("ReviewerPagesFunction"),
        &app.stack.aws,
    )
    .await
    .unwrap();
    let offer_id = offer_id(&booked.review_link);
    let signed = |expires_at: i64| {
        let token = secret.offer_token(offer_id, records::links::OfferAction::Review, expires_at);
        app.url(&format!("/reviews/{token}"))
    };
    let now = OffsetDateTime::now_utc().unix_timestamp();
    assert_eq!(
        app.open(signed(now + 3600)).await.status(),
        StatusCode::OK,
        "a link signed with the stack's secret works, so the expired one fails for its expiry"
    );
    for link in [other.review_link.clone(), tampered, signed(now - 1)] {
        let refused = app.open(format!("{link}/evidence/{evidence_id}")).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{link}");
        assert!(refused.headers().get(LOCATION).is_none());
    }
    assert_eq!(
        store
            .access_log(&booked.school.request_id)
            .await
            .unwrap()
            .len(),
        1
    );

    // Notes: saved; an old page gets both texts and stores nothing; too long is refused.
    let notes = format!("{}/notes", booked.review_link);
    let saved = app
        .post(
            &notes,
            &format!("version=0&notes={}", encode("Ask about the TA deployment.")),
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let stale = app
        .post(
            &notes,
            &format!("version=0&notes={}", encode("Another thought")),
        )
        .await;
    let html = body(stale, StatusCode::CONFLICT).await;
    assert!(html.contains("Ada Lead saved newer notes"));
    assert!(
        html.contains(">Another thought</textarea>")
            && html.contains("Ask about the TA deployment.")
    );
    let too_long = app
        .post(&notes, &format!("version=1&notes={}", "x".repeat(10_001)))
        .await;
    assert_eq!(too_long.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let stored = workflows::review_notes::KIND
        .get::<workflows::review_notes::ReviewNotes>(&app.table_handle(), &booked.school.request_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.version, stored.body.text.as_str()),
        (1, "Ask about the TA deployment.")
    );
    // The school never sees them.
    let status = app.text_at(&booked.status_link).await;
    assert!(!status.contains("TA deployment"));
}

#[tokio::test]
async fn the_school_is_reminded_three_weeks_and_one_week_before_the_visit_once_each() {
    let app = spawn().await;
    let booked = app.booked().await;
    let visit = visit_day();
    let fire = |days_before: i64| app.run_schedule(at_nine(visit - Duration::days(days_before)));
    // Four weeks before: nothing. Three weeks: one reminder, however often the task runs.
    fire(28).await;
    assert_eq!(reminders(&app).await, 0);
    for _ in 0..2 {
        fire(21).await;
    }
    assert_eq!(reminders(&app).await, 1);
    fire(7).await;
    assert_eq!(reminders(&app).await, 2);
    assert!(
        app.wait_for_mail(&booked.school_contact, 4).await[0]
            .subject
            .starts_with("Your self-evaluation for the visit on")
    );
}

/// Self-evaluation reminders in the outbox.
async fn reminders(app: &TestStack) -> usize {
    let items: Vec<Item> = app.outbox_items().await;
    items
        .iter()
        .filter(|i| {
            i["email"]
                .as_s()
                .is_ok_and(|e| e.contains("self_evaluation_reminder"))
        })
        .count()
}
