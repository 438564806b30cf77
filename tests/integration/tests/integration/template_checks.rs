//! The infrastructure checks (`local_runner::checks`) pass on the real template and fail on
//! broken copies of it; every environment variable a function reads is set for it.

use std::collections::BTreeSet;

use local_runner::checks::check;
use local_runner::template::Template;

use crate::support::{self, spawn};

fn template() -> String {
    std::fs::read_to_string(support::template_path()).unwrap()
}

fn problems(text: &str) -> Vec<String> {
    check(text, &local_runner::repository_root())
}

#[test]
fn the_template_passes_every_infrastructure_check() {
    let problems = problems(&template());
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// The template with `old` (which must be there) replaced by `new`.
fn broken(old: &str, new: &str) -> String {
    let text = template();
    assert!(
        text.contains(old),
        "the template changed; update this test: {old}"
    );
    text.replacen(old, new, 1)
}

/// Asserts that the template with `old` (which must be there) replaced by `new` has a problem
/// that `matches`.
fn assert_caught(old: &str, new: &str, matches: impl Fn(&str) -> bool) {
    let found = problems(&broken(old, new));
    assert!(found.iter().any(|p| matches(p)), "{found:?}");
}

#[test]
fn a_wildcard_action_in_a_function_policy_is_caught() {
    assert_caught(
        "              Action: dynamodb:DescribeTable\n",
        "              Action: dynamodb:*\n",
        |p| p.contains("HealthFunction") && p.contains("wildcard action dynamodb:*"),
    );
}

#[test]
fn an_action_missing_from_the_functions_operations_list_is_caught() {
    assert_caught(
        "              Action: ses:GetSendQuota\n",
        "              Action: [ses:GetSendQuota, ses:SendEmail]\n",
        |p| p.contains("grants ses:SendEmail"),
    );
}

#[test]
fn a_bucket_without_kms_encryption_is_caught() {
    assert_caught(
        "              SSEAlgorithm: aws:kms\n",
        "              SSEAlgorithm: AES256\n",
        |p| p.starts_with("EvidenceBucket: must be encrypted"),
    );
}

#[test]
fn a_function_crate_without_its_resource_is_caught() {
    let (old, new) = ("        Binary: health\n", "        Binary: not-a-crate\n");
    assert_caught(old, new, |p| {
        p == "functions/health has no AWS::Serverless::Function resource"
    });
    assert_caught(old, new, |p| {
        p.contains("not-a-crate, which functions/ does not have")
    });
}

#[test]
fn a_function_without_its_alarm_log_group_or_stream_safeguards_is_caught() {
    assert_caught(
        "        - Name: FunctionName\n          Value: !Ref HealthFunction\n",
        "        - Name: FunctionName\n          Value: !Ref SomethingElse\n",
        |p| p.starts_with("HealthFunction: no alarm on its Errors"),
    );
    assert_caught(
        "        LogGroup: !Ref HealthFunctionLogs\n",
        "        LogGroup: /aws/lambda/health\n",
        |p| p.starts_with("HealthFunction: LoggingConfig.LogGroup"),
    );
    assert_caught(
        "            BisectBatchOnFunctionError: true\n",
        "            BisectBatchOnFunctionError: false\n",
        |p| p.contains("BisectBatchOnFunctionError must be true"),
    );
    assert_caught("    KmsKeyArn: !GetAtt AppKey.Arn\n", "", |p| {
        p.starts_with("HealthFunction: has no its environment's KMS key")
    });
}

/// Every variable a handler asks for when it is built (as its `main.rs` builds it) is one the
/// template sets for that function; a variable read but not set would be empty in AWS.
#[tokio::test]
async fn every_environment_variable_a_function_reads_is_set_for_it_in_the_template() {
    let app = spawn().await;
    let template = Template::load(&support::template_path()).unwrap();
    for function in template.functions().unwrap() {
        let set: BTreeSet<String> = function.environment.keys().cloned().collect();
        let asked = app.stack.function_env(&function.logical_id).asked();
        assert!(
            !asked.is_empty(),
            "{} read no variable at all",
            function.logical_id
        );
        let unset: Vec<_> = asked.difference(&set).collect();
        assert!(
            unset.is_empty(),
            "{} reads {unset:?}, which infra/template.yaml does not set for it",
            function.logical_id
        );
    }
}

/// Product code reads settings only through `records::Env`, so the test above sees every read.
#[test]
fn product_code_reads_the_environment_only_through_env() {
    let root = local_runner::repository_root();
    let mut offenders = Vec::new();
    let mut dirs: Vec<_> = ["records", "workflows", "mail", "web"]
        .iter()
        .map(|library| root.join(library).join("src"))
        .collect();
    assert!(
        dirs.iter().all(|dir| dir.is_dir()),
        "a library crate moved: {dirs:?}"
    );
    for entry in std::fs::read_dir(root.join("functions")).unwrap() {
        dirs.push(entry.unwrap().path().join("src"));
    }
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let allowed =
                path.ends_with("records/src/env.rs") || path.ends_with("records/src/aws.rs");
            if path.extension().is_some_and(|e| e == "rs") && !allowed {
                let text = std::fs::read_to_string(&path).unwrap();
                if text.contains("std::env::var") || text.contains("env::var(") {
                    offenders.push(path.display().to_string());
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "read the environment through records::Env: {offenders:?}"
    );
}

#[test]
fn the_optional_edge_exists_only_with_its_web_acl_and_is_the_sites_address_then() {
    let text = template();
    let template = Template::parse(&text).unwrap();
    assert_eq!(template.parameters["EdgeWebAclArn"], "", "off by default");
    let edge = template.resources_of_type("AWS::CloudFront::Distribution");
    assert_eq!(edge.len(), 1, "one distribution");
    let (_, distribution) = edge[0];
    assert_eq!(distribution["Condition"].as_str(), Some("HasEdge"));
    let web_acl = format!(
        "{:?}",
        distribution["Properties"]["DistributionConfig"]["WebACLId"]
    );
    assert!(web_acl.contains("EdgeWebAclArn"), "{web_acl}");
    for (id, resource_type) in template.resource_types() {
        if resource_type.starts_with("AWS::CloudFront::")
            || resource_type.starts_with("AWS::WAFv2::")
        {
            let resource = template.resources_of_type(resource_type);
            let (_, resource) = resource.iter().find(|(other, _)| *other == id).unwrap();
            assert_eq!(resource["Condition"].as_str(), Some("HasEdge"), "{id}");
        }
    }
    let condition = format!("{:?}", template.conditions["HasEdge"]);
    assert!(condition.contains("EdgeWebAclArn"), "{condition}");
    let output = &template.outputs["EdgeUrl"];
    assert_eq!(output["Condition"].as_str(), Some("HasEdge"));
    // With the edge on, the site's address (links in emails, the forms' origin check) is the
    // edge's.
    assert!(
        text.contains("- HasEdge\n            - !Sub \"https://${EdgeDistribution.DomainName}\"")
    );
}
