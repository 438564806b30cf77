//! `GET /health`: whether the system reaches its services (`ok` or `degraded`, nothing more);
//! which ones, and their versions, go to the function's log.
//!
//! Layer: the top, over `records`, `web` (a Lambda adapter: it reads the event, calls the workflow
//! and answers). A rule, a stored shape or a page goes down into those crates (see the workspace
//! README's layout), never here.

use std::time::Instant;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use records::aws::AwsClients;
use records::store::Table;
use records::{ConfigError, Env};
use serde_json::{Value, json};

pub struct Health {
    table: Table,
    s3: aws_sdk_s3::Client,
    ses: aws_sdk_ses::Client,
    bucket: String,
}

impl Health {
    pub fn from_env(env: &Env, aws: &AwsClients) -> Result<Self, ConfigError> {
        Ok(Self {
            table: Table::from_env(env, aws)?,
            s3: aws.s3.clone(),
            ses: aws.ses.clone(),
            bucket: env.required("EVIDENCE_BUCKET")?,
        })
    }

    pub async fn handle(&self, _request: Request) -> Response<Body> {
        let (dynamodb, s3, ses) = tokio::join!(self.dynamodb(), self.s3(), self.ses());
        let healthy = [&dynamodb, &s3, &ses]
            .iter()
            .all(|service| service["reachable"] == json!(true));
        let status = if healthy { "ok" } else { "degraded" };
        // The versions and errors go to the log, for the team: the public answer says only
        // whether the service is up (versions tell a prober which flaws to try).
        let report = json!({
            "status": status,
            "version": records::aws::BUILD_VERSION,
            "services": { "dynamodb": dynamodb, "s3": s3, "ses": ses },
        });
        tracing::info!(%report, "health checked");
        let code = if healthy {
            StatusCode::OK
        } else {
            StatusCode::SERVICE_UNAVAILABLE
        };
        web::http::json(code, &json!({ "status": status }))
    }

    async fn dynamodb(&self) -> Value {
        let started = Instant::now();
        let result = self
            .table
            .client
            .describe_table()
            .table_name(&self.table.name)
            .send()
            .await;
        let mut report = service_report(
            &records::aws::DYNAMODB_VERSION,
            started,
            result
                .as_ref()
                .err()
                .map(|e| e.code().unwrap_or("unreachable")),
        );
        if let Ok(output) = result {
            report["table_status"] = json!(
                output
                    .table()
                    .and_then(|t| t.table_status())
                    .map(|s| s.as_str().to_owned())
            );
        }
        report
    }

    async fn s3(&self) -> Value {
        let started = Instant::now();
        let result = self.s3.head_bucket().bucket(&self.bucket).send().await;
        service_report(
            &records::aws::S3_VERSION,
            started,
            result
                .as_ref()
                .err()
                .map(|e| e.code().unwrap_or("unreachable")),
        )
    }

    async fn ses(&self) -> Value {
        let started = Instant::now();
        let result = self.ses.get_send_quota().send().await;
        service_report(
            &records::aws::SES_VERSION,
            started,
            result
                .as_ref()
                .err()
                .map(|e| e.code().unwrap_or("unreachable")),
        )
    }
}

fn service_report(
    version: &records::aws::ServiceVersion,
    started: Instant,
    error: Option<&str>,
) -> Value {
    let mut report = json!({
        "reachable": error.is_none(),
        "api_version": version.api_version,
        "sdk_version": version.sdk_version,
        "latency_ms": started.elapsed().as_millis() as u64,
    });
    if let Some(code) = error {
        report["error"] = json!(code);
    }
    report
}
