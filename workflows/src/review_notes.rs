//! The review team's notes for the pre-visit analysis: private to the team (only their review
//! links reach them), one shared text saved with the no-silent-overwrite rule of
//! [`records::versioned`] (item `REQUEST#<id>` / `REVIEW_NOTES`), with a section per session
//! of the visit day's plan (keyed by the session's id, which stays while the plan changes).

use serde::{Deserialize, Serialize};

use records::versioned::Kind;

pub const KIND: Kind = Kind {
    sort_key: "REVIEW_NOTES",
    editable: &["open"],
    action: records::lifecycle::Action::KeepNotes,
};

pub const MAX_CHARS: usize = 10_000;
/// Characters in the notes on one session.
pub const MAX_SESSION_CHARS: usize = 3_000;
/// Sessions with notes (a plan has at most 16; notes of removed sessions are kept).
pub const MAX_SESSIONS: usize = 32;
/// The form name prefix of a session's notes: `session_note-s3`.
pub const SESSION_FIELD: &str = "session_note-";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReviewNotes {
    pub text: String,
    /// `(session id, notes)`, in the order the form showed them.
    #[serde(default)]
    pub sessions: Vec<(String, String)>,
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
            sessions: Vec::new(),
        })
    }

    /// The notes posted in `pairs`: the general `notes` box and each `session_note-<id>` box
    /// (empty ones left out), or the first problem.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<Self, String> {
        let field = |name: &str| {
            pairs
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let mut notes = Self::parse(field("notes").unwrap_or_default())?;
        for (name, value) in pairs {
            let Some(id) = name.strip_prefix(SESSION_FIELD) else {
                continue;
            };
            let text = Self::parse(value)?.text;
            if text.chars().count() > MAX_SESSION_CHARS {
                return Err(format!(
                    "Your notes on each session must be {MAX_SESSION_CHARS} characters or fewer"
                ));
            }
            if !text.is_empty() && notes.sessions.iter().all(|(s, _)| s != id) {
                notes.sessions.push((id.chars().take(16).collect(), text));
            }
        }
        if notes.sessions.len() > MAX_SESSIONS {
            return Err(format!("Notes can cover at most {MAX_SESSIONS} sessions"));
        }
        Ok(notes)
    }

    /// The notes on session `id`.
    pub fn on_session(&self, id: &str) -> &str {
        self.sessions
            .iter()
            .find(|(s, _)| s == id)
            .map_or("", |(_, text)| text.as_str())
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

    #[test]
    fn notes_have_a_section_per_session() {
        let pairs: Vec<(String, String)> = [
            ("notes", "general"),
            ("session_note-s1", "Ask about the provision map"),
            ("session_note-s2", "  "),
            ("version", "3"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let notes = ReviewNotes::from_pairs(&pairs).unwrap();
        assert_eq!(notes.text, "general");
        assert_eq!(notes.on_session("s1"), "Ask about the provision map");
        assert_eq!(notes.sessions.len(), 1);
        let long = vec![(
            "session_note-s1".to_owned(),
            "x".repeat(MAX_SESSION_CHARS + 1),
        )];
        assert!(
            ReviewNotes::from_pairs(&long)
                .unwrap_err()
                .contains("each session")
        );
    }
}
