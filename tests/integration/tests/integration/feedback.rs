//! Feedback both ways against DynamoDB Local and moto: the lead finalises the report through
//! the editor and the school and each reviewer are emailed a link of their own; each answers
//! once (bad input is named per field and stores nothing; a second answer is refused), and
//! neither side's pages ever show the other side's answer.

use local_runner::mailbox::SentMail;
use reqwest::StatusCode;
use time::OffsetDateTime;
use workflows::report::FactualCheck;
use workflows::report::store::Moved;

use crate::support::{Answered, TestStack, body, complete_report, report_form, spawn};

/// The feedback emails `address` has had (waits up to 30 s for the first; any duplicate would
/// have been queued in the same transaction, so none is late).
async fn feedback_mails(app: &TestStack, address: &str) -> Vec<SentMail> {
    app.wait_for_mail_where(address, 1, |m| {
        m.links.iter().any(|l| l.contains("/feedback/"))
    })
    .await
}

fn feedback_link(mail: &SentMail) -> String {
    mail.links
        .iter()
        .find(|l| l.contains("/feedback/"))
        .unwrap()
        .clone()
}

async fn stored_answers(app: &TestStack, request_id: &str) -> Vec<String> {
    app.items_with_prefix(&format!("REQUEST#{request_id}"))
        .await
        .iter()
        .filter_map(|i| i["sk"].as_s().ok())
        .filter(|sk| sk.starts_with("FEEDBACK#"))
        .cloned()
        .collect()
}

#[tokio::test]
async fn feedback_a_final_report_asks_the_school_and_each_reviewer_once_and_keeps_answers_apart() {
    let app = spawn().await;
    let (booked, _second_link) = app.booked_team().await;
    let request_id = booked.school.request_id.clone();
    let stored = app.stored_request(&request_id).await;
    let second_email = records::reviewers::reviewer_email(
        &app.table_handle(),
        &stored
            .second
            .as_ref()
            .expect("a second reviewer")
            .reviewer_id,
    )
    .await
    .unwrap()
    .unwrap();
    app.move_visit(
        booked.school.reference.as_str(),
        OffsetDateTime::now_utc().date() - time::Duration::days(1),
    )
    .await;
    let now = OffsetDateTime::now_utc();
    let areas = stored.request.areas();
    let report = complete_report(&areas);
    let version = app.draft_sent(&request_id, &report, now).await;
    assert_eq!(
        app.school_checks(&request_id, version, &FactualCheck::Accepted, now)
            .await,
        Moved::Done
    );
    let version = app.stored_report(&request_id).await.version;
    let editor = format!("{}/report", booked.review_link);
    let finalised = app
        .post(&editor, &report_form(&report, version, "finalise"))
        .await;
    assert_eq!(finalised.status(), StatusCode::SEE_OTHER);

    // One email each, each with a link of its own.
    let school = feedback_mails(&app, &booked.school_contact).await;
    let lead = feedback_mails(&app, &booked.lead).await;
    let second = feedback_mails(&app, &second_email).await;
    assert_eq!((school.len(), lead.len(), second.len()), (1, 1, 1));
    assert!(school[0].subject.contains("how useful was your review?"));
    assert!(lead[0].subject.contains("how did the review go for you?"));
    let (school_link, lead_link) = (feedback_link(&school[0]), feedback_link(&lead[0]));
    assert_ne!(school_link, lead_link);
    assert_ne!(lead_link, feedback_link(&second[0]));

    // Bad input: every problem named by its field, nothing stored.
    let bad = app
        .post_pairs(&school_link, &[("useful", "9"), ("comment", "Helpful")])
        .await;
    let html = body(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
    for field in ["useful", "done_with", "next_steps"] {
        assert!(
            html.contains(&format!("href=\"#{field}\"")),
            "{field}: {html}"
        );
    }
    assert!(
        html.contains("Helpful</textarea>"),
        "what was typed is kept"
    );
    assert!(stored_answers(&app, &request_id).await.is_empty());

    // The school answers once; a second answer is refused and changes nothing.
    let school_answer = [
        ("useful", "5"),
        ("done_with", "4"),
        ("next_steps", "4"),
        ("comment", "The school's own words about the review"),
    ];
    app.post_pairs(&school_link, &school_answer)
        .await
        .says(StatusCode::OK, "Thank you for your feedback")
        .await;
    let again = [("useful", "1"), ("done_with", "1"), ("next_steps", "1")];
    app.post_pairs(&school_link, &again)
        .await
        .says(StatusCode::CONFLICT, "You have already given your feedback")
        .await;
    app.open(&school_link)
        .await
        .says(StatusCode::CONFLICT, "You have already given your feedback")
        .await;
    let item = app
        .item(format!("REQUEST#{request_id}"), "FEEDBACK#school")
        .await
        .unwrap();
    assert_eq!(
        item["scores"].as_m().unwrap()["useful"].as_n().unwrap(),
        "5"
    );

    // The lead answers, with what they took back to their own school.
    let lead_words = "We took the provision map idea back to our own school";
    app.post_pairs(
        &lead_link,
        &[
            ("went_well", "5"),
            ("prepared", "4"),
            ("took_back", "5"),
            ("comment", lead_words),
        ],
    )
    .await
    .says(StatusCode::OK, "Thank you for your feedback")
    .await;
    assert_eq!(
        stored_answers(&app, &request_id).await.len(),
        2,
        "the school's and the lead's"
    );

    // Anonymity: none of the school's pages shows the reviewer's answer, and the lead's form
    // never shows the school's.
    for page in [
        booked.status_link.clone(),
        format!("{}/report", booked.status_link),
    ] {
        let html = app.page(&page).await;
        assert!(!html.contains(lead_words), "{page}");
    }
    let editor_html = app.page(&editor).await;
    assert!(!editor_html.contains("The school's own words"));
    // A link altered to open the other side's form does not work: refused as every private
    // link is.
    let forged = lead_link.replacen(".lead.", ".school.", 1);
    assert_eq!(app.open(&forged).await.status(), StatusCode::FORBIDDEN);
}
