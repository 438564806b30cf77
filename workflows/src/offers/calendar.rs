//! Calendar files (RFC 5545) for booked visits, so the date lands in both diaries.

use chrono::NaiveDate;
use icalendar::{Calendar, Component, EventLike};

use crate::offers::VisitConfirmed;
use records::outbox::Programme;

/// An all-day event on the visit date. Its UID is the request's, so a re-sent or moved visit
/// updates the same calendar entry instead of adding another.
pub fn visit_event(programme: &Programme, visit: &VisitConfirmed) -> String {
    let summary = if visit.to_school {
        format!(
            "{}: peer review visit by {}",
            programme.name, visit.reviewer_name
        )
    } else {
        format!(
            "{}: peer review visit to {}",
            programme.name, visit.school_name
        )
    };
    let mut event = icalendar::Event::new();
    event
        .uid(&format!("{}@send-review", visit.request_id))
        .summary(&summary)
        .location(&format!("{}, {}", visit.school_name, visit.postcode))
        .description(&format!(
            "{} (reference {}). Usually a full school day, ending with verbal feedback.",
            programme.name, visit.reference
        ));
    // A moved visit keeps its UID and raises SEQUENCE, so calendars move the entry.
    event.add_property("SEQUENCE", visit.sequence.to_string());
    if let Ok(date) = NaiveDate::parse_from_str(&visit.visit_date, "%Y-%m-%d") {
        event.all_day(date);
    }
    Calendar::new()
        .name(&programme.name)
        .push(event.done())
        .done()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visit_is_an_all_day_event_with_a_stable_uid_and_escaped_text() {
        let programme = Programme {
            name: "Northshire SEND Review".into(),
            contact_email: "x@example.org".into(),
            site_url: "https://x".into(),
        };
        let visit = VisitConfirmed {
            to_school: false,
            request_id: "01REQ".into(),
            reference: "SR-7K3M-Q9".into(),
            school_name: "Brook Primary; Infants, Juniors".into(),
            postcode: "NW1 2DB".into(),
            reviewer_name: "Ada Lovelace".into(),
            visit_date: "2027-03-04".into(),
            visit_date_text: "4 March 2027".into(),
            review_link: None,
            sequence: 0,
        };
        let ics = visit_event(&programme, &visit);
        assert!(ics.starts_with("BEGIN:VCALENDAR"));
        assert!(ics.contains("DTSTART;VALUE=DATE:20270304"));
        assert!(ics.contains("UID:01REQ@send-review"));
        assert!(ics.contains("Brook Primary\\; Infants\\, Juniors"), "{ics}");
        assert!(ics.contains("END:VEVENT"));
    }
}
