//! The programme coordinator's use cases, as the console runs them: a request's whole file
//! ([`CaseFile`]), the actions its stage allows now ([`Allowed`]), offering it to a reviewer
//! the coordinator names (each reviewer judged by the matcher's own hard rules, [`verdicts`]),
//! reassigning, withdrawing with a reason, erasing it, replacing a booked lead or second
//! reviewer who dropped out ([`ReviewerReleased`]: their calendar entry is cancelled), and
//! renewing a school's forwarded status link ([`status_link`], which the school's own page uses
//! too). Every change is one transaction with its audit entry ([`records::audit`]),
//! conditional on what the coordinator's page showed, so a stale page or a concurrent change
//! stores nothing.
//!
//! Layer: the workflows' layer, beside `workflows` (which is full), over `records`; the console
//! function and the web pages sit above it. What goes here: a coordinator's action and the
//! rules it checks, built from the workflows' own steps; a rule the matcher or another
//! workflow also applies stays in `workflows`, a stored shape in `records`.

mod actions;
mod case_file;
mod check_expiry;
pub mod feedback;
mod named_offer;
mod own_details_form;
mod refusal;
mod replacement;
mod reviewer_details;
pub mod status_link;
mod term_plan;
mod unscanned;

pub use actions::{Allowed, Erased, allowed};
pub use case_file::CaseFile;
pub use check_expiry::{Check, REMINDER_DAYS, RunningOut, running_out};
pub use named_offer::{HardRule, RuleCheck, Verdict, verdicts};
pub use own_details_form::{
    MAX_DECLARED_CONFLICTS, MAX_REASON_CHARS, MAX_UNAVAILABLE_RANGES, parse_own_details,
};
pub use refusal::{Refused, seen};
pub use replacement::ReviewerReleased;
pub use reviewer_details::{
    CheckRunningOut, LinkAsked, LinkLimits, ReviewerDetailsLink, ask_for_link,
    send_expiry_reminders,
};
pub use term_plan::{PairChoice, PlanSent, PlanView, PlannedOffer, PlannedRequest};
pub use unscanned::{UNSCANNED_AFTER, reject_unscanned};
pub use workflows::matching::Role;

use records::store::StoreError;
use workflows::evidence::{EvidenceError, EvidenceStore};
use workflows::offers::{Workflow, WorkflowError};
use workflows::retention::PurgeError;

/// Why a coordinator's action could not run (the store failed); a refusal is an answer.
#[derive(Debug, thiserror::Error)]
pub enum CoordinationError {
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Evidence(#[from] EvidenceError),
    #[error(transparent)]
    Purge(#[from] PurgeError),
    #[error("the term could not be planned: {0}")]
    Plan(String),
}

/// The coordinator's use cases over the offer workflow and the evidence store.
pub struct Coordination {
    workflow: Workflow,
    evidence: EvidenceStore,
}

impl Coordination {
    pub fn new(workflow: Workflow, evidence: EvidenceStore) -> Self {
        Self { workflow, evidence }
    }

    pub fn workflow(&self) -> &Workflow {
        &self.workflow
    }
}
