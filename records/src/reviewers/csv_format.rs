//! The reviewer pool's CSV format (see the parent module's table): reading an imported file
//! into reviewers, each problem on its own line and column, and writing the pool back out.

use super::*;

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
    // The csv reader numbers lines one short after CRLF endings, so a spreadsheet's
    // (or a browser text box's) file would name the line before the bad one.
    let text = text.replace("\r\n", "\n");
    let text = text.as_str();
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

/// Parses one reviewer from a form's fields, named like the file's columns (`id` is ignored:
/// the caller says which reviewer it is). The same rules as a row of a file; each problem
/// names its field (`column`), and `line` is 0.
pub fn parse_fields(fields: &[(&'static str, &str)]) -> Result<Reviewer, Vec<RowError>> {
    let known: Vec<(&'static str, &str)> = fields
        .iter()
        .copied()
        .filter(|(name, _)| *name != "id" && EXPORT_COLUMNS.contains(name))
        .collect();
    let header = csv::StringRecord::from(known.iter().map(|(n, _)| *n).collect::<Vec<_>>());
    let record = csv::StringRecord::from(known.iter().map(|(_, v)| *v).collect::<Vec<_>>());
    let columns = Columns::from_header(&header)?;
    let mut cells = Cells {
        record: &record,
        columns: &columns,
        line: 0,
        errors: Vec::new(),
    };
    let reviewer = read_row(&mut cells);
    match reviewer {
        Some(reviewer) if cells.errors.is_empty() => Ok(reviewer),
        _ => Err(cells.errors),
    }
}

/// The columns of [`to_csv`] and the cells of one reviewer in them: what a form shows.
pub fn fields_of(reviewer: &Reviewer) -> Vec<(&'static str, String)> {
    let text = to_csv(std::slice::from_ref(reviewer));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let record = reader
        .records()
        .next()
        .and_then(Result::ok)
        .unwrap_or_default();
    EXPORT_COLUMNS
        .iter()
        .zip(record.iter())
        .map(|(column, cell)| (*column, cell.to_owned()))
        .collect()
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

pub(super) fn parse_id(text: &str) -> Result<Ulid, String> {
    Ulid::from_string(text).map_err(|_| {
        format!("{text:?} is not a reviewer id (26 letters and digits); leave it empty for a new reviewer")
    })
}

pub(super) fn parse_name(text: &str) -> Result<String, String> {
    if text.chars().any(char::is_control) {
        return Err(format!("{text:?} must not contain control characters"));
    }
    Ok(text.to_owned())
}

// TODO(EmailAddress): replace with the EmailAddress type's parser.
pub(super) fn check_email(text: &str) -> Result<String, String> {
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

/// A capacity per term: a whole number from 0 to [`MAX_CAPACITY_PER_TERM`].
pub fn parse_capacity(text: &str) -> Result<u8, String> {
    text.parse()
        .ok()
        .filter(|c| *c <= MAX_CAPACITY_PER_TERM)
        .ok_or_else(|| format!("{text:?} must be a whole number from 0 to {MAX_CAPACITY_PER_TERM}"))
}
