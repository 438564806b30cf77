//! The visit day's documents and their use cases: the plan (`REQUEST#<id>` / `VISIT_PLAN`, a
//! draft until the school confirms it) and the verbal feedback (`REQUEST#<id>` /
//! `VERBAL_FEEDBACK`), both [`records::versioned`] documents guarded by their lifecycle action.
//! A change to a confirmed plan emails the other side in the same transaction.

use aws_sdk_dynamodb::types::TransactWriteItem;
use records::lifecycle::{Action, Guard, Person, Refusal, Stage, allowed};
use records::request::{Side, StoredRequest};
use records::store::{StoreError, Table, Transacted, dynamo_error, n, s};
use records::versioned::{Kind, Saved, Versioned};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::emails::{PlanChanged, Recipient};
use crate::feedback::VerbalFeedback;
use crate::plan::Plan;

/// A plan not yet confirmed by the school.
pub const DRAFT: &str = "draft";
/// A plan the school confirmed (it may still change: the other side is then told).
pub const CONFIRMED: &str = "confirmed";

pub const PLAN: Kind = Kind {
    sort_key: "VISIT_PLAN",
    editable: &[DRAFT, CONFIRMED],
    action: Action::PlanVisit,
};

pub const FEEDBACK: Kind = Kind {
    sort_key: "VERBAL_FEEDBACK",
    editable: &["open"],
    action: Action::RecordFeedback,
};

/// Who changes the plan.
#[derive(Debug, Clone, Copy)]
pub enum Planner<'a> {
    School,
    /// The lead reviewer, by name.
    Lead(&'a str),
}

impl Planner<'_> {
    fn person(self) -> Person {
        match self {
            Planner::School => Person::School,
            Planner::Lead(_) => Person::Lead,
        }
    }

    fn name(self) -> String {
        match self {
            Planner::School => "the school".to_owned(),
            Planner::Lead(name) => name.to_owned(),
        }
    }

    pub fn side(self) -> Side {
        match self {
            Planner::School => Side::School,
            Planner::Lead(_) => Side::Reviewer,
        }
    }
}

/// The focus areas of `stored`'s review, by key (what plans and feedback refer to).
pub fn area_keys(stored: &StoredRequest) -> Vec<String> {
    crate::ReviewAreas::of(&stored.request).keys()
}

/// Whether `person` may do `action` on `stored` at `stage` now.
fn may(
    stored: &StoredRequest,
    stage: Stage,
    person: Person,
    action: Action,
    now: OffsetDateTime,
) -> Result<(), Refusal> {
    let visit = stored.lead.as_ref().map(|lead| lead.visit_date);
    allowed(stage, person, action, now.date(), visit)
}

/// Saves `plan` over version `based_on` for `planner`. If the plan saved at `based_on` was
/// confirmed, the other side is emailed with the new plan, in the same transaction (a stale
/// save stores and sends nothing). `recipients`: the review team's addresses (lead first).
#[allow(clippy::too_many_arguments)]
pub async fn save_plan(
    table: &Table,
    stored: &StoredRequest,
    stage: Stage,
    planner: Planner<'_>,
    (based_on, plan): (u64, &Plan),
    team: &[Recipient],
    now: OffsetDateTime,
) -> Result<Saved<Plan>, StoreError> {
    if let Err(refusal) = may(stored, stage, planner.person(), Action::PlanVisit, now) {
        return Ok(Saved::NotNow(refusal));
    }
    let current = PLAN.get::<Plan>(table, &stored.id).await?;
    let confirmed = current
        .as_ref()
        .is_some_and(|c| c.version == based_on && c.state == CONFIRMED);
    let mut also = Vec::new();
    if confirmed {
        let to: Vec<Recipient> = match planner {
            Planner::School => team.to_vec(),
            Planner::Lead(_) => vec![Recipient::school(stored)],
        };
        for recipient in to {
            let email = PlanChanged::new(stored, plan, &planner.name(), &recipient);
            also.push(records::outbox::put(
                &table.name,
                Some(&stored.id),
                &recipient.email,
                &email,
                now,
            ));
        }
    }
    PLAN.save_with(
        table,
        &stored.id,
        (based_on, plan),
        &planner.name(),
        now,
        also,
    )
    .await
}

/// What confirming the plan did.
#[derive(Debug, Clone, PartialEq)]
pub enum Confirmed {
    Done,
    /// The plan changed since the page was shown (or was confirmed already): nothing stored.
    Stale,
    /// There is no saved plan to confirm.
    NothingSaved,
    NotNow(Refusal),
}

/// The school confirms the plan it saw at `version`.
pub async fn confirm_plan(
    table: &Table,
    stored: &StoredRequest,
    stage: Stage,
    version: u64,
    now: OffsetDateTime,
) -> Result<Confirmed, StoreError> {
    if let Err(refusal) = may(stored, stage, Person::School, Action::PlanVisit, now) {
        return Ok(Confirmed::NotNow(refusal));
    }
    if version == 0 {
        return Ok(Confirmed::NothingSaved);
    }
    let update = PLAN
        .transition(table, &stored.id, version, (DRAFT, CONFIRMED))
        .update_expression("SET #state = :to, #version = :next, updated_at = :at, updated_by = :by")
        .expression_attribute_values(":next", n(version + 1))
        .expression_attribute_values(":at", s(now.format(&Rfc3339).unwrap_or_default()))
        .expression_attribute_values(":by", s("the school"))
        .build()
        .expect("complete update");
    let items = vec![
        TransactWriteItem::builder().update(update).build(),
        Guard::new(Action::PlanVisit, now.date()).check(&table.name, &stored.id),
    ];
    let done = table
        .transact(items)
        .await
        .map_err(|e| dynamo_error("TransactWriteItems", e))?;
    Ok(if done == Transacted::Committed {
        Confirmed::Done
    } else if done.failed_at(1) {
        Confirmed::NotNow(records::lifecycle::refused_by_guard(
            Action::PlanVisit,
            stored.state,
        ))
    } else if done.failed_at(0) {
        Confirmed::Stale
    } else {
        return Err(StoreError::Dynamo {
            operation: "TransactWriteItems",
            detail: "cancelled by a concurrent write on the request: try again".into(),
        });
    })
}

/// The lead records the verbal feedback over version `based_on`.
pub async fn save_feedback(
    table: &Table,
    stored: &StoredRequest,
    stage: Stage,
    lead_name: &str,
    (based_on, feedback): (u64, &VerbalFeedback),
    now: OffsetDateTime,
) -> Result<Saved<VerbalFeedback>, StoreError> {
    if let Err(refusal) = may(stored, stage, Person::Lead, Action::RecordFeedback, now) {
        return Ok(Saved::NotNow(refusal));
    }
    FEEDBACK
        .save(table, &stored.id, based_on, feedback, lead_name, now)
        .await
}

/// The verbal feedback as the school may see it at `now`: from 08:00 UK time the morning
/// after the visit, and never for a withdrawn request.
pub async fn feedback_for_school(
    table: &Table,
    stored: &StoredRequest,
    now: OffsetDateTime,
) -> Result<Option<Versioned<VerbalFeedback>>, StoreError> {
    let Some(lead) = stored.lead.as_ref() else {
        return Ok(None);
    };
    if stored.state != records::lifecycle::RequestState::Accepted
        || now < crate::feedback::shown_to_school_from(lead.visit_date)
    {
        return Ok(None);
    }
    Ok(FEEDBACK
        .get::<VerbalFeedback>(table, &stored.id)
        .await?
        .filter(|f| !f.body.is_empty()))
}
