//! The one DynamoDB table and its key layout (single-table design).
//!
//! | item                  | pk                    | sk          | gsi1pk / gsi1sk             |
//! |-----------------------|-----------------------|-------------|-----------------------------|
//! | outbox email          | `OUTBOX#<ulid>`       | `OUTBOX`    | `OUTBOX_PENDING` / created  |
//!
//! `gsi1` is sparse: an item is in it only while it needs finding by state (an unsent email).
//! `expires_at` (epoch seconds) is the TTL attribute.

use aws_sdk_dynamodb::types::AttributeValue;

use crate::{ConfigError, Env, aws::AwsClients};

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
