//! The console's pages about people: the reviewer pool ([`reviewers_page`]), the staff
//! ([`staff`]) and the audit log ([`audit_page`]). Everyone signed in reads the pool and the
//! log; only a coordinator changes anything (every POST of a viewer gets the 403 page) or sees
//! the staff.

mod audit_page;
mod reviewers_page;
mod staff;

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use records::audit::Actor;
use records::branding::Branding;
use time::OffsetDateTime;
use web::pages::console::SignedInUser;

use crate::{Console, Role, SignedIn, forbidden, message};

/// The largest form the import accepts (its CSV text and the token), checked before the
/// anti-forgery token is read; the CSV's own limit, with its own message, is lower.
const IMPORT_FORM_BYTES: usize = 2 * 1024 * 1024;

/// Whether `path` is one of these pages.
pub(crate) fn handles(path: &str) -> bool {
    path == "/console/reviewers"
        || path.starts_with("/console/reviewers/")
        || path == "/console/staff"
        || path.starts_with("/console/staff/")
        || path == "/console/audit"
}

/// The size a POST to `path` may have, when it is more than the console's usual form.
pub(crate) fn form_limit(path: &str) -> Option<usize> {
    takes_files(path).then_some(IMPORT_FORM_BYTES)
}

/// Whether a POST to `path` may carry a file (a multipart form).
pub(crate) fn takes_files(path: &str) -> bool {
    path == "/console/reviewers/import"
}

/// Who is asking, as these pages need them: the page's view, the audit's author, today.
pub(crate) struct Asker {
    pub signed_in: SignedIn,
    pub shown: SignedInUser,
    pub now: OffsetDateTime,
}

impl Asker {
    fn actor(&self) -> Actor {
        Actor::new(self.signed_in.claims.email.clone(), self.now)
    }

    fn csrf(&self) -> &str {
        &self.signed_in.session.csrf
    }

    fn is_coordinator(&self) -> bool {
        self.signed_in.role == Role::Coordinator
    }
}

pub(crate) async fn answer(
    console: &Console,
    branding: &Branding,
    request: &Request,
    path: &str,
    now: i64,
) -> Response<Body> {
    let signed_in = match console.signed_in(branding, request, now).await {
        Ok(user) => user,
        Err(answer) => return answer,
    };
    let asker = Asker {
        shown: SignedInUser {
            email: signed_in.claims.email.clone(),
            role_label: signed_in.role.label(),
            may_export: signed_in.role == Role::Coordinator,
        },
        signed_in,
        now: OffsetDateTime::from_unix_timestamp(now).unwrap_or(OffsetDateTime::UNIX_EPOCH),
    };
    let post = request.method() == lambda_http::http::Method::POST;
    if post && !asker.is_coordinator() {
        return forbidden(branding);
    }
    let parts: Vec<&str> = path.trim_start_matches("/console/").split('/').collect();
    let table = console.table();
    match (post, parts.as_slice()) {
        (false, ["reviewers"]) => reviewers_page::list(table, branding, &asker, request).await,
        (true, ["reviewers", "import"]) => {
            reviewers_page::import(table, branding, &asker, request).await
        }
        (false, ["reviewers", "new"]) => reviewers_page::new_form(branding, &asker),
        (true, ["reviewers", "new"]) => reviewers_page::add(table, branding, &asker, request).await,
        (false, ["reviewers", id]) => {
            reviewers_page::show(table, branding, &asker, request, id).await
        }
        (true, ["reviewers", id]) => {
            reviewers_page::edit(table, branding, &asker, request, id).await
        }
        (true, ["reviewers", id, "deactivate"]) => {
            reviewers_page::set_active(table, branding, &asker, id, false).await
        }
        (true, ["reviewers", id, "reactivate"]) => {
            reviewers_page::set_active(table, branding, &asker, id, true).await
        }
        (_, ["staff", ..]) if !asker.is_coordinator() => forbidden(branding),
        (false, ["staff"]) => staff::list(console, branding, &asker, request).await,
        (true, ["staff", "invite"]) => staff::invite(console, branding, &asker, request).await,
        (false, ["staff", "remove"]) => staff::confirm_removal(branding, &asker, request),
        (true, ["staff", "remove"]) => staff::remove(console, branding, &asker, request).await,
        (false, ["audit"]) => audit_page::log(table, branding, &asker, request).await,
        _ => message(
            branding,
            StatusCode::NOT_FOUND,
            "Page not found",
            &[],
            "/console",
        ),
    }
}

/// The query string's parameters (a bad one reads as absent).
fn query<T: serde::de::DeserializeOwned + Default>(request: &Request) -> T {
    serde_html_form::from_str(request.uri().query().unwrap_or_default()).unwrap_or_default()
}

/// A form's fields, or the page saying it could not be read.
fn form<T: serde::de::DeserializeOwned>(
    branding: &Branding,
    request: &Request,
    max_bytes: usize,
) -> Result<T, Box<Response<Body>>> {
    web::http::read_form(request, max_bytes).map_err(|_| {
        Box::new(message(
            branding,
            StatusCode::BAD_REQUEST,
            "This form could not be read",
            &["Go back, reload the page and try again.".into()],
            "/console",
        ))
    })
}

/// An entry's time as people read it, in UTC.
fn when(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{}, {:02}:{:02} UTC",
        records::domain::request::long_date(at.date()),
        at.hour(),
        at.minute()
    )
}

fn audit_rows(
    entries: &[records::audit::AuditEntry],
) -> Vec<web::pages::console::people::AuditRow> {
    entries
        .iter()
        .map(|e| web::pages::console::people::AuditRow {
            at: when(e.at),
            actor: e.actor.clone(),
            action: e.action.clone(),
            subject: e.subject.label().to_owned(),
            detail: e.detail.clone(),
        })
        .collect()
}
