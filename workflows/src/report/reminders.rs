//! The scheduled function's report reminders, each sent once (a flag on the request, set in
//! the same transaction as the email, conditional on the report still waiting):
//!
//! - the **lead reviewer**, when the report is late: not yet with the school (no draft, a draft,
//!   or checked and not finalised) after the programme's `report_due_working_days` working days
//!   from the visit;
//! - the **school**, when the draft has waited [`FACTUAL_CHECK_WAITING_WORKING_DAYS`] working
//!   days for its factual check.
//!
//! Working days are Monday to Friday (bank holidays are not known here).

use aws_sdk_dynamodb::types::{ConditionCheck, TransactWriteItem};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::store::{self, SORT_KEY, report_state};
use records::domain::request::long_date;
use records::lifecycle::RequestState;
use records::links::{ReviewLink, review_link, status_link};
use records::programme;
use records::request::{StoredRequest, remind_once, request_pk};
use records::store::{StoreError, Table, dynamo_error, s};

/// Working days the draft waits for the school's factual check before the school is reminded.
pub const FACTUAL_CHECK_WAITING_WORKING_DAYS: u8 = 5;

/// The flags on the request that say a reminder was sent.
const LATE_FLAG: &str = "report_late_reminded";
const WAITING_FLAG: &str = "factual_check_reminded";

pub use records::domain::calendar::add_working_days;

/// How many of each reminder one run sent.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reminded {
    pub late: usize,
    pub factual_check: usize,
}

/// Sends the reminders now due (see the module docs).
pub async fn send_reminders(table: &Table, now: OffsetDateTime) -> Result<Reminded, StoreError> {
    let today = now.date();
    let due_days = programme::get(table)
        .await?
        .map(|settings| settings.report_due_working_days)
        .unwrap_or(programme::ProgrammeSettings::new("", "").report_due_working_days);
    let accepted = table
        .index_items(
            &records::keys::state_index_key(RequestState::Accepted.as_str()),
            None,
        )
        .await
        .map_err(|e| dynamo_error("Query", e))?;
    let mut reminded = Reminded::default();
    for item in accepted {
        if item.contains_key(LATE_FLAG) && item.contains_key(WAITING_FLAG) {
            continue;
        }
        let Ok(stored) = serde_dynamo::from_item::<_, StoredRequest>(item.clone()) else {
            continue;
        };
        let Some(lead) = stored.lead.as_ref() else {
            continue;
        };
        let visit = lead.visit_date;
        if today <= visit {
            continue;
        }
        let report = store::get(table, &stored.id).await?;
        let report_state = report.as_ref().map(|r| r.state.as_str());
        match report_state {
            None | Some(report_state::DRAFT | report_state::CHECKED) => {
                let due = add_working_days(visit, due_days);
                if today <= due || item.contains_key(LATE_FLAG) {
                    continue;
                }
                let Some(address) =
                    records::reviewers::reviewer_email(table, &lead.reviewer_id).await?
                else {
                    continue;
                };
                let email = ReportLate {
                    request_id: stored.id.clone(),
                    reference: stored.reference.to_string(),
                    school_name: stored.request.school.name.to_string(),
                    addressee: lead.reviewer_name.clone(),
                    visit_date_text: long_date(visit),
                    due_date_text: long_date(due),
                    with_school_comments: report_state == Some(report_state::CHECKED),
                    review_link: records::request::review_link_for(lead),
                };
                // Still late when the email is queued: no report, or one the lead holds.
                let report_check = ConditionCheck::builder()
                    .table_name(&table.name)
                    .key("pk", s(request_pk(&stored.id)))
                    .key("sk", s(SORT_KEY))
                    .condition_expression(
                        "attribute_not_exists(pk) OR #state IN (:draft, :checked)",
                    )
                    .expression_attribute_names("#state", "state")
                    .expression_attribute_values(":draft", s(report_state::DRAFT))
                    .expression_attribute_values(":checked", s(report_state::CHECKED))
                    .build()
                    .expect("complete condition check");
                let report_check = TransactWriteItem::builder()
                    .condition_check(report_check)
                    .build();
                if remind_once(
                    table,
                    &stored.id,
                    LATE_FLAG,
                    Some(report_check),
                    &address,
                    &email,
                    now,
                )
                .await?
                {
                    reminded.late += 1;
                }
            }
            Some(report_state::SUBMITTED) => {
                let Some(submitted) = report
                    .as_ref()
                    .and_then(|r| r.submitted_at.as_deref())
                    .and_then(|at| OffsetDateTime::parse(at, &Rfc3339).ok())
                    .map(|at| at.date())
                else {
                    continue;
                };
                if today < add_working_days(submitted, FACTUAL_CHECK_WAITING_WORKING_DAYS)
                    || item.contains_key(WAITING_FLAG)
                {
                    continue;
                }
                let email = FactualCheckWaiting {
                    request_id: stored.id.clone(),
                    reference: stored.reference.to_string(),
                    school_name: stored.request.school.name.to_string(),
                    addressee: stored.request.contact.name.to_string(),
                    lead_name: lead.reviewer_name.clone(),
                    sent_on_text: long_date(submitted),
                };
                let report_check = ConditionCheck::builder()
                    .table_name(&table.name)
                    .key("pk", s(request_pk(&stored.id)))
                    .key("sk", s(SORT_KEY))
                    .condition_expression("#state = :submitted")
                    .expression_attribute_names("#state", "state")
                    .expression_attribute_values(":submitted", s(report_state::SUBMITTED))
                    .build()
                    .expect("complete condition check");
                let report_check = TransactWriteItem::builder()
                    .condition_check(report_check)
                    .build();
                let address = stored.request.contact.email.to_string();
                if remind_once(
                    table,
                    &stored.id,
                    WAITING_FLAG,
                    Some(report_check),
                    &address,
                    &email,
                    now,
                )
                .await?
                {
                    reminded.factual_check += 1;
                }
            }
            Some(_) => {}
        }
    }
    Ok(reminded)
}

/// Tells the lead reviewer the report is late, with the link to the editor.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReportLate {
    pub request_id: String,
    pub reference: String,
    pub school_name: String,
    /// The lead reviewer's name.
    pub addressee: String,
    pub visit_date_text: String,
    pub due_date_text: String,
    /// The school has answered on the draft; only finalising is left.
    #[serde(default)]
    pub with_school_comments: bool,
    pub review_link: ReviewLink,
}

/// Reminds the school its draft report is waiting for its factual check.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FactualCheckWaiting {
    pub request_id: String,
    pub reference: String,
    pub school_name: String,
    /// The school's contact.
    pub addressee: String,
    pub lead_name: String,
    pub sent_on_text: String,
}

crate::emails::outbox_email!(
    ReportLate,
    kind: "report_late",
    templates: "email/report_late.html", "email/report_late.txt",
    link: |email, site, links| format!("{}/report", review_link(site, links, &email.review_link)),
    subject: |email, programme| format!(
        "The report for {} is overdue: {}",
        email.school_name, email.reference
    ),
);

crate::emails::outbox_email!(
    FactualCheckWaiting,
    kind: "factual_check_waiting",
    templates: "email/factual_check_waiting.html", "email/factual_check_waiting.txt",
    link: |email, site, links| status_link(site, links, &email.request_id, "/report"),
    subject: |email, programme| format!(
        "Reminder: your draft report is waiting for you to check: {}",
        email.reference
    ),
);
