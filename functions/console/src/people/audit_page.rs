//! `/console/audit`: the audit log, newest first, filtered by the kind of subject and by who,
//! a page at a time (one index query a page; no scan).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use records::audit::{self, AuditFilter, AuditKind};
use records::branding::Branding;
use records::store::Table;
use serde::Deserialize;
use web::pages::console::people::{AuditLogPage, KindChoice};

use super::{Asker, audit_rows, query};
use crate::unavailable;

/// Entries a page.
pub(crate) const PAGE_SIZE: usize = 50;
/// The longest "by" filter: a whole email address.
const ACTOR_MAX: usize = 254;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Asked {
    kind: String,
    actor: String,
    before: String,
}

fn kind_label(kind: AuditKind) -> &'static str {
    match kind {
        AuditKind::Request => "Requests",
        AuditKind::Reviewer => "Reviewers",
        AuditKind::Settings => "Settings",
        AuditKind::Staff => "Staff",
    }
}

pub(super) async fn log(
    table: &Table,
    branding: &Branding,
    asker: &Asker,
    request: &Request,
) -> Response<Body> {
    let asked: Asked = query(request);
    let actor = asked.actor.trim();
    let kind = AuditKind::parse(&asked.kind);
    let mut problem = "";
    if !asked.kind.is_empty() && kind.is_none() {
        problem = "Choose what the changes are about from the list.";
    } else if actor.len() > ACTOR_MAX || actor.chars().any(char::is_control) {
        problem = "Enter an email address, or part of one, to see the changes someone made.";
    } else if !asked.before.is_empty() && !audit::is_page_start(&asked.before) {
        problem = "This page of the log does not exist. Start again from the newest changes.";
    }
    let kinds: Vec<KindChoice> = std::iter::once(KindChoice {
        value: "",
        label: "Everything",
        selected: kind.is_none(),
    })
    .chain(AuditKind::ALL.into_iter().map(|k| KindChoice {
        value: k.as_str(),
        label: kind_label(k),
        selected: kind == Some(k),
    }))
    .collect();
    let render = |status, rows: &[_], older_href: &str| {
        web::http::page(
            status,
            askama::Template::render(&AuditLogPage {
                branding,
                user: &asker.shown,
                csrf: asker.csrf(),
                kinds: &kinds,
                actor,
                rows,
                older_href,
                problem,
            }),
        )
    };
    if !problem.is_empty() {
        return render(StatusCode::BAD_REQUEST, &[], "");
    }
    let filter = AuditFilter {
        kind,
        actor: Some(actor.to_owned()).filter(|a| !a.is_empty()),
    };
    let before = Some(asked.before.as_str()).filter(|b| !b.is_empty());
    let page = match audit::newest(table, &filter, before, PAGE_SIZE).await {
        Ok(page) => page,
        Err(e) => return unavailable(branding, &e),
    };
    let older = page
        .next
        .map(|next| {
            format!(
                "/console/audit?{}",
                serde_html_form::to_string([
                    ("kind", asked.kind.as_str()),
                    ("actor", actor),
                    ("before", next.as_str()),
                ])
                .unwrap_or_default()
            )
        })
        .unwrap_or_default();
    render(StatusCode::OK, &audit_rows(&page.entries), &older)
}
