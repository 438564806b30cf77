//! The school's evidence: files it uploads for the reviewers' pre-visit analysis.
//!
//! The browser uploads straight to S3 with a presigned POST ([`crate::presigned_post`]) for
//! one server-chosen key, `requests/<request id>/evidence/<evidence id>`, with the exact
//! content type of the declared file type and at most the programme's size limit. The pending
//! item is written first; the evidence checker (triggered by S3's ObjectCreated event) reads
//! the object, checks its bytes really are the declared type and its size, and marks the item
//! `received`, or deletes every version of the object and marks it `rejected` with a reason the
//! school can act on. Evidence is only ever served through short-lived presigned GET URLs,
//! each one recorded in an access-log item.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | evidence | `REQUEST#<request id>` | `EVIDENCE#<ulid>` (TTL while pending) |
//! | download issued | `REQUEST#<request id>` | `ACCESS#<time>#<ulid>` |
//!
//! States: `pending` (the form was issued) -> `received` | `rejected` (by the checker);
//! `pending`/`received`/`rejected` -> `deleted` (by the school, until the visit). Every change is
//! a conditional write, so duplicate or concurrent S3 events change nothing twice. One item
//! takes one upload: a second object sent to a key already checked is deleted unread.

use std::collections::HashMap;
use std::time::Duration as StdDuration;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_s3::config::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_s3::presigning::PresigningConfig;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime};
use ulid::Ulid;

use crate::domain::request::{FieldError, Text, TextError};
use crate::intake::{StoredRequest, request_pk, state as request_state};
use crate::presigned_post::{PostPolicy, PresignedPost};
use crate::store::{Table, n, s};
use crate::{ConfigError, Env};

pub mod pages;

/// How long an upload form works: time to choose the file and start sending it.
pub const UPLOAD_FORM_LIFETIME: Duration = Duration::minutes(15);
/// How long a download URL works.
pub const DOWNLOAD_URL_LIFETIME: StdDuration = StdDuration::from_secs(5 * 60);
/// A pending item whose file never came is removed by DynamoDB's TTL after this.
pub const PENDING_TTL: Duration = Duration::days(1);
/// The longest document name.
pub const MAX_NAME_CHARS: usize = 100;

const SORT_PREFIX: &str = "EVIDENCE#";
const ACCESS_PREFIX: &str = "ACCESS#";

/// Every object of request `request_id` is under this prefix (evidence, and anything later).
pub fn request_prefix(request_id: &str) -> String {
    format!("requests/{request_id}/")
}

/// The object key of one piece of evidence: chosen by the server, never by the browser.
pub fn object_key(request_id: &str, evidence_id: &str) -> String {
    format!("{}evidence/{evidence_id}", request_prefix(request_id))
}

/// `(request id, evidence id)` of an evidence object key.
pub fn parse_object_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix("requests/")?;
    let (request_id, rest) = rest.split_once('/')?;
    let evidence_id = rest.strip_prefix("evidence/")?;
    let valid = |id: &str| id.parse::<Ulid>().is_ok();
    (valid(request_id) && valid(evidence_id)).then_some((request_id, evidence_id))
}

fn sort_key(evidence_id: &str) -> String {
    format!("{SORT_PREFIX}{evidence_id}")
}

/// What a file is evidence of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    SenInformationReport,
    ProvisionMap,
    AnonymisedDataSummary,
    SendPolicy,
    DevelopmentPlan,
    Other,
}

impl Category {
    pub const ALL: &'static [Category] = &[
        Category::SenInformationReport,
        Category::ProvisionMap,
        Category::AnonymisedDataSummary,
        Category::SendPolicy,
        Category::DevelopmentPlan,
        Category::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::SenInformationReport => "sen_information_report",
            Category::ProvisionMap => "provision_map",
            Category::AnonymisedDataSummary => "anonymised_data_summary",
            Category::SendPolicy => "send_policy",
            Category::DevelopmentPlan => "development_plan",
            Category::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Category::SenInformationReport => "SEN information report",
            Category::ProvisionMap => "Provision map",
            Category::AnonymisedDataSummary => "Anonymised data summary",
            Category::SendPolicy => "SEND policy",
            Category::DevelopmentPlan => "Development plan",
            Category::Other => "Other",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == text)
    }
}

/// The kinds of file a school may upload, each with the one content type its form declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    Pdf,
    Docx,
    Doc,
    Xlsx,
    Xls,
    Pptx,
    Ppt,
    Csv,
    Png,
    Jpeg,
}

/// The first bytes of an OLE compound file (Office 97-2003 documents).
const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const PNG_MAGIC: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
const JPEG_MAGIC: &[u8] = &[0xFF, 0xD8, 0xFF];

impl FileType {
    pub const ALL: &'static [FileType] = &[
        FileType::Pdf,
        FileType::Docx,
        FileType::Doc,
        FileType::Xlsx,
        FileType::Xls,
        FileType::Pptx,
        FileType::Ppt,
        FileType::Csv,
        FileType::Png,
        FileType::Jpeg,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Docx => "docx",
            FileType::Doc => "doc",
            FileType::Xlsx => "xlsx",
            FileType::Xls => "xls",
            FileType::Pptx => "pptx",
            FileType::Ppt => "ppt",
            FileType::Csv => "csv",
            FileType::Png => "png",
            FileType::Jpeg => "jpeg",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.as_str() == text)
    }

    /// What the school calls it.
    pub fn label(self) -> &'static str {
        match self {
            FileType::Pdf => "PDF",
            FileType::Docx => "Word document",
            FileType::Doc => "Word 97-2003 document",
            FileType::Xlsx => "Excel spreadsheet",
            FileType::Xls => "Excel 97-2003 spreadsheet",
            FileType::Pptx => "PowerPoint presentation",
            FileType::Ppt => "PowerPoint 97-2003 presentation",
            FileType::Csv => "CSV file",
            FileType::Png => "PNG image",
            FileType::Jpeg => "JPEG image",
        }
    }

    /// The declared MIME type: the upload form sends exactly this and S3 refuses any other.
    pub fn content_type(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileType::Doc => "application/msword",
            FileType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            FileType::Xls => "application/vnd.ms-excel",
            FileType::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            FileType::Ppt => "application/vnd.ms-powerpoint",
            FileType::Csv => "text/csv",
            FileType::Png => "image/png",
            FileType::Jpeg => "image/jpeg",
        }
    }

    /// File name extensions, the usual one first.
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            FileType::Pdf => &[".pdf"],
            FileType::Docx => &[".docx"],
            FileType::Doc => &[".doc"],
            FileType::Xlsx => &[".xlsx"],
            FileType::Xls => &[".xls"],
            FileType::Pptx => &[".pptx"],
            FileType::Ppt => &[".ppt"],
            FileType::Csv => &[".csv"],
            FileType::Png => &[".png"],
            FileType::Jpeg => &[".jpg", ".jpeg"],
        }
    }

    /// The file input's `accept`: the extensions and the MIME type.
    pub fn accept(self) -> String {
        let mut accept: Vec<&str> = self.extensions().to_vec();
        accept.push(self.content_type());
        accept.join(",")
    }

    /// The type a file name's extension suggests.
    pub fn from_file_name(name: &str) -> Option<Self> {
        let lower = name.to_ascii_lowercase();
        Self::ALL
            .iter()
            .copied()
            .find(|t| t.extensions().iter().any(|ext| lower.ends_with(ext)))
    }

    /// Whether `bytes` (the whole file) really are this type: the magic bytes, and for the
    /// Office Open XML formats the zip's `[Content_Types].xml` and the application's folder.
    pub fn matches(self, bytes: &[u8]) -> bool {
        match self {
            FileType::Pdf => bytes.starts_with(b"%PDF-"),
            FileType::Docx => office_open_xml(bytes, "word/"),
            FileType::Xlsx => office_open_xml(bytes, "xl/"),
            FileType::Pptx => office_open_xml(bytes, "ppt/"),
            FileType::Doc | FileType::Xls | FileType::Ppt => bytes.starts_with(OLE_MAGIC),
            FileType::Csv => {
                let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
                !text.contains(&0) && std::str::from_utf8(text).is_ok()
            }
            FileType::Png => bytes.starts_with(PNG_MAGIC),
            FileType::Jpeg => bytes.starts_with(JPEG_MAGIC),
        }
    }
}

/// A zip whose entries include `[Content_Types].xml` and something under `folder`.
fn office_open_xml(bytes: &[u8], folder: &str) -> bool {
    if !bytes.starts_with(ZIP_MAGIC) {
        return false;
    }
    let Ok(archive) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        return false;
    };
    let names: Vec<&[u8]> = archive.file_names_raw().collect();
    names.contains(&b"[Content_Types].xml".as_slice())
        && names.iter().any(|name| name.starts_with(folder.as_bytes()))
}

/// Why the checker refused a file, in words the school can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    Empty,
    TooLarge { max_bytes: u64 },
    NotTheDeclaredType(FileType),
}

impl Rejection {
    pub fn reason(&self) -> String {
        match self {
            Rejection::Empty => "The file was empty. Upload the file again.".into(),
            Rejection::TooLarge { max_bytes } => format!(
                "The file was larger than {}, the most we can take. Make it smaller (for example, save it as a PDF) and upload it again.",
                size_text(*max_bytes)
            ),
            Rejection::NotTheDeclaredType(declared) => format!(
                "The file was not a {label}, although you chose {label} as its type. Upload it again and choose the type that matches the file (for example, from the end of its name).",
                label = declared.label()
            ),
        }
    }
}

/// Checks a whole uploaded file against its declared type and the size limit.
pub fn verify(declared: FileType, bytes: &[u8], max_bytes: u64) -> Result<(), Rejection> {
    if bytes.is_empty() {
        return Err(Rejection::Empty);
    }
    if bytes.len() as u64 > max_bytes {
        return Err(Rejection::TooLarge { max_bytes });
    }
    if !declared.matches(bytes) {
        return Err(Rejection::NotTheDeclaredType(declared));
    }
    Ok(())
}

/// `2.4 MB`, `850 KB`, `12 bytes` (1 MB = 1024 KB, as the size limit is counted).
pub fn size_text(bytes: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * 1024;
    if bytes >= MB {
        let tenths = (bytes * 10 + MB / 2) / MB;
        if tenths.is_multiple_of(10) {
            format!("{} MB", tenths / 10)
        } else {
            format!("{}.{} MB", tenths / 10, tenths % 10)
        }
    } else if bytes >= KB {
        format!("{} KB", (bytes + KB / 2) / KB)
    } else if bytes == 1 {
        "1 byte".into()
    } else {
        format!("{bytes} bytes")
    }
}

pub mod state {
    /// The upload form was issued; the file has not been checked (or has not come).
    pub const PENDING: &str = "pending";
    pub const RECEIVED: &str = "received";
    pub const REJECTED: &str = "rejected";
    pub const DELETED: &str = "deleted";
}

/// One file, as stored (`REQUEST#<request id>` / `EVIDENCE#<id>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub id: String,
    pub request_id: String,
    /// The name the school gave the document.
    pub name: String,
    pub category: Category,
    pub file_type: FileType,
    pub state: String,
    pub created_at: String,
    /// The size limit when the form was issued (the checker holds the file to it).
    pub max_bytes: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The S3 version that was checked and is the one served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rejected_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
}

impl Evidence {
    pub fn key(&self) -> String {
        object_key(&self.request_id, &self.id)
    }

    pub fn is_received(&self) -> bool {
        self.state == state::RECEIVED
    }

    /// A file name for downloads: the school's name for it (letters, digits, spaces and
    /// `-_.()` only) and the type's extension.
    pub fn download_file_name(&self) -> String {
        let safe: String = self
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || " -_.()".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let base = safe.trim().trim_end_matches('.');
        let base = if base.is_empty() { "evidence" } else { base };
        let extension = self.file_type.extensions()[0];
        if base.to_ascii_lowercase().ends_with(extension) {
            base.to_owned()
        } else {
            format!("{base}{extension}")
        }
    }
}

/// What the school chose for a new upload, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvidence {
    pub name: String,
    pub category: Category,
    pub file_type: FileType,
}

/// The "add a file" form as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RawNewEvidence {
    pub name: String,
    pub category: String,
    pub file_type: String,
    pub no_pupil_named: Option<String>,
}

impl NewEvidence {
    /// The form's answers, or every field's problem.
    pub fn parse(raw: &RawNewEvidence) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut problem = |field: &'static str, message: &str| {
            errors.push(FieldError {
                field,
                message: message.to_owned(),
            })
        };
        let name = match Text::parse(&raw.name, MAX_NAME_CHARS, false) {
            Ok(name) => Some(name.as_str().to_owned()),
            Err(TextError::Empty) => {
                problem("name", "Enter a name for the document");
                None
            }
            Err(TextError::TooLong(max)) => {
                problem(
                    "name",
                    &format!("The name must be {max} characters or fewer"),
                );
                None
            }
            Err(TextError::ControlCharacters) => {
                problem("name", "The name must be one line of ordinary text");
                None
            }
        };
        let category = Category::parse(&raw.category);
        if category.is_none() {
            problem("category", "Choose what the document is");
        }
        let file_type = FileType::parse(&raw.file_type);
        if file_type.is_none() {
            problem("file_type", "Choose the type of file");
        }
        if raw.no_pupil_named.is_none() {
            problem(
                "no_pupil_named",
                "Confirm that the file does not name or identify any pupil",
            );
        }
        match (name, category, file_type) {
            (Some(name), Some(category), Some(file_type)) if errors.is_empty() => Ok(Self {
                name,
                category,
                file_type,
            }),
            _ => Err(errors),
        }
    }
}

/// Who a download URL was issued to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accessor {
    /// The school, through its status link.
    School,
    /// A reviewer of the request, through their signed review link.
    Reviewer { reviewer_id: String },
}

/// One download URL issued (`REQUEST#<request id>` / `ACCESS#<time>#<ulid>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRecord {
    pub at: String,
    pub evidence_id: String,
    /// `school` or `reviewer`.
    pub accessor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviewer_id: Option<String>,
    /// When the URL stops working, epoch seconds.
    pub url_expires_at: i64,
}

/// Whether the school may still add or delete files: until the day of the visit (the
/// reviewers prepare from them), and never on a withdrawn request.
pub fn changes_allowed(stored: &StoredRequest, today: Date) -> Result<(), &'static str> {
    if stored.state == request_state::WITHDRAWN {
        return Err("This request was withdrawn, so files can no longer be added or deleted.");
    }
    let visit = stored
        .lead
        .as_ref()
        .and_then(|lead| crate::domain::parse_date(&lead.visit_date).ok());
    match visit {
        Some(visit) if today >= visit => Err(
            "The visit has taken place, so files can no longer be added or deleted. Write to us if something must be removed.",
        ),
        _ => Ok(()),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// Not a file of this request (or not one that can be served or changed).
    #[error("no such evidence for this request")]
    NotFound,
    /// The item changed meanwhile (deleted, checked): nothing was written.
    #[error("the evidence changed meanwhile")]
    Conflict,
    #[error(transparent)]
    Store(#[from] crate::reviewers::StoreError),
    #[error("S3 {operation} failed: {detail}")]
    Storage {
        operation: &'static str,
        detail: String,
    },
    #[error("stored evidence is unreadable: {0}")]
    Corrupt(String),
}

fn dynamo<E>(operation: &'static str) -> impl FnOnce(E) -> EvidenceError
where
    E: ProvideErrorMetadata + std::error::Error,
{
    move |e| EvidenceError::Store(crate::reviewers::dynamo_error(operation, e))
}

fn s3_error<E>(operation: &'static str) -> impl FnOnce(E) -> EvidenceError
where
    E: std::error::Error + Send + Sync + 'static,
{
    move |e| EvidenceError::Storage {
        operation,
        detail: aws_sdk_s3::error::DisplayErrorContext(e).to_string(),
    }
}

fn is_conditional_failure<E: ProvideErrorMetadata>(e: &E) -> bool {
    e.code() == Some("ConditionalCheckFailedException")
}

/// What the checker did with one uploaded object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checked {
    Received,
    Rejected(Rejection),
    /// A repeated event for a version already checked: nothing changed.
    AlreadyChecked,
    /// No pending item wants this object (deleted, expired, or a second upload to one key):
    /// the object version was deleted unread.
    Discarded,
    /// Not an evidence key: left alone.
    Ignored,
}

/// Evidence in the table and the bucket.
#[derive(Clone, Debug)]
pub struct EvidenceStore {
    pub table: Table,
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
    /// Signs upload forms (see [`crate::aws::AwsClients::credentials`]).
    pub credentials: Option<SharedCredentialsProvider>,
}

impl EvidenceStore {
    pub fn from_env(env: &Env, aws: &crate::aws::AwsClients) -> Result<Self, ConfigError> {
        Ok(Self {
            table: Table::from_env(env, aws)?,
            s3: aws.s3.clone(),
            bucket: env.required("EVIDENCE_BUCKET")?,
            credentials: aws.credentials.clone(),
        })
    }

    /// The request's files, oldest first, deleted ones left out.
    pub async fn list(&self, request_id: &str) -> Result<Vec<Evidence>, EvidenceError> {
        let files: Vec<Evidence> = self.items(request_id, SORT_PREFIX).await?;
        Ok(files
            .into_iter()
            .filter(|e| e.state != state::DELETED)
            .collect())
    }

    /// The request's items whose sort key starts with `prefix`, read as `T`.
    async fn items<T: serde::de::DeserializeOwned>(
        &self,
        request_id: &str,
        prefix: &str,
    ) -> Result<Vec<T>, EvidenceError> {
        self.table
            .partition_items(&request_pk(request_id), Some(prefix))
            .await
            .map_err(|e| dynamo("Query")(e.into_service_error()))?
            .into_iter()
            .map(|item| {
                serde_dynamo::from_item(item).map_err(|e| EvidenceError::Corrupt(e.to_string()))
            })
            .collect()
    }

    /// One file of the request (whatever its state), if it is one of this request's.
    pub async fn get(
        &self,
        request_id: &str,
        evidence_id: &str,
    ) -> Result<Option<Evidence>, EvidenceError> {
        if evidence_id.parse::<Ulid>().is_err() {
            return Ok(None);
        }
        let item = self
            .table
            .client
            .get_item()
            .table_name(&self.table.name)
            .key("pk", s(request_pk(request_id)))
            .key("sk", s(sort_key(evidence_id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| dynamo("GetItem")(e.into_service_error()))?
            .item;
        item.map(|item| {
            serde_dynamo::from_item(item).map_err(|e| EvidenceError::Corrupt(e.to_string()))
        })
        .transpose()
    }

    /// Records a new file the school is about to upload (pending, removed by TTL if the file
    /// never comes).
    pub async fn start_upload(
        &self,
        request_id: &str,
        new: &NewEvidence,
        max_bytes: u64,
        now: OffsetDateTime,
    ) -> Result<Evidence, EvidenceError> {
        let evidence = Evidence {
            id: Ulid::new().to_string(),
            request_id: request_id.to_owned(),
            name: new.name.clone(),
            category: new.category,
            file_type: new.file_type,
            state: state::PENDING.into(),
            created_at: now.format(&Rfc3339).unwrap_or_default(),
            max_bytes,
            size: None,
            version_id: None,
            checked_at: None,
            rejected_reason: None,
            deleted_at: None,
        };
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(&evidence).map_err(|e| EvidenceError::Corrupt(e.to_string()))?;
        item.insert("pk".into(), s(request_pk(request_id)));
        item.insert("sk".into(), s(sort_key(&evidence.id)));
        item.insert("expires_at".into(), n((now + PENDING_TTL).unix_timestamp()));
        self.put_new(item).await?;
        Ok(evidence)
    }

    /// An update of file `evidence_id` of request `request_id`.
    fn update_file(
        &self,
        request_id: &str,
        evidence_id: &str,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.table
            .client
            .update_item()
            .table_name(&self.table.name)
            .key("pk", s(request_pk(request_id)))
            .key("sk", s(sort_key(evidence_id)))
    }

    /// Writes `item`, a new one (never over an existing item).
    async fn put_new(&self, item: HashMap<String, AttributeValue>) -> Result<(), EvidenceError> {
        self.table
            .client
            .put_item()
            .table_name(&self.table.name)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(|e| dynamo("PutItem")(e.into_service_error()))?;
        Ok(())
    }

    /// The bucket's endpoint, as the SDK addresses it (virtual-hosted in AWS, path-style on a
    /// local endpoint): where an upload form posts.
    async fn bucket_url(&self) -> Result<String, EvidenceError> {
        let probe = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key("probe")
            .presigned(
                PresigningConfig::expires_in(StdDuration::from_secs(60))
                    .expect("a short expiry is valid"),
            )
            .await
            .map_err(s3_error("presign"))?;
        let url = probe.uri();
        let without_query = url.split('?').next().unwrap_or(url);
        Ok(without_query
            .strip_suffix("probe")
            .unwrap_or(without_query)
            .to_owned())
    }

    /// A signed form that uploads this pending file's bytes to its key, then sends the browser
    /// to `success_redirect`.
    pub async fn upload_form(
        &self,
        evidence: &Evidence,
        success_redirect: &str,
        now: OffsetDateTime,
    ) -> Result<PresignedPost, EvidenceError> {
        if evidence.state != state::PENDING {
            return Err(EvidenceError::NotFound);
        }
        let config = self.s3.config();
        let region =
            config
                .region()
                .map(|r| r.to_string())
                .ok_or_else(|| EvidenceError::Storage {
                    operation: "sign",
                    detail: "no region is configured".into(),
                })?;
        let credentials = self
            .credentials
            .as_ref()
            .ok_or_else(|| EvidenceError::Storage {
                operation: "sign",
                detail: "no credentials provider is configured".into(),
            })?
            .provide_credentials()
            .await
            .map_err(s3_error("credentials"))?;
        let policy = PostPolicy {
            bucket: self.bucket.clone(),
            key: evidence.key(),
            content_type: evidence.file_type.content_type().to_owned(),
            max_bytes: evidence.max_bytes,
            success_redirect: success_redirect.to_owned(),
            expires_at: now + UPLOAD_FORM_LIFETIME,
        };
        Ok(crate::presigned_post::sign(
            &policy,
            &credentials,
            &region,
            now,
            self.bucket_url().await?,
        ))
    }

    /// Deletes a file for the school: the item is marked deleted (only once), then every
    /// version of its object is removed.
    pub async fn delete(
        &self,
        request_id: &str,
        evidence_id: &str,
        now: OffsetDateTime,
    ) -> Result<Evidence, EvidenceError> {
        let evidence = self
            .get(request_id, evidence_id)
            .await?
            .filter(|e| e.state != state::DELETED)
            .ok_or(EvidenceError::NotFound)?;
        let result = self
            .update_file(request_id, evidence_id)
            .update_expression("SET #state = :deleted, deleted_at = :at REMOVE expires_at")
            .condition_expression("attribute_exists(pk) AND #state <> :deleted")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":deleted", s(state::DELETED))
            .expression_attribute_values(":at", s(now.format(&Rfc3339).unwrap_or_default()))
            .send()
            .await;
        if let Err(e) = result {
            let e = e.into_service_error();
            return Err(if is_conditional_failure(&e) {
                EvidenceError::NotFound
            } else {
                dynamo("UpdateItem")(e)
            });
        }
        self.delete_all_versions(&evidence.key()).await?;
        Ok(evidence)
    }

    /// Removes every version and delete marker under `prefix` (the bucket is versioned, so a
    /// plain delete would only hide the data); what was removed, as `(key, version)`.
    pub async fn delete_all_versions(
        &self,
        prefix: &str,
    ) -> Result<Vec<(String, String)>, EvidenceError> {
        let mut removed = Vec::new();
        loop {
            let listing = self
                .s3
                .list_object_versions()
                .bucket(&self.bucket)
                .prefix(prefix)
                .send()
                .await
                .map_err(s3_error("ListObjectVersions"))?;
            let mut batch: Vec<(String, String)> = Vec::new();
            for version in listing.versions() {
                if let Some(key) = version.key() {
                    batch.push((
                        key.to_owned(),
                        version.version_id().unwrap_or("null").into(),
                    ));
                }
            }
            for marker in listing.delete_markers() {
                if let Some(key) = marker.key() {
                    batch.push((key.to_owned(), marker.version_id().unwrap_or("null").into()));
                }
            }
            if batch.is_empty() {
                return Ok(removed);
            }
            for (key, version) in &batch {
                self.s3
                    .delete_object()
                    .bucket(&self.bucket)
                    .key(key)
                    .version_id(version)
                    .send()
                    .await
                    .map_err(s3_error("DeleteObject"))?;
            }
            removed.extend(batch);
        }
    }

    /// A short-lived URL that downloads a received file of request `request_id`, issued after
    /// recording who asked (the access log). The caller has checked that `accessor` may see
    /// this request's evidence (the school's status link, or a reviewer on the review team).
    pub async fn download_url(
        &self,
        request_id: &str,
        evidence_id: &str,
        accessor: &Accessor,
        now: OffsetDateTime,
    ) -> Result<String, EvidenceError> {
        let evidence = self
            .get(request_id, evidence_id)
            .await?
            .filter(Evidence::is_received)
            .ok_or(EvidenceError::NotFound)?;
        let at = now.format(&Rfc3339).unwrap_or_default();
        let record = AccessRecord {
            at: at.clone(),
            evidence_id: evidence.id.clone(),
            accessor: match accessor {
                Accessor::School => "school".into(),
                Accessor::Reviewer { .. } => "reviewer".into(),
            },
            reviewer_id: match accessor {
                Accessor::School => None,
                Accessor::Reviewer { reviewer_id } => Some(reviewer_id.clone()),
            },
            url_expires_at: now.unix_timestamp() + DOWNLOAD_URL_LIFETIME.as_secs() as i64,
        };
        let mut item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(&record).map_err(|e| EvidenceError::Corrupt(e.to_string()))?;
        item.insert("pk".into(), s(request_pk(request_id)));
        item.insert(
            "sk".into(),
            s(format!("{ACCESS_PREFIX}{at}#{}", Ulid::new())),
        );
        self.put_new(item).await?;
        let presigned = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(evidence.key())
            .set_version_id(evidence.version_id.clone())
            .response_content_type(evidence.file_type.content_type())
            .response_content_disposition(format!(
                "attachment; filename=\"{}\"",
                evidence.download_file_name()
            ))
            .presigned(
                PresigningConfig::builder()
                    .start_time(now.into())
                    .expires_in(DOWNLOAD_URL_LIFETIME)
                    .build()
                    .expect("a short expiry is valid"),
            )
            .await
            .map_err(s3_error("presign"))?;
        Ok(presigned.uri().to_owned())
    }

    /// Every download URL issued for request `request_id`, oldest first.
    pub async fn access_log(&self, request_id: &str) -> Result<Vec<AccessRecord>, EvidenceError> {
        self.items(request_id, ACCESS_PREFIX).await
    }

    /// The evidence checker's work for one created object version: read it, check it against
    /// its pending item, and mark the item received, or rejected (deleting the object).
    /// Safe to repeat: every outcome is decided by a conditional write on the item.
    pub async fn check_upload(
        &self,
        key: &str,
        version_id: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<Checked, EvidenceError> {
        let Some((request_id, evidence_id)) = parse_object_key(key) else {
            return Ok(Checked::Ignored);
        };
        let evidence = self.get(request_id, evidence_id).await?;
        let Some(evidence) = evidence else {
            self.discard(key, version_id).await?;
            return Ok(Checked::Discarded);
        };
        let same_version = |checked: &Option<String>| {
            checked.is_some() && checked.as_deref() == version_id.or(Some("null"))
        };
        match evidence.state.as_str() {
            state::PENDING => {}
            state::RECEIVED if same_version(&evidence.version_id) => {
                return Ok(Checked::AlreadyChecked);
            }
            state::REJECTED if same_version(&evidence.version_id) => {
                // The object may have outlived a crash between marking and deleting.
                self.discard(key, version_id).await?;
                return Ok(Checked::AlreadyChecked);
            }
            _ => {
                self.discard(key, version_id).await?;
                return Ok(Checked::Discarded);
            }
        }
        let bytes = match self.read(key, version_id, evidence.max_bytes).await? {
            Some(bytes) => bytes,
            // Gone already (the school deleted it meanwhile): nothing to check.
            None => return Ok(Checked::Discarded),
        };
        let version = version_id.unwrap_or("null").to_owned();
        let at = now.format(&Rfc3339).unwrap_or_default();
        let outcome = match &bytes {
            ObjectBytes::TooLarge => Err(Rejection::TooLarge {
                max_bytes: evidence.max_bytes,
            }),
            ObjectBytes::Whole(bytes) => {
                verify(evidence.file_type, bytes, evidence.max_bytes).map(|()| bytes.len())
            }
        };
        let update = self
            .update_file(request_id, evidence_id)
            .condition_expression("#state = :pending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":pending", s(state::PENDING))
            .expression_attribute_values(":version", s(&version))
            .expression_attribute_values(":at", s(&at));
        let update = match &outcome {
            Ok(size) => update
                .update_expression(
                    "SET #state = :received, size = :size, version_id = :version, checked_at = :at REMOVE expires_at",
                )
                .expression_attribute_values(":received", s(state::RECEIVED))
                .expression_attribute_values(":size", n(size)),
            Err(rejection) => update
                .update_expression(
                    "SET #state = :rejected, rejected_reason = :reason, version_id = :version, checked_at = :at REMOVE expires_at",
                )
                .expression_attribute_values(":rejected", s(state::REJECTED))
                .expression_attribute_values(":reason", s(rejection.reason())),
        };
        if let Err(e) = update.send().await {
            let e = e.into_service_error();
            if !is_conditional_failure(&e) {
                return Err(dynamo("UpdateItem")(e));
            }
            // Someone else decided first (a twin event, or the school deleted it): start over
            // from what is stored now.
            return Box::pin(self.check_upload(key, version_id, now)).await;
        }
        match outcome {
            Ok(_) => Ok(Checked::Received),
            Err(rejection) => {
                self.discard(key, version_id).await?;
                Ok(Checked::Rejected(rejection))
            }
        }
    }

    /// Deletes one object version (or, with no version, every version of the key).
    async fn discard(&self, key: &str, version_id: Option<&str>) -> Result<(), EvidenceError> {
        match version_id {
            Some(version) => {
                self.s3
                    .delete_object()
                    .bucket(&self.bucket)
                    .key(key)
                    .version_id(version)
                    .send()
                    .await
                    .map_err(s3_error("DeleteObject"))?;
            }
            None => {
                self.delete_all_versions(key).await?;
            }
        }
        Ok(())
    }

    /// The object's bytes, unless it is larger than `max_bytes` (not read then), or `None` if
    /// it no longer exists.
    async fn read(
        &self,
        key: &str,
        version_id: Option<&str>,
        max_bytes: u64,
    ) -> Result<Option<ObjectBytes>, EvidenceError> {
        let response = self
            .s3
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_owned))
            .send()
            .await;
        let object = match response {
            Ok(object) => object,
            Err(e) => {
                let missing = e.as_service_error().is_some_and(|e| e.is_no_such_key())
                    || e.raw_response().is_some_and(|r| r.status().as_u16() == 404);
                return if missing {
                    Ok(None)
                } else {
                    Err(s3_error("GetObject")(e))
                };
            }
        };
        if object
            .content_length()
            .is_some_and(|length| length as u64 > max_bytes)
        {
            return Ok(Some(ObjectBytes::TooLarge));
        }
        let bytes = object
            .body
            .collect()
            .await
            .map_err(s3_error("GetObject body"))?
            .into_bytes();
        Ok(Some(if bytes.len() as u64 > max_bytes {
            ObjectBytes::TooLarge
        } else {
            ObjectBytes::Whole(bytes.to_vec())
        }))
    }
}

enum ObjectBytes {
    TooLarge,
    Whole(Vec<u8>),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn ooxml(entries: &[&str]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for name in entries {
            writer.start_file(*name, options).unwrap();
            writer.write_all(b"<xml/>").unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn each_type_knows_its_magic_bytes() {
        let docx = ooxml(&["[Content_Types].xml", "_rels/.rels", "word/document.xml"]);
        let xlsx = ooxml(&["[Content_Types].xml", "xl/workbook.xml"]);
        let pptx = ooxml(&["[Content_Types].xml", "ppt/presentation.xml"]);
        let plain_zip = ooxml(&["notes.txt"]);
        let mut ole = OLE_MAGIC.to_vec();
        ole.extend([0; 504]);
        let samples: Vec<(&str, Vec<u8>)> = vec![
            ("pdf", b"%PDF-1.7\n%\xE2\xE3\n1 0 obj".to_vec()),
            ("docx", docx),
            ("xlsx", xlsx),
            ("pptx", pptx),
            ("ole", ole),
            (
                "csv",
                "name,score\nGroup A,12\nÉcole,3\n".as_bytes().to_vec(),
            ),
            ("png", [PNG_MAGIC, b"\0\0\0\rIHDR"].concat()),
            ("jpeg", vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F']),
            ("zip", plain_zip),
            ("exe", b"MZ\x90\0\x03\0\0\0".to_vec()),
            ("binary", vec![b'a', b',', 0, b'b']),
        ];
        let accepts = |file_type: FileType| -> Vec<&str> {
            samples
                .iter()
                .filter(|(_, bytes)| file_type.matches(bytes))
                .map(|(name, _)| *name)
                .collect()
        };
        assert_eq!(accepts(FileType::Pdf), ["pdf"]);
        assert_eq!(accepts(FileType::Docx), ["docx"]);
        assert_eq!(accepts(FileType::Xlsx), ["xlsx"]);
        assert_eq!(accepts(FileType::Pptx), ["pptx"]);
        for legacy in [FileType::Doc, FileType::Xls, FileType::Ppt] {
            assert_eq!(accepts(legacy), ["ole"]);
        }
        assert_eq!(accepts(FileType::Png), ["png"]);
        assert_eq!(accepts(FileType::Jpeg), ["jpeg"]);
        // Any UTF-8 text without NULs passes as CSV (the PDF sample is not UTF-8).
        assert_eq!(accepts(FileType::Csv), ["csv"]);
        assert!(FileType::Csv.matches(b"\xEF\xBB\xBFa,b\n"), "a BOM is fine");
        assert!(
            !FileType::Csv.matches(b"caf\xE9,1\n"),
            "Latin-1 is not UTF-8"
        );
    }

    #[test]
    fn verify_checks_emptiness_size_then_type() {
        assert_eq!(verify(FileType::Pdf, b"", 10), Err(Rejection::Empty));
        assert_eq!(
            verify(FileType::Pdf, b"%PDF-1.4 and more", 10),
            Err(Rejection::TooLarge { max_bytes: 10 })
        );
        assert_eq!(
            verify(FileType::Pdf, b"PK\x03\x04", 10),
            Err(Rejection::NotTheDeclaredType(FileType::Pdf))
        );
        assert_eq!(verify(FileType::Pdf, b"%PDF-1.4", 10), Ok(()));
        let reason = Rejection::NotTheDeclaredType(FileType::Docx).reason();
        assert!(
            reason.starts_with("The file was not a Word document"),
            "{reason}"
        );
        assert!(
            Rejection::TooLarge {
                max_bytes: 20 * 1024 * 1024
            }
            .reason()
            .contains("larger than 20 MB")
        );
    }

    #[test]
    fn each_type_declares_one_content_type_and_its_extensions() {
        for file_type in FileType::ALL {
            assert_eq!(FileType::parse(file_type.as_str()), Some(*file_type));
            for ext in file_type.extensions() {
                assert_eq!(
                    FileType::from_file_name(&format!("Report{}", ext.to_uppercase())),
                    Some(*file_type)
                );
            }
            assert!(file_type.accept().ends_with(file_type.content_type()));
        }
        assert_eq!(FileType::Jpeg.accept(), ".jpg,.jpeg,image/jpeg");
        assert_eq!(FileType::from_file_name("notes.txt"), None);
        let types: std::collections::HashSet<_> =
            FileType::ALL.iter().map(|t| t.content_type()).collect();
        assert_eq!(types.len(), FileType::ALL.len(), "content types are unique");
    }

    #[test]
    fn keys_are_under_the_request_prefix_and_parse_back() {
        let request = Ulid::new().to_string();
        let evidence = Ulid::new().to_string();
        let key = object_key(&request, &evidence);
        assert!(key.starts_with(&request_prefix(&request)));
        assert_eq!(
            parse_object_key(&key),
            Some((request.as_str(), evidence.as_str()))
        );
        for bad in [
            "requests/x/evidence/y",
            "other/key",
            &format!("requests/{request}/evidence/{evidence}/extra"),
            &format!("requests/{request}/notes/{evidence}"),
        ] {
            assert_eq!(parse_object_key(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_form_is_parsed_with_an_error_per_field() {
        let errors = NewEvidence::parse(&RawNewEvidence::default()).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "category", "file_type", "no_pupil_named"]);
        let good = RawNewEvidence {
            name: "  SEN information report 2026  ".into(),
            category: "sen_information_report".into(),
            file_type: "pdf".into(),
            no_pupil_named: Some("yes".into()),
        };
        assert_eq!(
            NewEvidence::parse(&good),
            Ok(NewEvidence {
                name: "SEN information report 2026".into(),
                category: Category::SenInformationReport,
                file_type: FileType::Pdf,
            })
        );
        let long = RawNewEvidence {
            name: "x".repeat(MAX_NAME_CHARS + 1),
            category: "nonsense".into(),
            ..good
        };
        let errors = NewEvidence::parse(&long).unwrap_err();
        assert_eq!(errors.len(), 2);
        assert!(errors[0].message.contains("100 characters"));
    }

    #[test]
    fn download_names_are_safe_and_keep_the_extension() {
        let mut evidence = Evidence {
            id: "01".into(),
            request_id: "02".into(),
            name: "Provision map: \"spring\"/2026".into(),
            category: Category::ProvisionMap,
            file_type: FileType::Xlsx,
            state: state::RECEIVED.into(),
            created_at: String::new(),
            max_bytes: 1,
            size: None,
            version_id: None,
            checked_at: None,
            rejected_reason: None,
            deleted_at: None,
        };
        assert_eq!(
            evidence.download_file_name(),
            "Provision map_ _spring__2026.xlsx"
        );
        evidence.name = "plan.XLSX".into();
        assert_eq!(evidence.download_file_name(), "plan.XLSX");
        evidence.name = "…".into();
        assert_eq!(evidence.download_file_name(), "_.xlsx");
    }

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(size_text(0), "0 bytes");
        assert_eq!(size_text(1), "1 byte");
        assert_eq!(size_text(1500), "1 KB");
        assert_eq!(size_text(20 * 1024 * 1024), "20 MB");
        assert_eq!(size_text(2_500_000), "2.4 MB");
    }
}
