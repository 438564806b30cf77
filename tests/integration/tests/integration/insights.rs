//! Programme insights against DynamoDB Local: the counters the stream keeps equal what the
//! stored requests say, a re-delivered stream batch counts once, and the console's page never
//! names a school behind fewer than five.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use insights::counters::{self, Counts};
use insights::{Period, store};
use lambda_runtime::{Context, LambdaEvent};
use records::domain::calendar::Term;
use records::lifecycle::RequestState;
use records::request::StoredRequest;
use records::store::{Table, get_s, s};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use workflows::report::examples::typical;

use crate::support::{TestStack, spawn};

/// The counters that follow from the stored requests (and their final reports) of `term`.
async fn expected_counts(app: &TestStack, term: Term) -> BTreeMap<String, i64> {
    let mut expected: BTreeMap<String, i64> = BTreeMap::new();
    for item in app.items_with_prefix("REQUEST#").await {
        if get_s(&item, "sk") != Some("REQUEST") {
            continue;
        }
        let request: StoredRequest = serde_dynamo::from_item(item).unwrap();
        let received = OffsetDateTime::parse(&request.created_at, &Rfc3339).unwrap();
        if Term::of(received.date()) != term || request.state == RequestState::PendingConfirmation {
            continue;
        }
        let mut add = |name: String| *expected.entry(name).or_default() += 1;
        add(counters::RECEIVED.into());
        add(counters::stage(request.state.as_str()));
        add(counters::review_type(request.request.review_type.as_str()));
        add(counters::phase(request.request.school.phase.as_str()));
        add(counters::school_type(
            request.request.school.school_type.as_str(),
        ));
        if request.lead.is_some() {
            add(counters::BOOKED.into());
        }
        if let Some(report) = workflows::report::store::get(&app.table_handle(), &request.id)
            .await
            .unwrap()
            .filter(|r| r.state == records::lifecycle::ReportState::Final)
        {
            add(counters::FINAL.into());
            for area in report
                .report
                .areas
                .iter()
                .filter(|a| !a.even_better_if.is_empty())
            {
                add(counters::even_better_if(area.area.as_str()));
            }
        }
    }
    expected
}

/// `counts` without the day histograms and zeros, to compare with [`expected_counts`].
fn comparable(counts: &Counts) -> BTreeMap<String, i64> {
    counts
        .numbers
        .iter()
        .filter(|(name, value)| !name.starts_with("days.") && **value != 0)
        .map(|(name, value)| (name.clone(), *value))
        .collect()
}

/// Waits (15 s at most) until the counters of `term` equal what the stored requests say then
/// (the matcher may still be moving one on); the counters and the expected counts.
async fn wait_for_counts(app: &TestStack, term: Term) -> (Counts, BTreeMap<String, i64>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let expected = expected_counts(app, term).await;
        let counts = store::load(&app.table_handle(), Period::Term(term))
            .await
            .unwrap();
        if comparable(&counts) == expected {
            return (counts, expected);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the counters never matched the stored requests:\n counters {:?}\n expected {expected:?}",
            comparable(&counts)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn insights_counters_after_a_term_equal_the_counts_from_the_stored_requests() {
    let app = spawn().await;
    // One school nobody can review (needs attention), two booked, one of them to final.
    let stranded = app
        .submit(&crate::support::unique_address("stranded"), "100100")
        .await;
    let first = app.booked_with("Ada Lead", "100101").await;
    let _second = app.booked_with("Bea Lead", "100102").await;
    app.finalise(&first.school.request_id, &typical()).await;

    let term = {
        let id = app.request_id(&stranded).await;
        let created = app.stored_request(&id).await.created_at;
        Term::of(OffsetDateTime::parse(&created, &Rfc3339).unwrap().date())
    };
    let (counts, expected) = wait_for_counts(&app, term).await;
    assert_eq!(expected[counters::RECEIVED], 3, "{expected:?}");
    assert_eq!(expected[counters::BOOKED], 2, "{expected:?}");
    assert_eq!(expected[counters::FINAL], 1, "{expected:?}");
    // Each booked and final request has its days counted once.
    assert_eq!(counts.spread(counters::TO_BOOKED).count, 2);
    assert_eq!(counts.spread(counters::TO_VISIT).count, 1);
    assert_eq!(counts.spread(counters::TO_FINAL).count, 1);
    app.assert_aws_calls_allowed();
}

fn stream_record(event_id: &str, image: serde_json::Value) -> EventRecord {
    serde_json::from_value(serde_json::json!({
        "awsRegion": "eu-west-2",
        "eventID": event_id,
        "eventName": "INSERT",
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "ApproximateCreationDateTime": 1_900_000_000.0,
            "Keys": {"pk": image["pk"], "sk": image["sk"]},
            "NewImage": image,
            "SequenceNumber": format!("{event_id}00"),
            "SizeBytes": 100,
            "StreamViewType": "NEW_AND_OLD_IMAGES"
        }
    }))
    .unwrap()
}

fn request_image(id: &str, created_at: &str) -> serde_json::Value {
    serde_json::json!({
        "pk": {"S": format!("REQUEST#{id}")}, "sk": {"S": "REQUEST"},
        "id": {"S": id}, "state": {"S": "held"}, "created_at": {"S": created_at},
        "request": {"M": {
            "review_type": {"S": "ta_deployment"},
            "school": {"M": {"phase": {"S": "secondary"}, "school_type": {"S": "special"}}}
        }}
    })
}

#[tokio::test]
async fn insights_a_redelivered_stream_batch_counts_once() {
    let app = spawn().await;
    let table = app.table_handle();
    // A term of its own (nothing else in this table is received in 2031).
    let term = Term::Autumn(2031);
    let batch = || {
        let mut event = Event::default();
        event.records = vec![
            stream_record("e1", request_image("r1", "2031-10-01T09:00:00Z")),
            stream_record("e2", request_image("r2", "2031-10-02T09:00:00Z")),
        ];
        LambdaEvent::new(event, Context::default())
    };
    for _ in 0..3 {
        let response = insights_counter::handle(&table, batch()).await.unwrap();
        assert!(response.batch_item_failures.is_empty());
    }
    let counts = store::load(&table, Period::Term(term)).await.unwrap();
    assert_eq!(counts.get(counters::RECEIVED), 2);
    assert_eq!(counts.get(&counters::stage("held")), 2);
    assert_eq!(counts.get(&counters::review_type("ta_deployment")), 2);
    assert_eq!(counts.get(&counters::phase("secondary")), 2);
}

/// A consenting school strong in `area`, as the signposting index holds it.
async fn consents(table: &Table, area: &str, request_id: &str, school: &str) {
    table
        .client
        .put_item()
        .table_name(&table.name)
        .item("pk", s(format!("SIGNPOST#{area}")))
        .item("sk", s(request_id))
        .item("request_id", s(request_id))
        .item("school_name", s(school))
        .send()
        .await
        .unwrap();
}

/// Waits (15 s at most) for the page to hold `text`; the page.
async fn page_with(browser: &crate::support::StaffBrowser<'_>, text: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let page = browser.get("/console/insights").await;
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        if html.contains(text) {
            return html;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never {text:?}: {html}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn insights_never_name_a_school_behind_fewer_than_five() {
    let app = spawn().await;
    let table = app.table_handle();
    let (browser, _) = app.staff_signs_in("viewer").await;
    for i in 1..=4 {
        consents(
            &table,
            "outcomes",
            &format!("r{i}"),
            &format!("Strong School {i}"),
        )
        .await;
    }
    let html = page_with(&browser, "<td>4</td>").await;
    assert!(html.contains("Not named: fewer than 5 schools"), "{html}");
    assert!(
        !html.contains("Strong School"),
        "a school is named behind four: {html}"
    );
    let csv = browser
        .get("/console/insights.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(!csv.contains("Strong School"), "{csv}");

    consents(&table, "outcomes", "r5", "Strong School 5").await;
    let html = page_with(&browser, "<td>5</td>").await;
    for i in 1..=5 {
        assert!(html.contains(&format!("Strong School {i}")), "{html}");
    }
    // One withdraws: four again, and nobody is named.
    table.delete("SIGNPOST#outcomes", "r3").await.unwrap();
    let html = page_with(&browser, "<td>4</td>").await;
    assert!(!html.contains("Strong School"), "{html}");
}
