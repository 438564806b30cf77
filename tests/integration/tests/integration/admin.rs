//! The administrators' tool against DynamoDB Local: the reviewer pool (import, list, show,
//! deactivate, activate) and schools' requests (list, show, withdraw, export).

use records::domain::request::Reference;
use records::store::get_s;
use send_review_admin::reviewers::{self, ReviewerKey};
use send_review_admin::{AdminError, export, requests};
use time::{Duration, OffsetDateTime};

use crate::support::{date_from_now, spawn, spawn_with, unique_address};

/// The demo pool as an import file for a stack started today (its dates are relative).
fn demo_reviewers() -> String {
    local_runner::demo::reviewers_csv(OffsetDateTime::now_utc().date())
}

fn actor() -> records::audit::Actor {
    records::audit::Actor::new("admin tool (user test)", OffsetDateTime::now_utc())
}

fn rendered(write: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> String {
    let mut out = Vec::new();
    write(&mut out).unwrap();
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn the_demo_pool_imports_once_then_updates_and_reviewers_are_shown_and_deactivated() {
    let app = spawn().await;
    let table = app.table_handle();
    let csv = demo_reviewers();

    let first = reviewers::import(&table, &csv, &actor()).await.unwrap();
    assert_eq!(
        first.to_string(),
        "imported 20 reviewers (20 created, 0 updated)"
    );
    let again = reviewers::import(&table, &csv, &actor()).await.unwrap();
    assert_eq!(
        again.to_string(),
        "imported 20 reviewers (0 created, 20 updated)"
    );
    let pool = reviewers::list(&table).await.unwrap();
    assert_eq!(pool.len(), 20, "a re-import updates, it does not duplicate");
    let inactive_in_demo = pool.iter().filter(|r| !r.active).count();
    let profiles = app.items_with_prefix("REVIEWER#").await;
    let profiles = profiles
        .iter()
        .filter(|item| get_s(item, "sk") == Some("PROFILE"));
    assert_eq!(profiles.count(), 20);
    let log = records::audit::log(&table).await.unwrap();
    assert_eq!(log.len(), 40, "one entry per reviewer per import");
    assert_eq!(log[0].action, "reviewer imported");
    assert_eq!(log[0].actor, actor().who);
    assert_eq!(
        log.iter()
            .filter(|e| e.detail == "updated from an import file")
            .count(),
        20
    );
    assert_eq!(app.items_with_prefix("REVIEWER_EMAIL#").await.len(), 20);

    let listing = rendered(|out| reviewers::write_table(out, &pool));
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), 22, "header, 20 reviewers, count:\n{listing}");
    for column in [
        "name", "email", "home LA", "regions", "phases", "may lead", "DBS", "capacity", "active",
    ] {
        assert!(lines[0].contains(column), "{column} missing: {}", lines[0]);
    }
    assert!(listing.contains("amara.okonkwo@brook-primary.example.sch.uk"));
    assert!(listing.contains("Camden (202)"));

    // Found by email whatever its case, and by id: the same reviewer.
    let by_email = reviewers::find(
        &table,
        &"Amara.Okonkwo@Brook-Primary.example.sch.uk"
            .parse()
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(by_email.name, "Amara Okonkwo");
    let by_id = reviewers::find(&table, &ReviewerKey::Id(by_email.id))
        .await
        .unwrap();
    assert_eq!(by_id, by_email);
    let details = rendered(|out| reviewers::write_details(out, &by_id));
    let amara_dbs =
        local_runner::relative_dates::date_of("today-22m", OffsetDateTime::now_utc().date())
            .unwrap();
    let dbs_line = format!("DBS checked on     {amara_dbs}");
    for expected in [
        "home school URN    900101",
        "local authority    Camden (202)",
        "regions            London; South East",
        "may lead           yes",
        dbs_line.as_str(),
        "capacity per term  2",
        "active             yes",
    ] {
        assert!(details.contains(expected), "{expected:?} in:\n{details}");
    }
    assert_eq!(reviewers::to_json(&by_id)["home_school_urn"], "900101");

    let missing = reviewers::find(&table, &"nobody@example.org".parse().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(missing, AdminError::NotFound(_)));
    assert_eq!(
        missing.to_string(),
        "no reviewer has email nobody@example.org"
    );

    // Deactivate, twice (idempotent), then activate again.
    let key: ReviewerKey = "amara.okonkwo@brook-primary.example.sch.uk"
        .parse()
        .unwrap();
    let off = reviewers::set_active(&table, &key, false, &actor())
        .await
        .unwrap();
    assert!(off.changed && !off.reviewer.active);
    assert!(off.to_string().starts_with("deactivated Amara Okonkwo <"));
    let off_again = reviewers::set_active(&table, &key, false, &actor())
        .await
        .unwrap();
    assert!(!off_again.changed);
    assert!(
        off_again
            .to_string()
            .ends_with("was already inactive: nothing changed")
    );
    assert!(!reviewers::find(&table, &key).await.unwrap().active);
    let inactive = reviewers::list(&table)
        .await
        .unwrap()
        .iter()
        .filter(|r| !r.active)
        .count();
    assert_eq!(inactive, inactive_in_demo + 1);

    let on = reviewers::set_active(&table, &key, true, &actor())
        .await
        .unwrap();
    assert!(on.changed && on.reviewer.active);
    assert!(reviewers::find(&table, &key).await.unwrap().active);
    assert!(
        !reviewers::set_active(&table, &key, true, &actor())
            .await
            .unwrap()
            .changed
    );

    // Each change is in the reviewer's audit trail; the idempotent repeats wrote nothing.
    let amara = reviewers::find(&table, &key).await.unwrap();
    let trail = records::audit::about(
        &table,
        &records::audit::AuditSubject::Reviewer {
            id: amara.id.to_string(),
            name: amara.name.clone(),
        },
    )
    .await
    .unwrap();
    let actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "reviewer imported",
            "reviewer imported",
            "reviewer deactivated",
            "reviewer activated"
        ]
    );

    let absent = ReviewerKey::Id(ulid::Ulid::new());
    assert!(matches!(
        reviewers::set_active(&table, &absent, false, &actor()).await,
        Err(AdminError::NotFound(_))
    ));
    let profiles = app.items_with_prefix("REVIEWER#").await;
    let profiles = profiles
        .iter()
        .filter(|item| get_s(item, "sk") == Some("PROFILE"));
    assert_eq!(profiles.count(), 20, "no profile was made");
}

#[tokio::test]
async fn an_import_with_bad_rows_reports_every_one_and_writes_nothing() {
    let app = spawn().await;
    let table = app.table_handle();
    let csv = "name,email,home_school_urn,local_authority,regions,phases,school_types,may_lead,capacity_per_term\n\
        Ben Ng,ben@example.org,12345,202,london,primary,mainstream,no,1\n\
        Ada Okafor,ada@example.org,100001,202,london,primary,mainstream,yes,2\n\
        Cat Lee,cat@example.org,100003,999,london,primary,mainstream,no,1\n";

    let Err(AdminError::InvalidCsv(problems)) = reviewers::import(&table, csv, &actor()).await
    else {
        panic!("a file with bad rows was imported");
    };
    let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].starts_with("line 2: home_school_urn"),
        "{problems:?}"
    );
    assert!(
        problems[1].starts_with("line 4: local_authority"),
        "{problems:?}"
    );
    assert!(reviewers::list(&table).await.unwrap().is_empty());
    assert_eq!(
        app.items_with_prefix("REVIEWER").await.len(),
        0,
        "nothing was written"
    );
}

#[tokio::test]
async fn requests_are_listed_shown_withdrawn_once_and_exported_without_contact_details() {
    // Without the stream consumers the requests stay `submitted` (the matcher would move them
    // on, and has its own tests), so what the tool shows is known exactly.
    let app = spawn_with(|config| config.stream_consumers = false).await;
    let table = app.table_handle();
    let email_a = unique_address("senco-a");
    let email_b = unique_address("senco-b");
    let a = app
        .submit_request("100011", "Brook Primary School", &email_a)
        .await;
    let b = app
        .submit_request("100012", "Meadow Primary School", &email_b)
        .await;

    let submitted = requests::list(&table, Some("submitted")).await.unwrap();
    let references: Vec<&Reference> = submitted.iter().map(|r| &r.reference).collect();
    assert_eq!(references, [&a, &b], "both, oldest first");
    let listing = rendered(|out| requests::write_list(out, &submitted));
    for expected in [
        a.as_str(),
        b.as_str(),
        "Brook Primary School",
        "100012",
        "Camden",
        "SEND Review (whole school)",
        "submitted",
        "2 requests",
    ] {
        assert!(listing.contains(expected), "{expected:?} in:\n{listing}");
    }
    assert_eq!(requests::list(&table, None).await.unwrap().len(), 2);
    assert_eq!(requests::list_json(&submitted)[1]["urn"], "100012");

    let shown = requests::show(&table, &a).await.unwrap();
    assert_eq!(shown.request.reference, a);
    let kinds: Vec<&str> = shown.timeline.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["submitted", "confirmed"]);
    let details = rendered(|out| requests::write_details(out, &shown));
    for expected in [
        &format!("Request {a}"),
        "state             submitted",
        "name              Brook Primary School",
        "local authority   Camden (202)",
        "SEN support       14.5%",
        "focus areas       Leadership of SEND; Outcomes for learners with SEND",
        "learning goal     How well our graduated approach works.",
        &format!("email             {email_a}"),
        "phone             01632 960 001",
        "Timeline (oldest first)",
    ] {
        assert!(details.contains(expected), "{expected:?} in:\n{details}");
    }
    let json = requests::details_json(&shown);
    assert_eq!(json["visit_windows"][0]["start"], date_from_now(30));
    assert_eq!(json["timeline"][0]["kind"], "submitted");

    let unknown: Reference = "SR-2345-67".parse().unwrap();
    assert!(matches!(
        requests::show(&table, &unknown).await,
        Err(AdminError::NotFound(_))
    ));

    // Withdraw one, twice: the second time changes nothing.
    let now = OffsetDateTime::now_utc();
    let done = requests::withdraw(&table, &a, Some("the school asked twice"), now)
        .await
        .unwrap();
    assert_eq!(
        done,
        requests::Withdrawal::Withdrawn {
            reference: a.clone(),
            previous_state: "submitted".into()
        }
    );
    let again = requests::withdraw(&table, &a, None, now + Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(
        again,
        requests::Withdrawal::AlreadyWithdrawn {
            reference: a.clone()
        }
    );
    assert_eq!(
        again.to_string(),
        format!("{a} was already withdrawn: nothing changed")
    );

    let still_submitted = requests::list(&table, Some("submitted")).await.unwrap();
    assert_eq!(still_submitted.len(), 1);
    assert_eq!(still_submitted[0].reference, b);
    let withdrawn = requests::list(&table, Some("withdrawn")).await.unwrap();
    assert_eq!(withdrawn.len(), 1);
    assert_eq!(withdrawn[0].reference, a);
    assert_eq!(withdrawn[0].state.as_str(), "withdrawn");
    assert_eq!(requests::list(&table, None).await.unwrap().len(), 2);

    let shown = requests::show(&table, &a).await.unwrap();
    let timeline: Vec<(&str, Option<&str>)> = shown
        .timeline
        .iter()
        .map(|e| (e.kind.as_str(), e.detail.as_deref()))
        .collect();
    assert_eq!(
        timeline,
        [
            ("submitted", None),
            (
                "confirmed",
                Some("You confirmed the request. We are looking for a reviewer.")
            ),
            ("withdrawn", Some("the school asked twice"))
        ],
        "one withdrawal event, after the submission"
    );
    let details = rendered(|out| requests::write_details(out, &shown));
    assert!(
        details.contains("withdrawn: the school asked twice"),
        "{details}"
    );

    // The export: a header and a row per request, and nothing to reach the contact by.
    let mut csv = Vec::new();
    assert_eq!(export::export(&table, &mut csv).await.unwrap(), 2);
    let text = String::from_utf8(csv).unwrap();
    for private in [email_a.as_str(), email_b.as_str(), "Grace Hopper", "01632"] {
        assert!(
            !text.contains(private),
            "{private:?} is in the export:\n{text}"
        );
    }
    // No cell of these two requests needs quoting, so a line splits at its commas.
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(lines.len(), 3, "a header and two rows:\n{text}");
    assert_eq!(lines[0], export::HEADER);
    let row = |reference: &Reference| {
        lines[1..]
            .iter()
            .find(|r| r[0] == reference.as_str())
            .expect("every request is exported")
    };
    assert_eq!(row(&a)[2], "withdrawn");
    assert_eq!(row(&b)[2], "submitted");
    let windows = format!(
        "{}..{};{}..{}",
        date_from_now(30),
        date_from_now(40),
        date_from_now(60),
        date_from_now(70)
    );
    assert_eq!(
        row(&b)[3..],
        [
            "100012",
            "Meadow Primary School",
            "primary",
            "mainstream",
            "202",
            "Camden",
            "send_review",
            "leadership;outcomes",
            windows.as_str(),
            "SENCO",
        ]
    );

    // A withdrawn request cannot be reassigned.
    assert!(matches!(
        requests::reassign(&table, &b).await,
        Err(AdminError::Refused(_))
    ));
}

#[tokio::test]
async fn a_request_the_matcher_has_moved_on_is_listed_and_withdrawn_from_its_state() {
    let app = spawn().await;
    let table = app.table_handle();
    let reference = app
        .submit_request("100021", "Oak Primary School", &unique_address("oak"))
        .await;
    // Give the matcher (no reviewers here) a moment to move the request on.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut state = String::new();
    while tokio::time::Instant::now() < deadline {
        state = requests::show(&table, &reference)
            .await
            .unwrap()
            .request
            .state
            .to_string();
        if state != "submitted" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        requests::STATES.contains(&state.as_str()),
        "unknown state {state}"
    );
    let listed = requests::list(&table, None).await.unwrap();
    assert_eq!(listed.len(), 1, "found in its state ({state})");

    let done = requests::withdraw(&table, &reference, None, OffsetDateTime::now_utc())
        .await
        .unwrap();
    let requests::Withdrawal::Withdrawn { previous_state, .. } = done else {
        panic!("not withdrawn: {done}");
    };
    assert!(requests::STATES.contains(&previous_state.as_str()));
    let shown = requests::show(&table, &reference).await.unwrap();
    assert_eq!(shown.request.state.as_str(), "withdrawn");
    assert_eq!(shown.timeline.last().unwrap().kind, "withdrawn");
    assert_eq!(shown.timeline.last().unwrap().detail, None);
    assert_eq!(
        requests::list(&table, Some("withdrawn"))
            .await
            .unwrap()
            .len(),
        1
    );
}
