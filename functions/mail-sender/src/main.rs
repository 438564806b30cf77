use lambda_runtime::{Error, service_fn};

// Lambda hands a function one event at a time: a single thread, no workers to start.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    records::telemetry::init();
    let aws = records::aws::AwsClients::from_environment().await;
    let sender = &mail::MailSender::from_env(&records::Env::from_process(), &aws).await?;
    lambda_runtime::run(service_fn(move |event| mail_sender::handle(sender, event))).await
}
