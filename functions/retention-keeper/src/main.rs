// Lambda hands a function one event at a time: a single thread, no workers to start.
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    stream_batch::serve_with_table(retention_keeper::handle).await
}
