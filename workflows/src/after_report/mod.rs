//! Acting on a final report, from the school's status page:
//!
//! - [`action_plan`]: each recommendation becomes a row the school keeps up to date (owner,
//!   target date, status, notes), saved like the self-evaluation (versioned, never silently
//!   overwritten); the scheduled function asks the school once a term to update it;
//! - [`follow_up`]: the school asks for a follow-up visit, a new request that goes through
//!   intake and matching again, preferring the original lead, to review progress on each
//!   recommendation;
//! - [`sharing`]: the school emails the report's PDF to whom it chooses (nobody else gets it);
//! - [`signposting`]: with its consent, the school sees other consenting schools whose reports
//!   found strength where its own says "even better if".
//!
//! A report is final when `crate::report::store`'s item says so; nothing here changes the
//! report.
//!
//! | item | pk | sk |
//! |---|---|---|
//! | action plan | `REQUEST#<id>` | `ACTION_PLAN` (`records::versioned`) |
//! | termly reminder sweep | `ACTION_PLAN_REMINDERS` | `TERM#<year>-<term>` |
//! | strength index | `SIGNPOST#<focus area>` | `<request id>` |

pub mod action_plan;
pub mod follow_up;
pub mod sharing;
pub mod signposting;

use crate::report::store as report_store;
use crate::report::store::StoredReport;
use records::store::{StoreError, Table};

/// The request's report, if it is final.
pub async fn final_report(
    table: &Table,
    request_id: &str,
) -> Result<Option<StoredReport>, StoreError> {
    Ok(report_store::get(table, request_id)
        .await?
        .filter(|report| report.state == records::lifecycle::ReportState::Final))
}
