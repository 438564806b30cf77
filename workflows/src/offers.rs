//! From a submitted request to a booked visit: matching, offers, answers and expiry.
//!
//! Every step is one transaction with its emails (outbox items), conditional on the state it
//! starts from, so concurrent runs cannot both succeed:
//!
//! - **match** (`submitted`/`matching` -> `offered` or `needs_attention`): offer the best
//!   eligible reviewer (`crate::matching`), or tell the administrator why nobody fits;
//! - **accept** (`offered` -> `accepted`): the offer must be open, the request must have no lead,
//!   and the reviewer's counter for the visit's term must stay within their capacity;
//! - **decline** / **expire** (`offered` -> `matching`): the reviewer is excluded from this
//!   request and the stream runs the matcher again;
//! - **remind**: once, halfway through an offer.
//!
//! | item | pk | sk | gsi1 |
//! |---|---|---|---|
//! | offer | `OFFER#<ulid>` | `OFFER` | `OFFER_OPEN` / expiry, while open |
//! | term load | `REVIEWER#<ulid>` | `TERM#<term>` | – |
//! | review history | `REVIEWER#<ulid>` | `REVIEW#<date>#<request>` | `REVIEW_HISTORY` / date |

mod accept;
pub mod calendar;
mod date_change;
mod emails;
mod items;
mod match_inputs;

use calendar::Attendee;
pub use match_inputs::MatchInputs;

pub use date_change::check_new_date;
use items::*;
use records::domain::calendar::load_dates;
pub use records::reviewers::check_visit_date;

pub use emails::{
    DateChange as DateChangeEmail, Joining, NeedsAttention, OfferReminder, ReviewerOffer,
    VisitCancelled, VisitConfirmed,
};

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime, Weekday};
use ulid::Ulid;

use records::domain::request::{VisitWindow, long_date};
use records::domain::{LocalAuthority, format_date, parse_date};

use crate::matching;
use crate::matching::{MatchRequest, ReviewHistory, ReviewerRecord, Role, Term};
use records::keys::{offer_pk, state_index_key};
use records::lifecycle::{Action, Guard, Person, RequestState, allowed_on};
use records::links::{ReviewLink, review_link_expiry};
use records::programme::ProgrammeSettings;
use records::request::{
    DateChange, Side, StoredRequest, TeamMember, TimelineEvent, request_pk, review_link_for,
    second_state, timeline_put,
};
use records::retention::{self, PurgeRule};
use records::reviewers::Reviewer;
use records::store::{StoreError, Table, Transacted, dynamo_error, get_s, n, s};
use records::{ConfigError, Env, outbox, programme, reviewers};

pub const OPEN_INDEX_KEY: &str = records::keys::OPEN_OFFERS_INDEX_KEY;
pub const HISTORY_INDEX_KEY: &str = "REVIEW_HISTORY";

pub mod offer_state {
    pub const OPEN: &str = "open";
    pub const ACCEPTED: &str = "accepted";
    pub const DECLINED: &str = "declined";
    pub const EXPIRED: &str = "expired";
    /// Taken back by an administrator (reassign).
    pub const WITHDRAWN: &str = "withdrawn";
}

/// An offer of a review to one reviewer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Offer {
    pub id: String,
    pub request_id: String,
    pub reviewer_id: String,
    pub reviewer_name: String,
    pub reviewer_email: String,
    pub state: String,
    pub created_at: String,
    /// Epoch seconds: after this nobody can answer it and it goes to the next reviewer.
    pub expires_at: i64,
    /// Epoch seconds: halfway, the reviewer is reminded once.
    pub remind_at: i64,
    #[serde(default)]
    pub reminded: bool,
    /// One day in each term the school's windows touch: the offer loads the reviewer in every
    /// one of them until it is answered (whichever term the visit ends up in).
    pub load_dates: Vec<String>,
    #[serde(default)]
    pub visit_date: Option<String>,
    #[serde(default)]
    pub decline_reason: Option<String>,
    /// Lead, or second reviewer (whose visit date is the lead's, fixed when offered).
    #[serde(default)]
    pub role: Role,
}

#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
}

/// What a matcher run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Matched {
    Offered {
        offer_id: String,
        reviewer_id: String,
    },
    NeedsAttention,
    /// The request is not waiting for a match (already offered, accepted, withdrawn...), or a
    /// concurrent run got there first.
    NothingToDo,
}

/// What became of an administrator's withdrawal of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Withdrawn {
    /// Withdrawn now, from `previous_state`.
    Withdrawn {
        previous_state: String,
    },
    /// It was withdrawn before: nothing was written.
    Already,
    /// It changed while it was being withdrawn: nothing was written.
    Busy,
    NoSuchRequest,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reassigned {
    /// The matcher is running again for it.
    Rematching,
    Refused(String),
}

/// What became of asking, or answering, to move a booked visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateChangeAnswer {
    /// The other side has been asked.
    Asked,
    /// The visit moved: everyone has a new calendar file.
    Moved,
    /// The other side kept the booked date.
    Kept,
    /// A reviewer's term is full on the new date.
    AtCapacity,
    InvalidDate(String),
    /// Nothing to answer, or the visit cannot move now; the message says why.
    NotPossible(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Accepted,
    Declined,
    /// Too late, already answered, or the review went to someone else.
    Closed,
    /// The reviewer's term is full (another acceptance got there first).
    AtCapacity,
    /// The date cannot be used; the message says why.
    InvalidDate(String),
}

pub struct Workflow {
    table: Table,
    admin_email: String,
    fallback_settings: ProgrammeSettings,
}

impl Workflow {
    pub fn from_env(env: &Env, aws: &records::aws::AwsClients) -> Result<Self, ConfigError> {
        Ok(Self {
            table: Table::from_env(env, aws)?,
            admin_email: env.required("ADMIN_EMAIL")?,
            fallback_settings: ProgrammeSettings::new(
                env.required("PROGRAMME_NAME")?,
                env.required("PROGRAMME_CONTACT_EMAIL")?,
            ),
        })
    }

    /// `admin_email` receives needs-attention mail; `fallback_settings` apply until the
    /// programme's settings are saved.
    pub fn new(table: Table, admin_email: String, fallback_settings: ProgrammeSettings) -> Self {
        Self {
            table,
            admin_email,
            fallback_settings,
        }
    }

    /// An administrator asks for the request to be matched again: a request nobody could take
    /// goes back to matching; an open offer is withdrawn (that reviewer is not asked again) and
    /// matching runs. A booked visit is not undone here.
    /// `extra` (e.g. an audit entry) is committed in the same transaction.
    pub async fn reassign(
        &self,
        request_id: &str,
        now: OffsetDateTime,
        extra: Vec<TransactWriteItem>,
    ) -> Result<Reassigned, WorkflowError> {
        let Some(stored) = self.request(request_id).await? else {
            return Ok(Reassigned::Refused("there is no such request".into()));
        };
        match stored.state {
            RequestState::NeedsAttention => {
                let activity = self.activity(now.date()).await;
                let back = set_request_state(
                    &self.table.name,
                    &stored,
                    RequestState::Matching,
                    None,
                    activity,
                );
                self.commit_reassign(back, &stored.id, now, extra).await
            }
            RequestState::Offered => match stored.open_offer.as_deref() {
                Some(offer_id) => match self
                    .close_offer(offer_id, offer_state::WITHDRAWN, None, now, extra)
                    .await?
                {
                    Answer::Declined => Ok(Reassigned::Rematching),
                    _ => Ok(Reassigned::Refused(
                        "the offer was answered meanwhile: try again".into(),
                    )),
                },
                None => Ok(Reassigned::Refused("the request has no open offer".into())),
            },
            // The lead is booked; nobody could join as second reviewer: look again.
            RequestState::Accepted
                if stored.second_state.as_deref() == Some(second_state::NEEDS_ATTENTION) =>
            {
                let again = update(&self.table.name, &request_pk(&stored.id), "REQUEST")
                    .update_expression("SET second_state = :matching")
                    .condition_expression("#state = :accepted AND second_state = :attention")
                    .expression_attribute_names("#state", "state")
                    .expression_attribute_values(":matching", s(second_state::MATCHING))
                    .expression_attribute_values(":accepted", s(RequestState::Accepted.as_str()))
                    .expression_attribute_values(":attention", s(second_state::NEEDS_ATTENTION))
                    .into_item();
                self.commit_reassign(again, &stored.id, now, extra).await
            }
            RequestState::Submitted | RequestState::Matching => Ok(Reassigned::Refused(
                "matching is already running for this request".into(),
            )),
            other => Ok(Reassigned::Refused(format!(
                "the request is {other}: reassigning a booked or closed review is not possible from here"
            ))),
        }
    }

    /// The day of `stored`'s visit if calling the request off (a withdrawal, an erasure) must
    /// cancel it: still to come, and no report sent.
    async fn visit_to_call_off(
        &self,
        stored: &StoredRequest,
        today: Date,
    ) -> Result<Option<Date>, WorkflowError> {
        let Some(day) = calendar::booked_day(stored).filter(|day| *day >= today) else {
            return Ok(None);
        };
        let report = crate::report::store::stage_of(&self.table, stored).await?;
        Ok(matches!(
            report.report,
            None | Some(records::lifecycle::ReportState::Draft)
        )
        .then_some(day))
    }

    /// The outbox items cancelling `stored`'s visit: one iTIP CANCEL to each of the team, and
    /// to the school's contact if `to_school` (then in the request's partition, like its other
    /// emails; else in the programme's, so that they outlive an erased request).
    async fn cancellations(
        &self,
        stored: &StoredRequest,
        cancelled: &Cancelled,
        to_school: bool,
    ) -> Result<Vec<TransactWriteItem>, WorkflowError> {
        let mut attendees = Vec::new();
        if to_school {
            attendees.push((true, Attendee::school(stored)));
        }
        for member in stored.team() {
            if let Some(reviewer) = self.reviewer(&member.reviewer_id).await? {
                attendees.push((false, Attendee::of_reviewer(&reviewer)));
            }
        }
        let Cancelled { day, sequence, now } = *cancelled;
        let about = to_school.then_some(stored.id.as_str());
        let at = now.format(&Rfc3339).unwrap_or_default();
        Ok(attendees
            .into_iter()
            .map(|(to_school, attendee)| {
                let to = attendee.email.clone();
                let email = VisitCancelled {
                    to_school,
                    visit: calendar::CancelledVisit {
                        request_id: stored.id.clone(),
                        reference: stored.reference.to_string(),
                        school_name: stored.request.school.name.to_string(),
                        visit_date: format_date(day),
                        visit_date_text: long_date(day),
                        sequence,
                        cancelled_at: at.clone(),
                        attendee: Some(attendee),
                    },
                };
                outbox::put(&self.table.name, about, &to, &email, now)
            })
            .collect())
    }

    /// The emails an erasure of `stored` must send, for the caller's transaction: a visit still
    /// to come is cancelled in each reviewer's calendar (the school asked for the erasure, and
    /// no email to its contact outlives it).
    pub async fn erasure_cancellations(
        &self,
        stored: &StoredRequest,
        now: OffsetDateTime,
    ) -> Result<Vec<TransactWriteItem>, WorkflowError> {
        let Some(day) = self.visit_to_call_off(stored, now.date()).await? else {
            return Ok(Vec::new());
        };
        let sequence = stored.visit_sequence + 1;
        let cancelled = Cancelled { day, sequence, now };
        self.cancellations(stored, &cancelled, false).await
    }

    /// An administrator withdraws a request: in one transaction its state becomes `withdrawn`
    /// (it leaves its state's index for that one; `withdrawn_at` says when), the offers still
    /// waiting for an answer (lead's or second's) are withdrawn with it so nobody can accept
    /// them, and a `withdrawn` event (with the reason as its detail) joins the timeline, with
    /// `extra` (e.g. an audit entry). The booked team's access ends with it (the lifecycle's
    /// `OpenReview`). Idempotent.
    pub async fn withdraw(
        &self,
        request_id: &str,
        reason: Option<&str>,
        now: OffsetDateTime,
        extra: Vec<TransactWriteItem>,
    ) -> Result<Withdrawn, WorkflowError> {
        let Some(stored) = self.request(request_id).await? else {
            return Ok(Withdrawn::NoSuchRequest);
        };
        let (admin, action) = (Person::Administrator, Action::Withdraw);
        if allowed_on(&stored, None, admin, action, now.date()).is_err() {
            return Ok(Withdrawn::Already);
        }
        let table = self.table.name.as_str();
        let at = now.format(&Rfc3339).unwrap_or_default();
        // A visit still to come (no report sent) is called off: its calendar entries get a
        // higher SEQUENCE and a CANCEL.
        let called_off = self.visit_to_call_off(&stored, now.date()).await?;
        let sequence = stored.visit_sequence + u32::from(called_off.is_some());
        let request = update(table, &request_pk(&stored.id), "REQUEST")
            .update_expression(
                "SET #state = :withdrawn, gsi1pk = :index, withdrawn_at = :at, \
                 visit_sequence = :sequence REMOVE open_offer, second_offer",
            )
            .expression_attribute_values(":sequence", n(sequence))
            .expression_attribute_values(":seen_sequence", n(stored.visit_sequence))
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":withdrawn", s(RequestState::Withdrawn.as_str()))
            .expression_attribute_values(":at", s(&at))
            .expression_attribute_values(
                ":index",
                s(state_index_key(RequestState::Withdrawn.as_str())),
            );
        let request = retention::moved_by(request, self.activity(now.date()).await);
        let request = Guard::new(action, now.date()).on_update(
            request,
            Some(&format!(
                "attribute_exists(pk) AND {}",
                records::request::SEQUENCE_SEEN
            )),
        );
        let event = TimelineEvent::new(
            at.clone(),
            RequestState::Withdrawn.as_str(),
            reason.map(str::to_owned),
        );
        let mut items = vec![
            TransactWriteItem::builder()
                .update(request.build().expect("complete update"))
                .build(),
            timeline_put(table, &stored.id, &event),
        ];
        if let Some(day) = called_off {
            let cancelled = Cancelled { day, sequence, now };
            items.extend(self.cancellations(&stored, &cancelled, true).await?);
        }
        for offer_id in stored.open_offer.iter().chain(&stored.second_offer) {
            let offer = update(table, &offer_pk(offer_id), "OFFER")
                .update_expression("SET #state = :withdrawn REMOVE gsi1pk, gsi1sk")
                .condition_expression("#state = :open")
                .expression_attribute_names("#state", "state")
                .expression_attribute_values(":withdrawn", s(offer_state::WITHDRAWN))
                .expression_attribute_values(":open", s(offer_state::OPEN));
            items.push(
                TransactWriteItem::builder()
                    .update(offer.build().expect("complete update"))
                    .build(),
            );
        }
        items.extend(extra);
        Ok(match self.commit(items).await? {
            Transacted::Committed => Withdrawn::Withdrawn {
                previous_state: stored.state.to_string(),
            },
            // Withdrawn meanwhile too (fine), or moved on: read it again to tell which.
            Transacted::Cancelled(_) => match self.request(request_id).await? {
                Some(now) if now.state == RequestState::Withdrawn => Withdrawn::Already,
                _ => Withdrawn::Busy,
            },
        })
    }

    /// Commits `back` (the request's return to matching) with the timeline's "reassigned".
    async fn commit_reassign(
        &self,
        back: TransactWriteItem,
        request_id: &str,
        now: OffsetDateTime,
        extra: Vec<TransactWriteItem>,
    ) -> Result<Reassigned, WorkflowError> {
        let event =
            TimelineEvent::new(now.format(&Rfc3339).unwrap_or_default(), "reassigned", None);
        let mut items = vec![back, timeline_put(&self.table.name, request_id, &event)];
        Guard::new(Action::Reassign, now.date()).add_to(&self.table.name, request_id, &mut items);
        items.extend(extra);
        match self.commit(items).await? {
            Transacted::Committed => Ok(Reassigned::Rematching),
            Transacted::Cancelled(_) => Ok(Reassigned::Refused(
                "the request changed meanwhile: try again".into(),
            )),
        }
    }

    pub fn table(&self) -> &Table {
        &self.table
    }

    /// The programme's settings as saved (the deploy's until then).
    pub async fn settings(&self) -> ProgrammeSettings {
        match programme::get(&self.table).await {
            Ok(Some(settings)) => settings,
            _ => self.fallback_settings.clone(),
        }
    }

    /// A change of state on `on`: the request's purge date moves to the programme's retention
    /// after it.
    async fn activity(&self, on: Date) -> PurgeRule {
        activity(on, &self.settings().await)
    }

    /// The item at `pk`/`sk`, deserialised (consistent read: answers follow their writes).
    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        pk: String,
        sk: &str,
    ) -> Result<Option<T>, WorkflowError> {
        let item = self.table.get(pk, sk).await?;
        item.map(|item| {
            serde_dynamo::from_item(item).map_err(|e| WorkflowError::Corrupt(e.to_string()))
        })
        .transpose()
    }

    pub async fn request(&self, request_id: &str) -> Result<Option<StoredRequest>, WorkflowError> {
        self.get(request_pk(request_id), "REQUEST").await
    }

    pub async fn offer(&self, offer_id: &str) -> Result<Option<Offer>, WorkflowError> {
        self.get(offer_pk(offer_id), "OFFER").await
    }

    async fn reviewer(&self, reviewer_id: &str) -> Result<Option<Reviewer>, WorkflowError> {
        let Ok(id) = reviewer_id.parse::<Ulid>() else {
            return Ok(None);
        };
        let item = self
            .table
            .client
            .get_item()
            .table_name(&self.table.name)
            .key("pk", s(reviewers::profile_pk(id)))
            .key("sk", s("PROFILE"))
            .send()
            .await
            .map_err(|e| dynamo_error("GetItem", e))?
            .item;
        item.map(|item| {
            Reviewer::from_item(&item).map_err(|e| WorkflowError::Corrupt(e.to_string()))
        })
        .transpose()
    }

    /// Every item of the sparse index under `key`, optionally with sort keys from `from`.
    async fn index(
        &self,
        key: &str,
        from: Option<String>,
    ) -> Result<Vec<HashMap<String, AttributeValue>>, WorkflowError> {
        self.table
            .index_items(key, from.as_deref())
            .await
            .map_err(|e| dynamo_error("Query", e).into())
    }

    /// Runs matching for a request waiting for a reviewer: its lead, or once the lead has
    /// accepted, the second reviewer of its team.
    pub async fn match_request(
        &self,
        request_id: &str,
        now: OffsetDateTime,
    ) -> Result<Matched, WorkflowError> {
        let Some(stored) = self.request(request_id).await? else {
            return Ok(Matched::NothingToDo);
        };
        let role =
            if stored.state == RequestState::Submitted || stored.state == RequestState::Matching {
                Role::Lead
            } else if stored.state == RequestState::Accepted
                && stored.second_state.as_deref() == Some(second_state::MATCHING)
            {
                Role::Second
            } else {
                return Ok(Matched::NothingToDo);
            };
        let inputs = self.match_inputs(&stored, role, now.date()).await?;
        let outcome = inputs.rank();

        let table = self.table.name.as_str();
        let at = now.format(&Rfc3339).unwrap_or_default();
        let school = &stored.request.school;
        let la = LocalAuthority::by_code(school.local_authority_code)
            .map(|la| la.name)
            .unwrap_or_default();
        let Some(best) = outcome.ranked.first() else {
            let ruled_out = outcome
                .ruled_out
                .iter()
                .map(|(_, reasons)| reasons.as_slice());
            let reasons = records::domain::rules::summary(ruled_out, inputs.pool.len());
            let (request_update, detail) = match role {
                Role::Lead => (
                    set_request_state(
                        table,
                        &stored,
                        RequestState::NeedsAttention,
                        None,
                        activity(now.date(), &inputs.settings),
                    ),
                    None,
                ),
                Role::Second => (
                    set_second_state(table, &stored.id, second_state::NEEDS_ATTENTION, None),
                    Some("We are still looking for a second reviewer.".into()),
                ),
            };
            let items = vec![
                request_update,
                timeline_put(
                    table,
                    &stored.id,
                    &TimelineEvent {
                        at: at.clone(),
                        kind: "needs_attention".into(),
                        detail,
                    },
                ),
                outbox::put(
                    table,
                    Some(&stored.id),
                    &self.admin_email,
                    &(NeedsAttention {
                        reference: stored.reference.to_string(),
                        school_name: school.name.to_string(),
                        local_authority: la.to_owned(),
                        reasons,
                        second_reviewer: role == Role::Second,
                    }),
                    now,
                ),
            ];
            return self.commit_match(items, Matched::NeedsAttention).await;
        };
        let (offer_id, items) = self.offer_items(&stored, &inputs, best.reviewer, now)?;
        self.commit_match(
            items,
            Matched::Offered {
                offer_id,
                reviewer_id: best.reviewer.id.to_string(),
            },
        )
        .await
    }

    /// Sends one transaction (`Table::transact`): a cancellation is an answer, not an error.
    async fn commit(&self, items: Vec<TransactWriteItem>) -> Result<Transacted, WorkflowError> {
        self.table
            .transact(items)
            .await
            .map_err(|e| dynamo_error("TransactWriteItems", e).into())
    }

    async fn commit_match(
        &self,
        items: Vec<TransactWriteItem>,
        done: Matched,
    ) -> Result<Matched, WorkflowError> {
        match self.commit(items).await? {
            Transacted::Committed => Ok(done),
            // The request moved on under us (a concurrent run, a withdrawal): nothing to do.
            Transacted::Cancelled(_) => Ok(Matched::NothingToDo),
        }
    }

    /// The reviewer declines (with an optional reason, kept for the administrator).
    pub async fn decline(
        &self,
        offer_id: &str,
        reason: Option<String>,
        now: OffsetDateTime,
    ) -> Result<Answer, WorkflowError> {
        self.close_offer(offer_id, offer_state::DECLINED, reason, now, Vec::new())
            .await
    }

    /// Expires every open offer past its time, and reminds once those halfway through.
    pub async fn expire_and_remind(
        &self,
        now: OffsetDateTime,
    ) -> Result<(usize, usize), WorkflowError> {
        let mut expired = 0;
        let mut reminded = 0;
        for item in self.index(OPEN_INDEX_KEY, None).await? {
            let offer: Offer =
                serde_dynamo::from_item(item).map_err(|e| WorkflowError::Corrupt(e.to_string()))?;
            if now.unix_timestamp() >= offer.expires_at {
                if self
                    .close_offer(&offer.id, offer_state::EXPIRED, None, now, Vec::new())
                    .await?
                    == Answer::Declined
                {
                    expired += 1;
                }
            } else if !offer.reminded
                && now.unix_timestamp() >= offer.remind_at
                && self.remind(&offer, now).await?
            {
                reminded += 1;
            }
        }
        Ok((expired, reminded))
    }

    async fn remind(&self, offer: &Offer, now: OffsetDateTime) -> Result<bool, WorkflowError> {
        let Some(stored) = self.request(&offer.request_id).await? else {
            return Ok(false);
        };
        let email = OfferReminder(offer_email(offer, &stored));
        let table = self.table.name.as_str();
        let items = vec![
            update(table, &offer_pk(&offer.id), "OFFER")
                .update_expression("SET reminded = :yes")
                .condition_expression("#state = :open AND reminded = :no")
                .expression_attribute_names("#state", "state")
                .expression_attribute_values(":open", s(offer_state::OPEN))
                .expression_attribute_values(":yes", AttributeValue::Bool(true))
                .expression_attribute_values(":no", AttributeValue::Bool(false))
                .into_item(),
            outbox::put(table, Some(&stored.id), &offer.reviewer_email, &email, now),
        ];
        match self.commit(items).await? {
            Transacted::Committed => Ok(true),
            Transacted::Cancelled(_) => Ok(false),
        }
    }

    /// Declines or expires an open offer; the request goes back to matching without them.
    async fn close_offer(
        &self,
        offer_id: &str,
        new_state: &str,
        reason: Option<String>,
        now: OffsetDateTime,
        extra: Vec<TransactWriteItem>,
    ) -> Result<Answer, WorkflowError> {
        let Some(offer) = self.offer(offer_id).await? else {
            return Ok(Answer::Closed);
        };
        if offer.state != offer_state::OPEN {
            return Ok(Answer::Closed);
        }
        let table = self.table.name.as_str();
        let at = now.format(&Rfc3339).unwrap_or_default();
        let mut offer_update = update(table, &offer_pk(offer_id), "OFFER")
            .condition_expression("#state = :open")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":open", s(offer_state::OPEN))
            .expression_attribute_values(":closed", s(new_state));
        offer_update = match reason.filter(|r| !r.trim().is_empty()) {
            Some(reason) => offer_update
                .update_expression(
                    "SET #state = :closed, decline_reason = :reason REMOVE gsi1pk, gsi1sk",
                )
                .expression_attribute_values(":reason", s(reason)),
            None => offer_update.update_expression("SET #state = :closed REMOVE gsi1pk, gsi1sk"),
        };
        let kind = if new_state == offer_state::EXPIRED {
            "offer_expired"
        } else {
            "offer_declined"
        };
        let mut items = vec![
            offer_update.into_item(),
            back_to_matching(table, &offer, self.activity(now.date()).await).into_item(),
            timeline_put(
                table,
                &offer.request_id,
                &TimelineEvent::new(at, kind, Some("We are asking another reviewer.".into())),
            ),
        ];
        items.extend(extra);
        match self.commit(items).await? {
            Transacted::Committed => Ok(Answer::Declined),
            Transacted::Cancelled(_) => Ok(Answer::Closed),
        }
    }
}

/// What the reviewer needs to decide on an offer (its email and its reminder).
fn offer_email(offer: &Offer, stored: &StoredRequest) -> ReviewerOffer {
    let school = &stored.request.school;
    ReviewerOffer {
        offer_id: offer.id.clone(),
        expires_at: offer.expires_at,
        respond_by: OffsetDateTime::from_unix_timestamp(offer.expires_at)
            .map(|t| long_date(t.date()))
            .unwrap_or_default(),
        reviewer_name: offer.reviewer_name.clone(),
        reference: stored.reference.to_string(),
        school_name: school.name.to_string(),
        phase: school.phase.label().to_owned(),
        school_type: school.school_type.label().to_owned(),
        local_authority: LocalAuthority::by_code(school.local_authority_code)
            .map(|la| la.name)
            .unwrap_or_default()
            .to_owned(),
        review_type: stored.request.review_type.label().to_owned(),
        focus_areas: stored
            .request
            .areas()
            .into_iter()
            .map(|a| a.title)
            .collect(),
        // A place offered for one day (a booked lead dropped out): that day is the only window.
        visit_windows: match offer.visit_date.as_deref().map(parse_date) {
            Some(Ok(day)) => vec![long_date(day)],
            _ => (stored.request.visit_windows.iter().map(ToString::to_string)).collect(),
        },
        learning_goal: stored.request.learning_goal.to_string(),
        joining: joining(offer, stored),
    }
}

/// For a second reviewer's offer: the lead and the date they would join.
pub fn joining(offer: &Offer, stored: &StoredRequest) -> Option<Joining> {
    match (offer.role, &stored.lead) {
        (Role::Second, Some(lead)) => Some(Joining {
            lead_name: lead.reviewer_name.clone(),
            visit_date_text: long_date(lead.visit_date),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests;

/// A change of state on `on` under `settings`: its purge date rule.
fn activity(on: Date, settings: &ProgrammeSettings) -> PurgeRule {
    PurgeRule::LastActivity {
        on,
        retention_months: settings.retention_months,
    }
}

/// A visit called off: its day, the calendar SEQUENCE of the cancellation, and when.
#[derive(Clone, Copy)]
struct Cancelled {
    day: Date,
    sequence: u32,
    now: OffsetDateTime,
}
