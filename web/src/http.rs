//! Building responses the same way in every HTTP function: pages, redirects, JSON and
//! RFC 9457 problem details, each with the security headers a public site needs.

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;

pub use crate::multipart::Part;

/// Pages hold private links and personal data: never cached, never leaked through Referer,
/// never framed, no script unless a page opts in later.
const PAGE_SECURITY_HEADERS: [(&str, &str); 5] = [
    (
        "content-security-policy",
        "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
         form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cache-control", "no-store"),
    ("x-frame-options", "DENY"),
];

/// Every answer, whatever its type: browsers keep to HTTPS for this site for two years.
pub const STRICT_TRANSPORT_SECURITY: (&str, &str) = (
    "strict-transport-security",
    "max-age=63072000; includeSubDomains",
);

fn with_headers(
    status: StatusCode,
    content_type: &'static str,
    body: Body,
    extra: &[(&str, &str)],
) -> Response<Body> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    for (name, value) in extra.iter().chain([&STRICT_TRANSPORT_SECURITY]) {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(name, value);
        }
    }
    response
}

pub fn html(status: StatusCode, body: String) -> Response<Body> {
    with_headers(
        status,
        "text/html; charset=utf-8",
        Body::Text(body),
        &PAGE_SECURITY_HEADERS,
    )
}

/// A rendered page, or (a template bug, never bad input) a plain 500 that is logged.
pub fn page(status: StatusCode, rendered: askama::Result<String>) -> Response<Body> {
    match rendered {
        Ok(body) => html(status, body),
        Err(error) => {
            tracing::error!(%error, "a page failed to render");
            text(
                StatusCode::INTERNAL_SERVER_ERROR,
                "text/plain; charset=utf-8",
                "Sorry, there is a problem with the service.".into(),
            )
        }
    }
}

/// A page that runs one inline script (progressive enhancement: the page works without it).
/// Its CSP allows exactly that script, by its SHA-256, and requests back to the site.
pub fn page_with_script(
    status: StatusCode,
    rendered: askama::Result<String>,
    script: &str,
) -> Response<Body> {
    page_with_policy(status, rendered, None, Some(script))
}

/// A page with a form that posts to `origin` as well as to the site itself (an upload straight
/// to S3), and one inline script: its `form-action` allows that one origin more.
pub fn page_posting_to_with_script(
    status: StatusCode,
    rendered: askama::Result<String>,
    origin: &str,
    script: &str,
) -> Response<Body> {
    page_with_policy(status, rendered, Some(origin), Some(script))
}

fn page_with_policy(
    status: StatusCode,
    rendered: askama::Result<String>,
    form_origin: Option<&str>,
    script: Option<&str>,
) -> Response<Body> {
    use base64::Engine;
    use sha2::Digest;
    let mut response = page(status, rendered);
    if response.status() != status {
        return response;
    }
    let mut policy = PAGE_SECURITY_HEADERS[0].1.to_owned();
    // Only an origin made of URL characters goes into the header.
    if let Some(origin) = form_origin.filter(|origin| {
        origin
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b":/.-[]".contains(&b))
    }) {
        policy = policy.replace(
            "form-action 'self'",
            &format!("form-action 'self' {origin}"),
        );
    }
    if let Some(script) = script {
        let hash = base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(script));
        policy = policy.replace(
            "default-src 'none';",
            &format!("default-src 'none'; script-src 'sha256-{hash}'; connect-src 'self';"),
        );
    }
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert("content-security-policy", value);
    }
    response
}

/// `response` with its page CSP letting images load from the programme's logo origin too
/// (a white-label logo is usually hosted elsewhere); answers without a CSP are left as they are.
pub fn allowing_logo(
    mut response: Response<Body>,
    branding: &records::branding::Branding,
) -> Response<Body> {
    let Some(origin) = branding.logo_origin() else {
        return response;
    };
    let headers = response.headers_mut();
    let widened = headers
        .get("content-security-policy")
        .and_then(|policy| policy.to_str().ok())
        .map(|policy| {
            policy.replace(
                "img-src 'self' data:",
                &format!("img-src 'self' data: {origin}"),
            )
        })
        .and_then(|policy| HeaderValue::from_str(&policy).ok());
    if let Some(policy) = widened {
        headers.insert("content-security-policy", policy);
    }
    response
}

pub fn text(status: StatusCode, content_type: &'static str, body: String) -> Response<Body> {
    with_headers(
        status,
        content_type,
        Body::Text(body),
        &[("x-content-type-options", "nosniff")],
    )
}

/// 303 See Other: the answer to a successful form POST (Post/Redirect/Get).
pub fn see_other(location: &str) -> Response<Body> {
    let mut response = with_headers(
        StatusCode::SEE_OTHER,
        "text/plain; charset=utf-8",
        Body::Empty,
        &[("cache-control", "no-store")],
    );
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    let body = serde_json::to_string(value).unwrap_or_else(|_| "{}".to_owned());
    with_headers(
        status,
        "application/json",
        Body::Text(body),
        &[
            ("cache-control", "no-store"),
            ("x-content-type-options", "nosniff"),
        ],
    )
}

/// One field's problem in a request body: `field` is the JSON pointer-ish name of the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// An RFC 9457 problem details document.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

impl Problem {
    pub fn new(
        status: StatusCode,
        type_slug: &str,
        title: &str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            type_uri: format!("https://send-review.example/problems/{type_slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub fn with_errors(mut self, errors: Vec<FieldProblem>) -> Self {
        self.errors = errors;
        self
    }

    pub fn into_response(self) -> Response<Body> {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let body = serde_json::to_string(&self).unwrap_or_default();
        with_headers(
            status,
            "application/problem+json",
            Body::Text(body),
            &[
                ("cache-control", "no-store"),
                ("x-content-type-options", "nosniff"),
            ],
        )
    }
}

/// The request body as bytes, whatever shape API Gateway delivered it in.
pub fn body_bytes(body: &Body) -> &[u8] {
    match body {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

/// Whether the client asked for JSON (a page's script saving in the background) rather than
/// a page.
pub fn wants_json(request: &Request) -> bool {
    request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// Why a posted web form could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormError {
    /// Not `application/x-www-form-urlencoded`.
    NotAForm,
    TooLarge,
    NotUtf8,
    /// Damaged, or not the fields the page sends.
    Malformed,
}

/// A posted URL-encoded form of at most `max_bytes`, deserialised into `T`.
pub fn read_form<T: serde::de::DeserializeOwned>(
    request: &Request,
    max_bytes: usize,
) -> Result<T, FormError> {
    read_form_with_files(request, max_bytes, false).map(|(form, _)| form)
}

/// A posted form of at most `max_bytes` that may carry files (when `files` is true): URL-encoded
/// (no files), or multipart, its plain fields deserialised into `T` beside its files (each part
/// with a file name, an empty one when the input was left empty).
pub fn read_form_with_files<T: serde::de::DeserializeOwned>(
    request: &Request,
    max_bytes: usize,
    files: bool,
) -> Result<(T, Vec<Part>), FormError> {
    let body = body_bytes(request.body());
    if body.len() > max_bytes {
        return Err(FormError::TooLarge);
    }
    let content_type = content_type(request);
    if let Some(boundary) = crate::multipart::boundary(&content_type).filter(|_| files) {
        let parts = boundary
            .and_then(|boundary| crate::multipart::parse(body, &boundary))
            .map_err(|_| FormError::Malformed)?;
        let (files, fields): (Vec<Part>, Vec<Part>) =
            parts.into_iter().partition(|p| p.filename.is_some());
        let mut encoded = form_urlencoded::Serializer::new(String::new());
        for field in fields {
            let value = String::from_utf8(field.body).map_err(|_| FormError::NotUtf8)?;
            encoded.append_pair(&field.name, &value);
        }
        let form =
            serde_html_form::from_str(&encoded.finish()).map_err(|_| FormError::Malformed)?;
        return Ok((form, files));
    }
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return Err(FormError::NotAForm);
    }
    let text = std::str::from_utf8(body).map_err(|_| FormError::NotUtf8)?;
    let form = serde_html_form::from_str(text).map_err(|_| FormError::Malformed)?;
    Ok((form, Vec::new()))
}

fn content_type(request: &Request) -> String {
    request
        .headers()
        .get(lambda_http::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The route API Gateway matched (`POST /request`): how a function with several routes knows
/// which one it is serving, so its routes live only in the template.
pub fn route_key(request: &Request) -> String {
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => {
            context.route_key.clone().unwrap_or_default()
        }
        _ => format!("{} {}", request.method(), request.uri().path()),
    }
}

/// The origin (`scheme://host[:port]`) of a site address: what a browser names in `Origin`.
pub fn origin_of(url: &str) -> String {
    let trimmed = url.trim_end_matches('/');
    match trimmed.find("://") {
        Some(scheme_end) => match trimmed[scheme_end + 3..].find('/') {
            Some(path) => trimmed[..scheme_end + 3 + path].to_owned(),
            None => trimmed.to_owned(),
        },
        None => trimmed.to_owned(),
    }
}

/// Whether a browser says `request` was sent by another site's page: `Sec-Fetch-Site` other
/// than `same-origin` (or `none`, typed by the user), or, from a browser too old to send it, an
/// `Origin` other than `site_origin`. A request naming neither did not come from a page
/// (browsers name one on every form post), so it is no forgery.
pub fn cross_site(request: &Request, site_origin: &str) -> bool {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .map(|value| value.to_str().unwrap_or_default())
    };
    match header("sec-fetch-site") {
        Some(site) => !matches!(site, "same-origin" | "none"),
        None => header("origin").is_some_and(|origin| origin != site_origin),
    }
}

/// The client's address as API Gateway saw it.
pub fn source_ip(request: &Request) -> String {
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => {
            context.http.source_ip.clone().unwrap_or_default()
        }
        _ => String::new(),
    }
}
