//! The school's evidence pages, under its status link: the list of files with the "add a file"
//! form (`/status/{token}/evidence`), the upload form that posts straight to S3 (`.../upload`),
//! downloads (`.../download`: a short-lived presigned URL, each one recorded) and deletion
//! (`.../delete`, a POST, until the visit).
//!
//! Adding a file takes two steps so that it works without JavaScript: the school says what the
//! file is (name, category, type, no pupil named), which records a pending item; the next page
//! is a plain multipart form whose action is S3, signed for that item's key, content type and
//! size limit. S3 sends the browser back here (`?uploaded=<id>`), and the evidence checker
//! marks the file received or rejected a moment later.

use askama::Template;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use records::branding::Branding;
use records::domain::request::long_date;
use records::programme;
use records::programme::ProgrammeSettings;
use records::request::StoredRequest;
use time::{Duration, OffsetDateTime};
use web::pages::evidence::{
    EvidencePage, EvidenceRow, EvidenceSummary, EvidenceUploadPage, UPLOAD_CHECK_SCRIPT,
};
use workflows::evidence::{
    Accessor, Category, EvidenceError, FileType, NewEvidence, RawNewEvidence, UPLOAD_FORM_LIFETIME,
    changes_allowed, size_text,
};

use crate::{LinkRequest, MAX_FORM_BYTES, SchoolPages, message, path_parameter, unavailable};

/// Evidence is due this long before the visit.
const DUE_BEFORE_VISIT: Duration = Duration::days(14);

/// What the school did last, shown once at the top of the list.
fn notice(done: &str) -> Option<String> {
    match done {
        "deleted" => Some("The file was deleted.".into()),
        _ => None,
    }
}

impl SchoolPages {
    /// The evidence section of the status page (left out if the files cannot be read).
    pub(crate) async fn evidence_summary(
        &self,
        token: &str,
        request_id: &str,
    ) -> Option<EvidenceSummary> {
        match self.evidence.list(request_id).await {
            Ok(files) => Some(EvidenceSummary::new(
                format!("/status/{token}/evidence"),
                &files,
            )),
            Err(error) => {
                tracing::error!(%error, "listing evidence failed");
                None
            }
        }
    }

    pub(crate) async fn evidence(&self, call: LinkRequest<'_>) -> Response<Body> {
        let (branding, link, request, now) = (call.branding, call.link, call.request, call.now);
        let evidence_id = path_parameter(request, "evidence_id");
        let query = request.query_string_parameters_ref();
        let query = |name: &str| {
            query
                .and_then(|q| q.first(name))
                .unwrap_or_default()
                .to_owned()
        };
        // The lifecycle's rule for changing evidence, with the report's stage.
        let closed = match workflows::report::store::stage_of(&self.table, &link.stored).await {
            Ok(stage) => changes_allowed(&link.stored, stage, now.date())
                .err()
                .map(|refusal| refusal.to_string()),
            Err(error) => {
                tracing::error!(%error, "reading a report failed");
                return unavailable(branding);
            }
        };
        let page = EvidenceView {
            branding,
            stored: &link.stored,
            token: &link.token,
            now,
            closed,
        };
        match call.route {
            "GET /status/{token}/evidence" => {
                self.list(
                    &page,
                    &RawNewEvidence::default(),
                    &[],
                    &query("uploaded"),
                    &query("done"),
                )
                .await
            }
            "POST /status/{token}/evidence" => self.add(&page, request).await,
            "GET /status/{token}/evidence/{evidence_id}/upload" => {
                self.upload_form(&page, &evidence_id).await
            }
            "GET /status/{token}/evidence/{evidence_id}/download" => {
                self.download(&page, &evidence_id).await
            }
            "POST /status/{token}/evidence/{evidence_id}/delete" => {
                self.delete(&page, &evidence_id).await
            }
            _ => forbidden(branding),
        }
    }

    async fn list(
        &self,
        page: &EvidenceView<'_>,
        form: &RawNewEvidence,
        errors: &[records::domain::request::FieldError],
        uploaded: &str,
        done: &str,
    ) -> Response<Body> {
        let files = match self.evidence.list(&page.stored.id).await {
            Ok(files) => files,
            Err(error) => return page.failed(&error),
        };
        let closed = page.closed.as_deref();
        let base = page.base();
        let rows: Vec<EvidenceRow<'_>> = files
            .iter()
            .map(|e| EvidenceRow::new(e, &base, closed.is_none(), e.id == uploaded))
            .collect();
        let status = if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let settings = self.settings().await;
        let allowance = match self
            .evidence
            .allowance(&page.stored.id, settings.upload_limits(), page.now)
            .await
        {
            Ok(allowance) => allowance,
            Err(error) => return page.failed(&error),
        };
        let refusal = allowance.refusal();
        let max_bytes = settings.max_upload_bytes();
        web::http::page(
            status,
            EvidencePage {
                branding: page.branding,
                reference: page.stored.reference.as_str(),
                status_link: format!("/status/{}", page.token),
                action: base.clone(),
                uploaded: files
                    .iter()
                    .find(|e| e.id == uploaded)
                    .map(|e| e.name.clone()),
                notice: notice(done),
                rows,
                closed: closed.or(refusal.as_deref()),
                files_left: allowance.left_text(),
                form,
                errors,
                categories: Category::ALL,
                file_types: FileType::ALL,
                max_size: size_text(max_bytes),
                due: page.due(),
            }
            .render(),
        )
    }

    /// Step one: what the file is. Records a pending item and goes on to the upload form.
    async fn add(&self, page: &EvidenceView<'_>, request: &Request) -> Response<Body> {
        let Ok(form) = web::http::read_form::<RawNewEvidence>(request, MAX_FORM_BYTES) else {
            return message(
                page.branding,
                StatusCode::BAD_REQUEST,
                "The form could not be read",
                vec!["Go back to your evidence and fill in the form again.".into()],
                (&page.base(), "Go back to your evidence"),
            );
        };
        if let Some(reason) = &page.closed {
            return page.closed_page("Files can no longer be added", reason);
        }
        let new = match NewEvidence::parse(&form) {
            Ok(new) => new,
            Err(errors) => return self.list(page, &form, &errors, "", "").await,
        };
        let settings = self.settings().await;
        match self
            .evidence
            .start_upload(
                &page.stored.id,
                &new,
                settings.max_upload_bytes(),
                settings.upload_limits(),
                page.now,
            )
            .await
        {
            Ok(evidence) => {
                tracing::info!(request_id = %page.stored.id, evidence_id = %evidence.id, "evidence upload started");
                web::http::see_other(&format!("{}/{}/upload", page.base(), evidence.id))
            }
            // The stage moved on since the page was read.
            Err(EvidenceError::Closed) => page.closed_page(
                "Files can no longer be added",
                "Your review has moved on, so files can no longer be added.",
            ),
            // The programme's limits leave no room: no item, so no upload form.
            Err(EvidenceError::Limit(reason)) => message(
                page.branding,
                StatusCode::TOO_MANY_REQUESTS,
                "No more files can be added now",
                vec![reason],
                (&page.base(), "Go back to your evidence"),
            ),
            Err(error) => page.failed(&error),
        }
    }

    /// Step two: the form that uploads the file straight to S3. Issuing it changes nothing.
    async fn upload_form(&self, page: &EvidenceView<'_>, evidence_id: &str) -> Response<Body> {
        let evidence = match self.evidence.get(&page.stored.id, evidence_id).await {
            Ok(Some(evidence)) => evidence,
            Ok(None) => return forbidden(page.branding),
            Err(error) => return page.failed(&error),
        };
        if evidence.state != workflows::evidence::state::PENDING || page.closed.is_some() {
            return web::http::see_other(&page.base());
        }
        let back = format!("{}{}?uploaded={}", self.site_url, page.base(), evidence.id);
        let upload = match self.evidence.upload_form(&evidence, &back, page.now).await {
            Ok(upload) => upload,
            Err(error) => return page.failed(&error),
        };
        web::http::page_posting_to_with_script(
            StatusCode::OK,
            EvidenceUploadPage {
                branding: page.branding,
                reference: page.stored.reference.as_str(),
                evidence: &evidence,
                upload: &upload,
                back: page.base(),
                max_size: size_text(evidence.max_bytes),
                minutes: UPLOAD_FORM_LIFETIME.whole_minutes(),
                script: UPLOAD_CHECK_SCRIPT,
            }
            .render(),
            upload.origin(),
            UPLOAD_CHECK_SCRIPT,
        )
    }

    /// A short-lived download URL for one received file of this request (recorded first).
    async fn download(&self, page: &EvidenceView<'_>, evidence_id: &str) -> Response<Body> {
        match self
            .evidence
            .download_url(&page.stored.id, evidence_id, &Accessor::School, page.now)
            .await
        {
            Ok(url) => web::http::see_other(&url),
            Err(EvidenceError::NotFound) => forbidden(page.branding),
            Err(error) => page.failed(&error),
        }
    }

    async fn delete(&self, page: &EvidenceView<'_>, evidence_id: &str) -> Response<Body> {
        if let Some(reason) = &page.closed {
            return page.closed_page("Files can no longer be deleted", reason);
        }
        match self
            .evidence
            .delete(&page.stored.id, evidence_id, page.now)
            .await
        {
            Ok(evidence) => {
                tracing::info!(request_id = %page.stored.id, evidence_id = %evidence.id, "evidence deleted");
                web::http::see_other(&format!("{}?done=deleted", page.base()))
            }
            // Deleted already (a second click), or not this request's.
            Err(EvidenceError::NotFound) => {
                web::http::see_other(&format!("{}?done=deleted", page.base()))
            }
            Err(EvidenceError::Closed) => page.closed_page(
                "Files can no longer be deleted",
                "Your review has moved on, so files can no longer be deleted.",
            ),
            Err(error) => page.failed(&error),
        }
    }

    /// The programme's settings (its size and upload limits), or the defaults.
    async fn settings(&self) -> ProgrammeSettings {
        match programme::get(&self.table).await {
            Ok(Some(settings)) => settings,
            Ok(None) => ProgrammeSettings::new("", ""),
            Err(error) => {
                tracing::warn!(%error, "programme settings unreadable; using the default limits");
                ProgrammeSettings::new("", "")
            }
        }
    }
}

/// What every evidence page knows: whose request, through which link, and when.
struct EvidenceView<'a> {
    branding: &'a Branding,
    stored: &'a StoredRequest,
    token: &'a str,
    now: OffsetDateTime,
    /// Why files can no longer be added or deleted, if they cannot.
    closed: Option<String>,
}

impl EvidenceView<'_> {
    fn base(&self) -> String {
        format!("/status/{}/evidence", self.token)
    }

    fn due(&self) -> Option<String> {
        let lead = self.stored.lead.as_ref()?;
        let visit = Some(lead.visit_date)?;
        Some(long_date(visit - DUE_BEFORE_VISIT))
    }

    /// 409: the stage no longer allows the change; nothing was stored.
    fn closed_page(&self, title: &str, reason: &str) -> Response<Body> {
        message(
            self.branding,
            StatusCode::CONFLICT,
            title,
            vec![reason.to_owned()],
            (&self.base(), "Go back to your evidence"),
        )
    }

    fn failed(&self, error: &EvidenceError) -> Response<Body> {
        tracing::error!(%error, "evidence storage failed");
        unavailable(self.branding)
    }
}

fn forbidden(branding: &Branding) -> Response<Body> {
    message(
        branding,
        StatusCode::FORBIDDEN,
        "This link does not work",
        vec![
            "The link may have been copied only in part. Use the link in the email we sent your school."
                .into(),
            format!("If you need help, write to {}.", branding.contact_email),
        ],
        ("/", "Go to the start page"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use workflows::evidence::Evidence;

    #[test]
    fn only_known_notices_are_shown() {
        assert_eq!(notice("deleted").as_deref(), Some("The file was deleted."));
        assert_eq!(notice("<script>"), None);
    }

    #[test]
    fn a_row_offers_what_its_state_allows() {
        let mut evidence = Evidence {
            id: "01EV".into(),
            request_id: "01RQ".into(),
            name: "Plan".into(),
            category: Category::DevelopmentPlan,
            file_type: FileType::Pdf,
            state: workflows::evidence::state::PENDING.into(),
            created_at: String::new(),
            max_bytes: 10,
            size: None,
            version_id: None,
            checked_at: None,
            rejected_reason: None,
            deleted_at: None,
        };
        let row = EvidenceRow::new(&evidence, "/b", true, false);
        assert_eq!(row.state, "Not uploaded");
        assert_eq!(row.upload.as_deref(), Some("/b/01EV/upload"));
        assert_eq!(row.download, None);
        assert_eq!(
            EvidenceRow::new(&evidence, "/b", true, true).state,
            "Checking"
        );
        evidence.state = workflows::evidence::state::RECEIVED.into();
        evidence.size = Some(2048);
        let row = EvidenceRow::new(&evidence, "/b", false, false);
        assert_eq!((row.state, row.size.as_str()), ("Received", "2 KB"));
        assert_eq!(row.download.as_deref(), Some("/b/01EV/download"));
        assert_eq!(row.delete, None, "no deleting after the visit");
    }
}
