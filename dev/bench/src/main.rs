//! `bench matching`: for pools of 100, 1,000 and 10,000 reviewers stored in DynamoDB Local,
//! the time to load the candidates (one query of the reviewer index) and the compute time of
//! ranking them for one request (target: under 50 ms at 10,000).
//!
//! `bench pdf [N]`: render time of the report PDF (as finalising renders it) for a typical
//! report, a maximal one (every field at its limit) and a follow-up visit's report (progress on
//! ten recommendations), p50/p99 over N renders (N=50); target:
//! well under a second for a typical report.
//!
//! `bench intake [N]`: p50/p99 latency of the review request submit handler over N submissions
//! against DynamoDB Local, and, interleaved in the same run, of a bare `TransactWriteItems` of
//! the same items (the floor no handler can beat). Target: handler/floor <= 1.2 at p50.
//!
//! `bench cold-start [N]`: see [`cold_start`]: each function's binary started N times (N=20)
//! through a local Lambda Runtime API, against a minimal `lambda_runtime` function (the floor).
//!
//! `bench load`: see [`load`]: oha against the local runner, 2,000 form submissions and 20,000
//! status page reads, then checks of what was stored and sent.
//!
//! `bench pipeline [N]`: see [`pipeline`]: the console's pipeline page with 1,000 requests
//! stored, against the reads it makes done bare (the floor), p50/p99 over N rounds (N=30).
//! `bench insights [N]`: see [`insights`]: the insights page with 2,000 final reports'
//! counters stored, against its reads done bare, and its calls with 20 reports and 2,000.
//!
//! Run through `scripts/bench`, which starts DynamoDB Local and moto and builds optimised.

mod cold_start;
mod insights;
mod load;
mod pipeline;

use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use lambda_http::http::StatusCode;
use local_runner::{LocalStack, StackConfig};
use records::domain::request::{RawReviewRequest, ReviewRequest};
use review_requests_api::ReviewRequestsApi;
use serde_json::json;
use time::OffsetDateTime;
use workflows::intake::{IdempotencyKey, Intake};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("intake") => {
            let n = args.next().map(|n| n.parse()).transpose()?.unwrap_or(1000);
            intake(n).await
        }
        Some("matching") => matching().await,
        Some("pdf") => {
            let n = args.next().map(|n| n.parse()).transpose()?.unwrap_or(50);
            pdf(n)
        }
        Some("cold-start") => {
            let n = args.next().map(|n| n.parse()).transpose()?.unwrap_or(20);
            cold_start::run(n).await
        }
        Some("load") => load::run().await,
        Some("pipeline") => {
            let n = args.next().map(|n| n.parse()).transpose()?.unwrap_or(30);
            pipeline::run(n).await
        }
        Some("insights") => {
            let n = args.next().map(|n| n.parse()).transpose()?.unwrap_or(30);
            insights::run(n).await
        }
        _ => bail!(
            "usage: bench intake [N] | bench matching | bench pdf [N] | bench cold-start [N] | \
             bench load | bench pipeline [N] | bench insights [N]"
        ),
    }
}

/// A fresh id for one run's table prefix (lower case: it names buckets too).
fn run_id() -> String {
    ulid::Ulid::new().to_string().to_lowercase()
}

/// The stack for one bench run, under `prefix`: no timers and no stream consumers (the bench
/// drives each step itself), and the intake's rate limits lifted (every request comes from one
/// address, and many are for one school).
fn bench_config(prefix: String) -> anyhow::Result<StackConfig> {
    let mut config = StackConfig::from_environment()?;
    config.prefix = prefix;
    config.schedule_timers = false;
    config.stream_consumers = false;
    for limit in ["SubmissionsPerIpPerHour", "SubmissionsPerSchoolPerDay"] {
        config.parameters.insert(limit.into(), "1000000".into());
    }
    Ok(config)
}

async fn start(config: StackConfig) -> anyhow::Result<LocalStack> {
    LocalStack::start(config)
        .await
        .context("starting the local stack")
}

/// The stack's table, to write fixtures straight into it.
fn table(stack: &LocalStack) -> records::store::Table {
    records::store::Table {
        client: stack.aws.dynamodb.clone(),
        name: stack.table_name().to_owned(),
    }
}

async fn intake(n: usize) -> anyhow::Result<()> {
    let stack = start(bench_config(format!("bench{}", run_id()))?).await?;
    let env = stack.function_env("ReviewRequestsApiFunction");
    let api = ReviewRequestsApi::from_env(env, &stack.aws).await?;
    let intake = Intake::from_env(env, &stack.aws).await?;
    let table = stack.table_name().to_owned();

    let warm_up = 50;
    let mut handler = Vec::with_capacity(n);
    let mut floor = Vec::with_capacity(n);
    for i in 0..n + warm_up {
        // Handler: the whole API Gateway event -> response path, as Lambda runs it.
        let request = lambda_http::request::from_str(&event(i).to_string())?;
        let started = Instant::now();
        let response = api.handle(request).await;
        let elapsed = started.elapsed();
        if response.status() != StatusCode::CREATED {
            bail!("submission {i} answered {}", response.status());
        }

        // Floor: the same transaction, built ahead, sent bare.
        let now = OffsetDateTime::now_utc();
        let parsed = ReviewRequest::parse(&raw(i + 1_000_000), now.date()).expect("valid");
        let items = intake
            .transaction(
                &parsed,
                &IdempotencyKey::Api(format!("floor-{i}")),
                "127.0.0.1",
                now,
            )
            .await?;
        let started = Instant::now();
        stack
            .aws
            .dynamodb
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .with_context(|| format!("bare transaction {i} in {table}"))?;
        let bare = started.elapsed();

        if i >= warm_up {
            handler.push(elapsed);
            floor.push(bare);
        }
    }
    println!("intake benchmark: {n} submissions against DynamoDB Local (after {warm_up} warm-up)");
    print_against_floor(
        ("submit handler", "bare transaction", 1.20),
        &mut handler,
        &mut floor,
    );
    Ok(())
}

async fn matching() -> anyhow::Result<()> {
    use workflows::matching::{MatchRequest, ReviewerRecord, Role, rank};
    let today = OffsetDateTime::now_utc().date();
    let parsed = ReviewRequest::parse(&raw(1), today).expect("valid");
    let settings = records::programme::ProgrammeSettings::new("Bench", "bench@example.org");
    println!("matching benchmark: one request against pools loaded from DynamoDB Local");
    for size in [100usize, 1_000, 10_000] {
        let stack = start(bench_config(format!("benchm{}", run_id()))?).await?;
        let table = table(&stack);
        let pool = reviewer_pool(size, today);
        let actor = records::audit::Actor::new("bench", OffsetDateTime::now_utc());
        records::reviewers::upsert_all(&table, &pool, &actor).await?;

        let started = Instant::now();
        let loaded = records::reviewers::list(&table).await?;
        let load = started.elapsed();
        let records: Vec<ReviewerRecord> = loaded
            .iter()
            .map(|reviewer| ReviewerRecord {
                reviewer,
                history: &[],
                open_offers: &[],
            })
            .collect();
        let excluded = Default::default();
        let request = MatchRequest {
            request: &parsed,
            excluded: &excluded,
            role: Role::Lead,
            lead: None,
            follow_up_of: None,
        };
        let mut timings = Vec::new();
        let mut candidates = 0;
        for _ in 0..21 {
            let started = Instant::now();
            candidates = rank(&request, &records, &settings, today).ranked.len();
            timings.push(started.elapsed());
        }
        timings.sort();
        println!(
            "  {size:>6} reviewers: load {:>8.1} ms (one query)   rank median {:>7.2} ms, fastest {:>7.2} ms   {candidates} eligible",
            ms(load),
            ms(timings[10]),
            ms(timings[0])
        );
    }
    Ok(())
}

/// A varied pool: every phase, type and region, some ineligible for each rule.
fn reviewer_pool(size: usize, today: time::Date) -> Vec<records::reviewers::Reviewer> {
    let phases = [
        "primary",
        "secondary",
        "nursery;primary",
        "all_through",
        "post_16",
        "middle",
    ];
    let types = [
        "mainstream",
        "special",
        "mainstream;special",
        "alternative_provision",
        "resourced_provision",
    ];
    let regions = [
        "london;south_east",
        "north_west",
        "west_midlands;east_midlands",
        "london",
        "south_west;london",
    ];
    let las = [204u16, 886, 330, 352, 919, 202, 873];
    let mut csv = String::from(
        "name,email,home_school_urn,trust,local_authority,regions,phases,school_types,specialisms,may_lead,trained_on,dbs_checked_on,capacity_per_term,unavailable,conflicts,active\n",
    );
    for i in 0..size {
        let dbs = today - time::Duration::days((i % 1400) as i64);
        csv.push_str(&format!(
            "Reviewer {i},reviewer{i}@bench.example.sch.uk,{:06},,{},{},{},{},autism;semh,{},2024-01-10,{dbs},{},,,{}\n",
            200_000 + i,
            las[i % las.len()],
            regions[i % regions.len()],
            phases[i % phases.len()],
            types[i % types.len()],
            if i % 3 == 0 { "no" } else { "yes" },
            1 + i % 3,
            if i % 17 == 0 { "no" } else { "yes" },
        ));
    }
    records::reviewers::parse_csv(&csv)
        .expect("the generated pool is valid")
        .into_iter()
        .map(|row| row.reviewer)
        .collect()
}

/// Renders a typical, a maximal (every field at its limit) and a follow-up report `n` times each, as the
/// finalising function does, and prints the render times and sizes.
fn pdf(n: usize) -> anyhow::Result<()> {
    use workflows::report::{examples, pdf};
    let scale = records::programme::GradingScale::new(["Leading", "Effective", "Developing"])?;
    for (name, report) in [
        ("typical", examples::typical()),
        ("maximal", examples::maximal(Some(&scale))),
        (
            "follow-up",
            examples::follow_up(&examples::maximal(Some(&scale))),
        ),
    ] {
        let doc = examples::document(&report);
        let mut samples = Vec::with_capacity(n);
        let mut bytes = 0;
        let mut html = Duration::ZERO;
        for _ in 0..n.max(1) {
            let started = Instant::now();
            let rendered = pdf::render(&doc)?;
            samples.push(started.elapsed());
            bytes = rendered.len();
            let started = Instant::now();
            doc.to_html()?;
            html += started.elapsed();
        }
        let pages = pdf_pages(&pdf::render(&doc)?);
        let (p50, p99) = percentiles(&mut samples);
        println!(
            "pdf {name}: p50 {:.1} ms, p99 {:.1} ms over {} renders; {pages} A5 pages, {} KB; HTML {:.2} ms",
            ms(p50),
            ms(p99),
            samples.len(),
            bytes / 1024,
            ms(html) / samples.len() as f64,
        );
    }
    Ok(())
}

/// How many page objects a PDF has (krilla writes them uncompressed).
fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.split("/Type/Page")
        .skip(1)
        .filter(|rest| !rest.starts_with('s'))
        .count()
}

fn percentiles(samples: &mut [Duration]) -> (Duration, Duration) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    (at(0.50), at(0.99))
}

/// The programme the console benchmarks render their pages for.
fn bench_branding() -> records::branding::Branding {
    records::branding::Branding::from(&records::programme::ProgrammeSettings::new(
        "Bench SEND Review",
        "bench@example.org",
    ))
}

/// What was timed, p50 and p99 over its rounds, the floor's (`floor_name`), and their ratios
/// (the target at p50: `target`).
fn print_against_floor(
    (name, floor_name, target): (&str, &str, f64),
    timed: &mut [Duration],
    floor: &mut [Duration],
) {
    let (p50, p99) = percentiles(timed);
    let (f50, f99) = percentiles(floor);
    println!(
        "  {name:<18} p50 {:>8.2} ms   p99 {:>8.2} ms",
        ms(p50),
        ms(p99)
    );
    println!(
        "  {floor_name:<18} p50 {:>8.2} ms   p99 {:>8.2} ms",
        ms(f50),
        ms(f99)
    );
    println!(
        "  ratio at p50       {:.2} (target <= {target:.2})",
        ms(p50) / ms(f50)
    );
    println!("  ratio at p99       {:.2}", ms(p99) / ms(f99));
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn dates() -> [(String, String); 2] {
    let today = OffsetDateTime::now_utc().date();
    let day = |d: i64| (today + time::Duration::days(d)).to_string();
    [(day(30), day(40)), (day(60), day(70))]
}

/// A distinct school per submission, so no counter or key is shared.
fn urn(i: usize) -> String {
    format!("{:06}", 100_000 + i % 900_000)
}

fn raw(i: usize) -> RawReviewRequest {
    let [w1, w2] = dates();
    RawReviewRequest {
        urn: urn(i),
        school_name: "Brook Primary School".into(),
        phase: "primary".into(),
        school_type: "mainstream".into(),
        local_authority: "202".into(),
        postcode: "NW1 2DB".into(),
        number_on_roll: "420".into(),
        sen_support_percent: "14.5".into(),
        ehc_plan_percent: "3.2".into(),
        areas_of_need: vec!["communication_and_interaction".into()],
        review_type: "send_review".into(),
        focus_scope: "all".into(),
        visit_windows: vec![w1, w2],
        learning_goal: "How well our graduated approach works in key stage 2.".into(),
        contact_name: "Grace Hopper".into(),
        contact_role: "SENCO".into(),
        contact_email: format!("senco{i}@brook.example.sch.uk"),
        no_pupil_named: true,
        privacy_notice_accepted: true,
        reciprocal: false,
        ..RawReviewRequest::default()
    }
}

/// An API Gateway HTTP API (payload 2.0) event, as Lambda would receive it.
/// A valid API request body, for school `urn(i)`, from contact `senco{i}@...`.
pub(crate) fn api_body(i: usize) -> serde_json::Value {
    let [w1, w2] = dates();
    json!({
        "school": {
            "urn": urn(i), "name": "Brook Primary School", "phase": "primary", "type": "mainstream",
            "local_authority_code": 202, "postcode": "NW1 2DB", "number_on_roll": 420,
            "sen_support_percent": 14.5, "ehc_plan_percent": 3.2, "areas_of_need": ["communication_and_interaction"]
        },
        "review_type": "send_review", "focus_areas": "all",
        "visit_windows": [{ "start": w1.0, "end": w1.1 }, { "start": w2.0, "end": w2.1 }],
        "learning_goal": "How well our graduated approach works in key stage 2.",
        "contact": { "name": "Grace Hopper", "role": "SENCO", "email": format!("senco{i}@brook.example.sch.uk") },
        "declarations": { "no_pupil_named": true, "privacy_notice_accepted": true }
    })
}

fn event(i: usize) -> serde_json::Value {
    let body = api_body(i);
    json!({
        "version": "2.0",
        "routeKey": "POST /api/v1/review-requests",
        "rawPath": "/api/v1/review-requests",
        "rawQueryString": "",
        "headers": { "content-type": "application/json", "idempotency-key": format!("bench-{i}"), "host": "api.example" },
        "requestContext": {
            "accountId": "000000000000", "apiId": "bench", "domainName": "api.example", "domainPrefix": "api",
            "http": { "method": "POST", "path": "/api/v1/review-requests", "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "bench" },
            "requestId": format!("bench-{i}"), "routeKey": "POST /api/v1/review-requests", "stage": "$default",
            "time": "23/Nov/2026:09:00:00 +0000", "timeEpoch": 0
        },
        "body": body.to_string(),
        "isBase64Encoded": false
    })
}
