//! The console's request page (`templates/console/request.html`): every field, the timeline,
//! the evidence list, the audit entries, and the actions the request's stage allows now (none
//! for a viewer). The console prepares every value as text.

use askama::Template;

use records::branding::Branding;

use super::SignedInUser;

/// One line of the timeline, the evidence list or the audit entries.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub when: String,
    pub what: String,
    pub detail: String,
    pub who: String,
}

/// One email about the request, newest first.
#[derive(Debug, Clone)]
pub struct EmailRow {
    pub queued: String,
    pub subject: String,
    /// The address, or for a viewer a note that it is hidden.
    pub to: String,
    /// `Sent`, `Not sent yet` or `Not delivered`.
    pub status: &'static str,
    /// When it was sent, why it was not delivered, or nothing.
    pub detail: String,
}

/// One hard rule for one reviewer: passed, or failed with why.
#[derive(Debug, Clone)]
pub struct RuleCell {
    pub label: &'static str,
    pub passed: bool,
    pub why: String,
}

/// One active reviewer against the request, with the matcher's score when eligible.
#[derive(Debug, Clone)]
pub struct ReviewerChoice {
    pub id: String,
    pub name: String,
    pub rules: Vec<RuleCell>,
    /// Empty when a hard rule fails.
    pub score: String,
}

/// The actions shown now (choosing a reviewer: see [`Chooser`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct ActionsShown {
    pub release: bool,
    pub reassign: bool,
    pub withdraw: bool,
    pub erase: bool,
    /// Renew the school's status link (a coordinator may at any stage).
    pub renew_link: bool,
}

/// A form that puts a reviewer the coordinator names in a place on the review: the lead's
/// offer, or a booked lead's or second's replacement.
#[derive(Debug, Clone)]
pub struct Chooser {
    /// The action the form posts to (`offer`, `replace-lead`, `replace-second`).
    pub action: &'static str,
    /// Every active reviewer against the place's hard rules.
    pub reviewers: Vec<ReviewerChoice>,
    /// The fieldset's id, which its errors link to.
    pub field: &'static str,
    /// Heading, explanation and button label.
    pub texts: (&'static str, String, &'static str),
}

/// A form field's error (its field's name, for the summary's link).
#[derive(Debug, Clone)]
pub struct ActionError {
    pub field: &'static str,
    pub message: String,
}

#[derive(Template)]
#[template(path = "console/request.html")]
pub struct RequestPage<'a> {
    pub branding: &'a Branding,
    pub user: &'a SignedInUser,
    pub csrf: &'a str,
    pub reference: &'a str,
    pub school: &'a str,
    pub stage: &'a str,
    /// Label and value of every field.
    pub fields: Vec<(&'static str, String)>,
    pub events: Vec<Row>,
    pub evidence: Vec<Row>,
    pub emails: Vec<EmailRow>,
    pub audit: Vec<Row>,
    /// Empty for a viewer.
    pub actions: ActionsShown,
    pub choosers: Vec<Chooser>,
    /// What the page saw of the request: the forms send it back.
    pub seen: &'a str,
    pub errors: Vec<ActionError>,
    /// The outcome of the action just taken, if any.
    pub notice: &'a str,
    pub reason: &'a str,
}

impl RequestPage<'_> {
    /// The error of `field`, or "".
    pub fn error_of(&self, field: &str) -> &str {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
            .unwrap_or_default()
    }
}
