//! Demo data for the local stack: a programme and its reviewer pool.

use crate::LocalStack;

pub async fn seed(stack: &LocalStack) -> anyhow::Result<()> {
    let _ = stack;
    Ok(())
}
