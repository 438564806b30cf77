//! The common model of send-review: domain types, workflow rules, DynamoDB access, email and
//! templates. Every Lambda in `functions/` is a thin adapter over this crate.

pub mod after_report;
pub mod aws;
pub mod branding;
pub mod calendar;
pub mod deliverability;
pub mod domain;
pub mod env;
pub mod evidence;
pub mod factual_check;
pub mod http;
pub mod intake;
pub mod links;
pub mod mail;
pub mod matching;
pub mod offers;
pub mod outbox;
pub mod pages;
pub mod presigned_post;
pub mod programme;
pub mod report;
pub mod retention;
pub mod review_notes;
pub mod reviewers;
pub mod self_evaluation;
pub mod store;
pub mod telemetry;
pub mod term_plan;
pub mod versioned;
pub mod visit_date;

pub use env::{ConfigError, Env};
