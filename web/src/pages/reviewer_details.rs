//! The reviewer's own pages: their details (what matching reads about them, kept by themselves)
//! and the public form that emails them the link to it.

use askama::Template;

use records::branding::Branding;
use records::domain::Region;
use records::domain::request::FieldError;
use records::reviewers::{OwnDetails, OwnDetailsForm};

use super::console::BothVersions;

#[derive(Template)]
#[template(path = "pages/reviewer_details.html")]
pub struct ReviewerDetailsPage<'a> {
    pub branding: &'a Branding,
    pub name: &'a str,
    /// Where the form posts: the page's own signed address.
    pub action: &'a str,
    pub form: &'a OwnDetailsForm,
    pub errors: &'a [FieldError],
    pub regions: &'static [Region],
    pub saved: bool,
    /// A save from an older page: nothing was stored; both versions.
    pub stale: Option<BothVersions>,
}

impl ReviewerDetailsPage<'_> {
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.as_str())
    }

    pub fn region_checked(&self, region: &str) -> bool {
        self.form.regions.iter().any(|r| r == region)
    }

    pub fn has_problem(&self) -> bool {
        !self.errors.is_empty() || self.stale.is_some()
    }
}

/// Each field where what the reviewer sent and what is saved now differ, as the form shows them.
pub fn both_versions(yours: &OwnDetails, stored: &OwnDetails) -> BothVersions {
    let (yours, stored) = (yours.form(""), stored.form(""));
    let regions = |form: &OwnDetailsForm| form.regions.join(", ");
    let rows = [
        (
            "Reviews per term",
            yours.capacity_per_term.clone(),
            stored.capacity_per_term.clone(),
        ),
        (
            "Dates you are away",
            yours.unavailable.clone(),
            stored.unavailable.clone(),
        ),
        ("Regions", regions(&yours), regions(&stored)),
        (
            "Schools you must not review",
            yours.conflicts.clone(),
            stored.conflicts.clone(),
        ),
    ];
    BothVersions::of_fields(
        "Your details were changed after you opened this page: nothing was saved",
        rows,
    )
}

#[derive(Template)]
#[template(path = "pages/reviewer_link.html")]
pub struct ReviewerLinkPage<'a> {
    pub branding: &'a Branding,
    pub email: &'a str,
    pub error: Option<&'a str>,
    /// The form was taken: the page says the same whether the address is known or not.
    pub taken: bool,
}
