//! The school's contact confirms its request (`POST /status/{token}/confirm`, the button on
//! the status page the first email links to): only then is it matched, or held for a
//! coordinator when the programme says so. The status page (GET) never changes anything.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use records::confirmation::{ConfirmError, Confirmed, confirm};
use records::programme::{self, ProgrammeSettings};

use crate::{LinkRequest, SchoolPages, message, unavailable};

impl SchoolPages {
    pub(crate) async fn confirm(&self, call: LinkRequest<'_>) -> Response<Body> {
        let (branding, link, now) = (call.branding, call.link, call.now);
        let back = format!("/status/{}", link.token);
        let settings = match programme::get(&self.table).await {
            Ok(settings) => settings.unwrap_or_else(|| ProgrammeSettings::new("", "")),
            Err(error) => {
                tracing::error!(%error, "reading the programme's settings failed");
                return unavailable(branding);
            }
        };
        let confirmed = confirm(
            &self.table,
            &link.stored,
            settings.hold_confirmed_requests,
            self.intake.limits().per_school_per_day,
            settings.retention_months,
            now,
        )
        .await;
        match confirmed {
            Ok(outcome) => {
                let held = outcome == Confirmed::Held;
                tracing::info!(request_id = %link.stored.id, held, "request confirmed");
                web::http::see_other(&format!("{back}#progress"))
            }
            // Confirmed already (a second click, another tab): the page says where it is.
            Err(ConfirmError::Refused(refusal)) => message(
                branding,
                StatusCode::CONFLICT,
                "This request cannot be confirmed",
                vec![refusal.to_string()],
                (&back, "See your request"),
            ),
            Err(ConfirmError::Expired) => message(
                branding,
                StatusCode::GONE,
                "This request has expired",
                vec![
                    "Requests that are not confirmed within 7 days are deleted, so we will not act on this one.".into(),
                    "To ask for a review, send the request form again.".into(),
                ],
                ("/request", "Start a new request"),
            ),
            Err(ConfirmError::TooManyForSchool) => message(
                branding,
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests for this school today",
                vec![
                    "This school has confirmed as many requests as we take in a day, so we have not confirmed this one.".into(),
                    format!("Confirm it again tomorrow, or write to {} and we will help.", branding.contact_email),
                ],
                (&back, "Back to your request"),
            ),
            Err(ConfirmError::Store(error)) => {
                tracing::error!(%error, "confirming a request failed");
                unavailable(branding)
            }
        }
    }
}
