//! One guard per kind of private link. A page behind a link calls its guard once, first, and
//! gets what the link opens (the request, the offer, the review) or one [`Refused`] answer,
//! the same status and page whichever route the link came in by:
//!
//! | link | opens | a tampered, unknown, expired or purged link |
//! |---|---|---|
//! | school status `/status/{token}/...` | [`SchoolLink`]: the request and its timeline | 403 "This link does not work"; a link renewed since: 403 "This link has been replaced" |
//! | offer `/offers/{token}` | [`OfferLink`]: the offer id it was signed for | 403 "This link does not work" (a signed link to a closed or purged offer: the offer page's polite "closed" page) |
//! | review `/reviews/{token}/...` | [`Review`]: the request and the reviewer's place on it | 403 "This link does not work"; signed, but its reviewer no longer on the review (or the review purged): 403 "This link no longer works"; the review withdrawn: 410 "This review was withdrawn" |
//!
//! Access ends when the review ends: the review link opens only what the lifecycle's
//! `OpenReview` allows (a withdrawn review opens nothing: no page, no file, no notes, no
//! report), and the offer page answers an offer of a withdrawn review with the same 410 page.
//!
//! A failure to read the table is logged and answered with 503.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use records::branding::Branding;
use records::domain::request::long_date;
use records::lifecycle::{Action, Person, RequestState, allowed_on};
use records::links::{LazyLinkSecret, OfferAction, looks_like_token};
use records::request::{
    StatusLinkFound, StoredRequest, TeamMember, TimelineEvent, find_by_status_token,
};
use records::store::Table;
use time::{Date, OffsetDateTime};
use workflows::offers::{Workflow, WorkflowError, offer_state};

/// Why a private link opens nothing; [`Refused::page`] is the one answer for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// A status link that is not one of ours: malformed, unknown, or its request purged.
    BadSchoolLink,
    /// A status link of ours, renewed since (the school or the coordinator asked for a new one,
    /// which went by email to the request's contact).
    ReplacedSchoolLink,
    /// An offer or review link that is malformed, tampered with, for another action, or expired.
    BadReviewerLink,
    /// A signed review link whose reviewer is no longer on the review (or it was purged).
    NotOnReview,
    /// The review (or the request an offer is for) was withdrawn, on that day if known.
    Withdrawn { on: Option<Date> },
    /// The table or the link secret could not be read (logged when refused).
    Unavailable,
}

impl Refused {
    pub fn status(self) -> StatusCode {
        match self {
            Refused::BadSchoolLink
            | Refused::ReplacedSchoolLink
            | Refused::BadReviewerLink
            | Refused::NotOnReview => StatusCode::FORBIDDEN,
            Refused::Withdrawn { .. } => StatusCode::GONE,
            Refused::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The refusal of a review (or an offer) of `stored`, withdrawn.
    pub fn withdrawn(stored: &StoredRequest) -> Self {
        let on = stored.withdrawn_at.as_deref().and_then(|at| {
            OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()
        });
        Refused::Withdrawn {
            on: on.map(OffsetDateTime::date),
        }
    }

    /// The page that answers a refused link.
    pub fn page(self, branding: &Branding) -> Response<Body> {
        let contact = &branding.contact_email;
        let (title, paragraphs, link) = match self {
            Refused::BadSchoolLink => (
                "This link does not work",
                vec![
                    "The link may have been copied only in part. Use the link in the email we sent your school.".to_owned(),
                    format!("If you need help, write to {contact}."),
                ],
                ("/", "Go to the start page"),
            ),
            Refused::ReplacedSchoolLink => (
                "This link has been replaced",
                vec![
                    "Someone asked for a new link to this request's page, so this one no longer works. The new link was emailed to the contact named on the request.".to_owned(),
                    "If you are that contact, use the link in the newest email from us. If you cannot find it, or did not ask for a new link, write to us and we will send one.".to_owned(),
                    format!("Write to {contact} quoting your request's reference."),
                ],
                ("/", "Go to the start page"),
            ),
            Refused::BadReviewerLink => (
                "This link does not work",
                vec![
                    "The link may have expired, or been copied only in part.".to_owned(),
                    format!("If you think you should still be able to answer, write to {contact}."),
                ],
                ("", ""),
            ),
            Refused::NotOnReview => (
                "This link no longer works",
                vec![format!(
                    "You are no longer on this review. If you think that is wrong, write to {contact}."
                )],
                ("", ""),
            ),
            Refused::Withdrawn { on } => (
                "This review was withdrawn",
                vec![
                    match on {
                        Some(on) => format!(
                            "This review was withdrawn on {}; its files are no longer available to you.",
                            long_date(on)
                        ),
                        None => "This review was withdrawn; its files are no longer available to you.".to_owned(),
                    },
                    "There is nothing more for you to do. If you downloaded any of its files, please delete them.".to_owned(),
                    format!("If you have a question, write to {contact}."),
                ],
                ("", ""),
            ),
            Refused::Unavailable => (
                "Sorry, there is a problem with the service",
                vec!["Try again in a few minutes. Nothing you saved is lost.".to_owned()],
                ("", ""),
            ),
        };
        crate::pages::message(branding, self.status(), title, paragraphs, link)
    }
}

fn unavailable(what: &str, error: &dyn std::fmt::Display) -> Refused {
    tracing::error!(%error, "{what} failed");
    Refused::Unavailable
}

/// What a school's status link opens: its request, with the timeline (oldest first).
pub struct SchoolLink {
    /// The token as it came in (the page's own links carry it).
    pub token: String,
    pub stored: StoredRequest,
    pub events: Vec<TimelineEvent>,
}

/// The guard of the school's status link (`/status/{token}/...`).
pub async fn school_link(table: &Table, token: &str) -> Result<SchoolLink, Refused> {
    if !looks_like_token(token) {
        return Err(Refused::BadSchoolLink);
    }
    match find_by_status_token(table, token).await {
        Ok(StatusLinkFound::Current(stored, events)) => Ok(SchoolLink {
            token: token.to_owned(),
            stored: *stored,
            events,
        }),
        Ok(StatusLinkFound::Replaced) => Err(Refused::ReplacedSchoolLink),
        // Never issued, or its request purged (the link's hash goes with it).
        Ok(StatusLinkFound::Unknown) => Err(Refused::BadSchoolLink),
        Err(error) => Err(unavailable("reading a request's status", &error)),
    }
}

/// What an offer link opens: the offer it was signed for (which may have closed since, or been
/// purged: the offer page says so politely).
pub struct OfferLink {
    pub token: String,
    pub offer_id: String,
}

/// The guard of a reviewer's offer link (`/offers/{token}`).
pub async fn offer_link(
    links: &LazyLinkSecret,
    token: &str,
    now: OffsetDateTime,
) -> Result<OfferLink, Refused> {
    let offer_id = verified(links, token, OfferAction::Respond, now).await?;
    Ok(OfferLink {
        token: token.to_owned(),
        offer_id,
    })
}

/// A review as its reviewer's link opens it: the request, and which place they hold on it.
pub struct Review {
    /// The token as it came in (the page's own links carry it).
    pub token: String,
    pub stored: StoredRequest,
    pub member: TeamMember,
    pub is_lead: bool,
}

impl Review {
    /// The review whose team holds accepted offer `offer_id`; `None` once they are not on it.
    pub async fn load(
        workflow: &Workflow,
        token: &str,
        offer_id: &str,
    ) -> Result<Option<Review>, WorkflowError> {
        let Some(offer) = workflow.offer(offer_id).await? else {
            return Ok(None);
        };
        if offer.state != offer_state::ACCEPTED {
            return Ok(None);
        }
        let Some(stored) = workflow.request(&offer.request_id).await? else {
            return Ok(None);
        };
        let is_lead = stored.lead.as_ref().is_some_and(|m| m.offer_id == offer.id);
        let member = stored.team().find(|m| m.offer_id == offer.id).cloned();
        Ok(member.map(|member| Review {
            token: token.to_owned(),
            stored,
            member,
            is_lead,
        }))
    }

    /// The review page's address, which its forms post under.
    pub fn page(&self) -> String {
        format!("/reviews/{}", self.token)
    }
}

/// The guard of a reviewer's review link (`/reviews/{token}/...`).
pub async fn review_link(
    links: &LazyLinkSecret,
    workflow: &Workflow,
    token: &str,
    now: OffsetDateTime,
) -> Result<Review, Refused> {
    let offer_id = verified(links, token, OfferAction::Review, now).await?;
    match Review::load(workflow, token, &offer_id).await {
        Ok(Some(review)) => {
            let person = if review.is_lead {
                Person::Lead
            } else {
                Person::Second
            };
            match allowed_on(&review.stored, None, person, Action::OpenReview, now.date()) {
                Ok(()) => Ok(review),
                Err(_) if review.stored.state == RequestState::Withdrawn => {
                    Err(Refused::withdrawn(&review.stored))
                }
                Err(_) => Err(Refused::NotOnReview),
            }
        }
        Ok(None) => Err(Refused::NotOnReview),
        Err(error) => Err(unavailable("reading a review", &error)),
    }
}

/// The offer id `token` was signed for, for `action`, if it holds at `now`.
async fn verified(
    links: &LazyLinkSecret,
    token: &str,
    action: OfferAction,
    now: OffsetDateTime,
) -> Result<String, Refused> {
    let links = links
        .get()
        .await
        .map_err(|error| unavailable("reading the link secret", &error))?;
    links
        .verify_offer_token(token, action, now.unix_timestamp())
        .map_err(|_| Refused::BadReviewerLink)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(refused: Refused) -> (StatusCode, String) {
        let branding = Branding::from(&records::programme::ProgrammeSettings::demo());
        let response = refused.page(&branding);
        let body = String::from_utf8_lossy(crate::http::body_bytes(response.body())).into_owned();
        (response.status(), body)
    }

    #[test]
    fn each_refusal_is_one_page_with_its_status() {
        let (status, body) = answer(Refused::BadSchoolLink);
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(body.contains("This link does not work"), "{body}");
        assert!(body.contains("the email we sent your school"), "{body}");
        let (status, body) = answer(Refused::BadReviewerLink);
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(body.contains("This link does not work"), "{body}");
        assert!(body.contains("may have expired"), "{body}");
        let (status, body) = answer(Refused::NotOnReview);
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert!(body.contains("This link no longer works"), "{body}");
        let withdrawn = Refused::Withdrawn {
            on: Some(time::macros::date!(2027 - 03 - 01)),
        };
        let (status, body) = answer(withdrawn);
        assert_eq!(status, StatusCode::GONE);
        assert!(body.contains("This review was withdrawn on 1 March 2027; its files are no longer available to you."), "{body}");
        let (_, body) = answer(Refused::Withdrawn { on: None });
        assert!(
            body.contains("This review was withdrawn; its files"),
            "{body}"
        );
        let (status, body) = answer(Refused::Unavailable);
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(body.contains("problem with the service"), "{body}");
    }
}
