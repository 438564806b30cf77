//! Delivers a bucket's S3 event notifications (`Type: S3` events) the way S3 does: one
//! `ObjectCreated` record per new object version, matching the event's key filter, to an
//! asynchronous invocation of the function, retried twice if it fails (Lambda's default for
//! asynchronous invocations, and what the template's `EventInvokeConfig` sets).
//!
//! moto can send notifications only to its own SQS/SNS (and its records lack fields S3 sends,
//! such as `userIdentity`, `versionId` and `sequencer`), so the runner polls
//! `ListObjectVersions` instead: every version not seen before is a creation. Versions present
//! when the runner starts are not notified, as S3 would not notify them either. Every
//! creation is reported as `ObjectCreated:Put` (a listing cannot tell a POST from a PUT).

use std::collections::HashSet;
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use crate::functions::S3Handler;
use crate::intrinsics::REGION;
use crate::invoke;

/// S3 encodes keys in events like a form does, leaving `/` and the unreserved characters.
const KEY_ENCODING: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b' ');

pub struct S3Notifier {
    pub function: String,
    pub handler: S3Handler,
    pub client: aws_sdk_s3::Client,
    /// The bucket's local name.
    pub bucket: String,
    pub events: Vec<String>,
    pub prefix: String,
    pub suffix: String,
    pub poll_interval: Duration,
}

/// A new object version, as listed.
#[derive(Debug, Clone)]
pub struct CreatedObject {
    pub key: String,
    pub version_id: String,
    pub size: i64,
    pub etag: String,
    pub last_modified: String,
}

impl S3Notifier {
    fn wants_created(&self) -> bool {
        self.events
            .iter()
            .any(|event| event == "s3:ObjectCreated:*" || event.starts_with("s3:ObjectCreated:"))
    }

    pub async fn run(self) {
        if !self.wants_created() {
            tracing::warn!(function = %self.function, events = ?self.events, "only ObjectCreated events are emulated locally");
            return;
        }
        let mut versions = NewVersions::default();
        let mut sequencer: u64 = 0;
        loop {
            match versions
                .poll(&self.client, &self.bucket, &self.prefix)
                .await
            {
                Ok(objects) => {
                    for object in objects.iter().filter(|o| o.key.ends_with(&self.suffix)) {
                        sequencer += 1;
                        let event = json!({ "Records": [self.record(object, sequencer)] });
                        invoke::asynchronously(&self.function, "S3 event", || {
                            invoke::s3(&self.function, &self.handler, event.clone())
                        })
                        .await;
                    }
                }
                Err(error) => {
                    tracing::warn!(function = %self.function, %error, "listing the bucket failed")
                }
            }
            tokio::time::sleep(self.poll_interval).await;
        }
    }

    /// The record S3 sends for a created object (notification structure version 2.1).
    pub fn record(&self, object: &CreatedObject, sequencer: u64) -> Value {
        let key = utf8_percent_encode(&object.key, KEY_ENCODING)
            .to_string()
            .replace(' ', "+");
        json!({
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": REGION,
            "eventTime": object.last_modified,
            "eventName": "ObjectCreated:Put",
            "userIdentity": { "principalId": "AWS:LOCAL" },
            "requestParameters": { "sourceIPAddress": "127.0.0.1" },
            "responseElements": {
                "x-amz-request-id": invoke::new_request_id(),
                "x-amz-id-2": invoke::new_request_id(),
            },
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": self.function,
                "bucket": {
                    "name": self.bucket,
                    "ownerIdentity": { "principalId": "LOCAL" },
                    "arn": format!("arn:aws:s3:::{}", self.bucket),
                },
                "object": {
                    "key": key,
                    "size": object.size,
                    "eTag": object.etag,
                    "versionId": object.version_id,
                    "sequencer": format!("{sequencer:016X}"),
                },
            },
        })
    }
}

/// The object versions created in a bucket since the first poll (versions present then are not
/// new, as S3 would not notify them either).
#[derive(Default)]
pub struct NewVersions {
    seen: HashSet<(String, String)>,
    primed: bool,
}

impl NewVersions {
    /// The versions under `prefix` not seen before, oldest first.
    pub async fn poll(
        &mut self,
        client: &aws_sdk_s3::Client,
        bucket: &str,
        prefix: &str,
    ) -> anyhow::Result<Vec<CreatedObject>> {
        let mut objects = list_versions(client, bucket, prefix).await?;
        objects.retain(|o| self.seen.insert((o.key.clone(), o.version_id.clone())));
        objects.sort_by(|a, b| a.last_modified.cmp(&b.last_modified));
        let primed = std::mem::replace(&mut self.primed, true);
        Ok(if primed { objects } else { Vec::new() })
    }
}

/// Every version under `prefix` of `bucket`.
pub async fn list_versions(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> anyhow::Result<Vec<CreatedObject>> {
    let mut objects = Vec::new();
    let mut key_marker = None;
    let mut version_marker = None;
    loop {
        let page = client
            .list_object_versions()
            .bucket(bucket)
            .prefix(prefix)
            .set_key_marker(key_marker)
            .set_version_id_marker(version_marker)
            .send()
            .await
            .map_err(|e| anyhow::anyhow!(aws_sdk_s3::error::DisplayErrorContext(e).to_string()))?;
        for version in page.versions() {
            let Some(key) = version.key() else { continue };
            objects.push(CreatedObject {
                key: key.to_owned(),
                version_id: version.version_id().unwrap_or("null").to_owned(),
                size: version.size().unwrap_or_default(),
                etag: version
                    .e_tag()
                    .unwrap_or_default()
                    .trim_matches('"')
                    .to_owned(),
                last_modified: version
                    .last_modified()
                    .and_then(|t| t.fmt(aws_sdk_s3::primitives::DateTimeFormat::DateTime).ok())
                    .unwrap_or_default(),
            });
        }
        if page.is_truncated() != Some(true) {
            return Ok(objects);
        }
        key_marker = page.next_key_marker().map(str::to_owned);
        version_marker = page.next_version_id_marker().map(str::to_owned);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::event::s3::S3Event;
    use std::sync::Arc;

    #[test]
    fn records_are_the_shape_lambda_deserialises_with_keys_encoded_as_s3_does() {
        let config = aws_sdk_s3::Config::builder()
            .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
            .build();
        let handler: S3Handler = Arc::new(|_| Box::pin(async { Ok(()) }));
        let notifier = S3Notifier {
            function: "EvidenceCheckerFunction".into(),
            handler,
            client: aws_sdk_s3::Client::from_conf(config),
            bucket: "local-evidence".into(),
            events: vec!["s3:ObjectCreated:*".into()],
            prefix: "requests/".into(),
            suffix: String::new(),
            poll_interval: Duration::from_millis(100),
        };
        assert!(notifier.wants_created());
        let object = CreatedObject {
            key: "requests/01A/evidence/my file+1.pdf".into(),
            version_id: "v1".into(),
            size: 42,
            etag: "abc".into(),
            last_modified: "2027-03-01T09:00:00Z".into(),
        };
        let event: S3Event =
            serde_json::from_value(json!({ "Records": [notifier.record(&object, 1)] })).unwrap();
        let record = &event.records[0];
        assert_eq!(record.event_name.as_deref(), Some("ObjectCreated:Put"));
        assert_eq!(record.s3.bucket.name.as_deref(), Some("local-evidence"));
        assert_eq!(
            record.s3.object.key.as_deref(),
            Some("requests/01A/evidence/my+file%2B1.pdf")
        );
        assert_eq!(record.s3.object.version_id.as_deref(), Some("v1"));
        assert_eq!(record.s3.object.size, Some(42));
        assert_eq!(
            record.s3.object.sequencer.as_deref(),
            Some("0000000000000001")
        );
    }
}
