#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    stream_batch::serve_with_table(retention_keeper::handle).await
}
