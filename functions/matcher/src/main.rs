use lambda_runtime::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let aws = shared::aws::AwsClients::from_environment().await;
    let workflow = &shared::offers::Workflow::from_env(&shared::Env::from_process(), &aws)?;
    lambda_runtime::run(service_fn(move |event| matcher::handle(workflow, event))).await
}
