//! One guard per kind of private link: every route behind a school's status link, a reviewer's
//! review link or offer link (read from the template, so a new route is covered as soon as it
//! is declared) answers a tampered link, an unknown one and a purged request's with the same
//! status and page, whichever route it came in by; a valid link still opens its pages. Once a
//! request is withdrawn, every reviewer route refuses the lead's, the second's and an
//! offeree's links with one 410 page, and stores nothing. A school's status link renewed (it
//! was forwarded) is refused on every route, the new one works, and reviewers' links are
//! untouched.

use records::links::{LinkSecret, OfferAction};
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use time::OffsetDateTime;

use crate::support::{
    Route, TestStack, link_containing, mail_starting, routes_under, school_day, spawn,
    unique_address,
};

/// The status and the page's heading of `route` opened with `token`. A POST sends a form every
/// route could read (only an offer reads `decision`).
async fn answer(app: &TestStack, (method, path): &Route, token: &str) -> (StatusCode, String) {
    let url = app.url(
        &path
            .replace("{token}", token)
            .replace("{evidence_id}", &ulid::Ulid::new().to_string()),
    );
    let request = match method.as_str() {
        "GET" => app.http.get(url),
        "POST" => app
            .http
            .post(url)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body("decision=decline"),
        other => panic!("no {other} route expected"),
    };
    let response = request.send().await.unwrap();
    let status = response.status();
    let html = response.text().await.unwrap();
    let heading = regex_lite::Regex::new(r"<h1[^>]*>([^<]*)</h1>")
        .unwrap()
        .captures(&html)
        .map(|c| c[1].trim().to_owned())
        .unwrap_or_default();
    (status, heading)
}

/// Every route under `prefix`, opened with `token`, gives `expected`.
async fn all_answer(
    app: &TestStack,
    prefix: &str,
    token: &str,
    case: &str,
    expected: (StatusCode, &str),
) {
    for route in routes_under(prefix) {
        let (status, heading) = answer(app, &route, token).await;
        assert_eq!(
            (status, heading.as_str()),
            expected,
            "{case}: {} {}",
            route.0,
            route.1
        );
    }
}

/// The last part of a link: its token.
fn token_of(link: &str) -> String {
    link.rsplit('/').next().unwrap().to_owned()
}

/// `token` with its last character changed.
fn tampered(token: &str) -> String {
    let (head, last) = token.split_at(token.len() - 1);
    format!("{head}{}", if last == "A" { "B" } else { "A" })
}

/// The secret the reviewers' links are signed with.
async fn link_secret(app: &TestStack) -> LinkSecret {
    let env = app.stack.function_env("ReviewerPagesFunction");
    LinkSecret::load(env, &app.stack.aws).await.unwrap()
}

const BAD_LINK: (StatusCode, &str) = (StatusCode::FORBIDDEN, "This link does not work");
const NOT_ON_REVIEW: (StatusCode, &str) = (StatusCode::FORBIDDEN, "This link no longer works");
const OFFER_CLOSED: (StatusCode, &str) = (StatusCode::OK, "This offer has closed");

#[tokio::test]
async fn every_private_route_answers_a_tampered_an_unknown_and_a_purged_link_the_same_way() {
    let app = spawn().await;
    let booked = app.booked().await;
    let status = booked.school.token.clone();
    let review = token_of(&booked.review_link);
    let lead_mails = app.stack.mail_to(&booked.lead).await.unwrap();
    let offer = token_of(&link_containing(&lead_mails, "/offers/"));
    let secret = link_secret(&app).await;
    let in_an_hour = OffsetDateTime::now_utc().unix_timestamp() + 3600;
    let signed = |action| secret.offer_token(&ulid::Ulid::new().to_string(), action, in_an_hour);

    // Valid links open their pages: no route answers with a refusal.
    for (prefix, token) in [
        ("/status/", &status),
        ("/reviews/", &review),
        ("/offers/", &offer),
    ] {
        for route in routes_under(prefix) {
            // The school's evidence pages answer a file that is not the request's with the
            // link's page (no URL for another request's file): not the guard's to change.
            if route.0 == "GET" && route.1.starts_with("/status/{token}/evidence/") {
                continue;
            }
            // Renewing replaces the link itself (the next test follows it).
            if route.1.ends_with("/renew-link") {
                continue;
            }
            let (code, heading) = answer(&app, &route, token).await;
            assert!(
                ![BAD_LINK.1, NOT_ON_REVIEW.1].contains(&heading.as_str()) && code.as_u16() < 500,
                "valid link: {} {} answered {code} {heading}",
                route.0,
                route.1
            );
        }
    }
    assert_eq!(
        answer(&app, &("GET".into(), "/offers/{token}".into()), &offer).await,
        (StatusCode::OK, "You accepted this review".to_owned())
    );

    // Tampered, malformed or expired.
    let expired = secret.offer_token(
        &ulid::Ulid::new().to_string(),
        OfferAction::Review,
        in_an_hour - 7200,
    );
    for (case, token) in [("tampered", tampered(&status)), ("malformed", "x".into())] {
        all_answer(&app, "/status/", &token, case, BAD_LINK).await;
    }
    for (case, token) in [
        ("tampered", tampered(&review)),
        ("expired", expired),
        ("an offer link", offer.clone()),
    ] {
        all_answer(&app, "/reviews/", &token, case, BAD_LINK).await;
    }
    for (case, token) in [
        ("tampered", tampered(&offer)),
        ("a review link", review.clone()),
    ] {
        all_answer(&app, "/offers/", &token, case, BAD_LINK).await;
    }

    // Unknown: well formed (and, for a reviewer's link, signed) but for nothing stored.
    let unknown_status = format!("{}A", "A".repeat(42));
    all_answer(&app, "/status/", &unknown_status, "unknown", BAD_LINK).await;
    let unknown_review = signed(OfferAction::Review);
    all_answer(&app, "/reviews/", &unknown_review, "unknown", NOT_ON_REVIEW).await;
    let unknown_offer = signed(OfferAction::Respond);
    all_answer(&app, "/offers/", &unknown_offer, "unknown", OFFER_CLOSED).await;

    // Purged: the request's links answer as unknown ones do.
    send_review_admin::requests::purge(
        &app.evidence_store(),
        &booked.school.reference,
        time::OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    all_answer(&app, "/status/", &status, "purged", BAD_LINK).await;
    all_answer(&app, "/reviews/", &review, "purged", NOT_ON_REVIEW).await;
    all_answer(&app, "/offers/", &offer, "purged", OFFER_CLOSED).await;
}

const WITHDRAWN: (StatusCode, &str) = (StatusCode::GONE, "This review was withdrawn");

/// The whole table: what a refused link must leave as it was.
/// Every item but the insights counters and their markers, which the stream brings up to date
/// a moment after each earlier change (what a refused link must not store is the rest).
async fn everything(app: &TestStack) -> Vec<records::store::Item> {
    let mut items = app.items_with_prefix("").await;
    items.retain(|item| {
        item["pk"]
            .as_s()
            .is_ok_and(|pk| !pk.starts_with("INSIGHTS"))
    });
    items.sort_by_key(|item| format!("{:?}{:?}", item["pk"], item["sk"]));
    items
}

#[tokio::test]
async fn once_withdrawn_every_reviewer_route_refuses_the_lead_the_second_and_an_offeree() {
    let app = spawn().await;
    // Request A: Ada leads, Bea joins as second reviewer; the school shares a file.
    let (booked, second_link) = app.booked_team().await;
    let (evidence_id, _) = app.upload_pdf(&booked.school, "Provision map").await;
    // Request B: offered to Ada, not answered yet.
    let other = app.submit(&unique_address("other"), "100102").await;
    let other_id = app.request_id(&other).await;
    let mut open_offer = None;
    for _ in 0..100 {
        open_offer = app.stored_request(&other_id).await.open_offer;
        if open_offer.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let secret = link_secret(&app).await;
    let in_a_day = OffsetDateTime::now_utc().unix_timestamp() + 86_400;
    let offer_token = |id: &str| secret.offer_token(id, OfferAction::Respond, in_a_day);
    let open_offer = offer_token(&open_offer.expect("request B offered"));
    let team = app.stored_request(&booked.school.request_id).await;
    let lead_offer = offer_token(&team.lead.unwrap().offer_id);
    let second_offer = offer_token(&team.second.unwrap().offer_id);
    let lead_review = token_of(&booked.review_link);
    let second_review = token_of(&second_link);
    let download = |token: &str| app.url(&format!("/reviews/{token}/evidence/{evidence_id}"));

    // Before: both review links open the review, and the file downloads (a redirect to S3).
    for token in [&lead_review, &second_review] {
        assert_eq!(
            app.open(app.url(&format!("/reviews/{token}")))
                .await
                .status(),
            StatusCode::OK
        );
        let file = app.open(download(token)).await;
        assert!(file.status().is_redirection(), "{}", file.status());
    }

    app.withdraw(&booked.school.reference, "The school closed")
        .await;
    app.withdraw(&other.parse().unwrap(), "Asked twice").await;
    // The withdrawal cancels the booked visit by email (school, lead, second): the snapshot
    // is taken once the mail sender has marked those sent, so only the links can change it.
    for _ in 0..100 {
        let outbox = app.outbox_items().await;
        if outbox.iter().all(|item| {
            item.get("state")
                .and_then(|s| s.as_s().ok())
                .map(String::as_str)
                == Some("sent")
        }) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let before = everything(&app).await;

    // Every reviewer route of the template refuses every one of their links, the same way.
    for (who, token) in [("lead", &lead_review), ("second", &second_review)] {
        all_answer(&app, "/reviews/", token, who, WITHDRAWN).await;
        let file = app.open(download(token)).await;
        assert_eq!(file.status(), StatusCode::GONE, "{who}'s download");
        assert!(file.headers().get("location").is_none());
        let page = file.text().await.unwrap();
        assert!(
            page.contains("This review was withdrawn on ")
                && page.contains("its files are no longer available to you."),
            "{page}"
        );
    }
    for (who, token) in [
        ("the lead's accepted offer", &lead_offer),
        ("the second's accepted offer", &second_offer),
        ("an open offer", &open_offer),
    ] {
        all_answer(&app, "/offers/", token, who, WITHDRAWN).await;
    }
    assert_eq!(
        everything(&app).await,
        before,
        "a refused link stores nothing"
    );
    let offer = app.stored_request(&other_id).await;
    assert!(offer.open_offer.is_none(), "the open offer was closed");
}

const REPLACED: (StatusCode, &str) = (StatusCode::FORBIDDEN, "This link has been replaced");

#[tokio::test]
async fn a_forwarded_status_link_renewed_by_the_school_is_refused_and_the_new_one_emailed() {
    let app = spawn().await;
    let booked = app.booked().await;
    // The page offers the renewal; pressing it answers with where the new link went.
    let page = app.text_at(&booked.status_link).await;
    assert!(page.contains("This link was forwarded?") && page.contains(">Get a new link</button>"));
    let sent = app.school_mail_count(&booked).await;
    let renewed = app
        .post(&format!("{}/renew-link", booked.status_link), "")
        .await;
    assert_eq!(renewed.status(), StatusCode::OK);
    let answer = renewed.text().await.unwrap();
    assert!(answer.contains("We have emailed a new link"), "{answer}");
    let (new_link, text) = app.status_link_was_renewed(&booked, sent).await;
    assert!(text.contains("asked for a new one"), "{text}");

    // The old link is refused on every route behind it, renewing included; nothing more is
    // stored or sent.
    all_answer(&app, "/status/", &booked.school.token, "renewed", REPLACED).await;
    let stored = app.stored_request(&booked.school.request_id).await;
    assert_eq!(
        stored.status_link_version, 1,
        "the old link renewed nothing more"
    );

    // An email queued later about the request carries the new link: the lead asks to move
    // the visit, and the school is told with a link to its page as it is now.
    let asked = app
        .answer(
            &format!("{}/date", booked.review_link),
            &format!("decision=ask&new_date={}&reason=", school_day(45)),
        )
        .await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    let mails = app.wait_for_mail(&booked.school_contact, sent + 2).await;
    assert_eq!(mails.len(), sent + 2);
    let date_change = mail_starting(&mails, "Can the visit move to");
    let link = date_change.links.iter().find(|l| l.contains("/status/"));
    assert_eq!(link, Some(&new_link), "{}", date_change.text);
}
