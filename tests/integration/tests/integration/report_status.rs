//! The report on the school's status page: the steps follow the report's state, the page
//! links to what there is to check or read, and the final PDF downloads through a
//! short-lived presigned URL that only the school's own link gets. The scheduled function
//! reminds the lead of a late report and the school of a waiting factual check, once each.

use reqwest::StatusCode;
use time::OffsetDateTime;
use workflows::report::examples::typical;
use workflows::report::reminders::add_working_days;
use workflows::report::store::Moved;
use workflows::report::{FactualCheck, store};

use crate::support::{at_nine, spawn, step, tampered_token, visit_day};

#[tokio::test]
async fn the_status_page_follows_the_report_and_only_the_schools_link_downloads_the_pdf() {
    let app = spawn().await;
    let booked = app.booked().await;
    let request_id = booked.school.request_id.clone();
    let _table = app.table_handle();
    let now = OffsetDateTime::now_utc();
    let status = booked.status_link.clone();
    let pdf_link = format!("{status}/report.pdf");

    // Before the visit: nothing about the report yet.
    let html = app.page(&status).await;
    assert_eq!(step(&html, "Visit"), "Not started");
    assert_eq!(step(&html, "Report"), "Not started");
    assert!(!html.contains("/report\""));

    // The visit was yesterday: the reviewers are writing.
    let yesterday = now.date() - time::Duration::days(1);
    app.move_visit(booked.school.reference.as_str(), yesterday)
        .await;
    let item = app
        .item(format!("REQUEST#{request_id}"), "REQUEST")
        .await
        .unwrap();
    let lead = item["lead"].as_m().unwrap();
    assert_eq!(lead["visit_date"].as_s().unwrap(), &yesterday.to_string());
    // A reference that names no request changes nothing.
    let unknown = app
        .http
        .post(app.url("/_dev/requests/SR-ZZZZ-ZZ/visit-date"))
        .body(format!(r#"{{"date":"{yesterday}"}}"#))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    let html = app.page(&status).await;
    assert_eq!(step(&html, "Visit"), "Done");
    assert_eq!(step(&html, "Report"), "In progress");
    assert!(html.contains("Your reviewers are writing the report."));
    assert!(!html.contains(&format!("{}/report", booked.school.token)));

    // The draft is sent: the school is asked to check it.
    let version = app.draft_sent(&request_id, &typical(), now).await;
    let html = app.page(&status).await;
    assert!(html.contains(&format!(
        r#"<a href="/status/{}/report">Check your draft report</a>"#,
        booked.school.token
    )));
    assert!(!html.contains("report.pdf"));
    // No PDF before the report is final.
    let early = app.open(&pdf_link).await;
    assert_eq!(early.status(), StatusCode::NOT_FOUND);
    assert!(early.headers().get("location").is_none());

    assert_eq!(
        app.school_checks(&request_id, version, &FactualCheck::Accepted, now)
            .await,
        Moved::Done
    );
    let html = app.page(&status).await;
    assert!(html.contains("Read the draft and your answer"));
    assert_eq!(step(&html, "Report"), "In progress");

    // Final: the report is stored in S3, and the page links to it and to its PDF.
    let bucket = app
        .stack
        .function_env("SchoolPagesFunction")
        .required("EVIDENCE_BUCKET")
        .unwrap();
    let pdf = b"%PDF-1.7 the school's report".to_vec();
    let (html_key, pdf_key) = store::put_files(
        &app.stack.aws.s3,
        &bucket,
        &request_id,
        "<p>report</p>".into(),
        pdf.clone(),
    )
    .await
    .unwrap();
    assert_eq!(
        app.lead_finalises(&request_id, version, (&html_key, &pdf_key), now)
            .await,
        Moved::Done
    );
    let html = app.page(&status).await;
    assert_eq!(step(&html, "Report"), "Done");
    assert!(html.contains(&format!(
        r#"<a href="/status/{}/report.pdf">Download your report (PDF)</a>"#,
        booked.school.token
    )));
    assert!(html.contains(&format!(
        r#"<a href="/status/{}/report">Read your report</a>"#,
        booked.school.token
    )));

    // The school's link gets a short-lived presigned URL of the stored PDF.
    let download = app.open(&pdf_link).await;
    assert_eq!(download.status(), StatusCode::SEE_OTHER);
    let url = download.headers()["location"].to_str().unwrap().to_owned();
    assert!(url.contains("X-Amz-Expires=300"), "{url}");
    assert!(url.contains("report.pdf"), "{url}");
    let file = app.open(&url).await;
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.bytes().await.unwrap().to_vec(), pdf);

    // A tampered link, or anything that is not a link, gets 403 and no URL.
    let tampered = tampered_token(&booked.school.token);
    for token in [tampered.as_str(), "not-a-token"] {
        let response = app
            .open(app.url(&format!("/status/{token}/report.pdf")))
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{token}");
        assert!(response.headers().get("location").is_none());
    }
}

#[tokio::test]
async fn the_lead_is_reminded_once_of_a_late_report_and_the_school_once_of_a_waiting_check() {
    let app = spawn().await;
    let booked = app.booked().await;
    let request_id = booked.school.request_id.clone();
    let visit = visit_day();
    let due = add_working_days(visit, 15);
    let late = |run: &serde_json::Value| run["report"]["late_reminded"].clone();
    let waiting = |run: &serde_json::Value| run["report"]["factual_check_reminded"].clone();

    // On the due day the report is not late yet; the day after it is, once.
    assert_eq!(late(&app.run_schedule(at_nine(due)).await), 0);
    let lead_mails = app.stack.mail_to(&booked.lead).await.unwrap().len();
    assert_eq!(
        late(
            &app.run_schedule(at_nine(due + time::Duration::days(1)))
                .await
        ),
        1
    );
    assert_eq!(
        late(
            &app.run_schedule(at_nine(due + time::Duration::days(2)))
                .await
        ),
        0,
        "reminded once"
    );
    let mails = app.wait_for_mail(&booked.lead, lead_mails + 1).await;
    let reminder = mails
        .iter()
        .find(|m| m.subject.contains("is overdue"))
        .expect("the lead is reminded");
    assert!(reminder.text.contains(&format!(
        "was due by {}",
        records::domain::request::long_date(due)
    )));
    let editor = reminder
        .links
        .iter()
        .find(|l| l.ends_with("/report"))
        .unwrap();
    assert_eq!(editor, &format!("{}/report", booked.review_link));

    // The draft goes to the school: after five working days it is reminded, once.
    let sent_at = at_nine(due + time::Duration::days(3));
    app.draft_sent(&request_id, &typical(), sent_at).await;
    let ready = add_working_days(sent_at.date(), 5);
    let before = app
        .run_schedule(at_nine(ready - time::Duration::days(1)))
        .await;
    assert_eq!((late(&before), waiting(&before)), (0.into(), 0.into()));
    let school_mails = app
        .stack
        .mail_to(&booked.school_contact)
        .await
        .unwrap()
        .len();
    assert_eq!(waiting(&app.run_schedule(at_nine(ready)).await), 1);
    assert_eq!(
        waiting(
            &app.run_schedule(at_nine(ready + time::Duration::days(1)))
                .await
        ),
        0,
        "reminded once"
    );
    let mails = app
        .wait_for_mail(&booked.school_contact, school_mails + 1)
        .await;
    let reminder = mails
        .iter()
        .find(|m| m.subject.contains("waiting for you to check"))
        .expect("the school is reminded");
    assert!(
        reminder
            .links
            .contains(&format!("{}/report", booked.status_link))
    );
    let lead_subjects: Vec<String> = app
        .stack
        .mail_to(&booked.lead)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.subject)
        .collect();
    assert_eq!(
        lead_subjects.len(),
        lead_mails + 1,
        "nothing more to the lead: {lead_subjects:?}"
    );
}
