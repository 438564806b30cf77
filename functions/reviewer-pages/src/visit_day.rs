//! The visit day under a reviewer's review link (`/reviews/{token}/visit-day`): the plan, which
//! the lead builds with the school (`decision=save`), and the verbal feedback the lead records
//! from the day of the visit (`decision=feedback`). The second reviewer reads both.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use records::branding::Branding;
use records::lifecycle::{Action, Person, Stage, allowed_on};
use records::store::StoreError;
use records::versioned::{Saved, Versioned};
use time::OffsetDateTime;
use visit_day::feedback::{FeedbackFieldError, VerbalFeedback, shown_to_school_from};
use visit_day::plan::{Plan, RawPlan};
use visit_day::store::{FEEDBACK, PLAN, Planner, area_keys, save_feedback, save_plan};
use web::guards::Review;
use web::pages::visit_day::{FeedbackSection, PlanShown, Posted, Viewer, VisitDayPage};

use crate::{ReviewerPages, only_the_lead, unavailable, unreadable};

/// The visit-day page being answered: for whom, about which review, at which stage, when.
#[derive(Clone, Copy)]
struct At<'a> {
    branding: &'a Branding,
    review: &'a Review,
    /// The review page's address.
    page: &'a str,
    stage: Stage,
    now: OffsetDateTime,
}

impl At<'_> {
    fn action(&self) -> String {
        format!("{}/visit-day", self.page)
    }
}

/// What the page shows besides what is stored.
#[derive(Default)]
struct Shown<'a> {
    plan: PlanShown<'a>,
    feedback: Option<&'a VerbalFeedback>,
    feedback_errors: &'a [FeedbackFieldError],
    feedback_conflict: Option<&'a Versioned<VerbalFeedback>>,
    feedback_saved: bool,
}

impl<'a> Shown<'a> {
    /// The page with the plan's form shown as `plan` says.
    fn plan(plan: PlanShown<'a>) -> Self {
        Self {
            plan,
            ..Self::default()
        }
    }
}

/// A save's answer: where the browser goes next, or the newer version it was stale against.
enum Answered<T> {
    Page(Response<Body>),
    Stale(Box<Versioned<T>>, Box<T>),
}

impl ReviewerPages {
    pub(crate) async fn visit_day(
        &self,
        request: &Request,
        (branding, review, page): (&Branding, &Review, &str),
        now: OffsetDateTime,
    ) -> Response<Body> {
        let at = match self.stage(branding, review).await {
            Ok(stage) => At {
                branding,
                review,
                page,
                stage,
                now,
            },
            Err(page) => return page,
        };
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
            return self.show_visit_day(at, shown, StatusCode::OK).await;
        }
        let Some(posted) = Posted::read(request) else {
            return unreadable(
                branding,
                "The visit day's form",
                "visit day's page and try again",
            );
        };
        if !review.is_lead {
            return only_the_lead(branding, "this");
        }
        if posted.decision == "feedback" {
            self.record_feedback(at, &posted).await
        } else {
            self.change_plan(at, &posted).await
        }
    }

    async fn change_plan(&self, at: At<'_>, posted: &Posted) -> Response<Body> {
        let stored = &at.review.stored;
        let raw = RawPlan::from_pairs(&posted.pairs);
        let parsed = Plan::parse(&raw, &area_keys(stored));
        if let Err(errors) = &parsed {
            let typed = Shown::plan(PlanShown::typed(&raw, errors));
            return self
                .show_visit_day(at, typed, StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        }
        let plan = parsed.unwrap_or_default();
        let lead = Planner::Lead(&at.review.member.reviewer_name);
        let saved = save_plan(
            self.workflow.table(),
            stored,
            at.stage,
            lead,
            (posted.based_on, &plan),
            at.now,
        )
        .await;
        match answered(at, saved, "plan") {
            Answered::Page(page) => page,
            Answered::Stale(current, _) => {
                let plan = PlanShown::stale(&raw, &current);
                self.show_visit_day(at, Shown::plan(plan), StatusCode::CONFLICT)
                    .await
            }
        }
    }

    async fn record_feedback(&self, at: At<'_>, posted: &Posted) -> Response<Body> {
        let stored = &at.review.stored;
        let areas = area_keys(stored);
        let feedback = match VerbalFeedback::parse(&posted.pairs, &areas) {
            Ok(feedback) => feedback,
            Err(errors) => {
                let yours = feedback_as_typed(&posted.pairs, &areas);
                let shown = Shown {
                    feedback: Some(&yours),
                    feedback_errors: &errors,
                    ..Shown::default()
                };
                return self
                    .show_visit_day(at, shown, StatusCode::UNPROCESSABLE_ENTITY)
                    .await;
            }
        };
        let lead = at.review.member.reviewer_name.as_str();
        let version = (posted.based_on, &feedback);
        let saved = save_feedback(
            self.workflow.table(),
            stored,
            at.stage,
            lead,
            version,
            at.now,
        );
        match answered(at, saved.await, "feedback#verbal-feedback") {
            Answered::Page(page) => page,
            Answered::Stale(current, yours) => {
                let shown = Shown {
                    feedback: Some(&yours),
                    feedback_conflict: Some(&current),
                    ..Shown::default()
                };
                self.show_visit_day(at, shown, StatusCode::CONFLICT).await
            }
        }
    }

    async fn show_visit_day(
        &self,
        at: At<'_>,
        shown: Shown<'_>,
        status: StatusCode,
    ) -> Response<Body> {
        let table = self.workflow.table();
        let (stored, branding) = (&at.review.stored, at.branding);
        let (plan, feedback) = match (
            PLAN.get::<Plan>(table, &stored.id).await,
            FEEDBACK.get::<VerbalFeedback>(table, &stored.id).await,
        ) {
            (Ok(plan), Ok(feedback)) => (plan, feedback),
            (Err(error), _) | (_, Err(error)) => return unavailable(branding, &error),
        };
        let (viewer, person) = if at.review.is_lead {
            (Viewer::Lead, Person::Lead)
        } else {
            (Viewer::Second, Person::Second)
        };
        let today = at.now.date();
        let report = at.stage.report;
        let may_plan = allowed_on(stored, report, Person::Lead, Action::PlanVisit, today);
        let mut view = VisitDayPage::new(
            branding,
            stored,
            (viewer, at.action(), (at.page.to_owned(), "your review")),
            plan.as_ref(),
            may_plan,
            shown.plan,
        );
        let areas = visit_day::ReviewAreas::of(&stored.request);
        let given = shown
            .feedback
            .or(feedback.as_ref().map(|f| &f.body))
            .cloned()
            .unwrap_or_default();
        let school_sees = stored
            .lead
            .as_ref()
            .map(|lead| {
                let from = shown_to_school_from(lead.visit_date);
                format!(
                    "The school sees these points on its status page from 8am on {}; they also start the draft report's \"What went well\" and \"Even better if\".",
                    records::domain::request::long_date(from.date())
                )
            })
            .unwrap_or_default();
        view.feedback = match allowed_on(stored, report, person, Action::RecordFeedback, today) {
            Ok(()) => Some(FeedbackSection {
                action: Some(at.action()),
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

/// What a save's answer does: saved, back to the page (`?saved=<what>`); stale, shown again.
fn answered<T>(at: At<'_>, saved: Result<Saved<T>, StoreError>, what: &str) -> Answered<T> {
    let action = at.action();
    Answered::Page(match saved {
        Ok(Saved::Saved { .. }) => web::http::see_other(&format!("{action}?saved={what}")),
        Ok(Saved::Stale { current, yours }) => return Answered::Stale(current, yours),
        Ok(Saved::Locked { .. }) => web::http::see_other(&action),
        Ok(Saved::NotNow(refusal)) => web::pages::not_now(
            at.branding,
            &refusal,
            false,
            (&action, "Back to the visit day"),
        ),
        Err(error) => unavailable(at.branding, &error),
    })
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
