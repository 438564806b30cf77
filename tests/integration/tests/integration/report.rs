//! The report's item on DynamoDB Local: no save silently overwrites another, and each step of
//! the report's life happens once, from the state and version the person saw.

use records::domain::request::Text;
use reqwest::StatusCode;
use workflows::report::examples::typical;
use workflows::report::store::{Moved, Saved, report_state};
use workflows::report::{FactualCheck, Report, Section, SectionComment, store};

use crate::support::{Answered, body, complete_report, csp, report_form, spawn};

fn draft_with_summary(summary: &str) -> Report {
    let mut report = typical();
    report.summary = Some(Text::parse(summary, 100, true).unwrap());
    report
}

#[tokio::test]
async fn two_saves_from_the_same_version_one_wins_and_the_other_is_told() {
    let app = spawn().await;
    let table = app.table_handle();
    let (booked, now) = app.on_the_visit_day().await;
    let request_id = booked.school.request_id;

    for based_on in [0, 1] {
        let lead = draft_with_summary(&format!("The lead's text over {based_on}"));
        let second = draft_with_summary(&format!("The second reviewer's text over {based_on}"));
        let (a, b) = tokio::join!(
            store::save_draft(&table, &request_id, based_on, &lead, "Priya Shah", now),
            store::save_draft(&table, &request_id, based_on, &second, "Tom O'Neill", now),
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        let (winner, told, told_text) = match (&a, &b) {
            (Saved::Saved { .. }, Saved::Stale { .. }) => (&lead, b, &second),
            (Saved::Stale { .. }, Saved::Saved { .. }) => (&second, a, &lead),
            other => panic!("exactly one save must win: {other:?}"),
        };
        let Saved::Stale { current, yours } = told else {
            unreachable!()
        };
        assert_eq!(current.version, based_on + 1);
        assert_eq!(&current.body, winner, "the loser sees the text that won");
        assert_eq!(&*yours, told_text, "and keeps its own to merge");
        let stored = app.stored_report(&request_id).await;
        assert_eq!(stored.version, based_on + 1);
        assert_eq!(
            &stored.report, winner,
            "nothing of the losing save was stored"
        );
        assert_eq!(stored.state, records::lifecycle::ReportState::Draft);
    }

    // A stale tab saving later is told too, and stores nothing.
    let stale = store::save_draft(&table, &request_id, 1, &typical(), "Priya Shah", now)
        .await
        .unwrap();
    assert!(matches!(stale, Saved::Stale { .. }), "{stale:?}");
    assert_eq!(app.stored_report(&request_id).await.version, 2);
}

#[tokio::test]
async fn the_report_moves_from_draft_to_final_only_from_the_version_seen() {
    let app = spawn().await;
    let table = app.table_handle();
    let (booked, now) = app.on_the_visit_day().await;
    let request_id = booked.school.request_id;

    // An incomplete draft cannot be submitted.
    let mut incomplete = typical();
    incomplete.recommendations.clear();
    let Saved::Saved { version } =
        store::save_draft(&table, &request_id, 0, &incomplete, "Priya Shah", now)
            .await
            .unwrap()
    else {
        panic!("the first save is stored")
    };
    match store::submit(&table, &request_id, version, None, now, Vec::new())
        .await
        .unwrap()
    {
        Moved::NotReady(missing) => assert_eq!(missing[0].field, "recommendation-1"),
        other => panic!("{other:?}"),
    }

    let Saved::Saved { version } =
        store::save_draft(&table, &request_id, version, &typical(), "Priya Shah", now)
            .await
            .unwrap()
    else {
        panic!("the second save is stored")
    };
    assert_eq!(
        store::submit(&table, &request_id, version - 1, None, now, Vec::new())
            .await
            .unwrap(),
        Moved::Conflict,
        "a page showing an older version cannot submit"
    );
    assert_eq!(
        store::submit(&table, &request_id, version, None, now, Vec::new())
            .await
            .unwrap(),
        Moved::Done
    );
    // With the school, nobody edits it.
    assert_eq!(
        store::save_draft(&table, &request_id, version, &typical(), "Tom O'Neill", now)
            .await
            .unwrap(),
        Saved::Locked {
            state: report_state::SUBMITTED.into()
        }
    );
    assert_eq!(
        app.lead_finalises(&request_id, version, ("h", "p"), now)
            .await,
        Moved::Conflict,
        "the school has not answered yet"
    );

    let check = FactualCheck::Commented(vec![SectionComment {
        section: Section::Summary,
        comment: Text::parse("We have two SEND governors.", 100, false).unwrap(),
    }]);
    let (first, second) = tokio::join!(
        app.school_checks(&request_id, version, &check, now),
        app.school_checks(&request_id, version, &FactualCheck::Accepted, now),
    );
    let mut answers = [first, second];
    answers.sort_by_key(|m| format!("{m:?}"));
    assert_eq!(
        answers,
        [Moved::Conflict, Moved::Done],
        "the school answers once"
    );

    // The lead edits after the school's answer, then finalises that version.
    let Saved::Saved { version } = store::save_draft(
        &table,
        &request_id,
        version,
        &draft_with_summary("Corrected: two SEND governors."),
        "Priya Shah",
        now,
    )
    .await
    .unwrap() else {
        panic!("the lead can edit after the school's check")
    };
    let (html, pdf) = store::object_keys(&request_id);
    assert_eq!(pdf, format!("requests/{request_id}/report/report.pdf"));
    assert_eq!(
        app.lead_finalises(&request_id, version, (&html, &pdf), now)
            .await,
        Moved::Done
    );
    let stored = app.stored_report(&request_id).await;
    assert_eq!(stored.state, records::lifecycle::ReportState::Final);
    assert_eq!(stored.pdf_key.as_deref(), Some(pdf.as_str()));
    assert!(stored.factual_check.is_some());
    assert!(matches!(
        store::save_draft(&table, &request_id, version, &typical(), "Priya Shah", now)
            .await
            .unwrap(),
        Saved::Locked { .. }
    ));

    // Each step is on the request's timeline, in words the school can read.
    let kinds: Vec<String> = app
        .items_with_prefix(&format!("REQUEST#{request_id}"))
        .await
        .iter()
        .filter_map(|item| item.get("kind").and_then(|k| k.as_s().ok()).cloned())
        .collect();
    for kind in ["report_submitted", "report_checked", "report_final"] {
        assert_eq!(
            kinds.iter().filter(|k| *k == kind).count(),
            1,
            "{kind} in {kinds:?}"
        );
    }
}

#[tokio::test]
async fn the_lead_writes_the_report_the_school_checks_it_and_the_lead_sees_its_comments() {
    let app = spawn().await;
    let booked = app.booked().await;
    let url = format!("{}/report", booked.review_link);

    // Before the visit the editor is not open yet.
    let early = app.open(&url).await;
    early
        .says(StatusCode::OK, "The report opens on the day of the visit")
        .await;

    // The visit day has come.
    let yesterday = time::OffsetDateTime::now_utc().date() - time::Duration::days(1);
    app.move_visit(booked.school.reference.as_str(), yesterday)
        .await;

    let page = app.open(&url).await;
    assert_eq!(page.status(), StatusCode::OK);
    let csp = csp(&page);
    assert!(
        csp.contains("script-src 'sha256-"),
        "the autosave script may run: {csp}"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"name="version" value="0""#));
    for area in crate::support::all_areas() {
        assert!(html.contains(&format!(r#"name="{}.went_well""#, area.as_str())));
    }

    // Autosave answers in JSON with the new version.
    let areas = crate::support::all_areas();
    let mut draft = Report::empty(&areas);
    draft.summary = Some(Text::parse("A first thought.", 100, true).unwrap());
    let saved = app
        .autosave(&url, &report_form(&draft, 0, "autosave"))
        .await;
    assert_eq!(saved.status(), StatusCode::OK);
    let saved_json: serde_json::Value = saved.json().await.unwrap();
    assert_eq!(saved_json["version"], 1);

    // A page still on version 0 stores nothing and shows both texts.
    let mut other = draft.clone();
    other.summary = Some(Text::parse("An old tab's thought.", 100, true).unwrap());
    let stale = app.post(&url, &report_form(&other, 0, "save")).await;
    let html = body(stale, StatusCode::CONFLICT).await;
    assert!(html.contains("An old tab&#39;s thought.</textarea>") || html.contains("An old tab"));
    assert!(
        html.contains("A first thought."),
        "the saved text is shown too"
    );
    let autosaved_stale = app
        .autosave(&url, &report_form(&other, 0, "autosave"))
        .await;
    assert_eq!(autosaved_stale.status(), StatusCode::CONFLICT);

    // Too much text is refused with the box named, nothing stored.
    let long = "x".repeat(workflows::report::MAX_SUMMARY_CHARS + 1);
    let too_long = app
        .post_pairs(
            &url,
            &[("version", "1"), ("decision", "save"), ("summary", &long)],
        )
        .await;
    too_long
        .says(StatusCode::UNPROCESSABLE_ENTITY, r##"href="#summary""##)
        .await;

    // An incomplete draft is saved but not sent.
    let incomplete = app.post(&url, &report_form(&draft, 1, "submit")).await;
    incomplete
        .says(StatusCode::UNPROCESSABLE_ENTITY, "Enter what went well in")
        .await;

    // The complete report goes to the school, which is emailed a link to check it.
    let report = complete_report(&areas);
    let sent = app.post(&url, &report_form(&report, 2, "submit")).await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let stored = app.stored_report(&booked.school.request_id).await;
    assert_eq!(stored.state, records::lifecycle::ReportState::Submitted);
    assert_eq!(stored.report, report);
    let locked = app.text_at(&url).await;
    assert!(locked.contains("The report is not open for editing"));

    let mails = app.wait_for_mail(&booked.school_contact, 3).await;
    let check_link = mails
        .iter()
        .flat_map(|m| m.links.iter())
        .find(|l| l.ends_with("/report"))
        .expect("the school is sent a link to check the draft")
        .clone();
    assert_eq!(check_link, format!("{}/report", booked.status_link));

    // The school reads the draft and comments on a section.
    let html = app.text_at(&check_link).await;
    assert!(html.contains(report.areas[0].went_well[0].as_str()));
    assert!(html.contains(r#"id="comment.summary""#));
    let commented = app
        .post_pairs(
            &check_link,
            &[
                ("version", &stored.version.to_string()),
                ("comment.summary", "We have two SEND governors, not one."),
            ],
        )
        .await;
    assert_eq!(commented.status(), StatusCode::SEE_OTHER);
    let html = app.text_at(&check_link).await;
    assert!(html.contains("You sent your comments to the review team"));

    // The lead sees the comment where it belongs, and may edit again.
    let html = app.text_at(&url).await;
    assert!(
        html.contains("The school&#39;s comment")
            || html.contains("The school’s comment")
            || html.contains("comment:")
    );
    assert!(html.contains("We have two SEND governors, not one."));
    assert!(html.contains(r#"value="finalise""#));

    // The lead corrects the summary and finalises: the report is stored in S3 and the school
    // gets it as a PDF whose text has every focus area.
    let mut corrected = report.clone();
    corrected.summary = Some(Text::parse("Corrected: two SEND governors.", 100, true).unwrap());
    let version = app.stored_report(&booked.school.request_id).await.version;
    let finalised = app
        .post(&url, &report_form(&corrected, version, "finalise"))
        .await;
    assert_eq!(finalised.status(), StatusCode::SEE_OTHER);
    let stored = app.stored_report(&booked.school.request_id).await;
    assert_eq!(stored.state, records::lifecycle::ReportState::Final);
    assert_eq!(stored.report, corrected);
    let (html_key, pdf_key) = store::object_keys(&booked.school.request_id);
    assert_eq!(stored.pdf_key.as_deref(), Some(pdf_key.as_str()));
    let bucket = app
        .stack
        .function_env("ReviewerPagesFunction")
        .required("EVIDENCE_BUCKET")
        .unwrap();
    for key in [&html_key, &pdf_key] {
        app.stack
            .aws
            .s3
            .head_object()
            .bucket(&bucket)
            .key(key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{key} is not stored: {e:?}"));
    }
    // Finalising again changes nothing and sends nothing more.
    let again = app
        .post(&url, &report_form(&corrected, version, "finalise"))
        .await;
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("The report is final and has been sent to the school.")
    );

    let mails = app.wait_for_mail(&booked.school_contact, 4).await;
    let delivered: Vec<_> = mails
        .iter()
        .filter(|m| m.subject.starts_with("Your review report"))
        .collect();
    assert_eq!(delivered.len(), 1, "one delivery email");
    let pdf = delivered[0]
        .attachments
        .iter()
        .find(|a| a.content_type == "application/pdf")
        .expect("the report is attached as a PDF");
    let text = pdf_extract::extract_text_from_mem(&pdf.content).expect("the attachment is a PDF");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for area in &areas {
        assert!(text.contains(area.label()), "{} is missing", area.label());
    }
    assert!(text.contains("Corrected: two SEND governors."));
    assert!(text.contains(corrected.recommendations[0].action.as_str()));
    assert!(delivered[0].links.contains(&check_link));
}
