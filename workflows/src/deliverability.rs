//! Addresses mail cannot reach. Every email goes out with the SES configuration set, whose
//! bounce and complaint events reach the `mail-feedback` function through SNS. A permanent
//! bounce or a complaint marks the address as undeliverable (once, by a conditional write)
//! and, in the same transaction, queues an email telling the administrator; the admin tool's
//! `requests show` says so when it is a request's contact. Transient bounces (a full mailbox,
//! an out-of-office) mark nothing: SES already retried them.
//!
//! The stored item is [`records::undeliverable`]'s (`gsi1pk` `UNDELIVERABLE`, `gsi1sk`
//! `<first_at>#<address>`: the console lists them). It keeps the first time and reason, the
//! latest time, and how many events came.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use records::store::{StoreError, Table, Transacted, dynamo_error, n, s};
use records::undeliverable::SORT_KEY;
pub use records::undeliverable::{Reason, Undeliverable, get, pk};

/// One address SES reported, from one notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    pub address: String,
    pub reason: Reason,
    /// SES's own words: bounce type and subtype, or the complaint's feedback type.
    pub detail: String,
    /// The SES message id of the email that bounced.
    pub message_id: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not an SES bounce or complaint notification: {0}")]
pub struct NotANotification(String);

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    /// Configuration-set event publishing says `eventType`; identity notifications say
    /// `notificationType`. Both carry the same bounce and complaint objects.
    event_type: Option<String>,
    notification_type: Option<String>,
    bounce: Option<Bounce>,
    complaint: Option<Complaint>,
    mail: Mail,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Bounce {
    bounce_type: String,
    #[serde(default)]
    bounce_sub_type: String,
    bounced_recipients: Vec<Recipient>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Complaint {
    complained_recipients: Vec<Recipient>,
    #[serde(default)]
    complaint_feedback_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recipient {
    email_address: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Mail {
    message_id: String,
}

/// The addresses an SES notification (an SNS message's text) marks as undeliverable: every
/// recipient of a permanent bounce or of a complaint; none for anything else.
pub fn parse_notification(message: &str) -> Result<Vec<Feedback>, NotANotification> {
    let notification: Notification =
        serde_json::from_str(message).map_err(|e| NotANotification(e.to_string()))?;
    let kind = notification
        .event_type
        .or(notification.notification_type)
        .ok_or_else(|| NotANotification("neither eventType nor notificationType".into()))?;
    let message_id = notification.mail.message_id;
    let feedback = |address: String, reason, detail: String| Feedback {
        address,
        reason,
        detail,
        message_id: message_id.clone(),
    };
    Ok(
        match (kind.as_str(), notification.bounce, notification.complaint) {
            ("Bounce", Some(bounce), _) if bounce.bounce_type == "Permanent" => {
                let detail = format!("{} bounce ({})", bounce.bounce_type, bounce.bounce_sub_type);
                bounce
                    .bounced_recipients
                    .into_iter()
                    .map(|r| feedback(r.email_address, Reason::Bounce, detail.clone()))
                    .collect()
            }
            ("Complaint", _, Some(complaint)) => {
                let detail = match complaint.complaint_feedback_type {
                    Some(kind) => format!("complaint ({kind})"),
                    None => "complaint".to_owned(),
                };
                complaint
                    .complained_recipients
                    .into_iter()
                    .map(|r| feedback(r.email_address, Reason::Complaint, detail.clone()))
                    .collect()
            }
            ("Bounce" | "Complaint", _, _) => Vec::new(),
            (other, _, _) => {
                return Err(NotANotification(format!("{other} events are not handled")));
            }
        },
    )
}

/// The email that tells the administrator an address stopped receiving mail.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AddressUndeliverable {
    pub address: String,
    pub reason: Reason,
    pub detail: String,
    pub at: String,
}

crate::emails::outbox_email!(
    AddressUndeliverable,
    kind: "address_undeliverable",
    templates: "email/address_undeliverable.html", "email/address_undeliverable.txt",
    link: |email, site, links| String::new(),
    subject: |email, programme| format!("Email to {} is not being delivered", email.address),
);

/// What [`record`] did with one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// First report for it: marked, and the administrator told.
    Marked,
    /// Already marked: counted, nobody told again.
    AlreadyMarked,
}

/// Marks `feedback.address` as undeliverable and queues the administrator's email, both in one
/// transaction and only the first time; later reports only count.
pub async fn record(
    table: &Table,
    admin_email: &str,
    feedback: &Feedback,
    now: OffsetDateTime,
) -> Result<Recorded, StoreError> {
    let at = now.format(&Rfc3339).unwrap_or_default();
    let address = feedback.address.trim().to_lowercase();
    let mark = Put::builder()
        .table_name(&table.name)
        .item("pk", s(pk(&address)))
        .item("sk", s(SORT_KEY))
        .item("address", s(address.clone()))
        .item("reason", s(feedback.reason.as_str()))
        .item("detail", s(feedback.detail.clone()))
        .item("ses_message_id", s(feedback.message_id.clone()))
        .item("first_at", s(at.clone()))
        .item("last_at", s(at.clone()))
        .item("events", n(1))
        // Listed, first marked first, on the console's "needs attention".
        .item("gsi1pk", s(records::keys::UNDELIVERABLE_INDEX_KEY))
        .item("gsi1sk", s(format!("{at}#{address}")))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .expect("table, item and condition are set");
    let notice = AddressUndeliverable {
        address: address.clone(),
        reason: feedback.reason,
        detail: feedback.detail.clone(),
        at: at.clone(),
    };
    let outcome = table
        .transact(vec![
            TransactWriteItem::builder().put(mark).build(),
            records::outbox::put(&table.name, None, admin_email, &notice, now),
        ])
        .await
        .map_err(|e| dynamo_error("TransactWriteItems", e))?;
    match outcome {
        Transacted::Committed => Ok(Recorded::Marked),
        already if already.failed_at(0) => {
            table
                .client
                .update_item()
                .table_name(&table.name)
                .key("pk", s(pk(&address)))
                .key("sk", s(SORT_KEY))
                .update_expression("SET last_at = :at ADD events :one")
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_values(":at", s(at))
                .expression_attribute_values(":one", n(1))
                .send()
                .await
                .map_err(|e| dynamo_error("UpdateItem", e))?;
            Ok(Recorded::AlreadyMarked)
        }
        Transacted::Cancelled(reasons) => Err(StoreError::Conflict(format!(
            "marking {address} undeliverable was cancelled: {reasons:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use records::links::LinkSecret;
    use records::outbox::OutboxEmail;

    // SES event publishing's bounce record, as AWS documents it (identities shortened).
    const PERMANENT_BOUNCE: &str = r#"{"eventType":"Bounce","bounce":{"bounceType":"Permanent","bounceSubType":"General","bouncedRecipients":[{"emailAddress":"Head@School.example","action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"}],"timestamp":"2027-01-27T14:59:38.237Z","feedbackId":"0100015ed8f4-example","reportingMTA":"dsn; a1-2.smtp-out.eu-west-2.amazonses.com"},"mail":{"timestamp":"2027-01-27T14:59:38.237Z","source":"no-reply@example.org","sendingAccountId":"123456789012","messageId":"0102015ed8f4-example-000000","destination":["Head@School.example"],"headersTruncated":false,"tags":{"ses:configuration-set":["send-review-MailConfigurationSet"]}}}"#;

    #[test]
    fn a_permanent_bounce_marks_each_recipient() {
        let feedback = parse_notification(PERMANENT_BOUNCE).unwrap();
        assert_eq!(
            feedback,
            vec![Feedback {
                address: "Head@School.example".into(),
                reason: Reason::Bounce,
                detail: "Permanent bounce (General)".into(),
                message_id: "0102015ed8f4-example-000000".into(),
            }]
        );
        assert_eq!(
            pk("Head@School.example "),
            "UNDELIVERABLE#head@school.example"
        );
    }

    #[test]
    fn transient_bounces_mark_nothing_and_other_events_are_refused() {
        let transient = PERMANENT_BOUNCE.replace("\"Permanent\"", "\"Transient\"");
        assert_eq!(parse_notification(&transient).unwrap(), vec![]);
        let delivery =
            PERMANENT_BOUNCE.replace("\"eventType\":\"Bounce\"", "\"eventType\":\"Delivery\"");
        assert!(parse_notification(&delivery).is_err());
        assert!(parse_notification("not json").is_err());
    }

    #[test]
    fn identity_complaint_notifications_are_read_too() {
        let complaint = r#"{"notificationType":"Complaint","complaint":{"complainedRecipients":[{"emailAddress":"reviewer@example.org"}],"timestamp":"2027-01-27T14:59:38.237Z","feedbackId":"x","complaintFeedbackType":"abuse"},"mail":{"messageId":"m-1","destination":["reviewer@example.org"]}}"#;
        let feedback = parse_notification(complaint).unwrap();
        assert_eq!(feedback.len(), 1);
        assert_eq!(feedback[0].reason, Reason::Complaint);
        assert_eq!(feedback[0].detail, "complaint (abuse)");
    }

    #[test]
    fn the_administrators_email_escapes_the_address() {
        let programme = records::outbox::example_programme();
        let rendered = AddressUndeliverable {
            address: "<b>x</b>@school.example".into(),
            reason: Reason::Bounce,
            detail: "Permanent bounce (General)".into(),
            at: "2027-01-27T15:00:00Z".into(),
        }
        .render(
            &programme,
            &LinkSecret::from_bytes(&[1u8; 32]).unwrap().for_email(0),
        )
        .unwrap();
        assert!(!rendered.html.contains("<b>x</b>"));
        assert!(rendered.text.contains("<b>x</b>@school.example"));
        assert!(rendered.text.contains("requests show"));
    }
}
