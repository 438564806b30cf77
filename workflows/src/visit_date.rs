//! Moving a booked visit, as both sides' pages show it: one side asks for a new date on its
//! page (school: the status page; lead reviewer: the review page), the other confirms or keeps
//! the booked date on its own. The workflow is `Workflow::{ask,answer}_date_change`.

use serde::Deserialize;
use time::{Date, Duration, OffsetDateTime};

use crate::offers::{DateChangeAnswer, Workflow, WorkflowError};
use records::domain::request::{iso, long_date, parse_date_input};
use records::lifecycle::{Action, Person, Stage, allowed};
use records::request::{Side, StoredRequest};

/// A change the other side asked for.
pub struct AskedChange {
    pub asked_by: String,
    pub proposed_date_text: String,
    pub reason: String,
}

/// What the visit-date section of a page shows (`templates/pages/date_change.html`).
pub struct DateChangeView {
    /// Where its forms post.
    pub action: String,
    pub current_date_text: String,
    /// A change the other side asked for.
    pub to_answer: Option<AskedChange>,
    /// Whether this viewer may answer it (the school, or the lead reviewer).
    pub can_answer: bool,
    /// A change this side asked for, still waiting: the proposed date.
    pub waiting: Option<String>,
    /// Whether this viewer may ask for a change now.
    pub can_ask: bool,
    pub error: Option<String>,
    /// What the viewer typed, shown back with an error.
    pub new_date: String,
    pub reason: String,
    pub min_date: String,
}

impl DateChangeView {
    /// The section for `side` (`may_decide`: the school, or the lead reviewer — not a second
    /// reviewer, who sees the date and any change but does not decide it), at `stage`. Once
    /// the lifecycle no longer lets the visit move, it shows the date only.
    pub fn new(
        stored: &StoredRequest,
        stage: Stage,
        side: Side,
        may_decide: bool,
        action: String,
        today: Date,
    ) -> Option<Self> {
        let lead = stored.lead.as_ref()?;
        let visit = Some(lead.visit_date);
        let (viewer, decider) = match side {
            Side::School => (Person::School, Person::School),
            Side::Reviewer if may_decide => (Person::Lead, Person::Lead),
            Side::Reviewer => (Person::Second, Person::Lead),
        };
        let may_move = |person| allowed(stage, person, Action::MoveVisit, today, visit).is_ok();
        let (open, may_decide) = (may_move(decider), may_move(viewer));
        let (to_answer, waiting) = match stored.date_change.as_ref().filter(|_| open) {
            Some(change) if change.asked_by != side => (
                Some(AskedChange {
                    asked_by: match change.asked_by {
                        Side::School => "The school".to_owned(),
                        Side::Reviewer => lead.reviewer_name.clone(),
                    },
                    proposed_date_text: long_date(change.proposed_date),
                    reason: change.reason.clone(),
                }),
                None,
            ),
            Some(change) => (None, Some(long_date(change.proposed_date))),
            None => (None, None),
        };
        Some(Self {
            action,
            current_date_text: long_date(lead.visit_date),
            can_answer: may_decide,
            can_ask: may_decide && stored.date_change.is_none(),
            to_answer,
            waiting,
            error: None,
            new_date: String::new(),
            reason: String::new(),
            min_date: iso(today + Duration::days(1)),
        })
    }
}

/// The visit-date forms as browsers post them.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DateChangeForm {
    pub decision: String,
    pub new_date: String,
    pub reason: String,
}

/// What a page does after a date-change form.
pub enum DateChangeOutcome {
    /// Done: back to the page (303).
    Done,
    /// Shown on the page, with what was typed.
    Problem(String),
}

/// Carries out a posted date-change form for `side` on `request_id`.
pub async fn submit(
    workflow: &Workflow,
    request_id: &str,
    side: Side,
    form: &DateChangeForm,
    now: OffsetDateTime,
) -> Result<DateChangeOutcome, WorkflowError> {
    let answer = match form.decision.as_str() {
        "ask" => match parse_date_input(&form.new_date) {
            Some(date) => {
                workflow
                    .ask_date_change(request_id, side, date, &form.reason, now)
                    .await?
            }
            None if form.new_date.trim().is_empty() => {
                DateChangeAnswer::InvalidDate("Enter the new visit date".into())
            }
            None => DateChangeAnswer::InvalidDate("Enter the new visit date as a real date".into()),
        },
        "confirm" => {
            workflow
                .answer_date_change(request_id, side, true, now)
                .await?
        }
        "keep" => {
            workflow
                .answer_date_change(request_id, side, false, now)
                .await?
        }
        _ => DateChangeAnswer::NotPossible("Use one of the buttons on the page".into()),
    };
    Ok(match answer {
        DateChangeAnswer::Asked | DateChangeAnswer::Moved | DateChangeAnswer::Kept => {
            DateChangeOutcome::Done
        }
        DateChangeAnswer::AtCapacity => DateChangeOutcome::Problem(
            "A reviewer has no room left in that term: choose a date in the same term, or keep the booked date".into(),
        ),
        DateChangeAnswer::InvalidDate(message) | DateChangeAnswer::NotPossible(message) => {
            DateChangeOutcome::Problem(message)
        }
    })
}
