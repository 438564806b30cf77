//! The workflows of send-review: each use case's rules, the conditional writes that carry them
//! out, and the emails each one sends (payload types and templates, owned by the workflow).
//!
//! Layers (dependencies point one way, down): `records` <- `workflows` <- {`mail`, `web`} <-
//! functions, admin, dev tools and tests. This crate builds on `records` (the stored shapes,
//! the table, links, the outbox) and knows nothing of HTTP, pages or email delivery.
//!
//! Where a new piece goes: a rule that changes state, a question about state that one workflow
//! answers, or an email a workflow sends goes here, in that workflow's module; a stored shape
//! or a helper several workflows need goes down in `records`; rendering a page goes in `web`;
//! a workflow module never imports a module that imports it (the test command checks).

pub mod after_report;
pub mod deliverability;
mod emails;
pub mod evidence;
pub mod factual_check;
pub mod intake;
/// Matching is a pure rule over stored shapes, so it lives in `records`; workflows reach it here.
pub use records::matching;
pub mod offers;
pub mod presigned_post;
pub mod report;
pub mod retention;
pub mod review_notes;
pub mod self_evaluation;
pub mod term_plan;
pub mod visit_date;
