//! The reviewer's offer page. Its link carries a signed, expiring token for one offer. Opening
//! it changes nothing (mail scanners follow links); the Accept and Decline forms post back to
//! the same address. A late or repeated answer gets a polite page, never an error.

use askama::Template;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Deserialize;
use shared::aws::AwsClients;
use shared::branding::{Branding, BrandingSource};
use shared::domain::LocalAuthority;
use shared::domain::request::{iso, long_date, parse_date_input};
use shared::intake::{Side, StoredRequest, TeamMember};
use shared::links::{LinkSecret, OfferAction};
use shared::offers::{Answer, Offer, Workflow, WorkflowError, offer_state};
use shared::pages::{MessagePage, OfferPage, ReviewPage};
use shared::store::Table;
use shared::visit_date::{self, DateChangeForm, DateChangeOutcome, DateChangeView};
use shared::{ConfigError, Env};
use time::OffsetDateTime;

const MAX_FORM_BYTES: usize = 16 * 1024;

pub struct ReviewerPages {
    workflow: Workflow,
    links: LinkSecret,
    branding: BrandingSource,
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
            links: LinkSecret::load(env, aws).await?,
            branding: BrandingSource::from_env(env, Table::from_env(env, aws)?)?,
        })
    }

    pub async fn handle(&self, request: Request) -> Response<Body> {
        let branding = self.branding.current().await;
        let now = OffsetDateTime::now_utc();
        let token = request
            .path_parameters_ref()
            .and_then(|p| p.first("token"))
            .unwrap_or_default()
            .to_owned();
        let route = shared::http::route_key(&request);
        let link_action = if route.contains(" /reviews/") {
            OfferAction::Review
        } else {
            OfferAction::Respond
        };
        let Ok(offer_id) = self
            .links
            .verify_offer_token(&token, link_action, now.unix_timestamp())
        else {
            return message(
                &branding,
                StatusCode::FORBIDDEN,
                "This link does not work",
                &[
                    "The link may have expired, or been copied only in part.".into(),
                    format!(
                        "If you think you should still be able to answer, write to {}.",
                        branding.contact_email
                    ),
                ],
            );
        };
        if link_action == OfferAction::Review {
            let page = format!("/reviews/{token}");
            return match self.review(&offer_id).await {
                Ok(Some(review)) => match route.as_str() {
                    "GET /reviews/{token}" => {
                        self.review_page(&branding, &review, &page, None, now)
                    }
                    "POST /reviews/{token}/date" => {
                        self.date_change(&branding, &request, &review, &page, now)
                            .await
                    }
                    _ => message(&branding, StatusCode::NOT_FOUND, "Page not found", &[]),
                },
                Ok(None) => message(
                    &branding,
                    StatusCode::FORBIDDEN,
                    "This link no longer works",
                    &[format!(
                        "You are no longer on this review. If you think that is wrong, write to {}.",
                        branding.contact_email
                    )],
                ),
                Err(e) => unavailable(&branding, &e),
            };
        }
        let action = format!("/offers/{token}");
        match route.as_str() {
            "GET /offers/{token}" => {
                self.show(&branding, &offer_id, &action, "", None, now)
                    .await
            }
            "POST /offers/{token}" => {
                self.answer(&branding, &request, &offer_id, &action, now)
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
        if offer.state != offer_state::OPEN || now.unix_timestamp() >= offer.expires_at {
            return closed(branding, Some(&offer));
        }
        let windows = &stored.request.visit_windows;
        let page = OfferPage {
            joining: shared::offers::joining(&offer, &stored),
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
        shared::http::page(status, page.render())
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
            return message(
                branding,
                StatusCode::BAD_REQUEST,
                "Your answer could not be read",
                &["Go back to the offer page and use one of its buttons.".into()],
            );
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
                return message(
                    branding,
                    StatusCode::BAD_REQUEST,
                    "Your answer could not be read",
                    &["Go back to the offer page and use one of its buttons.".into()],
                );
            }
        };
        match answer {
            Ok(Answer::Accepted | Answer::Declined) => shared::http::see_other(action),
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

/// A review as its reviewer's link opens it: the request, and which place they hold on it.
struct Review {
    stored: StoredRequest,
    member: TeamMember,
    is_lead: bool,
}

impl ReviewerPages {
    /// The review whose team holds accepted offer `offer_id`; `None` once they are not on it.
    async fn review(&self, offer_id: &str) -> Result<Option<Review>, WorkflowError> {
        let Some(offer) = self.workflow.offer(offer_id).await? else {
            return Ok(None);
        };
        if offer.state != offer_state::ACCEPTED {
            return Ok(None);
        }
        let Some(stored) = self.workflow.request(&offer.request_id).await? else {
            return Ok(None);
        };
        let is_lead = stored.lead.as_ref().is_some_and(|m| m.offer_id == offer.id);
        let member = stored.team().find(|m| m.offer_id == offer.id).cloned();
        Ok(member.map(|member| Review {
            stored,
            member,
            is_lead,
        }))
    }

    fn review_page(
        &self,
        branding: &Branding,
        review: &Review,
        page: &str,
        problem: Option<(String, &DateChangeForm)>,
        now: OffsetDateTime,
    ) -> Response<Body> {
        let Some(mut date_change) = DateChangeView::new(
            &review.stored,
            Side::Reviewer,
            review.is_lead,
            format!("{page}/date"),
            now.date(),
        ) else {
            return closed(branding, None);
        };
        let status = match problem {
            Some((error, form)) => {
                date_change.error = Some(error);
                date_change.new_date = form.new_date.clone();
                date_change.reason = form.reason.clone();
                StatusCode::UNPROCESSABLE_ENTITY
            }
            None => StatusCode::OK,
        };
        shared::http::page(
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
            }
            .render(),
        )
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
            return message(
                branding,
                StatusCode::BAD_REQUEST,
                "Your answer could not be read",
                &["Go back to the review page and use one of its buttons.".into()],
            );
        };
        if !review.is_lead {
            return message(
                branding,
                StatusCode::FORBIDDEN,
                "Only the lead reviewer can change the date",
                &["Please ask the lead reviewer.".into()],
            );
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
            Ok(DateChangeOutcome::Done) => shared::http::see_other(&format!("{page}#visit-date")),
            Ok(DateChangeOutcome::Problem(error)) => {
                match self.review(&review.member.offer_id).await {
                    Ok(Some(fresh)) => {
                        self.review_page(branding, &fresh, page, Some((error, &form)), now)
                    }
                    Ok(None) => closed(branding, None),
                    Err(e) => unavailable(branding, &e),
                }
            }
            Err(e) => unavailable(branding, &e),
        }
    }
}

/// A posted form (URL-encoded, at most `MAX_FORM_BYTES`), or `None` if it cannot be read.
fn read_form<T: serde::de::DeserializeOwned>(request: &Request) -> Option<T> {
    shared::http::read_form(request, MAX_FORM_BYTES).ok()
}

/// The polite page for an offer that can no longer be answered.
fn closed(branding: &Branding, offer: Option<&Offer>) -> Response<Body> {
    let (title, text) = match offer.map(|o| (o.state.as_str(), o.visit_date.as_deref())) {
        Some((offer_state::ACCEPTED, Some(date))) => (
            "You accepted this review",
            format!(
                "Thank you. The visit is on {}. We have emailed you and the school a calendar file.",
                shared::domain::parse_date(date).map(long_date).unwrap_or_else(|_| date.to_owned())
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

fn unavailable(branding: &Branding, error: &shared::offers::WorkflowError) -> Response<Body> {
    tracing::error!(%error, "the offer workflow failed");
    message(
        branding,
        StatusCode::SERVICE_UNAVAILABLE,
        "Sorry, there is a problem with the service",
        &["Try again in a few minutes. Answering twice is safe.".into()],
    )
}

fn message(
    branding: &Branding,
    status: StatusCode,
    title: &str,
    paragraphs: &[String],
) -> Response<Body> {
    shared::http::page(
        status,
        MessagePage {
            branding,
            title,
            paragraphs: paragraphs.to_vec(),
            link_href: "",
            link_text: "",
        }
        .render(),
    )
}
