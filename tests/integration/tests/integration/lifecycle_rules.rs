//! The lifecycle's rule on the local stack: once the visit has taken place, or once the report
//! is final, neither side can move the visit (pages no longer offer it; the workflow refuses),
//! and the school's evidence is closed (no "add a file", no Delete; the workflow refuses,
//! storing nothing).

use records::programme::ProgrammeSettings;
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use time::{Duration, OffsetDateTime};
use workflows::evidence::{Category, EvidenceError, FileType, NewEvidence, state};

use crate::support::{Booked, TestStack, school_day, spawn};

fn ask(date: time::Date) -> String {
    format!("decision=ask&new_date={date}&reason=")
}

async fn body(response: reqwest::Response) -> (StatusCode, String) {
    (response.status(), response.text().await.unwrap())
}

async fn evidence_items(app: &TestStack, booked: &Booked) -> Vec<records::store::Item> {
    app.items_with_prefix(&format!("REQUEST#{}", booked.school.request_id))
        .await
        .into_iter()
        .filter(|i| i["sk"].as_s().unwrap().starts_with("EVIDENCE#"))
        .collect()
}

fn a_pdf() -> NewEvidence {
    NewEvidence {
        name: "Provision map".into(),
        category: Category::ProvisionMap,
        file_type: FileType::Pdf,
    }
}

#[tokio::test]
async fn a_visit_that_took_place_can_no_longer_move_and_its_evidence_stays_as_it_was() {
    let app = spawn().await;
    let booked = app.booked().await;
    let (status_date, review_date) = (
        format!("{}/date", booked.status_link),
        format!("{}/date", booked.review_link),
    );

    // Before the visit the school asks to move it; the lead has not answered when the day passes.
    let asked = app.answer(&status_date, &ask(school_day(45))).await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    let yesterday = OffsetDateTime::now_utc().date() - Duration::days(1);
    app.move_visit(booked.school.reference.as_str(), yesterday)
        .await;

    // The lead can no longer confirm it, and the review page no longer offers it.
    let review_page = app.text_at(&booked.review_link).await;
    assert!(!review_page.contains("Move the visit to"));
    assert!(!review_page.contains("Ask to change the date"));
    let (status, html) = body(app.answer(&review_date, "decision=confirm").await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("The visit has taken place, so its date can no longer change"));
    let request = app.stored_request(&booked.school.request_id).await;
    assert_eq!(request.lead.unwrap().visit_date, yesterday);
    assert_eq!(request.visit_sequence, 0);
    // Keeping the booked date is still possible: it clears the stale ask.
    let kept = app.answer(&review_date, "decision=keep").await;
    assert_eq!(kept.status(), StatusCode::SEE_OTHER);
    assert!(
        app.stored_request(&booked.school.request_id)
            .await
            .date_change
            .is_none()
    );

    // Neither side can ask for a new date; the school's page no longer offers it.
    let status_page = app.text_at(&booked.status_link).await;
    assert!(!status_page.contains("Ask to change the date"));
    for link in [&status_date, &review_date] {
        let (status, html) = body(app.answer(link, &ask(school_day(50))).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{link}");
        assert!(html.contains("The visit has taken place, so its date can no longer change"));
    }
    let request = app.stored_request(&booked.school.request_id).await;
    assert!(request.date_change.is_none());
    assert_eq!(request.lead.unwrap().visit_date, yesterday);

    // The workflow refuses a new file after the visit, storing nothing.
    let refused = app
        .evidence_store()
        .start_upload(
            &booked.school.request_id,
            &a_pdf(),
            1 << 20,
            ProgrammeSettings::new("", "").upload_limits(),
            OffsetDateTime::now_utc(),
        )
        .await;
    assert!(matches!(refused, Err(EvidenceError::Closed)), "{refused:?}");
    assert!(evidence_items(&app, &booked).await.is_empty());
}

#[tokio::test]
async fn once_the_report_is_final_the_visit_stays_and_the_evidence_is_closed() {
    let app = spawn().await;
    let booked = app.booked().await;
    let evidence = app.evidence_store();
    let (evidence_id, _) = app.upload_pdf(&booked.school, "Provision map").await;
    app.finalise(
        &booked.school.request_id,
        &workflows::report::examples::typical(),
    )
    .await;
    let booked_date = app
        .stored_request(&booked.school.request_id)
        .await
        .lead
        .unwrap()
        .visit_date;

    // The visit (still ahead on the calendar) can no longer move, from either side.
    for page in [&booked.status_link, &booked.review_link] {
        assert!(!app.text_at(page).await.contains("Ask to change the date"));
        let (status, html) = body(
            app.answer(&format!("{page}/date"), &ask(school_day(60)))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
        assert!(html.contains("The report is final, so the visit date can no longer change"));
    }
    let request = app.stored_request(&booked.school.request_id).await;
    assert!(request.date_change.is_none());
    assert_eq!(request.lead.unwrap().visit_date, booked_date);

    // The evidence page offers neither "add a file" nor Delete, and says why.
    let list = format!("{}/evidence", booked.status_link);
    let html = app.text_at(&list).await;
    assert!(
        html.contains("The report has been written, so files can no longer be added or deleted.")
    );
    assert!(!html.contains(r#"name="no_pupil_named""#));
    assert!(!html.contains("/delete"));

    // Posting either anyway is refused with a 409 page, and nothing is stored or deleted.
    let added = app
        .http
        .post(&list)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("name=Late&category=provision_map&file_type=pdf&no_pupil_named=yes")
        .send()
        .await
        .unwrap();
    let (status, html) = body(added).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("Files can no longer be added"));
    let deleted = app
        .http
        .post(format!("{list}/{evidence_id}/delete"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::CONFLICT);

    // The workflow itself refuses both.
    let now = OffsetDateTime::now_utc();
    let refused = evidence
        .start_upload(
            &booked.school.request_id,
            &a_pdf(),
            1 << 20,
            ProgrammeSettings::new("", "").upload_limits(),
            now,
        )
        .await;
    assert!(matches!(refused, Err(EvidenceError::Closed)), "{refused:?}");
    let refused = evidence
        .delete(&booked.school.request_id, &evidence_id, now)
        .await;
    assert!(matches!(refused, Err(EvidenceError::Closed)), "{refused:?}");
    let items = evidence_items(&app, &booked).await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["state"].as_s().unwrap(), state::RECEIVED);
    let download = format!("{list}/{evidence_id}/download");
    assert_eq!(
        app.http.get(&download).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_withdrawn_request_takes_no_self_evaluation_and_no_notes() {
    let app = spawn().await;
    let booked = app.booked().await;
    let request_id = &booked.school.request_id;
    // The school starts its self-evaluation, then the administrator withdraws the request.
    let url = format!("{}/self-evaluation", booked.status_link);
    let draft = |version: &str| {
        crate::support::form_encode(&[
            ("version", version),
            ("decision", "save"),
            ("evaluation_outcomes", "Good progress."),
        ])
    };
    let saved = app.post(&url, &draft("0")).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    app.withdraw(&booked.school.reference, "The school asked us to stop")
        .await;
    let before = app.request_items(request_id).await;

    // Neither a save nor a submit of the self-evaluation is stored, each says why.
    for decision in ["save", "submit"] {
        let form = crate::support::form_encode(&[
            ("version", "1"),
            ("decision", decision),
            ("evaluation_outcomes", "Changed after the withdrawal."),
        ]);
        let (status, html) = body(app.post(&url, &form).await).await;
        assert_eq!(status, StatusCode::CONFLICT, "{decision}");
        assert!(
            html.contains(
                "This request was withdrawn, so the self-evaluation can no longer be changed."
            ),
            "{decision}: {html}"
        );
    }
    // The page's script gets the same sentence as problem detail.
    let autosaved = app.autosave(&url, &draft("1")).await;
    assert_eq!(autosaved.status(), StatusCode::CONFLICT);
    let detail: serde_json::Value = autosaved.json().await.unwrap();
    assert!(detail["detail"].as_str().unwrap().contains("withdrawn"));

    // The school's pages say so and offer no form.
    let status_page = app.text_at(&booked.status_link).await;
    assert!(
        status_page.contains(
            "This request was withdrawn, so the self-evaluation can no longer be changed."
        )
    );
    assert!(status_page.contains("Read your self-evaluation"));
    let form_page = app.text_at(&url).await;
    assert!(form_page.contains("This request was withdrawn"));
    assert!(!form_page.contains("<form method=\"post\""), "{form_page}");

    // The lead's notes are refused too: the review link opens nothing of a withdrawn review.
    let notes = crate::support::form_encode(&[("version", "0"), ("notes", "Visit plan")]);
    let (status, html) = body(
        app.post(&format!("{}/notes", booked.review_link), &notes)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("This review was withdrawn on "), "{html}");

    // Nothing of the request changed, and no email was written.
    assert_eq!(app.request_items(request_id).await, before);
}
