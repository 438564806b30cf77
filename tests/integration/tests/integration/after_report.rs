//! Acting on a final report, on the local stack: the school's action plan (saved, refused from
//! an old page, reminded once a term), a follow-up visit (a new request matched to the
//! original lead first) and signposting (shown only when both schools consent).

use reqwest::StatusCode;
use reqwest::header::ACCEPT;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};
use workflows::after_report::action_plan;
use workflows::after_report::action_plan::ActionStatus;
use workflows::report::Report;

use crate::support::{
    Answered, Booked, TestStack, body, day, encode_fields, follow_up_windows, link_containing,
    redirect, reminder_time_after, spawn, unique_address, visit_day,
};

/// `school` (contact address, URN, name) asks for a review; `lead` (who has had
/// `mails_so_far` emails) accepts it, and the report goes through its steps to final, as the lead's
/// page does it (the retention marker in the finalising transaction).
async fn reviewed(
    app: &TestStack,
    school: (&str, &str, &str),
    (lead, mails_so_far): (&str, usize),
    report: &Report,
) -> Booked {
    let booked = app.book(school, lead, mails_so_far).await;
    app.finalise(&booked.school.request_id, report).await;
    booked
}

const ALDER: &str = "Alder Primary School";
const BIRCH: &str = "Birch Primary School";

/// Ada, a London primary reviewer who may lead, joins the pool; her address.
async fn ada_leads(app: &TestStack) -> String {
    app.primary_reviewer_joins("Ada Lead", 204, 2, "900001")
        .await
}

#[tokio::test]
async fn the_school_keeps_its_action_plan_and_an_old_page_overwrites_nothing() {
    let app = spawn().await;
    let lead = ada_leads(&app).await;
    let school = unique_address("school");
    let booked = app.book((&school, "100101", ALDER), &lead, 0).await;
    let reference = booked.school.reference.as_str().to_owned();
    let (request_id, status_link) = (booked.school.request_id, booked.status_link);
    let plan_link = format!("{status_link}/action-plan");

    // No plan before the report is final.
    let (status, _) = app.get(&plan_link).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, page) = app.get(&status_link).await;
    assert!(!page.contains("Your action plan"));

    // The local runner's demo tool finalises the typical report, as the lead would.
    let report = workflows::report::examples::typical();
    let finalised = app
        .http
        .post(app.url("/_dev/demo/final-report"))
        .json(&json!({ "reference": reference }))
        .send()
        .await
        .unwrap();
    assert_eq!(finalised.status(), StatusCode::OK);
    assert_eq!(
        finalised.json::<Value>().await.unwrap(),
        json!({ "request_id": request_id, "recommendations": 4 })
    );
    let (_, page) = app.get(&status_link).await;
    assert!(page.contains("Your report has 4 recommendations: 4 not started."));
    assert!(page.contains("Update your action plan"));

    let (status, page) = app.get(&plan_link).await;
    assert_eq!(status, StatusCode::OK);
    for n in 1..=report.recommendations.len() {
        assert!(page.contains(&format!("Recommendation {n}: embed the graduated approach")));
    }
    assert!(page.contains(r#"name="version" value="0""#));

    // A date that is not a real one and too long a text: each on its field, nothing stored.
    let long_owner = "o".repeat(action_plan::MAX_OWNER_CHARS + 1);
    let mut form = vec![
        ("version", "0"),
        ("owner-1", "Ms Lee (SENCO)"),
        ("target_date-1", "30/02/2027"),
        ("status-1", "in_progress"),
        ("notes-1", "Training booked for all TAs."),
        ("owner-2", long_owner.as_str()),
        ("status-2", "not_started"),
        ("status-3", "not_started"),
        ("status-4", "done"),
    ];
    let refused = app.post_pairs(&plan_link, &form).await;
    let page = body(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("<title>Error: "));
    assert!(page.contains(r##"href="#target_date-1""##));
    assert!(page.contains("Enter the target date of action 1 as a real date"));
    assert!(page.contains("The owner of action 2 must be 120 characters or fewer (it has 121)"));
    assert!(
        page.contains("30/02/2027"),
        "the school's text is shown again"
    );
    assert!(app.stored_plan(&request_id).await.is_none());

    // Corrected, it is saved.
    let target = OffsetDateTime::now_utc().date() + Duration::days(120);
    let typed = format!(
        "{}/{}/{}",
        target.day(),
        u8::from(target.month()),
        target.year()
    );
    form[2] = ("target_date-1", typed.as_str());
    form[5] = ("owner-2", "Head teacher");
    let saved = app.post_pairs(&plan_link, &form).await;
    assert!(redirect(&saved).ends_with("/action-plan?saved=1"));
    let (version, plan) = app.stored_plan(&request_id).await.unwrap();
    assert_eq!(version, 1);
    assert_eq!(plan.rows[0].owner, "Ms Lee (SENCO)");
    assert_eq!(plan.rows[0].target_date, target.to_string());
    assert_eq!(plan.rows[0].status, ActionStatus::InProgress);
    assert_eq!(plan.rows[3].status, ActionStatus::Done);
    assert_eq!(
        plan.rows[1].action,
        report.recommendations[1].action.as_str()
    );

    // A second tab still on version 0 stores nothing and sees both versions.
    let page = app
        .post_stale(
            &plan_link,
            &[
                ("owner-1", "Mr Khan"),
                ("status-1", "dropped"),
                ("status-2", "not_started"),
                ("status-3", "not_started"),
                ("status-4", "not_started"),
            ],
        )
        .await;
    assert!(
        page.contains("Mr Khan"),
        "the stale tab's text is kept in the form"
    );
    assert!(
        page.contains("Ms Lee (SENCO)"),
        "and the saved text is shown"
    );
    assert!(page.contains(r#"name="version" value="1""#));
    assert_eq!(app.stored_plan(&request_id).await.unwrap().1, plan);

    // The page's script saves as the school types (JSON), with the same version check.
    let autosave = |version: &'static str, owner: &'static str| {
        app.http
            .post(&plan_link)
            .header(ACCEPT, "application/json")
            .form(&[
                ("version", version),
                ("decision", "autosave"),
                ("owner-1", owner),
                ("status-1", "done"),
                ("status-2", "in_progress"),
                ("status-3", "not_started"),
                ("status-4", "done"),
            ])
            .send()
    };
    let response = autosave("1", "Ms Lee").await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "version": 2 })
    );
    // The same text sent again from the same version (a retry whose answer was lost) is
    // what is stored: saved, not a conflict. Other text from that old version is refused.
    let response = autosave("1", "Ms Lee").await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = autosave("1", "Mr Khan").await.unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(app.stored_plan(&request_id).await.unwrap().0, 2);

    let (_, page) = app.get(&status_link).await;
    assert!(
        page.contains("Your report has 4 recommendations: 1 not started, 1 in progress, 2 done.")
    );
}

#[tokio::test]
async fn the_school_is_asked_to_update_its_action_plan_once_a_term() {
    let app = spawn().await;
    let lead = ada_leads(&app).await;
    let school = unique_address("school");
    let report = workflows::report::examples::typical();
    let review = reviewed(&app, (&school, "100101", ALDER), (&lead, 0), &report).await;
    let mails_before = app.wait_for_mail(&school, 2).await.len();

    // Not in the term the report became final (on the day of the visit).
    let finalised_at = app
        .stored_report(&review.school.request_id)
        .await
        .finalised_at
        .expect("the report is final");
    let now = OffsetDateTime::parse(
        &finalised_at,
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(app.run_schedule(now).await["action_plan"]["reminded"], 0);

    // Next term: once, however often the schedule runs.
    let next_term = reminder_time_after(now.date());
    assert_eq!(
        app.run_schedule(next_term).await["action_plan"]["reminded"],
        1
    );
    for later in [next_term, next_term + Duration::days(10)] {
        assert_eq!(app.run_schedule(later).await["action_plan"]["reminded"], 0);
    }
    let mails = app.wait_for_mail(&school, mails_before + 1).await;
    assert_eq!(mails.len(), mails_before + 1, "one reminder this term");
    let reminder = &mails[0];
    assert!(
        reminder
            .subject
            .starts_with("Time to update your action plan for the"),
        "{}",
        reminder.subject
    );
    assert!(reminder.text.contains("4 actions: 4 not started"));
    assert!(reminder.text.contains(review.school.reference.as_str()));
    let link = link_containing(std::slice::from_ref(reminder), "/action-plan");
    assert_eq!(link, format!("{}/action-plan", review.status_link));
    let (status, _) = app.get(&link).await;
    assert_eq!(status, StatusCode::OK);

    // The term after: once more.
    let term_after = reminder_time_after(next_term.date());
    assert_eq!(
        app.run_schedule(term_after).await["action_plan"]["reminded"],
        1
    );
    assert_eq!(
        app.run_schedule(term_after).await["action_plan"]["reminded"],
        0
    );
    assert_eq!(
        app.wait_for_mail(&school, mails_before + 2).await.len(),
        mails_before + 2
    );
}

#[tokio::test]
async fn a_follow_up_is_a_new_request_offered_to_the_original_lead_first() {
    let app = spawn().await;
    // Ada's home is in Kent, so a London reviewer with the same profile scores 15 more.
    let ada = app.ada_joins().await;
    let school = unique_address("school");
    let booked = app.book((&school, "100101", ALDER), &ada, 0).await;
    let reference = booked.school.reference.as_str().to_owned();
    let (original_id, status_link) = (booked.school.request_id, booked.status_link);

    // Not before the report is final.
    let refused = app.ask_follow_up(&status_link).await;
    refused
        .says(StatusCode::CONFLICT, "Your report is not final yet")
        .await;

    // Months later: the visit happened (so Ada "reviewed the school recently"), the report is
    // final, and a better-placed reviewer has joined the pool.
    let ada_id = app
        .stored_request(&original_id)
        .await
        .lead
        .unwrap()
        .reviewer_id;
    app.days_pass(&original_id, (visit_day() - day(-60)).whole_days())
        .await;
    let report = workflows::report::examples::typical();
    app.finalise(&original_id, &report).await;
    let bea = app.better_placed_reviewer_joins().await;

    // A window that is not a real date: the form again with its error, nothing stored.
    let mut bad = follow_up_windows();
    bad[0].1 = format!("{}-02-30", day(0).year() + 1);
    let refused = app
        .post(&format!("{status_link}/follow-up"), &encode_fields(&bad))
        .await;
    let page = body(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("<title>Error: "));
    assert!(page.contains(r##"href="#window_1_start""##));
    assert!(page.contains("Enter the first day of visit window 1 as a real date"));
    assert_eq!(app.items_with_prefix("REFERENCE#").await.len(), 1);

    let asked = app.ask_follow_up(&status_link).await;
    assert!(redirect(&asked).ends_with("#follow-up"));

    // A new request of the same school, linked both ways, offered to Ada, not to Bea.
    let original = app.stored_request(&original_id).await;
    let link = original
        .follow_up
        .clone()
        .expect("the original knows its follow-up");
    assert_ne!(link.reference, reference);
    let follow_up = app.stored_request(&link.request_id).await;
    let of = follow_up
        .follow_up_of
        .clone()
        .expect("the follow-up knows its review");
    assert_eq!(of.request_id, original_id);
    assert_eq!(of.lead_reviewer_id, ada_id);
    assert_eq!(of.lead_visit_date, day(-60).to_string());
    assert_eq!(of.recommendations, report.recommendations);
    assert_eq!(follow_up.request.school, original.request.school);
    assert_eq!(follow_up.request.contact, original.request.contact);
    assert_eq!(follow_up.request.visit_windows[0].start, day(40));
    assert!(
        follow_up
            .request
            .learning_goal
            .as_str()
            .contains("progress on each of the report's 4 recommendations")
    );

    let offers = app.wait_for_mail(&ada, 2).await;
    assert!(
        offers[0].subject.contains("Alder Primary School"),
        "{}",
        offers[0].subject
    );
    assert!(
        app.stack.mail_to(&bea).await.unwrap().is_empty(),
        "the original lead is asked first, though Bea scores more"
    );
    assert_eq!(
        app.stored_request(&link.request_id).await.state.as_str(),
        "offered"
    );

    // The school got the new request's confirmation, with its own status link; each status
    // page links to the other.
    let mails = app.wait_for_mail(&school, 3).await;
    let confirmation = mails
        .iter()
        .find(|m| m.text.contains(&link.reference))
        .expect("the follow-up's confirmation");
    let follow_up_status = link_containing(std::slice::from_ref(confirmation), "/status/");
    assert_ne!(follow_up_status, status_link);
    let (_, page) = app.get(&status_link).await;
    assert!(page.contains(&format!("Its reference is {}", link.reference)));
    let path = |url: &str| url[url.find("/status/").unwrap()..].to_owned();
    assert!(page.contains(&path(&follow_up_status)));
    let (_, page) = app.get(&follow_up_status).await;
    assert!(page.contains(&format!("This visit follows up your review {reference}")));
    assert!(page.contains(&format!(r#"href="{}""#, path(&status_link))));

    // Asking again creates nothing.
    let again = app.ask_follow_up(&status_link).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.items_with_prefix("REFERENCE#").await.len(), 2);
}

/// `report` without its findings in `area`.
fn without(mut report: Report, area: &str) -> Report {
    report
        .areas
        .retain(|findings| findings.area.as_str() != area);
    report
}

#[tokio::test]
async fn signposting_shows_other_schools_only_when_both_consent() {
    const ASSESSMENT_OF_NEED: &str = "assessment_of_need";

    let app = spawn().await;
    let lead = ada_leads(&app).await;
    let (alder_mail, birch_mail) = (unique_address("alder"), unique_address("birch"));
    let typical = workflows::report::examples::typical();
    let alder = reviewed(&app, (&alder_mail, "100101", ALDER), (&lead, 0), &typical).await;
    // Birch's report says nothing about assessment of need.
    let birch_report = without(typical.clone(), ASSESSMENT_OF_NEED);
    let birch = reviewed(
        &app,
        (&birch_mail, "100102", BIRCH),
        (&lead, 2),
        &birch_report,
    )
    .await;
    let choose = |review: &Booked, consent: &'static str| {
        let url = format!("{}/signposting", review.status_link);
        let app = &app;
        async move {
            let response = app.post_pairs(&url, &[("consent", consent)]).await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
        }
    };
    let listed = |page: &str, name: &str| {
        page.contains(&format!("<li>{name} (Primary, mainstream, Camden)</li>"))
    };

    // Off by default: nothing listed, nothing indexed.
    let (_, page) = app.get(&alder.status_link).await;
    assert!(page.contains("Learning from other schools"));
    assert!(page.contains(r#"id="signposting-no" name="consent" value="no" checked"#));
    assert!(!listed(&page, "Birch Primary School"));
    assert!(app.items_with_prefix("SIGNPOST#").await.is_empty());

    // Only Alder consents: Alder sees nobody, and nobody sees Alder.
    choose(&alder, "yes").await;
    assert_eq!(app.items_with_prefix("SIGNPOST#").await.len(), 3);
    let (_, page) = app.get(&alder.status_link).await;
    assert!(page.contains(r#"value="yes" checked"#));
    assert!(!listed(&page, "Birch Primary School"));
    assert!(page.contains("No other school taking part has a strength here yet."));
    let (_, page) = app.get(&birch.status_link).await;
    assert!(!listed(&page, "Alder Primary School"));

    // Both consent: each sees the other where it is strong, with no contact details.
    choose(&birch, "yes").await;
    assert_eq!(app.items_with_prefix("SIGNPOST#").await.len(), 5);
    let (_, page) = app.get(&alder.status_link).await;
    let heading = "<h3>Assessment and identification of need</h3>";
    let assessment = &page[page.find(heading).unwrap() + heading.len()..];
    assert!(
        assessment.starts_with("\n<p>No other school taking part has a strength here yet."),
        "Birch has no strength in assessment of need"
    );
    assert_eq!(page.matches("<li>Birch Primary School").count(), 2);
    assert!(page.contains("To learn from one of these schools, write to"));
    assert!(
        !page.contains(&birch_mail),
        "no contact details of the other school"
    );
    let (_, page) = app.get(&birch.status_link).await;
    assert_eq!(
        page.matches("<li>Alder Primary School").count(),
        2,
        "Birch has no \"even better if\" in assessment of need"
    );
    assert!(!page.contains(&alder_mail));

    // Alder withdraws: its index items go, and each side sees nobody.
    choose(&alder, "no").await;
    assert_eq!(app.items_with_prefix("SIGNPOST#").await.len(), 2);
    let (_, page) = app.get(&birch.status_link).await;
    assert!(!listed(&page, "Alder Primary School"));
    let (_, page) = app.get(&alder.status_link).await;
    assert!(!listed(&page, "Birch Primary School"));

    // Only a real choice is taken.
    let bad = app
        .post_pairs(
            &format!("{}/signposting", alder.status_link),
            &[("consent", "maybe")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}
