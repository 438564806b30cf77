//! Follow-up visits: once its report is final, the school asks from its status page for a
//! visit to review progress, giving new visit windows. That is a new request, taken in by the
//! normal intake (its own reference, status link and confirmation email) and matched by the
//! normal matcher, with the same school, contact, review type and focus areas.
//!
//! The two are linked both ways in the intake's one transaction: the new request records the
//! review it follows up ([`FollowUpOf`]: the original's id, reference, lead reviewer and visit
//! day, and the final report's recommendations, whose progress the follow-up's report reviews);
//! the original records its follow-up ([`FollowUpLink`]) under the condition that it has none
//! yet and that its report is final. One follow-up per review: the idempotency key is the
//! original's id, so a double click gets the first answer.
//!
//! Matching tries the original lead first whenever they are eligible; their own review of the
//! school does not count against them under the "reviewed recently" rule (see
//! `crate::matching`).

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
pub use records::request::{FollowUpLink, FollowUpOf};
use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::intake::{IdempotencyKey, Intake, SubmitError};
use records::domain::request::{
    FieldError, MAX_LEARNING_GOAL_CHARS, Reference, ReviewRequest, Text, parse_visit_windows,
};
use records::lifecycle::{Action, Guard, Person, ReportState, allowed_on, report_check};
use records::request::{StoredRequest, TimelineEvent, request_pk, timeline_put};
use records::store::{StoreError, Table, s};

/// The follow-up form: two or three new visit windows, named as on the request form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct FollowUpForm {
    pub window_1_start: String,
    pub window_1_end: String,
    pub window_2_start: String,
    pub window_2_end: String,
    pub window_3_start: String,
    pub window_3_end: String,
}

impl FollowUpForm {
    /// The windows as typed, trailing empty ones dropped (so each error stays on its field).
    pub fn windows(&self) -> Vec<(String, String)> {
        let mut windows = vec![
            (self.window_1_start.clone(), self.window_1_end.clone()),
            (self.window_2_start.clone(), self.window_2_end.clone()),
            (self.window_3_start.clone(), self.window_3_end.clone()),
        ];
        while windows
            .last()
            .is_some_and(|(s, e)| s.trim().is_empty() && e.trim().is_empty())
        {
            windows.pop();
        }
        windows
    }
}

/// What asking for a follow-up did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asked {
    /// The follow-up request is in (now, or already from the same form).
    Done { reference: String },
    /// A visit window's problem: nothing stored.
    Problem(FieldError),
    /// Not possible now; why, in words for the school. Nothing stored.
    Refused(String),
}

/// The follow-up request for `original`, whose report is final: same school and contact, the
/// new windows, its learning goal the progress on each recommendation.
pub fn follow_up_request(
    original: &StoredRequest,
    recommendations: usize,
    windows: Vec<records::domain::request::VisitWindow>,
) -> ReviewRequest {
    let goal = format!(
        "Follow-up visit after review {}: progress on each of the report's {recommendations} recommendation{}.",
        original.reference,
        if recommendations == 1 { "" } else { "s" }
    );
    ReviewRequest {
        visit_windows: windows,
        learning_goal: Text::parse(&goal, MAX_LEARNING_GOAL_CHARS, true)
            .expect("a short generated goal"),
        ..original.request.clone()
    }
}

/// The school asks for a follow-up of `original` with the windows in `form`.
pub async fn ask(
    intake: &Intake,
    table: &Table,
    original: &StoredRequest,
    form: &FollowUpForm,
    source_ip: &str,
    now: OffsetDateTime,
) -> Result<Asked, StoreError> {
    if let Some(link) = &original.follow_up {
        return Ok(Asked::Done {
            reference: link.reference.clone(),
        });
    }
    let Some(report) = super::final_report(table, &original.id).await? else {
        return Ok(Asked::Refused(
            "You can ask for a follow-up visit once your report is final.".into(),
        ));
    };
    let (final_, today) = (Some(ReportState::Final), now.date());
    if let Err(refusal) = allowed_on(original, final_, Person::School, Action::AfterReport, today) {
        return Ok(Asked::Refused(refusal.to_string()));
    }
    let Some(lead) = &original.lead else {
        return Ok(Asked::Refused(
            "This review has no lead reviewer on record, so it cannot be followed up from here."
                .into(),
        ));
    };
    let windows = match parse_visit_windows(&form.windows(), now.date()) {
        Ok(windows) => windows,
        Err(problem) => return Ok(Asked::Problem(problem)),
    };
    let recommendations = report.report.recommendations;
    let request = follow_up_request(original, recommendations.len(), windows);
    let follow_up_of = FollowUpOf {
        request_id: original.id.clone(),
        reference: original.reference.to_string(),
        lead_reviewer_id: lead.reviewer_id.clone(),
        lead_visit_date: records::domain::format_date(lead.visit_date),
        recommendations,
    };
    let at = now.format(&Rfc3339).unwrap_or_default();
    let link_original = |request_id: &str, reference: &Reference| {
        original_items(table, &original.id, request_id, reference, &at, today)
    };
    let retention_months = records::programme::get(table)
        .await?
        .unwrap_or_else(|| records::programme::ProgrammeSettings::new("", ""))
        .retention_months;
    let submitted = intake
        .submit_with(
            &request,
            Some((&follow_up_of, retention_months)),
            &IdempotencyKey::FollowUp(original.id.clone()),
            source_ip,
            now,
            link_original,
        )
        .await;
    match submitted {
        Ok(submitted) => Ok(Asked::Done {
            reference: submitted.reference.to_string(),
        }),
        Err(SubmitError::KeyReused) => Ok(Asked::Refused(
            "You have already asked for a follow-up visit of this review.".into(),
        )),
        Err(SubmitError::TooManyFromAddress) => Ok(Asked::Refused(
            "We have had a lot of requests for your school today. Please try again tomorrow."
                .into(),
        )),
        Err(SubmitError::Store(detail)) => Err(StoreError::Dynamo {
            operation: "TransactWriteItems",
            detail,
        }),
    }
}

/// The original's side of the link, for the intake's transaction: its follow-up (only if it
/// has none), its report still final, and a line on its timeline.
fn original_items(
    table: &Table,
    original_id: &str,
    request_id: &str,
    reference: &Reference,
    at: &str,
    today: time::Date,
) -> Vec<TransactWriteItem> {
    let link = FollowUpLink {
        request_id: request_id.to_owned(),
        reference: reference.to_string(),
        asked_at: at.to_owned(),
    };
    let link = serde_dynamo::to_attribute_value(&link).expect("a link serialises");
    let original = Update::builder()
        .table_name(&table.name)
        .key("pk", s(request_pk(original_id)))
        .key("sk", s("REQUEST"))
        .update_expression("SET follow_up = :link")
        .expression_attribute_values(":link", link);
    let condition = "attribute_exists(pk) AND attribute_not_exists(follow_up)";
    let original = Guard::new(Action::AfterReport, today).on_update(original, Some(condition));
    vec![
        TransactWriteItem::builder()
            .update(original.build().expect("complete update"))
            .build(),
        report_check(&table.name, original_id, Action::AfterReport),
        timeline_put(
            &table.name,
            original_id,
            &TimelineEvent {
                at: at.to_owned(),
                kind: "follow_up_asked".into(),
                detail: Some(format!(
                    "You asked for a follow-up visit. Its reference is {reference}."
                )),
            },
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_empty_windows_are_dropped_but_a_gap_is_kept() {
        let form = FollowUpForm {
            window_1_start: "2027-05-03".into(),
            window_1_end: "2027-05-07".into(),
            window_2_end: "2027-06-11".into(),
            ..FollowUpForm::default()
        };
        assert_eq!(
            form.windows(),
            [
                ("2027-05-03".to_owned(), "2027-05-07".to_owned()),
                (String::new(), "2027-06-11".to_owned())
            ]
        );
        assert!(FollowUpForm::default().windows().is_empty());
    }

    #[test]
    fn the_original_review_is_read_back_for_matching() {
        let original = FollowUpOf {
            request_id: "01REQ".into(),
            reference: "SR-7K3M-Q9".into(),
            lead_reviewer_id: ulid::Ulid::nil().to_string(),
            lead_visit_date: "2027-03-04".into(),
            recommendations: Vec::new(),
        };
        let review = original.review().unwrap();
        assert_eq!(review.lead, ulid::Ulid::nil());
        assert_eq!(review.visit_date, time::macros::date!(2027 - 03 - 04));
        let broken = FollowUpOf {
            lead_visit_date: "soon".into(),
            ..original
        };
        assert_eq!(broken.review(), None);
    }
}
