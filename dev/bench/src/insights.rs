//! `bench insights [N]`: the console's insights page for a term with 2,000 final reports'
//! counters stored in a fresh DynamoDB Local table, against, interleaved in the same run, the
//! reads it makes done bare (the floor: the same GetItems, nothing parsed or rendered). Prints
//! p50/p99 over N rounds (N=30), the ratio (target: the page at most 1.5x its reads), and the
//! number of DynamoDB calls the page makes with 20 reports and with 2,000 (must be equal).
//!
//! The counters are stored through the real path: each request's, report's, feedback answer's
//! and signposting change's tallies (`insights::tally`) applied with their markers
//! (`insights::store::apply`), as the insights counter does for each stream record. The page is
//! timed from after the session check to the rendered HTML.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::bail;
use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents, SharedInterceptor};
use console::{Console, SignedInUser};
use insights::feedback::{FeedbackAnswer, Respondent};
use insights::tally::{self, LeadPart, ReportImage, RequestImage, RequestPart, SignpostImage};
use insights::{Period, store};
use records::domain::calendar::Term;
use records::lifecycle::RequestState;
use records::store::Table;
use time::OffsetDateTime;
use time::macros::datetime;

use crate::{bench_config, run_id, start, table};

const REPORTS: usize = 2_000;
const FEW: usize = 20;
const TERM: Term = Term::Autumn(2030);

/// Counts the DynamoDB calls of the clients it is on.
#[derive(Debug, Clone, Default)]
struct CallCounter(Arc<AtomicUsize>);

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

pub async fn run(rounds: usize) -> anyhow::Result<()> {
    let stack = start(bench_config(format!("benchi{}", run_id()))?).await?;
    let table = table(&stack);
    let calls = CallCounter::default();
    let counted = records::aws::AwsClients::with_interceptor(
        &stack.aws.sdk_config,
        SharedInterceptor::new(calls.clone()),
    );
    let console = Console::from_env(stack.function_env("ConsoleFunction"), &counted)?;
    let branding = crate::bench_branding();
    let user = SignedInUser {
        email: "viewer@bench.example".into(),
        role_label: "viewer",
        may_export: false,
    };
    let query = format!("period={}", TERM.key());
    let now = datetime!(2030-12-01 12:00 UTC).unix_timestamp();
    let page = || async {
        let (status, html) = console
            .insights_html(
                console::PageFor {
                    branding: &branding,
                    user: &user,
                    csrf: "csrf",
                },
                &query,
                now,
            )
            .await?;
        let html = html?;
        if status != 200 || !html.contains("id=\"table-funnel\"") {
            bail!("the insights page answered {status}");
        }
        anyhow::Ok(html)
    };
    let reads_of_page = || async {
        let before = calls.0.load(Ordering::Relaxed);
        page().await?;
        anyhow::Ok(calls.0.load(Ordering::Relaxed) - before)
    };

    store_reports(&table, 0..FEW).await?;
    let reads_few = reads_of_page().await?;
    store_reports(&table, FEW..REPORTS).await?;
    let reads_many = reads_of_page().await?;
    let html = page().await?;
    if !html.contains(&format!("data-value=\"{REPORTS}\"")) {
        bail!("the page does not show {REPORTS} final reports");
    }

    let warm_up = 3;
    let (mut timed, mut floor) = (Vec::new(), Vec::new());
    for round in 0..rounds + warm_up {
        let started = Instant::now();
        page().await?;
        let elapsed = started.elapsed();
        let started = Instant::now();
        let found = bare_reads(&table).await?;
        let bare = started.elapsed();
        if found == 0 {
            bail!("the bare reads found no counters");
        }
        if round >= warm_up {
            timed.push(elapsed);
            floor.push(bare);
        }
    }
    println!(
        "insights benchmark: {REPORTS} final reports' counters in DynamoDB Local, {rounds} rounds (page {} kB)",
        html.len() / 1024
    );
    crate::print_against_floor(
        ("insights page", "its reads, bare", 1.50),
        &mut timed,
        &mut floor,
    );
    println!(
        "  DynamoDB calls per page: {reads_few} with {FEW} reports, {reads_many} with {REPORTS} (must be equal)"
    );
    if reads_few != reads_many {
        bail!("the page makes more reads with more reports");
    }
    Ok(())
}

/// The page's reads, bare: each counters item of the term and the programme's, by key.
async fn bare_reads(table: &Table) -> anyhow::Result<usize> {
    let mut found = 0;
    for (pk, sk) in store::keys_of(Period::Term(TERM)) {
        found += usize::from(table.get(pk, sk).await?.is_some());
    }
    Ok(found)
}

/// Requests `range` of the term, each received, booked, visited and reported on, with both
/// sides' feedback and (every third) a consenting school strong in one area.
async fn store_reports(table: &Table, range: std::ops::Range<usize>) -> anyhow::Result<()> {
    let phases = ["primary", "secondary", "special", "all_through"];
    let areas = ["outcomes", "leadership", "teaching", "assessment"];
    for i in range {
        let id = format!("01BENCH{i:019}");
        let received = datetime!(2030-09-02 09:00 UTC) + time::Duration::hours(i as i64 % 700);
        let image = |state: RequestState, lead: bool| RequestImage {
            id: id.clone(),
            state,
            created_at: received
                .format(&time::format_description::well_known::Rfc3339)
                .expect("formats"),
            request: RequestPart {
                review_type: "send_review".into(),
                school: tally::SchoolPart {
                    phase: phases[i % phases.len()].into(),
                    school_type: "mainstream".into(),
                },
                framework: None,
            },
            lead: lead.then(|| LeadPart {
                visit_date: (received.date() + time::Duration::days(30 + (i % 20) as i64))
                    .to_string(),
            }),
        };
        let (held, booked) = (
            image(RequestState::Held, false),
            image(RequestState::Accepted, true),
        );
        let booked_at = received + time::Duration::days(5 + (i % 10) as i64);
        let finalised = received + time::Duration::days(50 + (i % 15) as i64);
        let report: ReportImage = serde_json::from_value(serde_json::json!({
            "state": "final",
            "finalised_at": finalised.format(&time::format_description::well_known::Rfc3339)?,
            "body": {"areas": areas.iter().enumerate().map(|(a, area)| serde_json::json!({
                "area": area,
                "even_better_if": if (i + a) % 3 == 0 { vec!["A next step"] } else { vec![] }
            })).collect::<Vec<_>>()}
        }))?;
        let answer = |respondent, keys: [&str; 3]| FeedbackAnswer {
            respondent,
            scores: keys.map(|k| (k.to_owned(), (1 + i % 5) as u8)).into(),
            comment: String::new(),
            answered_at: String::new(),
        };
        let mut tallies = tally::request_changed(&format!("{id}-1"), None, Some(&held), received);
        tallies.extend(tally::request_changed(
            &format!("{id}-2"),
            Some(&held),
            Some(&booked),
            booked_at,
        ));
        tallies.extend(tally::report_changed(&booked, Some("checked"), &report));
        tallies.extend(tally::feedback_given(
            &booked,
            &answer(Respondent::School, ["useful", "done_with", "next_steps"]),
        ));
        tallies.extend(tally::feedback_given(
            &booked,
            &answer(Respondent::Lead, ["went_well", "prepared", "took_back"]),
        ));
        if i % 3 == 0 {
            tallies.extend(tally::signpost_changed(
                &format!("{id}-s"),
                areas[i % areas.len()],
                None,
                Some(&SignpostImage {
                    request_id: id.clone(),
                    school_name: format!("Bench School {i}"),
                }),
            ));
        }
        for tally in &tallies {
            store::apply(table, tally, OffsetDateTime::now_utc()).await?;
        }
    }
    Ok(())
}
