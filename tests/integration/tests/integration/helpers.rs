//! Spawns a whole local stack per test: its own tables, bucket and secret (a unique prefix) in
//! the shared DynamoDB Local and moto that `scripts/test` started, and its own router port.

use std::path::PathBuf;
use std::time::Duration;

use local_runner::mailbox::SentMail;
use local_runner::{LocalStack, StackConfig};

pub struct TestStack {
    pub stack: LocalStack,
    pub http: reqwest::Client,
}

pub async fn spawn() -> TestStack {
    spawn_with(|_| {}).await
}

pub async fn spawn_with(adjust: impl FnOnce(&mut StackConfig)) -> TestStack {
    let mut config = StackConfig::from_environment().expect(
        "the AWS endpoints are not set: run the tests with scripts/test, which starts DynamoDB Local and moto",
    );
    config.prefix = format!("t{}", ulid::Ulid::new().to_string().to_lowercase());
    config.stream_poll_interval = Duration::from_millis(100);
    config.schedule_timers = false;
    adjust(&mut config);
    let stack = LocalStack::start(config)
        .await
        .expect("the local stack starts");
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestStack { stack, http }
}

/// Every test that spawns a stack also checks, at its end, that each function called only AWS
/// actions its policy grants (least privilege, checked by the calls the code really makes).
impl Drop for TestStack {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.assert_aws_calls_allowed();
        }
    }
}

impl TestStack {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.stack.url, path)
    }

    pub fn table(&self) -> &str {
        self.stack.table_name()
    }

    pub fn dynamodb(&self) -> &aws_sdk_dynamodb::Client {
        &self.stack.aws.dynamodb
    }

    /// Checks that every AWS action each function's code has called on this stack so far is
    /// one its policy grants (`functions/<crate>/aws-operations.txt`, held against the
    /// template by the template checks); the functions that called any.
    pub fn assert_aws_calls_allowed(&self) -> Vec<String> {
        let called = self.stack.aws_actions();
        let ungranted =
            local_runner::aws_calls::ungranted(&local_runner::repository_root(), &called);
        assert!(ungranted.is_empty(), "{ungranted:?}");
        called.into_keys().collect()
    }

    /// The body of the page at `url` (a GET; the status is the caller's to check).
    pub async fn text_at(&self, url: impl reqwest::IntoUrl) -> String {
        self.http
            .get(url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// The stack's table, as product code takes it.
    pub fn table_handle(&self) -> records::store::Table {
        records::store::Table {
            client: self.dynamodb().clone(),
            name: self.table().to_owned(),
        }
    }

    /// Every item whose pk starts with `prefix` (a consistent scan: tests only).
    pub async fn items_with_prefix(&self, prefix: &str) -> Vec<records::store::Item> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .dynamodb()
                .scan()
                .table_name(self.table())
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .unwrap();
            items.extend(
                page.items()
                    .iter()
                    .filter(|i| i["pk"].as_s().is_ok_and(|pk| pk.starts_with(prefix)))
                    .cloned(),
            );
            start = page.last_evaluated_key().cloned();
            if start.is_none() {
                return items;
            }
        }
    }

    /// Waits until `count` emails to `address` have been sent (10 s at most), then returns all
    /// of them, newest first. Waits a little longer to catch any duplicate.
    pub async fn wait_for_mail(&self, address: &str, count: usize) -> Vec<SentMail> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let mails = self.stack.mail_to(address).await.expect("moto answers");
            if mails.len() >= count {
                tokio::time::sleep(Duration::from_millis(600)).await;
                return self.stack.mail_to(address).await.expect("moto answers");
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "expected {count} email(s) to {address}, got {}",
                    mails.len()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A recipient address nobody else in the test run uses.
pub fn unique_address(name: &str) -> String {
    format!(
        "{name}.{}@school.example",
        ulid::Ulid::new().to_string().to_lowercase()
    )
}

pub fn template_path() -> PathBuf {
    local_runner::repository_root().join("infra/template.yaml")
}

/// Today + `days`, as `YYYY-MM-DD`.
pub fn date_from_now(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}
