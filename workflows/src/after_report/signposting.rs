//! Signposting: schools learning from each other. Where a school's final report says "even
//! better if" in a focus area, its status page can list other schools in the programme whose
//! final reports found strength ("what went well") in that area, so it can ask to learn from
//! them, through the programme: the page shows the other school's name and kind, never its
//! contacts.
//!
//! Only with both schools' consent, a setting on each request, off unless the school opts in
//! on its status page (once its report is final). Consenting writes, in the same transaction
//! as the setting, one index item per focus area where the report found strength
//! (`SIGNPOST#<area>` / `<request id>`); withdrawing deletes them. Listing the peers for an area
//! is then one query of that area's partition, and a school appears in it only while it
//! consents. The final report never changes, so the index never goes stale; a purge removes
//! the items with the request (they carry its `request_id`).

use std::collections::HashSet;

use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::report::Report;
use records::domain::request::{FocusArea, ReviewType};
use records::domain::{LocalAuthority, Phase, SchoolType};
use records::request::{StoredRequest, TimelineEvent, request_pk, timeline_put};
use records::store::{StoreError, Table, Transacted, dynamo_error, n, s};

pub const INDEX_PREFIX: &str = "SIGNPOST#";

/// The most schools listed for one area.
pub const MAX_PEERS_PER_AREA: usize = 20;

/// The index of schools strong in `area` of the framework chain `framework` (a review type's):
/// areas are compared within one framework only. The whole-school framework keeps the index
/// it had before frameworks were data.
fn index_pk(framework: ReviewType, area: &FocusArea) -> String {
    match framework {
        ReviewType::SendReview => format!("{INDEX_PREFIX}{}", area.as_str()),
        other => format!("{INDEX_PREFIX}{}#{}", other.as_str(), area.as_str()),
    }
}

/// One consenting school with a strength in an area (the index item's attributes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StrengthEntry {
    pub request_id: String,
    pub urn: String,
    pub school_name: String,
    pub phase: Phase,
    pub school_type: SchoolType,
    pub local_authority_code: u16,
}

impl StrengthEntry {
    fn of(stored: &StoredRequest) -> Self {
        let school = &stored.request.school;
        Self {
            request_id: stored.id.clone(),
            urn: school.urn.as_str().to_owned(),
            school_name: school.name.to_string(),
            phase: school.phase,
            school_type: school.school_type,
            local_authority_code: school.local_authority_code,
        }
    }

    /// `Primary, mainstream, Camden`: enough to choose whom to learn from.
    pub fn description(&self) -> String {
        let la = LocalAuthority::by_code(self.local_authority_code)
            .map(|la| format!(", {}", la.name))
            .unwrap_or_default();
        format!(
            "{}, {}{la}",
            self.phase.label(),
            self.school_type.label().to_lowercase()
        )
    }
}

/// The focus areas where `report` found strength.
pub fn strength_areas(report: &Report) -> Vec<FocusArea> {
    report
        .areas
        .iter()
        .filter(|a| !a.went_well.is_empty())
        .map(|a| a.area.clone())
        .collect()
}

/// The focus areas where `report` says "even better if".
pub fn development_areas(report: &Report) -> Vec<FocusArea> {
    report
        .areas
        .iter()
        .filter(|a| !a.even_better_if.is_empty())
        .map(|a| a.area.clone())
        .collect()
}

/// Sets the school's consent on `stored`, whose final report is `report`, with its index
/// items, in one transaction; `false` when a concurrent change of the same choice won.
pub async fn set_consent(
    table: &Table,
    stored: &StoredRequest,
    report: &Report,
    consent: bool,
    now: OffsetDateTime,
) -> Result<bool, StoreError> {
    let at = now.format(&Rfc3339).unwrap_or_default();
    let mut items = vec![
        TransactWriteItem::builder()
            .update(
                Update::builder()
                    .table_name(&table.name)
                    .key("pk", s(request_pk(&stored.id)))
                    .key("sk", s("REQUEST"))
                    .update_expression("SET signposting = :consent")
                    .condition_expression("attribute_exists(pk)")
                    .expression_attribute_values(
                        ":consent",
                        aws_sdk_dynamodb::types::AttributeValue::Bool(consent),
                    )
                    .build()
                    .expect("complete update"),
            )
            .build(),
        timeline_put(
            &table.name,
            &stored.id,
            &TimelineEvent {
                at: at.clone(),
                kind: if consent {
                    "signposting_on"
                } else {
                    "signposting_off"
                }
                .into(),
                detail: Some(
                    if consent {
                        "You agreed to signposting: schools in the programme can be told where your report found strength, and you can see theirs."
                    } else {
                        "You withdrew from signposting: other schools are no longer told about your school."
                    }
                    .into(),
                ),
            },
        ),
    ];
    let strengths = strength_areas(report);
    let entry: records::store::Item =
        serde_dynamo::to_item(StrengthEntry::of(stored)).expect("an entry serialises");
    for findings in &report.areas {
        let pk = index_pk(stored.request.framework.review_type, &findings.area);
        let item = if consent && strengths.contains(&findings.area) {
            let mut item = entry.clone();
            item.insert("pk".into(), s(pk));
            item.insert("sk".into(), s(&stored.id));
            item.insert("since".into(), s(&at));
            item.insert("points".into(), n(findings.went_well.len()));
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name(&table.name)
                        .set_item(Some(item))
                        .build()
                        .expect("complete put"),
                )
                .build()
        } else {
            TransactWriteItem::builder()
                .delete(
                    Delete::builder()
                        .table_name(&table.name)
                        .key("pk", s(pk))
                        .key("sk", s(&stored.id))
                        .build()
                        .expect("complete delete"),
                )
                .build()
        };
        items.push(item);
    }
    match table.transact(items).await {
        Ok(Transacted::Committed) => Ok(true),
        Ok(Transacted::Cancelled(_)) => Ok(false),
        Err(err) => Err(dynamo_error("TransactWriteItems", err)),
    }
}

/// Other consenting schools with a strength where the school's report says "even better if".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AreaPeers {
    pub area: FocusArea,
    /// The area's heading in the report.
    pub heading: String,
    /// Best known first: by name. At most [`MAX_PEERS_PER_AREA`].
    pub schools: Vec<StrengthEntry>,
}

/// For each area where `report` (the final report of `stored`) says "even better if", the other
/// schools that consent and found strength there (never the school itself, each school once).
/// The caller checks that `stored` consents.
pub async fn peers(
    table: &Table,
    stored: &StoredRequest,
    report: &Report,
) -> Result<Vec<AreaPeers>, StoreError> {
    let own_urn = stored.request.school.urn.as_str().to_owned();
    let mut found = Vec::new();
    let framework = stored.request.framework.review_type;
    for findings in report.areas.iter().filter(|a| !a.even_better_if.is_empty()) {
        let area = findings.area.clone();
        let items = table
            .partition_items(&index_pk(framework, &area), None)
            .await
            .map_err(|e| dynamo_error("Query", e))?;
        let mut seen = HashSet::new();
        let mut schools: Vec<StrengthEntry> = items
            .into_iter()
            .filter_map(|item| serde_dynamo::from_item(item).ok())
            .filter(|entry: &StrengthEntry| entry.urn != own_urn && seen.insert(entry.urn.clone()))
            .collect();
        schools.sort_by(|a, b| a.school_name.cmp(&b.school_name));
        schools.truncate(MAX_PEERS_PER_AREA);
        found.push(AreaPeers {
            area,
            heading: findings.heading(),
            schools,
        });
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::examples::typical;

    #[test]
    fn strengths_and_development_areas_come_from_the_reports_points() {
        let mut report = typical();
        let first = report.areas[0].area.clone();
        report.areas[0].went_well.clear();
        assert!(!strength_areas(&report).contains(&first));
        assert!(development_areas(&report).contains(&first));
        report.areas[0].even_better_if.clear();
        assert!(!development_areas(&report).contains(&first));
    }

    #[test]
    fn an_entry_describes_the_school_without_contact_details() {
        let entry = StrengthEntry {
            request_id: "01REQ".into(),
            urn: "100101".into(),
            school_name: "Brook Primary School".into(),
            phase: Phase::Primary,
            school_type: SchoolType::Mainstream,
            local_authority_code: 202,
        };
        assert_eq!(entry.description(), "Primary, mainstream, Camden");
    }
}
