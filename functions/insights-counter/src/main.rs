#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    stream_batch::serve_with_table(insights_counter::handle).await
}
