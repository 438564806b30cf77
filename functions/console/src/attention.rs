//! "Needs attention" on the pipeline page: requests nobody eligible can take (lead or second
//! reviewer), offers that expire in the next 48 hours by the injected clock, late
//! self-evaluations and draft reports, and addresses mail cannot reach (with the requests whose
//! contact they are). Read from the pipeline's entries and two index queries: the open offers
//! up to 48 hours ahead (`OFFER_OPEN`, sorted by expiry) and the undeliverable addresses
//! (`UNDELIVERABLE`).

use std::collections::HashMap;

use records::domain::request::long_date;
use records::progress::Progress;
use records::request::second_state;
use records::store::{Item, StoreError, Table, dynamo_error, get_i64, get_s};
use time::{Duration, OffsetDateTime};
use web::pages::console::AttentionRow;

use crate::pipeline::Entry;

/// How far ahead an open offer's expiry counts as about to expire.
pub const EXPIRY_WINDOW: Duration = Duration::hours(48);

/// The open offers that expire by `now` + [`EXPIRY_WINDOW`] (or already have, waiting for the
/// scheduled run to move them on), soonest first.
pub async fn expiring_offers(table: &Table, now: OffsetDateTime) -> Result<Vec<Item>, StoreError> {
    let until = (now + EXPIRY_WINDOW).unix_timestamp();
    // The sort key is `<expires_at, 12 digits>#<offer id>`; `~` sorts after every id.
    table
        .index_items_until(
            records::keys::OPEN_OFFERS_INDEX_KEY,
            &format!("{until:012}#~"),
        )
        .await
        .map_err(|e| dynamo_error("Query", e))
}

/// Every address marked undeliverable, first marked first.
pub async fn undeliverable(table: &Table) -> Result<Vec<Item>, StoreError> {
    table
        .index_items(records::keys::UNDELIVERABLE_INDEX_KEY, None)
        .await
        .map_err(|e| dynamo_error("Query", e))
}

fn about(
    entry: &Entry,
    reason_key: &'static str,
    reason: &'static str,
    detail: String,
) -> AttentionRow {
    AttentionRow {
        reason_key,
        reason,
        reference: entry.request.reference.to_string(),
        school: entry.request.request.school.name.to_string(),
        detail,
    }
}

/// The list: by reason, the oldest request first within each.
pub fn list(
    entries: &[Entry],
    offers: &[Item],
    addresses: &[Item],
    now: OffsetDateTime,
    show_addresses: bool,
) -> Vec<AttentionRow> {
    let mut rows = Vec::new();
    let mut oldest_first: Vec<&Entry> = entries.iter().collect();
    oldest_first.sort_by(|a, b| a.request.created_at.cmp(&b.request.created_at));
    for entry in &oldest_first {
        if entry.progress == Progress::NobodyEligible {
            rows.push(about(
                entry,
                "no_reviewer",
                "No eligible reviewer",
                "Nobody in the pool passes every rule for the lead reviewer.".into(),
            ));
        } else if entry.progress != Progress::Withdrawn
            && entry.request.second_state.as_deref() == Some(second_state::NEEDS_ATTENTION)
        {
            rows.push(about(
                entry,
                "no_reviewer",
                "No eligible reviewer",
                "Nobody in the pool passes every rule for the second reviewer.".into(),
            ));
        }
    }
    let by_id: HashMap<&str, &Entry> = entries.iter().map(|e| (e.request.id.as_str(), e)).collect();
    for offer in offers {
        let Some(entry) = get_s(offer, "request_id").and_then(|id| by_id.get(id)) else {
            continue;
        };
        let reviewer = get_s(offer, "reviewer_name").unwrap_or("A reviewer");
        let expires = get_i64(offer, "expires_at")
            .and_then(|at| OffsetDateTime::from_unix_timestamp(at).ok());
        let detail = match expires {
            Some(at) if at <= now => format!("{reviewer} has not answered; the offer has expired"),
            Some(at) => {
                let hours = (at - now).whole_hours();
                format!(
                    "{reviewer} has not answered; the offer expires on {} (in {hours} hour{})",
                    long_date(at.date()),
                    if hours == 1 { "" } else { "s" }
                )
            }
            None => format!("{reviewer} has not answered"),
        };
        rows.push(about(
            entry,
            "offer_expiring",
            "Offer about to expire",
            detail,
        ));
    }
    for (progress, key, reason, detail) in [
        (
            Progress::SelfEvaluationLate,
            "self_evaluation_late",
            "Self-evaluation late",
            "The school has not sent its self-evaluation, due two weeks before the visit.",
        ),
        (
            Progress::ReportLate,
            "report_late",
            "Draft report late",
            "The lead has not sent the draft report in the programme's working days.",
        ),
    ] {
        for entry in oldest_first.iter().filter(|e| e.progress == progress) {
            rows.push(about(entry, key, reason, detail.into()));
        }
    }
    let mut contacts: HashMap<String, Vec<&Entry>> = HashMap::new();
    for entry in &oldest_first {
        if entry.progress != Progress::Withdrawn {
            contacts
                .entry(
                    entry
                        .request
                        .request
                        .contact
                        .email
                        .to_string()
                        .to_lowercase(),
                )
                .or_default()
                .push(entry);
        }
    }
    for item in addresses {
        let address = get_s(item, "address").unwrap_or_default();
        let why = match get_s(item, "reason") {
            Some("complaint") => "marked our email as spam",
            _ => "bounced",
        };
        let requests = contacts.get(address).cloned().unwrap_or_default();
        let references: Vec<String> = requests
            .iter()
            .map(|e| e.request.reference.to_string())
            .collect();
        rows.push(AttentionRow {
            reason_key: "undeliverable",
            reason: "Email address undeliverable",
            reference: references.join(", "),
            school: requests
                .first()
                .map(|e| e.request.request.school.name.to_string())
                .unwrap_or_default(),
            // An address is personal data: a viewer reads only that one failed.
            detail: if show_addresses {
                format!("Mail to {address} {why}.")
            } else {
                format!("Mail to a contact's address {why}.")
            },
        });
    }
    rows
}
