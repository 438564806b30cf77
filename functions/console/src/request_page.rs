//! A request's page (`GET /console/requests/{reference}`) and its actions (`POST .../offer`,
//! `.../reassign`, `.../withdraw`, `.../erase`, `.../renew-link`), over the `coordination` crate. A viewer reads
//! the page without its contact details and actions; any action of theirs gets 403.

use coordination::{CaseFile, Refused, Role as PlaceRole};
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
    ActionError, ActionsShown, Chooser, RequestPage, ReviewerChoice, Row, RuleCell,
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
    (
        "released",
        "The request has been released: it is being matched.",
    ),
    ("withdrawn", "The request has been withdrawn."),
    (
        "renewed-link",
        "The school's old status link no longer works; a new one has been emailed to the request's contact.",
    ),
    (
        "replaced",
        "The second reviewer has been released and the reviewer you chose asked, for the same day.",
    ),
    (
        "replaced-lead",
        "The lead reviewer has been released and the reviewer you chose asked to lead, for the same day.",
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
                Some(
                    "offer"
                        | "release"
                        | "reassign"
                        | "withdraw"
                        | "erase"
                        | "replace-lead"
                        | "replace-second"
                        | "renew-link"
                )
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
        "offer" | "replace-lead" | "replace-second" if form.reviewer.trim().is_empty() => {
            Ok(Err(Refused::Field(
                chooser_field(action),
                "Choose the reviewer to offer the review to".into(),
            )))
        }
        "offer" => coordination
            .offer_to(&actor, &id, form.reviewer.trim(), &form.seen)
            .await
            .map(|r| r.map(|_| "offered")),
        "replace-lead" | "replace-second" => {
            let (role, done) = match action {
                "replace-lead" => (PlaceRole::Lead, "replaced-lead"),
                _ => (PlaceRole::Second, "replaced"),
            };
            let reviewer = form.reviewer.trim();
            coordination
                .replace(&actor, &id, role, reviewer, &form.seen)
                .await
                .map(|r| r.map(|()| done))
        }
        "release" => coordination
            .release(&actor, &id, &form.seen)
            .await
            .map(|r| r.map(|()| "released")),
        "reassign" => coordination
            .reassign(&actor, &id, &form.seen)
            .await
            .map(|r| r.map(|()| "reassigned")),
        "withdraw" => coordination
            .withdraw(&actor, &id, &form.reason, &form.seen)
            .await
            .map(|r| r.map(|()| "withdrawn")),
        "renew-link" => match console.links().await {
            Ok(links) => coordination
                .renew_status_link(links, &actor, (&id, &form.seen))
                .await
                .map(|r| r.map(|()| "renewed-link")),
            Err(e) => return unavailable(branding, &e),
        },
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
                    (StatusCode::UNPROCESSABLE_ENTITY, chooser_field(action))
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
            release: allowed.release,
            reassign: allowed.reassign,
            withdraw: allowed.withdraw,
            erase: allowed.erase,
            renew_link: true,
        }
    } else {
        ActionsShown::default()
    };
    let mut choosers = Vec::new();
    if coordinator {
        let fixed = (file.stored.fixed_visit_date.as_deref())
            .and_then(|d| records::domain::parse_date(d).ok().map(long_date));
        let forms = [
            (allowed.offer, "offer", None),
            (allowed.replace_lead, "replace-lead", Some(PlaceRole::Lead)),
            (
                allowed.replace_second,
                "replace-second",
                Some(PlaceRole::Second),
            ),
        ];
        for (_, action, place) in forms.into_iter().filter(|(shown, ..)| *shown) {
            let verdicts = match place {
                None => coordination.lead_verdicts(&file.stored, at).await,
                Some(role) => {
                    coordination
                        .replacement_verdicts(&file.stored, role, at)
                        .await
                }
            };
            let reviewers = match verdicts {
                Ok(verdicts) => verdicts.into_iter().map(choice).collect(),
                Err(e) => return unavailable(branding, &e),
            };
            choosers.push(chooser(
                action,
                fixed.as_deref(),
                file.open_offer.is_some(),
                reviewers,
            ));
        }
    }
    let shown = SignedInUser {
        email: user.claims.email.clone(),
        role_label: user.role.label(),
        may_export: coordinator,
    };
    let emails = match crate::request_emails::rows(console.table(), id, coordinator, when).await {
        Ok(emails) => emails,
        Err(e) => return unavailable(branding, &e),
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
            emails,
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
            choosers,
            seen: &seen,
            errors,
            notice,
            reason,
        }),
    )
}

/// The form field a reviewer chooser's errors belong to.
fn chooser_field(action: &str) -> &'static str {
    match action {
        "replace-lead" => "lead-reviewer",
        "replace-second" => "second-reviewer",
        _ => "reviewer",
    }
}

const RULES_INTRO: &str = "Each active reviewer against the matcher's hard rules; only a reviewer who passes every rule can be chosen. To change a rule, change the settings or the reviewer's record.";

/// The form of `action` that names a reviewer: the offer of the lead's place (for `fixed`
/// day only, after a booked lead dropped out; withdrawing the offer waiting, if `waiting`),
/// or a booked reviewer's replacement.
fn chooser(
    action: &'static str,
    fixed: Option<&str>,
    waiting: bool,
    reviewers: Vec<ReviewerChoice>,
) -> Chooser {
    let (heading, intro, button) = match action {
        "replace-lead" => (
            "Replace the lead reviewer",
            "If the booked lead can no longer come: they are released (their calendar entry is cancelled by email and their review link stops working) and the reviewer you choose is asked to lead on the same day; they may accept or decline, not choose another date. The second reviewer, if any, keeps their place.".to_owned(),
            "Replace the lead reviewer",
        ),
        "replace-second" => (
            "Replace the second reviewer",
            "If the booked second reviewer can no longer come: they are released (their calendar entry is cancelled by email) and the reviewer you choose is asked to join on the same day; they may accept or decline, not choose another date.".to_owned(),
            "Replace the second reviewer",
        ),
        _ => {
            let mut intro = String::new();
            if let Some(day) = fixed {
                intro.push_str(&format!("The visit is booked for {day}: the reviewer you choose is asked to lead it on that day. "));
            }
            if waiting {
                intro.push_str("The offer waiting for an answer is withdrawn. ");
            }
            ("Offer to a named reviewer", intro, "Offer the review")
        }
    };
    Chooser {
        action,
        reviewers,
        field: chooser_field(action),
        texts: (
            heading,
            format!("{} {RULES_INTRO}", intro.trim_end()),
            button,
        ),
    }
}

fn choice(verdict: coordination::Verdict) -> ReviewerChoice {
    ReviewerChoice {
        score: verdict.score.map(|s| s.to_string()).unwrap_or_default(),
        id: verdict.reviewer_id,
        name: verdict.name,
        rules: verdict
            .checks
            .into_iter()
            .map(|c| RuleCell {
                label: c.rule.label(),
                passed: c.failures.is_empty(),
                why: c.failures.join("; "),
            })
            .collect(),
    }
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
                .areas()
                .into_iter()
                .map(|a| a.title)
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
    if let Some(day) = stored.fixed_visit_date.as_deref() {
        let day = records::domain::parse_date(day).map_or_else(|_| day.to_owned(), long_date);
        fields.push((
            "Lead reviewer",
            format!("None: a new lead is sought for {day}"),
        ));
    }
    if let Some(second) = &stored.second {
        fields.push(("Second reviewer", member(second)));
    }
    fields
}
