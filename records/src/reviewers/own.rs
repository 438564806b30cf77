//! What a reviewer keeps up to date themselves, on their own page: how many reviews a term
//! they can take, the days they are away, the regions they will travel to, and the schools
//! they must not review (each with a reason).
//!
//! These are the profile's own fields (`capacity_per_term`, `unavailable`, `regions`,
//! `conflicts`), so matching and the term plan read exactly what the reviewer saved: a declared
//! conflict rules a pair out through matching's one conflict rule. The reasons are kept beside
//! the profile, in an item of their own (an import overwrites the profile whole):
//!
//! | item      | pk              | sk                   | attributes                          |
//! |-----------|-----------------|----------------------|-------------------------------------|
//! | reasons   | `REVIEWER#<id>` | `DECLARED_CONFLICTS` | `reasons`: map URN -> reason        |
//!
//! A save is versioned by the profile's `revision`: it is one transaction conditional on the
//! revision the page was read at (profile, reasons and audit entry), so a save from an older
//! page, or after the coordinator changed the reviewer, stores nothing and the page shows both
//! versions.

use std::collections::BTreeMap;

use super::*;
use crate::store::Transacted;

const REASONS_SORT_KEY: &str = "DECLARED_CONFLICTS";

/// A school the reviewer must not review, and why (empty when the coordinator recorded it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredConflict {
    pub urn: Urn,
    pub reason: String,
}

/// The fields a reviewer keeps themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnDetails {
    pub capacity_per_term: u8,
    pub unavailable: Vec<DateRange>,
    pub regions: Vec<Region>,
    pub conflicts: Vec<DeclaredConflict>,
}

/// The reviewer's page as sent: text as typed, one region per ticked box.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct OwnDetailsForm {
    pub capacity_per_term: String,
    /// One day (`2027-03-01`) or range (`2027-03-01 to 2027-03-05`) per line.
    pub unavailable: String,
    pub regions: Vec<String>,
    /// One school per line: its URN, then the reason.
    pub conflicts: String,
    /// The profile revision the page was read at.
    pub revision: String,
}

/// A reviewer as their own page reads them: the profile, its revision, and the reasons.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnStored {
    pub stored: StoredReviewer,
    pub details: OwnDetails,
}

/// What [`save_own`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum OwnSaved {
    /// Stored with its audit entry.
    Saved,
    /// Nothing differed from what is stored: nothing was written.
    Unchanged,
    /// Someone saved the reviewer since the page was read: nothing was written. What is
    /// stored now.
    Stale(Box<OwnStored>),
    /// The reviewer is no longer in the pool.
    NotFound,
}

impl OwnDetails {
    /// The details as stored in `reviewer`'s profile, with the reasons kept beside it.
    pub fn of(reviewer: &Reviewer, reasons: &BTreeMap<String, String>) -> Self {
        Self {
            capacity_per_term: reviewer.capacity_per_term,
            unavailable: reviewer.unavailable.clone(),
            regions: reviewer.regions.clone(),
            conflicts: reviewer
                .conflicts
                .iter()
                .map(|urn| DeclaredConflict {
                    urn: urn.clone(),
                    reason: reasons.get(urn.as_str()).cloned().unwrap_or_default(),
                })
                .collect(),
        }
    }

    /// The page's text of each field, as the form shows it.
    pub fn form(&self, revision: &str) -> OwnDetailsForm {
        OwnDetailsForm {
            capacity_per_term: self.capacity_per_term.to_string(),
            unavailable: self
                .unavailable
                .iter()
                .map(|range| {
                    if range.start() == range.end() {
                        format_date(range.start())
                    } else {
                        format!(
                            "{} to {}",
                            format_date(range.start()),
                            format_date(range.end())
                        )
                    }
                })
                .collect::<Vec<_>>()
                .join("\n"),
            regions: self.regions.iter().map(|r| r.as_str().to_owned()).collect(),
            conflicts: self
                .conflicts
                .iter()
                .map(|c| format!("{} {}", c.urn, c.reason).trim_end().to_owned())
                .collect::<Vec<_>>()
                .join("\n"),
            revision: revision.to_owned(),
        }
    }

    /// The profile with these details in place of its own.
    fn applied_to(&self, reviewer: &Reviewer) -> Reviewer {
        Reviewer {
            capacity_per_term: self.capacity_per_term,
            unavailable: self.unavailable.clone(),
            regions: self.regions.clone(),
            conflicts: self.conflicts.iter().map(|c| c.urn.clone()).collect(),
            ..reviewer.clone()
        }
    }
}

fn reasons_of(item: Option<Item>) -> BTreeMap<String, String> {
    item.and_then(|item| item.get("reasons").and_then(|v| v.as_m().ok()).cloned())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|(urn, reason)| Some((urn, reason.as_s().ok()?.clone())))
        .collect()
}

/// Reviewer `id` as their own page shows them, read consistently, if they are in the pool.
pub async fn get_own(table: &Table, id: Ulid) -> Result<Option<OwnStored>, StoreError> {
    let Some(stored) = get(table, id).await? else {
        return Ok(None);
    };
    let reasons = reasons_of(table.get(profile_pk(id), REASONS_SORT_KEY).await?);
    Ok(Some(OwnStored {
        details: OwnDetails::of(&stored.reviewer, &reasons),
        stored,
    }))
}

/// Saves `details` over the profile `based_on` (the page's reading, with the revision it
/// carried), with its audit entry by the reviewer, in one transaction conditional on that
/// revision.
pub async fn save_own(
    table: &Table,
    based_on: &OwnStored,
    revision: &str,
    details: &OwnDetails,
    now: time::OffsetDateTime,
) -> Result<OwnSaved, StoreError> {
    let before = &based_on.stored.reviewer;
    if based_on.stored.revision.as_deref().unwrap_or("") == revision && based_on.details == *details
    {
        return Ok(OwnSaved::Unchanged);
    }
    let reviewer = details.applied_to(before);
    let mut changed: Vec<&str> = [
        (
            "capacity per term",
            before.capacity_per_term != reviewer.capacity_per_term,
        ),
        ("dates away", before.unavailable != reviewer.unavailable),
        ("regions", before.regions != reviewer.regions),
        ("conflicts", based_on.details.conflicts != details.conflicts),
    ]
    .into_iter()
    .filter_map(|(name, differs)| differs.then_some(name))
    .collect();
    if changed.is_empty() {
        changed.push("nothing (saved from an older page)");
    }
    let actor = Actor::new("the reviewer, on their own page", now);
    let entry = actor.entry(
        "reviewer details saved",
        audit_subject(&reviewer),
        format!("changed: {}", changed.join(", ")),
    );
    let write = ReviewerWrite {
        reviewer: reviewer.clone(),
        existed: true,
        old_email_pk: None,
        expected: Expected::Revision((!revision.is_empty()).then(|| revision.to_owned())),
    };
    let mut items = write_items(table, &write, &entry)?;
    let reasons = details
        .conflicts
        .iter()
        .map(|c| (c.urn.to_string(), s(&c.reason)))
        .collect();
    let put = Put::builder()
        .table_name(&table.name)
        .item("pk", s(profile_pk(reviewer.id)))
        .item("sk", s(REASONS_SORT_KEY))
        .item("reasons", AttributeValue::M(reasons))
        .build()
        .expect("table and item are set");
    items.push(TransactWriteItem::builder().put(put).build());
    let outcome = table
        .transact(items)
        .await
        .map_err(|e| dynamo_error("TransactWriteItems", e))?;
    match outcome {
        Transacted::Committed => Ok(OwnSaved::Saved),
        cancelled if cancelled.failed_at(0) => match get_own(table, reviewer.id).await? {
            None => Ok(OwnSaved::NotFound),
            // The same details already stored: this save's first answer was lost, or the form
            // was sent twice. It is saved, not a conflict.
            Some(current) if current.details == *details => Ok(OwnSaved::Saved),
            Some(current) => Ok(OwnSaved::Stale(Box::new(current))),
        },
        Transacted::Cancelled(reasons) => Err(StoreError::Conflict(format!(
            "{} was changed by someone else meanwhile ({}); try again",
            reviewer.email,
            reasons.join(", ")
        ))),
    }
}
