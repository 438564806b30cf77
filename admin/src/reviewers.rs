//! The reviewer pool: import a spreadsheet, list, show, deactivate and activate.

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use records::audit::Actor;
use records::domain::format_date;
use records::reviewers as pool;
use records::reviewers::{ActiveSet, Reviewer};
use records::store::{StoreError, Table, get_s};
use serde_json::{Value, json};
use ulid::Ulid;

use crate::{AdminError, get_item, printable, write_columns};

/// How a reviewer is named on the command line: their id, or their email (case ignored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewerKey {
    Id(Ulid),
    Email(String),
}

impl FromStr for ReviewerKey {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.contains('@') {
            return Ok(Self::Email(text.to_owned()));
        }
        Ulid::from_string(text).map(Self::Id).map_err(|_| {
            format!("{text:?} is neither a reviewer id (26 characters, from `reviewers list --json`) nor an email address")
        })
    }
}

impl fmt::Display for ReviewerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReviewerKey::Id(id) => write!(f, "id {id}"),
            ReviewerKey::Email(email) => write!(f, "email {email}"),
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Imported {
    pub reviewers: usize,
    pub created: usize,
    pub updated: usize,
}

impl fmt::Display for Imported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "imported {} reviewer{} ({} created, {} updated)",
            self.reviewers,
            if self.reviewers == 1 { "" } else { "s" },
            self.created,
            self.updated
        )
    }
}

/// Imports a reviewer file (format: `records::reviewers`): every row, or nothing at all when any
/// row is bad ([`AdminError::InvalidCsv`] lists every problem).
pub async fn import(table: &Table, csv_text: &str, actor: &Actor) -> Result<Imported, AdminError> {
    let rows = pool::parse_csv(csv_text).map_err(AdminError::InvalidCsv)?;
    let reviewers: Vec<Reviewer> = rows.into_iter().map(|row| row.reviewer).collect();
    let report = pool::upsert_all(table, &reviewers, actor)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(why) => {
                AdminError::Refused(format!("nothing was imported: {why}"))
            }
            other => AdminError::Store(format!(
                "{other}; the reviewers before the failure may be saved: importing the file again is safe"
            )),
        })?;
    Ok(Imported {
        reviewers: reviewers.len(),
        created: report.created,
        updated: report.updated,
    })
}

/// Every reviewer, active or not, in name order.
pub async fn list(table: &Table) -> Result<Vec<Reviewer>, AdminError> {
    pool::list(table)
        .await
        .map_err(|e| AdminError::Store(e.to_string()))
}

/// One reviewer, by id or by email.
pub async fn find(table: &Table, key: &ReviewerKey) -> Result<Reviewer, AdminError> {
    let not_found = || AdminError::NotFound(format!("no reviewer has {key}"));
    let id = match key {
        ReviewerKey::Id(id) => *id,
        ReviewerKey::Email(email) => {
            let pk = pool::email_pk(email);
            let item = get_item(table, pk.clone(), "REVIEWER_EMAIL", not_found).await?;
            get_s(&item, "reviewer_id")
                .and_then(|id| Ulid::from_string(id).ok())
                .ok_or_else(|| {
                    AdminError::Store(format!(
                        "stored item {pk} is unreadable: reviewer_id is missing or not a ULID"
                    ))
                })?
        }
    };
    let item = get_item(table, pool::profile_pk(id), "PROFILE", not_found).await?;
    Reviewer::from_item(&item).map_err(|e| AdminError::Store(e.to_string()))
}

/// What [`set_active`] did.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveChange {
    /// The reviewer as now stored.
    pub reviewer: Reviewer,
    /// False when they already were active (or inactive): nothing was written.
    pub changed: bool,
}

impl fmt::Display for ActiveChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = &self.reviewer;
        let who = format!(
            "{} <{}> (id {})",
            printable(&r.name),
            printable(&r.email),
            r.id
        );
        match (self.changed, r.active) {
            (true, true) => write!(f, "activated {who}: matching may offer them reviews again"),
            (true, false) => write!(
                f,
                "deactivated {who}: matching will not offer them reviews; nothing else about them changed"
            ),
            (false, true) => write!(f, "{who} was already active: nothing changed"),
            (false, false) => write!(f, "{who} was already inactive: nothing changed"),
        }
    }
}

/// Sets a reviewer's `active` flag and writes its audit entry, in one transaction (the same
/// code as the console). Idempotent: setting what is already stored writes nothing and says so.
pub async fn set_active(
    table: &Table,
    key: &ReviewerKey,
    active: bool,
    actor: &Actor,
) -> Result<ActiveChange, AdminError> {
    let reviewer = find(table, key).await?;
    let outcome = pool::set_active(table, &reviewer, active, actor)
        .await
        .map_err(|e| AdminError::Store(e.to_string()))?;
    match outcome {
        ActiveSet::NotFound => Err(AdminError::NotFound(format!(
            "no reviewer has {key} (the profile was removed meanwhile)"
        ))),
        outcome => Ok(ActiveChange {
            changed: outcome == ActiveSet::Changed,
            reviewer: Reviewer { active, ..reviewer },
        }),
    }
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

fn joined<T>(values: &[T], text: impl Fn(&T) -> String, separator: &str) -> String {
    values.iter().map(text).collect::<Vec<_>>().join(separator)
}

fn date_or_dash(date: Option<time::Date>) -> String {
    date.map_or_else(|| "-".to_owned(), format_date)
}

/// The pool as a table: name, email, home LA, regions, phases, may lead, DBS date, capacity,
/// active.
pub fn write_table(out: &mut impl Write, reviewers: &[Reviewer]) -> std::io::Result<()> {
    if reviewers.is_empty() {
        return writeln!(
            out,
            "no reviewers yet: import a file with `send-review-admin reviewers import FILE.csv`"
        );
    }
    let mut rows = vec![
        [
            "name", "email", "home LA", "regions", "phases", "may lead", "DBS", "capacity",
            "active",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for r in reviewers {
        rows.push(vec![
            printable(&r.name),
            printable(&r.email),
            format!("{} ({})", r.local_authority.name, r.local_authority.code),
            joined(&r.regions, |v| v.as_str().to_owned(), ","),
            joined(&r.phases, |v| v.as_str().to_owned(), ","),
            yes_no(r.may_lead).to_owned(),
            date_or_dash(r.dbs_checked_on),
            r.capacity_per_term.to_string(),
            yes_no(r.active).to_owned(),
        ]);
    }
    write_columns(out, &rows)?;
    let active = reviewers.iter().filter(|r| r.active).count();
    writeln!(
        out,
        "{} reviewer{}, {active} active",
        reviewers.len(),
        if reviewers.len() == 1 { "" } else { "s" }
    )
}

/// Every field of one reviewer, one per line.
pub fn write_details(out: &mut impl Write, r: &Reviewer) -> std::io::Result<()> {
    let labels = |values: Vec<String>| {
        if values.is_empty() {
            "-".to_owned()
        } else {
            values.join("; ")
        }
    };
    let fields: Vec<(&str, String)> = vec![
        ("id", r.id.to_string()),
        ("name", printable(&r.name)),
        ("email", printable(&r.email)),
        ("home school URN", r.home_school_urn.to_string()),
        (
            "trust",
            r.trust.as_deref().map_or_else(|| "-".to_owned(), printable),
        ),
        (
            "local authority",
            format!("{} ({})", r.local_authority.name, r.local_authority.code),
        ),
        (
            "regions",
            labels(r.regions.iter().map(|v| v.label().to_owned()).collect()),
        ),
        (
            "phases",
            labels(r.phases.iter().map(|v| v.label().to_owned()).collect()),
        ),
        (
            "school types",
            labels(
                r.school_types
                    .iter()
                    .map(|v| v.label().to_owned())
                    .collect(),
            ),
        ),
        (
            "specialisms",
            labels(r.specialisms.iter().map(|v| v.label().to_owned()).collect()),
        ),
        ("may lead", yes_no(r.may_lead).to_owned()),
        ("trained on", date_or_dash(r.trained_on)),
        ("DBS checked on", date_or_dash(r.dbs_checked_on)),
        ("capacity per term", r.capacity_per_term.to_string()),
        (
            "unavailable",
            labels(r.unavailable.iter().map(ToString::to_string).collect()),
        ),
        (
            "conflicts",
            labels(r.conflicts.iter().map(ToString::to_string).collect()),
        ),
        ("active", yes_no(r.active).to_owned()),
    ];
    for (label, value) in fields {
        writeln!(out, "{label:<18} {value}")?;
    }
    Ok(())
}

/// A reviewer as JSON: storage values (as in the import file), dates `YYYY-MM-DD` or null.
pub fn to_json(r: &Reviewer) -> Value {
    fn values<T>(list: &[T], text: impl Fn(&T) -> String) -> Vec<String> {
        list.iter().map(text).collect()
    }
    json!({
        "id": r.id.to_string(),
        "name": r.name,
        "email": r.email,
        "home_school_urn": r.home_school_urn.as_str(),
        "trust": r.trust,
        "local_authority": { "code": r.local_authority.code, "name": r.local_authority.name },
        "regions": values(&r.regions, |v| v.as_str().to_owned()),
        "phases": values(&r.phases, |v| v.as_str().to_owned()),
        "school_types": values(&r.school_types, |v| v.as_str().to_owned()),
        "specialisms": values(&r.specialisms, |v| v.as_str().to_owned()),
        "may_lead": r.may_lead,
        "trained_on": r.trained_on.map(format_date),
        "dbs_checked_on": r.dbs_checked_on.map(format_date),
        "capacity_per_term": r.capacity_per_term,
        "unavailable": values(&r.unavailable, ToString::to_string),
        "conflicts": values(&r.conflicts, ToString::to_string),
        "active": r.active,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../examples/reviewers.csv");

    fn example() -> Vec<Reviewer> {
        pool::parse_csv(EXAMPLE)
            .expect("the example file is valid")
            .into_iter()
            .map(|row| row.reviewer)
            .collect()
    }

    #[test]
    fn the_example_file_holds_three_valid_reviewers() {
        assert_eq!(example().len(), 3);
    }

    #[test]
    fn a_reviewer_is_named_by_id_or_email() {
        let id = Ulid::new();
        assert_eq!(
            id.to_string().parse::<ReviewerKey>(),
            Ok(ReviewerKey::Id(id))
        );
        assert_eq!(
            " Ada@Example.org ".parse::<ReviewerKey>(),
            Ok(ReviewerKey::Email("Ada@Example.org".into()))
        );
        assert!(
            "ada"
                .parse::<ReviewerKey>()
                .unwrap_err()
                .contains("neither a reviewer id")
        );
    }

    #[test]
    fn the_table_has_a_header_a_line_per_reviewer_and_a_count() {
        let mut out = Vec::new();
        write_table(&mut out, &example()).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert!(lines[0].starts_with("name") && lines[0].ends_with("active"));
        assert_eq!(lines[4], "3 reviewers, 2 active");
    }

    #[test]
    fn the_json_uses_storage_values() {
        let json = to_json(&example()[0]);
        assert_eq!(json["regions"][0], "london");
        assert_eq!(json["local_authority"]["code"], 202);
    }

    #[test]
    fn an_import_counts_in_words() {
        let done = Imported {
            reviewers: 1,
            created: 1,
            updated: 0,
        };
        assert_eq!(
            done.to_string(),
            "imported 1 reviewer (1 created, 0 updated)"
        );
    }
}
