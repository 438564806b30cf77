//! The infrastructure checks: what `infra/template.yaml` must say about every function and
//! every store, compared with the workspace. `tests/integration` runs them on the real template
//! and on broken copies of it (so a check that stops catching its problem fails too).
//!
//! For every function crate in `functions/` there is exactly one function resource and the
//! reverse. Each function, with the SAM Globals merged in as SAM merges them, runs
//! `provided.al2023` on arm64, built by cargo-lambda; has its environment encrypted with the
//! stack's key, a concurrency limit, a timeout (30 s at most behind the API), JSON logs in its
//! own log group with retention and encryption, an on-failure destination for asynchronous
//! invocations, and alarms on its errors and throttles. Each stream trigger reports batch item
//! failures, bisects, retries a bounded number of times for a bounded record age, and sends
//! what still fails to an on-failure destination. Its IAM policy is inline statements whose
//! actions are exactly those listed in `functions/<crate>/aws-operations.txt`. No `Allow`
//! statement anywhere in the template has a `*` in an action. Buckets, tables, queues, topics,
//! log groups and secrets are encrypted with a customer-managed key; buckets block public
//! access, are versioned and refuse plain HTTP; tables have point-in-time recovery and
//! deletion protection; keys rotate; the API logs access and has default throttling.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_norway::{Mapping, Value};

/// Every problem found, one line each; empty when the template is right.
pub fn check(template_text: &str, repository: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let root: Value = match serde_norway::from_str(template_text) {
        Ok(root) => root,
        Err(e) => return vec![format!("the template is not valid YAML: {e}")],
    };
    let resources: BTreeMap<String, Value> = root
        .get("Resources")
        .and_then(Value::as_mapping)
        .map(|m| m.iter().map(|(k, v)| (text(k), v.clone())).collect())
        .unwrap_or_default();
    let of_type = |wanted: &'static str| -> Vec<(&str, Value)> {
        resources
            .iter()
            .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(wanted))
            .map(|(id, r)| {
                (
                    id.as_str(),
                    r.get("Properties").cloned().unwrap_or_default(),
                )
            })
            .collect()
    };
    let globals = root
        .get("Globals")
        .and_then(|g| g.get("Function"))
        .cloned()
        .unwrap_or(Value::Mapping(Mapping::new()));
    let alarms: Vec<Value> = of_type("AWS::CloudWatch::Alarm")
        .into_iter()
        .map(|(_, p)| p)
        .collect();

    let mut crates_in_template = BTreeSet::new();
    for (id, resource) in resources
        .iter()
        .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some("AWS::Serverless::Function"))
    {
        let mut say = |problem: String| problems.push(format!("{id}: {problem}"));
        let metadata = resource.get("Metadata").cloned().unwrap_or_default();
        let binary = metadata
            .get("BuildProperties")
            .and_then(|b| b.get("Binary"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if binary.is_empty() {
            say("Metadata.BuildProperties.Binary is missing".into());
            continue;
        }
        if !crates_in_template.insert(binary.clone()) {
            say(format!("a second resource for the crate {binary}"));
        }
        if metadata.get("BuildMethod").and_then(Value::as_str) != Some("rust-cargolambda") {
            say("Metadata.BuildMethod must be rust-cargolambda".into());
        }
        let own = resource.get("Properties").cloned().unwrap_or_default();
        let function = merge(&globals, &own);
        let field = |path: &[&str]| lookup(&function, path);
        if field(&["Runtime"]).and_then(Value::as_str) != Some("provided.al2023") {
            say("Runtime must be provided.al2023".into());
        }
        let arm64 = field(&["Architectures"])
            .and_then(Value::as_sequence)
            .is_some_and(|a| a.len() == 1 && a[0].as_str() == Some("arm64"));
        if !arm64 {
            say("Architectures must be [arm64]".into());
        }
        for (path, what) in [
            (&["KmsKeyArn"][..], "its environment's KMS key (KmsKeyArn)"),
            (&["ReservedConcurrentExecutions"], "a concurrency limit"),
            (&["Timeout"], "a timeout"),
            (
                &[
                    "EventInvokeConfig",
                    "DestinationConfig",
                    "OnFailure",
                    "Destination",
                ],
                "an on-failure destination for asynchronous invocations",
            ),
        ] {
            if field(path).is_none() {
                say(format!("has no {what}"));
            }
        }
        if field(&["LoggingConfig", "LogFormat"]).and_then(Value::as_str) != Some("JSON") {
            say("LoggingConfig.LogFormat must be JSON".into());
        }
        match field(&["LoggingConfig", "LogGroup"]).and_then(ref_target) {
            None => say("LoggingConfig.LogGroup must be !Ref of its own log group".into()),
            Some(group) => {
                let props = resources.get(&group).and_then(|g| g.get("Properties"));
                let is_group = resources
                    .get(&group)
                    .and_then(|g| g.get("Type"))
                    .and_then(Value::as_str)
                    == Some("AWS::Logs::LogGroup");
                if !is_group
                    || props.and_then(|p| p.get("RetentionInDays")).is_none()
                    || props.and_then(|p| p.get("KmsKeyId")).is_none()
                {
                    say(format!(
                        "its log group {group} must be an AWS::Logs::LogGroup with RetentionInDays and KmsKeyId"
                    ));
                }
            }
        }
        for metric in ["Errors", "Throttles"] {
            let alarmed = alarms.iter().any(|alarm| {
                alarm.get("MetricName").and_then(Value::as_str) == Some(metric)
                    && alarm.get("AlarmActions").is_some()
                    && alarm
                        .get("Dimensions")
                        .and_then(Value::as_sequence)
                        .is_some_and(|dims| {
                            dims.iter().any(|d| {
                                d.get("Name").and_then(Value::as_str) == Some("FunctionName")
                                    && d.get("Value").and_then(ref_target).as_deref() == Some(id)
                            })
                        })
            });
            if !alarmed {
                say(format!("no alarm on its {metric}"));
            }
        }
        let events = own
            .get("Events")
            .and_then(Value::as_mapping)
            .cloned()
            .unwrap_or_default();
        let mut behind_api = false;
        for (name, event) in &events {
            let name = text(name);
            let props = event.get("Properties").cloned().unwrap_or_default();
            match event.get("Type").and_then(Value::as_str) {
                Some("HttpApi") => behind_api = true,
                Some("DynamoDB") | Some("Kinesis") => {
                    for problem in stream_problems(&props) {
                        say(format!("stream event {name}: {problem}"));
                    }
                }
                _ => {}
            }
        }
        if behind_api
            && field(&["Timeout"])
                .and_then(Value::as_u64)
                .is_some_and(|t| t > 30)
        {
            say("Timeout is over the API's 30 seconds".into());
        }
        match policy_actions(&own) {
            Err(problem) => say(problem),
            Ok(granted) => {
                let list = repository
                    .join("functions")
                    .join(&binary)
                    .join("aws-operations.txt");
                match std::fs::read_to_string(&list) {
                    Err(_) => say(format!("functions/{binary}/aws-operations.txt is missing")),
                    Ok(listed) => {
                        let listed = operations(&listed);
                        for action in granted.difference(&listed) {
                            say(format!(
                                "its policy grants {action}, which functions/{binary}/aws-operations.txt does not list"
                            ));
                        }
                        for action in listed.difference(&granted) {
                            say(format!(
                                "functions/{binary}/aws-operations.txt lists {action}, which its policy does not grant"
                            ));
                        }
                    }
                }
            }
        }
    }

    let crates = function_crates(repository);
    for missing in crates.difference(&crates_in_template) {
        problems.push(format!(
            "functions/{missing} has no AWS::Serverless::Function resource"
        ));
    }
    for extra in crates_in_template.difference(&crates) {
        problems.push(format!(
            "the template builds {extra}, which functions/ does not have"
        ));
    }

    for (id, resource) in &resources {
        let mut statements = Vec::new();
        collect_statements(resource, &mut statements);
        for statement in statements {
            if statement.get("Effect").and_then(Value::as_str) != Some("Allow") {
                continue;
            }
            for action in actions_of(&statement) {
                if action.contains('*') {
                    problems.push(format!(
                        "{id}: an Allow statement grants the wildcard action {action}"
                    ));
                }
            }
        }
    }

    let bucket_policies: Vec<Value> = of_type("AWS::S3::BucketPolicy")
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    for (id, props) in of_type("AWS::S3::Bucket") {
        let mut say = |problem: &str| problems.push(format!("{id}: {problem}"));
        let rule = lookup(
            &props,
            &["BucketEncryption", "ServerSideEncryptionConfiguration"],
        )
        .and_then(Value::as_sequence)
        .and_then(|rules| rules.first().cloned())
        .unwrap_or_default();
        if lookup(&rule, &["ServerSideEncryptionByDefault", "SSEAlgorithm"]).and_then(Value::as_str)
            != Some("aws:kms")
            || lookup(&rule, &["ServerSideEncryptionByDefault", "KMSMasterKeyID"]).is_none()
        {
            say("must be encrypted with the stack's KMS key (SSE-KMS)");
        }
        if rule.get("BucketKeyEnabled").and_then(Value::as_bool) != Some(true) {
            say("must use an S3 bucket key (BucketKeyEnabled)");
        }
        for setting in [
            "BlockPublicAcls",
            "BlockPublicPolicy",
            "IgnorePublicAcls",
            "RestrictPublicBuckets",
        ] {
            if lookup(&props, &["PublicAccessBlockConfiguration", setting]).and_then(Value::as_bool)
                != Some(true)
            {
                say(&format!(
                    "PublicAccessBlockConfiguration.{setting} must be true"
                ));
            }
        }
        if lookup(&props, &["VersioningConfiguration", "Status"]).and_then(Value::as_str)
            != Some("Enabled")
        {
            say("must be versioned");
        }
        let tls_only = bucket_policies.iter().any(|policy| {
            policy.get("Bucket").and_then(ref_target).as_deref() == Some(id)
                && policy
                    .get("PolicyDocument")
                    .and_then(|d| d.get("Statement"))
                    .and_then(Value::as_sequence)
                    .is_some_and(|statements| {
                        statements.iter().any(|s| {
                            s.get("Effect").and_then(Value::as_str) == Some("Deny")
                                && lookup(s, &["Condition", "Bool", "aws:SecureTransport"])
                                    .map(text)
                                    .as_deref()
                                    == Some("false")
                        })
                    })
        });
        if !tls_only {
            say("needs a bucket policy that denies requests without TLS");
        }
    }
    for (id, props) in of_type("AWS::DynamoDB::Table") {
        let mut say = |problem: &str| problems.push(format!("{id}: {problem}"));
        if lookup(&props, &["SSESpecification", "SSEEnabled"]).and_then(Value::as_bool)
            != Some(true)
            || lookup(&props, &["SSESpecification", "SSEType"]).and_then(Value::as_str)
                != Some("KMS")
            || lookup(&props, &["SSESpecification", "KMSMasterKeyId"]).is_none()
        {
            say("must be encrypted with the stack's KMS key");
        }
        if lookup(
            &props,
            &[
                "PointInTimeRecoverySpecification",
                "PointInTimeRecoveryEnabled",
            ],
        )
        .and_then(Value::as_bool)
            != Some(true)
        {
            say("needs point-in-time recovery");
        }
        if props
            .get("DeletionProtectionEnabled")
            .and_then(Value::as_bool)
            != Some(true)
        {
            say("needs deletion protection");
        }
    }
    for (kind, key) in [
        ("AWS::SQS::Queue", "KmsMasterKeyId"),
        ("AWS::SNS::Topic", "KmsMasterKeyId"),
        ("AWS::Logs::LogGroup", "KmsKeyId"),
        ("AWS::SecretsManager::Secret", "KmsKeyId"),
    ] {
        for (id, props) in of_type(kind) {
            if props.get(key).is_none() {
                problems.push(format!(
                    "{id}: must be encrypted with the stack's KMS key ({key})"
                ));
            }
            if kind == "AWS::Logs::LogGroup" && props.get("RetentionInDays").is_none() {
                problems.push(format!("{id}: needs RetentionInDays"));
            }
        }
    }
    for (id, props) in of_type("AWS::KMS::Key") {
        if props.get("EnableKeyRotation").and_then(Value::as_bool) != Some(true) {
            problems.push(format!("{id}: must rotate (EnableKeyRotation)"));
        }
    }
    for (id, props) in of_type("AWS::Serverless::HttpApi") {
        if lookup(&props, &["AccessLogSettings", "DestinationArn"]).is_none() {
            problems.push(format!("{id}: needs access logging"));
        }
        if lookup(&props, &["DefaultRouteSettings", "ThrottlingRateLimit"]).is_none() {
            problems.push(format!("{id}: needs default throttling"));
        }
    }
    problems
}

fn stream_problems(props: &Value) -> Vec<&'static str> {
    let mut problems = Vec::new();
    let reports_failures = props
        .get("FunctionResponseTypes")
        .and_then(Value::as_sequence)
        .is_some_and(|t| {
            t.iter()
                .any(|t| t.as_str() == Some("ReportBatchItemFailures"))
        });
    if !reports_failures {
        problems.push("FunctionResponseTypes must include ReportBatchItemFailures");
    }
    if props
        .get("BisectBatchOnFunctionError")
        .and_then(Value::as_bool)
        != Some(true)
    {
        problems.push("BisectBatchOnFunctionError must be true");
    }
    if !props
        .get("MaximumRetryAttempts")
        .and_then(Value::as_i64)
        .is_some_and(|n| (0..=10).contains(&n))
    {
        problems.push("MaximumRetryAttempts must be set, 0 to 10");
    }
    if !props
        .get("MaximumRecordAgeInSeconds")
        .and_then(Value::as_i64)
        .is_some_and(|n| (60..=86_400).contains(&n))
    {
        problems.push("MaximumRecordAgeInSeconds must be set, a minute to a day");
    }
    if lookup(props, &["DestinationConfig", "OnFailure", "Destination"]).is_none() {
        problems.push("needs an on-failure destination (DestinationConfig.OnFailure)");
    }
    problems
}

/// The actions of a function's `Policies`, which must all be inline statements (a managed
/// policy or SAM policy template would hide what it grants from this check).
fn policy_actions(properties: &Value) -> Result<BTreeSet<String>, String> {
    let mut actions = BTreeSet::new();
    let policies = properties.get("Policies").and_then(Value::as_sequence);
    for policy in policies.into_iter().flatten() {
        let statements = policy
            .get("Statement")
            .and_then(Value::as_sequence)
            .ok_or_else(|| {
                "Policies must be inline statements (no managed policies or SAM policy templates)"
                    .to_owned()
            })?;
        for statement in statements {
            if statement.get("Effect").and_then(Value::as_str) == Some("Allow") {
                actions.extend(actions_of(statement));
            }
        }
    }
    Ok(actions)
}

/// The `service:Action` lines of an aws-operations.txt (`#` starts a comment).
pub fn operations(text: &str) -> BTreeSet<String> {
    text.lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

fn actions_of(statement: &Value) -> Vec<String> {
    match statement.get("Action") {
        Some(Value::String(action)) => vec![action.clone()],
        Some(Value::Sequence(actions)) => actions.iter().map(text).collect(),
        _ => Vec::new(),
    }
}

/// Every IAM statement under a resource (function policies, key, bucket and topic policies).
fn collect_statements(value: &Value, out: &mut Vec<Value>) {
    match value {
        Value::Mapping(map) => {
            for (key, child) in map {
                if text(key) == "Statement"
                    && let Some(statements) = child.as_sequence()
                {
                    out.extend(statements.iter().cloned());
                    continue;
                }
                collect_statements(child, out);
            }
        }
        Value::Sequence(items) => items.iter().for_each(|i| collect_statements(i, out)),
        Value::Tagged(tagged) => collect_statements(&tagged.value, out),
        _ => {}
    }
}

fn function_crates(repository: &Path) -> BTreeSet<String> {
    std::fs::read_dir(repository.join("functions"))
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().join("Cargo.toml").is_file())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// SAM's Globals rule: the resource's value wins; maps merge key by key; lists concatenate.
fn merge(global: &Value, own: &Value) -> Value {
    match (global, own) {
        (Value::Mapping(g), Value::Mapping(o)) => {
            let mut merged = g.clone();
            for (key, value) in o {
                let value = match g.get(key) {
                    Some(gv) => merge(gv, value),
                    None => value.clone(),
                };
                merged.insert(key.clone(), value);
            }
            Value::Mapping(merged)
        }
        (Value::Sequence(g), Value::Sequence(o)) => {
            Value::Sequence(g.iter().chain(o).cloned().collect())
        }
        _ => own.clone(),
    }
}

fn lookup<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, key| v.get(*key))
}

/// `X` of `!Ref X` (short or long form).
fn ref_target(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str().map(str::to_owned),
        Value::Mapping(m) => m.get("Ref")?.as_str().map(str::to_owned),
        _ => None,
    }
}

fn text(value: &Value) -> String {
    crate::template::scalar_string(value)
}
