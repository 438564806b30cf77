//! The local runner: development tooling that runs send-review on this machine exactly as AWS
//! would run it from `infra/template.yaml`, with DynamoDB Local and moto for the AWS services.
//! It is not a second implementation: every route, stream and schedule calls the function's
//! own handler, built the way its `main.rs` builds it.
//!
//! Layer: the top, over `records`, `workflows`, `mail` (development tooling that runs the functions
//! as AWS would). A rule, a stored shape or a page goes down into those crates (see the workspace
//! README's layout), never here.

pub mod aws_calls;
pub mod checks;
pub mod functions;
pub mod intrinsics;
pub mod invoke;
pub mod mailbox;
pub mod malware_scans;
pub mod provision;
pub mod relative_dates;
pub mod router;
pub mod s3_events;
pub mod schedules;
pub mod staff_pool;
pub mod streams;
pub mod template;

pub mod demo;
mod server;

pub use server::{Exchange, ExchangeLog};

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use aws_config::BehaviorVersion;
use records::Env;
use records::aws::AwsClients;
use tokio::task::JoinHandle;

use crate::functions::Handler;
use crate::intrinsics::{LocalValues, Resolver};
use crate::malware_scans::{MalwareScanner, ScanTarget};
use crate::router::Route;
use crate::s3_events::S3Notifier;
use crate::schedules::Schedule;
use crate::streams::StreamConsumer;
use crate::template::{EventSpec, Template};

#[derive(Debug, Clone)]
pub struct StackConfig {
    pub template: PathBuf,
    /// Prefix of every local resource name, so several stacks can share DynamoDB Local and moto.
    pub prefix: String,
    pub host: String,
    /// 0 picks a free port.
    pub port: u16,
    /// Template parameters to set (the rest keep their defaults).
    pub parameters: BTreeMap<String, String>,
    /// moto's base URL, where the sent mail is read back.
    pub moto_url: String,
    pub stream_poll_interval: Duration,
    /// Fire `rate()` schedules on their timers (off in tests, which fire them on demand).
    pub schedule_timers: bool,
    /// Poll the streams for stream-triggered functions (off only for benchmarks).
    pub stream_consumers: bool,
    /// Run the malware scanner's stand-in for each protected bucket ([`malware_scans`]); off,
    /// uploads get no scan result, as when the service is down.
    pub malware_scans: bool,
    /// Record every request a route answers here (load runs check them afterwards).
    pub exchanges: Option<ExchangeLog>,
    /// Every function's AWS calls go to this URL instead of the services' (a fault proxy that
    /// forwards to DynamoDB Local and moto); the runner's own calls still go direct.
    pub functions_endpoint: Option<String>,
    /// The access key every AWS call of the stack signs with, instead of the environment's.
    /// DynamoDB Local keeps a database per access key (it runs without `-sharedDb`), so a stack
    /// with a key of its own has a database of its own: each integration test's, so that no
    /// test's writes slow another's (DynamoDB Local's writes slow down as the stream records
    /// of its database grow). moto ignores the key.
    pub access_key_id: Option<String>,
}

impl StackConfig {
    /// Defaults for this repository, with the AWS endpoints taken from the environment.
    pub fn from_environment() -> anyhow::Result<Self> {
        let moto_url = std::env::var("AWS_ENDPOINT_URL_SES").map_err(|_| {
            anyhow!("AWS_ENDPOINT_URL_SES is not set: start moto and point it there")
        })?;
        // The console's Cognito calls go to moto too; without this they would go to AWS.
        if std::env::var_os("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER").is_none() {
            bail!(
                "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER is not set: point it at moto \
                 (scripts/lib/services.sh, export_aws_local_env)"
            );
        }
        Ok(Self {
            template: repository_root().join("infra/template.yaml"),
            prefix: "send-review".into(),
            host: "127.0.0.1".into(),
            port: 0,
            parameters: BTreeMap::new(),
            moto_url: moto_url.trim_end_matches('/').to_owned(),
            stream_poll_interval: Duration::from_millis(200),
            schedule_timers: true,
            stream_consumers: true,
            malware_scans: true,
            exchanges: None,
            functions_endpoint: None,
            access_key_id: None,
        })
    }
}

pub fn repository_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A running local stack. Dropping it stops the router, the stream pollers and the timers.
pub struct LocalStack {
    pub url: String,
    pub values: LocalValues,
    pub aws: AwsClients,
    pub moto_url: String,
    pub routes: Vec<Route>,
    environments: HashMap<String, Env>,
    variables: HashMap<String, HashMap<String, String>>,
    schedules: HashMap<String, Schedule>,
    tasks: Vec<JoinHandle<()>>,
    aws_calls: aws_calls::Calls,
}

impl Drop for LocalStack {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl LocalStack {
    pub async fn start(config: StackConfig) -> anyhow::Result<Self> {
        let template = Template::load(&config.template)?;
        let mut sdk_config = aws_config::defaults(BehaviorVersion::latest());
        if let Some(key) = &config.access_key_id {
            sdk_config = sdk_config.credentials_provider(
                aws_sdk_dynamodb::config::Credentials::new(key, "local", None, None, "local-stack"),
            );
        }
        let sdk_config = sdk_config.load().await;
        let aws = AwsClients::from_sdk_config(&sdk_config);
        let aws_calls = aws_calls::Calls::default();
        let streams_client = aws_sdk_dynamodbstreams::Client::new(&sdk_config);

        let mut parameters = template.parameters.clone();
        for (name, value) in &config.parameters {
            if !parameters.contains_key(name) {
                bail!("the template has no parameter {name}");
            }
            parameters.insert(name.clone(), value.clone());
        }
        let mut values = provision::provision(&template, &aws, &config.prefix, &parameters).await?;
        staff_pool::provision(
            &template,
            &sdk_config,
            &config.prefix,
            &template.conditions,
            &mut values,
        )
        .await?;

        let listener = tokio::net::TcpListener::bind((config.host.as_str(), config.port))
            .await
            .with_context(|| {
                format!(
                    "port {} on {} is already in use: stop what uses it or choose another port",
                    config.port, config.host
                )
            })?;
        let address = listener.local_addr()?;
        let url = format!("http://{address}");

        let resolver = Resolver {
            values: &values,
            conditions: &template.conditions,
        };
        let mut routes = Vec::new();
        let mut schedules = HashMap::new();
        let mut tasks = Vec::new();
        let mut environments = HashMap::new();
        let mut variables = HashMap::new();
        // Per protected bucket (logical id), the functions its scan results go to.
        let mut scan_targets: HashMap<String, Vec<ScanTarget>> = HashMap::new();
        for function in template.functions()? {
            let mut vars = HashMap::new();
            for (name, value) in &function.environment {
                let resolved = resolver.resolve(value).with_context(|| {
                    format!("{}: environment variable {name}", function.logical_id)
                })?;
                vars.insert(name.clone(), resolved);
            }
            // The site's own address is the one endpoint that differs locally.
            if vars.contains_key("SITE_URL") {
                vars.insert("SITE_URL".into(), url.clone());
            }
            variables.insert(function.logical_id.clone(), vars.clone());
            let env = Env::from_map(vars);
            // Each function's own clients, recording the AWS actions its code calls.
            let function_aws = AwsClients::with_interceptor(
                &sdk_config,
                aws_sdk_dynamodb::config::SharedInterceptor::new(aws_calls::Recorder {
                    binary: function.binary.clone(),
                    calls: aws_calls.clone(),
                }),
            );
            let function_aws = match &config.functions_endpoint {
                Some(endpoint) => function_aws.through(endpoint),
                None => function_aws,
            };
            let handler = functions::build(&function.binary, &env, &function_aws)
                .await
                .with_context(|| format!("building the handler of {}", function.logical_id))?;
            environments.insert(function.logical_id.clone(), env);
            for event in &function.events {
                match (event, &handler) {
                    (EventSpec::Http { method, path }, Handler::Http(h)) => {
                        if path.starts_with("/_dev") {
                            bail!("{path}: routes under /_dev belong to the local runner");
                        }
                        routes.push(Route::new(&function.logical_id, method, path, h.clone()));
                    }
                    (
                        EventSpec::DynamoStream {
                            table,
                            batch_size,
                            filters,
                            max_retries,
                            starting_position,
                        },
                        Handler::Stream(h),
                    ) => {
                        let stream_arn = values
                            .attributes
                            .get(&(table.clone(), "StreamArn".into()))
                            .cloned()
                            .ok_or_else(|| anyhow!("table {table} has no stream"))?;
                        let consumer = StreamConsumer {
                            function: function.logical_id.clone(),
                            handler: h.clone(),
                            client: streams_client.clone(),
                            stream_arn,
                            batch_size: *batch_size,
                            filters: filters.clone(),
                            max_retries: *max_retries,
                            starting_position: starting_position.clone(),
                            poll_interval: config.stream_poll_interval,
                        };
                        if config.stream_consumers {
                            tasks.push(tokio::spawn(consumer.run()));
                        }
                    }
                    (
                        EventSpec::Schedule {
                            name,
                            expression,
                            input,
                        },
                        Handler::Schedule(h),
                    ) => {
                        let schedule = Schedule {
                            function: function.logical_id.clone(),
                            name: name.clone(),
                            expression: expression.clone(),
                            input: input.clone(),
                            handler: h.clone(),
                        };
                        if config.schedule_timers {
                            tasks.push(tokio::spawn(schedule.clone().run_timer()));
                        }
                        schedules.insert(function.logical_id.clone(), schedule);
                    }
                    (EventSpec::Sns { .. }, Handler::Sns(_)) => {}
                    (
                        EventSpec::S3 {
                            bucket,
                            events,
                            prefix,
                            suffix,
                        },
                        Handler::S3(h),
                    ) => {
                        let notifier = S3Notifier {
                            function: function.logical_id.clone(),
                            handler: h.clone(),
                            client: aws.s3.clone(),
                            bucket: values
                                .refs
                                .get(bucket)
                                .cloned()
                                .ok_or_else(|| anyhow!("no bucket {bucket}"))?,
                            events: events.clone(),
                            prefix: prefix.clone(),
                            suffix: suffix.clone(),
                            poll_interval: config.stream_poll_interval,
                        };
                        if config.stream_consumers {
                            tasks.push(tokio::spawn(notifier.run()));
                        }
                    }
                    (
                        EventSpec::EventBridge {
                            sources,
                            detail_types,
                            bucket: Some(bucket),
                            key_prefix,
                        },
                        Handler::Event(h),
                    ) if sources == &[records::evidence::SCAN_EVENT_SOURCE]
                        && detail_types == &[records::evidence::SCAN_EVENT_DETAIL_TYPE] =>
                    {
                        scan_targets
                            .entry(bucket.clone())
                            .or_default()
                            .push(ScanTarget {
                                function: function.logical_id.clone(),
                                handler: h.clone(),
                                key_prefix: key_prefix.clone(),
                            });
                    }
                    (event, _) => bail!(
                        "{}: its handler does not take {event:?} events",
                        function.logical_id
                    ),
                }
            }
        }

        for plan in template.malware_protection_plans()? {
            let scanner = MalwareScanner {
                client: aws.s3.clone(),
                bucket: values
                    .refs
                    .get(&plan.bucket)
                    .cloned()
                    .ok_or_else(|| anyhow!("{}: no bucket {}", plan.logical_id, plan.bucket))?,
                targets: scan_targets.remove(&plan.bucket).unwrap_or_default(),
                plan: plan.logical_id,
                prefixes: plan.prefixes,
                tagging: plan.tagging,
                poll_interval: config.stream_poll_interval,
            };
            if config.stream_consumers && config.malware_scans {
                tasks.push(tokio::spawn(scanner.run()));
            }
        }
        if let Some(bucket) = scan_targets.keys().next() {
            bail!(
                "scan results of bucket {bucket} are wanted, but no malware protection plan protects it"
            );
        }

        let state = Arc::new(server::State {
            routes: routes.clone(),
            exchanges: config.exchanges.clone(),
            schedules: schedules.clone(),
            moto_url: config.moto_url.clone(),
            table: records::store::Table {
                client: aws.dynamodb.clone(),
                name: values.refs.get("Table").cloned().unwrap_or_default(),
            },
            sdk_config: sdk_config.clone(),
            staff_pool_id: values.refs.get("StaffUserPool").cloned(),
            site_url: url.clone(),
            links: environments
                .get("SchoolPagesFunction")
                .and_then(|env| records::links::LazyLinkSecret::from_env(env, &aws).ok()),
        });
        tasks.push(tokio::spawn(server::serve(listener, state)));
        Ok(Self {
            url,
            values,
            aws,
            moto_url: config.moto_url,
            routes,
            environments,
            variables,
            schedules,
            tasks,
            aws_calls,
        })
    }

    /// Per function binary, the IAM actions its AWS calls have needed so far ([`aws_calls`]).
    pub fn aws_actions(&self) -> BTreeMap<String, BTreeSet<String>> {
        self.aws_calls.lock().expect("not poisoned").clone()
    }

    /// The local name of a template resource (`!Ref`).
    pub fn resource(&self, logical_id: &str) -> &str {
        self.values
            .refs
            .get(logical_id)
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// The environment a function runs with, resolved from the template.
    pub fn function_env(&self, logical_id: &str) -> &Env {
        self.environments
            .get(logical_id)
            .unwrap_or_else(|| panic!("the template has no function {logical_id}"))
    }

    /// The same environment as variables, for starting the function's own binary (as Lambda
    /// does) instead of calling its handler.
    pub fn function_variables(&self, logical_id: &str) -> &HashMap<String, String> {
        self.variables
            .get(logical_id)
            .unwrap_or_else(|| panic!("the template has no function {logical_id}"))
    }

    pub fn table_name(&self) -> &str {
        self.resource("Table")
    }

    /// Fires a scheduled function now, with `input` or the template's input.
    pub async fn fire_schedule(
        &self,
        function: &str,
        input: Option<serde_json::Value>,
    ) -> anyhow::Result<serde_json::Value> {
        self.schedules
            .get(function)
            .ok_or_else(|| anyhow!("{function} has no schedule"))?
            .fire(input)
            .await
    }

    /// The mail sent to `address`, newest first.
    pub async fn mail_to(&self, address: &str) -> anyhow::Result<Vec<mailbox::SentMail>> {
        self.sent_mail_where(|m| m.is_to(address)).await
    }

    /// The emails sent (by any stack sharing this moto) that `keep` keeps, newest first.
    pub async fn sent_mail_where(
        &self,
        keep: impl Fn(&mailbox::SentMail) -> bool,
    ) -> anyhow::Result<Vec<mailbox::SentMail>> {
        mailbox::sent_mail_where(&self.moto_url, keep).await
    }
}
