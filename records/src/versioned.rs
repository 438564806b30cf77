//! Documents people write over several sittings (the school's self-evaluation, the review
//! team's notes): one item per document under the request, saved as typed, never silently
//! overwritten.
//!
//! | item     | pk               | sk                                    |
//! |----------|------------------|---------------------------------------|
//! | document | `REQUEST#<ulid>` | its kind, e.g. `SELF_EVALUATION`      |
//!
//! Attributes: `state` (the document's own, e.g. draft/submitted), `version` (1 for the first
//! save), `body` (the document as a map), `updated_at`, `updated_by`.
//!
//! Every save names the version its text was based on and is a conditional write on it (and
//! on the state being one that may be edited): a second tab, an old page or another person
//! saving from the same version stores nothing and gets the stored document back with its own
//! text ([`Saved::Stale`]), read from the failed write itself (`ReturnValuesOnConditionCheckFailure`).
//! A save that finds its own text already stored at the next version (its first answer was lost
//! and the call retried, or the form was sent twice) is saved, not stale.
//!
//! Each kind names the lifecycle action that edits it: the save is a transaction with that
//! action's [`Guard`] on the request, so a document of a withdrawn request (or one whose stage no
//! longer allows it) stores nothing ([`Saved::NotNow`]).

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::lifecycle::{Action, Guard, Refusal, RequestState, refused_by_guard};
use crate::request::request_pk;
use crate::store::{Item, StoreError, Table, dynamo_error, n, s};

/// A stored document and its version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Versioned<T> {
    pub state: String,
    pub version: u64,
    pub body: T,
    pub updated_at: String,
    /// Who saved last ("the school", a reviewer's name).
    pub updated_by: String,
}

/// What a save did.
#[derive(Debug, Clone, PartialEq)]
pub enum Saved<T> {
    /// Stored; the next save is based on `version`.
    Saved { version: u64 },
    /// Someone saved a newer version first: nothing was stored. Both texts, to merge.
    Stale {
        current: Box<Versioned<T>>,
        yours: Box<T>,
    },
    /// The document is in a state nobody edits (e.g. submitted).
    Locked { state: String },
    /// The request's stage (or the day) does not allow this document to change now: nothing
    /// was stored.
    NotNow(Refusal),
}

/// Which document, and the states in which it may be edited (the first is the state of a new one).
pub struct Kind {
    pub sort_key: &'static str,
    pub editable: &'static [&'static str],
    /// The lifecycle action that edits it: its rule guards every save.
    pub action: Action,
}

impl Kind {
    fn corrupt(&self, reason: impl ToString) -> StoreError {
        StoreError::Corrupt {
            key: format!("REQUEST#…/{}", self.sort_key),
            reason: reason.to_string(),
        }
    }

    /// An update moving request `request_id`'s document from state `from` to `to` (`:to`),
    /// conditional on the version seen; the caller says what it sets (`SET #state = :to, …`).
    pub fn transition(
        &self,
        table: &Table,
        request_id: &str,
        version: u64,
        (from, to): (&str, &str),
    ) -> aws_sdk_dynamodb::types::builders::UpdateBuilder {
        Update::builder()
            .table_name(&table.name)
            .key("pk", s(request_pk(request_id)))
            .key("sk", s(self.sort_key))
            .condition_expression("#version = :version AND #state = :from")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":version", n(version))
            .expression_attribute_values(":from", s(from))
            .expression_attribute_values(":to", s(to))
    }

    /// The document of request `request_id`, if anyone has saved it (a consistent read: a save
    /// is seen at once).
    pub async fn get<T: DeserializeOwned>(
        &self,
        table: &Table,
        request_id: &str,
    ) -> Result<Option<Versioned<T>>, StoreError> {
        let item = table.get(request_pk(request_id), self.sort_key).await?;
        item.map(|item| serde_dynamo::from_item(item).map_err(|e| self.corrupt(e)))
            .transpose()
    }

    /// Saves `body` over version `based_on` (0: nothing saved yet).
    pub async fn save<T: Serialize + DeserializeOwned + Clone>(
        &self,
        table: &Table,
        request_id: &str,
        based_on: u64,
        body: &T,
        author: &str,
        now: OffsetDateTime,
    ) -> Result<Saved<T>, StoreError> {
        self.save_with(table, request_id, (based_on, body), author, now, Vec::new())
            .await
    }

    /// [`Kind::save`] with `also` (e.g. an outbox item) in the same transaction: stored only
    /// if the save is. An update of the request item in `also` carries the lifecycle guard in
    /// its condition; if that condition fails the answer is [`Saved::NotNow`].
    pub async fn save_with<T: Serialize + DeserializeOwned + Clone>(
        &self,
        table: &Table,
        request_id: &str,
        (based_on, body): (u64, &T),
        author: &str,
        now: OffsetDateTime,
        also: Vec<TransactWriteItem>,
    ) -> Result<Saved<T>, StoreError> {
        let version = based_on + 1;
        let map = serde_dynamo::to_item::<_, Item>(body).map_err(|e| self.corrupt(e))?;
        let mut update = Update::builder()
            .table_name(&table.name)
            .key("pk", s(request_pk(request_id)))
            .key("sk", s(self.sort_key))
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":body", AttributeValue::M(map.clone()))
            .expression_attribute_values(":version", n(version))
            .expression_attribute_values(":at", s(now.format(&Rfc3339).unwrap_or_default()))
            .expression_attribute_values(":by", s(author))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        update = if based_on == 0 {
            update
                .update_expression(
                    "SET body = :body, #version = :version, updated_at = :at, updated_by = :by, \
                     #state = :new",
                )
                .condition_expression("attribute_not_exists(pk)")
                .expression_attribute_values(":new", s(self.editable[0]))
        } else {
            let mut names = Vec::new();
            for (i, state) in self.editable.iter().enumerate() {
                let name = format!(":editable{i}");
                update = update.expression_attribute_values(&name, s(*state));
                names.push(name);
            }
            update
                .update_expression(
                    "SET body = :body, #version = :version, updated_at = :at, updated_by = :by",
                )
                .condition_expression(format!(
                    "#version = :based_on AND #state IN ({})",
                    names.join(", ")
                ))
                .expression_attribute_values(":based_on", n(based_on))
        };
        let mut items = vec![
            TransactWriteItem::builder()
                .update(update.build().expect("complete update"))
                .build(),
        ];
        items.extend(also);
        // Into `also`'s update of the request item if it has one (an item is touched once).
        Guard::new(self.action, now.date()).add_to(&table.name, request_id, &mut items);
        let guard = items
            .iter()
            .position(|item| is_request_row(item, request_id))
            .unwrap_or(items.len() - 1);
        let err = match table
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => return Ok(Saved::Saved { version }),
            Err(err) => err,
        };
        let reasons = match err.as_service_error() {
            Some(TransactWriteItemsError::TransactionCanceledException(e)) => {
                e.cancellation_reasons().to_vec()
            }
            _ => return Err(dynamo_error("TransactWriteItems", err)),
        };
        let failed = |i: usize| {
            reasons
                .get(i)
                .and_then(|r| r.code())
                .is_some_and(|code| code == "ConditionalCheckFailed")
        };
        if failed(guard) {
            // The lifecycle (or the caller's own condition on the request item, which reads
            // its state the same: the caller rereads the request to tell them apart).
            return self.refused(table, request_id).await;
        }
        if !failed(0) {
            // Cancelled for another reason (a concurrent transaction on one of the items).
            return Err(StoreError::Dynamo {
                operation: "TransactWriteItems",
                detail: "cancelled by a concurrent write on the request: try again".into(),
            });
        }
        let returned = reasons.first().and_then(|r| r.item()).cloned();
        // Our own write, applied once already: its answer was lost and the SDK retried it, or
        // the same form was sent twice. The same text by the same author at the next version
        // is what this save would have stored: it is saved, not a conflict.
        if let Some(item) = &returned
            && item.get("version") == Some(&n(version))
            && item.get("body") == Some(&AttributeValue::M(map))
            && item.get("updated_by") == Some(&s(author))
        {
            return Ok(Saved::Saved { version });
        }
        let current: Versioned<T> = match returned {
            Some(item) => serde_dynamo::from_item(item).map_err(|e| self.corrupt(e))?,
            None => self.get(table, request_id).await?.ok_or_else(|| {
                self.corrupt("a save was refused for a document that does not exist")
            })?,
        };
        Ok(if self.editable.contains(&current.state.as_str()) {
            Saved::Stale {
                current: Box::new(current),
                yours: Box::new(body.clone()),
            }
        } else {
            Saved::Locked {
                state: current.state,
            }
        })
    }

    /// The answer to a save its lifecycle guard refused: the request's state as it is now.
    async fn refused<T>(&self, table: &Table, request_id: &str) -> Result<Saved<T>, StoreError> {
        let item = table
            .get(request_pk(request_id), "REQUEST")
            .await?
            .ok_or_else(|| self.corrupt("a document of a request that does not exist"))?;
        let request: RequestState = item
            .get("state")
            .and_then(|v| v.as_s().ok())
            .and_then(|state| state.parse().ok())
            .ok_or_else(|| self.corrupt("the request has no known state"))?;
        Ok(Saved::NotNow(refused_by_guard(self.action, request)))
    }
}

/// Whether transaction item `item` updates or checks request `request_id`'s own item.
fn is_request_row(item: &TransactWriteItem, request_id: &str) -> bool {
    let key = match (item.update(), item.condition_check()) {
        (Some(update), _) => update.key(),
        (None, Some(check)) => check.key(),
        (None, None) => return false,
    };
    key.get("pk") == Some(&s(request_pk(request_id))) && key.get("sk") == Some(&s("REQUEST"))
}
