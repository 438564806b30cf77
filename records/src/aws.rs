//! AWS service clients, built once per cold start from the standard SDK configuration.
//!
//! Locally the very same code talks to DynamoDB Local and moto: only the endpoint URLs differ,
//! through the SDK's standard `AWS_ENDPOINT_URL_<SERVICE>` variables.

use aws_config::environment::{
    EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider,
};
use aws_config::{BehaviorVersion, SdkConfig};

mod https;
pub use https::HttpsClient;

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
    /// The SDK's standard configuration, with cuts to a cold start that change nothing a call
    /// does: one HTTPS client shared by every client, whose connector (its TLS setup, with the
    /// system's CA certificates) is built on a thread of its own while init goes on
    /// ([`HttpsClient`]), not on the first call nor at each client's construction; and, when the
    /// credentials and the region are in the environment (Lambda puts the execution role's
    /// credentials and its region there), reading them there directly, since the default
    /// chains, which would find them there first too, build an STS client (and its TLS setup)
    /// for web identity and an instance metadata client for the region at init.
    pub async fn from_environment() -> Self {
        let https = HttpsClient::new();
        let mut loader =
            aws_config::defaults(BehaviorVersion::latest()).http_client(https.shared());
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_some()
            && std::env::var_os("AWS_SECRET_ACCESS_KEY").is_some()
        {
            loader = loader.credentials_provider(EnvironmentVariableCredentialsProvider::new());
        }
        if std::env::var_os("AWS_REGION").is_some()
            || std::env::var_os("AWS_DEFAULT_REGION").is_some()
        {
            loader = loader.region(EnvironmentVariableRegionProvider::new());
        }
        let config = loader.load().await;
        https.prepare_in_background(&config);
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

/// The version of this build (the workspace's), as the console shows it.
pub const BUILD_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A service the system depends on, with the API version its SDK speaks and the SDK crate's
/// version: what the console's settings page shows and the health function logs (not the
/// public health answer: versions tell a prober which flaws to try).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceVersion {
    pub service: &'static str,
    pub api_version: &'static str,
    pub sdk_version: &'static str,
}

pub const DYNAMODB_VERSION: ServiceVersion = ServiceVersion {
    service: "DynamoDB",
    api_version: "2012-08-10",
    sdk_version: aws_sdk_dynamodb::meta::PKG_VERSION,
};
pub const S3_VERSION: ServiceVersion = ServiceVersion {
    service: "S3",
    api_version: "2006-03-01",
    sdk_version: aws_sdk_s3::meta::PKG_VERSION,
};
pub const SES_VERSION: ServiceVersion = ServiceVersion {
    service: "SES",
    api_version: "2010-12-01",
    sdk_version: aws_sdk_ses::meta::PKG_VERSION,
};

/// The services the health check reaches, in its order.
pub const SERVICE_VERSIONS: [ServiceVersion; 3] = [DYNAMODB_VERSION, S3_VERSION, SES_VERSION];

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
