//! From a submitted request to a booked visit: offers by email, accept with a date, decline
//! and expiry moving on to the next reviewer, an empty pool, and capacity under concurrency.

use reqwest::StatusCode;
use reqwest::header::LOCATION;
use time::{Duration, OffsetDateTime, Weekday};
use workflows::offers::{Answer, Workflow};

use crate::support::{
    Answered, body, day, mail_starting, offer_link, reviewer_row, spawn, spawn_with_parameter,
    tampered, unique_address, visit_day,
};

#[tokio::test]
async fn the_best_reviewer_is_offered_the_review_accepts_with_a_date_and_both_sides_get_a_calendar_file()
 {
    let app = spawn().await;
    let (best, other) = app
        .two_reviewers_join(("Ada Best", "900001"), ("Bo Other", "900002"))
        .await;
    let school = unique_address("school");
    let reference = app.submit(&school, "100101").await;

    let offer = app.wait_for_mail(&best, 1).await;
    assert!(offer[0].subject.contains("Brook Primary School"));
    assert!(
        app.stack.mail_to(&other).await.unwrap().is_empty(),
        "only the best match is asked"
    );
    let link = offer_link(&offer[0]);

    // Opening the link (as a mail scanner would, twice) changes nothing.
    for _ in 0..2 {
        let page = app.open(&link).await;
        let html = body(page, StatusCode::OK).await;
        assert!(
            html.contains("Can you review Brook Primary School?")
                && html.contains("Accept this review")
        );
    }
    let tampered = tampered(&link);
    assert_eq!(app.open(&tampered).await.status(), StatusCode::FORBIDDEN);

    // A Saturday is refused with a clear message; a school day in a window is booked.
    let mut saturday = day(31);
    while saturday.weekday() != Weekday::Saturday {
        saturday += Duration::days(1);
    }
    let refused = app.accept_with_date(&link, saturday).await;
    refused
        .says(StatusCode::UNPROCESSABLE_ENTITY, "Monday to Friday")
        .await;

    let accepted = app.accept_with_date(&link, visit_day()).await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    let after = app
        .open(app.url(accepted.headers()[LOCATION].to_str().unwrap()))
        .await;
    assert!(
        after
            .text()
            .await
            .unwrap()
            .contains("You accepted this review")
    );

    // Both sides are told, each with a calendar file.
    for (address, count) in [(&school, 2), (&best, 2)] {
        let mails = app.wait_for_mail(address, count).await;
        let confirmation = mail_starting(&mails, "Visit booked");
        assert_eq!(confirmation.attachments.len(), 1);
        assert_eq!(confirmation.attachments[0].filename, "visit.ics");
        assert!(
            confirmation.attachments[0]
                .content_type
                .starts_with("text/calendar")
        );
        assert!(confirmation.attachments[0].size > 100);
    }
    // The school's status page names the reviewer and the date.
    let school_mails = app.stack.mail_to(&school).await.unwrap();
    let status_link = school_mails
        .iter()
        .flat_map(|m| m.links.iter())
        .find(|l| l.contains("/status/"))
        .unwrap();
    let status = app.text_at(status_link).await;
    assert!(status.contains(&reference));
    assert!(status.contains("Ada Best will visit on"));

    // A late second click is answered politely.
    let again = app.answer(&link, "decision=decline&reason=").await;
    again.says(StatusCode::OK, "You accepted this review").await;
}

#[tokio::test]
async fn a_decline_moves_the_offer_to_the_next_reviewer() {
    let app = spawn().await;
    let (first, second) = app
        .two_reviewers_join(("Ada First", "900011"), ("Bo Second", "900012"))
        .await;
    app.submit(&unique_address("school"), "100102").await;
    let link = offer_link(&app.wait_for_mail(&first, 1).await[0]);
    let declined = app
        .answer(&link, "decision=decline&reason=Away+on+a+course")
        .await;
    assert_eq!(declined.status(), StatusCode::SEE_OTHER);
    let next = app.wait_for_mail(&second, 1).await;
    assert!(next[0].subject.contains("Brook Primary School"));
    assert_eq!(
        app.stack.mail_to(&first).await.unwrap().len(),
        1,
        "the decliner is not asked again"
    );
    let page = app.text_at(&link).await;
    assert!(page.contains("You declined this review"));
}

#[tokio::test]
async fn an_offer_not_answered_in_time_expires_and_goes_to_the_next_reviewer() {
    let app = spawn().await;
    let (slow, next) = app
        .two_reviewers_join(("Ada Slow", "900021"), ("Bo Next", "900022"))
        .await;
    app.submit(&unique_address("school"), "100103").await;
    let link = offer_link(&app.wait_for_mail(&slow, 1).await[0]);

    // Halfway (offers last 5 days by default): one reminder.
    let ran = app
        .run_schedule(OffsetDateTime::now_utc() + Duration::days(3))
        .await;
    assert_eq!(ran["offers"]["reminded"], 1);
    let reminded = app.wait_for_mail(&slow, 2).await;
    assert!(reminded[0].subject.starts_with("Reminder"));

    let ran = app
        .run_schedule(OffsetDateTime::now_utc() + Duration::days(6))
        .await;
    assert_eq!(ran["offers"]["expired"], 1);
    assert_eq!(app.wait_for_mail(&next, 1).await.len(), 1);
    let page = app.open(&link).await;
    page.says(StatusCode::OK, "This offer has closed").await;
}

#[tokio::test]
async fn with_nobody_eligible_the_administrator_is_told_why_without_naming_anyone() {
    let admin = unique_address("admin");
    let app = spawn_with_parameter("AdminEmail", &admin).await;
    // Both reviewers work in Camden, the school's own LA: a conflict of interest.
    app.import_reviewers(&[
        reviewer_row(
            "Ada Camden",
            &unique_address("a"),
            202,
            "primary",
            2,
            "900031",
        ),
        reviewer_row(
            "Bo Camden",
            &unique_address("b"),
            202,
            "primary",
            2,
            "900032",
        ),
    ])
    .await;
    let reference = app.submit(&unique_address("school"), "100104").await;
    let mails = app.wait_for_mail(&admin, 1).await;
    assert!(mails[0].subject.contains(&reference));
    assert!(
        mails[0].text.contains("2 of 2 reviewers"),
        "{}",
        mails[0].text
    );
    assert!(!mails[0].text.contains("Ada") && !mails[0].text.contains("900031"));
}

#[tokio::test]
async fn fifty_concurrent_acceptances_across_requests_never_exceed_any_capacity() {
    let app = spawn_with_parameter("SubmissionsPerIpPerHour", "1000").await;
    let reviewers: Vec<String> = (0..5)
        .map(|n| unique_address(&format!("busy{n}")))
        .collect();
    let pool = |capacity: u8| -> Vec<String> {
        reviewers
            .iter()
            .enumerate()
            .map(|(n, email)| {
                reviewer_row(
                    &format!("Ada Busy{n}"),
                    email,
                    204,
                    "primary",
                    capacity,
                    &format!("90007{n}"),
                )
            })
            .collect()
    };
    app.import_reviewers(&pool(10)).await;
    for n in 0..50 {
        app.submit(&unique_address("school"), &format!("1003{n:02}"))
            .await;
    }
    let mut offers = Vec::new();
    // The poll ends as soon as all fifty are there; the long deadline only spares a loaded
    // machine (50 matchings through the mail sender) a false failure.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(120);
    while offers.len() < 50 && tokio::time::Instant::now() < deadline {
        offers.clear();
        for email in &reviewers {
            offers.extend(app.stack.mail_to(email).await.unwrap());
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(offers.len(), 50, "every request was offered");

    // Now every reviewer says two a term; fifty acceptances for the same term race.
    app.import_reviewers(&pool(2)).await;
    let workflow =
        Workflow::from_env(app.stack.function_env("MatcherFunction"), &app.stack.aws).unwrap();
    let secret = records::links::LinkSecret::load(
        app.stack.function_env("ReviewerPagesFunction"),
        &app.stack.aws,
    )
    .await
    .unwrap();
    let now = OffsetDateTime::now_utc();
    let offer_ids: Vec<String> = offers
        .iter()
        .map(|m| {
            let token = offer_link(m).rsplit('/').next().unwrap().to_owned();
            secret
                .verify_offer_token(
                    &token,
                    records::links::OfferAction::Respond,
                    now.unix_timestamp(),
                )
                .unwrap()
        })
        .collect();
    let answers = futures::future::join_all(
        offer_ids
            .iter()
            .map(|id| workflow.accept(id, visit_day(), now)),
    )
    .await;
    // Per reviewer: offers held and acceptances that went through. (Which reviewer holds how
    // many offers depends on the calendar: load is per term, and windows can straddle terms.)
    let mut held: std::collections::HashMap<String, (usize, usize)> =
        std::collections::HashMap::new();
    for (id, answer) in offer_ids.iter().zip(&answers) {
        let offer = workflow.offer(id).await.unwrap().unwrap();
        let entry = held.entry(offer.reviewer_id).or_default();
        entry.0 += 1;
        if matches!(answer, Ok(Answer::Accepted)) {
            entry.1 += 1;
        }
    }
    for (reviewer, (offers_held, accepted)) in &held {
        assert_eq!(
            *accepted,
            (*offers_held).min(2),
            "reviewer {reviewer}: {held:?}"
        );
    }
    assert!(
        answers
            .iter()
            .all(|a| matches!(a, Ok(Answer::Accepted | Answer::AtCapacity))),
        "{answers:?}"
    );

    // And one offer answered twice at once is answered once.
    let open = &offer_ids[answers
        .iter()
        .position(|a| matches!(a, Ok(Answer::AtCapacity)))
        .unwrap()];
    let (a, b) = tokio::join!(
        workflow.decline(open, None, now),
        workflow.decline(open, None, now)
    );
    assert_eq!(
        [a.unwrap(), b.unwrap()]
            .iter()
            .filter(|x| **x == Answer::Declined)
            .count(),
        1
    );
}

#[tokio::test]
async fn an_administrator_reassigns_an_open_offer_to_the_next_reviewer() {
    let app = spawn().await;
    let (first, second) = app
        .two_reviewers_join(("Ada First", "900051"), ("Bo Second", "900052"))
        .await;
    let reference: records::domain::request::Reference = app
        .submit(&unique_address("school"), "100105")
        .await
        .parse()
        .unwrap();
    let link = offer_link(&app.wait_for_mail(&first, 1).await[0]);
    let table = app.table_handle();
    let details = send_review_admin::requests::show(&table, &reference)
        .await
        .unwrap();
    let mut shown = Vec::new();
    send_review_admin::requests::write_details(&mut shown, &details).unwrap();
    let shown = String::from_utf8(shown).unwrap();
    assert!(shown.contains("open offer"), "{shown}");
    assert!(shown.contains("state             offered"), "{shown}");
    let said = send_review_admin::requests::reassign(&table, &reference)
        .await
        .unwrap();
    assert!(said.contains("matching again"));
    assert_eq!(app.wait_for_mail(&second, 1).await.len(), 1);
    let page = app.text_at(&link).await;
    assert!(page.contains("This offer has closed"));
    // Nothing open to take back now but the new offer: reassigning again moves on once more.
    assert!(
        send_review_admin::requests::reassign(&table, &reference)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn withdrawing_an_offered_request_withdraws_its_open_offer() {
    let app = spawn().await;
    let reviewer = app
        .primary_reviewer_joins("Ada Only", 204, 2, "900061")
        .await;
    let reference: records::domain::request::Reference = app
        .submit(&unique_address("school"), "100106")
        .await
        .parse()
        .unwrap();
    let link = offer_link(&app.wait_for_mail(&reviewer, 1).await[0]);
    app.withdraw(&reference, "School closed").await;
    // The offer of a withdrawn review opens nothing of it any more (the same 410 page as a
    // review link's).
    let late = app.accept_with_date(&link, visit_day()).await;
    late.says(StatusCode::GONE, "This review was withdrawn")
        .await;
    assert_eq!(
        app.stack.mail_to(&reviewer).await.unwrap().len(),
        1,
        "no confirmation went out"
    );
}
