//! The floor of `bench cold-start`: the smallest function the Lambda Rust runtime runs (it
//! answers each event with itself), built with the same profile as the real ones.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<_, Error>(event.payload)
    }))
    .await
}
