//! A request's page (`GET /console/requests/{reference}`) and its actions (`POST .../offer`,
//! `.../reassign`, `.../withdraw`, `.../erase`), over the `coordination` crate. A viewer reads
//! the page without its contact details and actions; any action of theirs gets 403.

use coordination::{CaseFile, Refused};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use records::audit::Actor;
use records::branding::Branding;
use records::domain::request::Reference;
use records::domain::request::long_date;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use web::pages::console::SignedInUser;
use web::pages::console::request::{
    ActionError, ActionsShown, RequestPage, ReviewerChoice, Row, RuleCell,
};

use crate::{Console, MAX_FORM_BYTES, Role, SignedIn, message, unavailable};

const PREFIX: &str = "/console/requests/";

/// Whether `path` is a request page or one of its actions.
pub(crate) fn is_request_path(path: &str) -> bool {
    path.starts_with(PREFIX)
}

/// The outcome shown after an action, by the `done` query value it redirects with.
const NOTICES: &[(&str, &str)] = &[
    (
        "offered",
        "The review has been offered to the reviewer you chose.",
    ),
    ("reassigned", "The request is being matched again."),
    ("withdrawn", "The request has been withdrawn."),
    (
        "replaced",
        "The second reviewer has been released and the reviewer you chose asked, for the same day.",
    ),
];

#[derive(serde::Deserialize, Default)]
struct ActionForm {
    #[serde(default)]
    seen: String,
    #[serde(default)]
    reviewer: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    confirm: String,
}

pub(crate) async fn answer(
    console: &Console,
    branding: &Branding,
    request: &Request,
    method: &str,
    path: &str,
    now: i64,
) -> Response<Body> {
    let rest = &path[PREFIX.len()..];
    let (reference, action) = match rest.split_once('/') {
        Some((reference, action)) => (reference, Some(action)),
        None => (rest, None),
    };
    let not_found = || {
        message(
            branding,
            StatusCode::NOT_FOUND,
            "Page not found",
            &["There is no request with this reference.".into()],
            "/console",
        )
    };
    let valid_route = matches!(
        (method, action),
        ("GET", None)
            | (
                "POST",
                Some("offer" | "reassign" | "withdraw" | "erase" | "replace-second")
            )
    );
    if !valid_route {
        return not_found();
    }
    let user = match console.signed_in(branding, request, now).await {
        Ok(user) => user,
        Err(answer) => return answer,
    };
    let Ok(reference) = reference.parse::<Reference>() else {
        return not_found();
    };
    let coordination = console.coordination();
    let id = match coordination.request_id(reference.as_str()).await {
        Ok(Some(id)) => id,
        Ok(None) => return not_found(),
        Err(e) => return unavailable(branding, &e),
    };
    let Some(action) = action else {
        let done = request
            .uri()
            .query()
            .and_then(|q| q.strip_prefix("done="))
            .unwrap_or_default();
        let notice = NOTICES
            .iter()
            .find(|(key, _)| *key == done)
            .map(|(_, text)| *text)
            .unwrap_or_default();
        return show(
            console,
            branding,
            &user,
            &id,
            now,
            StatusCode::OK,
            Vec::new(),
            notice,
            "",
        )
        .await;
    };
    if user.role != Role::Coordinator {
        return crate::forbidden(branding);
    }
    let form: ActionForm = web::http::read_form(request, MAX_FORM_BYTES).unwrap_or_default();
    let Ok(at) = OffsetDateTime::from_unix_timestamp(now) else {
        return unavailable(branding, &"the clock is out of range");
    };
    let actor = Actor::new(user.claims.email.clone(), at);
    let page = format!("{PREFIX}{reference}");
    let result = match action {
        "offer" | "replace-second" if form.reviewer.trim().is_empty() => Ok(Err(Refused::Field(
            "reviewer",
            "Choose the reviewer to offer the review to".into(),
        ))),
        "offer" => coordination
            .offer_to(&actor, &id, form.reviewer.trim(), &form.seen)
            .await
            .map(|r| r.map(|_| "offered")),
        "replace-second" => coordination
            .replace_second(&actor, &id, form.reviewer.trim(), &form.seen)
            .await
            .map(|r| r.map(|()| "replaced")),
        "reassign" => coordination
            .reassign(&actor, &id, &form.seen)
            .await
            .map(|r| r.map(|()| "reassigned")),
        "withdraw" => coordination
            .withdraw(&actor, &id, &form.reason, &form.seen)
            .await
            .map(|r| r.map(|()| "withdrawn")),
        _ => match coordination.erase(&actor, &id, &form.confirm).await {
            Ok(Ok(erased)) => {
                return message(
                    branding,
                    StatusCode::OK,
                    "The request has been erased",
                    &[format!(
                        "{} and everything about it are erased: {} records and {} file versions.",
                        erased.reference, erased.items, erased.files
                    )],
                    "/console",
                );
            }
            other => other.map(|r| r.map(|_| "erased")),
        },
    };
    match result {
        Ok(Ok(done)) => web::http::see_other(&format!("{page}?done={done}")),
        Ok(Err(refused)) => {
            let (status, field) = match &refused {
                Refused::Field(field, _) => (StatusCode::UNPROCESSABLE_ENTITY, *field),
                Refused::RulesFailed(_) | Refused::NoSuchReviewer | Refused::AlreadyOffered => {
                    (StatusCode::UNPROCESSABLE_ENTITY, "reviewer")
                }
                Refused::NoSuchRequest => return not_found(),
                Refused::Stale
                | Refused::WrongStage(_)
                | Refused::Lifecycle(_)
                | Refused::Workflow(_) => (StatusCode::CONFLICT, ""),
            };
            let errors = vec![ActionError {
                field,
                message: refused.to_string(),
            }];
            show(
                console,
                branding,
                &user,
                &id,
                now,
                status,
                errors,
                "",
                &form.reason,
            )
            .await
        }
        Err(e) => unavailable(branding, &e),
    }
}

#[allow(clippy::too_many_arguments)]
async fn show(
    console: &Console,
    branding: &Branding,
    user: &SignedIn,
    id: &str,
    now: i64,
    status: StatusCode,
    errors: Vec<ActionError>,
    notice: &str,
    reason: &str,
) -> Response<Body> {
    let coordination = console.coordination();
    let file = match coordination.case_file(id).await {
        Ok(Some(file)) => file,
        Ok(None) => {
            return message(
                branding,
                StatusCode::NOT_FOUND,
                "Page not found",
                &["There is no request with this reference.".into()],
                "/console",
            );
        }
        Err(e) => return unavailable(branding, &e),
    };
    let at = OffsetDateTime::from_unix_timestamp(now).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let coordinator = user.role == Role::Coordinator;
    let allowed = coordination::allowed(&file.stored, at.date());
    let actions = if coordinator {
        ActionsShown {
            offer: allowed.offer,
            reassign: allowed.reassign,
            withdraw: allowed.withdraw,
            erase: allowed.erase,
            replace_second: allowed.replace_second,
        }
    } else {
        ActionsShown::default()
    };
    let verdicts = if actions.offer {
        Some(coordination.lead_verdicts(&file.stored, at).await)
    } else if actions.replace_second {
        Some(coordination.second_verdicts(&file.stored, at).await)
    } else {
        None
    };
    let reviewers = if let Some(verdicts) = verdicts {
        match verdicts {
            Ok(verdicts) => verdicts
                .into_iter()
                .map(|v| ReviewerChoice {
                    score: v.score.map(|s| s.to_string()).unwrap_or_default(),
                    id: v.reviewer_id,
                    name: v.name,
                    rules: v
                        .checks
                        .into_iter()
                        .map(|c| RuleCell {
                            label: c.rule.label(),
                            passed: c.failures.is_empty(),
                            why: c.failures.join("; "),
                        })
                        .collect(),
                })
                .collect(),
            Err(e) => return unavailable(branding, &e),
        }
    } else {
        Vec::new()
    };
    let shown = SignedInUser {
        email: user.claims.email.clone(),
        role_label: user.role.label(),
        may_export: coordinator,
    };
    let seen = coordination::seen(&file.stored);
    let reference = file.stored.reference.to_string();
    let school = file.stored.request.school.name.to_string();
    // The pipeline's own label; a booked review's finer stage is on the pipeline page.
    let stage = records::progress::Progress::from_key(file.stored.state.as_str())
        .map_or("Visit booked", |progress| progress.label());
    web::http::page(
        status,
        askama::Template::render(&RequestPage {
            branding,
            user: &shown,
            csrf: &user.session.csrf,
            reference: &reference,
            school: &school,
            stage,
            fields: fields(&file, coordinator),
            events: file
                .events
                .iter()
                .map(|e| Row {
                    when: when(&e.at),
                    what: e.kind.replace('_', " "),
                    detail: e.detail.clone().unwrap_or_default(),
                    who: String::new(),
                })
                .collect(),
            evidence: file
                .evidence
                .iter()
                .map(|e| Row {
                    when: when(&e.created_at),
                    what: e.name.clone(),
                    who: e.category.label().to_owned(),
                    detail: e.state.clone(),
                })
                .collect(),
            audit: file
                .audit
                .iter()
                .map(|e| Row {
                    when: e.at.format(&Rfc3339).map(|t| when(&t)).unwrap_or_default(),
                    what: e.action.clone(),
                    detail: e.detail.clone(),
                    who: e.actor.clone(),
                })
                .collect(),
            actions,
            reviewers,
            seen: &seen,
            errors,
            notice,
            reason,
        }),
    )
}

/// An RFC 3339 time as people read it: `4 March 2027, 09:30 UTC`.
fn when(at: &str) -> String {
    OffsetDateTime::parse(at, &Rfc3339)
        .map(|t| {
            format!(
                "{}, {:02}:{:02} UTC",
                long_date(t.date()),
                t.hour(),
                t.minute()
            )
        })
        .unwrap_or_else(|_| at.to_owned())
}

/// Every field of the request; the school's contact only for a coordinator (personal data).
fn fields(file: &CaseFile, coordinator: bool) -> Vec<(&'static str, String)> {
    let stored = &file.stored;
    let request = &stored.request;
    let school = &request.school;
    let mut fields = vec![
        ("Reference", stored.reference.to_string()),
        ("Received", when(&stored.created_at)),
        ("School", school.name.to_string()),
        ("URN", school.urn.to_string()),
        ("Phase", school.phase.label().to_owned()),
        ("Type", school.school_type.label().to_owned()),
        (
            "Local authority",
            records::domain::LocalAuthority::by_code(school.local_authority_code)
                .map(|la| la.name.to_owned())
                .unwrap_or_default(),
        ),
        (
            "Trust",
            school
                .trust
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_else(|| "None".into()),
        ),
        ("Postcode", school.postcode.as_str().to_owned()),
        ("Number on roll", school.number_on_roll.to_string()),
        ("SEN support", format!("{}%", school.sen_support_percent)),
        ("EHC plans", format!("{}%", school.ehc_plan_percent)),
        (
            "Main areas of need",
            school
                .areas_of_need
                .iter()
                .map(|a| a.label())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("Review", request.review_type.label().to_owned()),
        (
            "Focus areas",
            request
                .focus_areas
                .areas()
                .iter()
                .map(|a| a.label())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        (
            "Visit windows",
            request
                .visit_windows
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        (
            "What the school wants to learn",
            request.learning_goal.to_string(),
        ),
    ];
    if coordinator {
        let contact = &request.contact;
        fields.push((
            "Contact",
            format!(
                "{} ({})\n{}",
                contact.name,
                contact.role,
                contact.email.as_str(),
            ),
        ));
    }
    let member = |m: &records::request::TeamMember| {
        format!(
            "{}, visiting on {}",
            m.reviewer_name,
            long_date(m.visit_date)
        )
    };
    if let Some(offer) = &file.open_offer {
        fields.push((
            "Offer waiting for an answer",
            format!(
                "{}, until {}",
                offer.reviewer_name,
                OffsetDateTime::from_unix_timestamp(offer.expires_at)
                    .map(|t| long_date(t.date()))
                    .unwrap_or_default()
            ),
        ));
    }
    if let Some(lead) = &stored.lead {
        fields.push(("Lead reviewer", member(lead)));
    }
    if let Some(second) = &stored.second {
        fields.push(("Second reviewer", member(second)));
    }
    fields
}
