//! One reviewer at a time, as the console adds and edits them: read with the profile's
//! revision, saved only if nobody saved since (a conditional write with its audit entry), and
//! what the pool page shows about them (checks about to run out, bookings per term).

use time::Duration as Days;

use super::*;
use crate::store::Transacted;

/// An enhanced DBS check older than this many years is out of date (matching refuses it).
pub const DBS_VALID_FOR_YEARS: i32 = 3;
/// Reviewer training older than this many years is due to be refreshed. An assumption of the
/// console's (matching only asks that a reviewer was trained): it is shown, never enforced.
pub const TRAINING_VALID_FOR_YEARS: i32 = 3;
/// A check running out within this many days is shown as expiring soon.
pub const EXPIRY_WARNING_DAYS: i64 = 90;

/// A reviewer as stored, with the revision an edit must start from (`None` for a profile
/// written before revisions were kept).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredReviewer {
    pub reviewer: Reviewer,
    pub revision: Option<String>,
}

/// What the stored profile must be for a save to go ahead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// Anything (an import: the last file wins).
    Any,
    /// No profile yet: a new reviewer.
    New,
    /// The revision the edit page was read at.
    Revision(Option<String>),
}

/// What [`save`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    /// Saved with its audit entry.
    Saved,
    /// The form changed nothing: nothing was written.
    Unchanged,
    /// Someone saved the reviewer (or deactivated them) since the page was read: nothing was
    /// written.
    Stale,
    /// Another reviewer has this email address: nothing was written.
    EmailTaken,
}

/// Reviewer `id` with their revision, read consistently, if they exist.
pub async fn get(table: &Table, id: Ulid) -> Result<Option<StoredReviewer>, StoreError> {
    let Some(item) = table.get(profile_pk(id), PROFILE_SORT_KEY).await? else {
        return Ok(None);
    };
    Ok(Some(StoredReviewer {
        reviewer: Reviewer::from_item(&item)?,
        revision: get_s(&item, "revision").map(str::to_owned),
    }))
}

/// Saves one reviewer, added (`previous` is `None`, `expected` is [`Expected::New`]) or edited
/// (`previous` is the profile the page showed), with its audit entry by `actor`, in one
/// transaction conditional on `expected`.
pub async fn save(
    table: &Table,
    reviewer: &Reviewer,
    previous: Option<&Reviewer>,
    expected: Expected,
    actor: &Actor,
) -> Result<Saved, StoreError> {
    let entry = match previous {
        None => actor.entry(
            "reviewer added",
            audit_subject(reviewer),
            "added in the console",
        ),
        Some(previous) => {
            let changed = changed_fields(previous, reviewer);
            if changed.is_empty() {
                return Ok(Saved::Unchanged);
            }
            actor.entry(
                "reviewer edited",
                audit_subject(reviewer),
                format!("changed: {}", changed.join(", ")),
            )
        }
    };
    let write = ReviewerWrite {
        reviewer: reviewer.clone(),
        existed: previous.is_some(),
        old_email_pk: previous
            .map(|p| email_pk(&p.email))
            .filter(|old| *old != email_pk(&reviewer.email)),
        expected,
    };
    let outcome = table
        .transact(write_items(table, &write, &entry)?)
        .await
        .map_err(|e| dynamo_error("TransactWriteItems", e))?;
    Ok(match outcome {
        Transacted::Committed => Saved::Saved,
        cancelled if cancelled.failed_at(1) => Saved::EmailTaken,
        cancelled if cancelled.failed_at(0) || cancelled.failed_at(2) => Saved::Stale,
        Transacted::Cancelled(reasons) => {
            return Err(StoreError::Conflict(format!(
                "{} was changed by someone else meanwhile ({}); try again",
                reviewer.email,
                reasons.join(", ")
            )));
        }
    })
}

/// The columns whose cells differ between two versions of a reviewer (names only: the log
/// says what changed, not the personal data itself).
fn changed_fields(before: &Reviewer, after: &Reviewer) -> Vec<&'static str> {
    fields_of(before)
        .into_iter()
        .zip(fields_of(after))
        .filter(|((_, old), (_, new))| old != new)
        .map(|((column, _), _)| column)
        .collect()
}

/// A dated check (DBS, training) against its validity, on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckDate {
    /// None on record.
    Missing,
    /// Ran out on this day (or before today).
    Expired(Date),
    /// Runs out on this day, within [`EXPIRY_WARNING_DAYS`].
    ExpiresSoon(Date),
    /// In date until this day.
    Valid(Date),
}

/// How a check done on `done_on`, valid for `valid_years`, stands on `today`.
pub fn check_date(done_on: Option<Date>, valid_years: i32, today: Date) -> CheckDate {
    let Some(done_on) = done_on else {
        return CheckDate::Missing;
    };
    let year = done_on.year() + valid_years;
    // 29 February runs out on 28 February of a year that has none.
    let runs_out = done_on
        .replace_year(year)
        .or_else(|_| Date::from_calendar_date(year, done_on.month(), 28))
        .unwrap_or(Date::MAX);
    if runs_out <= today {
        CheckDate::Expired(runs_out)
    } else if runs_out <= today.saturating_add(Days::days(EXPIRY_WARNING_DAYS)) {
        CheckDate::ExpiresSoon(runs_out)
    } else {
        CheckDate::Valid(runs_out)
    }
}

/// Reviews booked per reviewer and term (the term's name as the booking counters are kept,
/// e.g. `autumn term 2026`): a missing counter is none booked. One batch read per 100 pairs.
pub async fn term_bookings(
    table: &Table,
    reviewers: &[Ulid],
    terms: &[String],
) -> Result<HashMap<(Ulid, String), u32>, StoreError> {
    let keys = reviewers
        .iter()
        .flat_map(|id| {
            terms
                .iter()
                .map(move |term| (profile_pk(*id), term_sk(term)))
        })
        .collect::<Vec<_>>();
    let mut booked = HashMap::new();
    for item in table.batch_get(&keys, &["pk", "sk", "booked"]).await? {
        let id = get_s(&item, "pk")
            .and_then(|pk| pk.strip_prefix(PROFILE_PREFIX))
            .and_then(|id| Ulid::from_string(id).ok());
        let term = get_s(&item, "sk").and_then(|sk| sk.strip_prefix(TERM_PREFIX));
        let count = item
            .get("booked")
            .and_then(|v| v.as_n().ok())
            .and_then(|v| v.parse().ok());
        if let (Some(id), Some(term), Some(count)) = (id, term, count) {
            booked.insert((id, term.to_owned()), count);
        }
    }
    Ok(booked)
}

/// The sort key of a reviewer's booking counter for a term (kept by the offers workflow).
const TERM_PREFIX: &str = "TERM#";

fn term_sk(term: &str) -> String {
    format!("{TERM_PREFIX}{term}")
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn a_check_runs_out_after_its_years_and_warns_90_days_before() {
        let today = date!(2030 - 06 - 01);
        assert_eq!(check_date(None, 3, today), CheckDate::Missing);
        assert_eq!(
            check_date(Some(date!(2027 - 06 - 01)), 3, today),
            CheckDate::Expired(date!(2030 - 06 - 01))
        );
        assert_eq!(
            check_date(Some(date!(2027 - 08 - 30)), 3, today),
            CheckDate::ExpiresSoon(date!(2030 - 08 - 30))
        );
        assert_eq!(
            check_date(Some(date!(2027 - 08 - 31)), 3, today),
            CheckDate::Valid(date!(2030 - 08 - 31))
        );
        assert_eq!(
            check_date(Some(date!(2028 - 02 - 29)), 3, today),
            CheckDate::Valid(date!(2031 - 02 - 28))
        );
    }
}
