//! Emails go out through the outbox, the table's stream and the mail sender: exactly once.

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::LambdaEvent;
use mail::MailSender;
use records::outbox::OutboxKey;
use records::store::{get_i64, get_s};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use workflows::intake::RequestConfirmation;

use crate::support::{TestStack, spawn, spawn_with_parameter, unique_address};

fn confirmation(reference: &str) -> RequestConfirmation {
    RequestConfirmation {
        request_id: ulid::Ulid::new().to_string(),
        reference: reference.into(),
        contact_name: "Grace Hopper".into(),
        school_name: "Brook Primary".into(),
        review_type: "SEND Review".into(),
        focus_areas: vec!["Leadership of SEND".into()],
        visit_windows: vec!["1 March 2027 to 12 March 2027".into()],
        confirmed: false,
    }
}

/// Queues an email the way product code does: an outbox item in a transaction (in request
/// `about`'s partition, if given).
async fn queue(
    app: &TestStack,
    about: Option<&str>,
    to: &str,
    email: &RequestConfirmation,
) -> OutboxKey {
    let item = records::outbox::put(app.table(), about, to, email, OffsetDateTime::now_utc());
    let stored = item.put().unwrap().item();
    let key =
        OutboxKey::from_keys(stored["pk"].as_s().unwrap(), stored["sk"].as_s().unwrap()).unwrap();
    app.dynamodb()
        .transact_write_items()
        .transact_items(item)
        .send()
        .await
        .unwrap();
    key
}

async fn outbox_item(
    app: &TestStack,
    key: &OutboxKey,
) -> std::collections::HashMap<String, AttributeValue> {
    app.dynamodb()
        .get_item()
        .table_name(app.table())
        .key("pk", AttributeValue::S(key.pk.clone()))
        .key("sk", AttributeValue::S(key.sk.clone()))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .expect("the outbox item exists")
}

#[tokio::test]
async fn an_outbox_item_written_to_the_table_reaches_the_mail_sender_through_the_stream() {
    let app = spawn().await;
    let to = unique_address("head");
    let id = queue(&app, None, &to, &confirmation("SR-AAAA-11")).await;

    let mails = app.wait_for_mail(&to, 1).await;
    assert_eq!(mails.len(), 1);
    assert!(mails[0].subject.contains("SR-AAAA-11"));
    assert!(
        mails[0]
            .links
            .iter()
            .any(|l| l.starts_with(&format!("{}/status/", app.stack.url)))
    );

    let item = outbox_item(&app, &id).await;
    assert_eq!(get_s(&item, "state"), Some("sent"));
    assert_eq!(get_s(&item, "ses_message_id"), Some(mails[0].id.as_str()));
    assert!(
        !item.contains_key("gsi1pk"),
        "a sent email leaves the pending index"
    );
    assert!(get_i64(&item, "expires_at").is_some());
}

#[tokio::test]
async fn an_email_about_a_request_is_stored_with_it_and_kept_after_it_is_sent() {
    let app = spawn().await;
    let to = unique_address("head");
    let request_id = ulid::Ulid::new().to_string();
    let key = queue(&app, Some(&request_id), &to, &confirmation("SR-EEEE-55")).await;
    assert_eq!(key.pk, records::keys::request_pk(&request_id));

    // The stream's second filter (on the sort key) passes it to the mail sender.
    let mails = app.wait_for_mail(&to, 1).await;
    assert!(mails[0].subject.contains("SR-EEEE-55"));
    let mut emails = Vec::new();
    for _ in 0..50 {
        emails = records::outbox::about_request(&app.table_handle(), &request_id)
            .await
            .unwrap();
        if emails.iter().all(|e| e.sent) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(emails.len(), 1);
    assert!(emails[0].sent);
    assert_eq!(emails[0].subject, mails[0].subject);
    let item = outbox_item(&app, &key).await;
    assert!(
        get_i64(&item, "expires_at").is_none(),
        "kept as long as the request (its purge removes it), not by TTL"
    );
}

#[tokio::test]
async fn a_record_delivered_twice_and_concurrently_sends_one_email() {
    let app = spawn().await;
    let to = unique_address("senco");
    let id = queue(&app, None, &to, &confirmation("SR-BBBB-22")).await;

    // The same stream record handed to two more invocations at once, on top of the runner's own
    // delivery of it.
    let sender = MailSender::from_env(app.stack.function_env("MailSenderFunction"), &app.stack.aws)
        .await
        .unwrap();
    let record = json!({ "Records": [{
        "eventID": "1", "eventName": "INSERT", "eventSource": "aws:dynamodb", "awsRegion": "eu-west-2",
        "dynamodb": {
            "Keys": { "pk": { "S": id.pk }, "sk": { "S": id.sk } },
            "SequenceNumber": "100", "SizeBytes": 10, "StreamViewType": "NEW_AND_OLD_IMAGES"
        }
    }]});
    let invoke = || {
        let event = LambdaEvent::new(
            serde_json::from_value(record.clone()).unwrap(),
            lambda_runtime::Context::default(),
        );
        mail_sender::handle(&sender, event)
    };
    let (first, second) = tokio::join!(invoke(), invoke());
    assert!(first.unwrap().batch_item_failures.is_empty());
    assert!(second.unwrap().batch_item_failures.is_empty());
    let again = invoke().await.unwrap();
    assert!(again.batch_item_failures.is_empty());

    let mails = app.wait_for_mail(&to, 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        app.stack.mail_to(&to).await.unwrap().len(),
        1,
        "exactly one email: {mails:?}"
    );
}

#[tokio::test]
async fn a_send_that_fails_is_retried_and_the_email_still_goes_out() {
    let sender_address = unique_address("noreply");
    let app = spawn_with_parameter("SenderAddress", &sender_address).await;
    // SES refuses to send from an unverified identity: every attempt fails before sending.
    app.ses_sends_from(&sender_address, false).await;
    let to = unique_address("retry");
    let id = queue(&app, None, &to, &confirmation("SR-CCCC-33")).await;

    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(app.stack.mail_to(&to).await.unwrap().is_empty());
    // The stream retries the failed record; between attempts the lease is given back (read
    // until no attempt is under way, a few seconds at most on a loaded machine).
    let mut item = outbox_item(&app, &id).await;
    for _ in 0..50 {
        if get_s(&item, "state") != Some("sending") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        item = outbox_item(&app, &id).await;
    }
    assert_eq!(
        get_s(&item, "state"),
        Some("pending"),
        "a failed send gives its lease back"
    );
    assert!(get_i64(&item, "attempts").unwrap() >= 1);

    app.ses_sends_from(&sender_address, true).await;
    let mails = app.wait_for_mail(&to, 1).await;
    assert_eq!(mails.len(), 1);
    let item = outbox_item(&app, &id).await;
    assert_eq!(get_s(&item, "state"), Some("sent"));
    assert!(get_i64(&item, "attempts").unwrap() >= 2);
}

#[tokio::test]
async fn an_email_whose_sender_crashed_is_sent_by_the_scheduled_redrive_after_the_lease() {
    let app = spawn().await;
    let to = unique_address("crash");
    let now = OffsetDateTime::now_utc();
    let id = ulid::Ulid::new().to_string();
    let queued = (now - time::Duration::minutes(10))
        .format(&Rfc3339)
        .unwrap();
    // As a sender that crashed after claiming it leaves it: leased for a few more seconds (the
    // re-drive measures leases in real time, so the test waits for this one to run out).
    let lease_until = now + time::Duration::seconds(4);
    app.dynamodb()
        .put_item()
        .table_name(app.table())
        .item("pk", AttributeValue::S(records::outbox::pk(&id)))
        .item("sk", AttributeValue::S("OUTBOX".into()))
        .item(
            "gsi1pk",
            AttributeValue::S(records::outbox::PENDING_INDEX_KEY.into()),
        )
        .item("gsi1sk", AttributeValue::S(queued.clone()))
        .item("to", AttributeValue::S(to.clone()))
        .item(
            "email",
            AttributeValue::S(records::outbox::payload_json(&confirmation("SR-DDDD-44"))),
        )
        .item("state", AttributeValue::S("sending".into()))
        .item(
            "lease_until",
            AttributeValue::N(lease_until.unix_timestamp().to_string()),
        )
        .item("lease_owner", AttributeValue::S("crashed".into()))
        .item("attempts", AttributeValue::N("1".into()))
        .item("created_at", AttributeValue::S(queued))
        .send()
        .await
        .unwrap();

    // The stream delivers it, but the live lease stops a second sender; so does an early re-drive.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let early = app.run_schedule_now().await;
    assert_eq!(early["outbox"]["sent"], 0);
    assert!(app.stack.mail_to(&to).await.unwrap().is_empty());

    // A clock moved past the lease changes nothing: leases are real time.
    let after_lease = (now + time::Duration::minutes(11))
        .format(&Rfc3339)
        .unwrap();
    let moved = app
        .stack
        .fire_schedule(
            "ScheduledTasksFunction",
            Some(json!({ "now": after_lease })),
        )
        .await
        .unwrap();
    if OffsetDateTime::now_utc() < lease_until {
        assert_eq!(moved["outbox"]["sent"], 0);
    }

    // Once the lease has really run out, the next run sends it.
    let remaining = lease_until - OffsetDateTime::now_utc() + time::Duration::milliseconds(1100);
    if remaining.is_positive() {
        tokio::time::sleep(remaining.unsigned_abs()).await;
    }
    let redrive = app.run_schedule_now().await;
    assert_eq!(
        redrive["outbox"]["sent"].as_u64().unwrap() + moved["outbox"]["sent"].as_u64().unwrap(),
        1
    );
    assert_eq!(app.wait_for_mail(&to, 1).await.len(), 1);

    let again = app.run_schedule_now().await;
    assert_eq!(again["outbox"]["stalled"], 0);
    assert_eq!(app.stack.mail_to(&to).await.unwrap().len(), 1);
}
