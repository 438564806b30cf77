//! The malware scan's verdict. Amazon GuardDuty Malware Protection for S3 scans each new
//! object version of the evidence bucket, tags it `GuardDutyMalwareScanStatus` with the result
//! and publishes the same result as an EventBridge event, which triggers the checker. A file
//! becomes `received` only when both say `NO_THREATS_FOUND`: the event alone could be replayed
//! or forged into the bus, and the tag can be written only by the scanner (the upload form's
//! signed policy allows no tagging field).

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
    pub const UNSUPPORTED: &str = "UNSUPPORTED";
    pub const ACCESS_DENIED: &str = "ACCESS_DENIED";
    pub const FAILED: &str = "FAILED";
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
