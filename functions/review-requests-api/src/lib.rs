//! `POST /api/v1/review-requests`: the request form as JSON, for LA and trust systems. The same
//! validation and the same exactly-once intake as the form; every error is an RFC 9457 problem
//! document, with one entry per field (a JSON pointer into the request body).
//! `GET /api/v1/openapi.json` serves the OpenAPI 3.1 description (`openapi.json` beside this),
//! which the body is held against first ([`contract`]): what the document refuses, the API does.
//!
//! Layer: the top, over `records`, `workflows`, `web` (a Lambda adapter: it reads the event, calls
//! the workflow and answers). A rule, a stored shape or a page goes down into those crates (see the
//! workspace README's layout), never here.

mod contract;

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};
use records::aws::AwsClients;
use records::domain::request::{FieldError, Frameworks, RawReviewRequest, ReviewRequest};
use records::lifecycle::RequestState;
use records::store::Table;
use records::{ConfigError, Env};
use serde::Deserialize;
use serde_json::{Value, json};
use time::{Date, OffsetDateTime};
use web::http::{FieldProblem, Problem};
use workflows::intake::{IdempotencyKey, Intake, SubmitError};

pub const OPENAPI: &str = include_str!("../openapi.json");
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub struct ReviewRequestsApi {
    intake: Intake,
    table: Table,
}

impl ReviewRequestsApi {
    pub async fn from_env(env: &Env, aws: &AwsClients) -> Result<Self, ConfigError> {
        Ok(Self {
            intake: Intake::from_env(env, aws).await?,
            table: Table::from_env(env, aws)?,
        })
    }

    pub async fn handle(&self, request: Request) -> Response<Body> {
        match web::http::route_key(&request).as_str() {
            "GET /api/v1/openapi.json" => match self.frameworks().await {
                Some(frameworks) => web::http::text(
                    StatusCode::OK,
                    "application/json",
                    contract::document(&frameworks),
                ),
                None => unavailable(),
            },
            "POST /api/v1/review-requests" => {
                self.create(&request, OffsetDateTime::now_utc()).await
            }
            // The template routes every other method of the two paths here (API Gateway would
            // answer 404, as if the resource did not exist).
            "ANY /api/v1/review-requests" => method_not_allowed("POST"),
            "ANY /api/v1/openapi.json" => method_not_allowed("GET"),
            _ => Problem::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "Not found",
                "There is no such resource.",
            )
            .into_response(),
        }
    }

    /// The framework each review type's new requests get (logged when unreadable).
    async fn frameworks(&self) -> Option<Frameworks> {
        frameworks::catalogue(&self.table)
            .await
            .map_err(|error| tracing::error!(%error, "reading the review frameworks failed"))
            .ok()
    }

    async fn create(&self, request: &Request, now: OffsetDateTime) -> Response<Body> {
        let Some(frameworks) = self.frameworks().await else {
            return unavailable();
        };
        let (key, parsed) = match parse(request, now.date(), &frameworks) {
            Ok(parsed) => parsed,
            Err(problem) => return problem.into_response(),
        };
        let ip = web::http::source_ip(request);
        match self.intake.submit(&parsed, &key, &ip, now).await {
            Ok(submitted) => {
                // Accepted, not yet acted on: the contact confirms it from the link we email.
                let mut response = web::http::json(
                    StatusCode::ACCEPTED,
                    &json!({
                        "reference": submitted.reference,
                        "state": RequestState::PendingConfirmation.as_str(),
                    }),
                );
                if submitted.replayed {
                    response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
                }
                response
            }
            Err(SubmitError::TooManyFromAddress) => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                "Too many requests",
                "Too many review requests from this client; try again later.",
            )
            .into_response(),
            Err(SubmitError::KeyReused) => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency-Key already used",
                "This Idempotency-Key was used for a different request body. Use a new key for a new request.",
            )
            .into_response(),
            Err(SubmitError::Store(error)) => {
                tracing::error!(%error, "storing a review request failed");
                Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "Service unavailable",
                    "Try again shortly with the same Idempotency-Key.",
                )
                .into_response()
            }
        }
    }
}

fn unavailable() -> Response<Body> {
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "Service unavailable",
        "Try again shortly.",
    )
    .into_response()
}

/// The idempotency key and the valid review request of a `POST`, or the problem with it (a
/// 4xx; nothing is stored for it). Pure, so the fuzz target holds exactly this to its promise.
pub fn parse(
    request: &Request,
    today: Date,
    frameworks: &Frameworks,
) -> Result<(IdempotencyKey, ReviewRequest), Problem> {
    let (key, (body, value)) = read(request)?;
    let violations = contract::violations(&value);
    let raw = body.into_raw();
    match ReviewRequest::parse_with(&raw, today, frameworks) {
        Ok(parsed) if violations.is_empty() => Ok((key, parsed)),
        parsed => {
            // The domain's messages first (they say what to do); then what only the
            // document refuses.
            let mut errors: Vec<FieldProblem> = match parsed {
                Err(errors) => errors.iter().map(field_problem).collect(),
                Ok(_) => Vec::new(),
            };
            for violation in violations {
                if !errors.iter().any(|e| e.field == violation.field) {
                    errors.push(violation);
                }
            }
            Err(Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-review-request",
                "The review request is not valid",
                "Some fields are missing or wrong; each is listed in `errors`.",
            )
            .with_errors(errors))
        }
    }
}

fn method_not_allowed(allow: &'static str) -> Response<Body> {
    let mut response = Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        format!("This resource answers only {allow}."),
    )
    .into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

fn bad_request(type_slug: &str, title: &str, detail: impl Into<String>) -> Problem {
    Problem::new(StatusCode::BAD_REQUEST, type_slug, title, detail)
}

/// The idempotency key and the body (typed, and as sent), or the problem with them. Nothing is
/// stored for these.
fn read(request: &Request) -> Result<(IdempotencyKey, (ApiReviewRequest, Value)), Problem> {
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if !content_type.starts_with("application/json") {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            "Unsupported media type",
            "Send the request body as JSON with Content-Type: application/json.",
        ));
    }
    let key = request
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| (1..=255).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            bad_request(
                "idempotency-key-required",
                "Idempotency-Key header required",
                "Send an Idempotency-Key header (1 to 255 visible ASCII characters, e.g. a UUID) so a retry never creates a second request.",
            )
        })?;
    let body = web::http::body_bytes(request.body());
    if body.len() > MAX_BODY_BYTES {
        return Err(Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
            "Request body too large",
            format!("The body may be at most {MAX_BODY_BYTES} bytes."),
        ));
    }
    let text = std::str::from_utf8(body).map_err(|_| {
        bad_request(
            "malformed-json",
            "Malformed JSON",
            "The body is not valid UTF-8.",
        )
    })?;
    let not_a_request = |e: serde_json::Error| {
        bad_request(
            "malformed-json",
            "Malformed JSON",
            format!("The body is not a review request: {e}."),
        )
    };
    let value: Value = serde_json::from_str(text).map_err(not_a_request)?;
    let parsed = ApiReviewRequest::deserialize(&value).map_err(not_a_request)?;
    // Scoped to the caller (its address, as API Gateway saw it): another client sending the
    // same key gets its own record, so it cannot claim a key before its owner uses it.
    let caller = web::http::source_ip(request);
    Ok((
        IdempotencyKey::Api(format!("{caller} {key}")),
        (parsed, value),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiReviewRequest {
    school: ApiSchool,
    review_type: String,
    focus_areas: ApiFocusAreas,
    visit_windows: Vec<ApiWindow>,
    learning_goal: String,
    contact: ApiContact,
    declarations: ApiDeclarations,
    /// "We would like to review a school in return"; absent: no.
    #[serde(default)]
    reciprocal: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiSchool {
    urn: String,
    name: String,
    phase: String,
    #[serde(rename = "type")]
    school_type: String,
    local_authority_code: Value,
    #[serde(default)]
    trust: Option<String>,
    postcode: String,
    number_on_roll: Value,
    sen_support_percent: Value,
    ehc_plan_percent: Value,
    areas_of_need: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ApiFocusAreas {
    All(String),
    Chosen(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiWindow {
    start: String,
    end: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiContact {
    name: String,
    role: String,
    email: String,
    #[serde(default)]
    phone: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiDeclarations {
    no_pupil_named: bool,
    privacy_notice_accepted: bool,
}

/// A whole JSON number (`420`, or `420.0`, which JSON Schema counts as an integer too) as the
/// text a form would have sent; anything else as text the domain refuses.
fn whole_number_text(value: &Value) -> String {
    match value.as_f64() {
        Some(n) if value.is_f64() && n.fract() == 0.0 && n.abs() < 1e15 => format!("{n:.0}"),
        _ => value
            .as_number()
            .map(ToString::to_string)
            .unwrap_or_default(),
    }
}

/// A percentage as the form's text, rounded to one decimal place (the document says so: a
/// system that computes 14.2857... from its counts need not round first).
fn percentage_text(value: &Value) -> String {
    match value.as_f64() {
        // `+ 0.0` turns -0.0 into 0.0, which formats without a sign.
        Some(n) if n.is_finite() => format!("{:.1}", n + 0.0),
        _ => String::new(),
    }
}

impl ApiReviewRequest {
    fn into_raw(self) -> RawReviewRequest {
        let (focus_scope, focus_areas) = match self.focus_areas {
            ApiFocusAreas::All(all) if all == "all" => ("all".to_owned(), Vec::new()),
            ApiFocusAreas::All(_) => (String::new(), Vec::new()),
            ApiFocusAreas::Chosen(areas) => ("chosen".to_owned(), areas),
        };
        RawReviewRequest {
            urn: self.school.urn,
            school_name: self.school.name,
            phase: self.school.phase,
            school_type: self.school.school_type,
            local_authority: whole_number_text(&self.school.local_authority_code),
            trust: self.school.trust.unwrap_or_default(),
            postcode: self.school.postcode,
            number_on_roll: whole_number_text(&self.school.number_on_roll),
            sen_support_percent: percentage_text(&self.school.sen_support_percent),
            ehc_plan_percent: percentage_text(&self.school.ehc_plan_percent),
            areas_of_need: self.school.areas_of_need,
            review_type: self.review_type,
            focus_scope,
            focus_areas,
            visit_windows: self
                .visit_windows
                .into_iter()
                .map(|w| (w.start, w.end))
                .collect(),
            learning_goal: self.learning_goal,
            contact_name: self.contact.name,
            contact_role: self.contact.role,
            contact_email: self.contact.email,
            contact_phone: self.contact.phone.unwrap_or_default(),
            no_pupil_named: self.declarations.no_pupil_named,
            privacy_notice_accepted: self.declarations.privacy_notice_accepted,
            reciprocal: self.reciprocal,
        }
    }
}

/// A form field's problem, named by its JSON pointer in the API's body.
fn field_problem(error: &FieldError) -> FieldProblem {
    let pointer = match error.field {
        "urn" => "/school/urn".to_owned(),
        "school_name" => "/school/name".to_owned(),
        "school_type" => "/school/type".to_owned(),
        "local_authority" => "/school/local_authority_code".to_owned(),
        "phase"
        | "trust"
        | "postcode"
        | "number_on_roll"
        | "sen_support_percent"
        | "ehc_plan_percent"
        | "areas_of_need" => format!("/school/{}", error.field),
        "focus_scope" | "focus_areas" => "/focus_areas".to_owned(),
        "contact_name" | "contact_role" | "contact_email" | "contact_phone" => {
            format!("/contact/{}", error.field.trim_start_matches("contact_"))
        }
        "no_pupil_named" | "privacy_notice_accepted" => format!("/declarations/{}", error.field),
        window if window.starts_with("window_") => {
            // window_<n>_start|end -> /visit_windows/<n-1>/start|end
            let mut parts = window.trim_start_matches("window_").splitn(2, '_');
            let n: usize = parts.next().and_then(|n| n.parse().ok()).unwrap_or(1);
            format!(
                "/visit_windows/{}/{}",
                n - 1,
                parts.next().unwrap_or("start")
            )
        }
        other => format!("/{other}"),
    };
    FieldProblem {
        field: pointer,
        message: error.message.clone(),
    }
}
