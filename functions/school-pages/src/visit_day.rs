//! The visit day under the school's status link (`/status/{token}/visit-day`): the plan the
//! school builds with the lead reviewer (`decision=save`) and confirms (`decision=confirm`).
//! Confirming it, and a change once confirmed, is emailed to both sides with the visit's
//! calendar entry updated.

use lambda_http::http::StatusCode;
use lambda_http::{Body, RequestExt, Response};
use records::lifecycle::{Action, Person, Stage, allowed_on};
use records::versioned::Saved;
use visit_day::plan::{Plan, RawPlan};
use visit_day::store::{Confirmed, PLAN, Planner, area_keys, confirm_plan, save_plan};
use web::pages::visit_day::{PlanShown, Posted, Viewer, VisitDayPage};

use crate::{LinkRequest, SchoolPages, message, not_read, unavailable};

impl SchoolPages {
    pub(crate) async fn visit_day(&self, call: LinkRequest<'_>) -> Response<Body> {
        let (branding, link, now) = (call.branding, call.link, call.now);
        let stored = &link.stored;
        let back = format!("/status/{}", link.token);
        let action = format!("{back}/visit-day");
        let report = match workflows::report::store::get(&self.table, &stored.id).await {
            Ok(report) => report.map(|r| r.stage()),
            Err(error) => {
                tracing::error!(%error, "reading a report failed");
                return unavailable(branding);
            }
        };
        let stage = Stage {
            request: stored.state,
            report,
        };
        if call.request.method() == "GET" {
            let saved = call
                .request
                .query_string_parameters_ref()
                .is_some_and(|q| q.first("saved").is_some());
            let shown = PlanShown {
                saved,
                ..PlanShown::default()
            };
            return self.show_plan(call, stage, shown, StatusCode::OK).await;
        }
        let Some(posted) = Posted::read(call.request) else {
            return not_read(
                branding,
                "The plan could not be read",
                "Go back to the visit day's page and save it again.",
                (&action, "Back to the visit day"),
            );
        };
        let based_on = posted.based_on;
        let refused = |refusal: &records::lifecycle::Refusal| {
            web::pages::not_now(branding, refusal, false, (&back, "Back to your request"))
        };
        if posted.decision == "confirm" {
            return match confirm_plan(&self.table, stored, stage, based_on, now).await {
                Ok(Confirmed::Done) => web::http::see_other(&format!("{action}?saved=1")),
                Ok(Confirmed::Stale | Confirmed::NothingSaved) => message(
                    branding,
                    StatusCode::CONFLICT,
                    "The plan was not confirmed",
                    vec!["The plan changed after you opened the page, or it is not saved yet. Check the plan as it is now, then confirm it.".into()],
                    (&action, "See the plan"),
                ),
                Ok(Confirmed::NotNow(refusal)) => refused(&refusal),
                Err(error) => {
                    tracing::error!(%error, "confirming a visit plan failed");
                    unavailable(branding)
                }
            };
        }
        let raw = RawPlan::from_pairs(&posted.pairs);
        let plan = match Plan::parse(&raw, &area_keys(stored)) {
            Ok(plan) => plan,
            Err(errors) => {
                let typed = PlanShown::typed(&raw, &errors);
                return self
                    .show_plan(call, stage, typed, StatusCode::UNPROCESSABLE_ENTITY)
                    .await;
            }
        };
        let saved = save_plan(
            &self.table,
            stored,
            stage,
            Planner::School,
            (based_on, &plan),
            now,
        )
        .await;
        match saved {
            Ok(Saved::Saved { .. }) => web::http::see_other(&format!("{action}?saved=1")),
            Ok(Saved::Stale { current, .. }) => {
                let stale = PlanShown::stale(&raw, &current);
                self.show_plan(call, stage, stale, StatusCode::CONFLICT)
                    .await
            }
            Ok(Saved::Locked { .. }) => web::http::see_other(&action),
            Ok(Saved::NotNow(refusal)) => refused(&refusal),
            Err(error) => {
                tracing::error!(%error, "saving a visit plan failed");
                unavailable(branding)
            }
        }
    }

    async fn show_plan(
        &self,
        call: LinkRequest<'_>,
        stage: Stage,
        shown: PlanShown<'_>,
        status: StatusCode,
    ) -> Response<Body> {
        let (branding, link, now) = (call.branding, call.link, call.now);
        let stored = &link.stored;
        if stored.lead.is_none() {
            return message(
                branding,
                StatusCode::OK,
                "The visit day is planned once a visit is booked",
                vec![
                    "We will email you when a reviewer has accepted and the visit has a date."
                        .into(),
                ],
                (&format!("/status/{}", link.token), "Back to your request"),
            );
        }
        let current = match PLAN.get::<Plan>(&self.table, &stored.id).await {
            Ok(current) => current,
            Err(error) => {
                tracing::error!(%error, "reading a visit plan failed");
                return unavailable(branding);
            }
        };
        let back = format!("/status/{}", link.token);
        let may_plan = allowed_on(
            stored,
            stage.report,
            Person::School,
            Action::PlanVisit,
            now.date(),
        );
        let page = VisitDayPage::new(
            branding,
            stored,
            (
                Viewer::School,
                format!("{back}/visit-day"),
                (back, "your request"),
            ),
            current.as_ref(),
            may_plan,
            shown,
        );
        web::http::page(status, askama::Template::render(&page))
    }
}
