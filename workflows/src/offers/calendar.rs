//! Calendar files (RFC 5545) for booked visits, so the date lands in both diaries.

use chrono::NaiveDate;
use icalendar::{Calendar, Component, EventLike};

use crate::offers::VisitConfirmed;
use records::outbox::Programme;

/// An all-day event on the visit date. Its UID is the request's, so a re-sent or moved visit
/// updates the same calendar entry instead of adding another.
pub fn visit_event(programme: &Programme, visit: &VisitConfirmed) -> String {
    let (programme_name, school_name) = (one_line(&programme.name), one_line(&visit.school_name));
    let summary = if visit.to_school {
        format!(
            "{programme_name}: peer review visit by {}",
            one_line(&visit.reviewer_name)
        )
    } else {
        format!("{programme_name}: peer review visit to {school_name}")
    };
    let mut event = icalendar::Event::new();
    event
        .uid(&format!("{}@send-review", one_line(&visit.request_id)))
        .summary(&summary)
        .location(&format!("{school_name}, {}", one_line(&visit.postcode)))
        .description(&format!(
            "{programme_name} (reference {}). Usually a full school day, ending with verbal feedback.",
            one_line(&visit.reference)
        ));
    // A moved visit keeps its UID and raises SEQUENCE, so calendars move the entry.
    event.add_property("SEQUENCE", visit.sequence.to_string());
    if let Some(date) = all_day(&visit.visit_date) {
        event.all_day(date);
    }
    let ics = Calendar::new()
        .name(&programme_name)
        .push(event.done())
        .done()
        .to_string();
    refold(&ics)
}

/// The visit's day, read as the product writes dates (`YYYY-MM-DD`). chrono's `%Y` also takes
/// a year of one to three digits, so "7-03-02" was a date here and nowhere else (found by
/// fuzzing).
fn all_day(visit_date: &str) -> Option<NaiveDate> {
    let date = records::domain::parse_date(visit_date).ok()?;
    NaiveDate::from_ymd_opt(
        date.year(),
        u8::from(date.month()).into(),
        date.day().into(),
    )
}

/// `text` with its control characters as spaces: icalendar escapes a line feed but not a
/// carriage return, which some calendars read as the end of the line (found by fuzzing).
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The file with every line folded again at 75 octets, on character boundaries (RFC 5545
/// 3.1): icalendar leaves a long line's last piece at 76 octets with its leading space (found
/// by fuzzing).
fn refold(ics: &str) -> String {
    let mut folded = String::with_capacity(ics.len() + ics.len() / 32);
    for line in ics.replace("\r\n ", "").split_terminator("\r\n") {
        let (mut rest, mut limit) = (line, 75);
        while rest.len() > limit {
            let mut cut = limit;
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            folded.push_str(&rest[..cut]);
            folded.push_str("\r\n ");
            // A continuation line starts with its space: 74 octets of content.
            (rest, limit) = (&rest[cut..], 74);
        }
        folded.push_str(rest);
        folded.push_str("\r\n");
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_visit_is_an_all_day_event_with_a_stable_uid_and_escaped_text() {
        let ics = visit_event(&programme(), &visit("Brook Primary; Infants, Juniors"));
        assert!(ics.starts_with("BEGIN:VCALENDAR"));
        assert!(ics.contains("DTSTART;VALUE=DATE:20270304"));
        assert!(ics.contains("UID:01REQ@send-review"));
        assert!(ics.contains("Brook Primary\\; Infants\\, Juniors"), "{ics}");
        assert!(ics.contains("END:VEVENT"));
    }

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
        }
    }

    fn programme() -> Programme {
        Programme {
            name: "Northshire SEND Review".into(),
            contact_email: "x@example.org".into(),
            site_url: "https://x".into(),
        }
    }

    #[test]
    fn every_line_is_at_most_75_octets_and_unfolds_to_the_text() {
        // Regression (fuzzing): icalendar wrote the last piece of a 150-octet line (this
        // LOCATION) as 76 octets.
        let school = "B".repeat(131);
        let ics = visit_event(&programme(), &visit(&school));
        for line in ics.split_terminator("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
        }
        assert!(
            ics.replace("\r\n ", "")
                .contains(&format!("LOCATION:{school}\\, NW1 2DB\r\n"))
        );
    }

    #[test]
    fn only_a_date_written_as_the_product_writes_it_is_the_events_day() {
        // Regression (fuzzing): chrono read a one-digit year as a date, the product does not.
        for (date, day) in [
            ("2027-03-04", Some("DTSTART;VALUE=DATE:20270304")),
            ("7-03-02", None),
            ("2027-3-4x", None),
        ] {
            let mut visit = visit("Brook Primary");
            visit.visit_date = date.into();
            let ics = visit_event(&programme(), &visit);
            match day {
                Some(line) => assert!(ics.contains(line), "{ics}"),
                None => assert!(!ics.contains("DTSTART"), "{date}: {ics}"),
            }
        }
    }

    #[test]
    fn a_carriage_return_in_a_name_cannot_start_a_line() {
        // Regression (fuzzing): icalendar escapes a line feed, not a carriage return.
        let ics = visit_event(&programme(), &visit("Brook\rATTENDEE:mailto:x@example.org"));
        assert!(!ics.replace("\r\n", "").contains('\r'), "{ics:?}");
        assert!(
            ics.replace("\r\n ", "")
                .contains("LOCATION:Brook ATTENDEE:mailto:x@example.org\\, NW1 2DB\r\n")
        );
    }
}
