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

/// One proposed pair.
#[derive(Debug, Clone)]
pub struct PlanRow {
    pub reference: String,
    pub school: String,
    /// `Lead` or `Second reviewer`.
    pub place: &'static str,
    pub reviewer: String,
    pub score: i32,
    /// The points, part by part.
    pub why: String,
    /// The pair as the form names it (`request|reviewer|role`).
    pub key: String,
    pub pinned: bool,
    /// A second reviewer's place: offered by the matcher once the lead accepts.
    pub not_sent: bool,
}

/// A place the plan leaves empty, and why.
#[derive(Debug, Clone)]
pub struct LeftRow {
    pub reference: String,
    pub school: String,
    pub place: &'static str,
    /// "2 eligible reviewers, all needed elsewhere" or "nobody eligible".
    pub eligible: String,
    /// Each rule that ruled reviewers out, with how many.
    pub ruled_out: Vec<String>,
}

/// A reciprocal pair or triad among schools that opted in.
#[derive(Debug, Clone)]
pub struct ArrangementRow {
    /// One sentence per leg: who, from which school, reviews which school, with what score.
    pub legs: Vec<String>,
    /// Its legs' pair keys, `;`-separated: confirming pins them all.
    pub key: String,
    pub confirmed: bool,
}

/// A pair the coordinator forbade (carried by the form until unticked).
#[derive(Debug, Clone)]
pub struct ForbiddenRow {
    pub key: String,
    pub label: String,
}

/// A computed plan, as shown.
#[derive(Debug, Clone, Default)]
pub struct PlanShown {
    pub term_key: String,
    pub term_label: String,
    pub waiting: usize,
    pub served: usize,
    pub rows: Vec<PlanRow>,
    pub left: Vec<LeftRow>,
    pub arrangements: Vec<ArrangementRow>,
    /// Whether the arrangements are proved best, or the search's gap to its bound.
    pub arrangements_note: String,
    pub forbidden: Vec<ForbiddenRow>,
    /// Pins and forbids that no longer apply, in words.
    pub dropped: Vec<String>,
    /// The send form's values (`request|reviewer|seen`), one per lead offer.
    pub offers: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/plan.html")]
pub struct PlanPage<'a> {
    pub branding: &'a Branding,
    pub user: &'a SignedInUser,
    pub csrf: &'a str,
    pub terms: Vec<TermOption>,
    /// Why the term chosen was refused (empty when it was not).
    pub term_error: String,
    pub plan: Option<PlanShown>,
    /// A coordinator pins, forbids and sends; a viewer reads.
    pub may_edit: bool,
}
