//! The school's self-evaluation, under its status link (`/status/{token}/self-evaluation`):
//! GET shows the form (or, once submitted, the text); POST saves (`decision=save`), submits
//! (`submit`), or autosaves from the page's script (`autosave`, answered in JSON).

use askama::Template;
use frameworks::Framework;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use records::branding::Branding;
use records::domain::request::{FocusArea, long_date};
use records::programme;
use records::request::StoredRequest;
use records::versioned::{Saved, Versioned};
use serde_json::json;
use web::pages::{AUTOSAVE_SCRIPT, SelfEvaluationPage, SelfEvaluationSection};
use workflows::self_evaluation as evaluation;
use workflows::self_evaluation::{
    EVALUATION_MAX_CHARS, EVIDENCE_MAX_CHARS, KIND, SUBMITTED, SectionError, SelfEvaluation,
    Setting, Submitted,
};

use crate::{LinkRequest, NEWER_VERSION, SchoolPages, not_saved, unavailable};

/// What the page shows besides the stored document.
#[derive(Default)]
struct Shown {
    /// The school's own text, when it is not (yet) what is stored.
    yours: Option<SelfEvaluation>,
    errors: Vec<SectionError>,
    /// A newer version someone else saved.
    conflict: Option<Versioned<SelfEvaluation>>,
    saved: bool,
}

impl SchoolPages {
    pub(crate) async fn self_evaluation(&self, call: LinkRequest<'_>) -> Response<Body> {
        let (branding, link, now) = (call.branding, call.link, call.now);
        let (token, stored) = (&link.token, &link.stored);
        let scale = match programme::get(&self.table).await {
            Ok(settings) => settings.and_then(|s| s.scale),
            Err(error) => {
                tracing::error!(%error, "reading the programme settings failed");
                return unavailable(branding);
            }
        };
        let current = match KIND.get::<SelfEvaluation>(&self.table, &stored.id).await {
            Ok(current) => current,
            Err(error) => {
                tracing::error!(%error, "reading a self-evaluation failed");
                return unavailable(branding);
            }
        };
        // The framework the request was made under: a version published since changes nothing.
        let framework = match frameworks::of_request(&self.table, &stored.request).await {
            Ok(framework) => framework,
            Err(error) => {
                tracing::error!(%error, "reading a request's framework failed");
                return unavailable(branding);
            }
        };
        let levels = scale.as_ref().map(|s| s.levels());
        let page = |current: Option<&Versioned<SelfEvaluation>>, shown, status| {
            self.render(
                branding,
                &framework,
                now.date(),
                token,
                stored,
                current,
                levels,
                shown,
                status,
            )
        };
        if call.route.starts_with("GET") {
            return page(
                current.as_ref(),
                Shown {
                    saved: call.just_saved(),
                    ..Shown::default()
                },
                StatusCode::OK,
            );
        }

        let (wants_json, form, based_on) = match call.document_form(
            "Your self-evaluation could not be read",
            "Go back to the form and save it again.",
            (
                &format!("/status/{token}/self-evaluation"),
                "Back to the form",
            ),
        ) {
            Ok(read) => read,
            Err(page) => return *page,
        };
        let decision = form.get("decision").map(String::as_str).unwrap_or("save");
        let areas = stored.request.areas();
        let (yours, errors) = evaluation::parse(&form, &areas, scale.as_ref());
        if !errors.is_empty() {
            if wants_json {
                return not_saved(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Not saved: a box has too much text. Press Save to see which.",
                );
            }
            return page(
                current.as_ref(),
                Shown {
                    yours: Some(yours),
                    errors,
                    ..Shown::default()
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
        let saved = KIND
            .save(&self.table, &stored.id, based_on, &yours, "the school", now)
            .await;
        let version = match saved {
            Ok(Saved::Saved { version }) => version,
            Ok(Saved::Stale { current, yours }) => {
                if wants_json {
                    return not_saved(StatusCode::CONFLICT, NEWER_VERSION);
                }
                return page(
                    Some(&current),
                    Shown {
                        yours: Some(*yours),
                        conflict: Some(*current.clone()),
                        ..Shown::default()
                    },
                    StatusCode::CONFLICT,
                );
            }
            Ok(Saved::Locked { .. }) => {
                if wants_json {
                    return not_saved(
                        StatusCode::CONFLICT,
                        "Your self-evaluation is already submitted.",
                    );
                }
                return web::http::see_other(&format!("/status/{token}/self-evaluation"));
            }
            Ok(Saved::NotNow(refusal)) => {
                let back = format!("/status/{token}");
                return web::pages::not_now(
                    branding,
                    &refusal,
                    wants_json,
                    (&back, "Back to your request"),
                );
            }
            Err(error) => {
                tracing::error!(%error, "saving a self-evaluation failed");
                return unavailable(branding);
            }
        };
        if wants_json {
            return web::http::json(StatusCode::OK, &json!({ "version": version }));
        }
        if decision != "submit" {
            return web::http::see_other(&format!("/status/{token}/self-evaluation?saved=1"));
        }
        match evaluation::submit(&self.table, stored, version, scale.as_ref(), now).await {
            Ok(Submitted::Done) => web::http::see_other(&format!("/status/{token}")),
            Ok(Submitted::Incomplete(errors)) => {
                let current = KIND.get(&self.table, &stored.id).await.ok().flatten();
                page(
                    current.as_ref(),
                    Shown {
                        errors,
                        saved: true,
                        ..Shown::default()
                    },
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
            }
            Ok(Submitted::Conflict) => {
                web::http::see_other(&format!("/status/{token}/self-evaluation"))
            }
            Ok(Submitted::NotNow(refusal)) => {
                let back = format!("/status/{token}");
                web::pages::not_now(branding, &refusal, false, (&back, "Back to your request"))
            }
            Err(error) => {
                tracing::error!(%error, "submitting a self-evaluation failed");
                unavailable(branding)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn render(
        &self,
        branding: &Branding,
        framework: &Framework,
        today: time::Date,
        token: &str,
        stored: &StoredRequest,
        current: Option<&Versioned<SelfEvaluation>>,
        scale: Option<&[String]>,
        shown: Shown,
        status: StatusCode,
    ) -> Response<Body> {
        let empty = SelfEvaluation::default();
        let saved_body = current.map(|c| &c.body).unwrap_or(&empty);
        let text = shown.yours.as_ref().unwrap_or(saved_body);
        let setting = Setting::of(stored.request.school.school_type);
        let error_for = |field: &str| {
            shown
                .errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone())
        };
        let differs = |area: &FocusArea, pick: fn(&evaluation::Section) -> &String| {
            let conflict = shown.conflict.as_ref()?;
            let saved = conflict
                .body
                .section(area)
                .map(pick)
                .cloned()
                .unwrap_or_default();
            let yours = text.section(area).map(pick).cloned().unwrap_or_default();
            (saved != yours).then_some(saved)
        };
        let sections = stored
            .request
            .areas()
            .into_iter()
            .map(|named| {
                let area = &named.key;
                let section = text.section(area);
                let described = framework.focus_area(area);
                SelfEvaluationSection {
                    label: named.title.clone(),
                    code: area.as_str().to_owned(),
                    description: described.map(|a| a.description.clone()).unwrap_or_default(),
                    prompts: described
                        .map(|a| a.prompts(setting).to_vec())
                        .unwrap_or_default(),
                    evaluation: section.map(|s| s.evaluation.clone()).unwrap_or_default(),
                    evidence: section.map(|s| s.evidence.clone()).unwrap_or_default(),
                    rating: section.and_then(|s| s.rating.clone()),
                    evaluation_error: error_for(&evaluation::evaluation_field(area)),
                    evidence_error: error_for(&evaluation::evidence_field(area)),
                    rating_error: error_for(&evaluation::rating_field(area)),
                    saved_evaluation: differs(area, |s| &s.evaluation),
                    saved_evidence: differs(area, |s| &s.evidence),
                }
            })
            .collect();
        let page = SelfEvaluationPage {
            branding,
            stored,
            action: format!("/status/{token}/self-evaluation"),
            status_link: format!("/status/{token}"),
            sections,
            version: current.map(|c| c.version).unwrap_or(0),
            submitted: current.is_some_and(|c| c.state == SUBMITTED),
            closed: evaluation::open_to_school(stored, today)
                .err()
                .map(|refusal| refusal.to_string()),
            due_date_text: stored
                .lead
                .as_ref()
                .map(|lead| lead.visit_date)
                .map(|visit| long_date(evaluation::due_date(visit))),
            scale: scale.map(<[String]>::to_vec).unwrap_or_default(),
            errors: shown
                .errors
                .iter()
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect(),
            conflict: shown.conflict.as_ref().map(|c| {
                format!(
                    "{} saved a newer version at {}.",
                    if c.updated_by == "the school" {
                        "Someone at your school (or another window)"
                    } else {
                        c.updated_by.as_str()
                    },
                    c.updated_at.get(11..16).unwrap_or_default()
                )
            }),
            saved: shown.saved,
            script: AUTOSAVE_SCRIPT,
            evaluation_max: EVALUATION_MAX_CHARS,
            evidence_max: EVIDENCE_MAX_CHARS,
        };
        web::http::page_with_script(status, page.render(), AUTOSAVE_SCRIPT)
    }
}
