use lambda_runtime::{Error, service_fn};

// Lambda hands a function one event at a time: a single thread, no workers to start.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    records::telemetry::init();
    let aws = records::aws::AwsClients::from_environment().await;
    let env = records::Env::from_process();
    let tasks = &scheduled_tasks::ScheduledTasks {
        mail: mail::MailSender::from_env(&env, &aws).await?,
        workflow: workflows::offers::Workflow::from_env(&env, &aws)?,
        evidence: workflows::evidence::EvidenceStore::from_env(&env, &aws)?,
    };
    lambda_runtime::run(service_fn(move |event| {
        scheduled_tasks::handle(tasks, event)
    }))
    .await
}
