//! The whole life of a review with a tenth of the functions' AWS calls failing (issue 15,
//! part 3): every function's clients go through a fault proxy (`dev/fault-proxy`) that throttles,
//! answers 500, stalls and drops, or drops the connection before or after DynamoDB Local or moto
//! applied the call. The school and the reviewer are patient people: they retry when a page
//! asks them to, and only then. The test checks that
//! - every answer is the page asked for, a redirect, or the clear "try again" page (503), never
//!   a raw 500;
//! - every action acknowledged to a person (a redirect) is stored;
//! - after the faults stop and the schedule re-drives the outbox, nothing is left `pending` or
//!   `sending`, and every email went out once, or (the documented window: SES accepted the
//!   send but the answer was lost) twice at most, counted and printed.
//!
//! The faults come from a seeded generator (`SEND_REVIEW_FAULT_SEED=N`): the same seed gives the
//! same sequence of faults, though which call meets which depends on timing (the stream
//! consumers run alongside the people).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use fault_proxy::{FaultProxy, Faults, Upstream};
use reqwest::StatusCode;
use time::OffsetDateTime;

use crate::support::{
    School, TestStack, areas, complete_report, complete_self_evaluation, day, encode_fields,
    offer_link, report_form, spawn_with, unique_address, valid_form, version_on, visit_day,
};

const FAULT_RATE: f64 = 0.10;
const AREAS: [&str; 2] = ["leadership", "outcomes"];
/// How many times a person tries one step before the test gives up on the product.
const PATIENCE: u32 = 25;

fn seed() -> u64 {
    std::env::var("SEND_REVIEW_FAULT_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or(15_03)
}

/// How many try-again pages the people saw (printed: the faults reached them).
static TRY_AGAIN_PAGES: AtomicU32 = AtomicU32::new(0);
/// How many conflict pages they saw (a refusal they answered by sending the form again).
static CONFLICT_PAGES: AtomicU32 = AtomicU32::new(0);

/// An answer a person may get under faults: what they asked for, or the clear try-again page.
async fn answer(label: &str, response: reqwest::Response) -> Option<(StatusCode, String, String)> {
    let status = response.status();
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = response.text().await.unwrap();
    if status == StatusCode::SERVICE_UNAVAILABLE {
        assert!(
            body.contains("Sorry, there is a problem with the service")
                && body.contains("Try again"),
            "{label}: a 503 without the try-again page: {body}"
        );
        TRY_AGAIN_PAGES.fetch_add(1, Ordering::SeqCst);
        return None;
    }
    // 409: a clear refusal page (e.g. "already submitted" after a lost acknowledgement);
    // the step decides whether what the person wanted is stored.
    assert!(
        status.is_success() || status.is_redirection() || status == StatusCode::CONFLICT,
        "{label}: answered {status}: {body}"
    );
    Some((status, location, body))
}

/// GETs `url` until it answers 200.
async fn page(app: &TestStack, url: &str) -> String {
    for _ in 0..PATIENCE {
        let response = app.http.get(url).send().await.unwrap();
        if let Some((status, _, body)) = answer(url, response).await {
            assert_eq!(status, StatusCode::OK, "{url}");
            return body;
        }
    }
    panic!("{url} never answered");
}

/// POSTs what `form` builds (it may read the page again for its version) until the product
/// acknowledges it with a redirect; then `stored` must hold. A step whose acknowledgement was
/// lost may find, on its next try, that it is already done.
async fn act(
    app: &TestStack,
    label: &str,
    url: &str,
    mut form: impl AsyncFnMut() -> String,
    mut stored: impl AsyncFnMut() -> bool,
) -> String {
    for _ in 0..PATIENCE {
        let body = form().await;
        let response = app
            .http
            .post(url)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .unwrap();
        match answer(label, response).await {
            Some((status, location, _)) if status == StatusCode::SEE_OTHER => {
                assert!(stored().await, "{label}: acknowledged but not stored");
                return location;
            }
            // A refusal page (e.g. "already submitted") after a lost acknowledgement.
            Some(_) if stored().await => return String::new(),
            // A conflict page: the person reads it and sends the form again.
            Some((StatusCode::CONFLICT, _, _)) => {
                CONFLICT_PAGES.fetch_add(1, Ordering::SeqCst);
            }
            Some((status, _, body)) => panic!("{label}: answered {status}: {body}"),
            None => {}
        }
    }
    panic!("{label}: never acknowledged");
}

/// Waits for `count` emails to `address`, running the schedule now and then; all of them,
/// newest first. An email whose sender lost its lease under a fault goes out with the re-drive,
/// which takes items stalled for two minutes by the real clock: hence up to 200 s.
async fn mail(
    app: &TestStack,
    address: &str,
    count: usize,
) -> Vec<local_runner::mailbox::SentMail> {
    for round in 0..400 {
        let mails = app.stack.mail_to(address).await.expect("moto answers");
        if mails.len() >= count {
            return mails;
        }
        if round % 20 == 19 {
            redrive(app).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let outbox: Vec<_> = app
        .outbox_items()
        .await
        .into_iter()
        .map(|item| {
            format!(
                "{:?} {:?} {:?}",
                item.get("kind").and_then(|v| v.as_s().ok()),
                item.get("state").and_then(|v| v.as_s().ok()),
                item.get("lease_until")
            )
        })
        .collect();
    panic!("expected {count} email(s) to {address}; the outbox: {outbox:#?}");
}

/// Runs the scheduled tasks (which re-drive stalled emails); under faults they may fail.
async fn redrive(app: &TestStack) {
    let _ = app
        .http
        .post(app.url("/_dev/schedules/ScheduledTasksFunction"))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(
            serde_json::json!({ "now": OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap() })
            .to_string(),
        )
        .send()
        .await;
}

async fn report_state(app: &TestStack, request_id: &str) -> Option<String> {
    app.item(
        format!("REQUEST#{request_id}"),
        workflows::report::store::SORT_KEY,
    )
    .await
    .and_then(|item| item.get("state").and_then(|s| s.as_s().ok()).cloned())
}

#[tokio::test]
async fn a_review_lives_to_its_final_report_with_a_tenth_of_aws_calls_failing() {
    let proxy = FaultProxy::start_routing(
        Upstream::LocalStack {
            dynamodb: std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap(),
            moto: std::env::var("AWS_ENDPOINT_URL_SES").unwrap(),
        },
        Faults::none(),
    )
    .await
    .unwrap();
    let app = spawn_with(|config| config.functions_endpoint = Some(proxy.url())).await;
    let ada = app.ada_joins().await;
    let school_address = unique_address("school");
    let seed = seed();
    proxy.set_faults(Faults::every_kind(FAULT_RATE, seed));

    // The school asks for a review; resending the same form is safe (its token).
    let token = app.form_token().await;
    let form = encode_fields(&valid_form(&token, &school_address, "100101"));
    let mut reference = String::new();
    for _ in 0..PATIENCE {
        let sent = app
            .http
            .post(app.url("/request"))
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form.clone())
            .send()
            .await
            .unwrap();
        if let Some((status, location, _)) = answer("the request form", sent).await {
            assert_eq!(status, StatusCode::SEE_OTHER);
            reference = location
                .strip_prefix("/request/sent/")
                .expect("the confirmation page")
                .to_owned();
            break;
        }
    }
    assert!(!reference.is_empty(), "the request was never acknowledged");
    let request_id = app.request_id(&reference).await;

    // The school confirms its request with the button its first email links to.
    let first_status_link =
        crate::support::link_containing(&mail(&app, &school_address, 1).await, "/status/");
    act(
        &app,
        "confirming the request",
        &format!("{first_status_link}/confirm"),
        async || String::new(),
        async || app.stored_request(&request_id).await.state.as_str() != "pending_confirmation",
    )
    .await;

    // The matcher offers it to Ada; she accepts with a date.
    let offer = mail(&app, &ada, 1).await;
    let offer_link = offer_link(offer.last().unwrap());
    let accept = format!("decision=accept&visit_date={}", visit_day());
    act(
        &app,
        "accepting the offer",
        &offer_link,
        async || accept.clone(),
        async || app.stored_request(&request_id).await.state.as_str() == "accepted",
    )
    .await;
    let school_mails = mail(&app, &school_address, 2).await;
    let lead_mails = mail(&app, &ada, 2).await;
    let status_link = crate::support::link_containing(&school_mails, "/status/");
    let review_link = crate::support::link_containing(&lead_mails, "/reviews/");
    let school = School {
        reference: reference.parse().unwrap(),
        request_id: request_id.clone(),
        token: status_link.rsplit('/').next().unwrap().to_owned(),
    };

    // The school submits its self-evaluation.
    let self_evaluation = format!("{status_link}/self-evaluation");
    act(
        &app,
        "submitting the self-evaluation",
        &self_evaluation,
        async || {
            let form = page(&app, &self_evaluation).await;
            complete_self_evaluation(&version_on(&form), &areas(&AREAS), |area| {
                format!("Our own view of {}.", area.title)
            })
        },
        async || {
            app.item(format!("REQUEST#{request_id}"), "SELF_EVALUATION")
                .await
                .is_some_and(|item| item["state"].as_s().unwrap() == "submitted")
        },
    )
    .await;

    // It adds a file (each acknowledged add is stored) and uploads it straight to S3.
    let evidence_url = app.url(&school.evidence());
    let upload_page = act(
        &app,
        "adding a file",
        &evidence_url,
        async || {
            "name=Provision+map&category=provision_map&file_type=pdf&no_pupil_named=yes".into()
        },
        async || {
            !app.evidence_store()
                .list(&request_id)
                .await
                .unwrap()
                .is_empty()
        },
    )
    .await;
    let evidence_id = upload_page
        .strip_prefix(&format!("{}/", school.evidence()))
        .and_then(|rest| rest.strip_suffix("/upload"))
        .expect("the upload page")
        .to_owned();
    let html = page(&app, &app.url(&upload_page)).await;
    // The upload goes to S3 (here through the proxy too), which may ask for a retry.
    let (action, fields) = crate::support::upload_form(&html);
    let mut uploaded = false;
    for _ in 0..PATIENCE {
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in &fields {
            form = form.text(name.clone(), value.clone());
        }
        let file = reqwest::multipart::Part::bytes(crate::support::PDF.to_vec())
            .file_name("file.pdf")
            .mime_str("application/pdf")
            .unwrap();
        match app
            .http
            .post(&action)
            .multipart(form.part("file", file))
            .send()
            .await
        {
            Ok(answer) if answer.status() == StatusCode::SEE_OTHER => {
                uploaded = true;
                break;
            }
            Ok(answer) => assert!(answer.status().is_server_error(), "S3 refused the upload"),
            // The connection dropped: the browser says so, and the person tries again.
            Err(_) => {}
        }
    }
    assert!(uploaded, "the upload never reached S3");
    let mut received = false;
    for _ in 0..120 {
        let evidence = app
            .evidence_store()
            .get(&request_id, &evidence_id)
            .await
            .unwrap()
            .unwrap();
        if evidence.state == "received" {
            received = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(received, "the checker never received the upload");

    // The visit took place; the lead sends the draft, the school checks it, the lead finalises.
    app.move_visit(&reference, day(-1)).await;
    let report_link = format!("{review_link}/report");
    let report = complete_report(&areas(&AREAS));
    for (label, decision, wanted) in [
        ("sending the draft", "submit", "submitted"),
        ("finalising", "finalise", "final"),
    ] {
        if decision == "finalise" {
            let check_link = format!("{status_link}/report");
            act(
                &app,
                "the school's factual check",
                &check_link,
                async || {
                    let draft = page(&app, &check_link).await;
                    format!(
                        "version={}&comment.leadership=Two+SEND+governors",
                        version_on(&draft)
                    )
                },
                async || report_state(&app, &request_id).await.as_deref() == Some("checked"),
            )
            .await;
        }
        act(
            &app,
            label,
            &report_link,
            async || {
                let editor = page(&app, &report_link).await;
                report_form(&report, version_on(&editor).parse().unwrap(), decision)
            },
            async || report_state(&app, &request_id).await.as_deref() == Some(wanted),
        )
        .await;
    }

    // The faults stop; the schedule re-drives whatever is stalled.
    let counts = proxy.counts();
    proxy.set_faults(Faults::none());
    // Its confirmation, the booking, the draft, the final report and (in the final report's
    // transaction) the feedback invitation, in whichever order the re-drive sends them.
    let delivered = mail(&app, &school_address, 5).await;
    assert!(
        delivered
            .iter()
            .any(|m| m.subject == format!("Your review report: {reference}"))
    );
    let mut left = Vec::new();
    for _ in 0..400 {
        redrive(&app).await;
        left = app
            .outbox_items()
            .await
            .into_iter()
            .filter(|item| item["state"].as_s().unwrap() != "sent")
            .collect();
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(left.is_empty(), "emails left unsent: {left:?}");

    // Every email went out once, or twice in the documented window.
    let mut sent: BTreeMap<(String, String), usize> = BTreeMap::new();
    for address in [&ada, &school_address] {
        for mail in app.stack.mail_to(address).await.unwrap() {
            *sent.entry((address.clone(), mail.subject)).or_default() += 1;
        }
    }
    let twice: Vec<_> = sent.iter().filter(|(_, n)| **n == 2).collect();
    println!(
        "fault seed {seed}, rate {FAULT_RATE}: {counts}; {} try-again pages, {} conflict pages; {} distinct \
         emails, {} sent twice (SES accepted, answer lost): {twice:?}",
        TRY_AGAIN_PAGES.load(Ordering::SeqCst),
        CONFLICT_PAGES.load(Ordering::SeqCst),
        sent.len(),
        twice.len()
    );
    assert!(counts.total_faults() > 0, "no fault was injected: {counts}");
    for ((to, subject), n) in &sent {
        assert!(*n <= 2, "{subject} went to {to} {n} times");
    }
}

/// A versioned save whose answer was lost is retried by the SDK (or the person sends the form
/// twice): finding its own text at the next version, it is saved, not a conflict. Found by the
/// test above: a lead's finalise met "someone else saved a newer version" with their own text.
#[tokio::test]
async fn a_save_repeated_from_the_same_version_with_the_same_text_is_saved() {
    use records::versioned::Saved;
    let app = crate::support::spawn().await;
    let table = app.table_handle();
    let kind = &workflows::report::store::KIND;
    let (booked, now) = app.on_the_visit_day().await;
    let id = booked.school.request_id;
    let text = serde_json::json!({ "summary": "Leaders know their pupils well." });
    let other = serde_json::json!({ "summary": "Something else." });
    let save = async |based_on, body: &serde_json::Value, author| {
        kind.save(&table, &id, based_on, body, author, now)
            .await
            .unwrap()
    };
    assert_eq!(save(0, &text, "Ada").await, Saved::Saved { version: 1 });
    assert_eq!(save(1, &text, "Ada").await, Saved::Saved { version: 2 });
    assert_eq!(save(1, &text, "Ada").await, Saved::Saved { version: 2 });
    assert!(matches!(save(1, &other, "Ada").await, Saved::Stale { .. }));
    assert!(matches!(save(1, &text, "Bea").await, Saved::Stale { .. }));
    let stored: records::versioned::Versioned<serde_json::Value> =
        kind.get(&table, &id).await.unwrap().unwrap();
    assert_eq!((stored.version, stored.body), (2, text));
}
