//! The matcher: triggered by a request needing a reviewer (inserted as `submitted`, or moved to
//! `matching` after a decline or an expiry; the event source mapping filters the stream to
//! those), it offers the review to the best eligible reviewer, or tells the administrator.
//!
//! Layer: the top, over `records`, `workflows` (a Lambda adapter: it reads the event, calls the
//! workflow and answers). A rule, a stored shape or a page goes down into those crates (see the
//! workspace README's layout), never here.

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::{Error, LambdaEvent};
use serde::Deserialize;
use time::OffsetDateTime;
use workflows::offers::Workflow;

#[derive(Deserialize)]
struct Keys {
    pk: String,
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
        match workflow
            .match_request(request_id, OffsetDateTime::now_utc())
            .await
        {
            Ok(outcome) => tracing::info!(request_id, ?outcome, "matching done"),
            Err(error) => {
                tracing::error!(request_id, %error, "matching failed; the record will be retried");
                let mut failure = DynamoDbBatchItemFailure::default();
                failure.item_identifier = record.change.sequence_number.clone();
                response.batch_item_failures.push(failure);
                // Later records wait for this one, as the event source mapping retries from here.
                break;
            }
        }
    }
    Ok(response)
}
