//! The school's evidence pages: its files with an "add a file" form, and the upload form that
//! posts straight to S3.

use askama::Template;

use records::branding::Branding;
use records::domain::request::FieldError;
use workflows::evidence::{Category, Evidence, FileType, RawNewEvidence, size_text, state};
use workflows::presigned_post::PresignedPost;

/// One file on the school's evidence page, with the links it offers.
pub struct EvidenceRow<'a> {
    pub evidence: &'a Evidence,
    pub size: String,
    pub state: &'static str,
    pub tag_class: &'static str,
    pub download: Option<String>,
    pub upload: Option<String>,
    pub delete: Option<String>,
}

impl<'a> EvidenceRow<'a> {
    /// The row for `evidence` on the page at `base` (`/status/<token>/evidence`); delete only
    /// while changes are allowed; a pending file just uploaded reads as being checked.
    pub fn new(
        evidence: &'a Evidence,
        base: &str,
        changes_allowed: bool,
        just_uploaded: bool,
    ) -> Self {
        let link = |action: &str| format!("{base}/{}/{action}", evidence.id);
        let (label, tag_class) = match evidence.state.as_str() {
            state::RECEIVED => ("Received", "tag--done"),
            state::REJECTED => ("Rejected", "tag--error"),
            _ if just_uploaded => ("Checking", ""),
            _ => ("Not uploaded", "tag--todo"),
        };
        let pending = evidence.state == state::PENDING;
        Self {
            evidence,
            size: evidence.size.map(size_text).unwrap_or_else(|| "–".into()),
            state: label,
            tag_class,
            download: evidence.is_received().then(|| link("download")),
            upload: (pending && !just_uploaded && changes_allowed).then(|| link("upload")),
            delete: changes_allowed.then(|| link("delete")),
        }
    }
}

#[derive(Template)]
#[template(path = "pages/evidence.html")]
pub struct EvidencePage<'a> {
    pub branding: &'a Branding,
    pub reference: &'a str,
    /// The school's status page.
    pub status_link: String,
    /// This page, where the "add a file" form posts.
    pub action: String,
    pub rows: Vec<EvidenceRow<'a>>,
    /// The name of the file S3 just sent the browser back from.
    pub uploaded: Option<String>,
    pub notice: Option<String>,
    /// Why files can no longer be added (the stage, or the programme's upload limits).
    pub closed: Option<&'a str>,
    /// How many more files may be added (shown with the form).
    pub files_left: String,
    pub form: &'a RawNewEvidence,
    pub errors: &'a [FieldError],
    pub categories: &'static [Category],
    pub file_types: &'static [FileType],
    pub max_size: String,
    /// Two weeks before the visit, once it is booked.
    pub due: Option<String>,
}

impl EvidencePage<'_> {
    /// The message for `field`, if it has a problem.
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

#[derive(Template)]
#[template(path = "pages/evidence_upload.html")]
pub struct EvidenceUploadPage<'a> {
    pub branding: &'a Branding,
    pub reference: &'a str,
    pub evidence: &'a Evidence,
    pub upload: &'a PresignedPost,
    /// The evidence page.
    pub back: String,
    pub max_size: String,
    /// How long the form works.
    pub minutes: i64,
    /// [`UPLOAD_CHECK_SCRIPT`].
    pub script: &'a str,
}

/// Checks the chosen file's size and type before it goes to S3 (the page works without it).
pub const UPLOAD_CHECK_SCRIPT: &str = include_str!("../../templates/pages/upload_check.js");

/// The evidence section of the school's status page.
pub struct EvidenceSummary {
    /// The evidence page.
    pub link: String,
    /// Each file's name and state, oldest first.
    pub files: Vec<(String, &'static str)>,
}

impl EvidenceSummary {
    pub fn new(link: String, files: &[Evidence]) -> Self {
        Self {
            files: files
                .iter()
                .map(|e| {
                    let row = EvidenceRow::new(e, "", false, false);
                    (e.name.clone(), row.state)
                })
                .collect(),
            link,
        }
    }
}
