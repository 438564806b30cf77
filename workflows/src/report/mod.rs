//! The review's report: for each of the request's focus areas, what went well and what would
//! be even better if (several points each), the evidence seen and, only where the programme
//! has a scale, a judgement; then an overall summary and numbered recommendations, each with
//! suggested next steps.
//!
//! A follow-up visit's report uses the follow-up template instead of the focus areas: the
//! progress made on each of the original report's recommendations (how far it has got, and
//! what the reviewers saw), then the summary and any new recommendations ([`ReportTemplate`]).
//!
//! The editor form is parsed into a [`Report`] with every field's problem at once
//! ([`Report::parse`]); a draft may be incomplete, and [`Report::check_ready`] says what is
//! still missing before the lead can submit it. The `MAX_*` limits are shown to the reviewer
//! as they type.
//!
//! Storage and the workflow (draft -> submitted -> checked -> final) are in [`store`];
//! rendering to HTML and PDF in [`render`] and [`pdf`].

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use records::domain::request::{FocusArea, NamedArea, Text, TextError};
use records::programme::GradingScale;

mod emails;
pub mod examples;
pub mod pdf;
pub mod reminders;
pub mod render;
pub mod store;

pub use emails::{ReportFinal, ReportToCheck};
pub use records::request::Recommendation;

/// Points under "What went well" or "Even better if" in one focus area.
pub const MAX_POINTS: usize = 10;
/// Characters in one point.
pub const MAX_POINT_CHARS: usize = 600;
/// Characters in one focus area's "Evidence seen".
pub const MAX_EVIDENCE_CHARS: usize = 1500;
/// Characters in the overall summary.
pub const MAX_SUMMARY_CHARS: usize = 3000;
/// Recommendations in a report.
pub const MAX_RECOMMENDATIONS: usize = 10;
/// Characters in one recommendation.
pub const MAX_RECOMMENDATION_CHARS: usize = 600;
/// Characters in one recommendation's suggested next steps.
pub const MAX_NEXT_STEPS_CHARS: usize = 1200;
/// Characters in one of the school's factual-accuracy comments.
pub const MAX_COMMENT_CHARS: usize = 1500;
/// Characters in what a follow-up visit saw of one recommendation's progress.
pub const MAX_PROGRESS_CHARS: usize = 1500;

/// What a report is written against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportTemplate {
    /// A review: findings in each of the request's focus areas, in its framework's order,
    /// under the headings of the framework version the request was made under.
    Review { areas: Vec<NamedArea> },
    /// A follow-up visit: progress on each of the original final report's recommendations.
    FollowUp {
        recommendations: Vec<Recommendation>,
    },
}

impl ReportTemplate {
    /// The template of `request`'s report: the follow-up template when it follows up a review.
    pub fn for_request(request: &records::request::StoredRequest) -> Self {
        match &request.follow_up_of {
            Some(original) => ReportTemplate::FollowUp {
                recommendations: original.recommendations.clone(),
            },
            None => ReportTemplate::Review {
                areas: request.request.areas(),
            },
        }
    }

    /// The focus areas reported on (none on a follow-up visit).
    pub fn areas(&self) -> &[NamedArea] {
        match self {
            ReportTemplate::Review { areas } => areas,
            ReportTemplate::FollowUp { .. } => &[],
        }
    }

    /// The recommendations whose progress is reviewed (none on a review).
    pub fn progress_on(&self) -> &[Recommendation] {
        match self {
            ReportTemplate::Review { .. } => &[],
            ReportTemplate::FollowUp { recommendations } => recommendations,
        }
    }
}

/// How far the school has got with a recommendation, as a follow-up visit judges it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgressRating {
    Achieved,
    GoodProgress,
    SomeProgress,
    NotYetStarted,
}

impl ProgressRating {
    pub const ALL: [ProgressRating; 4] = [
        ProgressRating::Achieved,
        ProgressRating::GoodProgress,
        ProgressRating::SomeProgress,
        ProgressRating::NotYetStarted,
    ];

    /// The form and storage value.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProgressRating::Achieved => "achieved",
            ProgressRating::GoodProgress => "good_progress",
            ProgressRating::SomeProgress => "some_progress",
            ProgressRating::NotYetStarted => "not_yet_started",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            ProgressRating::Achieved => "Achieved",
            ProgressRating::GoodProgress => "Good progress",
            ProgressRating::SomeProgress => "Some progress",
            ProgressRating::NotYetStarted => "Not yet started",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value.trim())
    }
}

/// Form names of a follow-up's progress on recommendation `n` (1-based); each is also the
/// control's id.
pub fn progress_rating_field(n: usize) -> String {
    format!("progress-{n}-rating")
}

pub fn progress_seen_field(n: usize) -> String {
    format!("progress-{n}-seen")
}

/// One field's problem. `field` is the form control's id (see [`field_id`]), so an error
/// summary can link to it; repeated fields carry their 1-based position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportFieldError {
    pub field: String,
    pub message: String,
}

/// The parts of one focus area's section of the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AreaPart {
    WentWell,
    EvenBetterIf,
    Evidence,
    Judgement,
}

impl AreaPart {
    pub const fn as_str(self) -> &'static str {
        match self {
            AreaPart::WentWell => "went_well",
            AreaPart::EvenBetterIf => "even_better_if",
            AreaPart::Evidence => "evidence",
            AreaPart::Judgement => "judgement",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            AreaPart::WentWell => "What went well",
            AreaPart::EvenBetterIf => "Even better if",
            AreaPart::Evidence => "Evidence seen",
            AreaPart::Judgement => "Judgement",
        }
    }
}

/// The form field name of an area's part: `outcomes.went_well` (repeated for points).
pub fn field_name(area: &FocusArea, part: AreaPart) -> String {
    format!("{}.{}", area.as_str(), part.as_str())
}

/// The id of one form control: `outcomes-went_well-2` for the second point, `outcomes-evidence`
/// for a single field.
pub fn field_id(area: &FocusArea, part: AreaPart, position: Option<usize>) -> String {
    match position {
        Some(n) => format!("{}-{}-{n}", area.as_str(), part.as_str()),
        None => format!("{}-{}", area.as_str(), part.as_str()),
    }
}

/// Form names of the report-wide fields; recommendations and next steps repeat, paired by
/// position (each row always posts both, empty or not).
pub const SUMMARY_FIELD: &str = "summary";
pub const RECOMMENDATION_FIELD: &str = "recommendation";
pub const NEXT_STEPS_FIELD: &str = "next_steps";

/// The editor form as posted: text as typed, nothing checked yet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawReport {
    /// Per focus area (its storage value), the texts of each part as posted.
    pub areas: HashMap<String, RawArea>,
    pub summary: String,
    /// `(recommendation, next steps)`, one per row of the form.
    pub recommendations: Vec<(String, String)>,
    /// A follow-up's `(rating, progress seen)` per original recommendation, by position.
    #[serde(default)]
    pub progress: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawArea {
    pub went_well: Vec<String>,
    pub even_better_if: Vec<String>,
    pub evidence: String,
    pub judgement: String,
}

impl RawReport {
    /// Reads the posted pairs (`serde_html_form::from_str::<Vec<(String, String)>>`), keeping
    /// repeated fields in order. Fields it does not know (the version, buttons) are left to the
    /// caller.
    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut raw = RawReport::default();
        let mut recommendations = Vec::new();
        let mut next_steps = Vec::new();
        for (name, value) in pairs {
            match name.as_str() {
                SUMMARY_FIELD => raw.summary = value.clone(),
                RECOMMENDATION_FIELD => recommendations.push(value.clone()),
                NEXT_STEPS_FIELD => next_steps.push(value.clone()),
                _ if name.starts_with("progress-") => raw.set_progress(name, value),
                _ => {
                    let Some((area, part)) = name.split_once('.') else {
                        continue;
                    };
                    let Ok(area) = FocusArea::parse(area) else {
                        continue;
                    };
                    let entry = raw.areas.entry(area.as_str().to_owned()).or_default();
                    match part {
                        "went_well" => entry.went_well.push(value.clone()),
                        "even_better_if" => entry.even_better_if.push(value.clone()),
                        "evidence" => entry.evidence = value.clone(),
                        "judgement" => entry.judgement = value.clone(),
                        _ => {}
                    }
                }
            }
        }
        let rows = recommendations.len().max(next_steps.len());
        raw.recommendations = (0..rows)
            .map(|i| {
                (
                    recommendations.get(i).cloned().unwrap_or_default(),
                    next_steps.get(i).cloned().unwrap_or_default(),
                )
            })
            .collect();
        raw
    }

    /// Keeps a `progress-<n>-rating` or `progress-<n>-seen` field; positions beyond the most
    /// recommendations a report can have are ignored (they cannot be real rows).
    fn set_progress(&mut self, name: &str, value: &str) {
        let Some((n, part)) = name["progress-".len()..].split_once('-') else {
            return;
        };
        let Some(n) = n
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_RECOMMENDATIONS).contains(n))
        else {
            return;
        };
        if self.progress.len() < n {
            self.progress.resize(n, Default::default());
        }
        let row = &mut self.progress[n - 1];
        match part {
            "rating" => row.0 = value.to_owned(),
            "seen" => row.1 = value.to_owned(),
            _ => {}
        }
    }

    /// The form filled in with a stored report, for the editor to show.
    pub fn from_report(report: &Report) -> Self {
        let text = |t: &Option<Text>| t.as_ref().map(|t| t.to_string()).unwrap_or_default();
        RawReport {
            areas: report
                .areas
                .iter()
                .map(|a| {
                    (
                        a.area.as_str().to_owned(),
                        RawArea {
                            went_well: a.went_well.iter().map(ToString::to_string).collect(),
                            even_better_if: a
                                .even_better_if
                                .iter()
                                .map(ToString::to_string)
                                .collect(),
                            evidence: text(&a.evidence),
                            judgement: a.judgement.clone().unwrap_or_default(),
                        },
                    )
                })
                .collect(),
            summary: text(&report.summary),
            recommendations: report
                .recommendations
                .iter()
                .map(|r| (r.action.to_string(), text(&r.next_steps)))
                .collect(),
            progress: report
                .progress
                .iter()
                .map(|p| {
                    (
                        p.rating.map(|r| r.as_str().to_owned()).unwrap_or_default(),
                        text(&p.seen),
                    )
                })
                .collect(),
        }
    }
}

/// One focus area's findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AreaFindings {
    pub area: FocusArea,
    /// The heading of its section, from the request's framework (absent in reports written
    /// before frameworks were data: those are the whole-school areas, see [`Self::heading`]).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub heading: String,
    pub went_well: Vec<Text>,
    pub even_better_if: Vec<Text>,
    pub evidence: Option<Text>,
    /// One of the programme's grades; only where the programme has a scale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judgement: Option<String>,
}

impl AreaFindings {
    pub fn empty(area: &NamedArea) -> Self {
        Self {
            area: area.key.clone(),
            heading: area.heading.clone(),
            went_well: Vec::new(),
            even_better_if: Vec::new(),
            evidence: None,
            judgement: None,
        }
    }

    /// The heading of the area's section.
    pub fn heading(&self) -> String {
        if !self.heading.is_empty() {
            return self.heading.clone();
        }
        records::domain::request::FrameworkRef::whole_school()
            .area(&self.area)
            .map_or_else(|| self.area.to_string(), |area| area.heading.clone())
    }
}

/// A follow-up visit's finding on one of the original report's recommendations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The recommendation, as the original final report words it (so the report reads on its
    /// own).
    pub recommendation: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<ProgressRating>,
    /// What the reviewers saw of the progress.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen: Option<Text>,
}

/// A report, draft or final: every text within its limit; parts may still be missing in a
/// draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    /// One per focus area of the request, in the request's order.
    pub areas: Vec<AreaFindings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Text>,
    #[serde(default)]
    pub recommendations: Vec<Recommendation>,
    /// A follow-up visit's report: progress on each of the original recommendations, in order
    /// (empty for a review).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub progress: Vec<Progress>,
}

impl Report {
    /// An empty draft for these focus areas.
    pub fn empty(areas: &[NamedArea]) -> Self {
        Self {
            areas: areas.iter().map(AreaFindings::empty).collect(),
            summary: None,
            recommendations: Vec::new(),
            progress: Vec::new(),
        }
    }

    /// Whether this is a follow-up visit's report (it reviews progress on recommendations).
    pub fn is_follow_up(&self) -> bool {
        !self.progress.is_empty()
    }

    /// Parses the editor form of a report written against `template` (fields of other areas
    /// are ignored). Empty points and empty recommendation rows are dropped. On failure, every
    /// field's problem, in form order.
    pub fn parse(
        raw: &RawReport,
        template: &ReportTemplate,
        scale: Option<&GradingScale>,
    ) -> Result<Self, Vec<ReportFieldError>> {
        let mut errors = Vec::new();
        let progress = template
            .progress_on()
            .iter()
            .enumerate()
            .map(|(i, original)| {
                let n = i + 1;
                let (rating, seen) = raw.progress.get(i).cloned().unwrap_or_default();
                let rating = match rating.trim() {
                    "" => None,
                    value => ProgressRating::parse(value).or_else(|| {
                        errors.push(ReportFieldError {
                            field: progress_rating_field(n),
                            message: format!(
                                "Choose one of the answers for the progress on recommendation {n}"
                            ),
                        });
                        None
                    }),
                };
                let seen = optional(
                    &mut errors,
                    progress_seen_field(n),
                    &seen,
                    MAX_PROGRESS_CHARS,
                    &format!("the progress seen on recommendation {n}"),
                );
                Progress {
                    recommendation: original.action.clone(),
                    rating,
                    seen,
                }
            })
            .collect();
        let areas = template.areas();
        let empty = RawArea::default();
        let mut findings = Vec::with_capacity(areas.len());
        for area in areas {
            let raw_area = raw.areas.get(area.as_str()).unwrap_or(&empty);
            let went_well = points(&mut errors, area, AreaPart::WentWell, &raw_area.went_well);
            let even_better_if = points(
                &mut errors,
                area,
                AreaPart::EvenBetterIf,
                &raw_area.even_better_if,
            );
            let evidence = optional(
                &mut errors,
                field_id(&area.key, AreaPart::Evidence, None),
                &raw_area.evidence,
                MAX_EVIDENCE_CHARS,
                &format!("the evidence seen for {}", area.heading),
            );
            let judgement = judgement(&mut errors, area, &raw_area.judgement, scale);
            findings.push(AreaFindings {
                area: area.key.clone(),
                heading: area.heading.clone(),
                went_well,
                even_better_if,
                evidence,
                judgement,
            });
        }
        let summary = optional(
            &mut errors,
            SUMMARY_FIELD.to_owned(),
            &raw.summary,
            MAX_SUMMARY_CHARS,
            "the overall summary",
        );
        let rows: Vec<_> = raw
            .recommendations
            .iter()
            .enumerate()
            .filter(|(_, (action, steps))| !action.trim().is_empty() || !steps.trim().is_empty())
            .collect();
        if rows.len() > MAX_RECOMMENDATIONS {
            errors.push(ReportFieldError {
                field: recommendation_id(MAX_RECOMMENDATIONS + 1),
                message: format!("Give at most {MAX_RECOMMENDATIONS} recommendations"),
            });
        }
        let mut recommendations = Vec::new();
        for (i, (action, steps)) in rows.into_iter().take(MAX_RECOMMENDATIONS) {
            let n = i + 1;
            let action = if action.trim().is_empty() {
                errors.push(ReportFieldError {
                    field: recommendation_id(n),
                    message: format!(
                        "Enter recommendation {n}, or clear its next steps to remove it"
                    ),
                });
                None
            } else {
                optional(
                    &mut errors,
                    recommendation_id(n),
                    action,
                    MAX_RECOMMENDATION_CHARS,
                    &format!("recommendation {n}"),
                )
            };
            let next_steps = optional(
                &mut errors,
                next_steps_id(n),
                steps,
                MAX_NEXT_STEPS_CHARS,
                &format!("the next steps of recommendation {n}"),
            );
            if let Some(action) = action {
                recommendations.push(Recommendation { action, next_steps });
            }
        }
        if errors.is_empty() {
            Ok(Self {
                areas: findings,
                summary,
                recommendations,
                progress,
            })
        } else {
            Err(errors)
        }
    }

    /// What is still missing before the lead can submit: in every focus area at least one
    /// point under each heading, the evidence seen and (with a scale) a judgement; on a
    /// follow-up, the progress on every original recommendation; the summary; at least one
    /// recommendation (a follow-up may give none).
    pub fn check_ready(&self, scale: Option<&GradingScale>) -> Result<(), Vec<ReportFieldError>> {
        let mut missing = Vec::new();
        let mut need =
            |field: String, message: String| missing.push(ReportFieldError { field, message });
        for (i, progress) in self.progress.iter().enumerate() {
            let n = i + 1;
            if progress.rating.is_none() {
                need(
                    progress_rating_field(n),
                    format!("Choose how far recommendation {n} has got"),
                );
            }
            if progress.seen.is_none() {
                need(
                    progress_seen_field(n),
                    format!("Enter the progress seen on recommendation {n}"),
                );
            }
        }
        for findings in &self.areas {
            let (area, title) = (&findings.area, findings.heading());
            if findings.went_well.is_empty() {
                need(
                    field_id(area, AreaPart::WentWell, Some(1)),
                    format!("Enter what went well in {}", title),
                );
            }
            if findings.even_better_if.is_empty() {
                need(
                    field_id(area, AreaPart::EvenBetterIf, Some(1)),
                    format!("Enter what would be even better in {}", title),
                );
            }
            if findings.evidence.is_none() {
                need(
                    field_id(area, AreaPart::Evidence, None),
                    format!("Enter the evidence seen for {}", title),
                );
            }
            if scale.is_some() && findings.judgement.is_none() {
                need(
                    field_id(area, AreaPart::Judgement, None),
                    format!("Choose a judgement for {}", title),
                );
            }
        }
        if self.summary.is_none() {
            need(
                SUMMARY_FIELD.to_owned(),
                "Enter the overall summary".to_owned(),
            );
        }
        if self.recommendations.is_empty() && !self.is_follow_up() {
            need(
                recommendation_id(1),
                "Enter at least one recommendation".to_owned(),
            );
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(missing)
        }
    }

    /// The findings for `area`, if the report covers it.
    pub fn area(&self, area: &FocusArea) -> Option<&AreaFindings> {
        self.areas.iter().find(|a| &a.area == area)
    }
}

/// The heading of a follow-up's progress section.
pub const PROGRESS_HEADING: &str = "Progress on the recommendations";

/// The id of recommendation `n` (1-based) and of its next steps.
pub fn recommendation_id(n: usize) -> String {
    format!("{RECOMMENDATION_FIELD}-{n}")
}

pub fn next_steps_id(n: usize) -> String {
    format!("{NEXT_STEPS_FIELD}-{n}")
}

/// The sections of a report the school can comment on for factual accuracy.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "section", content = "area")]
pub enum Section {
    /// A follow-up's progress on the original recommendations.
    Progress,
    Area(FocusArea),
    Summary,
    Recommendations,
}

impl Section {
    /// The form field and id of the comment box: `comment.outcomes`, `comment.summary`.
    pub fn field(&self) -> String {
        match self {
            Section::Progress => "comment.progress".into(),
            Section::Area(area) => format!("comment.{}", area.as_str()),
            Section::Summary => "comment.summary".into(),
            Section::Recommendations => "comment.recommendations".into(),
        }
    }

    /// Its heading in `report`.
    pub fn label(&self, report: &Report) -> String {
        match self {
            Section::Progress => PROGRESS_HEADING.to_owned(),
            Section::Area(area) => report
                .area(area)
                .map_or_else(|| area.to_string(), AreaFindings::heading),
            Section::Summary => "Summary".to_owned(),
            Section::Recommendations => "Recommendations".to_owned(),
        }
    }

    /// The sections of a report, in reading order.
    pub fn all(report: &Report) -> Vec<Section> {
        let mut sections: Vec<_> = report
            .is_follow_up()
            .then_some(Section::Progress)
            .into_iter()
            .chain(report.areas.iter().map(|a| Section::Area(a.area.clone())))
            .collect();
        sections.extend([Section::Summary, Section::Recommendations]);
        sections
    }
}

/// One factual-accuracy comment from the school.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionComment {
    #[serde(flatten)]
    pub section: Section,
    pub comment: Text,
}

/// The school's answer to the draft: accepted as it is, or comments on some sections.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "answer", content = "comments", rename_all = "snake_case")]
pub enum FactualCheck {
    Accepted,
    Commented(Vec<SectionComment>),
}

impl FactualCheck {
    /// Parses the factual-accuracy form: a comment box per section (`Section::field`); no
    /// comment at all means the school accepts the draft as it is.
    pub fn parse(
        pairs: &[(String, String)],
        report: &Report,
    ) -> Result<Self, Vec<ReportFieldError>> {
        let mut errors = Vec::new();
        let mut comments = Vec::new();
        for section in Section::all(report) {
            let field = section.field();
            let value = pairs
                .iter()
                .find(|(name, _)| *name == field)
                .map(|(_, v)| v.as_str())
                .unwrap_or_default();
            let what = format!("your comment on {}", section.label(report));
            if let Some(comment) = optional(&mut errors, field, value, MAX_COMMENT_CHARS, &what) {
                comments.push(SectionComment { section, comment });
            }
        }
        match (errors.is_empty(), comments.is_empty()) {
            (false, _) => Err(errors),
            (true, true) => Ok(FactualCheck::Accepted),
            (true, false) => Ok(FactualCheck::Commented(comments)),
        }
    }

    pub fn comments(&self) -> &[SectionComment] {
        match self {
            FactualCheck::Accepted => &[],
            FactualCheck::Commented(comments) => comments,
        }
    }
}

fn text_error(field: String, error: TextError, what: &str) -> ReportFieldError {
    let message = match error {
        TextError::Empty => format!("Enter {what}"),
        TextError::TooLong(max) => format!("Keep {what} to {max} characters or fewer"),
        TextError::ControlCharacters => format!("Remove the special characters from {what}"),
    };
    ReportFieldError { field, message }
}

/// Empty text is `None`; anything else must fit its limit.
fn optional(
    errors: &mut Vec<ReportFieldError>,
    field: String,
    value: &str,
    max: usize,
    what: &str,
) -> Option<Text> {
    if value.trim().is_empty() {
        return None;
    }
    Text::parse(value, max, true)
        .map_err(|e| errors.push(text_error(field, e, what)))
        .ok()
}

fn points(
    errors: &mut Vec<ReportFieldError>,
    area: &NamedArea,
    part: AreaPart,
    values: &[String],
) -> Vec<Text> {
    let filled: Vec<_> = values
        .iter()
        .enumerate()
        .filter(|(_, v)| !v.trim().is_empty())
        .collect();
    if filled.len() > MAX_POINTS {
        errors.push(ReportFieldError {
            field: field_id(&area.key, part, Some(MAX_POINTS + 1)),
            message: format!(
                "Give at most {MAX_POINTS} points under {} in {}",
                part.label(),
                area.heading
            ),
        });
    }
    filled
        .into_iter()
        .take(MAX_POINTS)
        .filter_map(|(i, value)| {
            let what = format!("point {} under {} in {}", i + 1, part.label(), area.heading);
            optional(
                errors,
                field_id(&area.key, part, Some(i + 1)),
                value,
                MAX_POINT_CHARS,
                &what,
            )
        })
        .collect()
}

fn judgement(
    errors: &mut Vec<ReportFieldError>,
    area: &NamedArea,
    value: &str,
    scale: Option<&GradingScale>,
) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let field = field_id(&area.key, AreaPart::Judgement, None);
    match scale {
        Some(scale) => match scale.levels().iter().find(|level| level.as_str() == value) {
            Some(level) => Some(level.clone()),
            None => {
                errors.push(ReportFieldError {
                    field,
                    message: format!("Choose one of the judgements for {}", area.heading),
                });
                None
            }
        },
        None => {
            errors.push(ReportFieldError {
                field,
                message: "This programme does not give judgements: leave it out".into(),
            });
            None
        }
    }
}

#[cfg(test)]
mod tests;
