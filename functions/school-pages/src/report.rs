//! The school's factual-accuracy check of its draft report (`/status/{token}/report`): GET
//! shows the draft with a comment box per section; POST sends the comments (or, with none, the
//! school's confirmation that the draft is right) to the review team, once, and emails the lead.

use askama::Template;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use records::branding::Branding;
use records::request::StoredRequest;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use web::pages::report::FactualCheckPage;
use workflows::report::render::{ReportDocument, Stage};
use workflows::report::store::{Moved, StoredReport};
use workflows::report::{FactualCheck, ReportFieldError, store};

use crate::{LinkRequest, SchoolPages, message, not_read, unavailable};

/// Room for a comment on every section at its limit, in the worst UTF-8 and URL encoding.
const MAX_COMMENTS_FORM_BYTES: usize = 256 * 1024;

impl SchoolPages {
    pub(crate) async fn factual_check(&self, call: LinkRequest<'_>) -> Response<Body> {
        let (branding, link, request, now) = (call.branding, call.link, call.request, call.now);
        let (token, stored) = (&link.token, &link.stored);
        let status_link = format!("/status/{token}");
        let report = match store::get(&self.table, &stored.id).await {
            Ok(Some(report)) if report.state != records::lifecycle::ReportState::Draft => report,
            Ok(_) => {
                return message(
                    branding,
                    StatusCode::NOT_FOUND,
                    "Your report is not ready yet",
                    vec!["We will email you when the draft is ready for you to check.".into()],
                    (&status_link, "Back to your request"),
                );
            }
            Err(error) => {
                tracing::error!(%error, "reading a report failed");
                return unavailable(branding);
            }
        };
        let action = format!("/status/{token}/report");
        if call.route.starts_with("GET")
            || report.state != records::lifecycle::ReportState::Submitted
        {
            return page(branding, stored, &report, &action, &[], &[], StatusCode::OK);
        }
        let Ok(pairs) =
            web::http::read_form::<Vec<(String, String)>>(request, MAX_COMMENTS_FORM_BYTES)
        else {
            return not_read(
                branding,
                "Your comments could not be read",
                "Go back to the draft and send the form again.",
                (&action, "Back to the draft"),
            );
        };
        let version: u64 = pairs
            .iter()
            .find(|(name, _)| name == "version")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let check = match FactualCheck::parse(&pairs, &report.report) {
            Ok(check) => check,
            Err(errors) => {
                return page(
                    branding,
                    stored,
                    &report,
                    &action,
                    &pairs,
                    &errors,
                    StatusCode::UNPROCESSABLE_ENTITY,
                );
            }
        };
        // The lead hears of the answer in the same transaction as it is recorded.
        let lead_email =
            match workflows::factual_check::lead_email(&self.table, stored, &check, now).await {
                Ok(item) => item.into_iter().collect(),
                Err(error) => {
                    tracing::error!(%error, "reading the lead reviewer's address failed");
                    return unavailable(branding);
                }
            };
        match store::record_factual_check(&self.table, &stored.id, version, &check, now, lead_email)
            .await
        {
            // Answered once: a second answer (another tab) finds the first one on the page.
            Ok(Moved::Done | Moved::Conflict | Moved::NotReady(_)) => web::http::see_other(&action),
            Err(error) => {
                tracing::error!(%error, "recording a factual check failed");
                unavailable(branding)
            }
        }
    }
}

impl SchoolPages {
    /// The final report's PDF: a redirect to a short-lived presigned GET of the stored file.
    /// A link that is not the school's gets 403 and no URL.
    pub(crate) async fn report_pdf(&self, call: LinkRequest<'_>) -> Response<Body> {
        let (branding, link, now) = (call.branding, call.link, call.now);
        let (token, stored) = (&link.token, &link.stored);
        let pdf_key = match store::get(&self.table, &stored.id).await {
            Ok(Some(report)) if report.state == records::lifecycle::ReportState::Final => {
                report.pdf_key
            }
            Ok(_) => None,
            Err(error) => {
                tracing::error!(%error, "reading a report failed");
                return unavailable(branding);
            }
        };
        let Some(pdf_key) = pdf_key else {
            return message(
                branding,
                StatusCode::NOT_FOUND,
                "Your report is not final yet",
                vec!["You can download it once your reviewers have finalised it.".into()],
                (&format!("/status/{token}"), "Back to your request"),
            );
        };
        let file_name = format!("report-{}.pdf", stored.reference);
        match store::pdf_download_url(
            &self.evidence.s3,
            &self.evidence.bucket,
            &pdf_key,
            &file_name,
            now,
        )
        .await
        {
            Ok(url) => web::http::see_other(&url),
            Err(error) => {
                tracing::error!(%error, "signing the report's download failed");
                unavailable(branding)
            }
        }
    }
}

fn page(
    branding: &Branding,
    stored: &StoredRequest,
    report: &StoredReport,
    action: &str,
    posted: &[(String, String)],
    errors: &[ReportFieldError],
    status: StatusCode,
) -> Response<Body> {
    let submitted = report
        .submitted_at
        .as_deref()
        .and_then(|at| OffsetDateTime::parse(at, &Rfc3339).ok())
        .map(|at| at.date())
        .unwrap_or_else(|| OffsetDateTime::now_utc().date());
    let stage = if report.state == records::lifecycle::ReportState::Final {
        Stage::Final
    } else {
        Stage::Draft
    };
    let doc = ReportDocument::for_request(branding, stored, &report.report, stage, submitted);
    let answered = report.factual_check.as_ref();
    web::http::page(
        status,
        FactualCheckPage::new(
            branding,
            stored.reference.as_str(),
            &doc,
            action,
            report.version,
            posted,
            errors,
            answered,
        )
        .and_then(|page| page.render()),
    )
}
