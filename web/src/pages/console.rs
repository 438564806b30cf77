//! The programme console's pages (`templates/console/`): the sign-in steps on one form page
//! and the pipeline (messages use the site's own message page). They share the site's layout
//! and its plain, accessible style, and work without JavaScript.

pub mod insights;
pub mod pipeline;
pub mod settings;

pub use pipeline::{
    AttentionRow, FilterOption, PipelineFilters, PipelinePage, PipelineRow, PipelineStage,
};

use askama::Template;

pub mod frameworks;
pub mod people;
pub mod plan;
pub mod request;

use records::branding::Branding;

/// One input of a console form, with its error (empty when none).
#[derive(Debug, Clone, Default)]
pub struct FormField {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub input_type: &'static str,
    pub autocomplete: &'static str,
    /// Shown again after an error (never for a password).
    pub value: String,
    pub error: String,
    pub short: bool,
    pub numeric: bool,
}

/// A save from an old page (`templates/console/both_versions.html`): nothing was stored; for
/// each field where what was sent and what is saved now differ, both values side by side.
#[derive(Debug, Clone)]
pub struct BothVersions {
    /// The refusal's heading.
    pub title: String,
    pub explanation: String,
    pub caption: String,
    /// The first column's heading: what a row is (`Setting`, `Field`).
    pub row_heading: &'static str,
    /// The last column's heading: the version saved now.
    pub stored_heading: String,
    pub differences: Vec<Difference>,
}

impl BothVersions {
    /// A form's fields refused as stale (`title` says whose): each row `(label, yours, saved
    /// now)`, kept where the two differ.
    pub fn of_fields(
        title: &str,
        rows: impl IntoIterator<Item = (&'static str, String, String)>,
    ) -> Self {
        Self {
            title: title.into(),
            explanation: "The form shows what you sent. Compare it with what is saved now, then save again to replace that with your values.".into(),
            caption: "Where your values and what is saved now differ".into(),
            row_heading: "Field",
            stored_heading: "Saved now".into(),
            differences: rows
                .into_iter()
                .filter(|(_, yours, stored)| yours != stored)
                .map(|(label, yours, stored)| Difference {
                    label,
                    yours,
                    stored,
                })
                .collect(),
        }
    }
}

/// One field where the edit sent and the stored version differ.
#[derive(Debug, Clone)]
pub struct Difference {
    pub label: &'static str,
    pub yours: String,
    pub stored: String,
}

/// The authenticator secret being enrolled: as text, as an `otpauth://` link, and as a QR
/// code (an inline SVG; empty when none is drawn).
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub secret: String,
    pub uri: String,
    pub qr_svg: String,
}

#[derive(Template)]
#[template(path = "console/form.html")]
pub struct ConsoleFormPage<'a> {
    pub branding: &'a Branding,
    pub title: &'a str,
    pub intro: &'a [String],
    pub action: &'a str,
    pub csrf: &'a str,
    pub fields: &'a [FormField],
    /// The fields with an error, for the summary at the top.
    pub errors: Vec<&'a FormField>,
    pub submit: &'a str,
    pub enrolment: Option<&'a Enrolment>,
}

impl<'a> ConsoleFormPage<'a> {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        branding: &'a Branding,
        title: &'a str,
        intro: &'a [String],
        action: &'a str,
        csrf: &'a str,
        fields: &'a [FormField],
        submit: &'a str,
        enrolment: Option<&'a Enrolment>,
    ) -> Self {
        Self {
            branding,
            title,
            intro,
            action,
            csrf,
            errors: fields.iter().filter(|f| !f.error.is_empty()).collect(),
            fields,
            submit,
            enrolment,
        }
    }
}

/// Who is signed in, as the console's pages show it.
#[derive(Debug, Clone)]
pub struct SignedInUser {
    pub email: String,
    pub role_label: &'static str,
    /// Coordinators may download personal data; viewers may not.
    pub may_export: bool,
}
