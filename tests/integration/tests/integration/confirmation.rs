//! Confirmed requesters (issue 16 item 2): a new request waits, unmatched, until its contact
//! presses the button on the page the first email links to; the per-school limit counts
//! confirmations; a programme may hold confirmed requests for a coordinator to release. And a
//! purge date for every request (item 3): every way a request can end leads, once the clock
//! passes its date, to the scheduled purge removing its items and files.

use reqwest::StatusCode;
use time::{Date, Duration, OffsetDateTime};

use crate::retention_ttl::{every_item_carries_the_request_ttl, ttls};
use crate::support::{
    School, TestStack, link_containing, spawn, spawn_with_parameter, unique_address,
};

/// A request the contact has not confirmed (from a school whose URN is `urn`), its contact's
/// address, and the status link the first email carries.
async fn unconfirmed(app: &TestStack, urn: &str) -> (School, String) {
    let contact = unique_address("senco");
    let reference = app.submit_unconfirmed(urn, &contact).await;
    let link = link_containing(&app.wait_for_mail(&contact, 1).await, "/status/");
    let school = School {
        request_id: app.request_id(reference.as_str()).await,
        reference,
        token: link.rsplit('/').next().unwrap().to_owned(),
    };
    (school, contact)
}

fn status(school: &School) -> String {
    format!("/status/{}", school.token)
}

/// The school's contact presses "Confirm this request" on the status page.
async fn press_confirm(app: &TestStack, school: &School) -> reqwest::Response {
    app.post_path(&format!("{}/confirm", status(school)), "")
        .await
}

async fn state(app: &TestStack, school: &School) -> String {
    app.stored_request(&school.request_id)
        .await
        .state
        .as_str()
        .to_owned()
}

/// Waits (a few seconds at most) for the matcher to leave the request in `expected`.
async fn settles_in(app: &TestStack, school: &School, expected: &str) {
    for _ in 0..50 {
        if state(app, school).await == expected {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(state(app, school).await, expected);
}

fn today() -> Date {
    OffsetDateTime::now_utc().date()
}

#[tokio::test]
async fn a_request_waits_unmatched_until_its_contact_confirms_it_and_get_changes_nothing() {
    let app = spawn().await;
    let ada = app.ada_joins().await;
    let (school, contact) = unconfirmed(&app, "100101").await;
    assert_eq!(state(&app, &school).await, "pending_confirmation");
    let first = app.wait_for_mail(&contact, 1).await;
    assert!(
        first[0].text.contains("CONFIRM YOUR REQUEST"),
        "{}",
        first[0].text
    );

    // The page shows what was asked for and the button; opening it (twice) changes nothing.
    let url = app.url(&status(&school));
    for _ in 0..2 {
        let page = app.text_at(&url).await;
        assert!(page.contains("Confirm your request"), "{page}");
        assert!(page.contains("Confirm this request") && page.contains("Brook Primary School"));
        assert!(page.contains("deleted on"), "says when it goes: {page}");
    }
    // A post from another site is refused and stores nothing.
    let forged = app
        .http
        .post(format!("{url}/confirm"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    // Nothing was offered meanwhile: matching waits for the confirmation.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert_eq!(state(&app, &school).await, "pending_confirmation");
    assert!(app.stack.mail_to(&ada).await.unwrap().is_empty());

    let confirmed = press_confirm(&app, &school).await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    let offer = app.wait_for_mail(&ada, 1).await;
    assert!(
        offer[0].subject.contains("Can you review"),
        "{}",
        offer[0].subject
    );
    let page = app.text_at(&url).await;
    assert!(!page.contains("Confirm this request"));
    assert!(page.contains("Finding a reviewer"), "{page}");

    // A second press (another tab) is refused with a clear page, and changes nothing.
    let again = press_confirm(&app, &school).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(again.text().await.unwrap().contains("already confirmed"));
}

#[tokio::test]
async fn the_school_s_daily_limit_counts_confirmed_requests_only() {
    let app = spawn_with_parameter("SubmissionsPerSchoolPerDay", "2").await;
    // A stranger files three requests in the school's name: none is refused, none counts.
    let mut filed = Vec::new();
    for _ in 0..3 {
        filed.push(unconfirmed(&app, "100150").await.0);
    }
    // The school's own two confirmations are taken; a third is refused for today.
    for school in &filed[..2] {
        assert_eq!(
            press_confirm(&app, school).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    let third = press_confirm(&app, &filed[2]).await;
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        third
            .text()
            .await
            .unwrap()
            .contains("Confirm it again tomorrow")
    );
    assert_eq!(state(&app, &filed[2]).await, "pending_confirmation");
}

#[tokio::test]
async fn a_held_request_waits_for_a_coordinator_to_release_it_for_matching() {
    let app = spawn().await;
    let table = app.table_handle();
    let mut settings = records::programme::ProgrammeSettings::demo();
    settings.hold_confirmed_requests = true;
    records::programme::put(&table, &settings).await.unwrap();
    let ada = app.ada_joins().await;
    let (school, _) = unconfirmed(&app, "100101").await;
    assert_eq!(
        press_confirm(&app, &school).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(state(&app, &school).await, "held");
    let page = app.text_at(app.url(&status(&school))).await;
    assert!(
        page.contains("A coordinator checks every request"),
        "{page}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    assert!(
        app.stack.mail_to(&ada).await.unwrap().is_empty(),
        "held: not matched"
    );

    // The pipeline shows it; the request page offers the release to a coordinator only.
    let mut coordinator = app.staff_signs_in("coordinator").await.0;
    let pipeline = coordinator.get("/console").await.text().await.unwrap();
    assert!(
        pipeline.contains("Held: release for matching"),
        "{pipeline}"
    );
    let reference = school.reference.to_string();
    let path = format!("/console/requests/{reference}");
    let html = coordinator.get(&path).await.text().await.unwrap();
    assert!(html.contains("Release for matching"), "{html}");
    let seen = crate::support::between(&html, "name=\"seen\" value=\"", "\"").to_owned();
    let viewer = app.staff_signs_in("viewer").await.0;
    let viewed = viewer.get(&path).await.text().await.unwrap();
    assert!(!viewed.contains("/release\""), "a viewer cannot release");

    let mut release = async || {
        let csrf = coordinator.csrf("/console").await;
        let fields = [("csrf", csrf.as_str()), ("seen", seen.as_str())];
        coordinator.post(&format!("{path}/release"), &fields).await
    };
    assert_eq!(release().await.status(), StatusCode::SEE_OTHER);
    app.wait_for_mail(&ada, 1).await;
    let audit = app.audit_log().await;
    assert!(
        audit
            .iter()
            .any(|entry| entry.action == "released" && entry.detail.contains("released")),
        "{audit:?}"
    );
    // Released once: a second release from the same page is refused, nothing stored.
    assert_ne!(release().await.status(), StatusCode::SEE_OTHER);
}

/// Everything the request left: its partition's items, and its files' versions.
async fn remains(app: &TestStack, school: &School) -> (usize, usize) {
    let items = app.request_items(&school.request_id).await.len();
    let objects = app
        .evidence_store()
        .s3
        .list_object_versions()
        .bucket(app.stack.resource("EvidenceBucket"))
        .prefix(format!("requests/{}/", school.request_id))
        .send()
        .await
        .unwrap()
        .versions()
        .len();
    (items, objects)
}

/// The request's purge date as stored.
async fn purge_date(app: &TestStack, school: &School) -> Date {
    let stored = app.stored_request(&school.request_id).await;
    records::domain::parse_date(stored.purge_after.as_deref().expect("a purge date")).unwrap()
}

/// The scheduled tasks run on `day` (at nine); how many requests they purged.
async fn purged_on(app: &TestStack, day: Date) -> u64 {
    let run = app
        .run_schedule(day.midnight().assume_utc() + Duration::hours(9))
        .await;
    run["retention"]["purged"].as_u64().unwrap()
}

/// Runs the purge on its date (nothing goes) and the day after (everything goes).
async fn purged_after_its_date(app: &TestStack, school: &School) {
    every_item_carries_the_request_ttl(app, &school.request_id).await;
    let date = purge_date(app, school).await;
    assert_eq!(purged_on(app, date).await, 0, "kept on its date");
    assert_ne!(remains(app, school).await.0, 0);
    assert_eq!(purged_on(app, date + Duration::days(1)).await, 1);
    assert_eq!(remains(app, school).await, (0, 0));
}

#[tokio::test]
async fn a_request_never_confirmed_is_purged_seven_days_after_it_was_stored() {
    let app = spawn().await;
    let (school, _) = unconfirmed(&app, "100160").await;
    assert_eq!(purge_date(&app, &school).await, today() + Duration::days(7));
    let stored = app
        .item(format!("REQUEST#{}", school.request_id), "REQUEST")
        .await
        .unwrap();
    let ttl: i64 = stored["expires_at"].as_n().unwrap().parse().unwrap();
    let backstop = OffsetDateTime::from_unix_timestamp(ttl).unwrap().date();
    assert!(
        backstop > today() + Duration::days(7),
        "the TTL backstop comes after"
    );
    purged_after_its_date(&app, &school).await;
}

#[tokio::test]
async fn a_confirmed_request_is_kept_for_the_retention_after_its_last_change_not_seven_days() {
    let app = spawn().await;
    let (school, _) = unconfirmed(&app, "100161").await;
    let seven_days = every_item_carries_the_request_ttl(&app, &school.request_id).await;
    press_confirm(&app, &school).await;
    // Nobody is in the pool: it needs attention, and stays so (idle).
    settles_in(&app, &school, "needs_attention").await;
    let months = records::programme::ProgrammeSettings::demo().retention_months;
    let date = records::retention::purge_date(today(), months);
    assert_eq!(purge_date(&app, &school).await, date);
    // Its first marker said seven days: that day's purge moves it instead of purging.
    assert_eq!(purged_on(&app, today() + Duration::days(8)).await, 0);
    assert_eq!(state(&app, &school).await, "needs_attention");
    // The moved date moved the TTL of every item that had the seven days' one.
    assert!(every_item_carries_the_request_ttl(&app, &school.request_id).await > seven_days);
    let (moved, others) = ttls(&app, &school.request_id).await;
    assert!(
        others.values().all(|ttl| *ttl != Some(seven_days)),
        "{moved}: {others:?}"
    );
    purged_after_its_date(&app, &school).await;
}

#[tokio::test]
async fn a_withdrawn_request_and_its_files_are_purged_after_the_retention() {
    let app = spawn().await;
    let school = app.school().await;
    settles_in(&app, &school, "needs_attention").await;
    app.upload_pdf(&school, "SEND policy").await;
    assert_eq!(remains(&app, &school).await.1, 1);
    app.withdraw(
        &school.reference,
        "Filed in the school's name by someone else",
    )
    .await;
    let months = records::programme::ProgrammeSettings::demo().retention_months;
    assert_eq!(
        purge_date(&app, &school).await,
        records::retention::purge_date(today(), months)
    );
    purged_after_its_date(&app, &school).await;
}

#[tokio::test]
async fn a_final_report_s_request_is_purged_after_the_retention() {
    let app = spawn().await;
    let booked = app.booked().await;
    let report = workflows::report::examples::typical();
    app.finalise(&booked.school.request_id, &report).await;
    purged_after_its_date(&app, &booked.school).await;
}
