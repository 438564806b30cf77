//! The review frameworks pages (`/console/frameworks`): each review type's framework now, and
//! the editor a coordinator copies the current version in, changes, previews (the school's
//! self-evaluation and the report's headings as they will look) and publishes as the next
//! version. A viewer reads.

use askama::Template;

use records::branding::Branding;

use super::SignedInUser;

/// One review type's current framework, on the list.
#[derive(Debug, Clone)]
pub struct FrameworkRow {
    pub review_type: &'static str,
    pub review_type_label: &'static str,
    pub name: String,
    pub version: u64,
    pub areas: usize,
}

#[derive(Template)]
#[template(path = "console/frameworks.html")]
pub struct FrameworksPage<'a> {
    pub branding: &'a Branding,
    pub user: &'a SignedInUser,
    pub rows: Vec<FrameworkRow>,
}

/// One area's group of fields in the editor.
#[derive(Debug, Clone, Default)]
pub struct AreaFields {
    pub index: usize,
    /// A published area's key (shown, not editable); empty for the new area's group.
    pub key: String,
    pub new_key: String,
    pub title: String,
    pub description: String,
    pub heading: String,
    /// One item per line.
    pub mainstream: String,
    pub specialist: String,
    pub evidence: String,
    pub removed: bool,
}

/// What the school's self-evaluation will show for one area, and the report's heading.
#[derive(Debug, Clone)]
pub struct PreviewArea {
    pub title: String,
    pub description: String,
    pub mainstream: Vec<String>,
    pub specialist: Vec<String>,
    pub heading: String,
}

#[derive(Template)]
#[template(path = "console/framework_edit.html")]
pub struct FrameworkEditPage<'a> {
    pub branding: &'a Branding,
    pub user: &'a SignedInUser,
    pub csrf: &'a str,
    pub review_type: &'static str,
    pub review_type_label: &'static str,
    /// The version the form is based on (the hidden field a publish sends back).
    pub version: u64,
    pub name: String,
    pub areas: Vec<AreaFields>,
    /// Each problem: the field's name and what to do.
    pub errors: Vec<(String, String)>,
    pub may_edit: bool,
    /// The version just published, after a publish.
    pub published: Option<u64>,
    pub preview: Option<Vec<PreviewArea>>,
    pub stale: Option<&'a super::BothVersions>,
}

impl FrameworkEditPage<'_> {
    /// The message for `field`, if it has a problem.
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, message)| message.as_str())
    }

    /// Where the summary's link for `field` goes: the field itself, or the first area for the
    /// list as a whole.
    pub fn anchor(&self, field: &str) -> String {
        if field == "areas" {
            "area-0-title".to_owned()
        } else {
            field.to_owned()
        }
    }

    /// The label of the summary's link for `field`.
    pub fn field_label(&self, field: &str) -> String {
        let Some(rest) = field.strip_prefix("area-") else {
            return match field {
                "name" => "Name".to_owned(),
                _ => "Focus areas".to_owned(),
            };
        };
        let (index, part) = rest.split_once('-').unwrap_or((rest, ""));
        let n = index.parse::<usize>().map_or(0, |i| i + 1);
        let part = match part {
            "title" => "title",
            "description" => "description",
            "heading" => "report heading",
            "mainstream" => "prompts for mainstream settings",
            "specialist" => "prompts for specialist settings",
            "evidence" => "evidence",
            "key" => "key",
            _ => "field",
        };
        format!("Area {n}, {part}")
    }
}
