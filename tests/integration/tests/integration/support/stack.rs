//! Spawns a whole local stack per test: its own tables, bucket and secret (a unique prefix) in
//! the shared DynamoDB Local and moto that `scripts/test` started, and its own router port.

use std::path::PathBuf;
use std::time::Duration;

use local_runner::mailbox::SentMail;
use local_runner::{LocalStack, StackConfig};
use records::request::StoredRequest;
use records::store::{Item, s};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Value, json};
use time::{Date, OffsetDateTime};

pub struct TestStack {
    pub stack: LocalStack,
    pub http: reqwest::Client,
}

pub async fn spawn() -> TestStack {
    spawn_with(|_| {}).await
}

/// A stack with template parameter `name` set to `value`.
pub async fn spawn_with_parameter(name: &str, value: &str) -> TestStack {
    spawn_with(|config| {
        config.parameters.insert(name.into(), value.into());
    })
    .await
}

pub async fn spawn_with(adjust: impl FnOnce(&mut StackConfig)) -> TestStack {
    let mut config = StackConfig::from_environment().expect(
        "the AWS endpoints are not set: run the tests with scripts/test, which starts DynamoDB Local and moto",
    );
    config.prefix = format!("t{}", ulid::Ulid::new().to_string().to_lowercase());
    // A DynamoDB Local database of its own (one per access key).
    config.access_key_id = Some(config.prefix.clone());
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
        self.open(url).await.text().await.unwrap()
    }

    /// The stack's table, as product code takes it.
    pub fn table_handle(&self) -> records::store::Table {
        records::store::Table {
            client: self.dynamodb().clone(),
            name: self.table().to_owned(),
        }
    }

    /// Every item whose pk starts with `prefix` (a consistent scan: tests only), read once the
    /// retention keeper has copied each request's TTL backstop onto its partition (a few
    /// seconds at most), so a snapshot taken just after a change does not race that copy.
    pub async fn items_with_prefix(&self, prefix: &str) -> Vec<records::store::Item> {
        for _ in 0..50 {
            let items = self.scan_with_prefix(prefix).await;
            if ttl_settled(&items) {
                return items;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        self.scan_with_prefix(prefix).await
    }

    async fn scan_with_prefix(&self, prefix: &str) -> Vec<records::store::Item> {
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

    /// SES refuses (`false`) or accepts again (`true`) to send from `sender`: while refused,
    /// every attempt fails before anything is sent, and the emails stay queued.
    pub async fn ses_sends_from(&self, sender: &str, accepted: bool) {
        let ses = &self.stack.aws.ses;
        if accepted {
            let verify = ses.verify_email_identity().email_address(sender);
            verify.send().await.unwrap();
        } else {
            ses.delete_identity().identity(sender).send().await.unwrap();
        }
    }

    /// SES reports that mail to `address` bounced for good.
    pub async fn address_bounces(&self, address: &str) {
        let feedback = workflows::deliverability::Feedback {
            address: address.to_owned(),
            reason: workflows::deliverability::Reason::Bounce,
            detail: "Permanent/General".into(),
            message_id: "test-message".into(),
        };
        workflows::deliverability::record(
            &self.table_handle(),
            "admin@example.org",
            &feedback,
            OffsetDateTime::now_utc(),
        )
        .await
        .unwrap();
    }

    /// The items of request `request_id`'s partition but the emails about it (the mail
    /// sender changes those as it works), in key order.
    pub async fn request_items(&self, request_id: &str) -> Vec<records::store::Item> {
        let mut items = self
            .items_with_prefix(&records::keys::request_pk(request_id))
            .await;
        items.retain(|i| {
            !i["sk"]
                .as_s()
                .is_ok_and(|sk| sk.starts_with(records::outbox::KEY_PREFIX))
        });
        items
    }

    /// Every outbox item, in its own partition or in a request's (a consistent scan: tests
    /// only).
    pub async fn outbox_items(&self) -> Vec<records::store::Item> {
        let keys = |i: &records::store::Item| {
            records::outbox::OutboxKey::from_keys(i["pk"].as_s().ok()?, i["sk"].as_s().ok()?)
        };
        let mut items = self.items_with_prefix("").await;
        items.retain(|i| keys(i).is_some());
        items
    }

    /// Waits until `count` emails to `address` have been sent (30 s at most: the wait ends as
    /// soon as they are there, and a loaded machine needs the slack), then returns all of them,
    /// newest first. Waits a little longer to catch any duplicate.
    pub async fn wait_for_mail(&self, address: &str, count: usize) -> Vec<SentMail> {
        self.wait_for_mail_to_each(&[address], count)
            .await
            .remove(0)
    }

    /// The emails to `address` that `kind` keeps, once there are at least `count` (30 s at
    /// most), newest first: a wait for one kind of email among others.
    pub async fn wait_for_mail_where(
        &self,
        address: &str,
        count: usize,
        kind: impl Fn(&SentMail) -> bool,
    ) -> Vec<SentMail> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let mails: Vec<SentMail> = self
                .stack
                .mail_to(address)
                .await
                .unwrap()
                .into_iter()
                .filter(|m| kind(m))
                .collect();
            if mails.len() >= count {
                return mails;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{count} such email(s) to {address}, got {}",
                mails.len()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// [`Self::wait_for_mail`] for several addresses at once, each to get `count` emails: the
    /// mail of each, in the order of `addresses`, after one wait for duplicates for them all.
    pub async fn wait_for_mail_to_each(
        &self,
        addresses: &[&str],
        count: usize,
    ) -> Vec<Vec<SentMail>> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let mails = self.mail_to_each(addresses).await;
            let short = addresses.iter().zip(&mails).find(|(_, m)| m.len() < count);
            let Some((address, got)) = short else {
                tokio::time::sleep(Duration::from_millis(600)).await;
                return self.mail_to_each(addresses).await;
            };
            if tokio::time::Instant::now() > deadline {
                panic!("expected {count} email(s) to {address}, got {}", got.len());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The mail sent to each of `addresses` (newest first), from one read of moto's.
    async fn mail_to_each(&self, addresses: &[&str]) -> Vec<Vec<SentMail>> {
        let sent = self
            .stack
            .sent_mail_where(|m| addresses.iter().any(|a| m.is_to(a)))
            .await
            .expect("moto answers");
        addresses
            .iter()
            .map(|address| sent.iter().filter(|m| m.is_to(address)).cloned().collect())
            .collect()
    }
}

/// What a browser does: pages read, forms posted.
impl TestStack {
    /// Opens `url` (a GET, redirects not followed); the status is the caller's to check.
    pub async fn open(&self, url: impl reqwest::IntoUrl) -> reqwest::Response {
        self.http.get(url).send().await.unwrap()
    }

    /// Sends a bodyless `method` request to this stack's `path`.
    pub async fn send(&self, method: &str, path: &str) -> reqwest::Response {
        self.http
            .request(method.parse().unwrap(), self.url(path))
            .send()
            .await
            .unwrap()
    }

    /// The page at `url`, which must answer 200.
    pub async fn page(&self, url: &str) -> String {
        let response = self.open(url).await;
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        response.text().await.unwrap()
    }

    /// The status and body of the page at `url`.
    pub async fn get(&self, url: &str) -> (StatusCode, String) {
        let response = self.open(url).await;
        (response.status(), response.text().await.unwrap())
    }

    /// Posts a form (already encoded: see [`super::form_encode`]) to `url`, as a browser does.
    pub async fn post(&self, url: &str, form: &str) -> reqwest::Response {
        self.post_form_body(url, form, false).await
    }

    /// Posts a form to this stack's `path`.
    pub async fn post_path(&self, path: &str, form: &str) -> reqwest::Response {
        self.post(&self.url(path), form).await
    }

    /// Posts `pairs` as a form to `url`.
    pub async fn post_pairs(&self, url: &str, pairs: &[(&str, &str)]) -> reqwest::Response {
        self.post(url, &super::form_encode(pairs)).await
    }

    /// Posts `pairs` to `url` as a page still on version 0 does once someone has saved a newer
    /// one: answered 409 Conflict, saying so. The page.
    pub async fn post_stale(&self, url: &str, pairs: &[(&str, &str)]) -> String {
        let pairs = [&[("version", "0")], pairs].concat();
        let page = super::body(self.post_pairs(url, &pairs).await, StatusCode::CONFLICT).await;
        assert!(
            page.contains("Someone else saved a newer version"),
            "{page}"
        );
        page
    }

    /// Posts a form to `url` as a page's autosave script does (it asks for JSON).
    pub async fn autosave(&self, url: &str, form: &str) -> reqwest::Response {
        self.post_form_body(url, form, true).await
    }

    async fn post_form_body(&self, url: &str, form: &str, json: bool) -> reqwest::Response {
        let mut request = self
            .http
            .post(url)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form.to_owned());
        if json {
            request = request.header(ACCEPT, "application/json");
        }
        request.send().await.unwrap()
    }
}

/// What the table says, and the runner's development hooks (the clock, the schedule).
impl TestStack {
    /// The item at `pk`/`sk` (a consistent read).
    pub async fn item(&self, pk: String, sk: &str) -> Option<Item> {
        self.dynamodb()
            .get_item()
            .table_name(self.table())
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .unwrap()
            .item
    }

    /// The id of the request with `reference`.
    pub async fn request_id(&self, reference: &str) -> String {
        let item = self
            .item(format!("REFERENCE#{reference}"), "REFERENCE")
            .await
            .expect("the request's reference");
        item["request_id"].as_s().unwrap().clone()
    }

    /// The request as stored.
    pub async fn stored_request(&self, request_id: &str) -> StoredRequest {
        let item = self
            .item(format!("REQUEST#{request_id}"), "REQUEST")
            .await
            .expect("the request");
        serde_dynamo::from_item(item).unwrap()
    }

    /// The administrator withdraws request `reference` for `reason`, with the admin tool.
    pub async fn withdraw(&self, reference: &records::domain::request::Reference, reason: &str) {
        send_review_admin::requests::withdraw(
            &self.table_handle(),
            reference,
            Some(reason),
            OffsetDateTime::now_utc(),
        )
        .await
        .expect("withdrawn");
    }

    /// Moves the booked visit of the request with `reference` to `day` (so that, for the
    /// product, which reads the real clock, time has moved on), through the local runner's
    /// development hook (`POST /_dev/requests/<reference>/visit-date`).
    pub async fn move_visit(&self, reference: &str, day: Date) {
        let response = self
            .http
            .post(self.url(&format!("/_dev/requests/{reference}/visit-date")))
            .header(CONTENT_TYPE, "application/json")
            .body(json!({ "date": day.to_string() }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["visit_date"], day.to_string());
    }

    /// Runs the scheduled tasks now, with the template's input, as their timer does.
    pub async fn run_schedule_now(&self) -> Value {
        self.stack
            .fire_schedule("ScheduledTasksFunction", None)
            .await
            .unwrap()
    }

    /// Runs the scheduled tasks as at `now` (the runner's `/_dev/schedules/...` hook); what
    /// they did.
    pub async fn run_schedule(&self, now: OffsetDateTime) -> Value {
        let at = now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        let response = self
            .http
            .post(self.url("/_dev/schedules/ScheduledTasksFunction"))
            .header(CONTENT_TYPE, "application/json")
            .body(json!({ "now": at }).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
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

/// Whether every item of a request's partition among `items` carries its request's TTL backstop
/// (or its own earlier one); the retention marker aside. A backstop falls at midnight UTC and
/// an item's own TTL (a pending upload's day) does not, so a copy still to follow a moved date
/// counts as unsettled.
fn ttl_settled(items: &[records::store::Item]) -> bool {
    use records::store::{get_i64, get_s};
    let request_ttl = |pk: &str| {
        items
            .iter()
            .find(|i| get_s(i, "pk") == Some(pk) && get_s(i, "sk") == Some("REQUEST"))
            .and_then(|i| get_i64(i, "expires_at"))
    };
    items.iter().all(|item| {
        let (Some(pk), Some(sk)) = (get_s(item, "pk"), get_s(item, "sk")) else {
            return true;
        };
        if !pk.starts_with("REQUEST#")
            || sk == "REQUEST"
            || sk == records::retention::MARKER_SORT_KEY
        {
            return true;
        }
        let Some(ttl) = request_ttl(pk) else {
            return true;
        };
        match get_i64(item, "expires_at") {
            Some(own) if own % 86_400 == 0 => own == ttl,
            Some(own) => own < ttl,
            None => false,
        }
    })
}
