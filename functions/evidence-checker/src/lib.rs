//! Checks each evidence file S3 tells us was uploaded: its bytes must really be the type the
//! school declared (magic bytes, and for Office Open XML the zip's entries) and within the size
//! limit. A good file is marked received; anything else is deleted (every version) and shown
//! to the school as rejected, with the reason. The work is `workflows::evidence`'s
//! `EvidenceStore::check_upload`, which decides by conditional writes, so S3's duplicate
//! deliveries and Lambda's retries change nothing twice.
//!
//! Layer: the top, over `records`, `workflows` (a Lambda adapter: it reads the event, calls the
//! workflow and answers). A rule, a stored shape or a page goes down into those crates (see the
//! workspace README's layout), never here.

use aws_lambda_events::event::s3::{S3Event, S3EventRecord};
use lambda_runtime::{Error, LambdaEvent};
use records::aws::AwsClients;
use records::store::Table;
use records::{ConfigError, Env};
use time::OffsetDateTime;
use workflows::evidence::{Checked, EvidenceStore};

pub struct EvidenceChecker {
    table: Table,
    s3: aws_sdk_s3::Client,
}

impl EvidenceChecker {
    /// The bucket comes from each event (its name in the environment would make the template
    /// circular: the bucket's notification needs the function).
    pub fn from_env(env: &Env, aws: &AwsClients) -> Result<Self, ConfigError> {
        Ok(Self {
            table: Table::from_env(env, aws)?,
            s3: aws.s3.clone(),
        })
    }

    /// Checks every created object of the event. Any failure fails the invocation, so Lambda
    /// retries it; records already decided are skipped then.
    pub async fn handle(&self, event: LambdaEvent<S3Event>) -> Result<(), Error> {
        let now = OffsetDateTime::now_utc();
        let mut failed = 0;
        for record in &event.payload.records {
            let Some((bucket, key)) = created_object(record) else {
                continue;
            };
            let store = EvidenceStore {
                table: self.table.clone(),
                s3: self.s3.clone(),
                bucket,
                credentials: None,
            };
            let version = record.s3.object.version_id.as_deref();
            match store.check_upload(&key, version, now).await {
                Ok(outcome) => log(&key, &outcome),
                Err(error) => {
                    failed += 1;
                    tracing::error!(%error, "checking an uploaded file failed; it will be retried");
                }
            }
        }
        if failed > 0 {
            return Err(format!("{failed} uploaded file(s) could not be checked").into());
        }
        Ok(())
    }
}

/// The bucket and (decoded) key of an `ObjectCreated:*` record.
pub fn created_object(record: &S3EventRecord) -> Option<(String, String)> {
    if !record
        .event_name
        .as_deref()
        .is_some_and(|name| name.starts_with("ObjectCreated:"))
    {
        return None;
    }
    let bucket = record.s3.bucket.name.clone()?;
    // Keys arrive URL-encoded, spaces as '+'.
    let encoded = record.s3.object.key.as_deref()?.replace('+', " ");
    let key = percent_encoding::percent_decode_str(&encoded)
        .decode_utf8()
        .ok()?
        .into_owned();
    Some((bucket, key))
}

fn log(key: &str, outcome: &Checked) {
    // Keys hold only ids: no names or file contents are logged.
    match outcome {
        Checked::Received => tracing::info!(key, "evidence received"),
        Checked::Rejected(rejection) => {
            tracing::info!(key, ?rejection, "evidence rejected and deleted")
        }
        Checked::AlreadyChecked => tracing::info!(key, "evidence already checked"),
        Checked::Discarded => {
            tracing::warn!(key, "an object no upload was waiting for was deleted")
        }
        Checked::Ignored => tracing::warn!(key, "not an evidence key: left alone"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, key: &str) -> S3EventRecord {
        serde_json::from_value(serde_json::json!({
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "eu-west-2",
            "eventTime": "2027-03-01T09:00:00.000Z", "eventName": name,
            "userIdentity": { "principalId": "AWS:X" },
            "requestParameters": { "sourceIPAddress": "127.0.0.1" },
            "responseElements": {},
            "s3": {
                "s3SchemaVersion": "1.0", "configurationId": "c",
                "bucket": { "name": "evidence", "arn": "arn:aws:s3:::evidence" },
                "object": { "key": key, "size": 10, "versionId": "v1", "sequencer": "01" }
            }
        }))
        .unwrap()
    }

    #[test]
    fn only_created_objects_are_checked_with_their_key_decoded() {
        assert_eq!(
            created_object(&record("ObjectCreated:Post", "requests/a/evidence/b%2Bc+d")),
            Some(("evidence".into(), "requests/a/evidence/b+c d".into()))
        );
        assert_eq!(created_object(&record("ObjectRemoved:Delete", "k")), None);
    }
}
