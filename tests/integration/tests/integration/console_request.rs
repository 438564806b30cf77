//! The console's request page and its actions: offering to a reviewer the coordinator names
//! (only one who passes every hard rule), reassigning, withdrawing with a reason, erasing with
//! the reference typed; each refused with a clear answer, storing nothing, when the page is
//! stale, a rule fails, the stage is wrong, a field is bad, or the user is a viewer; and
//! replacing a booked second reviewer who dropped out (their calendar entry cancelled).

use reqwest::StatusCode;

use crate::support::{
    StaffBrowser, TestStack, between, offer_link, reviewer_row, second_row, spawn, unique_address,
    visit_day,
};

/// What the page's forms send back: what the page saw of the request.
fn seen_on(html: &str) -> String {
    between(html, "name=\"seen\" value=\"", "\"").to_owned()
}

/// The request's page at `reference`, as `browser` sees it: status and HTML.
async fn page(browser: &StaffBrowser<'_>, reference: &str) -> (StatusCode, String) {
    let response = browser.get(&format!("/console/requests/{reference}")).await;
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// Posts `action` of the request's page with `fields` and the page's token; status and HTML.
async fn act(
    browser: &mut StaffBrowser<'_>,
    reference: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let csrf = browser.csrf("/console").await;
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let response = browser
        .post(&format!("/console/requests/{reference}/{action}"), &form)
        .await;
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// The id of the reviewer called `name` in the pool.
async fn reviewer_id(app: &TestStack, name: &str) -> String {
    records::reviewers::list(&app.table_handle())
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("{name} is in the pool"))
        .id
        .to_string()
}

/// Three reviewers (Ada the best match, Bo, and Cy, who works at the school) and a request
/// from that school, offered to Ada. The reference, and Bo's address.
async fn offered_request(app: &TestStack) -> (String, String) {
    let (ada, bo) = app
        .two_reviewers_join(("Ada Best", "900001"), ("Bo Other", "900002"))
        .await;
    let cy = unique_address("cy");
    app.import_reviewers(&[reviewer_row(
        "Cy Conflict",
        &cy,
        204,
        "primary",
        2,
        "100101",
    )])
    .await;
    let reference = app.submit(&unique_address("school"), "100101").await;
    app.wait_for_mail(&ada, 1).await;
    (reference, bo)
}

#[tokio::test]
async fn a_coordinator_offers_to_a_named_reviewer_only_one_who_passes_every_hard_rule() {
    let app = spawn().await;
    let (reference, bo) = offered_request(&app).await;
    let id = app.request_id(&reference).await;
    let mut coordinator = app.staff_signs_in("coordinator").await.0;

    let (status, html) = page(&coordinator, &reference).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Offer waiting for an answer") && html.contains("Ada Best, until"));
    assert!(html.contains("Bo Other") && html.contains("Cy Conflict"));
    assert!(
        html.contains("Fails: Conflict of interest</strong> (works at this school)"),
        "{html}"
    );
    let seen = seen_on(&html);
    let before = app.stored_request(&id).await;

    // Cy breaks a hard rule: refused, on the reviewer field, nothing stored.
    let cy = reviewer_id(&app, "Cy Conflict").await;
    let (status, html) = act(
        &mut coordinator,
        &reference,
        "offer",
        &[("reviewer", &cy), ("seen", &seen)],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("This reviewer cannot be offered the review: they works at this school"));
    assert!(html.contains("id=\"reviewer-error\""));
    // No choice: a per-field error.
    let (status, html) = act(&mut coordinator, &reference, "offer", &[("seen", &seen)]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Choose the reviewer to offer the review to"));
    // A page from before a change: refused.
    let bo_id = reviewer_id(&app, "Bo Other").await;
    let (status, html) = act(
        &mut coordinator,
        &reference,
        "offer",
        &[("reviewer", &bo_id), ("seen", "an.older.page")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("The request changed since this page was loaded"));
    assert_eq!(
        format!("{:?}", app.stored_request(&id).await),
        format!("{before:?}"),
        "nothing was stored"
    );
    assert!(app.stack.mail_to(&bo).await.unwrap().is_empty());

    // Bo passes every rule: the offer goes to Bo, Ada's is withdrawn, all in one transaction
    // with its audit entry.
    let (status, _) = act(
        &mut coordinator,
        &reference,
        "offer",
        &[("reviewer", &bo_id), ("seen", &seen)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let offer = app.wait_for_mail(&bo, 1).await;
    assert!(offer[0].subject.contains("Brook Primary School"));
    let after = app.stored_request(&id).await;
    let old = before.open_offer.clone().unwrap();
    assert_ne!(after.open_offer.as_deref(), Some(old.as_str()));
    let withdrawn = app.item(format!("OFFER#{old}"), "OFFER").await.unwrap();
    assert_eq!(withdrawn["state"].as_s().unwrap(), "withdrawn");
    let (_, html) = page(&coordinator, &reference).await;
    assert!(html.contains("Bo Other, until"));
    assert!(html.contains(
        "offered the review to Bo Other (the offer waiting for an answer was withdrawn)"
    ));

    // Reassign: Bo's offer is withdrawn and matching runs again.
    let (status, _) = act(
        &mut coordinator,
        &reference,
        "reassign",
        &[("seen", &seen_on(&html))],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = page(&coordinator, &reference).await;
    assert!(
        html.contains("reassigned") && html.contains("asked for the request to be matched again")
    );
}

#[tokio::test]
async fn a_withdrawal_needs_a_reason_and_an_erase_needs_the_reference_typed() {
    let app = spawn().await;
    let (reference, _) = offered_request(&app).await;
    let id = app.request_id(&reference).await;
    let mut coordinator = app.staff_signs_in("coordinator").await.0;
    let (_, html) = page(&coordinator, &reference).await;
    let seen = seen_on(&html);
    let before = app.stored_request(&id).await;

    let (status, html) = act(
        &mut coordinator,
        &reference,
        "withdraw",
        &[("reason", "  "), ("seen", &seen)],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("id=\"reason-error\"") && html.contains("Enter why the request is withdrawn")
    );
    let long = "x".repeat(501);
    let (status, html) = act(
        &mut coordinator,
        &reference,
        "withdraw",
        &[("reason", &long), ("seen", &seen)],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("500 characters or fewer"));
    assert_eq!(
        format!("{:?}", app.stored_request(&id).await),
        format!("{before:?}"),
        "nothing was stored"
    );

    let (status, _) = act(
        &mut coordinator,
        &reference,
        "withdraw",
        &[("reason", "The school is closing."), ("seen", &seen)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        app.stored_request(&id).await.state,
        records::lifecycle::RequestState::Withdrawn
    );
    let (_, html) = page(&coordinator, &reference).await;
    assert!(
        html.contains("The school is closing.") && html.contains("reason: The school is closing.")
    );
    assert!(!html.contains("Withdraw the request") && !html.contains("Offer the review"));

    // The wrong stage now: an offer from the old page is refused.
    let bo = reviewer_id(&app, "Bo Other").await;
    let (status, html) = act(
        &mut coordinator,
        &reference,
        "offer",
        &[
            ("reviewer", &bo),
            ("seen", &coordination::seen(&app.stored_request(&id).await)),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        html.contains("This request was withdrawn, so its reviewers can no longer change."),
        "{html}"
    );

    let (status, html) = act(
        &mut coordinator,
        &reference,
        "erase",
        &[("confirm", "SR-0000-00")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("id=\"confirm-error\""));
    assert!(html.contains(&format!("reference, {reference}, to erase it")));
    assert!(app.item(format!("REQUEST#{id}"), "REQUEST").await.is_some());

    let (status, html) = act(
        &mut coordinator,
        &reference,
        "erase",
        &[("confirm", &reference.to_lowercase())],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("The request has been erased"));
    assert!(app.item(format!("REQUEST#{id}"), "REQUEST").await.is_none());
    assert!(
        app.items_with_prefix(&format!("REQUEST#{id}"))
            .await
            .is_empty()
    );
    assert_eq!(
        page(&coordinator, &reference).await.0,
        StatusCode::NOT_FOUND
    );
    let log = records::audit::log(&app.table_handle()).await.unwrap();
    assert!(
        log.iter()
            .any(|e| e.action == "request erased" && e.detail.contains(&reference))
    );
}

#[tokio::test]
async fn a_viewer_reads_the_page_without_contacts_or_actions_and_every_action_is_403() {
    let app = spawn().await;
    let (reference, _) = offered_request(&app).await;
    let id = app.request_id(&reference).await;
    let mut viewer = app.staff_signs_in("viewer").await.0;
    let (status, html) = page(&viewer, &reference).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Brook Primary School") && html.contains("Timeline"));
    assert!(
        !html.contains("Grace Hopper"),
        "no contact details for a viewer"
    );
    for action in [
        "Offer the review",
        "Reassign",
        "Withdraw the request",
        "Erase the request",
    ] {
        assert!(!html.contains(action), "a viewer sees {action}");
    }
    let before = app.stored_request(&id).await;
    for (action, fields) in [
        ("offer", vec![("reviewer", "x"), ("seen", "x")]),
        ("reassign", vec![("seen", "x")]),
        ("withdraw", vec![("reason", "mine"), ("seen", "x")]),
        ("erase", vec![("confirm", reference.as_str())]),
    ] {
        let (status, html) = act(&mut viewer, &reference, action, &fields).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{action}");
        assert!(html.contains("You cannot do this"));
    }
    assert_eq!(
        format!("{:?}", app.stored_request(&id).await),
        format!("{before:?}"),
        "nothing was stored"
    );

    // An unknown or malformed reference is a plain 404.
    assert_eq!(page(&viewer, "SR-2222-22").await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        page(&viewer, "not-a-reference").await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_booked_second_reviewer_who_dropped_out_is_replaced_until_the_visit_day() {
    let app = spawn().await;
    app.send_reviews_take_a_second_reviewer().await;
    let (lead, bea, cy) = (
        unique_address("lead"),
        unique_address("bea"),
        unique_address("cy"),
    );
    app.import_reviewers(&[
        reviewer_row("Ada Lead", &lead, 204, "primary", 2, "900001"),
        second_row("Bea Second", &bea, 204, "primary", "900002"),
        second_row("Cy Third", &cy, 886, "secondary", "900003"),
    ])
    .await;
    let booked = app
        .book(
            (&unique_address("school"), "100101", "Brook Primary School"),
            &lead,
            0,
        )
        .await;
    let (id, reference) = (
        booked.school.request_id.clone(),
        booked.school.reference.to_string(),
    );
    let offer = app.wait_for_mail(&bea, 1).await;
    let accepted = app
        .accept_with_date(&offer_link(&offer[0]), visit_day())
        .await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    let bea_id = reviewer_id(&app, "Bea Second").await;
    let term = format!("TERM#{}", workflows::matching::Term::of(visit_day()));
    let booked_in_term = |item: Option<records::store::Item>| {
        item.and_then(|i| i.get("booked").and_then(|b| b.as_n().ok()).cloned())
    };
    assert_eq!(
        booked_in_term(app.item(format!("REVIEWER#{bea_id}"), &term).await).as_deref(),
        Some("1")
    );

    let mut coordinator = app.staff_signs_in("coordinator").await.0;
    let (_, html) = page(&coordinator, &reference).await;
    assert!(html.contains("Replace the second reviewer") && html.contains("Second reviewer"));
    let seen = seen_on(&html);
    // Ada leads it: she is already on it (a hard rule); Cy passes every rule.
    let ada = reviewer_id(&app, "Ada Lead").await;
    let (status, html) = act(
        &mut coordinator,
        &reference,
        "replace-second",
        &[("reviewer", &ada), ("seen", &seen)],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("already on it"), "{html}");
    let cy_id = reviewer_id(&app, "Cy Third").await;
    let (status, _) = act(
        &mut coordinator,
        &reference,
        "replace-second",
        &[("reviewer", &cy_id), ("seen", "an.older.page")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(
        app.stored_request(&id).await.second.unwrap().reviewer_name,
        "Bea Second"
    );

    let (status, _) = act(
        &mut coordinator,
        &reference,
        "replace-second",
        &[("reviewer", &cy_id), ("seen", &seen)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // Bea is told, with a cancellation of the same calendar entry (same UID, higher SEQUENCE).
    let released = app.wait_for_mail(&bea, 3).await;
    let cancel = &released[0];
    assert!(
        cancel
            .subject
            .starts_with("Visit cancelled for you: Brook Primary School")
    );
    let ics = String::from_utf8(cancel.attachments[0].content.clone()).unwrap();
    assert!(
        ics.contains("METHOD:CANCEL") && ics.contains("STATUS:CANCELLED"),
        "{ics}"
    );
    assert!(ics.contains(&format!("UID:{id}@send-review")) && ics.contains("SEQUENCE:1"));
    let confirmed = String::from_utf8(released[1].attachments[0].content.clone()).unwrap();
    assert!(
        confirmed.contains(&format!("UID:{id}@send-review")) && confirmed.contains("SEQUENCE:0")
    );
    // Her place in the term and her history entry for the visit are given back.
    assert_eq!(
        booked_in_term(app.item(format!("REVIEWER#{bea_id}"), &term).await).as_deref(),
        Some("0")
    );
    let history = app
        .item(
            format!("REVIEWER#{bea_id}"),
            &format!("REVIEW#{}#{id}", visit_day()),
        )
        .await;
    assert!(history.is_none());
    // Cy is asked to join on the fixed day, and accepts it.
    let offer = app.wait_for_mail(&cy, 1).await;
    assert!(offer[0].text.contains("join them as second reviewer"));
    let accepted = app
        .accept_with_date(&offer_link(&offer[0]), visit_day())
        .await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.stored_request(&id).await.second.unwrap().reviewer_name,
        "Cy Third"
    );
    let (_, html) = page(&coordinator, &reference).await;
    assert!(
        html.contains("second reviewer replaced")
            && html.contains("replaced the second reviewer Bea Second by an offer to Cy Third")
    );

    // On the visit day the team no longer changes.
    app.move_visit(&reference, time::OffsetDateTime::now_utc().date())
        .await;
    let (_, html) = page(&coordinator, &reference).await;
    assert!(!html.contains("Replace the second reviewer"));
    let (status, html) = act(
        &mut coordinator,
        &reference,
        "replace-second",
        &[
            ("reviewer", &bea_id),
            ("seen", &coordination::seen(&app.stored_request(&id).await)),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("The visit has taken place"), "{html}");
}
