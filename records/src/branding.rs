//! What every page and email shows of the programme (white label): its name, contact address,
//! logo, colour and privacy notice. Read from the programme settings item, cached for a minute
//! per container so the happy path costs no extra round trip; until an administrator saves
//! settings, the template's `PROGRAMME_NAME`, `PROGRAMME_CONTACT_EMAIL`, `PROGRAMME_LOGO_URL` and
//! `PROGRAMME_COLOUR` (the deploy's parameters) stand in.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::programme::ProgrammeSettings;
use crate::store::{Item, StoreError, Table, get_s};
use crate::{ConfigError, Env, programme};

const FRESH_FOR: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, PartialEq)]
pub struct Branding {
    pub name: String,
    pub contact_email: String,
    pub logo_url: Option<String>,
    pub primary_colour: String,
    /// Where the privacy notice is: the programme's own page, or ours at `/privacy`.
    pub privacy_notice_url: String,
}

impl From<&ProgrammeSettings> for Branding {
    fn from(settings: &ProgrammeSettings) -> Self {
        Self {
            name: settings.name.clone(),
            contact_email: settings.contact_email.clone(),
            logo_url: settings.logo_url.as_ref().map(|u| u.as_str().to_owned()),
            primary_colour: settings.primary_colour.as_str().to_owned(),
            privacy_notice_url: settings
                .privacy_notice_url
                .as_ref()
                .map(|u| u.as_str().to_owned())
                .unwrap_or_else(|| "/privacy".into()),
        }
    }
}

impl Branding {
    /// The origin the logo is served from (`https://host[:port]`), for the pages' CSP; none
    /// unless the address is https and its host is made of host characters only.
    pub fn logo_origin(&self) -> Option<String> {
        let rest = self.logo_url.as_deref()?.strip_prefix("https://")?;
        let authority = rest.split(['/', '?', '#']).next()?;
        let host = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        let clean = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
        clean.then(|| format!("https://{}", host.to_ascii_lowercase()))
    }
}

#[derive(Debug)]
pub struct BrandingSource {
    table: Table,
    fallback: Branding,
    cached: Mutex<Option<(Instant, Branding)>>,
}

impl BrandingSource {
    pub fn from_env(env: &Env, table: Table) -> Result<Self, ConfigError> {
        let mut fallback = ProgrammeSettings::new(
            env.required("PROGRAMME_NAME")?,
            env.required("PROGRAMME_CONTACT_EMAIL")?,
        );
        // The deploy's branding parameters; empty means the default.
        if env.optional("PROGRAMME_LOGO_URL").is_some() {
            fallback.logo_url = Some(env.parsed("PROGRAMME_LOGO_URL")?);
        }
        if env.optional("PROGRAMME_COLOUR").is_some() {
            fallback.primary_colour = env.parsed("PROGRAMME_COLOUR")?;
        }
        Ok(Self {
            table,
            fallback: Branding::from(&fallback),
            cached: Mutex::new(None),
        })
    }

    /// The current branding. A read failure falls back rather than failing the page.
    pub async fn current(&self) -> Branding {
        if let Some(branding) = self.fresh() {
            return branding;
        }
        self.remember(programme::get(&self.table).await)
    }

    /// The current branding and the items at `keys`, in one consistent `BatchGetItem` when
    /// the branding must be read too (a page whose other first reads are items: one round
    /// trip, not two). A failed read fails both; use [`BrandingSource::current`] then.
    pub async fn current_with(
        &self,
        keys: &[(String, String)],
    ) -> Result<(Branding, Vec<Item>), StoreError> {
        if let Some(branding) = self.fresh() {
            return Ok((branding, self.table.batch_get_read(keys, &[], true).await?));
        }
        let settings = programme::key();
        let mut all = keys.to_vec();
        all.push(settings.clone());
        let mut items = self.table.batch_get_read(&all, &[], true).await?;
        let is_settings = |item: &Item| {
            get_s(item, "pk") == Some(settings.0.as_str())
                && get_s(item, "sk") == Some(settings.1.as_str())
        };
        let found = items
            .iter()
            .position(is_settings)
            .map(|at| items.remove(at));
        let read = found
            .map(|item| ProgrammeSettings::from_item(&item))
            .transpose();
        Ok((self.remember(read), items))
    }

    fn fresh(&self) -> Option<Branding> {
        let cached = self.cached.lock().expect("not poisoned");
        let (at, branding) = cached.as_ref()?;
        (at.elapsed() < FRESH_FOR).then(|| branding.clone())
    }

    /// The branding of settings just read, cached; a failed read is not cached.
    fn remember(&self, read: Result<Option<ProgrammeSettings>, StoreError>) -> Branding {
        let branding = match read {
            Ok(Some(settings)) => Branding::from(&settings),
            Ok(None) => self.fallback.clone(),
            Err(error) => {
                tracing::warn!(%error, "programme settings unreadable; using the template's");
                return self.fallback.clone();
            }
        };
        *self.cached.lock().expect("not poisoned") = Some((Instant::now(), branding.clone()));
        branding
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_logo(url: &str) -> Branding {
        let mut settings = ProgrammeSettings::new("P", "p@example.org");
        settings.logo_url = Some(url.parse().unwrap());
        Branding::from(&settings)
    }

    /// A source whose table nobody answers for (nothing listens on port 9, and nothing is
    /// retried: a read fails at once, and the template's branding stands in), with `cached`
    /// read `age` ago.
    fn cached_for(age: Duration, cached: &Branding) -> BrandingSource {
        use aws_sdk_dynamodb::config::{Credentials, Region, retry::RetryConfig};
        let nobody = aws_sdk_dynamodb::Config::builder()
            .behavior_version_latest()
            .credentials_provider(Credentials::new("id", "secret", None, None, "test"))
            .endpoint_url("http://127.0.0.1:9")
            .retry_config(RetryConfig::disabled())
            .region(Region::new("eu-west-2"))
            .build();
        let table = Table {
            client: aws_sdk_dynamodb::Client::from_conf(nobody),
            name: "unreachable".into(),
        };
        let env = Env::from_map(
            [
                ("PROGRAMME_NAME", "Template programme"),
                ("PROGRAMME_CONTACT_EMAIL", "template@example.org"),
            ]
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect(),
        );
        let source = BrandingSource::from_env(&env, table).unwrap();
        let read_at = Instant::now().checked_sub(age).unwrap();
        *source.cached.lock().unwrap() = Some((read_at, cached.clone()));
        source
    }

    #[tokio::test]
    async fn branding_read_under_a_minute_ago_is_shown_and_older_is_read_again() {
        let saved = with_logo("https://cdn.example.org/logo.png");
        // Fresh: shown without a read (a read would fail, and show the template's).
        let fresh = cached_for(Duration::from_secs(59), &saved);
        assert_eq!(fresh.current().await, saved);
        // A minute old: read again, so a change saved in the console shows within a minute.
        // (Here the read fails: the template's branding, and nothing new cached.)
        let stale = cached_for(FRESH_FOR + Duration::from_secs(1), &saved);
        let template = stale.current().await;
        assert_eq!(template.name, "Template programme");
        assert_eq!(template, stale.fallback);
    }

    #[test]
    fn the_logo_origin_is_its_scheme_host_and_port_only() {
        assert_eq!(
            with_logo("https://Cdn.Example.org:8443/a/logo.png?v=1").logo_origin(),
            Some("https://cdn.example.org:8443".into())
        );
        assert_eq!(
            with_logo("https://user@cdn.example.org/logo.png").logo_origin(),
            Some("https://cdn.example.org".into())
        );
        // A host with characters a CSP would read as more sources is left out.
        assert_eq!(with_logo("https://a.org;script-src/x").logo_origin(), None);
        let none = Branding::from(&ProgrammeSettings::new("P", "p@example.org"));
        assert_eq!(none.logo_origin(), None);
    }
}
