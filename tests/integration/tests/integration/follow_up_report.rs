//! A follow-up visit's report on the local stack: the original lead, matched to the follow-up,
//! writes the follow-up template (progress on each of the review's recommendations, beside the
//! school's action plan); it goes through the school's factual check to final, and the PDF the
//! school is sent reports the progress. A follow-up that gives no new recommendation leaves no
//! action plan to keep, and no termly reminder for it.

use reqwest::StatusCode;
use workflows::report::examples::typical;

use crate::support::{
    Answered, body, day, form_encode, link_containing, offer_link, pdf_text, reminder_time_after,
    school_day, spawn, unique_address, version_on,
};

#[tokio::test]
async fn the_follow_up_report_gives_progress_on_each_recommendation() {
    let app = spawn().await;
    let ada = app.ada_joins().await;
    let school = unique_address("school");
    let booked = app
        .book((&school, "100101", "Alder Primary School"), &ada, 0)
        .await;
    let reference = booked.school.reference.as_str().to_owned();
    let original_id = booked.school.request_id.clone();

    // The review happened and its report is final, with two recommendations; the school has
    // started on the first in its action plan.
    app.move_visit(&reference, day(-30)).await;
    let mut original = typical();
    original.recommendations.truncate(2);
    app.finalise(&original_id, &original).await;
    let status = app.page(&booked.status_link).await;
    let plan_link = app.href(&status, "Update your action plan");
    let plan = app.page(&plan_link).await;
    let saved = app
        .post_pairs(
            &plan_link,
            &[
                ("version", &version_on(&plan)),
                ("owner-1", "Mr Osei (deputy head)"),
                ("status-1", "in_progress"),
                (
                    "notes-1",
                    "Phase meetings now start with the provision map.",
                ),
                ("status-2", "not_started"),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);

    // The school asks for a follow-up; Ada, the original lead, is offered it and accepts.
    let asked = app.ask_follow_up(&booked.status_link).await;
    assert_eq!(asked.status(), StatusCode::SEE_OTHER);
    let follow_up = app
        .stored_request(&original_id)
        .await
        .follow_up
        .expect("the review knows its follow-up");
    let offer = app.wait_for_mail(&ada, 3).await;
    assert!(offer[0].subject.ends_with(&follow_up.reference));
    let accepted = app
        .accept_with_date(&offer_link(&offer[0]), school_day(40))
        .await;
    assert_eq!(accepted.status(), StatusCode::SEE_OTHER);
    let review_link = link_containing(&app.wait_for_mail(&ada, 4).await[..1], "/reviews/");
    app.move_visit(&follow_up.reference, day(0)).await;

    // The lead's review page says what the visit follows up, and what it reviews.
    let review = app.page(&review_link).await;
    assert!(review.contains(&format!("This visit follows up review {reference}")));
    for recommendation in &original.recommendations {
        assert!(review.contains(&recommendation.action.as_str().replace('\'', "&#39;")));
    }
    assert!(review.contains("on the follow-up template"));

    // The editor: the follow-up template, each original recommendation with the school's plan.
    let editor_link = format!("{review_link}/report");
    let editor = app.page(&editor_link).await;
    assert!(editor.contains("<h1>Follow-up report: Alder Primary School</h1>"));
    for (n, recommendation) in original.recommendations.iter().enumerate() {
        let n = n + 1;
        assert!(editor.contains(&recommendation.action.as_str().replace('\'', "&#39;")));
        assert!(editor.contains(&format!(r#"name="progress-{n}-rating""#)));
        assert!(editor.contains(&format!(r#"name="progress-{n}-seen""#)));
    }
    assert!(!editor.contains("progress-3-rating"));
    assert!(editor.contains("In progress, led by Mr Osei (deputy head)."));
    assert!(editor.contains("Phase meetings now start with the provision map."));
    assert!(!editor.contains(".went_well"), "no focus areas");

    // Sending it with one recommendation unanswered: each gap named, the text kept and saved.
    let seen_1 = "Every phase meeting we joined started from the provision map.";
    let seen_2 = "Pupil passports are reviewed with parents each half term.";
    let summary = "Leaders have acted on both recommendations.";
    let incomplete = form_encode(&[
        ("version", &version_on(&editor)),
        ("decision", "submit"),
        ("progress-1-rating", "achieved"),
        ("progress-1-seen", seen_1),
        ("summary", summary),
    ]);
    let refused = app.post(&editor_link, &incomplete).await;
    let page_text = body(refused, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(
        page_text.contains(
            r##"<a href="#progress-2-rating">Choose how far recommendation 2 has got</a>"##
        )
    );
    assert!(page_text.contains(
        r##"<a href="#progress-2-seen">Enter the progress seen on recommendation 2</a>"##
    ));
    assert!(
        !page_text.contains("Enter at least one recommendation"),
        "a follow-up may give none"
    );
    assert!(page_text.contains(seen_1));

    // A rating that is not one of the answers is refused on its field, storing nothing.
    let editor = app.page(&editor_link).await;
    let version = version_on(&editor);
    let bad = app
        .post_pairs(
            &editor_link,
            &[
                ("version", &version),
                ("decision", "save"),
                ("progress-2-rating", "brilliant"),
            ],
        )
        .await;
    let wanted = r##"<a href="#progress-2-rating">Choose one of the answers for the progress on recommendation 2</a>"##;
    bad.says(StatusCode::UNPROCESSABLE_ENTITY, wanted).await;
    assert_eq!(version_on(&app.page(&editor_link).await), version);

    let complete = form_encode(&[
        ("version", &version),
        ("decision", "submit"),
        ("progress-1-rating", "achieved"),
        ("progress-1-seen", seen_1),
        ("progress-2-rating", "some_progress"),
        ("progress-2-seen", seen_2),
        ("summary", summary),
    ]);
    let sent = app.post(&editor_link, &complete).await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);

    // The school checks it and comments on the progress; the lead finalises.
    let school_mails = app.wait_for_mail(&school, 5).await;
    assert_eq!(
        school_mails[0].subject,
        format!(
            "Your draft report is ready to check: {}",
            follow_up.reference
        )
    );
    let check_link = link_containing(&school_mails[..1], "/report");
    let draft = app.page(&check_link).await;
    assert!(draft.contains("Progress on the recommendations"));
    assert!(draft.contains(seen_2));
    let commented = app
        .post_pairs(
            &check_link,
            &[
                ("version", &version_on(&draft)),
                (
                    "comment.progress",
                    "Passports are reviewed termly, not half-termly.",
                ),
            ],
        )
        .await;
    assert_eq!(commented.status(), StatusCode::SEE_OTHER);
    let editor = app.page(&editor_link).await;
    assert!(editor.contains("Passports are reviewed termly, not half-termly."));
    let seen_2 = "Pupil passports are reviewed with parents each term.";
    let finalised = app
        .post_pairs(
            &editor_link,
            &[
                ("version", &version_on(&editor)),
                ("decision", "finalise"),
                ("progress-1-rating", "achieved"),
                ("progress-1-seen", seen_1),
                ("progress-2-rating", "some_progress"),
                ("progress-2-seen", seen_2),
                ("summary", summary),
            ],
        )
        .await;
    assert_eq!(finalised.status(), StatusCode::SEE_OTHER);

    // The school's PDF reports the progress on each recommendation. (Finalising also queues
    // the feedback invitation in the same transaction: either may be delivered first.)
    let report_subject = format!("Your review report: {}", follow_up.reference);
    let reports = app
        .wait_for_mail_where(&school, 1, |m| m.subject == report_subject)
        .await;
    assert_eq!(reports.len(), 1, "one report email");
    let pdf = reports[0]
        .attachments
        .iter()
        .find(|a| a.content_type == "application/pdf")
        .expect("the report is attached as a PDF");
    let text = pdf_text(&pdf.content);
    for expected in [
        "Alder Primary School: follow-up visit report",
        &format!("Follows up review {reference}"),
        "Progress on the recommendations",
        "Progress: Achieved",
        "Progress: Some progress",
        seen_1,
        seen_2,
        summary,
        original.recommendations[0].action.as_str(),
        original.recommendations[1].action.as_str(),
        "New recommendations None given.",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} is not in the PDF:\n{text}"
        );
    }
    assert!(!text.contains("What went well"), "no focus areas");

    // No new recommendation: no action plan to keep, and next term only the review's plan is
    // the subject of a reminder.
    let confirmation: Vec<_> = app
        .stack
        .mail_to(&school)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| {
            m.subject
                .ends_with(&format!("we have your request {}", follow_up.reference))
        })
        .collect();
    let follow_up_status = link_containing(&confirmation, "/status/");
    let status = app.page(&follow_up_status).await;
    assert!(status.contains("Your report gives no new recommendations"));
    assert!(!status.contains("Update your action plan"));
    assert_eq!(
        app.run_schedule(reminder_time_after(day(0))).await["action_plan"]["reminded"],
        1,
        "one reminder: the follow-up has no plan"
    );
    let school_mails = app.wait_for_mail(&school, 7).await;
    assert!(
        school_mails[0].text.contains(&reference),
        "{}",
        school_mails[0].subject
    );
}
