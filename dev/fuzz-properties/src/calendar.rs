//! The visit's calendar file (RFC 5545): whatever a school, reviewer or programme is called,
//! the file is one event with exactly its own properties, in lines of at most 75 octets.

use records::outbox::Programme;
use workflows::offers::VisitConfirmed;
use workflows::offers::calendar::{Attendee, visit_event};

use crate::fields;

/// The properties of the file, in the order written: anything else is text that escaped its
/// value. (`DTEND` and `DTSTART` only when the visit date is a date.)
const EXPECTED: &[&str] = &[
    "BEGIN",
    "VERSION",
    "PRODID",
    "CALSCALE",
    "METHOD",
    "BEGIN",
    "UID",
    "SEQUENCE",
    "DTSTAMP",
    "DTSTART",
    "DTEND",
    "SUMMARY",
    "LOCATION",
    "DESCRIPTION",
    "ORGANIZER",
    "ATTENDEE",
    "STATUS",
    "END",
    "END",
];

/// NUL-separated: programme name, school name, postcode, reviewer name, reference, request
/// id, visit date (`YYYY-MM-DD`, or anything), then `school` for the school's copy; the
/// reviewer's name is the attendee's too, and the reference the description.
pub fn calendar(data: &[u8]) {
    let f = fields(data, 8);
    let programme = Programme {
        name: f[0].clone(),
        contact_email: "reviews@example.org".into(),
        sender_address: "reviews@example.org".into(),
        site_url: "https://reviews.example.org".into(),
    };
    let visit = VisitConfirmed {
        to_school: f[7] == "school",
        school_name: f[1].clone(),
        postcode: f[2].clone(),
        reviewer_name: f[3].clone(),
        reference: f[4].clone(),
        request_id: f[5].clone(),
        visit_date: f[6].clone(),
        visit_date_text: f[6].clone(),
        review_link: None,
        sequence: 0,
        moved: None,
        attendee: Some(Attendee {
            name: f[3].clone(),
            email: "reviewer@example.org".into(),
        }),
        description: Some(f[4].clone()),
    };
    let ics = visit_event(&programme, &visit);
    assert!(ics.ends_with("\r\n"), "the file does not end its last line");
    let body = &ics[..ics.len() - 2];
    let mut names = Vec::new();
    for line in body.split("\r\n") {
        assert!(
            line.len() <= 75,
            "a line of {} octets: {line:?}",
            line.len()
        );
        assert!(
            !line.contains(['\r', '\n']),
            "a bare line break inside a line: {line:?}"
        );
        // A folded line continues the one before it.
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let name_end = line.find([':', ';']).unwrap_or(line.len());
        names.push(line[..name_end].to_owned());
    }
    // A date as the product writes and reads dates (`YYYY-MM-DD`).
    let dated = records::domain::parse_date(&visit.visit_date).is_ok();
    let expected: Vec<&str> = EXPECTED
        .iter()
        .copied()
        .filter(|name| dated || !name.starts_with("DT") || *name == "DTSTAMP")
        .collect();
    assert_eq!(names, expected, "the file's properties, for {f:?}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn any_names_make_one_well_formed_event(
            texts in proptest::collection::vec(any::<String>(), 6),
            date in "(2027-0[1-9]-[0-2][0-9])|.{0,12}",
            school in any::<bool>(),
        ) {
            let mut data = texts.join("\0");
            data.push('\0');
            data.push_str(&date);
            data.push_str(if school { "\0school" } else { "\0reviewer" });
            calendar(data.as_bytes());
        }
    }
}
