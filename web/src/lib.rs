//! The web layer of send-review: HTTP helpers (forms, JSON, redirects, the page response), the
//! private-link guards ([`guards`]: a token becomes what its link opens, or one refusal page)
//! and every page template (askama, under `templates/`), for the functions that serve pages.
//!
//! Layers (dependencies point one way, down): `records` <- `workflows` <- {`mail`, `web`} <-
//! functions, admin, dev tools and tests. A page here shows what a workflow decided; it never
//! writes to the table itself. Where a new piece goes: anything that renders HTML for a browser
//! or reads an HTTP request goes here (a workflow's page in `pages::<workflow>`); the rule
//! behind a page goes in `workflows`; an email's template goes with its workflow.

pub mod guards;
pub mod http;
mod multipart;
pub mod pages;
pub mod site;
