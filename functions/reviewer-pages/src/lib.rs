//! The reviewer's offer page. Its link carries a signed, expiring token for one offer. Opening
//! it changes nothing (mail scanners follow links); the Accept and Decline forms post back to
//! the same address. A late or repeated answer gets a polite page, never an error.
//!
//! Layer: the top, over `records`, `workflows`, `web` (a Lambda adapter: it reads the event, calls
//! the workflow and answers). A rule, a stored shape or a page goes down into those crates (see the
//! workspace README's layout), never here.

mod own_details;
mod report;
mod visit_day;

use askama::Template;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use records::aws::AwsClients;
use records::branding::{Branding, BrandingSource};
use records::domain::LocalAuthority;
use records::domain::request::{VisitWindow, iso, long_date, parse_date_input};
use records::lifecycle::{Action, Person, Refusal, Why, allowed_on};
use records::links::LazyLinkSecret;
use records::request::Side;
use records::store::Table;
use records::versioned::{Saved, Versioned};
use records::{ConfigError, Env};
use serde::Deserialize;
use time::OffsetDateTime;
use web::guards::Review;
use web::pages::{
    AUTOSAVE_SCRIPT, NotesView, OfferPage, ReviewPage, SelfEvaluationSection, SessionNotes,
};
use workflows::evidence::{Accessor, EvidenceError, EvidenceStore, size_text};
use workflows::offers::{Answer, Offer, Workflow, offer_state};
use workflows::review_notes::ReviewNotes;
use workflows::self_evaluation::{SelfEvaluation, Setting};
use workflows::visit_date::{DateChangeForm, DateChangeOutcome, DateChangeView};
use workflows::{review_notes, self_evaluation, visit_date};

const MAX_FORM_BYTES: usize = 16 * 1024;

pub struct ReviewerPages {
    workflow: Workflow,
    links: LazyLinkSecret,
    branding: BrandingSource,
    evidence: EvidenceStore,
    /// The site's own origin: a form post from any other is refused.
    site_origin: String,
    /// Details links one client address may ask for in an hour (the request form's limit).
    links_per_ip_per_hour: u32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AnswerForm {
    decision: String,
    visit_date: String,
    reason: String,
}

impl ReviewerPages {
    pub async fn from_env(env: &Env, aws: &AwsClients) -> Result<Self, ConfigError> {
        Ok(Self {
            workflow: Workflow::from_env(env, aws)?,
            links: LazyLinkSecret::from_env(env, aws)?,
            branding: BrandingSource::from_env(env, Table::from_env(env, aws)?)?,
            evidence: EvidenceStore::from_env(env, aws)?,
            site_origin: web::http::origin_of(&env.required("SITE_URL")?),
            links_per_ip_per_hour: env.parsed("SUBMISSIONS_PER_IP_PER_HOUR")?,
        })
    }

    pub async fn handle(&self, request: Request) -> Response<Body> {
        // Every page here checks a signed link: on a cold start the secret's first read goes
        // out with the branding's rather than after it.
        let (branding, ()) = tokio::join!(self.branding.current(), self.links.prefetch());
        web::site::public_pages(request, &self.site_origin, &branding, |request| {
            self.route(&branding, request)
        })
        .await
    }

    async fn route(&self, branding: &Branding, request: Request) -> Response<Body> {
        let branding = branding.clone();
        let now = OffsetDateTime::now_utc();
        let token = request
            .path_parameters_ref()
            .and_then(|p| p.first("token"))
            .unwrap_or_default()
            .to_owned();
        let route = web::http::route_key(&request);
        if route.contains(" /reviewer/") {
            return self
                .own_details(&branding, &request, &route, &token, now)
                .await;
        }
        if route.contains(" /reviews/") {
            // The one place a review link becomes a review.
            let review =
                match web::guards::review_link(&self.links, &self.workflow, &token, now).await {
                    Ok(review) => review,
                    Err(refused) => return refused.page(&branding),
                };
            let page = review.page();
            return match route.as_str() {
                "GET /reviews/{token}" => {
                    let saved = request
                        .query_string_parameters_ref()
                        .is_some_and(|q| q.first("saved").is_some());
                    let shown = Shown {
                        notes_saved: saved,
                        ..Shown::default()
                    };
                    self.review_page(&branding, &review, &page, shown, now)
                        .await
                }
                "GET /reviews/{token}/report" | "POST /reviews/{token}/report" => {
                    self.report(&branding, &request, &review, &page, now).await
                }
                "GET /reviews/{token}/visit-day" | "POST /reviews/{token}/visit-day" => {
                    self.visit_day(&request, (&branding, &review, &page), now)
                        .await
                }
                "POST /reviews/{token}/notes" => {
                    self.save_notes(&branding, &request, &review, &page, now)
                        .await
                }
                "GET /reviews/{token}/evidence/{evidence_id}" => {
                    self.download(&branding, &request, &review, now).await
                }
                "POST /reviews/{token}/date" => {
                    self.date_change(&branding, &request, &review, &page, now)
                        .await
                }
                _ => message(&branding, StatusCode::NOT_FOUND, "Page not found", &[]),
            };
        }
        // The one place an offer link becomes an offer.
        let link = match web::guards::offer_link(&self.links, &token, now).await {
            Ok(link) => link,
            Err(refused) => return refused.page(&branding),
        };
        let action = format!("/offers/{}", link.token);
        let offer_id = &link.offer_id;
        match route.as_str() {
            "GET /offers/{token}" => self.show(&branding, offer_id, &action, "", None, now).await,
            "POST /offers/{token}" => {
                self.answer(&branding, &request, offer_id, &action, now)
                    .await
            }
            _ => message(&branding, StatusCode::NOT_FOUND, "Page not found", &[]),
        }
    }

    async fn show(
        &self,
        branding: &Branding,
        offer_id: &str,
        action: &str,
        visit_date: &str,
        error: Option<&str>,
        now: OffsetDateTime,
    ) -> Response<Body> {
        let (offer, stored) = match self.workflow.offer(offer_id).await {
            Ok(Some(offer)) => match self.workflow.request(&offer.request_id).await {
                Ok(Some(stored)) => (offer, stored),
                Ok(None) => return closed(branding, None),
                Err(e) => return unavailable(branding, &e),
            },
            Ok(None) => return closed(branding, None),
            Err(e) => return unavailable(branding, &e),
        };
        // An offer of a withdrawn review, answered or not, opens nothing of it any more.
        let answer = Action::AnswerOffer;
        if let Err(Refusal {
            why: Why::Withdrawn,
            ..
        }) = allowed_on(&stored, None, Person::Offeree, answer, now.date())
        {
            return web::guards::Refused::withdrawn(&stored).page(branding);
        }
        if offer.state != offer_state::OPEN || now.unix_timestamp() >= offer.expires_at {
            return closed(branding, Some(&offer));
        }
        // A place offered for one day (the second's, or a lead's after a booked lead dropped
        // out): the date field can hold that day only.
        let fixed = offer.visit_date.as_deref().and_then(parse_date_input);
        let one_day = fixed.map(|day| {
            vec![VisitWindow {
                start: day,
                end: day,
            }]
        });
        let windows = one_day.as_ref().unwrap_or(&stored.request.visit_windows);
        let fixed_text = fixed.map(iso).unwrap_or_default();
        let visit_date = if visit_date.is_empty() {
            &fixed_text
        } else {
            visit_date
        };
        let page = OfferPage {
            joining: workflows::offers::joining(&offer, &stored),
            fixed_date: offer.visit_date.clone().unwrap_or_default(),
            branding,
            reference: stored.reference.as_str(),
            request: &stored.request,
            local_authority: LocalAuthority::by_code(stored.request.school.local_authority_code)
                .map(|la| la.name)
                .unwrap_or_default(),
            respond_by: OffsetDateTime::from_unix_timestamp(offer.expires_at)
                .map(|t| long_date(t.date()))
                .unwrap_or_default(),
            action,
            visit_date,
            error,
            min_date: windows
                .iter()
                .map(|w| w.start)
                .min()
                .map(iso)
                .unwrap_or_default(),
            max_date: windows
                .iter()
                .map(|w| w.end)
                .max()
                .map(iso)
                .unwrap_or_default(),
        };
        let status = if error.is_some() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        };
        web::http::page(status, page.render())
    }

    async fn answer(
        &self,
        branding: &Branding,
        request: &Request,
        offer_id: &str,
        action: &str,
        now: OffsetDateTime,
    ) -> Response<Body> {
        let Some(form) = read_form::<AnswerForm>(request) else {
            return answer_unreadable(branding, "offer page");
        };
        let answer = match form.decision.as_str() {
            "accept" => match parse_date_input(&form.visit_date) {
                Some(date) => self.workflow.accept(offer_id, date, now).await,
                None => Ok(Answer::InvalidDate(
                    "Enter the visit date as a real date".into(),
                )),
            },
            "decline" => {
                let reason: String = form
                    .reason
                    .chars()
                    .filter(|c| !c.is_control() || *c == '\n')
                    .take(1000)
                    .collect();
                self.workflow.decline(offer_id, Some(reason), now).await
            }
            _ => {
                return answer_unreadable(branding, "offer page");
            }
        };
        match answer {
            Ok(Answer::Accepted | Answer::Declined) => web::http::see_other(action),
            Ok(Answer::InvalidDate(reason)) => {
                self.show(
                    branding,
                    offer_id,
                    action,
                    &form.visit_date,
                    Some(&reason),
                    now,
                )
                .await
            }
            Ok(Answer::AtCapacity) => message(
                branding,
                StatusCode::CONFLICT,
                "Your diary for that term is full",
                &[
                    "You have already taken as many reviews that term as you told us you could."
                        .into(),
                    format!(
                        "Choose a date in another term, or write to {} to change your capacity.",
                        branding.contact_email
                    ),
                ],
            ),
            Ok(Answer::Closed) => self.show(branding, offer_id, action, "", None, now).await,
            Err(e) => unavailable(branding, &e),
        }
    }
}

/// What the review page shows besides what is stored: a form's problem or conflict.
#[derive(Default)]
struct Shown<'a> {
    date_problem: Option<(String, &'a DateChangeForm)>,
    notes_problem: Option<(&'a ReviewNotes, String)>,
    notes_conflict: Option<(&'a ReviewNotes, &'a Versioned<ReviewNotes>)>,
    notes_saved: bool,
}

/// Room for the notes at their limit, in the worst UTF-8 and URL encoding.
const MAX_NOTES_FORM_BYTES: usize = 128 * 1024;

impl ReviewerPages {
    /// The stage of `review`'s request, or the page saying the table failed.
    async fn stage(
        &self,
        branding: &Branding,
        review: &Review,
    ) -> Result<records::lifecycle::Stage, Response<Body>> {
        workflows::report::store::stage_of(self.workflow.table(), &review.stored)
            .await
            .map_err(|error| unavailable(branding, &error))
    }

    async fn review_page(
        &self,
        branding: &Branding,
        review: &Review,
        page: &str,
        shown: Shown<'_>,
        now: OffsetDateTime,
    ) -> Response<Body> {
        let stage = match self.stage(branding, review).await {
            Ok(stage) => stage,
            Err(page) => return page,
        };
        let Some(mut date_change) = DateChangeView::new(
            &review.stored,
            stage,
            Side::Reviewer,
            review.is_lead,
            format!("{page}/date"),
            now.date(),
        ) else {
            return closed(branding, None);
        };
        let table = self.workflow.table();
        let request_id = &review.stored.id;
        let (evaluation, notes, files) = match (
            self_evaluation::KIND
                .get::<SelfEvaluation>(table, request_id)
                .await,
            review_notes::KIND
                .get::<ReviewNotes>(table, request_id)
                .await,
            self.evidence.list(request_id).await,
        ) {
            (Ok(evaluation), Ok(notes), Ok(files)) => (evaluation, notes, files),
            (Err(error), _, _) | (_, Err(error), _) => return unavailable(branding, &error),
            (_, _, Err(error)) => return unavailable(branding, &error),
        };
        let plan = match ::visit_day::store::PLAN
            .get::<::visit_day::Plan>(table, request_id)
            .await
        {
            Ok(plan) => plan.map(|p| p.body).unwrap_or_default(),
            Err(error) => return unavailable(branding, &error),
        };
        let mut status = StatusCode::OK;
        if let Some((error, form)) = shown.date_problem {
            date_change.error = Some(error);
            date_change.new_date = form.new_date.clone();
            date_change.reason = form.reason.clone();
            status = StatusCode::UNPROCESSABLE_ENTITY;
        }
        let self_evaluation_status = match &evaluation {
            None => "The school has not started its self-evaluation yet.",
            Some(e) if e.state != self_evaluation::SUBMITTED => {
                "The school is writing its self-evaluation."
            }
            Some(_) => "",
        };
        let setting = Setting::of(review.stored.request.school.school_type);
        // The prompts the school answered: those of the framework its request was made under.
        let framework = match frameworks::of_request(table, &review.stored.request).await {
            Ok(framework) => framework,
            Err(error) => return unavailable(branding, &error),
        };
        let self_evaluation = evaluation
            .filter(|e| e.state == self_evaluation::SUBMITTED)
            .map(|e| {
                review
                    .stored
                    .request
                    .areas()
                    .into_iter()
                    .map(|named| {
                        let section = e.body.section(&named.key);
                        let described = framework.focus_area(&named.key);
                        SelfEvaluationSection {
                            code: named.as_str().to_owned(),
                            label: named.title,
                            description: described
                                .map(|a| a.description.clone())
                                .unwrap_or_default(),
                            prompts: described
                                .map(|a| a.prompts(setting).to_vec())
                                .unwrap_or_default(),
                            evaluation: section.map(|s| s.evaluation.clone()).unwrap_or_default(),
                            evidence: section.map(|s| s.evidence.clone()).unwrap_or_default(),
                            rating: section.and_then(|s| s.rating.clone()),
                            evaluation_error: None,
                            evidence_error: None,
                            rating_error: None,
                            saved_evaluation: None,
                            saved_evidence: None,
                        }
                    })
                    .collect()
            });
        let evidence = files
            .iter()
            .filter(|f| f.is_received())
            .map(|f| {
                (
                    f.name.clone(),
                    f.category.label(),
                    size_text(f.size.unwrap_or_default()),
                    format!("{page}/evidence/{}", f.id),
                )
            })
            .collect();
        let mut notes_view = NotesView {
            action: format!("{page}/notes"),
            text: notes
                .as_ref()
                .map(|n| n.body.text.clone())
                .unwrap_or_default(),
            version: notes.as_ref().map(|n| n.version).unwrap_or(0),
            max: review_notes::MAX_CHARS,
            error: None,
            conflict: None,
            saved: shown.notes_saved,
            sessions: Vec::new(),
        };
        let stored_notes = notes.as_ref().map(|n| &n.body);
        let mut shown_notes = stored_notes.cloned().unwrap_or_default();
        if let Some((yours, error)) = shown.notes_problem {
            notes_view.text = yours.text.clone();
            shown_notes = yours.clone();
            notes_view.error = Some(error);
            status = StatusCode::UNPROCESSABLE_ENTITY;
        }
        if let Some((yours, current)) = shown.notes_conflict {
            notes_view.text = yours.text.clone();
            shown_notes = yours.clone();
            notes_view.version = current.version;
            notes_view.conflict = Some((current.updated_by.clone(), current.body.text.clone()));
            status = StatusCode::CONFLICT;
        }
        notes_view.sessions = session_notes(
            &plan,
            &shown_notes,
            shown.notes_conflict.map(|(_, current)| &current.body),
        );
        web::http::page_with_script(
            status,
            ReviewPage {
                branding,
                stored: &review.stored,
                role: if review.is_lead {
                    "lead reviewer"
                } else {
                    "second reviewer"
                },
                local_authority: LocalAuthority::by_code(
                    review.stored.request.school.local_authority_code,
                )
                .map(|la| la.name)
                .unwrap_or_default(),
                date_change,
                self_evaluation,
                self_evaluation_status,
                evidence,
                notes: notes_view,
                report_link: format!("{page}/report"),
                visit_day_link: format!("{page}/visit-day"),
                script: AUTOSAVE_SCRIPT,
            }
            .render(),
            AUTOSAVE_SCRIPT,
        )
    }

    /// Saves the team's notes (a form post, or the page's autosave asking for JSON).
    async fn save_notes(
        &self,
        branding: &Branding,
        request: &Request,
        review: &Review,
        page: &str,
        now: OffsetDateTime,
    ) -> Response<Body> {
        let wants_json = web::http::wants_json(request);
        let Ok(pairs) =
            web::http::read_form::<Vec<(String, String)>>(request, MAX_NOTES_FORM_BYTES)
        else {
            return unreadable(branding, "Your notes", "review page and save them again");
        };
        let field = |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let notes = match ReviewNotes::from_pairs(&pairs) {
            Ok(notes) => notes,
            Err(error) => {
                if wants_json {
                    return web::http::json(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &serde_json::json!({ "detail": "Not saved: your notes are too long." }),
                    );
                }
                let typed = typed_notes(&pairs);
                let shown = Shown {
                    notes_problem: Some((&typed, error)),
                    ..Shown::default()
                };
                return self.review_page(branding, review, page, shown, now).await;
            }
        };
        let based_on = field("version").and_then(|v| v.parse().ok()).unwrap_or(0);
        let author = review.member.reviewer_name.as_str();
        let saved = review_notes::KIND
            .save(
                self.workflow.table(),
                &review.stored.id,
                based_on,
                &notes,
                author,
                now,
            )
            .await;
        match saved {
            Ok(Saved::Saved { version }) if wants_json => {
                web::http::json(StatusCode::OK, &serde_json::json!({ "version": version }))
            }
            Ok(Saved::Saved { .. }) => web::http::see_other(&format!("{page}?saved=1#notes")),
            Ok(Saved::Stale { .. }) if wants_json => web::http::json(
                StatusCode::CONFLICT,
                &serde_json::json!({
                    "detail": "A colleague saved newer notes. Press Save notes to see both."
                }),
            ),
            Ok(Saved::Stale { current, yours }) => {
                let shown = Shown {
                    notes_conflict: Some((&yours, &current)),
                    ..Shown::default()
                };
                self.review_page(branding, review, page, shown, now).await
            }
            Ok(Saved::Locked { .. }) => web::http::see_other(page),
            Ok(Saved::NotNow(refusal)) => {
                web::pages::not_now(branding, &refusal, wants_json, (page, "Back to the review"))
            }
            Err(error) => unavailable(branding, &error),
        }
    }

    /// Issues a short-lived download URL for one of the school's files (recorded in the
    /// request's access log) and sends the browser to it.
    async fn download(
        &self,
        branding: &Branding,
        request: &Request,
        review: &Review,
        now: OffsetDateTime,
    ) -> Response<Body> {
        let evidence_id = request
            .path_parameters_ref()
            .and_then(|p| p.first("evidence_id"))
            .unwrap_or_default();
        let accessor = Accessor::Reviewer {
            reviewer_id: review.member.reviewer_id.clone(),
        };
        match self
            .evidence
            .download_url(&review.stored.id, evidence_id, &accessor, now)
            .await
        {
            Ok(url) => web::http::see_other(&url),
            // Not a received file of this review (deleted, or another request's): no URL.
            Err(EvidenceError::NotFound) => message(
                branding,
                StatusCode::FORBIDDEN,
                "This file is not available",
                &["The school may have deleted it. Go back to the review page.".into()],
            ),
            Err(error) => unavailable(branding, &error),
        }
    }

    async fn date_change(
        &self,
        branding: &Branding,
        request: &Request,
        review: &Review,
        page: &str,
        now: OffsetDateTime,
    ) -> Response<Body> {
        let Some(form) = read_form::<DateChangeForm>(request) else {
            return answer_unreadable(branding, "review page");
        };
        if !review.is_lead {
            return only_the_lead(branding, "the date");
        }
        match visit_date::submit(
            &self.workflow,
            &review.stored.id,
            Side::Reviewer,
            &form,
            now,
        )
        .await
        {
            Ok(DateChangeOutcome::Done) => web::http::see_other(&format!("{page}#visit-date")),
            Ok(DateChangeOutcome::Problem(error)) => {
                let fresh =
                    Review::load(&self.workflow, &review.token, &review.member.offer_id).await;
                match fresh {
                    Ok(Some(fresh)) => {
                        let shown = Shown {
                            date_problem: Some((error, &form)),
                            ..Shown::default()
                        };
                        self.review_page(branding, &fresh, page, shown, now).await
                    }
                    Ok(None) => closed(branding, None),
                    Err(e) => unavailable(branding, &e),
                }
            }
            Err(e) => unavailable(branding, &e),
        }
    }
}

/// The notes as typed, unchecked (shown again with their problem).
fn typed_notes(pairs: &[(String, String)]) -> ReviewNotes {
    ReviewNotes {
        text: pairs
            .iter()
            .find(|(n, _)| n == "notes")
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
        sessions: pairs
            .iter()
            .filter_map(|(n, v)| {
                n.strip_prefix(review_notes::SESSION_FIELD)
                    .map(|id| (id.to_owned(), v.clone()))
            })
            .collect(),
    }
}

/// A notes box for each session of `plan`, then for each session no longer in it that `notes`
/// has notes on; after a conflict, what `newer` says where it differs.
fn session_notes(
    plan: &::visit_day::Plan,
    notes: &ReviewNotes,
    newer: Option<&ReviewNotes>,
) -> Vec<SessionNotes> {
    let mut boxes: Vec<(String, String)> = plan
        .sessions
        .iter()
        .map(|s| (s.id.clone(), format!("{}–{} {}", s.start, s.end, s.title())))
        .collect();
    for (id, _) in notes
        .sessions
        .iter()
        .chain(newer.map_or(&[][..], |n| &n.sessions))
    {
        if boxes.iter().all(|(b, _)| b != id) {
            boxes.push((id.clone(), "a session no longer in the plan".to_owned()));
        }
    }
    boxes
        .into_iter()
        .map(|(id, title)| {
            let text = notes.on_session(&id).to_owned();
            let saved = newer
                .map(|n| n.on_session(&id))
                .filter(|theirs| *theirs != text)
                .map(str::to_owned);
            SessionNotes {
                field: format!("{}{id}", review_notes::SESSION_FIELD),
                title,
                text,
                saved,
            }
        })
        .collect()
}

/// A posted form (URL-encoded, at most `MAX_FORM_BYTES`), or `None` if it cannot be read.
fn read_form<T: serde::de::DeserializeOwned>(request: &Request) -> Option<T> {
    web::http::read_form(request, MAX_FORM_BYTES).ok()
}

/// The polite page for an offer that can no longer be answered.
fn closed(branding: &Branding, offer: Option<&Offer>) -> Response<Body> {
    let (title, text) = match offer.map(|o| (o.state.as_str(), o.visit_date.as_deref())) {
        Some((offer_state::ACCEPTED, Some(date))) => (
            "You accepted this review",
            format!(
                "Thank you. The visit is on {}. We have emailed you and the school a calendar file.",
                records::domain::parse_date(date).map(long_date).unwrap_or_else(|_| date.to_owned())
            ),
        ),
        Some((offer_state::DECLINED, _)) => {
            ("You declined this review", "Thank you for letting us know. We are asking another reviewer.".to_owned())
        }
        _ => (
            "This offer has closed",
            "Thank you for answering. The time to answer has passed, or the review has gone to another reviewer, so there is nothing more to do.".to_owned(),
        ),
    };
    message(branding, StatusCode::OK, title, &[text])
}

/// 403: a second reviewer tried to change `what`, which the lead reviewer decides.
fn only_the_lead(branding: &Branding, what: &str) -> Response<Body> {
    message(
        branding,
        StatusCode::FORBIDDEN,
        &format!("Only the lead reviewer can change {what}"),
        &["Please ask the lead reviewer.".into()],
    )
}

/// The page for a failure of the table or the bucket (logged; never the person's fault).
fn unavailable(branding: &Branding, error: &dyn std::fmt::Display) -> Response<Body> {
    tracing::error!(%error, "a reviewer page failed");
    message(
        branding,
        StatusCode::SERVICE_UNAVAILABLE,
        "Sorry, there is a problem with the service",
        &[
            "Try again in a few minutes. Nothing you saved is lost, and answering twice is safe."
                .into(),
        ],
    )
}

/// 400: an answer (a form of buttons) that could not be read, on `page`.
fn answer_unreadable(branding: &Branding, page: &str) -> Response<Body> {
    unreadable(
        branding,
        "Your answer",
        &format!("{page} and use one of its buttons"),
    )
}

/// 400: a form that could not be read (`what` names it), and where to go back to.
fn unreadable(branding: &Branding, what: &str, go_back: &str) -> Response<Body> {
    message(
        branding,
        StatusCode::BAD_REQUEST,
        &format!("{what} could not be read"),
        &[format!("Go back to the {go_back}.")],
    )
}

fn message(
    branding: &Branding,
    status: StatusCode,
    title: &str,
    paragraphs: &[String],
) -> Response<Body> {
    web::pages::message(branding, status, title, paragraphs.to_vec(), ("", ""))
}
