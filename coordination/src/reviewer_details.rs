//! How reviewers reach their own details page, and the reminders that send them there: the
//! public "email me my link" form ([`ask_for_link`]: answered the same whether the address is in
//! the pool or not, rate-limited like the request form) and the daily reminder of a DBS check or
//! training about to stop being valid for visits ([`send_expiry_reminders`]). Each email is
//! queued in the outbox in the transaction that decides it.

use records::domain::format_date;
use records::domain::request::long_date;
use records::links::{EmailLinks, LinkSecret, reviewer_details_link};
use records::outbox::{self, OutboxEmail, Programme, RenderError, RenderedEmail};
use records::rate_limit::{counter, hour_of};
use records::reviewers;

use crate::check_expiry::{reminded_marker, running_out};
use records::store::{StoreError, Table, Transacted, dynamo_error};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::replacement::html_text;

/// To a reviewer who asked for the link to their details page.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReviewerDetailsLink {
    pub reviewer_id: String,
}

/// To a reviewer whose DBS check or training stops being valid for visits soon.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CheckRunningOut {
    pub reviewer_id: String,
    pub reviewer_name: String,
    /// As a sentence names it, e.g. `enhanced DBS check`.
    pub check: String,
    /// The first day it is no longer valid, `YYYY-MM-DD`.
    pub runs_out: String,
    pub runs_out_text: String,
}

/// An email to reviewer `reviewer_id`: `paragraphs`, then the link to their details (`words`,
/// an anchor in HTML, written out in the text), then the programme's name.
fn to_reviewer(
    subject: String,
    paragraphs: &[String],
    words: &str,
    (programme, links, reviewer_id): (&Programme, &LinkSecret, &str),
) -> RenderedEmail {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let href = reviewer_details_link(&programme.site_url, links, reviewer_id, now);
    with_link(subject, paragraphs, (words, &href), programme)
}

/// An email of `paragraphs`, then a link (`words`, an anchor in HTML, written out in the
/// text), then the programme's name.
pub(crate) fn with_link(
    subject: String,
    paragraphs: &[String],
    (words, href): (&str, &str),
    programme: &Programme,
) -> RenderedEmail {
    let mut text: Vec<String> = paragraphs.to_vec();
    let mut html: Vec<String> = paragraphs
        .iter()
        .map(|p| format!("<p>{}</p>", html_text(p)))
        .collect();
    text.push(format!("{words}: {href}"));
    html.push(format!(
        "<p><a href=\"{}\">{}</a></p>",
        html_text(href),
        html_text(words)
    ));
    text.push(programme.name.clone());
    html.push(format!("<p>{}</p>", html_text(&programme.name)));
    RenderedEmail {
        subject,
        text: text.join("\n\n") + "\n",
        html: html.join("\n"),
        attachments: Vec::new(),
    }
}

impl OutboxEmail for ReviewerDetailsLink {
    const KIND: &'static str = "reviewer_details_link";

    fn render(
        &self,
        programme: &Programme,
        links: &EmailLinks<'_>,
    ) -> Result<RenderedEmail, RenderError> {
        let paragraphs = [
            "You asked for the link to your reviewer details: how many reviews a term you can take, the dates you are away, the regions you will travel to and the schools you must not review.".into(),
            format!(
                "The link works for {} days. If you did not ask for it, you can ignore this email. Questions: {}.",
                records::links::REVIEWER_DETAILS_LINK_DAYS,
                programme.contact_email
            ),
        ];
        let subject = format!("{}: the link to your reviewer details", programme.name);
        let to = (programme, links.secret, self.reviewer_id.as_str());
        Ok(to_reviewer(
            subject,
            &paragraphs,
            "Open your reviewer details",
            to,
        ))
    }
}

impl OutboxEmail for CheckRunningOut {
    const KIND: &'static str = "check_running_out";

    fn render(
        &self,
        programme: &Programme,
        links: &EmailLinks<'_>,
    ) -> Result<RenderedEmail, RenderError> {
        let paragraphs = [
            format!("Dear {},", self.reviewer_name),
            format!(
                "Your {} is valid for visits until the day before {}. From then on we cannot offer you reviews until it is renewed.",
                self.check, self.runs_out_text
            ),
            format!(
                "Please renew it and send the new date to {}, who keeps the reviewer pool.",
                programme.contact_email
            ),
        ];
        let subject = format!(
            "{}: your {} runs out on {}",
            programme.name, self.check, self.runs_out_text
        );
        let to = (programme, links.secret, self.reviewer_id.as_str());
        Ok(to_reviewer(
            subject,
            &paragraphs,
            "Your reviewer details",
            to,
        ))
    }
}

/// How often the link form may be used.
#[derive(Debug, Clone, Copy)]
pub struct LinkLimits {
    /// From one client address, per hour (the request form's limit).
    pub per_ip_per_hour: u32,
    /// For one email address, per day: a known reviewer is not flooded with links.
    pub per_address_per_day: u32,
}

/// What the link form's answer was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkAsked {
    /// Taken (and, when the address is a reviewer's, their email queued): the page says the
    /// same either way.
    Taken,
    /// Over a limit: nothing was queued.
    TooMany,
}

/// Takes a request for the details link sent to `email` from `source_ip`. The same steps
/// whatever the address: one read of the address's item and one transaction with both rate
/// counters; when the address is a reviewer's, the transaction also queues their email.
pub async fn ask_for_link(
    table: &Table,
    links: &LinkSecret,
    email: &str,
    source_ip: &str,
    limits: LinkLimits,
    now: OffsetDateTime,
) -> Result<LinkAsked, StoreError> {
    let reviewer = reviewers::id_by_email(table, email).await?;
    let hour = hour_of(now);
    let day = now.date();
    let mut items = vec![
        counter(
            &table.name,
            format!(
                "RATE#link#ip#{}#{}",
                links.rate_limit_key(source_ip, day),
                hour.unix_timestamp()
            ),
            limits.per_ip_per_hour,
            hour + Duration::hours(2),
        ),
        counter(
            &table.name,
            format!(
                "RATE#link#address#{}#{day}",
                links.rate_limit_key(&email.trim().to_lowercase(), day)
            ),
            limits.per_address_per_day,
            now + Duration::days(2),
        ),
    ];
    if let Some(id) = reviewer {
        let payload = ReviewerDetailsLink {
            reviewer_id: id.to_string(),
        };
        items.push(outbox::put(&table.name, None, email.trim(), &payload, now));
    }
    match table
        .transact(items)
        .await
        .map_err(|e| dynamo_error("TransactWriteItems", e))?
    {
        Transacted::Committed => Ok(LinkAsked::Taken),
        cancelled if cancelled.failed_at(0) || cancelled.failed_at(1) => Ok(LinkAsked::TooMany),
        Transacted::Cancelled(reasons) => Err(StoreError::Conflict(format!(
            "the link request was cancelled ({}); try again",
            reasons.join(", ")
        ))),
    }
}

/// Emails every active reviewer whose DBS check or training stops being valid within
/// [`crate::REMINDER_DAYS`] of `now`, once per check and expiry date; how many were sent.
pub async fn send_expiry_reminders(
    table: &Table,
    now: OffsetDateTime,
) -> Result<usize, StoreError> {
    let mut sent = 0;
    for reviewer in reviewers::list(table).await? {
        if !reviewer.active {
            continue;
        }
        for due in running_out(&reviewer, now.date()) {
            let id = reviewer.id.to_string();
            let email = CheckRunningOut {
                reviewer_id: id.clone(),
                reviewer_name: reviewer.name.clone(),
                check: due.check.label().to_owned(),
                runs_out: format_date(due.runs_out),
                runs_out_text: long_date(due.runs_out),
            };
            let items = vec![
                reminded_marker(&table.name, &id, &due),
                outbox::put(&table.name, None, &reviewer.email, &email, now),
            ];
            match table
                .transact(items)
                .await
                .map_err(|e| dynamo_error("TransactWriteItems", e))?
            {
                Transacted::Committed => sent += 1,
                // Reminded already (an earlier run, or one running now).
                cancelled if cancelled.failed_at(0) => {}
                Transacted::Cancelled(reasons) => {
                    tracing::warn!(
                        reviewer = %id,
                        check = due.check.as_str(),
                        reasons = reasons.join(", "),
                        "a reminder was cancelled; the next run tries again"
                    );
                }
            }
        }
    }
    Ok(sent)
}
