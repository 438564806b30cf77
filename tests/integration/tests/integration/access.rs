//! Every action is in the lifecycle's one rule, and access ends when the review ends: once the
//! administrator withdraws a request, the school can no longer act on its final report
//! (sharing, follow-up, action plan: 409 with the rule's sentence, nothing stored) and its
//! pages no longer offer to; its status page says when it was withdrawn, that nothing more will
//! happen, and what becomes of its data.

use records::store::Item;
use reqwest::StatusCode;

use crate::support::{Booked, TestStack, date_from_now, spawn};

/// Every item of the request's partition, and the outbox's.
async fn stored(app: &TestStack, booked: &Booked) -> (Vec<Item>, Vec<Item>) {
    let partition = format!("REQUEST#{}", booked.school.request_id);
    (
        app.items_with_prefix(&partition).await,
        app.items_with_prefix("OUTBOX#").await,
    )
}

#[tokio::test]
async fn a_withdrawn_request_takes_nothing_more_on_its_final_report() {
    let app = spawn().await;
    let booked = app.booked().await;
    let report = workflows::report::examples::typical();
    app.finalise(&booked.school.request_id, &report).await;
    let status = booked.status_link.clone();
    let before_withdrawal = app.text_at(&status).await;
    assert!(before_withdrawal.contains("/share\""), "offered before");
    app.withdraw(&booked.school.reference, "The school asked us to stop")
        .await;
    let before = stored(&app, &booked).await;

    // The status page no longer offers to share, follow up or plan.
    let page = app.text_at(&status).await;
    for form in ["/share", "/follow-up", "/action-plan", "/signposting"] {
        assert!(!page.contains(&format!("{form}\"")), "{form} still offered");
    }

    // Each step is refused with the rule's sentence, storing nothing (a follow-up window
    // that would otherwise be valid: a year from now).
    let follow_up_start = date_from_now(365);
    let steps: [(&str, &[(&str, &str)]); 4] = [
        (
            "share",
            &[
                ("share_key", "abcdefghijklmnopqrstuv"),
                ("share_email", "governor@example.org"),
                ("share_name", ""),
            ],
        ),
        ("follow-up", &[("window_1_start", &follow_up_start)]),
        ("action-plan", &[("version", "0")]),
        ("signposting", &[("consent", "yes")]),
    ];
    for (step, form) in steps {
        let response = app.post_pairs(&format!("{status}/{step}"), form).await;
        assert_eq!(response.status(), StatusCode::CONFLICT, "{step}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains("This request was withdrawn, so nothing more can be done with it."),
            "{step}: {html}"
        );
    }
    assert!(stored(&app, &booked).await == before, "nothing stored");
    // Its data is kept until the purge date the final report set.
    let purge = app
        .stored_request(&booked.school.request_id)
        .await
        .purge_after
        .unwrap();
    let purge = records::domain::request::long_date(records::domain::parse_date(&purge).unwrap());
    assert!(
        page.contains(&format!("are kept until {purge} and then deleted")),
        "{page}"
    );
}

#[tokio::test]
async fn the_status_page_of_a_withdrawn_request_says_when_and_what_becomes_of_its_data() {
    let app = spawn().await;
    let booked = app.booked().await;
    app.withdraw(&booked.school.reference, "The school closed")
        .await;
    let page = app.text_at(&booked.status_link).await;
    let today = records::domain::request::long_date(time::OffsetDateTime::now_utc().date());
    for sentence in [
        "This request was withdrawn",
        &format!(
            "We withdrew this request on {today}. Nothing more will happen with it: no reviewer will visit, and its reviewers can no longer open anything you shared."
        ),
        // Every request has its purge date: the programme's retention after the withdrawal.
        "are kept until",
    ] {
        assert!(page.contains(sentence), "{sentence}: {page}");
    }
    assert!(page.contains("See your evidence") && !page.contains("Add or manage"));
    // No longer "finding a reviewer", and no step still to come.
    assert!(
        !page.contains("Finding a reviewer") && !page.contains("Not started"),
        "{page}"
    );
}
