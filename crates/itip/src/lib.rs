//! A visit's calendar messages. Each is an iCalendar file (RFC 5545) holding one all-day event,
//! sent as an iTIP scheduling message (RFC 5546): `METHOD:REQUEST` when a visit is booked or
//! changes, `METHOD:CANCEL` when it is called off. Calendars apply a message to the entry with
//! the same `UID` when its `SEQUENCE` is higher than the one they hold, so every message about
//! one visit carries the visit's UID and a sequence number the caller derives from something
//! stored and monotonic (never the clock).
//!
//! No I/O: the workflows fill a [`VisitEvent`] and attach [`VisitEvent::message`] with
//! [`Method::content_type`]; [`CancelledVisit`] and [`Attendee`] are what their emails store.

mod text;
mod visit;

use time::{Date, Duration, OffsetDateTime};

pub use text::{one_line, text_value};
pub use visit::{Attendee, BookedVisit, CancelledVisit, attendees, booked_day, organizer, uid};

/// What a message asks of the recipient's calendar (RFC 5546 section 1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Add the event, or update the entry with its UID (a new date, a new description).
    Request,
    /// Remove the entry with its UID: the visit is off (for this recipient at least).
    Cancel,
    /// Informational only, no attendees: for emails queued before messages named their
    /// recipient, which cannot be a REQUEST (it needs an ATTENDEE).
    Publish,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
            Method::Publish => "PUBLISH",
        }
    }

    /// The MIME type of the message's part: mail clients read `method` to offer the update.
    pub fn content_type(self) -> String {
        format!("text/calendar; method={}; charset=UTF-8", self.as_str())
    }
}

/// Someone the event names: the organiser (the programme, by its sending address) or an
/// attendee (the email's recipient).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Party<'a> {
    pub name: &'a str,
    pub email: &'a str,
}

/// One visit as a calendar event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitEvent<'a> {
    /// The same for every message about one visit (the request's id, say).
    pub uid: &'a str,
    /// Higher in every message that changes or cancels what an earlier one said.
    pub sequence: u32,
    /// The visit's day (an all-day event). `None` only for a date that could not be read:
    /// then the file has no DTSTART (a malformed payload, never a stored visit).
    pub date: Option<Date>,
    /// When the message was made (DTSTAMP).
    pub stamp: OffsetDateTime,
    pub summary: &'a str,
    pub location: &'a str,
    /// Plain text of any length (line breaks kept), e.g. the confirmed plan for the day.
    pub description: Option<&'a str>,
    pub organizer: Party<'a>,
    /// The recipients the message is for. A REQUEST needs one at least (RFC 5546 3.2.2); a
    /// CANCEL names those taken off the event.
    pub attendees: Vec<Party<'a>>,
}

impl VisitEvent<'_> {
    /// The iCalendar file of this event as a `method` message: CRLF line ends, every line at
    /// most 75 octets (folded on character boundaries), text escaped, so no value can start a
    /// property of its own. A REQUEST without attendees is sent as PUBLISH, which has none.
    pub fn message(&self, method: Method) -> String {
        let method = match method {
            Method::Request if self.attendees.is_empty() => Method::Publish,
            other => other,
        };
        let mut lines = vec![
            "BEGIN:VCALENDAR".to_owned(),
            "VERSION:2.0".to_owned(),
            "PRODID:-//send-review//visit calendar//EN".to_owned(),
            "CALSCALE:GREGORIAN".to_owned(),
            format!("METHOD:{}", method.as_str()),
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}", one_line(self.uid)),
            format!("SEQUENCE:{}", self.sequence),
            format!("DTSTAMP:{}", utc_stamp(self.stamp)),
        ];
        if let Some(date) = self.date {
            lines.push(format!("DTSTART;VALUE=DATE:{}", basic_date(date)));
            // An all-day event ends (exclusively) the next day.
            if let Some(next) = date.checked_add(Duration::days(1)) {
                lines.push(format!("DTEND;VALUE=DATE:{}", basic_date(next)));
            }
        }
        lines.push(format!("SUMMARY:{}", text_value(&one_line(self.summary))));
        lines.push(format!("LOCATION:{}", text_value(&one_line(self.location))));
        if let Some(description) = self.description {
            lines.push(format!("DESCRIPTION:{}", text_value(description)));
        }
        lines.push(format!(
            "ORGANIZER;CN={}:{}",
            text::param_value(self.organizer.name),
            text::mailto(self.organizer.email)
        ));
        if method != Method::Publish {
            for attendee in &self.attendees {
                // The date is agreed before any message goes: nothing to answer.
                lines.push(format!(
                    "ATTENDEE;CN={};ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE:{}",
                    text::param_value(attendee.name),
                    text::mailto(attendee.email)
                ));
            }
        }
        lines.push(
            match method {
                Method::Cancel => "STATUS:CANCELLED",
                Method::Request | Method::Publish => "STATUS:CONFIRMED",
            }
            .to_owned(),
        );
        lines.push("END:VEVENT".to_owned());
        lines.push("END:VCALENDAR".to_owned());
        lines.iter().map(|line| text::fold(line)).collect()
    }
}

/// `YYYYMMDD` (RFC 5545 DATE).
fn basic_date(date: Date) -> String {
    format!(
        "{:04}{:02}{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// `YYYYMMDDTHHMMSSZ` (RFC 5545 DATE-TIME in UTC).
fn utc_stamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{}T{:02}{:02}{:02}Z",
        basic_date(at.date()),
        at.hour(),
        at.minute(),
        at.second()
    )
}

#[cfg(test)]
mod tests;
