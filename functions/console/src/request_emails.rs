//! The emails section of a request's page: every email queued about the request, newest
//! first, with whether it went (the mail sender writes that on the email itself) and whether
//! its address has since been marked undeliverable. Read by key: the request's partition, one
//! `GetItem` per distinct address.

use std::collections::HashMap;

use records::store::{StoreError, Table};
use records::undeliverable::{self, Reason, Undeliverable};
use web::pages::console::request::EmailRow;

/// The rows of request `request_id`'s emails; addresses only for a coordinator (personal data).
pub(crate) async fn rows(
    table: &Table,
    request_id: &str,
    coordinator: bool,
    when: impl Fn(&str) -> String,
) -> Result<Vec<EmailRow>, StoreError> {
    let emails = records::outbox::about_request(table, request_id).await?;
    let mut undeliverable: HashMap<&str, Option<Undeliverable>> = HashMap::new();
    for email in &emails {
        if !undeliverable.contains_key(email.to.as_str()) {
            let marked = undeliverable::get(table, &email.to).await?;
            undeliverable.insert(&email.to, marked);
        }
    }
    Ok(emails
        .iter()
        .map(|email| {
            let marked = undeliverable
                .get(email.to.as_str())
                .and_then(Option::as_ref);
            let (status, detail) = match (marked, &email.sent_at) {
                (Some(marked), _) => (
                    "Not delivered",
                    format!(
                        "The address {} on {}.",
                        match marked.reason {
                            Reason::Bounce => "bounced",
                            Reason::Complaint => "reported our mail as spam",
                        },
                        when(&marked.first_at)
                    ),
                ),
                (None, Some(sent_at)) if email.sent => ("Sent", when(sent_at)),
                _ => ("Not sent yet", String::new()),
            };
            EmailRow {
                queued: when(&email.queued_at),
                subject: email.subject.clone(),
                to: if coordinator {
                    email.to.clone()
                } else {
                    "Hidden from viewers".into()
                },
                status,
                detail,
            }
        })
        .collect())
}
