//! Creates the template's tables, buckets and secrets in DynamoDB Local and moto, and verifies
//! the sender identity in SES, then works out the local value of every `!Ref` and `!GetAtt`.

use anyhow::{Context as _, anyhow};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
    TimeToLiveSpecification,
};
use rand::RngExt;
use serde_norway::Value;

use crate::intrinsics::{ACCOUNT_ID, LocalValues, REGION};
use crate::template::{TableSpec, Template, scalar_string};
use records::aws::AwsClients;

/// Local physical names: `<prefix>-<logical id>` (lowercased for buckets).
pub async fn provision(
    template: &Template,
    aws: &AwsClients,
    prefix: &str,
    parameters: &std::collections::BTreeMap<String, String>,
) -> anyhow::Result<LocalValues> {
    let mut values = LocalValues::default();
    for (name, value) in parameters {
        values.refs.insert(name.clone(), value.clone());
    }
    for table in template.tables() {
        let name = format!("{prefix}-{}", table.logical_id);
        let stream_arn = create_table(aws, &name, &table)
            .await
            .with_context(|| format!("creating table {}", table.logical_id))?;
        let arn = format!("arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}");
        values.refs.insert(table.logical_id.clone(), name);
        values
            .attributes
            .insert((table.logical_id.clone(), "Arn".into()), arn);
        if let Some(stream_arn) = stream_arn {
            values
                .attributes
                .insert((table.logical_id.clone(), "StreamArn".into()), stream_arn);
        }
    }
    for (id, resource) in template.resources_of_type("AWS::S3::Bucket") {
        let name = format!("{prefix}-{id}").to_lowercase();
        create_bucket(aws, &name, resource)
            .await
            .with_context(|| format!("creating bucket {id}"))?;
        values
            .attributes
            .insert((id.into(), "Arn".into()), format!("arn:aws:s3:::{name}"));
        values.refs.insert(id.into(), name);
    }
    for (id, _) in template.resources_of_type("AWS::SecretsManager::Secret") {
        let arn = create_secret(aws, &format!("{prefix}-{id}"))
            .await
            .with_context(|| format!("creating secret {id}"))?;
        values.refs.insert(id.into(), arn);
    }
    for (id, _) in template.resources_of_type("AWS::Serverless::HttpApi") {
        values.refs.insert(id.into(), "local".into());
    }
    for function in template.functions()? {
        values
            .refs
            .insert(function.logical_id.clone(), function.logical_id.clone());
    }
    for (id, _) in template.resources_of_type("AWS::SES::ConfigurationSet") {
        let name = format!("{prefix}-{id}");
        create_configuration_set(aws, &name)
            .await
            .with_context(|| format!("creating SES configuration set {id}"))?;
        values.refs.insert(id.into(), name);
    }
    add_placeholders(template, prefix, &mut values);
    if let Some(sender) = parameters.get("SenderAddress") {
        aws.ses
            .verify_email_identity()
            .email_address(sender)
            .send()
            .await
            .context("verifying the sender identity in SES")?;
    }
    Ok(values)
}

async fn create_table(
    aws: &AwsClients,
    name: &str,
    table: &TableSpec,
) -> anyhow::Result<Option<String>> {
    let props = &table.properties;
    let mut request = aws
        .dynamodb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(
            seq(props, "AttributeDefinitions")
                .iter()
                .map(|d| {
                    AttributeDefinition::builder()
                        .attribute_name(text(d, "AttributeName"))
                        .attribute_type(ScalarAttributeType::from(
                            text(d, "AttributeType").as_str(),
                        ))
                        .build()
                        .map_err(anyhow::Error::from)
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
        ))
        .set_key_schema(Some(key_schema(props.get("KeySchema"))?));
    for index in seq(props, "GlobalSecondaryIndexes") {
        let projection = index.get("Projection");
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(text(index, "IndexName"))
                .set_key_schema(Some(key_schema(index.get("KeySchema"))?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(
                            projection
                                .map(|p| text(p, "ProjectionType"))
                                .unwrap_or_else(|| "ALL".into())
                                .as_str(),
                        ))
                        .build(),
                )
                .build()?,
        );
    }
    if let Some(view) = props
        .get("StreamSpecification")
        .map(|s| text(s, "StreamViewType"))
    {
        request = request.stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::from(view.as_str()))
                .build()?,
        );
    }
    let created = request
        .send()
        .await
        .map_err(|e| anyhow!(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string()))?;
    if let Some(ttl) = props.get("TimeToLiveSpecification") {
        aws.dynamodb
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(text(ttl, "AttributeName"))
                    .enabled(true)
                    .build()?,
            )
            .send()
            .await
            .map_err(|e| anyhow!(aws_sdk_dynamodb::error::DisplayErrorContext(e).to_string()))?;
    }
    Ok(created
        .table_description()
        .and_then(|t| t.latest_stream_arn())
        .map(str::to_owned))
}

async fn create_bucket(aws: &AwsClients, name: &str, resource: &Value) -> anyhow::Result<()> {
    use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
    aws.s3
        .create_bucket()
        .bucket(name)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(REGION))
                .build(),
        )
        .send()
        .await
        .map_err(|e| anyhow!(aws_sdk_s3::error::DisplayErrorContext(e).to_string()))?;
    let versioned = resource
        .get("Properties")
        .and_then(|p| p.get("VersioningConfiguration"))
        .map(|v| text(v, "Status") == "Enabled")
        .unwrap_or(false);
    if versioned {
        aws.s3
            .put_bucket_versioning()
            .bucket(name)
            .versioning_configuration(
                aws_sdk_s3::types::VersioningConfiguration::builder()
                    .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| anyhow!(aws_sdk_s3::error::DisplayErrorContext(e).to_string()))?;
    }
    Ok(())
}

async fn create_configuration_set(aws: &AwsClients, name: &str) -> anyhow::Result<()> {
    aws.ses
        .create_configuration_set()
        .configuration_set(
            aws_sdk_ses::types::ConfigurationSet::builder()
                .name(name)
                .build()?,
        )
        .send()
        .await
        .map_err(|e| anyhow!(aws_sdk_ses::error::DisplayErrorContext(e).to_string()))?;
    Ok(())
}

/// What `!Ref` and `!GetAtt` give for the resources the runner does not emulate (keys, queues,
/// topics, log groups, alarms...): names and ARNs of the shape AWS gives, which nothing local
/// calls. An environment variable that names one still resolves, and a handler that is given
/// one can be built.
fn add_placeholders(template: &Template, prefix: &str, values: &mut LocalValues) {
    for (id, resource_type) in template.resource_types() {
        if values.refs.contains_key(id) {
            continue;
        }
        let name = format!("{prefix}-{id}");
        let service = resource_type
            .split("::")
            .nth(1)
            .unwrap_or("local")
            .to_lowercase();
        let arn = match resource_type {
            "AWS::KMS::Key" => format!("arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{name}"),
            "AWS::Logs::LogGroup" => format!("arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{name}"),
            _ => format!("arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{name}"),
        };
        let reference = match resource_type {
            // These types' `!Ref` is their ARN or URL rather than their name.
            "AWS::SNS::Topic" => arn.clone(),
            "AWS::SQS::Queue" => format!("https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{name}"),
            _ => name.clone(),
        };
        let mut attribute = |attr: &str, value: &str| {
            values
                .attributes
                .insert((id.to_owned(), attr.to_owned()), value.to_owned());
        };
        attribute("Arn", &arn);
        match resource_type {
            "AWS::SQS::Queue" => {
                attribute("QueueName", &name);
                attribute("QueueUrl", &reference);
            }
            "AWS::SNS::Topic" => {
                attribute("TopicName", &name);
                attribute("TopicArn", &arn);
            }
            "AWS::KMS::Key" => attribute("KeyId", &name),
            _ => {}
        }
        values.refs.insert(id.to_owned(), reference);
    }
}

/// A generated secret, like `GenerateSecretString` would make (64 alphanumerics).
async fn create_secret(aws: &AwsClients, name: &str) -> anyhow::Result<String> {
    let secret: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(64)
        .map(char::from)
        .collect();
    let created = aws
        .secrets
        .create_secret()
        .name(name)
        .secret_string(secret)
        .send()
        .await
        .map_err(|e| anyhow!(aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string()))?;
    created
        .arn
        .ok_or_else(|| anyhow!("Secrets Manager returned no ARN"))
}

fn key_schema(value: Option<&Value>) -> anyhow::Result<Vec<KeySchemaElement>> {
    value
        .and_then(Value::as_sequence)
        .ok_or_else(|| anyhow!("KeySchema is missing"))?
        .iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(text(k, "AttributeName"))
                .key_type(KeyType::from(text(k, "KeyType").as_str()))
                .build()
                .map_err(anyhow::Error::from)
        })
        .collect()
}

fn seq<'a>(value: &'a Value, key: &str) -> Vec<&'a Value> {
    value
        .get(key)
        .and_then(Value::as_sequence)
        .map(|s| s.iter().collect())
        .unwrap_or_default()
}

fn text(value: &Value, key: &str) -> String {
    value.get(key).map(scalar_string).unwrap_or_default()
}
