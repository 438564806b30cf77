use lambda_runtime::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let aws = shared::aws::AwsClients::from_environment().await;
    let env = shared::Env::from_process();
    let tasks = &scheduled_tasks::ScheduledTasks {
        mail: shared::mail::MailSender::from_env(&env, &aws).await?,
        workflow: shared::offers::Workflow::from_env(&env, &aws)?,
        evidence: shared::evidence::EvidenceStore::from_env(&env, &aws)?,
    };
    lambda_runtime::run(service_fn(move |event| {
        scheduled_tasks::handle(tasks, event)
    }))
    .await
}
