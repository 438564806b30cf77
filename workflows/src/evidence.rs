//! The school's evidence: files it uploads for the reviewers' pre-visit analysis.
//!
//! The browser uploads straight to S3 with a presigned POST ([`crate::presigned_post`]) for
//! one server-chosen key, `requests/<request id>/evidence/<evidence id>`, with the exact
//! content type of the declared file type and at most the programme's size limit. The pending
//! item is written first. GuardDuty scans the new object and tags it; the evidence checker
//! (triggered by the scan result event) holds the result and the tag to
//! [`records::evidence::verdict`], checks the bytes against [`records::evidence::verify`] (type,
//! size, content), and marks the item `received`, or deletes the object and marks it `rejected`
//! with a reason the school can act on. With no scan result the item stays pending (and then
//! expires): nothing unscanned is ever `received`. Evidence is only ever served through short-lived presigned GET URLs,
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

pub use records::evidence::{
    Allowance, Category, FileType, Rejection, UploadLimits, size_text, verify,
};

use std::collections::HashMap;
use std::time::Duration as StdDuration;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use aws_sdk_s3::config::{ProvideCredentials, SharedCredentialsProvider};
use aws_sdk_s3::presigning::PresigningConfig;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime};
use ulid::Ulid;

use crate::presigned_post::{PostPolicy, PresignedPost};
use records::domain::request::{FieldError, Text, TextError};
use records::lifecycle::{Action, Guard, Person, Refusal, Stage, allowed, report_check};
use records::request::{StoredRequest, request_pk};
use records::store::{Table, Transacted, is_conditional_check_failed, n, s};
use records::{ConfigError, Env};

/// How long an upload form works: time to choose the file and start sending it.
pub const UPLOAD_FORM_LIFETIME: Duration = Duration::minutes(15);
/// How long a download URL works.
pub const DOWNLOAD_URL_LIFETIME: StdDuration = StdDuration::from_secs(5 * 60);
/// A pending item whose file never came is removed by DynamoDB's TTL after this.
pub const PENDING_TTL: Duration = Duration::days(1);
/// Pending files are in the sparse index under this key (`gsi1sk`: when the form was issued),
/// so that a file whose scan never came can be found (`coordination::reject_unscanned`).
pub const PENDING_INDEX_KEY: &str = "EVIDENCE_PENDING";
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

/// Whether the school may still add or delete files of `stored` at `stage`: the lifecycle's
/// rule (until the day of the visit, as the reviewers prepare from them; not once the report
/// is sent; never on a withdrawn request).
pub fn changes_allowed(stored: &StoredRequest, stage: Stage, today: Date) -> Result<(), Refusal> {
    let visit = stored.lead.as_ref().map(|lead| lead.visit_date);
    allowed(stage, Person::School, Action::ChangeEvidence, today, visit)
}

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    /// Not a file of this request (or not one that can be served or changed).
    #[error("no such evidence for this request")]
    NotFound,
    /// The item changed meanwhile (deleted, checked): nothing was written.
    #[error("the evidence changed meanwhile")]
    Conflict,
    /// The request's stage no longer lets the school change its files: nothing was written.
    #[error("files can no longer be added or deleted")]
    Closed,
    /// No more files may be added now (the reason, for the school): nothing was written.
    #[error("{0}")]
    Limit(String),
    #[error(transparent)]
    Store(#[from] records::store::StoreError),
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
    move |e| EvidenceError::Store(records::store::dynamo_error(operation, e))
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
    /// Signs upload forms (see [`records::aws::AwsClients::credentials`]).
    pub credentials: Option<SharedCredentialsProvider>,
}

impl EvidenceStore {
    pub fn from_env(env: &Env, aws: &records::aws::AwsClients) -> Result<Self, ConfigError> {
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
            .get(request_pk(request_id), sort_key(evidence_id))
            .await?;
        item.map(|item| {
            serde_dynamo::from_item(item).map_err(|e| EvidenceError::Corrupt(e.to_string()))
        })
        .transpose()
    }

    /// What the school may still add to request `request_id` under `limits` (every file ever
    /// started counts, deleted ones too).
    pub async fn allowance(
        &self,
        request_id: &str,
        limits: UploadLimits,
        now: OffsetDateTime,
    ) -> Result<Allowance, EvidenceError> {
        let files: Vec<Evidence> = self.items(request_id, SORT_PREFIX).await?;
        let files = files
            .iter()
            .map(|e| (e.state.as_str(), e.created_at.as_str()));
        Ok(records::evidence::allowance(files, limits, now))
    }

    /// Records a new file the school is about to upload (pending, removed by TTL if the file
    /// never comes), unless `limits` leave no room ([`EvidenceError::Limit`]). The count is
    /// read, not locked: two forms sent at the same instant could both pass, which the hourly
    /// rate bounds.
    pub async fn start_upload(
        &self,
        request_id: &str,
        new: &NewEvidence,
        max_bytes: u64,
        limits: UploadLimits,
        now: OffsetDateTime,
    ) -> Result<Evidence, EvidenceError> {
        let allowance = self.allowance(request_id, limits, now).await?;
        if let Some(refusal) = allowance.refusal() {
            return Err(EvidenceError::Limit(refusal));
        }
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
        item.insert("gsi1pk".into(), s(PENDING_INDEX_KEY));
        let index_sort = format!("{}#{request_id}#{}", evidence.created_at, evidence.id);
        item.insert("gsi1sk".into(), s(index_sort));
        let put = records::request::put(&self.table.name, item, true);
        self.commit_if_open(put, request_id, now).await?;
        Ok(evidence)
    }

    /// Writes `change` (a file's item) with the lifecycle's rule for changing evidence as its
    /// condition: [`EvidenceError::NotFound`] if `change`'s own condition failed,
    /// [`EvidenceError::Closed`] if the request's stage or day no longer allows it.
    async fn commit_if_open(
        &self,
        change: TransactWriteItem,
        request_id: &str,
        now: OffsetDateTime,
    ) -> Result<(), EvidenceError> {
        let table = self.table.name.as_str();
        let items = vec![
            change,
            Guard::new(Action::ChangeEvidence, now.date()).check(table, request_id),
            report_check(table, request_id, Action::ChangeEvidence),
        ];
        match self.table.transact(items).await {
            Ok(Transacted::Committed) => Ok(()),
            Ok(cancelled) if cancelled.failed_at(0) => Err(EvidenceError::NotFound),
            Ok(Transacted::Cancelled(_)) => Err(EvidenceError::Closed),
            Err(e) => Err(dynamo("TransactWriteItems")(e.into_service_error())),
        }
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
        let mark = Update::builder()
            .table_name(&self.table.name)
            .key("pk", s(request_pk(request_id)))
            .key("sk", s(sort_key(evidence_id)))
            .update_expression(
                "SET #state = :deleted, deleted_at = :at REMOVE expires_at, gsi1pk, gsi1sk",
            )
            .condition_expression("attribute_exists(pk) AND #state <> :deleted")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":deleted", s(state::DELETED))
            .expression_attribute_values(":at", s(now.format(&Rfc3339).unwrap_or_default()))
            .build()
            .expect("complete update");
        let mark = TransactWriteItem::builder().update(mark).build();
        self.commit_if_open(mark, request_id, now).await?;
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
                self.delete_version(key, version).await?;
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

    /// The evidence checker's work for one scanned object version: with the scan result
    /// (`scan_status`, from the scanner's event) and the version's own scan tag both clean,
    /// read it, check it against its pending item, and mark the item received; otherwise mark
    /// it rejected (deleting the object). Safe to repeat: every outcome is decided by a
    /// conditional write on the item.
    pub async fn check_upload(
        &self,
        key: &str,
        version_id: Option<&str>,
        scan_status: &str,
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
        // Gone already (the school deleted it meanwhile): nothing to check.
        let Some(tag) = self.scan_tag(key, version_id).await? else {
            return Ok(Checked::Discarded);
        };
        let outcome = match records::evidence::verdict(scan_status, tag.as_deref()) {
            Err(rejection) => Err(rejection),
            Ok(()) => match self.read(key, version_id, evidence.max_bytes).await? {
                None => return Ok(Checked::Discarded),
                Some(ObjectBytes::TooLarge) => Err(Rejection::TooLarge {
                    max_bytes: evidence.max_bytes,
                }),
                Some(ObjectBytes::Whole(bytes)) => {
                    verify(evidence.file_type, &bytes, evidence.max_bytes).map(|()| bytes.len())
                }
            },
        };
        let version = version_id.unwrap_or("null").to_owned();
        let at = now.format(&Rfc3339).unwrap_or_default();
        // The pending day's TTL gives way to the request's backstop in the same write, so the
        // decided item is never without one (none only for a request stored before it had one).
        let ttl = records::retention::request_ttl(&self.table, request_id).await?;
        let (set_ttl, remove_ttl) = match ttl {
            Some(_) => (", expires_at = :ttl", ""),
            None => ("", " expires_at,"),
        };
        let update = self
            .update_file(request_id, evidence_id)
            .condition_expression("#state = :pending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":pending", s(state::PENDING))
            .expression_attribute_values(":version", s(&version))
            .expression_attribute_values(":at", s(&at));
        let update = match ttl {
            Some(ttl) => update.expression_attribute_values(":ttl", n(ttl)),
            None => update,
        };
        let update = match &outcome {
            Ok(size) => update
                .update_expression(format!(
                    "SET #state = :received, size = :size, version_id = :version, checked_at = :at{set_ttl} REMOVE{remove_ttl} gsi1pk, gsi1sk",
                ))
                .expression_attribute_values(":received", s(state::RECEIVED))
                .expression_attribute_values(":size", n(size)),
            Err(rejection) => update
                .update_expression(format!(
                    "SET #state = :rejected, rejected_reason = :reason, version_id = :version, checked_at = :at{set_ttl} REMOVE{remove_ttl} gsi1pk, gsi1sk",
                ))
                .expression_attribute_values(":rejected", s(state::REJECTED))
                .expression_attribute_values(":reason", s(rejection.reason())),
        };
        if let Err(e) = update.send().await {
            if !is_conditional_check_failed(&e) {
                return Err(dynamo("UpdateItem")(e));
            }
            // Someone else decided first (a twin event, or the school deleted it): start over
            // from what is stored now.
            return Box::pin(self.check_upload(key, version_id, scan_status, now)).await;
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
            Some(version) => self.delete_version(key, version).await,
            None => self.delete_all_versions(key).await.map(drop),
        }
    }

    /// Deletes one version of an object (for good: a bucket with versioning keeps the others).
    async fn delete_version(&self, key: &str, version: &str) -> Result<(), EvidenceError> {
        self.s3
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .version_id(version)
            .send()
            .await
            .map_err(s3_error("DeleteObject"))?;
        Ok(())
    }

    /// The version's malware scan tag (`Some(None)`: untagged), or `None` if the object no
    /// longer exists.
    pub async fn scan_tag(
        &self,
        key: &str,
        version_id: Option<&str>,
    ) -> Result<Option<Option<String>>, EvidenceError> {
        let tagging = self.s3.get_object_tagging().bucket(&self.bucket).key(key);
        match tagging
            .set_version_id(version_id.map(str::to_owned))
            .send()
            .await
        {
            Ok(tags) => Ok(Some(
                tags.tag_set()
                    .iter()
                    .find(|tag| tag.key() == records::evidence::SCAN_STATUS_TAG)
                    .map(|tag| tag.value().to_owned()),
            )),
            Err(e) if is_missing(e.raw_response()) => Ok(None),
            Err(e) => Err(s3_error("GetObjectTagging")(e)),
        }
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
            Err(e) if is_missing(e.raw_response()) => return Ok(None),
            Err(e) => return Err(s3_error("GetObject")(e)),
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

/// Whether S3 answered that the object (or version) does not exist.
fn is_missing(response: Option<&aws_sdk_s3::config::http::HttpResponse>) -> bool {
    response.is_some_and(|r| r.status().as_u16() == 404)
}

enum ObjectBytes {
    TooLarge,
    Whole(Vec<u8>),
}

#[cfg(test)]
mod tests;
