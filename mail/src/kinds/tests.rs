use records::links::LinkSecret;
use records::outbox::{OutboxEmail, Programme, payload_json};
use workflows::intake::RequestConfirmation;

use super::Email;

fn programme() -> Programme {
    Programme {
        name: "Camden SEND Review".into(),
        contact_email: "send@camden.example".into(),
        sender_address: "reviews@example.org".into(),
        site_url: "https://reviews.example".into(),
    }
}

fn links() -> LinkSecret {
    LinkSecret::from_bytes(&[1u8; 32]).unwrap()
}

fn confirmation() -> RequestConfirmation {
    RequestConfirmation {
        request_id: "01JREQ".into(),
        reference: "SR-7K3M-Q9".into(),
        contact_name: "Ada <script>alert(1)</script>".into(),
        school_name: "St Mary's & All Saints".into(),
        review_type: "SEND Review".into(),
        focus_areas: vec!["Leadership of SEND".into()],
        visit_windows: vec!["2 March 2027 to 13 March 2027".into()],
        confirmed: false,
    }
}

/// One outbox item of every kind, as queued items are stored (written before the crates were
/// split, by the enum this registry replaced), with the subject each renders to.
const STORED: &[(&str, &str)] = &[
    (
        r#"{"kind":"request_confirmation","request_id":"01JREQ","reference":"SR-7K3M-Q9","contact_name":"Ada","school_name":"Hill School","review_type":"SEND Review","focus_areas":["Leadership of SEND"],"visit_windows":["2 March 2027 to 13 March 2027"]}"#,
        "Camden SEND Review: we have your request SR-7K3M-Q9",
    ),
    (
        r#"{"kind":"reviewer_offer","offer_id":"01JOFFER","expires_at":1900000000,"respond_by":"3 March 2027","reviewer_name":"Ben","reference":"SR-7K3M-Q9","school_name":"Hill School","phase":"Primary","school_type":"Mainstream","local_authority":"Camden","review_type":"SEND Review","focus_areas":["Leadership of SEND"],"visit_windows":["2 March 2027 to 13 March 2027"],"learning_goal":"How we use our TAs"}"#,
        "Can you review Hill School (Camden)? SR-7K3M-Q9",
    ),
    (
        r#"{"kind":"offer_reminder","offer_id":"01JOFFER","expires_at":1900000000,"respond_by":"3 March 2027","reviewer_name":"Ben","reference":"SR-7K3M-Q9","school_name":"Hill School","phase":"Primary","school_type":"Mainstream","local_authority":"Camden","review_type":"SEND Review","focus_areas":[],"visit_windows":[],"learning_goal":"","joining":{"lead_name":"Cleo","visit_date_text":"4 March 2027"}}"#,
        "Reminder: can you review Hill School? Please answer by 3 March 2027",
    ),
    (
        r#"{"kind":"needs_attention","reference":"SR-7K3M-Q9","school_name":"Hill School","local_authority":"Camden","reasons":["2 reviewers are at capacity this term"]}"#,
        "Needs attention: no reviewer found for SR-7K3M-Q9",
    ),
    (
        r#"{"kind":"visit_confirmed","to_school":false,"request_id":"01JREQ","reference":"SR-7K3M-Q9","school_name":"Hill School","postcode":"NW1 1AA","reviewer_name":"Ben","visit_date":"2027-03-04","visit_date_text":"4 March 2027","review_link":{"offer_id":"01JOFFER","expires_at":1900000000},"sequence":1}"#,
        "Visit moved: Hill School on 4 March 2027",
    ),
    (
        r#"{"kind":"date_change","to_school":true,"kept":false,"request_id":"01JREQ","reference":"SR-7K3M-Q9","school_name":"Hill School","asked_by":"Ben","current_date_text":"4 March 2027","proposed_date_text":"5 March 2027","reason":"Training day"}"#,
        "Can the visit move to 5 March 2027? SR-7K3M-Q9",
    ),
    (
        r#"{"kind":"address_undeliverable","address":"head@school.example","reason":"bounce","detail":"550 no such user","at":"2027-03-01T10:00:00Z"}"#,
        "Email to head@school.example is not being delivered",
    ),
    (
        r#"{"kind":"self_evaluation_reminder","reference":"SR-7K3M-Q9","request_id":"01JREQ","school_name":"Hill School","visit_date_text":"4 March 2027","due_date_text":"18 February 2027","addressee":"Ada"}"#,
        "Your self-evaluation for the visit on 4 March 2027: SR-7K3M-Q9",
    ),
    (
        r#"{"kind":"self_evaluation_submitted","reference":"SR-7K3M-Q9","request_id":"01JREQ","school_name":"Hill School","visit_date_text":"4 March 2027","due_date_text":"18 February 2027","addressee":"Ben","review_link":{"offer_id":"01JOFFER","expires_at":1900000000},"last_reminder":false}"#,
        "Hill School has submitted its self-evaluation: SR-7K3M-Q9",
    ),
    (
        r#"{"kind":"action_plan_reminder","request_id":"01JREQ","reference":"SR-7K3M-Q9","school_name":"Hill School","addressee":"Ada","term":"summer term 2027","actions":3,"progress":["1 done"],"last_updated":"4 April 2027"}"#,
        "Time to update your action plan for the summer term 2027: SR-7K3M-Q9",
    ),
    (
        r#"{"kind":"report_to_check","request_id":"01JREQ","reference":"SR-7K3M-Q9","school_name":"Hill School","lead_name":"Ben"}"#,
        "Your draft report is ready to check: SR-7K3M-Q9",
    ),
    (
        r#"{"kind":"report_final","request_id":"01JREQ","reference":"SR-7K3M-Q9","school_name":"Hill School","pdf_key":"requests/01JREQ/report/final.pdf"}"#,
        "Your review report: SR-7K3M-Q9",
    ),
    (
        r#"{"kind":"report_late","request_id":"01JREQ","reference":"SR-7K3M-Q9","school_name":"Hill School","addressee":"Ben","visit_date_text":"4 March 2027","due_date_text":"25 March 2027","review_link":{"offer_id":"01JOFFER","expires_at":1900000000}}"#,
        "The report for Hill School is overdue: SR-7K3M-Q9",
    ),
    (
        r#"{"kind":"factual_check_waiting","request_id":"01JREQ","reference":"SR-7K3M-Q9","school_name":"Hill School","addressee":"Ada","lead_name":"Ben","sent_on_text":"25 March 2027"}"#,
        "Reminder: your draft report is waiting for you to check: SR-7K3M-Q9",
    ),
    (
        r#"{"kind":"factual_check_answered","request_id":"01JREQ","reference":"SR-7K3M-Q9","school_name":"Hill School","addressee":"Ben","comments":2,"review_link":{"offer_id":"01JOFFER","expires_at":1900000000}}"#,
        "Hill School has commented on the draft report: SR-7K3M-Q9",
    ),
    (
        r#"{"kind":"report_shared","request_id":"01JREQ","reference":"SR-7K3M-Q9","school_name":"Hill School","recipient_name":"Dee","pdf_key":"requests/01JREQ/report/final.pdf"}"#,
        "Hill School has shared its review report with you",
    ),
    (
        r#"{"kind":"reviewer_released","request_id":"01JREQ","reference":"SR-7K3M-Q9","school_name":"Hill School","reviewer_name":"Bea","visit_date":"2027-03-04","visit_date_text":"4 March 2027","sequence":1,"cancelled_at":"2027-02-01T09:30:00Z"}"#,
        "Visit cancelled for you: Hill School on 4 March 2027",
    ),
    (
        r#"{"kind":"reviewer_details_link","reviewer_id":"01JREVIEWER"}"#,
        "Camden SEND Review: the link to your reviewer details",
    ),
    (
        r#"{"kind":"check_running_out","reviewer_id":"01JREVIEWER","reviewer_name":"Bea","check":"enhanced DBS check","runs_out":"2027-09-01","runs_out_text":"1 September 2027"}"#,
        "Camden SEND Review: your enhanced DBS check runs out on 1 September 2027",
    ),
    (
        r#"{"kind":"status_link_renewed","request_id":"01JREQ","reference":"SR-7K3M-Q9","contact_name":"Ada","school_name":"Hill School","renewed_by":"coordinator"}"#,
        "Camden SEND Review: a new link to your request SR-7K3M-Q9",
    ),
    (
        r#"{"kind":"visit_cancelled","to_school":true,"request_id":"01JREQ","reference":"SR-7K3M-Q9","school_name":"Hill School","visit_date":"2027-03-04","visit_date_text":"4 March 2027","sequence":2,"cancelled_at":"2027-02-01T09:30:00Z","attendee":{"name":"Ada","email":"ada@hill.example"}}"#,
        "Visit cancelled: Hill School on 4 March 2027",
    ),
    (
        r#"{"kind":"feedback_invitation","request_id":"01JREQ","respondent":"school","school_name":"Hill School","expires_at":1900000000}"#,
        "Camden SEND Review: how useful was your review?",
    ),
    (
        r#"{"kind":"visit_plan_changed","sessions":["09:00–09:45 Meeting with the SENCO, Library (SENCO)"],"request_id":"01JREQ","offer_id":"01JOFFER","names":["Bea","the school"],"school":["Hill School","SR-7K3M-Q9"],"visit":["2027-03-04","4 March 2027"]}"#,
        "Visit plan changed: Hill School on 4 March 2027",
    ),
];

#[test]
fn every_stored_kind_reads_back_and_renders() {
    let mut kinds: Vec<&str> = Vec::new();
    for (json, subject) in STORED {
        let email: Email = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
        let rendered = email.render(&programme(), &links().for_email(0)).unwrap();
        assert_eq!(&rendered.subject, subject, "{}", email.kind());
        assert!(!rendered.text.trim().is_empty(), "{}", email.kind());
        assert!(
            rendered.html.contains("Camden SEND Review"),
            "{}",
            email.kind()
        );
        // Written back, it is the same item (nothing lost or renamed).
        let again: Email = serde_json::from_str(&serde_json::to_string(&email).unwrap()).unwrap();
        assert_eq!(again, email);
        kinds.push(email.kind());
    }
    assert_eq!(
        kinds,
        Email::KINDS,
        "a fixture for every kind in the registry, in order"
    );
}

#[test]
fn a_workflow_writes_the_json_the_registry_reads() {
    let payload = confirmation();
    let json = payload_json(&payload);
    assert!(
        json.starts_with(r#"{"kind":"request_confirmation","#),
        "{json}"
    );
    assert_eq!(
        json,
        serde_json::to_string(&Email::RequestConfirmation(payload.clone())).unwrap()
    );
    assert_eq!(
        serde_json::from_str::<Email>(&json).unwrap(),
        Email::RequestConfirmation(payload)
    );
    assert_eq!(RequestConfirmation::KIND, "request_confirmation");
}

#[test]
fn the_pdf_goes_with_the_final_report_and_its_shares_only() {
    let with_pdf: Vec<&str> = STORED
        .iter()
        .map(|(json, _)| serde_json::from_str::<Email>(json).unwrap())
        .filter(|email| email.report_pdf_key().is_some())
        .map(|email| email.kind())
        .collect();
    assert_eq!(with_pdf, ["report_final", "report_shared"]);
}

#[test]
fn the_calendar_file_goes_with_a_booked_visit() {
    let (json, _) = STORED
        .iter()
        .find(|(json, _)| json.contains("visit_confirmed"))
        .unwrap();
    let email: Email = serde_json::from_str(json).unwrap();
    let rendered = email.render(&programme(), &links().for_email(0)).unwrap();
    assert_eq!(rendered.attachments.len(), 1);
    assert_eq!(rendered.attachments[0].filename, "visit.ics");
}

#[test]
fn a_calendar_message_is_sent_with_its_method_and_charset() {
    // A booked visit, as queued now (its recipient named), and a withdrawal's cancellation.
    let booked = r#"{"kind":"visit_confirmed","to_school":true,"request_id":"01JREQ","reference":"SR-7K3M-Q9","school_name":"Hill School","postcode":"NW1 1AA","reviewer_name":"Ben","visit_date":"2027-03-04","visit_date_text":"4 March 2027","sequence":0,"moved":false,"attendee":{"name":"Ada","email":"ada@hill.example"}}"#;
    let cancelled = STORED
        .iter()
        .find(|(json, _)| json.contains(r#""kind":"visit_cancelled""#))
        .unwrap()
        .0;
    for (json, method) in [(booked, "REQUEST"), (cancelled, "CANCEL")] {
        let email: Email = serde_json::from_str(json).unwrap();
        let rendered = email.render(&programme(), &links().for_email(0)).unwrap();
        let ics = String::from_utf8(rendered.attachments[0].content.clone()).unwrap();
        assert!(ics.contains(&format!("METHOD:{method}\r\n")), "{ics}");
        assert!(ics.contains("ORGANIZER;CN=\"Camden SEND Review\":mailto:reviews@example.org"));
        let raw = crate::mime::message(
            "Camden SEND Review",
            "reviews@example.org",
            "ada@hill.example",
            rendered,
        )
        .unwrap();
        // Charset names are case-insensitive (lettre writes them lower case).
        let raw = String::from_utf8(raw).unwrap().to_ascii_lowercase();
        let header = format!("content-type: text/calendar; method={method}; charset=utf-8\r\n");
        assert!(raw.contains(&header.to_ascii_lowercase()), "{raw}");
    }
}

#[test]
fn confirmation_escapes_user_text_in_html_and_links_to_the_status_page() {
    let links = links();
    let rendered = Email::RequestConfirmation(confirmation())
        .render(&programme(), &links.for_email(0))
        .unwrap();
    assert!(rendered.subject.contains("SR-7K3M-Q9"));
    assert!(!rendered.html.contains("<script>"));
    assert!(rendered.html.contains("&#60;script&#62;"));
    assert!(rendered.html.contains("St Mary&#39;s &#38; All Saints"));
    let link = format!(
        "https://reviews.example/status/{}",
        links.status_token("01JREQ", 0)
    );
    assert!(rendered.html.contains(&link));
    assert!(rendered.text.contains(&link));
    assert!(rendered.text.contains("St Mary's & All Saints"));
}

#[test]
fn an_unconfirmed_request_s_email_asks_the_contact_to_confirm_it_and_a_follow_up_s_does_not() {
    let links = links();
    let asks = Email::RequestConfirmation(confirmation())
        .render(&programme(), &links.for_email(0))
        .unwrap();
    assert!(asks.text.contains("CONFIRM YOUR REQUEST"), "{}", asks.text);
    assert!(asks.text.contains("deleted after 7 days"));
    assert!(asks.html.contains("Confirm this request"));
    let follow_up = RequestConfirmation {
        confirmed: true,
        ..confirmation()
    };
    let told = Email::RequestConfirmation(follow_up)
        .render(&programme(), &links.for_email(0))
        .unwrap();
    assert!(!told.text.contains("CONFIRM YOUR REQUEST"));
    assert!(!told.html.contains("Confirm this request"));
    // An email queued before confirmation existed is about a request already being matched.
    let (stored, _) = STORED[0];
    let Email::RequestConfirmation(old) = serde_json::from_str::<Email>(stored).unwrap() else {
        panic!("the first fixture is a confirmation");
    };
    assert!(old.confirmed);
}
