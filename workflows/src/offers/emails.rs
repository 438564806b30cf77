//! The emails of matching and booking: the offer and its reminder, the administrator's
//! "needs attention", the booked (or moved) visit with its calendar file, and a date change.

use serde::{Deserialize, Serialize};

use records::links::{EmailLinks, LinkSecret, OfferAction, ReviewLink, review_link, status_link};

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
    /// The calendar's SEQUENCE: the request's `visit_sequence` (0 when first booked, raised by
    /// every change that sends a calendar message).
    #[serde(default)]
    pub sequence: u32,
    /// The visit moved (not a new booking or a new reviewer). Absent on emails queued before
    /// it was stored, whose SEQUENCE said it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moved: Option<bool>,
    /// The recipient, as the calendar entry's ATTENDEE (absent on emails queued before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attendee: Option<calendar::Attendee>,
    /// The calendar entry's description, if not the default (e.g. the confirmed visit plan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl VisitConfirmed {
    /// Whether the email says the visit moved.
    pub fn is_move(&self) -> bool {
        self.moved.unwrap_or(self.sequence > 0)
    }
}

/// The visit is off: the request was withdrawn. To the school (linked to its status page,
/// which says what becomes of its data) and each booked reviewer, with the calendar entry's
/// cancellation.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct VisitCancelled {
    pub to_school: bool,
    #[serde(flatten)]
    pub visit: calendar::CancelledVisit,
}

/// The reminder, halfway through an offer, of the same offer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(transparent)]
pub struct OfferReminder(pub ReviewerOffer);

crate::emails::same_payload_as!(OfferReminder => ReviewerOffer);

crate::emails::outbox_email!(
    ReviewerOffer,
    kind: "reviewer_offer",
    templates: "email/offer.html", "email/offer.txt",
    link: |email, site, links| offer_link(site, links, email),
    subject: |email, programme| format!(
        "Can you review {} ({})? {}",
        email.school_name, email.local_authority, email.reference
    ),
);

crate::emails::outbox_email!(
    OfferReminder,
    kind: "offer_reminder",
    templates: "email/offer_reminder.html", "email/offer_reminder.txt",
    link: |email, site, links| offer_link(site, links, email),
    subject: |email, programme| format!(
        "Reminder: can you review {}? Please answer by {}",
        email.school_name, email.respond_by
    ),
);

crate::emails::outbox_email!(
    NeedsAttention,
    kind: "needs_attention",
    templates: "email/needs_attention.html", "email/needs_attention.txt",
    link: |email, site, links| String::new(),
    subject: |email, programme| format!(
        "Needs attention: no reviewer found for {}",
        email.reference
    ),
);

crate::emails::outbox_email!(
    DateChange,
    kind: "date_change",
    templates: "email/date_change.html", "email/date_change.txt",
    link: |email, site, links| school_or_review_link(site, links, email),
    subject: |email, programme| if email.kept {
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
);

crate::emails::outbox_email!(
    VisitConfirmed,
    kind: "visit_confirmed",
    templates: "email/visit_confirmed.html", "email/visit_confirmed.txt",
    link: |email, site, links| school_or_review_link(site, links, email),
    subject: |email, programme| format!(
        "{}: {} on {}",
        if email.is_move() {
            "Visit moved"
        } else {
            "Visit booked"
        },
        email.school_name,
        email.visit_date_text
    ),
    attachments: |email, programme| [calendar::visit_attachment(programme, email)],
);

crate::emails::outbox_email!(
    VisitCancelled,
    kind: "visit_cancelled",
    templates: "email/visit_cancelled.html", "email/visit_cancelled.txt",
    link: |email, site, links| match email.to_school {
        true => status_link(site, links, &email.visit.request_id, ""),
        false => String::new(),
    },
    subject: |email, programme| format!(
        "Visit cancelled: {} on {}",
        email.visit.school_name, email.visit.visit_date_text
    ),
    attachments: |email, programme| [email.visit.attachment(programme)],
);

/// The school's status page, or the reviewer's page for the review (none if the email has no
/// review to link to).
/// A visit email goes to the school (linked to its status page) or to a reviewer (linked to
/// their review page, if they have one).
trait VisitRecipient {
    fn recipient(&self) -> (&str, bool, Option<&ReviewLink>);
}

impl VisitRecipient for DateChange {
    fn recipient(&self) -> (&str, bool, Option<&ReviewLink>) {
        (&self.request_id, self.to_school, self.review_link.as_ref())
    }
}

impl VisitRecipient for VisitConfirmed {
    fn recipient(&self) -> (&str, bool, Option<&ReviewLink>) {
        (&self.request_id, self.to_school, self.review_link.as_ref())
    }
}

fn school_or_review_link(site: &str, links: &EmailLinks, email: &impl VisitRecipient) -> String {
    let (request_id, to_school, review) = email.recipient();
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
