//! Acting on the final report, under the school's status link: the action plan page
//! (`/status/{token}/action-plan`: GET shows it, POST saves it, or autosaves from the page's
//! script, answered in JSON), asking for a follow-up visit (`POST /status/{token}/follow-up`)
//! the signposting choice (`POST /status/{token}/signposting`) and sharing the report
//! (`POST /status/{token}/share`); and the status page's part about all four.

use askama::Template;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use records::branding::Branding;
use records::domain::request::FieldError;
use records::lifecycle::{Action, Person, Refusal, ReportState, allowed_on};
use records::request::{Recommendation, StoredRequest};
use records::versioned::{Saved, Versioned};
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use web::guards::SchoolLink;
use web::pages::after_report::{
    ActingOnReport, ActionPlanInput, ActionPlanPage, AfterReportSection, FollowUpFormView,
    LinkedRequest, SignpostingView,
};
use workflows::after_report::action_plan::{ActionPlan, KIND};
use workflows::after_report::follow_up::{Asked, FollowUpForm};
use workflows::after_report::sharing::{ShareForm, Shared, SharingView};
use workflows::after_report::{action_plan, final_report, follow_up, sharing, signposting};
use workflows::report::store::StoredReport;

use crate::{
    LinkRequest, MAX_FORM_BYTES, NEWER_VERSION, NotTaken, SchoolPages, message, not_read,
    not_saved, unavailable,
};

/// A form of the status page's part about the report, shown again with why it was not taken.
pub(crate) enum AfterReportProblem {
    FollowUp(FollowUpProblem),
    Share(ShareProblem),
}

/// The share form as sent, and its problems.
pub(crate) struct ShareProblem {
    form: ShareForm,
    errors: Vec<FieldError>,
    refused: Option<String>,
}

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
        problem: Option<AfterReportProblem>,
        now: OffsetDateTime,
    ) -> Option<AfterReportSection> {
        let follows_up = match &stored.follow_up_of {
            Some(original) => Some(self.linked(&original.request_id, &original.reference).await),
            None => None,
        };
        let report = match final_report(&self.table, &stored.id).await {
            // Only the actions the lifecycle allows now are shown (none once withdrawn).
            Ok(report) => report.filter(|_| after_report_allowed(stored, now).is_ok()),
            Err(error) => {
                tracing::error!(%error, "reading a report failed");
                None
            }
        };
        let acting = match report {
            Some(report) => Some(
                self.acting_on(branding, token, stored, &report, problem, now)
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
        problem: Option<AfterReportProblem>,
        now: OffsetDateTime,
    ) -> ActingOnReport {
        let (follow_up, share) = match problem {
            Some(AfterReportProblem::FollowUp(problem)) => (Some(problem), None),
            Some(AfterReportProblem::Share(problem)) => (None, Some(problem)),
            None => (None, None),
        };
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
            Some(link) => Ok(self.linked(&link.request_id, &link.reference).await),
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
        let shared = sharing::shared_with(&self.table, &stored.id)
            .await
            .unwrap_or_else(|error| {
                tracing::error!(%error, "reading the report's shares failed");
                Vec::new()
            });
        let share = share.unwrap_or(ShareProblem {
            form: ShareForm {
                share_key: crate::new_submission_token(),
                ..ShareForm::default()
            },
            errors: Vec::new(),
            refused: None,
        });
        ActingOnReport {
            sharing: SharingView {
                action: format!("/status/{token}/share"),
                share_key: share.form.share_key,
                email: share.form.share_email,
                name: share.form.share_name,
                errors: share.errors,
                refused: share.refused,
                shared,
                max: sharing::MAX_SHARES,
            },
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

    /// Another request of the school's, with the link to its status page while it is stored
    /// (after its purge, its reference alone).
    async fn linked(&self, request_id: &str, reference: &str) -> LinkedRequest {
        // A linked request's records may have been purged (`workflows::retention`) while
        // these remain. Stored, its link is at its current version; unreadable, the link is
        // kept (at the first version) rather than hide a page that may be there.
        let version = self
            .workflow
            .request(request_id)
            .await
            .map(|request| request.map(|r| r.status_link_version))
            .unwrap_or_else(|error| {
                tracing::error!(%error, "reading a linked request failed");
                Some(0)
            });
        let link = match version {
            Some(version) => match self.intake.status_token(request_id, version).await {
                Ok(token) => Some(format!("/status/{token}")),
                Err(error) => {
                    // No secret, no link to give; the reference still shows.
                    tracing::error!(%error, "reading the link secret failed");
                    None
                }
            },
            None => None,
        };
        LinkedRequest {
            reference: reference.to_owned(),
            link,
        }
    }

    /// The final report of the link's request, or the page to answer with.
    async fn final_report(
        &self,
        branding: &Branding,
        link: &SchoolLink,
        now: OffsetDateTime,
    ) -> Result<StoredReport, Response<Body>> {
        let token = &link.token;
        match final_report(&self.table, &link.stored.id).await {
            Ok(Some(_)) if let Err(refusal) = after_report_allowed(&link.stored, now) => {
                Err(message(
                    branding,
                    StatusCode::CONFLICT,
                    "This cannot be done now",
                    vec![refusal.to_string()],
                    (&format!("/status/{token}"), "Back to your request"),
                ))
            }
            Ok(Some(report)) => Ok(report),
            Ok(None) => Err(message(
                branding,
                StatusCode::CONFLICT,
                "Your report is not final yet",
                vec!["Sharing your report, your action plan, follow-up visits and signposting start once your review's report is final. We will email you when it is.".into()],
                (&format!("/status/{token}"), "Back to your request"),
            )),
            Err(error) => {
                tracing::error!(%error, "reading a report failed");
                Err(unavailable(branding))
            }
        }
    }

    pub(crate) async fn action_plan(&self, call: LinkRequest<'_>) -> Response<Body> {
        let (branding, link, now) = (call.branding, call.link, call.now);
        let (token, stored) = (&link.token, &link.stored);
        let report = match self.final_report(branding, link, now).await {
            Ok(report) => report,
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
        let page = |current| plain_input(branding, stored, token, recommendations, current);
        if call.route.starts_with("GET") {
            return render(
                ActionPlanInput {
                    saved: call.just_saved(),
                    ..page(current.as_ref())
                },
                StatusCode::OK,
            );
        }

        let (wants_json, form, based_on) = match call.document_form(
            "Your action plan could not be read",
            "Go back to your action plan and save it again.",
            (
                &format!("/status/{token}/action-plan"),
                "Back to your action plan",
            ),
        ) {
            Ok(read) => read,
            Err(page) => return *page,
        };
        let (yours, errors) = action_plan::parse(&form, recommendations);
        if !errors.is_empty() {
            if wants_json {
                return not_saved(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Not saved: something needs changing. Press Save to see what.",
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
                web::http::json(StatusCode::OK, &json!({ "version": version }))
            }
            Ok(Saved::Saved { .. }) => {
                web::http::see_other(&format!("/status/{token}/action-plan?saved=1"))
            }
            Ok(Saved::Stale { .. }) if wants_json => not_saved(StatusCode::CONFLICT, NEWER_VERSION),
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
                web::http::see_other(&format!("/status/{token}/action-plan"))
            }
            Ok(Saved::NotNow(refusal)) => {
                let back = format!("/status/{token}");
                web::pages::not_now(
                    branding,
                    &refusal,
                    wants_json,
                    (&back, "Back to your request"),
                )
            }
            Err(error) => {
                tracing::error!(%error, "saving an action plan failed");
                unavailable(branding)
            }
        }
    }

    /// The school asks for a follow-up visit.
    pub(crate) async fn follow_up(&self, call: LinkRequest<'_>) -> Response<Body> {
        let (branding, link, request, now) = (call.branding, call.link, call.request, call.now);
        let (token, stored) = (&link.token, &link.stored);
        let Ok(form) = web::http::read_form::<FollowUpForm>(request, MAX_FORM_BYTES) else {
            return not_read(
                branding,
                "Your request could not be read",
                "Go back to your request's page and send the follow-up form again.",
                (&format!("/status/{token}"), "Back to your request"),
            );
        };
        if let Err(response) = self.final_report(branding, link, now).await {
            return response;
        }
        let ip = web::http::source_ip(request);
        let problem = match follow_up::ask(&self.intake, &self.table, stored, &form, &ip, now).await
        {
            Ok(Asked::Done { .. }) => {
                return web::http::see_other(&format!("/status/{token}#follow-up"));
            }
            Ok(Asked::Problem(error)) => AfterReportProblem::FollowUp(FollowUpProblem {
                form,
                error: Some(error),
                refused: None,
            }),
            Ok(Asked::Refused(reason)) => AfterReportProblem::FollowUp(FollowUpProblem {
                form,
                error: None,
                refused: Some(reason),
            }),
            Err(error) => {
                tracing::error!(%error, "asking for a follow-up visit failed");
                return unavailable(branding);
            }
        };
        self.status_again(call, NotTaken::AfterReport(problem))
            .await
    }

    /// The school shares its final report: the PDF is emailed to the address it gives, once per
    /// form sent.
    pub(crate) async fn share(&self, call: LinkRequest<'_>) -> Response<Body> {
        let (branding, link, request, now) = (call.branding, call.link, call.request, call.now);
        let (token, stored) = (&link.token, &link.stored);
        let back = format!("/status/{token}#share");
        let form = match web::http::read_form::<ShareForm>(request, MAX_FORM_BYTES) {
            Ok(form) if form.key_ok() => form,
            _ => {
                return not_read(
                    branding,
                    "The form could not be read",
                    "Go back to your request's page and share your report again.",
                    (&back, "Back to your request"),
                );
            }
        };
        let report = match self.final_report(branding, link, now).await {
            Ok(report) => report,
            Err(response) => return response,
        };
        let share = match form.parse() {
            Ok(share) => share,
            Err(errors) => {
                let problem = ShareProblem {
                    form,
                    errors,
                    refused: None,
                };
                let problem = AfterReportProblem::Share(problem);
                return self
                    .status_again(call, NotTaken::AfterReport(problem))
                    .await;
            }
        };
        let refused = match sharing::share(&self.table, stored, &report, &share, now).await {
            Ok(Shared::Sent | Shared::AlreadySent) => return web::http::see_other(&back),
            Ok(Shared::TooMany) => format!(
                "You have shared your report {} times, the most this page allows. To share it with more people, send them the PDF yourself, or write to {}.",
                sharing::MAX_SHARES,
                branding.contact_email
            ),
            Ok(Shared::NotFinal) => "Only the final report can be shared.".to_owned(),
            Ok(Shared::Busy) => {
                "Your request changed at the same moment, so the report was not shared. Check the list below, then share it again.".to_owned()
            }
            Err(error) => {
                tracing::error!(%error, "sharing a report failed");
                return unavailable(branding);
            }
        };
        let problem = ShareProblem {
            form,
            errors: Vec::new(),
            refused: Some(refused),
        };
        let problem = AfterReportProblem::Share(problem);
        self.status_again(call, NotTaken::AfterReport(problem))
            .await
    }

    /// The school takes part in signposting, or stops.
    pub(crate) async fn signposting(&self, call: LinkRequest<'_>) -> Response<Body> {
        let (branding, link, request, now) = (call.branding, call.link, call.request, call.now);
        let (token, stored) = (&link.token, &link.stored);
        let consent = match web::http::read_form::<ConsentForm>(request, MAX_FORM_BYTES) {
            Ok(form) if form.consent == "yes" => true,
            Ok(form) if form.consent == "no" => false,
            _ => {
                return not_read(
                    branding,
                    "Your choice could not be read",
                    "Go back to your request's page, choose yes or no, and save it.",
                    (
                        &format!("/status/{token}#signposting"),
                        "Back to your request",
                    ),
                );
            }
        };
        let report = match self.final_report(branding, link, now).await {
            Ok(report) => report,
            Err(response) => return response,
        };
        match signposting::set_consent(&self.table, stored, &report.report, consent, now).await {
            // Saved, or a concurrent choice won: the page shows the one stored.
            Ok(_) => web::http::see_other(&format!("/status/{token}#signposting")),
            Err(error) => {
                tracing::error!(%error, "saving the signposting choice failed");
                unavailable(branding)
            }
        }
    }
}

/// The action plan page showing what is stored (nothing posted, no problem).
/// The lifecycle's rule for acting on the final report (sharing, follow-up, action plan,
/// signposting): refused once the request is withdrawn.
fn after_report_allowed(stored: &StoredRequest, now: OffsetDateTime) -> Result<(), Refusal> {
    let (person, action) = (Person::School, Action::AfterReport);
    allowed_on(stored, Some(ReportState::Final), person, action, now.date())
}

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
    web::http::page_with_script(status, page.render(), page.script)
}
