//! The matcher: triggered by a request needing a reviewer (inserted as `submitted`, or moved to
//! `matching` after a decline or an expiry; the event source mapping filters the stream to
//! those), it offers the review to the best eligible reviewer, or tells the administrator.
//! It also keeps the TTL backstop on every item of a request: when the request item's
//! `expires_at` is set or moves, or an item of its partition is new or rewritten without a TTL,
//! it copies the request's onto the partition (the same table and actions it already needs, so
//! no wider policy).
//!
//! Layer: the top, over `records`, `workflows` (a Lambda adapter: it reads the event, calls the
//! workflow and answers). A rule, a stored shape or a page goes down into those crates (see the
//! workspace README's layout), never here.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::{Error, LambdaEvent};
use serde::Deserialize;
use time::OffsetDateTime;
use workflows::offers::{Workflow, WorkflowError};

#[derive(Deserialize)]
struct Keys {
    pk: String,
    sk: String,
}

/// The attributes of a request item's image that say what this record needs.
#[derive(Deserialize, Default)]
struct Image {
    state: Option<String>,
    second_state: Option<String>,
    expires_at: Option<i64>,
}

fn image(item: &serde_dynamo::Item) -> Image {
    serde_dynamo::from_item(item.clone()).unwrap_or_default()
}

pub async fn handle(
    workflow: &Workflow,
    event: LambdaEvent<Event>,
) -> Result<DynamoDbEventResponse, Error> {
    let mut response = DynamoDbEventResponse::default();
    // In order: a request's records must not overtake each other.
    for record in &event.payload.records {
        let Ok(keys) = serde_dynamo::from_item::<_, Keys>(record.change.keys.clone()) else {
            continue;
        };
        let Some(request_id) = records::keys::request_id_of(&keys.pk) else {
            continue;
        };
        if let Err(error) = handle_record(workflow, record, &keys, request_id).await {
            tracing::error!(request_id, %error, "stream record failed; it will be retried");
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            response.batch_item_failures.push(failure);
            // Later records wait for this one, as the event source mapping retries from here.
            break;
        }
    }
    Ok(response)
}

async fn handle_record(
    workflow: &Workflow,
    record: &EventRecord,
    keys: &Keys,
    request_id: &str,
) -> Result<(), WorkflowError> {
    let new = image(&record.change.new_image);
    let is_request = keys.sk == "REQUEST";
    let needs_reviewer = matches!(new.state.as_deref(), Some("submitted" | "matching"))
        || new.second_state.as_deref() == Some("matching");
    if is_request && needs_reviewer {
        let outcome = workflow
            .match_request(request_id, OffsetDateTime::now_utc())
            .await?;
        tracing::info!(request_id, ?outcome, "matching done");
    }
    let ttl_moved = is_request
        && new.expires_at.is_some()
        && new.expires_at != image(&record.change.old_image).expires_at;
    // A new item, or one rewritten whole without the copied TTL (the retention marker has none).
    let lacks_ttl = !is_request
        && keys.sk != records::retention::MARKER_SORT_KEY
        && (record.event_name == "INSERT" || new.expires_at.is_none());
    if ttl_moved || lacks_ttl {
        let changed = workflow.spread_request_ttl(request_id).await?;
        tracing::info!(request_id, changed, "TTL backstop copied");
    }
    Ok(())
}
