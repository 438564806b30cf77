//! The report's emails to the school: the draft to check, and the final report.

use serde::{Deserialize, Serialize};

use records::links::{LinkSecret, status_link};
use records::outbox::{OutboxEmail, Programme, RenderError, RenderedEmail};

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

crate::emails::email_templates!(
    ReportFinalHtml,
    ReportFinalText,
    ReportFinal,
    "email/report_final.html",
    "email/report_final.txt"
);
crate::emails::email_templates!(
    ReportToCheckHtml,
    ReportToCheckText,
    ReportToCheck,
    "email/report_to_check.html",
    "email/report_to_check.txt"
);

impl OutboxEmail for ReportToCheck {
    const KIND: &'static str = "report_to_check";

    fn render(
        &self,
        programme: &Programme,
        links: &LinkSecret,
    ) -> Result<RenderedEmail, RenderError> {
        let link = status_link(&programme.site_url, links, &self.request_id, "/report");
        ReportToCheckHtml::mail(
            programme,
            self,
            &link,
            format!("Your draft report is ready to check: {}", self.reference),
        )
    }
}

impl OutboxEmail for ReportFinal {
    const KIND: &'static str = "report_final";

    /// The PDF is attached at delivery, read from the evidence bucket.
    fn report_pdf_key(&self) -> Option<&str> {
        Some(&self.pdf_key)
    }

    fn render(
        &self,
        programme: &Programme,
        links: &LinkSecret,
    ) -> Result<RenderedEmail, RenderError> {
        let link = status_link(&programme.site_url, links, &self.request_id, "/report");
        ReportFinalHtml::mail(
            programme,
            self,
            &link,
            format!("Your review report: {}", self.reference),
        )
    }
}
