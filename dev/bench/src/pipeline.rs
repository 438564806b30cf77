//! `bench pipeline [N]`: the console's pipeline page with 1,000 requests stored in a fresh
//! DynamoDB Local table, against, interleaved in the same run, the reads it makes done bare
//! (the floor: the same queries and key reads, nothing parsed, placed or rendered). Prints
//! p50/p99 over N rounds (N=30) and the ratio; target: the page at most 1.5x its reads.
//!
//! The page is timed from after the session check (one GetItem and one conditional PutItem
//! of the staff session, the same on every console page) to the rendered HTML: reading every
//! request by state, the booked ones' documents by key, the settings, the expiring offers and
//! the undeliverable addresses; placing each request; the needs-attention list; the filters;
//! the template.

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use aws_sdk_dynamodb::types::AttributeValue;
use console::{Console, SignedInUser};
use local_runner::LocalStack;
use records::domain::request::ReviewRequest;
use records::lifecycle::RequestState;
use records::request::TeamMember;
use records::store::{Table, s};
use time::OffsetDateTime;
use workflows::intake::{IdempotencyKey, Intake};

use crate::{bench_config, raw, run_id, start, table};

const REQUESTS: usize = 1_000;

pub async fn run(rounds: usize) -> anyhow::Result<()> {
    let stack = start(bench_config(format!("benchp{}", run_id()))?).await?;
    let table = table(&stack);
    store_requests(&stack, &table).await?;
    let console = Console::from_env(stack.function_env("ConsoleFunction"), &stack.aws)?;
    let branding = crate::bench_branding();
    let user = SignedInUser {
        email: "coordinator@bench.example".into(),
        role_label: "coordinator",
        may_export: true,
    };

    let warm_up = 3;
    let (mut page, mut floor) = (Vec::new(), Vec::new());
    let mut size = 0;
    for round in 0..rounds + warm_up {
        let now = OffsetDateTime::now_utc();
        let started = Instant::now();
        let (status, html) = console
            .pipeline_html(&branding, &user, "csrf", "", now.unix_timestamp())
            .await?;
        let elapsed = started.elapsed();
        let html = html?;
        if status != 200 || !html.contains("id=\"count-report_late\"") {
            bail!("the pipeline page answered {status}");
        }
        size = html.len();

        let started = Instant::now();
        let items = bare_reads(&table, now).await?;
        let bare = started.elapsed();
        if items < REQUESTS {
            bail!("the bare reads found {items} items, fewer than the {REQUESTS} requests");
        }
        if round >= warm_up {
            page.push(elapsed);
            floor.push(bare);
        }
    }
    report(rounds, size, &mut page, &mut floor);
    Ok(())
}

fn report(rounds: usize, size: usize, page: &mut [Duration], floor: &mut [Duration]) {
    println!(
        "pipeline benchmark: {REQUESTS} requests in DynamoDB Local, {rounds} rounds (page {} kB)",
        size / 1024
    );
    crate::print_against_floor(("pipeline page", "its reads, bare", 1.50), page, floor);
}

/// The page's reads, bare: every state's index query, the booked requests' documents by key,
/// the settings, the expiring offers and the undeliverable addresses. How many items came.
async fn bare_reads(table: &Table, now: OffsetDateTime) -> anyhow::Result<usize> {
    let mut count = 0;
    let mut booked = Vec::new();
    for state in RequestState::ALL {
        let items = console::pipeline::state_items(table, *state).await?;
        if *state == RequestState::Accepted {
            booked = items
                .iter()
                .filter_map(|item| item.get("id").and_then(|v| v.as_s().ok()).cloned())
                .collect();
        }
        count += items.len();
    }
    let ids: Vec<&str> = booked.iter().map(String::as_str).collect();
    count += table
        .batch_get(
            &console::pipeline::document_keys(&ids),
            &console::pipeline::DOCUMENT_ATTRIBUTES,
        )
        .await?
        .len();
    count += usize::from(table.get("PROGRAMME", "SETTINGS").await?.is_some());
    let until = (now + time::Duration::hours(48)).unix_timestamp();
    count += table
        .index_items_until(
            records::keys::OPEN_OFFERS_INDEX_KEY,
            &format!("{until:012}#~"),
        )
        .await?
        .len();
    count += table
        .index_items(records::keys::UNDELIVERABLE_INDEX_KEY, None)
        .await?
        .len();
    Ok(count)
}

/// 1,000 requests as the intake stores them, then moved on: a tenth waiting to be matched, a
/// tenth offered, a twentieth with nobody eligible, a twentieth withdrawn, the rest booked
/// with visits spread over the past and coming months and their documents at every stage.
async fn store_requests(stack: &LocalStack, table: &Table) -> anyhow::Result<()> {
    let intake =
        Intake::from_env(stack.function_env("ReviewRequestsApiFunction"), &stack.aws).await?;
    let now = OffsetDateTime::now_utc();
    let today = now.date();
    for i in 0..REQUESTS {
        let parsed = ReviewRequest::parse(&raw(i), today).expect("a valid request");
        let items = intake
            .transaction(
                &parsed,
                &IdempotencyKey::Api(format!("pipeline-{i}")),
                "127.0.0.1",
                now,
            )
            .await?;
        table
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .with_context(|| format!("storing request {i}"))?;
    }
    let submitted = console::pipeline::state_items(table, RequestState::Submitted).await?;
    for (i, item) in submitted.iter().enumerate() {
        let id = item["id"].as_s().expect("a request id").clone();
        let state = match i % 20 {
            0 | 1 => RequestState::Submitted,
            2 | 3 => RequestState::Offered,
            4 => RequestState::NeedsAttention,
            5 => RequestState::Withdrawn,
            _ => RequestState::Accepted,
        };
        let mut update = table
            .client
            .update_item()
            .table_name(&table.name)
            .key("pk", s(records::keys::request_pk(&id)))
            .key("sk", s("REQUEST"))
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":state", s(state.as_str()))
            .expression_attribute_values(
                ":index",
                s(records::keys::state_index_key(state.as_str())),
            );
        if state == RequestState::Accepted {
            let visit = today + time::Duration::days((i % 120) as i64 - 60);
            let lead = TeamMember {
                reviewer_id: format!("01REVIEWER{i:016}"),
                reviewer_name: format!("Reviewer {i}"),
                visit_date: visit,
                offer_id: format!("01OFFER{i:019}"),
            };
            update = update
                .update_expression("SET #state = :state, gsi1pk = :index, #lead = :lead")
                .expression_attribute_names("#lead", "lead")
                .expression_attribute_values(
                    ":lead",
                    AttributeValue::M(serde_dynamo::to_item(&lead)?),
                );
            store_documents(table, &id, i, now).await?;
        } else {
            update = update.update_expression("SET #state = :state, gsi1pk = :index");
        }
        update.send().await?;
    }
    Ok(())
}

/// Request `id`'s documents as far as booking `i` has come (none, a self-evaluation, a report
/// in one of its states, an action plan).
async fn store_documents(
    table: &Table,
    id: &str,
    i: usize,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let at = now
        .format(&time::format_description::well_known::Rfc3339)
        .expect("a time formats");
    let report = ["draft", "submitted", "checked", "final"];
    let mut documents: Vec<(&str, String)> = Vec::new();
    if !i.is_multiple_of(3) {
        documents.push((records::keys::SELF_EVALUATION_SK, "submitted".into()));
    }
    if !i.is_multiple_of(4) {
        documents.push((records::lifecycle::REPORT_SORT_KEY, report[i % 4].into()));
    }
    if i % 8 == 3 {
        documents.push((records::keys::ACTION_PLAN_SK, "open".into()));
    }
    for (sk, state) in documents {
        table
            .client
            .put_item()
            .table_name(&table.name)
            .item("pk", s(records::keys::request_pk(id)))
            .item("sk", s(sk))
            .item("state", s(state))
            .item("version", AttributeValue::N("1".into()))
            .item("updated_at", s(&at))
            .item("updated_by", s("bench"))
            // A document's body, of a typical size: the bare reads skip it too.
            .item(
                "body",
                AttributeValue::M([("text".to_owned(), s("x".repeat(2_000)))].into()),
            )
            .send()
            .await?;
    }
    Ok(())
}
