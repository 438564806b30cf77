//! The audit log: every change a coordinator or an administrator makes, written in the same
//! transaction as the change (who, what, about which record, when).
//!
//! | item  | pk                              | sk                  | gsi1pk / gsi1sk          |
//! |-------|---------------------------------|---------------------|--------------------------|
//! | entry | the partition of what it is about | `AUDIT#<at>#<ulid>` | `AUDIT` / `<at>#<ulid>` |
//!
//! An entry lives in the partition of the record it is about (`REQUEST#<ulid>`,
//! `REVIEWER#<ulid>`, `PROGRAMME`, `STAFF`), so it is kept exactly as long as that record: a
//! purge that empties a request's partition takes its entries with it. The index lists the
//! whole log in time order, for the log's own page.

use std::fmt;

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::store::{Item, StoreError, Table, dynamo_error, get_s, s};

const SORT_PREFIX: &str = "AUDIT#";
const INDEX_KEY: &str = "AUDIT";

/// What an entry is about: the partition it is kept in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditSubject {
    /// A request, by its id (the partition) and its reference (what people read).
    Request { id: String, reference: String },
    /// A reviewer, by id and name.
    Reviewer { id: String, name: String },
    /// The programme's settings.
    Programme,
    /// The programme's staff (console accounts).
    Staff,
}

impl AuditSubject {
    fn partition(&self) -> String {
        match self {
            AuditSubject::Request { id, .. } => crate::request::request_pk(id),
            AuditSubject::Reviewer { id, .. } => format!("REVIEWER#{id}"),
            AuditSubject::Programme => "PROGRAMME".to_owned(),
            AuditSubject::Staff => "STAFF".to_owned(),
        }
    }

    /// What people read: a request's reference, a reviewer's name, "programme settings".
    pub fn label(&self) -> &str {
        match self {
            AuditSubject::Request { reference, .. } => reference,
            AuditSubject::Reviewer { name, .. } => name,
            AuditSubject::Programme => "programme settings",
            AuditSubject::Staff => "staff",
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            AuditSubject::Request { .. } => "request",
            AuditSubject::Reviewer { .. } => "reviewer",
            AuditSubject::Programme => "programme",
            AuditSubject::Staff => "staff",
        }
    }
}

/// Who is making a change, and when: the audit entry's author for every write of one action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// A console user's email address, `admin tool (user alice)`, or `demo data`.
    pub who: String,
    pub at: OffsetDateTime,
}

impl Actor {
    pub fn new(who: impl Into<String>, at: OffsetDateTime) -> Self {
        Self {
            who: who.into(),
            at,
        }
    }

    /// The entry recording `action` on `subject` by this actor.
    pub fn entry(
        &self,
        action: impl Into<String>,
        subject: AuditSubject,
        detail: impl Into<String>,
    ) -> AuditEntry {
        AuditEntry {
            at: self.at,
            actor: self.who.clone(),
            action: action.into(),
            subject,
            detail: detail.into(),
        }
    }
}

/// One change, as the log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: OffsetDateTime,
    /// Who: a console user's email address, or the admin tool and the operating-system user.
    pub actor: String,
    /// What, in a word or two, e.g. `settings changed`, `request withdrawn`.
    pub action: String,
    pub subject: AuditSubject,
    /// The change in one line, e.g. `offer_expiry_days: 5 → 7`. No tokens, no evidence.
    pub detail: String,
}

impl AuditEntry {
    /// The put that records this entry, to go in the same transaction as the change.
    pub fn transact_put(&self, table: &Table) -> Result<TransactWriteItem, StoreError> {
        let at = self.at.format(&Rfc3339).map_err(|e| StoreError::Corrupt {
            key: "AUDIT".to_owned(),
            reason: e.to_string(),
        })?;
        // Fixed width, so the sort keys sort in time order (RFC 3339 trims trailing zeros).
        let sortable = self
            .at
            .to_offset(time::UtcOffset::UTC)
            .format(time::macros::format_description!(
                "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
            ))
            .map_err(|e| StoreError::Corrupt {
                key: "AUDIT".to_owned(),
                reason: e.to_string(),
            })?;
        let unique = format!("{sortable}#{}", ulid::Ulid::new());
        let mut item = Item::from([
            ("pk".to_owned(), s(self.subject.partition())),
            ("sk".to_owned(), s(format!("{SORT_PREFIX}{unique}"))),
            ("gsi1pk".to_owned(), s(INDEX_KEY)),
            ("gsi1sk".to_owned(), s(unique)),
            ("at".to_owned(), s(at)),
            ("actor".to_owned(), s(&self.actor)),
            ("action".to_owned(), s(&self.action)),
            ("subject_kind".to_owned(), s(self.subject.kind())),
            ("subject_label".to_owned(), s(self.subject.label())),
            ("detail".to_owned(), s(&self.detail)),
        ]);
        if let AuditSubject::Request { id, .. } | AuditSubject::Reviewer { id, .. } = &self.subject
        {
            item.insert("subject_id".to_owned(), s(id));
        }
        let put = Put::builder()
            .table_name(&table.name)
            .set_item(Some(item))
            .build()
            .map_err(|e| StoreError::Corrupt {
                key: "AUDIT".to_owned(),
                reason: e.to_string(),
            })?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn from_item(item: &Item) -> Result<Self, StoreError> {
        let corrupt = |reason: &str| StoreError::Corrupt {
            key: format!(
                "{}/{}",
                get_s(item, "pk").unwrap_or("?"),
                get_s(item, "sk").unwrap_or("?")
            ),
            reason: reason.to_owned(),
        };
        let text = |name: &str| {
            get_s(item, name)
                .map(str::to_owned)
                .ok_or_else(|| corrupt(&format!("{name} is missing")))
        };
        let at = OffsetDateTime::parse(&text("at")?, &Rfc3339)
            .map_err(|_| corrupt("at is not a time"))?;
        let label = text("subject_label")?;
        let subject = match text("subject_kind")?.as_str() {
            "request" => AuditSubject::Request {
                id: text("subject_id")?,
                reference: label,
            },
            "reviewer" => AuditSubject::Reviewer {
                id: text("subject_id")?,
                name: label,
            },
            "programme" => AuditSubject::Programme,
            "staff" => AuditSubject::Staff,
            _ => return Err(corrupt("subject_kind is unknown")),
        };
        Ok(Self {
            at,
            actor: text("actor")?,
            action: text("action")?,
            subject,
            detail: text("detail")?,
        })
    }
}

impl fmt::Display for AuditEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.at.format(&Rfc3339).map_err(|_| fmt::Error)?;
        write!(
            f,
            "{at}  {}  {}  {}  {}",
            self.actor,
            self.action,
            self.subject.label(),
            self.detail
        )
    }
}

/// The entries about one record, oldest first.
pub async fn about(table: &Table, subject: &AuditSubject) -> Result<Vec<AuditEntry>, StoreError> {
    table
        .partition_items(&subject.partition(), Some(SORT_PREFIX))
        .await
        .map_err(|e| dynamo_error("Query", e))?
        .iter()
        .map(AuditEntry::from_item)
        .collect()
}

/// The whole log, oldest first (one index query).
pub async fn log(table: &Table) -> Result<Vec<AuditEntry>, StoreError> {
    table
        .index_items(INDEX_KEY, None)
        .await
        .map_err(|e| dynamo_error("Query", e))?
        .iter()
        .map(AuditEntry::from_item)
        .collect()
}

/// The kinds of subject the log's page filters by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditKind {
    Request,
    Reviewer,
    Settings,
    Staff,
}

impl AuditKind {
    pub const ALL: [AuditKind; 4] = [
        AuditKind::Request,
        AuditKind::Reviewer,
        AuditKind::Settings,
        AuditKind::Staff,
    ];

    /// The filter's value in a link (`request`, `reviewer`, `settings`, `staff`).
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::Request => "request",
            AuditKind::Reviewer => "reviewer",
            AuditKind::Settings => "settings",
            AuditKind::Staff => "staff",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// The stored `subject_kind` of entries of this kind.
    fn stored(self) -> &'static str {
        match self {
            AuditKind::Request => "request",
            AuditKind::Reviewer => "reviewer",
            AuditKind::Settings => "programme",
            AuditKind::Staff => "staff",
        }
    }
}

/// Which entries the log's page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub kind: Option<AuditKind>,
    /// Entries whose author contains this text (case as stored: authors are email addresses,
    /// kept as Cognito gives them).
    pub actor: Option<String>,
}

/// One page of the log, newest first, and where the next (older) page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for the next page; `None` on the last page.
    pub next: Option<String>,
}

/// Whether `text` can be a page's `before` (an index sort key of an entry): links are typed by
/// people and tools, so a bad one is refused, not sent to the table.
pub fn is_page_start(text: &str) -> bool {
    text.len() <= 64
        && !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-:.#TZ".contains(&b))
}

/// Up to `size` entries matching `filter`, newest first, older than `before` when given: one
/// index query (its pages followed until the page is full), no scan.
pub async fn newest(
    table: &Table,
    filter: &AuditFilter,
    before: Option<&str>,
    size: usize,
) -> Result<AuditPage, StoreError> {
    let size = size.max(1);
    let mut query = table
        .client
        .query()
        .table_name(&table.name)
        .index_name(crate::store::GSI1)
        .scan_index_forward(false)
        .expression_attribute_values(":key", s(INDEX_KEY));
    query = match before {
        Some(before) => query
            .key_condition_expression("gsi1pk = :key AND gsi1sk < :before")
            .expression_attribute_values(":before", s(before)),
        None => query.key_condition_expression("gsi1pk = :key"),
    };
    let mut conditions = Vec::new();
    if let Some(kind) = filter.kind {
        conditions.push("subject_kind = :kind");
        query = query.expression_attribute_values(":kind", s(kind.stored()));
    }
    if let Some(actor) = &filter.actor {
        conditions.push("contains(actor, :actor)");
        query = query.expression_attribute_values(":actor", s(actor));
    }
    if !conditions.is_empty() {
        query = query.filter_expression(conditions.join(" AND "));
    }
    // One more than the page, to know whether there is a next one.
    let mut found: Vec<Item> = Vec::new();
    let mut start_key = None;
    loop {
        let page = query
            .clone()
            .limit(i32::try_from(size + 1).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start_key)
            .send()
            .await
            .map_err(|e| dynamo_error("Query", e))?;
        found.extend(page.items.unwrap_or_default());
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() && found.len() <= size => start_key = Some(key),
            _ => break,
        }
    }
    let next = (found.len() > size)
        .then(|| get_s(&found[size - 1], "gsi1sk").map(str::to_owned))
        .flatten();
    found.truncate(size);
    Ok(AuditPage {
        entries: found
            .iter()
            .map(AuditEntry::from_item)
            .collect::<Result<_, _>>()?,
        next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(subject: AuditSubject) -> AuditEntry {
        AuditEntry {
            at: time::macros::datetime!(2030-01-02 03:04:05 UTC),
            actor: "coordinator@la.example".into(),
            action: "settings changed".into(),
            subject,
            detail: "offer_expiry_days: 5 → 7".into(),
        }
    }

    #[test]
    fn an_entry_reads_back_from_its_item() {
        for subject in [
            AuditSubject::Programme,
            AuditSubject::Staff,
            AuditSubject::Request {
                id: "01J0000000000000000000000A".into(),
                reference: "SR-7K3M-Q9".into(),
            },
            AuditSubject::Reviewer {
                id: "01J0000000000000000000000B".into(),
                name: "Ada Okafor".into(),
            },
        ] {
            let entry = entry(subject);
            let put = entry
                .transact_put(&Table {
                    client: aws_sdk_dynamodb::Client::from_conf(
                        aws_sdk_dynamodb::Config::builder()
                            .behavior_version(aws_sdk_dynamodb::config::BehaviorVersion::latest())
                            .build(),
                    ),
                    name: "t".into(),
                })
                .unwrap();
            let item = put.put().unwrap().item().clone();
            assert_eq!(get_s(&item, "pk"), Some(entry.subject.partition().as_str()));
            assert!(
                get_s(&item, "sk")
                    .unwrap()
                    .starts_with("AUDIT#2030-01-02T03:04:05.000000Z#")
            );
            assert_eq!(get_s(&item, "gsi1pk"), Some("AUDIT"));
            assert_eq!(AuditEntry::from_item(&item).unwrap(), entry);
        }
    }

    #[test]
    fn a_page_start_is_an_index_sort_key_and_nothing_else() {
        assert!(is_page_start(
            "2030-01-02T03:04:05.000000Z#01J0000000000000000000000A"
        ));
        assert!(!is_page_start(""));
        assert!(!is_page_start("2030-01-02 03:04"));
        assert!(!is_page_start(&"1".repeat(65)));
        for kind in AuditKind::ALL {
            assert_eq!(AuditKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(AuditKind::parse("programme"), None);
    }

    #[test]
    fn an_entry_prints_on_one_line() {
        assert_eq!(
            entry(AuditSubject::Programme).to_string(),
            "2030-01-02T03:04:05Z  coordinator@la.example  settings changed  programme settings  offer_expiry_days: 5 → 7"
        );
    }
}
