//! When a reviewer's DBS check or training stops being valid for visits, and when they are
//! reminded: [`REMINDER_DAYS`] before, once per check and expiry date (a marker item written
//! with the reminder's email, under the condition that it is not there yet).
//!
//! | item   | pk              | sk                                   |
//! |--------|-----------------|--------------------------------------|
//! | marker | `REVIEWER#<id>` | `REMINDED#<check>#<runs out on>`     |

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use time::{Date, Duration as Days};

use records::domain::format_date;
use records::reviewers::{
    CheckDate, DBS_VALID_FOR_YEARS, Reviewer, TRAINING_VALID_FOR_YEARS, check_date,
};
use records::store::s;

/// Reviewers are reminded this many days before a check stops being valid for visits.
pub const REMINDER_DAYS: i64 = 60;

/// A dated check a reviewer needs for visits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Dbs,
    Training,
}

impl Check {
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Dbs => "dbs",
            Check::Training => "training",
        }
    }

    /// As a sentence names it.
    pub fn label(self) -> &'static str {
        match self {
            Check::Dbs => "enhanced DBS check",
            Check::Training => "reviewer training",
        }
    }
}

/// One check of one reviewer that stops being valid soon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunningOut {
    pub check: Check,
    /// The first day it is no longer valid.
    pub runs_out: Date,
}

/// The checks of `reviewer` that stop being valid within [`REMINDER_DAYS`] of `today` (not
/// those already run out, nor missing ones: the console shows those).
pub fn running_out(reviewer: &Reviewer, today: Date) -> Vec<RunningOut> {
    [
        (Check::Dbs, reviewer.dbs_checked_on, DBS_VALID_FOR_YEARS),
        (
            Check::Training,
            reviewer.trained_on,
            TRAINING_VALID_FOR_YEARS,
        ),
    ]
    .into_iter()
    .filter_map(
        |(check, done_on, years)| match check_date(done_on, years, today) {
            CheckDate::ExpiresSoon(runs_out) | CheckDate::Valid(runs_out)
                if runs_out <= today.saturating_add(Days::days(REMINDER_DAYS)) =>
            {
                Some(RunningOut { check, runs_out })
            }
            _ => None,
        },
    )
    .collect()
}

/// The marker that says `reviewer_id` was reminded of `due`: a put that fails if it is there,
/// so a reminder goes once per check and expiry date, however often the daily task runs.
pub fn reminded_marker(table: &str, reviewer_id: &str, due: &RunningOut) -> TransactWriteItem {
    let put = Put::builder()
        .table_name(table)
        .item("pk", s(format!("REVIEWER#{reviewer_id}")))
        .item(
            "sk",
            s(format!(
                "REMINDED#{}#{}",
                due.check.as_str(),
                format_date(due.runs_out)
            )),
        )
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .expect("table, item and condition are set");
    TransactWriteItem::builder().put(put).build()
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn a_check_is_due_for_its_reminder_from_60_days_before_until_it_runs_out() {
        let mut reviewer = records::matching::fixtures::reviewer(1);
        reviewer.dbs_checked_on = Some(date!(2024 - 09 - 01));
        reviewer.trained_on = None;
        let runs_out = date!(2027 - 09 - 01);
        let due = |today| running_out(&reviewer, today);
        assert_eq!(due(runs_out - Days::days(61)), vec![]);
        assert_eq!(
            due(runs_out - Days::days(60)),
            vec![RunningOut {
                check: Check::Dbs,
                runs_out
            }]
        );
        assert_eq!(due(runs_out - Days::days(1)).len(), 1);
        assert_eq!(due(runs_out), vec![], "run out: the console shows it");
        reviewer.trained_on = Some(date!(2024 - 09 - 20));
        let both = running_out(&reviewer, runs_out - Days::days(10));
        assert_eq!(
            both.iter().map(|d| d.check).collect::<Vec<_>>(),
            [Check::Dbs, Check::Training]
        );
    }
}
