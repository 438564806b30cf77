//! AWS service clients, built once per cold start from the standard SDK configuration.
//!
//! Locally the very same code talks to DynamoDB Local and moto: only the endpoint URLs differ,
//! through the SDK's standard `AWS_ENDPOINT_URL_<SERVICE>` variables.

use aws_config::{BehaviorVersion, SdkConfig};

#[derive(Clone, Debug)]
pub struct AwsClients {
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub ses: aws_sdk_ses::Client,
    pub s3: aws_sdk_s3::Client,
    pub secrets: aws_sdk_secretsmanager::Client,
    /// The function's own credentials (with their session token), for signing S3 upload forms
    /// (the S3 client does not expose its credentials provider).
    pub credentials: Option<aws_sdk_s3::config::SharedCredentialsProvider>,
}

impl AwsClients {
    pub async fn from_environment() -> Self {
        let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
        Self::from_sdk_config(&config)
    }

    pub fn from_sdk_config(config: &SdkConfig) -> Self {
        // A local S3 endpoint (moto) is addressed by path, since bucket host names do not resolve.
        let local_s3 = std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
            || std::env::var_os("AWS_ENDPOINT_URL").is_some();
        let s3_config = aws_sdk_s3::config::Builder::from(config)
            .force_path_style(local_s3)
            .build();
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            ses: aws_sdk_ses::Client::new(config),
            s3: aws_sdk_s3::Client::from_conf(s3_config),
            secrets: aws_sdk_secretsmanager::Client::new(config),
            credentials: config.credentials_provider(),
        }
    }
}
