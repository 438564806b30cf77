//! Renewing a school's status link, one request at a time: when a link was forwarded to someone
//! who should not have it, the school (a button on its status page) or the coordinator (the
//! console's request page, audit-logged) asks for a new one. In one transaction the request's
//! link version goes up (conditional on the version the asker saw, so two renewals at once store
//! one), the new link's hash is stored, the timeline says who renewed it, and an email carries
//! the new link to the request's contact. Every older link is refused from then on
//! (`records::request::find_by_status_token`) with a page that says how to get the new one;
//! reviewers' offer and review links are signed otherwise and are not touched.

use aws_sdk_dynamodb::types::{TransactWriteItem, Update};
use records::audit::{Actor, AuditSubject};
use records::links::{EmailLinks, LinkSecret, status_link};
use records::outbox::{self, OutboxEmail, Programme, RenderError, RenderedEmail};
use records::request::{StoredRequest, TimelineEvent, request_pk, status_link_put, timeline_put};
use records::store::{StoreError, Table, Transacted, dynamo_error, n, s};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::refusal::Refused;
use crate::{Coordination, CoordinationError};

type Rendered = Result<RenderedEmail, RenderError>;

/// Who asked for the new link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RenewedBy {
    /// Someone holding the school's link, from its status page.
    School,
    /// The programme's coordinator, from the console.
    Coordinator,
}

/// To the request's contact: the new link to the request's page; the old one no longer works.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StatusLinkRenewed {
    pub request_id: String,
    pub reference: String,
    pub contact_name: String,
    pub school_name: String,
    pub renewed_by: RenewedBy,
}

impl OutboxEmail for StatusLinkRenewed {
    /// Stored in the outbox item: never renamed.
    const KIND: &'static str = "status_link_renewed";

    /// The new link, at the request's link version when the email is delivered.
    fn render(&self, programme: &Programme, links: &EmailLinks) -> Rendered {
        let link = status_link(&programme.site_url, links, &self.request_id, "");
        let why = match self.renewed_by {
            RenewedBy::School => "Someone using your school's link asked for a new one.",
            RenewedBy::Coordinator => "Our programme team has replaced your school's link.",
        };
        let before = [
            format!("Dear {},", self.contact_name),
            format!(
                "{why} Here is the new link to the page of {}'s review request {}:",
                self.school_name, self.reference
            ),
        ];
        let after = [
            "The old link no longer works, so anyone it was forwarded to can no longer open the page. Keep this link private to the people at your school who need it.".to_owned(),
            format!(
                "If you did not expect this, write to {} quoting {}.",
                programme.contact_email, self.reference
            ),
            programme.name.clone(),
        ];
        let text = before
            .iter()
            .chain([&link])
            .chain(after.iter())
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join("\n\n");
        let link_html = format!(
            r#"<p><a href="{0}">{0}</a></p>"#,
            crate::replacement::html_text(&link)
        );
        let html = [
            crate::replacement::html_paragraphs(&before),
            link_html,
            crate::replacement::html_paragraphs(&after),
        ]
        .join("\n");
        Ok(RenderedEmail {
            subject: format!(
                "{}: a new link to your request {}",
                programme.name, self.reference
            ),
            text: text + "\n",
            html,
            attachments: Vec::new(),
        })
    }
}

/// What a renewal did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// The link is renewed, at this version; the email is queued.
    Renewed(u32),
    /// The link was renewed by someone else (or the request purged) since `stored` was read:
    /// nothing stored.
    Moved,
}

/// Renews request `stored`'s status link (as read: conditional on its version then), with
/// `also`'s items (an audit entry) in the same transaction.
pub async fn renew(
    table: &Table,
    links: &LinkSecret,
    stored: &StoredRequest,
    by: RenewedBy,
    now: OffsetDateTime,
    also: Vec<TransactWriteItem>,
) -> Result<Renewal, StoreError> {
    let name = table.name.as_str();
    let (old, new) = (stored.status_link_version, stored.status_link_version + 1);
    let condition = if old == 0 {
        "attribute_exists(pk) AND (attribute_not_exists(status_link_version) OR status_link_version = :old)"
    } else {
        "status_link_version = :old"
    };
    let version = Update::builder()
        .table_name(name)
        .key("pk", s(request_pk(&stored.id)))
        .key("sk", s("REQUEST"))
        .update_expression("SET status_link_version = :new")
        .condition_expression(condition)
        .expression_attribute_values(":old", n(old))
        .expression_attribute_values(":new", n(new))
        .build()
        .map_err(|e| StoreError::Corrupt {
            key: request_pk(&stored.id),
            reason: e.to_string(),
        })?;
    let at = now.format(&Rfc3339).unwrap_or_default();
    let detail = match by {
        RenewedBy::School => "asked for from the status page",
        RenewedBy::Coordinator => "by the programme team",
    };
    let event = TimelineEvent::new(at, "status_link_renewed", Some(detail.to_owned()));
    let email = StatusLinkRenewed {
        request_id: stored.id.clone(),
        reference: stored.reference.to_string(),
        contact_name: stored.request.contact.name.to_string(),
        school_name: stored.request.school.name.to_string(),
        renewed_by: by,
    };
    let token = links.status_token(&stored.id, new);
    let mut items = vec![
        TransactWriteItem::builder().update(version).build(),
        status_link_put(name, &stored.id, &token, new),
        timeline_put(name, &stored.id, &event),
        outbox::put(
            name,
            Some(&stored.id),
            stored.request.contact.email.as_str(),
            &email,
            now,
        ),
    ];
    items.extend(also);
    match table
        .transact(items)
        .await
        .map_err(|e| dynamo_error("TransactWriteItems", e))?
    {
        Transacted::Committed => Ok(Renewal::Renewed(new)),
        Transacted::Cancelled(_) => Ok(Renewal::Moved),
    }
}

impl Coordination {
    /// The coordinator renews request `id`'s status link (a school reported it forwarded), from
    /// a page that saw `seen_on_page`, with the audit entry in the same transaction.
    pub async fn renew_status_link(
        &self,
        links: &LinkSecret,
        actor: &Actor,
        (id, seen_on_page): (&str, &str),
    ) -> Result<Result<(), Refused>, CoordinationError> {
        Ok(match self.as_seen(id, seen_on_page).await? {
            Ok(stored) => self.renew_as_coordinator(links, actor, &stored).await?,
            Err(refused) => Err(refused),
        })
    }

    async fn renew_as_coordinator(
        &self,
        links: &LinkSecret,
        actor: &Actor,
        stored: &StoredRequest,
    ) -> Result<Result<(), Refused>, CoordinationError> {
        let table = self.workflow.table();
        let entry = actor
            .entry(
                "status link renewed",
                AuditSubject::Request {
                    id: stored.id.clone(),
                    reference: stored.reference.to_string(),
                },
                "the old link refused; the new one emailed to the school's contact",
            )
            .transact_put(table)?;
        let by = RenewedBy::Coordinator;
        Ok(
            match renew(table, links, stored, by, actor.at, vec![entry]).await? {
                Renewal::Renewed(_) => Ok(()),
                Renewal::Moved => Err(Refused::Stale),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The email to Sam Lee of Brook & Vale (text to escape), renewed `by`.
    fn renewed(by: RenewedBy) -> StatusLinkRenewed {
        StatusLinkRenewed {
            request_id: "01JREQ".into(),
            reference: "SR-ABCD-2345".into(),
            contact_name: "Sam <Lee>".into(),
            school_name: "Brook & Vale".into(),
            renewed_by: by,
        }
    }

    #[test]
    fn the_email_carries_the_link_at_the_version_it_is_rendered_with_and_escapes_text() {
        let secret = LinkSecret::from_bytes(&[7; 32]).unwrap();
        let render = |by| {
            renewed(by)
                .render(&records::outbox::example_programme(), &secret.for_email(2))
                .unwrap()
        };
        let rendered = render(RenewedBy::School);
        let link = format!(
            "https://reviews.example/status/{}",
            secret.status_token("01JREQ", 2)
        );
        assert!(
            rendered.text.contains(&format!("\n\n{link}\n\n")),
            "{}",
            rendered.text
        );
        assert!(rendered.html.contains(&format!(r#"<a href="{link}">"#)));
        assert!(!rendered.text.contains(&secret.status_token("01JREQ", 1)));
        assert!(rendered.html.contains("Dear Sam &lt;Lee&gt;,"));
        assert!(rendered.html.contains("Brook &amp; Vale"));
        assert!(rendered.text.contains("asked for a new one"));
        assert_eq!(
            rendered.subject,
            "Northshire SEND Review: a new link to your request SR-ABCD-2345"
        );
        let by_coordinator = render(RenewedBy::Coordinator);
        assert!(
            by_coordinator
                .text
                .contains("Our programme team has replaced")
        );
    }
}
