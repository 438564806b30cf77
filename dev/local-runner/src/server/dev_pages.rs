//! Pages of the local runner itself, never deployed: an index, the mail that was sent (`?to=`
//! one address's only), firing a scheduled function on demand, the demo pool as seeded
//! (`GET /_dev/demo/reviewers.json`), and demo data on demand (`POST /_dev/demo/final-report`,
//! `POST /_dev/demo/feedback-invitations` with `{"reference": ...}`: the feedback emails
//! finalising in the editor would queue, `POST /_dev/requests/<reference>/visit-date` with
//! `{"date": "YYYY-MM-DD"}`, and `POST /_dev/requests/<reference>/confirm`: the contact
//! confirms it). Tests post JSON; `POST /_dev/staff` with
//! `{"email": ..., "group": "coordinator"|"viewer"}` adds a staff member to the staff pool with
//! a temporary password it answers (so each browser test signs in as its own user). The index
//! page has a form for each demo hook, for people trying the site out (a form's answer is a
//! page).

use askama::Template;
use bytes::Bytes;
use http_body_util::Full;

use super::{State, plain};
use crate::mailbox::{self, SentMail};

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage<'a> {
    /// Today, `YYYY-MM-DD`: the visit form's default.
    today: String,
    routes: Vec<(String, &'a str)>,
    schedules: Vec<&'a str>,
}

/// What a demo hook did, for a person who used its form.
#[derive(Template)]
#[template(path = "done.html")]
struct DonePage {
    ok: bool,
    detail: String,
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
    query: &str,
    body: &[u8],
) -> hyper::Response<Full<Bytes>> {
    match (method, path) {
        ("GET", "/_dev") | ("GET", "/_dev/") => {
            let page = IndexPage {
                today: time::OffsetDateTime::now_utc().date().to_string(),
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
            // `?to=ADDRESS`: only the mail to that address (what a test polling for its own
            // mail needs, without the whole run's mail serialised ten times a second).
            let to = form_urlencoded::parse(query.as_bytes())
                .find(|(name, _)| name == "to")
                .map(|(_, value)| value.into_owned());
            let keep = |m: &SentMail| to.as_deref().is_none_or(|to| m.is_to(to));
            let mails = match mailbox::sent_mail_where(&state.moto_url, keep).await {
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
            let from_form = is_form(body);
            let input = if body.is_empty() || from_form {
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
                Ok(result) if from_form => done(Ok(result)),
                Ok(result) => plain(200, "application/json", result.to_string()),
                Err(error) => plain(
                    500,
                    "application/json",
                    serde_json::json!({ "message": error.to_string() }).to_string(),
                ),
            }
        }
        ("GET", "/_dev/demo/reviewers.json") => {
            match crate::demo::stored_pool(&state.table).await {
                Ok(pool) => plain(200, "application/json", pool.to_string()),
                Err(error) => plain(
                    500,
                    "application/json",
                    serde_json::json!({ "message": format!("{error:#}") }).to_string(),
                ),
            }
        }
        ("POST", "/_dev/demo/final-report") => {
            #[derive(serde::Deserialize)]
            struct Input {
                reference: String,
            }
            let result = match hook_input::<Input>(body) {
                Ok(input) => crate::demo::final_report(&state.table, input.reference.trim()).await,
                Err(error) => Err(error),
            };
            answer(result, is_form(body))
        }
        ("POST", "/_dev/demo/feedback-invitations") => {
            #[derive(serde::Deserialize)]
            struct Input {
                reference: String,
            }
            let result = match hook_input::<Input>(body) {
                Ok(input) => {
                    crate::demo::feedback_invitations(&state.table, input.reference.trim()).await
                }
                Err(error) => Err(error),
            };
            answer(result, is_form(body))
        }
        // The index page's form: the reference is a field, not part of the path.
        ("POST", "/_dev/demo/visit-date") => {
            #[derive(serde::Deserialize)]
            struct Input {
                reference: String,
                date: String,
            }
            let result = match hook_input::<Input>(body) {
                Ok(input) => {
                    crate::demo::set_visit_date(&state.table, input.reference.trim(), &input.date)
                        .await
                }
                Err(error) => Err(error),
            };
            answer(result, is_form(body))
        }
        ("POST", _) if path.starts_with("/_dev/requests/") && path.ends_with("/confirm") => {
            let reference = path
                .trim_start_matches("/_dev/requests/")
                .trim_end_matches("/confirm");
            answer(confirm(state, reference).await, is_form(body))
        }
        ("POST", _) if path.starts_with("/_dev/requests/") && path.ends_with("/visit-date") => {
            #[derive(serde::Deserialize)]
            struct Input {
                date: String,
            }
            let reference = path
                .trim_start_matches("/_dev/requests/")
                .trim_end_matches("/visit-date");
            let result = match hook_input::<Input>(body) {
                Ok(input) => {
                    crate::demo::set_visit_date(&state.table, reference, &input.date).await
                }
                Err(error) => Err(error),
            };
            answer(result, is_form(body))
        }
        ("POST", "/_dev/staff") => {
            #[derive(serde::Deserialize)]
            struct Input {
                email: String,
                group: String,
            }
            let result = match hook_input::<Input>(body) {
                Ok(input) => add_staff(state, input.email.trim(), input.group.trim()).await,
                Err(error) => Err(error),
            };
            answer(result, is_form(body))
        }
        _ => plain(404, "application/json", r#"{"message":"Not Found"}"#.into()),
    }
}

/// The school's contact confirms request `reference` as they would: the status page's button
/// (a POST to `/status/<token>/confirm`, answered by the school pages function), with the link
/// the first email carries.
async fn confirm(state: &State, reference: &str) -> anyhow::Result<serde_json::Value> {
    let Some(links) = &state.links else {
        anyhow::bail!("the template has no SchoolPagesFunction");
    };
    let request_id = crate::demo::request_id_of(&state.table, reference).await?;
    let version = records::request::status_link_version(&state.table, &request_id).await?;
    let token = links.get().await?.status_token(&request_id, version);
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?
        .post(format!("{}/status/{token}/confirm", state.site_url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await?;
    anyhow::ensure!(
        response.status() == reqwest::StatusCode::SEE_OTHER,
        "confirming {reference} answered {}",
        response.status()
    );
    Ok(serde_json::json!({ "confirmed": reference }))
}

/// Adds `email` to the staff pool in `group` with a fresh temporary password, and answers it.
async fn add_staff(state: &State, email: &str, group: &str) -> anyhow::Result<serde_json::Value> {
    let Some(pool_id) = &state.staff_pool_id else {
        anyhow::bail!("the template has no StaffUserPool");
    };
    if !matches!(group, "coordinator" | "viewer") {
        anyhow::bail!("group must be coordinator or viewer, not {group:?}");
    }
    // Meets the pool's policy: upper and lower case, a digit, a symbol, 14+ characters.
    let temporary_password = format!("Temp-{}-a1", ulid::Ulid::new());
    crate::staff_pool::add_staff(
        &state.sdk_config,
        pool_id,
        email,
        &temporary_password,
        group,
    )
    .await?;
    Ok(
        serde_json::json!({ "email": email, "group": group, "temporary_password": temporary_password }),
    )
}

/// A demo data hook's answer: what it did, or why it did nothing (400); a page when it was
/// asked from a form.
fn answer(
    result: anyhow::Result<serde_json::Value>,
    from_form: bool,
) -> hyper::Response<Full<Bytes>> {
    match result {
        _ if from_form => done(result),
        Ok(done) => plain(200, "application/json", done.to_string()),
        Err(error) => plain(
            400,
            "application/json",
            serde_json::json!({ "message": format!("{error:#}") }).to_string(),
        ),
    }
}

fn done(result: anyhow::Result<serde_json::Value>) -> hyper::Response<Full<Bytes>> {
    let (status, page) = match result {
        Ok(done) => (
            200,
            DonePage {
                ok: true,
                detail: serde_json::to_string_pretty(&done).unwrap_or_default(),
            },
        ),
        Err(error) => (
            400,
            DonePage {
                ok: false,
                detail: format!("{error:#}"),
            },
        ),
    };
    match page.render() {
        Ok(page) => plain(status, "text/html; charset=utf-8", page),
        Err(error) => plain(500, "text/plain; charset=utf-8", error.to_string()),
    }
}

/// Whether a body is a form the index page posted, not a test's JSON.
fn is_form(body: &[u8]) -> bool {
    !body.is_empty() && !body.starts_with(b"{")
}

/// A hook's input, from JSON or from a form.
fn hook_input<T: serde::de::DeserializeOwned>(body: &[u8]) -> anyhow::Result<T> {
    if !is_form(body) {
        return Ok(serde_json::from_slice(body)?);
    }
    let fields: serde_json::Map<String, serde_json::Value> = form_urlencoded::parse(body)
        .map(|(name, value)| (name.into_owned(), value.into_owned().into()))
        .collect();
    Ok(serde_json::from_value(fields.into())?)
}

fn html(rendered: Result<String, askama::Error>) -> hyper::Response<Full<Bytes>> {
    match rendered {
        Ok(page) => plain(200, "text/html; charset=utf-8", page),
        Err(error) => plain(500, "text/plain; charset=utf-8", error.to_string()),
    }
}
