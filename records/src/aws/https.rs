//! The one HTTPS client every AWS client of a function shares, with its connector (the TLS setup:
//! the system's CA certificates parsed into a trust store) built at init on a thread of its own.
//!
//! The SDK's own client builds a throwaway connector whenever a client is constructed, to load
//! the certificates early, then a real one on the first call. Here nothing is built while the
//! clients are constructed; [`HttpsClient::prepare_in_background`] builds the real connector,
//! for the connection settings the clients will ask for, while init goes on; the first call
//! takes it (or waits for it, if it is half built, rather than building a second).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::config::SharedAsyncSleep;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, Connector, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::shared::IntoShared;

#[derive(Clone, Debug, Default)]
pub struct HttpsClient {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    /// The settings a connector is being prepared for, and the connector once built.
    planned: OnceLock<Planned>,
    prepared: OnceLock<SharedHttpConnector>,
    /// The SDK's client, for calls with other settings: it builds and caches their connectors.
    fallback: OnceLock<SharedHttpClient>,
    /// Shared with the fallback's builder by itself, not through `Shared` (no cycle).
    connectors_built: Arc<AtomicUsize>,
}

#[derive(Debug)]
struct Planned {
    settings: HttpConnectorSettings,
    sleep: Option<SharedAsyncSleep>,
}

/// What the SDK's connector cache tells connectors apart by.
type Timeouts = (Option<Duration>, Option<Duration>);

fn timeouts(settings: &HttpConnectorSettings) -> Timeouts {
    (settings.connect_timeout(), settings.read_timeout())
}

impl HttpsClient {
    pub fn new() -> Self {
        Self::default()
    }

    /// The client, for the SDK's configuration.
    pub fn shared(&self) -> SharedHttpClient {
        self.clone().into_shared()
    }

    /// Builds the connector for `config`'s connection settings (the ones its clients pass on
    /// each call) on a thread of its own. Once per client; later calls do nothing.
    pub fn prepare_in_background(&self, config: &SdkConfig) -> Option<std::thread::JoinHandle<()>> {
        let timeout_config = config.timeout_config();
        let mut settings = HttpConnectorSettings::builder();
        settings.set_connect_timeout(timeout_config.and_then(|t| t.connect_timeout()));
        settings.set_read_timeout(timeout_config.and_then(|t| t.read_timeout()));
        let settings = settings.build();
        let planned = Planned {
            settings,
            sleep: config.sleep_impl(),
        };
        self.shared.planned.set(planned).ok()?;
        let shared = self.shared.clone();
        Some(std::thread::spawn(move || {
            shared.prepared_connector();
        }))
    }

    /// How many connectors this client has built (tests).
    pub fn connectors_built(&self) -> usize {
        self.shared.connectors_built.load(Ordering::Relaxed)
    }
}

impl Shared {
    fn prepared_connector(&self) -> Option<SharedHttpConnector> {
        let planned = self.planned.get()?;
        Some(
            self.prepared
                .get_or_init(|| {
                    build(
                        &self.connectors_built,
                        Some(&planned.settings),
                        planned.sleep.clone(),
                    )
                    .into_shared()
                })
                .clone(),
        )
    }
}

/// The SDK's default HTTPS connector: rustls with aws-lc, proxies from the environment.
fn build(
    built: &AtomicUsize,
    settings: Option<&HttpConnectorSettings>,
    sleep: Option<SharedAsyncSleep>,
) -> Connector {
    built.fetch_add(1, Ordering::Relaxed);
    let mut connector =
        ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
    connector.set_connector_settings(settings.cloned());
    connector.set_sleep_impl(sleep);
    connector.set_proxy_config(Some(ProxyConfig::from_env()));
    connector.build()
}

impl HttpClient for HttpsClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let shared = &self.shared;
        if shared
            .planned
            .get()
            .is_some_and(|planned| timeouts(&planned.settings) == timeouts(settings))
            && let Some(connector) = shared.prepared_connector()
        {
            return connector;
        }
        let fallback = shared.fallback.get_or_init(|| {
            let built = shared.connectors_built.clone();
            Builder::new().build_with_connector_fn(move |settings, components| {
                build(&built, settings, components.and_then(|c| c.sleep_impl()))
            })
        });
        fallback.http_connector(settings, components)
    }

    // The default validation builds a connector to load the certificates at construction;
    // this one does nothing, so constructing clients builds none.
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_config::BehaviorVersion;
    use aws_sdk_secretsmanager::config::{Credentials, Region};

    #[tokio::test]
    async fn the_first_call_takes_the_connector_prepared_at_init() {
        let https = HttpsClient::new();
        // Nothing listens on port 9: the call fails after taking its connector.
        let config = aws_config::defaults(BehaviorVersion::latest())
            .http_client(https.shared())
            .region(Region::new("eu-west-2"))
            .endpoint_url("http://127.0.0.1:9")
            .credentials_provider(Credentials::new("id", "secret", None, None, "test"))
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .load()
            .await;
        assert_eq!(https.connectors_built(), 0, "constructing builds none");
        let client = aws_sdk_secretsmanager::Client::new(&config);
        assert_eq!(https.connectors_built(), 0, "constructing builds none");
        https
            .prepare_in_background(&config)
            .expect("first preparation")
            .join()
            .unwrap();
        assert_eq!(https.connectors_built(), 1);
        assert!(https.prepare_in_background(&config).is_none(), "once");

        let refused = client.get_secret_value().secret_id("arn").send().await;
        assert!(refused.is_err());
        assert_eq!(
            https.connectors_built(),
            1,
            "the call used the prepared connector (its settings are the config's)"
        );

        // A client with other settings gets a connector of its own, built once.
        let other = aws_sdk_secretsmanager::Client::from_conf(
            aws_sdk_secretsmanager::config::Builder::from(&config)
                .timeout_config(
                    aws_config::timeout::TimeoutConfig::builder()
                        .connect_timeout(Duration::from_millis(1234))
                        .build(),
                )
                .build(),
        );
        for _ in 0..2 {
            assert!(
                other
                    .get_secret_value()
                    .secret_id("arn")
                    .send()
                    .await
                    .is_err()
            );
        }
        assert_eq!(https.connectors_built(), 2);
    }
}
