//! The feedback form behind a signed link once a report is final (`/feedback/{token}`): a few
//! questions on a scale of 1 to 5 and one free text, per-field errors, no script.

use askama::Template;

use records::branding::Branding;

/// One 1-to-5 question of the form, with what was chosen and its error.
#[derive(Debug, Clone)]
pub struct ScaleQuestion {
    pub key: &'static str,
    pub text: &'static str,
    pub chosen: Option<u8>,
    pub error: Option<String>,
}

/// One score of a question, as the form shows it.
#[derive(Debug, Clone)]
pub struct ScaleChoice {
    pub score: u8,
    pub label: String,
    pub checked: bool,
}

impl ScaleQuestion {
    /// The scores 1 to 5, the ends explained, the one chosen checked.
    pub fn choices(&self) -> Vec<ScaleChoice> {
        (1..=5)
            .map(|score| ScaleChoice {
                score,
                label: match score {
                    1 => "1 (not at all)".into(),
                    5 => "5 (very much)".into(),
                    n => n.to_string(),
                },
                checked: self.chosen == Some(score),
            })
            .collect()
    }
}

#[derive(Template)]
#[template(path = "pages/feedback.html")]
pub struct FeedbackPage<'a> {
    pub branding: &'a Branding,
    pub action: String,
    /// `the review of Brook Primary School`: what the answers are about.
    pub about: String,
    /// Whom the answers are anonymous to (`the reviewers`, `the school`).
    pub hidden_from: &'static str,
    pub questions: Vec<ScaleQuestion>,
    pub comment_label: &'static str,
    pub comment: String,
    pub comment_error: Option<String>,
    pub max_comment_chars: usize,
    /// `(field, message)` in form order.
    pub errors: Vec<(String, String)>,
}
