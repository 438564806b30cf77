//! The reviewer's own details page (`/reviewer/details/{token}`: a signed, expiring link naming
//! the reviewer) and the public form that emails them that link (`/reviewer/link`). GET changes
//! nothing; the POSTs are cross-site guarded by `web::site::public_pages`.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use records::branding::Branding;
use records::domain::Region;
use records::domain::request::FieldError;
use records::links::LinkError;
use records::reviewers::{OwnDetailsForm, OwnSaved, OwnStored, get_own, save_own};
use serde::Deserialize;
use time::OffsetDateTime;
use web::pages::reviewer_details::{ReviewerDetailsPage, ReviewerLinkPage, both_versions};

use crate::{ReviewerPages, message, read_form, unavailable};

/// Links asked for one address in a day: enough for a reviewer who lost a few, too few to
/// flood their inbox.
const LINKS_PER_ADDRESS_PER_DAY: u32 = 3;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LinkForm {
    email: String,
}

impl ReviewerPages {
    /// Every `/reviewer/...` route.
    pub(crate) async fn own_details(
        &self,
        branding: &Branding,
        request: &Request,
        route: &str,
        token: &str,
        now: OffsetDateTime,
    ) -> Response<Body> {
        match route {
            "GET /reviewer/link" => link_page(branding, StatusCode::OK, "", None, false),
            "POST /reviewer/link" => self.ask_for_link(branding, request, now).await,
            "GET /reviewer/details/{token}" | "POST /reviewer/details/{token}" => {
                let verified = match self.links.get().await {
                    Ok(links) => links.verify_reviewer_details_token(token, now.unix_timestamp()),
                    Err(e) => return unavailable(branding, &e),
                };
                let id = match verified.map(|id| id.parse()) {
                    Ok(Ok(id)) => id,
                    Ok(Err(_)) => return link_refused(branding, LinkError::Malformed),
                    Err(why) => return link_refused(branding, why),
                };
                let stored = match get_own(self.workflow.table(), id).await {
                    Ok(Some(stored)) => stored,
                    Ok(None) => return link_refused(branding, LinkError::BadSignature),
                    Err(e) => return unavailable(branding, &e),
                };
                let action = format!("/reviewer/details/{token}");
                if request.method() == "GET" {
                    let saved = request
                        .query_string_parameters_ref()
                        .is_some_and(|q| q.first("saved").is_some());
                    let form = stored
                        .details
                        .form(stored.stored.revision.as_deref().unwrap_or(""));
                    return details_page(
                        branding,
                        StatusCode::OK,
                        &stored,
                        &action,
                        &form,
                        &[],
                        saved,
                        None,
                    );
                }
                self.save(branding, request, &stored, &action, now).await
            }
            _ => message(branding, StatusCode::NOT_FOUND, "Page not found", &[]),
        }
    }

    async fn save(
        &self,
        branding: &Branding,
        request: &Request,
        stored: &OwnStored,
        action: &str,
        now: OffsetDateTime,
    ) -> Response<Body> {
        let Some(form) = read_form::<OwnDetailsForm>(request) else {
            return crate::unreadable(
                branding,
                "Your details",
                "your details page and save them again",
            );
        };
        let details =
            match coordination::parse_own_details(&form, &stored.stored.reviewer.home_school_urn) {
                Ok(details) => details,
                Err(errors) => {
                    return details_page(
                        branding,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        stored,
                        action,
                        &form,
                        &errors,
                        false,
                        None,
                    );
                }
            };
        match save_own(self.workflow.table(), stored, &form.revision, &details, now).await {
            Ok(OwnSaved::Saved | OwnSaved::Unchanged) => {
                web::http::see_other(&format!("{action}?saved=1"))
            }
            Ok(OwnSaved::Stale(current)) => {
                // The form keeps what was sent, now based on what is saved: saving it again
                // replaces that deliberately.
                let form = OwnDetailsForm {
                    revision: current.stored.revision.clone().unwrap_or_default(),
                    ..form
                };
                let stale = both_versions(&details, &current.details);
                details_page(
                    branding,
                    StatusCode::CONFLICT,
                    &current,
                    action,
                    &form,
                    &[],
                    false,
                    Some(stale),
                )
            }
            Ok(OwnSaved::NotFound) => link_refused(branding, LinkError::BadSignature),
            Err(e) => unavailable(branding, &e),
        }
    }

    async fn ask_for_link(
        &self,
        branding: &Branding,
        request: &Request,
        now: OffsetDateTime,
    ) -> Response<Body> {
        let Some(form) = read_form::<LinkForm>(request) else {
            return crate::unreadable(branding, "Your address", "form and send it again");
        };
        let email = form.email.trim();
        let problem = if email.is_empty() {
            Some("Enter your email address")
        } else if email.len() > 254
            || email.chars().any(char::is_whitespace)
            || email.split('@').count() != 2
            || email.starts_with('@')
            || email.ends_with('@')
        {
            Some("Enter an email address like name@school.sch.uk")
        } else {
            None
        };
        if problem.is_some() {
            return link_page(
                branding,
                StatusCode::UNPROCESSABLE_ENTITY,
                email,
                problem,
                false,
            );
        }
        let links = match self.links.get().await {
            Ok(links) => links,
            Err(e) => return unavailable(branding, &e),
        };
        let limits = coordination::LinkLimits {
            per_ip_per_hour: self.links_per_ip_per_hour,
            per_address_per_day: LINKS_PER_ADDRESS_PER_DAY,
        };
        let source_ip = web::http::source_ip(request);
        let table = self.workflow.table();
        match coordination::ask_for_link(table, links, email, &source_ip, limits, now).await {
            Ok(coordination::LinkAsked::Taken) => {
                link_page(branding, StatusCode::OK, email, None, true)
            }
            Ok(coordination::LinkAsked::TooMany) => message(
                branding,
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests",
                &["We have had too many requests for links from here or for this address. Try again tomorrow, or ask the programme's coordinator.".into()],
            ),
            Err(e) => unavailable(branding, &e),
        }
    }
}

fn link_refused(branding: &Branding, why: LinkError) -> Response<Body> {
    let (status, title) = match why {
        LinkError::Expired => (StatusCode::GONE, "This link has expired"),
        LinkError::Malformed | LinkError::BadSignature => {
            (StatusCode::FORBIDDEN, "This link does not work")
        }
    };
    web::pages::message(
        branding,
        status,
        title,
        vec!["Links to your reviewer details work for 30 days. Enter your email address and we will send you a new one.".into()],
        ("/reviewer/link", "Get a new link"),
    )
}

#[allow(clippy::too_many_arguments)] // one page's parts, each shown
fn details_page(
    branding: &Branding,
    status: StatusCode,
    stored: &OwnStored,
    action: &str,
    form: &OwnDetailsForm,
    errors: &[FieldError],
    saved: bool,
    stale: Option<web::pages::console::BothVersions>,
) -> Response<Body> {
    use askama::Template;
    web::http::page(
        status,
        ReviewerDetailsPage {
            branding,
            name: &stored.stored.reviewer.name,
            action,
            form,
            errors,
            regions: Region::ALL,
            saved,
            stale,
        }
        .render(),
    )
}

fn link_page(
    branding: &Branding,
    status: StatusCode,
    email: &str,
    error: Option<&str>,
    taken: bool,
) -> Response<Body> {
    use askama::Template;
    web::http::page(
        status,
        ReviewerLinkPage {
            branding,
            email,
            error,
            taken,
        }
        .render(),
    )
}
