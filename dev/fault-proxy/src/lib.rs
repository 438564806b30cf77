//! A fault-injecting HTTP proxy for the local stack (development and tests only).
//!
//! It stands in front of DynamoDB Local or moto and forwards every call, except a chosen
//! fraction that fail the ways AWS calls fail in production: a throttling error, a 500, a call
//! that hangs and then loses its connection, a connection reset before the call reaches the
//! service, and the hardest one, a reset *after* the service applied the call (the write is
//! stored but its caller never hears so, and retries it).
//!
//! The product's clients are pointed at the proxy by endpoint URL only, like any local
//! endpoint. Faults are drawn from a seeded generator, so a failing run can be replayed with
//! its seed; every fault is counted, by kind, for the test to print.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// How the service behind the proxy writes its errors, so the SDK reads an injected one as it
/// would a real one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// DynamoDB: JSON 1.0 with `__type`.
    AwsJson,
    /// S3: REST XML `<Error><Code>`.
    RestXml,
    /// SES, Secrets Manager's older cousins: `<ErrorResponse><Error><Code>`.
    AwsQuery,
}

/// One way a call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fault {
    /// The service's throttling error (the SDK backs off and retries).
    Throttle,
    /// An internal server error, 500.
    ServerError,
    /// The call hangs for a while, then the connection drops; the service never saw it.
    Timeout,
    /// The connection drops before the call reaches the service.
    ResetBeforeForward,
    /// The service applies the call, then the connection drops before the answer.
    ResetAfterForward,
}

impl Fault {
    pub const ALL: [Fault; 5] = [
        Fault::Throttle,
        Fault::ServerError,
        Fault::Timeout,
        Fault::ResetBeforeForward,
        Fault::ResetAfterForward,
    ];
}

/// What to inject.
#[derive(Debug, Clone)]
pub struct Faults {
    /// The fraction of calls that fail (0.0 to 1.0).
    pub rate: f64,
    /// The kinds drawn from, equally likely.
    pub kinds: Vec<Fault>,
    /// The seed of the generator: the same seed and the same calls give the same faults.
    pub seed: u64,
    /// How long a [`Fault::Timeout`] hangs before dropping the connection.
    pub stall: Duration,
}

impl Faults {
    /// Every kind of fault at `rate`.
    pub fn every_kind(rate: f64, seed: u64) -> Self {
        Self {
            rate,
            kinds: Fault::ALL.to_vec(),
            seed,
            stall: Duration::from_millis(200),
        }
    }

    /// No fault: a plain proxy.
    pub fn none() -> Self {
        Self {
            rate: 0.0,
            kinds: Vec::new(),
            seed: 0,
            stall: Duration::ZERO,
        }
    }
}

/// What the proxy did: calls forwarded cleanly and faults injected, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub forwarded: u64,
    pub faults: BTreeMap<Fault, u64>,
}

impl Counts {
    pub fn total_faults(&self) -> u64 {
        self.faults.values().sum()
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} calls forwarded, {} faults",
            self.forwarded,
            self.total_faults()
        )?;
        for (fault, count) in &self.faults {
            write!(f, ", {fault:?} {count}")?;
        }
        Ok(())
    }
}

/// Where calls go: one service, or the whole local stack, told apart by each call's shape.
#[derive(Debug, Clone)]
pub enum Upstream {
    /// Every call to one service.
    One { url: String, dialect: Dialect },
    /// DynamoDB's calls (`X-Amz-Target: DynamoDB_...`) to DynamoDB Local, the rest to moto
    /// (S3, SES, Secrets Manager), each answered in its own dialect when failed.
    LocalStack { dynamodb: String, moto: String },
}

impl Upstream {
    fn route(&self, headers: &hyper::HeaderMap, body: &[u8]) -> (&str, Dialect) {
        match self {
            Upstream::One { url, dialect } => (url, *dialect),
            Upstream::LocalStack { dynamodb, moto } => {
                let target = headers
                    .get("x-amz-target")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("");
                if target.starts_with("DynamoDB") {
                    (dynamodb, Dialect::AwsJson)
                } else if !target.is_empty() {
                    (moto, Dialect::AwsJson)
                } else if body.starts_with(b"Action=") || body.windows(8).any(|w| w == b"&Action=")
                {
                    (moto, Dialect::AwsQuery)
                } else {
                    (moto, Dialect::RestXml)
                }
            }
        }
    }
}

struct Shared {
    upstream: Upstream,
    client: reqwest::Client,
    faults: Mutex<(Faults, StdRng)>,
    counts: Mutex<Counts>,
}

/// A running proxy; it stops when dropped.
pub struct FaultProxy {
    address: SocketAddr,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl FaultProxy {
    /// Listens on a free local port and forwards to `upstream` (e.g. `http://127.0.0.1:8000`).
    pub async fn start(upstream: &str, dialect: Dialect, faults: Faults) -> anyhow::Result<Self> {
        let url = upstream.trim_end_matches('/').to_owned();
        Self::start_routing(Upstream::One { url, dialect }, faults).await
    }

    /// Listens on a free local port and forwards each call where `upstream` routes it.
    pub async fn start_routing(upstream: Upstream, faults: Faults) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let rng = StdRng::seed_from_u64(faults.seed);
        let shared = Arc::new(Shared {
            upstream,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            faults: Mutex::new((faults, rng)),
            counts: Mutex::new(Counts::default()),
        });
        let serving = shared.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let shared = serving.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| handle(shared.clone(), request));
                    // A connection ended by a fault is the point, not an error worth a log.
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self {
            address,
            shared,
            task,
        })
    }

    /// The proxy's endpoint URL, to give the SDK instead of the service's.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn counts(&self) -> Counts {
        self.shared.counts.lock().expect("not poisoned").clone()
    }

    /// Changes what is injected from now on (e.g. none while a test checks what is stored).
    pub fn set_faults(&self, faults: Faults) {
        let rng = StdRng::seed_from_u64(faults.seed);
        *self.shared.faults.lock().expect("not poisoned") = (faults, rng);
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The error a dropped connection becomes: hyper closes the connection without an answer.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by the fault proxy")
    }
}

impl std::error::Error for Dropped {}

fn draw(shared: &Shared) -> Option<(Fault, Duration)> {
    let mut guard = shared.faults.lock().expect("not poisoned");
    let (faults, rng) = &mut *guard;
    if faults.kinds.is_empty() || !rng.random_bool(faults.rate.clamp(0.0, 1.0)) {
        return None;
    }
    let kind = faults.kinds[rng.random_range(0..faults.kinds.len())];
    Some((kind, faults.stall))
}

fn count(shared: &Shared, fault: Option<Fault>) {
    let mut counts = shared.counts.lock().expect("not poisoned");
    match fault {
        Some(fault) => *counts.faults.entry(fault).or_default() += 1,
        None => counts.forwarded += 1,
    }
}

async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let (parts, body) = request.into_parts();
    let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
        return Err(Dropped);
    };
    let (upstream, dialect) = shared.upstream.route(&parts.headers, &body);
    let fault = draw(&shared);
    count(&shared, fault.map(|(kind, _)| kind));
    match fault {
        Some((Fault::Throttle, _)) => return Ok(error_response(dialect, true)),
        Some((Fault::ServerError, _)) => return Ok(error_response(dialect, false)),
        Some((Fault::Timeout, stall)) => {
            tokio::time::sleep(stall).await;
            return Err(Dropped);
        }
        Some((Fault::ResetBeforeForward, _)) => return Err(Dropped),
        Some((Fault::ResetAfterForward, _)) | None => {}
    }
    let answer = forward(&shared.client, upstream, parts, body).await;
    if matches!(fault, Some((Fault::ResetAfterForward, _))) {
        return Err(Dropped);
    }
    Ok(answer.unwrap_or_else(|error| {
        tracing::warn!(%error, "the service behind the fault proxy did not answer");
        plain(
            StatusCode::BAD_GATEWAY,
            "the service behind the proxy did not answer",
        )
    }))
}

async fn forward(
    client: &reqwest::Client,
    upstream: &str,
    parts: hyper::http::request::Parts,
    body: Bytes,
) -> anyhow::Result<Response<Full<Bytes>>> {
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes())?;
    let mut outgoing = client.request(method, format!("{upstream}{path}"));
    for (name, value) in &parts.headers {
        // The signature covers the host the SDK was given; moto and DynamoDB Local do not
        // check it, and reqwest sets Host for the upstream itself.
        if name != hyper::header::HOST && name != hyper::header::CONTENT_LENGTH {
            outgoing = outgoing.header(name.as_str(), value.as_bytes());
        }
    }
    let answer = outgoing.body(body).send().await?;
    let mut response = Response::builder().status(answer.status().as_u16());
    for (name, value) in answer.headers() {
        if name != reqwest::header::CONTENT_LENGTH && name != reqwest::header::TRANSFER_ENCODING {
            response = response.header(name.as_str(), value.as_bytes());
        }
    }
    let bytes = answer.bytes().await?;
    Ok(response.body(Full::new(bytes))?)
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response
}

/// The service's own throttling or internal error, as its SDK expects to read it.
fn error_response(dialect: Dialect, throttle: bool) -> Response<Full<Bytes>> {
    let (status, code) = match (dialect, throttle) {
        (Dialect::AwsJson, true) => (StatusCode::BAD_REQUEST, "ThrottlingException"),
        (Dialect::AwsJson, false) => (StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError"),
        (Dialect::RestXml, true) => (StatusCode::SERVICE_UNAVAILABLE, "SlowDown"),
        (Dialect::RestXml, false) => (StatusCode::INTERNAL_SERVER_ERROR, "InternalError"),
        (Dialect::AwsQuery, true) => (StatusCode::BAD_REQUEST, "Throttling"),
        (Dialect::AwsQuery, false) => (StatusCode::INTERNAL_SERVER_ERROR, "InternalFailure"),
    };
    let message = "injected by the fault proxy";
    let (content_type, body) = match dialect {
        Dialect::AwsJson => (
            "application/x-amz-json-1.0",
            format!(
                r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{code}","message":"{message}"}}"#
            ),
        ),
        Dialect::RestXml => (
            "application/xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
            ),
        ),
        Dialect::AwsQuery => (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>{}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>",
                if throttle { "Sender" } else { "Receiver" }
            ),
        ),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    response
}

#[cfg(test)]
mod tests;
