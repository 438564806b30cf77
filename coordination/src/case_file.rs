//! A request's whole file as the coordinator reads it: the stored request, its timeline, its
//! evidence (names and states) and the audit entries about it. Reads by key and by partition:
//! no scan.

use records::audit::{self, AuditEntry, AuditSubject};
use records::request::{StoredRequest, TimelineEvent};
use records::store::{StoreError, dynamo_error, get_s};
use workflows::evidence::Evidence;
use workflows::offers::Offer;

use crate::{Coordination, CoordinationError};

/// Everything the request page shows.
#[derive(Debug, Clone)]
pub struct CaseFile {
    pub stored: StoredRequest,
    /// Oldest first.
    pub events: Vec<TimelineEvent>,
    /// Oldest first, deleted files left out.
    pub evidence: Vec<Evidence>,
    /// Oldest first.
    pub audit: Vec<AuditEntry>,
    /// The offer of the lead's place waiting for an answer, if any.
    pub open_offer: Option<Offer>,
}

impl Coordination {
    /// The id of the request with `reference`, if any.
    pub async fn request_id(&self, reference: &str) -> Result<Option<String>, CoordinationError> {
        let item = self
            .workflow
            .table()
            .get(records::keys::reference_pk(reference), "REFERENCE")
            .await?;
        Ok(item.and_then(|item| get_s(&item, "request_id").map(str::to_owned)))
    }

    /// The request `id`'s file, if it is stored.
    pub async fn case_file(&self, id: &str) -> Result<Option<CaseFile>, CoordinationError> {
        let Some(stored) = self.workflow.request(id).await? else {
            return Ok(None);
        };
        let table = self.workflow.table();
        let events = table
            .partition_items(&records::keys::request_pk(id), Some("EVENT#"))
            .await
            .map_err(|e| dynamo_error("Query", e))?
            .into_iter()
            .map(|item| {
                serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt {
                    key: format!("an event of request {id}"),
                    reason: e.to_string(),
                })
            })
            .collect::<Result<Vec<TimelineEvent>, StoreError>>()?;
        let evidence = self.evidence.list(id).await?;
        let audit = audit::about(
            table,
            &AuditSubject::Request {
                id: stored.id.clone(),
                reference: stored.reference.to_string(),
            },
        )
        .await?;
        let open_offer = match &stored.open_offer {
            Some(offer_id) => self.workflow.offer(offer_id).await?,
            None => None,
        };
        Ok(Some(CaseFile {
            stored,
            events,
            evidence,
            audit,
            open_offer,
        }))
    }
}
