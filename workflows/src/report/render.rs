//! What a rendered report shows besides its findings (the programme's branding, the school, the
//! reviewers, the dates), and the report as HTML: a standalone, self-styled document (stored
//! beside the PDF, readable offline) and the same body for pages to embed.

use askama::Template;
use time::Date;

use super::Report;
use records::branding::Branding;
use records::domain::parse_date;
use records::domain::request::long_date;
use records::programme::HexColour;
use records::request::StoredRequest;

/// Whether the report is the draft the school checks, or final.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Draft,
    Final,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewerCredit {
    pub name: String,
    /// "Lead reviewer" or "Reviewer".
    pub role: String,
}

/// A report with everything its reader needs around it.
#[derive(Debug, Clone)]
pub struct ReportDocument<'a> {
    pub programme_name: String,
    pub primary_colour: HexColour,
    pub school_name: String,
    pub school_urn: String,
    /// The review type's label, e.g. "SEND Review (whole school)".
    pub review_type: String,
    pub reviewers: Vec<ReviewerCredit>,
    pub visit_date: Date,
    /// The day the report was finalised (or, for a draft, submitted).
    pub report_date: Date,
    pub stage: Stage,
    /// On a follow-up visit's report: the review it follows up (its reference and visit day).
    pub follows_up: Option<(String, Date)>,
    pub report: &'a Report,
}

impl<'a> ReportDocument<'a> {
    /// The report of `request`, branded, with its team and visit date; `report_date` is when it
    /// was submitted (a draft) or finalised.
    pub fn for_request(
        branding: &Branding,
        request: &StoredRequest,
        report: &'a Report,
        stage: Stage,
        report_date: Date,
    ) -> Self {
        let reviewers = request
            .team()
            .enumerate()
            .map(|(i, member)| ReviewerCredit {
                name: member.reviewer_name.clone(),
                role: if i == 0 { "Lead reviewer" } else { "Reviewer" }.into(),
            })
            .collect();
        Self {
            programme_name: branding.name.clone(),
            primary_colour: branding.primary_colour.parse().unwrap_or_default(),
            school_name: request.request.school.name.to_string(),
            school_urn: request.request.school.urn.as_str().to_owned(),
            review_type: request.request.review_type.label().to_owned(),
            reviewers,
            visit_date: request
                .lead
                .as_ref()
                .map(|lead| lead.visit_date)
                .unwrap_or(report_date),
            report_date,
            stage,
            follows_up: request.follow_up_of.as_ref().map(|original| {
                (
                    original.reference.clone(),
                    parse_date(&original.lead_visit_date).unwrap_or(report_date),
                )
            }),
            report,
        }
    }

    pub fn title(&self) -> String {
        if self.follows_up.is_some() {
            format!("{}: follow-up visit report", self.school_name)
        } else {
            format!("{}: review report", self.school_name)
        }
    }

    /// The heading of the recommendations: a follow-up's are new ones.
    pub fn recommendations_heading(&self) -> &'static str {
        if self.report.is_follow_up() {
            "New recommendations"
        } else {
            "Recommendations"
        }
    }

    pub fn visit_date_text(&self) -> String {
        long_date(self.visit_date)
    }

    pub fn report_date_text(&self) -> String {
        long_date(self.report_date)
    }

    pub fn is_draft(&self) -> bool {
        self.stage == Stage::Draft
    }

    /// The reviewers as one line: "Ann Smith (lead reviewer), Bo Jones (reviewer)".
    pub fn reviewers_text(&self) -> String {
        self.reviewers
            .iter()
            .map(|r| format!("{} ({})", r.name, r.role.to_lowercase()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The facts under the title, as (label, value) rows.
    pub fn facts(&self) -> Vec<(&'static str, String)> {
        vec![
            (
                "School",
                format!("{} (URN {})", self.school_name, self.school_urn),
            ),
            ("Review", self.review_type.clone()),
        ]
        .into_iter()
        .chain(self.follows_up.as_ref().map(|(reference, visit)| {
            (
                "Follows up",
                format!("review {reference}, visit on {}", long_date(*visit)),
            )
        }))
        .chain([
            ("Visit", self.visit_date_text()),
            ("Reviewers", self.reviewers_text()),
            (
                if self.is_draft() {
                    "Draft of"
                } else {
                    "Report date"
                },
                self.report_date_text(),
            ),
        ])
        .collect()
    }

    /// The text colour readable on the programme's colour: white, or near-black on light colours.
    pub fn on_primary_colour(&self) -> &'static str {
        if contrast_with_white(&self.primary_colour) >= 4.5 {
            "#ffffff"
        } else {
            "#0b0c0c"
        }
    }

    /// A text's paragraphs (for the templates).
    pub fn paras<'t>(&self, text: &'t records::domain::request::Text) -> Vec<&'t str> {
        paragraphs(text.as_str())
    }

    /// The standalone HTML document.
    pub fn to_html(&self) -> askama::Result<String> {
        ReportHtml { doc: self }.render()
    }

    /// The report's body (headings from `h2`), for a page that has its own `h1`.
    pub fn body_html(&self) -> askama::Result<String> {
        ReportBodyHtml { doc: self }.render()
    }
}

/// A text's paragraphs: the runs of lines between blank lines.
pub fn paragraphs(text: &str) -> Vec<&str> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// The WCAG contrast ratio of `colour` with white.
pub fn contrast_with_white(colour: &HexColour) -> f64 {
    let (r, g, b) = rgb(colour);
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    1.05 / (luminance + 0.05)
}

/// The red, green and blue of a `#rrggbb` colour.
pub fn rgb(colour: &HexColour) -> (u8, u8, u8) {
    let hex = colour.as_str().trim_start_matches('#');
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or(0);
    (byte(0), byte(2), byte(4))
}

#[derive(Template)]
#[template(path = "report/document.html")]
struct ReportHtml<'a, 'r> {
    doc: &'a ReportDocument<'r>,
}

#[derive(Template)]
#[template(path = "report/body.html")]
struct ReportBodyHtml<'a, 'r> {
    doc: &'a ReportDocument<'r>,
}
