//! The counters items and their markers in the table.
//!
//! | item            | pk                         | sk       | TTL                          |
//! |-----------------|----------------------------|----------|------------------------------|
//! | a term's counts | `INSIGHTS#<term key>`      | `COUNTS` | none                         |
//! | the programme's | `INSIGHTS#programme`       | `COUNTS` | none                         |
//! | a marker        | `INSIGHTS_MARK#<event id>` | `EVENT`  | a week (past stream retries) |
//! | a milestone     | `INSIGHTS_MARK#<request>`  | `booked` | three years (past any purge) |
//!
//! A tally is applied in one transaction with its marker's `attribute_not_exists` put: a
//! re-delivered stream record, or a milestone reached again, finds the marker and adds nothing.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use records::domain::calendar::Term;
use records::store::{Item, StoreError, Table, Transacted, dynamo_error, n, s};
use time::{Duration, OffsetDateTime};

use crate::counters::Counts;
use crate::tally::{Scope, Tally};

pub const COUNTS_SK: &str = "COUNTS";
pub const COUNTS_PREFIX: &str = "INSIGHTS#";
pub const MARKER_PREFIX: &str = "INSIGHTS_MARK#";
const EVENT_MARKER_TTL: Duration = Duration::days(7);
const MILESTONE_MARKER_TTL: Duration = Duration::days(3 * 365);

pub fn counts_pk(scope: &Scope) -> String {
    match scope {
        Scope::Term(term) => format!("{COUNTS_PREFIX}{}", term.key()),
        Scope::Programme => format!("{COUNTS_PREFIX}programme"),
    }
}

/// Applies `tally` unless its marker says it was; whether it added anything.
pub async fn apply(table: &Table, tally: &Tally, now: OffsetDateTime) -> Result<bool, StoreError> {
    let mut update = Update::builder()
        .table_name(&table.name)
        .key("pk", s(counts_pk(&tally.scope)))
        .key("sk", s(COUNTS_SK));
    let mut adds = Vec::new();
    let mut deletes = Vec::new();
    for (i, (counter, by)) in tally.adds.iter().filter(|(_, by)| **by != 0).enumerate() {
        update = update
            .expression_attribute_names(format!("#c{i}"), counter)
            .expression_attribute_values(format!(":c{i}"), n(by));
        adds.push(format!("#c{i} :c{i}"));
    }
    for (i, (set, name, added)) in tally.names.iter().enumerate() {
        update = update
            .expression_attribute_names(format!("#s{i}"), set)
            .expression_attribute_values(format!(":s{i}"), AttributeValue::Ss(vec![name.clone()]));
        if *added {
            adds.push(format!("#s{i} :s{i}"));
        } else {
            deletes.push(format!("#s{i} :s{i}"));
        }
    }
    if adds.is_empty() && deletes.is_empty() {
        return Ok(false);
    }
    let mut expression = String::new();
    if !adds.is_empty() {
        expression.push_str(&format!("ADD {}", adds.join(", ")));
    }
    if !deletes.is_empty() {
        expression.push_str(&format!(" DELETE {}", deletes.join(", ")));
    }
    let (marker_key, marker_sk) = &tally.marker;
    let ttl = if marker_sk == "EVENT" {
        EVENT_MARKER_TTL
    } else {
        MILESTONE_MARKER_TTL
    };
    let marker = Item::from([
        ("pk".into(), s(format!("{MARKER_PREFIX}{marker_key}"))),
        ("sk".into(), s(marker_sk)),
        ("expires_at".into(), n((now + ttl).unix_timestamp())),
    ]);
    let items = vec![
        TransactWriteItem::builder()
            .update(
                update
                    .update_expression(expression.trim())
                    .build()
                    .expect("complete update"),
            )
            .build(),
        TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name(&table.name)
                    .set_item(Some(marker))
                    .condition_expression("attribute_not_exists(pk)")
                    .build()
                    .expect("complete put"),
            )
            .build(),
    ];
    match table.transact(items).await {
        Ok(Transacted::Committed) => Ok(true),
        Ok(cancelled) if cancelled.failed_at(1) => Ok(false),
        Ok(Transacted::Cancelled(reasons)) => Err(StoreError::Dynamo {
            operation: "TransactWriteItems",
            detail: format!(
                "counters not updated ({}); the record will be retried",
                reasons.join(", ")
            ),
        }),
        Err(err) => Err(dynamo_error("TransactWriteItems", err)),
    }
}

/// What a period's figures are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Term(Term),
    /// The school year starting in September of this year: its autumn, spring and summer terms.
    Year(i32),
}

impl Period {
    pub fn terms(self) -> Vec<Term> {
        match self {
            Period::Term(term) => vec![term],
            Period::Year(year) => vec![
                Term::Autumn(year),
                Term::Spring(year + 1),
                Term::Summer(year + 1),
            ],
        }
    }

    /// `autumn-2026`, or `year-2026` for 2026 to 2027.
    pub fn key(self) -> String {
        match self {
            Period::Term(term) => term.key(),
            Period::Year(year) => format!("year-{year}"),
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        if let Some(year) = key.strip_prefix("year-") {
            let year: i32 = year.parse().ok().filter(|y| (2000..=2200).contains(y))?;
            return Some(Period::Year(year));
        }
        Term::from_key(key).map(Period::Term)
    }

    /// The school year a date's term belongs to.
    pub fn year_of(term: Term) -> Period {
        match term {
            Term::Autumn(year) => Period::Year(year),
            Term::Spring(year) | Term::Summer(year) => Period::Year(year - 1),
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Period::Term(term) => write!(f, "{term}"),
            Period::Year(year) => write!(f, "school year {year} to {}", year + 1),
        }
    }
}

/// The keys the figures of `period` are read from: its terms' items, then the programme's.
pub fn keys_of(period: Period) -> Vec<(String, String)> {
    period
        .terms()
        .into_iter()
        .map(|term| counts_pk(&Scope::Term(term)))
        .chain([counts_pk(&Scope::Programme)])
        .map(|pk| (pk, COUNTS_SK.to_owned()))
        .collect()
}

/// The figures of `period`: a few reads by key, however many requests are behind them.
pub async fn load(table: &Table, period: Period) -> Result<Counts, StoreError> {
    let mut counts = Counts::default();
    for (pk, sk) in keys_of(period) {
        if let Some(item) = table.get(pk, sk).await? {
            counts.merge(&counts_of(&item));
        }
    }
    Ok(counts)
}

/// The counters of one stored item.
pub fn counts_of(item: &Item) -> Counts {
    let mut counts = Counts::default();
    for (name, value) in item {
        match value {
            AttributeValue::N(number) => {
                if let Ok(number) = number.parse() {
                    counts.numbers.insert(name.clone(), number);
                }
            }
            AttributeValue::Ss(names) => {
                counts
                    .names
                    .insert(name.clone(), names.iter().cloned().collect());
            }
            _ => {}
        }
    }
    counts
}
