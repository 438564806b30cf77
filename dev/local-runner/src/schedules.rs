//! Scheduled functions: fired on their `rate(...)` timer like EventBridge Scheduler, and on
//! demand (`POST /_dev/schedules/<FunctionLogicalId>`) so tests need not wait.

use std::time::Duration;

use anyhow::{anyhow, bail};
use serde_json::Value;

use crate::functions::ScheduleHandler;
use crate::invoke;

#[derive(Clone)]
pub struct Schedule {
    pub function: String,
    pub name: String,
    pub expression: String,
    pub input: Value,
    pub handler: ScheduleHandler,
}

impl Schedule {
    pub async fn fire(&self, input: Option<Value>) -> anyhow::Result<Value> {
        invoke::schedule(
            &self.function,
            &self.handler,
            input.unwrap_or_else(|| self.input.clone()),
        )
        .await
    }

    /// Runs the timer forever (the task is aborted when the stack stops).
    pub async fn run_timer(self) {
        let Ok(every) = rate(&self.expression) else {
            tracing::warn!(schedule = %self.name, expression = %self.expression,
                "only rate() schedules run on a timer locally; fire this one on demand");
            return;
        };
        let mut ticker = tokio::time::interval(every);
        ticker.tick().await; // the first tick is immediate; a real schedule waits a period
        loop {
            ticker.tick().await;
            if let Err(error) = self.fire(None).await {
                tracing::error!(schedule = %self.name, %error, "scheduled invocation failed");
            }
        }
    }
}

/// The period of `rate(N unit)`.
pub fn rate(expression: &str) -> anyhow::Result<Duration> {
    let inner = expression
        .strip_prefix("rate(")
        .and_then(|e| e.strip_suffix(')'))
        .ok_or_else(|| anyhow!("not a rate expression: {expression}"))?;
    let (count, unit) = inner
        .split_once(' ')
        .ok_or_else(|| anyhow!("rate needs a number and a unit: {expression}"))?;
    let count: u64 = count.trim().parse()?;
    let seconds = match unit.trim() {
        "minute" | "minutes" => 60,
        "hour" | "hours" => 3600,
        "day" | "days" => 86_400,
        other => bail!("unknown rate unit {other}"),
    };
    Ok(Duration::from_secs(count * seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_expressions() {
        assert_eq!(rate("rate(5 minutes)").unwrap(), Duration::from_secs(300));
        assert_eq!(rate("rate(1 day)").unwrap(), Duration::from_secs(86_400));
        assert!(rate("cron(0 8 * * ? *)").is_err());
        assert!(rate("rate(5 fortnights)").is_err());
    }
}
