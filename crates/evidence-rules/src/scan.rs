//! The malware scan's verdict. Amazon GuardDuty Malware Protection for S3 scans each new
//! object version of the evidence bucket, tags it `GuardDutyMalwareScanStatus` with the result
//! and publishes the same result as an EventBridge event, which triggers the checker. A file
//! becomes `received` only when both say `NO_THREATS_FOUND`: the event alone could be replayed
//! or forged into the bus, and the tag can be written only by the scanner (the upload form's
//! signed policy allows no tagging field).

use serde::{Deserialize, Serialize};

use super::files::Rejection;

/// The tag GuardDuty writes on each scanned object version.
pub const SCAN_STATUS_TAG: &str = "GuardDutyMalwareScanStatus";
/// The EventBridge `source` and `detail-type` of a scan result.
pub const SCAN_EVENT_SOURCE: &str = "aws.guardduty";
pub const SCAN_EVENT_DETAIL_TYPE: &str = "GuardDuty Malware Protection Object Scan Result";

/// The scan result statuses GuardDuty reports (event `scanResultStatus` and tag value).
pub mod status {
    pub const NO_THREATS_FOUND: &str = "NO_THREATS_FOUND";
    pub const THREATS_FOUND: &str = "THREATS_FOUND";
    // The others (`UNSUPPORTED`, `ACCESS_DENIED`, `FAILED`) all mean "not scanned".
}

/// Whether a file may go on to the content checks, from the event's status and the object
/// version's tag (absent: never scanned, or tagging failed). A threat in either wins; anything
/// but two clean results is "not scanned".
pub fn verdict(event_status: &str, tag: Option<&str>) -> Result<(), Rejection> {
    if event_status == status::THREATS_FOUND || tag == Some(status::THREATS_FOUND) {
        return Err(Rejection::Threat);
    }
    if event_status == status::NO_THREATS_FOUND && tag == Some(status::NO_THREATS_FOUND) {
        Ok(())
    } else {
        Err(Rejection::NotScanned)
    }
}

/// The `detail` of a scan result event (the fields the checker reads).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanResult {
    #[serde(default)]
    pub scan_status: String,
    #[serde(default)]
    pub resource_type: String,
    #[serde(default)]
    pub s3_object_details: ScannedObject,
    #[serde(default)]
    pub scan_result_details: ScanResultDetails,
}

/// The object version that was scanned (its key as stored, not URL-encoded).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScannedObject {
    #[serde(default)]
    pub bucket_name: String,
    #[serde(default)]
    pub object_key: String,
    #[serde(default)]
    pub version_id: Option<String>,
    #[serde(default)]
    pub e_tag: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanResultDetails {
    /// One of [`status`]; empty when the event carries none.
    #[serde(default)]
    pub scan_result_status: String,
    /// The threats' names, when some were found (logged, never shown to the school).
    #[serde(default)]
    pub threats: Option<Vec<Threat>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Threat {
    #[serde(default)]
    pub name: String,
}
