//! The pipeline page (`/console`): every review by stage, filtered by a GET form (no script),
//! the oldest first in each stage, with the counts per stage and what needs attention.

use askama::Template;

use records::branding::Branding;

use super::SignedInUser;

/// One request on the pipeline page.
#[derive(Debug, Clone)]
pub struct PipelineRow {
    pub reference: String,
    pub school: String,
    pub local_authority: String,
    pub review_type: String,
    pub received: String,
    pub visit: String,
    /// Where it is within its stage, e.g. "due 18 February 2026" (may be empty).
    pub detail: String,
    pub overdue: bool,
}

/// One stage of the pipeline: how many requests the filters leave in it, and (when the stage
/// is shown) those requests, the oldest first.
#[derive(Debug, Clone)]
pub struct PipelineStage {
    pub key: &'static str,
    pub label: &'static str,
    pub count: usize,
    /// This stage alone, with the other filters kept.
    pub href: String,
    pub rows: Vec<PipelineRow>,
}

/// One choice of a filter's list.
#[derive(Debug, Clone)]
pub struct FilterOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The filter form: its lists with the choices made, and what could not be read.
#[derive(Debug, Clone, Default)]
pub struct PipelineFilters {
    pub stages: Vec<FilterOption>,
    pub terms: Vec<FilterOption>,
    pub local_authorities: Vec<FilterOption>,
    pub review_types: Vec<FilterOption>,
    pub overdue: bool,
    /// Any filter chosen.
    pub active: bool,
    /// `(field, message)`: a value no list holds (ignored, and said so).
    pub errors: Vec<(&'static str, String)>,
}

/// Something a coordinator should look at: why, and which request or address.
#[derive(Debug, Clone)]
pub struct AttentionRow {
    pub reason_key: &'static str,
    pub reason: &'static str,
    pub reference: String,
    pub school: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "console/pipeline.html")]
pub struct PipelinePage<'a> {
    pub branding: &'a Branding,
    pub user: &'a SignedInUser,
    pub csrf: &'a str,
    pub stages: &'a [PipelineStage],
    pub filters: &'a PipelineFilters,
    pub attention: &'a [AttentionRow],
}

impl PipelinePage<'_> {
    /// The requests the filters leave, over every stage.
    pub fn total(&self) -> usize {
        self.stages.iter().map(|stage| stage.count).sum()
    }
}
