//! The mail sender: triggered by outbox items appearing on the table's stream (the event source
//! mapping's filter passes only outbox inserts), delivers each through [`MailSender::deliver`]
//! and reports the records that failed, so only they are retried.
//!
//! Layer: the top, over `records`, `mail` (a Lambda adapter: it reads the event, calls the workflow
//! and answers). A rule, a stored shape or a page goes down into those crates (see the workspace
//! README's layout), never here.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::{Error, LambdaEvent};
use mail::{Delivery, MailSender};
use records::outbox::OutboxKey;
use serde::Deserialize;
use time::OffsetDateTime;

#[derive(Deserialize)]
struct Keys {
    pk: String,
    sk: String,
}

pub async fn handle(
    sender: &MailSender,
    event: LambdaEvent<Event>,
) -> Result<DynamoDbEventResponse, Error> {
    let now = OffsetDateTime::now_utc();
    let deliveries = event
        .payload
        .records
        .iter()
        .map(|record| deliver_record(sender, record, now));
    let failed: Vec<_> = futures::future::join_all(deliveries)
        .await
        .into_iter()
        .flatten()
        .collect();
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .map(|sequence_number| {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = Some(sequence_number);
            failure
        })
        .collect();
    Ok(response)
}

/// Delivers one record's outbox item; the record's sequence number if it must be retried.
async fn deliver_record(
    sender: &MailSender,
    record: &EventRecord,
    now: OffsetDateTime,
) -> Option<String> {
    let keys: Keys = match serde_dynamo::from_item(record.change.keys.clone()) {
        Ok(keys) => keys,
        Err(_) => {
            tracing::warn!(event_id = %record.event_id, "record without string keys; skipped");
            return None;
        }
    };
    let key = OutboxKey::from_keys(&keys.pk, &keys.sk)?;
    let id = key.id();
    match sender.deliver(&key, now).await {
        Ok(Delivery::Sent { message_id }) => {
            tracing::info!(outbox_id = id, ses_message_id = %message_id, "email sent");
            None
        }
        Ok(other) => {
            tracing::info!(outbox_id = id, outcome = ?other, "nothing to send");
            None
        }
        Err(error) => {
            tracing::error!(outbox_id = id, %error, "delivery failed; the record will be retried");
            record.change.sequence_number.clone()
        }
    }
}
