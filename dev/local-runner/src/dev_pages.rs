//! Pages of the local runner itself, never deployed: an index, the mail that was sent, firing
//! a scheduled function on demand, and demo data on demand (`POST /_dev/demo/final-report`,
//! `POST /_dev/requests/<reference>/visit-date` with `{"date": "YYYY-MM-DD"}`).

use askama::Template;
use bytes::Bytes;
use http_body_util::Full;

use crate::mailbox::{self, SentMail};
use crate::server::{State, plain};

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage<'a> {
    routes: Vec<(String, &'a str)>,
    schedules: Vec<&'a str>,
}

#[derive(Template)]
#[template(path = "mail.html")]
struct MailPage<'a> {
    mails: &'a [SentMail],
}

pub async fn handle(
    state: &State,
    method: &str,
    path: &str,
    body: &[u8],
) -> hyper::Response<Full<Bytes>> {
    match (method, path) {
        ("GET", "/_dev") | ("GET", "/_dev/") => {
            let page = IndexPage {
                routes: state
                    .routes
                    .iter()
                    .map(|r| (r.route_key(), r.function.as_str()))
                    .collect(),
                schedules: state.schedules.keys().map(String::as_str).collect(),
            };
            html(page.render())
        }
        ("GET", "/_dev/mail") | ("GET", "/_dev/mail.json") => {
            let mails = match mailbox::sent_mail(&state.moto_url).await {
                Ok(mails) => mails,
                Err(error) => {
                    return plain(
                        502,
                        "text/plain; charset=utf-8",
                        format!("cannot read moto's mail: {error:#}"),
                    );
                }
            };
            if path.ends_with(".json") {
                plain(
                    200,
                    "application/json",
                    serde_json::to_string(&mails).unwrap_or_default(),
                )
            } else {
                html(MailPage { mails: &mails }.render())
            }
        }
        ("POST", _) if path.starts_with("/_dev/schedules/") => {
            let function = path.trim_start_matches("/_dev/schedules/");
            let Some(schedule) = state.schedules.get(function) else {
                return plain(
                    404,
                    "application/json",
                    format!(r#"{{"message":"no schedule for {function}"}}"#),
                );
            };
            let input = if body.is_empty() {
                None
            } else {
                match serde_json::from_slice(body) {
                    Ok(input) => Some(input),
                    Err(error) => {
                        return plain(
                            400,
                            "application/json",
                            serde_json::json!({ "message": error.to_string() }).to_string(),
                        );
                    }
                }
            };
            match schedule.fire(input).await {
                Ok(result) => plain(200, "application/json", result.to_string()),
                Err(error) => plain(
                    500,
                    "application/json",
                    serde_json::json!({ "message": error.to_string() }).to_string(),
                ),
            }
        }
        ("POST", "/_dev/demo/final-report") => {
            #[derive(serde::Deserialize)]
            struct Input {
                reference: String,
            }
            let result = match serde_json::from_slice::<Input>(body) {
                Ok(input) => crate::demo::final_report(&state.table, &input.reference).await,
                Err(error) => Err(anyhow::anyhow!(error)),
            };
            answer(result)
        }
        ("POST", _) if path.starts_with("/_dev/requests/") && path.ends_with("/visit-date") => {
            #[derive(serde::Deserialize)]
            struct Input {
                date: String,
            }
            let reference = path
                .trim_start_matches("/_dev/requests/")
                .trim_end_matches("/visit-date");
            let result = match serde_json::from_slice::<Input>(body) {
                Ok(input) => {
                    crate::demo::set_visit_date(&state.table, reference, &input.date).await
                }
                Err(error) => Err(anyhow::anyhow!(error)),
            };
            answer(result)
        }
        _ => plain(404, "application/json", r#"{"message":"Not Found"}"#.into()),
    }
}

/// A demo data hook's answer: what it did, or why it did nothing (400).
fn answer(result: anyhow::Result<serde_json::Value>) -> hyper::Response<Full<Bytes>> {
    match result {
        Ok(done) => plain(200, "application/json", done.to_string()),
        Err(error) => plain(
            400,
            "application/json",
            serde_json::json!({ "message": format!("{error:#}") }).to_string(),
        ),
    }
}

fn html(rendered: Result<String, askama::Error>) -> hyper::Response<Full<Bytes>> {
    match rendered {
        Ok(page) => plain(200, "text/html; charset=utf-8", page),
        Err(error) => plain(500, "text/plain; charset=utf-8", error.to_string()),
    }
}
