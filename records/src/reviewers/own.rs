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
use crate::domain::request::FieldError;
use crate::store::Transacted;

const REASONS_SORT_KEY: &str = "DECLARED_CONFLICTS";
/// Longest reason a reviewer may give for a conflict.
pub const MAX_REASON_CHARS: usize = 200;
/// Most schools one reviewer may declare (a page's worth; the coordinator's import has no cap).
pub const MAX_DECLARED_CONFLICTS: usize = 50;
/// Most unavailable ranges one reviewer may give.
pub const MAX_UNAVAILABLE_RANGES: usize = 60;

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

impl OwnDetailsForm {
    /// The details, or every field's problem (ids of the page's fields). `own_school` is the
    /// reviewer's home school: always a conflict, never declared.
    pub fn parse(&self, own_school: &Urn) -> Result<OwnDetails, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field, message: String| errors.push(FieldError { field, message });
        let capacity = csv_format::parse_capacity(self.capacity_per_term.trim())
            .map_err(|e| fail("capacity_per_term", format!("Reviews per term: {e}")))
            .ok();
        let mut unavailable = Vec::new();
        for (number, line) in lines(&self.unavailable) {
            match line.replace(" to ", "..").parse::<DateRange>() {
                Ok(range) if !unavailable.contains(&range) => unavailable.push(range),
                Ok(_) => {}
                Err(e) => {
                    fail(
                        "unavailable",
                        format!(
                            "Dates you are away, line {number}: {e}; write a day as 2027-03-01 or a range as 2027-03-01 to 2027-03-05"
                        ),
                    );
                    break;
                }
            }
        }
        if unavailable.len() > MAX_UNAVAILABLE_RANGES {
            fail(
                "unavailable",
                format!("Dates you are away: give at most {MAX_UNAVAILABLE_RANGES} lines"),
            );
        }
        let mut regions = Vec::new();
        for text in &self.regions {
            match text.parse::<Region>() {
                Ok(region) if !regions.contains(&region) => regions.push(region),
                Ok(_) => {}
                Err(_) => {
                    fail("regions", format!("Regions: {text:?} is not a region"));
                    break;
                }
            }
        }
        if regions.is_empty() && self.regions.is_empty() {
            fail(
                "regions",
                "Regions: choose at least one region you will travel to".into(),
            );
        }
        let mut conflicts: Vec<DeclaredConflict> = Vec::new();
        for (number, line) in lines(&self.conflicts) {
            let (urn, reason) = line
                .split_once(char::is_whitespace)
                .map(|(urn, reason)| (urn, reason.trim()))
                .unwrap_or((line, ""));
            let problem = match urn.trim_end_matches([':', ',']).parse::<Urn>() {
                Err(e) => Some(format!("{e}")),
                Ok(urn) if urn == *own_school => {
                    Some("that is your own school, which you never review anyway".into())
                }
                Ok(_) if reason.is_empty() => {
                    Some("give a reason after the URN, e.g. 123456 my sister teaches there".into())
                }
                Ok(_) if reason.chars().count() > MAX_REASON_CHARS => Some(format!(
                    "the reason is longer than {MAX_REASON_CHARS} characters"
                )),
                Ok(_) if reason.chars().any(char::is_control) => {
                    Some("the reason must be plain text".into())
                }
                Ok(urn) => {
                    if !conflicts.iter().any(|c| c.urn == urn) {
                        conflicts.push(DeclaredConflict {
                            urn,
                            reason: reason.to_owned(),
                        });
                    }
                    None
                }
            };
            if let Some(problem) = problem {
                fail(
                    "conflicts",
                    format!("Schools you must not review, line {number}: {problem}"),
                );
                break;
            }
        }
        if conflicts.len() > MAX_DECLARED_CONFLICTS {
            fail(
                "conflicts",
                format!("Schools you must not review: give at most {MAX_DECLARED_CONFLICTS}"),
            );
        }
        match capacity {
            Some(capacity_per_term) if errors.is_empty() => Ok(OwnDetails {
                capacity_per_term,
                unavailable,
                regions,
                conflicts,
            }),
            _ => Err(errors),
        }
    }
}

/// The non-blank lines of a text box, trimmed, numbered from 1.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .map(str::trim)
        .enumerate()
        .filter(|(_, line)| !line.is_empty())
        .map(|(i, line)| (i + 1, line))
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

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    fn form(
        capacity: &str,
        unavailable: &str,
        regions: &[&str],
        conflicts: &str,
    ) -> OwnDetailsForm {
        OwnDetailsForm {
            capacity_per_term: capacity.into(),
            unavailable: unavailable.into(),
            regions: regions.iter().map(|r| (*r).to_owned()).collect(),
            conflicts: conflicts.into(),
            revision: String::new(),
        }
    }

    fn own() -> Urn {
        "100001".parse().unwrap()
    }

    #[test]
    fn a_good_form_reads_as_details_and_shows_again_as_typed() {
        let sent = form(
            " 2 ",
            "2027-03-01 to 2027-03-05\n\n2027-04-02\n2027-04-02",
            &["london", "south_east", "london"],
            "123456 My sister teaches there\n654321: governor",
        );
        let details = sent.parse(&own()).unwrap();
        assert_eq!(details.capacity_per_term, 2);
        assert_eq!(
            details.unavailable,
            vec![
                DateRange::new(date!(2027 - 03 - 01), date!(2027 - 03 - 05)).unwrap(),
                DateRange::day(date!(2027 - 04 - 02)),
            ]
        );
        assert_eq!(details.regions, vec![Region::London, Region::SouthEast]);
        assert_eq!(details.conflicts[0].reason, "My sister teaches there");
        assert_eq!(details.conflicts[1].urn.as_str(), "654321");
        let shown = details.form("r1");
        assert_eq!(shown.unavailable, "2027-03-01 to 2027-03-05\n2027-04-02");
        assert_eq!(shown.parse(&own()).unwrap(), details);
    }

    #[test]
    fn each_bad_field_gets_its_own_error_naming_the_line() {
        let errors = form(
            "eleven",
            "2027-03-01\n2027-03-09 to 2027-03-05",
            &[],
            "12345 typo\n",
        )
        .parse(&own())
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            ["capacity_per_term", "unavailable", "regions", "conflicts"]
        );
        assert!(
            errors[1].message.contains("line 2"),
            "{}",
            errors[1].message
        );
        assert!(
            errors[3].message.contains("line 1"),
            "{}",
            errors[3].message
        );

        let no_reason = form("1", "", &["london"], "123456")
            .parse(&own())
            .unwrap_err();
        assert!(no_reason[0].message.contains("give a reason"));
        let own_school = form("1", "", &["london"], "100001 mine")
            .parse(&own())
            .unwrap_err();
        assert!(own_school[0].message.contains("your own school"));
        let bad_region = form("1", "", &["atlantis"], "").parse(&own()).unwrap_err();
        assert_eq!(bad_region[0].field, "regions");
    }
}
