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

use std::collections::{HashMap, HashSet};

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime, Weekday};
use ulid::Ulid;

use crate::domain::request::{VisitWindow, long_date};
use crate::domain::{LocalAuthority, format_date, parse_date};
use crate::intake::{self, Lead, StoredRequest, TimelineEvent, request_pk, state, timeline_put};
use crate::mail::{Email, NeedsAttention, ReviewerOffer, VisitConfirmed};
use crate::matching::{self, MatchRequest, ReviewHistory, ReviewerRecord, Role, RuleOut, Term};
use crate::programme::{self, ProgrammeSettings};
use crate::reviewers::{self, Reviewer};
use crate::store::{Table, get_s, n, s};
use crate::{ConfigError, Env, outbox};

pub const OPEN_INDEX_KEY: &str = "OFFER_OPEN";
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
}

fn offer_pk(id: &str) -> String {
    format!("OFFER#{id}")
}

#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("DynamoDB {operation} failed: {code}")]
    Store {
        operation: &'static str,
        code: String,
    },
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
}

fn store<E: ProvideErrorMetadata>(operation: &'static str) -> impl FnOnce(E) -> WorkflowError {
    move |e| WorkflowError::Store {
        operation,
        code: format!(
            "{}: {}",
            e.code().unwrap_or("unreachable"),
            e.message().unwrap_or_default()
        ),
    }
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reassigned {
    /// The matcher is running again for it.
    Rematching,
    Refused(String),
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
    pub fn from_env(env: &Env, aws: &crate::aws::AwsClients) -> Result<Self, ConfigError> {
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
    pub async fn reassign(
        &self,
        request_id: &str,
        now: OffsetDateTime,
    ) -> Result<Reassigned, WorkflowError> {
        let Some(stored) = self.request(request_id).await? else {
            return Ok(Reassigned::Refused("there is no such request".into()));
        };
        match stored.state.as_str() {
            state::NEEDS_ATTENTION => {
                let table = self.table.name.as_str();
                let at = now.format(&Rfc3339).unwrap_or_default();
                let items = vec![
                    set_request_state(table, &stored, state::MATCHING, None),
                    timeline_put(
                        table,
                        &stored.id,
                        &TimelineEvent {
                            at,
                            kind: "reassigned".into(),
                            detail: None,
                        },
                    ),
                ];
                match self.commit(items).await? {
                    Committed::Done => Ok(Reassigned::Rematching),
                    Committed::Cancelled(_) => Ok(Reassigned::Refused(
                        "the request changed meanwhile: try again".into(),
                    )),
                }
            }
            state::OFFERED => match stored.open_offer.as_deref() {
                Some(offer_id) => match self
                    .close_offer(offer_id, offer_state::WITHDRAWN, None, now)
                    .await?
                {
                    Answer::Declined => Ok(Reassigned::Rematching),
                    _ => Ok(Reassigned::Refused(
                        "the offer was answered meanwhile: try again".into(),
                    )),
                },
                None => Ok(Reassigned::Refused("the request has no open offer".into())),
            },
            state::SUBMITTED | state::MATCHING => Ok(Reassigned::Refused(
                "matching is already running for this request".into(),
            )),
            other => Ok(Reassigned::Refused(format!(
                "the request is {other}: reassigning a booked or closed review is not possible from here"
            ))),
        }
    }

    pub fn table(&self) -> &Table {
        &self.table
    }

    async fn settings(&self) -> ProgrammeSettings {
        match programme::get(&self.table).await {
            Ok(Some(settings)) => settings,
            _ => self.fallback_settings.clone(),
        }
    }

    /// The item at `pk`/`sk`, deserialised (consistent read: answers follow their writes).
    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        pk: String,
        sk: &str,
    ) -> Result<Option<T>, WorkflowError> {
        let item = self
            .table
            .client
            .get_item()
            .table_name(&self.table.name)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(store("GetItem"))?
            .item;
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
            .map_err(store("GetItem"))?
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
            .map_err(store("Query"))
    }

    /// Runs matching for a request waiting for a reviewer.
    pub async fn match_request(
        &self,
        request_id: &str,
        now: OffsetDateTime,
    ) -> Result<Matched, WorkflowError> {
        let Some(stored) = self.request(request_id).await? else {
            return Ok(Matched::NothingToDo);
        };
        if stored.state != state::SUBMITTED && stored.state != state::MATCHING {
            return Ok(Matched::NothingToDo);
        }
        let today = now.date();
        let settings = self.settings().await;
        let pool = reviewers::list(&self.table)
            .await
            .map_err(|e| WorkflowError::Corrupt(e.to_string()))?;

        // Reviews done or booked since the oldest date any rule looks at.
        let since = today - Duration::days(366 * i64::from(settings.recent_review_years.max(1)));
        let mut history: HashMap<String, Vec<ReviewHistory>> = HashMap::new();
        for item in self
            .index(HISTORY_INDEX_KEY, Some(format_date(since)))
            .await?
        {
            let (Some(reviewer), Some(urn), Some(date)) = (
                get_s(&item, "reviewer_id"),
                get_s(&item, "school_urn"),
                get_s(&item, "visit_date"),
            ) else {
                continue;
            };
            if let (Ok(school), Ok(visit_date)) = (urn.parse(), parse_date(date)) {
                history
                    .entry(reviewer.to_owned())
                    .or_default()
                    .push(ReviewHistory { school, visit_date });
            }
        }
        let mut open_offers: HashMap<String, Vec<Date>> = HashMap::new();
        for item in self.index(OPEN_INDEX_KEY, None).await? {
            let Ok(offer) = serde_dynamo::from_item::<_, Offer>(item) else {
                continue;
            };
            let dates = offer.load_dates.iter().filter_map(|d| parse_date(d).ok());
            open_offers
                .entry(offer.reviewer_id)
                .or_default()
                .extend(dates);
        }
        let records: Vec<ReviewerRecord> = pool
            .iter()
            .map(|reviewer| {
                let id = reviewer.id.to_string();
                ReviewerRecord {
                    reviewer,
                    history: history.get(&id).map(Vec::as_slice).unwrap_or_default(),
                    open_offers: open_offers.get(&id).map(Vec::as_slice).unwrap_or_default(),
                }
            })
            .collect();
        let excluded: HashSet<Ulid> = stored
            .excluded_reviewers
            .iter()
            .filter_map(|id| id.parse().ok())
            .collect();
        let outcome = matching::rank(
            &MatchRequest {
                request: &stored.request,
                excluded: &excluded,
                role: Role::Lead,
                lead: None,
            },
            &records,
            &settings,
            today,
        );

        let table = self.table.name.as_str();
        let at = now.format(&Rfc3339).unwrap_or_default();
        let school = &stored.request.school;
        let la = LocalAuthority::by_code(school.local_authority_code)
            .map(|la| la.name)
            .unwrap_or_default();
        let Some(best) = outcome.ranked.first() else {
            let reasons = reasons_summary(&outcome.ruled_out, pool.len());
            let items = vec![
                set_request_state(table, &stored, state::NEEDS_ATTENTION, None),
                timeline_put(
                    table,
                    &stored.id,
                    &TimelineEvent {
                        at: at.clone(),
                        kind: "needs_attention".into(),
                        detail: None,
                    },
                ),
                outbox::put(
                    table,
                    &self.admin_email,
                    &Email::NeedsAttention(NeedsAttention {
                        reference: stored.reference.to_string(),
                        school_name: school.name.to_string(),
                        local_authority: la.to_owned(),
                        reasons,
                    }),
                    now,
                ),
            ];
            return self.commit_match(items, Matched::NeedsAttention).await;
        };

        let reviewer = best.reviewer;
        let offer_id = Ulid::new().to_string();
        let lifetime = Duration::days(i64::from(settings.offer_expiry_days.max(1)));
        let expires = now + lifetime;
        let offer = Offer {
            id: offer_id.clone(),
            request_id: stored.id.clone(),
            reviewer_id: reviewer.id.to_string(),
            reviewer_name: reviewer.name.clone(),
            reviewer_email: reviewer.email.clone(),
            state: offer_state::OPEN.into(),
            created_at: at.clone(),
            expires_at: expires.unix_timestamp(),
            remind_at: (now + lifetime / 2_i32).unix_timestamp(),
            reminded: false,
            load_dates: load_dates(&stored.request.visit_windows),
            visit_date: None,
            decline_reason: None,
        };
        let mut offer_item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(&offer).map_err(|e| WorkflowError::Corrupt(e.to_string()))?;
        offer_item.insert("pk".into(), s(offer_pk(&offer_id)));
        offer_item.insert("sk".into(), s("OFFER"));
        offer_item.insert("gsi1pk".into(), s(OPEN_INDEX_KEY));
        offer_item.insert(
            "gsi1sk".into(),
            s(format!("{:012}#{offer_id}", offer.expires_at)),
        );
        let email = Email::ReviewerOffer(ReviewerOffer {
            offer_id: offer_id.clone(),
            expires_at: offer.expires_at,
            respond_by: long_date(expires.date()),
            reviewer_name: reviewer.name.clone(),
            reference: stored.reference.to_string(),
            school_name: school.name.to_string(),
            phase: school.phase.label().to_owned(),
            school_type: school.school_type.label().to_owned(),
            local_authority: la.to_owned(),
            review_type: stored.request.review_type.label().to_owned(),
            focus_areas: stored
                .request
                .focus_areas
                .areas()
                .iter()
                .map(|a| a.label().to_owned())
                .collect(),
            visit_windows: stored
                .request
                .visit_windows
                .iter()
                .map(ToString::to_string)
                .collect(),
            learning_goal: stored.request.learning_goal.to_string(),
        });
        let items = vec![
            set_request_state(table, &stored, state::OFFERED, Some(&offer_id)),
            intake::put(table, offer_item, true),
            timeline_put(
                table,
                &stored.id,
                &TimelineEvent {
                    at,
                    kind: "offered".into(),
                    detail: Some("A reviewer has been asked.".into()),
                },
            ),
            outbox::put(table, &reviewer.email, &email, now),
        ];
        self.commit_match(
            items,
            Matched::Offered {
                offer_id,
                reviewer_id: reviewer.id.to_string(),
            },
        )
        .await
    }

    /// Sends one transaction; a cancellation (a condition failed, or a conflict) is an answer,
    /// not an error: its reason codes, one per item.
    async fn commit(&self, items: Vec<TransactWriteItem>) -> Result<Committed, WorkflowError> {
        match self
            .table
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(Committed::Done),
            Err(err) => match cancelled(&err) {
                Some(reasons) => Ok(Committed::Cancelled(reasons)),
                None => Err(store::<_>("TransactWriteItems")(err.into_service_error())),
            },
        }
    }

    async fn commit_match(
        &self,
        items: Vec<TransactWriteItem>,
        done: Matched,
    ) -> Result<Matched, WorkflowError> {
        match self.commit(items).await? {
            Committed::Done => Ok(done),
            // The request moved on under us (a concurrent run, a withdrawal): nothing to do.
            Committed::Cancelled(_) => Ok(Matched::NothingToDo),
        }
    }

    /// The reviewer accepts offer `offer_id` and visits on `visit_date`.
    pub async fn accept(
        &self,
        offer_id: &str,
        visit_date: Date,
        now: OffsetDateTime,
    ) -> Result<Answer, WorkflowError> {
        let Some(offer) = self.offer(offer_id).await? else {
            return Ok(Answer::Closed);
        };
        if offer.state != offer_state::OPEN || now.unix_timestamp() >= offer.expires_at {
            return Ok(Answer::Closed);
        }
        let (Some(stored), Some(reviewer)) = (
            self.request(&offer.request_id).await?,
            self.reviewer(&offer.reviewer_id).await?,
        ) else {
            return Ok(Answer::Closed);
        };
        if let Err(reason) = check_visit_date(
            visit_date,
            &stored.request.visit_windows,
            &reviewer,
            now.date(),
        ) {
            return Ok(Answer::InvalidDate(reason));
        }
        let table = self.table.name.as_str();
        let at = now.format(&Rfc3339).unwrap_or_default();
        let date = format_date(visit_date);
        let term = Term::of(visit_date);
        let reviewer_pk = reviewers::profile_pk(reviewer.id);
        let lead = Lead {
            reviewer_id: reviewer.id.to_string(),
            reviewer_name: reviewer.name.clone(),
            visit_date: date.clone(),
        };
        let confirmation = |to_school: bool| {
            Email::VisitConfirmed(VisitConfirmed {
                to_school,
                request_id: stored.id.clone(),
                reference: stored.reference.to_string(),
                school_name: stored.request.school.name.to_string(),
                postcode: stored.request.school.postcode.as_str().to_owned(),
                reviewer_name: reviewer.name.clone(),
                visit_date: date.clone(),
                visit_date_text: long_date(visit_date),
            })
        };
        let items = vec![
            update(table, &offer_pk(offer_id), "OFFER")
                .update_expression(
                    "SET #state = :accepted, visit_date = :date REMOVE gsi1pk, gsi1sk",
                )
                .condition_expression("#state = :open AND expires_at > :now")
                .expression_attribute_names("#state", "state")
                .expression_attribute_values(":accepted", s(offer_state::ACCEPTED))
                .expression_attribute_values(":open", s(offer_state::OPEN))
                .expression_attribute_values(":date", s(date.clone()))
                .expression_attribute_values(":now", n(now.unix_timestamp()))
                .build()
                .map(|u| TransactWriteItem::builder().update(u).build())
                .expect("complete update"),
            update(table, &request_pk(&stored.id), "REQUEST")
                .update_expression(
                    "SET #state = :accepted, gsi1pk = :index, #lead = :lead REMOVE open_offer",
                )
                .condition_expression(
                    "#state = :offered AND open_offer = :offer AND attribute_not_exists(#lead)",
                )
                .expression_attribute_names("#state", "state")
                .expression_attribute_names("#lead", "lead")
                .expression_attribute_values(":accepted", s(state::ACCEPTED))
                .expression_attribute_values(":offered", s(state::OFFERED))
                .expression_attribute_values(":offer", s(offer_id))
                .expression_attribute_values(
                    ":index",
                    s(format!("REQUEST_STATE#{}", state::ACCEPTED)),
                )
                .expression_attribute_values(
                    ":lead",
                    AttributeValue::M(serde_dynamo::to_item(&lead).expect("a lead serialises")),
                )
                .build()
                .map(|u| TransactWriteItem::builder().update(u).build())
                .expect("complete update"),
            // The capacity guard: concurrent acceptances in one term cannot pass it.
            update(table, &reviewer_pk, &format!("TERM#{term}"))
                .update_expression("ADD booked :one")
                .condition_expression("attribute_not_exists(booked) OR booked < :capacity")
                .expression_attribute_values(":one", n(1))
                .expression_attribute_values(":capacity", n(reviewer.capacity_per_term))
                .build()
                .map(|u| TransactWriteItem::builder().update(u).build())
                .expect("complete update"),
            intake::put(
                table,
                HashMap::from([
                    ("pk".into(), s(reviewer_pk.clone())),
                    ("sk".into(), s(format!("REVIEW#{date}#{}", stored.id))),
                    ("reviewer_id".into(), s(reviewer.id.to_string())),
                    ("school_urn".into(), s(stored.request.school.urn.as_str())),
                    ("visit_date".into(), s(date.clone())),
                    ("request_id".into(), s(stored.id.clone())),
                    ("gsi1pk".into(), s(HISTORY_INDEX_KEY)),
                    ("gsi1sk".into(), s(format!("{date}#{}", stored.id))),
                ]),
                false,
            ),
            timeline_put(
                table,
                &stored.id,
                &TimelineEvent {
                    at,
                    kind: "accepted".into(),
                    detail: Some(format!(
                        "{} will visit on {}.",
                        reviewer.name,
                        long_date(visit_date)
                    )),
                },
            ),
            outbox::put(
                table,
                stored.request.contact.email.as_str(),
                &confirmation(true),
                now,
            ),
            outbox::put(table, &reviewer.email, &confirmation(false), now),
        ];
        match self.commit(items).await? {
            Committed::Done => Ok(Answer::Accepted),
            // Only the capacity guard refused: the term is full. Otherwise the offer or the
            // request moved on (answered, expired, someone else accepted).
            Committed::Cancelled(reasons)
                if failed_at(&reasons, 2) && !failed_at(&reasons, 0) && !failed_at(&reasons, 1) =>
            {
                Ok(Answer::AtCapacity)
            }
            Committed::Cancelled(_) => Ok(Answer::Closed),
        }
    }

    /// The reviewer declines (with an optional reason, kept for the administrator).
    pub async fn decline(
        &self,
        offer_id: &str,
        reason: Option<String>,
        now: OffsetDateTime,
    ) -> Result<Answer, WorkflowError> {
        self.close_offer(offer_id, offer_state::DECLINED, reason, now)
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
                    .close_offer(&offer.id, offer_state::EXPIRED, None, now)
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
        let school = &stored.request.school;
        let email = Email::OfferReminder(ReviewerOffer {
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
            focus_areas: Vec::new(),
            visit_windows: Vec::new(),
            learning_goal: String::new(),
        });
        let table = self.table.name.as_str();
        let items = vec![
            update(table, &offer_pk(&offer.id), "OFFER")
                .update_expression("SET reminded = :yes")
                .condition_expression("#state = :open AND reminded = :no")
                .expression_attribute_names("#state", "state")
                .expression_attribute_values(":open", s(offer_state::OPEN))
                .expression_attribute_values(":yes", AttributeValue::Bool(true))
                .expression_attribute_values(":no", AttributeValue::Bool(false))
                .build()
                .map(|u| TransactWriteItem::builder().update(u).build())
                .expect("complete update"),
            outbox::put(table, &offer.reviewer_email, &email, now),
        ];
        match self.commit(items).await? {
            Committed::Done => Ok(true),
            Committed::Cancelled(_) => Ok(false),
        }
    }

    /// Declines or expires an open offer; the request goes back to matching without them.
    async fn close_offer(
        &self,
        offer_id: &str,
        new_state: &str,
        reason: Option<String>,
        now: OffsetDateTime,
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
        let items = vec![
            offer_update.build().map(|u| TransactWriteItem::builder().update(u).build()).expect("complete update"),
            update(table, &request_pk(&offer.request_id), "REQUEST")
                .update_expression(
                    "SET #state = :matching, gsi1pk = :index, \
                     excluded_reviewers = list_append(if_not_exists(excluded_reviewers, :none), :reviewer) \
                     REMOVE open_offer",
                )
                .condition_expression("#state = :offered AND open_offer = :offer")
                .expression_attribute_names("#state", "state")
                .expression_attribute_values(":matching", s(state::MATCHING))
                .expression_attribute_values(":offered", s(state::OFFERED))
                .expression_attribute_values(":offer", s(offer_id))
                .expression_attribute_values(":index", s(format!("REQUEST_STATE#{}", state::MATCHING)))
                .expression_attribute_values(":none", AttributeValue::L(Vec::new()))
                .expression_attribute_values(":reviewer", AttributeValue::L(vec![s(offer.reviewer_id.clone())]))
                .build()
                .map(|u| TransactWriteItem::builder().update(u).build())
                .expect("complete update"),
            timeline_put(
                table,
                &offer.request_id,
                &TimelineEvent { at, kind: kind.into(), detail: Some("We are asking another reviewer.".into()) },
            ),
        ];
        match self.commit(items).await? {
            Committed::Done => Ok(Answer::Declined),
            Committed::Cancelled(_) => Ok(Answer::Closed),
        }
    }
}

/// The first day of each term the windows touch (one per term, so an offer counts once in it).
fn load_dates(windows: &[VisitWindow]) -> Vec<String> {
    let mut terms: Vec<Term> = Vec::new();
    let mut dates = Vec::new();
    for window in windows {
        let mut day = window.start;
        while day <= window.end {
            let term = Term::of(day);
            if !terms.contains(&term) {
                terms.push(term);
                dates.push(format_date(day));
            }
            day += Duration::days(1);
        }
    }
    dates
}

enum Committed {
    Done,
    Cancelled(Vec<String>),
}

fn update(table: &str, pk: &str, sk: &str) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
    Update::builder()
        .table_name(table)
        .key("pk", s(pk))
        .key("sk", s(sk))
}

/// Moves a request on from the state it was read in (so a concurrent run fails its condition).
fn set_request_state(
    table: &str,
    stored: &StoredRequest,
    new_state: &str,
    offer_id: Option<&str>,
) -> TransactWriteItem {
    let mut builder = update(table, &request_pk(&stored.id), "REQUEST")
        .condition_expression("#state = :was")
        .expression_attribute_names("#state", "state")
        .expression_attribute_values(":was", s(stored.state.clone()))
        .expression_attribute_values(":state", s(new_state))
        .expression_attribute_values(":index", s(format!("REQUEST_STATE#{new_state}")));
    builder = match offer_id {
        Some(offer_id) => builder
            .update_expression("SET #state = :state, gsi1pk = :index, open_offer = :offer")
            .expression_attribute_values(":offer", s(offer_id)),
        None => builder.update_expression("SET #state = :state, gsi1pk = :index"),
    };
    TransactWriteItem::builder()
        .update(builder.build().expect("complete update"))
        .build()
}

/// The cancellation reason codes, if the transaction was cancelled.
fn cancelled<R>(
    err: &aws_sdk_dynamodb::error::SdkError<TransactWriteItemsError, R>,
) -> Option<Vec<String>> {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(e)) => Some(
            e.cancellation_reasons()
                .iter()
                .map(|r| r.code().unwrap_or("None").to_owned())
                .collect(),
        ),
        _ => None,
    }
}

fn failed_at(reasons: &[String], index: usize) -> bool {
    reasons
        .get(index)
        .is_some_and(|code| code == "ConditionalCheckFailed")
}

/// A day the reviewer may visit: in one of the school's windows, a weekday, not in the past,
/// and not one of the reviewer's unavailable dates.
pub fn check_visit_date(
    date: Date,
    windows: &[VisitWindow],
    reviewer: &Reviewer,
    today: Date,
) -> Result<(), String> {
    if !windows.iter().any(|w| w.start <= date && date <= w.end) {
        return Err("Choose a date inside one of the school's visit windows".into());
    }
    if matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) {
        return Err("Choose a school day: Monday to Friday".into());
    }
    if date <= today {
        return Err("Choose a date after today".into());
    }
    if reviewer
        .unavailable
        .iter()
        .any(|range| range.contains(date))
    {
        return Err("You told us you are unavailable that day: choose another date".into());
    }
    Ok(())
}

/// How many reviewers each rule ruled out: what the administrator needs, naming nobody.
fn reasons_summary(ruled_out: &[(&Reviewer, Vec<RuleOut>)], pool_size: usize) -> Vec<String> {
    if pool_size == 0 {
        return vec!["The reviewer pool is empty: import reviewers with the admin tool.".into()];
    }
    let mut counts: Vec<(String, usize)> = Vec::new();
    for (_, reasons) in ruled_out {
        for reason in reasons {
            let text = reason.description().into_owned();
            match counts.iter_mut().find(|(t, _)| *t == text) {
                Some((_, count)) => *count += 1,
                None => counts.push((text, 1)),
            }
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    counts
        .into_iter()
        .map(|(text, count)| format!("{count} of {pool_size} reviewers: {text}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn an_offer_loads_one_day_in_each_term_its_windows_touch() {
        let windows = [
            VisitWindow {
                start: date!(2026 - 12 - 21),
                end: date!(2027 - 01 - 08),
            },
            VisitWindow {
                start: date!(2027 - 01 - 18),
                end: date!(2027 - 01 - 29),
            },
            VisitWindow {
                start: date!(2027 - 05 - 03),
                end: date!(2027 - 05 - 07),
            },
        ];
        assert_eq!(
            load_dates(&windows),
            vec!["2026-12-21", "2027-01-01", "2027-05-03"]
        );
        assert!(load_dates(&[]).is_empty());
    }
}
