//! The school's self-evaluation: for each focus area it chose, how well it thinks it does, the
//! evidence it would point to and (only where the programme has a scale) its own grade. Saved as
//! typed ([`records::versioned`], item `REQUEST#<id>` / `SELF_EVALUATION`), submitted when ready
//! (due two weeks before the visit), then read-only; the review team reads it on their page.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime};

use records::domain::request::{FocusArea, NamedArea, long_date};
use records::lifecycle::{Action, Guard, Person, Refusal, RequestState, Stage, allowed};
use records::links::{ReviewLink, review_link, status_link};
use records::programme::GradingScale;
use records::request::{StoredRequest, TimelineEvent, timeline_put};
use records::reviewers::reviewer_email;
use records::store::{StoreError, Table, Transacted, dynamo_error, s};
use records::versioned::{Kind, Versioned};

use records::outbox;

pub const KIND: Kind = Kind {
    sort_key: records::keys::SELF_EVALUATION_SK,
    editable: &[DRAFT],
    action: records::lifecycle::Action::EditSelfEvaluation,
};
pub const DRAFT: &str = "draft";
pub const SUBMITTED: &str = records::progress::SELF_EVALUATION_SUBMITTED;

pub const EVALUATION_MAX_CHARS: usize = 4000;
pub const EVIDENCE_MAX_CHARS: usize = 1500;

/// Days before the visit the self-evaluation is due, and the reminders go out.
pub const DUE_DAYS_BEFORE_VISIT: i64 = records::progress::SELF_EVALUATION_DUE_DAYS_BEFORE_VISIT;
pub const REMINDER_DAYS_BEFORE_VISIT: [i64; 2] = [21, 7];

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SelfEvaluation {
    pub sections: Vec<Section>,
}

/// One focus area's part.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// The focus area's code (`FocusArea::as_str`).
    pub area: String,
    pub evaluation: String,
    pub evidence: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<String>,
}

impl SelfEvaluation {
    pub fn section(&self, area: &FocusArea) -> Option<&Section> {
        self.sections.iter().find(|s| s.area == area.as_str())
    }
}

/// The two templates; the prompts are those of the request's framework (the `frameworks` crate).
pub use frameworks::Setting;

/// A problem with one field of the form, named by the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionError {
    pub field: String,
    pub message: String,
}

pub fn evaluation_field(area: &FocusArea) -> String {
    format!("evaluation_{}", area.as_str())
}
pub fn evidence_field(area: &FocusArea) -> String {
    format!("evidence_{}", area.as_str())
}
pub fn rating_field(area: &FocusArea) -> String {
    format!("rating_{}", area.as_str())
}

/// Reads the posted form for `areas`: text is kept as typed (line endings normalised, other
/// control characters dropped); too-long text and unknown grades are errors.
pub fn parse(
    form: &HashMap<String, String>,
    areas: &[NamedArea],
    scale: Option<&GradingScale>,
) -> (SelfEvaluation, Vec<SectionError>) {
    let mut errors = Vec::new();
    let mut text = |field: String, max: usize, what: &str| {
        let value: String = form
            .get(&field)
            .map(|v| v.replace("\r\n", "\n"))
            .unwrap_or_default()
            .chars()
            .filter(|c| !c.is_control() || *c == '\n')
            .collect();
        let length = value.chars().count();
        if length > max {
            errors.push(SectionError {
                field,
                message: format!("{what} must be {max} characters or fewer (it has {length})"),
            });
        }
        value.trim_end().to_owned()
    };
    let mut sections = Vec::new();
    for NamedArea { key: area, .. } in areas {
        let evaluation = text(
            evaluation_field(area),
            EVALUATION_MAX_CHARS,
            "Your evaluation",
        );
        let evidence = text(evidence_field(area), EVIDENCE_MAX_CHARS, "The evidence");
        sections.push(Section {
            area: area.as_str().to_owned(),
            evaluation,
            evidence,
            rating: None,
        });
    }
    if let Some(scale) = scale {
        for (section, area) in sections.iter_mut().zip(areas) {
            let field = rating_field(&area.key);
            match form.get(&field).map(|v| v.trim()).filter(|v| !v.is_empty()) {
                None => {}
                Some(grade) if scale.levels().iter().any(|l| l == grade) => {
                    section.rating = Some(grade.to_owned())
                }
                Some(_) => errors.push(SectionError {
                    field,
                    message: "Choose one of the grades".into(),
                }),
            }
        }
    }
    (SelfEvaluation { sections }, errors)
}

/// What must be filled in before the self-evaluation can be submitted.
pub fn check_complete(
    evaluation: &SelfEvaluation,
    areas: &[NamedArea],
    scale: Option<&GradingScale>,
) -> Vec<SectionError> {
    let mut errors = Vec::new();
    for NamedArea {
        key: area, title, ..
    } in areas
    {
        let section = evaluation.section(area);
        if section.is_none_or(|s| s.evaluation.trim().is_empty()) {
            errors.push(SectionError {
                field: evaluation_field(area),
                message: format!("Write your evaluation of {}", title.to_lowercase()),
            });
        }
        if scale.is_some() && section.is_none_or(|s| s.rating.is_none()) {
            errors.push(SectionError {
                field: rating_field(area),
                message: format!("Choose your grade for {}", title.to_lowercase()),
            });
        }
    }
    errors
}

/// Where a school's self-evaluation stands, as its status page says it.
pub fn progress(
    stored: &StoredRequest,
    document: Option<&Versioned<SelfEvaluation>>,
) -> &'static str {
    match document {
        Some(d) if d.state == SUBMITTED => "You submitted your self-evaluation.",
        _ if stored.state == RequestState::Withdrawn => {
            "This request was withdrawn, so the self-evaluation can no longer be changed."
        }
        None => "You have not started your self-evaluation.",
        Some(_) => "You have started your self-evaluation: it is saved, and not yet submitted.",
    }
}

/// When the self-evaluation of a visit on `visit_date` is due.
pub fn due_date(visit_date: Date) -> Date {
    visit_date - Duration::days(DUE_DAYS_BEFORE_VISIT)
}

/// Whether the school may still save or submit its self-evaluation of `stored` on `today`
/// (the lifecycle's rule: not once the request is withdrawn).
pub fn open_to_school(stored: &StoredRequest, today: Date) -> Result<(), Refusal> {
    let stage = Stage {
        request: stored.state,
        report: None,
    };
    allowed(
        stage,
        Person::School,
        Action::EditSelfEvaluation,
        today,
        None,
    )
}

/// What submitting did.
#[derive(Debug, Clone, PartialEq)]
pub enum Submitted {
    Done,
    /// Not complete: what is missing (nothing changed).
    Incomplete(Vec<SectionError>),
    /// Changed since the page was loaded, or already submitted.
    Conflict,
    /// The request's stage no longer takes a self-evaluation (it was withdrawn): nothing changed.
    NotNow(Refusal),
}

/// The school submits version `version` of its self-evaluation; the review team is emailed.
pub async fn submit(
    table: &Table,
    stored: &StoredRequest,
    version: u64,
    scale: Option<&GradingScale>,
    now: OffsetDateTime,
) -> Result<Submitted, StoreError> {
    if let Err(refusal) = open_to_school(stored, now.date()) {
        return Ok(Submitted::NotNow(refusal));
    }
    let Some(current) = KIND.get::<SelfEvaluation>(table, &stored.id).await? else {
        return Ok(Submitted::Conflict);
    };
    if current.version != version || current.state != DRAFT {
        return Ok(Submitted::Conflict);
    }
    let missing = check_complete(&current.body, &stored.request.areas(), scale);
    if !missing.is_empty() {
        return Ok(Submitted::Incomplete(missing));
    }
    let at = now.format(&Rfc3339).unwrap_or_default();
    let mut items = vec![
        TransactWriteItem::builder()
            .update(
                KIND.transition(table, &stored.id, version, (DRAFT, SUBMITTED))
                    .update_expression("SET #state = :to, submitted_at = :at")
                    .expression_attribute_values(":at", s(at.clone()))
                    .build()
                    .expect("complete update"),
            )
            .build(),
        timeline_put(
            &table.name,
            &stored.id,
            &TimelineEvent::new(
                at,
                "self_evaluation_submitted",
                Some("You submitted your self-evaluation.".into()),
            ),
        ),
        Guard::new(Action::EditSelfEvaluation, now.date()).check(&table.name, &stored.id),
    ];
    for member in stored.team() {
        let email = SelfEvaluationSubmitted(SelfEvaluationNotice {
            reference: stored.reference.to_string(),
            request_id: stored.id.clone(),
            school_name: stored.request.school.name.to_string(),
            visit_date_text: long_date(member.visit_date),
            due_date_text: String::new(),
            addressee: member.reviewer_name.clone(),
            review_link: Some(records::request::review_link_for(member)),
            last_reminder: false,
        });
        let Some(address) = reviewer_email(table, &member.reviewer_id).await? else {
            continue;
        };
        items.push(outbox::put(
            &table.name,
            Some(&stored.id),
            &address,
            &email,
            now,
        ));
    }
    match table.transact(items).await {
        Ok(Transacted::Committed) => Ok(Submitted::Done),
        Ok(Transacted::Cancelled(_)) => Ok(Submitted::Conflict),
        Err(err) => Err(dynamo_error("TransactWriteItems", err)),
    }
}

/// Reminds each school whose booked visit is three weeks, then one week, away and whose
/// self-evaluation is not submitted: once per reminder (a flag on the request, set in the same
/// transaction as the email). Returns how many were sent.
pub async fn send_reminders(table: &Table, now: OffsetDateTime) -> Result<usize, StoreError> {
    let today = now.date();
    let mut sent = 0;
    let accepted = table
        .index_items(
            &records::keys::state_index_key(RequestState::Accepted.as_str()),
            None,
        )
        .await
        .map_err(|e| dynamo_error("Query", e))?;
    for item in accepted {
        let Ok(stored) = serde_dynamo::from_item::<_, StoredRequest>(item.clone()) else {
            continue;
        };
        let Some(visit) = stored.lead.as_ref().map(|lead| lead.visit_date) else {
            continue;
        };
        // The latest reminder now due: one email even if the stack was down for the other.
        let Some(days) = REMINDER_DAYS_BEFORE_VISIT
            .iter()
            .copied()
            .filter(|days| today >= visit - Duration::days(*days) && today < visit)
            .min()
        else {
            continue;
        };
        let flag = format!("self_evaluation_reminded_{days}");
        if item.contains_key(&flag) {
            continue;
        }
        let document: Option<Versioned<SelfEvaluation>> = KIND.get(table, &stored.id).await?;
        if document.is_some_and(|d| d.state == SUBMITTED) {
            continue;
        }
        let email = SelfEvaluationReminder(SelfEvaluationNotice {
            reference: stored.reference.to_string(),
            request_id: stored.id.clone(),
            school_name: stored.request.school.name.to_string(),
            visit_date_text: long_date(visit),
            due_date_text: long_date(due_date(visit)),
            addressee: stored.request.contact.name.to_string(),
            review_link: None,
            last_reminder: days == REMINDER_DAYS_BEFORE_VISIT[1],
        });
        let address = stored.request.contact.email.to_string();
        // Once: another run may have reminded it first, or the request moved on.
        if records::request::remind_once(table, &stored.id, &flag, None, &address, &email, now)
            .await?
        {
            sent += 1;
        }
    }
    Ok(sent)
}

/// The self-evaluation: a reminder to the school that it is due, or the news to a reviewer that
/// it is submitted.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SelfEvaluationNotice {
    pub reference: String,
    pub request_id: String,
    pub school_name: String,
    pub visit_date_text: String,
    pub due_date_text: String,
    /// Whom the email greets.
    pub addressee: String,
    /// For a reviewer: their review page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_link: Option<ReviewLink>,
    /// The reminder a week before the visit (the due date has passed).
    #[serde(default)]
    pub last_reminder: bool,
}

/// The reminder to the school that its self-evaluation is due.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(transparent)]
pub struct SelfEvaluationReminder(pub SelfEvaluationNotice);

/// The news to a reviewer that the school submitted its self-evaluation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(transparent)]
pub struct SelfEvaluationSubmitted(pub SelfEvaluationNotice);

crate::emails::same_payload_as!(SelfEvaluationReminder => SelfEvaluationNotice);

crate::emails::same_payload_as!(SelfEvaluationSubmitted => SelfEvaluationNotice);

crate::emails::outbox_email!(
    SelfEvaluationReminder,
    kind: "self_evaluation_reminder",
    templates: "email/self_evaluation_reminder.html", "email/self_evaluation_reminder.txt",
    link: |email, site, links| status_link(site, links, &email.request_id, "/self-evaluation"),
    subject: |email, programme| format!(
        "Your self-evaluation for the visit on {}: {}",
        email.visit_date_text, email.reference
    ),
);

crate::emails::outbox_email!(
    SelfEvaluationSubmitted,
    kind: "self_evaluation_submitted",
    templates: "email/self_evaluation_submitted.html", "email/self_evaluation_submitted.txt",
    link: |email, site, links| email
        .review_link
        .as_ref()
        .map(|review| review_link(site, links, review))
        .unwrap_or_default(),
    subject: |email, programme| format!(
        "{} has submitted its self-evaluation: {}",
        email.school_name, email.reference
    ),
);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::form;
    use records::domain::SchoolType;

    #[test]
    fn every_area_of_every_built_in_framework_has_prompts_for_both_settings() {
        for framework in frameworks::Framework::all_built_in() {
            for area in &framework.areas {
                for setting in [Setting::Mainstream, Setting::Specialist] {
                    assert!(!area.prompts(setting).is_empty(), "{}", area.key);
                }
                assert_ne!(
                    area.prompts(Setting::Mainstream),
                    area.prompts(Setting::Specialist)
                );
            }
        }
        assert_eq!(Setting::of(SchoolType::Special), Setting::Specialist);
        assert_eq!(
            Setting::of(SchoolType::ResourcedProvision),
            Setting::Mainstream
        );
    }

    #[test]
    fn the_form_keeps_text_as_typed_and_flags_too_long_text_and_unknown_grades() {
        let areas = crate::report::examples::areas();
        let long = "x".repeat(EVALUATION_MAX_CHARS + 1);
        let (parsed, errors) = parse(
            &form(&[
                ("evaluation_outcomes", "Strong progress.\r\nSee data.\u{7}"),
                ("evidence_outcomes", "Tracking sheets"),
                ("evaluation_leadership", &long),
            ]),
            &areas,
            None,
        );
        assert_eq!(parsed.sections[0].evaluation, "Strong progress.\nSee data.");
        assert_eq!(parsed.sections[0].evidence, "Tracking sheets");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "evaluation_leadership");
        assert!(errors[0].message.contains("4000 characters or fewer"));

        let scale = GradingScale::new(["Leading", "Effective"]).unwrap();
        let (parsed, errors) = parse(
            &form(&[
                ("rating_outcomes", "Leading"),
                ("rating_leadership", "Best"),
            ]),
            &areas,
            Some(&scale),
        );
        assert_eq!(parsed.sections[0].rating.as_deref(), Some("Leading"));
        assert_eq!(errors[0].field, "rating_leadership");
    }

    #[test]
    fn submitting_needs_every_area_evaluated_and_graded_where_there_is_a_scale() {
        let areas = crate::report::examples::areas();
        let (parsed, _) = parse(&form(&[("evaluation_outcomes", "Good")]), &areas, None);
        let missing = check_complete(&parsed, &areas, None);
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].field, "evaluation_leadership");
        let scale = GradingScale::new(["Leading", "Effective"]).unwrap();
        assert_eq!(check_complete(&parsed, &areas, Some(&scale)).len(), 3);
        assert_eq!(
            due_date(time::macros::date!(2027 - 03 - 15)),
            time::macros::date!(2027 - 03 - 01)
        );
    }
}
