//! The programme console's sessions: one item per browser session, keyed by the SHA-256 of the
//! random id in its cookie (the id itself is never stored), found per user through `gsi1` so
//! "sign out everywhere" can end them all.
//!
//! | item          | pk                              | sk        | gsi1pk / gsi1sk                 |
//! |---------------|---------------------------------|-----------|---------------------------------|
//! | staff session | `STAFF_SESSION#<sha256 of id>`  | `SESSION` | `STAFF_USER#<sub>` / created (signed in only) |
//!
//! A session starts before sign-in (it carries the sign-in form's anti-forgery token), holds
//! Cognito's challenge session between the sign-in steps, and then the user's tokens. Tokens
//! stay here (encrypted at rest with the stack's key): never in the cookie, never in a log.
//! Every write is conditional on the version read, so two tabs never overwrite each other
//! unseen. `expires_at` (TTL) removes abandoned sessions; the console checks inactivity itself.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::{StoreError, Table, dynamo_error, is_conditional_check_failed, n, s};

const SORT_KEY: &str = "SESSION";

/// Where a session is in signing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Nobody has signed in: the session only carries the sign-in form's anti-forgery token.
    Anonymous,
    /// The password was right and Cognito asked for more (`challenge`): a new password, TOTP
    /// enrolment, or a TOTP code.
    Challenge,
    SignedIn,
}

/// One console session as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffSession {
    pub stage: Stage,
    /// The anti-forgery token every POST in this session must carry.
    pub csrf: String,
    /// Unix seconds of the last request (the inactivity timeout counts from it).
    pub last_seen: i64,
    /// Bumped by every write; a write expects the version it read.
    pub version: u64,
    /// The email the user signed in with.
    #[serde(default)]
    pub username: String,
    /// The name Cognito answers challenges for (its `USER_ID_FOR_SRP`; the email when it gives
    /// none).
    #[serde(default)]
    pub cognito_username: String,
    /// Cognito's challenge name and its session, between the sign-in steps.
    #[serde(default)]
    pub challenge: String,
    #[serde(default)]
    pub cognito_session: String,
    /// The authenticator secret being enrolled (shown until the first code is verified).
    #[serde(default)]
    pub totp_secret: String,
    /// The user's Cognito `sub` and tokens, once signed in.
    #[serde(default)]
    pub sub: String,
    #[serde(default)]
    pub id_token: String,
    #[serde(default)]
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: String,
}

impl StaffSession {
    pub fn anonymous(csrf: String, now: i64) -> Self {
        Self {
            stage: Stage::Anonymous,
            csrf,
            last_seen: now,
            version: 0,
            username: String::new(),
            cognito_username: String::new(),
            challenge: String::new(),
            cognito_session: String::new(),
            totp_secret: String::new(),
            sub: String::new(),
            id_token: String::new(),
            access_token: String::new(),
            refresh_token: String::new(),
        }
    }
}

/// The stored key of the session whose cookie holds `id`.
pub fn session_key(id: &str) -> String {
    format!(
        "STAFF_SESSION#{}",
        hex::encode(Sha256::digest(id.as_bytes()))
    )
}

fn user_key(sub: &str) -> String {
    format!("STAFF_USER#{sub}")
}

/// What writing a session found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Saved,
    /// Another request changed (or ended) the session first: nothing was written.
    Stale,
}

/// The session whose cookie holds `id`, if it exists.
pub async fn get(table: &Table, id: &str) -> Result<Option<StaffSession>, StoreError> {
    let key = session_key(id);
    match table.get(&key, SORT_KEY).await? {
        None => Ok(None),
        Some(item) => serde_dynamo::from_item(item)
            .map(Some)
            .map_err(|e| StoreError::Corrupt {
                key,
                reason: e.to_string(),
            }),
    }
}

/// Stores `session` under `id`: a new one (`session.version == 0`, only if the id is unused), or
/// a change to the stored version `session.version - 1`. `expires_at` is its TTL.
pub async fn put(
    table: &Table,
    id: &str,
    session: &StaffSession,
    expires_at: i64,
) -> Result<Written, StoreError> {
    let key = session_key(id);
    let mut item: crate::store::Item =
        serde_dynamo::to_item(session).map_err(|e| StoreError::Corrupt {
            key: key.clone(),
            reason: e.to_string(),
        })?;
    item.insert("pk".into(), s(&key));
    item.insert("sk".into(), s(SORT_KEY));
    item.insert("expires_at".into(), n(expires_at));
    if session.stage == Stage::SignedIn && !session.sub.is_empty() {
        item.insert("gsi1pk".into(), s(user_key(&session.sub)));
        item.insert("gsi1sk".into(), s(&key));
    }
    let request = table
        .client
        .put_item()
        .table_name(&table.name)
        .set_item(Some(item));
    let request = if session.version == 0 {
        request.condition_expression("attribute_not_exists(pk)")
    } else {
        request
            .condition_expression("version = :read")
            .expression_attribute_values(":read", n(session.version - 1))
    };
    match request.send().await {
        Ok(_) => Ok(Written::Saved),
        Err(e) if is_conditional_check_failed(&e) => Ok(Written::Stale),
        Err(e) => Err(dynamo_error("PutItem", e)),
    }
}

/// Ends the session whose cookie holds `id` (nothing if it is already gone).
pub async fn delete(table: &Table, id: &str) -> Result<(), StoreError> {
    delete_key(table, &session_key(id)).await
}

async fn delete_key(table: &Table, key: &str) -> Result<(), StoreError> {
    table.delete(key, SORT_KEY).await
}

/// Ends every signed-in session of user `sub` (sign out everywhere); returns how many.
pub async fn delete_all_of_user(table: &Table, sub: &str) -> Result<usize, StoreError> {
    let items = table
        .index_items(&user_key(sub), None)
        .await
        .map_err(|e| dynamo_error("Query", e))?;
    let keys: Vec<String> = items
        .iter()
        .filter_map(|item| crate::store::get_s(item, "pk").map(str::to_owned))
        .collect();
    for key in &keys {
        delete_key(table, key).await?;
    }
    Ok(keys.len())
}
