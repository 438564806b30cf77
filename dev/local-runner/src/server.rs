//! The HTTP listener: `/_dev/...` pages of the runner itself, everything else per the template.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_http::Body;

mod dev_pages;

use crate::router::{self, Route};
use crate::schedules::Schedule;

pub struct State {
    pub routes: Vec<Route>,
    pub exchanges: Option<ExchangeLog>,
    pub schedules: HashMap<String, Schedule>,
    pub moto_url: String,
    /// The stack's table, for the demo data pages.
    pub table: records::store::Table,
    /// moto's configuration and the staff pool's id (when the template has one), for adding
    /// a staff member on demand (`POST /_dev/staff`).
    pub sdk_config: aws_config::SdkConfig,
    pub staff_pool_id: Option<String>,
    /// The site's own address and the school pages' link secret, for confirming a request
    /// through its status page (`POST /_dev/requests/<reference>/confirm`).
    pub site_url: String,
    pub links: Option<records::links::LazyLinkSecret>,
}

/// One request a template route answered, as a load run checks it afterwards (`bench load`).
#[derive(Debug, Clone)]
pub struct Exchange {
    pub route_key: String,
    pub status: u16,
    pub request_body: Bytes,
    pub location: Option<String>,
}

/// Where the router records every [`Exchange`], when asked to ([`crate::StackConfig`]).
pub type ExchangeLog = Arc<std::sync::Mutex<Vec<Exchange>>>;

pub async fn serve(listener: tokio::net::TcpListener, state: Arc<State>) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let state = state.clone();
                async move { Ok::<_, std::convert::Infallible>(handle(&state, request, peer).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(
    state: &State,
    request: hyper::Request<Incoming>,
    peer: SocketAddr,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, router::MAX_BODY_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => {
            return plain(
                413,
                "application/json",
                r#"{"message":"Request Entity Too Large"}"#.into(),
            );
        }
    };
    let path = parts.uri.path();
    let method = parts.method.as_str();
    if path == "/_dev" || path.starts_with("/_dev/") {
        let query = parts.uri.query().unwrap_or_default();
        return dev_pages::handle(state, method, path, query, &body).await;
    }
    let Some((route, params)) = router::find(&state.routes, method, path) else {
        return plain(404, "application/json", r#"{"message":"Not Found"}"#.into());
    };
    let incoming = router::Incoming {
        method,
        path,
        query: parts.uri.query().unwrap_or_default(),
        headers: &parts.headers,
        body: &body,
        peer,
    };
    let response = router::dispatch(route, &params, &incoming).await;
    if let Some(log) = &state.exchanges {
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        log.lock().expect("not poisoned").push(Exchange {
            route_key: route.route_key(),
            status: response.status().as_u16(),
            request_body: body.clone(),
            location,
        });
    }
    to_hyper(response)
}

/// Writes a handler's response as API Gateway does (payload 2.0: status, headers, cookies,
/// base64 bodies decoded).
fn to_hyper(response: lambda_http::Response<Body>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Text(text) => Bytes::from(text),
        Body::Binary(bytes) => Bytes::from(bytes),
        _ => Bytes::new(),
    };
    let mut out = hyper::Response::new(Full::new(bytes));
    *out.status_mut() = parts.status;
    *out.headers_mut() = parts.headers;
    out
}

pub fn plain(status: u16, content_type: &str, body: String) -> hyper::Response<Full<Bytes>> {
    hyper::Response::builder()
        .status(status)
        .header("content-type", content_type)
        .header("cache-control", "no-store")
        .body(Full::new(Bytes::from(body)))
        .expect("a valid response")
}
