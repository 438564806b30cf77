//! Uploads whose malware scan never came. GuardDuty tags a new object within minutes, so a
//! file still `pending` an hour after its form was issued was never scanned (the scan did not
//! run, or its result was lost), or never arrived. The scheduled tasks reject it as
//! [`Rejection::NotScanned`] (the school's page says to upload it again) and delete whatever
//! object it has, so nothing unscanned waits in the bucket until the request's purge.

use records::evidence::Rejection;
use records::store::{dynamo_error, get_s, is_conditional_check_failed, s};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};
use workflows::evidence::{EvidenceStore, PENDING_INDEX_KEY, object_key, state};

use crate::CoordinationError;

/// How long a file may wait for its scan result.
pub const UNSCANNED_AFTER: Duration = Duration::hours(1);

/// Rejects every file still pending [`UNSCANNED_AFTER`] its form was issued, as of `now`, and
/// deletes its object; how many. Each is conditional on the file still being pending, so a
/// scan result that lands meanwhile, or a second run, changes nothing twice.
pub async fn reject_unscanned(
    store: &EvidenceStore,
    now: OffsetDateTime,
) -> Result<usize, CoordinationError> {
    let issued_before = (now - UNSCANNED_AFTER).format(&Rfc3339).unwrap_or_default();
    let table = &store.table;
    let waiting = table
        .index_items_until(PENDING_INDEX_KEY, &issued_before)
        .await
        .map_err(|e| dynamo_error("Query", e.into_service_error()))?;
    let mut rejected = 0;
    for item in waiting {
        let (Some(pk), Some(sk)) = (get_s(&item, "pk"), get_s(&item, "sk")) else {
            continue;
        };
        let (Some(request_id), Some(evidence_id)) = (
            records::keys::request_id_of(pk),
            sk.strip_prefix("EVIDENCE#"),
        ) else {
            continue;
        };
        let marked = table
            .update(pk, sk)
            .update_expression(
                "SET #state = :rejected, rejected_reason = :reason, checked_at = :at \
                 REMOVE expires_at, gsi1pk, gsi1sk",
            )
            .condition_expression("#state = :pending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":rejected", s(state::REJECTED))
            .expression_attribute_values(":pending", s(state::PENDING))
            .expression_attribute_values(":reason", s(Rejection::NotScanned.reason()))
            .expression_attribute_values(":at", s(now.format(&Rfc3339).unwrap_or_default()))
            .send()
            .await;
        match marked {
            Ok(_) => {}
            Err(e) if is_conditional_check_failed(&e) => continue,
            Err(e) => return Err(dynamo_error("UpdateItem", e).into()),
        }
        store
            .delete_all_versions(&object_key(request_id, evidence_id))
            .await?;
        rejected += 1;
    }
    Ok(rejected)
}
