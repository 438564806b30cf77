//! Feedback both ways once a report is final: one email to the school and one to each reviewer
//! of the team, each with its own signed, expiring link to a short form (no sign-in). They are
//! queued in the transaction that makes the report final ([`invitations`]).

use aws_sdk_dynamodb::types::TransactWriteItem;
use records::links::{EmailLinks, FEEDBACK_LINK_DAYS, feedback_link};
use records::outbox::{self, OutboxEmail, Programme, RenderError, RenderedEmail};
use records::request::StoredRequest;
use records::store::{StoreError, Table};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::reviewer_details::with_link;

/// To the school or a reviewer: how did the review go?
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FeedbackInvitation {
    pub request_id: String,
    /// `school`, `lead` or `second`: whose form the link opens.
    pub respondent: String,
    pub school_name: String,
    /// Epoch seconds: when the link stops working.
    pub expires_at: i64,
}

impl OutboxEmail for FeedbackInvitation {
    const KIND: &'static str = "feedback_invitation";

    fn render(
        &self,
        programme: &Programme,
        links: &EmailLinks<'_>,
    ) -> Result<RenderedEmail, RenderError> {
        let href = feedback_link(
            &programme.site_url,
            links.secret,
            &self.request_id,
            &self.respondent,
            self.expires_at,
        );
        let (subject, paragraphs) = if self.respondent == "school" {
            (
                format!("{}: how useful was your review?", programme.name),
                vec![
                    format!(
                        "{}'s review report is final. Please tell the programme how useful the review was: three questions on a scale of 1 to 5 and, if you like, a comment. It takes two minutes.",
                        self.school_name
                    ),
                    "Your answers go to the programme as totals with other schools' answers; the reviewers never see them.".into(),
                ],
            )
        } else {
            (
                format!("{}: how did the review go for you?", programme.name),
                vec![
                    format!(
                        "The report of your review of {} is final. Please tell the programme how the review went for you and what you took back to your own school: three questions on a scale of 1 to 5 and a comment.",
                        self.school_name
                    ),
                    "Your answers go to the programme as totals with other reviewers' answers; the school never sees them.".into(),
                ],
            )
        };
        let mut paragraphs = paragraphs;
        paragraphs.push(format!(
            "The link works for {FEEDBACK_LINK_DAYS} days, for one answer."
        ));
        Ok(with_link(
            subject,
            &paragraphs,
            ("Give your feedback", &href),
            programme,
        ))
    }
}

/// The feedback emails of `stored`, whose report becomes final at `now`: to the school's
/// contact and to each reviewer of the team (their addresses read from the pool).
pub async fn invitations(
    table: &Table,
    stored: &StoredRequest,
    now: OffsetDateTime,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let expires_at = (now + Duration::days(FEEDBACK_LINK_DAYS)).unix_timestamp();
    let invitation = |respondent: &str| FeedbackInvitation {
        request_id: stored.id.clone(),
        respondent: respondent.to_owned(),
        school_name: stored.request.school.name.to_string(),
        expires_at,
    };
    let mut items = vec![outbox::put(
        &table.name,
        Some(&stored.id),
        stored.request.contact.email.as_str(),
        &invitation("school"),
        now,
    )];
    for (respondent, member) in [("lead", &stored.lead), ("second", &stored.second)] {
        let Some(member) = member else { continue };
        if let Some(email) = records::reviewers::reviewer_email(table, &member.reviewer_id).await? {
            items.push(outbox::put(
                &table.name,
                Some(&stored.id),
                &email,
                &invitation(respondent),
                now,
            ));
        }
    }
    Ok(items)
}
