//! The console's pages about people: the reviewer pool (list, one reviewer's form and log,
//! the CSV import), the staff, and the audit log. Coordinators see the action forms; viewers
//! read the same pages without them.

use askama::Template;

use records::branding::Branding;

use super::{FormField, SignedInUser};

/// A dated check as the pool shows it: in words, so it reads without colour.
#[derive(Debug, Clone, Default)]
pub struct CheckView {
    /// e.g. `Expired on 3 March 2026`, `Expires on 1 May 2026 (soon)`, `In date`.
    pub text: String,
    /// Expired, expiring soon or missing: the row is marked so.
    pub warning: bool,
}

/// One reviewer on the pool page.
#[derive(Debug, Clone)]
pub struct ReviewerRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub local_authority: String,
    pub may_lead: bool,
    pub active: bool,
    /// Bookings per term shown, e.g. `1 of 2`, in the page's term order.
    pub bookings: Vec<String>,
    pub dbs: CheckView,
    pub training: CheckView,
}

/// The pool: every reviewer, and (coordinators) the import form.
#[derive(Template)]
#[template(path = "console/reviewers.html")]
pub struct ReviewersPage<'a> {
    pub branding: &'a Branding,
    pub user: &'a SignedInUser,
    pub csrf: &'a str,
    /// The terms whose bookings are shown, e.g. `autumn term 2026`.
    pub terms: &'a [String],
    pub rows: &'a [ReviewerRow],
    /// Active reviewers whose DBS check or training runs out within 60 days (they are emailed
    /// a reminder), one sentence each.
    pub running_out: &'a [String],
    /// The import's text, shown again after an error.
    pub import_text: &'a str,
    /// Every problem of a refused import, one a line (`line 3: email ...`).
    pub import_errors: &'a [String],
    /// What the last action did, e.g. `Imported 3 reviewers (2 new, 1 updated).`
    pub notice: &'a str,
    pub import_limit_kb: usize,
}

/// One entry of the audit log as a page shows it.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// One reviewer: their details and log, and (coordinators) the form that adds or edits them
/// and the button that deactivates or reactivates them.
#[derive(Template)]
#[template(path = "console/reviewer.html")]
pub struct ReviewerPage<'a> {
    pub branding: &'a Branding,
    pub user: &'a SignedInUser,
    pub csrf: &'a str,
    pub title: &'a str,
    /// Where the form posts.
    pub action: &'a str,
    /// The profile's revision the form was read at (empty for a new reviewer).
    pub revision: &'a str,
    pub fields: &'a [FormField],
    pub errors: Vec<&'a FormField>,
    /// Someone saved the reviewer after the form was read: nothing was saved; both versions.
    pub stale: Option<&'a super::BothVersions>,
    pub notice: &'a str,
    /// `Some(active)` for a stored reviewer.
    pub active: Option<bool>,
    /// The reviewer's page, for the activation form (empty for a new reviewer).
    pub href: &'a str,
    pub audit: &'a [AuditRow],
}

/// A staff member of the console.
#[derive(Debug, Clone)]
pub struct StaffRow {
    pub email: String,
    pub role: &'static str,
    /// e.g. `Active`, `Must set a password` (invited, not yet signed in).
    pub status: String,
    /// The signed-in user themselves (they cannot remove themselves).
    pub is_you: bool,
    /// The page that confirms their removal.
    pub remove_href: String,
}

#[derive(Template)]
#[template(path = "console/staff.html")]
pub struct StaffPage<'a> {
    pub branding: &'a Branding,
    pub user: &'a SignedInUser,
    pub csrf: &'a str,
    pub rows: &'a [StaffRow],
    pub email: &'a FormField,
    /// The role chosen (`coordinator` or `viewer`), and its error.
    pub role: &'a str,
    pub role_error: &'a str,
    pub notice: &'a str,
}

impl StaffPage<'_> {
    pub fn has_errors(&self) -> bool {
        !self.email.error.is_empty() || !self.role_error.is_empty()
    }
}

/// Asks a coordinator to confirm removing a staff member.
#[derive(Template)]
#[template(path = "console/staff_remove.html")]
pub struct StaffRemovePage<'a> {
    pub branding: &'a Branding,
    pub user: &'a SignedInUser,
    pub csrf: &'a str,
    pub email: &'a str,
}

/// One choice of the log's subject filter.
#[derive(Debug, Clone)]
pub struct KindChoice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
pub struct AuditLogPage<'a> {
    pub branding: &'a Branding,
    pub user: &'a SignedInUser,
    pub csrf: &'a str,
    pub kinds: &'a [KindChoice],
    pub actor: &'a str,
    pub rows: &'a [AuditRow],
    /// The link to the next (older) page, if any.
    pub older_href: &'a str,
    /// A filter's problem (a bad link), shown instead of the entries.
    pub problem: &'a str,
}
