//! Reads `infra/template.yaml`: the tables, buckets, secrets, functions and their triggers.
//! Nothing about them is restated in Rust, so local and cloud cannot drift.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context as _, anyhow, bail};
use serde_norway::{Mapping, Value};

/// One `AWS::Serverless::Function` and what triggers it.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    pub logical_id: String,
    /// `Metadata.BuildProperties.Binary`: the workspace binary (and crate) of the function.
    pub binary: String,
    /// Globals' variables overlaid with the function's own, unresolved.
    pub environment: BTreeMap<String, Value>,
    pub events: Vec<EventSpec>,
}

#[derive(Debug, Clone)]
pub enum EventSpec {
    Http {
        method: String,
        path: String,
    },
    DynamoStream {
        /// Logical id of the table whose stream feeds the function.
        table: String,
        batch_size: usize,
        /// Event filter patterns (JSON); a record passes if any matches, or if there are none.
        filters: Vec<serde_json::Value>,
        max_retries: Option<u32>,
        starting_position: String,
    },
    Schedule {
        name: String,
        expression: String,
        input: serde_json::Value,
    },
    /// An SNS subscription. Nothing publishes locally (SES bounces are not emulated), so the
    /// runner only builds the handler; tests call it with notification fixtures.
    Sns {
        /// Logical id of the topic.
        topic: String,
    },
    /// S3 event notifications of a bucket (`Type: S3`).
    S3 {
        /// Logical id of the bucket.
        bucket: String,
        /// `s3:ObjectCreated:*` and the like.
        events: Vec<String>,
        /// The key filter's `prefix` and `suffix` rules (empty: any).
        prefix: String,
        suffix: String,
    },
    /// An EventBridge rule on the default bus (`Type: EventBridgeRule`). The runner emulates one
    /// kind of event: GuardDuty's malware scan results for a bucket it protects.
    EventBridge {
        /// The pattern's `source` and `detail-type` lists.
        sources: Vec<String>,
        detail_types: Vec<String>,
        /// Logical id of the bucket in `detail.s3ObjectDetails.bucketName: [!Ref <Bucket>]`.
        bucket: Option<String>,
        /// The `{prefix: ...}` of `detail.s3ObjectDetails.objectKey` (empty: any).
        key_prefix: String,
    },
}

/// A GuardDuty Malware Protection plan (`AWS::GuardDuty::MalwareProtectionPlan`) of a bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalwarePlanSpec {
    pub logical_id: String,
    /// Logical id of the protected bucket.
    pub bucket: String,
    /// The scanned prefixes (empty: the whole bucket).
    pub prefixes: Vec<String>,
    /// Whether the plan tags each scanned object with its result.
    pub tagging: bool,
}

#[derive(Debug, Clone)]
pub struct TableSpec {
    pub logical_id: String,
    pub properties: Value,
}

#[derive(Debug, Clone)]
pub struct Template {
    pub parameters: BTreeMap<String, String>,
    pub conditions: Mapping,
    pub outputs: Mapping,
    resources: BTreeMap<String, Value>,
    globals_environment: BTreeMap<String, Value>,
}

impl Template {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the template {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    pub fn parse(text: &str) -> anyhow::Result<Self> {
        let root: Value = serde_norway::from_str(text).context("the template is not valid YAML")?;
        let parameters = mapping(&root, "Parameters")
            .iter()
            .map(|(name, spec)| {
                let default = spec.get("Default").map(scalar_string).unwrap_or_default();
                (key_string(name), default)
            })
            .collect();
        let resources = mapping(&root, "Resources")
            .iter()
            .map(|(name, resource)| (key_string(name), resource.clone()))
            .collect();
        let globals_environment = root
            .get("Globals")
            .and_then(|g| g.get("Function"))
            .and_then(|f| f.get("Environment"))
            .and_then(|e| e.get("Variables"))
            .and_then(Value::as_mapping)
            .map(environment_map)
            .unwrap_or_default();
        Ok(Self {
            parameters,
            conditions: mapping(&root, "Conditions"),
            outputs: mapping(&root, "Outputs"),
            resources,
            globals_environment,
        })
    }

    /// Logical ids of the resources of one CloudFormation type.
    pub fn resources_of_type(&self, resource_type: &str) -> Vec<(&str, &Value)> {
        self.resources
            .iter()
            .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(resource_type))
            .map(|(id, r)| (id.as_str(), r))
            .collect()
    }

    /// Every resource's logical id and type.
    pub fn resource_types(&self) -> impl Iterator<Item = (&str, &str)> {
        self.resources.iter().map(|(id, r)| {
            (
                id.as_str(),
                r.get("Type").and_then(Value::as_str).unwrap_or_default(),
            )
        })
    }

    pub fn resource_type(&self, logical_id: &str) -> Option<&str> {
        self.resources.get(logical_id)?.get("Type")?.as_str()
    }

    pub fn tables(&self) -> Vec<TableSpec> {
        self.resources_of_type("AWS::DynamoDB::Table")
            .into_iter()
            .map(|(id, r)| TableSpec {
                logical_id: id.to_owned(),
                properties: r.get("Properties").cloned().unwrap_or(Value::Null),
            })
            .collect()
    }

    pub fn malware_protection_plans(&self) -> anyhow::Result<Vec<MalwarePlanSpec>> {
        self.resources_of_type("AWS::GuardDuty::MalwareProtectionPlan")
            .into_iter()
            .map(|(id, resource)| {
                let bucket = resource
                    .get("Properties")
                    .and_then(|p| p.get("ProtectedResource"))
                    .and_then(|p| p.get("S3Bucket"));
                Ok(MalwarePlanSpec {
                    logical_id: id.to_owned(),
                    bucket: bucket
                        .and_then(|b| b.get("BucketName"))
                        .and_then(ref_target)
                        .ok_or_else(|| {
                            anyhow!(
                                "{id}: ProtectedResource.S3Bucket.BucketName must be !Ref <Bucket>"
                            )
                        })?,
                    prefixes: bucket
                        .and_then(|b| b.get("ObjectPrefixes"))
                        .and_then(Value::as_sequence)
                        .map(|list| list.iter().map(scalar_string).collect())
                        .unwrap_or_default(),
                    tagging: resource
                        .get("Properties")
                        .and_then(|p| p.get("Actions"))
                        .and_then(|a| a.get("Tagging"))
                        .and_then(|t| t.get("Status"))
                        .map(scalar_string)
                        .is_some_and(|status| status == "ENABLED"),
                })
            })
            .collect()
    }

    pub fn functions(&self) -> anyhow::Result<Vec<FunctionSpec>> {
        self.resources_of_type("AWS::Serverless::Function")
            .into_iter()
            .map(|(id, resource)| {
                self.function(id, resource)
                    .with_context(|| format!("function {id}"))
            })
            .collect()
    }

    fn function(&self, logical_id: &str, resource: &Value) -> anyhow::Result<FunctionSpec> {
        let binary = resource
            .get("Metadata")
            .and_then(|m| m.get("BuildProperties"))
            .and_then(|b| b.get("Binary"))
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("Metadata.BuildProperties.Binary is missing"))?
            .to_owned();
        let properties = resource.get("Properties").cloned().unwrap_or(Value::Null);
        let mut environment = self.globals_environment.clone();
        if let Some(vars) = properties
            .get("Environment")
            .and_then(|e| e.get("Variables"))
            .and_then(Value::as_mapping)
        {
            environment.extend(environment_map(vars));
        }
        let mut events = Vec::new();
        if let Some(declared) = properties.get("Events").and_then(Value::as_mapping) {
            for (name, event) in declared {
                let name = key_string(name);
                events.push(event_spec(&name, event).with_context(|| format!("event {name}"))?);
            }
        }
        Ok(FunctionSpec {
            logical_id: logical_id.to_owned(),
            binary,
            environment,
            events,
        })
    }
}

fn event_spec(name: &str, event: &Value) -> anyhow::Result<EventSpec> {
    let kind = event
        .get("Type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let props = event.get("Properties").cloned().unwrap_or(Value::Null);
    let text = |key: &str| props.get(key).and_then(Value::as_str).map(str::to_owned);
    match kind {
        "HttpApi" => Ok(EventSpec::Http {
            method: text("Method")
                .unwrap_or_else(|| "ANY".into())
                .to_uppercase(),
            path: text("Path").ok_or_else(|| anyhow!("HttpApi event without Path"))?,
        }),
        "DynamoDB" => {
            let stream = props
                .get("Stream")
                .ok_or_else(|| anyhow!("DynamoDB event without Stream"))?;
            let table = getatt_target(stream)
                .ok_or_else(|| anyhow!("Stream must be !GetAtt <Table>.StreamArn"))?;
            let filters = props
                .get("FilterCriteria")
                .and_then(|f| f.get("Filters"))
                .and_then(Value::as_sequence)
                .map(|filters| {
                    filters
                        .iter()
                        .map(|f| {
                            let pattern = f.get("Pattern").and_then(Value::as_str).unwrap_or("{}");
                            serde_json::from_str(pattern).context("a filter Pattern is not JSON")
                        })
                        .collect::<anyhow::Result<Vec<_>>>()
                })
                .transpose()?
                .unwrap_or_default();
            Ok(EventSpec::DynamoStream {
                table,
                batch_size: props
                    .get("BatchSize")
                    .and_then(Value::as_u64)
                    .unwrap_or(100) as usize,
                filters,
                max_retries: props
                    .get("MaximumRetryAttempts")
                    .and_then(Value::as_u64)
                    .map(|n| n as u32),
                starting_position: text("StartingPosition")
                    .unwrap_or_else(|| "TRIM_HORIZON".into()),
            })
        }
        "Schedule" | "ScheduleV2" => {
            let input = match text("Input") {
                Some(json) => serde_json::from_str(&json).context("schedule Input is not JSON")?,
                None => serde_json::json!({}),
            };
            Ok(EventSpec::Schedule {
                name: name.to_owned(),
                expression: text("ScheduleExpression")
                    .ok_or_else(|| anyhow!("schedule without ScheduleExpression"))?,
                input,
            })
        }
        "SNS" => Ok(EventSpec::Sns {
            topic: props
                .get("Topic")
                .and_then(ref_target)
                .ok_or_else(|| anyhow!("SNS event without Topic: !Ref <Topic>"))?,
        }),
        "S3" => {
            let events = match props.get("Events") {
                Some(Value::Sequence(list)) => list.iter().map(scalar_string).collect(),
                Some(one) => vec![scalar_string(one)],
                None => bail!("S3 event without Events"),
            };
            let rule = |wanted: &str| {
                props
                    .get("Filter")
                    .and_then(|f| f.get("S3Key"))
                    .and_then(|k| k.get("Rules"))
                    .and_then(Value::as_sequence)
                    .into_iter()
                    .flatten()
                    .find(|r| {
                        r.get("Name")
                            .map(scalar_string)
                            .is_some_and(|n| n.eq_ignore_ascii_case(wanted))
                    })
                    .and_then(|r| r.get("Value"))
                    .map(scalar_string)
                    .unwrap_or_default()
            };
            Ok(EventSpec::S3 {
                bucket: props
                    .get("Bucket")
                    .and_then(ref_target)
                    .ok_or_else(|| anyhow!("S3 event without Bucket: !Ref <Bucket>"))?,
                events,
                prefix: rule("prefix"),
                suffix: rule("suffix"),
            })
        }
        "EventBridgeRule" => {
            let pattern = props
                .get("Pattern")
                .ok_or_else(|| anyhow!("EventBridgeRule event without Pattern"))?;
            let list = |value: Option<&Value>| -> Vec<String> {
                value
                    .and_then(Value::as_sequence)
                    .map(|list| list.iter().map(scalar_string).collect())
                    .unwrap_or_default()
            };
            let object = pattern.get("detail").and_then(|d| d.get("s3ObjectDetails"));
            Ok(EventSpec::EventBridge {
                sources: list(pattern.get("source")),
                detail_types: list(pattern.get("detail-type")),
                bucket: object
                    .and_then(|o| o.get("bucketName"))
                    .and_then(Value::as_sequence)
                    .and_then(|names| names.first())
                    .and_then(ref_target),
                key_prefix: object
                    .and_then(|o| o.get("objectKey"))
                    .and_then(Value::as_sequence)
                    .and_then(|rules| rules.first())
                    .and_then(|rule| rule.get("prefix"))
                    .map(scalar_string)
                    .unwrap_or_default(),
            })
        }
        other => bail!("event type {other:?} is not supported by the local runner yet"),
    }
}

/// `X` of `!Ref X` (short or long form).
fn ref_target(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str().map(str::to_owned),
        Value::Mapping(m) => m.get("Ref")?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// `X` of `!GetAtt X.StreamArn` (short or long form).
fn getatt_target(value: &Value) -> Option<String> {
    let target = match value {
        Value::Tagged(tagged) if tagged.tag == "GetAtt" => tagged.value.clone(),
        Value::Mapping(m) => m.get("Fn::GetAtt")?.clone(),
        _ => return None,
    };
    match target {
        Value::String(s) => s.split('.').next().map(str::to_owned),
        Value::Sequence(parts) => parts.first().and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

fn mapping(root: &Value, key: &str) -> Mapping {
    root.get(key)
        .and_then(Value::as_mapping)
        .cloned()
        .unwrap_or_default()
}

fn environment_map(vars: &Mapping) -> BTreeMap<String, Value> {
    vars.iter()
        .map(|(k, v)| (key_string(k), v.clone()))
        .collect()
}

fn key_string(key: &Value) -> String {
    scalar_string(key)
}

pub fn scalar_string(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => String::new(),
    }
}
