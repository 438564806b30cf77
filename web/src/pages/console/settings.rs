//! The settings page (`/console/settings`): every programme setting with what it means, its
//! default and its value, in groups; the form a coordinator saves, or the table a viewer reads.

use askama::Template;

use records::branding::Branding;

use super::SignedInUser;

/// One setting on the page.
#[derive(Debug, Clone)]
pub struct SettingField {
    /// The setting's key: the input's name and id.
    pub key: &'static str,
    pub label: &'static str,
    pub explanation: &'static str,
    /// The default as typed ("(required)" for name and contact address).
    pub default_text: String,
    /// What the form shows: the stored value, or what was typed.
    pub value: String,
    /// Why the value was refused (empty when it was not).
    pub error: String,
    /// On or off (radios) rather than text.
    pub switch: bool,
}

impl SettingField {
    pub fn is_on(&self) -> bool {
        self.value.eq_ignore_ascii_case("on")
    }
}

/// Settings shown together under a heading.
#[derive(Debug, Clone)]
pub struct SettingsGroup {
    pub id: &'static str,
    pub title: &'static str,
    pub fields: Vec<SettingField>,
}

#[derive(Template)]
#[template(path = "console/settings.html")]
pub struct SettingsPage<'a> {
    pub branding: &'a Branding,
    pub user: &'a SignedInUser,
    pub csrf: &'a str,
    /// The version the form's values are based on (the hidden field a save sends back).
    pub version: u64,
    pub groups: &'a [SettingsGroup],
    /// A coordinator edits; a viewer reads.
    pub may_edit: bool,
    /// The version just saved, after a save.
    pub saved: Option<u64>,
    pub stale: Option<&'a super::BothVersions>,
    /// What is deployed: this build's version, and each service's API and SDK versions (staff
    /// only; the public health check no longer says).
    pub build_version: &'a str,
    pub services: &'a [records::aws::ServiceVersion],
}

impl SettingsPage<'_> {
    /// The fields with an error, for the summary at the top.
    pub fn errors(&self) -> Vec<&SettingField> {
        self.groups
            .iter()
            .flat_map(|group| group.fields.iter())
            .filter(|field| !field.error.is_empty())
            .collect()
    }
}
