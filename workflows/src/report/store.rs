//! The report's one item and its life: **draft** (the lead and the second reviewer save a shared
//! draft) -> **submitted** (the lead sends it to the school, which checks it for factual
//! accuracy; nobody edits it meanwhile) -> **checked** (the school accepted it or commented on
//! sections; the lead edits again) -> **final** (rendered, stored in S3, delivered).
//!
//! | item   | pk               | sk       |
//! |--------|------------------|----------|
//! | report | `REQUEST#<ulid>` | `REPORT` |
//!
//! Attributes: those of a versioned document (`state`, `version`, `body`: the [`Report`] as a
//! map, `updated_at`, `updated_by`), and as the report moves on `submitted_at`,
//! `factual_check` and `checked_at`, `finalised_at`, `html_key` and `pdf_key`.
//!
//! **No silent overwrite.** The text is a [`records::versioned`] document: every save names the
//! version it was based on and is a conditional write on it, so two tabs or two reviewers saving
//! from the same version cannot both succeed; the one that loses stores nothing and gets the
//! stored report back with its own text ([`Saved::Stale`]), to merge.
//!
//! Moving the report on is one transaction with the request's timeline event and whatever the
//! caller adds (the emails' outbox items), conditional on the state and version the person saw.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{FactualCheck, Report, ReportFieldError};
use records::lifecycle::{Action, Guard, ReportState, Stage};
use records::programme::GradingScale;
use records::request::{StoredRequest, TimelineEvent, request_pk, timeline_put};
use records::store::{Item, StoreError, Table, Transacted, dynamo_error, s};
use records::versioned::Kind;
pub use records::versioned::Saved;

pub const SORT_KEY: &str = records::lifecycle::REPORT_SORT_KEY;

/// The report's text as a versioned document.
pub const KIND: Kind = Kind {
    sort_key: SORT_KEY,
    editable: &[report_state::DRAFT, report_state::CHECKED],
    action: records::lifecycle::Action::WriteReport,
};

/// The report's states as stored ([`records::lifecycle::ReportState`] says what each means).
pub mod report_state {
    use records::lifecycle::ReportState;

    pub const DRAFT: &str = ReportState::Draft.as_str();
    pub const SUBMITTED: &str = ReportState::Submitted.as_str();
    pub const CHECKED: &str = ReportState::Checked.as_str();
    pub const FINAL: &str = ReportState::Final.as_str();
}

/// The report item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredReport {
    pub state: ReportState,
    pub version: u64,
    #[serde(rename = "body")]
    pub report: Report,
    pub updated_at: String,
    /// Who saved last (a reviewer's name), to say who else is editing.
    pub updated_by: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub factual_check: Option<FactualCheck>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finalised_at: Option<String>,
    /// S3 keys of the final report, in the request's prefix of the evidence bucket.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pdf_key: Option<String>,
}

impl StoredReport {
    /// The report's stage (an unknown stored state is corrupt data).
    pub fn stage(&self) -> ReportState {
        self.state
    }

    /// Whether the review team may change the text now.
    pub fn editable(&self) -> bool {
        KIND.editable.contains(&self.state.as_str())
    }

    fn from_item(item: Item) -> Result<Self, StoreError> {
        serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt {
            key: format!("REQUEST#…/{SORT_KEY}"),
            reason: e.to_string(),
        })
    }
}

/// What moving the report on did.
#[derive(Debug, Clone, PartialEq)]
pub enum Moved {
    Done,
    /// The report is not complete: what is missing (nothing was changed).
    NotReady(Vec<ReportFieldError>),
    /// The report changed since the person saw it, or is no longer in the state the step needs.
    Conflict,
}

/// Request `stored`'s stage: its own state and its report's (if one was saved).
pub async fn stage_of(table: &Table, stored: &StoredRequest) -> Result<Stage, StoreError> {
    let report = get(table, &stored.id).await?.map(|r| r.stage());
    Ok(Stage {
        request: stored.state,
        report,
    })
}

/// The report of request `request_id`, if anyone has saved one (consistent read: a save is
/// seen at once).
pub async fn get(table: &Table, request_id: &str) -> Result<Option<StoredReport>, StoreError> {
    let item = table.get(request_pk(request_id), SORT_KEY).await?;
    item.map(StoredReport::from_item).transpose()
}

/// Saves `report` over version `based_on` (0: there is no report yet): a shared
/// [`records::versioned`] document, editable while a draft and again once the school has checked it.
pub async fn save_draft(
    table: &Table,
    request_id: &str,
    based_on: u64,
    report: &Report,
    author: &str,
    now: OffsetDateTime,
) -> Result<Saved<Report>, StoreError> {
    KIND.save(table, request_id, based_on, report, author, now)
        .await
}

/// The lead sends version `version` of the draft to the school for its factual check, if it is
/// complete. `also` are written in the same transaction (the school's email).
pub async fn submit(
    table: &Table,
    request_id: &str,
    version: u64,
    scale: Option<&GradingScale>,
    now: OffsetDateTime,
    also: Vec<TransactWriteItem>,
) -> Result<Moved, StoreError> {
    let Some(stored) = get(table, request_id).await? else {
        return Ok(Moved::Conflict);
    };
    if stored.version != version || stored.state != records::lifecycle::ReportState::Draft {
        return Ok(Moved::Conflict);
    }
    if let Err(missing) = stored.report.check_ready(scale) {
        return Ok(Moved::NotReady(missing));
    }
    let update = transition(table, request_id, version, &Step::Submit, now)
        .update_expression("SET #state = :to, submitted_at = :at");
    commit(table, request_id, Step::Submit, update, also, now).await
}

/// The school answers the draft (version `version`): it accepts it or comments on sections.
pub async fn record_factual_check(
    table: &Table,
    request_id: &str,
    version: u64,
    check: &FactualCheck,
    now: OffsetDateTime,
    also: Vec<TransactWriteItem>,
) -> Result<Moved, StoreError> {
    let check_item = serde_dynamo::to_item::<_, Item>(check).map_err(|e| StoreError::Corrupt {
        key: format!("REQUEST#…/{SORT_KEY}"),
        reason: e.to_string(),
    })?;
    let step = Step::AnswerCheck(check);
    let update = transition(table, request_id, version, &step, now)
        .update_expression("SET #state = :to, factual_check = :check, checked_at = :at")
        .expression_attribute_values(":check", AttributeValue::M(check_item));
    commit(table, request_id, step, update, also, now).await
}

/// The lead finalises version `version` once the school has answered; the rendered report is
/// already stored at `html_key` and `pdf_key`.
pub async fn finalise(
    table: &Table,
    request_id: &str,
    version: u64,
    html_key: &str,
    pdf_key: &str,
    now: OffsetDateTime,
    also: Vec<TransactWriteItem>,
) -> Result<Moved, StoreError> {
    let update = transition(table, request_id, version, &Step::Finalise, now)
        .update_expression("SET #state = :to, finalised_at = :at, html_key = :html, pdf_key = :pdf")
        .expression_attribute_values(":html", s(html_key))
        .expression_attribute_values(":pdf", s(pdf_key));
    commit(table, request_id, Step::Finalise, update, also, now).await
}

/// Where the final report's files go: the request's prefix of the evidence bucket.
pub fn object_keys(request_id: &str) -> (String, String) {
    let prefix = format!("requests/{request_id}/report");
    (
        format!("{prefix}/report.html"),
        format!("{prefix}/report.pdf"),
    )
}

/// Stores the final report's HTML and PDF at [`object_keys`] (the bucket encrypts and versions
/// them); their keys.
pub async fn put_files(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    request_id: &str,
    html: String,
    pdf: Vec<u8>,
) -> Result<(String, String), String> {
    let (html_key, pdf_key) = object_keys(request_id);
    for (key, body, content_type) in [
        (&html_key, html.into_bytes(), "text/html; charset=utf-8"),
        (&pdf_key, pdf, "application/pdf"),
    ] {
        s3.put_object()
            .bucket(bucket)
            .key(key)
            .content_type(content_type)
            .body(body.into())
            .send()
            .await
            .map_err(s3_failed("PutObject"))?;
    }
    Ok((html_key, pdf_key))
}

/// A short-lived presigned GET of the final report's PDF at `pdf_key`, offered as a download
/// named `file_name` (the school's status page; it is the school's report).
pub async fn pdf_download_url(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    pdf_key: &str,
    file_name: &str,
    now: OffsetDateTime,
) -> Result<String, String> {
    let config = aws_sdk_s3::presigning::PresigningConfig::builder()
        .start_time(now.into())
        .expires_in(crate::evidence::DOWNLOAD_URL_LIFETIME)
        .build()
        .map_err(|e| format!("presigning config: {e}"))?;
    let presigned = s3
        .get_object()
        .bucket(bucket)
        .key(pdf_key)
        .response_content_type("application/pdf")
        .response_content_disposition(format!("attachment; filename=\"{file_name}\""))
        .presigned(config)
        .await
        .map_err(s3_failed("presigning GetObject"))?;
    Ok(presigned.uri().to_owned())
}

/// The report's moves after drafting: the states each moves between, the lifecycle action it
/// takes and the timeline event the school sees.
enum Step<'a> {
    Submit,
    AnswerCheck(&'a FactualCheck),
    Finalise,
}

impl Step<'_> {
    fn states(&self) -> (&'static str, &'static str) {
        match self {
            Step::Submit => (report_state::DRAFT, report_state::SUBMITTED),
            Step::AnswerCheck(_) => (report_state::SUBMITTED, report_state::CHECKED),
            Step::Finalise => (report_state::CHECKED, report_state::FINAL),
        }
    }

    fn action(&self) -> Action {
        match self {
            Step::AnswerCheck(_) => Action::AnswerReport,
            Step::Submit | Step::Finalise => Action::WriteReport,
        }
    }

    /// The timeline event's kind and detail.
    fn event(&self) -> (&'static str, &'static str) {
        match self {
            Step::Submit => (
                "report_submitted",
                "The review team sent the draft report for your school to check for factual accuracy.",
            ),
            Step::AnswerCheck(FactualCheck::Accepted) => (
                "report_checked",
                "Your school confirmed the draft report is factually accurate.",
            ),
            Step::AnswerCheck(FactualCheck::Commented(_)) => (
                "report_checked",
                "Your school sent comments on the draft report to the review team.",
            ),
            Step::Finalise => (
                "report_final",
                "The final report is ready. We have emailed it to your school.",
            ),
        }
    }
}

/// The update taking the report through `step` (`:to` its new state, `:at` now), conditional
/// on the version seen and the state it moves from.
fn transition(
    table: &Table,
    request_id: &str,
    version: u64,
    step: &Step,
    now: OffsetDateTime,
) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
    KIND.transition(table, request_id, version, step.states())
        .expression_attribute_values(":at", s(timestamp(now)))
}

/// Commits a report step: the report's `update`, its timeline event and `also`, with the
/// step's lifecycle guard on the request (a withdrawn request's report stays as it is).
async fn commit(
    table: &Table,
    request_id: &str,
    step: Step<'_>,
    update: aws_sdk_dynamodb::types::builders::UpdateBuilder,
    also: Vec<TransactWriteItem>,
    now: OffsetDateTime,
) -> Result<Moved, StoreError> {
    let (kind, detail) = step.event();
    let event = TimelineEvent::new(timestamp(now), kind, Some(detail.into()));
    let mut items = vec![
        TransactWriteItem::builder()
            .update(update.build().expect("table, key and expression are set"))
            .build(),
        timeline_put(&table.name, request_id, &event),
    ];
    items.extend(also);
    Guard::new(step.action(), now.date()).add_to(&table.name, request_id, &mut items);
    match table
        .transact(items)
        .await
        .map_err(|e| dynamo_error("TransactWriteItems", e))?
    {
        Transacted::Committed => Ok(Moved::Done),
        // The report moved on or changed since it was read (or a concurrent write on one of
        // the items): nothing was written.
        Transacted::Cancelled(_) => Ok(Moved::Conflict),
    }
}

/// An S3 call's error as text, with all the SDK says about it.
fn s3_failed<E: std::error::Error>(operation: &'static str) -> impl FnOnce(E) -> String {
    move |e| {
        format!(
            "S3 {operation} failed: {}",
            aws_sdk_s3::error::DisplayErrorContext(&e)
        )
    }
}

fn timestamp(now: OffsetDateTime) -> String {
    now.format(&Rfc3339).unwrap_or_default()
}
