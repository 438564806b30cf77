//! Feedback both ways, once a report is final: the school says how useful the review was, and
//! each reviewer of the team how it went for them and what they took back to their own school.
//!
//! Each answer is one item, `REQUEST#<id>` / `FEEDBACK#<respondent>`, put once (a second answer
//! fails its condition and stores nothing). Neither side's pages ever read the other side's
//! item: the console sees only the counters the stream adds them to.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use records::store::{StoreError, Table, dynamo_error, is_conditional_check_failed, s};

pub const SORT_KEY_PREFIX: &str = "FEEDBACK#";
/// The longest free-text answer, in characters.
pub const MAX_COMMENT_CHARS: usize = 2000;

/// Who answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Respondent {
    School,
    Lead,
    Second,
}

impl Respondent {
    /// The sides whose answers are counted apart.
    pub const SIDES: [&'static str; 2] = ["school", "reviewer"];

    pub const fn as_str(self) -> &'static str {
        match self {
            Respondent::School => "school",
            Respondent::Lead => "lead",
            Respondent::Second => "second",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "school" => Some(Respondent::School),
            "lead" => Some(Respondent::Lead),
            "second" => Some(Respondent::Second),
            _ => None,
        }
    }

    /// `school` or `reviewer`: the counters and the questions are the side's.
    pub const fn side(self) -> &'static str {
        match self {
            Respondent::School => "school",
            Respondent::Lead | Respondent::Second => "reviewer",
        }
    }

    pub fn sort_key(self) -> String {
        format!("{SORT_KEY_PREFIX}{}", self.as_str())
    }
}

/// One question answered on a scale of 1 (not at all) to 5 (very much).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Question {
    pub key: &'static str,
    pub text: &'static str,
}

const SCHOOL_QUESTIONS: &[Question] = &[
    Question {
        key: "useful",
        text: "How useful was the review to your school?",
    },
    Question {
        key: "done_with",
        text: "How far was the review done with your school's leaders, not done to them?",
    },
    Question {
        key: "next_steps",
        text: "How clear are your next steps after the report?",
    },
];

const REVIEWER_QUESTIONS: &[Question] = &[
    Question {
        key: "went_well",
        text: "How well did the review go for you?",
    },
    Question {
        key: "prepared",
        text: "How well prepared did you feel for the visit?",
    },
    Question {
        key: "took_back",
        text: "How much did you take back to your own school?",
    },
];

/// The questions of `side` (`school` or `reviewer`), in the form's order.
pub fn questions(side: &str) -> &'static [Question] {
    if side == "school" {
        SCHOOL_QUESTIONS
    } else {
        REVIEWER_QUESTIONS
    }
}

/// The free-text question of `side`.
pub fn comment_question(side: &str) -> &'static str {
    if side == "school" {
        "Anything else you would like the programme to know? (optional)"
    } else {
        "What did you take back to your own school? (optional)"
    }
}

/// An answer as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedbackAnswer {
    pub respondent: Respondent,
    /// Question key -> score 1..=5.
    pub scores: BTreeMap<String, u8>,
    #[serde(default)]
    pub comment: String,
    pub answered_at: String,
}

/// A field the form must correct, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FeedbackAnswer {
    /// Reads the form's fields (a score per question, `comment`); on failure, every field's
    /// problem in form order.
    pub fn parse(
        respondent: Respondent,
        form: &BTreeMap<String, String>,
        now: OffsetDateTime,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut scores = BTreeMap::new();
        for question in questions(respondent.side()) {
            let value = form.get(question.key).map(|v| v.trim()).unwrap_or("");
            match value.parse::<u8>() {
                Ok(score @ 1..=5) => {
                    scores.insert(question.key.to_owned(), score);
                }
                _ => errors.push(FieldError {
                    field: question.key.to_owned(),
                    message: format!(
                        "Choose a score from 1 to 5 for \"{}\"",
                        question.text.trim_end_matches('?')
                    ),
                }),
            }
        }
        let comment = form
            .get("comment")
            .map(|v| v.trim())
            .unwrap_or("")
            .to_owned();
        if comment.chars().count() > MAX_COMMENT_CHARS {
            errors.push(FieldError {
                field: "comment".into(),
                message: format!("Keep your answer to {MAX_COMMENT_CHARS} characters or fewer"),
            });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            respondent,
            scores,
            comment,
            answered_at: now.format(&Rfc3339).unwrap_or_default(),
        })
    }
}

/// Whether storing an answer did it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    Stored,
    /// This respondent has answered already: nothing changed.
    AlreadyAnswered,
}

/// Stores `answer` for request `request_id`, once.
pub async fn store(
    table: &Table,
    request_id: &str,
    answer: &FeedbackAnswer,
) -> Result<Stored, StoreError> {
    let mut item: records::store::Item =
        serde_dynamo::to_item(answer).expect("an answer serialises");
    item.insert("pk".into(), s(records::keys::request_pk(request_id)));
    item.insert("sk".into(), s(answer.respondent.sort_key()));
    item.insert(
        "request_id".into(),
        AttributeValue::S(request_id.to_owned()),
    );
    match table
        .client
        .put_item()
        .table_name(&table.name)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await
    {
        Ok(_) => Ok(Stored::Stored),
        Err(err) if is_conditional_check_failed(&err) => Ok(Stored::AlreadyAnswered),
        Err(err) => Err(dynamo_error("PutItem", err)),
    }
}

/// Whether `respondent` has answered for request `request_id` (only the respondent's own
/// item is read).
pub async fn answered(
    table: &Table,
    request_id: &str,
    respondent: Respondent,
) -> Result<bool, StoreError> {
    Ok(table
        .get(records::keys::request_pk(request_id), respondent.sort_key())
        .await?
        .is_some())
}
