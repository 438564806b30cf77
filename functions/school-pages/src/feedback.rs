//! The feedback form of a final report's review (`/feedback/{token}`): the school's or a
//! reviewer's, by the signed link each was emailed. One answer each: a second is refused and
//! changes nothing. Nothing here reads the other side's answer.

use std::collections::BTreeMap;

use askama::Template;
use insights::feedback::{self, FeedbackAnswer, FieldError, Respondent, Stored};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use records::branding::Branding;
use time::OffsetDateTime;
use web::pages::feedback::{FeedbackPage, ScaleQuestion};
use web::pages::message;

use crate::{MAX_FORM_BYTES, SchoolPages, path_parameter, unavailable};

/// Whose form a link opens, and about which review.
struct Form {
    request_id: String,
    respondent: Respondent,
    school_name: String,
}

impl SchoolPages {
    pub(crate) async fn feedback(
        &self,
        branding: &Branding,
        request: &Request,
        post: bool,
        now: OffsetDateTime,
    ) -> Response<Body> {
        let token = path_parameter(request, "token");
        let form = match self.feedback_form(&token, now).await {
            Ok(Some(form)) => form,
            Ok(None) => return link_refused(branding),
            Err(()) => return unavailable(branding),
        };
        let action = format!("/feedback/{token}");
        if !post {
            return match feedback::answered(&self.table, &form.request_id, form.respondent).await {
                Ok(true) => already_answered(branding),
                Ok(false) => page(branding, &form, &action, &BTreeMap::new(), &[]),
                Err(error) => {
                    tracing::error!(%error, "reading a feedback answer failed");
                    unavailable(branding)
                }
            };
        }
        let Ok(fields) = web::http::read_form::<BTreeMap<String, String>>(request, MAX_FORM_BYTES)
        else {
            return crate::not_read(
                branding,
                "Your feedback could not be read",
                "Go back, reload the page and send it again.",
                (&action, "Back to the form"),
            );
        };
        let answer = match FeedbackAnswer::parse(form.respondent, &fields, now) {
            Ok(answer) => answer,
            Err(errors) => return page(branding, &form, &action, &fields, &errors),
        };
        match feedback::store(&self.table, &form.request_id, &answer).await {
            Ok(Stored::Stored) => message(
                branding,
                StatusCode::OK,
                "Thank you for your feedback",
                vec!["Your answers are stored. They reach the programme as totals with others' answers.".into()],
                ("/", "Go to the start page"),
            ),
            Ok(Stored::AlreadyAnswered) => already_answered(branding),
            Err(error) => {
                tracing::error!(%error, "storing a feedback answer failed");
                unavailable(branding)
            }
        }
    }

    /// The form `token` opens at `now`: none when the link is not one, has expired, or its
    /// review's report is not final (or is gone).
    async fn feedback_form(&self, token: &str, now: OffsetDateTime) -> Result<Option<Form>, ()> {
        let links = self.links.get().await.map_err(|_| ())?;
        let Ok((request_id, respondent)) = links.verify_feedback_token(token, now.unix_timestamp())
        else {
            return Ok(None);
        };
        let Some(respondent) = Respondent::from_key(&respondent) else {
            return Ok(None);
        };
        let stored = match self.workflow.request(&request_id).await {
            Ok(Some(stored)) => stored,
            Ok(None) => return Ok(None),
            Err(error) => {
                tracing::error!(%error, "reading a request failed");
                return Err(());
            }
        };
        match workflows::report::store::get(&self.table, &request_id).await {
            Ok(Some(report)) if report.state == records::lifecycle::ReportState::Final => {}
            Ok(_) => return Ok(None),
            Err(error) => {
                tracing::error!(%error, "reading a report failed");
                return Err(());
            }
        }
        Ok(Some(Form {
            request_id,
            respondent,
            school_name: stored.request.school.name.to_string(),
        }))
    }
}

fn page(
    branding: &Branding,
    form: &Form,
    action: &str,
    fields: &BTreeMap<String, String>,
    errors: &[FieldError],
) -> Response<Body> {
    let side = form.respondent.side();
    let error_for = |field: &str| {
        errors
            .iter()
            .find(|e| e.field == field)
            .map(|e| e.message.clone())
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    web::http::page(
        status,
        FeedbackPage {
            branding,
            action: action.to_owned(),
            about: if side == "school" {
                "your school's review".into()
            } else {
                format!("your review of {}", form.school_name)
            },
            hidden_from: if side == "school" {
                "the reviewers"
            } else {
                "the school"
            },
            questions: feedback::questions(side)
                .iter()
                .map(|q| ScaleQuestion {
                    key: q.key,
                    text: q.text,
                    chosen: fields.get(q.key).and_then(|v| v.trim().parse().ok()),
                    error: error_for(q.key),
                })
                .collect(),
            comment_label: feedback::comment_question(side),
            comment: fields.get("comment").cloned().unwrap_or_default(),
            comment_error: error_for("comment"),
            max_comment_chars: feedback::MAX_COMMENT_CHARS,
            errors: errors
                .iter()
                .map(|e| (e.field.clone(), e.message.clone()))
                .collect(),
        }
        .render(),
    )
}

fn already_answered(branding: &Branding) -> Response<Body> {
    message(
        branding,
        StatusCode::CONFLICT,
        "You have already given your feedback",
        vec!["Each person answers once, and your answers are stored. Nothing was changed.".into()],
        ("/", "Go to the start page"),
    )
}

fn link_refused(branding: &Branding) -> Response<Body> {
    message(
        branding,
        StatusCode::FORBIDDEN,
        "This feedback link does not work",
        vec![
            format!(
                "It may have expired, or been copied only in part. Feedback links work for {} days from the day the report became final.",
                records::links::FEEDBACK_LINK_DAYS
            ),
            format!("If you need help, write to {}.", branding.contact_email),
        ],
        ("/", "Go to the start page"),
    )
}
