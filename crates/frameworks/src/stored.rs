//! Published frameworks in the table: each review type has a chain of versions, version 0
//! being its built-in file (never stored) and each publish adding the next.
//!
//! | item | pk | sk | what it holds |
//! |------|----|----|---------------|
//! | a published version | `FRAMEWORK#<review_type>` | `VERSION#<n, 6 digits>` | `body` (the file), `published_at`, `published_by` |
//! | the version new requests get | `FRAMEWORK#<review_type>` | `CURRENT` | `version` |
//!
//! A version is never changed once written (its put is conditional on its absence), so a
//! request keeps the version it started with ([`version`]) whatever is published later. A
//! publish names the version its edit was based on and is a conditional write on `CURRENT`, in
//! one transaction with its audit entry: a publish from an old page stores nothing.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use time::format_description::well_known::Rfc3339;

use super::{Framework, Problem};
use records::audit::AuditEntry;
use records::domain::request::{FrameworkRef, Frameworks, ReviewRequest, ReviewType};
use records::store::{Item, StoreError, Table, Transacted, dynamo_error, get_i64, get_s, n, s};

/// A framework and the version of its review type's chain it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned {
    pub framework: Framework,
    pub version: u64,
}

/// What [`publish`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// Stored as `version`, with its audit entry; new requests of its type get it.
    Published { version: u64 },
    /// The framework breaks a limit: nothing was stored.
    Refused(Vec<Problem>),
    /// Someone published first: nothing was stored. What new requests get now.
    Stale { current: Box<Versioned> },
}

fn partition(review_type: ReviewType) -> String {
    format!("FRAMEWORK#{}", review_type.as_str())
}

fn version_sort_key(version: u64) -> String {
    format!("VERSION#{version:06}")
}

/// The version new requests of `review_type` get: the last published, else the built-in.
pub async fn current(table: &Table, review_type: ReviewType) -> Result<Versioned, StoreError> {
    let pointer = table.get(partition(review_type), "CURRENT").await?;
    let version = version_named(pointer.as_ref());
    match self::version(table, review_type, version).await? {
        Some(framework) => Ok(Versioned { framework, version }),
        None => Err(not_stored(review_type, version)),
    }
}

/// The version a `CURRENT` pointer names (none stored: the built-in, 0).
fn version_named(pointer: Option<&Item>) -> u64 {
    pointer
        .and_then(|item| get_i64(item, "version"))
        .map_or(0, |v| v.max(0) as u64)
}

fn not_stored(review_type: ReviewType, version: u64) -> StoreError {
    StoreError::Corrupt {
        key: format!("{}/CURRENT", partition(review_type)),
        reason: format!("names version {version}, which is not stored"),
    }
}

/// The framework new requests of every review type are made under (the current version of
/// each), as the request form and the API offer and check focus areas.
/// One consistent `BatchGetItem` for every type's pointer, and one more for the published
/// versions they name, if any: the request form (often a cold start's first request) waits for
/// one or two round trips instead of one or two per review type.
pub async fn catalogue(table: &Table) -> Result<Frameworks, StoreError> {
    let pointers = table
        .batch_get_read(&pointer_keys(), &["pk", "version"], true)
        .await?;
    catalogue_from(table, &pointers).await
}

/// The keys of every review type's `CURRENT` pointer, for a page that reads them in one batch
/// with its other first reads and then calls [`catalogue_from`].
pub fn pointer_keys() -> Vec<(String, String)> {
    ReviewType::ALL
        .iter()
        .map(|&review_type| (partition(review_type), "CURRENT".to_owned()))
        .collect()
}

/// The catalogue from the `CURRENT` pointers read at [`pointer_keys`] (missing ones: the
/// built-in), reading the published versions they name, if any.
pub async fn catalogue_from(table: &Table, pointers: &[Item]) -> Result<Frameworks, StoreError> {
    let versions: Vec<(ReviewType, u64)> = ReviewType::ALL
        .iter()
        .map(|&review_type| {
            let pointer = pointers.iter().find(|item| {
                get_s(item, "pk") == Some(partition(review_type).as_str())
                    && get_s(item, "sk").is_none_or(|sk| sk == "CURRENT")
            });
            (review_type, version_named(pointer))
        })
        .collect();
    let published: Vec<(String, String)> = versions
        .iter()
        .filter(|(_, version)| *version > 0)
        .map(|&(review_type, version)| (partition(review_type), version_sort_key(version)))
        .collect();
    let bodies = if published.is_empty() {
        Vec::new()
    } else {
        table
            .batch_get_read(&published, &["pk", "body"], true)
            .await?
    };
    let mut frameworks = Vec::new();
    for (review_type, version) in versions {
        let body = bodies
            .iter()
            .find(|item| get_s(item, "pk") == Some(partition(review_type).as_str()));
        let framework = stored_version(review_type, version, body)?
            .ok_or_else(|| not_stored(review_type, version))?;
        frameworks.push(framework.reference(version));
    }
    Ok(Frameworks::new(frameworks))
}

/// The framework `request` was made under: the version it records (a version is never changed
/// once published, so this is the framework as the request started with it).
pub async fn of_request(table: &Table, request: &ReviewRequest) -> Result<Framework, StoreError> {
    let FrameworkRef {
        review_type,
        version,
        ..
    } = &request.framework;
    self::version(table, *review_type, *version)
        .await?
        .ok_or_else(|| StoreError::Corrupt {
            key: format!("{}/{}", partition(*review_type), version_sort_key(*version)),
            reason: "a request names this framework version, which is not stored".to_owned(),
        })
}

/// Version `version` of `review_type`'s framework (0: the built-in), if it exists.
pub async fn version(
    table: &Table,
    review_type: ReviewType,
    version: u64,
) -> Result<Option<Framework>, StoreError> {
    if version == 0 {
        return Ok(Some(Framework::built_in(review_type)));
    }
    let item = table
        .get(partition(review_type), version_sort_key(version))
        .await?;
    stored_version(review_type, version, item.as_ref())
}

/// Version `version` of `review_type`'s framework from its item (`item`, read already; none
/// for the built-in, version 0).
fn stored_version(
    review_type: ReviewType,
    version: u64,
    item: Option<&Item>,
) -> Result<Option<Framework>, StoreError> {
    if version == 0 {
        return Ok(Some(Framework::built_in(review_type)));
    }
    let Some(item) = item else {
        return Ok(None);
    };
    let key = version_sort_key(version);
    let corrupt = |reason: String| StoreError::Corrupt {
        key: format!("{}/{key}", partition(review_type)),
        reason,
    };
    let body = get_s(item, "body").ok_or_else(|| corrupt("it has no body".to_owned()))?;
    Framework::from_json(body)
        .map(Some)
        .map_err(|problems| corrupt(format!("{problems:?}")))
}

/// Publishes `framework` as the next version of its review type's chain, over version
/// `based_on` (what the edit started from), with `audit` in the same transaction.
pub async fn publish(
    table: &Table,
    framework: &Framework,
    based_on: u64,
    audit: &AuditEntry,
) -> Result<Published, StoreError> {
    let problems = framework.problems();
    if !problems.is_empty() {
        return Ok(Published::Refused(problems));
    }
    let review_type = framework.review_type;
    let version = based_on + 1;
    let build_error = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Corrupt {
        key: partition(review_type),
        reason: e.to_string(),
    };
    let stored = Put::builder()
        .table_name(&table.name)
        .set_item(Some(Item::from([
            ("pk".to_owned(), s(partition(review_type))),
            ("sk".to_owned(), s(version_sort_key(version))),
            ("body".to_owned(), s(framework.to_json())),
            ("version".to_owned(), n(version)),
            ("published_by".to_owned(), s(&audit.actor)),
            (
                "published_at".to_owned(),
                s(audit.at.format(&Rfc3339).unwrap_or_default()),
            ),
        ])))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .map_err(build_error)?;
    let pointer = Put::builder()
        .table_name(&table.name)
        .set_item(Some(Item::from([
            ("pk".to_owned(), s(partition(review_type))),
            ("sk".to_owned(), s("CURRENT")),
            ("version".to_owned(), n(version)),
        ])))
        .condition_expression(if based_on == 0 {
            "attribute_not_exists(pk)"
        } else {
            "version = :based_on"
        });
    let pointer = if based_on == 0 {
        pointer
    } else {
        pointer.expression_attribute_values(":based_on", n(based_on))
    };
    let outcome = table
        .transact(vec![
            TransactWriteItem::builder().put(stored).build(),
            TransactWriteItem::builder()
                .put(pointer.build().map_err(build_error)?)
                .build(),
            audit.transact_put(table)?,
        ])
        .await
        .map_err(|e| dynamo_error("TransactWriteItems", e))?;
    match outcome {
        Transacted::Committed => Ok(Published::Published { version }),
        stale if stale.failed_at(0) || stale.failed_at(1) => Ok(Published::Stale {
            current: Box::new(current(table, review_type).await?),
        }),
        Transacted::Cancelled(reasons) => Err(StoreError::Conflict(format!(
            "the framework was not published ({}); try again",
            reasons.join(", ")
        ))),
    }
}
