//! The one thing the runner knows that the template does not: which handler each function
//! binary runs. Paths, methods, streams and schedules all come from the template, so a new
//! route for an existing function needs no change here.

use std::sync::Arc;

use anyhow::bail;
use aws_lambda_events::event::dynamodb::Event as DynamoDbEvent;
use aws_lambda_events::event::s3::S3Event;
use aws_lambda_events::event::sns::SnsEvent;
use aws_lambda_events::event::streams::DynamoDbEventResponse;
use futures::future::BoxFuture;
use lambda_http::{Body, Request, Response};
use lambda_runtime::LambdaEvent;
use records::Env;
use records::aws::AwsClients;

pub type HttpHandler = Arc<dyn Fn(Request) -> BoxFuture<'static, Response<Body>> + Send + Sync>;
pub type StreamHandler = Arc<
    dyn Fn(
            LambdaEvent<DynamoDbEvent>,
        ) -> BoxFuture<'static, Result<DynamoDbEventResponse, lambda_runtime::Error>>
        + Send
        + Sync,
>;
pub type ScheduleHandler = Arc<
    dyn Fn(
            LambdaEvent<serde_json::Value>,
        ) -> BoxFuture<'static, Result<serde_json::Value, lambda_runtime::Error>>
        + Send
        + Sync,
>;

pub type SnsHandler = Arc<
    dyn Fn(
            LambdaEvent<SnsEvent>,
        ) -> BoxFuture<'static, Result<serde_json::Value, lambda_runtime::Error>>
        + Send
        + Sync,
>;

pub type S3Handler = Arc<
    dyn Fn(LambdaEvent<S3Event>) -> BoxFuture<'static, Result<(), lambda_runtime::Error>>
        + Send
        + Sync,
>;

/// An EventBridge-triggered handler, given the event as JSON (it reads it as its own type, as
/// the Lambda runtime would).
pub type EventHandler = Arc<
    dyn Fn(LambdaEvent<serde_json::Value>) -> BoxFuture<'static, Result<(), lambda_runtime::Error>>
        + Send
        + Sync,
>;

/// A function's handler, of the kind its `main.rs` hands to the Lambda runtime.
#[derive(Clone)]
pub enum Handler {
    Http(HttpHandler),
    Stream(StreamHandler),
    Schedule(ScheduleHandler),
    Sns(SnsHandler),
    S3(S3Handler),
    Event(EventHandler),
}

/// Builds the handler of workspace binary `binary` the way its `main.rs` does, from the
/// environment the template gives it.
pub async fn build(binary: &str, env: &Env, aws: &AwsClients) -> anyhow::Result<Handler> {
    Ok(match binary {
        "health" => {
            let health = Arc::new(health::Health::from_env(env, aws)?);
            Handler::Http(Arc::new(move |request| {
                let health = health.clone();
                Box::pin(async move { health.handle(request).await })
            }))
        }
        "school-pages" => {
            let pages = Arc::new(school_pages::SchoolPages::from_env(env, aws).await?);
            Handler::Http(Arc::new(move |request| {
                let pages = pages.clone();
                Box::pin(async move { pages.handle(request).await })
            }))
        }
        "reviewer-pages" => {
            let pages = Arc::new(reviewer_pages::ReviewerPages::from_env(env, aws).await?);
            Handler::Http(Arc::new(move |request| {
                let pages = pages.clone();
                Box::pin(async move { pages.handle(request).await })
            }))
        }
        "console" => {
            let console = Arc::new(console::Console::from_env(env, aws)?);
            Handler::Http(Arc::new(move |request| {
                let console = console.clone();
                Box::pin(async move { console.handle(request).await })
            }))
        }
        "review-requests-api" => {
            let api = Arc::new(review_requests_api::ReviewRequestsApi::from_env(env, aws).await?);
            Handler::Http(Arc::new(move |request| {
                let api = api.clone();
                Box::pin(async move { api.handle(request).await })
            }))
        }
        "mail-sender" => {
            let sender = Arc::new(mail::MailSender::from_env(env, aws).await?);
            Handler::Stream(Arc::new(move |event| {
                let sender = sender.clone();
                Box::pin(async move { mail_sender::handle(&sender, event).await })
            }))
        }
        "scheduled-tasks" => {
            let tasks = Arc::new(scheduled_tasks::ScheduledTasks {
                mail: mail::MailSender::from_env(env, aws).await?,
                workflow: workflows::offers::Workflow::from_env(env, aws)?,
                evidence: workflows::evidence::EvidenceStore::from_env(env, aws)?,
            });
            Handler::Schedule(Arc::new(move |event| {
                let tasks = tasks.clone();
                Box::pin(async move { scheduled_tasks::handle(&tasks, event).await })
            }))
        }
        "matcher" => {
            let workflow = Arc::new(workflows::offers::Workflow::from_env(env, aws)?);
            Handler::Stream(Arc::new(move |event| {
                let workflow = workflow.clone();
                Box::pin(async move { matcher::handle(&workflow, event).await })
            }))
        }
        "insights-counter" => {
            let table = Arc::new(records::store::Table::from_env(env, aws)?);
            Handler::Stream(Arc::new(move |event| {
                let table = table.clone();
                Box::pin(async move { insights_counter::handle(&table, event).await })
            }))
        }
        "retention-keeper" => {
            let table = Arc::new(records::store::Table::from_env(env, aws)?);
            Handler::Stream(Arc::new(move |event| {
                let table = table.clone();
                Box::pin(async move { retention_keeper::handle(&table, event).await })
            }))
        }
        "mail-feedback" => {
            let feedback = Arc::new(mail_feedback::MailFeedback::from_env(env, aws)?);
            Handler::Sns(Arc::new(move |event| {
                let feedback = feedback.clone();
                Box::pin(async move {
                    let outcome = mail_feedback::handle(&feedback, event).await?;
                    Ok(serde_json::to_value(outcome)?)
                })
            }))
        }
        "evidence-checker" => {
            let checker = Arc::new(evidence_checker::EvidenceChecker::from_env(env, aws)?);
            Handler::Event(Arc::new(move |event: LambdaEvent<serde_json::Value>| {
                let checker = checker.clone();
                Box::pin(async move {
                    let payload = serde_json::from_value(event.payload)?;
                    checker
                        .handle(LambdaEvent::new(payload, event.context))
                        .await
                })
            }))
        }
        other => bail!(
            "no handler is registered for the function binary {other:?}: add it to \
             dev/local-runner/src/functions.rs"
        ),
    })
}
