//! The pipeline: every request by stage, each stage read from the table's `gsi1`
//! (`REQUEST_STATE#<state>`, sorted by creation time, so the oldest comes first). No scan.

use records::domain::LocalAuthority;
use records::domain::request::long_date;
use records::lifecycle::RequestState;
use records::request::StoredRequest;
use records::store::{StoreError, Table, dynamo_error};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use web::pages::console::{PipelineRow, PipelineStage};

/// The stages in workflow order, with the names a coordinator reads.
pub const STAGES: &[(&str, &str)] = &[
    (RequestState::Submitted.as_str(), "Submitted"),
    (RequestState::Matching.as_str(), "Finding a reviewer"),
    (
        RequestState::NeedsAttention.as_str(),
        "Needs attention: nobody eligible",
    ),
    (RequestState::Offered.as_str(), "Offered to a reviewer"),
    (RequestState::Accepted.as_str(), "Visit booked"),
    (RequestState::Withdrawn.as_str(), "Withdrawn"),
];

/// Every stored request of every stage, stage by stage, the oldest first in each.
pub async fn load(table: &Table) -> Result<Vec<(&'static str, Vec<StoredRequest>)>, StoreError> {
    let mut stages = Vec::with_capacity(STAGES.len());
    for (key, _) in STAGES {
        let items = table
            .index_items(&records::keys::state_index_key(key), None)
            .await
            .map_err(|e| dynamo_error("Query", e))?;
        let mut requests = Vec::with_capacity(items.len());
        for item in items {
            let request: StoredRequest =
                serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt {
                    key: format!("a request in {key}"),
                    reason: e.to_string(),
                })?;
            requests.push(request);
        }
        stages.push((*key, requests));
    }
    Ok(stages)
}

fn local_authority(request: &StoredRequest) -> String {
    LocalAuthority::by_code(request.request.school.local_authority_code)
        .map(|la| la.name.to_owned())
        .unwrap_or_default()
}

fn received(request: &StoredRequest) -> String {
    OffsetDateTime::parse(&request.created_at, &Rfc3339)
        .map(|t| long_date(t.date()))
        .unwrap_or_else(|_| request.created_at.clone())
}

/// The page's view of the stages.
pub fn view(stages: &[(&'static str, Vec<StoredRequest>)]) -> Vec<PipelineStage> {
    stages
        .iter()
        .map(|(key, requests)| PipelineStage {
            key,
            label: STAGES
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, label)| *label)
                .unwrap_or(key),
            rows: requests
                .iter()
                .map(|r| PipelineRow {
                    reference: r.reference.to_string(),
                    school: r.request.school.name.to_string(),
                    local_authority: local_authority(r),
                    review_type: r.request.review_type.label().to_owned(),
                    received: received(r),
                    visit: r
                        .lead
                        .as_ref()
                        .map(|lead| records::domain::format_date(lead.visit_date))
                        .unwrap_or_default(),
                })
                .collect(),
        })
        .collect()
}

fn csv_field(value: &str) -> String {
    // Quoted, and a leading formula character neutralised (spreadsheets run `=...`).
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    format!("\"{}\"", value.replace('"', "\"\""))
}

/// The pipeline as CSV, with each school's contact (personal data: coordinators only).
pub fn csv(stages: &[(&'static str, Vec<StoredRequest>)]) -> String {
    let mut out = String::from(
        "stage,reference,school,urn,local_authority,review_type,received,visit,contact_name,contact_email\n",
    );
    for (key, requests) in stages {
        for r in requests {
            let fields = [
                key.to_string(),
                r.reference.to_string(),
                r.request.school.name.to_string(),
                r.request.school.urn.to_string(),
                local_authority(r),
                r.request.review_type.label().to_owned(),
                r.created_at.clone(),
                r.lead
                    .as_ref()
                    .map(|l| records::domain::format_date(l.visit_date))
                    .unwrap_or_default(),
                r.request.contact.name.to_string(),
                r.request.contact.email.to_string(),
            ];
            out.push_str(
                &fields
                    .iter()
                    .map(|f| csv_field(f))
                    .collect::<Vec<_>>()
                    .join(","),
            );
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("Oak \"Primary\""), "\"Oak \"\"Primary\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
    }
}
