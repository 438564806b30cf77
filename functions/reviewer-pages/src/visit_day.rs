//! The visit day under a reviewer's review link (`/reviews/{token}/visit-day`): the plan, which
//! the lead builds with the school (`decision=save`), and the verbal feedback the lead records
//! from the day of the visit (`decision=feedback`). The second reviewer reads both.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use records::branding::Branding;
use records::lifecycle::{Action, Person, Stage, allowed_on};
use records::versioned::{Saved, Versioned};
use time::OffsetDateTime;
use visit_day::feedback::{FeedbackFieldError, VerbalFeedback, shown_to_school_from};
use visit_day::plan::{Plan, PlanFieldError, RawPlan};
use visit_day::store::{FEEDBACK, PLAN, Planner, area_keys, save_feedback, save_plan};
use web::guards::Review;
use web::pages::visit_day::{FeedbackSection, PlanShown, Viewer, VisitDayPage};

use crate::{ReviewerPages, message, unavailable, unreadable};

/// Room for a plan of sixteen sessions, or the feedback, in the worst encoding.
const MAX_VISIT_DAY_FORM_BYTES: usize = 256 * 1024;

/// What the page shows besides what is stored.
#[derive(Default)]
struct Shown<'a> {
    plan: PlanShown<'a>,
    feedback: Option<&'a VerbalFeedback>,
    feedback_errors: &'a [FeedbackFieldError],
    feedback_conflict: Option<&'a Versioned<VerbalFeedback>>,
    feedback_saved: bool,
}

impl ReviewerPages {
    pub(crate) async fn visit_day(
        &self,
        branding: &Branding,
        request: &Request,
        review: &Review,
        page: &str,
        now: OffsetDateTime,
    ) -> Response<Body> {
        let table = self.workflow.table();
        let stage = match workflows::report::store::stage_of(table, &review.stored).await {
            Ok(stage) => stage,
            Err(error) => return unavailable(branding, &error),
        };
        let action = format!("{page}/visit-day");
        if request.method() == "GET" {
            let saved = request
                .query_string_parameters_ref()
                .and_then(|q| q.first("saved"))
                .map(str::to_owned);
            let shown = Shown {
                plan: PlanShown {
                    saved: saved.as_deref() == Some("plan"),
                    ..PlanShown::default()
                },
                feedback_saved: saved.as_deref() == Some("feedback"),
                ..Shown::default()
            };
            return self
                .show_visit_day(branding, review, (page, stage), shown, StatusCode::OK, now)
                .await;
        }
        let Ok(pairs) =
            web::http::read_form::<Vec<(String, String)>>(request, MAX_VISIT_DAY_FORM_BYTES)
        else {
            return unreadable(
                branding,
                "The visit day's form",
                "visit day's page and try again",
            );
        };
        if !review.is_lead {
            return message(
                branding,
                StatusCode::FORBIDDEN,
                "Only the lead reviewer can change this",
                &["Please ask the lead reviewer.".into()],
            );
        }
        let field = |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let based_on: u64 = field("version").and_then(|v| v.parse().ok()).unwrap_or(0);
        let areas = area_keys(&review.stored);
        let lead = review.member.reviewer_name.as_str();
        let back = (action.as_str(), "Back to the visit day");
        if field("decision") == Some("feedback") {
            let feedback = match VerbalFeedback::parse(&pairs, &areas) {
                Ok(feedback) => feedback,
                Err(errors) => {
                    let yours = feedback_as_typed(&pairs, &areas);
                    let shown = Shown {
                        feedback: Some(&yours),
                        feedback_errors: &errors,
                        ..Shown::default()
                    };
                    return self
                        .show_visit_day(
                            branding,
                            review,
                            (page, stage),
                            shown,
                            StatusCode::UNPROCESSABLE_ENTITY,
                            now,
                        )
                        .await;
                }
            };
            return match save_feedback(
                table,
                &review.stored,
                stage,
                lead,
                (based_on, &feedback),
                now,
            )
            .await
            {
                Ok(Saved::Saved { .. }) => {
                    web::http::see_other(&format!("{action}?saved=feedback#verbal-feedback"))
                }
                Ok(Saved::Stale { current, yours }) => {
                    let shown = Shown {
                        feedback: Some(&yours),
                        feedback_conflict: Some(&current),
                        ..Shown::default()
                    };
                    self.show_visit_day(
                        branding,
                        review,
                        (page, stage),
                        shown,
                        StatusCode::CONFLICT,
                        now,
                    )
                    .await
                }
                Ok(Saved::Locked { .. }) => web::http::see_other(&action),
                Ok(Saved::NotNow(refusal)) => web::pages::not_now(branding, &refusal, false, back),
                Err(error) => unavailable(branding, &error),
            };
        }
        let raw = RawPlan::from_pairs(&pairs);
        let plan = match Plan::parse(&raw, &areas) {
            Ok(plan) => plan,
            Err(errors) => {
                let shown = Shown {
                    plan: PlanShown {
                        yours: Some(&raw),
                        errors: &errors,
                        ..PlanShown::default()
                    },
                    ..Shown::default()
                };
                return self
                    .show_visit_day(
                        branding,
                        review,
                        (page, stage),
                        shown,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        now,
                    )
                    .await;
            }
        };
        // The lead's change goes to the school: the team's addresses are not needed.
        match save_plan(
            table,
            &review.stored,
            stage,
            Planner::Lead(lead),
            (based_on, &plan),
            &[],
            now,
        )
        .await
        {
            Ok(Saved::Saved { .. }) => web::http::see_other(&format!("{action}?saved=plan")),
            Ok(Saved::Stale { current, .. }) => {
                let errors: [PlanFieldError; 0] = [];
                let shown = Shown {
                    plan: PlanShown {
                        yours: Some(&raw),
                        errors: &errors,
                        conflict: Some(&current),
                        saved: false,
                    },
                    ..Shown::default()
                };
                self.show_visit_day(
                    branding,
                    review,
                    (page, stage),
                    shown,
                    StatusCode::CONFLICT,
                    now,
                )
                .await
            }
            Ok(Saved::Locked { .. }) => web::http::see_other(&action),
            Ok(Saved::NotNow(refusal)) => web::pages::not_now(branding, &refusal, false, back),
            Err(error) => unavailable(branding, &error),
        }
    }

    async fn show_visit_day(
        &self,
        branding: &Branding,
        review: &Review,
        (page, stage): (&str, Stage),
        shown: Shown<'_>,
        status: StatusCode,
        now: OffsetDateTime,
    ) -> Response<Body> {
        let table = self.workflow.table();
        let stored = &review.stored;
        let (plan, feedback) = match (
            PLAN.get::<Plan>(table, &stored.id).await,
            FEEDBACK.get::<VerbalFeedback>(table, &stored.id).await,
        ) {
            (Ok(plan), Ok(feedback)) => (plan, feedback),
            (Err(error), _) | (_, Err(error)) => return unavailable(branding, &error),
        };
        let (viewer, person) = if review.is_lead {
            (Viewer::Lead, Person::Lead)
        } else {
            (Viewer::Second, Person::Second)
        };
        let today = now.date();
        let may_plan = allowed_on(stored, stage.report, Person::Lead, Action::PlanVisit, today);
        let mut view = VisitDayPage::new(
            branding,
            stored,
            (
                viewer,
                format!("{page}/visit-day"),
                (page.to_owned(), "your review"),
            ),
            plan.as_ref(),
            may_plan,
            shown.plan,
        );
        let areas = area_keys(stored);
        let may_record = allowed_on(stored, stage.report, person, Action::RecordFeedback, today);
        let given = shown
            .feedback
            .or(feedback.as_ref().map(|f| &f.body))
            .cloned()
            .unwrap_or_default();
        let visit = stored.lead.as_ref().map(|lead| lead.visit_date);
        let school_sees = visit
            .map(|visit| {
                let from = shown_to_school_from(visit);
                format!(
                    "The school sees these points on its status page from 8am on {}; they also start the draft report's \"What went well\" and \"Even better if\".",
                    records::domain::request::long_date(from.date())
                )
            })
            .unwrap_or_default();
        view.feedback = match may_record {
            Ok(()) => Some(FeedbackSection {
                action: Some(format!("{page}/visit-day")),
                version: shown
                    .feedback_conflict
                    .map(|c| c.version)
                    .or(feedback.as_ref().map(|f| f.version))
                    .unwrap_or(0),
                areas: FeedbackSection::areas(&given, &areas, shown.feedback_errors, true),
                conflict_by: shown.feedback_conflict.map(|c| c.updated_by.clone()),
                saved: shown.feedback_saved,
                note: format!(
                    "At the end of the day, record the headline points you gave the school. {school_sees}"
                ),
            }),
            Err(_) if feedback.is_some() => Some(FeedbackSection {
                action: None,
                version: 0,
                areas: FeedbackSection::areas(&given, &areas, &[], false),
                conflict_by: None,
                saved: false,
                note: school_sees,
            }),
            Err(_) => None,
        };
        web::http::page(status, askama::Template::render(&view))
    }
}

/// The feedback boxes as typed (shown again with their problems): each box's lines as points.
fn feedback_as_typed(pairs: &[(String, String)], areas: &[String]) -> VerbalFeedback {
    use visit_day::feedback::{AreaPoints, GENERAL, field_id};
    let text = |id: String| {
        pairs
            .iter()
            .find(|(n, _)| *n == id)
            .map(|(_, v)| v.lines().map(str::to_owned).collect())
            .unwrap_or_default()
    };
    VerbalFeedback {
        areas: std::iter::once(GENERAL)
            .chain(areas.iter().map(String::as_str))
            .map(|area| AreaPoints {
                area: area.to_owned(),
                went_well: text(field_id(area, "went_well")),
                even_better_if: text(field_id(area, "even_better_if")),
            })
            .collect(),
    }
}
