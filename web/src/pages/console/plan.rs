//! The term planning page (`templates/console/plan.html`): the term chooser, the plan (who
//! reviews whom, each pair's score and why, who is left without and why), the reciprocal
//! arrangements beside it, and the forms that recompute it with pins and forbids or send its
//! offers. The console prepares every value as text; the forms carry the whole state.

use askama::Template;

use records::branding::Branding;

use super::SignedInUser;

/// A term the coordinator may plan: its form value, its name, whether it is chosen.
#[derive(Debug, Clone)]
pub struct TermOption {
    pub key: String,
    pub label: String,
    pub selected: bool,
}

/// The request a row is about: its reference (linked to its page) and its school's name.
#[derive(Debug, Clone)]
pub struct RequestCell {
    pub reference: String,
    pub school: String,
}

/// One proposed pair.
#[derive(Debug, Clone)]
pub struct PlanRow {
    pub request: RequestCell,
    /// `Lead` or `Second reviewer`.
    pub place: &'static str,
    pub reviewer: String,
    /// The pair's points, and their parts in words.
    pub score: (i32, String),
    /// The pair as the form names it (`request|reviewer|role`).
    pub key: String,
    pub pinned: bool,
    /// A second reviewer's place: offered by the matcher once the lead accepts.
    pub not_sent: bool,
}

/// A place the plan leaves empty, and why.
#[derive(Debug, Clone)]
pub struct LeftRow {
    pub request: RequestCell,
    pub place: &'static str,
    /// "2 eligible reviewers, all needed elsewhere", or "Nobody eligible" and each rule that
    /// ruled reviewers out, with how many.
    pub why: (String, Vec<String>),
}

/// A reciprocal pair or triad among schools that opted in: one sentence per leg (who, from
/// which school, reviews which school, with what score), its legs' pair keys `;`-separated
/// (confirming pins them all), and whether the form confirms it.
#[derive(Debug, Clone)]
pub struct ArrangementRow {
    pub legs: Vec<String>,
    pub key: String,
    pub confirmed: bool,
}

/// Who reviews whom, the places left empty, and the send form's values
/// (`request|reviewer|seen`, one per lead offer).
#[derive(Debug, Clone)]
pub struct Places {
    pub rows: Vec<PlanRow>,
    pub left: Vec<LeftRow>,
    pub offers: Vec<String>,
}

/// The reciprocal arrangements, and whether they are proved best (or the search's gap).
#[derive(Debug, Clone)]
pub struct Arrangements {
    pub list: Vec<ArrangementRow>,
    pub note: String,
}

/// The coordinator's choices the page carries: (pair key, in words) of each forbidden pair
/// (kept until unticked), and the pins and forbids that no longer apply, in words.
#[derive(Debug, Clone)]
pub struct Choices {
    pub forbidden: Vec<(String, String)>,
    pub dropped: Vec<String>,
}

/// A computed plan, as shown.
#[derive(Debug, Clone)]
pub struct PlanShown {
    pub term: TermOption,
    /// "2 of 3 places filled."
    pub summary: String,
    pub places: Places,
    pub arrangements: Arrangements,
    pub choices: Choices,
}

/// The term chooser: the terms, and why the one chosen was refused (empty when it was not).
#[derive(Debug, Clone)]
pub struct TermChooser {
    pub options: Vec<TermOption>,
    pub error: String,
}

#[derive(Template)]
#[template(path = "console/plan.html")]
pub struct PlanPage<'a> {
    pub branding: &'a Branding,
    pub user: &'a SignedInUser,
    /// The anti-forgery token of a coordinator, who pins, forbids and sends; a viewer reads.
    pub csrf: Option<&'a str>,
    pub chooser: TermChooser,
    pub plan: Option<PlanShown>,
}
