//! The review team's notes for the pre-visit analysis: private to the team (only their review
//! links reach them), one shared text saved with the no-silent-overwrite rule of
//! [`records::versioned`] (item `REQUEST#<id>` / `REVIEW_NOTES`).

use serde::{Deserialize, Serialize};

use records::versioned::Kind;

pub const KIND: Kind = Kind {
    sort_key: "REVIEW_NOTES",
    editable: &["open"],
    action: records::lifecycle::Action::KeepNotes,
};

pub const MAX_CHARS: usize = 10_000;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReviewNotes {
    pub text: String,
}

impl ReviewNotes {
    /// The notes as typed (line endings normalised, other control characters dropped), or the
    /// problem with them.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text: String = text
            .replace("\r\n", "\n")
            .chars()
            .filter(|c| !c.is_control() || *c == '\n')
            .collect();
        let length = text.chars().count();
        if length > MAX_CHARS {
            return Err(format!(
                "Your notes must be {MAX_CHARS} characters or fewer (they have {length})"
            ));
        }
        Ok(Self {
            text: text.trim_end().to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_keep_their_lines_and_have_a_limit() {
        assert_eq!(ReviewNotes::parse("a\r\nb\u{0}  ").unwrap().text, "a\nb");
        assert!(
            ReviewNotes::parse(&"x".repeat(MAX_CHARS + 1))
                .unwrap_err()
                .contains("10000 characters or fewer")
        );
    }
}
