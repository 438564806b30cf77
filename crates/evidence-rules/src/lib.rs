//! The rules an evidence file must pass before a reviewer may open it: its category and
//! declared type (magic bytes, Office folders, size), what is inside it (no spreadsheet
//! formulas or web pages as CSV, no macros in 97-2003 Office files), and the malware scan's
//! verdict, and the limits on uploads. Pure rules, no I/O (a crate of their own, re-exported as
//! `records::evidence`): the checker in `workflows::evidence` reads the object and applies them.

mod content;
mod files;
mod limits;
mod scan;

pub use content::{is_formula, looks_like_html, ole_macros};
pub use files::{Category, FileType, Rejection, column_letters, size_text, verify};
pub use limits::{Allowance, RATE_WINDOW, UploadLimits, allowance};
pub use scan::{
    SCAN_EVENT_DETAIL_TYPE, SCAN_EVENT_SOURCE, SCAN_STATUS_TAG, ScanResult, ScanResultDetails,
    ScannedObject, Threat, status, verdict,
};

#[cfg(test)]
mod tests;
