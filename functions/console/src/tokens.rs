//! Verifying the staff pool's ID tokens: the RS256 signature against the pool's published keys
//! (its JWKS, fetched once per container and again only for a key id it has not seen, at most
//! once a minute), then the issuer, the token's use, the audience and the expiry, in that
//! order, each refusal with its own [`TokenError`]. The expiry is held against the `now` the
//! caller passes (the product's clock), not the machine's.

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tokio::sync::Mutex;

/// A refetch for an unknown key id waits this long after the last fetch (a flood of forged
/// key ids must not turn into a flood of requests to Cognito).
const REFETCH_AFTER: Duration = Duration::from_secs(60);

/// Where the pool's tokens come from and whom they are for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// `https://cognito-idp.<region>.amazonaws.com/<pool id>`: the `iss` of its tokens.
    pub issuer: String,
    /// The console's app client: the `aud` of its ID tokens.
    pub client_id: String,
    pub jwks_url: String,
}

impl PoolConfig {
    /// The pool's addresses. Its keys are at `<issuer>/.well-known/jwks.json`; with a Cognito
    /// endpoint override (moto, locally) at `<endpoint>/<pool id>/.well-known/jwks.json`.
    pub fn new(
        region: &str,
        pool_id: &str,
        client_id: &str,
        endpoint_override: Option<&str>,
    ) -> Self {
        let issuer = format!("https://cognito-idp.{region}.amazonaws.com/{pool_id}");
        let base = match endpoint_override {
            Some(endpoint) => format!("{}/{pool_id}", endpoint.trim_end_matches('/')),
            None => issuer.clone(),
        };
        Self {
            jwks_url: format!("{base}/.well-known/jwks.json"),
            issuer,
            client_id: client_id.to_owned(),
        }
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the token is not a signed JWT: {0}")]
    Malformed(String),
    #[error("the token is signed with {0}, not RS256")]
    WrongAlgorithm(String),
    #[error("the token names a key the pool does not publish")]
    UnknownKey,
    #[error("the token's signature does not verify")]
    BadSignature,
    #[error("the token was issued by {0}, not this pool")]
    WrongIssuer(String),
    #[error("the token is a {0:?} token, not an ID token")]
    NotAnIdToken(String),
    #[error("the token is for another app client")]
    WrongAudience,
    #[error("the token expired")]
    Expired,
    #[error("the pool's keys could not be fetched: {0}")]
    KeysUnavailable(String),
}

/// What the console uses from a verified ID token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IdClaims {
    pub sub: String,
    #[serde(default)]
    pub email: String,
    #[serde(default, rename = "cognito:groups")]
    pub groups: Vec<String>,
    /// Unix seconds.
    pub exp: i64,
}

#[derive(Deserialize)]
struct CheckedClaims {
    #[serde(default)]
    iss: String,
    #[serde(default)]
    token_use: String,
    #[serde(default)]
    aud: String,
    #[serde(flatten)]
    id: IdClaims,
}

struct Keys {
    set: JwkSet,
    fetched: Option<Instant>,
}

/// Verifies ID tokens of one pool; keeps its keys for the life of the container.
pub struct TokenVerifier {
    pool: PoolConfig,
    http: reqwest::Client,
    keys: Mutex<Keys>,
}

impl TokenVerifier {
    pub fn new(pool: PoolConfig) -> Self {
        Self {
            pool,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap_or_default(),
            keys: Mutex::new(Keys {
                set: JwkSet::default(),
                fetched: None,
            }),
        }
    }

    pub fn pool(&self) -> &PoolConfig {
        &self.pool
    }

    /// The claims of `token` if it is this pool's ID token for this client, unexpired at `now`
    /// (Unix seconds).
    pub async fn verify_id_token(&self, token: &str, now: i64) -> Result<IdClaims, TokenError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| TokenError::Malformed(e.to_string()))?;
        if header.alg != Algorithm::RS256 {
            return Err(TokenError::WrongAlgorithm(format!("{:?}", header.alg)));
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = self.key(&kid).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        // Each claim is checked below, in order, against the product's clock.
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<CheckedClaims>(token, &key, &validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => TokenError::BadSignature,
                _ => TokenError::Malformed(e.to_string()),
            })?
            .claims;
        if claims.iss != self.pool.issuer {
            return Err(TokenError::WrongIssuer(claims.iss));
        }
        if claims.token_use != "id" {
            return Err(TokenError::NotAnIdToken(claims.token_use));
        }
        if claims.aud != self.pool.client_id {
            return Err(TokenError::WrongAudience);
        }
        if now >= claims.id.exp {
            return Err(TokenError::Expired);
        }
        Ok(claims.id)
    }

    /// The pool's key `kid`: from the cache, or fetched (first use, or a key not seen yet and
    /// the last fetch long enough ago).
    async fn key(&self, kid: &str) -> Result<DecodingKey, TokenError> {
        let mut keys = self.keys.lock().await;
        if keys.set.find(kid).is_none() {
            let may_fetch = keys.fetched.is_none_or(|at| at.elapsed() >= REFETCH_AFTER);
            if may_fetch {
                keys.set = self.fetch().await?;
                keys.fetched = Some(Instant::now());
            }
        }
        let jwk = keys.set.find(kid).ok_or(TokenError::UnknownKey)?;
        DecodingKey::from_jwk(jwk).map_err(|e| TokenError::KeysUnavailable(e.to_string()))
    }

    async fn fetch(&self) -> Result<JwkSet, TokenError> {
        let unavailable = |e: reqwest::Error| TokenError::KeysUnavailable(e.to_string());
        self.http
            .get(&self.pool.jwks_url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(unavailable)?
            .json::<JwkSet>()
            .await
            .map_err(unavailable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_keys_are_at_the_issuer_in_aws_and_at_the_endpoint_locally() {
        let aws = PoolConfig::new("eu-west-2", "eu-west-2_abc", "client", None);
        assert_eq!(
            aws.issuer,
            "https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_abc"
        );
        assert_eq!(
            aws.jwks_url,
            "https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_abc/.well-known/jwks.json"
        );
        let local = PoolConfig::new(
            "eu-west-2",
            "eu-west-2_abc",
            "client",
            Some("http://127.0.0.1:5000/"),
        );
        assert_eq!(local.issuer, aws.issuer);
        assert_eq!(
            local.jwks_url,
            "http://127.0.0.1:5000/eu-west-2_abc/.well-known/jwks.json"
        );
    }

    #[tokio::test]
    async fn a_token_that_is_not_a_jwt_is_refused_before_any_fetch() {
        let verifier = TokenVerifier::new(PoolConfig::new(
            "eu-west-2",
            "pool",
            "client",
            Some("http://127.0.0.1:9"),
        ));
        assert!(matches!(
            verifier.verify_id_token("not-a-token", 0).await,
            Err(TokenError::Malformed(_))
        ));
    }
}
