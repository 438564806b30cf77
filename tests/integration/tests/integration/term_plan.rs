//! Planning a term from the console (issue 19): forty schools of one local authority ask at
//! once, in a pool where matching them one by one in arrival order strands half of them (the
//! pure test's instance, `records::matching::fixtures::arrival_order_trap`). The plan serves
//! every school; sending it puts one offer and one email out per school, a second send of the
//! same page offers nothing twice, and a decline goes back to one-by-one matching. A booked
//! team still looking for its second gets the plan's second as one offer, for the lead's day.

use std::time::Duration;

use records::lifecycle::RequestState;
use records::matching::Term;
use records::matching::fixtures::{ArrivalOrderTrap, arrival_order_trap};
use reqwest::StatusCode;

use records::domain::format_date;
use records::request::second_state;

use crate::support::{
    TestStack, day, offer_link, pool_of, reviewer_row, second_row, spawn, spawn_with_parameter,
    unique_address,
};

/// A stack that takes the forty schools' requests from one address within the hour.
async fn stack() -> TestStack {
    spawn_with_parameter("SubmissionsPerIpPerHour", "100").await
}

/// The trap's pool, copied from a London primary reviewer whose dates are this run's.
fn trap() -> ArrivalOrderTrap {
    let row = reviewer_row(
        "Pat Peer",
        &unique_address("pat"),
        204,
        "primary",
        2,
        "900001",
    );
    arrival_order_trap(&pool_of(&[row])[0])
}

/// Each school of `trap` asks in turn; each request is left to the matcher before the next
/// arrives. Their references, in arrival order.
async fn schools_ask_in_turn(app: &TestStack, trap: &ArrivalOrderTrap) -> Vec<String> {
    let mut references = Vec::new();
    for (i, urn) in trap.schools.iter().enumerate() {
        let reference = school_asks(app, i, urn.as_str()).await;
        settled(app, &reference).await;
        references.push(reference);
    }
    references
}

/// School `i` of a trap (URN `urn`) asks for a review; its reference.
async fn school_asks(app: &TestStack, i: usize, urn: &str) -> String {
    let contact = unique_address(&format!("school{i}"));
    app.submit_named(&contact, urn, &format!("School {i}"))
        .await
}

/// How many of the trap's schools the matcher leaves with nobody when they ask in turn.
async fn stranded_in_arrival_order() -> usize {
    let arrival = stack().await;
    let pool = trap();
    arrival.reviewers_join(&pool.pool()).await;
    let mut stranded = 0;
    for reference in schools_ask_in_turn(&arrival, &pool).await {
        if settled(&arrival, &reference).await == RequestState::NeedsAttention {
            stranded += 1;
        }
    }
    stranded
}

/// The trap's schools ask before its pool is in (each left with nobody by the matcher), then
/// the pool joins: the stack, the trap and the schools' references.
async fn schools_ask_before_the_pool() -> (TestStack, ArrivalOrderTrap, Vec<String>) {
    let app = stack().await;
    let pool = trap();
    // With nobody in the pool the order they ask in changes nothing: all at once.
    let references = futures::future::join_all(
        pool.schools
            .iter()
            .enumerate()
            .map(|(i, urn)| school_asks(&app, i, urn.as_str())),
    )
    .await;
    for reference in &references {
        assert_eq!(settled(&app, reference).await, RequestState::NeedsAttention);
    }
    app.reviewers_join(&pool.pool()).await;
    (app, pool, references)
}

/// The request's state once the matcher has answered it.
async fn settled(app: &TestStack, reference: &str) -> RequestState {
    let id = app.request_id(reference).await;
    for _ in 0..300 {
        let state = app.stored_request(&id).await.state;
        if !matches!(state, RequestState::Submitted | RequestState::Matching) {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{reference} was never matched");
}

/// Every value of the page's `offer` fields.
fn offers_on(html: &str) -> Vec<String> {
    html.split("name=\"offer\" value=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn the_plan_serves_the_schools_arrival_order_strands_and_a_decline_falls_back() {
    let term = Term::of(day(35));

    // Arrival order, as the matcher runs it: half the schools find nobody. Beside it, on a
    // stack of its own, the same schools and pool planned at once: the schools ask before the
    // pool is in.
    let (stranded, (app, pool, references)) =
        tokio::join!(stranded_in_arrival_order(), schools_ask_before_the_pool());
    assert_eq!(stranded, ArrivalOrderTrap::STRANDED_IN_ARRIVAL_ORDER);

    let (mut browser, _) = app.staff_signs_in("coordinator").await;
    let unknown = browser.get("/console/plan?term=winter-2027").await;
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("Choose a term from the list")
    );
    let page = format!("/console/plan?term={}", term.key());
    let response = browser.get(&page).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("40 of 40 places filled."), "{html}");
    assert!(html.contains("Every place is filled."));
    let offers = offers_on(&html);
    assert_eq!(offers.len(), 40);
    // Computing changed nothing.
    for reference in &references {
        assert_eq!(settled(&app, reference).await, RequestState::NeedsAttention);
    }

    let csrf = crate::support::csrf_in(&html);
    let term_key = term.key();
    let mut form = vec![("csrf", csrf.as_str()), ("term", term_key.as_str())];
    form.extend(offers.iter().map(|o| ("offer", o.as_str())));
    let sent = browser.post("/console/plan/send", &form).await;
    assert_eq!(sent.status(), StatusCode::OK);
    let text = sent.text().await.unwrap();
    assert!(text.contains("40 of 40 offers were sent"), "{text}");
    for reference in &references {
        assert_eq!(settled(&app, reference).await, RequestState::Offered);
    }
    // One offer, one email each: every reviewer is asked twice, their capacity.
    every_reviewer_was_asked_twice(&app, &pool).await;
    let log = app.audit_log().await;
    let by_plan = log
        .iter()
        .filter(|e| e.action == "offered by the term plan")
        .count();
    assert_eq!(by_plan, 40);
    assert!(
        log.iter().any(
            |e| e.action == "term plan sent" && e.detail.ends_with("40 offers sent, 0 skipped")
        )
    );

    // A viewer reads plans but sends nothing.
    let (mut viewer, _) = app.staff_signs_in("viewer").await;
    let viewer_csrf = viewer.csrf("/console").await;
    let mut refused = form.clone();
    refused[0] = ("csrf", viewer_csrf.as_str());
    let refused = viewer.post("/console/plan/send", &refused).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // The same page sent again: every request moved on, so nothing is offered twice.
    let again = browser.post("/console/plan/send", &form).await;
    let text = again.text().await.unwrap();
    assert!(text.contains("0 of 40 offers were sent"), "{text}");
    assert!(text.contains("was skipped: The request changed since this page was loaded"));
    every_reviewer_was_asked_twice(&app, &pool).await;

    // A reviewer declines: the request goes back to one-by-one matching, which asks the one
    // reviewer with room left.
    let spare = unique_address("sam");
    app.import_reviewers(&[reviewer_row(
        "Sam Spare",
        &spare,
        204,
        "primary",
        1,
        "900002",
    )])
    .await;
    let decliner = &pool.others[0];
    let offer = &app.wait_for_mail(&decliner.email, 2).await[0];
    let declined = app
        .answer(&offer_link(offer), "decision=decline&reason=")
        .await;
    assert_eq!(declined.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.wait_for_mail(&spare, 1).await.len(), 1);
    let mut declined_school = None;
    for reference in &references {
        let stored = app.stored_request(&app.request_id(reference).await).await;
        if stored.excluded_reviewers.contains(&decliner.id.to_string()) {
            declined_school = Some(stored);
        }
    }
    let declined_school = declined_school.expect("the decline is kept on its request");
    assert_eq!(declined_school.state, RequestState::Offered);
    let open = declined_school.open_offer.expect("a new offer");
    let offer = app
        .item(records::keys::offer_pk(&open), "OFFER")
        .await
        .expect("the offer");
    let spare_id = app
        .stored_reviewers()
        .await
        .into_iter()
        .find(|r| r.email == spare)
        .expect("the spare is in the pool")
        .id
        .to_string();
    assert_eq!(offer["reviewer_id"].as_s().unwrap(), &spare_id);
}

/// Every reviewer of the trap's pool got two emails (their capacity), no more.
async fn every_reviewer_was_asked_twice(app: &TestStack, trap: &ArrivalOrderTrap) {
    let pool = trap.pool();
    let addresses: Vec<&str> = pool.iter().map(|r| r.email.as_str()).collect();
    for (address, mails) in addresses
        .iter()
        .zip(app.wait_for_mail_to_each(&addresses, 2).await)
    {
        assert_eq!(mails.len(), 2, "{address}");
    }
}

#[tokio::test]
async fn a_booked_team_without_a_second_gets_the_plans_second_once() {
    // Ada leads Brook Primary's review team; nobody can join her as second reviewer.
    let app = spawn().await;
    app.send_reviews_take_a_second_reviewer().await;
    let ada = unique_address("ada");
    app.import_reviewers(&[reviewer_row("Ada Lead", &ada, 204, "primary", 2, "900001")])
        .await;
    let school = unique_address("school");
    let booked = app
        .book((&school, "100101", "Brook Primary School"), &ada, 0)
        .await;
    let id = booked.school.request_id.clone();
    let mut looking = None;
    for _ in 0..300 {
        looking = app.stored_request(&id).await.second_state;
        if looking.as_deref() == Some(second_state::NEEDS_ATTENTION) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(looking.as_deref(), Some(second_state::NEEDS_ATTENTION));
    let visit = app.stored_request(&id).await.lead.expect("Ada").visit_date;

    // Bea joins the pool: the plan proposes her as second, and the page sends her offer.
    let bea = unique_address("bea");
    app.import_reviewers(&[second_row("Bea Second", &bea, 204, "primary", "900002")])
        .await;
    let (mut browser, _) = app.staff_signs_in("coordinator").await;
    let term = Term::of(visit);
    let html = (browser
        .get(&format!("/console/plan?term={}", term.key()))
        .await)
        .text()
        .await
        .unwrap();
    assert!(html.contains("1 of 1 places filled."), "{html}");
    assert!(!html.contains("Not sent"), "{html}");
    let offers = offers_on(&html);
    assert_eq!(offers.len(), 1);
    assert!(
        offers[0].starts_with(&format!("second|{id}|")),
        "{offers:?}"
    );

    let csrf = crate::support::csrf_in(&html);
    let term_key = term.key();
    let mut form = vec![("csrf", csrf.as_str()), ("term", term_key.as_str())];
    form.extend(offers.iter().map(|o| ("offer", o.as_str())));
    let text = (browser.post("/console/plan/send", &form).await)
        .text()
        .await
        .unwrap();
    assert!(text.contains("1 of 1 offers were sent"), "{text}");
    let asked = &app.wait_for_mail(&bea, 1).await[0].text;
    assert!(asked.contains("join them as second reviewer"), "{asked}");
    let stored = app.stored_request(&id).await;
    assert_eq!(stored.second_state.as_deref(), Some(second_state::OFFERED));
    let offer = app
        .item(
            records::keys::offer_pk(&stored.second_offer.expect("Bea's offer")),
            "OFFER",
        )
        .await
        .expect("the offer");
    assert_eq!(offer["visit_date"].as_s().unwrap(), &format_date(visit));
    let log = app.audit_log().await;
    assert!(log.iter().any(|e| e.action == "offered by the term plan"
        && e.detail == "offered the second reviewer's place to Bea Second"));

    // The same page sent again offers nothing twice.
    let text = (browser.post("/console/plan/send", &form).await)
        .text()
        .await
        .unwrap();
    assert!(text.contains("0 of 1 offers were sent"), "{text}");
    assert_eq!(app.wait_for_mail(&bea, 1).await.len(), 1);
}
