//! The emails of matching and booking: the offer and its reminder, the administrator's
//! "needs attention", the booked (or moved) visit with its calendar file, and a date change.

use serde::{Deserialize, Serialize};

use records::links::{LinkSecret, OfferAction, ReviewLink, review_link, status_link};
use records::outbox::{Attachment, OutboxEmail, Programme, RenderError, RenderedEmail};

use super::calendar;

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

/// The reminder, halfway through an offer, of the same offer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(transparent)]
pub struct OfferReminder(pub ReviewerOffer);

crate::emails::email_templates!(
    ReviewerOfferHtml,
    ReviewerOfferText,
    ReviewerOffer,
    "email/offer.html",
    "email/offer.txt"
);
crate::emails::email_templates!(
    ReminderHtml,
    ReminderText,
    ReviewerOffer,
    "email/offer_reminder.html",
    "email/offer_reminder.txt"
);
crate::emails::email_templates!(
    NeedsAttentionHtml,
    NeedsAttentionText,
    NeedsAttention,
    "email/needs_attention.html",
    "email/needs_attention.txt"
);
crate::emails::email_templates!(
    DateChangeHtml,
    DateChangeText,
    DateChange,
    "email/date_change.html",
    "email/date_change.txt"
);
crate::emails::email_templates!(
    VisitConfirmedHtml,
    VisitConfirmedText,
    VisitConfirmed,
    "email/visit_confirmed.html",
    "email/visit_confirmed.txt"
);

impl OutboxEmail for ReviewerOffer {
    const KIND: &'static str = "reviewer_offer";

    fn render(
        &self,
        programme: &Programme,
        links: &LinkSecret,
    ) -> Result<RenderedEmail, RenderError> {
        let link = offer_link(&programme.site_url, links, self);
        ReviewerOfferHtml::mail(
            programme,
            self,
            &link,
            format!(
                "Can you review {} ({})? {}",
                self.school_name, self.local_authority, self.reference
            ),
        )
    }
}

impl OutboxEmail for OfferReminder {
    const KIND: &'static str = "offer_reminder";

    fn render(
        &self,
        programme: &Programme,
        links: &LinkSecret,
    ) -> Result<RenderedEmail, RenderError> {
        let offer = &self.0;
        let link = offer_link(&programme.site_url, links, offer);
        ReminderHtml::mail(
            programme,
            offer,
            &link,
            format!(
                "Reminder: can you review {}? Please answer by {}",
                offer.school_name, offer.respond_by
            ),
        )
    }
}

impl OutboxEmail for NeedsAttention {
    const KIND: &'static str = "needs_attention";

    fn render(
        &self,
        programme: &Programme,
        _links: &LinkSecret,
    ) -> Result<RenderedEmail, RenderError> {
        NeedsAttentionHtml::mail(
            programme,
            self,
            "",
            format!("Needs attention: no reviewer found for {}", self.reference),
        )
    }
}

impl OutboxEmail for DateChange {
    const KIND: &'static str = "date_change";

    fn render(
        &self,
        programme: &Programme,
        links: &LinkSecret,
    ) -> Result<RenderedEmail, RenderError> {
        let link = school_or_review_link(
            &programme.site_url,
            links,
            &self.request_id,
            self.to_school,
            self.review_link.as_ref(),
        );
        DateChangeHtml::mail(
            programme,
            self,
            &link,
            if self.kept {
                format!(
                    "The visit stays on {}: {}",
                    self.current_date_text, self.reference
                )
            } else {
                format!(
                    "Can the visit move to {}? {}",
                    self.proposed_date_text, self.reference
                )
            },
        )
    }
}

impl OutboxEmail for VisitConfirmed {
    const KIND: &'static str = "visit_confirmed";

    fn render(
        &self,
        programme: &Programme,
        links: &LinkSecret,
    ) -> Result<RenderedEmail, RenderError> {
        let link = school_or_review_link(
            &programme.site_url,
            links,
            &self.request_id,
            self.to_school,
            self.review_link.as_ref(),
        );
        Ok(RenderedEmail {
            attachments: vec![Attachment {
                filename: "visit.ics".into(),
                content_type: "text/calendar; charset=utf-8; method=PUBLISH".into(),
                content: calendar::visit_event(programme, self).into_bytes(),
            }],
            ..VisitConfirmedHtml::mail(
                programme,
                self,
                &link,
                format!(
                    "{}: {} on {}",
                    if self.sequence > 0 {
                        "Visit moved"
                    } else {
                        "Visit booked"
                    },
                    self.school_name,
                    self.visit_date_text
                ),
            )?
        })
    }
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

fn offer_link(site: &str, links: &LinkSecret, email: &ReviewerOffer) -> String {
    let token = links.offer_token(&email.offer_id, OfferAction::Respond, email.expires_at);
    format!("{site}/offers/{token}")
}
