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
    /// The configuration the clients were built from, and the interceptor they run: a function
    /// that calls one more service (the console's Cognito) builds its client the same way.
    pub sdk_config: SdkConfig,
    pub interceptor: Option<aws_sdk_dynamodb::config::SharedInterceptor>,
}

impl AwsClients {
    pub async fn from_environment() -> Self {
        let config = aws_config::load_defaults(BehaviorVersion::latest()).await;
        Self::from_sdk_config(&config)
    }

    pub fn from_sdk_config(config: &SdkConfig) -> Self {
        Self::build(config, None)
    }

    /// The same clients, each also running `interceptor` (the local runner records with one
    /// which AWS actions each function's code really calls, to hold them against its policy).
    pub fn with_interceptor(
        config: &SdkConfig,
        interceptor: aws_sdk_dynamodb::config::SharedInterceptor,
    ) -> Self {
        Self::build(config, Some(interceptor))
    }

    /// The same clients, all calling `endpoint` instead (the local runner's fault proxy, which
    /// forwards each call to DynamoDB Local or moto, or fails it).
    pub fn through(self, endpoint: &str) -> Self {
        Self {
            dynamodb: aws_sdk_dynamodb::Client::from_conf(
                self.dynamodb
                    .config()
                    .to_builder()
                    .endpoint_url(endpoint)
                    .build(),
            ),
            ses: aws_sdk_ses::Client::from_conf(
                self.ses
                    .config()
                    .to_builder()
                    .endpoint_url(endpoint)
                    .build(),
            ),
            s3: aws_sdk_s3::Client::from_conf(
                self.s3.config().to_builder().endpoint_url(endpoint).build(),
            ),
            secrets: aws_sdk_secretsmanager::Client::from_conf(
                self.secrets
                    .config()
                    .to_builder()
                    .endpoint_url(endpoint)
                    .build(),
            ),
            credentials: self.credentials,
            sdk_config: self.sdk_config.to_builder().endpoint_url(endpoint).build(),
            interceptor: self.interceptor,
        }
    }

    fn build(
        config: &SdkConfig,
        interceptor: Option<aws_sdk_dynamodb::config::SharedInterceptor>,
    ) -> Self {
        // A local S3 endpoint (moto) is addressed by path, since bucket host names do not resolve.
        let local_s3 = std::env::var_os("AWS_ENDPOINT_URL_S3").is_some()
            || std::env::var_os("AWS_ENDPOINT_URL").is_some();
        let mut dynamodb = aws_sdk_dynamodb::config::Builder::from(config);
        let mut ses = aws_sdk_ses::config::Builder::from(config);
        let mut s3 = aws_sdk_s3::config::Builder::from(config).force_path_style(local_s3);
        let mut secrets = aws_sdk_secretsmanager::config::Builder::from(config);
        if let Some(interceptor) = interceptor.clone() {
            dynamodb.push_interceptor(interceptor.clone());
            ses.push_interceptor(interceptor.clone());
            s3.push_interceptor(interceptor.clone());
            secrets.push_interceptor(interceptor);
        }
        Self {
            dynamodb: aws_sdk_dynamodb::Client::from_conf(dynamodb.build()),
            ses: aws_sdk_ses::Client::from_conf(ses.build()),
            s3: aws_sdk_s3::Client::from_conf(s3.build()),
            secrets: aws_sdk_secretsmanager::Client::from_conf(secrets.build()),
            credentials: config.credentials_provider(),
            sdk_config: config.clone(),
            interceptor,
        }
    }
}

/// The Cognito (`cognito-idp`) endpoint when it is overridden (moto, locally), from the SDK's
/// standard variables; `None` in AWS, where a user pool's keys are at its issuer's address.
pub fn cognito_endpoint_override() -> Option<String> {
    [
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
        "AWS_ENDPOINT_URL",
    ]
    .iter()
    .find_map(|name| std::env::var(name).ok())
    .filter(|url| !url.trim().is_empty())
    .map(|url| url.trim_end_matches('/').to_owned())
}
