//! The visit day's documents and their use cases: the plan (`REQUEST#<id>` / `VISIT_PLAN`, a
//! draft until the school confirms it) and the verbal feedback (`REQUEST#<id>` /
//! `VERBAL_FEEDBACK`), both [`records::versioned`] documents guarded by their lifecycle action.
//! Confirming the plan, and changing it once confirmed, emails both sides in the same
//! transaction, each with the visit's calendar entry updated: the plan in its description and
//! the request's `visit_sequence` raised (on condition it is the one read, so a date moved
//! meanwhile cannot send a file with the same SEQUENCE).

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use records::lifecycle::{Action, Guard, Person, Refusal, Stage, allowed};
use records::request::{Side, StoredRequest};
use records::store::{StoreError, Table, Transacted, dynamo_error, n, s};
use records::versioned::{Kind, Saved, Versioned};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::emails::{PlanCalendar, PlanChanged, PlanNews, Recipient};
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

/// The review team of `stored`, lead first, each at the address their emails go to.
pub async fn team(table: &Table, stored: &StoredRequest) -> Result<Vec<Recipient>, StoreError> {
    let mut team = Vec::new();
    for member in stored.team() {
        if let Some(email) = records::reviewers::reviewer_email(table, &member.reviewer_id).await? {
            team.push(Recipient::reviewer(member, email));
        }
    }
    Ok(team)
}

/// How many times a save rereads the request whose calendar SEQUENCE moved under it (a date
/// moved, a reviewer joined) before it gives up.
const ATTEMPTS: usize = 3;

/// Request `request_id` as it is now (to tell a moved calendar SEQUENCE from the lifecycle
/// when the request's update in a save found its condition failed).
async fn reread(table: &Table, request_id: &str) -> Result<StoredRequest, StoreError> {
    let item = table
        .get(records::request::request_pk(request_id), "REQUEST")
        .await?
        .ok_or_else(|| StoreError::Corrupt {
            key: format!("REQUEST#{request_id}"),
            reason: "a visit plan of a request that does not exist".into(),
        })?;
    records::request::read_request(item)
}

/// The calendar's part of a plan the school confirmed or changed after that, in one
/// transaction with it: the request item's `visit_sequence` raised by one (on condition it is
/// the one read) with the plan as the calendar's description, and the email to the school and
/// each of the team, each with the visit's calendar entry carrying that SEQUENCE and plan.
/// `by`: who changed it (`None`: the school confirmed it).
fn calendar_items(
    table: &Table,
    stored: &StoredRequest,
    plan: &Plan,
    by: Option<Planner<'_>>,
    team: &[Recipient],
    now: OffsetDateTime,
) -> Vec<TransactWriteItem> {
    let sequence = stored.visit_sequence + 1;
    let description = crate::emails::calendar_text(plan, &crate::ReviewAreas::of(&stored.request));
    let request = Update::builder()
        .table_name(&table.name)
        .key("pk", s(records::request::request_pk(&stored.id)))
        .key("sk", s("REQUEST"))
        .update_expression("SET visit_sequence = :sequence, calendar_description = :description")
        .condition_expression(format!(
            "attribute_exists(pk) AND {}",
            records::request::SEQUENCE_SEEN
        ))
        .expression_attribute_values(":sequence", n(sequence))
        .expression_attribute_values(":seen_sequence", n(stored.visit_sequence))
        .expression_attribute_values(":description", s(&description))
        .build()
        .expect("complete update");
    let mut items = vec![TransactWriteItem::builder().update(request).build()];
    let lead = stored.lead.as_ref();
    let changed_by = by.map_or_else(|| "the school".to_owned(), Planner::name);
    for recipient in std::iter::once(Recipient::school(stored)).chain(team.iter().cloned()) {
        let news = match by {
            None => PlanNews::Confirmed,
            Some(Planner::School) if recipient.offer_id.is_none() => PlanNews::Updated,
            Some(Planner::Lead(_))
                if recipient.offer_id.is_some()
                    && recipient.offer_id.as_deref() == lead.map(|l| l.offer_id.as_str()) =>
            {
                PlanNews::Updated
            }
            Some(_) => PlanNews::Changed,
        };
        let calendar = PlanCalendar {
            sequence,
            postcode: stored.request.school.postcode.as_str().to_owned(),
            lead_name: lead.map(|l| l.reviewer_name.clone()).unwrap_or_default(),
            description: description.clone(),
            attendee: itip::Attendee {
                name: recipient.name.clone(),
                email: recipient.email.clone(),
            },
        };
        let email = PlanChanged::new(
            stored,
            plan,
            (news, &changed_by),
            &recipient,
            Some(calendar),
        );
        items.push(records::outbox::put(
            &table.name,
            Some(&stored.id),
            &recipient.email,
            &email,
            now,
        ));
    }
    items
}

/// Saves `plan` over version `based_on` for `planner`. If the plan saved at `based_on` was
/// confirmed, the school and the team are emailed the new plan with the calendar entry
/// updated, in the same transaction (a stale save stores and sends nothing).
pub async fn save_plan(
    table: &Table,
    stored: &StoredRequest,
    stage: Stage,
    planner: Planner<'_>,
    (based_on, plan): (u64, &Plan),
    now: OffsetDateTime,
) -> Result<Saved<Plan>, StoreError> {
    if let Err(refusal) = may(stored, stage, planner.person(), Action::PlanVisit, now) {
        return Ok(Saved::NotNow(refusal));
    }
    let current = PLAN.get::<Plan>(table, &stored.id).await?;
    let confirmed = current
        .as_ref()
        .is_some_and(|c| c.version == based_on && c.state == CONFIRMED);
    let author = planner.name();
    if !confirmed {
        return PLAN
            .save_with(
                table,
                &stored.id,
                (based_on, plan),
                &author,
                now,
                Vec::new(),
            )
            .await;
    }
    let team = team(table, stored).await?;
    let mut stored = stored.clone();
    for _ in 0..ATTEMPTS {
        let also = calendar_items(table, &stored, plan, Some(planner), &team, now);
        let saved = PLAN
            .save_with(table, &stored.id, (based_on, plan), &author, now, also)
            .await?;
        match saved {
            // The guard is in the request's update: its SEQUENCE may have moved instead.
            Saved::NotNow(refusal) => {
                let current = reread(table, &stored.id).await?;
                if current.visit_sequence == stored.visit_sequence {
                    return Ok(Saved::NotNow(refusal));
                }
                stored = current;
            }
            saved => return Ok(saved),
        }
    }
    Err(moved_too_often())
}

fn moved_too_often() -> StoreError {
    StoreError::Conflict("the visit kept changing while the plan was saved: try again".into())
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

/// The school confirms the plan it saw at `version`: the school and the team are emailed it,
/// with the visit's calendar entry updated to carry it, in the same transaction.
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
    let Some(plan) = PLAN.get::<Plan>(table, &stored.id).await? else {
        return Ok(Confirmed::NothingSaved);
    };
    if plan.version != version || plan.state != DRAFT {
        return Ok(Confirmed::Stale);
    }
    let team = team(table, stored).await?;
    let mut stored = stored.clone();
    for _ in 0..ATTEMPTS {
        let update = PLAN
            .transition(table, &stored.id, version, (DRAFT, CONFIRMED))
            .update_expression(
                "SET #state = :to, #version = :next, updated_at = :at, updated_by = :by",
            )
            .expression_attribute_values(":next", n(version + 1))
            .expression_attribute_values(":at", s(now.format(&Rfc3339).unwrap_or_default()))
            .expression_attribute_values(":by", s("the school"))
            .build()
            .expect("complete update");
        let mut items = vec![TransactWriteItem::builder().update(update).build()];
        // The request's update (item 1) takes the lifecycle guard into its condition.
        items.extend(calendar_items(table, &stored, &plan.body, None, &team, now));
        Guard::new(Action::PlanVisit, now.date()).add_to(&table.name, &stored.id, &mut items);
        let done = table
            .transact(items)
            .await
            .map_err(|e| dynamo_error("TransactWriteItems", e))?;
        if done == Transacted::Committed {
            return Ok(Confirmed::Done);
        } else if done.failed_at(1) {
            let current = reread(table, &stored.id).await?;
            if current.visit_sequence == stored.visit_sequence {
                let refusal =
                    records::lifecycle::refused_by_guard(Action::PlanVisit, current.state);
                return Ok(Confirmed::NotNow(refusal));
            }
            stored = current;
        } else if done.failed_at(0) {
            return Ok(Confirmed::Stale);
        } else {
            return Err(StoreError::Dynamo {
                operation: "TransactWriteItems",
                detail: "cancelled by a concurrent write on the request: try again".into(),
            });
        }
    }
    Err(moved_too_often())
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
