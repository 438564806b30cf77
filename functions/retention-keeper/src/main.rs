use lambda_runtime::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    records::telemetry::init();
    let aws = records::aws::AwsClients::from_environment().await;
    let table = &records::store::Table::from_env(&records::Env::from_process(), &aws)?;
    lambda_runtime::run(service_fn(move |event| {
        retention_keeper::handle(table, event)
    }))
    .await
}
