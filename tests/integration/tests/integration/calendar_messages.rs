//! The calendar messages a visit sends, read by a real iCalendar parser: the booking, the move
//! and the withdrawal reach the school and the lead as one entry each (same UID, SEQUENCE
//! going up, METHOD REQUEST then CANCEL, organiser and attendee named), and a description with
//! commas, semicolons, line breaks and non-ASCII text reads back as written. The checks are
//! `tests/calendar/check_itip.py`, run with the repository's `.venv` (scripts/test installs
//! `icalendar` there from requirements-dev.txt). The school's confirmed plan of the day is the
//! entry's description from then on: confirming it, changing it and moving the visit each send
//! both sides the next SEQUENCE with the plan as it is.

use std::path::{Path, PathBuf};

use local_runner::mailbox::SentMail;
use reqwest::StatusCode;
use serde_json::json;
use workflows::offers::VisitConfirmed;
use workflows::offers::calendar::{Attendee, visit_event};

use crate::support::{Booked, TestStack, redirect, school_day, spawn};
use crate::visit_day::{pages, save_plan, session};
use records::lifecycle::Stage;
use records::versioned::Saved;
use visit_day::Plan;
use visit_day::store::{PLAN as PLAN_DOCUMENT, Planner, save_plan as save_plan_as};

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
    let new_day = move_visit(&app, &booked).await;
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
            let mail = with_subject(&mails, subject, &format!("{what}, to the {who}"));
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

    all_hold(&dir, series);
}

#[tokio::test]
async fn the_confirmed_plan_is_the_calendar_entrys_description_through_changes_and_a_move() {
    let (app, booked, id, (school_page, lead_page)) = booked_visit_day().await;
    let first_day = app.stored_request(&id).await.lead.unwrap().visit_date;

    // The lead drafts the day (no calendar message: a draft), the school confirms it.
    let day = [
        session(1, "senco_meeting", ("09:00", "10:00"), "leadership"),
        session(2, "work_scrutiny", ("10:00", "11:00"), "outcomes"),
    ];
    redirect(&save_plan(&app, &lead_page, "0", &day).await);
    assert_eq!(app.stored_request(&id).await.visit_sequence, 0);
    let confirmed = app
        .post_pairs(&school_page, &[("decision", "confirm"), ("version", "1")])
        .await;
    assert!(redirect(&confirmed).ends_with("/visit-day?saved=1"));
    assert_eq!(app.stored_request(&id).await.visit_sequence, 1);

    // The school changes the confirmed plan (a session before the others): raised again.
    let changed = [
        session(1, "learning_walk", ("08:45", "09:00"), ""),
        session(2, "senco_meeting", ("09:00", "10:00"), "leadership"),
        session(3, "work_scrutiny", ("10:00", "11:00"), "outcomes"),
    ];
    redirect(&save_plan(&app, &school_page, "2", &changed).await);
    assert_eq!(app.stored_request(&id).await.visit_sequence, 2);

    // The visit moves: its REQUEST keeps the plan as it now is.
    let new_day = move_visit(&app, &booked).await;
    assert_eq!(app.stored_request(&id).await.visit_sequence, 3);

    let first_plan = "The plan of the day:\n\n\
        09:00–10:00 Meeting with the SENCO, Library (SENCO, two teaching assistants)\n\
        Focus areas: Leadership of SEND\n\n\
        10:00–11:00 Work scrutiny, Library (SENCO, two teaching assistants)\n\
        Focus areas: Outcomes for learners with SEND";
    let second_plan = first_plan.replace(
        "day:\n\n",
        "day:\n\n08:45–09:00 Learning walk, Library (SENCO, two teaching assistants)\n\n",
    );
    let dir = std::env::temp_dir().join(format!("itip-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut series = Vec::new();
    let (school, lead) = (&booked.school_contact, &booked.lead);
    for (who, address, changed_subject) in [
        ("school", school, "Visit plan saved"),
        ("lead", lead, "Visit plan changed"),
    ] {
        let mails = calendar_mails(&app, address, 4).await;
        let expected = [
            ("Visit booked", 0, first_day, None),
            ("Visit plan confirmed", 1, first_day, Some(first_plan)),
            (changed_subject, 2, first_day, Some(second_plan.as_str())),
            ("Visit moved", 3, new_day, Some(second_plan.as_str())),
        ];
        let mut messages = Vec::new();
        for (subject, sequence, day, plan) in expected {
            let mail = with_subject(&mails, subject, who);
            let ics = &mail.attachments[0];
            let text = String::from_utf8_lossy(&ics.content).replace("\r\n ", "");
            assert!(
                text.contains(&format!("\r\nSEQUENCE:{sequence}\r\n")),
                "{who}, {subject}: {text}"
            );
            let file = dir.join(format!("{who}-{sequence}.ics"));
            std::fs::write(&file, &ics.content).unwrap();
            let mut message = json!({
                "file": file, "method": "REQUEST", "organizer": mail.from,
                "attendee": address, "date": day.to_string(),
            });
            if let Some(plan) = plan {
                message["description"] = json!(plan);
            }
            messages.push(message);
        }
        series.push(messages);
    }
    all_hold(&dir, series);
}

#[tokio::test]
async fn a_plan_change_made_from_a_reading_before_a_move_sends_the_sequence_after_it() {
    // The page read the request (SEQUENCE 1), then the visit moved (2) before the save: the
    // save's condition on the SEQUENCE fails, it rereads the request and sends 3, never 2.
    let (app, booked, id, (school_page, lead_page)) = booked_visit_day().await;
    let day = [session(
        1,
        "senco_meeting",
        ("09:00", "10:00"),
        "leadership",
    )];
    redirect(&save_plan(&app, &lead_page, "0", &day).await);
    app.post_pairs(&school_page, &[("decision", "confirm"), ("version", "1")])
        .await;
    let read_before = app.stored_request(&id).await;
    assert_eq!(read_before.visit_sequence, 1);
    let new_day = move_visit(&app, &booked).await;
    assert_eq!(app.stored_request(&id).await.visit_sequence, 2);

    let table = app.table_handle();
    let mut plan = PLAN_DOCUMENT
        .get::<Plan>(&table, &id)
        .await
        .unwrap()
        .unwrap()
        .body;
    plan.sessions[0].place = "The hall".into();
    let stage = Stage {
        request: read_before.state,
        report: None,
    };
    let now = time::OffsetDateTime::now_utc();
    let saved = save_plan_as(
        &table,
        &read_before,
        stage,
        Planner::School,
        (2, &plan),
        now,
    );
    assert_eq!(saved.await.unwrap(), Saved::Saved { version: 3 });
    assert_eq!(app.stored_request(&id).await.visit_sequence, 3);
    let saved_mail = |m: &SentMail| m.subject.starts_with("Visit plan saved");
    let mail = app
        .wait_for_mail_where(&booked.school_contact, 1, saved_mail)
        .await;
    let ics = String::from_utf8_lossy(&mail[0].attachments[0].content).replace("\r\n ", "");
    assert!(ics.contains("\r\nSEQUENCE:3\r\n"), "{ics}");
    let moved_day = format!(
        "DTSTART;VALUE=DATE:{}",
        new_day.to_string().replace('-', "")
    );
    assert!(ics.contains(&moved_day), "{ics}");
    assert!(ics.contains("Meeting with the SENCO\\, The hall"), "{ics}");
}

#[test]
fn the_checker_rejects_a_file_that_breaks_the_rules() {
    // The checker itself can fail: the same UID with a SEQUENCE that does not go up, and a
    // CANCEL that is not CANCELLED, are both reported.
    let dir = std::env::temp_dir().join(format!("itip-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&dir).unwrap();
    // A visit day some weeks from whenever the test runs (no literal date that will pass).
    let day = time::OffsetDateTime::now_utc().date() + time::Duration::days(60);
    let (stamp, visit) = (
        format!("{}T000000Z", day.to_string().replace('-', "")),
        day.to_string().replace('-', ""),
    );
    let file = |name: &str, method: &str, status: &str| {
        let path = dir.join(name);
        let ics = format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nMETHOD:{method}\r\n\
             BEGIN:VEVENT\r\nUID:1@x\r\nSEQUENCE:1\r\nDTSTAMP:{stamp}\r\n\
             DTSTART;VALUE=DATE:{visit}\r\nORGANIZER:mailto:o@x.example\r\n\
             ATTENDEE:mailto:a@x.example\r\nSTATUS:{status}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        );
        std::fs::write(&path, ics).unwrap();
        json!({"file": path, "method": method, "organizer": "o@x.example",
               "attendee": "a@x.example", "date": day.to_string()})
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

/// A booked review: the stack, the booking, its request's id and each side's visit-day page.
async fn booked_visit_day() -> (TestStack, Booked, String, (String, String)) {
    let app = spawn().await;
    let booked = app.booked().await;
    let id = booked.school.request_id.clone();
    let pages = pages(&booked);
    (app, booked, id, pages)
}

/// The school asks to move `booked`'s visit to 61 school days ahead and the lead confirms:
/// the new day.
async fn move_visit(app: &TestStack, booked: &Booked) -> time::Date {
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
    new_day
}

/// The checker finds every rule holds in `series` (files under `dir`, removed after).
fn all_hold(dir: &Path, series: Vec<Vec<serde_json::Value>>) {
    let spec = dir.join("spec.json");
    std::fs::write(&spec, json!({ "series": series }).to_string()).unwrap();
    let (ok, output) = check(&spec);
    assert!(ok, "{output}");
    std::fs::remove_dir_all(dir).unwrap();
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

/// The email of `mails` whose subject starts with `subject` (`what`: which, if there is none).
fn with_subject<'a>(mails: &'a [SentMail], subject: &str, what: &str) -> &'a SentMail {
    let found = mails.iter().find(|m| m.subject.starts_with(subject));
    found.unwrap_or_else(|| panic!("no {subject:?} email ({what})"))
}

/// The emails to `address` that carry a calendar file, once there are `count`.
async fn calendar_mails(app: &TestStack, address: &str, count: usize) -> Vec<SentMail> {
    app.wait_for_mail_where(address, count, |m| {
        m.attachments.iter().any(|a| a.filename.ends_with(".ics"))
    })
    .await
}
