//! The school's side once the draft is with it and after: the lead is emailed when the school
//! answers the factual check; the school shares its final report from its status page (the PDF
//! emailed once per form, up to the cap, never a draft); `requests show` names the follow-up
//! links both ways; and a follow-up's page does not link to its purged original.

use records::domain::request::Reference;
use records::store::{get_s, s};
use reqwest::StatusCode;
use send_review_admin::requests;
use time::{Duration, OffsetDateTime};
use workflows::after_report::sharing::MAX_SHARES;
use workflows::report::examples::typical;

use crate::support::{
    Answered, TestStack, body, complete_report, offer_id, redirect, report_form, spawn,
    unique_address,
};

/// The one-time key in the status page's share form.
fn share_key(html: &str) -> String {
    let at = html
        .find(r#"name="share_key" value=""#)
        .expect("the share form")
        + r#"name="share_key" value=""#.len();
    html[at..at + 22].to_owned()
}

async fn share(
    app: &TestStack,
    status: &str,
    key: &str,
    email: &str,
    name: &str,
) -> reqwest::Response {
    app.post_pairs(
        &format!("{status}/share"),
        &[
            ("share_key", key),
            ("share_email", email),
            ("share_name", name),
        ],
    )
    .await
}

/// The request's items under `prefix` of its partition.
async fn own_items(app: &TestStack, request_id: &str, prefix: &str) -> Vec<records::store::Item> {
    app.table_handle()
        .partition_items(&format!("REQUEST#{request_id}"), Some(prefix))
        .await
        .unwrap()
}

async fn outbox_to(app: &TestStack, address: &str) -> usize {
    app.outbox_items()
        .await
        .iter()
        .filter(|item| get_s(item, "to") == Some(address))
        .count()
}

#[tokio::test]
async fn the_lead_hears_of_the_schools_answer_and_the_school_shares_its_final_report_once_per_form()
{
    let app = spawn().await;
    let booked = app.booked().await;
    let request_id = booked.school.request_id.clone();
    let status = booked.status_link.clone();
    app.move_visit(
        booked.school.reference.as_str(),
        OffsetDateTime::now_utc().date() - Duration::days(1),
    )
    .await;
    let now = OffsetDateTime::now_utc();
    let report = complete_report(&crate::support::all_areas());
    let version = app.draft_sent(&request_id, &report, now).await;

    // A draft cannot be shared: nothing stored, nothing sent.
    let governor = unique_address("governor");
    let draft = share(&app, &status, "abcdefghijklmnopqrstuv", &governor, "").await;
    draft
        .says(StatusCode::CONFLICT, "Your report is not final yet")
        .await;
    assert!(own_items(&app, &request_id, "SHARE#").await.is_empty());
    assert!(!app.page(&status).await.contains(r#"id="share""#));

    // The school comments on the summary: the lead is told, with the editor's link.
    let lead_mails = app.stack.mail_to(&booked.lead).await.unwrap().len();
    let commented = app
        .post_pairs(
            &format!("{status}/report"),
            &[
                ("version", &version.to_string()),
                ("comment.summary", "We have two SEND governors, not one."),
            ],
        )
        .await;
    assert_eq!(commented.status(), StatusCode::SEE_OTHER);
    let mails = app.wait_for_mail(&booked.lead, lead_mails + 1).await;
    let told = &mails[0];
    assert!(
        told.subject.contains("has commented on the draft report")
            && told.subject.contains(booked.school.reference.as_str()),
        "{}",
        told.subject
    );
    assert!(
        told.text
            .contains("commented on 1 section of the draft report")
    );
    // The lead's review link, signed for the moved visit, to the report editor.
    let offer_id = offer_id(&booked.review_link);
    let editor = told
        .links
        .iter()
        .find(|l| l.contains(&format!("/reviews/{offer_id}.review.")) && l.ends_with("/report"))
        .unwrap_or_else(|| panic!("the editor's link in {:?}", told.links))
        .clone();
    let editor_page = app.open(&editor).await;
    editor_page
        .says(StatusCode::OK, "We have two SEND governors, not one.")
        .await;
    // Answering again (another tab) shows the answer given and sends nothing more.
    let again = app
        .post_pairs(
            &format!("{status}/report"),
            &[("version", &version.to_string())],
        )
        .await;
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(outbox_to(&app, &booked.lead).await, lead_mails + 1);

    // The lead finalises through the editor: a real PDF is stored.
    let version = app.stored_report(&request_id).await.version;
    let finalised = app
        .post(&editor, &report_form(&report, version, "finalise"))
        .await;
    assert_eq!(finalised.status(), StatusCode::SEE_OTHER);
    let stored = app.stored_report(&request_id).await;
    assert_eq!(stored.state, records::lifecycle::ReportState::Final);

    // The final status page offers the form.
    let html = app.page(&status).await;
    assert!(html.contains(r#"<h2 id="share">Share your report</h2>"#));
    assert!(html.contains("You have not shared your report yet."));
    assert!(html.contains(&format!(
        r#"action="/status/{}/share""#,
        booked.school.token
    )));
    let key = share_key(&html);

    // A bad address: the page again with the field's error and what was typed, nothing stored.
    let events_before = own_items(&app, &request_id, "EVENT#").await.len();
    let bad = share(&app, &status, &key, "governor@", "Chair <of> governors").await;
    let html = body(bad, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(html.contains("<title>Error: "));
    assert!(
        html.contains(r##"<a href="#share_email">Enter an email address in the correct format"##)
    );
    assert!(html.contains(r#"value="governor@""#));
    assert!(
        html.contains("Chair &#60;of&#62; governors"),
        "typed text is kept, escaped"
    );
    assert_eq!(
        share_key(&html),
        key,
        "the same form, so sending it again is still one share"
    );
    assert!(own_items(&app, &request_id, "SHARE#").await.is_empty());
    assert_eq!(
        own_items(&app, &request_id, "EVENT#").await.len(),
        events_before
    );
    // A form without its one-time key is refused.
    let keyless = share(&app, &status, "", &governor, "").await;
    assert_eq!(keyless.status(), StatusCode::BAD_REQUEST);

    // Shared, then the same form sent again (a double click): one share, one email.
    for _ in 0..2 {
        let shared = share(&app, &status, &key, &governor, "Chair of Governors").await;
        assert!(redirect(&shared).ends_with("#share"));
    }
    let mails = app.wait_for_mail(&governor, 1).await;
    assert_eq!(mails.len(), 1, "a double submit sends once");
    let mail = &mails[0];
    assert!(
        mail.subject
            .contains("has shared its review report with you"),
        "{}",
        mail.subject
    );
    assert!(mail.text.contains("Dear Chair of Governors,"));
    assert!(mail.text.contains(booked.school.reference.as_str()));
    assert!(
        !mail.text.contains("/status/"),
        "the school's private link is not shared"
    );
    assert_eq!(mail.attachments.len(), 1);
    assert_eq!(mail.attachments[0].content_type, "application/pdf");
    assert!(mail.attachments[0].content.starts_with(b"%PDF-"));
    let shares = own_items(&app, &request_id, "SHARE#").await;
    assert_eq!(shares.len(), 1);
    assert_eq!(get_s(&shares[0], "email"), Some(governor.as_str()));
    let events = own_items(&app, &request_id, "EVENT#").await;
    assert!(events.iter().any(|e| get_s(e, "detail")
        == Some(&format!(
            "You shared the report with Chair of Governors ({governor})."
        ))));

    // The page lists it, with a new form.
    let html = app.page(&status).await;
    assert!(html.contains(&format!("<li>Chair of Governors ({governor}), on ")));
    assert_ne!(share_key(&html), key);

    // The same form sent twice at once (a double click): both answers take the school back to
    // its page, and one share is stored and sent.
    let twice = share_key(&html);
    let head_teacher = unique_address("head-of-trust");
    let (first, second) = tokio::join!(
        share(&app, &status, &twice, &head_teacher, ""),
        share(&app, &status, &twice, &head_teacher, "")
    );
    assert_eq!(
        (first.status(), second.status()),
        (StatusCode::SEE_OTHER, StatusCode::SEE_OTHER)
    );
    assert_eq!(app.wait_for_mail(&head_teacher, 1).await.len(), 1);
    assert_eq!(own_items(&app, &request_id, "SHARE#").await.len(), 2);
    let html = app.page(&status).await;

    // At the cap, nothing more is shared.
    app.dynamodb()
        .update_item()
        .table_name(app.table())
        .key("pk", s(format!("REQUEST#{request_id}")))
        .key("sk", s("REQUEST"))
        .update_expression("SET report_shares = :max")
        .expression_attribute_values(":max", records::store::n(MAX_SHARES))
        .send()
        .await
        .unwrap();
    let other = unique_address("la-send-team");
    let capped = share(&app, &status, &share_key(&html), &other, "").await;
    capped
        .says(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the most this page allows",
        )
        .await;
    assert_eq!(own_items(&app, &request_id, "SHARE#").await.len(), 2);
    assert_eq!(outbox_to(&app, &other).await, 0);
}

#[tokio::test]
async fn follow_up_links_show_both_ways_and_a_purged_original_is_named_not_linked() {
    let app = spawn().await;
    let booked = app.booked().await;
    let original_id = booked.school.request_id.clone();
    let reference = booked.school.reference.clone();
    app.finalise(&original_id, &typical()).await;
    let asked = app.ask_follow_up(&booked.status_link).await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);

    // `requests show`: each names the other.
    let table = app.table_handle();
    let original = requests::show(&table, &reference).await.unwrap();
    let follow_up = original.request.follow_up.clone().expect("the follow-up");
    let text = |details: &requests::RequestDetails| {
        let mut out = Vec::new();
        requests::write_details(&mut out, details).unwrap();
        String::from_utf8(out).unwrap()
    };
    let today = OffsetDateTime::now_utc().date();
    let shown = text(&original);
    assert!(
        shown.contains(&format!(
            "  follow-up visit   {} (asked on {today})",
            follow_up.reference
        )),
        "{shown}"
    );
    assert!(!shown.contains("follows up"));
    let json = requests::details_json(&original);
    assert_eq!(json["follow_up"]["reference"], follow_up.reference);
    assert_eq!(json["follow_up"]["asked_on"], today.to_string());
    let follow_up_reference: Reference = follow_up.reference.parse().unwrap();
    let later = requests::show(&table, &follow_up_reference).await.unwrap();
    let shown = text(&later);
    assert!(
        shown.contains(&format!("  follows up        {reference}")),
        "{shown}"
    );
    assert_eq!(
        requests::details_json(&later)["follows_up"],
        reference.as_str()
    );

    // The follow-up's page links to the original while it is stored...
    let mails = app.wait_for_mail(&booked.school_contact, 3).await;
    let follow_up_status = mails
        .iter()
        .find(|m| m.text.contains(&follow_up.reference))
        .and_then(|m| m.links.iter().find(|l| l.contains("/status/")))
        .expect("the follow-up's status link")
        .clone();
    let original_path = format!("/status/{}", booked.school.token);
    let html = app.page(&follow_up_status).await;
    assert!(html.contains(&format!(r#"href="{original_path}""#)));

    // ...and names it, without a link, once its records are purged.
    requests::purge(
        &app.evidence_store(),
        &reference,
        time::OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    let gone = app.open(&booked.status_link).await;
    assert_eq!(gone.status(), StatusCode::FORBIDDEN);
    let html = app.page(&follow_up_status).await;
    assert!(html.contains(&format!("This visit follows up your review {reference}")));
    assert!(html.contains("deleted under the programme's retention policy"));
    assert!(
        !html.contains(&original_path),
        "no link to a page that is gone"
    );
}
