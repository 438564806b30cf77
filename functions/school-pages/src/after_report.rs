//! Acting on the final report, under the school's status link: the action plan page
//! (`/status/{token}/action-plan`: GET shows it, POST saves it, or autosaves from the page's
//! script, answered in JSON), asking for a follow-up visit (`POST /status/{token}/follow-up`)
//! and the signposting choice (`POST /status/{token}/signposting`); and the status page's part
//! about all three.

use std::collections::HashMap;

use askama::Template;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Deserialize;
use serde_json::json;
use shared::after_report::action_plan::{self, ActionPlan, KIND};
use shared::after_report::follow_up::{self, Asked, FollowUpForm};
use shared::after_report::pages::{
    ActingOnReport, ActionPlanInput, ActionPlanPage, AfterReportSection, FollowUpFormView,
    LinkedRequest, SignpostingView,
};
use shared::after_report::{final_report, signposting};
use shared::branding::Branding;
use shared::domain::request::FieldError;
use shared::intake::StoredRequest;
use shared::report::Recommendation;
use shared::report::store::StoredReport;
use shared::versioned::{Saved, Versioned};
use time::OffsetDateTime;

use crate::{MAX_FORM_BYTES, SchoolPages, message, path_parameter, unavailable};

/// The follow-up form shown again on the status page, with why it was not taken.
pub(crate) struct FollowUpProblem {
    form: FollowUpForm,
    error: Option<FieldError>,
    refused: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ConsentForm {
    consent: String,
}

impl SchoolPages {
    /// The status page's part about acting on the report, and the request this one follows
    /// up; `None` when there is nothing to show. A part that cannot be read is left out (and
    /// logged) rather than failing the page.
    pub(crate) async fn after_report_section(
        &self,
        branding: &Branding,
        token: &str,
        stored: &StoredRequest,
        follow_up: Option<FollowUpProblem>,
        now: OffsetDateTime,
    ) -> Option<AfterReportSection> {
        let linked = |request_id: &str, reference: &str| LinkedRequest {
            reference: reference.to_owned(),
            link: format!("/status/{}", self.intake.status_token(request_id)),
        };
        let follows_up = stored
            .follow_up_of
            .as_ref()
            .map(|original| linked(&original.request_id, &original.reference));
        let report = match final_report(&self.table, &stored.id).await {
            Ok(report) => report,
            Err(error) => {
                tracing::error!(%error, "reading a report failed");
                None
            }
        };
        let acting = match report {
            Some(report) => Some(
                self.acting_on(branding, token, stored, &report, follow_up, now)
                    .await,
            ),
            None => None,
        };
        (follows_up.is_some() || acting.is_some())
            .then_some(AfterReportSection { follows_up, acting })
    }

    async fn acting_on(
        &self,
        branding: &Branding,
        token: &str,
        stored: &StoredRequest,
        report: &StoredReport,
        follow_up: Option<FollowUpProblem>,
        now: OffsetDateTime,
    ) -> ActingOnReport {
        let saved = KIND
            .get::<ActionPlan>(&self.table, &stored.id)
            .await
            .unwrap_or_else(|error| {
                tracing::error!(%error, "reading an action plan failed");
                None
            });
        let plan = ActionPlan::for_report(
            &report.report.recommendations,
            saved.as_ref().map(|s| &s.body),
        );
        let follow_up = match &stored.follow_up {
            Some(link) => Ok(LinkedRequest {
                reference: link.reference.clone(),
                link: format!("/status/{}", self.intake.status_token(&link.request_id)),
            }),
            None => {
                let problem = follow_up.unwrap_or(FollowUpProblem {
                    form: FollowUpForm::default(),
                    error: None,
                    refused: None,
                });
                Err(FollowUpFormView::new(
                    format!("/status/{token}/follow-up"),
                    &problem.form,
                    problem.error,
                    problem.refused,
                    now.date(),
                ))
            }
        };
        let peers = if stored.signposting {
            signposting::peers(&self.table, stored, &report.report)
                .await
                .unwrap_or_else(|error| {
                    tracing::error!(%error, "reading signposting failed");
                    Vec::new()
                })
        } else {
            Vec::new()
        };
        ActingOnReport {
            action_plan_link: format!("/status/{token}/action-plan"),
            actions: plan.rows.len(),
            progress: plan.progress(),
            follow_up,
            signposting: SignpostingView {
                action: format!("/status/{token}/signposting"),
                consent: stored.signposting,
                peers,
                contact_email: branding.contact_email.clone(),
            },
        }
    }

    /// The request behind `token` and its final report, or the page to answer with.
    async fn with_final_report(
        &self,
        branding: &Branding,
        token: &str,
    ) -> Result<(StoredRequest, StoredReport), Response<Body>> {
        let stored = self.request_for(branding, token).await?;
        match final_report(&self.table, &stored.id).await {
            Ok(Some(report)) => Ok((stored, report)),
            Ok(None) => Err(message(
                branding,
                StatusCode::CONFLICT,
                "Your report is not final yet",
                vec!["Your action plan, follow-up visits and signposting start once your review's report is final. We will email you when it is.".into()],
                (&format!("/status/{token}"), "Back to your request"),
            )),
            Err(error) => {
                tracing::error!(%error, "reading a report failed");
                Err(unavailable(branding))
            }
        }
    }

    pub(crate) async fn action_plan(
        &self,
        branding: &Branding,
        route: &str,
        request: &Request,
        now: OffsetDateTime,
    ) -> Response<Body> {
        let token = path_parameter(request, "token");
        let (stored, report) = match self.with_final_report(branding, &token).await {
            Ok(found) => found,
            Err(response) => return response,
        };
        let current = match KIND.get::<ActionPlan>(&self.table, &stored.id).await {
            Ok(current) => current,
            Err(error) => {
                tracing::error!(%error, "reading an action plan failed");
                return unavailable(branding);
            }
        };
        let recommendations = &report.report.recommendations;
        let page = |current| plain_input(branding, &stored, &token, recommendations, current);
        if route.starts_with("GET") {
            let saved = request
                .query_string_parameters_ref()
                .is_some_and(|q| q.first("saved").is_some());
            return render(
                ActionPlanInput {
                    saved,
                    ..page(current.as_ref())
                },
                StatusCode::OK,
            );
        }

        let wants_json = shared::http::wants_json(request);
        let Ok(form) = shared::http::read_form::<HashMap<String, String>>(request, MAX_FORM_BYTES)
        else {
            return message(
                branding,
                StatusCode::BAD_REQUEST,
                "Your action plan could not be read",
                vec!["Go back to your action plan and save it again.".into()],
                (
                    &format!("/status/{token}/action-plan"),
                    "Back to your action plan",
                ),
            );
        };
        let based_on: u64 = form
            .get("version")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let (yours, errors) = action_plan::parse(&form, recommendations);
        if !errors.is_empty() {
            if wants_json {
                return shared::http::json(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &json!({ "detail": "Not saved: something needs changing. Press Save to see what." }),
                );
            }
            return render(
                ActionPlanInput {
                    yours: Some(yours),
                    errors,
                    ..page(current.as_ref())
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
        match KIND
            .save(&self.table, &stored.id, based_on, &yours, "the school", now)
            .await
        {
            Ok(Saved::Saved { version }) if wants_json => {
                shared::http::json(StatusCode::OK, &json!({ "version": version }))
            }
            Ok(Saved::Saved { .. }) => {
                shared::http::see_other(&format!("/status/{token}/action-plan?saved=1"))
            }
            Ok(Saved::Stale { .. }) if wants_json => shared::http::json(
                StatusCode::CONFLICT,
                &json!({ "detail": "This was changed in another window or by a colleague. Press Save to see both versions." }),
            ),
            Ok(Saved::Stale { current, yours }) => render(
                ActionPlanInput {
                    yours: Some(*yours),
                    conflict: Some(&*current),
                    ..page(Some(&*current))
                },
                StatusCode::CONFLICT,
            ),
            // The plan is always open: nothing locks it.
            Ok(Saved::Locked { .. }) => {
                shared::http::see_other(&format!("/status/{token}/action-plan"))
            }
            Err(error) => {
                tracing::error!(%error, "saving an action plan failed");
                unavailable(branding)
            }
        }
    }

    /// The school asks for a follow-up visit.
    pub(crate) async fn follow_up(
        &self,
        branding: &Branding,
        request: &Request,
        now: OffsetDateTime,
    ) -> Response<Body> {
        let token = path_parameter(request, "token");
        let Ok(form) = shared::http::read_form::<FollowUpForm>(request, MAX_FORM_BYTES) else {
            return message(
                branding,
                StatusCode::BAD_REQUEST,
                "Your request could not be read",
                vec!["Go back to your request's page and send the follow-up form again.".into()],
                (&format!("/status/{token}"), "Back to your request"),
            );
        };
        let (stored, _) = match self.with_final_report(branding, &token).await {
            Ok(found) => found,
            Err(response) => return response,
        };
        let ip = shared::http::source_ip(request);
        let problem =
            match follow_up::ask(&self.intake, &self.table, &stored, &form, &ip, now).await {
                Ok(Asked::Done { .. }) => {
                    return shared::http::see_other(&format!("/status/{token}#follow-up"));
                }
                Ok(Asked::Problem(error)) => FollowUpProblem {
                    form,
                    error: Some(error),
                    refused: None,
                },
                Ok(Asked::Refused(reason)) => FollowUpProblem {
                    form,
                    error: None,
                    refused: Some(reason),
                },
                Err(error) => {
                    tracing::error!(%error, "asking for a follow-up visit failed");
                    return unavailable(branding);
                }
            };
        self.status(branding, &token, None, Some(problem), now)
            .await
    }

    /// The school takes part in signposting, or stops.
    pub(crate) async fn signposting(
        &self,
        branding: &Branding,
        request: &Request,
        now: OffsetDateTime,
    ) -> Response<Body> {
        let token = path_parameter(request, "token");
        let consent = match shared::http::read_form::<ConsentForm>(request, MAX_FORM_BYTES) {
            Ok(form) if form.consent == "yes" => true,
            Ok(form) if form.consent == "no" => false,
            _ => {
                return message(
                    branding,
                    StatusCode::BAD_REQUEST,
                    "Your choice could not be read",
                    vec!["Go back to your request's page, choose yes or no, and save it.".into()],
                    (
                        &format!("/status/{token}#signposting"),
                        "Back to your request",
                    ),
                );
            }
        };
        let (stored, report) = match self.with_final_report(branding, &token).await {
            Ok(found) => found,
            Err(response) => return response,
        };
        match signposting::set_consent(&self.table, &stored, &report.report, consent, now).await {
            // Saved, or a concurrent choice won: the page shows the one stored.
            Ok(_) => shared::http::see_other(&format!("/status/{token}#signposting")),
            Err(error) => {
                tracing::error!(%error, "saving the signposting choice failed");
                unavailable(branding)
            }
        }
    }
}

/// The action plan page showing what is stored (nothing posted, no problem).
fn plain_input<'a>(
    branding: &'a Branding,
    stored: &StoredRequest,
    token: &'a str,
    recommendations: &'a [Recommendation],
    current: Option<&'a Versioned<ActionPlan>>,
) -> ActionPlanInput<'a> {
    ActionPlanInput {
        branding,
        reference: stored.reference.to_string(),
        school_name: stored.request.school.name.to_string(),
        token,
        recommendations,
        current,
        yours: None,
        errors: Vec::new(),
        conflict: None,
        saved: false,
    }
}

fn render(input: ActionPlanInput<'_>, status: StatusCode) -> Response<Body> {
    let page = ActionPlanPage::new(input);
    shared::http::page_with_script(status, page.render(), page.script)
}
