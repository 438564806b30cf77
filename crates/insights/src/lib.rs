//! Programme insights: what the programme's reviews add up to, for a term or a school year,
//! kept as counters that the table's stream brings up to date (the `insights` function), so
//! the console reads a few items however many reviews are behind them.
//!
//! - [`record`] takes one stream record and applies what it adds ([`tally`] says what, as
//!   pure rules; [`store`] applies it once, with a marker item).
//! - [`store::load`] reads a period's counters; [`counters::Counts`] turns them into figures
//!   (median and 90th percentile days from histograms, names only behind five schools or more).
//! - [`feedback`]: the questions both sides answer once a report is final, and their store.
//!
//! Layer: over `records` only.

pub mod counters;
pub mod feedback;
pub mod store;
pub mod tally;
#[cfg(test)]
mod tests;

use records::store::{StoreError, Table};
use time::OffsetDateTime;

pub use counters::Counts;
pub use store::Period;

/// The signposting index's partitions, `SIGNPOST#[<review type>#]<area>`
/// (`workflows::after_report::signposting` writes them; this crate is below it).
const SIGNPOST_PREFIX: &str = "SIGNPOST#";

/// One change of the table, as a stream record carries it.
#[derive(Debug, Clone)]
pub struct Change {
    pub event_id: String,
    pub pk: String,
    pub sk: String,
    pub old: Option<serde_dynamo::Item>,
    pub new: Option<serde_dynamo::Item>,
    /// When the change was made.
    pub at: OffsetDateTime,
}

fn image<T: serde::de::DeserializeOwned>(
    change: &Change,
    image: Option<&serde_dynamo::Item>,
) -> Result<Option<T>, StoreError> {
    image
        .map(|item| {
            serde_dynamo::from_item(item.clone()).map_err(|e| StoreError::Corrupt {
                key: format!("{}/{}", change.pk, change.sk),
                reason: e.to_string(),
            })
        })
        .transpose()
}

/// The request `request_id` as the counters need it, if it is still stored.
async fn request_of(
    table: &Table,
    request_id: &str,
) -> Result<Option<tally::RequestImage>, StoreError> {
    let Some(item) = table
        .get(records::keys::request_pk(request_id), "REQUEST")
        .await?
    else {
        return Ok(None);
    };
    serde_dynamo::from_item(item)
        .map(Some)
        .map_err(|e| StoreError::Corrupt {
            key: records::keys::request_pk(request_id),
            reason: e.to_string(),
        })
}

/// What `change` adds to the counters (nothing for an item they do not count).
pub async fn tallies_of(table: &Table, change: &Change) -> Result<Vec<tally::Tally>, StoreError> {
    if let Some(rest) = change.pk.strip_prefix(SIGNPOST_PREFIX) {
        // `SIGNPOST#<area>`, or `SIGNPOST#<review type>#<area>` for another framework's: the
        // counters name areas the same way (`counters::area_in`), within their framework.
        return Ok(tally::signpost_changed(
            &change.event_id,
            rest,
            image(change, change.old.as_ref())?.as_ref(),
            image(change, change.new.as_ref())?.as_ref(),
        ));
    }
    let Some(request_id) = records::keys::request_id_of(&change.pk) else {
        return Ok(Vec::new());
    };
    if change.sk == "REQUEST" {
        return Ok(tally::request_changed(
            &change.event_id,
            image(change, change.old.as_ref())?.as_ref(),
            image(change, change.new.as_ref())?.as_ref(),
            change.at,
        ));
    }
    let is_report = change.sk == records::lifecycle::REPORT_SORT_KEY;
    let is_feedback = change.sk.starts_with(feedback::SORT_KEY_PREFIX) && change.old.is_none();
    if !is_report && !is_feedback {
        return Ok(Vec::new());
    }
    let Some(new) = change.new.as_ref() else {
        return Ok(Vec::new());
    };
    let Some(request) = request_of(table, request_id).await? else {
        tracing::warn!(request_id, "the request is gone: its change is not counted");
        return Ok(Vec::new());
    };
    if is_report {
        #[derive(serde::Deserialize)]
        struct State {
            state: String,
        }
        let old: Option<State> = image(change, change.old.as_ref())?;
        let Some(report) = image::<tally::ReportImage>(change, Some(new))? else {
            return Ok(Vec::new());
        };
        return Ok(tally::report_changed(
            &request,
            old.as_ref().map(|s| s.state.as_str()),
            &report,
        ));
    }
    let Some(answer) = image::<feedback::FeedbackAnswer>(change, Some(new))? else {
        return Ok(Vec::new());
    };
    Ok(tally::feedback_given(&request, &answer))
}

/// Applies what `change` adds, each part once; how many parts were new.
pub async fn record(table: &Table, change: &Change) -> Result<usize, StoreError> {
    let mut applied = 0;
    for tally in tallies_of(table, change).await? {
        if store::apply(table, &tally, change.at).await? {
            applied += 1;
        }
    }
    Ok(applied)
}
