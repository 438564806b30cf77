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
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, OffsetDateTime, Weekday};
use ulid::Ulid;

use crate::domain::request::{VisitWindow, long_date};
use crate::domain::{LocalAuthority, format_date, parse_date};
use crate::intake::{
    self, DateChange, Side, StoredRequest, TeamMember, TimelineEvent, request_pk, second_state,
    state, timeline_put,
};
use crate::mail::{
    DateChange as MailDateChange, Email, Joining, NeedsAttention, ReviewLink, ReviewerOffer,
    VisitConfirmed,
};
use crate::matching::{self, MatchRequest, ReviewHistory, ReviewerRecord, Role, RuleOut, Term};
use crate::programme::{self, ProgrammeSettings};
use crate::reviewers::{self, Reviewer};
use crate::store::{Table, Transacted, get_s, n, s};
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
    /// Lead, or second reviewer (whose visit date is the lead's, fixed when offered).
    #[serde(default)]
    pub role: Role,
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
                    Transacted::Committed => Ok(Reassigned::Rematching),
                    Transacted::Cancelled(_) => Ok(Reassigned::Refused(
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
            // The lead is booked; nobody could join as second reviewer: look again.
            state::ACCEPTED
                if stored.second_state.as_deref() == Some(second_state::NEEDS_ATTENTION) =>
            {
                let items = vec![
                    update(self.table.name.as_str(), &request_pk(&stored.id), "REQUEST")
                        .update_expression("SET second_state = :matching")
                        .condition_expression("#state = :accepted AND second_state = :attention")
                        .expression_attribute_names("#state", "state")
                        .expression_attribute_values(":matching", s(second_state::MATCHING))
                        .expression_attribute_values(":accepted", s(state::ACCEPTED))
                        .expression_attribute_values(":attention", s(second_state::NEEDS_ATTENTION))
                        .build()
                        .map(|u| TransactWriteItem::builder().update(u).build())
                        .expect("complete update"),
                    timeline_put(
                        self.table.name.as_str(),
                        &stored.id,
                        &TimelineEvent {
                            at: now.format(&Rfc3339).unwrap_or_default(),
                            kind: "reassigned".into(),
                            detail: None,
                        },
                    ),
                ];
                match self.commit(items).await? {
                    Transacted::Committed => Ok(Reassigned::Rematching),
                    Transacted::Cancelled(_) => Ok(Reassigned::Refused(
                        "the request changed meanwhile: try again".into(),
                    )),
                }
            }
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
        let role = if stored.state == state::SUBMITTED || stored.state == state::MATCHING {
            Role::Lead
        } else if stored.state == state::ACCEPTED
            && stored.second_state.as_deref() == Some(second_state::MATCHING)
        {
            Role::Second
        } else {
            return Ok(Matched::NothingToDo);
        };
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
        let mut excluded: HashSet<Ulid> = stored
            .excluded_reviewers
            .iter()
            .filter_map(|id| id.parse().ok())
            .collect();
        // A second reviewer is matched to the lead's fixed date: the request's windows narrow
        // to that one day (availability, term capacity).
        let lead_record = stored.lead.as_ref().filter(|_| role == Role::Second);
        let lead = lead_record
            .and_then(|member| pool.iter().find(|r| r.id.to_string() == member.reviewer_id));
        let mut request = stored.request.clone();
        if let Some(member) = lead_record {
            let date = parse_date(&member.visit_date)
                .map_err(|_| WorkflowError::Corrupt("the lead's visit date".into()))?;
            request.visit_windows = vec![VisitWindow {
                start: date,
                end: date,
            }];
            if let Ok(id) = member.reviewer_id.parse() {
                excluded.insert(id);
            }
        }
        let outcome = matching::rank(
            &MatchRequest {
                request: &request,
                excluded: &excluded,
                role,
                lead,
                follow_up_of: stored
                    .follow_up_of
                    .as_ref()
                    .and_then(|original| original.review()),
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
            let (request_update, detail) = match role {
                Role::Lead => (
                    set_request_state(table, &stored, state::NEEDS_ATTENTION, None),
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
                    &self.admin_email,
                    &Email::NeedsAttention(NeedsAttention {
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
            load_dates: load_dates(&request.visit_windows),
            visit_date: lead_record.map(|member| member.visit_date.clone()),
            decline_reason: None,
            role,
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
        let email = Email::ReviewerOffer(offer_email(&offer, &stored));
        let request_update = match role {
            Role::Lead => set_request_state(table, &stored, state::OFFERED, Some(&offer_id)),
            Role::Second => {
                set_second_state(table, &stored.id, second_state::OFFERED, Some(&offer_id))
            }
        };
        let items = vec![
            request_update,
            intake::put(table, offer_item, true),
            timeline_put(
                table,
                &stored.id,
                &TimelineEvent {
                    at,
                    kind: "offered".into(),
                    detail: Some(
                        match role {
                            Role::Lead => "A reviewer has been asked.",
                            Role::Second => "A second reviewer has been asked to join the visit.",
                        }
                        .into(),
                    ),
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

    /// Sends one transaction (`Table::transact`): a cancellation is an answer, not an error.
    async fn commit(&self, items: Vec<TransactWriteItem>) -> Result<Transacted, WorkflowError> {
        self.table
            .transact(items)
            .await
            .map_err(|e| store::<_>("TransactWriteItems")(e.into_service_error()))
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
        if offer.role == Role::Second
            && offer.visit_date.as_deref() != Some(&format_date(visit_date))
        {
            return Ok(Answer::InvalidDate(
                "The visit date is fixed by the lead reviewer".into(),
            ));
        }
        let table = self.table.name.as_str();
        let at = now.format(&Rfc3339).unwrap_or_default();
        let date = format_date(visit_date);
        let term = Term::of(visit_date);
        let reviewer_pk = reviewers::profile_pk(reviewer.id);
        let member = TeamMember {
            reviewer_id: reviewer.id.to_string(),
            reviewer_name: reviewer.name.clone(),
            visit_date: date.clone(),
            offer_id: offer.id.clone(),
        };
        let member_value =
            AttributeValue::M(serde_dynamo::to_item(&member).expect("a team member serialises"));
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
                review_link: (!to_school).then(|| ReviewLink {
                    offer_id: offer.id.clone(),
                    expires_at: review_link_expiry(visit_date),
                }),
                sequence: 0,
            })
        };
        let request_update = match offer.role {
            Role::Lead => {
                let wants_second =
                    matching::needs_second_reviewer(&stored.request, &self.settings().await);
                let mut builder = update(table, &request_pk(&stored.id), "REQUEST")
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
                    .expression_attribute_values(":lead", member_value);
                builder = if wants_second {
                    builder
                        .update_expression(
                            "SET #state = :accepted, gsi1pk = :index, #lead = :lead, \
                             second_state = :second REMOVE open_offer",
                        )
                        .expression_attribute_values(":second", s(second_state::MATCHING))
                } else {
                    builder.update_expression(
                        "SET #state = :accepted, gsi1pk = :index, #lead = :lead REMOVE open_offer",
                    )
                };
                builder
            }
            Role::Second => update(table, &request_pk(&stored.id), "REQUEST")
                .update_expression(
                    "SET #second = :member, second_state = :accepted REMOVE second_offer",
                )
                .condition_expression(
                    "#state = :request_accepted AND second_state = :offered \
                     AND second_offer = :offer AND attribute_not_exists(#second)",
                )
                .expression_attribute_names("#state", "state")
                .expression_attribute_names("#second", "second")
                .expression_attribute_values(":member", member_value)
                .expression_attribute_values(":accepted", s(second_state::ACCEPTED))
                .expression_attribute_values(":request_accepted", s(state::ACCEPTED))
                .expression_attribute_values(":offered", s(second_state::OFFERED))
                .expression_attribute_values(":offer", s(offer_id)),
        };
        let mut items = vec![
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
            request_update
                .build()
                .map(|u| TransactWriteItem::builder().update(u).build())
                .expect("complete update"),
            capacity_guard(table, &reviewer_pk, term, &reviewer),
            history_put(table, &reviewer_pk, &member, &stored),
            timeline_put(
                table,
                &stored.id,
                &TimelineEvent {
                    at,
                    kind: "accepted".into(),
                    detail: Some(match offer.role {
                        Role::Lead => {
                            format!("{} will visit on {}.", reviewer.name, long_date(visit_date))
                        }
                        Role::Second => {
                            format!("{} will join the visit as second reviewer.", reviewer.name)
                        }
                    }),
                },
            ),
            outbox::put(table, &reviewer.email, &confirmation(false), now),
        ];
        if offer.role == Role::Lead {
            items.push(outbox::put(
                table,
                stored.request.contact.email.as_str(),
                &confirmation(true),
                now,
            ));
        }
        match self.commit(items).await? {
            Transacted::Committed => Ok(Answer::Accepted),
            // Only the capacity guard refused: the term is full. Otherwise the offer or the
            // request moved on (answered, expired, someone else accepted).
            cancelled @ Transacted::Cancelled(_)
                if cancelled.failed_at(2) && !cancelled.failed_at(0) && !cancelled.failed_at(1) =>
            {
                Ok(Answer::AtCapacity)
            }
            Transacted::Cancelled(_) => Ok(Answer::Closed),
        }
    }

    /// One side asks to move the booked visit of `request_id` to `date`; the other side is
    /// emailed a link to confirm it. Only one change can wait at a time.
    pub async fn ask_date_change(
        &self,
        request_id: &str,
        asked_by: Side,
        date: Date,
        reason: &str,
        now: OffsetDateTime,
    ) -> Result<DateChangeAnswer, WorkflowError> {
        let Some(stored) = self.request(request_id).await? else {
            return Ok(DateChangeAnswer::NotPossible(
                "there is no such request".into(),
            ));
        };
        let Some(lead) = stored
            .lead
            .as_ref()
            .filter(|_| stored.state == state::ACCEPTED)
        else {
            return Ok(DateChangeAnswer::NotPossible(
                "Only a booked visit can move".into(),
            ));
        };
        if stored.date_change.is_some() {
            return Ok(DateChangeAnswer::NotPossible(
                "A new date is already waiting to be confirmed".into(),
            ));
        }
        if format_date(date) == lead.visit_date {
            return Ok(DateChangeAnswer::InvalidDate(
                "That is the date already booked: choose another".into(),
            ));
        }
        let team = self.team_reviewers(&stored).await?;
        let checked_for: &[Reviewer] = if asked_by == Side::Reviewer {
            &team
        } else {
            &[]
        };
        if let Err(reason) = check_new_date(date, checked_for, now.date()) {
            return Ok(DateChangeAnswer::InvalidDate(reason));
        }
        let reason: String = reason
            .chars()
            .filter(|c| !c.is_control() || *c == '\n')
            .take(1000)
            .collect();
        let reason = reason.trim().to_owned();
        let change = DateChange {
            proposed_date: format_date(date),
            asked_by,
            reason: reason.clone(),
            asked_at: now.format(&Rfc3339).unwrap_or_default(),
        };
        let table = self.table.name.as_str();
        let asker = match asked_by {
            Side::School => stored.request.school.name.to_string(),
            Side::Reviewer => lead.reviewer_name.clone(),
        };
        let lead_email = team.first().map(|r| r.email.clone()).unwrap_or_default();
        let (to, email) = (
            match asked_by {
                Side::School => lead_email,
                Side::Reviewer => stored.request.contact.email.as_str().to_owned(),
            },
            Email::DateChange(MailDateChange {
                to_school: asked_by == Side::Reviewer,
                kept: false,
                request_id: stored.id.clone(),
                reference: stored.reference.to_string(),
                school_name: stored.request.school.name.to_string(),
                asked_by: asker.clone(),
                current_date_text: date_text(&lead.visit_date),
                proposed_date_text: long_date(date),
                reason,
                review_link: (asked_by == Side::School).then(|| review_link_for(lead)),
            }),
        );
        let items = vec![
            update(table, &request_pk(&stored.id), "REQUEST")
                .update_expression("SET date_change = :change")
                .condition_expression(
                    "#state = :accepted AND attribute_not_exists(date_change) \
                     AND #lead.visit_date = :current",
                )
                .expression_attribute_names("#state", "state")
                .expression_attribute_names("#lead", "lead")
                .expression_attribute_values(":accepted", s(state::ACCEPTED))
                .expression_attribute_values(":current", s(lead.visit_date.clone()))
                .expression_attribute_values(
                    ":change",
                    AttributeValue::M(serde_dynamo::to_item(&change).expect("a change serialises")),
                )
                .build()
                .map(|u| TransactWriteItem::builder().update(u).build())
                .expect("complete update"),
            timeline_put(
                table,
                &stored.id,
                &TimelineEvent {
                    at: change.asked_at.clone(),
                    kind: "date_change_asked".into(),
                    detail: Some(format!(
                        "{asker} asked to move the visit to {}.",
                        long_date(date)
                    )),
                },
            ),
            outbox::put(table, &to, &email, now),
        ];
        Ok(match self.commit(items).await? {
            Transacted::Committed => DateChangeAnswer::Asked,
            Transacted::Cancelled(_) => {
                DateChangeAnswer::NotPossible("The review changed meanwhile: try again".into())
            }
        })
    }

    /// The side that did not ask confirms the new date (the visit moves for the whole team,
    /// with new calendar files) or keeps the booked one.
    pub async fn answer_date_change(
        &self,
        request_id: &str,
        answered_by: Side,
        confirm: bool,
        now: OffsetDateTime,
    ) -> Result<DateChangeAnswer, WorkflowError> {
        let Some(stored) = self.request(request_id).await? else {
            return Ok(DateChangeAnswer::NotPossible(
                "there is no such request".into(),
            ));
        };
        let (Some(change), Some(lead)) = (stored.date_change.as_ref(), stored.lead.as_ref()) else {
            return Ok(DateChangeAnswer::NotPossible(
                "There is no new date waiting to be confirmed".into(),
            ));
        };
        if change.asked_by == answered_by {
            return Ok(DateChangeAnswer::NotPossible(
                "You asked for this change: the other side confirms it".into(),
            ));
        }
        let table = self.table.name.as_str();
        let at = now.format(&Rfc3339).unwrap_or_default();
        let new_date = parse_date(&change.proposed_date)
            .map_err(|_| WorkflowError::Corrupt("a proposed visit date".into()))?;
        let old_date = parse_date(&lead.visit_date)
            .map_err(|_| WorkflowError::Corrupt("a visit date".into()))?;
        let team = self.team_reviewers(&stored).await?;
        let request_update = update(table, &request_pk(&stored.id), "REQUEST")
            .condition_expression(
                "date_change.proposed_date = :proposed AND date_change.asked_by = :asker \
                 AND #lead.visit_date = :current",
            )
            .expression_attribute_names("#lead", "lead")
            .expression_attribute_values(":proposed", s(change.proposed_date.clone()))
            .expression_attribute_values(
                ":asker",
                serde_dynamo::to_attribute_value(change.asked_by).expect("a side serialises"),
            )
            .expression_attribute_values(":current", s(lead.visit_date.clone()));
        if !confirm {
            let kept = Email::DateChange(MailDateChange {
                to_school: change.asked_by == Side::School,
                kept: true,
                request_id: stored.id.clone(),
                reference: stored.reference.to_string(),
                school_name: stored.request.school.name.to_string(),
                asked_by: String::new(),
                current_date_text: date_text(&lead.visit_date),
                proposed_date_text: long_date(new_date),
                reason: String::new(),
                review_link: None,
            });
            let asker_email = match change.asked_by {
                Side::School => stored.request.contact.email.as_str().to_owned(),
                Side::Reviewer => team.first().map(|r| r.email.clone()).unwrap_or_default(),
            };
            let items = vec![
                request_update
                    .update_expression("REMOVE date_change")
                    .build()
                    .map(|u| TransactWriteItem::builder().update(u).build())
                    .expect("complete update"),
                timeline_put(
                    table,
                    &stored.id,
                    &TimelineEvent {
                        at,
                        kind: "date_change_declined".into(),
                        detail: Some(format!(
                            "The visit stays on {}.",
                            date_text(&lead.visit_date)
                        )),
                    },
                ),
                outbox::put(table, &asker_email, &kept, now),
            ];
            return Ok(match self.commit(items).await? {
                Transacted::Committed => DateChangeAnswer::Kept,
                Transacted::Cancelled(_) => {
                    DateChangeAnswer::NotPossible("The review changed meanwhile: try again".into())
                }
            });
        }
        if let Err(reason) = check_new_date(new_date, &team, now.date()) {
            return Ok(DateChangeAnswer::InvalidDate(reason));
        }
        let sequence = stored.visit_sequence + 1;
        let date = format_date(new_date);
        let mut set = vec!["#lead.visit_date = :new", "visit_sequence = :sequence"];
        let mut request_update = request_update
            .expression_attribute_values(":new", s(date.clone()))
            .expression_attribute_values(":sequence", n(sequence));
        if stored.second.is_some() {
            set.push("#second.visit_date = :new");
            request_update = request_update.expression_attribute_names("#second", "second");
        }
        let mut items = vec![
            request_update
                .update_expression(format!("SET {} REMOVE date_change", set.join(", ")))
                .build()
                .map(|u| TransactWriteItem::builder().update(u).build())
                .expect("complete update"),
        ];
        // Indexes of the capacity guards, to tell a full term from a changed review.
        let mut guards = Vec::new();
        let members: Vec<&TeamMember> = stored.team().collect();
        for (member, reviewer) in members.iter().zip(&team) {
            let reviewer_pk = reviewers::profile_pk(reviewer.id);
            items.push(
                TransactWriteItem::builder()
                    .delete(
                        Delete::builder()
                            .table_name(table)
                            .key("pk", s(reviewer_pk.clone()))
                            .key(
                                "sk",
                                s(format!("REVIEW#{}#{}", member.visit_date, stored.id)),
                            )
                            .build()
                            .expect("complete delete"),
                    )
                    .build(),
            );
            let moved = TeamMember {
                visit_date: date.clone(),
                ..(*member).clone()
            };
            items.push(history_put(table, &reviewer_pk, &moved, &stored));
            let (old_term, new_term) = (Term::of(old_date), Term::of(new_date));
            if old_term != new_term {
                items.push(
                    update(table, &reviewer_pk, &format!("TERM#{old_term}"))
                        .update_expression("ADD booked :minus_one")
                        .expression_attribute_values(":minus_one", n(-1))
                        .build()
                        .map(|u| TransactWriteItem::builder().update(u).build())
                        .expect("complete update"),
                );
                guards.push(items.len());
                items.push(capacity_guard(table, &reviewer_pk, new_term, reviewer));
            }
        }
        items.push(timeline_put(
            table,
            &stored.id,
            &TimelineEvent {
                at,
                kind: "visit_moved".into(),
                detail: Some(format!("The visit has moved to {}.", long_date(new_date))),
            },
        ));
        let confirmation = |to_school: bool, member: &TeamMember| {
            Email::VisitConfirmed(VisitConfirmed {
                to_school,
                request_id: stored.id.clone(),
                reference: stored.reference.to_string(),
                school_name: stored.request.school.name.to_string(),
                postcode: stored.request.school.postcode.as_str().to_owned(),
                reviewer_name: lead.reviewer_name.clone(),
                visit_date: date.clone(),
                visit_date_text: long_date(new_date),
                review_link: (!to_school).then(|| ReviewLink {
                    offer_id: member.offer_id.clone(),
                    expires_at: review_link_expiry(new_date),
                }),
                sequence,
            })
        };
        items.push(outbox::put(
            table,
            stored.request.contact.email.as_str(),
            &confirmation(true, lead),
            now,
        ));
        for (member, reviewer) in members.iter().zip(&team) {
            items.push(outbox::put(
                table,
                &reviewer.email,
                &confirmation(false, member),
                now,
            ));
        }
        Ok(match self.commit(items).await? {
            Transacted::Committed => DateChangeAnswer::Moved,
            cancelled @ Transacted::Cancelled(_)
                if !cancelled.failed_at(0) && guards.iter().any(|&i| cancelled.failed_at(i)) =>
            {
                DateChangeAnswer::AtCapacity
            }
            Transacted::Cancelled(_) => {
                DateChangeAnswer::NotPossible("The review changed meanwhile: try again".into())
            }
        })
    }

    /// The profiles of the review team, lead first.
    async fn team_reviewers(&self, stored: &StoredRequest) -> Result<Vec<Reviewer>, WorkflowError> {
        let mut team = Vec::new();
        for member in stored.team() {
            match self.reviewer(&member.reviewer_id).await? {
                Some(reviewer) => team.push(reviewer),
                None => {
                    return Err(WorkflowError::Corrupt(format!(
                        "the profile of a reviewer on {}",
                        stored.reference
                    )));
                }
            }
        }
        Ok(team)
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
        let email = Email::OfferReminder(offer_email(offer, &stored));
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
            offer_update
                .build()
                .map(|u| TransactWriteItem::builder().update(u).build())
                .expect("complete update"),
            back_to_matching(table, &offer)
                .build()
                .map(|u| TransactWriteItem::builder().update(u).build())
                .expect("complete update"),
            timeline_put(
                table,
                &offer.request_id,
                &TimelineEvent {
                    at,
                    kind: kind.into(),
                    detail: Some("We are asking another reviewer.".into()),
                },
            ),
        ];
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
        joining: joining(offer, stored),
    }
}

/// For a second reviewer's offer: the lead and the date they would join.
pub fn joining(offer: &Offer, stored: &StoredRequest) -> Option<Joining> {
    match (offer.role, &stored.lead) {
        (Role::Second, Some(lead)) => Some(Joining {
            lead_name: lead.reviewer_name.clone(),
            visit_date_text: parse_date(&lead.visit_date)
                .map(long_date)
                .unwrap_or_else(|_| lead.visit_date.clone()),
        }),
        _ => None,
    }
}

/// The request update that returns it to matching without the reviewer of `offer` (the lead's
/// place or the second's, whichever the offer was for).
fn back_to_matching(
    table: &str,
    offer: &Offer,
) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
    let builder = update(table, &request_pk(&offer.request_id), "REQUEST")
        .expression_attribute_names("#state", "state")
        .expression_attribute_values(":offer", s(offer.id.clone()))
        .expression_attribute_values(":none", AttributeValue::L(Vec::new()))
        .expression_attribute_values(
            ":reviewer",
            AttributeValue::L(vec![s(offer.reviewer_id.clone())]),
        );
    const EXCLUDE: &str =
        "excluded_reviewers = list_append(if_not_exists(excluded_reviewers, :none), :reviewer)";
    match offer.role {
        Role::Lead => builder
            .update_expression(format!(
                "SET #state = :matching, gsi1pk = :index, {EXCLUDE} REMOVE open_offer"
            ))
            .condition_expression("#state = :offered AND open_offer = :offer")
            .expression_attribute_values(":matching", s(state::MATCHING))
            .expression_attribute_values(":offered", s(state::OFFERED))
            .expression_attribute_values(":index", s(format!("REQUEST_STATE#{}", state::MATCHING))),
        Role::Second => builder
            .update_expression(format!(
                "SET second_state = :matching, {EXCLUDE} REMOVE second_offer"
            ))
            .condition_expression(
                "#state = :accepted AND second_state = :offered AND second_offer = :offer",
            )
            .expression_attribute_values(":matching", s(second_state::MATCHING))
            .expression_attribute_values(":accepted", s(state::ACCEPTED))
            .expression_attribute_values(":offered", s(second_state::OFFERED)),
    }
}

/// Books one more review in the reviewer's term; concurrent bookings cannot pass their capacity.
fn capacity_guard(
    table: &str,
    reviewer_pk: &str,
    term: Term,
    reviewer: &Reviewer,
) -> TransactWriteItem {
    update(table, reviewer_pk, &format!("TERM#{term}"))
        .update_expression("ADD booked :one")
        .condition_expression("attribute_not_exists(booked) OR booked < :capacity")
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":capacity", n(reviewer.capacity_per_term))
        .build()
        .map(|u| TransactWriteItem::builder().update(u).build())
        .expect("complete update")
}

/// A stored `YYYY-MM-DD` as people read it.
fn date_text(date: &str) -> String {
    parse_date(date)
        .map(long_date)
        .unwrap_or_else(|_| date.to_owned())
}

/// The review link of a team member (their accepted offer).
pub fn review_link_for(member: &TeamMember) -> ReviewLink {
    ReviewLink {
        offer_id: member.offer_id.clone(),
        expires_at: parse_date(&member.visit_date)
            .map(review_link_expiry)
            .unwrap_or_default(),
    }
}

/// A date a booked visit can move to: a school day, after today, within a year, and not one the
/// reviewers said they are unavailable.
pub fn check_new_date(date: Date, team: &[Reviewer], today: Date) -> Result<(), String> {
    if matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday) {
        return Err("Choose a school day: Monday to Friday".into());
    }
    if date <= today {
        return Err("Choose a date after today".into());
    }
    if date > today + Duration::days(366) {
        return Err("Choose a date within the next 12 months".into());
    }
    if team
        .iter()
        .any(|r| r.unavailable.iter().any(|range| range.contains(date)))
    {
        return Err("A reviewer is unavailable that day: choose another date".into());
    }
    Ok(())
}

/// The reviewer's history item for a booked visit (the recent-review rule reads it).
fn history_put(
    table: &str,
    reviewer_pk: &str,
    member: &TeamMember,
    stored: &StoredRequest,
) -> TransactWriteItem {
    let date = &member.visit_date;
    intake::put(
        table,
        HashMap::from([
            ("pk".into(), s(reviewer_pk)),
            ("sk".into(), s(format!("REVIEW#{date}#{}", stored.id))),
            ("reviewer_id".into(), s(member.reviewer_id.clone())),
            ("school_urn".into(), s(stored.request.school.urn.as_str())),
            ("visit_date".into(), s(date.clone())),
            ("request_id".into(), s(stored.id.clone())),
            ("gsi1pk".into(), s(HISTORY_INDEX_KEY)),
            ("gsi1sk".into(), s(format!("{date}#{}", stored.id))),
        ]),
        false,
    )
}

/// Moves the search for a second reviewer on, from the state the matcher read it in.
fn set_second_state(
    table: &str,
    request_id: &str,
    new_state: &str,
    offer_id: Option<&str>,
) -> TransactWriteItem {
    let mut builder = update(table, &request_pk(request_id), "REQUEST")
        .condition_expression("#state = :accepted AND second_state = :matching")
        .expression_attribute_names("#state", "state")
        .expression_attribute_values(":accepted", s(state::ACCEPTED))
        .expression_attribute_values(":matching", s(second_state::MATCHING))
        .expression_attribute_values(":second", s(new_state));
    builder = match offer_id {
        Some(offer_id) => builder
            .update_expression("SET second_state = :second, second_offer = :offer")
            .expression_attribute_values(":offer", s(offer_id)),
        None => builder.update_expression("SET second_state = :second"),
    };
    TransactWriteItem::builder()
        .update(builder.build().expect("complete update"))
        .build()
}

/// How long a reviewer's review link works: the visit, the report, and its factual check.
pub const REVIEW_LINK_DAYS_AFTER_VISIT: i64 = 180;

/// When a review link for a visit on `visit_date` expires, epoch seconds.
pub fn review_link_expiry(visit_date: Date) -> i64 {
    (visit_date + Duration::days(REVIEW_LINK_DAYS_AFTER_VISIT))
        .midnight()
        .assume_utc()
        .unix_timestamp()
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
    fn a_visit_moves_only_to_a_school_day_after_today_within_a_year_when_the_team_is_free() {
        let today = date!(2026 - 11 - 23);
        assert_eq!(check_new_date(date!(2026 - 12 - 02), &[], today), Ok(()));
        assert!(
            check_new_date(date!(2026 - 12 - 05), &[], today)
                .unwrap_err()
                .contains("Monday to Friday")
        );
        assert!(
            check_new_date(today, &[], today)
                .unwrap_err()
                .contains("after today")
        );
        assert!(
            check_new_date(date!(2027 - 12 - 01), &[], today)
                .unwrap_err()
                .contains("12 months")
        );
        let csv = "name,email,home_school_urn,trust,local_authority,regions,phases,school_types,specialisms,may_lead,trained_on,dbs_checked_on,capacity_per_term,unavailable,conflicts,active\n\
                   Ada,ada@example.org,100000,,202,london,primary,mainstream,,yes,2024-01-01,2025-01-01,2,2026-12-01..2026-12-04,,yes\n";
        let away = crate::reviewers::parse_csv(csv)
            .expect("a valid row")
            .remove(0)
            .reviewer;
        assert!(
            check_new_date(date!(2026 - 12 - 02), std::slice::from_ref(&away), today)
                .unwrap_err()
                .contains("unavailable")
        );
        assert_eq!(
            check_new_date(date!(2026 - 12 - 07), &[away], today),
            Ok(())
        );
    }

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
