use proptest::prelude::*;
use time::macros::{date, datetime};

use super::*;

fn event(description: Option<&str>) -> VisitEvent<'_> {
    VisitEvent {
        uid: "01REQ@send-review",
        sequence: 2,
        date: Some(date!(2027 - 03 - 04)),
        stamp: datetime!(2027-02-01 09:30:05 UTC),
        summary: "Northshire SEND Review: peer review visit to Brook Primary; Infants, Juniors",
        location: "Brook Primary, NW1 2DB",
        description,
        organizer: Party {
            name: "Northshire SEND Review",
            email: "reviews@northshire.example",
        },
        attendees: vec![Party {
            name: "Ada \"Head\" Lovelace",
            email: "ada@brook.example",
        }],
    }
}

/// The file's lines unfolded.
fn unfolded(ics: &str) -> Vec<String> {
    ics.replace("\r\n ", "")
        .split_terminator("\r\n")
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_request_names_its_method_organizer_attendee_uid_and_sequence() {
    let lines = unfolded(&event(None).message(Method::Request));
    let missing = [
        "METHOD:REQUEST",
        "UID:01REQ@send-review",
        "SEQUENCE:2",
        "DTSTAMP:20270201T093005Z",
        "DTSTART;VALUE=DATE:20270304",
        "DTEND;VALUE=DATE:20270305",
        "SUMMARY:Northshire SEND Review: peer review visit to Brook Primary\\; Infants\\, Juniors",
        "ORGANIZER;CN=\"Northshire SEND Review\":mailto:reviews@northshire.example",
        "ATTENDEE;CN=\"Ada 'Head' Lovelace\";ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE:mailto:ada@brook.example",
        "STATUS:CONFIRMED",
    ]
    .into_iter()
    .filter(|expected| !lines.iter().any(|l| l == expected))
    .collect::<Vec<_>>();
    assert!(missing.is_empty(), "{missing:#?} not in {lines:#?}");
    assert!(!lines.iter().any(|l| l.starts_with("DESCRIPTION")));
}

#[test]
fn a_cancel_keeps_the_uid_and_says_cancelled() {
    let lines = unfolded(&event(None).message(Method::Cancel));
    assert!(lines.contains(&"METHOD:CANCEL".to_owned()));
    assert!(lines.contains(&"STATUS:CANCELLED".to_owned()));
    assert!(lines.contains(&"UID:01REQ@send-review".to_owned()));
    assert!(lines.iter().any(|l| l.starts_with("ATTENDEE;")));
}

#[test]
fn a_request_without_attendees_is_published_instead() {
    let mut event = event(None);
    event.attendees.clear();
    let lines = unfolded(&event.message(Method::Request));
    assert!(lines.contains(&"METHOD:PUBLISH".to_owned()));
    assert!(!lines.iter().any(|l| l.starts_with("ATTENDEE")));
}

#[test]
fn the_content_type_carries_the_method_and_charset() {
    assert_eq!(
        Method::Request.content_type(),
        "text/calendar; method=REQUEST; charset=UTF-8"
    );
    assert_eq!(
        Method::Cancel.content_type(),
        "text/calendar; method=CANCEL; charset=UTF-8"
    );
}

#[test]
fn a_description_is_escaped_and_keeps_its_line_breaks() {
    let plan =
        "9:00 Meeting with the SENCO; the head\r\n10:15 Learning walk, Year 3\\4\nÉcole café";
    let lines = unfolded(&event(Some(plan)).message(Method::Request));
    let description = lines
        .iter()
        .find(|l| l.starts_with("DESCRIPTION:"))
        .unwrap();
    assert_eq!(
        description,
        "DESCRIPTION:9:00 Meeting with the SENCO\\; the head\\n10:15 Learning walk\\, Year 3\\\\4\\nÉcole café"
    );
}

#[test]
fn long_lines_fold_at_75_octets_on_character_boundaries() {
    let long = "é".repeat(100);
    let ics = event(Some(&long)).message(Method::Request);
    for line in ics.split_terminator("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
    assert!(unfolded(&ics).contains(&format!("DESCRIPTION:{long}")));
}

/// Whatever the texts, the file is the same properties in the same order: no text can end its
/// line or start a property.
#[test]
fn any_text_stays_inside_its_value() {
    let texts = (proptest::collection::vec(any::<String>(), 5), any::<bool>());
    proptest!(ProptestConfig::with_cases(512), |((texts, cancel) in texts)| {
        let event = VisitEvent {
            summary: &texts[0],
            location: &texts[1],
            description: Some(&texts[2]),
            organizer: Party { name: &texts[3], email: "reviews@example.org" },
            attendees: vec![Party { name: &texts[4], email: &texts[4] }],
            ..event(None)
        };
        let ics = event.message(if cancel { Method::Cancel } else { Method::Request });
        prop_assert!(ics.ends_with("\r\n"));
        let mut names = Vec::new();
        for line in ics[..ics.len() - 2].split("\r\n") {
            prop_assert!(line.len() <= 75, "{} octets: {:?}", line.len(), line);
            prop_assert!(!line.contains(['\r', '\n']));
            if !line.starts_with(' ') {
                names.push(line[..line.find([':', ';']).unwrap_or(line.len())].to_owned());
            }
        }
        prop_assert_eq!(
            names,
            [
                "BEGIN", "VERSION", "PRODID", "CALSCALE", "METHOD", "BEGIN", "UID", "SEQUENCE",
                "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "LOCATION", "DESCRIPTION", "ORGANIZER",
                "ATTENDEE", "STATUS", "END", "END",
            ]
        );
    });
}
