//! The review team's report editor, under a reviewer's review link (`/reviews/{token}/report`),
//! from the day of the visit. GET shows the shared draft; POST saves it (`decision=save`),
//! autosaves from the page's script (`autosave`, answered in JSON), and, for the lead only,
//! sends it to the school for its factual-accuracy check (`submit`). A save based on an older
//! version stores nothing: the page shows the person's text with the newer one beside it.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, RequestExt, Response};
use records::branding::Branding;
use records::domain::request::long_date;
use records::programme;
use records::programme::{GradingScale, ProgrammeSettings};
use records::request::StoredRequest;
use records::versioned::Versioned;
use serde_json::json;
use std::collections::HashMap;
use time::OffsetDateTime;
use web::guards::Review;
use web::pages::AUTOSAVE_SCRIPT;
use web::pages::report::{EditorInput, ReportEditorPage};
use workflows::after_report::action_plan;
use workflows::after_report::action_plan::ActionPlan;
use workflows::report::render::{ReportDocument, Stage};
use workflows::report::store::{Moved, Saved, StoredReport};

use workflows::report::{
    RawArea, RawReport, Report, ReportFieldError, ReportFinal, ReportTemplate, ReportToCheck, pdf,
    store,
};
use workflows::retention;

use crate::{ReviewerPages, message, unreadable};

/// Room for a report with every field at its limit, in the worst UTF-8 and URL encoding.
const MAX_REPORT_FORM_BYTES: usize = 2 * 1024 * 1024;

/// What the editor shows besides the stored draft.
#[derive(Default)]
struct Shown<'a> {
    /// The person's own text, when it is not (yet) what is stored.
    yours: Option<&'a RawReport>,
    errors: Vec<ReportFieldError>,
    /// A newer version someone else saved.
    conflict: Option<&'a Versioned<Report>>,
    saved: bool,
}

impl ReviewerPages {
    pub(crate) async fn report(
        &self,
        branding: &Branding,
        request: &Request,
        review: &Review,
        page: &str,
        now: OffsetDateTime,
    ) -> Response<Body> {
        let visit = review.stored.lead.as_ref().map(|lead| lead.visit_date);
        if visit.is_none_or(|visit| now.date() < visit) {
            return message(
                branding,
                StatusCode::OK,
                "The report opens on the day of the visit",
                &[visit.map_or_else(
                    || "The visit has no date yet.".to_owned(),
                    |visit| format!("You can write it from {}.", long_date(visit)),
                )],
            );
        }
        let table = self.workflow.table();
        let settings = match programme::get(table).await {
            Ok(settings) => settings,
            Err(error) => return trouble(branding, &error),
        };
        let scale = settings.as_ref().and_then(|s| s.scale.clone());
        let current = match store::get(table, &review.stored.id).await {
            Ok(current) => current,
            Err(error) => return trouble(branding, &error),
        };
        if let Some(closed) = current.as_ref().filter(|c| !c.editable()) {
            return not_editable(branding, closed);
        }
        let action = format!("{page}/report");
        let editor = Editor {
            pages: self,
            branding,
            review,
            action: &action,
            scale: scale.as_ref(),
            template: ReportTemplate::for_request(&review.stored),
        };
        if request.method() == "GET" {
            let saved = request
                .query_string_parameters_ref()
                .is_some_and(|q| q.first("saved").is_some());
            return editor
                .show(
                    current.as_ref(),
                    Shown {
                        saved,
                        ..Shown::default()
                    },
                    StatusCode::OK,
                )
                .await;
        }

        let wants_json = web::http::wants_json(request);
        let Ok(pairs) =
            web::http::read_form::<Vec<(String, String)>>(request, MAX_REPORT_FORM_BYTES)
        else {
            return unreadable(branding, "The report", "report and save it again");
        };
        let field = |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let decision = field("decision").unwrap_or("save");
        let based_on: u64 = field("version").and_then(|v| v.parse().ok()).unwrap_or(0);
        let raw = RawReport::from_pairs(&pairs);
        let report = match Report::parse(&raw, &editor.template, scale.as_ref()) {
            Ok(report) => report,
            Err(errors) => {
                if wants_json {
                    return web::http::json(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        &json!({ "detail": "Not saved: a box has too much text. Press Save to see which." }),
                    );
                }
                return editor
                    .show(
                        current.as_ref(),
                        Shown {
                            yours: Some(&raw),
                            errors,
                            ..Shown::default()
                        },
                        StatusCode::UNPROCESSABLE_ENTITY,
                    )
                    .await;
            }
        };
        let author = review.member.reviewer_name.as_str();
        let version = match store::save_draft(
            table,
            &review.stored.id,
            based_on,
            &report,
            author,
            now,
        )
        .await
        {
            Ok(Saved::Saved { version }) => version,
            Ok(Saved::Stale { current: newer, .. }) => {
                if wants_json {
                    return web::http::json(
                        StatusCode::CONFLICT,
                        &json!({ "detail": "Someone else on the review team saved a newer version. Press Save to see both." }),
                    );
                }
                return editor
                    .show(
                        current.as_ref(),
                        Shown {
                            yours: Some(&raw),
                            conflict: Some(&newer),
                            ..Shown::default()
                        },
                        StatusCode::CONFLICT,
                    )
                    .await;
            }
            Ok(Saved::Locked { .. }) => {
                if wants_json {
                    return web::http::json(
                        StatusCode::CONFLICT,
                        &json!({ "detail": "The report has been sent to the school: it cannot be changed now." }),
                    );
                }
                return web::http::see_other(&action);
            }
            Ok(Saved::NotNow(refusal)) => {
                return web::pages::not_now(
                    branding,
                    &refusal,
                    wants_json,
                    (&action, "Back to the report"),
                );
            }
            Err(error) => return trouble(branding, &error),
        };
        if wants_json {
            return web::http::json(StatusCode::OK, &json!({ "version": version }));
        }
        if decision == "finalise" && review.is_lead {
            let retention_months = settings
                .as_ref()
                .map_or(ProgrammeSettings::new("", "").retention_months, |s| {
                    s.retention_months
                });
            return self.finalise(&editor, version, retention_months, now).await;
        }
        if decision != "submit" || !review.is_lead {
            return web::http::see_other(&format!("{action}?saved=1"));
        }
        let school = &review.stored.request;
        let email = ReportToCheck {
            request_id: review.stored.id.clone(),
            reference: review.stored.reference.to_string(),
            school_name: school.school.name.to_string(),
            lead_name: author.to_owned(),
        };
        let outbox = records::outbox::put(
            &table.name,
            Some(&review.stored.id),
            school.contact.email.as_str(),
            &email,
            now,
        );
        match store::submit(
            table,
            &review.stored.id,
            version,
            scale.as_ref(),
            now,
            vec![outbox],
        )
        .await
        {
            Ok(Moved::Done | Moved::Conflict) => web::http::see_other(&action),
            Ok(Moved::NotReady(errors)) => {
                let current = store::get(table, &review.stored.id).await.ok().flatten();
                editor
                    .show(
                        current.as_ref(),
                        Shown {
                            errors,
                            saved: true,
                            ..Shown::default()
                        },
                        StatusCode::UNPROCESSABLE_ENTITY,
                    )
                    .await
            }
            Err(error) => trouble(branding, &error),
        }
    }

    /// The lead finalises the checked report (version `version`): it is rendered to HTML and
    /// PDF, both stored under the request's prefix of the evidence bucket, and then, in one
    /// transaction, the report becomes final, its retention clock starts and the school is
    /// emailed the PDF. A second click finds the report final and changes nothing; if the
    /// transaction fails, the stored files are simply overwritten by the next attempt.
    #[allow(clippy::too_many_arguments)]
    async fn finalise(
        &self,
        editor: &Editor<'_>,
        version: u64,
        retention_months: u16,
        now: OffsetDateTime,
    ) -> Response<Body> {
        let (branding, review, action, scale) =
            (editor.branding, editor.review, editor.action, editor.scale);
        let table = self.workflow.table();
        let request_id = &review.stored.id;
        let stored = match store::get(table, request_id).await {
            Ok(Some(stored)) => stored,
            Ok(None) => return web::http::see_other(action),
            Err(error) => return trouble(branding, &error),
        };
        if stored.state != records::lifecycle::ReportState::Checked || stored.version != version {
            return web::http::see_other(action);
        }
        if let Err(errors) = stored.report.check_ready(scale) {
            return editor
                .show(
                    Some(&stored),
                    Shown {
                        errors,
                        saved: true,
                        ..Shown::default()
                    },
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
        }
        let doc = ReportDocument::for_request(
            branding,
            &review.stored,
            &stored.report,
            Stage::Final,
            now.date(),
        );
        let (html, pdf) = match (doc.to_html(), pdf::render(&doc)) {
            (Ok(html), Ok(pdf)) => (html, pdf),
            (html, pdf) => {
                let error = html
                    .err()
                    .map(|e| e.to_string())
                    .or(pdf.err().map(|e| e.to_string()))
                    .unwrap_or_default();
                return trouble(branding, &error);
            }
        };
        let (html_key, pdf_key) = match store::put_files(
            &self.evidence.s3,
            &self.evidence.bucket,
            request_id,
            html,
            pdf,
        )
        .await
        {
            Ok(keys) => keys,
            Err(error) => return trouble(branding, &error),
        };
        let school = &review.stored.request;
        let mut also = retention::schedule_purge(
            &table.name,
            request_id,
            retention::purge_date(now.date(), retention_months),
        );
        also.push(records::outbox::put(
            &table.name,
            Some(request_id),
            school.contact.email.as_str(),
            &(ReportFinal {
                request_id: request_id.clone(),
                reference: review.stored.reference.to_string(),
                school_name: school.school.name.to_string(),
                pdf_key: pdf_key.clone(),
            }),
            now,
        ));
        // Feedback both ways: the school and each reviewer are asked, in the same transaction.
        match coordination::feedback::invitations(table, &review.stored, now).await {
            Ok(invitations) => also.extend(invitations),
            Err(error) => return trouble(branding, &error),
        }
        match store::finalise(table, request_id, version, &html_key, &pdf_key, now, also).await {
            Ok(_) => web::http::see_other(action),
            Err(error) => trouble(branding, &error),
        }
    }
}

/// The editor of one reviewer's report page, shown with whatever the request handling found.
struct Editor<'a> {
    pages: &'a ReviewerPages,
    branding: &'a Branding,
    review: &'a Review,
    /// Where the form posts.
    action: &'a str,
    scale: Option<&'a GradingScale>,
    /// What the report is written against (the request's focus areas, or a follow-up's).
    template: ReportTemplate,
}

impl Editor<'_> {
    async fn show(
        &self,
        current: Option<&StoredReport>,
        shown: Shown<'_>,
        status: StatusCode,
    ) -> Response<Body> {
        let Editor {
            pages,
            branding,
            review,
            action,
            scale,
            ref template,
        } = *self;
        let action_plan = pages.original_action_plan(&review.stored).await;
        let stored_form = current.map(|c| RawReport::from_report(&c.report));
        // An empty draft starts from the verbal feedback given on the day.
        let seeded = match (current, shown.yours) {
            (None, None) => pages.seeded_by_feedback(&review.stored, template).await,
            _ => None,
        };
        let empty = RawReport::default();
        let form = shown
            .yours
            .or(stored_form.as_ref())
            .or(seeded.as_ref())
            .unwrap_or(&empty);
        let page = ReportEditorPage::new(EditorInput {
            branding,
            school_name: review.stored.request.school.name.as_str(),
            reference: review.stored.reference.as_str(),
            visit_date_text: review
                .stored
                .lead
                .as_ref()
                .map(|lead| lead.visit_date)
                .map(long_date)
                .unwrap_or_default(),
            action,
            // After a conflict the form is based on the newer version: saving again keeps the
            // person's text knowingly.
            version: shown
                .conflict
                .map(|c| c.version)
                .or(current.map(|c| c.version))
                .unwrap_or(0),
            is_lead: review.is_lead,
            checked: current.is_some_and(|c| c.state == records::lifecycle::ReportState::Checked),
            template,
            action_plan: action_plan.as_ref(),
            scale,
            form,
            errors: &shown.errors,
            conflict: shown.conflict.map(|c| (c.updated_by.as_str(), &c.body)),
            saved: shown.saved,
            factual_check: current.and_then(|c| c.factual_check.as_ref()),
            script: AUTOSAVE_SCRIPT,
        });
        web::http::page_with_script(status, askama::Template::render(&page), AUTOSAVE_SCRIPT)
    }
}

impl ReviewerPages {
    /// The editor's form filled in with the verbal feedback's points on each of the report's
    /// focus areas, if the lead recorded any. Left out (and logged) if it cannot be read.
    async fn seeded_by_feedback(
        &self,
        stored: &StoredRequest,
        template: &ReportTemplate,
    ) -> Option<RawReport> {
        let feedback = match visit_day::store::FEEDBACK
            .get::<visit_day::VerbalFeedback>(self.workflow.table(), &stored.id)
            .await
        {
            Ok(feedback) => feedback?.body,
            Err(error) => {
                tracing::error!(%error, "reading the verbal feedback failed");
                return None;
            }
        };
        let areas: HashMap<String, RawArea> = template
            .areas()
            .iter()
            .filter_map(|area| {
                let points = feedback.about(area.as_str())?;
                Some((
                    area.as_str().to_owned(),
                    RawArea {
                        went_well: points.went_well.clone(),
                        even_better_if: points.even_better_if.clone(),
                        ..RawArea::default()
                    },
                ))
            })
            .collect();
        (!areas.is_empty()).then(|| RawReport {
            areas,
            ..RawReport::default()
        })
    }

    /// On a follow-up visit: the school's action plan for the original report's
    /// recommendations, which the reviewers review progress against. Left out (and logged) if
    /// it cannot be read: the editor works without it.
    async fn original_action_plan(&self, stored: &StoredRequest) -> Option<ActionPlan> {
        let original = stored.follow_up_of.as_ref()?;
        match action_plan::KIND
            .get::<ActionPlan>(self.workflow.table(), &original.request_id)
            .await
        {
            Ok(plan) => plan.map(|plan| plan.body),
            Err(error) => {
                tracing::error!(%error, "reading the original review's action plan failed");
                None
            }
        }
    }
}

/// The report is with the school, or final: nobody edits it.
fn not_editable(branding: &Branding, report: &StoredReport) -> Response<Body> {
    let text = if report.state == records::lifecycle::ReportState::Final {
        "The report is final and has been sent to the school."
    } else {
        "The draft is with the school to check for factual accuracy. You can edit it again when the school has answered: we will email the lead reviewer."
    };
    message(
        branding,
        StatusCode::OK,
        "The report is not open for editing",
        &[text.into()],
    )
}

fn trouble(branding: &Branding, error: &dyn std::fmt::Display) -> Response<Body> {
    tracing::error!(%error, "the report's storage failed");
    message(
        branding,
        StatusCode::SERVICE_UNAVAILABLE,
        "Sorry, there is a problem with the service",
        &["Try again in a few minutes. Nothing you saved is lost.".into()],
    )
}
