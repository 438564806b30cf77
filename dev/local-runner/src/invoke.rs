//! Invoking a handler as the Lambda runtime does: a fresh request id, a `Context`, and the same
//! "Lambda runtime invoke" span carrying `requestId`, so every log line has the request id.

use serde_json::Value;
use tracing::Instrument;

use crate::functions::{HttpHandler, S3Handler, ScheduleHandler, StreamHandler};
use crate::intrinsics::{ACCOUNT_ID, REGION};

pub fn new_request_id() -> String {
    ulid::Ulid::new().to_string().to_lowercase()
}

fn context(function: &str, request_id: &str) -> lambda_runtime::Context {
    let mut context = lambda_runtime::Context::default();
    context.request_id = request_id.to_owned();
    context.invoked_function_arn =
        format!("arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{function}");
    context
}

fn span(function: &str, request_id: &str) -> tracing::Span {
    tracing::info_span!("Lambda runtime invoke", requestId = %request_id, function = %function)
}

pub async fn http(
    function: &str,
    handler: &HttpHandler,
    request_id: &str,
    request: lambda_http::Request,
) -> lambda_http::Response<lambda_http::Body> {
    handler(request)
        .instrument(span(function, request_id))
        .await
}

/// Invokes a stream handler with a `DynamoDBEvent` in JSON; the failed records' sequence numbers.
pub async fn stream(
    function: &str,
    handler: &StreamHandler,
    event: Value,
) -> anyhow::Result<Vec<String>> {
    let request_id = new_request_id();
    let payload = serde_json::from_value(event)?;
    let event = lambda_runtime::LambdaEvent::new(payload, context(function, &request_id));
    let response = handler(event)
        .instrument(span(function, &request_id))
        .await
        .map_err(|e| anyhow::anyhow!(e.to_string()))?;
    Ok(response
        .batch_item_failures
        .into_iter()
        .filter_map(|f| f.item_identifier)
        .collect())
}

pub async fn schedule(
    function: &str,
    handler: &ScheduleHandler,
    input: Value,
) -> anyhow::Result<Value> {
    let request_id = new_request_id();
    let event = lambda_runtime::LambdaEvent::new(input, context(function, &request_id));
    handler(event)
        .instrument(span(function, &request_id))
        .await
        .map_err(|e| anyhow::anyhow!(e.to_string()))
}

/// Invokes an S3-notified handler with an `S3Event` in JSON (an asynchronous invocation).
pub async fn s3(function: &str, handler: &S3Handler, event: Value) -> anyhow::Result<()> {
    let request_id = new_request_id();
    let payload = serde_json::from_value(event)?;
    let event = lambda_runtime::LambdaEvent::new(payload, context(function, &request_id));
    handler(event)
        .instrument(span(function, &request_id))
        .await
        .map_err(|e| anyhow::anyhow!(e.to_string()))
}
