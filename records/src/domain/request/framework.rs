//! The review framework a request was made under: which version of its review type's
//! framework, and that version's focus areas (key, title, report heading), copied onto the
//! request when it is stored. A published framework version never changes, so the copy is the
//! version as it was; it saves every page that lists a request's areas a read, and a framework
//! edited later never changes a review already under way.
//!
//! The frameworks themselves (prompts, descriptions, evidence, versions in the table) live in
//! the `frameworks` crate, above this one; this is only what a request needs to carry.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ReviewType;

/// A focus area's key within its framework (`outcomes`, `ta_deployment_in_class`): lower-case
/// letters, digits and `_`, starting with a letter. Stored with every answer about the area.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FocusArea(String);

pub const MAX_AREA_KEY_CHARS: usize = 40;

impl FocusArea {
    pub fn parse(text: &str) -> Result<Self, String> {
        let starts_with_letter = text.starts_with(|c: char| c.is_ascii_lowercase());
        let allowed = text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !starts_with_letter || !allowed || text.len() > MAX_AREA_KEY_CHARS {
            return Err(format!(
                "Use lower-case letters, digits and underscores, starting with a letter, up to {MAX_AREA_KEY_CHARS} characters."
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for FocusArea {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text)
    }
}

impl From<FocusArea> for String {
    fn from(area: FocusArea) -> String {
        area.0
    }
}

impl fmt::Display for FocusArea {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One focus area as a request's framework names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedArea {
    pub key: FocusArea,
    pub title: String,
    /// The heading of its section in the report.
    pub heading: String,
}

impl NamedArea {
    pub fn as_str(&self) -> &str {
        self.key.as_str()
    }

    /// The text people read.
    pub fn label(&self) -> &str {
        &self.title
    }
}

/// Which framework a request was made under, and its areas (every area of that version, in
/// its order; the request's own choice is in `ReviewRequest::focus_areas`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameworkRef {
    /// The review type whose chain of versions it belongs to (a request stored before
    /// frameworks existed has the whole-school framework whatever its type: it was offered the
    /// eight areas).
    pub review_type: ReviewType,
    pub version: u64,
    pub areas: Vec<NamedArea>,
}

/// The eight areas of the whole-school SEND review as they were before frameworks were data
/// (the built-in whole-school framework's keys and titles; its tests keep them equal).
const WHOLE_SCHOOL_AREAS: [(&str, &str); 8] = [
    ("outcomes", "Outcomes for learners with SEND"),
    ("leadership", "Leadership of SEND"),
    (
        "teaching_and_learning",
        "Quality of teaching and learning for learners with SEND",
    ),
    (
        "learners_and_families",
        "Working with learners and with parents and carers",
    ),
    (
        "assessment_of_need",
        "Assessment and identification of need",
    ),
    (
        "monitoring_and_evaluation",
        "Monitoring, tracking and evaluation of provision and interventions",
    ),
    ("use_of_resources", "Efficient use of resources"),
    ("quality_of_provision", "Quality of SEND provision"),
];

impl FrameworkRef {
    /// Version 0 of the whole-school framework: what every request stored before frameworks
    /// became data was made under, whatever its type, and what [`super::ReviewRequest::parse`]
    /// offers every type.
    pub fn whole_school() -> Self {
        Self {
            review_type: ReviewType::SendReview,
            version: 0,
            areas: WHOLE_SCHOOL_AREAS
                .iter()
                .map(|(key, title)| NamedArea {
                    key: FocusArea((*key).to_owned()),
                    title: (*title).to_owned(),
                    heading: (*title).to_owned(),
                })
                .collect(),
        }
    }

    /// The area whose key or title (any case) is `text`.
    pub fn find(&self, text: &str) -> Option<&NamedArea> {
        let text = text.trim();
        self.areas.iter().find(|area| {
            area.key.as_str().eq_ignore_ascii_case(text) || area.title.eq_ignore_ascii_case(text)
        })
    }

    pub fn area(&self, key: &FocusArea) -> Option<&NamedArea> {
        self.areas.iter().find(|area| &area.key == key)
    }

    /// The keys of its areas, in order.
    pub fn keys(&self) -> Vec<FocusArea> {
        self.areas.iter().map(|area| area.key.clone()).collect()
    }
}

impl Default for FrameworkRef {
    fn default() -> Self {
        Self::whole_school()
    }
}

/// The framework each review type's new requests are made under (the current version of each),
/// as the request form and the API check chosen areas against it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frameworks(Vec<(ReviewType, FrameworkRef)>);

impl Frameworks {
    /// Each framework for its own review type.
    pub fn new(frameworks: Vec<FrameworkRef>) -> Self {
        Self(
            frameworks
                .into_iter()
                .map(|framework| (framework.review_type, framework))
                .collect(),
        )
    }

    /// Every review type with the whole-school areas, as before frameworks were data (requests
    /// parsed without the table: tests, tools).
    pub fn whole_school_for_every_type() -> Self {
        Self(
            ReviewType::ALL
                .iter()
                .map(|&review_type| (review_type, FrameworkRef::whole_school()))
                .collect(),
        )
    }

    pub fn of(&self, review_type: ReviewType) -> Option<&FrameworkRef> {
        self.0
            .iter()
            .find(|(of, _)| *of == review_type)
            .map(|(_, framework)| framework)
    }

    /// Each review type offered, with its framework, in the order of the review types.
    pub fn iter(&self) -> impl Iterator<Item = (ReviewType, &FrameworkRef)> {
        self.0
            .iter()
            .map(|(review_type, framework)| (*review_type, framework))
    }
}
