//! Reviewers keep their own details: the link form (the same answer for any address), the
//! details page (per-field errors, a save from an old page), what matching and the term plan
//! then read, and the reminder of a DBS check running out (once, however often the task runs).

use std::collections::HashSet;

use records::matching::RuleOut;
use records::matching::fixtures;
use records::matching::{MatchRequest, ReviewerRecord, Role, rank};
use records::reviewers;
use reqwest::StatusCode;
use time::{Duration, OffsetDateTime, Time};
use workflows::matching::Term;
use workflows::term_plan::{OpenRequest, Place, plan_term};

use crate::support::date_from_now;
use crate::support::{
    TestStack, body, form_encode, link_containing, location, reviewer_row, spawn, unique_address,
};

/// Asks for the details link for `email` on the public form; the page it answers.
async fn ask_for_link(app: &TestStack, email: &str) -> String {
    let response = app
        .post_path("/reviewer/link", &form_encode(&[("email", email)]))
        .await;
    body(response, StatusCode::OK).await
}

/// The details link emailed to `email` (a reviewer in the pool asks for it).
async fn details_link(app: &TestStack, email: &str) -> String {
    ask_for_link(app, email).await;
    let mails = app.wait_for_mail(email, 1).await;
    link_containing(&mails, "/reviewer/details/")
}

/// The hidden revision on a details page.
fn revision_on(page: &str) -> String {
    let start =
        page.find("name=\"revision\" value=\"").unwrap() + "name=\"revision\" value=\"".len();
    page[start..start + page[start..].find('"').unwrap()].to_owned()
}

async fn save(app: &TestStack, link: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    app.post(link, &form_encode(fields)).await
}

#[tokio::test]
async fn the_link_form_answers_the_same_for_a_known_and_an_unknown_address_and_emails_only_the_reviewer()
 {
    let app = spawn().await;
    let known = app
        .primary_reviewer_joins("Ada Lead", 886, 2, "900001")
        .await;
    let unknown = unique_address("nobody");

    let form = app.page(&app.url("/reviewer/link")).await;
    assert!(form.contains("Email me my link"), "{form}");
    let for_known = ask_for_link(&app, &known).await;
    let for_unknown = ask_for_link(&app, &unknown).await;
    assert_eq!(
        for_known.replace(&known, "ADDRESS"),
        for_unknown.replace(&unknown, "ADDRESS"),
        "the page must not tell whether an address is in the pool"
    );
    assert!(
        for_known.contains(
            "If ADDRESS is the address"
                .replace("ADDRESS", &known)
                .as_str()
        )
    );

    let mails = app.wait_for_mail(&known, 1).await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0]
            .subject
            .ends_with("the link to your reviewer details")
    );
    let link = link_containing(&mails, "/reviewer/details/");
    let page = app.page(&link).await;
    assert!(page.contains("Your reviewer details"), "{page}");
    let to_unknown = app
        .outbox_items()
        .await
        .into_iter()
        .filter(|i| i["to"].as_s().is_ok_and(|to| to == &unknown))
        .count();
    assert_eq!(
        to_unknown, 0,
        "nothing is queued for an address not in the pool"
    );

    // A bad address is a field error; too many asks for one address are refused for any.
    let (status, page) = (
        app.post_path("/reviewer/link", "email=not-an-address")
            .await
            .status(),
        (),
    );
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page:?}");
    for _ in 0..2 {
        ask_for_link(&app, &unknown).await;
    }
    let over = app
        .post_path("/reviewer/link", &form_encode(&[("email", &unknown)]))
        .await;
    assert_eq!(over.status(), StatusCode::TOO_MANY_REQUESTS);

    // A tampered link opens nothing and says how to get a new one.
    let (status, refused) = app.get(&format!("{}x", &link[..link.len() - 1])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(refused.contains("Get a new link"), "{refused}");
}

#[tokio::test]
async fn a_reviewer_saves_their_details_with_per_field_errors_and_a_stale_page_stores_nothing() {
    let app = spawn().await;
    let email = app
        .primary_reviewer_joins("Bea Better", 204, 2, "900002")
        .await;
    let link = details_link(&app, &email).await;
    let page = app.page(&link).await;
    let first = revision_on(&page);
    // Dates away relative to the run's day, so the test never depends on the calendar.
    let backwards = format!("{} to {}", date_from_now(100), date_from_now(96));
    let away = format!("{} to {}", date_from_now(92), date_from_now(96));

    // Every bad field gets its own error; nothing is stored.
    let refused = save(
        &app,
        &link,
        &[
            ("revision", &first),
            ("capacity_per_term", "twelve"),
            ("unavailable", &backwards),
            ("conflicts", "12345 my old school"),
        ],
    )
    .await;
    let refused = body(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    for field in [
        "#capacity_per_term",
        "#unavailable",
        "#regions",
        "#conflicts",
    ] {
        assert!(
            refused.contains(&format!("href=\"{field}\"")),
            "{field}: {refused}"
        );
    }
    let table = app.table_handle();
    let id = reviewers::id_by_email(&table, &email)
        .await
        .unwrap()
        .unwrap();
    let before = reviewers::get_own(&table, id).await.unwrap().unwrap();
    assert_eq!(before.stored.revision.as_deref(), Some(first.as_str()));

    // A good save: stored in the profile matching reads, with its audit entry.
    let saved = save(
        &app,
        &link,
        &[
            ("revision", &first),
            ("capacity_per_term", "1"),
            ("unavailable", &away),
            ("regions", "london"),
            ("conflicts", "100000 my sister teaches there"),
        ],
    )
    .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert!(location(&saved).ends_with("?saved=1"));
    let after = reviewers::get_own(&table, id).await.unwrap().unwrap();
    let reviewer = &after.stored.reviewer;
    assert_eq!(reviewer.capacity_per_term, 1);
    assert_eq!(
        reviewer.unavailable[0].to_string(),
        format!("{}..{}", date_from_now(92), date_from_now(96))
    );
    assert_eq!(reviewer.regions, vec![records::domain::Region::London]);
    assert_eq!(reviewer.conflicts, vec![fixtures::urn("100000")]);
    assert_eq!(after.details.conflicts[0].reason, "my sister teaches there");
    let log = app.audit_log().await;
    assert!(
        log.iter().any(|e| e.action == "reviewer details saved"
            && e.detail.contains("capacity per term")
            && e.detail.contains("conflicts")),
        "{log:?}"
    );
    let shown = app.page(&format!("{link}?saved=1")).await;
    assert!(shown.contains("Your details are saved."));
    assert!(shown.contains("100000 my sister teaches there"), "{shown}");

    // The page opened before that save sends other values: nothing stored, both versions shown.
    let stale = save(
        &app,
        &link,
        &[
            ("revision", &first),
            ("capacity_per_term", "3"),
            ("regions", "london"),
        ],
    )
    .await;
    let stale = body(stale, StatusCode::CONFLICT).await;
    assert!(stale.contains("nothing was saved"), "{stale}");
    assert!(
        stale.contains("<th scope=\"row\">Reviews per term</th><td>3</td><td>1</td>"),
        "{stale}"
    );
    let still = reviewers::get_own(&table, id).await.unwrap().unwrap();
    assert_eq!(still, after);
    // The form now carries the saved revision: sending it again replaces the saved values.
    assert_eq!(revision_on(&stale), after.stored.revision.clone().unwrap());
}

#[tokio::test]
async fn a_declared_conflict_and_an_unavailable_week_rule_a_reviewer_out_of_the_matcher_and_the_term_plan()
 {
    let app = spawn().await;
    let (ada, ben) = (unique_address("ada"), unique_address("ben"));
    let trained = fixtures::reviewer(1).trained_on.unwrap().to_string();
    let checked = fixtures::reviewer(1).dbs_checked_on.unwrap().to_string();
    let row = |name: &str, email: &str, urn: &str| {
        format!(
            "{name},{email},{urn},,204,london,primary,mainstream,,yes,{trained},{checked},2,,,yes"
        )
    };
    app.import_reviewers(&[
        row("Ada Okafor", &ada, "200001"),
        row("Ben Hughes", &ben, "200002"),
    ])
    .await;
    // Brook Primary (URN 100000) can be visited on four days of one week only (a Monday to
    // Friday seven weeks after the fixtures' fixed day, which the request is parsed at).
    let day = |n: i64| (fixtures::TODAY + time::Duration::days(n)).to_string();
    let mut raw = fixtures::raw_request();
    raw.visit_windows = vec![(day(49), day(50)), (day(52), day(53))];
    let request = records::domain::request::ReviewRequest::parse(&raw, fixtures::TODAY).unwrap();

    let pool = reviewers::list(&app.table_handle()).await.unwrap();
    let (eligible, _) = matched(&request, &pool);
    assert_eq!(
        eligible,
        ["Ada Okafor", "Ben Hughes"],
        "both may review Brook before"
    );

    // Ada declares Brook a conflict; Ben is away the week of its window.
    for (email, fields) in [
        (
            &ada,
            [
                ("unavailable", ""),
                ("conflicts", "100000 I was a governor there"),
            ],
        ),
        (
            &ben,
            [
                ("unavailable", &format!("{} to {}", day(49), day(53))),
                ("conflicts", ""),
            ],
        ),
    ] {
        let link = details_link(&app, email).await;
        let revision = revision_on(&app.page(&link).await);
        let mut form = vec![
            ("revision", revision.as_str()),
            ("capacity_per_term", "2"),
            ("regions", "london"),
        ];
        form.extend(fields);
        assert_eq!(
            save(&app, &link, &form).await.status(),
            StatusCode::SEE_OTHER
        );
    }

    let pool = reviewers::list(&app.table_handle()).await.unwrap();
    let (eligible, rules) = matched(&request, &pool);
    assert!(eligible.is_empty(), "{eligible:?}");
    assert_eq!(
        rules,
        HashSet::from([RuleOut::DeclaredConflict, RuleOut::UnavailableInEveryWindow])
    );

    let records: Vec<ReviewerRecord> = pool.iter().map(fixtures::record).collect();
    let excluded = HashSet::new();
    let open = [OpenRequest {
        request: &request,
        excluded: &excluded,
        follow_up_of: None,
        place: Place::Lead { team: false },
    }];
    let plan = plan_term(
        &open,
        &records,
        &fixtures::settings(),
        Term::of(request.visit_windows[0].start),
        fixtures::TODAY,
        &[],
        &[],
    )
    .unwrap();
    assert!(plan.proposed.is_empty(), "{plan:?}");
    let ruled_out: HashSet<RuleOut> = plan.left_without[0]
        .ruled_out
        .iter()
        .map(|(r, _)| *r)
        .collect();
    assert!(ruled_out.contains(&RuleOut::DeclaredConflict), "{plan:?}");
    assert!(
        ruled_out.contains(&RuleOut::UnavailableInEveryWindow),
        "{plan:?}"
    );
}

/// As the matcher ranks the pool for `request`'s lead: the eligible reviewers' names, in name
/// order, and every rule that ruled someone out.
fn matched(
    request: &records::domain::request::ReviewRequest,
    pool: &[reviewers::Reviewer],
) -> (Vec<String>, HashSet<RuleOut>) {
    let records: Vec<ReviewerRecord> = pool.iter().map(fixtures::record).collect();
    let excluded = HashSet::new();
    let outcome = rank(
        &MatchRequest {
            request,
            excluded: &excluded,
            role: Role::Lead,
            lead: None,
            follow_up_of: None,
        },
        &records,
        &fixtures::settings(),
        fixtures::TODAY,
    );
    let mut names: Vec<String> = outcome
        .ranked
        .iter()
        .map(|c| c.reviewer.name.clone())
        .collect();
    names.sort();
    let rules = outcome
        .ruled_out
        .into_iter()
        .flat_map(|(_, rules)| rules)
        .collect();
    (names, rules)
}

#[tokio::test]
async fn a_reviewer_is_reminded_once_60_days_before_their_dbs_check_runs_out() {
    let app = spawn().await;
    let email = unique_address("cara");
    // reviewer_row: trained 400 days ago, DBS-checked 100 days ago.
    app.import_reviewers(&[reviewer_row(
        "Cara Check",
        &email,
        204,
        "primary",
        2,
        "900003",
    )])
    .await;
    let table = app.table_handle();
    let id = reviewers::id_by_email(&table, &email)
        .await
        .unwrap()
        .unwrap();
    let reviewer = reviewers::get(&table, id).await.unwrap().unwrap().reviewer;
    let today = OffsetDateTime::now_utc().date();
    let records::reviewers::CheckDate::Valid(runs_out) = reviewers::check_date(
        reviewer.dbs_checked_on,
        reviewers::DBS_VALID_FOR_YEARS,
        today,
    ) else {
        panic!("the DBS check is in date");
    };
    let at = |day: time::Date| day.with_time(Time::from_hms(6, 0, 0).unwrap()).assume_utc();
    let early = app.run_schedule(at(runs_out - Duration::days(61))).await;
    assert_eq!(early["reviewers"]["check_reminded"], 0, "{early}");
    let due = app.run_schedule(at(runs_out - Duration::days(59))).await;
    assert_eq!(due["reviewers"]["check_reminded"], 1, "{due}");
    let again = app.run_schedule(at(runs_out - Duration::days(58))).await;
    assert_eq!(again["reviewers"]["check_reminded"], 0, "{again}");
    let queued = app
        .outbox_items()
        .await
        .into_iter()
        .filter(|i| {
            i["email_kind"]
                .as_s()
                .is_ok_and(|k| k == "check_running_out")
        })
        .count();
    assert_eq!(queued, 1);

    let mails = app.wait_for_mail(&email, 1).await;
    assert!(
        mails[0].subject.contains("enhanced DBS check runs out on"),
        "{}",
        mails[0].subject
    );
    // Like every email to a reviewer, it links to their details.
    link_containing(&mails, "/reviewer/details/");
}
