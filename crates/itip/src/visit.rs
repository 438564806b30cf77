//! A visit's calendar messages as the workflows store and send them: who they are for, the
//! visit's UID and day, and a called-off visit's CANCEL as an email attachment.

use records::domain::parse_date;
use records::outbox::{Attachment, Programme};
use records::request::StoredRequest;
use records::reviewers::Reviewer;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::{Method, Party, VisitEvent};

/// Who a calendar message is for (the email's recipient): its ATTENDEE.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Attendee {
    pub name: String,
    pub email: String,
}

impl Attendee {
    /// The school's contact, who gets the school's emails.
    pub fn school(stored: &StoredRequest) -> Self {
        let contact = &stored.request.contact;
        Self {
            name: contact.name.to_string(),
            email: contact.email.as_str().to_owned(),
        }
    }

    /// A reviewer, at the address of their pool profile (where their emails go).
    pub fn of_reviewer(reviewer: &Reviewer) -> Self {
        Self {
            name: reviewer.name.clone(),
            email: reviewer.email.clone(),
        }
    }
}

/// The day of `stored`'s visit, if one is booked: the team's, or the fixed day a new lead is
/// being found for (the school and any second reviewer have it in their calendars).
pub fn booked_day(stored: &StoredRequest) -> Option<Date> {
    let fixed = stored.fixed_visit_date.as_deref();
    (stored.team().next().map(|member| member.visit_date))
        .or_else(|| fixed.and_then(|day| parse_date(day).ok()))
}

/// The visit's UID: the request's, the same in every message about the visit.
pub fn uid(request_id: &str) -> String {
    format!("{request_id}@send-review")
}

/// A booked visit as one recipient's calendar holds it: what a REQUEST about it says (the
/// booking, a move, a new team, the confirmed plan of the day).
#[derive(Debug, Clone, Copy)]
pub struct BookedVisit<'a> {
    /// For the school (the summary names the lead), else for a reviewer (it names the school).
    pub to_school: bool,
    pub request_id: &'a str,
    pub sequence: u32,
    pub reference: &'a str,
    /// The school's name and postcode (the LOCATION).
    pub school: (&'a str, &'a str),
    /// The lead reviewer.
    pub reviewer_name: &'a str,
    /// `YYYY-MM-DD`.
    pub visit_date: &'a str,
    /// The recipient; `None` on emails queued before messages named it: a PUBLISH.
    pub attendee: Option<&'a Attendee>,
    /// The plan of the day as text; `None`: the default (the programme and the reference).
    pub description: Option<&'a str>,
}

impl BookedVisit<'_> {
    /// The iCalendar file: a REQUEST to the attendee (a PUBLISH without one).
    pub fn message(&self, programme: &Programme) -> String {
        let summary = if self.to_school {
            format!(
                "{}: peer review visit by {}",
                programme.name, self.reviewer_name
            )
        } else {
            format!("{}: peer review visit to {}", programme.name, self.school.0)
        };
        let default_description = format!(
            "{} (reference {}). Usually a full school day, ending with verbal feedback.",
            programme.name, self.reference
        );
        VisitEvent {
            uid: &uid(self.request_id),
            sequence: self.sequence,
            date: parse_date(self.visit_date).ok(),
            stamp: OffsetDateTime::now_utc(),
            summary: &summary,
            location: &format!("{}, {}", self.school.0, self.school.1),
            description: Some(self.description.unwrap_or(&default_description)),
            organizer: organizer(programme),
            attendees: attendees(self.attendee),
        }
        .message(Method::Request)
    }

    /// `visit.ics`, with its method in the content type.
    pub fn attachment(&self, programme: &Programme) -> Attachment {
        let method = match self.attendee {
            Some(_) => Method::Request,
            None => Method::Publish,
        };
        Attachment {
            filename: "visit.ics".into(),
            content_type: method.content_type(),
            content: self.message(programme).into_bytes(),
        }
    }
}

/// A visit called off for its recipient (the whole visit, or their place on it): what the
/// emails that say so store, and their calendar file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CancelledVisit {
    pub request_id: String,
    pub reference: String,
    pub school_name: String,
    /// `YYYY-MM-DD`.
    pub visit_date: String,
    pub visit_date_text: String,
    /// Higher than any calendar message the recipient had about the visit.
    pub sequence: u32,
    /// When it was called off (RFC 3339), the calendar's DTSTAMP.
    pub cancelled_at: String,
    /// The recipient, as the cancellation's ATTENDEE (absent on emails queued before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attendee: Option<Attendee>,
}

impl CancelledVisit {
    /// `cancel.ics`: the CANCEL of the visit's entry (same UID, a higher SEQUENCE).
    pub fn attachment(&self, programme: &Programme) -> Attachment {
        let ics = VisitEvent {
            uid: &uid(&self.request_id),
            sequence: self.sequence,
            date: parse_date(&self.visit_date).ok(),
            stamp: OffsetDateTime::parse(&self.cancelled_at, &Rfc3339)
                .unwrap_or_else(|_| OffsetDateTime::now_utc()),
            summary: &format!(
                "{}: peer review visit to {} (cancelled)",
                programme.name, self.school_name
            ),
            location: &self.school_name,
            description: None,
            organizer: organizer(programme),
            attendees: attendees(self.attendee.as_ref()),
        }
        .message(Method::Cancel);
        Attachment {
            filename: "cancel.ics".into(),
            content_type: Method::Cancel.content_type(),
            content: ics.into_bytes(),
        }
    }
}

/// The programme, by its sending address: the ORGANIZER.
pub fn organizer(programme: &Programme) -> Party<'_> {
    Party {
        name: &programme.name,
        email: &programme.sender_address,
    }
}

pub fn attendees(attendee: Option<&Attendee>) -> Vec<Party<'_>> {
    (attendee.iter())
        .map(|a| Party {
            name: &a.name,
            email: &a.email,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cancellation_keeps_the_uid_says_cancelled_and_is_stamped_when_called_off() {
        let cancelled = CancelledVisit {
            request_id: "01REQ".into(),
            reference: "SR-7K3M-Q9".into(),
            school_name: "Brook Primary; Infants".into(),
            visit_date: "2027-03-04".into(),
            visit_date_text: "4 March 2027".into(),
            sequence: 2,
            cancelled_at: "2027-02-01T09:30:00Z".into(),
            attendee: Some(Attendee {
                name: "Ada Lovelace".into(),
                email: "ada@example.org".into(),
            }),
        };
        let attachment = cancelled.attachment(&records::outbox::example_programme());
        assert_eq!(attachment.filename, "cancel.ics");
        let ics = String::from_utf8(attachment.content)
            .unwrap()
            .replace("\r\n ", "");
        for line in [
            "METHOD:CANCEL",
            "UID:01REQ@send-review",
            "SEQUENCE:2",
            "STATUS:CANCELLED",
            "DTSTAMP:20270201T093000Z",
            "DTSTART;VALUE=DATE:20270304",
            "LOCATION:Brook Primary\\; Infants",
            "ATTENDEE;CN=\"Ada Lovelace\";ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE:mailto:ada@example.org",
        ] {
            assert!(ics.contains(&format!("{line}\r\n")), "{line} in {ics}");
        }
    }
}
