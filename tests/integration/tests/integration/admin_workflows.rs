//! The administrators' tool runs the workflows the functions run: a withdrawal made with
//! `send-review-admin` is `workflows::offers::Workflow::withdraw`, so the matcher and the
//! reviewer's pages see exactly what the workflow wrote.

use reqwest::StatusCode;
use send_review_admin::requests;
use time::OffsetDateTime;
use workflows::offers::{Withdrawn, Workflow};

use crate::support::{offer_link, spawn, unique_address, visit_day};

#[tokio::test]
async fn a_withdrawal_by_the_admin_tool_frees_the_reviewer_its_open_offer_held() {
    let app = spawn().await;
    // One review a term: an open offer fills her term until it is answered or withdrawn.
    let ada = app
        .primary_reviewer_joins("Ada Single", 204, 1, "900071")
        .await;
    let first: records::domain::request::Reference = app
        .submit(&unique_address("school"), "100171")
        .await
        .parse()
        .unwrap();
    let first_offer = offer_link(&app.wait_for_mail(&ada, 1).await[0]);

    let table = app.table_handle();
    let done = requests::withdraw(&table, &first, Some("Merged"), OffsetDateTime::now_utc())
        .await
        .unwrap();
    assert!(
        matches!(done, requests::Withdrawal::Withdrawn { ref previous_state, .. } if previous_state == "offered"),
        "{done}"
    );

    // The offer is closed for her, and no longer fills her term: the next school is offered
    // to her, by the matcher the stream runs.
    let late = app
        .answer(
            &first_offer,
            &format!("decision=accept&visit_date={}", visit_day()),
        )
        .await;
    assert_eq!(late.status(), StatusCode::GONE);
    assert!(
        late.text()
            .await
            .unwrap()
            .contains("This review was withdrawn")
    );
    app.submit(&unique_address("school"), "100172").await;
    let mails = app.wait_for_mail(&ada, 2).await;
    assert_ne!(
        offer_link(&mails[0]),
        first_offer,
        "a new offer, for the next school"
    );

    // The workflow a function would call finds the request withdrawn already.
    let id = requests::show(&table, &first).await.unwrap().request.id;
    let workflow = Workflow::new(
        table.clone(),
        String::new(),
        records::programme::ProgrammeSettings::new("", ""),
    );
    assert_eq!(
        workflow
            .withdraw(&id, None, OffsetDateTime::now_utc(), Vec::new())
            .await
            .unwrap(),
        Withdrawn::Already
    );
    let timeline = requests::show(&table, &first).await.unwrap().timeline;
    let withdrawals: Vec<_> = timeline.iter().filter(|e| e.kind == "withdrawn").collect();
    assert_eq!(withdrawals.len(), 1, "{timeline:?}");
    assert_eq!(withdrawals[0].detail.as_deref(), Some("Merged"));
}
