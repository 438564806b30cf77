//! What the table's stream functions share: a batch handled record by record, in order, with
//! the first failure reported (`ReportBatchItemFailures`), and the main of a function whose
//! handler needs only the table.
//!
//! Layer: over `records` only (a Lambda adapter's helper: it knows the event types, no rule).

use std::fmt::Display;
use std::future::Future;
use std::pin::Pin;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use records::store::Table;

/// What a stream function's handler answers: the batch item failures, if any.
pub type Response = Result<DynamoDbEventResponse, Error>;

/// Runs `each` on `records` in order. The first failure ends the batch and is reported as its
/// item failure: the event source mapping retries from that record, so later records wait for
/// it (a request's records must not overtake each other).
pub async fn in_order<'a, F, Fut, E>(
    records: &'a [EventRecord],
    mut each: F,
) -> DynamoDbEventResponse
where
    F: FnMut(&'a EventRecord) -> Fut,
    Fut: Future<Output = Result<(), E>> + Send + 'a,
    E: Display,
{
    let mut response = DynamoDbEventResponse::default();
    for record in records {
        // Boxed: a handler's future nests the workflow's, too deep to lay out otherwise.
        let outcome: Pin<Box<dyn Future<Output = Result<(), E>> + Send + 'a>> =
            Box::pin(each(record));
        if let Err(error) = outcome.await {
            let sequence_number = record.change.sequence_number.clone();
            tracing::error!(?sequence_number, %error, "stream record failed; it will be retried");
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = sequence_number;
            response.batch_item_failures.push(failure);
            break;
        }
    }
    response
}

/// The main of a stream function whose handler needs only the table: telemetry, the table
/// from the environment, then the Lambda runtime with `handler`.
pub async fn serve_with_table<F, Fut>(handler: F) -> Result<(), Error>
where
    F: Fn(&'static Table, LambdaEvent<Event>) -> Fut,
    Fut: Future<Output = Response>,
{
    records::telemetry::init();
    let aws = records::aws::AwsClients::from_environment().await;
    let table = Table::from_env(&records::Env::from_process(), &aws)?;
    // Lives as long as the process, as the runtime's handler does.
    let table: &'static Table = Box::leak(Box::new(table));
    lambda_runtime::run(service_fn(move |event| handler(table, event))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(sequence_number: &str) -> EventRecord {
        let mut record = EventRecord::default();
        record.change.sequence_number = Some(sequence_number.to_owned());
        record
    }

    #[tokio::test]
    async fn the_first_failure_is_reported_and_later_records_wait_for_it() {
        let records = [record("1"), record("2"), record("3")];
        let mut seen = Vec::new();
        let response = in_order(&records, |record| {
            let number = record.change.sequence_number.clone().unwrap();
            seen.push(number.clone());
            async move {
                match number.as_str() {
                    "2" => Err("no table"),
                    _ => Ok(()),
                }
            }
        })
        .await;
        assert_eq!(seen, ["1", "2"]);
        let failed: Vec<_> = response
            .batch_item_failures
            .iter()
            .map(|failure| failure.item_identifier.clone())
            .collect();
        assert_eq!(failed, [Some("2".to_owned())]);
        let all_fine = in_order(&records, |_| async { Ok::<(), &str>(()) }).await;
        assert!(all_fine.batch_item_failures.is_empty());
    }
}
