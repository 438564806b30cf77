//! A request's emails on its console page: each email queued about the request, newest first,
//! with its subject, its address (a coordinator's view only), and whether it went: not sent yet,
//! sent, or not delivered when its address bounced.

use std::time::Duration;

use crate::support::{StaffBrowser, spawn_with_parameter, unique_address};

/// The rows of the page's emails table.
fn email_rows(html: &str) -> Vec<&str> {
    let Some(table) = html.split("<table class=\"table\" id=\"emails\">").nth(1) else {
        return Vec::new();
    };
    let body = table.split("</tbody>").next().unwrap();
    body.split("<tr>").skip(2).collect()
}

/// The request's page at `reference`, as `browser` sees it.
async fn page(browser: &StaffBrowser<'_>, reference: &str) -> String {
    let response = browser.get(&format!("/console/requests/{reference}")).await;
    response.text().await.unwrap()
}

#[tokio::test]
async fn a_requests_emails_show_as_queued_then_sent_and_a_bounced_address_as_not_delivered() {
    let sender_address = unique_address("noreply");
    let app = spawn_with_parameter("SenderAddress", &sender_address).await;
    let (ada, _) = app
        .two_reviewers_join(("Ada Best", "900001"), ("Bo Other", "900002"))
        .await;
    let (coordinator, _) = app.staff_signs_in("coordinator").await;
    let (viewer, _) = app.staff_signs_in("viewer").await;
    // SES refuses to send from an unverified identity: nothing goes out for now.
    app.ses_sends_from(&sender_address, false).await;
    let school = unique_address("school");
    let reference = app.submit(&school, "100101").await;
    let html = page(&coordinator, &reference).await;
    let rows = email_rows(&html);
    let confirmation = rows
        .iter()
        .find(|row| row.contains(&school))
        .unwrap_or_else(|| panic!("the confirmation is listed: {rows:?}"));
    assert!(
        confirmation.contains("Request confirmation"),
        "{confirmation}"
    );
    assert!(confirmation.contains("Not sent yet"), "{confirmation}");

    app.ses_sends_from(&sender_address, true).await;
    let to_school = app.wait_for_mail(&school, 1).await;
    let to_ada = app.wait_for_mail(&ada, 1).await;
    // The sender records the send just after SES takes the message.
    let mut html = page(&coordinator, &reference).await;
    for _ in 0..50 {
        if email_rows(&html).len() == 2 && !html.contains("Not sent yet") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        html = page(&coordinator, &reference).await;
    }
    let rows = email_rows(&html);
    assert_eq!(rows.len(), 2, "{rows:?}");
    // Newest first: the offer to Ada went out after the school's confirmation was queued.
    assert!(rows[0].contains(&ada), "{rows:?}");
    assert!(rows[0].contains(&to_ada[0].subject), "{rows:?}");
    assert!(rows[1].contains(&school), "{rows:?}");
    assert!(rows[1].contains(&to_school[0].subject), "{rows:?}");
    for row in &rows {
        assert!(row.contains("<strong>Sent</strong>"), "{row}");
    }

    // A viewer reads the emails but not the addresses.
    let seen_by_viewer = page(&viewer, &reference).await;
    let viewer_rows = email_rows(&seen_by_viewer);
    assert_eq!(viewer_rows.len(), 2);
    assert!(!seen_by_viewer.contains(&school) && !seen_by_viewer.contains(&ada));
    assert!(
        viewer_rows
            .iter()
            .all(|row| row.contains("Hidden from viewers"))
    );

    app.address_bounces(&ada).await;
    let html = page(&coordinator, &reference).await;
    let rows = email_rows(&html);
    assert!(rows[0].contains("Not delivered"), "{rows:?}");
    assert!(rows[0].contains("The address bounced on"), "{rows:?}");
    assert!(rows[1].contains("<strong>Sent</strong>"), "{rows:?}");
}

#[tokio::test]
async fn a_requests_emails_go_with_it_when_it_is_erased() {
    let app = crate::support::spawn().await;
    app.two_reviewers_join(("Ada Best", "900001"), ("Bo Other", "900002"))
        .await;
    let school = unique_address("school");
    let reference = app.submit(&school, "100101").await;
    app.wait_for_mail(&school, 1).await;
    let id = app.request_id(&reference).await;
    assert!(
        !records::outbox::about_request(&app.table_handle(), &id)
            .await
            .unwrap()
            .is_empty()
    );
    let store = app.evidence_store();
    workflows::retention::purge(&store, &id).await.unwrap();
    assert!(
        records::outbox::about_request(&app.table_handle(), &id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        app.outbox_items()
            .await
            .iter()
            .all(|item| !item["to"].as_s().is_ok_and(|to| to == &school)),
        "no email to the school is left anywhere"
    );
}
