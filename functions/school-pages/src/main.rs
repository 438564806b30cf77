use lambda_http::{Error, service_fn};

// Lambda hands a function one event at a time: a single thread, no workers to start.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    records::telemetry::init();
    let aws = records::aws::AwsClients::from_environment().await;
    let pages = &school_pages::SchoolPages::from_env(&records::Env::from_process(), &aws).await?;
    lambda_http::run(service_fn(move |request| async move {
        Ok::<_, Error>(pages.handle(request).await)
    }))
    .await
}
