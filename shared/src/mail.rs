//! Emails: what each one says (askama templates, HTML-escaped), and their delivery.
//!
//! Delivery is exactly-once in all but one window. The sender first claims the outbox item
//! with a conditional write (a lease), then sends through SES, then records the SES message
//! id. A stream record delivered twice, or to two invocations at once, finds the item already
//! leased or sent and sends nothing. A crash before sending leaves a lease that expires; the
//! scheduled function re-drives the item after that. The one window left: a crash between
//! SES accepting the message and the record being written. The lease then expires and the
//! email is sent a second time. SES offers no idempotency key to close it.

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart};
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::branding::BrandingSource;
use crate::links::{LazyLinkSecret, LinkSecret};
use crate::outbox::{self, state};
use crate::store::{Table, get_s, n, s};
use crate::{ConfigError, Env, aws::AwsClients};

/// Every email the system sends, with the data its template needs. Stored as JSON in the
/// outbox item and rendered at delivery.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Email {
    RequestConfirmation(RequestConfirmation),
    ReviewerOffer(ReviewerOffer),
    OfferReminder(ReviewerOffer),
    NeedsAttention(NeedsAttention),
    VisitConfirmed(VisitConfirmed),
    DateChange(DateChange),
    AddressUndeliverable(crate::deliverability::AddressUndeliverable),
    SelfEvaluationReminder(SelfEvaluationNotice),
    SelfEvaluationSubmitted(SelfEvaluationNotice),
    ActionPlanReminder(crate::after_report::action_plan::ActionPlanReminder),
    ReportToCheck(crate::report::ReportToCheck),
    ReportFinal(crate::report::ReportFinal),
    ReportLate(crate::report::reminders::ReportLate),
    FactualCheckWaiting(crate::report::reminders::FactualCheckWaiting),
    FactualCheckAnswered(crate::factual_check::FactualCheckAnswered),
    ReportShared(crate::after_report::sharing::ReportShared),
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

/// One side asked to move the visit (the other confirms through its link), or the other side
/// kept the booked date.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DateChange {
    pub to_school: bool,
    /// The other side kept the date (sent to whoever asked); otherwise a new ask.
    pub kept: bool,
    pub request_id: String,
    pub reference: String,
    pub school_name: String,
    /// The school's name or the lead reviewer's: whoever asked.
    pub asked_by: String,
    pub current_date_text: String,
    pub proposed_date_text: String,
    pub reason: String,
    /// For the lead reviewer: their review page, where they answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_link: Option<ReviewLink>,
}

/// Asks a reviewer to take on a review: what the school is and wants, and a private link to
/// a page where they accept (choosing the date) or decline.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReviewerOffer {
    pub offer_id: String,
    /// When the offer (and so its link) expires, epoch seconds.
    pub expires_at: i64,
    pub respond_by: String,
    pub reviewer_name: String,
    pub reference: String,
    pub school_name: String,
    pub phase: String,
    pub school_type: String,
    pub local_authority: String,
    pub review_type: String,
    pub focus_areas: Vec<String>,
    pub visit_windows: Vec<String>,
    pub learning_goal: String,
    /// Set when the offer is the second place on a review team whose lead and date are fixed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joining: Option<Joining>,
}

/// The booked visit a second reviewer is asked to join.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Joining {
    pub lead_name: String,
    pub visit_date_text: String,
}

/// Tells the administrator nobody could be matched, and why each near miss was ruled out
/// (counts by reason: no other school's details).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct NeedsAttention {
    pub reference: String,
    pub school_name: String,
    pub local_authority: String,
    pub reasons: Vec<String>,
    /// The lead is booked; it is the second reviewer of the team nobody can be found for.
    #[serde(default)]
    pub second_reviewer: bool,
}

/// The visit is booked: to the school and to the reviewer, each with a calendar file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VisitConfirmed {
    pub to_school: bool,
    pub request_id: String,
    pub reference: String,
    pub school_name: String,
    pub postcode: String,
    pub reviewer_name: String,
    /// `YYYY-MM-DD`.
    pub visit_date: String,
    pub visit_date_text: String,
    /// For a reviewer: their page for the review (signed for their accepted offer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_link: Option<ReviewLink>,
    /// 0 when first booked; one more each time the visit moves (the calendar's SEQUENCE).
    #[serde(default)]
    pub sequence: u32,
}

/// What a reviewer's review link is signed for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReviewLink {
    pub offer_id: String,
    /// Epoch seconds.
    pub expires_at: i64,
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
}

/// The programme's white-label identity, as emails show it.
#[derive(Debug, Clone)]
pub struct Programme {
    pub name: String,
    pub contact_email: String,
    /// The site's base URL, without a trailing slash.
    pub site_url: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// Each email kind has an HTML and a text template over the same three fields (`link` may be
/// empty); `$html::mail` renders both under a subject.
macro_rules! email_templates {
    ($html:ident, $text:ident, $data:ty, $html_path:literal, $text_path:literal) => {
        #[derive(askama::Template)]
        #[template(path = $html_path)]
        struct $html<'a> {
            programme: &'a Programme,
            email: &'a $data,
            #[allow(dead_code)] // not every email has a link
            link: &'a str,
        }

        #[derive(askama::Template)]
        #[template(path = $text_path)]
        struct $text<'a> {
            programme: &'a Programme,
            email: &'a $data,
            #[allow(dead_code)] // not every email has a link
            link: &'a str,
        }

        impl<'a> $html<'a> {
            /// The email with this subject, both templates rendered over the same fields.
            fn mail(
                programme: &'a Programme,
                email: &'a $data,
                link: &'a str,
                subject: String,
            ) -> Result<$crate::mail::RenderedEmail, askama::Error> {
                Ok($crate::mail::RenderedEmail {
                    subject,
                    html: askama::Template::render(&$html {
                        programme,
                        email,
                        link,
                    })?,
                    text: askama::Template::render(&$text {
                        programme,
                        email,
                        link,
                    })?,
                    attachments: Vec::new(),
                })
            }
        }
    };
}
pub(crate) use email_templates;

email_templates!(
    RequestConfirmationHtml,
    RequestConfirmationText,
    RequestConfirmation,
    "email/request_confirmation.html",
    "email/request_confirmation.txt"
);
email_templates!(
    ReviewerOfferHtml,
    ReviewerOfferText,
    ReviewerOffer,
    "email/offer.html",
    "email/offer.txt"
);
email_templates!(
    ReminderHtml,
    ReminderText,
    ReviewerOffer,
    "email/offer_reminder.html",
    "email/offer_reminder.txt"
);
email_templates!(
    NeedsAttentionHtml,
    NeedsAttentionText,
    NeedsAttention,
    "email/needs_attention.html",
    "email/needs_attention.txt"
);
email_templates!(
    SelfEvaluationReminderHtml,
    SelfEvaluationReminderText,
    SelfEvaluationNotice,
    "email/self_evaluation_reminder.html",
    "email/self_evaluation_reminder.txt"
);
email_templates!(
    SelfEvaluationSubmittedHtml,
    SelfEvaluationSubmittedText,
    SelfEvaluationNotice,
    "email/self_evaluation_submitted.html",
    "email/self_evaluation_submitted.txt"
);
email_templates!(
    DateChangeHtml,
    DateChangeText,
    DateChange,
    "email/date_change.html",
    "email/date_change.txt"
);
email_templates!(
    ReportFinalHtml,
    ReportFinalText,
    crate::report::ReportFinal,
    "email/report_final.html",
    "email/report_final.txt"
);
email_templates!(
    ReportToCheckHtml,
    ReportToCheckText,
    crate::report::ReportToCheck,
    "email/report_to_check.html",
    "email/report_to_check.txt"
);
email_templates!(
    VisitConfirmedHtml,
    VisitConfirmedText,
    VisitConfirmed,
    "email/visit_confirmed.html",
    "email/visit_confirmed.txt"
);

impl Email {
    pub fn render(
        &self,
        programme: &Programme,
        links: &LinkSecret,
    ) -> Result<RenderedEmail, askama::Error> {
        let site = &programme.site_url;
        Ok(match self {
            Email::RequestConfirmation(email) => {
                let link = status_link(site, links, &email.request_id, "");
                RequestConfirmationHtml::mail(
                    programme,
                    email,
                    &link,
                    format!(
                        "{}: we have your request {}",
                        programme.name, email.reference
                    ),
                )?
            }
            Email::ReviewerOffer(email) => {
                let link = offer_link(site, links, email);
                ReviewerOfferHtml::mail(
                    programme,
                    email,
                    &link,
                    format!(
                        "Can you review {} ({})? {}",
                        email.school_name, email.local_authority, email.reference
                    ),
                )?
            }
            Email::OfferReminder(email) => {
                let link = offer_link(site, links, email);
                ReminderHtml::mail(
                    programme,
                    email,
                    &link,
                    format!(
                        "Reminder: can you review {}? Please answer by {}",
                        email.school_name, email.respond_by
                    ),
                )?
            }
            Email::AddressUndeliverable(email) => email.render(programme)?,
            Email::ActionPlanReminder(email) => email.render(programme, links)?,
            Email::ReportLate(email) => email.render(programme, links)?,
            Email::FactualCheckWaiting(email) => email.render(programme, links)?,
            Email::FactualCheckAnswered(email) => email.render(programme, links)?,
            Email::ReportShared(email) => email.render(programme, links)?,
            Email::NeedsAttention(email) => NeedsAttentionHtml::mail(
                programme,
                email,
                "",
                format!("Needs attention: no reviewer found for {}", email.reference),
            )?,
            Email::SelfEvaluationReminder(email) => {
                let link = status_link(site, links, &email.request_id, "/self-evaluation");
                SelfEvaluationReminderHtml::mail(
                    programme,
                    email,
                    &link,
                    format!(
                        "Your self-evaluation for the visit on {}: {}",
                        email.visit_date_text, email.reference
                    ),
                )?
            }
            Email::ReportFinal(email) => {
                let link = status_link(site, links, &email.request_id, "/report");
                // The PDF is attached at delivery, read from the evidence bucket.
                ReportFinalHtml::mail(
                    programme,
                    email,
                    &link,
                    format!("Your review report: {}", email.reference),
                )?
            }
            Email::ReportToCheck(email) => {
                let link = status_link(site, links, &email.request_id, "/report");
                ReportToCheckHtml::mail(
                    programme,
                    email,
                    &link,
                    format!("Your draft report is ready to check: {}", email.reference),
                )?
            }
            Email::SelfEvaluationSubmitted(email) => {
                let link = email
                    .review_link
                    .as_ref()
                    .map(|review| review_link(site, links, review))
                    .unwrap_or_default();
                SelfEvaluationSubmittedHtml::mail(
                    programme,
                    email,
                    &link,
                    format!(
                        "{} has submitted its self-evaluation: {}",
                        email.school_name, email.reference
                    ),
                )?
            }
            Email::DateChange(email) => {
                let link = school_or_review_link(
                    site,
                    links,
                    &email.request_id,
                    email.to_school,
                    email.review_link.as_ref(),
                );
                DateChangeHtml::mail(
                    programme,
                    email,
                    &link,
                    if email.kept {
                        format!(
                            "The visit stays on {}: {}",
                            email.current_date_text, email.reference
                        )
                    } else {
                        format!(
                            "Can the visit move to {}? {}",
                            email.proposed_date_text, email.reference
                        )
                    },
                )?
            }
            Email::VisitConfirmed(email) => {
                let link = school_or_review_link(
                    site,
                    links,
                    &email.request_id,
                    email.to_school,
                    email.review_link.as_ref(),
                );
                RenderedEmail {
                    attachments: vec![Attachment {
                        filename: "visit.ics".into(),
                        content_type: "text/calendar; charset=utf-8; method=PUBLISH".into(),
                        content: crate::calendar::visit_event(programme, email).into_bytes(),
                    }],
                    ..VisitConfirmedHtml::mail(
                        programme,
                        email,
                        &link,
                        format!(
                            "{}: {} on {}",
                            if email.sequence > 0 {
                                "Visit moved"
                            } else {
                                "Visit booked"
                            },
                            email.school_name,
                            email.visit_date_text
                        ),
                    )?
                }
            }
        })
    }
}

/// The school's status page at `site`, or one of its pages (`page`: "" or "/report", ...).
pub fn status_link(site: &str, links: &LinkSecret, request_id: &str, page: &str) -> String {
    format!("{site}/status/{}{page}", links.status_token(request_id))
}

/// The school's status page, or the reviewer's page for the review (none if the email has no
/// review to link to).
fn school_or_review_link(
    site: &str,
    links: &LinkSecret,
    request_id: &str,
    to_school: bool,
    review: Option<&ReviewLink>,
) -> String {
    match (review, to_school) {
        (_, true) => status_link(site, links, request_id, ""),
        (Some(review), false) => review_link(site, links, review),
        (None, false) => String::new(),
    }
}

/// The reviewer's page for a review they accepted.
pub fn review_link(site: &str, links: &LinkSecret, review: &ReviewLink) -> String {
    let token = links.offer_token(
        &review.offer_id,
        crate::links::OfferAction::Review,
        review.expires_at,
    );
    format!("{site}/reviews/{token}")
}

fn offer_link(site: &str, links: &LinkSecret, email: &ReviewerOffer) -> String {
    let token = links.offer_token(
        &email.offer_id,
        crate::links::OfferAction::Respond,
        email.expires_at,
    );
    format!("{site}/offers/{token}")
}

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
    #[error("DynamoDB {operation} failed: {code}")]
    Store {
        operation: &'static str,
        code: String,
    },
    #[error("SES refused the message: {0}")]
    Ses(String),
    #[error("outbox item {0} is corrupt: {1}")]
    Corrupt(String, String),
    #[error("rendering failed: {0}")]
    Render(String),
}

fn store_error<E: ProvideErrorMetadata>(operation: &'static str, err: &E) -> MailError {
    MailError::Store {
        operation,
        code: err.code().unwrap_or("unknown").to_owned(),
    }
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

    /// Delivers outbox item `outbox_id` unless it is sent or being sent.
    pub async fn deliver(
        &self,
        outbox_id: &str,
        now: OffsetDateTime,
    ) -> Result<Delivery, MailError> {
        let lease_owner = ulid::Ulid::new().to_string();
        let Some(item) = self.claim(outbox_id, &lease_owner, now).await? else {
            return self.why_not_claimed(outbox_id).await;
        };
        let to = get_s(&item, "to")
            .ok_or_else(|| MailError::Corrupt(outbox_id.into(), "no recipient".into()))?;
        let email: Email = serde_json::from_str(get_s(&item, "email").unwrap_or_default())
            .map_err(|e| MailError::Corrupt(outbox_id.into(), e.to_string()))?;

        let sent = match self.build_mime(to, &email).await {
            Ok(mime) => self.send_raw(mime).await,
            Err(e) => Err(e),
        };
        match sent {
            Ok(message_id) => {
                self.record_sent(outbox_id, &message_id, now).await?;
                Ok(Delivery::Sent { message_id })
            }
            Err(error) => {
                // Nothing went out: give the item back so the next attempt can claim it at once.
                self.release(outbox_id, &lease_owner).await?;
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
                .index_name(crate::store::GSI1)
                .key_condition_expression("gsi1pk = :pending AND gsi1sk < :cutoff")
                .expression_attribute_values(":pending", s(outbox::PENDING_INDEX_KEY))
                .expression_attribute_values(":cutoff", s(cutoff.clone()))
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(|e| store_error("Query", &e))?;
            for item in page.items() {
                if let Some(id) = get_s(item, "pk").and_then(outbox::id_from_pk) {
                    results.push((id.to_owned(), self.deliver(id, now).await));
                }
            }
            start_key = page.last_evaluated_key().cloned();
            if start_key.is_none() {
                return Ok(results);
            }
        }
    }

    async fn claim(
        &self,
        outbox_id: &str,
        lease_owner: &str,
        now: OffsetDateTime,
    ) -> Result<Option<std::collections::HashMap<String, AttributeValue>>, MailError> {
        let result = self
            .table
            .client
            .update_item()
            .table_name(&self.table.name)
            .key("pk", s(outbox::pk(outbox_id)))
            .key("sk", s(outbox::SORT_KEY))
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
            Err(err) => Err(store_error("UpdateItem", &err)),
        }
    }

    async fn why_not_claimed(&self, outbox_id: &str) -> Result<Delivery, MailError> {
        let item = self
            .table
            .client
            .get_item()
            .table_name(&self.table.name)
            .key("pk", s(outbox::pk(outbox_id)))
            .key("sk", s(outbox::SORT_KEY))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error("GetItem", &e))?
            .item;
        Ok(match item.as_ref().and_then(|item| get_s(item, "state")) {
            None => Delivery::Missing,
            Some(state::SENT) => Delivery::AlreadySent,
            Some(_) => Delivery::LeasedElsewhere,
        })
    }

    async fn build_mime(&self, to: &str, email: &Email) -> Result<Vec<u8>, MailError> {
        let branding = self.branding.current().await;
        let programme = Programme {
            name: branding.name,
            contact_email: branding.contact_email,
            site_url: self.site_url.clone(),
        };
        let links =
            self.links.get().await.map_err(|e| {
                MailError::Render(format!("the link secret could not be read: {e}"))
            })?;
        let mut rendered = email
            .render(&programme, links)
            .map_err(|e| MailError::Render(e.to_string()))?;
        // The final report's PDF goes with its delivery and with each share of it.
        let pdf_key = match email {
            Email::ReportFinal(report) => Some(&report.pdf_key),
            Email::ReportShared(shared) => Some(&shared.pdf_key),
            _ => None,
        };
        if let Some(pdf_key) = pdf_key {
            rendered.attachments.push(self.report_pdf(pdf_key).await?);
        }
        let from = Mailbox::new(
            Some(programme.name.clone()),
            self.sender_address
                .parse()
                .map_err(|_| MailError::Render("the sender address is invalid".into()))?,
        );
        let to: Mailbox = to
            .parse()
            .map_err(|_| MailError::Render("the recipient address is invalid".into()))?;
        // lettre encodes every header, so user text in a subject cannot inject headers.
        let body = MultiPart::alternative_plain_html(rendered.text, rendered.html);
        let body = if rendered.attachments.is_empty() {
            body
        } else {
            rendered.attachments.into_iter().try_fold(
                MultiPart::mixed().multipart(body),
                |mixed, attachment| {
                    let content_type = ContentType::parse(&attachment.content_type)
                        .map_err(|e| MailError::Render(e.to_string()))?;
                    Ok::<_, MailError>(
                        mixed.singlepart(
                            lettre::message::Attachment::new(attachment.filename)
                                .body(attachment.content, content_type),
                        ),
                    )
                },
            )?
        };
        let message = lettre::Message::builder()
            .from(from)
            .to(to)
            .subject(rendered.subject)
            .multipart(body)
            .map_err(|e| MailError::Render(e.to_string()))?;
        Ok(message.formatted())
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
        outbox_id: &str,
        message_id: &str,
        now: OffsetDateTime,
    ) -> Result<(), MailError> {
        // Kept 30 days for support questions ("did the email go?"), then removed by TTL.
        let expires = now + Duration::days(30);
        self.table
            .client
            .update_item()
            .table_name(&self.table.name)
            .key("pk", s(outbox::pk(outbox_id)))
            .key("sk", s(outbox::SORT_KEY))
            .update_expression(
                "SET #state = :sent, ses_message_id = :mid, sent_at = :at, expires_at = :exp \
                 REMOVE gsi1pk, gsi1sk, lease_until, lease_owner",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":sent", s(state::SENT))
            .expression_attribute_values(":mid", s(message_id))
            .expression_attribute_values(":at", s(now.format(&Rfc3339).unwrap_or_default()))
            .expression_attribute_values(":exp", n(expires.unix_timestamp()))
            .send()
            .await
            .map_err(|e| store_error("UpdateItem", &e))?;
        Ok(())
    }

    async fn release(&self, outbox_id: &str, lease_owner: &str) -> Result<(), MailError> {
        let result = self
            .table
            .client
            .update_item()
            .table_name(&self.table.name)
            .key("pk", s(outbox::pk(outbox_id)))
            .key("sk", s(outbox::SORT_KEY))
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
            Err(err) => Err(store_error("UpdateItem", &err)),
        }
    }
}

fn is_conditional_check_failed<E, R>(err: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn programme() -> Programme {
        Programme {
            name: "Camden SEND Review".into(),
            contact_email: "send@camden.example".into(),
            site_url: "https://reviews.example".into(),
        }
    }

    fn confirmation() -> Email {
        Email::RequestConfirmation(RequestConfirmation {
            request_id: "01JREQ".into(),
            reference: "SR-7K3M-Q9".into(),
            contact_name: "Ada <script>alert(1)</script>".into(),
            school_name: "St Mary's & All Saints".into(),
            review_type: "SEND Review".into(),
            focus_areas: vec!["Leadership of SEND".into()],
            visit_windows: vec!["2 March 2027 to 13 March 2027".into()],
        })
    }

    #[test]
    fn confirmation_escapes_user_text_in_html_and_links_to_the_status_page() {
        let links = LinkSecret::from_bytes(&[1u8; 32]).unwrap();
        let rendered = confirmation().render(&programme(), &links).unwrap();
        assert!(rendered.subject.contains("SR-7K3M-Q9"));
        assert!(!rendered.html.contains("<script>"));
        assert!(rendered.html.contains("&#60;script&#62;"));
        assert!(rendered.html.contains("St Mary&#39;s &#38; All Saints"));
        let link = format!(
            "https://reviews.example/status/{}",
            links.status_token("01JREQ")
        );
        assert!(rendered.html.contains(&link));
        assert!(rendered.text.contains(&link));
        assert!(rendered.text.contains("St Mary's & All Saints"));
    }

    #[test]
    fn emails_round_trip_through_their_stored_json() {
        let json = serde_json::to_string(&confirmation()).unwrap();
        assert!(json.contains("\"kind\":\"request_confirmation\""));
        assert_eq!(
            serde_json::from_str::<Email>(&json).unwrap(),
            confirmation()
        );
    }
}
