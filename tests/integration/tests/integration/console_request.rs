//! The console's request page and its actions: offering to a reviewer the coordinator names
//! (only one who passes every hard rule), reassigning, withdrawing with a reason, erasing with
//! the reference typed; each refused with a clear answer, storing nothing, when the page is
//! stale, a rule fails, the stage is wrong, a field is bad, or the user is a viewer; and
//! replacing a booked second reviewer who dropped out (their calendar entry cancelled); and
//! renewing a school's forwarded status link.

use local_runner::mailbox::SentMail;
use reqwest::StatusCode;

use crate::support::{
    Booked, StaffBrowser, TestStack, between, offer_link, reviewer_row, school_day_after,
    second_row, spawn, unique_address, visit_day,
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

/// Posts `action` naming `reviewer`, from a page that saw `seen` (`None`: the page as it is
/// now); status and HTML.
async fn choose(
    browser: &mut StaffBrowser<'_>,
    reference: &str,
    action: &str,
    reviewer: &str,
    seen: Option<&str>,
) -> (StatusCode, String) {
    let now = match seen {
        Some(seen) => seen.to_owned(),
        None => seen_on(&page(browser, reference).await.1),
    };
    let fields = [("reviewer", reviewer), ("seen", now.as_str())];
    act(browser, reference, action, &fields).await
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
    app.primary_reviewer_joins("Cy Conflict", 204, 2, "100101")
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
        "Send the school a new link",
    ] {
        assert!(!html.contains(action), "a viewer sees {action}");
    }
    let before = app.stored_request(&id).await;
    for (action, fields) in [
        ("offer", vec![("reviewer", "x"), ("seen", "x")]),
        ("reassign", vec![("seen", "x")]),
        ("withdraw", vec![("reason", "mine"), ("seen", "x")]),
        ("erase", vec![("confirm", reference.as_str())]),
        ("renew-link", vec![("seen", "x")]),
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

/// A programme that sends a second reviewer, and a request from Brook Primary School booked
/// by Ada Lead with Bea Second (`others` join the pool first): the booking, Ada's and Bea's
/// addresses.
async fn booked_team(app: &TestStack, others: &[String]) -> (Booked, String, String) {
    app.send_reviews_take_a_second_reviewer().await;
    let (ada, bea) = (unique_address("ada"), unique_address("bea"));
    let mut rows = vec![
        reviewer_row("Ada Lead", &ada, 204, "primary", 2, "900001"),
        second_row("Bea Second", &bea, 204, "primary", "900002"),
    ];
    rows.extend_from_slice(others);
    app.import_reviewers(&rows).await;
    let school = unique_address("school");
    let booked = app
        .book((&school, "100101", "Brook Primary School"), &ada, 0)
        .await;
    let offer = app.wait_for_mail(&bea, 1).await;
    let accepted = app
        .accept_with_date(&offer_link(&offer[0]), visit_day())
        .await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    (booked, ada, bea)
}

#[tokio::test]
async fn a_booked_second_reviewer_who_dropped_out_is_replaced_until_the_visit_day() {
    let app = spawn().await;
    let cy = unique_address("cy");
    let (booked, _, bea) = booked_team(
        &app,
        &[second_row("Cy Third", &cy, 886, "secondary", "900003")],
    )
    .await;
    let (id, reference) = (
        booked.school.request_id.clone(),
        booked.school.reference.to_string(),
    );
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
    // Her joining raised the SEQUENCE to 1 (the lead's booking was 0); her release to 2.
    assert!(ics.contains(&format!("UID:{id}@send-review")) && ics.contains("SEQUENCE:2"));
    let confirmed = String::from_utf8(released[1].attachments[0].content.clone()).unwrap();
    assert!(
        confirmed.contains(&format!("UID:{id}@send-review")) && confirmed.contains("SEQUENCE:1")
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
    // Access ends with her place: her review link opens nothing of the review any more.
    let (status, html) = app
        .get(&crate::support::link_containing(&released, "/reviews/"))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("This link no longer works"), "{html}");
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

#[tokio::test]
async fn a_booked_lead_who_dropped_out_is_replaced_for_the_same_day_and_the_second_stays() {
    let app = spawn().await;
    let (booked, ada, _) = booked_team(&app, &[]).await;
    let (id, reference) = (
        booked.school.request_id.clone(),
        booked.school.reference.to_string(),
    );
    assert_eq!(app.open(&booked.review_link).await.status(), StatusCode::OK);
    // Three who may lead join after the team is booked (so the matcher never asked them).
    let (dan, eve, fay) = (
        unique_address("dan"),
        unique_address("eve"),
        unique_address("fay"),
    );
    app.import_reviewers(&[
        reviewer_row("Dan Next", &dan, 886, "primary", 2, "900003"),
        reviewer_row("Eve Later", &eve, 886, "primary", 2, "900004"),
        reviewer_row("Fay Last", &fay, 886, "primary", 2, "900005"),
    ])
    .await;
    let dan_id = reviewer_id(&app, "Dan Next").await;

    // A viewer cannot replace anyone.
    let mut viewer = app.staff_signs_in("viewer").await.0;
    let (_, html) = page(&viewer, &reference).await;
    assert!(!html.contains("Replace the lead reviewer"));
    let (status, _) = choose(&mut viewer, &reference, "replace-lead", &dan_id, Some("x")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let mut coordinator = app.staff_signs_in("coordinator").await.0;
    let (_, html) = page(&coordinator, &reference).await;
    assert!(
        html.contains("Replace the lead reviewer") && html.contains("Replace the second reviewer")
    );
    let seen = seen_on(&html);
    let before = format!("{:?}", app.stored_request(&id).await);
    // Choosing nobody, or Bea (on the team already), or from an older page stores nothing.
    let bea_id = reviewer_id(&app, "Bea Second").await;
    for (reviewer, seen_then, refused, says) in [
        (
            "",
            seen.as_str(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "href=\"#lead-reviewer\"",
        ),
        (
            &bea_id,
            &seen,
            StatusCode::UNPROCESSABLE_ENTITY,
            "already on it",
        ),
        (
            &dan_id,
            "an.older.page",
            StatusCode::CONFLICT,
            "changed since this page was loaded",
        ),
    ] {
        let replaced = choose(
            &mut coordinator,
            &reference,
            "replace-lead",
            reviewer,
            Some(seen_then),
        );
        let (status, html) = replaced.await;
        assert_eq!(status, refused, "{reviewer}");
        assert!(html.contains(says), "{html}");
    }
    assert_eq!(format!("{:?}", app.stored_request(&id).await), before);

    let replaced = choose(
        &mut coordinator,
        &reference,
        "replace-lead",
        &dan_id,
        Some(&seen),
    );
    let (status, _) = replaced.await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // Ada is told, with a cancellation of the same calendar entry, and her link is refused.
    let mails = app.wait_for_mail(&ada, 3).await;
    assert!(
        mails[0]
            .subject
            .starts_with("Visit cancelled for you: Brook Primary School")
    );
    let cancel = String::from_utf8(mails[0].attachments[0].content.clone()).unwrap();
    let booking = String::from_utf8(mails[1].attachments[0].content.clone()).unwrap();
    assert!(booking.contains(&format!("UID:{id}@send-review")) && booking.contains("SEQUENCE:0"));
    assert!(cancel.contains("METHOD:CANCEL") && cancel.contains(&format!("UID:{id}@send-review")));
    // Bea's joining raised the SEQUENCE to 1; Ada's release to 2.
    assert!(cancel.contains("SEQUENCE:2"), "{cancel}");
    assert_eq!(app.stored_request(&id).await.visit_sequence, 2);
    let (status, html) = app.get(&booked.review_link).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("You are no longer on this review"), "{html}");
    let stored = app.stored_request(&id).await;
    assert!(stored.lead.is_none());
    assert_eq!(stored.second.as_ref().unwrap().reviewer_name, "Bea Second");
    assert_eq!(stored.fixed_visit_date, Some(visit_day().to_string()));
    let (_, html) = page(&coordinator, &reference).await;
    assert!(html.contains("None: a new lead is sought for"), "{html}");
    assert!(html.contains("replaced the lead reviewer Ada Lead by an offer to Dan Next"));

    // Dan may take the booked day only; he does, and the team is Dan and Bea on that day.
    let offer = app.wait_for_mail(&dan, 1).await;
    // The offer names the booked day as the only one.
    let text = offer[0].text.replace("\r\n", "\n");
    let windows = between(&text, "could happen:\n", "\n\n");
    let day_text = records::domain::request::long_date(visit_day());
    assert_eq!(windows.trim(), format!("- {day_text}"), "{text}");
    let other_day = app
        .accept_with_date(
            &offer_link(&offer[0]),
            // Another school day: a Saturday would be refused as one, whatever the booking.
            school_day_after(visit_day()),
        )
        .await;
    let (status, html) = (other_day.status(), other_day.text().await.unwrap());
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("The visit date is fixed"), "{html}");
    let accepted = app
        .accept_with_date(&offer_link(&offer[0]), visit_day())
        .await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    let stored = app.stored_request(&id).await;
    let (lead, second) = (stored.lead.unwrap(), stored.second.unwrap());
    assert_eq!(
        (lead.reviewer_name.as_str(), lead.visit_date),
        ("Dan Next", visit_day())
    );
    assert_eq!(
        (second.reviewer_name.as_str(), second.visit_date),
        ("Bea Second", visit_day())
    );
    assert_eq!(stored.second_state.as_deref(), Some("accepted"));
    assert_eq!(stored.fixed_visit_date, None);
    // The school's calendar entry follows: Dan's booking updates it (SEQUENCE 3, same UID).
    let school_mails = app.wait_for_mail(&booked.school_contact, 1).await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut school_mails = school_mails;
    while !school_mails
        .iter()
        .any(|m| m.text.contains("Dan Next will review"))
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no booking with Dan"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        school_mails = app.stack.mail_to(&booked.school_contact).await.unwrap();
    }
    let with_dan = school_mails
        .iter()
        .find(|m| m.text.contains("Dan Next will review"))
        .unwrap();
    assert!(
        with_dan.subject.starts_with("Visit booked"),
        "{}",
        with_dan.subject
    );
    let ics = String::from_utf8(with_dan.attachments[0].content.clone()).unwrap();
    assert!(ics.contains(&format!("UID:{id}@send-review")) && ics.contains("SEQUENCE:3"));

    // Dan drops out too; Eve declines: the request needs attention, the day still fixed, and
    // the coordinator offers it to Fay, who takes that day.
    let eve_id = reviewer_id(&app, "Eve Later").await;
    let (status, _) = choose(&mut coordinator, &reference, "replace-lead", &eve_id, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let offer = app.wait_for_mail(&eve, 1).await;
    let declined = app
        .answer(&offer_link(&offer[0]), "decision=decline&reason=Ill")
        .await;
    assert!(declined.status().is_redirection() || declined.status().is_success());
    let stored = app.stored_request(&id).await;
    assert_eq!(stored.state.as_str(), "needs_attention");
    let pipeline = coordinator.get("/console").await.text().await.unwrap();
    let attention = between(&pipeline, "id=\"attention-list\"", "</table>");
    assert!(attention.contains(&reference), "{attention}");
    let (_, html) = page(&coordinator, &reference).await;
    assert!(html.contains("The visit is booked for"), "{html}");
    let fay_id = reviewer_id(&app, "Fay Last").await;
    let (status, _) = choose(&mut coordinator, &reference, "offer", &fay_id, None).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let offer = app.wait_for_mail(&fay, 1).await;
    let accepted = app
        .accept_with_date(&offer_link(&offer[0]), visit_day())
        .await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    let stored = app.stored_request(&id).await;
    assert_eq!(stored.lead.unwrap().reviewer_name, "Fay Last");
    assert_eq!(stored.second.unwrap().reviewer_name, "Bea Second");

    // On the visit day the lead can no longer be replaced.
    app.move_visit(&reference, time::OffsetDateTime::now_utc().date())
        .await;
    let (_, html) = page(&coordinator, &reference).await;
    assert!(!html.contains("Replace the lead reviewer"));
    let (status, html) = choose(&mut coordinator, &reference, "replace-lead", &dan_id, None).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("The visit has taken place"), "{html}");
}

#[tokio::test]
async fn a_coordinator_renews_a_schools_forwarded_status_link_with_an_audit_entry() {
    let app = spawn().await;
    let booked = app.booked().await;
    let reference = booked.school.reference.to_string();
    let mut coordinator = app.staff_signs_in("coordinator").await.0;
    let (_, html) = page(&coordinator, &reference).await;
    assert!(html.contains(">Send the school a new link</button>"));
    let sent = app.school_mail_count(&booked).await;

    // From a page older than the request: refused, the link still works, nothing sent.
    let stale = [("seen", "an.older.page")];
    let (status, html) = act(&mut coordinator, &reference, "renew-link", &stale).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("The request changed since this page was loaded"));
    assert_eq!(app.open(&booked.status_link).await.status(), StatusCode::OK);

    let seen = seen_on(&page(&coordinator, &reference).await.1);
    let (status, _) = act(
        &mut coordinator,
        &reference,
        "renew-link",
        &[("seen", &seen)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let done = format!("{reference}?done=renewed-link");
    let (_, html) = page(&coordinator, &done).await;
    assert!(
        html.contains("a new one has been emailed to the request"),
        "{html}"
    );
    assert!(html.contains("status link renewed") && html.contains("by the programme team"));
    let (_, text) = app.status_link_was_renewed(&booked, sent).await;
    assert!(text.contains("Our programme team has replaced"), "{text}");
}

#[tokio::test]
async fn erasing_a_booked_request_cancels_the_visit_in_the_teams_calendars_and_leaves_no_email_to_the_school()
 {
    let app = spawn().await;
    let (booked, _) = app.booked_team().await;
    let (id, reference) = (&booked.school.request_id, booked.school.reference.as_str());
    let stored = app.stored_request(id).await;
    let second_id = &stored.second.as_ref().expect("a second").reviewer_id;
    let second = records::reviewers::reviewer_email(&app.table_handle(), second_id)
        .await
        .unwrap()
        .expect("the second's address");
    let mut coordinator = app.staff_signs_in("coordinator").await.0;

    let (status, html) = act(
        &mut coordinator,
        reference,
        "erase",
        &[("confirm", reference)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let cancelled = |mail: &SentMail| mail.subject.starts_with("Visit cancelled");
    for reviewer in [&booked.lead, &second] {
        let mails = app.wait_for_mail_where(reviewer, 1, cancelled).await;
        let ics = String::from_utf8(mails[0].attachments[0].content.clone()).unwrap();
        assert!(ics.contains("METHOD:CANCEL") && ics.contains(&format!("UID:{id}@send-review")));
        let sequence = format!("SEQUENCE:{}", stored.visit_sequence + 1);
        assert!(ics.contains(&sequence), "{ics}");
    }
    // The school asked for the erasure: nothing is sent to it, and nothing of it is kept.
    assert!(
        app.items_with_prefix(&format!("REQUEST#{id}"))
            .await
            .is_empty()
    );
    assert!(app.outbox_items().await.iter().all(|item| {
        item["to"]
            .as_s()
            .is_ok_and(|to| to != &booked.school_contact)
    }));
}
