//! Sharing the final report: the report is the school's, and nobody else receives it unless the
//! school shares it from its status page. The school gives an email address (and optionally
//! the person's name); the programme emails that person the PDF, saying which school shared it.
//!
//! One transaction records a share: the share item (written only if absent, keyed by the
//! one-time key in the form, so a double submit stores and sends once), the request's share
//! count (at most [`MAX_SHARES`], a condition), the report still final (a condition), a line on
//! the timeline and the email's outbox item. The status page lists the addresses shared with.
//! A purge removes the shares with the request (they are under its partition) and their emails
//! (they name the request).
//!
//! | item | pk | sk |
//! |---|---|---|
//! | share | `REQUEST#<id>` | `SHARE#<form key>` |

use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::report::store::StoredReport;
use records::domain::request::{
    EmailAddress, FieldError, MAX_NAME_CHARS, Text, TextError, long_date,
};
use records::lifecycle::{Action, Guard, Person, allowed_on, report_check};
use records::request::{StoredRequest, TimelineEvent, request_pk, timeline_put};
use records::store::{StoreError, Table, Transacted, dynamo_error, get_s, n, s};

/// The most times one request's report can be shared from its status page.
pub const MAX_SHARES: u32 = 20;
/// The request's count of shares.
const COUNT: &str = "report_shares";
pub const SORT_PREFIX: &str = "SHARE#";

pub const EMAIL_FIELD: &str = "share_email";
pub const NAME_FIELD: &str = "share_name";

/// The share form as the browser sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ShareForm {
    /// The one-time key the page put in the form.
    pub share_key: String,
    pub share_email: String,
    pub share_name: String,
}

/// A share the school asked for, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    pub key: String,
    pub email: EmailAddress,
    pub name: Option<Text>,
}

impl ShareForm {
    /// Whether the form's one-time key is one this site hands out (22 URL-safe characters).
    pub fn key_ok(&self) -> bool {
        self.share_key.len() == 22
            && self
                .share_key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }

    /// The share, or each field's problem.
    pub fn parse(&self) -> Result<Share, Vec<FieldError>> {
        let mut errors = Vec::new();
        let email = self.share_email.parse::<EmailAddress>().map_err(|()| {
            errors.push(FieldError {
                field: EMAIL_FIELD,
                message: if self.share_email.trim().is_empty() {
                    "Enter the email address to share your report with".into()
                } else {
                    "Enter an email address in the correct format, like name@example.org".into()
                },
            })
        });
        let name = match self.share_name.trim() {
            "" => Ok(None),
            typed => Text::parse(typed, MAX_NAME_CHARS, false)
                .map(Some)
                .map_err(|e| {
                    errors.push(FieldError {
                        field: NAME_FIELD,
                        message: match e {
                            TextError::TooLong(max) => {
                                format!("Keep the name to {max} characters or fewer")
                            }
                            _ => "Remove the special characters from the name".into(),
                        },
                    })
                }),
        };
        match (email, name) {
            (Ok(email), Ok(name)) => Ok(Share {
                key: self.share_key.clone(),
                email,
                name,
            }),
            _ => Err(errors),
        }
    }
}

/// Someone the report was shared with (the share item's attributes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedWith {
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub at: String,
}

impl SharedWith {
    /// "Name (address)" or the address.
    pub fn who(&self) -> String {
        match &self.name {
            Some(name) => format!("{name} ({})", self.email),
            None => self.email.clone(),
        }
    }

    /// The day it was shared, in words.
    pub fn on(&self) -> String {
        OffsetDateTime::parse(&self.at, &Rfc3339)
            .map(|at| long_date(at.date()))
            .unwrap_or_default()
    }
}

/// What sharing did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shared {
    /// Recorded, and the email queued.
    Sent,
    /// This form was sent before: nothing new stored or sent.
    AlreadySent,
    /// The report was shared [`MAX_SHARES`] times already: nothing stored.
    TooMany,
    /// The report is not final: nothing stored.
    NotFinal,
    /// Another change to the request at the same moment: nothing stored; sending again works.
    Busy,
}

/// Shares `report` (request `stored`'s, final) as `share` asks, once per form key.
pub async fn share(
    table: &Table,
    stored: &StoredRequest,
    report: &StoredReport,
    share: &Share,
    now: OffsetDateTime,
) -> Result<Shared, StoreError> {
    let today = now.date();
    let rule = allowed_on(
        stored,
        Some(report.state),
        Person::School,
        Action::AfterReport,
        today,
    );
    let Some(pdf_key) = report.pdf_key.as_ref().filter(|_| rule.is_ok()) else {
        return Ok(Shared::NotFinal);
    };
    let at = now.format(&Rfc3339).unwrap_or_default();
    let shared_with = SharedWith {
        email: share.email.to_string(),
        name: share.name.as_ref().map(ToString::to_string),
        at: at.clone(),
    };
    let mut item: records::store::Item =
        serde_dynamo::to_item(&shared_with).expect("a share serialises");
    let sort_key = format!("{SORT_PREFIX}{}", share.key);
    item.insert("pk".into(), s(request_pk(&stored.id)));
    item.insert("sk".into(), s(&sort_key));
    item.insert("request_id".into(), s(&stored.id));
    let record = Put::builder()
        .table_name(&table.name)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .expect("table, item and condition are set");
    let count = Update::builder()
        .table_name(&table.name)
        .key("pk", s(request_pk(&stored.id)))
        .key("sk", s("REQUEST"))
        .update_expression("ADD #count :one")
        .expression_attribute_names("#count", COUNT)
        .expression_attribute_values(":one", n(1))
        .expression_attribute_values(":max", n(MAX_SHARES));
    let count = Guard::new(Action::AfterReport, today)
        .on_update(count, Some("attribute_not_exists(#count) OR #count < :max"))
        .build()
        .expect("table, key and expression are set");
    let email = ReportShared {
        request_id: stored.id.clone(),
        reference: stored.reference.to_string(),
        school_name: stored.request.school.name.to_string(),
        recipient_name: shared_with.name.clone(),
        pdf_key: pdf_key.clone(),
    };
    let items = vec![
        TransactWriteItem::builder().put(record).build(),
        TransactWriteItem::builder().update(count).build(),
        report_check(&table.name, &stored.id, Action::AfterReport),
        timeline_put(
            &table.name,
            &stored.id,
            &TimelineEvent::new(
                at.clone(),
                "report_shared",
                Some(format!("You shared the report with {}.", shared_with.who())),
            ),
        ),
        records::outbox::put(
            &table.name,
            Some(&stored.id),
            share.email.as_str(),
            &email,
            now,
        ),
    ];
    match table.transact(items).await {
        Ok(Transacted::Committed) => Ok(Shared::Sent),
        Ok(cancelled) if cancelled.failed_at(0) => Ok(Shared::AlreadySent),
        Ok(cancelled) if cancelled.failed_at(1) => Ok(Shared::TooMany),
        Ok(cancelled) if cancelled.failed_at(2) => Ok(Shared::NotFinal),
        // A conflict, most likely the same form sent twice at once: the other one may have
        // shared it.
        Ok(_) => {
            let recorded = table
                .client
                .get_item()
                .table_name(&table.name)
                .key("pk", s(request_pk(&stored.id)))
                .key("sk", s(sort_key))
                .projection_expression("pk")
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| dynamo_error("GetItem", e))?
                .item;
            Ok(if recorded.is_some() {
                Shared::AlreadySent
            } else {
                Shared::Busy
            })
        }
        Err(err) => Err(dynamo_error("TransactWriteItems", err)),
    }
}

/// Everyone request `request_id`'s report was shared with, oldest first.
pub async fn shared_with(table: &Table, request_id: &str) -> Result<Vec<SharedWith>, StoreError> {
    let items = table
        .partition_items(&request_pk(request_id), Some(SORT_PREFIX))
        .await
        .map_err(|e| dynamo_error("Query", e))?;
    let mut shares: Vec<SharedWith> = items
        .into_iter()
        .filter(|item| get_s(item, "email").is_some())
        .filter_map(|item| serde_dynamo::from_item(item).ok())
        .collect();
    shares.sort_by(|a, b| a.at.cmp(&b.at));
    Ok(shares)
}

/// The share form and the list on the status page.
pub struct SharingView {
    pub action: String,
    /// A fresh one-time key, or the one of the form shown again.
    pub share_key: String,
    pub email: String,
    pub name: String,
    pub errors: Vec<FieldError>,
    /// Why the share was not made (nothing stored), once.
    pub refused: Option<String>,
    pub shared: Vec<SharedWith>,
    pub max: u32,
}

impl SharingView {
    /// The message for `field`, if it has a problem.
    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn has_error(&self) -> bool {
        !self.errors.is_empty() || self.refused.is_some()
    }

    /// (field id, message) of each problem, for the error summary.
    pub fn problems(&self) -> Vec<(&'static str, &str)> {
        self.errors
            .iter()
            .map(|e| (e.field, e.message.as_str()))
            .collect()
    }
}

/// Sends the final report's PDF (read from `pdf_key` at delivery, as for
/// [`crate::report::ReportFinal`]) to someone the school shared it with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportShared {
    pub request_id: String,
    pub reference: String,
    pub school_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient_name: Option<String>,
    pub pdf_key: String,
}

// The email without its attachment (the mail sender adds the PDF). No link: the school's
// pages are private to it.
crate::emails::outbox_email!(
    ReportShared,
    kind: "report_shared",
    templates: "email/report_shared.html", "email/report_shared.txt",
    link: |email, site, links| String::new(),
    subject: |email, programme| format!("{} has shared its review report with you", email.school_name),
    report_pdf_key: |email| Some(&email.pdf_key),
);

#[cfg(test)]
mod tests {
    use super::*;
    use records::links::LinkSecret;
    use records::outbox::{OutboxEmail, Programme};

    fn form(email: &str, name: &str) -> ShareForm {
        ShareForm {
            share_key: "abcdefghijklmnopqrstuv".into(),
            share_email: email.into(),
            share_name: name.into(),
        }
    }

    #[test]
    fn a_share_needs_a_real_address_and_at_most_a_short_name() {
        let share = form(" Gov@Example.ORG ", "").parse().unwrap();
        assert_eq!(share.email.as_str(), "Gov@example.org");
        assert_eq!(share.name, None);
        let named = form("gov@example.org", " Chair of governors ")
            .parse()
            .unwrap();
        assert_eq!(named.name.unwrap().as_str(), "Chair of governors");

        let errors = form("", "").parse().unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, EMAIL_FIELD);
        assert!(errors[0].message.starts_with("Enter the email address"));
        let errors = form("gov@", &"x".repeat(MAX_NAME_CHARS + 1))
            .parse()
            .unwrap_err();
        assert_eq!(
            errors.iter().map(|e| e.field).collect::<Vec<_>>(),
            [EMAIL_FIELD, NAME_FIELD]
        );
        assert!(errors[0].message.contains("correct format"));
        assert!(errors[1].message.contains("120 characters"));
    }

    #[test]
    fn only_keys_the_site_hands_out_are_taken() {
        assert!(form("a@b.org", "").key_ok());
        let mut bad = form("a@b.org", "");
        bad.share_key = "short".into();
        assert!(!bad.key_ok());
        bad.share_key = "abcdefghijklmnopqrst<>".into();
        assert!(!bad.key_ok());
    }

    #[test]
    fn the_shared_email_names_the_school_and_the_programme_and_escapes_them() {
        let programme = Programme {
            name: "Camden SEND Review".into(),
            contact_email: "send@camden.example".into(),
            sender_address: "reviews@example.org".into(),
            site_url: "https://reviews.example".into(),
        };
        let links = LinkSecret::from_bytes(&[1u8; 32]).unwrap();
        let email = ReportShared {
            request_id: "01JREQ".into(),
            reference: "SR-7K3M-Q9".into(),
            school_name: "St Mary's & <All> Saints".into(),
            recipient_name: Some("Dr <b>Jones</b>".into()),
            pdf_key: "requests/01JREQ/report/report.pdf".into(),
        };
        let rendered = email.render(&programme, &links.for_email(0)).unwrap();
        assert_eq!(
            rendered.subject,
            "St Mary's & <All> Saints has shared its review report with you"
        );
        assert!(rendered.text.contains("Dear Dr <b>Jones</b>,"));
        assert!(
            rendered
                .text
                .contains("St Mary's & <All> Saints has shared")
        );
        assert!(rendered.text.contains("Camden SEND Review"));
        assert!(rendered.html.contains("Dr &#60;b&#62;Jones&#60;/b&#62;"));
        assert!(!rendered.html.contains("<All>"));
        assert!(!rendered.text.contains("/status/"), "no private link");
        let unnamed = ReportShared {
            recipient_name: None,
            ..email
        };
        assert!(
            unnamed
                .render(&programme, &links.for_email(0))
                .unwrap()
                .text
                .contains("Hello,")
        );
    }
}
