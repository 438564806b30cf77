//! Review frameworks as data: the focus areas of a review type, each with a description, the
//! self-evaluation prompts for mainstream and for specialist settings, the evidence a school
//! might point to and the heading of its section in the report.
//!
//! There is one built-in framework per review type ([`Framework::built_in`], sources cited in
//! `builtin.rs`). A programme adapts a copy and publishes it as a new version; the file that
//! carries one between programmes is JSON in the shape of `crates/frameworks/framework.schema.json`,
//! read by [`Framework::from_json`] with a problem per field (a JSON pointer and a sentence) and
//! written by [`Framework::to_json`].

mod builtin;
pub mod form;
mod parse;
mod stored;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use stored::{
    Published, Versioned, catalogue, catalogue_from, current, of_request, pointer_keys, publish,
    version,
};

use records::domain::SchoolType;
use records::domain::request::{FocusArea, FrameworkRef, NamedArea, ReviewType};

/// The `schema` member of a framework file: the shape it is written in.
pub const SCHEMA: &str = "send-review/framework/1";
pub const MAX_AREAS: usize = 12;
pub const MAX_NAME_CHARS: usize = 120;
pub const MAX_TITLE_CHARS: usize = 120;
pub const MAX_DESCRIPTION_CHARS: usize = 400;
pub const MAX_PROMPTS: usize = 6;
pub const MAX_PROMPT_CHARS: usize = 300;
pub const MAX_EVIDENCE_ITEMS: usize = 8;
pub const MAX_EVIDENCE_CHARS: usize = 200;
pub const MAX_KEY_CHARS: usize = records::domain::request::MAX_AREA_KEY_CHARS;

/// A framework: a named set of focus areas for one review type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Framework {
    pub key: Key,
    pub name: String,
    pub review_type: ReviewType,
    /// Where its content comes from (may be empty for a programme's own).
    pub source: String,
    pub areas: Vec<Area>,
}

/// One focus area of a framework.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Area {
    pub key: Key,
    pub title: String,
    pub description: String,
    pub prompts: Prompts,
    /// What a school might point to as evidence.
    pub evidence: Vec<String>,
    /// The heading of the area's section in the report.
    pub report_heading: String,
}

/// Short, open questions to start a school's thinking on an area, per kind of setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prompts {
    pub mainstream: Vec<String>,
    pub specialist: Vec<String>,
}

/// The two self-evaluation templates: mainstream schools, and specialist settings (special
/// schools, alternative provision).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    Mainstream,
    Specialist,
}

impl Setting {
    pub fn of(school_type: SchoolType) -> Self {
        match school_type {
            SchoolType::Special | SchoolType::AlternativeProvision => Setting::Specialist,
            SchoolType::Mainstream | SchoolType::ResourcedProvision => Setting::Mainstream,
        }
    }
}

/// A framework's or an area's key: lower-case letters, digits and `_`, starting with a letter,
/// at most [`MAX_KEY_CHARS`]. Stored with every answer, so it never changes once published; an
/// area's key is the focus area key requests carry.
pub use records::domain::request::FocusArea as Key;

/// One problem with a framework: where (a JSON pointer into its file, `""` for the whole
/// file) and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub pointer: String,
    pub message: String,
}

impl Framework {
    /// The built-in framework of `review_type`.
    pub fn built_in(review_type: ReviewType) -> Framework {
        Self::built_in_ref(review_type).clone()
    }

    fn built_in_ref(review_type: ReviewType) -> &'static Framework {
        builtin::BUILT_IN
            .iter()
            .find(|framework| framework.review_type == review_type)
            .expect("every review type has a built-in framework")
    }

    /// Every built-in framework, in the order of the review types.
    pub fn all_built_in() -> Vec<Framework> {
        builtin::BUILT_IN.clone()
    }

    pub fn area(&self, key: &str) -> Option<&Area> {
        self.areas.iter().find(|area| area.key.as_str() == key)
    }

    /// Reads a framework file: every problem found, each at its field, or the framework.
    pub fn from_json(text: &str) -> Result<Framework, Vec<Problem>> {
        parse::from_json(text)
    }

    /// The framework's problems against the limits (an edited framework is checked before it
    /// is published; a file is checked as it is read).
    pub fn problems(&self) -> Vec<Problem> {
        parse::problems(self)
    }

    /// The framework as a file in the shape [`Framework::from_json`] reads.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct File<'a> {
            schema: &'static str,
            #[serde(flatten)]
            framework: &'a Framework,
        }
        let file = File {
            schema: SCHEMA,
            framework: self,
        };
        serde_json::to_string_pretty(&file).expect("a framework is plain data")
    }
}

impl Framework {
    /// What a request made under version `version` of this framework carries of it.
    pub fn reference(&self, version: u64) -> FrameworkRef {
        FrameworkRef {
            review_type: self.review_type,
            version,
            areas: self
                .areas
                .iter()
                .map(|area| NamedArea {
                    key: area.key.clone(),
                    title: area.title.clone(),
                    heading: area.report_heading.clone(),
                })
                .collect(),
        }
    }

    /// The area of `key`, if this framework has it.
    pub fn focus_area(&self, key: &FocusArea) -> Option<&Area> {
        self.area(key.as_str())
    }
}

impl Area {
    pub fn prompts(&self, setting: Setting) -> &[String] {
        match setting {
            Setting::Mainstream => &self.prompts.mainstream,
            Setting::Specialist => &self.prompts.specialist,
        }
    }
}

/// The built-in framework (version 0) of every review type: what new requests get in a
/// programme that has published none (and what tests and tools without the table use).
pub fn built_in_catalogue() -> records::domain::request::Frameworks {
    records::domain::request::Frameworks::new(
        builtin::BUILT_IN
            .iter()
            .map(|framework| framework.reference(0))
            .collect(),
    )
}

/// The whole-school review's prompts for one of its eight areas, from its built-in framework
/// (the self-evaluation of a request without a framework of its own).
pub fn whole_school_prompts(area: &FocusArea, setting: Setting) -> &'static [String] {
    Framework::built_in_ref(ReviewType::SendReview)
        .area(area.as_str())
        .expect("the whole-school framework has every focus area")
        .prompts(setting)
}
