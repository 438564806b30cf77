//! The pages a school uses: the landing page, the request form (and its submission), the
//! confirmation, the private status page and the privacy notice. Which page is served is the
//! route key API Gateway matched, so routes live only in the template.
//!
//! Layer: the top, over `records`, `workflows`, `web` (a Lambda adapter: it reads the event, calls
//! the workflow and answers). A rule, a stored shape or a page goes down into those crates (see the
//! workspace README's layout), never here.

use std::collections::HashMap;

use askama::Template;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use rand::RngExt;
use records::aws::AwsClients;
use records::branding::{Branding, BrandingSource};
use records::domain::request::{Frameworks, RawReviewRequest, Reference, ReviewRequest};
use records::lifecycle::Stage;
use records::links::LazyLinkSecret;
use records::request::Side;
use records::store::Table;
use records::{ConfigError, Env};
use serde::Deserialize;
use time::OffsetDateTime;
use web::guards::SchoolLink;
use web::http::FormError;
use web::pages::{LandingPage, PrivacyPage, RequestFormPage, RequestSentPage, StatusPage};
use workflows::intake::{IdempotencyKey, Intake, SubmitError};
use workflows::offers::Workflow;
use workflows::visit_date;
use workflows::visit_date::{DateChangeForm, DateChangeOutcome, DateChangeView};

mod after_report;
mod confirm;
mod evidence;
mod feedback;
mod report;
mod self_evaluation;
mod visit_day;

/// Far more than any honest form (the longest text is 1,500 characters).
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// A request under the school's status link, with the link it resolved to: what each page
/// behind the link is handed.
#[derive(Clone, Copy)]
pub(crate) struct LinkRequest<'a> {
    branding: &'a Branding,
    route: &'a str,
    link: &'a SchoolLink,
    request: &'a Request,
    now: OffsetDateTime,
}

impl LinkRequest<'_> {
    /// Whether the page is shown just after a save (`?saved=1`).
    fn just_saved(&self) -> bool {
        self.request
            .query_string_parameters_ref()
            .is_some_and(|q| q.first("saved").is_some())
    }

    /// A posted document form (saved with a button, or autosaved by the page's script, which
    /// wants JSON back): whether the answer is JSON, its fields, and the version they were
    /// typed over; or the page saying it could not be read.
    #[allow(clippy::type_complexity)]
    fn document_form(
        &self,
        title: &str,
        advice: &str,
        back: (&str, &str),
    ) -> Result<(bool, HashMap<String, String>, u64), Box<Response<Body>>> {
        let Ok(fields) =
            web::http::read_form::<HashMap<String, String>>(self.request, MAX_FORM_BYTES)
        else {
            return Err(Box::new(not_read(self.branding, title, advice, back)));
        };
        let based_on = fields
            .get("version")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        Ok((web::http::wants_json(self.request), fields, based_on))
    }
}

/// A form of the status page that was not taken, shown again with its problem.
pub(crate) enum NotTaken<'a> {
    DateChange(String, &'a DateChangeForm),
    AfterReport(after_report::AfterReportProblem),
}

pub struct SchoolPages {
    table: Table,
    intake: Intake,
    workflow: Workflow,
    branding: BrandingSource,
    evidence: workflows::evidence::EvidenceStore,
    /// The site's own address, where S3 sends the browser back after an upload.
    site_url: String,
    /// Signs and checks the request form's submission tokens.
    links: LazyLinkSecret,
}

impl SchoolPages {
    pub async fn from_env(env: &Env, aws: &AwsClients) -> Result<Self, ConfigError> {
        let table = Table::from_env(env, aws)?;
        Ok(Self {
            intake: Intake::from_env(env, aws).await?,
            workflow: Workflow::from_env(env, aws)?,
            branding: BrandingSource::from_env(env, table.clone())?,
            evidence: workflows::evidence::EvidenceStore::from_env(env, aws)?,
            site_url: env.required("SITE_URL")?,
            links: LazyLinkSecret::from_env(env, aws)?,
            table,
        })
    }

    pub async fn handle(&self, request: Request) -> Response<Body> {
        // A page's first reads go out together rather than one after another: the link secret
        // (read once per cold start; nearly every page checks or makes a link) beside the
        // branding, which the request form reads in one batch with the review types'
        // frameworks.
        let on_form = request.uri().path() == "/request";
        let ((branding, frameworks), ()) =
            tokio::join!(self.first_reads(on_form), self.links.prefetch());
        let origin = web::http::origin_of(&self.site_url);
        web::site::public_pages(request, &origin, &branding, |request| {
            self.route(&branding, request, frameworks)
        })
        .await
    }

    /// `frameworks`: read for the request form's routes (`None` there when unreadable).
    async fn route(
        &self,
        branding: &Branding,
        request: Request,
        frameworks: Option<Frameworks>,
    ) -> Response<Body> {
        let branding = branding.clone();
        let now = OffsetDateTime::now_utc();
        match web::http::route_key(&request).as_str() {
            "GET /" => web::http::page(
                StatusCode::OK,
                LandingPage {
                    branding: &branding,
                }
                .render(),
            ),
            "GET /privacy" => web::http::page(
                StatusCode::OK,
                PrivacyPage {
                    branding: &branding,
                }
                .render(),
            ),
            "GET /request" => {
                let form = RawReviewRequest {
                    focus_scope: "all".into(),
                    ..RawReviewRequest::default()
                };
                self.request_form(&branding, &form, &[], frameworks, now)
                    .await
            }
            "POST /request" => self.submit(&branding, &request, frameworks, now).await,
            "GET /request/sent/{reference}" => {
                match path_parameter(&request, "reference").parse::<Reference>() {
                    Ok(reference) => web::http::page(
                        StatusCode::OK,
                        RequestSentPage {
                            branding: &branding,
                            reference: reference.as_str(),
                        }
                        .render(),
                    ),
                    Err(()) => not_found(&branding),
                }
            }
            // Feedback both ways once a report is final (insights::feedback).
            "GET /feedback/{token}" => self.feedback(&branding, &request, false, now).await,
            "POST /feedback/{token}" => self.feedback(&branding, &request, true, now).await,
            route if route.contains(" /status/{token}") => {
                // The one place a status token becomes a request.
                let token = path_parameter(&request, "token");
                match web::guards::school_link(&self.table, &token).await {
                    Ok(link) => {
                        let call = LinkRequest {
                            branding: &branding,
                            route,
                            link: &link,
                            request: &request,
                            now,
                        };
                        self.behind_link(call).await
                    }
                    Err(refused) => refused.page(&branding),
                }
            }
            _ => not_found(&branding),
        }
    }

    /// A page under the school's status link, for the request the link resolved to.
    async fn behind_link(&self, call: LinkRequest<'_>) -> Response<Body> {
        match call.route {
            "GET /status/{token}/evidence"
            | "POST /status/{token}/evidence"
            | "GET /status/{token}/evidence/{evidence_id}/upload"
            | "GET /status/{token}/evidence/{evidence_id}/download"
            | "POST /status/{token}/evidence/{evidence_id}/delete" => self.evidence(call).await,
            "GET /status/{token}" => self.status(call, None).await,
            "POST /status/{token}/confirm" => self.confirm(call).await,
            "POST /status/{token}/date" => self.date_change(call).await,
            "GET /status/{token}/visit-day" | "POST /status/{token}/visit-day" => {
                self.visit_day(call).await
            }
            "POST /status/{token}/renew-link" => self.renew_link(call).await,
            "GET /status/{token}/action-plan" | "POST /status/{token}/action-plan" => {
                self.action_plan(call).await
            }
            "POST /status/{token}/follow-up" => self.follow_up(call).await,
            "POST /status/{token}/signposting" => self.signposting(call).await,
            "POST /status/{token}/share" => self.share(call).await,
            "GET /status/{token}/report" | "POST /status/{token}/report" => {
                self.factual_check(call).await
            }
            "GET /status/{token}/report.pdf" => self.report_pdf(call).await,
            "GET /status/{token}/self-evaluation" | "POST /status/{token}/self-evaluation" => {
                self.self_evaluation(call).await
            }
            _ => not_found(call.branding),
        }
    }

    async fn submit(
        &self,
        branding: &Branding,
        request: &Request,
        frameworks: Option<Frameworks>,
        now: OffsetDateTime,
    ) -> Response<Body> {
        let Some(frameworks) = frameworks else {
            return unavailable(branding);
        };
        let (token, request_to_store) =
            match read_request_form(branding, request, now.date(), &frameworks) {
                Ok(read) => read,
                Err(page) => return *page,
            };
        let checked = match self.links.get().await {
            Ok(links) => links.verify_submission_token(&token, now.unix_timestamp()),
            Err(error) => {
                tracing::error!(%error, "the link secret is unreadable");
                return unavailable(branding);
            }
        };
        if checked.is_err() {
            // Nothing is stored: the school's answers come back in a fresh form.
            let raw = read_form(request)
                .map(FormBody::into_raw)
                .unwrap_or_default();
            let expired = [records::domain::request::FieldError {
                field: "urn",
                message: "This copy of the form has expired or was not served by this site, so we have not sent it. Check your answers and send the form again.".into(),
            }];
            return self
                .request_form(branding, &raw, &expired, Some(frameworks), now)
                .await;
        }
        let ip = web::http::source_ip(request);
        match self.intake.submit(&request_to_store, &IdempotencyKey::Form(token), &ip, now).await {
            Ok(submitted) => {
                if !submitted.replayed {
                    tracing::info!(request_id = %submitted.request_id, "review request received");
                }
                web::http::see_other(&format!("/request/sent/{}", submitted.reference))
            }
            Err(SubmitError::TooManyFromAddress) => message(
                branding,
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests",
                vec!["We have had a lot of requests from your network today, so we have not sent this one.".into(),
                     format!("If your school has not had a confirmation email, write to {} and we will help.", branding.contact_email)],
                ("/", "Go to the start page"),
            ),
            Err(SubmitError::KeyReused) => message(
                branding,
                StatusCode::CONFLICT,
                "This request was already sent",
                vec!["This form was sent before, with different answers. We kept the first one.".into(),
                     format!("To change your request, write to {} quoting the reference in your confirmation email.", branding.contact_email)],
                ("/request", "Start a new request"),
            ),
            Err(SubmitError::Store(error)) => {
                tracing::error!(%error, "storing a review request failed");
                unavailable(branding)
            }
        }
    }

    /// The status page; with `not_taken`, one of its forms shown again with its problem.
    async fn status(
        &self,
        call: LinkRequest<'_>,
        not_taken: Option<NotTaken<'_>>,
    ) -> Response<Body> {
        let (branding, link, now) = (call.branding, call.link, call.now);
        let (problem, after_report) = match not_taken {
            Some(NotTaken::DateChange(error, form)) => (Some((error, form)), None),
            Some(NotTaken::AfterReport(problem)) => (None, Some(problem)),
            None => (None, None),
        };
        let (token, stored) = (link.token.as_str(), &link.stored);
        let mut page = StatusPage::new(branding, stored, &link.events);
        if page.confirm_by.is_none() {
            page.evidence = self.evidence_summary(token, &stored.id).await;
        }
        page.token = token.to_owned();
        match workflows::self_evaluation::KIND
            .get::<workflows::self_evaluation::SelfEvaluation>(&self.table, &stored.id)
            .await
        {
            Ok(document) => {
                page.self_evaluation_state =
                    workflows::self_evaluation::progress(stored, document.as_ref())
            }
            Err(error) => {
                tracing::error!(%error, "reading a self-evaluation failed");
                return unavailable(branding);
            }
        }
        // Unreadable, the report is left out: the rest of the page is still worth showing
        // (and the workflow checks the stage again before any change).
        let report = workflows::report::store::get(&self.table, &stored.id)
            .await
            .inspect_err(|error| tracing::error!(%error, "reading a report failed"))
            .ok()
            .flatten();
        let stage = Stage {
            request: stored.state,
            report: report.as_ref().map(|r| r.stage()),
        };
        page.date_change = DateChangeView::new(
            stored,
            stage,
            Side::School,
            true,
            format!("/status/{token}/date"),
            now.date(),
        );
        page.show_report(report.as_ref(), now.date());
        if page.withdrawal.is_some() {
            // The programme's retention as saved (its default until then).
            let settings = records::programme::get(&self.table).await;
            let default = records::programme::ProgrammeSettings::new("", "").retention_months;
            let months = settings
                .ok()
                .flatten()
                .map_or(default, |s| s.retention_months);
            page.withdrawn_data(months);
        }
        page.after_report = self
            .after_report_section(branding, token, stored, after_report, now)
            .await;
        if let Err(error) = self.visit_day_section(&mut page, stored, now).await {
            tracing::error!(%error, "reading the visit day failed");
            return unavailable(branding);
        }
        let mut status = StatusCode::OK;
        if page.has_error() {
            status = StatusCode::UNPROCESSABLE_ENTITY;
        }
        if let (Some((error, form)), Some(view)) = (problem, page.date_change.as_mut()) {
            view.error = Some(error);
            view.new_date = form.new_date.clone();
            view.reason = form.reason.clone();
            status = StatusCode::UNPROCESSABLE_ENTITY;
        }
        web::http::page(status, page.render())
    }

    /// The status page shown again after a form it holds was not taken: the request as it is
    /// now (read again through the link), with the form's problem.
    async fn status_again(&self, call: LinkRequest<'_>, not_taken: NotTaken<'_>) -> Response<Body> {
        match web::guards::school_link(&self.table, &call.link.token).await {
            Ok(fresh) => {
                let call = LinkRequest {
                    link: &fresh,
                    ..call
                };
                self.status(call, Some(not_taken)).await
            }
            Err(refused) => refused.page(call.branding),
        }
    }
}

impl SchoolPages {
    /// The status page's visit day: the link to its plan while a visit is booked, and the
    /// verbal feedback once the school may see it.
    async fn visit_day_section(
        &self,
        page: &mut StatusPage<'_>,
        stored: &records::request::StoredRequest,
        now: OffsetDateTime,
    ) -> Result<(), records::store::StoreError> {
        if stored.lead.is_none() || stored.state != records::lifecycle::RequestState::Accepted {
            return Ok(());
        }
        let plan = ::visit_day::store::PLAN
            .get::<::visit_day::Plan>(&self.table, &stored.id)
            .await?;
        let state = match plan.as_ref().map(|p| p.state.as_str()) {
            None => "Nobody has saved a plan of the day yet: start from our suggested day.",
            Some(::visit_day::store::CONFIRMED) => "You have confirmed the plan of the day.",
            Some(_) => "A plan of the day is saved: check it and confirm it.",
        };
        page.visit_day = Some((
            format!("/status/{}/visit-day", page.token),
            state.to_owned(),
        ));
        if let Some(feedback) =
            ::visit_day::store::feedback_for_school(&self.table, stored, now).await?
        {
            page.verbal_feedback = web::pages::visit_day::school_feedback(
                &feedback.body,
                &::visit_day::ReviewAreas::of(&stored.request),
            );
        }
        Ok(())
    }

    /// The school asks to move its booked visit, or answers the lead reviewer's request to.
    async fn date_change(&self, call: LinkRequest<'_>) -> Response<Body> {
        let (branding, link, request, now) = (call.branding, call.link, call.request, call.now);
        let token = &link.token;
        let Ok(form) = web::http::read_form::<DateChangeForm>(request, MAX_FORM_BYTES) else {
            return not_read(
                branding,
                "Your answer could not be read",
                "Go back to your request's page and use one of its buttons.",
                (&format!("/status/{token}"), "Back to your request"),
            );
        };
        match visit_date::submit(&self.workflow, &link.stored.id, Side::School, &form, now).await {
            Ok(DateChangeOutcome::Done) => {
                web::http::see_other(&format!("/status/{token}#visit-date"))
            }
            Ok(DateChangeOutcome::Problem(error)) => {
                self.status_again(call, NotTaken::DateChange(error, &form))
                    .await
            }
            Err(error) => {
                tracing::error!(%error, "changing a visit date failed");
                unavailable(branding)
            }
        }
    }
}

impl SchoolPages {
    /// Someone holding the school's link asks for a new one (it was forwarded): this link stops
    /// working at once, and the new one goes by email to the request's contact only.
    async fn renew_link(&self, call: LinkRequest<'_>) -> Response<Body> {
        let (branding, stored) = (call.branding, &call.link.stored);
        let links = match self.links.get().await {
            Ok(links) => links,
            Err(error) => {
                tracing::error!(%error, "the link secret is unreadable");
                return unavailable(branding);
            }
        };
        let by = coordination::status_link::RenewedBy::School;
        match coordination::status_link::renew(&self.table, links, stored, by, call.now, vec![])
            .await
        {
            Ok(coordination::status_link::Renewal::Renewed(_)) => message(
                branding,
                StatusCode::OK,
                "We have emailed a new link",
                vec![
                    format!(
                        "We have sent a new link to this request's page to {}, the contact named on the request. It should arrive in a few minutes.",
                        stored.request.contact.name
                    ),
                    "The link you used to reach this page no longer works, for you or for anyone it was forwarded to.".into(),
                    format!("If the email does not arrive, write to {} quoting {}.", branding.contact_email, stored.reference),
                ],
                ("/", "Go to the start page"),
            ),
            // Renewed a moment ago by someone else: this link is already replaced.
            Ok(coordination::status_link::Renewal::Moved) => {
                web::guards::Refused::ReplacedSchoolLink.page(branding)
            }
            Err(error) => {
                tracing::error!(%error, "renewing a status link failed");
                unavailable(branding)
            }
        }
    }
}

/// The form as a browser sends it. Unknown fields are ignored: browsers send only ours.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct FormBody {
    submission_token: Option<String>,
    website: String,
    urn: String,
    school_name: String,
    phase: String,
    school_type: String,
    local_authority: String,
    trust: String,
    postcode: String,
    number_on_roll: String,
    sen_support_percent: String,
    ehc_plan_percent: String,
    areas_of_need: Vec<String>,
    review_type: String,
    focus_scope: String,
    focus_areas: Vec<String>,
    window_1_start: String,
    window_1_end: String,
    window_2_start: String,
    window_2_end: String,
    window_3_start: String,
    window_3_end: String,
    learning_goal: String,
    contact_name: String,
    contact_role: String,
    contact_email: String,
    contact_phone: String,
    no_pupil_named: Option<String>,
    privacy_notice_accepted: Option<String>,
    reciprocal: Option<String>,
}

impl FormBody {
    fn into_raw(self) -> RawReviewRequest {
        let mut visit_windows = vec![
            (self.window_1_start, self.window_1_end),
            (self.window_2_start, self.window_2_end),
            (self.window_3_start, self.window_3_end),
        ];
        // Only trailing empty windows are dropped, so each error stays on its own fields.
        while visit_windows
            .last()
            .is_some_and(|(s, e)| s.trim().is_empty() && e.trim().is_empty())
        {
            visit_windows.pop();
        }
        RawReviewRequest {
            urn: self.urn,
            school_name: self.school_name,
            phase: self.phase,
            school_type: self.school_type,
            local_authority: self.local_authority,
            trust: self.trust,
            postcode: self.postcode,
            number_on_roll: self.number_on_roll,
            sen_support_percent: self.sen_support_percent,
            ehc_plan_percent: self.ehc_plan_percent,
            areas_of_need: self.areas_of_need,
            // The form groups each type's boxes as `type:key`: only the chosen type's count.
            focus_areas: self
                .focus_areas
                .into_iter()
                .filter_map(|value| match value.split_once(':') {
                    Some((of, key)) => (of == self.review_type.trim()).then(|| key.to_owned()),
                    None => Some(value),
                })
                .collect(),
            review_type: self.review_type,
            focus_scope: self.focus_scope,
            visit_windows,
            learning_goal: self.learning_goal,
            contact_name: self.contact_name,
            contact_role: self.contact_role,
            contact_email: self.contact_email,
            contact_phone: self.contact_phone,
            no_pupil_named: self.no_pupil_named.is_some(),
            privacy_notice_accepted: self.privacy_notice_accepted.is_some(),
            reciprocal: self.reciprocal.is_some(),
        }
    }
}

struct FormProblem {
    status: StatusCode,
    title: &'static str,
    paragraphs: Vec<String>,
}

fn problem(status: StatusCode, title: &'static str, detail: &str) -> FormProblem {
    FormProblem {
        status,
        title,
        paragraphs: vec![detail.to_owned()],
    }
}

/// The submission token and the valid review request of a posted request form, or the page
/// that answers it instead (a 4xx: the refusal, or the form again with each field's problem).
/// Nothing is stored for it. Pure, so the fuzz target holds exactly this to its promise.
pub fn read_request_form(
    branding: &Branding,
    request: &Request,
    today: time::Date,
    frameworks: &Frameworks,
) -> Result<(String, ReviewRequest), Box<Response<Body>>> {
    let form = read_form(request).map_err(|problem| {
        Box::new(message(
            branding,
            problem.status,
            problem.title,
            problem.paragraphs,
            ("/request", "Go back to the form"),
        ))
    })?;
    let token = form.submission_token.clone().unwrap_or_default();
    let raw = form.into_raw();
    match ReviewRequest::parse_with(&raw, today, frameworks) {
        Ok(parsed) => Ok((token, parsed)),
        Err(errors) => Err(Box::new(web::http::page(
            StatusCode::UNPROCESSABLE_ENTITY,
            RequestFormPage::new(branding, &raw, &errors, &token, today, frameworks).render(),
        ))),
    }
}

/// The form body, or why it cannot be read. Nothing is stored for any of these.
fn read_form(request: &Request) -> Result<FormBody, FormProblem> {
    let form: FormBody =
        web::http::read_form(request, MAX_FORM_BYTES).map_err(|error| match error {
            FormError::NotAForm => problem(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "The form could not be read",
                "The form must be sent as a normal web form. Go back to the form and send it again.",
            ),
            FormError::TooLarge => problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The form is too long",
                "What you typed is longer than the form allows. Shorten your answers and send it again.",
            ),
            FormError::NotUtf8 => problem(
                StatusCode::BAD_REQUEST,
                "The form could not be read",
                "The form contained characters we cannot read. Send it again.",
            ),
            FormError::Malformed => problem(
                StatusCode::BAD_REQUEST,
                "The form could not be read",
                "The form arrived incomplete or damaged. Send it again.",
            ),
        })?;
    if !form.website.trim().is_empty() {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            "The form could not be sent",
            "A field that should be empty was filled in, so we think this was sent automatically.",
        ));
    }
    // Its shape only: the signature and expiry are checked before anything is stored.
    let token_ok = form.submission_token.as_deref().is_some_and(|t| {
        (16..=128).contains(&t.len())
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    });
    if !token_ok {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            "The form has expired",
            "This copy of the form cannot be sent. Open the form again and fill it in.",
        ));
    }
    Ok(form)
}

/// A random one-time key (16 bytes, base64url) for a form that is stored once, however often
/// sent.
fn new_submission_token() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    URL_SAFE_NO_PAD.encode(bytes)
}

impl SchoolPages {
    /// The request form with `form`'s answers and `errors`, and a new signed submission token:
    /// each form served is stored once, however often sent.
    async fn request_form(
        &self,
        branding: &Branding,
        form: &RawReviewRequest,
        errors: &[records::domain::request::FieldError],
        frameworks: Option<Frameworks>,
        now: OffsetDateTime,
    ) -> Response<Body> {
        let links = match self.links.get().await {
            Ok(links) => links,
            Err(error) => {
                tracing::error!(%error, "the link secret is unreadable");
                return unavailable(branding);
            }
        };
        let token = links.submission_token(rand::rng().random(), now.unix_timestamp());
        let status = if errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        let Some(frameworks) = frameworks else {
            return unavailable(branding);
        };
        let page = RequestFormPage::new(branding, form, errors, &token, now.date(), &frameworks);
        web::http::page(status, page.render())
    }

    /// The branding and, for the request form, the framework each review type's new requests
    /// get (`None` when unreadable, logged).
    async fn first_reads(&self, on_form: bool) -> (Branding, Option<Frameworks>) {
        if !on_form {
            return (self.branding.current().await, None);
        }
        let keys = frameworks::pointer_keys();
        match self.branding.current_with(&keys).await {
            Ok((branding, pointers)) => {
                let catalogue = frameworks::catalogue_from(&self.table, &pointers).await;
                (branding, catalogue.map_err(log_frameworks_error).ok())
            }
            Err(error) => {
                log_frameworks_error(error);
                (self.branding.current().await, None)
            }
        }
    }
}

fn path_parameter(request: &Request, name: &str) -> String {
    request
        .path_parameters_ref()
        .and_then(|params| params.first(name))
        .unwrap_or_default()
        .to_owned()
}

use web::pages::message;

/// A form that could not be read (a browser sends ours whole): what to do, and where to go.
fn not_read(branding: &Branding, title: &str, advice: &str, back: (&str, &str)) -> Response<Body> {
    message(
        branding,
        StatusCode::BAD_REQUEST,
        title,
        vec![advice.into()],
        back,
    )
}

/// What an autosave (the page's script) is told when its text was not saved, in JSON.
fn not_saved(status: StatusCode, detail: &str) -> Response<Body> {
    web::http::json(status, &serde_json::json!({ "detail": detail }))
}

/// An autosave typed over a version someone else has since replaced.
const NEWER_VERSION: &str =
    "This was changed in another window or by a colleague. Press Save to see both versions.";

fn not_found(branding: &Branding) -> Response<Body> {
    message(
        branding,
        StatusCode::NOT_FOUND,
        "Page not found",
        vec![
            "If you typed the address, check it is correct. If you followed a link from an email, it may have been copied only in part.".into(),
            format!("If you need help, write to {}.", branding.contact_email),
        ],
        ("/", "Go to the start page"),
    )
}

fn unavailable(branding: &Branding) -> Response<Body> {
    message(
        branding,
        StatusCode::SERVICE_UNAVAILABLE,
        "Sorry, there is a problem with the service",
        vec![
            "Try again in a few minutes. Sending the form again will not create a second request."
                .into(),
        ],
        ("/", "Go to the start page"),
    )
}

fn log_frameworks_error(error: records::store::StoreError) {
    tracing::error!(%error, "reading the review frameworks failed");
}
