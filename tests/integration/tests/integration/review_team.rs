//! After the lead accepts: the second reviewer of a review team, the reviewer's review page,
//! and moving the visit date (one side asks, the other confirms or keeps it).

use aws_sdk_dynamodb::types::AttributeValue;
use reqwest::StatusCode;
use time::{Duration, Weekday};
use workflows::matching::Term;
use workflows::offers::{Answer, Workflow};

use crate::support::{
    Answered, Booked, TestStack, body, day, link_containing, mail_starting, offer_link,
    reviewer_row, school_day, second_row, spawn, tampered, unique_address, visit_day,
};

/// Brook Primary's request (contact `school`) booked with `lead`.
async fn booked(app: &TestStack, lead: &str, school: &str) -> Booked {
    app.book((school, "100101", "Brook Primary School"), lead, 0)
        .await
}

#[tokio::test]
async fn a_review_team_gets_a_second_reviewer_for_the_leads_date_and_a_decline_moves_it_on() {
    let app = spawn().await;
    app.send_reviews_take_a_second_reviewer().await;
    let lead = unique_address("lead");
    let second = unique_address("second");
    let third = unique_address("third");
    app.import_reviewers(&[
        reviewer_row("Ada Lead", &lead, 204, "primary", 2, "900001"),
        second_row("Bea Second", &second, 204, "primary", "900002"),
        second_row("Cy Third", &third, 886, "secondary", "900003"),
    ])
    .await;
    let school = unique_address("school");
    let request_id = booked(&app, &lead, &school).await.school.request_id;

    // The lead accepted: the best second reviewer is asked to join on the lead's date.
    let offer = app.wait_for_mail(&second, 1).await;
    assert!(
        offer[0].text.contains("join them as second reviewer"),
        "{}",
        offer[0].text
    );
    let page = app.open(offer_link(&offer[0])).await;
    let html = page.text().await.unwrap();
    assert!(html.contains("Can you join the review of Brook Primary School?"));
    assert!(html.contains("Ada Lead leads this review"));
    assert!(
        !html.contains("type=\"date\""),
        "the date is fixed, not chosen"
    );
    assert_eq!(
        app.stored_request(&request_id)
            .await
            .second_state
            .as_deref(),
        Some("offered")
    );

    // Bea declines; Cy is asked and accepts the fixed date (a different date is refused).
    let declined = app
        .answer(&offer_link(&offer[0]), "decision=decline&reason=Away")
        .await;
    assert_eq!(declined.status(), StatusCode::SEE_OTHER);
    let offer = app.wait_for_mail(&third, 1).await;
    let other_date = visit_day() + Duration::days(7);
    let refused = app
        .accept_with_date(&offer_link(&offer[0]), other_date)
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let accepted = app
        .accept_with_date(&offer_link(&offer[0]), visit_day())
        .await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);

    let mails = app.wait_for_mail(&third, 2).await;
    let confirmation = mail_starting(&mails, "Visit booked");
    assert_eq!(confirmation.attachments[0].filename, "visit.ics");
    let review_page = app.text_at(link_containing(&mails, "/reviews/")).await;
    assert!(review_page.contains("You are the second reviewer"));
    assert!(review_page.contains("Ada Lead (lead) and Cy Third"));
    assert!(
        !review_page.contains("Ask to change the date"),
        "only the lead moves the date"
    );

    let request = app.stored_request(&request_id).await;
    assert_eq!(request.second_state.as_deref(), Some("accepted"));
    let second_member = request.second.expect("a second reviewer");
    assert_eq!(second_member.reviewer_name, "Cy Third");
    assert_eq!(second_member.visit_date, visit_day());
    assert!(
        request.excluded_reviewers.len() == 1,
        "Bea is not asked again"
    );
    // The school got its own confirmation only once (for the lead), and no more mail to Bea.
    assert_eq!(app.wait_for_mail(&school, 2).await.len(), 2);
    assert_eq!(app.stack.mail_to(&second).await.unwrap().len(), 1);
}

#[tokio::test]
async fn the_lead_asks_to_move_the_visit_and_the_school_confirms_then_the_school_asks_and_the_lead_keeps_the_date()
 {
    let app = spawn().await;
    let lead = app
        .primary_reviewer_joins("Ada Lead", 204, 2, "900001")
        .await;
    let school = unique_address("school");
    let Booked {
        school: booked_school,
        review_link,
        ..
    } = booked(&app, &lead, &school).await;
    let request_id = booked_school.request_id;
    let booked_date = visit_day();

    // The review page opens (twice: it changes nothing); an offer link is not a review link.
    for _ in 0..2 {
        let page = app.open(&review_link).await;
        let html = body(page, StatusCode::OK).await;
        assert!(html.contains("Your review of Brook Primary School"));
        assert!(html.contains("You are the lead reviewer"));
        assert!(html.contains("Ask to change the date"));
    }
    let offer_link = offer_link(
        &app.stack
            .mail_to(&lead)
            .await
            .unwrap()
            .last()
            .unwrap()
            .clone(),
    );
    let as_review = offer_link.replace("/offers/", "/reviews/");
    assert_eq!(app.open(&as_review).await.status(), StatusCode::FORBIDDEN);
    let tampered = tampered(&review_link);
    assert_eq!(app.open(&tampered).await.status(), StatusCode::FORBIDDEN);

    // A weekend is refused on the page, storing nothing.
    let mut saturday = day(50);
    while saturday.weekday() != Weekday::Saturday {
        saturday += Duration::days(1);
    }
    let date_form = format!("{review_link}/date");
    let refused = app
        .answer(
            &date_form,
            &format!("decision=ask&new_date={saturday}&reason="),
        )
        .await;
    refused
        .says(StatusCode::UNPROCESSABLE_ENTITY, "Monday to Friday")
        .await;
    assert!(app.stored_request(&request_id).await.date_change.is_none());

    // The lead asks for a new date (possibly in another term); the school is emailed.
    let new_date = school_day(61);
    let asked = app
        .answer(
            &date_form,
            &format!("decision=ask&new_date={new_date}&reason=Inspection+week"),
        )
        .await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    let school_mails = app.wait_for_mail(&school, 3).await;
    let ask_mail = mail_starting(&school_mails, "Can the visit move to");
    assert!(ask_mail.text.contains("Inspection week"));
    let status_link = link_containing(&school_mails, "/status/");
    let status = app.text_at(&status_link).await;
    assert!(status.contains("Ada Lead asked to move the visit to"));
    // The lead cannot confirm their own ask.
    let own = app.answer(&date_form, "decision=confirm").await;
    assert_eq!(own.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let confirmed = app
        .answer(&format!("{status_link}/date"), "decision=confirm")
        .await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    for address in [&school, &lead] {
        let mails = app
            .wait_for_mail(address, if address == &school { 4 } else { 3 })
            .await;
        let moved = mail_starting(&mails, "Visit moved");
        assert_eq!(moved.attachments[0].filename, "visit.ics");
    }
    let request = app.stored_request(&request_id).await;
    assert_eq!(request.lead.as_ref().unwrap().visit_date, new_date);
    assert!(request.date_change.is_none());
    assert_eq!(request.visit_sequence, 1);

    // The reviewer's history and term load moved with the visit.
    let reviewer_items = app.items_with_prefix("REVIEWER#").await;
    let sk = |i: &records::store::Item| i["sk"].as_s().unwrap().clone();
    assert!(
        reviewer_items
            .iter()
            .any(|i| sk(i) == format!("REVIEW#{new_date}#{}", request.id))
    );
    assert!(
        !reviewer_items
            .iter()
            .any(|i| sk(i) == format!("REVIEW#{booked_date}#{}", request.id))
    );
    let booked_in = |term: Term| {
        reviewer_items
            .iter()
            .find(|i| sk(i) == format!("TERM#{term}"))
            .map(|i| i["booked"].as_n().unwrap().parse::<i64>().unwrap())
            .unwrap_or(0)
    };
    assert_eq!(booked_in(Term::of(new_date)), 1);
    if Term::of(new_date) != Term::of(booked_date) {
        assert_eq!(booked_in(Term::of(booked_date)), 0);
    }

    // The school asks for another date; the lead keeps the booked one; the school is told.
    let asked = app
        .answer(
            &format!("{status_link}/date"),
            &format!("decision=ask&new_date={}&reason=", school_day(75)),
        )
        .await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    let lead_mails = app.wait_for_mail(&lead, 4).await;
    assert!(lead_mails[0].subject.starts_with("Can the visit move to"));
    let answer_link = link_containing(&lead_mails[..1], "/reviews/");
    let page = app.text_at(&answer_link).await;
    assert!(page.contains("The school asked to move the visit to"));
    let kept = app.answer(&date_form, "decision=keep").await;
    assert_eq!(kept.status(), StatusCode::SEE_OTHER);
    let school_mails = app.wait_for_mail(&school, 5).await;
    assert!(school_mails[0].subject.starts_with("The visit stays on"));
    let request = app.stored_request(&request_id).await;
    assert_eq!(request.lead.unwrap().visit_date, new_date);
    assert!(request.date_change.is_none());
}

#[tokio::test]
async fn a_second_reviewer_joining_after_another_change_raised_the_calendar_sends_the_sequence_after_it()
 {
    // The acceptance read the request (SEQUENCE 0); another change then raised it to 1 in its
    // own write (and sent a file with it) before the acceptance wrote. The acceptance's write
    // holds the SEQUENCE to the one it read, so it fails, reads again and sends 2, never a
    // second file with 1.
    let app = spawn().await;
    app.send_reviews_take_a_second_reviewer().await;
    let (lead, second) = (unique_address("lead"), unique_address("second"));
    app.import_reviewers(&[
        reviewer_row("Ada Lead", &lead, 204, "primary", 2, "900001"),
        second_row("Bea Second", &second, 204, "primary", "900002"),
    ])
    .await;
    let school = unique_address("school");
    let request_id = booked(&app, &lead, &school).await.school.request_id;
    app.wait_for_mail(&second, 1).await;
    let read_before = app.stored_request(&request_id).await;
    assert_eq!(read_before.visit_sequence, 0);
    let offer_id = read_before
        .second_offer
        .clone()
        .expect("the second's offer");

    app.dynamodb()
        .update_item()
        .table_name(app.table())
        .key(
            "pk",
            AttributeValue::S(records::keys::request_pk(&request_id)),
        )
        .key("sk", AttributeValue::S("REQUEST".into()))
        .update_expression("SET visit_sequence = :one")
        .expression_attribute_values(":one", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
    let workflow = Workflow::from_env(
        app.stack.function_env("ReviewerPagesFunction"),
        &app.stack.aws,
    )
    .unwrap();
    let now = time::OffsetDateTime::now_utc();
    let answer = workflow
        .accept_as_read(&offer_id, read_before, visit_day(), now)
        .await
        .unwrap();
    assert_eq!(answer, Answer::Accepted);

    let request = app.stored_request(&request_id).await;
    assert_eq!(request.visit_sequence, 2);
    assert_eq!(request.second_state.as_deref(), Some("accepted"));
    let mails = app.wait_for_mail(&second, 2).await;
    let booked = mail_starting(&mails, "Visit booked");
    let ics = String::from_utf8_lossy(&booked.attachments[0].content).replace("\r\n ", "");
    assert!(ics.contains("\r\nSEQUENCE:2\r\n"), "{ics}");
}
