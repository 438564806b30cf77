//! Taking a school's request in: one `TransactWriteItems` stores the request (waiting for its
//! contact to confirm it: `records::confirmation`), its reference, its status link's hash, its
//! first timeline event, the idempotency record, the confirmation email's outbox item, the
//! per-address rate-limit counter and its retention marker (purged in 7 days unless
//! confirmed), or none of them.
//!
//! Exactly once: the idempotency record (keyed by the form's one-time submission token, or the
//! API's `Idempotency-Key`) is written only if absent. A retry, a double click or a concurrent
//! twin finds it, and gets the first submission's answer back.

use std::collections::HashMap;
use std::time::Duration as StdDuration;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use records::domain::request::{Reference, ReviewRequest};
use records::lifecycle::RequestState;
use records::links::{LazyLinkSecret, LinkSecret, status_link};
use records::rate_limit::{counter, hour_of};
use records::request::{
    StoredRequest, TimelineEvent, put, request_pk, status_link_put, timeline_put,
};
use records::retention::{self, PurgeRule};
use records::store::{Table, Transacted, get_s, n, s};
use records::{ConfigError, Env, outbox};

/// Whose retry is whose: the form's submission token or an API client's key, kept apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyKey {
    Form(String),
    Api(String),
    /// A follow-up visit of the request with this id: one per request, however often asked.
    FollowUp(String),
}

impl IdempotencyKey {
    fn storage_key(&self) -> String {
        let scoped = match self {
            IdempotencyKey::Form(token) => format!("form:{token}"),
            IdempotencyKey::Api(key) => format!("api:{key}"),
            IdempotencyKey::FollowUp(request_id) => format!("follow-up:{request_id}"),
        };
        hex::encode(Sha256::digest(scoped.as_bytes()))
    }
}

/// Submissions (per address) and confirmed requests (per school) allowed before further ones
/// are refused with 429.
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    pub per_ip_per_hour: u32,
    pub per_school_per_day: u32,
}

impl RateLimits {
    pub fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            per_ip_per_hour: env.parsed("SUBMISSIONS_PER_IP_PER_HOUR")?,
            per_school_per_day: env.parsed("SUBMISSIONS_PER_SCHOOL_PER_DAY")?,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    pub request_id: String,
    pub reference: Reference,
    /// This was a repeat of an earlier submission: nothing new was stored.
    pub replayed: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SubmitError {
    #[error("too many requests from this address")]
    TooManyFromAddress,
    #[error("the idempotency key was already used for a different request")]
    KeyReused,
    #[error("storage failed: {0}")]
    Store(String),
}

/// Sent to the school's contact when its request is received.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RequestConfirmation {
    pub request_id: String,
    pub reference: String,
    pub contact_name: String,
    pub school_name: String,
    pub review_type: String,
    pub focus_areas: Vec<String>,
    pub visit_windows: Vec<String>,
    /// Confirmed already (a follow-up the school asked for behind its status link; an email
    /// queued before requests waited for confirmation); else the email asks the contact to
    /// confirm it.
    #[serde(default = "queued_before_confirmation")]
    pub confirmed: bool,
}

fn queued_before_confirmation() -> bool {
    true
}

crate::emails::outbox_email!(
    RequestConfirmation,
    kind: "request_confirmation",
    templates: "email/request_confirmation.html", "email/request_confirmation.txt",
    link: |email, site, links| status_link(site, links, &email.request_id, ""),
    subject: |email, programme| format!(
        "{}: we have your request {}",
        programme.name, email.reference
    ),
);

pub struct Intake {
    table: Table,
    links: LazyLinkSecret,
    limits: RateLimits,
}

const IDEMPOTENCY_TTL: Duration = Duration::days(7);

// Positions in the transaction, to read its cancellation reasons.
const AT_REFERENCE: usize = 1;
const AT_IDEMPOTENCY: usize = 4;
const AT_IP_LIMIT: usize = 6;

impl Intake {
    pub fn new(table: Table, links: LinkSecret, limits: RateLimits) -> Self {
        Self {
            table,
            links: LazyLinkSecret::ready(links),
            limits,
        }
    }

    /// The limits it was made with (confirming counts against the per-school one).
    pub fn limits(&self) -> RateLimits {
        self.limits
    }

    pub async fn from_env(env: &Env, aws: &records::aws::AwsClients) -> Result<Self, ConfigError> {
        Ok(Self {
            table: Table::from_env(env, aws)?,
            links: LazyLinkSecret::from_env(env, aws)?,
            limits: RateLimits::from_env(env)?,
        })
    }

    /// The school's status link token for request `request_id` at its link's `version` (to
    /// link related requests).
    pub async fn status_token(
        &self,
        request_id: &str,
        version: u32,
    ) -> Result<String, ConfigError> {
        Ok(self.links.get().await?.status_token(request_id, version))
    }

    pub async fn submit(
        &self,
        request: &ReviewRequest,
        key: &IdempotencyKey,
        source_ip: &str,
        now: OffsetDateTime,
    ) -> Result<Submitted, SubmitError> {
        self.submit_with(request, None, key, source_ip, now, |_, _| Vec::new())
            .await
    }

    /// [`Intake::submit`] of a request that follows up another (stored with it, confirmed
    /// already, kept for the programme's retention months given with it), with `also`'s
    /// items (given the new request's id and reference) in the same transaction: they come
    /// after the intake's own items, so a failed condition among them cancels it all.
    pub async fn submit_with(
        &self,
        request: &ReviewRequest,
        follow_up_of: Option<(&records::request::FollowUpOf, u16)>,
        key: &IdempotencyKey,
        source_ip: &str,
        now: OffsetDateTime,
        also: impl Fn(&str, &Reference) -> Vec<TransactWriteItem>,
    ) -> Result<Submitted, SubmitError> {
        let fingerprint = fingerprint(request);
        let idempotency_pk = format!("IDEMPOTENCY#{}", key.storage_key());
        let request_id = ulid::Ulid::new().to_string();
        let links = (self.links.get().await).map_err(|e| SubmitError::Store(e.to_string()))?;
        let status_token = links.status_token(&request_id, 0);
        let ip_key = links.rate_limit_key(source_ip, now.date());
        let mut reference = Reference::generate(&mut rand::rng());
        let purge = match follow_up_of {
            Some((_, retention_months)) => PurgeRule::LastActivity {
                on: now.date(),
                retention_months,
            },
            None => PurgeRule::Unconfirmed {
                stored_on: now.date(),
            },
        };
        for attempt in 0..6u32 {
            let mut items = self.transaction_items(
                request,
                &request_id,
                &status_token,
                &reference,
                &idempotency_pk,
                &fingerprint,
                &ip_key,
                purge,
                now,
            );
            if let Some((original, _)) = follow_up_of {
                add_follow_up_of(&mut items[0], original);
            }
            items.extend(also(&request_id, &reference));
            let outcome = self.table.transact(items).await.map_err(|err| {
                SubmitError::Store(err.code().unwrap_or("unreachable").to_owned())
            })?;
            let Transacted::Cancelled(reasons) = &outcome else {
                return Ok(Submitted {
                    request_id,
                    reference,
                    replayed: false,
                });
            };
            let failed = |at: usize| outcome.failed_at(at);
            if failed(AT_IDEMPOTENCY) {
                return self.replay(&idempotency_pk, &fingerprint).await;
            }
            if failed(AT_IP_LIMIT) {
                return Err(SubmitError::TooManyFromAddress);
            }
            if failed(AT_REFERENCE) {
                reference = Reference::generate(&mut rand::rng());
                continue;
            }
            if reasons.iter().any(|code| code == "TransactionConflict") {
                // A concurrent twin holds the same keys: wait for it, then find its record.
                tokio::time::sleep(StdDuration::from_millis(20 * u64::from(attempt + 1))).await;
                continue;
            }
            return Err(SubmitError::Store(format!(
                "transaction cancelled: {reasons:?}"
            )));
        }
        Err(SubmitError::Store(
            "the transaction kept conflicting".into(),
        ))
    }

    async fn replay(
        &self,
        idempotency_pk: &str,
        fingerprint: &str,
    ) -> Result<Submitted, SubmitError> {
        let item = self
            .table
            .client
            .get_item()
            .table_name(&self.table.name)
            .key("pk", s(idempotency_pk))
            .key("sk", s("IDEMPOTENCY"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| SubmitError::Store(e.code().unwrap_or("unreachable").to_owned()))?
            .item
            .ok_or_else(|| SubmitError::Store("the idempotency record vanished".into()))?;
        if get_s(&item, "fingerprint") != Some(fingerprint) {
            return Err(SubmitError::KeyReused);
        }
        let reference = get_s(&item, "reference")
            .and_then(|r| r.parse().ok())
            .ok_or_else(|| SubmitError::Store("the idempotency record has no reference".into()))?;
        Ok(Submitted {
            request_id: get_s(&item, "request_id").unwrap_or_default().to_owned(),
            reference,
            replayed: true,
        })
    }

    /// The transaction a first submission writes: what the benchmark times bare, as the floor.
    pub async fn transaction(
        &self,
        request: &ReviewRequest,
        key: &IdempotencyKey,
        source_ip: &str,
        now: OffsetDateTime,
    ) -> Result<Vec<TransactWriteItem>, ConfigError> {
        let request_id = ulid::Ulid::new().to_string();
        let links = self.links.get().await?;
        Ok(self.transaction_items(
            request,
            &request_id,
            &links.status_token(&request_id, 0),
            &Reference::generate(&mut rand::rng()),
            &format!("IDEMPOTENCY#{}", key.storage_key()),
            &fingerprint(request),
            &links.rate_limit_key(source_ip, now.date()),
            PurgeRule::Unconfirmed {
                stored_on: now.date(),
            },
            now,
        ))
    }

    #[allow(clippy::too_many_arguments)]
    fn transaction_items(
        &self,
        request: &ReviewRequest,
        request_id: &str,
        status_token: &str,
        reference: &Reference,
        idempotency_pk: &str,
        fingerprint: &str,
        ip_key: &str,
        purge: PurgeRule,
        now: OffsetDateTime,
    ) -> Vec<TransactWriteItem> {
        let table = self.table.name.as_str();
        let created = now.format(&Rfc3339).unwrap_or_default();
        let mut stored = StoredRequest::submitted(
            request_id.to_owned(),
            reference.clone(),
            request.clone(),
            created.clone(),
        );
        // Only a request stored unconfirmed waits for its contact (a follow-up is asked for
        // behind the status link).
        if !matches!(purge, PurgeRule::Unconfirmed { .. }) {
            stored.state = RequestState::Submitted;
        }
        let purge_after = purge.date();
        let mut request_item: HashMap<String, AttributeValue> =
            serde_dynamo::to_item(&stored).expect("a request serialises to an item");
        request_item.insert("pk".into(), s(request_pk(request_id)));
        request_item.insert("sk".into(), s("REQUEST"));
        request_item.insert(
            "gsi1pk".into(),
            s(records::keys::state_index_key(stored.state.as_str())),
        );
        request_item.extend(retention::request_attributes(purge_after));
        request_item.insert("gsi1sk".into(), s(format!("{created}#{request_id}")));

        let event = TimelineEvent::new(created.clone(), "submitted", None);

        let email = RequestConfirmation {
            request_id: request_id.to_owned(),
            reference: reference.to_string(),
            contact_name: request.contact.name.to_string(),
            school_name: request.school.name.to_string(),
            review_type: request.review_type.label().to_owned(),
            focus_areas: request.areas().into_iter().map(|a| a.title).collect(),
            visit_windows: request
                .visit_windows
                .iter()
                .map(ToString::to_string)
                .collect(),
            confirmed: stored.state != RequestState::PendingConfirmation,
        };

        // `ip_key` is keyed: the counters must not store who submitted (an IP is personal data).
        let hour = hour_of(now);
        vec![
            put(table, request_item, true),
            put(
                table,
                HashMap::from([
                    (
                        "pk".into(),
                        s(records::keys::reference_pk(reference.as_str())),
                    ),
                    ("sk".into(), s("REFERENCE")),
                    ("request_id".into(), s(request_id)),
                ]),
                true,
            ),
            status_link_put(table, request_id, status_token, 0),
            timeline_put(table, request_id, &event),
            put(
                table,
                HashMap::from([
                    ("pk".into(), s(idempotency_pk)),
                    ("sk".into(), s("IDEMPOTENCY")),
                    ("request_id".into(), s(request_id)),
                    ("reference".into(), s(reference.to_string())),
                    ("fingerprint".into(), s(fingerprint)),
                    (
                        "expires_at".into(),
                        n((now + IDEMPOTENCY_TTL).unix_timestamp()),
                    ),
                ]),
                true,
            ),
            outbox::put(
                table,
                Some(request_id),
                request.contact.email.as_str(),
                &email,
                now,
            ),
            counter(
                table,
                format!("RATE#ip#{ip_key}#{}", hour.unix_timestamp()),
                self.limits.per_ip_per_hour,
                hour + Duration::hours(2),
            ),
            retention::marker(table, request_id, purge_after),
        ]
    }
}

/// Records on the request item (a put) the review it follows up.
fn add_follow_up_of(request_put: &mut TransactWriteItem, original: &records::request::FollowUpOf) {
    let Some(put) = request_put.put.as_mut() else {
        return;
    };
    let value = serde_dynamo::to_attribute_value(original).expect("a follow-up serialises");
    put.item.insert("follow_up_of".into(), value);
}

/// Same request, same fingerprint: serde writes the fields in declaration order.
pub fn fingerprint(request: &ReviewRequest) -> String {
    hex::encode(Sha256::digest(
        serde_json::to_vec(request).expect("a request serialises"),
    ))
}
