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
//!
//! The id, not the email, is the identity (people change address); the email item makes the
//! address unique and finds the id on import. Both are written in one transaction. A profile
//! holds exactly the fields of [`Reviewer`]: anything else about a reviewer (offers, reviews
//! done) belongs in items of its own, because an import overwrites the profile whole.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::time::Duration;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, KeysAndAttributes, Put, TransactWriteItem};
use time::Date;
use ulid::Ulid;

use crate::domain::{
    DateRange, LocalAuthority, Phase, Region, SchoolType, Specialism, Urn, format_date, parse_date,
};
use crate::store::{Table, get_s, n, s};

pub use crate::store::Item;

pub const MAX_CAPACITY_PER_TERM: u8 = 10;
/// `gsi1pk` of every profile, active or not: the whole pool is one query.
pub const INDEX_KEY: &str = "REVIEWER";
const PROFILE_PREFIX: &str = "REVIEWER#";
const PROFILE_SORT_KEY: &str = "PROFILE";
const EMAIL_PREFIX: &str = "REVIEWER_EMAIL#";
const EMAIL_SORT_KEY: &str = "REVIEWER_EMAIL";

/// A failure reading or writing the table.
// Shared with `programme`; it belongs in `store` once that module is free to change.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("DynamoDB {operation} failed: {detail}")]
    Dynamo {
        operation: &'static str,
        detail: String,
    },
    #[error("stored item {key} is unreadable: {reason}")]
    Corrupt { key: String, reason: String },
    /// The write contradicts what is stored; nothing of it was written.
    #[error("{0}")]
    Conflict(String),
}

pub(crate) fn dynamo_error<E>(operation: &'static str, err: E) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error,
{
    let detail = match err.code() {
        Some(code) => format!("{code}: {}", err.message().unwrap_or("no message")),
        None => DisplayErrorContext(&err).to_string(),
    };
    StoreError::Dynamo { operation, detail }
}

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

/// A valid row of an imported file.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewerRow {
    /// Where the row starts in the file (the header is line 1).
    pub line: u64,
    /// The row's reviewer; its id is the `id` cell, or a new one when that is empty (the
    /// import then keeps the stored id of the same email, if there is one).
    pub reviewer: Reviewer,
}

/// Why a row (or the header, line 1) of an imported file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    /// The column at fault, when it is one cell's problem.
    pub column: Option<&'static str>,
    /// What is wrong, e.g. `"12345" must be 6 digits`.
    pub problem: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(column) => write!(f, "line {}: {column} {}", self.line, self.problem),
            None => write!(f, "line {}: {}", self.line, self.problem),
        }
    }
}

impl std::error::Error for RowError {}

const REQUIRED_COLUMNS: &[&str] = &[
    "name",
    "email",
    "home_school_urn",
    "local_authority",
    "regions",
    "phases",
    "school_types",
    "may_lead",
    "capacity_per_term",
];
const OPTIONAL_COLUMNS: &[&str] = &[
    "id",
    "trust",
    "specialisms",
    "trained_on",
    "dbs_checked_on",
    "unavailable",
    "conflicts",
    "active",
];
/// The column order of [`to_csv`].
const EXPORT_COLUMNS: &[&str] = &[
    "id",
    "name",
    "email",
    "home_school_urn",
    "trust",
    "local_authority",
    "regions",
    "phases",
    "school_types",
    "specialisms",
    "may_lead",
    "trained_on",
    "dbs_checked_on",
    "capacity_per_term",
    "unavailable",
    "conflicts",
    "active",
];

/// Parses a reviewer file (format in the module docs). Returns every row, or every problem.
pub fn parse_csv(text: &str) -> Result<Vec<ReviewerRow>, Vec<RowError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(vec![RowError {
            line: 1,
            column: None,
            problem: "the file is empty; it needs a header line and a row per reviewer".into(),
        }]);
    }
    let mut reader = csv::ReaderBuilder::new()
        // Short rows read as empty cells; long rows are reported below, not as a parse failure.
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| vec![csv_error(&e)])?.clone();
    let columns = Columns::from_header(&header)?;

    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut email_lines: HashMap<String, u64> = HashMap::new();
    let mut id_lines: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                errors.push(csv_error(&e));
                continue;
            }
        };
        if record.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let line = record.position().map_or(0, |p| p.line());
        let mut cells = Cells {
            record: &record,
            columns: &columns,
            line,
            errors: Vec::new(),
        };
        if record.len() > header.len() {
            cells.errors.push(RowError {
                line,
                column: None,
                problem: format!(
                    "has {} cells but the header has {} columns (a comma inside a cell needs quotes)",
                    record.len(),
                    header.len()
                ),
            });
        }
        // Duplicates are found from the raw cells, so they show even when the row has other faults.
        for (column, seen) in [("email", &mut email_lines), ("id", &mut id_lines)] {
            let value = cells.text(column).to_lowercase();
            if value.is_empty() {
                continue;
            }
            if let Some(first) = seen.get(&value) {
                let problem = format!("{:?} is also on line {first}", cells.text(column));
                cells.fail(column, problem);
            } else {
                seen.insert(value, line);
            }
        }
        let reviewer = read_row(&mut cells);
        errors.append(&mut cells.errors);
        if let Some(reviewer) = reviewer.filter(|_| errors.is_empty()) {
            rows.push(ReviewerRow { line, reviewer });
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

/// Writes reviewers in the import format, with their ids, so an edited export re-imports.
pub fn to_csv(reviewers: &[Reviewer]) -> String {
    fn joined<T>(values: &[T], text: impl Fn(&T) -> String) -> String {
        values.iter().map(text).collect::<Vec<_>>().join(";")
    }
    fn yes_no(value: bool) -> String {
        if value { "yes" } else { "no" }.to_owned()
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(EXPORT_COLUMNS)
        .expect("writing to memory");
    for r in reviewers {
        writer
            .write_record([
                r.id.to_string(),
                r.name.clone(),
                r.email.clone(),
                r.home_school_urn.to_string(),
                r.trust.clone().unwrap_or_default(),
                r.local_authority.code.to_string(),
                joined(&r.regions, |v| v.as_str().to_owned()),
                joined(&r.phases, |v| v.as_str().to_owned()),
                joined(&r.school_types, |v| v.as_str().to_owned()),
                joined(&r.specialisms, |v| v.as_str().to_owned()),
                yes_no(r.may_lead),
                r.trained_on.map(format_date).unwrap_or_default(),
                r.dbs_checked_on.map(format_date).unwrap_or_default(),
                r.capacity_per_term.to_string(),
                joined(&r.unavailable, DateRange::to_string),
                joined(&r.conflicts, Urn::to_string),
                yes_no(r.active),
            ])
            .expect("writing to memory");
    }
    String::from_utf8(writer.into_inner().expect("writing to memory"))
        .expect("CSV of strings is UTF-8")
}

fn csv_error(error: &csv::Error) -> RowError {
    RowError {
        line: error.position().map_or(1, |p| p.line()),
        column: None,
        problem: format!("cannot be read as CSV: {error}"),
    }
}

/// Where each known column is in the file.
struct Columns {
    index: HashMap<&'static str, usize>,
}

impl Columns {
    fn from_header(header: &csv::StringRecord) -> Result<Self, Vec<RowError>> {
        let header_error = |problem: String| RowError {
            line: 1,
            column: None,
            problem,
        };
        let mut index = HashMap::new();
        let mut errors = Vec::new();
        for (position, raw) in header.iter().enumerate() {
            let wanted = raw.trim().to_lowercase();
            let known = REQUIRED_COLUMNS
                .iter()
                .chain(OPTIONAL_COLUMNS)
                .find(|c| **c == wanted);
            match known {
                Some(column) if index.insert(*column, position).is_some() => {
                    errors.push(header_error(format!("column {column:?} appears twice")));
                }
                Some(_) => {}
                None if wanted.is_empty() => {
                    errors.push(header_error(format!("column {} has no name", position + 1)))
                }
                None => errors.push(header_error(format!(
                    "unknown column {raw:?}; the columns are {}",
                    REQUIRED_COLUMNS
                        .iter()
                        .chain(OPTIONAL_COLUMNS)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ))),
            }
        }
        for column in REQUIRED_COLUMNS {
            if !index.contains_key(column) {
                errors.push(header_error(format!("missing required column {column:?}")));
            }
        }
        if errors.is_empty() {
            Ok(Self { index })
        } else {
            Err(errors)
        }
    }
}

/// One row's cells, and the problems found in them so far.
struct Cells<'a> {
    record: &'a csv::StringRecord,
    columns: &'a Columns,
    line: u64,
    errors: Vec<RowError>,
}

impl<'a> Cells<'a> {
    /// The trimmed cell; empty when the column or the cell is absent.
    fn text(&self, column: &'static str) -> &'a str {
        self.columns
            .index
            .get(column)
            .and_then(|&i| self.record.get(i))
            .unwrap_or("")
            .trim()
    }

    fn fail(&mut self, column: &'static str, problem: impl ToString) {
        self.errors.push(RowError {
            line: self.line,
            column: Some(column),
            problem: problem.to_string(),
        });
    }

    fn required<T, E: fmt::Display>(
        &mut self,
        column: &'static str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        let text = self.text(column);
        if text.is_empty() {
            self.fail(column, "must not be empty");
            return None;
        }
        parse(text).map_err(|e| self.fail(column, e)).ok()
    }

    /// `Some(None)` for an empty cell; `None` for a bad one.
    fn optional<T, E: fmt::Display>(
        &mut self,
        column: &'static str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<Option<T>> {
        let text = self.text(column);
        if text.is_empty() {
            return Some(None);
        }
        parse(text).map(Some).map_err(|e| self.fail(column, e)).ok()
    }

    /// A `;`-separated cell, every bad value reported; repeats dropped.
    fn list<T: PartialEq, E: fmt::Display>(
        &mut self,
        column: &'static str,
        required: bool,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Option<Vec<T>> {
        let text = self.text(column);
        let mut values = Vec::new();
        let mut ok = true;
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            match parse(part) {
                Ok(value) if values.contains(&value) => {}
                Ok(value) => values.push(value),
                Err(e) => {
                    self.fail(column, e);
                    ok = false;
                }
            }
        }
        if ok && required && values.is_empty() {
            self.fail(column, "must not be empty");
            return None;
        }
        ok.then_some(values)
    }
}

fn read_row(cells: &mut Cells) -> Option<Reviewer> {
    let id = cells.optional("id", parse_id);
    let name = cells.required("name", parse_name);
    let email = cells.required("email", check_email);
    let home_school_urn = cells.required("home_school_urn", str::parse::<Urn>);
    let trust = cells.optional("trust", parse_name);
    let local_authority = cells.required("local_authority", parse_local_authority);
    let regions = cells.list("regions", true, str::parse::<Region>);
    let phases = cells.list("phases", true, str::parse::<Phase>);
    let school_types = cells.list("school_types", true, str::parse::<SchoolType>);
    let specialisms = cells.list("specialisms", false, str::parse::<Specialism>);
    let may_lead = cells.required("may_lead", parse_yes_no);
    let trained_on = cells.optional("trained_on", parse_date);
    let dbs_checked_on = cells.optional("dbs_checked_on", parse_date);
    let capacity_per_term = cells.required("capacity_per_term", parse_capacity);
    let unavailable = cells.list("unavailable", false, str::parse::<DateRange>);
    let conflicts = cells.list("conflicts", false, str::parse::<Urn>);
    let active = cells.optional("active", parse_yes_no);
    Some(Reviewer {
        id: id?.unwrap_or_else(Ulid::new),
        name: name?,
        email: email?,
        home_school_urn: home_school_urn?,
        trust: trust?,
        local_authority: local_authority?,
        regions: regions?,
        phases: phases?,
        school_types: school_types?,
        specialisms: specialisms?,
        may_lead: may_lead?,
        trained_on: trained_on?,
        dbs_checked_on: dbs_checked_on?,
        capacity_per_term: capacity_per_term?,
        unavailable: unavailable?,
        conflicts: conflicts?,
        active: active?.unwrap_or(true),
    })
}

// Each parser takes a trimmed, non-empty text and says what is wrong with it, quoting it.

fn parse_id(text: &str) -> Result<Ulid, String> {
    Ulid::from_string(text).map_err(|_| {
        format!("{text:?} is not a reviewer id (26 letters and digits); leave it empty for a new reviewer")
    })
}

fn parse_name(text: &str) -> Result<String, String> {
    if text.chars().any(char::is_control) {
        return Err(format!("{text:?} must not contain control characters"));
    }
    Ok(text.to_owned())
}

// TODO(EmailAddress): replace with the EmailAddress type's parser.
fn check_email(text: &str) -> Result<String, String> {
    let email = text.trim();
    if email.len() > 254 {
        return Err(format!("{email:?} is longer than 254 characters"));
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("{email:?} must not contain spaces"));
    }
    match email.split_once('@') {
        Some((local, domain))
            if !local.is_empty() && !domain.is_empty() && !domain.contains('@') =>
        {
            Ok(email.to_owned())
        }
        _ => Err(format!(
            "{email:?} must be one address, like name@school.sch.uk"
        )),
    }
}

fn parse_local_authority(text: &str) -> Result<&'static LocalAuthority, String> {
    text.parse()
        .ok()
        .and_then(LocalAuthority::by_code)
        .ok_or_else(|| {
            format!(
                "{text:?} is not a local authority code in England (3 digits, e.g. 202 for Camden)"
            )
        })
}

fn parse_yes_no(text: &str) -> Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        _ => Err(format!("{text:?} must be yes or no")),
    }
}

fn parse_capacity(text: &str) -> Result<u8, String> {
    text.parse()
        .ok()
        .filter(|c| *c <= MAX_CAPACITY_PER_TERM)
        .ok_or_else(|| format!("{text:?} must be a whole number from 0 to {MAX_CAPACITY_PER_TERM}"))
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
pub async fn upsert_all(table: &Table, reviewers: &[Reviewer]) -> Result<UpsertReport, StoreError> {
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
        write_reviewer(table, write).await?;
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
                }
            }
            _ => ReviewerWrite {
                reviewer: r.clone(),
                existed: profile.is_some(),
                old_email_pk: profile
                    .and_then(|p| get_s(p, "email"))
                    .map(email_pk)
                    .filter(|old| *old != new_email_pk),
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

fn key(pk: String, sk: &str) -> Item {
    Item::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

/// Reads items by (pk, sk), 100 keys a call (the API's limit), returning them by pk. Reads
/// only what the import needs: the key, the id, and a profile's email.
async fn batch_get(
    table: &Table,
    keys: Vec<(String, &str)>,
) -> Result<HashMap<String, Item>, StoreError> {
    let mut seen = HashSet::new();
    let keys: Vec<Item> = keys
        .into_iter()
        .filter(|(pk, _)| seen.insert(pk.clone())) // the API refuses a key twice in one call
        .map(|(pk, sk)| key(pk, sk))
        .collect();
    let mut found = HashMap::new();
    for chunk in keys.chunks(100) {
        let mut request = KeysAndAttributes::builder()
            .set_keys(Some(chunk.to_vec()))
            .projection_expression("#pk, #id, #email")
            .expression_attribute_names("#pk", "pk")
            .expression_attribute_names("#id", "reviewer_id")
            .expression_attribute_names("#email", "email")
            .build()
            .expect("keys are set");
        let mut retries = 0;
        loop {
            let output = table
                .client
                .batch_get_item()
                .request_items(&table.name, request)
                .send()
                .await
                .map_err(|e| dynamo_error("BatchGetItem", e))?;
            for item in output
                .responses
                .unwrap_or_default()
                .remove(&table.name)
                .unwrap_or_default()
            {
                if let Some(pk) = get_s(&item, "pk") {
                    found.insert(pk.to_owned(), item);
                }
            }
            match output
                .unprocessed_keys
                .and_then(|mut rest| rest.remove(&table.name))
            {
                Some(rest) if !rest.keys.is_empty() => {
                    // Unprocessed keys mean throttling: back off before asking again.
                    retries += 1;
                    if retries > 8 {
                        return Err(StoreError::Dynamo {
                            operation: "BatchGetItem",
                            detail: "keys still unprocessed after 8 retries".into(),
                        });
                    }
                    tokio::time::sleep(Duration::from_millis(25 << retries)).await;
                    request = rest;
                }
                _ => break,
            }
        }
    }
    Ok(found)
}

async fn write_reviewer(table: &Table, write: &ReviewerWrite) -> Result<(), StoreError> {
    let reviewer = &write.reviewer;
    let id = reviewer.id.to_string();
    let profile = Put::builder()
        .table_name(&table.name)
        .set_item(Some(reviewer.to_item()))
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
    table
        .client
        .transact_write_items()
        .set_transact_items(Some(items))
        .send()
        .await
        .map_err(|e| match e.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(_)) => {
                StoreError::Conflict(format!(
                    "{} was changed by someone else during the import; import the file again",
                    reviewer.email
                ))
            }
            _ => dynamo_error("TransactWriteItems", e),
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    const HEADER: &str = "name,email,home_school_urn,local_authority,regions,phases,school_types,may_lead,capacity_per_term";
    const GOOD: &str =
        "Ada Okafor,ada.okafor@example.org,100001,202,london,primary,mainstream,yes,2";

    /// The problems of a file of HEADER and `rows`, as text.
    fn problems(rows: &[&str]) -> Vec<String> {
        let text = std::iter::once(HEADER)
            .chain(rows.iter().copied())
            .collect::<Vec<_>>()
            .join("\n");
        parse_csv(&text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    fn only_row(text: &str) -> Reviewer {
        let mut rows = parse_csv(text).unwrap();
        assert_eq!(rows.len(), 1);
        rows.remove(0).reviewer
    }

    #[test]
    fn a_full_row_reads_every_column() {
        let text = "id,name,email,home_school_urn,trust,local_authority,regions,phases,school_types,specialisms,may_lead,trained_on,dbs_checked_on,capacity_per_term,unavailable,conflicts,active\n\
            01HZZZZZZZZZZZZZZZZZZZZZZZ, Priya Shah ,Priya.Shah@Brook-Primary.example.sch.uk,123456,\"Oak Learning Trust, North\",380,Yorkshire and the Humber; north_west;,primary;NURSERY;primary,mainstream;resourced_provision,autism;early_years,Yes,2025-03-14,2024-09-01,3,2027-01-05..2027-01-09;2027-03-01,654321;111111,no\n";
        let r = only_row(text);
        assert_eq!(r.id.to_string(), "01HZZZZZZZZZZZZZZZZZZZZZZZ");
        assert_eq!(r.name, "Priya Shah");
        assert_eq!(r.email, "Priya.Shah@Brook-Primary.example.sch.uk");
        assert_eq!(r.home_school_urn.as_str(), "123456");
        assert_eq!(r.trust.as_deref(), Some("Oak Learning Trust, North"));
        assert_eq!(r.local_authority.name, "Bradford");
        assert_eq!(r.regions, [Region::YorkshireHumber, Region::NorthWest]);
        assert_eq!(r.phases, [Phase::Primary, Phase::Nursery]);
        assert_eq!(
            r.school_types,
            [SchoolType::Mainstream, SchoolType::ResourcedProvision]
        );
        assert_eq!(r.specialisms, [Specialism::Autism, Specialism::EarlyYears]);
        assert!(r.may_lead);
        assert_eq!(r.trained_on, Some(date!(2025 - 03 - 14)));
        assert_eq!(r.dbs_checked_on, Some(date!(2024 - 09 - 01)));
        assert_eq!(r.capacity_per_term, 3);
        assert_eq!(
            r.unavailable,
            [
                DateRange::new(date!(2027 - 01 - 05), date!(2027 - 01 - 09)).unwrap(),
                DateRange::day(date!(2027 - 03 - 01)),
            ]
        );
        assert_eq!(r.conflicts.len(), 2);
        assert!(!r.active);
    }

    #[test]
    fn optional_columns_may_be_left_out() {
        let r = only_row(&format!("{HEADER}\n{GOOD}\n"));
        assert_eq!(r.trust, None);
        assert!(r.specialisms.is_empty() && r.unavailable.is_empty() && r.conflicts.is_empty());
        assert_eq!((r.trained_on, r.dbs_checked_on), (None, None));
        assert!(r.active, "active defaults to yes");
    }

    #[test]
    fn a_byte_order_mark_blank_rows_and_column_order_do_not_matter() {
        let text = "\u{feff}Email,NAME,home_school_urn,local_authority,regions,phases,school_types,may_lead,capacity_per_term\n\n\
            ada@example.org,Ada Okafor,100001,202,london,primary,mainstream,no,0\n,,,,,,,,\n";
        let r = only_row(text);
        assert_eq!(
            (r.name.as_str(), r.email.as_str()),
            ("Ada Okafor", "ada@example.org")
        );
    }

    #[test]
    fn rows_without_an_id_get_a_new_one_each() {
        let text = format!(
            "{HEADER}\n{GOOD}\nBen Ng,ben.ng@example.org,100002,202,london,primary,mainstream,no,1\n"
        );
        let rows = parse_csv(&text).unwrap();
        assert_ne!(rows[0].reviewer.id, rows[1].reviewer.id);
        assert_eq!((rows[0].line, rows[1].line), (2, 3));
    }

    #[test]
    fn a_bad_urn_is_refused() {
        assert_eq!(
            problems(&[
                GOOD,
                "Ben Ng,ben@example.org,12345,202,london,primary,mainstream,no,1"
            ]),
            [r#"line 3: home_school_urn "12345" must be 6 digits"#]
        );
    }

    #[test]
    fn an_unknown_local_authority_is_refused() {
        assert_eq!(
            problems(&["Ben Ng,ben@example.org,100002,999,london,primary,mainstream,no,1"]),
            [
                r#"line 2: local_authority "999" is not a local authority code in England (3 digits, e.g. 202 for Camden)"#
            ]
        );
    }

    #[test]
    fn an_unknown_phase_is_refused() {
        assert_eq!(
            problems(&["Ben Ng,ben@example.org,100002,202,london,primary;infant,mainstream,no,1"]),
            [
                r#"line 2: phases "infant" is not a known phase; expected one of: nursery, primary, middle, secondary, all_through, post_16"#
            ]
        );
    }

    #[test]
    fn a_bad_date_is_refused() {
        let text = format!("{HEADER},dbs_checked_on\n{GOOD},31/01/2025\n");
        let errors: Vec<String> = parse_csv(&text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errors,
            [r#"line 2: dbs_checked_on "31/01/2025" is not a date in the form YYYY-MM-DD"#]
        );
    }

    #[test]
    fn a_range_ending_before_it_starts_is_refused() {
        let text =
            format!("{HEADER},unavailable\n{GOOD},2027-01-05..2027-01-09;2027-02-10..2027-02-01\n");
        let errors: Vec<String> = parse_csv(&text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errors,
            [r#"line 2: unavailable "2027-02-10..2027-02-01" ends before it starts"#]
        );
    }

    #[test]
    fn a_duplicate_email_is_refused_whatever_its_case() {
        assert_eq!(
            problems(&[
                GOOD,
                "Ada O,ADA.OKAFOR@example.org,100002,202,london,primary,mainstream,no,1"
            ]),
            [r#"line 3: email "ADA.OKAFOR@example.org" is also on line 2"#]
        );
    }

    #[test]
    fn a_duplicate_id_is_refused() {
        let text = "id,name,email,home_school_urn,local_authority,regions,phases,school_types,may_lead,capacity_per_term\n\
            01HZZZZZZZZZZZZZZZZZZZZZZZ,Ada,ada@example.org,100001,202,london,primary,mainstream,no,1\n\
            01HZZZZZZZZZZZZZZZZZZZZZZZ,Ben,ben@example.org,100002,202,london,primary,mainstream,no,1\n";
        let errors: Vec<String> = parse_csv(text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errors,
            [r#"line 3: id "01HZZZZZZZZZZZZZZZZZZZZZZZ" is also on line 2"#]
        );
    }

    #[test]
    fn a_header_missing_a_required_column_is_refused() {
        let text = "name,email,home_school_urn,regions,phases,school_types,may_lead,capacity_per_term\n\
            Ada,ada@example.org,100001,london,primary,mainstream,no,1\n";
        let errors: Vec<String> = parse_csv(text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            errors,
            [r#"line 1: missing required column "local_authority""#]
        );
    }

    #[test]
    fn unknown_and_repeated_columns_are_refused() {
        let text = format!("{HEADER},dbs_checked,Name\n{GOOD},2025-01-01,Ada\n");
        let errors: Vec<String> = parse_csv(&text)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(
            errors[0].starts_with(
                r#"line 1: unknown column "dbs_checked"; the columns are name, email,"#
            )
        );
        assert_eq!(errors[1], r#"line 1: column "name" appears twice"#);
    }

    #[test]
    fn an_empty_name_is_refused() {
        assert_eq!(
            problems(&["  ,ben@example.org,100002,202,london,primary,mainstream,no,1"]),
            ["line 2: name must not be empty"]
        );
    }

    #[test]
    fn other_bad_cells_say_what_is_wrong() {
        assert_eq!(
            problems(&["Ben,ben@@example.org,100002,202,,primary,special school,maybe,11"]),
            [
                r#"line 2: email "ben@@example.org" must be one address, like name@school.sch.uk"#,
                "line 2: regions must not be empty",
                r#"line 2: school_types "special school" is not a known school type; expected one of: mainstream, special, alternative_provision, resourced_provision"#,
                r#"line 2: may_lead "maybe" must be yes or no"#,
                r#"line 2: capacity_per_term "11" must be a whole number from 0 to 10"#,
            ]
        );
        assert_eq!(
            problems(&["Ben,ben @example.org,100002,202,london,primary,mainstream,no,1,extra"]),
            [
                "line 2: has 10 cells but the header has 9 columns (a comma inside a cell needs quotes)",
                r#"line 2: email "ben @example.org" must not contain spaces"#,
            ]
        );
    }

    #[test]
    fn every_bad_row_is_reported_and_nothing_returned() {
        let errors = problems(&[
            "Ben,ben@example.org,12345,202,london,primary,mainstream,no,1",
            GOOD,
            "Cat,cat@example.org,100003,999,london,primary,mainstream,no,1",
        ]);
        assert_eq!(errors.len(), 2);
        assert!(errors[0].starts_with("line 2: home_school_urn"));
        assert!(errors[1].starts_with("line 4: local_authority"));
        assert!(
            parse_csv("").unwrap_err()[0]
                .to_string()
                .starts_with("line 1: the file is empty")
        );
    }

    #[test]
    fn the_profile_item_has_the_documented_keys() {
        let r = only_row(&format!("{HEADER}\n{GOOD}\n"));
        let item = r.to_item();
        assert_eq!(
            get_s(&item, "pk"),
            Some(format!("REVIEWER#{}", r.id).as_str())
        );
        assert_eq!(get_s(&item, "sk"), Some("PROFILE"));
        assert_eq!(get_s(&item, "gsi1pk"), Some("REVIEWER"));
        assert_eq!(
            get_s(&item, "gsi1sk"),
            Some(format!("ada okafor#{}", r.id).as_str())
        );
        // Absent optionals are absent, not empty strings; empty lists are fine in DynamoDB.
        assert!(!item.contains_key("trust") && !item.contains_key("trained_on"));
        assert_eq!(item["specialisms"], AttributeValue::L(vec![]));
        assert_eq!(
            email_pk(" Ada.Okafor@Example.org"),
            "REVIEWER_EMAIL#ada.okafor@example.org"
        );
    }

    #[test]
    fn a_corrupt_item_is_reported_with_its_key() {
        let r = only_row(&format!("{HEADER}\n{GOOD}\n"));
        let mut item = r.to_item();
        item.insert("phases".into(), AttributeValue::L(vec![s("reception")]));
        let error = Reviewer::from_item(&item).unwrap_err().to_string();
        assert!(
            error.starts_with(&format!(
                "stored item REVIEWER#{} is unreadable: phases \"reception\"",
                r.id
            )),
            "{error}"
        );
        item.insert("phases".into(), AttributeValue::L(vec![]));
        assert!(
            Reviewer::from_item(&item)
                .unwrap_err()
                .to_string()
                .ends_with("phases is empty")
        );
    }

    fn reviewer(email: &str) -> Reviewer {
        Reviewer {
            email: email.into(),
            id: Ulid::new(),
            ..only_row(&format!("{HEADER}\n{GOOD}\n"))
        }
    }

    fn stored_email(email: &str, id: Ulid) -> (String, Item) {
        let pk = email_pk(email);
        (
            pk.clone(),
            Item::from([
                ("pk".into(), s(pk)),
                ("reviewer_id".into(), s(id.to_string())),
            ]),
        )
    }

    fn stored_profile(r: &Reviewer) -> (String, Item) {
        let item = r.to_item();
        (profile_pk(r.id), item)
    }

    #[test]
    fn new_reviewers_are_created_with_their_own_id() {
        let r = reviewer("new@example.org");
        let writes = plan_writes(std::slice::from_ref(&r), &HashMap::new()).unwrap();
        assert_eq!(
            writes,
            [ReviewerWrite {
                reviewer: r,
                existed: false,
                old_email_pk: None
            }]
        );
    }

    #[test]
    fn a_known_email_keeps_its_stored_id() {
        let stored = reviewer("ada@example.org");
        let reimported = Reviewer {
            capacity_per_term: 3,
            ..reviewer("ADA@example.org")
        };
        let db = HashMap::from([
            stored_email("ada@example.org", stored.id),
            stored_profile(&stored),
        ]);
        let writes = plan_writes(std::slice::from_ref(&reimported), &db).unwrap();
        assert_eq!(writes[0].reviewer.id, stored.id);
        assert_eq!(writes[0].reviewer.capacity_per_term, 3);
        assert!(writes[0].existed);
        assert_eq!(writes[0].old_email_pk, None);
    }

    #[test]
    fn a_changed_email_replaces_the_old_email_item() {
        let stored = reviewer("ada@old.example.org");
        let moved = Reviewer {
            email: "ada@new.example.org".into(),
            ..stored.clone()
        };
        let db = HashMap::from([
            stored_email("ada@old.example.org", stored.id),
            stored_profile(&stored),
        ]);
        let writes = plan_writes(std::slice::from_ref(&moved), &db).unwrap();
        assert_eq!(writes[0].reviewer, moved);
        assert!(writes[0].existed);
        assert_eq!(
            writes[0].old_email_pk.as_deref(),
            Some("REVIEWER_EMAIL#ada@old.example.org")
        );
    }

    #[test]
    fn an_existing_reviewer_cannot_take_another_ones_email() {
        let ada = reviewer("ada@example.org");
        let ben = reviewer("ben@example.org");
        let db = HashMap::from([
            stored_email("ada@example.org", ada.id),
            stored_profile(&ada),
            stored_email("ben@example.org", ben.id),
            stored_profile(&ben),
        ]);
        let ben_takes_adas = Reviewer {
            email: "ada@example.org".into(),
            ..ben
        };
        assert!(matches!(
            plan_writes(&[ben_takes_adas], &db),
            Err(StoreError::Conflict(_))
        ));
    }

    #[test]
    fn two_rows_for_one_stored_reviewer_are_refused() {
        let ada = reviewer("ada@example.org");
        let db = HashMap::from([
            stored_email("ada@example.org", ada.id),
            stored_profile(&ada),
        ]);
        // The export's row for Ada, plus a row without an id using her address.
        let by_id = Reviewer {
            email: "ada@new.example.org".into(),
            ..ada.clone()
        };
        let by_email = reviewer("ada@example.org");
        assert!(matches!(
            plan_writes(&[by_id, by_email], &db),
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            refuse_duplicates(&[reviewer("x@example.org"), reviewer("X@example.org")]),
            Err(StoreError::Conflict(_))
        ));
    }
}
