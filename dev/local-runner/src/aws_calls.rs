//! Which AWS actions each function's code really calls, recorded on the local stack by an SDK
//! interceptor on that function's own clients, so tests can hold them against the function's
//! policy (`functions/<crate>/aws-operations.txt`, which [`crate::checks`] holds against the
//! template). Presigning counts: a presigned URL works only if its signer may call the action.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::client::interceptors::context::Input;
use aws_smithy_runtime_api::client::orchestrator::Metadata;

/// Per function binary, the IAM actions its calls needed.
pub type Calls = Arc<Mutex<BTreeMap<String, BTreeSet<String>>>>;

/// Records the calls of one function's clients.
#[derive(Debug, Clone)]
pub struct Recorder {
    pub binary: String,
    pub calls: Calls,
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "AwsCallRecorder"
    }

    // Not `read_before_execution`: a client's interceptors run that before the operation's
    // configuration (its metadata) is in the bag.
    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            let actions = iam_actions(metadata.service(), metadata.name(), context.input());
            self.calls
                .lock()
                .expect("not poisoned")
                .entry(self.binary.clone())
                .or_default()
                .extend(actions);
        }
        Ok(())
    }
}

/// The IAM actions a call of `operation` (on the SDK's `service`) with `input` needs. Most are
/// the operation's own name; the exceptions are DynamoDB transactions (the action of each item)
/// and S3, whose actions are named after the permission, not the API.
pub fn iam_actions(service: &str, operation: &str, input: &Input) -> Vec<String> {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
    use aws_sdk_s3::operation::{
        delete_object::DeleteObjectInput, get_object::GetObjectInput,
        get_object_tagging::GetObjectTaggingInput, head_object::HeadObjectInput,
    };
    let prefix = match service {
        "DynamoDB" => "dynamodb".to_owned(),
        "S3" => "s3".to_owned(),
        "SES" => "ses".to_owned(),
        "Secrets Manager" => "secretsmanager".to_owned(),
        "Cognito Identity Provider" => "cognito-idp".to_owned(),
        other => other.to_lowercase().replace(' ', ""),
    };
    let action = |name: &str| format!("{prefix}:{name}");
    // S3 names the action on one version of an object apart: `GetObjectVersion`.
    let versioned = |version: Option<&str>, name: &str| match version {
        Some(_) => vec![action(&format!("{name}Version"))],
        None => vec![action(name)],
    };
    match (prefix.as_str(), operation) {
        ("dynamodb", "TransactWriteItems") => input
            .downcast_ref::<TransactWriteItemsInput>()
            .map(|input| {
                input
                    .transact_items()
                    .iter()
                    .filter_map(|item| {
                        if item.put().is_some() {
                            Some("PutItem")
                        } else if item.update().is_some() {
                            Some("UpdateItem")
                        } else if item.delete().is_some() {
                            Some("DeleteItem")
                        } else if item.condition_check().is_some() {
                            Some("ConditionCheckItem")
                        } else {
                            None
                        }
                    })
                    .map(action)
                    .collect()
            })
            .unwrap_or_default(),
        ("dynamodb", "TransactGetItems") => vec![action("GetItem")],
        // A user pool's own sign-in calls are authorised by the user's password, challenge
        // session or token, not by IAM: they need no action.
        (
            "cognito-idp",
            "InitiateAuth"
            | "RespondToAuthChallenge"
            | "AssociateSoftwareToken"
            | "VerifySoftwareToken"
            | "GlobalSignOut",
        ) => vec![],
        ("s3", "ListObjectVersions") => vec![action("ListBucketVersions")],
        ("s3", "ListObjects" | "ListObjectsV2" | "HeadBucket") => vec![action("ListBucket")],
        ("s3", "GetObject") => versioned(
            input
                .downcast_ref::<GetObjectInput>()
                .and_then(|i| i.version_id()),
            "GetObject",
        ),
        ("s3", "HeadObject") => versioned(
            input
                .downcast_ref::<HeadObjectInput>()
                .and_then(|i| i.version_id()),
            "GetObject",
        ),
        // The one whose version action puts `Version` in the middle.
        ("s3", "GetObjectTagging") => match input
            .downcast_ref::<GetObjectTaggingInput>()
            .and_then(|i| i.version_id())
        {
            Some(_) => vec![action("GetObjectVersionTagging")],
            None => vec![action("GetObjectTagging")],
        },
        ("s3", "DeleteObject") => versioned(
            input
                .downcast_ref::<DeleteObjectInput>()
                .and_then(|i| i.version_id()),
            "DeleteObject",
        ),
        (_, operation) => vec![action(operation)],
    }
}

/// The calls in `called` (per function binary) that the function's
/// `functions/<binary>/aws-operations.txt` under `repository` does not list, as sentences.
pub fn ungranted(
    repository: &std::path::Path,
    called: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<String> {
    let mut ungranted = Vec::new();
    for (binary, actions) in called {
        let path = repository
            .join("functions")
            .join(binary)
            .join("aws-operations.txt");
        let granted = match std::fs::read_to_string(&path) {
            Ok(text) => crate::checks::operations(&text),
            Err(error) => {
                ungranted.push(format!(
                    "{binary}: {} cannot be read: {error}",
                    path.display()
                ));
                continue;
            }
        };
        ungranted.extend(
            actions
                .difference(&granted)
                .map(|action| format!("{binary} called {action}, which its policy does not grant")),
        );
    }
    ungranted
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsInput;
    use aws_sdk_dynamodb::types::{ConditionCheck, Put, TransactWriteItem};
    use aws_sdk_s3::operation::delete_object::DeleteObjectInput;

    use super::*;

    fn actions(service: &str, operation: &str, input: Input) -> Vec<String> {
        iam_actions(service, operation, &input)
    }

    #[test]
    fn a_transaction_needs_the_action_of_each_item() {
        let put = Put::builder()
            .table_name("t")
            .set_item(Some(Default::default()))
            .build()
            .unwrap();
        let check = ConditionCheck::builder()
            .table_name("t")
            .set_key(Some(Default::default()))
            .condition_expression("attribute_exists(pk)")
            .build()
            .unwrap();
        let input = TransactWriteItemsInput::builder()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(TransactWriteItem::builder().condition_check(check).build())
            .build()
            .unwrap();
        assert_eq!(
            actions("DynamoDB", "TransactWriteItems", Input::erase(input)),
            ["dynamodb:PutItem", "dynamodb:ConditionCheckItem"]
        );
    }

    #[test]
    fn s3_actions_are_named_after_the_permission() {
        let versioned = DeleteObjectInput::builder()
            .bucket("b")
            .key("k")
            .version_id("v1")
            .build()
            .unwrap();
        assert_eq!(
            actions("S3", "DeleteObject", Input::erase(versioned)),
            ["s3:DeleteObjectVersion"]
        );
        let plain = DeleteObjectInput::builder()
            .bucket("b")
            .key("k")
            .build()
            .unwrap();
        assert_eq!(
            actions("S3", "DeleteObject", Input::erase(plain)),
            ["s3:DeleteObject"]
        );
        assert_eq!(
            actions("S3", "ListObjectVersions", Input::doesnt_matter()),
            ["s3:ListBucketVersions"]
        );
        let tagging = aws_sdk_s3::operation::get_object_tagging::GetObjectTaggingInput::builder();
        let tagging = tagging.bucket("b").key("k").version_id("v1").build();
        assert_eq!(
            actions("S3", "GetObjectTagging", Input::erase(tagging.unwrap())),
            ["s3:GetObjectVersionTagging"]
        );
        assert_eq!(
            actions("Secrets Manager", "GetSecretValue", Input::doesnt_matter()),
            ["secretsmanager:GetSecretValue"]
        );
        assert_eq!(
            actions("SES", "SendRawEmail", Input::doesnt_matter()),
            ["ses:SendRawEmail"]
        );
    }

    #[test]
    fn a_call_the_policy_does_not_grant_is_named() {
        let repository = crate::repository_root();
        let called = BTreeMap::from([
            (
                "mail-sender".to_owned(),
                BTreeSet::from(["ses:SendRawEmail".to_owned(), "dynamodb:Scan".to_owned()]),
            ),
            (
                "matcher".to_owned(),
                BTreeSet::from(["dynamodb:Query".to_owned()]),
            ),
            ("no-such-function".to_owned(), BTreeSet::new()),
        ]);
        let ungranted = ungranted(&repository, &called);
        assert_eq!(ungranted.len(), 2, "{ungranted:?}");
        assert_eq!(
            ungranted[0],
            "mail-sender called dynamodb:Scan, which its policy does not grant"
        );
        assert!(
            ungranted[1].starts_with("no-such-function: "),
            "{ungranted:?}"
        );
    }
}
