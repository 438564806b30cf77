//! Delivering outbox items.
//!
//! Delivery is exactly-once in all but one window. The sender first claims the outbox item
//! with a conditional write (a lease), then sends through SES, then records the SES message
//! id. A stream record delivered twice, or to two invocations at once, finds the item already
//! leased or sent and sends nothing. A crash before sending leaves a lease that expires; the
//! scheduled function re-drives the item after that. The one window left: a crash between
//! SES accepting the message and the record being written. The lease then expires and the
//! email is sent a second time. SES offers no idempotency key to close it.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use records::aws::AwsClients;
use records::branding::BrandingSource;
use records::links::{LazyLinkSecret, reviewer_details_link};
use records::outbox::{self, Attachment, OutboxKey, Programme, state};
use records::store::{StoreError, Table, dynamo_error, get_s, is_conditional_check_failed, n, s};
use records::{ConfigError, Env};

use crate::Email;

/// What happened to one outbox item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent {
        message_id: String,
    },
    /// Another delivery of the same item already sent it.
    AlreadySent,
    /// Another invocation holds a live lease on it; it sends, or the re-drive does later.
    LeasedElsewhere,
    /// No such outbox item (deleted, or never written).
    Missing,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("SES refused the message: {0}")]
    Ses(String),
    #[error("outbox item {0} is corrupt: {1}")]
    Corrupt(String, String),
    #[error("rendering failed: {0}")]
    Render(String),
}

/// Delivers outbox items. One per cold start.
#[derive(Debug)]
pub struct MailSender {
    table: Table,
    ses: aws_sdk_ses::Client,
    sender_address: String,
    /// SES configuration set every email is sent with, so bounces and complaints come back.
    configuration_set: String,
    branding: BrandingSource,
    site_url: String,
    links: LazyLinkSecret,
    /// Where final reports are stored (their PDF goes with the email that delivers them).
    s3: aws_sdk_s3::Client,
    evidence_bucket: String,
    lease: Duration,
}

impl MailSender {
    pub async fn from_env(env: &Env, aws: &AwsClients) -> Result<Self, ConfigError> {
        let table = Table::from_env(env, aws)?;
        Ok(Self {
            branding: BrandingSource::from_env(env, table.clone())?,
            table,
            ses: aws.ses.clone(),
            sender_address: env.required("SENDER_ADDRESS")?,
            configuration_set: env.required("MAIL_CONFIGURATION_SET")?,
            site_url: env.required("SITE_URL")?.trim_end_matches('/').to_owned(),
            links: LazyLinkSecret::from_env(env, aws)?,
            s3: aws.s3.clone(),
            evidence_bucket: env.required("EVIDENCE_BUCKET")?,
            // Longer than the function's timeout, so a live sender never loses its lease.
            lease: Duration::seconds(60),
        })
    }

    /// The final report's PDF, as stored when it was finalised, to attach.
    async fn report_pdf(&self, key: &str) -> Result<Attachment, MailError> {
        let unreadable = |e: &dyn std::fmt::Display| {
            MailError::Render(format!("the report's PDF could not be read: {e}"))
        };
        let object = self
            .s3
            .get_object()
            .bucket(&self.evidence_bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| unreadable(&aws_sdk_s3::error::DisplayErrorContext(&e)))?;
        let content = object
            .body
            .collect()
            .await
            .map_err(|e| unreadable(&e))?
            .into_bytes()
            .to_vec();
        Ok(Attachment {
            filename: "review-report.pdf".into(),
            content_type: "application/pdf".into(),
            content,
        })
    }

    /// Delivers outbox item `key` unless it is sent or being sent.
    pub async fn deliver(
        &self,
        key: &OutboxKey,
        now: OffsetDateTime,
    ) -> Result<Delivery, MailError> {
        let outbox_id = key.id();
        let lease_owner = ulid::Ulid::new().to_string();
        let Some(item) = self.claim(key, &lease_owner, now).await? else {
            return self.why_not_claimed(key).await;
        };
        let to = get_s(&item, "to")
            .ok_or_else(|| MailError::Corrupt(outbox_id.into(), "no recipient".into()))?;
        let email: Email = serde_json::from_str(get_s(&item, "email").unwrap_or_default())
            .map_err(|e| MailError::Corrupt(outbox_id.into(), e.to_string()))?;

        let sent = match self.build_mime(key, to, &email).await {
            Ok((mime, subject)) => self.send_raw(mime).await.map(|id| (id, subject)),
            Err(e) => Err(e),
        };
        match sent {
            Ok((message_id, subject)) => {
                self.record_sent(key, &message_id, &subject, now).await?;
                Ok(Delivery::Sent { message_id })
            }
            Err(error) => {
                // Nothing went out: give the item back so the next attempt can claim it at once.
                self.release(key, &lease_owner).await?;
                Err(error)
            }
        }
    }

    /// Re-drives unsent items created more than `older_than` ago: those whose stream delivery
    /// failed for good, or whose sender crashed holding a lease that has since expired. Always
    /// by the real clock, whatever time a caller's rules act as of: leases are real time, and a
    /// clock moved ahead (a test's) would take over a live lease and send an email twice.
    pub async fn redrive_stalled(
        &self,
        older_than: Duration,
    ) -> Result<Vec<(String, Result<Delivery, MailError>)>, MailError> {
        let now = OffsetDateTime::now_utc();
        let cutoff = (now - older_than).format(&Rfc3339).unwrap_or_default();
        let mut results = Vec::new();
        let mut start_key = None;
        loop {
            let page = self
                .table
                .client
                .query()
                .table_name(&self.table.name)
                .index_name(records::store::GSI1)
                .key_condition_expression("gsi1pk = :pending AND gsi1sk < :cutoff")
                .expression_attribute_values(":pending", s(outbox::PENDING_INDEX_KEY))
                .expression_attribute_values(":cutoff", s(cutoff.clone()))
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(|e| dynamo_error("Query", e))?;
            for item in page.items() {
                let key = get_s(item, "pk")
                    .zip(get_s(item, "sk"))
                    .and_then(|(pk, sk)| OutboxKey::from_keys(pk, sk));
                if let Some(key) = key {
                    results.push((key.id().to_owned(), self.deliver(&key, now).await));
                }
            }
            start_key = page.last_evaluated_key().cloned();
            if start_key.is_none() {
                return Ok(results);
            }
        }
    }

    /// An update of outbox item `key`.
    fn update(
        &self,
        key: &OutboxKey,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.table
            .client
            .update_item()
            .table_name(&self.table.name)
            .key("pk", s(&key.pk))
            .key("sk", s(&key.sk))
    }

    async fn claim(
        &self,
        key: &OutboxKey,
        lease_owner: &str,
        now: OffsetDateTime,
    ) -> Result<Option<std::collections::HashMap<String, AttributeValue>>, MailError> {
        let result = self
            .update(key)
            .update_expression(
                "SET #state = :sending, lease_until = :until, lease_owner = :owner \
                 ADD attempts :one",
            )
            .condition_expression(
                "attribute_exists(pk) AND (#state = :pending OR \
                 (#state = :sending AND lease_until < :now))",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":sending", s(state::SENDING))
            .expression_attribute_values(":pending", s(state::PENDING))
            .expression_attribute_values(":until", n((now + self.lease).unix_timestamp()))
            .expression_attribute_values(":now", n(now.unix_timestamp()))
            .expression_attribute_values(":owner", s(lease_owner))
            .expression_attribute_values(":one", n(1))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => Ok(output.attributes),
            Err(err) if is_conditional_check_failed(&err) => Ok(None),
            Err(err) => Err(dynamo_error("UpdateItem", err).into()),
        }
    }

    async fn why_not_claimed(&self, key: &OutboxKey) -> Result<Delivery, MailError> {
        let item = self.table.get(key.pk.clone(), &key.sk).await?;
        Ok(match item.as_ref().and_then(|item| get_s(item, "state")) {
            None => Delivery::Missing,
            Some(state::SENT) => Delivery::AlreadySent,
            Some(_) => Delivery::LeasedElsewhere,
        })
    }

    /// The message to send, and its subject. An email about a request links to its status
    /// page at the link's version now (renewed since the email was queued: the new link).
    async fn build_mime(
        &self,
        key: &OutboxKey,
        to: &str,
        email: &Email,
    ) -> Result<(Vec<u8>, String), MailError> {
        let branding = self.branding.current().await;
        let programme = Programme {
            name: branding.name,
            contact_email: branding.contact_email,
            sender_address: self.sender_address.clone(),
            site_url: self.site_url.clone(),
        };
        let links =
            self.links.get().await.map_err(|e| {
                MailError::Render(format!("the link secret could not be read: {e}"))
            })?;
        let status_version = match key.request_id() {
            Some(request_id) => {
                records::request::status_link_version(&self.table, request_id).await?
            }
            None => 0,
        };
        let mut rendered = email
            .render(&programme, &links.for_email(status_version))
            .map_err(|e| MailError::Render(e.to_string()))?;
        // Every email to a reviewer in the pool ends with the link to their own details (the
        // emails about their details carry it already).
        let about_details = [
            <coordination::ReviewerDetailsLink as outbox::OutboxEmail>::KIND,
            <coordination::CheckRunningOut as outbox::OutboxEmail>::KIND,
        ];
        if !about_details.contains(&email.kind())
            && let Some(id) = records::reviewers::id_by_email(&self.table, to).await?
        {
            let now = OffsetDateTime::now_utc().unix_timestamp();
            let link = reviewer_details_link(&programme.site_url, links, &id.to_string(), now);
            add_details_footer(&mut rendered, &link);
        }
        // The final report's PDF goes with its delivery and with each share of it.
        if let Some(pdf_key) = email.report_pdf_key() {
            rendered.attachments.push(self.report_pdf(pdf_key).await?);
        }
        let subject = rendered.subject.clone();
        crate::mime::message(&programme.name, &self.sender_address, to, rendered)
            .map(|mime| (mime, subject))
    }

    async fn send_raw(&self, mime: Vec<u8>) -> Result<String, MailError> {
        let raw = aws_sdk_ses::types::RawMessage::builder()
            .data(aws_sdk_ses::primitives::Blob::new(mime))
            .build()
            .map_err(|e| MailError::Render(e.to_string()))?;
        let send = self
            .ses
            .send_raw_email()
            .raw_message(raw)
            .configuration_set_name(&self.configuration_set);
        match send.send().await {
            Ok(output) => Ok(output.message_id),
            Err(err) => Err(MailError::Ses(
                aws_sdk_ses::error::ProvideErrorMetadata::code(&err)
                    .unwrap_or("unknown")
                    .to_owned(),
            )),
        }
    }

    async fn record_sent(
        &self,
        key: &OutboxKey,
        message_id: &str,
        subject: &str,
        now: OffsetDateTime,
    ) -> Result<(), MailError> {
        // An email about a request is kept with it (its page lists it) until the request is
        // purged; any other is kept 30 days for support questions ("did the email go?"), then
        // removed by TTL.
        let expires = key
            .request_id()
            .is_none()
            .then(|| n((now + Duration::days(30)).unix_timestamp()));
        let mut update = self
            .update(key)
            .update_expression(if expires.is_some() {
                "SET #state = :sent, ses_message_id = :mid, sent_at = :at, subject = :subject, \
                 expires_at = :exp REMOVE gsi1pk, gsi1sk, lease_until, lease_owner"
            } else {
                "SET #state = :sent, ses_message_id = :mid, sent_at = :at, subject = :subject \
                 REMOVE gsi1pk, gsi1sk, lease_until, lease_owner"
            })
            // A request purged while its email was being sent stays purged.
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":sent", s(state::SENT))
            .expression_attribute_values(":mid", s(message_id))
            .expression_attribute_values(":at", s(now.format(&Rfc3339).unwrap_or_default()))
            .expression_attribute_values(":subject", s(subject));
        if let Some(expires) = expires {
            update = update.expression_attribute_values(":exp", expires);
        }
        match update.send().await {
            Ok(_) => Ok(()),
            Err(err) if is_conditional_check_failed(&err) => Ok(()),
            Err(err) => Err(dynamo_error("UpdateItem", err).into()),
        }
    }

    async fn release(&self, key: &OutboxKey, lease_owner: &str) -> Result<(), MailError> {
        let result = self
            .update(key)
            .update_expression("SET #state = :pending REMOVE lease_until, lease_owner")
            .condition_expression("lease_owner = :owner")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":pending", s(state::PENDING))
            .expression_attribute_values(":owner", s(lease_owner))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Someone else took the lease over already: nothing of ours to give back.
            Err(err) if is_conditional_check_failed(&err) => Ok(()),
            Err(err) => Err(dynamo_error("UpdateItem", err).into()),
        }
    }
}

/// The closing paragraph of a reviewer's email: where they keep their own details.
fn add_details_footer(rendered: &mut records::outbox::RenderedEmail, link: &str) {
    const INVITATION: &str = "Your reviewer details (reviews per term, dates you are away, regions, schools you must not review)";
    rendered.text.push_str(&format!("\n{INVITATION}: {link}\n"));
    let paragraph = format!("<p>{INVITATION}: <a href=\"{link}\">keep them up to date</a>.</p>");
    match rendered.html.rfind("</body>") {
        Some(at) => rendered.html.insert_str(at, &paragraph),
        None => rendered.html.push_str(&paragraph),
    }
}
