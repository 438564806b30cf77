//! Checks each evidence file once the malware scan has reported on it: Amazon GuardDuty
//! Malware Protection for S3 scans every new object version of the evidence bucket, tags it,
//! and publishes a "GuardDuty Malware Protection Object Scan Result" event, which triggers
//! this function. A file whose scan result and tag both say no threat, and whose bytes really
//! are the type the school declared (magic bytes, Office folders, no macros, no spreadsheet
//! formulas) within the size limit, is marked received; anything else is deleted (every
//! version) and shown to the school as rejected, with the reason. The work is
//! `workflows::evidence`'s `EvidenceStore::check_upload`, which decides by conditional writes,
//! so duplicate deliveries and Lambda's retries change nothing twice.
//!
//! Layer: the top, over `records`, `workflows` (a Lambda adapter: it reads the event, calls the
//! workflow and answers). A rule, a stored shape or a page goes down into those crates (see the
//! workspace README's layout), never here.

use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use lambda_runtime::{Error, LambdaEvent};
use records::aws::AwsClients;
use records::evidence::{SCAN_EVENT_DETAIL_TYPE, SCAN_EVENT_SOURCE, ScanResult, status};
use records::store::Table;
use records::{ConfigError, Env};
use time::OffsetDateTime;
use workflows::evidence::{Checked, EvidenceStore};

pub struct EvidenceChecker {
    table: Table,
    s3: aws_sdk_s3::Client,
}

impl EvidenceChecker {
    /// The bucket comes from each event, as it did when S3 triggered the checker.
    pub fn from_env(env: &Env, aws: &AwsClients) -> Result<Self, ConfigError> {
        Ok(Self {
            table: Table::from_env(env, aws)?,
            s3: aws.s3.clone(),
        })
    }

    /// Checks the scanned object of one scan result event. A failure fails the invocation, so
    /// Lambda retries it; a file already decided is skipped then.
    pub async fn handle(
        &self,
        event: LambdaEvent<EventBridgeEvent<ScanResult>>,
    ) -> Result<(), Error> {
        let event = event.payload;
        if event.source != SCAN_EVENT_SOURCE || event.detail_type != SCAN_EVENT_DETAIL_TYPE {
            tracing::warn!(source = %event.source, detail_type = %event.detail_type, "not a scan result: ignored");
            return Ok(());
        }
        let object = event.detail.s3_object_details;
        let result = event.detail.scan_result_details;
        let store = EvidenceStore {
            table: self.table.clone(),
            s3: self.s3.clone(),
            bucket: object.bucket_name,
            credentials: None,
        };
        let key = object.object_key;
        if result.scan_result_status == status::THREATS_FOUND {
            // Names only (no file contents); the coordinator's guide is in infra/OPERATIONS.md.
            let threats: Vec<String> = result
                .threats
                .unwrap_or_default()
                .into_iter()
                .map(|threat| threat.name)
                .collect();
            tracing::warn!(
                key,
                ?threats,
                "the malware scan found a threat in an evidence file"
            );
        }
        let outcome = store
            .check_upload(
                &key,
                object.version_id.as_deref(),
                &result.scan_result_status,
                OffsetDateTime::now_utc(),
            )
            .await
            .map_err(|error| {
                tracing::error!(%error, "checking a scanned file failed; it will be retried");
                Error::from(format!("{key} could not be checked"))
            })?;
        log(&key, &outcome);
        Ok(())
    }
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

    #[test]
    fn a_scan_result_event_as_eventbridge_delivers_it_reads_whole() {
        let event: EventBridgeEvent<ScanResult> = serde_json::from_value(serde_json::json!({
            "version": "0",
            "id": "72c7d362-737a-6dce-fc78-9e27a0171419",
            "detail-type": "GuardDuty Malware Protection Object Scan Result",
            "source": "aws.guardduty",
            "account": "111122223333",
            "time": "2027-03-01T09:00:00Z",
            "region": "eu-west-2",
            "resources": ["arn:aws:guardduty:eu-west-2:111122223333:malware-protection-plan/b4c7f464ab3a4"],
            "detail": {
                "schemaVersion": "1.0",
                "scanStatus": "COMPLETED",
                "resourceType": "S3_OBJECT",
                "s3ObjectDetails": {
                    "bucketName": "send-review-evidence-abc",
                    "objectKey": "requests/01A/evidence/01B",
                    "eTag": "0cc175b9c0f1b6a831c399e269772661",
                    "versionId": "v1",
                    "s3Throttled": false
                },
                "scanResultDetails": {
                    "scanResultStatus": "THREATS_FOUND",
                    "threats": [{ "name": "EICAR-Test-File (not a virus)" }]
                }
            }
        }))
        .unwrap();
        assert_eq!(event.source, SCAN_EVENT_SOURCE);
        assert_eq!(event.detail_type, SCAN_EVENT_DETAIL_TYPE);
        let result = &event.detail.scan_result_details;
        assert_eq!(result.scan_result_status, status::THREATS_FOUND);
        assert_eq!(
            result.threats.as_ref().unwrap()[0].name,
            "EICAR-Test-File (not a virus)"
        );
        assert_eq!(
            event.detail.s3_object_details.bucket_name,
            "send-review-evidence-abc"
        );
    }
}
