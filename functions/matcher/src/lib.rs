//! The matcher: triggered by a request needing a reviewer (inserted as `submitted`, or moved to
//! `matching` after a decline or an expiry; the event source mapping filters the stream to
//! those), it offers the review to the best eligible reviewer, or tells the administrator.
//!
//! Layer: the top, over `records`, `workflows`, `stream-batch` (a Lambda adapter: it reads the event, calls the
//! workflow and answers). A rule, a stored shape or a page goes down into those crates (see the
//! workspace README's layout), never here.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use lambda_runtime::LambdaEvent;
use serde::Deserialize;
use time::OffsetDateTime;
use workflows::offers::Workflow;

#[derive(Deserialize)]
struct Keys {
    pk: String,
}

pub async fn handle(workflow: &Workflow, event: LambdaEvent<Event>) -> stream_batch::Response {
    // In order: a request's records must not overtake each other.
    Ok(stream_batch::in_order(&event.payload.records, |record| match_one(workflow, record)).await)
}

/// Matches the request one stream record names.
async fn match_one(workflow: &Workflow, record: &EventRecord) -> Result<(), String> {
    let Ok(keys) = serde_dynamo::from_item::<_, Keys>(record.change.keys.clone()) else {
        return Ok(());
    };
    let Some(request_id) = records::keys::request_id_of(&keys.pk) else {
        return Ok(());
    };
    match workflow
        .match_request(request_id, OffsetDateTime::now_utc())
        .await
    {
        Ok(outcome) => {
            tracing::info!(request_id, ?outcome, "matching done");
            Ok(())
        }
        Err(error) => Err(format!("request {request_id}: matching failed: {error}")),
    }
}
