//! Reports for tests, the benchmark and the demo: a typical one, and a maximal one with every
//! field at its limit.

use time::macros::date;

use super::render::{ReportDocument, ReviewerCredit, Stage};
use super::{
    AreaFindings, MAX_EVIDENCE_CHARS, MAX_NEXT_STEPS_CHARS, MAX_POINT_CHARS, MAX_POINTS,
    MAX_RECOMMENDATION_CHARS, MAX_RECOMMENDATIONS, MAX_SUMMARY_CHARS, Progress, ProgressRating,
    Recommendation, Report, ReportTemplate,
};
use records::domain::request::{FrameworkRef, NamedArea, Text};
use records::programme::ProgrammeSettings;

/// The whole-school areas of `keys`, in that order.
pub fn whole_school_areas(keys: &[&str]) -> Vec<NamedArea> {
    let framework = FrameworkRef::whole_school();
    keys.iter()
        .map(|key| {
            framework
                .find(key)
                .cloned()
                .unwrap_or_else(|| panic!("{key} is a whole-school area"))
        })
        .collect()
}

/// The focus areas of the example review.
pub fn areas() -> Vec<NamedArea> {
    whole_school_areas(&["outcomes", "leadership"])
}

/// Form fields as a browser posts them.
pub fn pairs(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// The report template of a review of `areas`.
pub fn review(areas: &[NamedArea]) -> ReportTemplate {
    ReportTemplate::Review {
        areas: areas.to_vec(),
    }
}

/// The review template `report` was written against (its areas under their headings).
pub fn template_of(report: &Report) -> ReportTemplate {
    ReportTemplate::Review {
        areas: report
            .areas
            .iter()
            .map(|findings| NamedArea {
                key: findings.area.clone(),
                title: findings.heading(),
                heading: findings.heading(),
            })
            .collect(),
    }
}

fn text(value: &str) -> Text {
    Text::parse(value, usize::MAX, true).expect("example text is valid")
}

/// Text of exactly `chars` characters (seed first): ordinary words, with a line break now
/// and then.
pub fn filler(chars: usize, seed: &str) -> String {
    let words = [
        "pupils",
        "provision",
        "support",
        "progress",
        "leaders",
        "assessment",
        "staff",
        "families",
        "learning",
        "review",
        "needs",
        "plan",
    ];
    let mut out = String::from(seed);
    let mut i = 0;
    while out.chars().count() < chars {
        out.push(if i % 40 == 39 { '\n' } else { ' ' });
        out.push_str(words[i % words.len()]);
        i += 1;
    }
    let mut out: Vec<char> = out.chars().take(chars).collect();
    if let Some(last) = out.last_mut().filter(|c| c.is_whitespace()) {
        *last = '.';
    }
    out.into_iter().collect()
}

/// A report as a reviewer typically writes one: three focus areas, three or four points
/// under each heading, a few sentences of evidence, four recommendations.
pub fn typical() -> Report {
    let areas = whole_school_areas(&["leadership", "teaching_and_learning", "assessment_of_need"]);
    Report {
        areas: areas
            .iter()
            .map(|area| AreaFindings {
                area: area.key.clone(),
                heading: area.heading.clone(),
                went_well: (1..=4)
                    .map(|i| {
                        text(&format!(
                            "Strength {i} in {}: the SENCO and senior leaders share a clear \
                             vision, and staff can say how it shapes their everyday practice.",
                            area.title
                        ))
                    })
                    .collect(),
                even_better_if: (1..=3)
                    .map(|i| {
                        text(&format!(
                            "Development point {i} in {}: make sure every class teacher uses \
                             the provision map when planning, so that adjustments are consistent.",
                            area.title
                        ))
                    })
                    .collect(),
                evidence: Some(text(&format!(
                    "Evidence for {}: learning walk in six classes with the SENCO; meetings with \
                     the headteacher, the SEND governor and four teaching assistants; pupil voice \
                     with eight pupils; scrutiny of the SEN information report and provision map.",
                    area.title
                ))),
                judgement: None,
            })
            .collect(),
        summary: Some(text(
            "Oakfield Primary is an inclusive school where pupils with SEND are known well.\n\n\
             Leaders have a clear vision and the graduated approach is understood by staff. The \
             next step is to make practice consistent across every class.",
        )),
        recommendations: (1..=4)
            .map(|i| Recommendation {
                action: text(&format!(
                    "Recommendation {i}: embed the graduated approach (assess, plan, do, review) \
                     in every class's planning."
                )),
                next_steps: Some(text(
                    "Share the provision map with all staff; review two pupil passports each \
                     half term in phase meetings; ask parents how the plans work at home.",
                )),
            })
            .collect(),
        progress: Vec::new(),
    }
}

/// The typical report's text (its first area's points) under each of `areas`: a complete
/// report for a request of any framework.
pub fn typical_for(areas: &[NamedArea]) -> Report {
    let model = typical();
    let mut report = Report::empty(areas);
    for findings in &mut report.areas {
        let (area, heading) = (findings.area.clone(), findings.heading.clone());
        *findings = model.areas[0].clone();
        findings.area = area;
        findings.heading = heading;
    }
    report.summary = model.summary;
    report.recommendations = model.recommendations;
    report
}

/// A follow-up visit's report on `original`: progress on each of its recommendations, a
/// summary and one new recommendation.
pub fn follow_up(original: &Report) -> Report {
    let ratings = ProgressRating::ALL;
    Report {
        areas: Vec::new(),
        summary: Some(text(
            "Leaders have acted on the review's recommendations with energy; the graduated \
             approach is now part of everyday planning in most classes.",
        )),
        recommendations: vec![Recommendation {
            action: text("Extend the provision map to the early years unit."),
            next_steps: None,
        }],
        progress: original
            .recommendations
            .iter()
            .enumerate()
            .map(|(i, recommendation)| Progress {
                recommendation: recommendation.action.clone(),
                rating: Some(ratings[i % ratings.len()]),
                seen: Some(text(&format!(
                    "Progress seen on recommendation {}: planning in the classes visited \
                     shows the adjustments agreed in pupil passports.",
                    i + 1
                ))),
            })
            .collect(),
    }
}

/// Every field at its limit: all eight focus areas, the most points, the longest texts.
pub fn maximal(scale: Option<&records::programme::GradingScale>) -> Report {
    Report {
        areas: FrameworkRef::whole_school()
            .areas
            .iter()
            .map(|area| AreaFindings {
                area: area.key.clone(),
                heading: area.heading.clone(),
                went_well: (1..=MAX_POINTS)
                    .map(|i| text(&filler(MAX_POINT_CHARS, &format!("Went well {i}"))))
                    .collect(),
                even_better_if: (1..=MAX_POINTS)
                    .map(|i| text(&filler(MAX_POINT_CHARS, &format!("Even better {i}"))))
                    .collect(),
                evidence: Some(text(&filler(MAX_EVIDENCE_CHARS, "Evidence"))),
                judgement: scale.and_then(|s| s.levels().first().cloned()),
            })
            .collect(),
        summary: Some(text(&filler(MAX_SUMMARY_CHARS, "Summary"))),
        recommendations: (1..=MAX_RECOMMENDATIONS)
            .map(|i| Recommendation {
                action: text(&filler(
                    MAX_RECOMMENDATION_CHARS,
                    &format!("Recommendation {i}"),
                )),
                next_steps: Some(text(&filler(MAX_NEXT_STEPS_CHARS, "Next steps"))),
            })
            .collect(),
        progress: Vec::new(),
    }
}

/// `report` with the demo programme's branding, a school and two reviewers around it.
pub fn document(report: &Report) -> ReportDocument<'_> {
    let programme = ProgrammeSettings::demo();
    ReportDocument {
        programme_name: programme.name,
        primary_colour: programme.primary_colour,
        school_name: "Oakfield Primary School".into(),
        school_urn: "123456".into(),
        review_type: "SEND Review (whole school)".into(),
        reviewers: vec![
            ReviewerCredit {
                name: "Priya Shah".into(),
                role: "Lead reviewer".into(),
            },
            ReviewerCredit {
                name: "Tom O'Neill".into(),
                role: "Reviewer".into(),
            },
        ],
        visit_date: date!(2027 - 03 - 10),
        report_date: date!(2027 - 03 - 31),
        stage: Stage::Final,
        follows_up: report
            .is_follow_up()
            .then(|| ("SR-7K3M-Q9".to_owned(), date!(2026 - 11 - 12))),
        report,
    }
}
