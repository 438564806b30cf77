//! `bench cold-start [N]`: each function's optimised binary started N times as Lambda starts it
//! (its environment resolved from the template against the local stack, and the Lambda Runtime
//! API `2018-06-01` served here: `next`, `response`, `error`, `init/error`), measuring the init
//! time (process start to its first `next`), the first invocation (event handed over to response
//! received) and the peak resident memory; the same, in the same run and interleaved, for a
//! minimal `lambda_runtime` function built with the same profile (the floor). Ratios to the floor
//! are printed per function, with the targets: init at most 3x the floor's; for page functions,
//! init plus first invocation at most 4x the floor's.

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use lambda_http::http::HeaderMap;
use local_runner::LocalStack;
use local_runner::router::{self, Route};
use local_runner::template::{EventSpec, FunctionSpec, Template};
use serde_json::{Value, json};
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::{bench_config, run_id, start};

const TARGET_INIT: f64 = 3.0;
const TARGET_PAGE_FIRST_RESPONSE: f64 = 4.0;
const FLOOR: &str = "floor (lambda_runtime)";
const WARM_UP_READS: usize = 300;
const WARM_UP_STARTS: usize = 20;
/// A pause before each measured start: the emulators' deferred work after a start that wrote a
/// lot (the JVM's collector, SQLite) would otherwise fall on the next subject's reads, which
/// AWS's services, serving every caller alike, would not do to it.
const SETTLE: Duration = Duration::from_millis(100);

/// One binary to start, its environment and the event of its first invocation.
struct Subject {
    name: String,
    binary: PathBuf,
    variables: HashMap<String, String>,
    /// Run number -> the first event (HTTP events need a fresh idempotency key each run).
    event: Box<dyn Fn(usize) -> Value>,
    is_page: bool,
}

struct Sample {
    init: Duration,
    first_invocation: Duration,
    peak_rss_kib: u64,
}

pub async fn run(n: usize) -> anyhow::Result<()> {
    let config = bench_config(format!("cold{}", run_id()))?;
    let template = Template::load(&config.template)?;
    let stack = start(config).await?;
    // (COLD_START_BINARIES: another build's binaries, e.g. target/debug to try the harness.)
    let binaries = std::env::var_os("COLD_START_BINARIES")
        .map(PathBuf::from)
        .unwrap_or_else(|| local_runner::repository_root().join("target/benchmark"));

    let mut subjects = vec![Subject {
        name: FLOOR.into(),
        binary: binaries.join("lambda-floor"),
        variables: HashMap::new(),
        event: Box::new(|_| json!({ "ping": true })),
        is_page: false,
    }];
    // (COLD_START_ONLY: a comma-separated list of binaries, to look at a few; the floor runs too.)
    let only = std::env::var("COLD_START_ONLY").ok();
    let chosen = |binary: &str| {
        only.as_deref()
            .is_none_or(|only| only.split(',').any(|name| name == binary))
    };
    for function in template.functions()? {
        if !chosen(&function.binary) {
            continue;
        }
        let subject = |name: String, binary: PathBuf| -> anyhow::Result<Subject> {
            Ok(Subject {
                name,
                binary,
                variables: stack.function_variables(&function.logical_id).clone(),
                event: first_event(&function, &stack)?,
                is_page: function.binary.ends_with("-pages") || function.binary == "console",
            })
        };
        subjects.push(subject(
            function.binary.clone(),
            binaries.join(&function.binary),
        )?);
        // (COLD_START_VARIANT_DIR: the same function built otherwise, started in the same run
        // and interleaved, for an A/B comparison under the same noise.)
        if let Some(variant) = std::env::var_os("COLD_START_VARIANT_DIR")
            .map(|dir| PathBuf::from(dir).join(&function.binary))
            .filter(|binary| binary.exists())
        {
            subjects.push(subject(format!("{} (variant)", function.binary), variant)?);
        }
    }
    for subject in &subjects {
        if !subject.binary.exists() {
            bail!(
                "{} is missing: build it with --profile benchmark",
                subject.binary.display()
            );
        }
    }

    let link_secret = subjects
        .iter()
        .find_map(|subject| subject.variables.get("LINK_SECRET_ARN").cloned())
        .ok_or_else(|| anyhow!("no function names the link secret"))?;
    // The emulators answer their first few hundred calls of a kind slower than later ones (the
    // JVM's and Python's warm-up, which DynamoDB and Secrets Manager do not have): the pages'
    // first reads are warmed first, so that cost falls on no function.
    for _ in 0..WARM_UP_READS {
        reference_read(stack.table_name(), &link_secret).await?;
    }
    // The same holds for every other kind of call the functions make (the form's
    // `BatchGetItem`, before the reads above warmed it, took 12 ms on a run's first starts and 5
    // to 6 ms by the fiftieth): every subject is also started a few times unmeasured.
    for warm_up in 0..WARM_UP_STARTS {
        for subject in &subjects {
            start_once(subject, n + warm_up)
                .await
                .with_context(|| format!("{} (warm-up start {})", subject.name, warm_up + 1))?;
        }
    }
    // Interleaved, so that a busy moment of the machine falls on every subject alike.
    let mut samples: Vec<Vec<Sample>> = subjects.iter().map(|_| Vec::new()).collect();
    let mut reads = Vec::new();
    for run in 0..n {
        for (subject, samples) in subjects.iter().zip(&mut samples) {
            tokio::time::sleep(SETTLE).await;
            let sample = start_once(subject, run)
                .await
                .with_context(|| format!("{} (start {})", subject.name, run + 1))?;
            samples.push(sample);
        }
        reads.push(reference_read(stack.table_name(), &link_secret).await?);
    }
    report(&subjects, &samples, n);
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    let column = |pick: fn(&ReferenceReads) -> Duration| {
        median(reads.iter().map(|read| ms(&pick(read))).collect())
    };
    println!(
        "  reference, from this process (medians): the branding's GetItem on a new client's \
         first connection {:.1} ms, then on that open connection {:.1} ms; the request form's \
         BatchGetItem on it {:.1} ms; the link secret's GetSecretValue {:.1} ms, then {:.1} ms",
        column(|read| read.item_new),
        column(|read| read.item_open),
        column(|read| read.batch_open),
        column(|read| read.secret_new),
        column(|read| read.secret_open),
    );
    Ok(())
}

/// The first reads a page makes, each timed on a new connection and again on the open one.
struct ReferenceReads {
    item_new: Duration,
    item_open: Duration,
    /// The request form's first read: the settings and the review types' framework pointers.
    batch_open: Duration,
    secret_new: Duration,
    secret_open: Duration,
}

/// The programme's settings (what a page's branding costs) and the link secret, read with
/// clients built now, as a function's first request makes them, then again on their open
/// connections: the round trips to DynamoDB Local and moto that no page can go below here.
async fn reference_read(table_name: &str, secret_arn: &str) -> anyhow::Result<ReferenceReads> {
    let aws = records::aws::AwsClients::from_environment().await;
    let table = records::store::Table {
        client: aws.dynamodb.clone(),
        name: table_name.to_owned(),
    };
    let item = async || records::programme::get(&table).await.map(drop);
    let mut form_keys = frameworks::pointer_keys();
    form_keys.push(records::programme::key());
    let batch = async || table.batch_get_read(&form_keys, &[], true).await.map(drop);
    let secret = async || {
        let read = aws.secrets.get_secret_value().secret_id(secret_arn);
        read.send().await.map(drop)
    };
    Ok(ReferenceReads {
        item_new: timed(item()).await?,
        item_open: timed(item()).await?,
        batch_open: timed(batch()).await?,
        secret_new: timed(secret()).await?,
        secret_open: timed(secret()).await?,
    })
}

/// How long `read` took, or its error.
async fn timed<E: Into<anyhow::Error>>(
    read: impl Future<Output = Result<(), E>>,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    read.await.map_err(Into::into)?;
    Ok(started.elapsed())
}

/// The event of a function's first invocation: a typical first request for HTTP functions, an
/// empty batch for stream and notification functions, the template's input for schedules, a
/// harmless scan result for the evidence checker.
fn first_event(
    function: &FunctionSpec,
    stack: &LocalStack,
) -> anyhow::Result<Box<dyn Fn(usize) -> Value>> {
    let Some(event) = function.events.first() else {
        bail!("{} has no trigger", function.logical_id);
    };
    Ok(match event {
        EventSpec::Http { .. } => {
            let (method, path, body): (&str, &str, Value) = match function.binary.as_str() {
                "health" => ("GET", "/health", Value::Null),
                "school-pages" => ("GET", "/request", Value::Null),
                "reviewer-pages" => ("GET", "/offers/not-a-real-link", Value::Null),
                "console" => ("GET", "/console", Value::Null),
                "review-requests-api" => ("POST", "/api/v1/review-requests", crate::api_body(0)),
                other => bail!("no first request is chosen for {other}: add one here"),
            };
            let (route, params) = router::find(&stack.routes, method, path)
                .ok_or_else(|| anyhow!("no route for {method} {path}"))?;
            let route: Route = route.clone();
            let (method, path) = (method.to_owned(), path.to_owned());
            Box::new(move |run| http_event(&route, &params, &method, &path, &body, run))
        }
        EventSpec::Schedule { input, .. } => {
            let input = input.clone();
            Box::new(move |_| input.clone())
        }
        EventSpec::DynamoStream { .. } | EventSpec::Sns { .. } | EventSpec::S3 { .. } => {
            Box::new(|_| json!({ "Records": [] }))
        }
        // A scan result for a key that is no evidence: read, then left alone (no AWS call).
        EventSpec::EventBridge {
            sources,
            detail_types,
            ..
        } => {
            let (source, detail_type) = (sources.first().cloned(), detail_types.first().cloned());
            Box::new(move |_| {
                json!({
                    "version": "0", "id": "cold-start", "account": "000000000000",
                    "source": source, "detail-type": detail_type, "region": "eu-west-2",
                    "time": "2027-03-01T09:00:00Z", "resources": [],
                    "detail": {
                        "scanStatus": "COMPLETED", "resourceType": "S3_OBJECT",
                        "s3ObjectDetails": { "bucketName": "cold-start", "objectKey": "not-evidence" },
                        "scanResultDetails": { "scanResultStatus": "NO_THREATS_FOUND" }
                    }
                })
            })
        }
    })
}

fn http_event(
    route: &Route,
    params: &HashMap<String, String>,
    method: &str,
    path: &str,
    body: &Value,
    run: usize,
) -> Value {
    let mut headers = HeaderMap::new();
    headers.insert("user-agent", "bench".parse().expect("valid"));
    let body = if body.is_null() {
        Vec::new()
    } else {
        headers.insert("content-type", "application/json".parse().expect("valid"));
        let key = format!("cold-start-{}-{run}", ulid::Ulid::new());
        headers.insert("idempotency-key", key.parse().expect("valid"));
        body.to_string().into_bytes()
    };
    let incoming = router::Incoming {
        method,
        path,
        query: "",
        headers: &headers,
        body: &body,
        peer: "127.0.0.1:40000".parse().expect("valid"),
    };
    router::api_gateway_event(route, params, &incoming, &ulid::Ulid::new().to_string())
}

/// What the Runtime API saw of one start.
#[derive(Default)]
struct Observed {
    event: Vec<u8>,
    /// When the first `next` arrived (and the event was handed over).
    first_next: Option<Instant>,
    /// When the response (or error) arrived.
    outcome: Option<Result<Instant, String>>,
    /// The response's body (for an HTTP function, the status code and page it answered).
    response: Vec<u8>,
}

async fn start_once(subject: &Subject, run: usize) -> anyhow::Result<Sample> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let observed = Arc::new(Mutex::new(Observed {
        event: serde_json::to_vec(&(subject.event)(run))?,
        ..Observed::default()
    }));
    let finished = Arc::new(Notify::new());
    let server = tokio::spawn(runtime_api(listener, observed.clone(), finished.clone()));

    // (COLD_START_LOG=FILTER: the functions' logs, at that level, to look at a start.)
    let log_filter = std::env::var("COLD_START_LOG").ok();
    let logs = || {
        if log_filter.is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        }
    };
    let mut command = tokio::process::Command::new(&subject.binary);
    command
        .env_clear()
        .envs(lambda_environment(&subject.name, &address.to_string()))
        .envs(&subject.variables)
        .envs(log_filter.iter().map(|filter| ("RUST_LOG", filter)))
        .stdin(Stdio::null())
        .stdout(logs())
        .stderr(logs())
        .kill_on_drop(true);
    let started = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {}", subject.binary.display()))?;
    let pid = child.id().ok_or_else(|| anyhow!("the process has no id"))?;
    let waited = tokio::time::timeout(Duration::from_secs(60), finished.notified()).await;
    let peak_rss_kib = peak_rss_kib(pid).unwrap_or(0);
    let _ = child.kill().await;
    server.abort();
    if waited.is_err() {
        bail!("no response within 60 s");
    }
    let observed = observed.lock().expect("not poisoned");
    let first_next = observed
        .first_next
        .ok_or_else(|| anyhow!("never asked for an event"))?;
    let responded = match &observed.outcome {
        Some(Ok(at)) => *at,
        Some(Err(error)) => bail!("{error}"),
        None => bail!("no outcome"),
    };
    // A start that answered a 5xx measured an error path, not the function: the figures
    // would flatter it.
    if let Ok(answer) = serde_json::from_slice::<Value>(&observed.response)
        && let Some(status) = answer["statusCode"].as_u64()
        && status >= 500
    {
        bail!("the first invocation answered {status}: {}", answer["body"]);
    }
    Ok(Sample {
        init: first_next - started,
        first_invocation: responded - first_next,
        peak_rss_kib,
    })
}

/// The variables Lambda itself sets, and the AWS ones of this process (region, the dummy
/// credentials and the local endpoints) standing in for the execution role's.
fn lambda_environment(name: &str, runtime_api: &str) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = std::env::vars()
        .filter(|(name, _)| {
            name.starts_with("AWS_ENDPOINT_URL")
                || matches!(
                    name.as_str(),
                    "AWS_REGION"
                        | "AWS_DEFAULT_REGION"
                        | "AWS_ACCESS_KEY_ID"
                        | "AWS_SECRET_ACCESS_KEY"
                )
        })
        .collect();
    let function_name = name.split(' ').next().unwrap_or(name);
    for (name, value) in [
        ("AWS_LAMBDA_RUNTIME_API", runtime_api),
        ("AWS_LAMBDA_FUNCTION_NAME", function_name),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "cold-start"),
        ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023"),
        ("LAMBDA_TASK_ROOT", "/var/task"),
        ("TZ", ":UTC"),
    ] {
        vars.push((name.to_owned(), value.to_owned()));
    }
    // Lambda's AL2023 keeps the trusted CA certificates in one bundle file (its certificate
    // directory holds that bundle and its trust variant); Debian adds a directory of a link
    // per certificate, which the SDK's TLS setup reads file by file on top of the bundle. The
    // machine's bundle alone stands in for AL2023's.
    if std::path::Path::new(DEBIAN_CA_BUNDLE).is_file() {
        vars.push(("SSL_CERT_FILE".to_owned(), DEBIAN_CA_BUNDLE.to_owned()));
    }
    vars
}

const DEBIAN_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// The peak resident set size of a live process, from /proc (Linux).
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The Lambda Runtime API for one start: the first `next` gets the event, later ones wait
/// (until this server is aborted, as Lambda freezes the environment).
async fn runtime_api(
    listener: tokio::net::TcpListener,
    observed: Arc<Mutex<Observed>>,
    finished: Arc<Notify>,
) {
    let mut connections = JoinSet::new();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (observed, finished) = (observed.clone(), finished.clone());
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let (observed, finished) = (observed.clone(), finished.clone());
                async move { Ok::<_, Infallible>(answer(request, &observed, &finished).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn answer(
    request: hyper::Request<Incoming>,
    observed: &Mutex<Observed>,
    finished: &Notify,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let path = parts.uri.path();
    let Some(action) = path.strip_prefix("/2018-06-01/runtime/") else {
        return plain(404, "not a Runtime API path");
    };
    if parts.method == hyper::Method::GET && action == "invocation/next" {
        let event = {
            let mut observed = observed.lock().expect("not poisoned");
            if observed.first_next.is_some() {
                None
            } else {
                observed.first_next = Some(Instant::now());
                Some(observed.event.clone())
            }
        };
        let Some(event) = event else {
            // A second `next`: Lambda would freeze the process here.
            std::future::pending::<()>().await;
            unreachable!();
        };
        let deadline = time::OffsetDateTime::now_utc().unix_timestamp() * 1000 + 60_000;
        return hyper::Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .header(
                "lambda-runtime-aws-request-id",
                ulid::Ulid::new().to_string(),
            )
            .header("lambda-runtime-deadline-ms", deadline.to_string())
            .header(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:eu-west-2:123456789012:function:bench",
            )
            .header(
                "lambda-runtime-trace-id",
                "Root=1-00000000-000000000000000000000000;Sampled=0",
            )
            .body(Full::new(Bytes::from(event)))
            .expect("a valid response");
    }
    let outcome = if action == "init/error" {
        Err(format!("init error: {}", String::from_utf8_lossy(&body)))
    } else if action.ends_with("/response") {
        observed.lock().expect("not poisoned").response = body.to_vec();
        Ok(Instant::now())
    } else if action.ends_with("/error") {
        Err(format!(
            "invocation error: {}",
            String::from_utf8_lossy(&body)
        ))
    } else {
        return plain(404, "unknown Runtime API action");
    };
    observed.lock().expect("not poisoned").outcome = Some(outcome);
    finished.notify_one();
    plain(202, r#"{"status":"OK"}"#)
}

fn plain(status: u16, body: &'static str) -> hyper::Response<Full<Bytes>> {
    hyper::Response::builder()
        .status(status)
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .expect("a valid response")
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn report(subjects: &[Subject], samples: &[Vec<Sample>], n: usize) {
    let ms = |d: &Duration| d.as_secs_f64() * 1000.0;
    let figures: Vec<(f64, f64, f64, f64)> = samples
        .iter()
        .map(|samples| {
            let init = median(samples.iter().map(|s| ms(&s.init)).collect());
            let first = median(samples.iter().map(|s| ms(&s.first_invocation)).collect());
            let both = median(
                samples
                    .iter()
                    .map(|s| ms(&s.init) + ms(&s.first_invocation))
                    .collect(),
            );
            let rss = median(
                samples
                    .iter()
                    .map(|s| s.peak_rss_kib as f64 / 1024.0)
                    .collect(),
            );
            (init, first, both, rss)
        })
        .collect();
    let (floor_init, _, floor_both, _) = figures[0];
    println!(
        "cold start: {n} fresh starts of each optimised binary (benchmark profile), through a local \
         Lambda Runtime API, interleaved; medians; AWS endpoints are DynamoDB Local and moto"
    );
    println!(
        "  {:<24} {:>9} {:>11} {:>12} {:>9}   {:>10} {:>16}",
        "function",
        "init ms",
        "first ms",
        "init+first",
        "peak MiB",
        "init/floor",
        "init+first/floor"
    );
    let mut misses = Vec::new();
    for (subject, (init, first, both, rss)) in subjects.iter().zip(&figures) {
        let init_ratio = init / floor_init;
        let both_ratio = both / floor_both;
        println!(
            "  {:<24} {:>9.1} {:>11.1} {:>12.1} {:>9.1}   {:>9.2}x {:>15.2}x{}",
            subject.name,
            init,
            first,
            both,
            rss,
            init_ratio,
            both_ratio,
            if subject.is_page { "  (page)" } else { "" }
        );
        if subject.name == FLOOR {
            continue;
        }
        if init_ratio > TARGET_INIT {
            misses.push(format!(
                "{}: init {init_ratio:.2}x > {TARGET_INIT}x",
                subject.name
            ));
        }
        if subject.is_page && both_ratio > TARGET_PAGE_FIRST_RESPONSE {
            misses.push(format!(
                "{}: init+first {both_ratio:.2}x > {TARGET_PAGE_FIRST_RESPONSE}x",
                subject.name
            ));
        }
    }
    println!(
        "  targets: every init <= {TARGET_INIT}x the floor's; page functions' init+first <= \
         {TARGET_PAGE_FIRST_RESPONSE}x the floor's"
    );
    if misses.is_empty() {
        println!("  all targets met");
    } else {
        for miss in misses {
            println!("  MISSED {miss}");
        }
    }
}
