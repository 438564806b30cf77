//! Invoking a handler as the Lambda runtime does: a fresh request id, a `Context`, and the same
//! "Lambda runtime invoke" span carrying `requestId`, so every log line has the request id.

use serde_json::Value;
use tracing::Instrument;

use crate::functions::{EventHandler, HttpHandler, S3Handler, ScheduleHandler, StreamHandler};
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
    let payload = serde_json::from_value(event)?;
    without_answer(function, |event| handler(event), payload).await
}

/// Invokes an EventBridge-triggered handler with an event in JSON (an asynchronous invocation).
pub async fn event(function: &str, handler: &EventHandler, event: Value) -> anyhow::Result<()> {
    without_answer(function, |event| handler(event), event).await
}

/// Invokes a handler that answers nothing with `payload`, as the runtime does.
async fn without_answer<T>(
    function: &str,
    handler: impl FnOnce(
        lambda_runtime::LambdaEvent<T>,
    ) -> futures::future::BoxFuture<'static, Result<(), lambda_runtime::Error>>,
    payload: T,
) -> anyhow::Result<()> {
    let request_id = new_request_id();
    let event = lambda_runtime::LambdaEvent::new(payload, context(function, &request_id));
    handler(event)
        .instrument(span(function, &request_id))
        .await
        .map_err(|e| anyhow::anyhow!(e.to_string()))
}

/// Lambda's retries of a failed asynchronous invocation (its default, and what the template's
/// `EventInvokeConfig` sets).
pub const ASYNC_RETRIES: u32 = 2;

/// An asynchronous invocation by `source` (an S3 notification, an EventBridge rule): retried
/// twice if it fails, then sent to the on-failure destination (locally: dropped).
pub async fn asynchronously<F, Fut>(function: &str, source: &str, mut invoke: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    for attempt in 0..=ASYNC_RETRIES {
        match invoke().await {
            Ok(()) => return,
            Err(error) => {
                tracing::warn!(function, attempt, %error, "{source} invocation failed");
                tokio::time::sleep(std::time::Duration::from_millis(
                    500 * u64::from(attempt + 1),
                ))
                .await;
            }
        }
    }
    tracing::error!(
        function,
        "{source} failed {} times; sent to the on-failure destination (locally: dropped)",
        ASYNC_RETRIES + 1
    );
}
