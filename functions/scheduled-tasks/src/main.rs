use lambda_runtime::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let aws = shared::aws::AwsClients::from_environment().await;
    let mail = &shared::mail::MailSender::from_env(&shared::Env::from_process(), &aws).await?;
    lambda_runtime::run(service_fn(move |event| {
        scheduled_tasks::handle(mail, event)
    }))
    .await
}
