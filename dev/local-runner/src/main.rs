//! `local-runner`: starts send-review on this machine against DynamoDB Local and moto (whose
//! endpoints come from the standard AWS_ENDPOINT_URL_* variables; `scripts/start` sets them).
//!
//! Options: `--port N` (default 3000, or ROUTER_PORT), `--host H`, `--prefix P`,
//! `--parameter Name=Value` (a template parameter, repeatable), `--no-demo-data`.

use std::time::Duration;

use anyhow::Context as _;
use local_runner::{LocalStack, StackConfig};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    records::telemetry::init();
    let mut config = StackConfig::from_environment()?;
    config.port = std::env::var("ROUTER_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(3000);
    let mut demo_data = true;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => config.port = args.next().context("--port needs a number")?.parse()?,
            "--host" => config.host = args.next().context("--host needs a value")?,
            "--prefix" => config.prefix = args.next().context("--prefix needs a value")?,
            "--no-demo-data" => demo_data = false,
            "--parameter" => {
                let setting = args.next().context("--parameter needs Name=Value")?;
                let (name, value) = setting
                    .split_once('=')
                    .context("--parameter needs Name=Value")?;
                config.parameters.insert(name.to_owned(), value.to_owned());
            }
            other => anyhow::bail!("unknown option {other}"),
        }
    }
    config.stream_poll_interval = Duration::from_millis(250);
    let stack = LocalStack::start(config).await?;
    if demo_data {
        local_runner::demo::seed(&stack, time::OffsetDateTime::now_utc().date())
            .await
            .context("seeding the demo data")?;
        local_runner::staff_pool::seed_demo_staff(&stack.aws.sdk_config, &stack.values)
            .await
            .context("adding the demo staff")?;
    }
    println!();
    println!("  send-review is running at {}", stack.url);
    println!("  mail that was sent:       {}/_dev/mail", stack.url);
    println!("  routes and schedules:     {}/_dev", stack.url);
    if demo_data {
        println!();
        println!("  the programme console:    {}/console", stack.url);
        for staff in &local_runner::staff_pool::DEMO_STAFF {
            println!(
                "    {} ({}): temporary password {}",
                staff.email, staff.group, staff.temporary_password
            );
        }
        println!("    At first sign-in you choose a new password and set up an authenticator app");
        println!("    (moto gives every account the same setup key, and checks the codes).");
    }
    println!();
    tokio::signal::ctrl_c().await?;
    drop(stack);
    Ok(())
}
