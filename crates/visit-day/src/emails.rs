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

/// What rendering an email gives.
type Rendered = Result<RenderedEmail, RenderError>;

/// To one side: the other changed the confirmed plan.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PlanChanged {
    /// The plan as it now is, a line a session.
    pub sessions: Vec<String>,
    pub request_id: String,
    /// The reviewer's accepted offer, for their review link; `None`: to the school.
    pub offer_id: Option<String>,
    /// Who the email greets, and who changed the plan ("the school", or the lead's name).
    pub names: (String, String),
    /// The school's name and the request's reference.
    pub school: (String, String),
    /// The visit's day: `YYYY-MM-DD` (for the review link's expiry), and as written.
    pub visit: (String, String),
}

impl PlanChanged {
    pub fn new(stored: &StoredRequest, plan: &Plan, changed_by: &str, to: &Recipient) -> Self {
        let visit = stored.lead.as_ref().map(|lead| lead.visit_date);
        let visit_date = visit.map(|d| d.to_string()).unwrap_or_default();
        Self {
            sessions: plan_lines(plan),
            request_id: stored.id.clone(),
            offer_id: to.offer_id.clone(),
            names: (to.name.clone(), changed_by.to_owned()),
            school: (
                stored.request.school.name.to_string(),
                stored.reference.to_string(),
            ),
            visit: (visit_date, crate::visit_date_text(stored)),
        }
    }

    /// The recipient's page of the plan.
    fn link(&self, programme: &Programme, links: &EmailLinks) -> String {
        let site = &programme.site_url;
        match &self.offer_id {
            None => status_link(site, links, &self.request_id, "/visit-day"),
            Some(offer_id) => {
                let expires_at = records::domain::parse_date(&self.visit.0)
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

    /// The plan as it now is, with a link to the recipient's own page of it.
    fn render(&self, programme: &Programme, links: &EmailLinks) -> Rendered {
        let ((recipient, changed_by), (school, reference)) = (&self.names, &self.school);
        let visit = &self.visit.1;
        let changed_by = match changed_by.as_str() {
            "the school" => "The school".to_owned(),
            name => format!("{name}, the lead reviewer,"),
        };
        let mut lines = vec![
            format!("Dear {recipient},"),
            format!(
                "{changed_by} changed the plan of the visit to {school} on {visit} (reference {reference}) after it was confirmed. The day is now:"
            ),
        ];
        lines.extend(self.sessions.iter().cloned());
        let link = self.link(programme, links);
        let see = "See the plan and say if something does not work for you";
        let html = format!(
            "{}\n<p>{see}: <a href=\"{}\">the visit day</a></p>\n<p>{}</p>",
            records::outbox::html_paragraphs(&lines),
            records::outbox::html_text(&link),
            records::outbox::html_text(&programme.name)
        );
        lines.push(format!("{see}: {link}"));
        lines.push(programme.name.clone());
        Ok(RenderedEmail {
            subject: format!("Visit plan changed: {school} on {visit}"),
            text: lines.join("\n\n") + "\n",
            html,
            attachments: Vec::new(),
        })
    }
}
