//! The one DynamoDB table and its key layout (single-table design).
//!
//! | item                  | pk                    | sk          | gsi1pk / gsi1sk             |
//! |-----------------------|-----------------------|-------------|-----------------------------|
//! | outbox email          | `OUTBOX#<ulid>`       | `OUTBOX`    | `OUTBOX_PENDING` / created  |
//!
//! `gsi1` is sparse: an item is in it only while it needs finding by state (an unsent email).
//! `expires_at` (epoch seconds) is the TTL attribute.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_dynamodb::types::AttributeValue;

use crate::aws::AwsClients;
use crate::{ConfigError, Env};

pub const GSI1: &str = "gsi1";

#[derive(Clone, Debug)]
pub struct Table {
    pub client: aws_sdk_dynamodb::Client,
    pub name: String,
}

impl Table {
    pub fn from_env(env: &Env, aws: &AwsClients) -> Result<Self, ConfigError> {
        Ok(Self {
            client: aws.dynamodb.clone(),
            name: env.required("TABLE_NAME")?,
        })
    }
}

pub fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// A string attribute of an item, if present and a string.
pub fn get_s<'a>(
    item: &'a std::collections::HashMap<String, AttributeValue>,
    name: &str,
) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

/// A number attribute of an item, if present and an integer.
pub fn get_i64(
    item: &std::collections::HashMap<String, AttributeValue>,
    name: &str,
) -> Option<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

pub type Item = std::collections::HashMap<String, AttributeValue>;
pub type TransactError = aws_sdk_dynamodb::error::SdkError<
    aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError,
    aws_sdk_dynamodb::config::http::HttpResponse,
>;

/// What one TransactWriteItems did. A cancellation (a condition failed, or a conflict) is an
/// answer, not an error: the reason code of each item, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transacted {
    Committed,
    Cancelled(Vec<String>),
}

impl Transacted {
    /// Whether item `index` of a cancelled transaction failed its condition.
    pub fn failed_at(&self, index: usize) -> bool {
        match self {
            Transacted::Committed => false,
            Transacted::Cancelled(reasons) => reasons
                .get(index)
                .is_some_and(|code| code == "ConditionalCheckFailed"),
        }
    }
}

pub type QueryError = aws_sdk_dynamodb::error::SdkError<
    aws_sdk_dynamodb::operation::query::QueryError,
    aws_sdk_dynamodb::config::http::HttpResponse,
>;

impl Table {
    /// Item `pk` / `sk`, read consistently, if it exists.
    pub async fn get(
        &self,
        pk: impl Into<String>,
        sk: impl Into<String>,
    ) -> Result<Option<Item>, StoreError> {
        self.client
            .get_item()
            .table_name(&self.name)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map(|output| output.item)
            .map_err(|e| dynamo_error("GetItem", e))
    }

    /// An update of item `pk` / `sk`, its expressions and condition still to set.
    pub fn update(
        &self,
        pk: impl Into<String>,
        sk: impl Into<String>,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.name)
            .key("pk", s(pk))
            .key("sk", s(sk))
    }

    /// Deletes item `pk` / `sk` (nothing if it is already gone).
    pub async fn delete(
        &self,
        pk: impl Into<String>,
        sk: impl Into<String>,
    ) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.name)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .send()
            .await
            .map(drop)
            .map_err(|e| dynamo_error("DeleteItem", e))
    }

    /// Every item a consistent scan keeps under `filter` (its `:values` in `values`), with
    /// `projection` only those attributes, following pages. A scan reads the whole table: for
    /// the administrator's tools and the purge, never a page.
    pub async fn scan_items(
        &self,
        filter: &str,
        values: std::collections::HashMap<String, AttributeValue>,
        projection: Option<&str>,
    ) -> Result<Vec<Item>, StoreError> {
        let scan = self
            .client
            .scan()
            .table_name(&self.name)
            .filter_expression(filter)
            .set_expression_attribute_values(Some(values))
            .set_projection_expression(projection.map(str::to_owned))
            .consistent_read(true);
        let mut items = Vec::new();
        let mut start_key = None;
        loop {
            let page = scan
                .clone()
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(|e| dynamo_error("Scan", e))?;
            items.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start_key = Some(key),
                _ => return Ok(items),
            }
        }
    }

    /// Writes `items` in one transaction: all of them, or (a condition failed) none.
    pub async fn transact(
        &self,
        items: Vec<aws_sdk_dynamodb::types::TransactWriteItem>,
    ) -> Result<Transacted, TransactError> {
        use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(Transacted::Committed),
            Err(err) => match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(e)) => {
                    Ok(Transacted::Cancelled(
                        e.cancellation_reasons()
                            .iter()
                            .map(|r| r.code().unwrap_or("None").to_owned())
                            .collect(),
                    ))
                }
                _ => Err(err),
            },
        }
    }

    /// Every item under `gsi1pk = key` in the sparse index, in sort-key order, following pages;
    /// with `sort_from`, only those whose `gsi1sk` is at or after it.
    pub async fn index_items(
        &self,
        key: &str,
        sort_from: Option<&str>,
    ) -> Result<Vec<Item>, QueryError> {
        let query = self
            .client
            .query()
            .table_name(&self.name)
            .index_name(GSI1)
            .expression_attribute_values(":key", s(key));
        all_pages(match sort_from {
            Some(from) => query
                .key_condition_expression("gsi1pk = :key AND gsi1sk >= :from")
                .expression_attribute_values(":from", s(from)),
            None => query.key_condition_expression("gsi1pk = :key"),
        })
        .await
    }

    /// Every item under `gsi1pk = key` whose `gsi1sk` is at or before `sort_until`, in
    /// sort-key order, following pages.
    pub async fn index_items_until(
        &self,
        key: &str,
        sort_until: &str,
    ) -> Result<Vec<Item>, QueryError> {
        all_pages(
            self.client
                .query()
                .table_name(&self.name)
                .index_name(GSI1)
                .key_condition_expression("gsi1pk = :key AND gsi1sk <= :until")
                .expression_attribute_values(":key", s(key))
                .expression_attribute_values(":until", s(sort_until)),
        )
        .await
    }

    /// The items at `keys` (`(pk, sk)`, each once), only their `attributes`, 100 keys a call
    /// (the API's limit), in no particular order; keys with no item are left out.
    pub async fn batch_get(
        &self,
        keys: &[(String, String)],
        attributes: &[&str],
    ) -> Result<Vec<Item>, StoreError> {
        self.batch_get_read(keys, attributes, false).await
    }

    /// [`Table::batch_get`], read `consistent`ly or not: consistently (as [`Table::get`] reads)
    /// for a few items that would otherwise be as many `GetItem`s one after another. No
    /// `attributes`: whole items.
    pub async fn batch_get_read(
        &self,
        keys: &[(String, String)],
        attributes: &[&str],
        consistent: bool,
    ) -> Result<Vec<Item>, StoreError> {
        use aws_sdk_dynamodb::types::KeysAndAttributes;
        let projection: Vec<String> = (0..attributes.len()).map(|i| format!("#a{i}")).collect();
        let mut found = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(100) {
            let mut request = KeysAndAttributes::builder()
                .set_keys(Some(
                    chunk
                        .iter()
                        .map(|(pk, sk)| Item::from([("pk".into(), s(pk)), ("sk".into(), s(sk))]))
                        .collect(),
                ))
                .set_projection_expression((!projection.is_empty()).then(|| projection.join(", ")))
                .consistent_read(consistent);
            for (name, attribute) in projection.iter().zip(attributes) {
                request = request.expression_attribute_names(name, *attribute);
            }
            let mut request = request.build().expect("keys are set");
            let mut retries = 0;
            loop {
                let output = self
                    .client
                    .batch_get_item()
                    .request_items(&self.name, request)
                    .send()
                    .await
                    .map_err(|e| dynamo_error("BatchGetItem", e))?;
                found.extend(
                    output
                        .responses
                        .unwrap_or_default()
                        .remove(&self.name)
                        .unwrap_or_default(),
                );
                match output
                    .unprocessed_keys
                    .and_then(|mut rest| rest.remove(&self.name))
                {
                    Some(rest) if !rest.keys.is_empty() && retries < 8 => {
                        // Unprocessed keys mean throttling: back off before asking again.
                        retries += 1;
                        tokio::time::sleep(std::time::Duration::from_millis(25 << retries)).await;
                        request = rest;
                    }
                    Some(rest) if !rest.keys.is_empty() => {
                        return Err(StoreError::Dynamo {
                            operation: "BatchGetItem",
                            detail: "keys still unprocessed after 8 retries".into(),
                        });
                    }
                    _ => break,
                }
            }
        }
        Ok(found)
    }

    /// Every item under partition key `pk` (with `sort_prefix`, only those whose sort key
    /// starts with it), in sort-key order, read consistently, following pages.
    pub async fn partition_items(
        &self,
        pk: &str,
        sort_prefix: Option<&str>,
    ) -> Result<Vec<Item>, QueryError> {
        let query = self
            .client
            .query()
            .table_name(&self.name)
            .expression_attribute_values(":pk", s(pk))
            .consistent_read(true);
        all_pages(match sort_prefix {
            Some(prefix) => query
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":prefix", s(prefix)),
            None => query.key_condition_expression("pk = :pk"),
        })
        .await
    }
}

/// Every item a query matches, following its pages.
async fn all_pages(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
) -> Result<Vec<Item>, QueryError> {
    let mut items = Vec::new();
    let mut start_key = None;
    loop {
        let page = query
            .clone()
            .set_exclusive_start_key(start_key)
            .send()
            .await?;
        items.extend(page.items.unwrap_or_default());
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start_key = Some(key),
            _ => return Ok(items),
        }
    }
}

/// A failure reading or writing the table.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("DynamoDB {operation} failed: {detail}")]
    Dynamo {
        operation: &'static str,
        detail: String,
    },
    #[error("stored item {key} is unreadable: {reason}")]
    Corrupt { key: String, reason: String },
    /// The write contradicts what is stored; nothing of it was written.
    #[error("{0}")]
    Conflict(String),
}

/// A failed DynamoDB call as a [`StoreError`], with the service's code and message.
pub fn dynamo_error<E>(operation: &'static str, err: E) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error,
{
    let detail = match err.code() {
        Some(code) => format!("{code}: {}", err.message().unwrap_or("no message")),
        None => DisplayErrorContext(&err).to_string(),
    };
    StoreError::Dynamo { operation, detail }
}

/// Whether a DynamoDB call failed only because its condition did not hold: an answer (the
/// item is not in the state the write expected), not an outage.
pub fn is_conditional_check_failed<E, R>(err: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool
where
    E: ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| code == "ConditionalCheckFailedException")
}
