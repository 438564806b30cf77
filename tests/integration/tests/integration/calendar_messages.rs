//! The calendar messages a visit sends, read by a real iCalendar parser: the booking, the move
//! and the withdrawal reach the school and the lead as one entry each (same UID, SEQUENCE
//! going up, METHOD REQUEST then CANCEL, organiser and attendee named), and a description with
//! commas, semicolons, line breaks and non-ASCII text reads back as written. The checks are
//! `tests/calendar/check_itip.py`, run with the repository's `.venv` (scripts/test installs
//! `icalendar` there from requirements-dev.txt).

use std::path::{Path, PathBuf};

use local_runner::mailbox::SentMail;
use reqwest::StatusCode;
use serde_json::json;
use workflows::offers::VisitConfirmed;
use workflows::offers::calendar::{Attendee, visit_event};

use crate::support::{TestStack, school_day, spawn};

/// A plan as the visit day's would read, with everything a TEXT value escapes.
const PLAN: &str = "9:00 Meeting with the SENCO, the head; governors\n\
    10:15 Learning walk (Years 3–4) \\ lesson visits\r\n\
    14:00 Pupil voice: « élèves » 学校\n\n15:30 Verbal feedback";

#[tokio::test]
async fn a_booked_moved_and_withdrawn_visit_is_one_calendar_entry_to_a_real_parser() {
    let app = spawn().await;
    let booked = app.booked().await;
    let id = booked.school.request_id.clone();
    let first_day = app.stored_request(&id).await.lead.unwrap().visit_date;

    // The school asks to move the visit; the lead confirms.
    let new_day = school_day(61);
    let asked = app
        .answer(
            &format!("{}/date", booked.status_link),
            &format!("decision=ask&new_date={new_day}&reason=Inspection"),
        )
        .await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    let confirmed = app
        .answer(&format!("{}/date", booked.review_link), "decision=confirm")
        .await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    app.withdraw(&booked.school.reference, "The school closed")
        .await;

    let dir = std::env::temp_dir().join(format!("itip-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut series = Vec::new();
    for (who, address) in [("school", &booked.school_contact), ("lead", &booked.lead)] {
        let mails = calendar_mails(&app, address, 3).await;
        let expected = [
            ("Visit booked", "booked", "REQUEST", first_day),
            ("Visit moved", "moved", "REQUEST", new_day),
            ("Visit cancelled", "cancelled", "CANCEL", new_day),
        ];
        let mut messages = Vec::new();
        // In the order the changes were made (deliveries may overtake each other).
        for (subject, what, method, day) in expected {
            let mail = mails
                .iter()
                .find(|m| m.subject.starts_with(subject))
                .unwrap_or_else(|| panic!("no {what} email to the {who}"));
            let ics = &mail.attachments[0];
            assert_eq!(
                ics.content_type.to_ascii_lowercase(),
                format!(
                    "text/calendar; method={}; charset=utf-8",
                    method.to_lowercase()
                ),
                "{who}, {what}"
            );
            let file = dir.join(format!("{who}-{what}.ics"));
            std::fs::write(&file, &ics.content).unwrap();
            messages.push(json!({
                "file": file, "method": method, "organizer": mail.from,
                "attendee": address, "date": day.to_string(),
            }));
        }
        series.push(messages);
    }

    // The event builder's description, as the confirmed visit plan will use it.
    let programme = records::outbox::example_programme();
    let planned = VisitConfirmed {
        to_school: true,
        request_id: id.clone(),
        reference: booked.school.reference.to_string(),
        school_name: "Brook Primary School".into(),
        postcode: "NW1 2DB".into(),
        reviewer_name: "Ada Lead".into(),
        visit_date: new_day.to_string(),
        visit_date_text: String::new(),
        review_link: None,
        sequence: 4,
        moved: Some(false),
        attendee: Some(Attendee {
            name: "Brook's SENCO".into(),
            email: booked.school_contact.clone(),
        }),
        description: Some(PLAN.into()),
    };
    let file = dir.join("planned.ics");
    std::fs::write(&file, visit_event(&programme, &planned)).unwrap();
    series.push(vec![json!({
        "file": file, "method": "REQUEST", "organizer": programme.sender_address,
        "attendee": booked.school_contact, "date": new_day.to_string(),
        // Read back, every line break is a line feed.
        "description": PLAN.replace("\r\n", "\n"),
    })]);

    let spec = dir.join("spec.json");
    std::fs::write(&spec, json!({ "series": series }).to_string()).unwrap();
    let (ok, output) = check(&spec);
    assert!(ok, "{output}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_checker_rejects_a_file_that_breaks_the_rules() {
    // The checker itself can fail: the same UID with a SEQUENCE that does not go up, and a
    // CANCEL that is not CANCELLED, are both reported.
    let dir = std::env::temp_dir().join(format!("itip-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = |name: &str, method: &str, status: &str| {
        let path = dir.join(name);
        let ics = format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nMETHOD:{method}\r\n\
             BEGIN:VEVENT\r\nUID:1@x\r\nSEQUENCE:1\r\nDTSTAMP:20270101T000000Z\r\n\
             DTSTART;VALUE=DATE:20270304\r\nORGANIZER:mailto:o@x.example\r\n\
             ATTENDEE:mailto:a@x.example\r\nSTATUS:{status}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        );
        std::fs::write(&path, ics).unwrap();
        json!({"file": path, "method": method, "organizer": "o@x.example",
               "attendee": "a@x.example", "date": "2027-03-04"})
    };
    let series = json!({ "series": [[
        file("a.ics", "REQUEST", "CONFIRMED"),
        file("b.ics", "CANCEL", "CONFIRMED"),
    ]] });
    let spec = dir.join("spec.json");
    std::fs::write(&spec, series.to_string()).unwrap();
    let (ok, output) = check(&spec);
    assert!(!ok);
    assert!(
        output.contains("SEQUENCE does not strictly increase"),
        "{output}"
    );
    assert!(
        output.contains("a CANCEL with STATUS 'CONFIRMED'"),
        "{output}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The checker's verdict on `spec`, and what it printed.
fn check(spec: &Path) -> (bool, String) {
    let root = repository();
    let python = root.join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: scripts/test provisions it (with icalendar)",
        python.display()
    );
    let output = std::process::Command::new(python)
        .arg(root.join("tests/calendar/check_itip.py"))
        .arg(spec)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The emails to `address` that carry a calendar file, once there are `count`.
async fn calendar_mails(app: &TestStack, address: &str, count: usize) -> Vec<SentMail> {
    app.wait_for_mail_where(address, count, |m| {
        m.attachments.iter().any(|a| a.filename.ends_with(".ics"))
    })
    .await
}
