//! `/console/reviewers...`: the pool with bookings and checks, one reviewer's form and log,
//! activation, and the CSV import (the admin tool's parser and upsert: one set of rules).

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use records::audit::{self, AuditSubject};
use records::branding::Branding;
use records::domain::request::long_date;
use records::reviewers::{
    self as pool, ActiveSet, CheckDate, DBS_VALID_FOR_YEARS, Expected, Reviewer, Saved,
    TRAINING_VALID_FOR_YEARS,
};
use records::store::{StoreError, Table};
use serde::Deserialize;
use time::Date;
use ulid::Ulid;
use web::pages::console::people::{CheckView, ReviewerPage, ReviewerRow, ReviewersPage};
use web::pages::console::{BothVersions, FormField};
use workflows::matching::Term;

use super::{Asker, audit_rows, form, query};
use crate::{message, unavailable};

/// The largest CSV the console imports in one go (a pool of a few hundred reviewers is well
/// under it); a bigger one is refused with this limit in its message.
pub(crate) const IMPORT_CSV_BYTES: usize = 256 * 1024;
/// The reviewer form's size limit: its fields are short.
const REVIEWER_FORM_BYTES: usize = 16 * 1024;
/// Bookings are shown for this many terms from today's.
const TERMS_SHOWN: usize = 3;

/// The reviewer form's fields: named like the CSV's columns, so one parser reads both.
const FIELDS: &[(&str, &str, &str, &str)] = &[
    ("name", "Full name", "", "text"),
    ("email", "Email address", "", "email"),
    (
        "home_school_urn",
        "Home school URN",
        "The 6-digit URN of their own school.",
        "text",
    ),
    (
        "trust",
        "Trust (optional)",
        "Their multi-academy trust's name, if any.",
        "text",
    ),
    (
        "local_authority",
        "Local authority code",
        "The 3-digit code of their school's LA, for example 202 for Camden.",
        "text",
    ),
    (
        "regions",
        "Regions they will travel to",
        "Separate with semicolons: north_east, north_west, yorkshire_humber, east_midlands, west_midlands, east_of_england, london, south_east, south_west.",
        "text",
    ),
    (
        "phases",
        "Phases they know",
        "Separate with semicolons: nursery, primary, middle, secondary, all_through, post_16.",
        "text",
    ),
    (
        "school_types",
        "School types they know",
        "Separate with semicolons: mainstream, special, alternative_provision, resourced_provision.",
        "text",
    ),
    (
        "specialisms",
        "Specialisms (optional)",
        "Separate with semicolons: autism, semh, speech_language_communication, specific_learning_difficulties, sensory, physical, preparing_for_adulthood, ta_deployment, alternative_provision, early_years.",
        "text",
    ),
    ("may_lead", "May lead a review", "yes or no.", "text"),
    (
        "trained_on",
        "Reviewer training date (optional)",
        "For example 2026-03-14.",
        "text",
    ),
    (
        "dbs_checked_on",
        "Enhanced DBS check date (optional)",
        "For example 2025-09-01.",
        "text",
    ),
    (
        "capacity_per_term",
        "Reviews per term",
        "A whole number from 0 to 10.",
        "text",
    ),
    (
        "unavailable",
        "Unavailable dates (optional)",
        "Separate with semicolons: days like 2027-02-14 or ranges like 2027-01-05..2027-01-09.",
        "text",
    ),
    (
        "conflicts",
        "Schools they must not review (optional)",
        "URNs, separated with semicolons.",
        "text",
    ),
];

fn empty_fields() -> Vec<FormField> {
    FIELDS
        .iter()
        .map(|(name, label, hint, input_type)| FormField {
            name,
            label,
            hint,
            input_type,
            autocomplete: "off",
            short: matches!(
                *name,
                "home_school_urn" | "local_authority" | "may_lead" | "capacity_per_term"
            ),
            numeric: matches!(
                *name,
                "home_school_urn" | "local_authority" | "capacity_per_term"
            ),
            ..FormField::default()
        })
        .collect()
}

/// The form showing `values` (column, cell), e.g. a stored reviewer's or what was sent.
fn fields_with(values: &[(impl AsRef<str>, impl AsRef<str>)]) -> Vec<FormField> {
    let mut fields = empty_fields();
    for field in &mut fields {
        if let Some((_, value)) = values.iter().find(|(n, _)| n.as_ref() == field.name) {
            field.value = value.as_ref().to_owned();
        }
    }
    fields
}

fn check_view(check: CheckDate) -> CheckView {
    match check {
        CheckDate::Missing => CheckView {
            text: "None on record".into(),
            warning: true,
        },
        CheckDate::Expired(on) => CheckView {
            text: format!("Expired on {}", long_date(on)),
            warning: true,
        },
        CheckDate::ExpiresSoon(on) => CheckView {
            text: format!("Expires soon, on {}", long_date(on)),
            warning: true,
        },
        CheckDate::Valid(until) => CheckView {
            text: format!("In date until {}", long_date(until)),
            warning: false,
        },
    }
}

/// Today's term and the ones after it.
fn terms_from(today: Date) -> Vec<Term> {
    let mut terms = vec![Term::of(today)];
    while terms.len() < TERMS_SHOWN {
        let next = match terms[terms.len() - 1] {
            Term::Autumn(year) => Term::Spring(year + 1),
            Term::Spring(year) => Term::Summer(year),
            Term::Summer(year) => Term::Autumn(year),
        };
        terms.push(next);
    }
    terms
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Notice {
    imported: Option<usize>,
    created: Option<usize>,
    updated: Option<usize>,
    saved: Option<String>,
}

impl Notice {
    fn text(&self) -> String {
        match (
            self.imported,
            self.created,
            self.updated,
            self.saved.as_deref(),
        ) {
            (Some(n), Some(c), Some(u), _) => format!(
                "Imported {n} reviewer{} ({c} new, {u} updated).",
                if n == 1 { "" } else { "s" }
            ),
            (_, _, _, Some("added")) => "The reviewer was added.".into(),
            (_, _, _, Some("edited")) => "Your changes were saved.".into(),
            (_, _, _, Some("unchanged")) => "Nothing was changed.".into(),
            (_, _, _, Some("activated")) => {
                "The reviewer is active: matching may offer them reviews.".into()
            }
            (_, _, _, Some("deactivated")) => {
                "The reviewer is inactive: matching will not offer them reviews.".into()
            }
            _ => String::new(),
        }
    }
}

/// The pool page, with what an import sent and its problems when it was refused.
async fn pool_page(
    table: &Table,
    branding: &Branding,
    asker: &Asker,
    status: StatusCode,
    import_text: &str,
    import_errors: &[String],
    notice: &str,
) -> Response<Body> {
    let reviewers = match pool::list(table).await {
        Ok(reviewers) => reviewers,
        Err(e) => return unavailable(branding, &e),
    };
    let today = asker.now.date();
    let terms: Vec<String> = terms_from(today).iter().map(ToString::to_string).collect();
    let ids: Vec<Ulid> = reviewers.iter().map(|r| r.id).collect();
    let booked = match pool::term_bookings(table, &ids, &terms).await {
        Ok(booked) => booked,
        Err(e) => return unavailable(branding, &e),
    };
    let rows: Vec<ReviewerRow> = reviewers
        .iter()
        .map(|r| ReviewerRow {
            id: r.id.to_string(),
            name: r.name.clone(),
            email: r.email.clone(),
            local_authority: r.local_authority.name.to_owned(),
            may_lead: r.may_lead,
            active: r.active,
            bookings: terms
                .iter()
                .map(|term| {
                    let count = booked.get(&(r.id, term.clone())).copied().unwrap_or(0);
                    format!("{count} of {}", r.capacity_per_term)
                })
                .collect(),
            dbs: check_view(pool::check_date(
                r.dbs_checked_on,
                DBS_VALID_FOR_YEARS,
                today,
            )),
            training: check_view(pool::check_date(
                r.trained_on,
                TRAINING_VALID_FOR_YEARS,
                today,
            )),
        })
        .collect();
    let running_out: Vec<String> = reviewers
        .iter()
        .filter(|r| r.active)
        .flat_map(|r| {
            coordination::running_out(r, today).into_iter().map(|due| {
                format!(
                    "{}: {} runs out on {}",
                    r.name,
                    due.check.label(),
                    long_date(due.runs_out)
                )
            })
        })
        .collect();
    web::http::page(
        status,
        askama::Template::render(&ReviewersPage {
            branding,
            user: &asker.shown,
            csrf: asker.csrf(),
            terms: &terms,
            rows: &rows,
            running_out: &running_out,
            import_text,
            import_errors,
            notice,
            import_limit_kb: IMPORT_CSV_BYTES / 1024,
        }),
    )
}

pub(super) async fn list(
    table: &Table,
    branding: &Branding,
    asker: &Asker,
    request: &Request,
) -> Response<Body> {
    let notice = query::<Notice>(request).text();
    pool_page(table, branding, asker, StatusCode::OK, "", &[], &notice).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ImportForm {
    csv: String,
}

/// Imports a CSV, uploaded as a file or pasted into the box: every row or, when any line is
/// wrong, nothing (each problem by its line).
pub(super) async fn import(
    table: &Table,
    branding: &Branding,
    asker: &Asker,
    request: &Request,
) -> Response<Body> {
    let sent =
        web::http::read_form_with_files::<ImportForm>(request, super::IMPORT_FORM_BYTES, true);
    let Ok((sent, files)) = sent else {
        let problem = "The upload could not be read: choose the file again.".to_owned();
        let status = StatusCode::BAD_REQUEST;
        return pool_page(table, branding, asker, status, "", &[problem], "").await;
    };
    let (csv, from_file) = match uploaded_csv(files) {
        Ok(Some(text)) => (text, true),
        Ok(None) => (sent.csv, false),
        Err(problem) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return pool_page(table, branding, asker, status, "", &[problem], "").await;
        }
    };
    if csv.len() > IMPORT_CSV_BYTES {
        let problem = format!(
            "The file is {} KB; the console imports at most {} KB at a time. Split it into smaller files (each with the header line) and import them one by one.",
            csv.len().div_ceil(1024),
            IMPORT_CSV_BYTES / 1024
        );
        // The text is not shown again: it is the problem.
        let status = StatusCode::PAYLOAD_TOO_LARGE;
        return pool_page(table, branding, asker, status, "", &[problem], "").await;
    }
    if csv.trim().is_empty() {
        let problem = "Choose a CSV file to import, or paste its lines into the box.".to_owned();
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return pool_page(table, branding, asker, status, "", &[problem], "").await;
    }
    // A file's text is not put back into the box: the file is what gets corrected.
    let shown = if from_file { "" } else { csv.as_str() };
    let rows = match pool::parse_csv(&csv) {
        Ok(rows) => rows,
        Err(problems) => {
            let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return pool_page(table, branding, asker, status, shown, &problems, "").await;
        }
    };
    let reviewers: Vec<Reviewer> = rows.into_iter().map(|row| row.reviewer).collect();
    match pool::upsert_all(table, &reviewers, &asker.actor()).await {
        Ok(report) => web::http::see_other(&format!(
            "/console/reviewers?imported={}&created={}&updated={}",
            reviewers.len(),
            report.created,
            report.updated
        )),
        Err(StoreError::Conflict(why)) => {
            let problems = [format!("The import was refused: {why}.")];
            let status = StatusCode::CONFLICT;
            pool_page(table, branding, asker, status, shown, &problems, "").await
        }
        Err(e) => unavailable(branding, &e),
    }
}

/// The text of the CSV file the import form uploaded, if one was chosen; what is wrong with
/// it otherwise.
fn uploaded_csv(files: Vec<web::http::Part>) -> Result<Option<String>, String> {
    let Some(file) = files
        .into_iter()
        .find(|f| f.name == "file" && f.filename.as_deref().is_some_and(|n| !n.is_empty()))
    else {
        return Ok(None);
    };
    let name = file.filename.unwrap_or_default();
    if file.body.is_empty() {
        return Err(format!(
            "The file {name} is empty: choose the CSV file with the reviewers in it."
        ));
    }
    String::from_utf8(file.body).map(Some).map_err(|_| {
        format!(
            "The file {name} is not a CSV file in UTF-8: in your spreadsheet, save it as \"CSV UTF-8\" and choose that file."
        )
    })
}

fn reviewer_href(id: Ulid) -> String {
    format!("/console/reviewers/{id}")
}

struct Shown<'a> {
    title: &'a str,
    action: &'a str,
    revision: &'a str,
    fields: &'a [FormField],
    stale: Option<&'a BothVersions>,
    notice: &'a str,
    active: Option<bool>,
    href: &'a str,
    audit: &'a [web::pages::console::people::AuditRow],
}

fn reviewer_page(
    branding: &Branding,
    asker: &Asker,
    status: StatusCode,
    shown: Shown,
) -> Response<Body> {
    web::http::page(
        status,
        askama::Template::render(&ReviewerPage {
            branding,
            user: &asker.shown,
            csrf: asker.csrf(),
            title: shown.title,
            action: shown.action,
            revision: shown.revision,
            errors: shown
                .fields
                .iter()
                .filter(|f| !f.error.is_empty())
                .collect(),
            fields: shown.fields,
            stale: shown.stale,
            notice: shown.notice,
            active: shown.active,
            href: shown.href,
            audit: shown.audit,
        }),
    )
}

pub(super) fn new_form(branding: &Branding, asker: &Asker) -> Response<Body> {
    let mut fields = empty_fields();
    if let Some(capacity) = fields.iter_mut().find(|f| f.name == "capacity_per_term") {
        capacity.value = "1".into();
    }
    new_page(branding, asker, StatusCode::OK, &fields)
}

fn new_page(
    branding: &Branding,
    asker: &Asker,
    status: StatusCode,
    fields: &[FormField],
) -> Response<Body> {
    reviewer_page(
        branding,
        asker,
        status,
        Shown {
            title: "Add a reviewer",
            action: "/console/reviewers/new",
            revision: "",
            fields,
            stale: None,
            notice: "",
            active: None,
            href: "",
            audit: &[],
        },
    )
}

/// What the reviewer form sent: its fields by name, the revision it was read at.
struct Sent {
    values: Vec<(String, String)>,
    revision: String,
}

fn read_sent(branding: &Branding, request: &Request) -> Result<Sent, Box<Response<Body>>> {
    let pairs: Vec<(String, String)> = form(branding, request, REVIEWER_FORM_BYTES)?;
    let revision = pairs
        .iter()
        .find(|(n, _)| n == "revision")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let values = pairs
        .into_iter()
        .filter(|(n, _)| FIELDS.iter().any(|(name, ..)| name == n))
        .collect();
    Ok(Sent { values, revision })
}

/// The sent form as a reviewer (`active` as it is stored), or the form with each field's error.
fn parse_sent(sent: &Sent, active: bool) -> Result<Reviewer, Vec<FormField>> {
    let mut pairs: Vec<(&'static str, &str)> = FIELDS
        .iter()
        .map(|(name, ..)| {
            let value = sent
                .values
                .iter()
                .find(|(n, _)| n == name)
                .map_or("", |(_, v)| v.as_str());
            (*name, value)
        })
        .collect();
    pairs.push(("active", if active { "yes" } else { "no" }));
    pool::parse_fields(&pairs).map_err(|problems| {
        let mut fields = fields_with(&sent.values);
        for problem in problems {
            let Some(column) = problem.column else {
                continue;
            };
            if let Some(field) = fields.iter_mut().find(|f| f.name == column) {
                let label = field.label.trim_end_matches(" (optional)");
                // The parser quotes the cell and says what is wrong with it.
                field.error = format!("{label}: {}", problem.problem);
            }
        }
        fields
    })
}

pub(super) async fn add(
    table: &Table,
    branding: &Branding,
    asker: &Asker,
    request: &Request,
) -> Response<Body> {
    let sent = match read_sent(branding, request) {
        Ok(sent) => sent,
        Err(refusal) => return *refusal,
    };
    let reviewer = match parse_sent(&sent, true) {
        Ok(reviewer) => reviewer,
        Err(fields) => return new_page(branding, asker, StatusCode::UNPROCESSABLE_ENTITY, &fields),
    };
    match pool::save(table, &reviewer, None, Expected::New, &asker.actor()).await {
        Ok(Saved::Saved | Saved::Unchanged) => {
            web::http::see_other(&format!("{}?saved=added", reviewer_href(reviewer.id)))
        }
        Ok(Saved::EmailTaken) => {
            let mut fields = fields_with(&sent.values);
            email_taken(&mut fields);
            new_page(branding, asker, StatusCode::CONFLICT, &fields)
        }
        Ok(Saved::Stale) => new_page(
            branding,
            asker,
            StatusCode::CONFLICT,
            &fields_with(&sent.values),
        ),
        Err(e) => unavailable(branding, &e),
    }
}

fn email_taken(fields: &mut [FormField]) {
    if let Some(field) = fields.iter_mut().find(|f| f.name == "email") {
        field.error = "Email address: another reviewer in the pool has this address".into();
    }
}

/// The stored reviewer of `id` in a path, or the page to answer instead.
async fn stored(
    table: &Table,
    branding: &Branding,
    id: &str,
) -> Result<pool::StoredReviewer, Response<Body>> {
    let not_found = || {
        message(
            branding,
            StatusCode::NOT_FOUND,
            "There is no such reviewer",
            &["Go back to the reviewers and choose one.".into()],
            "/console",
        )
    };
    let Ok(id) = Ulid::from_string(id) else {
        return Err(not_found());
    };
    match pool::get(table, id).await {
        Ok(Some(stored)) => Ok(stored),
        Ok(None) => Err(not_found()),
        Err(e) => Err(unavailable(branding, &e)),
    }
}

/// A stored reviewer's page: `fields` (theirs, or what was sent with its errors).
#[allow(clippy::too_many_arguments)]
async fn stored_page(
    table: &Table,
    branding: &Branding,
    asker: &Asker,
    status: StatusCode,
    stored: &pool::StoredReviewer,
    fields: &[FormField],
    stale: Option<&BothVersions>,
    notice: &str,
) -> Response<Body> {
    let reviewer = &stored.reviewer;
    let subject = AuditSubject::Reviewer {
        id: reviewer.id.to_string(),
        name: reviewer.name.clone(),
    };
    let mut entries = match audit::about(table, &subject).await {
        Ok(entries) => entries,
        Err(e) => return unavailable(branding, &e),
    };
    entries.reverse();
    let href = reviewer_href(reviewer.id);
    reviewer_page(
        branding,
        asker,
        status,
        Shown {
            title: &reviewer.name,
            action: &href,
            revision: stored.revision.as_deref().unwrap_or_default(),
            fields,
            stale,
            notice,
            active: Some(reviewer.active),
            href: &href,
            audit: &audit_rows(&entries),
        },
    )
}

pub(super) async fn show(
    table: &Table,
    branding: &Branding,
    asker: &Asker,
    request: &Request,
    id: &str,
) -> Response<Body> {
    let stored = match stored(table, branding, id).await {
        Ok(stored) => stored,
        Err(answer) => return answer,
    };
    let fields = fields_with(&pool::fields_of(&stored.reviewer));
    let notice = query::<Notice>(request).text();
    stored_page(
        table,
        branding,
        asker,
        StatusCode::OK,
        &stored,
        &fields,
        None,
        &notice,
    )
    .await
}

pub(super) async fn edit(
    table: &Table,
    branding: &Branding,
    asker: &Asker,
    request: &Request,
    id: &str,
) -> Response<Body> {
    let stored = match stored(table, branding, id).await {
        Ok(stored) => stored,
        Err(answer) => return answer,
    };
    let sent = match read_sent(branding, request) {
        Ok(sent) => sent,
        Err(refusal) => return *refusal,
    };
    let page = |status, fields: Vec<FormField>| {
        let stored = stored.clone();
        async move { stored_page(table, branding, asker, status, &stored, &fields, None, "").await }
    };
    let edited = match parse_sent(&sent, stored.reviewer.active) {
        Ok(reviewer) => Reviewer {
            id: stored.reviewer.id,
            ..reviewer
        },
        Err(fields) => return page(StatusCode::UNPROCESSABLE_ENTITY, fields).await,
    };
    let expected = Expected::Revision(Some(sent.revision.clone()).filter(|r| !r.is_empty()));
    let outcome = pool::save(
        table,
        &edited,
        Some(&stored.reviewer),
        expected,
        &asker.actor(),
    )
    .await;
    let href = reviewer_href(edited.id);
    match outcome {
        Ok(Saved::Saved) => web::http::see_other(&format!("{href}?saved=edited")),
        // What was sent is what is stored: nothing to save, whoever saved it.
        Ok(Saved::Unchanged) => web::http::see_other(&format!("{href}?saved=unchanged")),
        Ok(Saved::Stale) => {
            // The form keeps what was sent, now based on what is saved: a second save replaces it.
            let current = match self::stored(table, branding, id).await {
                Ok(current) => current,
                Err(answer) => return answer,
            };
            let stale = both_versions(&edited, &current.reviewer);
            let fields = fields_with(&sent.values);
            let status = StatusCode::CONFLICT;
            stored_page(
                table,
                branding,
                asker,
                status,
                &current,
                &fields,
                Some(&stale),
                "",
            )
            .await
        }
        Ok(Saved::EmailTaken) => {
            let mut fields = fields_with(&sent.values);
            email_taken(&mut fields);
            page(StatusCode::CONFLICT, fields).await
        }
        Err(e) => unavailable(branding, &e),
    }
}

/// Each field where the reviewer as sent and as saved now differ, both values as the form
/// shows them.
fn both_versions(yours: &Reviewer, stored: &Reviewer) -> BothVersions {
    let (yours, stored) = (pool::fields_of(yours), pool::fields_of(stored));
    let value = |values: &[(&'static str, String)], name: &str| {
        values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    BothVersions::of_fields(
        "Someone changed this reviewer after you opened this page: nothing was saved",
        FIELDS
            .iter()
            .map(|(name, label, _, _)| (*label, value(&yours, name), value(&stored, name))),
    )
}

pub(super) async fn set_active(
    table: &Table,
    branding: &Branding,
    asker: &Asker,
    id: &str,
    active: bool,
) -> Response<Body> {
    let stored = match stored(table, branding, id).await {
        Ok(stored) => stored,
        Err(answer) => return answer,
    };
    let href = reviewer_href(stored.reviewer.id);
    match pool::set_active(table, &stored.reviewer, active, &asker.actor()).await {
        Ok(ActiveSet::Changed | ActiveSet::AlreadySo) => web::http::see_other(&format!(
            "{href}?saved={}",
            if active { "activated" } else { "deactivated" }
        )),
        Ok(ActiveSet::NotFound) => message(
            branding,
            StatusCode::NOT_FOUND,
            "There is no such reviewer",
            &[],
            "/console",
        ),
        Err(e) => unavailable(branding, &e),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn bookings_are_shown_for_todays_term_and_the_two_after() {
        assert_eq!(
            terms_from(date!(2026 - 11 - 30)),
            [Term::Autumn(2026), Term::Spring(2027), Term::Summer(2027)]
        );
        assert_eq!(
            terms_from(date!(2027 - 05 - 01)),
            [Term::Summer(2027), Term::Autumn(2027), Term::Spring(2028)]
        );
    }

    #[test]
    fn every_field_of_the_form_is_a_column_of_the_csv() {
        let sent = Sent {
            values: vec![("home_school_urn".into(), "12".into())],
            revision: String::new(),
        };
        let fields = parse_sent(&sent, true).unwrap_err();
        let urn = fields.iter().find(|f| f.name == "home_school_urn").unwrap();
        assert_eq!(urn.value, "12");
        assert!(
            urn.error.starts_with("Home school URN: \"12\""),
            "{}",
            urn.error
        );
        let name = fields.iter().find(|f| f.name == "name").unwrap();
        assert_eq!(name.error, "Full name: must not be empty");
        assert!(
            fields
                .iter()
                .find(|f| f.name == "trust")
                .unwrap()
                .error
                .is_empty()
        );
    }
}
