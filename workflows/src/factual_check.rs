//! Telling the lead reviewer that the school has answered on the draft report (accepted it, or
//! commented on sections), with the link to the report editor. The email's outbox item goes in
//! the same transaction as the report's move to `checked` (`crate::report::store`).

use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::report::FactualCheck;
use records::links::{ReviewLink, review_link};
use records::request::StoredRequest;
use records::store::{StoreError, Table};

/// Tells the lead reviewer the school has answered on the draft.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FactualCheckAnswered {
    pub request_id: String,
    pub reference: String,
    pub school_name: String,
    /// The lead reviewer's name.
    pub addressee: String,
    /// Sections the school commented on; none: it accepted the draft as it is.
    pub comments: usize,
    pub review_link: ReviewLink,
}

/// The outbox item telling the lead of request `stored` about the school's `check`; none when
/// the review has no lead or the lead's profile has no address (nothing to send to).
pub async fn lead_email(
    table: &Table,
    stored: &StoredRequest,
    check: &FactualCheck,
    now: OffsetDateTime,
) -> Result<Option<TransactWriteItem>, StoreError> {
    let Some(lead) = stored.lead.as_ref() else {
        return Ok(None);
    };
    let Some(address) = records::reviewers::reviewer_email(table, &lead.reviewer_id).await? else {
        return Ok(None);
    };
    let email = FactualCheckAnswered {
        request_id: stored.id.clone(),
        reference: stored.reference.to_string(),
        school_name: stored.request.school.name.to_string(),
        addressee: lead.reviewer_name.clone(),
        comments: check.comments().len(),
        review_link: records::request::review_link_for(lead),
    };
    Ok(Some(records::outbox::put(
        &table.name,
        Some(&stored.id),
        &address,
        &email,
        now,
    )))
}

crate::emails::outbox_email!(
    FactualCheckAnswered,
    kind: "factual_check_answered",
    templates: "email/factual_check_answered.html", "email/factual_check_answered.txt",
    link: |email, site, links| format!("{}/report", review_link(site, links, &email.review_link)),
    subject: |email, programme| format!(
        "{} has {}: {}",
        email.school_name,
        if email.comments == 0 {
            "accepted the draft report"
        } else {
            "commented on the draft report"
        },
        email.reference
    ),
);

#[cfg(test)]
mod tests {
    use super::*;
    use records::links::LinkSecret;
    use records::outbox::{OutboxEmail, Programme};

    fn answered(comments: usize) -> FactualCheckAnswered {
        FactualCheckAnswered {
            request_id: "01JREQ".into(),
            reference: "SR-7K3M-Q9".into(),
            school_name: "St Mary's & <All> Saints".into(),
            addressee: "Ada Lead".into(),
            comments,
            review_link: ReviewLink {
                offer_id: "01JOFFER".into(),
                expires_at: 1_900_000_000,
            },
        }
    }

    #[test]
    fn the_lead_learns_the_answer_with_the_editor_link_and_escaped_school_name() {
        let programme = Programme {
            name: "Camden SEND Review".into(),
            contact_email: "send@camden.example".into(),
            sender_address: "reviews@example.org".into(),
            site_url: "https://reviews.example".into(),
        };
        let links = LinkSecret::from_bytes(&[1u8; 32]).unwrap();
        let editor = format!(
            "{}/report",
            review_link(&programme.site_url, &links, &answered(0).review_link)
        );
        let accepted = answered(0).render(&programme, &links.for_email(0)).unwrap();
        assert!(accepted.subject.contains("accepted the draft report"));
        assert!(
            accepted
                .text
                .contains("confirmed the draft report is factually accurate")
        );
        assert!(accepted.text.contains(&editor));
        assert!(accepted.html.contains(&editor));
        assert!(
            accepted
                .html
                .contains("St Mary&#39;s &#38; &#60;All&#62; Saints")
        );
        assert!(!accepted.html.contains("<All>"));

        let commented = answered(2).render(&programme, &links.for_email(0)).unwrap();
        assert!(commented.subject.contains("commented on the draft report"));
        assert!(commented.text.contains("commented on 2 sections"));
        assert!(commented.html.contains("commented on 2 sections"));
    }
}
