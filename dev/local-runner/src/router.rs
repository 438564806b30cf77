//! Serves the template's HTTP API routes as API Gateway (HTTP API, payload 2.0) would: match
//! the route, build the v2 event, let `lambda_http` turn it into the request the function's
//! handler receives, and write the handler's response back as API Gateway does.

use std::collections::HashMap;
use std::net::SocketAddr;

use base64::Engine;
use lambda_http::Body;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::functions::HttpHandler;
use crate::invoke;

/// API Gateway's payload limit.
pub const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

#[derive(Clone)]
pub struct Route {
    pub function: String,
    pub method: String,
    pub path: String,
    segments: Vec<Segment>,
    pub handler: HttpHandler,
}

#[derive(Clone, Debug, PartialEq)]
enum Segment {
    Literal(String),
    Param(String),
    Greedy(String),
}

impl Route {
    pub fn new(function: &str, method: &str, path: &str, handler: HttpHandler) -> Self {
        let segments = path
            .trim_start_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(name) => match name.strip_suffix('+') {
                        Some(greedy) => Segment::Greedy(greedy.to_owned()),
                        None => Segment::Param(name.to_owned()),
                    },
                    None => Segment::Literal(s.to_owned()),
                },
            )
            .collect();
        Self {
            function: function.to_owned(),
            method: method.to_uppercase(),
            path: path.to_owned(),
            segments,
            handler,
        }
    }

    pub fn route_key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    fn matches(&self, method: &str, path: &str) -> Option<HashMap<String, String>> {
        if self.method != "ANY" && self.method != method {
            return None;
        }
        let parts: Vec<&str> = path
            .trim_start_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        let mut params = HashMap::new();
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Literal(literal) => {
                    if parts.get(i) != Some(&literal.as_str()) {
                        return None;
                    }
                }
                Segment::Param(name) => {
                    let value = parts.get(i)?;
                    params.insert(name.clone(), decode(value));
                }
                Segment::Greedy(name) => {
                    if i >= parts.len() {
                        return None;
                    }
                    params.insert(name.clone(), decode(&parts[i..].join("/")));
                    return Some(params);
                }
            }
        }
        (parts.len() == self.segments.len()).then_some(params)
    }

    /// API Gateway prefers the most specific route: more literal segments, no greedy
    /// segment, an exact method over ANY.
    fn specificity(&self) -> (usize, bool, bool) {
        let literals = self
            .segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count();
        let greedy = self
            .segments
            .iter()
            .any(|s| matches!(s, Segment::Greedy(_)));
        (literals, !greedy, self.method != "ANY")
    }
}

fn decode(value: &str) -> String {
    percent_encoding::percent_decode_str(value)
        .decode_utf8_lossy()
        .into_owned()
}

pub fn find<'a>(
    routes: &'a [Route],
    method: &str,
    path: &str,
) -> Option<(&'a Route, HashMap<String, String>)> {
    routes
        .iter()
        .filter_map(|route| route.matches(method, path).map(|params| (route, params)))
        .max_by_key(|(route, _)| route.specificity())
}

/// An incoming HTTP request, as the runner received it.
pub struct Incoming<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub headers: &'a lambda_http::http::HeaderMap,
    pub body: &'a [u8],
    pub peer: SocketAddr,
}

/// The API Gateway HTTP API (payload format 2.0) event for `incoming` on `route`.
pub fn api_gateway_event(
    route: &Route,
    params: &HashMap<String, String>,
    incoming: &Incoming<'_>,
    request_id: &str,
) -> Value {
    let mut headers = serde_json::Map::new();
    let mut cookies = Vec::new();
    for (name, value) in incoming.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == "cookie" {
            cookies.extend(
                value
                    .split(';')
                    .map(|c| c.trim().to_owned())
                    .filter(|c| !c.is_empty()),
            );
            continue;
        }
        // Repeated headers arrive comma-joined in payload 2.0.
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|existing| {
                *existing = Value::String(format!(
                    "{},{}",
                    existing.as_str().unwrap_or_default(),
                    value
                ))
            })
            .or_insert(Value::String(value));
    }
    headers.insert(
        "x-forwarded-for".into(),
        json!(incoming.peer.ip().to_string()),
    );
    headers.insert("x-forwarded-proto".into(), json!("http"));
    headers.insert(
        "x-forwarded-port".into(),
        json!(incoming.peer.port().to_string()),
    );

    let mut query = serde_json::Map::new();
    for (key, value) in form_urlencoded::parse(incoming.query.as_bytes()) {
        query
            .entry(key.into_owned())
            .and_modify(|existing| {
                *existing = Value::String(format!(
                    "{},{}",
                    existing.as_str().unwrap_or_default(),
                    value
                ))
            })
            .or_insert(Value::String(value.into_owned()));
    }

    let content_type = incoming
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let (body, is_base64) = match std::str::from_utf8(incoming.body) {
        Ok(text) if is_text(content_type) => (text.to_owned(), false),
        _ => (
            base64::engine::general_purpose::STANDARD.encode(incoming.body),
            true,
        ),
    };
    let now = OffsetDateTime::now_utc();
    let user_agent = incoming
        .headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let host = incoming
        .headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    let mut event = json!({
        "version": "2.0",
        "routeKey": route.route_key(),
        "rawPath": incoming.path,
        "rawQueryString": incoming.query,
        "headers": headers,
        "requestContext": {
            "accountId": crate::intrinsics::ACCOUNT_ID,
            "apiId": "local",
            "domainName": host,
            "domainPrefix": host.split('.').next().unwrap_or(host),
            "http": {
                "method": incoming.method,
                "path": incoming.path,
                "protocol": "HTTP/1.1",
                "sourceIp": incoming.peer.ip().to_string(),
                "userAgent": user_agent,
            },
            "requestId": request_id,
            "routeKey": route.route_key(),
            "stage": "$default",
            "time": now.format(&time::format_description::well_known::Rfc2822).unwrap_or_default(),
            "timeEpoch": (now.unix_timestamp_nanos() / 1_000_000) as i64,
        },
        "isBase64Encoded": is_base64,
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if !query.is_empty() {
        event["queryStringParameters"] = Value::Object(query);
    }
    if !params.is_empty() {
        event["pathParameters"] = json!(params);
    }
    if !incoming.body.is_empty() {
        event["body"] = json!(body);
    }
    event
}

/// API Gateway passes text bodies through and base64-encodes the rest.
fn is_text(content_type: &str) -> bool {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    media.starts_with("text/")
        || media == "application/json"
        || media == "application/x-www-form-urlencoded"
        || media == "application/xml"
        || media.ends_with("+json")
        || media.ends_with("+xml")
}

/// Calls the route's function with the v2 event and returns its response.
pub async fn dispatch(
    route: &Route,
    params: &HashMap<String, String>,
    incoming: &Incoming<'_>,
) -> lambda_http::Response<Body> {
    let request_id = invoke::new_request_id();
    let event = api_gateway_event(route, params, incoming, &request_id);
    let request = match lambda_http::request::from_str(&event.to_string()) {
        Ok(request) => request,
        Err(error) => {
            tracing::error!(%error, "could not build the API Gateway request");
            return internal_error();
        }
    };
    let started = std::time::Instant::now();
    let response = invoke::http(&route.function, &route.handler, &request_id, request).await;
    // The route key, not the raw path: paths can hold private tokens.
    tracing::info!(
        requestId = %request_id,
        route = %route.route_key(),
        status = response.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

pub fn internal_error() -> lambda_http::Response<Body> {
    let mut response =
        lambda_http::Response::new(Body::Text(r#"{"message":"Internal Server Error"}"#.into()));
    *response.status_mut() = lambda_http::http::StatusCode::INTERNAL_SERVER_ERROR;
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn route(method: &str, path: &str) -> Route {
        let handler: HttpHandler = Arc::new(|_| Box::pin(async { internal_error() }));
        Route::new("F", method, path, handler)
    }

    #[test]
    fn matches_literals_params_and_greedy_paths_most_specific_first() {
        let routes = vec![
            route("GET", "/status/{token}"),
            route("GET", "/status/help"),
            route("ANY", "/files/{proxy+}"),
            route("POST", "/request"),
        ];
        let (r, p) = find(&routes, "GET", "/status/abc").unwrap();
        assert_eq!(
            (r.path.as_str(), p["token"].as_str()),
            ("/status/{token}", "abc")
        );
        assert_eq!(
            find(&routes, "GET", "/status/help").unwrap().0.path,
            "/status/help"
        );
        assert_eq!(
            find(&routes, "PUT", "/files/a/b%20c").unwrap().1["proxy"],
            "a/b c"
        );
        assert!(find(&routes, "GET", "/request").is_none());
        assert!(find(&routes, "GET", "/status").is_none());
        assert!(find(&routes, "GET", "/status/a/b").is_none());
    }
}
