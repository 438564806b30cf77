//! The console's pipeline against DynamoDB Local: each review placed by its stage on today's
//! date (from its state, visit date and documents), the filters (a GET form), and "needs
//! attention" with each of its reasons, every one reached through the product's own steps.

use std::time::Duration;

use records::lifecycle::RequestState;
use records::programme::ProgrammeSettings;

use crate::support::{TestStack, between, spawn, unique_address};

impl TestStack {
    /// Waits (10 s at most) until the request `reference` is in `state`; its id.
    async fn wait_for_state(&self, reference: &str, state: RequestState) -> String {
        let id = self.request_id(reference).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while self.stored_request(&id).await.state != state {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{reference} never reached {state}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        id
    }
}

/// The rows of the "needs attention" list with class `attention-<reason>`.
fn attention_rows<'a>(html: &'a str, reason: &str) -> Vec<&'a str> {
    html.split(&format!("<tr class=\"attention-{reason}\">"))
        .skip(1)
        .map(|rest| rest.split("</tr>").next().unwrap())
        .collect()
}

fn count(html: &str, stage: &str) -> usize {
    between(html, &format!("id=\"count-{stage}\">"), "<")
        .parse()
        .unwrap()
}

#[tokio::test]
async fn each_review_is_placed_by_its_stage_and_each_reason_to_act_is_listed() {
    let app = spawn().await;
    let table = app.table_handle();
    let mut settings = ProgrammeSettings::new("Test Programme", "programme@example.org");
    settings.offer_expiry_days = 1;
    records::programme::put(&table, &settings).await.unwrap();

    // Nobody is in the pool yet: nobody is eligible for the first school.
    let stranded_contact = unique_address("stranded");
    let stranded = app.submit(&stranded_contact, "100100").await;
    app.wait_for_state(&stranded, RequestState::NeedsAttention)
        .await;
    app.address_bounces(&stranded_contact).await;

    // Two booked visits: one whose self-evaluation is now late, one whose draft report is.
    let waiting = app.booked_with("Ada Lead", "100101").await;
    let late_report = app.booked_with("Bea Lead", "100102").await;
    app.days_pass(&waiting.school.request_id, 20).await;
    app.days_pass(&late_report.school.request_id, 55).await;

    // A fourth school is offered to a reviewer, who has a day to answer.
    let offered = app.submit(&unique_address("offered"), "100103").await;
    app.wait_for_state(&offered, RequestState::Offered).await;

    let (browser, _) = app.staff_signs_in("coordinator").await;
    let page = browser.get("/console").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for (stage, expected) in [
        ("needs_attention", 1),
        ("offered", 1),
        ("self_evaluation_late", 1),
        ("report_late", 1),
        ("self_evaluation_due", 0),
        ("submitted", 0),
    ] {
        assert_eq!(count(&html, stage), expected, "{stage}: {html}");
    }

    let nobody = attention_rows(&html, "no_reviewer");
    assert_eq!(nobody.len(), 1, "{html}");
    assert!(nobody[0].contains(&stranded), "{}", nobody[0]);
    let expiring = attention_rows(&html, "offer_expiring");
    assert_eq!(expiring.len(), 1, "{html}");
    assert!(expiring[0].contains(&offered), "{}", expiring[0]);
    // A day from the offer, in whole hours: 24 when the page is read within the offer's own
    // second (the console counts in whole seconds), else 23.
    assert!(
        expiring[0].contains("(in 23 hours)") || expiring[0].contains("(in 24 hours)"),
        "{}",
        expiring[0]
    );
    let late = attention_rows(&html, "self_evaluation_late");
    assert_eq!(late.len(), 1, "{html}");
    assert!(late[0].contains(waiting.school.reference.as_str()));
    let report = attention_rows(&html, "report_late");
    assert_eq!(report.len(), 1, "{html}");
    assert!(report[0].contains(late_report.school.reference.as_str()));
    let bounced = attention_rows(&html, "undeliverable");
    assert_eq!(bounced.len(), 1, "{html}");
    assert!(
        bounced[0].contains(&stranded) && bounced[0].contains(&stranded_contact),
        "{}",
        bounced[0]
    );

    // The filters: a stage alone (the others still counted), overdue only, a review type.
    let html = browser
        .get("/console?stage=report_late")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"stage-report_late\""), "{html}");
    assert!(!html.contains("id=\"stage-offered\""), "{html}");
    assert_eq!(count(&html, "offered"), 1);
    let html = browser
        .get("/console?overdue=yes")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(count(&html, "offered"), 0);
    assert_eq!(count(&html, "needs_attention"), 0);
    assert_eq!(count(&html, "report_late"), 1);
    assert_eq!(count(&html, "self_evaluation_late"), 1);
    assert!(
        html.contains("<p id=\"total\">2 requests match the filters.</p>"),
        "{html}"
    );
    let html = browser
        .get("/console?review_type=ta_deployment&la=202")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("<p id=\"total\">0 requests match"), "{html}");
    let html = browser.get("/console?la=202").await.text().await.unwrap();
    assert!(html.contains("<p id=\"total\">4 requests match"), "{html}");
    let term = workflows::matching::Term::of(crate::support::visit_day()).key();
    let html = browser
        .get(&format!("/console?term={term}&stage=self_evaluation_late"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("<option value=\"{term}\" selected>")),
        "{html}"
    );

    // A value no list holds is named, and the page still answers.
    let response = browser.get("/console?la=999&stage=nope").await;
    assert_eq!(response.status(), 400);
    let html = response.text().await.unwrap();
    assert!(html.contains("There is no local authority"), "{html}");
    assert!(html.contains("href=\"#filter-stage\""), "{html}");
    assert_eq!(count(&html, "offered"), 1, "ignored, not applied");
}

#[tokio::test]
async fn a_viewer_sees_that_an_address_bounced_but_not_the_address() {
    let app = spawn().await;
    let contact = unique_address("stranded");
    let reference = app.submit(&contact, "100100").await;
    app.wait_for_state(&reference, RequestState::NeedsAttention)
        .await;
    app.address_bounces(&contact).await;
    let (viewer, _) = app.staff_signs_in("viewer").await;
    let html = viewer.get("/console").await.text().await.unwrap();
    let bounced = attention_rows(&html, "undeliverable");
    assert_eq!(bounced.len(), 1, "{html}");
    assert!(bounced[0].contains(&reference), "{}", bounced[0]);
    assert!(!html.contains(&contact), "{html}");
}
