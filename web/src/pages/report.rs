//! The report's pages: the review team's editor, and the school's factual-accuracy check. Both
//! work without JavaScript (Save posts the form); with it, the editor saves as the reviewer
//! types and counts the characters left (the pages' shared autosave script, whose protocol the
//! form follows: `data-autosave`, a `version` field, `data-maxlength` and `<id>-count`).

use askama::Template;

use records::branding::Branding;
use records::programme::GradingScale;
use workflows::after_report::action_plan::{ActionPlan, ActionRow};
use workflows::report::render::ReportDocument;
use workflows::report::{
    AreaPart, FactualCheck, MAX_COMMENT_CHARS, MAX_EVIDENCE_CHARS, MAX_NEXT_STEPS_CHARS,
    MAX_POINT_CHARS, MAX_POINTS, MAX_PROGRESS_CHARS, MAX_RECOMMENDATION_CHARS, MAX_RECOMMENDATIONS,
    MAX_SUMMARY_CHARS, NEXT_STEPS_FIELD, ProgressRating, RECOMMENDATION_FIELD, RawArea, RawReport,
    Report, ReportFieldError, ReportTemplate, SUMMARY_FIELD, Section, field_id, field_name,
    next_steps_id, progress_rating_field, progress_seen_field, recommendation_id,
};

/// Blank boxes offered after the last filled point or recommendation.
const SPARE_ROWS: usize = 2;

/// One text box: its label, limit, what is in it, its error, and (after a conflict) what the
/// saved version says where that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextBox {
    pub id: String,
    pub name: String,
    pub label: String,
    pub max: usize,
    pub rows: usize,
    pub value: String,
    pub error: Option<String>,
    pub saved: Option<String>,
}

/// A drop-down list: its label, `(value, label)` options after "Not chosen yet", what is
/// chosen and its error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub id: String,
    pub name: String,
    pub label: String,
    pub options: Vec<(String, String)>,
    pub value: String,
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaBoxes {
    pub code: String,
    /// The area's heading in the request's framework.
    pub label: String,
    pub went_well: Vec<TextBox>,
    pub even_better_if: Vec<TextBox>,
    pub evidence: TextBox,
    pub judgement: Option<Choice>,
    /// The school's factual-accuracy comment on this area.
    pub school_comment: Option<String>,
}

/// A follow-up's boxes for one of the original recommendations, with what the school's action
/// plan says about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressBoxes {
    pub number: usize,
    pub recommendation: String,
    pub next_steps: Option<String>,
    pub rating: Choice,
    pub seen: TextBox,
    pub action_plan: Option<ActionRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecommendationBoxes {
    pub number: usize,
    pub action: TextBox,
    pub next_steps: TextBox,
}

/// What the editor is opened on.
pub struct EditorInput<'a> {
    pub branding: &'a Branding,
    pub school_name: &'a str,
    pub reference: &'a str,
    pub visit_date_text: String,
    /// Where the form posts (the reviewer's private link).
    pub action: &'a str,
    /// The version the text in the form is based on.
    pub version: u64,
    /// Only the lead submits and finalises; the second reviewer saves.
    pub is_lead: bool,
    /// The school has answered the draft: the lead finalises next.
    pub checked: bool,
    pub template: &'a ReportTemplate,
    /// On a follow-up: the school's action plan for the original recommendations.
    pub action_plan: Option<&'a ActionPlan>,
    pub scale: Option<&'a GradingScale>,
    /// The text in the form: the stored draft, or what was posted.
    pub form: &'a RawReport,
    pub errors: &'a [ReportFieldError],
    /// After a conflict: who saved the newer version, and its text (shown where it differs).
    pub conflict: Option<(&'a str, &'a Report)>,
    pub saved: bool,
    pub factual_check: Option<&'a FactualCheck>,
    pub script: &'a str,
}

#[derive(Template)]
#[template(path = "report/editor.html")]
pub struct ReportEditorPage<'a> {
    pub branding: &'a Branding,
    pub school_name: &'a str,
    pub reference: &'a str,
    pub visit_date_text: String,
    pub action: &'a str,
    pub version: u64,
    pub is_lead: bool,
    pub checked: bool,
    pub errors: Vec<(String, String)>,
    pub conflict: Option<String>,
    pub saved: bool,
    pub follow_up: bool,
    pub progress: Vec<ProgressBoxes>,
    pub progress_comment: Option<String>,
    pub areas: Vec<AreaBoxes>,
    pub summary: TextBox,
    pub summary_comment: Option<String>,
    pub recommendations: Vec<RecommendationBoxes>,
    pub recommendations_comment: Option<String>,
    pub school_accepted: bool,
    pub script: &'a str,
}

impl<'a> ReportEditorPage<'a> {
    pub fn new(input: EditorInput<'a>) -> Self {
        let error = |id: &str| {
            input
                .errors
                .iter()
                .find(|e| e.field == id)
                .map(|e| e.message.clone())
        };
        let saved_report = input
            .conflict
            .map(|(_, report)| RawReport::from_report(report));
        let comment = |section: Section| {
            input.factual_check.and_then(|check| {
                check
                    .comments()
                    .iter()
                    .find(|c| c.section == section)
                    .map(|c| c.comment.to_string())
            })
        };
        let progress = input
            .template
            .progress_on()
            .iter()
            .enumerate()
            .map(|(i, original)| {
                let n = i + 1;
                let (rating, seen) = input.form.progress.get(i).cloned().unwrap_or_default();
                let saved_seen = saved_report
                    .as_ref()
                    .map(|r| r.progress.get(i).cloned().unwrap_or_default().1);
                let (rating_id, seen_id) = (progress_rating_field(n), progress_seen_field(n));
                ProgressBoxes {
                    number: n,
                    recommendation: original.action.to_string(),
                    next_steps: original.next_steps.as_ref().map(ToString::to_string),
                    rating: Choice {
                        error: error(&rating_id),
                        name: rating_id.clone(),
                        id: rating_id,
                        label: format!("Progress on recommendation {n}"),
                        options: ProgressRating::ALL
                            .iter()
                            .map(|r| (r.as_str().to_owned(), r.label().to_owned()))
                            .collect(),
                        value: rating,
                    },
                    seen: TextBox {
                        error: error(&seen_id),
                        saved: differing(saved_seen.as_ref(), &seen),
                        name: seen_id.clone(),
                        id: seen_id,
                        label: format!("Progress seen on recommendation {n}"),
                        max: MAX_PROGRESS_CHARS,
                        rows: 5,
                        value: seen,
                    },
                    action_plan: input.action_plan.and_then(|plan| plan.rows.get(i).cloned()),
                }
            })
            .collect();
        let empty = RawArea::default();
        let areas = input
            .template
            .areas()
            .iter()
            .map(|named| {
                let area = &named.key;
                let raw = input.form.areas.get(area.as_str()).unwrap_or(&empty);
                let saved = saved_report
                    .as_ref()
                    .map(|r| r.areas.get(area.as_str()).cloned().unwrap_or_default());
                let points = |part: AreaPart, values: &[String], saved: Option<&[String]>| {
                    let filled: Vec<&String> =
                        values.iter().filter(|v| !v.trim().is_empty()).collect();
                    let shown = (filled.len() + SPARE_ROWS)
                        .max(saved.map_or(0, <[String]>::len))
                        .clamp(3, MAX_POINTS);
                    (0..shown)
                        .map(|i| {
                            let id = field_id(area, part, Some(i + 1));
                            let value = filled.get(i).map(|v| v.to_string()).unwrap_or_default();
                            TextBox {
                                error: error(&id),
                                saved: differing(saved.and_then(|s| s.get(i)), &value),
                                label: format!("{} {}", part.label(), i + 1),
                                name: field_name(area, part),
                                id,
                                max: MAX_POINT_CHARS,
                                rows: 3,
                                value,
                            }
                        })
                        .collect()
                };
                let evidence_id = field_id(area, AreaPart::Evidence, None);
                let judgement_id = field_id(area, AreaPart::Judgement, None);
                AreaBoxes {
                    code: area.as_str().to_owned(),
                    label: named.heading.clone(),
                    went_well: points(
                        AreaPart::WentWell,
                        &raw.went_well,
                        saved.as_ref().map(|s| s.went_well.as_slice()),
                    ),
                    even_better_if: points(
                        AreaPart::EvenBetterIf,
                        &raw.even_better_if,
                        saved.as_ref().map(|s| s.even_better_if.as_slice()),
                    ),
                    evidence: TextBox {
                        error: error(&evidence_id),
                        saved: differing(saved.as_ref().map(|s| &s.evidence), &raw.evidence),
                        id: evidence_id,
                        name: field_name(area, AreaPart::Evidence),
                        label: AreaPart::Evidence.label().into(),
                        max: MAX_EVIDENCE_CHARS,
                        rows: 6,
                        value: raw.evidence.clone(),
                    },
                    judgement: input.scale.map(|scale| Choice {
                        error: error(&judgement_id),
                        id: judgement_id,
                        name: field_name(area, AreaPart::Judgement),
                        label: AreaPart::Judgement.label().into(),
                        options: scale
                            .levels()
                            .iter()
                            .map(|level| (level.clone(), level.clone()))
                            .collect(),
                        value: raw.judgement.clone(),
                    }),
                    school_comment: comment(Section::Area(area.clone())),
                }
            })
            .collect();
        let saved_rows = saved_report.as_ref().map(|r| r.recommendations.clone());
        let filled: Vec<&(String, String)> = input
            .form
            .recommendations
            .iter()
            .filter(|(a, s)| !a.trim().is_empty() || !s.trim().is_empty())
            .collect();
        let shown = (filled.len() + SPARE_ROWS)
            .max(saved_rows.as_ref().map_or(0, Vec::len))
            .clamp(3, MAX_RECOMMENDATIONS);
        let recommendations = (0..shown)
            .map(|i| {
                let n = i + 1;
                let (action, steps) = filled.get(i).map(|r| (*r).clone()).unwrap_or_default();
                let saved = saved_rows.as_ref().and_then(|rows| rows.get(i));
                let (action_id, steps_id) = (recommendation_id(n), next_steps_id(n));
                RecommendationBoxes {
                    number: n,
                    action: TextBox {
                        error: error(&action_id),
                        saved: differing(saved.map(|s| &s.0), &action),
                        id: action_id,
                        name: RECOMMENDATION_FIELD.into(),
                        label: format!("Recommendation {n}"),
                        max: MAX_RECOMMENDATION_CHARS,
                        rows: 3,
                        value: action,
                    },
                    next_steps: TextBox {
                        error: error(&steps_id),
                        saved: differing(saved.map(|s| &s.1), &steps),
                        id: steps_id,
                        name: NEXT_STEPS_FIELD.into(),
                        label: format!("Suggested next steps for recommendation {n}"),
                        max: MAX_NEXT_STEPS_CHARS,
                        rows: 4,
                        value: steps,
                    },
                }
            })
            .collect();
        ReportEditorPage {
            branding: input.branding,
            school_name: input.school_name,
            reference: input.reference,
            visit_date_text: input.visit_date_text,
            action: input.action,
            version: input.version,
            is_lead: input.is_lead,
            checked: input.checked,
            errors: input
                .errors
                .iter()
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect(),
            conflict: input.conflict.map(|(by, _)| {
                format!("{by} saved a newer version of the report while you were writing.")
            }),
            saved: input.saved,
            follow_up: matches!(input.template, ReportTemplate::FollowUp { .. }),
            progress,
            progress_comment: comment(Section::Progress),
            areas,
            summary: TextBox {
                error: error(SUMMARY_FIELD),
                saved: differing(
                    saved_report.as_ref().map(|r| &r.summary),
                    &input.form.summary,
                ),
                id: SUMMARY_FIELD.into(),
                name: SUMMARY_FIELD.into(),
                label: "Overall summary".into(),
                max: MAX_SUMMARY_CHARS,
                rows: 8,
                value: input.form.summary.clone(),
            },
            summary_comment: comment(Section::Summary),
            recommendations,
            recommendations_comment: comment(Section::Recommendations),
            school_accepted: matches!(input.factual_check, Some(FactualCheck::Accepted)),
            script: input.script,
        }
    }
}

/// The saved text, when it says something other than the form.
fn differing(saved: Option<&String>, value: &str) -> Option<String> {
    saved.filter(|s| s.trim() != value.trim()).map(|s| {
        if s.trim().is_empty() {
            "(nothing)".to_owned()
        } else {
            s.clone()
        }
    })
}

/// A comment box of the school's factual-accuracy form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentBox {
    pub id: String,
    pub label: String,
    pub value: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "report/factual_check.html")]
pub struct FactualCheckPage<'a> {
    pub branding: &'a Branding,
    pub reference: &'a str,
    /// The draft, rendered (its text escaped).
    pub draft_html: String,
    pub action: &'a str,
    pub version: u64,
    pub comments: Vec<CommentBox>,
    pub max: usize,
    pub errors: Vec<(String, String)>,
    /// The school already answered: the page only shows the draft and what it said.
    pub answered: Option<&'a FactualCheck>,
}

impl<'a> FactualCheckPage<'a> {
    /// `posted`: the comments as posted (after an error), by field.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        branding: &'a Branding,
        reference: &'a str,
        doc: &ReportDocument<'_>,
        action: &'a str,
        version: u64,
        posted: &[(String, String)],
        errors: &[ReportFieldError],
        answered: Option<&'a FactualCheck>,
    ) -> askama::Result<Self> {
        let comments = Section::all(doc.report)
            .into_iter()
            .map(|section| {
                let id = section.field();
                CommentBox {
                    value: posted
                        .iter()
                        .find(|(name, _)| *name == id)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default(),
                    error: errors
                        .iter()
                        .find(|e| e.field == id)
                        .map(|e| e.message.clone()),
                    label: section.label(doc.report),
                    id,
                }
            })
            .collect();
        Ok(Self {
            branding,
            reference,
            draft_html: doc.body_html()?,
            action,
            version,
            comments,
            max: MAX_COMMENT_CHARS,
            errors: errors
                .iter()
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect(),
            answered,
        })
    }
}

#[cfg(test)]
mod tests;
