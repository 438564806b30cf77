//! `bench load`: `oha` (installed by `scripts/bench` into `.local/tools`) against the local
//! runner: a burst of 2,000 form submissions at 50 concurrent connections (rate limits raised),
//! then 20,000 status page reads; throughput and p50/p99 per route. Then the checks: every 303
//! answered has its stored request, one confirmation email per request, no 5xx.
//!
//! It measures the product's code and its conditional writes under contention on this machine,
//! with DynamoDB Local and moto standing in for AWS; not AWS's latency or scaling.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use local_runner::{Exchange, ExchangeLog, LocalStack};
use records::request::StoredRequest;
use serde_json::Value;
use workflows::intake::Intake;

use crate::{bench_config, run_id, start};

const SUBMISSIONS: usize = 2_000;
const STATUS_READS: usize = 20_000;
const CONNECTIONS: usize = 50;
/// Distinct forms oha picks from at random for each submission: a few are sent twice, as a
/// double click would send them, and must get the first one's answer.
const FORMS: usize = 20_000;
const STATUS_PAGES: usize = 100;

pub async fn run() -> anyhow::Result<()> {
    let oha =
        std::env::var("OHA").context("OHA (the oha binary) is not set: run scripts/bench load")?;
    let exchanges = ExchangeLog::default();
    let run_id = run_id();
    let mut config = bench_config(format!("load{run_id}"))?;
    // The load runs the whole pipeline as deployed: the streams drive the functions.
    config.stream_consumers = true;
    config.exchanges = Some(exchanges.clone());
    let stack = start(config).await?;
    let work = local_runner::repository_root().join("target/bench-load");
    std::fs::create_dir_all(&work)?;
    let domain = format!("{run_id}.load.example");

    println!(
        "load: oha against the local runner (DynamoDB Local, moto) on this machine. It measures \
         the product's code and its conditional writes under contention, not AWS."
    );
    let forms = work.join("forms.txt");
    let links =
        records::links::LinkSecret::load(stack.function_env("SchoolPagesFunction"), &stack.aws)
            .await?;
    std::fs::write(&forms, form_lines(&domain, &links))?;
    let submissions = oha_run(
        &oha,
        &[
            "-n",
            &SUBMISSIONS.to_string(),
            "-Z",
            path_str(&forms)?,
            "-m",
            "POST",
            "-T",
            "application/x-www-form-urlencoded",
            &format!("{}/request", stack.url),
        ],
    )
    .await?;

    let stored = stored_requests(&stack, &domain).await?;
    let mails = wait_for_confirmations(&stack, &domain, stored.len()).await?;

    let intake =
        Intake::from_env(stack.function_env("ReviewRequestsApiFunction"), &stack.aws).await?;
    let urls = work.join("status-urls.txt");
    let mut lines = Vec::new();
    for request in stored.iter().take(STATUS_PAGES) {
        let token = intake.status_token(&request.id, 0).await?;
        lines.push(format!("{}/status/{token}", stack.url));
    }
    std::fs::write(&urls, lines.join("\n"))?;
    let reads = oha_run(
        &oha,
        &[
            "-n",
            &STATUS_READS.to_string(),
            "--urls-from-file",
            path_str(&urls)?,
        ],
    )
    .await?;

    println!(
        "  {:<28} {:>8} {:>6} {:>10} {:>9} {:>9}  statuses",
        "route", "requests", "conns", "req/s", "p50 ms", "p99 ms"
    );
    for (route, figures) in [
        ("POST /request", &submissions),
        ("GET /status/{token}", &reads),
    ] {
        println!(
            "  {:<28} {:>8} {:>6} {:>10.0} {:>9.1} {:>9.1}  {}",
            route,
            figures.requests,
            CONNECTIONS,
            figures.per_second,
            figures.p50_ms,
            figures.p99_ms,
            figures.statuses
        );
    }

    let exchanges = exchanges.lock().expect("not poisoned").clone();
    let failures = check(&exchanges, &stored, &mails);
    if failures > 0 {
        bail!("{failures} check(s) failed");
    }
    Ok(())
}

/// `FORMS` complete request forms, one urlencoded body a line, each with its own submission
/// token (signed as the form page signs it), school and contact address (at `domain`, so this
/// run's mail can be told apart).
fn form_lines(domain: &str, links: &records::links::LinkSecret) -> String {
    let now = time::OffsetDateTime::now_utc();
    let today = now.date();
    let day = |d: i64| (today + time::Duration::days(d)).to_string();
    (0..FORMS)
        .map(|i| {
            let mut nonce = [0u8; 16];
            nonce[..8].copy_from_slice(&(i as u64).to_be_bytes());
            let token = links.submission_token(nonce, now.unix_timestamp());
            let urn = format!("{:06}", 100_000 + i);
            let email = format!("senco{i}@{domain}");
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs([
                    ("submission_token", token.as_str()),
                    ("website", ""),
                    ("urn", &urn),
                    ("school_name", "Brook Primary School"),
                    ("phase", "primary"),
                    ("school_type", "mainstream"),
                    ("local_authority", "202"),
                    ("postcode", "NW1 2DB"),
                    ("number_on_roll", "420"),
                    ("sen_support_percent", "14.5"),
                    ("ehc_plan_percent", "3.2"),
                    ("areas_of_need", "communication_and_interaction"),
                    ("review_type", "send_review"),
                    ("focus_scope", "all"),
                    ("window_1_start", &day(30)),
                    ("window_1_end", &day(40)),
                    ("window_2_start", &day(60)),
                    ("window_2_end", &day(70)),
                    (
                        "learning_goal",
                        "How well our graduated approach works in key stage 2.",
                    ),
                    ("contact_name", "Grace Hopper"),
                    ("contact_role", "SENCO"),
                    ("contact_email", &email),
                    ("no_pupil_named", "yes"),
                    ("privacy_notice_accepted", "yes"),
                ])
                .finish()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn path_str(path: &Path) -> anyhow::Result<&str> {
    path.to_str()
        .ok_or_else(|| anyhow!("{} is not UTF-8", path.display()))
}

struct Figures {
    requests: usize,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    statuses: String,
}

/// One oha run (no redirects followed: a 303 is the answer measured), its JSON summary read.
async fn oha_run(oha: &str, args: &[&str]) -> anyhow::Result<Figures> {
    let output = tokio::process::Command::new(oha)
        .args([
            "-c",
            &CONNECTIONS.to_string(),
            "--no-tui",
            "--output-format",
            "json",
        ])
        .args(["--redirect", "0"])
        .args(args)
        .output()
        .await
        .with_context(|| format!("running {oha}"))?;
    if !output.status.success() {
        bail!("oha failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let result: Value = serde_json::from_slice(&output.stdout).context("reading oha's JSON")?;
    let number = |pointer: &str| {
        result
            .pointer(pointer)
            .and_then(Value::as_f64)
            .ok_or_else(|| anyhow!("oha's JSON has no {pointer}"))
    };
    let mut statuses: Vec<String> = result["statusCodeDistribution"]
        .as_object()
        .map(|codes| {
            codes
                .iter()
                .map(|(code, n)| format!("{code}: {n}"))
                .collect()
        })
        .unwrap_or_default();
    if let Some(errors) = result["errorDistribution"].as_object() {
        statuses.extend(errors.iter().map(|(error, n)| format!("{error}: {n}")));
    }
    let requests = result["statusCodeDistribution"]
        .as_object()
        .map(|codes| codes.values().filter_map(Value::as_u64).sum::<u64>() as usize)
        .unwrap_or_default();
    Ok(Figures {
        requests,
        per_second: number("/summary/requestsPerSec")?,
        p50_ms: number("/metrics/latency_ms/p50")?,
        p99_ms: number("/metrics/latency_ms/p99")?,
        statuses: statuses.join(", "),
    })
}

/// The requests stored for contacts at `domain` (a scan: fine for a few thousand).
async fn stored_requests(stack: &LocalStack, domain: &str) -> anyhow::Result<Vec<StoredRequest>> {
    let mut requests = Vec::new();
    let mut start = None;
    loop {
        let page = stack
            .aws
            .dynamodb
            .scan()
            .table_name(stack.table_name())
            .filter_expression("sk = :request")
            .expression_attribute_values(
                ":request",
                aws_sdk_dynamodb::types::AttributeValue::S("REQUEST".into()),
            )
            .set_exclusive_start_key(start)
            .send()
            .await
            .context("scanning the table")?;
        for item in page.items() {
            let request: StoredRequest = serde_dynamo::from_item(item.clone())?;
            if request.request.contact.email.as_str().ends_with(domain) {
                requests.push(request);
            }
        }
        start = page.last_evaluated_key().cloned();
        if start.is_none() {
            return Ok(requests);
        }
    }
}

/// Emails sent to this run's contacts, by address, once as many as `expected` have gone (or
/// after three minutes), and a few seconds more for any duplicate to show.
async fn wait_for_confirmations(
    stack: &LocalStack,
    domain: &str,
    expected: usize,
) -> anyhow::Result<HashMap<String, usize>> {
    let count = || async {
        let mut by_address: HashMap<String, usize> = HashMap::new();
        for mail in local_runner::mailbox::sent_mail(&stack.moto_url).await? {
            for to in mail.to.iter().filter(|to| to.ends_with(domain)) {
                *by_address.entry(to.to_lowercase()).or_default() += 1;
            }
        }
        anyhow::Ok(by_address)
    };
    let started = Instant::now();
    loop {
        let sent: usize = count().await?.values().sum();
        if sent >= expected || started.elapsed() > Duration::from_secs(180) {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    count().await
}

/// Prints each check and its outcome; returns how many failed.
fn check(
    exchanges: &[Exchange],
    stored: &[StoredRequest],
    mails: &HashMap<String, usize>,
) -> usize {
    let mut failures = 0;
    let mut verdict = |ok: bool, text: String| {
        println!("  {} {text}", if ok { "ok  " } else { "FAIL" });
        if !ok {
            failures += 1;
        }
    };

    let server_errors = exchanges.iter().filter(|e| e.status >= 500).count();
    verdict(
        server_errors == 0,
        format!("{server_errors} 5xx among {} responses", exchanges.len()),
    );

    let references: HashSet<&str> = stored.iter().map(|r| r.reference.as_str()).collect();
    let mut by_token: BTreeMap<String, HashSet<String>> = BTreeMap::new();
    let mut see_other = 0;
    let mut unstored = 0;
    for exchange in exchanges.iter().filter(|e| e.route_key == "POST /request") {
        if exchange.status != 303 {
            continue;
        }
        see_other += 1;
        let reference = exchange
            .location
            .as_deref()
            .and_then(|l| l.strip_prefix("/request/sent/"))
            .unwrap_or_default()
            .to_owned();
        if !references.contains(reference.as_str()) {
            unstored += 1;
        }
        let token = form_urlencoded::parse(&exchange.request_body)
            .find(|(name, _)| name == "submission_token")
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default();
        by_token.entry(token).or_default().insert(reference);
    }
    let answers_per_form_ok = by_token.values().all(|refs| refs.len() == 1);
    verdict(
        unstored == 0 && answers_per_form_ok && by_token.len() == stored.len(),
        format!(
            "{see_other} answered 303: {} distinct forms (the rest sent twice, each answered \
             with its first reference), {} requests stored, {unstored} pointing at no stored request",
            by_token.len(),
            stored.len()
        ),
    );

    let missing = stored
        .iter()
        .filter(|r| !mails.contains_key(&r.request.contact.email.as_str().to_lowercase()))
        .count();
    let duplicated = mails.values().filter(|n| **n > 1).count();
    verdict(
        missing == 0 && duplicated == 0 && mails.len() == stored.len(),
        format!(
            "{} confirmation emails for {} requests: {missing} missing, {duplicated} sent more than once",
            mails.values().sum::<usize>(),
            stored.len()
        ),
    );
    failures
}
