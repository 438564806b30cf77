//! The reviewer pool: trained peers, where they will go, what they know, and when they can't.
//!
//! Administrators keep the pool in a spreadsheet and import it as CSV. The import is an upsert
//! keyed by email, so importing the same file twice changes nothing, and an edited file updates
//! the reviewers in it. Reviewers missing from a file are left as they are (mark someone
//! `active = no` rather than deleting their row).
//!
//! # CSV format
//!
//! UTF-8 (a spreadsheet's byte-order mark is fine), comma-separated, quoted as usual where a
//! cell holds a comma. The first line is the header: column names as below, in any order,
//! case ignored. Unknown or repeated columns are refused, so a misspelt optional column cannot
//! be silently ignored. Surrounding spaces in cells are ignored; fully blank rows are skipped.
//!
//! | column              | required | cell                                                        |
//! |---------------------|----------|-------------------------------------------------------------|
//! | `id`                | no       | the reviewer's id (ULID) from an export; empty for new ones |
//! | `name`              | yes      | full name                                                   |
//! | `email`             | yes      | one address; unique in the file, case ignored               |
//! | `home_school_urn`   | yes      | the URN of their own school: 6 digits                       |
//! | `trust`             | no       | their multi-academy trust's name                            |
//! | `local_authority`   | yes      | the 3-digit LA code of their school, e.g. `202` (Camden)   |
//! | `regions`           | yes      | regions they will travel to, `;`-separated (see below)      |
//! | `phases`            | yes      | phases they know, `;`-separated                             |
//! | `school_types`      | yes      | school types they know, `;`-separated                       |
//! | `specialisms`       | no       | `;`-separated                                               |
//! | `may_lead`          | yes      | `yes` or `no`: may lead a review                            |
//! | `trained_on`        | no       | date of their reviewer training, `YYYY-MM-DD`               |
//! | `dbs_checked_on`    | no       | date of their enhanced DBS check, `YYYY-MM-DD`              |
//! | `capacity_per_term` | yes      | reviews per term, a whole number from 0 to 10               |
//! | `unavailable`       | no       | `;`-separated inclusive ranges `2027-01-05..2027-01-09`, or single days `2027-02-14` |
//! | `conflicts`         | no       | URNs of schools they must not review, `;`-separated         |
//! | `active`            | no       | `yes` (the default when empty or absent) or `no`            |
//!
//! `yes`/`no` ignore case. Multi-valued cells take each value's storage value or its label
//! (`yorkshire_humber` or `Yorkshire and the Humber`), case ignored; repeats are dropped.
//! Values: regions `north_east`, `north_west`, `yorkshire_humber`, `east_midlands`,
//! `west_midlands`, `east_of_england`, `london`, `south_east`, `south_west`; phases `nursery`,
//! `primary`, `middle`, `secondary`, `all_through`, `post_16`; school types `mainstream`,
//! `special`, `alternative_provision`, `resourced_provision`; specialisms `autism`, `semh`,
//! `speech_language_communication`, `specific_learning_difficulties`, `sensory`, `physical`,
//! `preparing_for_adulthood`, `ta_deployment`, `alternative_provision`, `early_years`.
//!
//! A file is imported whole or not at all: [`parse_csv`] reports every bad cell of every row
//! as `line 7: home_school_urn "12345" must be 6 digits` (the header is line 1).
//!
//! # Items
//!
//! | item           | pk                                 | sk               | gsi1pk / gsi1sk                         |
//! |----------------|------------------------------------|------------------|-----------------------------------------|
//! | profile        | `REVIEWER#<id>`                    | `PROFILE`        | `REVIEWER` / `<lowercase name>#<id>`    |
//! | email lookup   | `REVIEWER_EMAIL#<lowercase email>` | `REVIEWER_EMAIL` | none                                    |
//! | audit entries  | `REVIEWER#<id>`                    | `AUDIT#...`      | see `crate::audit`                      |
//!
//! The id, not the email, is the identity (people change address); the email item makes the
//! address unique and finds the id on import. Both are written in one transaction. A profile
//! holds exactly the fields of [`Reviewer`] and a `revision` (new on every write, so an edit
//! from an older page is refused): anything else about a reviewer (offers, reviews done)
//! belongs in items of its own, because an import overwrites the profile whole.

mod csv_format;
mod edit;
mod own;

pub use csv_format::parse_capacity;
pub use csv_format::{ReviewerRow, RowError, fields_of, parse_csv, parse_fields, to_csv};
use csv_format::{check_email, parse_id, parse_name};
pub use edit::{
    CheckDate, DBS_VALID_FOR_YEARS, EXPIRY_WARNING_DAYS, Expected, Saved, StoredReviewer,
    TRAINING_VALID_FOR_YEARS, check_date, get, save, term_bookings,
};
pub use own::{
    DeclaredConflict, OwnDetails, OwnDetailsForm, OwnSaved, OwnStored, get_own, save_own,
};

use std::collections::{HashMap, HashSet};
use std::fmt;

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use time::Date;
use ulid::Ulid;

use crate::audit::{Actor, AuditSubject};
use crate::domain::{
    DateRange, LocalAuthority, Phase, Region, SchoolType, Specialism, Urn, format_date, parse_date,
};
use crate::store::{StoreError, Table, dynamo_error, get_s, n, s};

pub use crate::store::Item;

pub const MAX_CAPACITY_PER_TERM: u8 = 10;
/// `gsi1pk` of every profile, active or not: the whole pool is one query.
pub const INDEX_KEY: &str = "REVIEWER";
const PROFILE_PREFIX: &str = "REVIEWER#";
const PROFILE_SORT_KEY: &str = "PROFILE";
const EMAIL_PREFIX: &str = "REVIEWER_EMAIL#";
const EMAIL_SORT_KEY: &str = "REVIEWER_EMAIL";

/// A trained peer reviewer.
#[derive(Debug, Clone, PartialEq)]
pub struct Reviewer {
    pub id: Ulid,
    pub name: String,
    // TODO(EmailAddress): becomes the EmailAddress type; until then only checked minimally
    // (trimmed, one '@', no spaces or control characters, at most 254 bytes).
    pub email: String,
    pub home_school_urn: Urn,
    pub trust: Option<String>,
    /// The LA of their home school (a conflict of interest by default).
    pub local_authority: &'static LocalAuthority,
    /// Where they will travel to review; never empty.
    pub regions: Vec<Region>,
    /// Never empty.
    pub phases: Vec<Phase>,
    /// Never empty.
    pub school_types: Vec<SchoolType>,
    pub specialisms: Vec<Specialism>,
    pub may_lead: bool,
    pub trained_on: Option<Date>,
    /// Their enhanced DBS check: required before visiting a school.
    pub dbs_checked_on: Option<Date>,
    /// Reviews per term, 0 to [`MAX_CAPACITY_PER_TERM`].
    pub capacity_per_term: u8,
    pub unavailable: Vec<DateRange>,
    /// Schools they declared a conflict of interest with, besides their own.
    pub conflicts: Vec<Urn>,
    pub active: bool,
}

pub fn profile_pk(id: Ulid) -> String {
    format!("{PROFILE_PREFIX}{id}")
}

/// The key of the item that holds the id of the reviewer with `email`, case ignored.
pub fn email_pk(email: &str) -> String {
    format!("{EMAIL_PREFIX}{}", email.trim().to_lowercase())
}

fn strings<T>(values: &[T], text: impl Fn(&T) -> String) -> AttributeValue {
    AttributeValue::L(values.iter().map(|v| s(text(v))).collect())
}

impl Reviewer {
    /// The profile item.
    pub fn to_item(&self) -> Item {
        let id = self.id.to_string();
        let mut item = Item::from([
            ("pk".to_owned(), s(profile_pk(self.id))),
            ("sk".to_owned(), s(PROFILE_SORT_KEY)),
            ("gsi1pk".to_owned(), s(INDEX_KEY)),
            // Lowercase so the pool lists in name order whatever the capitals.
            (
                "gsi1sk".to_owned(),
                s(format!("{}#{id}", self.name.to_lowercase())),
            ),
            ("reviewer_id".to_owned(), s(id)),
            ("name".to_owned(), s(&self.name)),
            ("email".to_owned(), s(&self.email)),
            (
                "home_school_urn".to_owned(),
                s(self.home_school_urn.as_str()),
            ),
            ("local_authority".to_owned(), n(self.local_authority.code)),
            // Lists, not string sets: they keep their order and may be empty.
            (
                "regions".to_owned(),
                strings(&self.regions, |v| v.as_str().to_owned()),
            ),
            (
                "phases".to_owned(),
                strings(&self.phases, |v| v.as_str().to_owned()),
            ),
            (
                "school_types".to_owned(),
                strings(&self.school_types, |v| v.as_str().to_owned()),
            ),
            (
                "specialisms".to_owned(),
                strings(&self.specialisms, |v| v.as_str().to_owned()),
            ),
            ("may_lead".to_owned(), AttributeValue::Bool(self.may_lead)),
            ("capacity_per_term".to_owned(), n(self.capacity_per_term)),
            (
                "unavailable".to_owned(),
                strings(&self.unavailable, DateRange::to_string),
            ),
            (
                "conflicts".to_owned(),
                strings(&self.conflicts, Urn::to_string),
            ),
            ("active".to_owned(), AttributeValue::Bool(self.active)),
        ]);
        if let Some(trust) = &self.trust {
            item.insert("trust".to_owned(), s(trust));
        }
        if let Some(date) = self.trained_on {
            item.insert("trained_on".to_owned(), s(format_date(date)));
        }
        if let Some(date) = self.dbs_checked_on {
            item.insert("dbs_checked_on".to_owned(), s(format_date(date)));
        }
        item
    }

    /// Reads a profile item back, through the same parsers as the import.
    pub fn from_item(item: &Item) -> Result<Self, StoreError> {
        read_item(item).map_err(|reason| StoreError::Corrupt {
            key: get_s(item, "pk").unwrap_or("(no pk)").to_owned(),
            reason,
        })
    }
}

fn read_item(item: &Item) -> Result<Reviewer, String> {
    fn text<'a>(item: &'a Item, name: &str) -> Result<&'a str, String> {
        get_s(item, name).ok_or_else(|| format!("{name} is missing or not a string"))
    }
    fn parsed<T, E: fmt::Display>(
        item: &Item,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<T, String> {
        parse(text(item, name)?).map_err(|e| format!("{name} {e}"))
    }
    fn optional<T, E: fmt::Display>(
        item: &Item,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Result<Option<T>, String> {
        match item.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(_) => parsed(item, name, parse).map(Some),
        }
    }
    fn list<T, E: fmt::Display>(
        item: &Item,
        name: &str,
        required: bool,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<Vec<T>, String> {
        let values = match item.get(name) {
            None => &Vec::new(),
            Some(value) => value.as_l().map_err(|_| format!("{name} is not a list"))?,
        };
        let values = values
            .iter()
            .map(|v| match v.as_s() {
                Ok(text) => parse(text).map_err(|e| format!("{name} {e}")),
                Err(_) => Err(format!("{name} holds a value that is not a string")),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if required && values.is_empty() {
            return Err(format!("{name} is empty"));
        }
        Ok(values)
    }
    fn boolean(item: &Item, name: &str) -> Result<bool, String> {
        item.get(name)
            .and_then(|v| v.as_bool().ok())
            .copied()
            .ok_or_else(|| format!("{name} is missing or not a boolean"))
    }
    fn number<T: std::str::FromStr>(item: &Item, name: &str) -> Result<T, String> {
        item.get(name)
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{name} is missing or not a small whole number"))
    }

    let capacity_per_term: u8 = number(item, "capacity_per_term")?;
    if capacity_per_term > MAX_CAPACITY_PER_TERM {
        return Err(format!(
            "capacity_per_term {capacity_per_term} is over {MAX_CAPACITY_PER_TERM}"
        ));
    }
    let la_code: u16 = number(item, "local_authority")?;
    let name = parsed(item, "name", parse_name)?;
    if name.trim().is_empty() {
        return Err("name is empty".into());
    }
    Ok(Reviewer {
        id: parsed(item, "reviewer_id", parse_id)?,
        name,
        email: parsed(item, "email", check_email)?,
        home_school_urn: parsed(item, "home_school_urn", str::parse::<Urn>)?,
        trust: optional(item, "trust", parse_name)?,
        local_authority: LocalAuthority::by_code(la_code)
            .ok_or_else(|| format!("local_authority {la_code} is not a local authority code"))?,
        regions: list(item, "regions", true, str::parse::<Region>)?,
        phases: list(item, "phases", true, str::parse::<Phase>)?,
        school_types: list(item, "school_types", true, str::parse::<SchoolType>)?,
        specialisms: list(item, "specialisms", false, str::parse::<Specialism>)?,
        may_lead: boolean(item, "may_lead")?,
        trained_on: optional(item, "trained_on", parse_date)?,
        dbs_checked_on: optional(item, "dbs_checked_on", parse_date)?,
        capacity_per_term,
        unavailable: list(item, "unavailable", false, str::parse::<DateRange>)?,
        conflicts: list(item, "conflicts", false, str::parse::<Urn>)?,
        active: boolean(item, "active")?,
    })
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UpsertReport {
    pub created: usize,
    pub updated: usize,
}

/// Saves reviewers, matching them to stored ones by id, else by email (case ignored): a known
/// email keeps its stored id, so re-importing a file without ids updates rather than duplicates.
///
/// Everything is read and checked before anything is written; a conflict (two reviewers with
/// one email or id, or an existing reviewer taking another's email) writes nothing. A failure
/// part-way leaves the reviewers before it saved: running the import again is safe.
///
/// Each reviewer's transaction also writes its audit entry (`reviewer imported`) by `actor`.
pub async fn upsert_all(
    table: &Table,
    reviewers: &[Reviewer],
    actor: &Actor,
) -> Result<UpsertReport, StoreError> {
    refuse_duplicates(reviewers)?;
    let keys = reviewers.iter().flat_map(|r| {
        [
            (email_pk(&r.email), EMAIL_SORT_KEY),
            (profile_pk(r.id), PROFILE_SORT_KEY),
        ]
    });
    let stored = batch_get(table, keys.collect()).await?;
    let writes = plan_writes(reviewers, &stored)?;
    let mut report = UpsertReport::default();
    // One transaction per reviewer, in turn. BatchWriteItem would be fewer calls, but it takes
    // no conditions and is not atomic: a profile could be saved without its email item, or two
    // imports at once could give one address to two reviewers. A pool is tens to hundreds of
    // people, so a call each is quick enough.
    for write in &writes {
        write_reviewer(table, write, actor).await?;
        if write.existed {
            report.updated += 1;
        } else {
            report.created += 1;
        }
    }
    Ok(report)
}

/// Every reviewer, active or not, in name order.
pub async fn list(table: &Table) -> Result<Vec<Reviewer>, StoreError> {
    table
        .index_items(INDEX_KEY, None)
        .await
        .map_err(|e| dynamo_error("Query", e))?
        .iter()
        .map(Reviewer::from_item)
        .collect()
}

fn refuse_duplicates(reviewers: &[Reviewer]) -> Result<(), StoreError> {
    let mut emails = HashSet::new();
    let mut ids = HashSet::new();
    for r in reviewers {
        if !emails.insert(email_pk(&r.email)) {
            return Err(StoreError::Conflict(format!(
                "{} is given for two reviewers",
                r.email
            )));
        }
        if !ids.insert(r.id) {
            return Err(StoreError::Conflict(format!(
                "id {} is given for two reviewers",
                r.id
            )));
        }
    }
    Ok(())
}

/// One reviewer to save: the profile (with its settled id), and the email item it replaces.
#[derive(Debug, Clone, PartialEq)]
struct ReviewerWrite {
    reviewer: Reviewer,
    existed: bool,
    old_email_pk: Option<String>,
    /// What the stored profile must be for the write to go ahead.
    expected: Expected,
}

/// Settles each reviewer's id from what is stored (items by pk: email items and profiles).
fn plan_writes(
    reviewers: &[Reviewer],
    stored: &HashMap<String, Item>,
) -> Result<Vec<ReviewerWrite>, StoreError> {
    let mut writes = Vec::with_capacity(reviewers.len());
    let mut settled: HashMap<Ulid, &str> = HashMap::new();
    for r in reviewers {
        let new_email_pk = email_pk(&r.email);
        let owner = match stored.get(&new_email_pk) {
            Some(item) => Some(stored_id(item, &new_email_pk)?),
            None => None,
        };
        let profile = stored.get(&profile_pk(r.id));
        let write = match owner {
            Some(owner) if owner != r.id => {
                if profile.is_some() {
                    return Err(StoreError::Conflict(format!(
                        "reviewer {} ({}) cannot change their email to {}: another reviewer ({owner}) has it",
                        r.id, r.name, r.email
                    )));
                }
                // A row without a stored id (a new ULID was made for it): it is the email's owner.
                ReviewerWrite {
                    reviewer: Reviewer {
                        id: owner,
                        ..r.clone()
                    },
                    existed: true,
                    old_email_pk: None,
                    expected: Expected::Any,
                }
            }
            _ => ReviewerWrite {
                reviewer: r.clone(),
                existed: profile.is_some(),
                old_email_pk: profile
                    .and_then(|p| get_s(p, "email"))
                    .map(email_pk)
                    .filter(|old| *old != new_email_pk),
                expected: Expected::Any,
            },
        };
        if let Some(other) = settled.insert(write.reviewer.id, &r.email) {
            return Err(StoreError::Conflict(format!(
                "{other} and {} are the same stored reviewer ({}); keep one row",
                r.email, write.reviewer.id
            )));
        }
        writes.push(write);
    }
    Ok(writes)
}

fn stored_id(item: &Item, key: &str) -> Result<Ulid, StoreError> {
    get_s(item, "reviewer_id")
        .and_then(|id| Ulid::from_string(id).ok())
        .ok_or_else(|| StoreError::Corrupt {
            key: key.to_owned(),
            reason: "reviewer_id is missing or not a ULID".into(),
        })
}

/// Reads items by (pk, sk), returning them by pk. Reads only what the import needs: the key,
/// the id, and a profile's email.
async fn batch_get(
    table: &Table,
    keys: Vec<(String, &str)>,
) -> Result<HashMap<String, Item>, StoreError> {
    let mut seen = HashSet::new();
    let keys: Vec<(String, String)> = keys
        .into_iter()
        .filter(|(pk, _)| seen.insert(pk.clone())) // the API refuses a key twice in one call
        .map(|(pk, sk)| (pk, sk.to_owned()))
        .collect();
    Ok(table
        .batch_get(&keys, &["pk", "reviewer_id", "email"])
        .await?
        .into_iter()
        .filter_map(|item| Some((get_s(&item, "pk")?.to_owned(), item)))
        .collect())
}

async fn write_reviewer(
    table: &Table,
    write: &ReviewerWrite,
    actor: &Actor,
) -> Result<(), StoreError> {
    let reviewer = &write.reviewer;
    let detail = if write.existed {
        "updated from an import file"
    } else {
        "added from an import file"
    };
    let entry = actor.entry("reviewer imported", audit_subject(reviewer), detail);
    match table
        .transact(write_items(table, write, &entry)?)
        .await
        .map_err(|e| dynamo_error("TransactWriteItems", e))?
    {
        crate::store::Transacted::Committed => Ok(()),
        crate::store::Transacted::Cancelled(_) => Err(StoreError::Conflict(format!(
            "{} was changed by someone else during the import; import the file again",
            reviewer.email
        ))),
    }
}

/// The transaction that saves one reviewer: the profile (with a new revision) on its
/// condition, their email item, the old email item's removal, and `entry`, in that order.
fn write_items(
    table: &Table,
    write: &ReviewerWrite,
    entry: &crate::audit::AuditEntry,
) -> Result<Vec<TransactWriteItem>, StoreError> {
    let reviewer = &write.reviewer;
    let id = reviewer.id.to_string();
    let mut item = reviewer.to_item();
    // A new revision on every write, so an edit made from an older page is refused.
    item.insert("revision".to_owned(), s(Ulid::new().to_string()));
    let profile = Put::builder().table_name(&table.name).set_item(Some(item));
    let profile = match &write.expected {
        Expected::Any => profile,
        Expected::New => profile.condition_expression("attribute_not_exists(pk)"),
        Expected::Revision(None) => {
            profile.condition_expression("attribute_exists(pk) AND attribute_not_exists(revision)")
        }
        Expected::Revision(Some(revision)) => profile
            .condition_expression("revision = :revision")
            .expression_attribute_values(":revision", s(revision)),
    }
    .build()
    .expect("table and item are set");
    let email = Put::builder()
        .table_name(&table.name)
        .item("pk", s(email_pk(&reviewer.email)))
        .item("sk", s(EMAIL_SORT_KEY))
        .item("reviewer_id", s(&id))
        // Never take an address from another reviewer, even one saved since we read.
        .condition_expression("attribute_not_exists(pk) OR reviewer_id = :id")
        .expression_attribute_values(":id", s(&id))
        .build()
        .expect("table, item and condition are set");
    let mut items = vec![
        TransactWriteItem::builder().put(profile).build(),
        TransactWriteItem::builder().put(email).build(),
    ];
    if let Some(old) = &write.old_email_pk {
        let delete = Delete::builder()
            .table_name(&table.name)
            .key("pk", s(old))
            .key("sk", s(EMAIL_SORT_KEY))
            .condition_expression("attribute_not_exists(pk) OR reviewer_id = :id")
            .expression_attribute_values(":id", s(&id))
            .build()
            .expect("table, key and condition are set");
        items.push(TransactWriteItem::builder().delete(delete).build());
    }
    items.push(entry.transact_put(table)?);
    Ok(items)
}

/// The email address of reviewer `reviewer_id`, if they exist.
pub async fn reviewer_email(
    table: &Table,
    reviewer_id: &str,
) -> Result<Option<String>, StoreError> {
    let Ok(id) = reviewer_id.parse() else {
        return Ok(None);
    };
    let item = table
        .client
        .get_item()
        .table_name(&table.name)
        .key("pk", s(profile_pk(id)))
        .key("sk", s("PROFILE"))
        .projection_expression("email")
        .send()
        .await
        .map_err(|e| dynamo_error("GetItem", e))?
        .item;
    Ok(item.and_then(|i| get_s(&i, "email").map(str::to_owned)))
}

/// The id of the reviewer whose address is `email` (case ignored), if one is in the pool.
pub async fn id_by_email(table: &Table, email: &str) -> Result<Option<Ulid>, StoreError> {
    let item = table.get(email_pk(email), EMAIL_SORT_KEY).await?;
    Ok(item.and_then(|item| get_s(&item, "reviewer_id").and_then(|id| id.parse().ok())))
}

/// A day the reviewer may visit: in one of the school's windows, a weekday, not in the past,
/// and not one of the reviewer's unavailable dates.
pub fn check_visit_date(
    date: time::Date,
    windows: &[crate::domain::request::VisitWindow],
    reviewer: &Reviewer,
    today: time::Date,
) -> Result<(), String> {
    if !windows.iter().any(|w| w.start <= date && date <= w.end) {
        return Err("Choose a date inside one of the school's visit windows".into());
    }
    if matches!(
        date.weekday(),
        time::Weekday::Saturday | time::Weekday::Sunday
    ) {
        return Err("Choose a school day: Monday to Friday".into());
    }
    if date <= today {
        return Err("Choose a date after today".into());
    }
    if reviewer
        .unavailable
        .iter()
        .any(|range| range.contains(date))
    {
        return Err("You told us you are unavailable that day: choose another date".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests;

fn audit_subject(reviewer: &Reviewer) -> AuditSubject {
    AuditSubject::Reviewer {
        id: reviewer.id.to_string(),
        name: reviewer.name.clone(),
    }
}

/// What [`set_active`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActiveSet {
    /// Changed, and audited.
    Changed,
    /// It already was so: nothing was written.
    AlreadySo,
    /// No such reviewer (removed meanwhile).
    NotFound,
}

/// Sets `reviewer`'s `active` flag and writes its audit entry, in one transaction; setting what
/// is already stored writes nothing (not even an entry).
pub async fn set_active(
    table: &Table,
    reviewer: &Reviewer,
    active: bool,
    actor: &Actor,
) -> Result<ActiveSet, StoreError> {
    let update = aws_sdk_dynamodb::types::Update::builder()
        .table_name(&table.name)
        .key("pk", s(profile_pk(reviewer.id)))
        .key("sk", s(PROFILE_SORT_KEY))
        .update_expression("SET active = :active, revision = :revision")
        .condition_expression("attribute_exists(pk) AND active <> :active")
        .expression_attribute_values(":active", AttributeValue::Bool(active))
        // An edit page read before this change is now out of date.
        .expression_attribute_values(":revision", s(Ulid::new().to_string()))
        .build()
        .expect("table, key, update and condition are set");
    let (action, detail) = if active {
        (
            "reviewer activated",
            "matching may offer them reviews again",
        )
    } else {
        (
            "reviewer deactivated",
            "matching will not offer them reviews",
        )
    };
    let outcome = table
        .transact(vec![
            TransactWriteItem::builder().update(update).build(),
            actor
                .entry(action, audit_subject(reviewer), detail)
                .transact_put(table)?,
        ])
        .await
        .map_err(|e| dynamo_error("TransactWriteItems", e))?;
    match outcome {
        crate::store::Transacted::Committed => Ok(ActiveSet::Changed),
        cancelled if cancelled.failed_at(0) => {
            // Another administrator may have made the same change since we read.
            match table.get(profile_pk(reviewer.id), PROFILE_SORT_KEY).await? {
                Some(_) => Ok(ActiveSet::AlreadySo),
                None => Ok(ActiveSet::NotFound),
            }
        }
        crate::store::Transacted::Cancelled(reasons) => Err(StoreError::Conflict(format!(
            "{} was changed by someone else meanwhile ({}); try again",
            reviewer.email,
            reasons.join(", ")
        ))),
    }
}
