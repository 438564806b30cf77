//! Feeds a table's DynamoDB stream to a stream-triggered function the way Lambda's event
//! source mapping does: poll each shard in order, drop records the filter criteria reject,
//! invoke with batches of up to `BatchSize`, and on failure retry from the first failed record
//! (ReportBatchItemFailures), giving up on a record after `MaximumRetryAttempts`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use aws_sdk_dynamodbstreams::types::{AttributeValue, Record, ShardIteratorType};
use base64::Engine;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::functions::StreamHandler;
use crate::intrinsics::REGION;
use crate::invoke;

pub struct StreamConsumer {
    pub function: String,
    pub handler: StreamHandler,
    pub client: aws_sdk_dynamodbstreams::Client,
    pub stream_arn: String,
    pub batch_size: usize,
    pub filters: Vec<Value>,
    pub max_retries: Option<u32>,
    pub starting_position: String,
    pub poll_interval: Duration,
}

#[derive(Default)]
struct Shard {
    iterator: Option<String>,
    closed: bool,
    buffer: VecDeque<Value>,
    last_sequence: Option<String>,
    attempts: u32,
    retry_at: Option<Instant>,
}

impl StreamConsumer {
    pub async fn run(self) {
        let mut shards: BTreeMap<String, Shard> = BTreeMap::new();
        loop {
            if let Err(error) = self.refresh_shards(&mut shards).await {
                tracing::warn!(function = %self.function, %error, "describing the stream failed");
            }
            for (shard_id, shard) in shards.iter_mut() {
                if let Err(error) = self.poll_shard(shard_id, shard).await {
                    tracing::warn!(function = %self.function, %error, "reading the stream failed");
                }
                self.process(shard).await;
            }
            tokio::time::sleep(self.poll_interval).await;
        }
    }

    async fn refresh_shards(&self, shards: &mut BTreeMap<String, Shard>) -> anyhow::Result<()> {
        let description = self
            .client
            .describe_stream()
            .stream_arn(&self.stream_arn)
            .send()
            .await?;
        for shard in description
            .stream_description()
            .map(|d| d.shards())
            .unwrap_or_default()
        {
            let Some(id) = shard.shard_id() else { continue };
            if shards.contains_key(id) {
                continue;
            }
            let position = if self.starting_position == "LATEST" && !shards.is_empty() {
                ShardIteratorType::TrimHorizon
            } else {
                ShardIteratorType::from(self.starting_position.as_str())
            };
            let iterator = self
                .client
                .get_shard_iterator()
                .stream_arn(&self.stream_arn)
                .shard_id(id)
                .shard_iterator_type(position)
                .send()
                .await?
                .shard_iterator;
            shards.insert(
                id.to_owned(),
                Shard {
                    iterator,
                    ..Shard::default()
                },
            );
        }
        Ok(())
    }

    async fn poll_shard(&self, shard_id: &str, shard: &mut Shard) -> anyhow::Result<()> {
        if shard.closed || shard.buffer.len() >= self.batch_size {
            return Ok(());
        }
        let Some(iterator) = shard.iterator.clone() else {
            shard.closed = true;
            return Ok(());
        };
        let output = match self
            .client
            .get_records()
            .shard_iterator(iterator)
            .limit(1000)
            .send()
            .await
        {
            Ok(output) => output,
            Err(error) => {
                // An expired iterator: pick up again after the last record we saw.
                let position = match &shard.last_sequence {
                    Some(_) => ShardIteratorType::AfterSequenceNumber,
                    None => ShardIteratorType::TrimHorizon,
                };
                shard.iterator = self
                    .client
                    .get_shard_iterator()
                    .stream_arn(&self.stream_arn)
                    .shard_id(shard_id)
                    .shard_iterator_type(position)
                    .set_sequence_number(shard.last_sequence.clone())
                    .send()
                    .await?
                    .shard_iterator;
                return Err(error.into());
            }
        };
        for record in output.records() {
            let event_record = record_json(record, &self.stream_arn);
            if let Some(seq) = record.dynamodb().and_then(|d| d.sequence_number()) {
                shard.last_sequence = Some(seq.to_owned());
            }
            if passes_filters(&self.filters, &event_record) {
                shard.buffer.push_back(event_record);
            }
        }
        shard.iterator = output.next_shard_iterator;
        if shard.iterator.is_none() {
            shard.closed = true;
        }
        Ok(())
    }

    async fn process(&self, shard: &mut Shard) {
        while !shard.buffer.is_empty() {
            if shard.retry_at.is_some_and(|at| Instant::now() < at) {
                return;
            }
            let size = shard.buffer.len().min(self.batch_size);
            let batch: Vec<Value> = shard.buffer.iter().take(size).cloned().collect();
            let event = json!({ "Records": batch });
            let first_failed = match invoke::stream(&self.function, &self.handler, event).await {
                Ok(failures) => batch.iter().position(|record| {
                    record["dynamodb"]["SequenceNumber"]
                        .as_str()
                        .is_some_and(|seq| failures.iter().any(|f| f == seq))
                }),
                Err(error) => {
                    tracing::warn!(function = %self.function, %error, "batch failed; it will be retried");
                    Some(0)
                }
            };
            match first_failed {
                None => {
                    shard.buffer.drain(..size);
                    shard.attempts = 0;
                    shard.retry_at = None;
                }
                Some(index) => {
                    // Checkpoint before the first failure; retry from it after a backoff.
                    shard.buffer.drain(..index);
                    shard.attempts = if index == 0 { shard.attempts + 1 } else { 1 };
                    if self.max_retries.is_some_and(|max| shard.attempts > max) {
                        tracing::error!(
                            function = %self.function,
                            "record retried {} times; sent to the on-failure destination (locally: dropped)",
                            shard.attempts - 1
                        );
                        shard.buffer.pop_front();
                        shard.attempts = 0;
                        shard.retry_at = None;
                        continue;
                    }
                    let backoff = Duration::from_millis(200 * 2u64.pow(shard.attempts.min(5)));
                    shard.retry_at = Some(Instant::now() + backoff.min(Duration::from_secs(5)));
                    return;
                }
            }
        }
    }
}

/// A stream record in the shape Lambda delivers it (`DynamoDBEvent.Records[]`).
pub fn record_json(record: &Record, stream_arn: &str) -> Value {
    let change = record.dynamodb();
    let image = |m: Option<&HashMap<String, AttributeValue>>| {
        Value::Object(
            m.map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), attribute_json(v)))
                    .collect()
            })
            .unwrap_or_default(),
        )
    };
    let mut dynamodb = json!({
        "ApproximateCreationDateTime": change
            .and_then(|c| c.approximate_creation_date_time())
            .map(|t| t.secs() as f64)
            .unwrap_or_default(),
        "Keys": image(change.and_then(|c| c.keys.as_ref())),
        "SequenceNumber": change.and_then(|c| c.sequence_number()),
        "SizeBytes": change.and_then(|c| c.size_bytes()).unwrap_or_default(),
        "StreamViewType": change.and_then(|c| c.stream_view_type()).map(|v| v.as_str().to_owned()),
    });
    if let Some(new) = change.and_then(|c| c.new_image.as_ref()) {
        dynamodb["NewImage"] = image(Some(new));
    }
    if let Some(old) = change.and_then(|c| c.old_image.as_ref()) {
        dynamodb["OldImage"] = image(Some(old));
    }
    json!({
        "eventID": record.event_id(),
        "eventName": record.event_name().map(|n| n.as_str().to_owned()),
        "eventVersion": record.event_version().unwrap_or("1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.aws_region().unwrap_or(REGION),
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    })
}

/// DynamoDB JSON, as in Lambda's stream events.
fn attribute_json(value: &AttributeValue) -> Value {
    let b64 = |blob: &aws_sdk_dynamodbstreams::primitives::Blob| {
        base64::engine::general_purpose::STANDARD.encode(blob.as_ref())
    };
    match value {
        AttributeValue::S(s) => json!({ "S": s }),
        AttributeValue::N(n) => json!({ "N": n }),
        AttributeValue::B(b) => json!({ "B": b64(b) }),
        AttributeValue::Ss(v) => json!({ "SS": v }),
        AttributeValue::Ns(v) => json!({ "NS": v }),
        AttributeValue::Bs(v) => json!({ "BS": v.iter().map(b64).collect::<Vec<_>>() }),
        AttributeValue::M(m) => {
            json!({ "M": m.iter().map(|(k, v)| (k.clone(), attribute_json(v))).collect::<serde_json::Map<_, _>>() })
        }
        AttributeValue::L(l) => json!({ "L": l.iter().map(attribute_json).collect::<Vec<_>>() }),
        AttributeValue::Null(b) => json!({ "NULL": b }),
        AttributeValue::Bool(b) => json!({ "BOOL": b }),
        _ => Value::Null,
    }
}

/// Lambda event filtering: a record passes if any pattern matches (or there is none).
pub fn passes_filters(filters: &[Value], record: &Value) -> bool {
    filters.is_empty()
        || filters
            .iter()
            .any(|pattern| matches_pattern(pattern, record))
}

/// The subset of the EventBridge pattern language the template uses: nested objects, lists
/// of exact values, `prefix`, `exists` and `anything-but`.
fn matches_pattern(pattern: &Value, value: &Value) -> bool {
    match pattern {
        Value::Object(fields) => fields.iter().all(|(key, sub)| {
            let field = value.get(key);
            match sub {
                Value::Array(options) => options.iter().any(|option| matches_option(option, field)),
                Value::Object(_) => field.is_some_and(|f| matches_pattern(sub, f)),
                _ => false,
            }
        }),
        _ => false,
    }
}

fn matches_option(option: &Value, field: Option<&Value>) -> bool {
    match option {
        Value::Object(rule) => {
            if let Some(prefix) = rule.get("prefix").and_then(Value::as_str) {
                return field
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.starts_with(prefix));
            }
            if let Some(exists) = rule.get("exists").and_then(Value::as_bool) {
                return field.is_some() == exists;
            }
            if let Some(excluded) = rule.get("anything-but") {
                let excluded = excluded
                    .as_array()
                    .cloned()
                    .unwrap_or_else(|| vec![excluded.clone()]);
                return field.is_some_and(|f| !excluded.contains(f));
            }
            tracing::warn!("unsupported filter rule {rule:?}: treated as no match");
            false
        }
        scalar => field.is_some_and(|f| f == scalar),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(event: &str, pk: &str) -> Value {
        json!({ "eventName": event, "dynamodb": { "Keys": { "pk": { "S": pk }, "sk": { "S": "X" } } } })
    }

    #[test]
    fn the_outbox_filter_passes_only_outbox_inserts() {
        let pattern: Value = serde_json::from_str(
            r#"{"eventName": ["INSERT"], "dynamodb": {"Keys": {"pk": {"S": [{"prefix": "OUTBOX#"}]}}}}"#,
        )
        .unwrap();
        let filters = vec![pattern];
        assert!(passes_filters(&filters, &record("INSERT", "OUTBOX#1")));
        assert!(!passes_filters(&filters, &record("MODIFY", "OUTBOX#1")));
        assert!(!passes_filters(&filters, &record("INSERT", "REQ#1")));
        assert!(passes_filters(&[], &record("REMOVE", "REQ#1")));
    }

    #[test]
    fn exists_and_anything_but_rules() {
        let pattern = json!({ "eventName": [{ "anything-but": "REMOVE" }], "dynamodb": { "NewImage": [{ "exists": true }] } });
        let mut with_image = record("INSERT", "A");
        with_image["dynamodb"]["NewImage"] = json!({});
        assert!(matches_pattern(&pattern, &with_image));
        assert!(!matches_pattern(&pattern, &record("INSERT", "A")));
    }
}
