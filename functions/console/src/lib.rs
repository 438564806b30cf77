//! The programme console (`/console/...`): the programme's staff sign in against the Cognito
//! staff pool (password, a new password on first sign-in, an authenticator app) and see the
//! pipeline. Every request re-verifies the session's ID token ([`tokens`]) and reads the role
//! from its `cognito:groups`; every POST carries the session's anti-forgery token.
//!
//! Layer: the top, over `records` (the session store) and `web` (the pages). A Lambda adapter:
//! it reads the event, calls Cognito and the table, and answers.

mod attention;
pub mod cognito;
mod frameworks_page;
mod insights_page;
mod people;
pub mod pipeline;
mod plan_page;
mod request_emails;
mod request_page;
mod session;
mod settings_page;
mod signin;
pub mod tokens;

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use records::aws::AwsClients;
use records::branding::{Branding, BrandingSource};
use records::links::LazyLinkSecret;
use records::staff_sessions::{self, StaffSession, Stage};
use records::store::Table;
use records::{ConfigError, Env};
use time::OffsetDateTime;
use web::pages::console::PipelinePage;
pub use web::pages::console::SignedInUser;

use crate::cognito::StaffPool;
pub use crate::session::{COOKIE, INACTIVITY_LIMIT_SECONDS};
use crate::tokens::{IdClaims, PoolConfig, TokenVerifier};

const MAX_FORM_BYTES: usize = 8 * 1024;

/// A page as the console answers it: its status and HTML, or the store's error.
pub type Rendered = Result<(StatusCode, askama::Result<String>), records::store::StoreError>;

/// Whom a page is rendered for: the programme's look, the signed-in user, their session's
/// anti-forgery token.
#[derive(Clone, Copy)]
pub struct PageFor<'a> {
    pub branding: &'a Branding,
    pub user: &'a SignedInUser,
    pub csrf: &'a str,
}

/// The pages that only read, served by [`Console::read_page`].
#[derive(Debug, Clone, Copy)]
enum ReadPage {
    Pipeline,
    Insights,
}

/// A staff member's role: their group in the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Runs the programme: every action.
    Coordinator,
    /// Reads; changes nothing and exports no personal data.
    Viewer,
}

impl Role {
    /// The role of the groups in a verified ID token (coordinator wins), if any.
    pub fn of(groups: &[String]) -> Option<Self> {
        if groups.iter().any(|g| g == "coordinator") {
            Some(Role::Coordinator)
        } else if groups.iter().any(|g| g == "viewer") {
            Some(Role::Viewer)
        } else {
            None
        }
    }

    fn label(self) -> &'static str {
        match self {
            Role::Coordinator => "coordinator",
            Role::Viewer => "viewer",
        }
    }
}

pub struct Console {
    table: Table,
    coordination: coordination::Coordination,
    branding: BrandingSource,
    pool: StaffPool,
    verifier: TokenVerifier,
    /// `scheme://host[:port]` of the site: a POST's `Origin`, when sent, must be this.
    site_origin: String,
    /// Signs a school's renewed status link (read on first use).
    links: LazyLinkSecret,
}

/// A signed-in request: its session (already saved with this request's time) and who it is.
pub(crate) struct SignedIn {
    pub session: StaffSession,
    pub claims: IdClaims,
    pub role: Role,
}

impl Console {
    pub fn from_env(env: &Env, aws: &AwsClients) -> Result<Self, ConfigError> {
        let table = Table::from_env(env, aws)?;
        let region = aws
            .sdk_config
            .region()
            .map(ToString::to_string)
            .ok_or_else(|| ConfigError::Missing("AWS_REGION".into()))?;
        let pool_id = env.required("STAFF_POOL_ID")?;
        let client_id = env.required("STAFF_POOL_CLIENT_ID")?;
        let site_url = env.required("SITE_URL")?;
        let mut cognito = aws_sdk_cognitoidentityprovider::config::Builder::from(&aws.sdk_config);
        if let Some(interceptor) = &aws.interceptor {
            cognito.push_interceptor(interceptor.clone());
        }
        let endpoint = records::aws::cognito_endpoint_override();
        Ok(Self {
            coordination: coordination::Coordination::new(
                workflows::offers::Workflow::from_env(env, aws)?,
                workflows::evidence::EvidenceStore::from_env(env, aws)?,
            ),
            branding: BrandingSource::from_env(env, table.clone())?,
            table,
            pool: StaffPool {
                client: aws_sdk_cognitoidentityprovider::Client::from_conf(cognito.build()),
                client_id: client_id.clone(),
            },
            verifier: TokenVerifier::new(PoolConfig::new(
                &region,
                &pool_id,
                &client_id,
                endpoint.as_deref(),
            )),
            site_origin: origin_of(&site_url),
            links: LazyLinkSecret::from_env(env, aws)?,
        })
    }

    /// The console's token verifier (its pool, its key cache).
    pub fn verifier(&self) -> &TokenVerifier {
        &self.verifier
    }

    pub async fn handle(&self, request: Request) -> Response<Body> {
        self.handle_at(request, OffsetDateTime::now_utc().unix_timestamp())
            .await
    }

    /// Answers `request` as at `now` (Unix seconds): token expiry and inactivity count by it.
    pub async fn handle_at(&self, request: Request, now: i64) -> Response<Body> {
        let mut response = self.answer(request, now).await;
        response = web::http::allowing_logo(response, &self.branding.current().await);
        // With `no-referrer` a browser posts `Origin: null`; the console's own pages let it
        // name the site to the site itself, so every POST's Origin can be held to it.
        response.headers_mut().insert(
            "referrer-policy",
            lambda_http::http::HeaderValue::from_static("same-origin"),
        );
        response
    }

    async fn answer(&self, request: Request, now: i64) -> Response<Body> {
        let branding = self.branding.current().await;
        let path = request.uri().path().trim_end_matches('/').to_owned();
        let method = request.method().clone();
        if method == Method::POST
            && let Err(refusal) = self.check_forgery(&branding, &request).await
        {
            return refusal;
        }
        match (method.as_str(), path.as_str()) {
            ("GET", "/console") => {
                self.read_page(&branding, &request, now, ReadPage::Pipeline)
                    .await
            }
            ("GET", "/console/pipeline.csv") => self.pipeline_csv(&branding, &request, now).await,
            // Programme insights (issue 17): aggregates only, so every role.
            ("GET", insights_page::PAGE) => {
                self.read_page(&branding, &request, now, ReadPage::Insights)
                    .await
            }
            ("GET", insights_page::CSV) => {
                insights_page::csv_download(self, &branding, &request, now).await
            }
            // Settings (issue 14): the catalogue's form, saved as a versioned document.
            ("GET", "/console/settings") => {
                settings_page::show(self, &branding, &request, now).await
            }
            ("POST", "/console/settings") => {
                settings_page::save(self, &branding, &request, now).await
            }
            ("GET", step) | ("POST", step) if signin::is_step(step) => {
                signin::answer(self, &branding, &request, step, now).await
            }
            // Planning a term (issue 19): the plan, its pins and forbids, sending its offers.
            (_, plan) if plan_page::handles(plan) => {
                self.plan_page(&branding, &request, plan, now).await
            }
            // Review frameworks (issue 18): each type's, and the editor that publishes the next.
            (_, page) if frameworks_page::handles(page) => {
                frameworks_page::answer(self, &branding, &request, page, now).await
            }
            (_, people_page) if people::handles(people_page) => {
                people::answer(self, &branding, &request, people_page, now).await
            }
            // A request's page and its actions (request_page.rs).
            (_, p) if request_page::is_request_path(p) => {
                request_page::answer(self, &branding, &request, method.as_str(), p, now).await
            }
            ("POST", "/console/sign-out") => self.sign_out(&branding, &request, false).await,
            ("POST", "/console/sign-out-everywhere") => {
                self.sign_out(&branding, &request, true).await
            }
            _ => message(&branding, StatusCode::NOT_FOUND, "Page not found", &[], ""),
        }
    }

    /// Every POST carries its session's anti-forgery token, and comes from the site itself when
    /// the browser says where it comes from. A refused POST changes nothing.
    async fn check_forgery(
        &self,
        branding: &Branding,
        request: &Request,
    ) -> Result<(), Response<Body>> {
        let refuse = || {
            message(
                branding,
                StatusCode::FORBIDDEN,
                "This form could not be sent",
                &["The page may be out of date. Go back, reload it and try again.".into()],
                "/console/sign-in",
            )
        };
        if web::http::cross_site(request, &self.site_origin) {
            return Err(refuse());
        }
        let Some(id) = session::cookie(request) else {
            return Err(refuse());
        };
        let path = request.uri().path().trim_end_matches('/');
        let limit = (people::form_limit(path))
            .or_else(|| plan_page::form_limit(path))
            .unwrap_or(MAX_FORM_BYTES);
        let files = people::takes_files(path);
        let form: session::CsrfOnly = match web::http::read_form_with_files(request, limit, files) {
            Ok((form, _)) => form,
            Err(web::http::FormError::TooLarge) => {
                return Err(message(
                    branding,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "This is too much to send at once",
                    &[format!(
                        "The form can carry at most {} KB. Go back and send less: split a large file into smaller ones.",
                        limit / 1024
                    )],
                    "/console",
                ));
            }
            Err(_) => return Err(refuse()),
        };
        match staff_sessions::get(&self.table, &id).await {
            Ok(Some(stored)) if session::same_token(&stored.csrf, &form.csrf) => Ok(()),
            Ok(_) => Err(refuse()),
            Err(e) => Err(unavailable(branding, &e)),
        }
    }

    /// The signed-in session of `request`, or the answer to give instead (to the sign-in page,
    /// or a page saying the session timed out). Refreshes an expired ID token, re-verifies it,
    /// and records the request's time.
    pub(crate) async fn signed_in(
        &self,
        branding: &Branding,
        request: &Request,
        now: i64,
    ) -> Result<SignedIn, Response<Body>> {
        let to_sign_in = || web::http::see_other("/console/sign-in");
        let Some(id) = session::cookie(request) else {
            return Err(to_sign_in());
        };
        let mut stored = match staff_sessions::get(&self.table, &id).await {
            Ok(Some(stored)) if stored.stage == Stage::SignedIn => stored,
            Ok(_) => return Err(to_sign_in()),
            Err(e) => return Err(unavailable(branding, &e)),
        };
        if now - stored.last_seen > INACTIVITY_LIMIT_SECONDS {
            if let Err(e) = staff_sessions::delete(&self.table, &id).await {
                return Err(unavailable(branding, &e));
            }
            return Err(session::with_cleared_cookie(message(
                branding,
                StatusCode::UNAUTHORIZED,
                "You have been signed out",
                &["You were signed out after 30 minutes without using the console.".into()],
                "/console/sign-in",
            )));
        }
        let claims = match self.verifier.verify_id_token(&stored.id_token, now).await {
            Ok(claims) => claims,
            Err(tokens::TokenError::Expired) => {
                match self.pool.refresh(&stored.refresh_token).await {
                    Ok(fresh) => match self.verifier.verify_id_token(&fresh.id_token, now).await {
                        Ok(claims) => {
                            stored.id_token = fresh.id_token;
                            stored.access_token = fresh.access_token;
                            claims
                        }
                        Err(e) => return Err(self.end(&id, &e.to_string()).await),
                    },
                    Err(e) => return Err(self.end(&id, &e.to_string()).await),
                }
            }
            Err(e) => return Err(self.end(&id, &e.to_string()).await),
        };
        if claims.sub != stored.sub {
            return Err(self.end(&id, "the token's subject changed").await);
        }
        stored.last_seen = now;
        stored.version += 1;
        match staff_sessions::put(
            &self.table,
            &id,
            &stored,
            now + session::SESSION_TTL_SECONDS,
        )
        .await
        {
            Ok(staff_sessions::Written::Saved) => {}
            // Another request of this session wrote first (or it was ended): read it again.
            Ok(staff_sessions::Written::Stale) => match staff_sessions::get(&self.table, &id).await
            {
                Ok(Some(again)) if again.stage == Stage::SignedIn => stored = again,
                Ok(_) => return Err(to_sign_in()),
                Err(e) => return Err(unavailable(branding, &e)),
            },
            Err(e) => return Err(unavailable(branding, &e)),
        }
        let Some(role) = Role::of(&claims.groups) else {
            return Err(message(
                branding,
                StatusCode::FORBIDDEN,
                "Your account has no role in the console",
                &["Ask a coordinator to make you a coordinator or a viewer.".into()],
                "",
            ));
        };
        Ok(SignedIn {
            session: stored,
            claims,
            role,
        })
    }

    /// Ends session `id` (its token no longer verifies) and sends the browser to sign in.
    async fn end(&self, id: &str, why: &str) -> Response<Body> {
        // The reason names the check that failed, never the token.
        tracing::info!(reason = why, "console session ended");
        if let Err(e) = staff_sessions::delete(&self.table, id).await {
            tracing::error!(error = %e, "could not delete a console session");
        }
        session::with_cleared_cookie(web::http::see_other("/console/sign-in"))
    }

    /// A page that only reads (`page`), for the signed-in user of `request`.
    async fn read_page(
        &self,
        branding: &Branding,
        request: &Request,
        now: i64,
        page: ReadPage,
    ) -> Response<Body> {
        let user = match self.signed_in(branding, request, now).await {
            Ok(user) => user,
            Err(answer) => return answer,
        };
        let shown = SignedInUser {
            email: user.claims.email.clone(),
            role_label: user.role.label(),
            may_export: user.role == Role::Coordinator,
        };
        let query = request.uri().query().unwrap_or_default();
        let csrf = &user.session.csrf;
        let rendered = match page {
            ReadPage::Pipeline => self.pipeline_html(branding, &shown, csrf, query, now).await,
            ReadPage::Insights => {
                let to = PageFor {
                    branding,
                    user: &shown,
                    csrf,
                };
                self.insights_html(to, query, now).await
            }
        };
        match rendered {
            Ok((status, html)) => web::http::page(status, html),
            Err(e) => unavailable(branding, &e),
        }
    }

    /// What `GET /console/insights?<query>` shows `user` (the figures of a period, read from
    /// a few counters items) once their session is checked. Public for the benchmark.
    pub async fn insights_html(&self, to: PageFor<'_>, query: &str, now: i64) -> Rendered {
        let (status, view) = insights_page::view(self, query, now).await?;
        Ok((
            status,
            insights_page::render(to.branding, to.user, to.csrf, &view),
        ))
    }

    /// What `GET /console?<query>` shows `user` as at `now` (Unix seconds), once their
    /// session is checked: the reads, the placing, the needs-attention list and the page.
    /// Public for the benchmark, which times it against the reads alone.
    pub async fn pipeline_html(
        &self,
        branding: &Branding,
        user: &SignedInUser,
        csrf: &str,
        query: &str,
        now: i64,
    ) -> Rendered {
        let at = clock(now);
        let query: pipeline::FilterQuery = serde_html_form::from_str(query).unwrap_or_default();
        let entries = pipeline::load(&self.table, at.date()).await?;
        let offers = attention::expiring_offers(&self.table, at).await?;
        let addresses = attention::undeliverable(&self.table).await?;
        // Addresses are personal data: those who may export it see them.
        let attention = attention::list(&entries, &offers, &addresses, at, user.may_export);
        let (stages, filters) = pipeline::view(&entries, &query);
        let status = if filters.errors.is_empty() {
            StatusCode::OK
        } else {
            StatusCode::BAD_REQUEST
        };
        let html = askama::Template::render(&PipelinePage {
            branding,
            user,
            csrf,
            stages: &stages,
            filters: &filters,
            attention: &attention,
        });
        Ok((status, html))
    }

    /// The pipeline with schools' contacts: personal data, so coordinators only.
    async fn pipeline_csv(
        &self,
        branding: &Branding,
        request: &Request,
        now: i64,
    ) -> Response<Body> {
        let user = match self.signed_in(branding, request, now).await {
            Ok(user) => user,
            Err(answer) => return answer,
        };
        if user.role != Role::Coordinator {
            return forbidden(branding);
        }
        match pipeline::load(&self.table, clock(now).date()).await {
            Ok(entries) => {
                let mut response = web::http::text(
                    StatusCode::OK,
                    "text/csv; charset=utf-8",
                    pipeline::csv(&entries),
                );
                response.headers_mut().insert(
                    "content-disposition",
                    lambda_http::http::HeaderValue::from_static(
                        "attachment; filename=\"pipeline.csv\"",
                    ),
                );
                response.headers_mut().insert(
                    "cache-control",
                    lambda_http::http::HeaderValue::from_static("no-store"),
                );
                response
            }
            Err(e) => unavailable(branding, &e),
        }
    }

    /// Signs out this session, or (`everywhere`) every session of the user: Cognito revokes
    /// their refresh tokens and every stored session of theirs ends.
    async fn sign_out(
        &self,
        branding: &Branding,
        request: &Request,
        everywhere: bool,
    ) -> Response<Body> {
        let Some(id) = session::cookie(request) else {
            return web::http::see_other("/console/sign-in");
        };
        if everywhere {
            let stored = match staff_sessions::get(&self.table, &id).await {
                Ok(Some(stored)) if stored.stage == Stage::SignedIn => stored,
                Ok(_) => return web::http::see_other("/console/sign-in"),
                Err(e) => return unavailable(branding, &e),
            };
            if let Err(e) = self.pool.global_sign_out(&stored.access_token).await {
                // An access token already revoked or expired: the sessions still end below.
                tracing::warn!(error = %e, "GlobalSignOut refused");
            }
            if let Err(e) = staff_sessions::delete_all_of_user(&self.table, &stored.sub).await {
                return unavailable(branding, &e);
            }
        }
        if let Err(e) = staff_sessions::delete(&self.table, &id).await {
            return unavailable(branding, &e);
        }
        let paragraphs = if everywhere {
            vec!["You are signed out on every device and browser.".to_owned()]
        } else {
            vec!["You are signed out.".to_owned()]
        };
        session::with_cleared_cookie(message(
            branding,
            StatusCode::OK,
            "You have signed out",
            &paragraphs,
            "/console/sign-in",
        ))
    }

    pub(crate) fn table(&self) -> &Table {
        &self.table
    }

    pub(crate) fn coordination(&self) -> &coordination::Coordination {
        &self.coordination
    }

    /// The link secret, read on first use.
    pub(crate) async fn links(&self) -> Result<&records::links::LinkSecret, ConfigError> {
        self.links.get().await
    }

    pub(crate) fn pool(&self) -> &StaffPool {
        &self.pool
    }
}

/// The handler's clock (Unix seconds) as a time.
fn clock(now: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(now).unwrap_or_else(|_| OffsetDateTime::now_utc())
}

/// `https://example.org` from `https://example.org/any/path`.
fn origin_of(url: &str) -> String {
    web::http::origin_of(url)
}

pub(crate) fn message(
    branding: &Branding,
    status: StatusCode,
    title: &str,
    paragraphs: &[String],
    link_href: &str,
) -> Response<Body> {
    let link_text = if link_href == "/console/sign-in" {
        "Sign in"
    } else {
        "Back to the console"
    };
    web::pages::message(
        branding,
        status,
        title,
        paragraphs.to_vec(),
        (link_href, link_text),
    )
}

pub(crate) fn forbidden(branding: &Branding) -> Response<Body> {
    message(
        branding,
        StatusCode::FORBIDDEN,
        "You cannot do this",
        &["Only a coordinator can do this. Ask a coordinator if you need it done.".into()],
        "/console",
    )
}

pub(crate) fn unavailable(branding: &Branding, error: &dyn std::fmt::Display) -> Response<Body> {
    tracing::error!(%error, "console request failed");
    message(
        branding,
        StatusCode::SERVICE_UNAVAILABLE,
        "Sorry, there is a problem with the service",
        &["Try again in a few minutes.".into()],
        "",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_site_origin_drops_the_path() {
        assert_eq!(
            origin_of("https://reviews.example.org/"),
            "https://reviews.example.org"
        );
        assert_eq!(
            origin_of("http://127.0.0.1:3000/x/y"),
            "http://127.0.0.1:3000"
        );
    }

    #[test]
    fn coordinator_wins_and_no_group_is_no_role() {
        let groups = |g: &[&str]| g.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            Role::of(&groups(&["viewer", "coordinator"])),
            Some(Role::Coordinator)
        );
        assert_eq!(Role::of(&groups(&["viewer"])), Some(Role::Viewer));
        assert_eq!(Role::of(&groups(&["other"])), None);
    }
}
