//! JSON logs through `tracing`, one object per line, as CloudWatch Logs Insights likes them.
//!
//! Every invocation runs inside a span carrying `requestId` (the Lambda runtime opens it in AWS,
//! the local runner opens the same one), and the span list is printed on every line, so each
//! log line carries the request id. Never log personal data, tokens or raw paths with tokens.

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // try_init: the local runner and tests may initialise more than once in one process.
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_span_list(true)
        .flatten_event(true)
        .with_target(false)
        .with_ansi(false)
        .try_init();
}
