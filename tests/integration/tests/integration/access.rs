//! Every action is in the lifecycle's one rule, and access ends when the review ends: once the
//! administrator withdraws a request, the school can no longer act on its final report
//! (sharing, follow-up, action plan: 409 with the rule's sentence, nothing stored) and its
//! pages no longer offer to.

use records::store::Item;
use reqwest::StatusCode;

use crate::support::{Booked, TestStack, spawn};

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

    // Each step is refused with the rule's sentence, storing nothing.
    let steps: [(&str, &[(&str, &str)]); 4] = [
        (
            "share",
            &[
                ("share_key", "abcdefghijklmnopqrstuv"),
                ("share_email", "governor@example.org"),
                ("share_name", ""),
            ],
        ),
        ("follow-up", &[("window_1_start", "2030-01-07")]),
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
}
