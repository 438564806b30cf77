//! The programme insights page (`/console/insights`): a term's or a school year's figures, each
//! chart drawn on the server as SVG beside a table of the same numbers. The SVG is hidden from
//! assistive technology (`aria-hidden`): the table is the accessible form of every chart, and
//! the page needs no script.

use askama::Template;

use insights::counters::Strength;
use records::branding::Branding;

use super::{FilterOption, SignedInUser};

/// One bar of a chart, and its row in the chart's table.
#[derive(Debug, Clone)]
pub struct ChartRow {
    pub label: String,
    pub value: i64,
}

/// A bar chart (or a funnel: bars centred, each stage a part of the one before) with its table.
#[derive(Debug, Clone)]
pub struct Chart {
    /// The chart's id in the page (`chart-<id>`, `table-<id>`).
    pub id: &'static str,
    pub title: String,
    /// The value column's heading.
    pub unit: &'static str,
    pub rows: Vec<ChartRow>,
    pub funnel: bool,
}

const WIDTH: i64 = 640;
const LABEL_WIDTH: i64 = 260;
const VALUE_WIDTH: i64 = 60;
const BAR_HEIGHT: i64 = 24;
const GAP: i64 = 8;

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Chart {
    pub fn is_empty(&self) -> bool {
        self.rows.iter().all(|r| r.value == 0)
    }

    /// The chart as inline SVG: a bar per row, its length in proportion to the largest value.
    pub fn svg(&self) -> String {
        let max = self.rows.iter().map(|r| r.value).max().unwrap_or(0).max(1);
        let plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
        let height = (self.rows.len() as i64) * (BAR_HEIGHT + GAP) + GAP;
        let mut svg = format!(
            "<svg class=\"chart\" id=\"chart-{}\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height}\" width=\"100%\" aria-hidden=\"true\" focusable=\"false\">",
            self.id
        );
        for (i, row) in self.rows.iter().enumerate() {
            let y = GAP + i as i64 * (BAR_HEIGHT + GAP);
            let length = if row.value > 0 {
                (row.value * plot / max).max(2)
            } else {
                0
            };
            let x = if self.funnel {
                LABEL_WIDTH + (plot - length) / 2
            } else {
                LABEL_WIDTH
            };
            let text_y = y + BAR_HEIGHT / 2 + 5;
            svg.push_str(&format!(
                "<text x=\"{}\" y=\"{text_y}\" text-anchor=\"end\" font-size=\"14\" fill=\"#0b0c0c\">{}</text>",
                LABEL_WIDTH - 8,
                escape(&row.label)
            ));
            svg.push_str(&format!(
                "<rect class=\"bar\" data-value=\"{}\" x=\"{x}\" y=\"{y}\" width=\"{length}\" height=\"{BAR_HEIGHT}\" fill=\"#1d70b8\"/>",
                row.value
            ));
            svg.push_str(&format!(
                "<text x=\"{}\" y=\"{text_y}\" font-size=\"14\" fill=\"#0b0c0c\">{}</text>",
                WIDTH - VALUE_WIDTH + 8,
                row.value
            ));
        }
        svg.push_str("</svg>");
        svg
    }
}

/// Days from request to a milestone: how many got there, the median and the 90th percentile.
#[derive(Debug, Clone)]
pub struct SpreadRow {
    /// The milestone: `Booked`, `Visit`, `Final report`.
    pub label: &'static str,
    /// How many requests reached it.
    pub count: i64,
    /// In days, or a dash when none did.
    pub median: String,
    pub p90: String,
}

/// One feedback question: answers, mean, and how many gave each score.
#[derive(Debug, Clone)]
pub struct ScoreRow {
    /// `Schools` or `Reviewers`.
    pub side: &'static str,
    /// The question as the form asked it.
    pub question: &'static str,
    pub answers: i64,
    /// To one decimal place, or a dash when nobody answered.
    pub mean: String,
    /// How many answered 1, 2, 3, 4 and 5.
    pub by_score: [i64; 5],
}

/// What the insights page shows: the period chosen and the figures of it.
#[derive(Debug, Clone)]
pub struct InsightsView {
    /// `Autumn term 2026`, `School year 2026 to 2027`.
    pub period_label: String,
    /// `autumn-2026`, `year-2026`: the CSV link's period.
    pub period_key: String,
    /// The list of the form: recent terms and school years, the shown one selected.
    pub periods: Vec<FilterOption>,
    /// A period the list does not hold (the current term is shown instead).
    pub error: Option<String>,
    /// The funnel, then the requests by stage, type, phase and school type, then the areas'
    /// "even better if".
    pub charts: Vec<Chart>,
    /// Days from request to booked, to the visit, to the final report.
    pub spreads: Vec<SpreadRow>,
    /// Consenting schools strong in each area (titled); names only behind five or more.
    pub strengths: Vec<Strength>,
    pub min_schools_named: usize,
    /// Each feedback question of both sides, in the forms' order.
    pub scores: Vec<ScoreRow>,
}

#[derive(Template)]
#[template(path = "console/insights.html")]
pub struct InsightsPage<'a> {
    pub branding: &'a Branding,
    pub user: &'a SignedInUser,
    pub csrf: &'a str,
    /// What the page shows, once read (the benchmark times reading and rendering together).
    pub view: &'a InsightsView,
}
