//! A visit's calendar messages (iTIP, see the `itip` crate): a REQUEST when it is booked,
//! moves or its team changes, a CANCEL when it is called off. Every message about one visit
//! has the request's UID and the request's stored `visit_sequence`, which each change that
//! sends one raises (never the clock), so calendars update the one entry.

pub use itip::{Attendee, BookedVisit, CancelledVisit, booked_day, uid};
use records::outbox::{Attachment, Programme};

use crate::offers::VisitConfirmed;

/// The calendar entry `visit` is about, for its recipient.
fn booked(visit: &VisitConfirmed) -> BookedVisit<'_> {
    BookedVisit {
        to_school: visit.to_school,
        request_id: &visit.request_id,
        reference: &visit.reference,
        school: (&visit.school_name, &visit.postcode),
        reviewer_name: &visit.reviewer_name,
        visit_date: &visit.visit_date,
        sequence: visit.sequence,
        attendee: visit.attendee.as_ref(),
        description: visit.description.as_deref(),
    }
}

/// The calendar entry of a booked (or moved) visit, for the school or a reviewer. Emails
/// queued before they named their recipient have no attendee: a PUBLISH, as they were.
pub fn visit_event(programme: &Programme, visit: &VisitConfirmed) -> String {
    booked(visit).message(programme)
}

/// `visit.ics` of a booked (or moved) visit, with its method in the content type.
pub fn visit_attachment(programme: &Programme, visit: &VisitConfirmed) -> Attachment {
    booked(visit).attachment(programme)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn visit(school_name: &str) -> VisitConfirmed {
        VisitConfirmed {
            to_school: false,
            request_id: "01REQ".into(),
            reference: "SR-7K3M-Q9".into(),
            school_name: school_name.into(),
            postcode: "NW1 2DB".into(),
            reviewer_name: "Ada Lovelace".into(),
            visit_date: "2027-03-04".into(),
            visit_date_text: "4 March 2027".into(),
            review_link: None,
            sequence: 0,
            moved: None,
            attendee: Some(Attendee {
                name: "Ada Lovelace".into(),
                email: "ada@example.org".into(),
            }),
            description: None,
        }
    }

    fn unfolded(ics: &str) -> String {
        ics.replace("\r\n ", "")
    }

    #[test]
    fn a_visit_is_an_all_day_request_to_its_recipient_with_a_stable_uid_and_escaped_text() {
        let attachment = visit_attachment(
            &records::outbox::example_programme(),
            &visit("Brook Primary; Infants, Juniors"),
        );
        assert_eq!(
            attachment.content_type,
            "text/calendar; method=REQUEST; charset=UTF-8"
        );
        let ics = unfolded(&String::from_utf8(attachment.content).unwrap());
        assert!(ics.starts_with("BEGIN:VCALENDAR"));
        for line in [
            "METHOD:REQUEST",
            "DTSTART;VALUE=DATE:20270304",
            "UID:01REQ@send-review",
            "ORGANIZER;CN=\"Northshire SEND Review\":mailto:reviews@northshire.example",
            "LOCATION:Brook Primary\\; Infants\\, Juniors\\, NW1 2DB",
        ] {
            assert!(ics.contains(&format!("{line}\r\n")), "{line} in {ics}");
        }
        assert!(ics.contains("mailto:ada@example.org\r\n"), "{ics}");
    }

    #[test]
    fn an_email_queued_before_attendees_were_named_is_published() {
        let queued = VisitConfirmed {
            attendee: None,
            ..visit("Brook Primary")
        };
        let attachment = visit_attachment(&records::outbox::example_programme(), &queued);
        assert_eq!(
            attachment.content_type,
            "text/calendar; method=PUBLISH; charset=UTF-8"
        );
        let ics = String::from_utf8(attachment.content).unwrap();
        assert!(ics.contains("METHOD:PUBLISH\r\n") && !ics.contains("ATTENDEE"));
    }

    #[test]
    fn a_given_description_replaces_the_default() {
        let planned = VisitConfirmed {
            description: Some("9:00 SENCO, head; 10:00 learning walk".into()),
            ..visit("Brook Primary")
        };
        let ics = unfolded(&visit_event(
            &records::outbox::example_programme(),
            &planned,
        ));
        assert!(ics.contains("DESCRIPTION:9:00 SENCO\\, head\\; 10:00 learning walk\r\n"));
    }

    #[test]
    fn every_line_is_at_most_75_octets_and_unfolds_to_the_text() {
        // Regression (fuzzing): the last piece of a 150-octet line (this LOCATION) was 76.
        let school = "B".repeat(131);
        let ics = visit_event(&records::outbox::example_programme(), &visit(&school));
        for line in ics.split_terminator("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        }
        assert!(unfolded(&ics).contains(&format!("LOCATION:{school}\\, NW1 2DB\r\n")));
    }

    #[test]
    fn only_a_date_written_as_the_product_writes_it_is_the_events_day() {
        // Regression (fuzzing): the icalendar version read a one-digit year (chrono's `%Y`)
        // as a date; the product reads only YYYY-MM-DD.
        for (date, day) in [
            ("2027-03-04", Some("DTSTART;VALUE=DATE:20270304")),
            ("7-03-02", None),
            ("2027-3-4x", None),
        ] {
            let dated = VisitConfirmed {
                visit_date: date.into(),
                ..visit("Brook Primary")
            };
            let ics = visit_event(&records::outbox::example_programme(), &dated);
            match day {
                Some(line) => assert!(ics.contains(line), "{ics}"),
                None => assert!(!ics.contains("DTSTART"), "{date}: {ics}"),
            }
        }
    }

    #[test]
    fn a_carriage_return_in_a_name_cannot_start_a_line() {
        // Regression (fuzzing): a carriage return is a line break to some calendars.
        let ics = visit_event(
            &records::outbox::example_programme(),
            &visit("Brook\rATTENDEE:mailto:x@example.org"),
        );
        assert!(!ics.replace("\r\n", "").contains('\r'), "{ics:?}");
        assert!(
            unfolded(&ics).contains("LOCATION:Brook ATTENDEE:mailto:x@example.org\\, NW1 2DB\r\n")
        );
    }
}
