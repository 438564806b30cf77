//! Addresses mail cannot reach, as stored: marked by `workflows::deliverability` when SES
//! reports a permanent bounce or a complaint, read by the admin tool and the console.
//!
//! | item                  | pk                               | sk              |
//! |-----------------------|----------------------------------|-----------------|
//! | undeliverable address | `UNDELIVERABLE#<lowercase email>` | `UNDELIVERABLE` |

use serde::{Deserialize, Serialize};

use crate::store::{Item, StoreError, Table, dynamo_error, get_i64, get_s, s};

pub const KEY_PREFIX: &str = "UNDELIVERABLE#";
pub const SORT_KEY: &str = "UNDELIVERABLE";

pub fn pk(address: &str) -> String {
    format!("{KEY_PREFIX}{}", address.trim().to_lowercase())
}

/// Why mail to an address stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The receiving server said the address does not exist or never accepts mail.
    Bounce,
    /// The recipient marked a message as spam.
    Complaint,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Bounce => "bounce",
            Reason::Complaint => "complaint",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "bounce" => Some(Reason::Bounce),
            "complaint" => Some(Reason::Complaint),
            _ => None,
        }
    }
}

/// An address marked as undeliverable.
#[derive(Debug, Clone, PartialEq)]
pub struct Undeliverable {
    pub address: String,
    pub reason: Reason,
    pub detail: String,
    pub first_at: String,
    pub last_at: String,
    pub events: i64,
}

impl Undeliverable {
    fn from_item(item: &Item) -> Result<Self, StoreError> {
        let text = |name: &str| get_s(item, name).unwrap_or_default().to_owned();
        Ok(Self {
            address: text("address"),
            reason: Reason::parse(get_s(item, "reason").unwrap_or_default()).ok_or_else(|| {
                StoreError::Corrupt {
                    key: pk(&text("address")),
                    reason: "reason is missing or unknown".into(),
                }
            })?,
            detail: text("detail"),
            first_at: text("first_at"),
            last_at: text("last_at"),
            events: get_i64(item, "events").unwrap_or(1),
        })
    }
}

/// Whether mail to `address` stopped, and why.
pub async fn get(table: &Table, address: &str) -> Result<Option<Undeliverable>, StoreError> {
    let item = table
        .client
        .get_item()
        .table_name(&table.name)
        .key("pk", s(pk(address)))
        .key("sk", s(SORT_KEY))
        .send()
        .await
        .map_err(|e| dynamo_error("GetItem", e))?
        .item;
    item.as_ref().map(Undeliverable::from_item).transpose()
}
