//! The bottom layer of send-review: what the system keeps and how it is stored.
//!
//! Layers (dependencies point one way, down):
//!
//! ```text
//! functions/*, admin, dev/local-runner, dev/bench, tests
//!         |            |
//!        web          mail        HTTP pages and guards | the email sender and its registry
//!          \          /
//!          workflows              the use cases: intake, matching and offers, evidence, report...
//!              |
//!           records               domain types, the table, records, links, the outbox
//! ```
//!
//! This crate holds the domain types (newtypes that parse), the one DynamoDB table with its one
//! [`store::StoreError`] and one conditional-failure test, the request and reviewer records,
//! private links, programme settings (the catalogue of every setting and their versioned save)
//! and branding, the audit log, versioned documents, and the outbox with the
//! [`outbox::OutboxEmail`] trait every email payload implements. It knows no workflow, template,
//! page or HTTP type (only the fields every email's template is given: [`email_template!`]).
//!
//! Where a new piece goes: here only if it is a stored shape, a key, a pure rule over stored
//! shapes (no I/O, no clock: [`matching`]), or a helper two or more workflows need to read or
//! write the table; a use case (a rule that changes state) goes in
//! `workflows`; anything that renders a page goes in `web`; delivering email goes in `mail`.

pub mod audit;
pub mod aws;
pub mod branding;
pub mod confirmation;
pub mod domain;
pub mod env;
pub mod keys;
pub mod lifecycle;
pub mod links;
pub mod matching;
pub mod outbox;
pub mod programme;
pub mod progress;
pub mod rate_limit;
pub mod request;
pub mod retention;
pub mod reviewers;
pub mod staff_sessions;
pub mod store;
pub mod telemetry;
pub mod undeliverable;
pub mod versioned;

pub use env::{ConfigError, Env};
/// The evidence file rules, a pure crate of their own (`crates/evidence-rules`).
pub use evidence_rules as evidence;
