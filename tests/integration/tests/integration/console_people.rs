//! The console's people pages on the local stack: the reviewer pool (add, edit, a stale edit,
//! deactivate, the CSV import and its refusals), the staff (invite, remove, not oneself), the
//! audit log (filter, pages), and a viewer refused every action.

use records::audit::{Actor, AuditSubject};
use time::{Duration, OffsetDateTime};

use crate::support::{
    POOL_HEADER, between, location, pool_row, reviewer_fields, spawn, unescape, unique_address,
};

fn today() -> time::Date {
    OffsetDateTime::now_utc().date()
}

/// Asserts that `response` has `status` and a page saying `text`; the page, unescaped.
async fn answers(response: reqwest::Response, status: u16, text: &str) -> String {
    assert_eq!(response.status(), status);
    let page = unescape(&response.text().await.unwrap());
    assert!(page.contains(text), "{text} in {page}");
    page
}

fn with(
    fields: &[(&'static str, String)],
    name: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    let mut fields = fields.to_vec();
    match fields.iter_mut().find(|(n, _)| *n == name) {
        Some(field) => field.1 = value.to_owned(),
        None => fields.push((name, value.to_owned())),
    }
    fields
}

#[tokio::test]
async fn a_coordinator_adds_edits_and_deactivates_a_reviewer_each_change_audited() {
    let app = spawn().await;
    let (mut browser, coordinator) = app.staff_signs_in("coordinator").await;
    let email = unique_address("ada");
    // The DBS check runs out in 30 days: the pool says so in words.
    let dbs = today() - Duration::days(3 * 365 - 30);
    let good = with(
        &reviewer_fields("Ada Okafor", &email),
        "dbs_checked_on",
        &dbs.to_string(),
    );

    // A bad field: its own error, the rest kept, nothing stored.
    let response = browser
        .add_reviewer(&with(&good, "home_school_urn", "12345"))
        .await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(
        unescape(&html).contains("Home school URN: \"12345\" must be 6 digits"),
        "{html}"
    );
    assert!(html.contains("href=\"#home_school_urn\""), "{html}");
    assert!(html.contains(&format!("value=\"{email}\"")), "{html}");
    assert!(app.stored_reviewers().await.is_empty());
    assert!(app.audit_log().await.is_empty());

    let response = browser.add_reviewer(&good).await;
    assert_eq!(response.status(), 303);
    let stored = app.stored_reviewers().await;
    assert_eq!(stored.len(), 1);
    let id = stored[0].id.to_string();
    assert_eq!(
        location(&response),
        format!("/console/reviewers/{id}?saved=added")
    );
    assert_eq!(stored[0].dbs_checked_on, Some(dbs));
    let pool = browser.text_of("/console/reviewers").await;
    assert!(pool.contains("Ada Okafor"), "{pool}");
    assert!(pool.contains("Expires soon, on"), "{pool}");
    assert!(pool.contains("0 of 2"), "{pool}");
    // No training date on record: marked too.
    assert!(pool.contains("None on record"), "{pool}");

    // The same email again is refused on its field.
    let response = browser
        .add_reviewer(&reviewer_fields("Someone Else", &email.to_uppercase()))
        .await;
    answers(
        response,
        409,
        "another reviewer in the pool has this address",
    )
    .await;
    assert_eq!(app.stored_reviewers().await.len(), 1);

    // An edit from the current page is saved; a second edit from that same (now old) page
    // is refused and stores nothing.
    let revision = browser.reviewer_revision(&id).await;
    let response = browser
        .edit_reviewer(&id, &revision, &with(&good, "capacity_per_term", "3"))
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(app.stored_reviewers().await[0].capacity_per_term, 3);
    let response = browser
        .edit_reviewer(&id, &revision, &with(&good, "name", "Ada Stale"))
        .await;
    assert_eq!(response.status(), 409);
    let page = unescape(&response.text().await.unwrap());
    assert!(
        page.contains("Someone changed this reviewer after you opened this page"),
        "{page}"
    );
    assert_eq!(app.stored_reviewers().await[0].name, "Ada Okafor");
    // Each field that differs, with the value sent and the value saved now; no other field.
    let differences = between(
        &page,
        "<table class=\"table\" id=\"stale-differences\">",
        "</table>",
    );
    let rows: Vec<&str> = differences.split("<tr>").skip(2).collect();
    assert_eq!(rows.len(), 2, "{differences}");
    assert!(
        rows[0].contains("Full name") && rows[0].contains("<td>Ada Stale</td><td>Ada Okafor</td>"),
        "{differences}"
    );
    assert!(rows[1].contains("<td>2</td><td>3</td>"), "{differences}");
    // The form keeps what was sent, based on what is saved now: saving it again replaces that.
    assert!(page.contains("value=\"Ada Stale\""), "{page}");
    let current = between(&page, "name=\"revision\" value=\"", "\"").to_owned();
    let response = browser
        .edit_reviewer(&id, &current, &with(&good, "name", "Ada Stale"))
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(app.stored_reviewers().await[0].name, "Ada Stale");
    let response = browser
        .edit_reviewer(&id, &current, &with(&good, "capacity_per_term", "3"))
        .await;
    assert_eq!(response.status(), 409, "an old page again");
    let revision = browser.reviewer_revision(&id).await;
    let response = browser
        .edit_reviewer(&id, &revision, &with(&good, "capacity_per_term", "3"))
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(app.stored_reviewers().await[0].name, "Ada Okafor");

    // A bad field on edit: its error, nothing stored.
    let revision = browser.reviewer_revision(&id).await;
    let response = browser
        .edit_reviewer(&id, &revision, &with(&good, "capacity_per_term", "11"))
        .await;
    assert_eq!(response.status(), 422);
    assert_eq!(app.stored_reviewers().await[0].capacity_per_term, 3);

    let response = browser.set_reviewer_active(&id, false).await;
    assert_eq!(response.status(), 303);
    assert!(!app.stored_reviewers().await[0].active);
    // Deactivating changed the revision: an edit read before it is stale.
    let response = browser
        .edit_reviewer(&id, &revision, &with(&good, "capacity_per_term", "1"))
        .await;
    assert_eq!(response.status(), 409);
    assert!(!app.stored_reviewers().await[0].active);

    let log = app.audit_log().await;
    let actions: Vec<_> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "reviewer added",
            "reviewer edited",
            "reviewer edited",
            "reviewer edited",
            "reviewer deactivated"
        ]
    );
    assert!(log.iter().all(|e| e.actor == coordinator));
    assert_eq!(log[1].detail, "changed: capacity_per_term");
    let page = browser.text_of(&format!("/console/reviewers/{id}")).await;
    assert!(page.contains("<strong>Inactive</strong>"), "{page}");
    assert!(page.contains("reviewer deactivated"), "{page}");
    assert!(page.contains(">Reactivate<"), "{page}");
}

#[tokio::test]
async fn an_import_with_one_bad_line_shows_it_and_stores_nothing() {
    let app = spawn().await;
    let (mut browser, _) = app.staff_signs_in("coordinator").await;
    let first = unique_address("first");
    let second = unique_address("second");
    let bad = format!(
        "{POOL_HEADER}\n{}\nBad Row,{second},12345,202,london,primary,mainstream,yes,2\n",
        pool_row("First Reviewer", &first)
    );
    let response = browser.import_reviewers(&bad).await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(
        unescape(&html).contains("line 3: home_school_urn \"12345\" must be 6 digits"),
        "{html}"
    );
    assert!(
        html.contains("First Reviewer"),
        "the text is shown again: {html}"
    );
    assert!(app.stored_reviewers().await.is_empty());
    assert!(app.audit_log().await.is_empty());

    let good = format!(
        "{POOL_HEADER}\n{}\n{}\n",
        pool_row("First Reviewer", &first),
        pool_row("Second Reviewer", &second)
    );
    let response = browser.import_reviewers(&good).await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        location(&response),
        "/console/reviewers?imported=2&created=2&updated=0"
    );
    assert_eq!(app.stored_reviewers().await.len(), 2);
    let page = browser.text_of(&location(&response)).await;
    assert!(
        page.contains("Imported 2 reviewers (2 new, 0 updated)."),
        "{page}"
    );
    let log = app.audit_log().await;
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|e| e.action == "reviewer imported"));

    // Too large: refused with the limit, nothing read.
    let huge = format!("{POOL_HEADER}\n{}", "x".repeat(300 * 1024));
    let response = browser.import_reviewers(&huge).await;
    assert_eq!(response.status(), 413);
    let html = response.text().await.unwrap();
    assert!(html.contains("at most 256 KB"), "{html}");
    assert_eq!(app.stored_reviewers().await.len(), 2);
}

#[tokio::test]
async fn an_uploaded_csv_file_is_imported_whole_or_refused_with_a_clear_reason() {
    let app = spawn().await;
    let (mut browser, _) = app.staff_signs_in("coordinator").await;
    let pool = browser.text_of("/console/reviewers").await;
    assert!(pool.contains("enctype=\"multipart/form-data\""), "{pool}");
    assert!(pool.contains("type=\"file\""), "{pool}");
    let first = unique_address("first");
    let second = unique_address("second");

    // One bad line: that line named, nothing stored, the file's text not put in the box.
    let bad = format!(
        "{POOL_HEADER}\r\n{}\r\nBad Row,{second},12345,202,london,primary,mainstream,yes,2\r\n",
        pool_row("First Reviewer", &first)
    );
    let response = browser
        .upload_reviewers("pool.csv", bad.into_bytes(), true)
        .await;
    let said = "line 3: home_school_urn \"12345\" must be 6 digits";
    let html = answers(response, 422, said).await;
    assert!(!html.contains("First Reviewer"), "{html}");
    assert!(html.contains("href=\"#import-file\""), "{html}");
    assert!(app.stored_reviewers().await.is_empty());

    // Empty, not UTF-8, too large: each says so; nothing stored.
    for (bytes, status, says) in [
        (Vec::new(), 422, "The file empty.csv is empty"),
        (
            b"name,email\r\nJos\xe9,jose@example.org\r\n".to_vec(),
            422,
            "is not a CSV file in UTF-8",
        ),
        (
            format!("{POOL_HEADER}\n{}", "x".repeat(300 * 1024)).into_bytes(),
            413,
            "at most 256 KB",
        ),
        (
            format!("{POOL_HEADER}\n{}", "x".repeat(3 * 1024 * 1024)).into_bytes(),
            413,
            "at most 2048 KB",
        ),
    ] {
        let name = if bytes.is_empty() {
            "empty.csv"
        } else {
            "pool.csv"
        };
        answers(
            browser.upload_reviewers(name, bytes, true).await,
            status,
            says,
        )
        .await;
    }
    assert!(app.stored_reviewers().await.is_empty());

    // Without the anti-forgery token the upload changes nothing.
    let good = format!(
        "\u{feff}{POOL_HEADER}\r\n{}\r\n{}\r\n",
        pool_row("First Reviewer", &first),
        pool_row("Second Reviewer", &second)
    );
    let response = browser
        .upload_reviewers("pool.csv", good.clone().into_bytes(), false)
        .await;
    assert_eq!(response.status(), 403);
    assert!(app.stored_reviewers().await.is_empty());

    // A good file (as a spreadsheet saves it: a byte-order mark, CRLF) is imported whole.
    let response = browser
        .upload_reviewers("pool.csv", good.into_bytes(), true)
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        location(&response),
        "/console/reviewers?imported=2&created=2&updated=0"
    );
    assert_eq!(app.stored_reviewers().await.len(), 2);
    assert_eq!(app.audit_log().await.len(), 2);
}

#[tokio::test]
async fn a_viewer_reads_the_pool_and_the_log_but_every_action_is_refused() {
    let app = spawn().await;
    let (mut coordinator, _) = app.staff_signs_in("coordinator").await;
    let email = unique_address("pooled");
    let response = coordinator
        .import_reviewers(&format!(
            "{POOL_HEADER}\n{}\n",
            pool_row("Pooled Reviewer", &email)
        ))
        .await;
    assert_eq!(response.status(), 303);
    let id = app.stored_reviewers().await[0].id.to_string();

    let (mut viewer, _) = app.staff_signs_in("viewer").await;
    let pool = viewer.get("/console/reviewers").await;
    assert_eq!(pool.status(), 200);
    let pool = pool.text().await.unwrap();
    assert!(pool.contains("Pooled Reviewer"), "{pool}");
    assert!(!pool.contains("/console/reviewers/import"), "{pool}");
    assert!(!pool.contains("Add a reviewer"), "{pool}");
    let page = viewer.text_of(&format!("/console/reviewers/{id}")).await;
    assert!(
        !page.contains("<form method=\"post\" action=\"/console/reviewers/"),
        "{page}"
    );
    assert_eq!(viewer.get("/console/audit").await.status(), 200);
    assert_eq!(viewer.get("/console/staff").await.status(), 403);

    let other = unique_address("other");
    let refused = [
        viewer
            .import_reviewers(&format!("{POOL_HEADER}\n{}\n", pool_row("Other", &other)))
            .await,
        viewer.add_reviewer(&reviewer_fields("Other", &other)).await,
        viewer.set_reviewer_active(&id, false).await,
        viewer
            .edit_reviewer(&id, "", &reviewer_fields("Renamed", &email))
            .await,
        viewer.invite_staff(&other, "coordinator").await,
        viewer.remove_staff(&other).await,
    ];
    for response in refused {
        assert_eq!(response.status(), 403);
    }
    let stored = app.stored_reviewers().await;
    assert_eq!(stored.len(), 1);
    assert!(stored[0].active);
    assert_eq!(stored[0].name, "Pooled Reviewer");
    assert_eq!(app.audit_log().await.len(), 1);
}

#[tokio::test]
async fn a_coordinator_invites_and_removes_staff_but_not_themselves() {
    let app = spawn().await;
    let (mut browser, me) = app.staff_signs_in("coordinator").await;
    let page = browser.text_of("/console/staff").await;
    assert!(page.contains(&me), "{page}");

    let response = browser.invite_staff("not an address", "").await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Enter an email address like name@school.sch.uk"),
        "{html}"
    );
    assert!(html.contains("Choose coordinator or viewer"), "{html}");

    let newcomer = unique_address("newcomer");
    let response = browser.invite_staff(&newcomer, "viewer").await;
    assert_eq!(response.status(), 303);
    let page = browser.text_of(&location(&response)).await;
    assert!(page.contains(&format!("{newcomer} is invited")), "{page}");
    assert!(
        page.contains(&format!("<th scope=\"row\">{newcomer}</th><td>Viewer</td><td>Invited: has not signed in yet</td>")),
        "{page}"
    );
    let response = browser.invite_staff(&newcomer, "viewer").await;
    assert_eq!(response.status(), 409);

    // Not oneself: neither the confirmation nor the removal.
    assert_eq!(
        browser
            .get(&format!("/console/staff/remove?email={me}"))
            .await
            .status(),
        409
    );
    assert_eq!(browser.remove_staff(&me).await.status(), 409);

    let confirm = browser
        .text_of(&format!("/console/staff/remove?email={newcomer}"))
        .await;
    assert!(
        confirm.contains(&format!("Remove {newcomer}?")),
        "{confirm}"
    );
    let response = browser.remove_staff(&newcomer).await;
    assert_eq!(response.status(), 303);
    let page = browser.text_of("/console/staff").await;
    assert!(
        !page.contains(&format!("<th scope=\"row\">{newcomer}")),
        "{page}"
    );
    assert!(page.contains(&me), "{page}");
    assert_eq!(browser.remove_staff(&newcomer).await.status(), 404);

    let log = app.audit_log().await;
    let staff: Vec<_> = log
        .iter()
        .filter(|e| e.subject == AuditSubject::Staff)
        .map(|e| (e.action.as_str(), e.detail.as_str()))
        .collect();
    assert_eq!(
        staff,
        [
            (
                "staff invited",
                format!("{newcomer} invited as viewer").as_str()
            ),
            ("staff removed", format!("{newcomer} removed").as_str()),
        ]
    );
    let page = browser.text_of("/console/audit?kind=staff").await;
    assert!(
        page.contains("staff invited") && page.contains("staff removed"),
        "{page}"
    );
}

#[tokio::test]
async fn the_audit_log_is_newest_first_filtered_and_paged() {
    let app = spawn().await;
    let (browser, _) = app.staff_signs_in("viewer").await;
    let table = app.table_handle();
    let start = OffsetDateTime::now_utc() - Duration::days(1);
    // 55 settings changes by one person, then one reviewer change by another.
    for minute in 0..55 {
        let entry = Actor::new("alice@la.example", start + Duration::minutes(minute)).entry(
            "settings changed",
            AuditSubject::Programme,
            format!("change {minute}"),
        );
        table
            .transact(vec![entry.transact_put(&table).unwrap()])
            .await
            .unwrap();
    }
    let entry = Actor::new("bob@la.example", start + Duration::hours(2)).entry(
        "reviewer deactivated",
        AuditSubject::Reviewer {
            id: "01J0000000000000000000000B".into(),
            name: "Ada Okafor".into(),
        },
        "matching will not offer them reviews",
    );
    table
        .transact(vec![entry.transact_put(&table).unwrap()])
        .await
        .unwrap();

    let first = browser.text_of("/console/audit").await;
    let newest = first
        .find("reviewer deactivated")
        .expect("the newest entry");
    assert!(newest < first.find("change 54<").unwrap(), "{first}");
    assert!(!first.contains("change 5<"), "only 50 a page: {first}");
    let older = unescape(crate::support::between(
        &first,
        "<a id=\"older\" href=\"",
        "\"",
    ))
    .replace("&amp;", "&");
    let second = browser.text_of(&older).await;
    assert!(
        second.contains("change 5<") && second.contains("change 0<"),
        "{second}"
    );
    assert!(!second.contains("change 6<"), "{second}");
    assert!(!second.contains("id=\"older\""), "{second}");

    let reviewers = browser.text_of("/console/audit?kind=reviewer").await;
    assert!(reviewers.contains("Ada Okafor") && !reviewers.contains("settings changed"));
    let bob = browser.text_of("/console/audit?actor=bob").await;
    assert!(bob.contains("reviewer deactivated") && !bob.contains("settings changed"));

    let response = browser.get("/console/audit?before=not%20a%20key").await;
    assert_eq!(response.status(), 400);
    let response = browser.get("/console/audit?kind=everything").await;
    assert_eq!(response.status(), 400);
}
