//! `/console/frameworks` (issue 18): each review type's framework now, and its editor. A
//! coordinator opens the current version, changes it (areas renamed, rewritten, added or
//! removed, at least one kept), previews the school's self-evaluation and the report's headings,
//! and publishes the next version: a conditional write on the version the page was opened on,
//! with its audit entry. A preview, bad input or a publish from an old page stores nothing.

use std::collections::HashMap;

use frameworks::form::{self, FieldProblem};
use frameworks::{Framework, Published, Setting, Versioned};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use records::audit::{Actor, AuditSubject};
use records::branding::Branding;
use records::domain::request::ReviewType;
use web::pages::console::BothVersions;
use web::pages::console::frameworks::{
    AreaFields, FrameworkEditPage, FrameworkRow, FrameworksPage, PreviewArea,
};

use crate::settings_page::shown;
use crate::{Console, MAX_FORM_BYTES, Role, SignedIn, forbidden, unavailable};

const LIST: &str = "/console/frameworks";

/// Whether `path` is one of these pages.
pub(crate) fn handles(path: &str) -> bool {
    path == LIST || path.starts_with("/console/frameworks/")
}

pub(crate) async fn answer(
    console: &Console,
    branding: &Branding,
    request: &Request,
    path: &str,
    now: i64,
) -> Response<Body> {
    let user = match console.signed_in(branding, request, now).await {
        Ok(user) => user,
        Err(answer) => return answer,
    };
    if path == LIST {
        return match request.method().as_str() {
            "GET" => list(console, branding, &user).await,
            _ => not_found(branding),
        };
    }
    let Some(review_type) = path
        .strip_prefix("/console/frameworks/")
        .and_then(|t| t.parse::<ReviewType>().ok())
    else {
        return not_found(branding);
    };
    let current = match frameworks::current(console.table(), review_type).await {
        Ok(current) => current,
        Err(e) => return unavailable(branding, &e),
    };
    match request.method().as_str() {
        "GET" => {
            let published = request
                .uri()
                .query()
                .and_then(|q| q.strip_prefix("published="))
                .and_then(|v| v.parse().ok());
            let page = Editor {
                user: &user,
                version: current.version,
                framework: &current.framework,
                groups: stored_groups(&current.framework),
                errors: Vec::new(),
                published,
                preview: false,
                stale: None,
            };
            page.render(branding, StatusCode::OK)
        }
        "POST" if user.role == Role::Coordinator => {
            post(console, branding, request, &user, current, now).await
        }
        "POST" => forbidden(branding),
        _ => not_found(branding),
    }
}

async fn list(console: &Console, branding: &Branding, user: &SignedIn) -> Response<Body> {
    let mut rows = Vec::new();
    for &review_type in ReviewType::ALL {
        match frameworks::current(console.table(), review_type).await {
            Ok(Versioned { framework, version }) => rows.push(FrameworkRow {
                review_type: review_type.as_str(),
                review_type_label: review_type.label(),
                name: framework.name,
                version,
                areas: framework.areas.len(),
            }),
            Err(e) => return unavailable(branding, &e),
        }
    }
    let user = shown(user);
    web::http::page(
        StatusCode::OK,
        askama::Template::render(&FrameworksPage {
            branding,
            user: &user,
            rows,
        }),
    )
}

/// `POST /console/frameworks/{type}`: `decision=preview` shows the edit as schools and reports
/// will; `publish` stores it as the next version. Either way, bad input stores nothing.
async fn post(
    console: &Console,
    branding: &Branding,
    request: &Request,
    user: &SignedIn,
    current: Versioned,
    now: i64,
) -> Response<Body> {
    let Ok(posted) = web::http::read_form::<HashMap<String, String>>(request, MAX_FORM_BYTES)
    else {
        return bad_form(branding);
    };
    let Some(based_on) = posted
        .get("version")
        .and_then(|v| v.trim().parse::<u64>().ok())
    else {
        return bad_form(branding);
    };
    // The edit is read over the version the page showed (its areas' keys), not today's.
    let base = if based_on == current.version {
        current.framework.clone()
    } else {
        match frameworks::version(console.table(), current.framework.review_type, based_on).await {
            Ok(Some(base)) => base,
            Ok(None) => return bad_form(branding),
            Err(e) => return unavailable(branding, &e),
        }
    };
    let (edited, problems) = form::read(&base, &posted);
    let respond = |errors: Vec<FieldProblem>,
                   preview: bool,
                   stale: Option<&BothVersions>,
                   status: StatusCode| {
        Editor {
            user,
            version: based_on,
            framework: &edited,
            groups: posted_groups(&base, &posted),
            errors,
            published: None,
            preview,
            stale,
        }
        .render(branding, status)
    };
    if !problems.is_empty() {
        return respond(problems, false, None, StatusCode::UNPROCESSABLE_ENTITY);
    }
    if posted.get("decision").map(String::as_str) != Some("publish") {
        return respond(Vec::new(), true, None, StatusCode::OK);
    }
    let audit = Actor::new(user.claims.email.clone(), crate::clock(now)).entry(
        "framework published",
        AuditSubject::Programme,
        format!(
            "{} version {}: {} ({} areas)",
            edited.review_type.as_str(),
            based_on + 1,
            edited.name,
            edited.areas.len()
        ),
    );
    match frameworks::publish(console.table(), &edited, based_on, &audit).await {
        Ok(Published::Published { version }) => web::http::see_other(&format!(
            "/console/frameworks/{}?published={version}",
            edited.review_type.as_str()
        )),
        // The form's own check ran first; this is only a limit it does not know of.
        Ok(Published::Refused(problems)) => respond(
            problems
                .into_iter()
                .map(|p| FieldProblem {
                    field: "name".into(),
                    message: p.message,
                })
                .collect(),
            false,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Ok(Published::Stale { current }) => {
            let stale = BothVersions {
                title: "Someone published this framework after you opened this page: nothing was published".into(),
                explanation: format!(
                    "Your page was based on version {based_on}; version {} is published now ({}). Open the framework again to start from it.",
                    current.version, current.framework.name
                ),
                caption: format!("Your edit and version {}", current.version),
                row_heading: "Field",
                stored_heading: format!("Version {}", current.version),
                differences: vec![web::pages::console::Difference {
                    label: "Focus areas",
                    yours: titles(&edited),
                    stored: titles(&current.framework),
                }],
            };
            respond(Vec::new(), false, Some(&stale), StatusCode::CONFLICT)
        }
        Err(e) => unavailable(branding, &e),
    }
}

fn titles(framework: &Framework) -> String {
    framework
        .areas
        .iter()
        .map(|area| area.title.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The editor's groups as a framework opens: each area, then a blank one for a new area.
fn stored_groups(framework: &Framework) -> Vec<AreaFields> {
    let mut groups: Vec<AreaFields> = framework
        .areas
        .iter()
        .enumerate()
        .map(|(index, area)| AreaFields {
            index,
            key: area.key.to_string(),
            new_key: String::new(),
            title: area.title.clone(),
            description: area.description.clone(),
            heading: area.report_heading.clone(),
            mainstream: area.prompts.mainstream.join("\n"),
            specialist: area.prompts.specialist.join("\n"),
            evidence: area.evidence.join("\n"),
            removed: false,
        })
        .collect();
    groups.push(AreaFields {
        index: framework.areas.len(),
        ..AreaFields::default()
    });
    groups
}

/// The editor's groups as posted over `base` (so each problem stays beside its field).
fn posted_groups(base: &Framework, posted: &HashMap<String, String>) -> Vec<AreaFields> {
    (0..=base.areas.len())
        .map(|index| {
            let typed = |part: &str| {
                posted
                    .get(&form::field(index, part))
                    .cloned()
                    .unwrap_or_default()
            };
            AreaFields {
                index,
                key: base
                    .areas
                    .get(index)
                    .map(|area| area.key.to_string())
                    .unwrap_or_default(),
                new_key: typed("key"),
                title: typed("title"),
                description: typed("description"),
                heading: typed("heading"),
                mainstream: typed("mainstream"),
                specialist: typed("specialist"),
                evidence: typed("evidence"),
                removed: posted.contains_key(&form::field(index, "remove")),
            }
        })
        .collect()
}

/// The editor: `groups` are its fields (as stored, or as typed); `framework` is what a
/// preview shows and what names the page.
struct Editor<'a> {
    user: &'a SignedIn,
    version: u64,
    framework: &'a Framework,
    groups: Vec<AreaFields>,
    errors: Vec<FieldProblem>,
    published: Option<u64>,
    preview: bool,
    stale: Option<&'a BothVersions>,
}

impl Editor<'_> {
    fn render(self, branding: &Branding, status: StatusCode) -> Response<Body> {
        let preview = self.preview.then(|| {
            self.framework
                .areas
                .iter()
                .map(|area| PreviewArea {
                    title: area.title.clone(),
                    description: area.description.clone(),
                    mainstream: area.prompts(Setting::Mainstream).to_vec(),
                    specialist: area.prompts(Setting::Specialist).to_vec(),
                    heading: area.report_heading.clone(),
                })
                .collect()
        });
        let user = shown(self.user);
        let review_type = self.framework.review_type;
        web::http::page(
            status,
            askama::Template::render(&FrameworkEditPage {
                branding,
                user: &user,
                csrf: &self.user.session.csrf,
                review_type: review_type.as_str(),
                review_type_label: review_type.label(),
                version: self.version,
                name: self.framework.name.clone(),
                areas: self.groups,
                errors: self
                    .errors
                    .into_iter()
                    .map(|p| (p.field, p.message))
                    .collect(),
                may_edit: self.user.role == Role::Coordinator,
                published: self.published,
                preview,
                stale: self.stale,
            }),
        )
    }
}

fn not_found(branding: &Branding) -> Response<Body> {
    crate::message(branding, StatusCode::NOT_FOUND, "Page not found", &[], LIST)
}

fn bad_form(branding: &Branding) -> Response<Body> {
    crate::message(
        branding,
        StatusCode::BAD_REQUEST,
        "This form could not be read",
        &["Go back to the framework, reload it and try again.".into()],
        LIST,
    )
}
