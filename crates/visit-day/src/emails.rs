//! The visit day's email: the school confirmed the plan, or one side changed a confirmed plan.
//! To the school and each of the review team, with the plan as it now is, a link to its page
//! and the visit's calendar entry updated (same UID, the next SEQUENCE) with the plan as its
//! description.

use records::links::{EmailLinks, ReviewLink, review_link, review_link_expiry, status_link};
use records::outbox::{Attachment, OutboxEmail, Programme, RenderError, RenderedEmail};
use records::request::{StoredRequest, TeamMember};
use serde::{Deserialize, Serialize};

use crate::ReviewAreas;
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
    plan.sessions.iter().map(session_line).collect()
}

/// A session as one line: its time, kind, place and who attends.
fn session_line(s: &crate::Session) -> String {
    let mut line = format!("{}–{} {}", s.start, s.end, s.title());
    if !s.place.is_empty() {
        line.push_str(&format!(", {}", s.place));
    }
    if !s.attendees.is_empty() {
        line.push_str(&format!(" ({})", s.attendees));
    }
    line
}

/// The plan as the calendar entry's description: its sessions in time order, each its line
/// (time, kind, place, who attends) and the focus areas it serves, by title.
pub fn calendar_text(plan: &Plan, areas: &ReviewAreas) -> String {
    let mut text = String::from("The plan of the day:");
    for session in &plan.sessions {
        text.push_str("\n\n");
        text.push_str(&session_line(session));
        if !session.areas.is_empty() {
            let titles: Vec<String> = session.areas.iter().map(|a| areas.title(a)).collect();
            text.push_str(&format!("\nFocus areas: {}", titles.join("; ")));
        }
    }
    text
}

/// What rendering an email gives.
type Rendered = Result<RenderedEmail, RenderError>;

/// Why a plan email goes to its recipient.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PlanNews {
    /// The other side (or the lead, to a second reviewer) changed the confirmed plan.
    #[default]
    Changed,
    /// The recipient's own side changed it: only their calendar entry is news.
    Updated,
    /// The school confirmed it.
    Confirmed,
}

/// The visit's calendar entry as a plan email updates it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PlanCalendar {
    /// The request's `visit_sequence` as the plan's change raised it.
    pub sequence: u32,
    pub postcode: String,
    pub lead_name: String,
    /// The plan as text ([`calendar_text`]).
    pub description: String,
    pub attendee: itip::Attendee,
}

/// To the school or one of the review team: the plan was confirmed, or changed after that.
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
    /// Absent on emails queued before it was stored: a change by the other side.
    #[serde(default)]
    pub news: PlanNews,
    /// Absent on emails queued before the plan was in the calendar entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<PlanCalendar>,
}

impl PlanChanged {
    /// The email of `news` to `to` about `plan`, changed by `changed_by`, with `calendar`.
    pub fn new(
        stored: &StoredRequest,
        plan: &Plan,
        (news, changed_by): (PlanNews, &str),
        to: &Recipient,
        calendar: Option<PlanCalendar>,
    ) -> Self {
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
            news,
            calendar,
        }
    }

    /// `visit.ics`: the visit's entry with the plan as its description.
    fn calendar_attachment(&self, programme: &Programme) -> Option<Attachment> {
        let calendar = self.calendar.as_ref()?;
        let visit = itip::BookedVisit {
            to_school: self.offer_id.is_none(),
            request_id: &self.request_id,
            reference: &self.school.1,
            school: (&self.school.0, &calendar.postcode),
            reviewer_name: &calendar.lead_name,
            visit_date: &self.visit.0,
            sequence: calendar.sequence,
            attendee: Some(&calendar.attendee),
            description: Some(&calendar.description),
        };
        Some(visit.attachment(programme))
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

    /// The plan as it now is, with a link to the recipient's own page of it and the calendar
    /// entry.
    fn render(&self, programme: &Programme, links: &EmailLinks) -> Rendered {
        let ((recipient, changed_by), (school, reference)) = (&self.names, &self.school);
        let visit = &self.visit.1;
        let the_visit = format!("the visit to {school} on {visit} (reference {reference})");
        let (subject, news) = match self.news {
            PlanNews::Changed => {
                let changed_by = match changed_by.as_str() {
                    "the school" => "The school".to_owned(),
                    name => format!("{name}, the lead reviewer,"),
                };
                let news = format!(
                    "{changed_by} changed the plan of {the_visit} after it was confirmed. The day is now:"
                );
                ("Visit plan changed", news)
            }
            PlanNews::Updated => {
                let news =
                    format!("Your change to the plan of {the_visit} is saved. The day is now:");
                ("Visit plan saved", news)
            }
            PlanNews::Confirmed => {
                let news = format!("The school confirmed the plan of {the_visit}. The day:");
                ("Visit plan confirmed", news)
            }
        };
        let mut lines = vec![format!("Dear {recipient},"), news];
        lines.extend(self.sessions.iter().cloned());
        let attachment = self.calendar_attachment(programme);
        if attachment.is_some() {
            lines.push(
                "The calendar file attached (visit.ics) updates the visit in your calendar: the plan is in its description.".into(),
            );
        }
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
            subject: format!("{subject}: {school} on {visit}"),
            text: lines.join("\n\n") + "\n",
            html,
            attachments: attachment.into_iter().collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Session, SessionKind};

    fn session(kind: SessionKind, (start, end): (&str, &str), areas: &[&str]) -> Session {
        Session {
            id: start.into(),
            kind,
            start: start.into(),
            end: end.into(),
            place: "Library".into(),
            attendees: "SENCO; head".into(),
            areas: areas.iter().map(|a| (*a).to_owned()).collect(),
        }
    }

    fn plan() -> Plan {
        Plan {
            sessions: vec![
                session(SessionKind::SencoMeeting, ("09:00", "10:00"), &["outcomes"]),
                session(SessionKind::LearningWalk, ("10:15", "11:00"), &[]),
            ],
            next_id: 3,
        }
    }

    #[test]
    fn the_calendar_text_has_each_session_in_order_with_the_titles_of_its_areas() {
        let areas = ReviewAreas {
            areas: vec![("outcomes".into(), "Outcomes for learners with SEND".into())],
        };
        assert_eq!(
            calendar_text(&plan(), &areas),
            "The plan of the day:\n\n\
             09:00–10:00 Meeting with the SENCO, Library (SENCO; head)\n\
             Focus areas: Outcomes for learners with SEND\n\n\
             10:15–11:00 Learning walk, Library (SENCO; head)"
        );
    }

    #[test]
    fn a_confirmed_plan_email_carries_the_calendar_update_with_the_plan_as_description() {
        let email = PlanChanged {
            sessions: plan_lines(&plan()),
            request_id: "01REQ".into(),
            offer_id: Some("01OFFER".into()),
            names: ("Ada Lead".into(), "the school".into()),
            school: ("Brook Primary".into(), "SR-7K3M-Q9".into()),
            visit: ("2027-03-04".into(), "4 March 2027".into()),
            news: PlanNews::Confirmed,
            calendar: Some(PlanCalendar {
                sequence: 3,
                postcode: "NW1 2DB".into(),
                lead_name: "Ada Lead".into(),
                description: "The plan of the day:\n\n09:00–10:00 Meeting with the SENCO".into(),
                attendee: itip::Attendee {
                    name: "Ada Lead".into(),
                    email: "ada@example.org".into(),
                },
            }),
        };
        let programme = records::outbox::example_programme();
        let secret = records::links::LinkSecret::from_bytes(&[7u8; 32]).unwrap();
        let links = secret.for_email(0);
        let rendered = email.render(&programme, &links).unwrap();
        assert!(
            rendered
                .subject
                .starts_with("Visit plan confirmed: Brook Primary")
        );
        assert!(rendered.text.contains("The school confirmed the plan"));
        let [ics] = rendered.attachments.as_slice() else {
            panic!("one calendar file: {:?}", rendered.attachments);
        };
        assert_eq!(
            ics.content_type,
            "text/calendar; method=REQUEST; charset=UTF-8"
        );
        let text = String::from_utf8(ics.content.clone())
            .unwrap()
            .replace("\r\n ", "");
        for line in [
            "UID:01REQ@send-review",
            "SEQUENCE:3",
            "DTSTART;VALUE=DATE:20270304",
            "SUMMARY:Northshire SEND Review: peer review visit to Brook Primary",
            "DESCRIPTION:The plan of the day:\\n\\n09:00–10:00 Meeting with the SENCO",
        ] {
            assert!(text.contains(&format!("{line}\r\n")), "{line} in {text}");
        }
        // An email queued before the calendar was attached renders as it did: no file.
        let queued = PlanChanged {
            calendar: None,
            ..email
        };
        assert!(
            queued
                .render(&programme, &links)
                .unwrap()
                .attachments
                .is_empty()
        );
    }
}
