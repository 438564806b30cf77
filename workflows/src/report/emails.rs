//! The report's emails to the school: the draft to check, and the final report.

use serde::{Deserialize, Serialize};

use records::links::status_link;

/// Tells the school the draft report is ready for its factual-accuracy check, with the
/// private link to the page where it accepts or comments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportToCheck {
    pub request_id: String,
    pub reference: String,
    pub school_name: String,
    pub lead_name: String,
}

/// Delivers the final report to the school: the PDF attached (the mail sender reads it from
/// `pdf_key` in the evidence bucket) and the private link to the report page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportFinal {
    pub request_id: String,
    pub reference: String,
    pub school_name: String,
    pub pdf_key: String,
}

crate::emails::outbox_email!(
    ReportToCheck,
    kind: "report_to_check",
    templates: "email/report_to_check.html", "email/report_to_check.txt",
    link: |email, site, links| status_link(site, links, &email.request_id, "/report"),
    subject: |email, programme| format!("Your draft report is ready to check: {}", email.reference),
);

crate::emails::outbox_email!(
    ReportFinal,
    kind: "report_final",
    templates: "email/report_final.html", "email/report_final.txt",
    link: |email, site, links| status_link(site, links, &email.request_id, "/report"),
    subject: |email, programme| format!("Your review report: {}", email.reference),
    // The PDF is attached at delivery, read from the evidence bucket.
    report_pdf_key: |email| Some(&email.pdf_key),
);
