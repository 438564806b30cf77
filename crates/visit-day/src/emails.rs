//! The visit day's email: a confirmed plan changed by one side, to the other side, with the
//! plan as it now is and a link to its page.

use records::links::{EmailLinks, ReviewLink, review_link, review_link_expiry, status_link};
use records::outbox::{OutboxEmail, Programme, RenderError, RenderedEmail};
use records::request::{StoredRequest, TeamMember};
use serde::{Deserialize, Serialize};

use crate::plan::Plan;

/// Someone the plan's change is sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub name: String,
    pub email: String,
    /// A reviewer's accepted offer (their review link is signed for it); `None`: the school.
    pub offer_id: Option<String>,
}

impl Recipient {
    /// The school's contact.
    pub fn school(stored: &StoredRequest) -> Self {
        Self {
            name: stored.request.contact.name.to_string(),
            email: stored.request.contact.email.to_string(),
            offer_id: None,
        }
    }

    /// A member of the review team, at `email`.
    pub fn reviewer(member: &TeamMember, email: String) -> Self {
        Self {
            name: member.reviewer_name.clone(),
            email,
            offer_id: Some(member.offer_id.clone()),
        }
    }
}

/// The plan of the day, one line a session, as an email shows it.
pub fn plan_lines(plan: &Plan) -> Vec<String> {
    plan.sessions
        .iter()
        .map(|s| {
            let mut line = format!("{}–{} {}", s.start, s.end, s.title());
            if !s.place.is_empty() {
                line.push_str(&format!(", {}", s.place));
            }
            if !s.attendees.is_empty() {
                line.push_str(&format!(" ({})", s.attendees));
            }
            line
        })
        .collect()
}

/// To one side: the other changed the confirmed plan.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PlanChanged {
    pub request_id: String,
    pub reference: String,
    pub school_name: String,
    pub recipient_name: String,
    /// "the school", or the lead reviewer's name.
    pub changed_by: String,
    /// `YYYY-MM-DD`.
    pub visit_date: String,
    pub visit_date_text: String,
    /// The reviewer's accepted offer, for their review link; `None`: to the school.
    pub offer_id: Option<String>,
    /// The plan as it now is, a line a session.
    pub sessions: Vec<String>,
}

impl PlanChanged {
    pub fn new(stored: &StoredRequest, plan: &Plan, changed_by: &str, to: &Recipient) -> Self {
        let visit = stored.lead.as_ref().map(|lead| lead.visit_date);
        Self {
            request_id: stored.id.clone(),
            reference: stored.reference.to_string(),
            school_name: stored.request.school.name.to_string(),
            recipient_name: to.name.clone(),
            changed_by: changed_by.to_owned(),
            visit_date: visit.map(|d| d.to_string()).unwrap_or_default(),
            visit_date_text: crate::visit_date_text(stored),
            offer_id: to.offer_id.clone(),
            sessions: plan_lines(plan),
        }
    }

    /// The recipient's page of the plan.
    fn link(&self, programme: &Programme, links: &EmailLinks) -> String {
        let site = &programme.site_url;
        match &self.offer_id {
            None => status_link(site, links, &self.request_id, "/visit-day"),
            Some(offer_id) => {
                let expires_at = records::domain::parse_date(&self.visit_date)
                    .map(review_link_expiry)
                    .unwrap_or_default();
                let review = ReviewLink {
                    offer_id: offer_id.clone(),
                    expires_at,
                };
                format!("{}/visit-day", review_link(site, links, &review))
            }
        }
    }
}

impl OutboxEmail for PlanChanged {
    const KIND: &'static str = "visit_plan_changed";

    fn render(
        &self,
        programme: &Programme,
        links: &EmailLinks,
    ) -> Result<RenderedEmail, RenderError> {
        let changed_by = match self.changed_by.as_str() {
            "the school" => "The school".to_owned(),
            name => format!("{name}, the lead reviewer,"),
        };
        let mut lines = vec![
            format!("Dear {},", self.recipient_name),
            format!(
                "{changed_by} changed the plan of the visit to {} on {} (reference {}) after it was confirmed. The day is now:",
                self.school_name, self.visit_date_text, self.reference
            ),
        ];
        lines.extend(self.sessions.iter().cloned());
        lines.push(format!(
            "See the plan and say if something does not work for you: {}",
            self.link(programme, links)
        ));
        lines.push(programme.name.clone());
        let html = records::outbox::html_paragraphs(&lines);
        Ok(RenderedEmail {
            subject: format!(
                "Visit plan changed: {} on {}",
                self.school_name, self.visit_date_text
            ),
            text: lines.join("\n\n") + "\n",
            html,
            attachments: Vec::new(),
        })
    }
}
