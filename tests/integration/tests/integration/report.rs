//! The report's item on DynamoDB Local: no save silently overwrites another, and each step of
//! the report's life happens once, from the state and version the person saw.

use shared::domain::request::Text;
use shared::report::examples::typical;
use shared::report::store::{self, Moved, Saved, report_state};
use shared::report::{FactualCheck, Report, Section, SectionComment};
use time::OffsetDateTime;

use crate::helpers::spawn;

fn draft_with_summary(summary: &str) -> Report {
    let mut report = typical();
    report.summary = Some(Text::parse(summary, 100, true).unwrap());
    report
}

#[tokio::test]
async fn two_saves_from_the_same_version_one_wins_and_the_other_is_told() {
    let app = spawn().await;
    let table = app.table_handle();
    let request_id = ulid::Ulid::new().to_string();
    let now = OffsetDateTime::now_utc();

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
        assert_eq!(&current.report, winner, "the loser sees the text that won");
        assert_eq!(&*yours, told_text, "and keeps its own to merge");
        let stored = store::get(&table, &request_id).await.unwrap().unwrap();
        assert_eq!(stored.version, based_on + 1);
        assert_eq!(
            &stored.report, winner,
            "nothing of the losing save was stored"
        );
        assert_eq!(stored.state, report_state::DRAFT);
    }

    // A stale tab saving later is told too, and stores nothing.
    let stale = store::save_draft(&table, &request_id, 1, &typical(), "Priya Shah", now)
        .await
        .unwrap();
    assert!(matches!(stale, Saved::Stale { .. }), "{stale:?}");
    assert_eq!(
        store::get(&table, &request_id)
            .await
            .unwrap()
            .unwrap()
            .version,
        2
    );
}

#[tokio::test]
async fn the_report_moves_from_draft_to_final_only_from_the_version_seen() {
    let app = spawn().await;
    let table = app.table_handle();
    let request_id = ulid::Ulid::new().to_string();
    let now = OffsetDateTime::now_utc();

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
        store::finalise(&table, &request_id, version, "h", "p", now, Vec::new())
            .await
            .unwrap(),
        Moved::Conflict,
        "the school has not answered yet"
    );

    let check = FactualCheck::Commented(vec![SectionComment {
        section: Section::Summary,
        comment: Text::parse("We have two SEND governors.", 100, false).unwrap(),
    }]);
    let (first, second) = tokio::join!(
        store::record_factual_check(&table, &request_id, version, &check, now, Vec::new()),
        store::record_factual_check(
            &table,
            &request_id,
            version,
            &FactualCheck::Accepted,
            now,
            Vec::new()
        ),
    );
    let mut answers = [first.unwrap(), second.unwrap()];
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
        store::finalise(&table, &request_id, version, &html, &pdf, now, Vec::new())
            .await
            .unwrap(),
        Moved::Done
    );
    let stored = store::get(&table, &request_id).await.unwrap().unwrap();
    assert_eq!(stored.state, report_state::FINAL);
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
