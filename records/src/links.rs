//! Private links in emails.
//!
//! A status link's token is derived, not stored: `HMAC-SHA256(secret, purpose || id || version)`,
//! 256 bits, base64url. The table keeps only the token's SHA-256 (to find the request from the
//! link), and the mail sender re-derives the token when it renders the email, so no raw token is
//! ever written anywhere. Without the secret a token cannot be guessed; rotating the secret
//! revokes every link at once, and renewing one request's link (its version goes up,
//! `coordination::status_link`) revokes that link alone.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Date, Duration};

use crate::aws::AwsClients;
use crate::{ConfigError, Env};

mod feedback;
mod reviewer_details;
pub use feedback::{FEEDBACK_LINK_DAYS, feedback_link};
pub use reviewer_details::{REVIEWER_DETAILS_LINK_DAYS, reviewer_details_link};

/// The secret that signs every link.
#[derive(Clone)]
pub struct LinkSecret(Vec<u8>);

/// The link secret, read from Secrets Manager the first time a link is made or checked rather
/// than at cold start (a function's first request often needs none: the request form, a status
/// page). Clones share the one read.
#[derive(Clone, Debug)]
pub struct LazyLinkSecret {
    source: Option<(aws_sdk_secretsmanager::Client, String)>,
    secret: std::sync::Arc<tokio::sync::OnceCell<LinkSecret>>,
}

impl LazyLinkSecret {
    /// Names the secret (`LINK_SECRET_ARN`); reads nothing yet.
    pub fn from_env(env: &Env, aws: &AwsClients) -> Result<Self, ConfigError> {
        Ok(Self {
            source: Some((aws.secrets.clone(), env.required("LINK_SECRET_ARN")?)),
            secret: Default::default(),
        })
    }

    /// A secret already at hand (tests, tools).
    pub fn ready(secret: LinkSecret) -> Self {
        Self {
            source: None,
            secret: std::sync::Arc::new(tokio::sync::OnceCell::new_with(Some(secret))),
        }
    }

    /// Reads the secret if no call has yet, and lets a failure wait for the next `get` (which
    /// tries again and reports it): a cold start's first request reads it alongside its other
    /// first reads instead of after them.
    pub async fn prefetch(&self) {
        let _ = self.get().await;
    }

    /// The secret, read on the first call; a failed read is tried again on the next.
    pub async fn get(&self) -> Result<&LinkSecret, ConfigError> {
        self.secret
            .get_or_try_init(|| async {
                let (client, arn) = self.source.as_ref().ok_or_else(|| ConfigError::Load {
                    what: "the link secret".into(),
                    reason: "no source".into(),
                })?;
                LinkSecret::read(client, arn).await
            })
            .await
    }
}

impl std::fmt::Debug for LinkSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSecret(redacted)")
    }
}

impl LinkSecret {
    /// Reads the secret named by `LINK_SECRET_ARN` from Secrets Manager now.
    pub async fn load(env: &Env, aws: &AwsClients) -> Result<Self, ConfigError> {
        Self::read(&aws.secrets, &env.required("LINK_SECRET_ARN")?).await
    }

    async fn read(client: &aws_sdk_secretsmanager::Client, arn: &str) -> Result<Self, ConfigError> {
        let secret = client
            .get_secret_value()
            .secret_id(arn)
            .send()
            .await
            .map_err(|e| ConfigError::Load {
                what: "the link secret".into(),
                reason: aws_sdk_secretsmanager::error::DisplayErrorContext(e).to_string(),
            })?;
        let value = secret.secret_string().unwrap_or_default();
        Self::from_bytes(value.as_bytes())
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ConfigError> {
        if bytes.len() < 32 {
            return Err(ConfigError::Invalid {
                name: "LINK_SECRET_ARN".into(),
                reason: "the secret must be at least 32 bytes".into(),
            });
        }
        Ok(Self(bytes.to_vec()))
    }

    fn mac(&self, purpose: &str, subject: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(subject.as_bytes());
        mac
    }

    /// The token of the private status page of request `request_id`, at its link's `version`
    /// (0 until the link is first renewed: the token every link had before versions).
    pub fn status_token(&self, request_id: &str, version: u32) -> String {
        let mac = match version {
            0 => self.mac("status", request_id),
            // A request id is a ULID: no '.' in it, so no version's subject is another's.
            version => self.mac("status", &format!("{request_id}.{version}")),
        };
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

/// What an email's links are signed with: the secret, and the status link version of the
/// request the email is about, read when the email is delivered (so an email queued before the
/// school's link was renewed carries the new link, never the revoked one).
#[derive(Debug, Clone, Copy)]
pub struct EmailLinks<'a> {
    pub secret: &'a LinkSecret,
    pub status_version: u32,
}

impl LinkSecret {
    /// This secret, signing an email's status link at `status_version`.
    pub fn for_email(&self, status_version: u32) -> EmailLinks<'_> {
        EmailLinks {
            secret: self,
            status_version,
        }
    }
}

impl std::ops::Deref for EmailLinks<'_> {
    type Target = LinkSecret;

    fn deref(&self) -> &LinkSecret {
        self.secret
    }
}

/// What a reviewer's link lets them do with one offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferAction {
    /// Open the offer page (which changes nothing) and answer it from there.
    Respond,
    /// After accepting: the reviewer's page for the review (preparation, date changes, report).
    Review,
}

impl OfferAction {
    fn as_str(self) -> &'static str {
        match self {
            OfferAction::Respond => "respond",
            OfferAction::Review => "review",
        }
    }
}

/// Why an offer link was refused. The page says only "this link does not work".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    Malformed,
    BadSignature,
    Expired,
}

impl LinkSecret {
    /// An offer link token: `<offer id>.<action>.<expiry epoch s>.<signature>`, signed with
    /// HMAC-SHA256. It works for its one offer and action, and only until it expires.
    pub fn offer_token(&self, offer_id: &str, action: OfferAction, expires_at: i64) -> String {
        let payload = format!("{offer_id}.{}.{expires_at}", action.as_str());
        let signature = URL_SAFE_NO_PAD.encode(self.mac("offer", &payload).finalize().into_bytes());
        format!("{payload}.{signature}")
    }

    /// The offer id a token was signed for, if the signature holds (compared in constant time),
    /// the action matches and it has not expired at `now`.
    pub fn verify_offer_token(
        &self,
        token: &str,
        action: OfferAction,
        now: i64,
    ) -> Result<String, LinkError> {
        let mut parts = token.split('.');
        let (Some(offer_id), Some(token_action), Some(expires), Some(signature), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(LinkError::Malformed);
        };
        let expires_at: i64 = expires.parse().map_err(|_| LinkError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| LinkError::Malformed)?;
        // The exact text signed: a re-formatted expiry ("+17...", "017...") is another token.
        let payload = format!("{offer_id}.{token_action}.{expires}");
        self.mac("offer", &payload)
            .verify_slice(&signature)
            .map_err(|_| LinkError::BadSignature)?;
        if token_action != action.as_str() {
            return Err(LinkError::BadSignature);
        }
        if now >= expires_at {
            return Err(LinkError::Expired);
        }
        Ok(offer_id.to_owned())
    }
}

impl LinkSecret {
    /// `payload` (which ends in an expiry) signed under `purpose`: `<payload>.<signature>`.
    fn sign_expiring(&self, purpose: &str, payload: String) -> String {
        let signature = URL_SAFE_NO_PAD.encode(self.mac(purpose, &payload).finalize().into_bytes());
        format!("{payload}.{signature}")
    }

    /// The first `fields` parts of `token` (`<fields...>.<expiry epoch s>.<signature>`), if it
    /// is signed under `purpose` (compared in constant time) and has not expired at `now`.
    fn verify_expiring<'t>(
        &self,
        purpose: &str,
        token: &'t str,
        fields: usize,
        now: i64,
    ) -> Result<Vec<&'t str>, LinkError> {
        let parts: Vec<&str> = token.split('.').collect();
        if parts.len() != fields + 2 {
            return Err(LinkError::Malformed);
        }
        let expires_at: i64 = parts[fields].parse().map_err(|_| LinkError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(parts[fields + 1])
            .map_err(|_| LinkError::Malformed)?;
        // The exact text signed: everything before the signature.
        let payload = &token[..token.len() - parts[fields + 1].len() - 1];
        self.mac(purpose, payload)
            .verify_slice(&signature)
            .map_err(|_| LinkError::BadSignature)?;
        if now >= expires_at {
            return Err(LinkError::Expired);
        }
        Ok(parts[..fields].to_vec())
    }
}

/// How long a served request form can be sent: a day, time enough to fill it in.
pub const SUBMISSION_TOKEN_LIFETIME: i64 = 24 * 60 * 60;

/// Why a request form's submission token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubmissionTokenError {
    /// Not a token this site signed: made up, altered or of another shape.
    Forged,
    /// Signed, but served more than [`SUBMISSION_TOKEN_LIFETIME`] ago (or in the future).
    Expired,
}

impl LinkSecret {
    /// A request form's submission token: `<nonce>.<issued epoch s>.<signature>`. The random
    /// nonce makes each served form one submission (the idempotency key); the signature lets
    /// the server check it served the form, and when.
    pub fn submission_token(&self, nonce: [u8; 16], issued_at: i64) -> String {
        let payload = format!("{}.{issued_at}", URL_SAFE_NO_PAD.encode(nonce));
        let signature =
            URL_SAFE_NO_PAD.encode(self.mac("submission", &payload).finalize().into_bytes());
        format!("{payload}.{signature}")
    }

    /// Whether `token` is a submission token this site signed, still within its lifetime at
    /// `now` (a few minutes of clock skew forgiven).
    pub fn verify_submission_token(
        &self,
        token: &str,
        now: i64,
    ) -> Result<(), SubmissionTokenError> {
        let forged = SubmissionTokenError::Forged;
        let (payload, signature) = token.rsplit_once('.').ok_or(forged)?;
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| forged)?;
        self.mac("submission", payload)
            .verify_slice(&signature)
            .map_err(|_| forged)?;
        let issued: i64 = payload
            .split_once('.')
            .and_then(|(_, issued)| issued.parse().ok())
            .ok_or(forged)?;
        if now - issued > SUBMISSION_TOKEN_LIFETIME || issued - now > 300 {
            return Err(SubmissionTokenError::Expired);
        }
        Ok(())
    }

    /// The key a rate-limit counter stores for a client address: an HMAC of the address under
    /// a key derived from the secret and `day`, so a stored key cannot be reversed to the
    /// address by hashing every address, and keys of different days cannot be linked.
    pub fn rate_limit_key(&self, source_ip: &str, day: Date) -> String {
        let day_key = self
            .mac("rate-limit", &day.to_string())
            .finalize()
            .into_bytes();
        let mut mac = Hmac::<Sha256>::new_from_slice(&day_key).expect("HMAC takes any key length");
        mac.update(source_ip.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// What the table stores to find a request from its link: the token's SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A token as it may appear in a URL: base64url, 43 characters for 256 bits.
pub fn looks_like_token(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What a reviewer's review link is signed for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReviewLink {
    pub offer_id: String,
    /// Epoch seconds.
    pub expires_at: i64,
}

/// The school's status page at `site`, or one of its pages (`page`: "" or "/report", ...), in
/// an email about request `request_id` (signed at its current version).
pub fn status_link(site: &str, links: &EmailLinks, request_id: &str, page: &str) -> String {
    let token = links.status_token(request_id, links.status_version);
    format!("{site}/status/{token}{page}")
}

/// The reviewer's page for a review they accepted.
pub fn review_link(site: &str, links: &LinkSecret, review: &ReviewLink) -> String {
    let token = links.offer_token(&review.offer_id, OfferAction::Review, review.expires_at);
    format!("{site}/reviews/{token}")
}

/// How long a reviewer's review link works: the visit, the report, and its factual check.
pub const REVIEW_LINK_DAYS_AFTER_VISIT: i64 = 180;

/// When a review link for a visit on `visit_date` expires, epoch seconds.
pub fn review_link_expiry(visit_date: Date) -> i64 {
    (visit_date + Duration::days(REVIEW_LINK_DAYS_AFTER_VISIT))
        .midnight()
        .assume_utc()
        .unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> LinkSecret {
        LinkSecret::from_bytes(&[7u8; 32]).unwrap()
    }

    #[test]
    fn a_submission_token_holds_for_a_day_from_its_issue_and_only_as_signed() {
        let issued = 1_800_000_000;
        let token = secret().submission_token([3; 16], issued);
        let verify = |token: &str, now| secret().verify_submission_token(token, now);
        assert_eq!(verify(&token, issued), Ok(()));
        assert_eq!(verify(&token, issued + SUBMISSION_TOKEN_LIFETIME), Ok(()));
        let expired = Err(SubmissionTokenError::Expired);
        assert_eq!(
            verify(&token, issued + SUBMISSION_TOKEN_LIFETIME + 1),
            expired
        );
        assert_eq!(verify(&token, issued - 301), expired);
        let forged = Err(SubmissionTokenError::Forged);
        // Another issue time under the same signature, another nonce, another key, a shape.
        let later = token.replace(&format!(".{issued}."), &format!(".{}.", issued + 3600));
        assert_eq!(verify(&later, issued + 3600), forged);
        let other_nonce = format!("B{}", &token[1..]);
        assert_eq!(verify(&other_nonce, issued), forged);
        let other_key = LinkSecret::from_bytes(&[8u8; 32]).unwrap();
        assert_eq!(other_key.verify_submission_token(&token, issued), forged);
        for shape in ["", "AAAAAAAAAAAAAAAAAAAAAA", "a.b.c", "a.1.", "..."] {
            assert_eq!(verify(shape, issued), forged, "{shape:?}");
        }
        // Each nonce its own token.
        assert_ne!(secret().submission_token([4; 16], issued), token);
    }

    #[test]
    fn a_rate_limit_key_is_keyed_by_the_secret_and_the_day_not_a_plain_hash() {
        let day = time::macros::date!(2026 - 03 - 02);
        let key = secret().rate_limit_key("192.0.2.1", day);
        assert_eq!(
            key,
            secret().rate_limit_key("192.0.2.1", day),
            "stable within a day"
        );
        assert_ne!(key, secret().rate_limit_key("192.0.2.2", day));
        assert_ne!(
            key,
            secret().rate_limit_key("192.0.2.1", day.next_day().unwrap())
        );
        let other = LinkSecret::from_bytes(&[8u8; 32]).unwrap();
        assert_ne!(key, other.rate_limit_key("192.0.2.1", day));
        for plain in ["192.0.2.1", "ip:192.0.2.1"] {
            assert_ne!(key, hex::encode(Sha256::digest(plain.as_bytes())));
        }
    }

    #[test]
    fn an_offer_token_with_its_expiry_written_another_way_is_refused() {
        let token = secret().offer_token("01OFFER", OfferAction::Respond, 1_800_000_000);
        assert!(
            secret()
                .verify_offer_token(&token, OfferAction::Respond, 1_700_000_000)
                .is_ok()
        );
        for other in ["+1800000000", "01800000000"] {
            let rewritten = token.replace("1800000000", other);
            assert_eq!(
                secret().verify_offer_token(&rewritten, OfferAction::Respond, 1_700_000_000),
                Err(LinkError::BadSignature),
                "{rewritten}"
            );
        }
    }

    #[tokio::test]
    async fn a_lazy_secret_is_read_on_first_use_and_a_failed_read_is_not_kept() {
        let ready = LazyLinkSecret::ready(secret());
        assert_eq!(
            ready.get().await.unwrap().status_token("x", 0),
            secret().status_token("x", 0)
        );

        // Nothing listens on port 9: the read fails, and the next call reads again.
        let config = aws_sdk_secretsmanager::Config::builder()
            .behavior_version_latest()
            .region(aws_sdk_secretsmanager::config::Region::new("eu-west-2"))
            .endpoint_url("http://127.0.0.1:9")
            .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
                "id", "secret", None, None, "test",
            ))
            .retry_config(aws_sdk_secretsmanager::config::retry::RetryConfig::disabled())
            .build();
        let unreachable = LazyLinkSecret {
            source: Some((
                aws_sdk_secretsmanager::Client::from_conf(config),
                "arn".into(),
            )),
            secret: Default::default(),
        };
        for _ in 0..2 {
            assert!(matches!(
                unreachable.get().await,
                Err(ConfigError::Load { .. })
            ));
            assert!(!unreachable.secret.initialized());
        }
    }

    #[test]
    fn status_tokens_are_256_bit_url_safe_and_depend_on_the_request_and_version() {
        let a = secret().status_token("01J00000000000000000000000", 0);
        let b = secret().status_token("01J00000000000000000000001", 0);
        assert_eq!(a.len(), 43);
        assert!(looks_like_token(&a));
        assert_ne!(a, b);
        assert_eq!(a, secret().status_token("01J00000000000000000000000", 0));
        // Version 0 is the token links had before versions: links already sent keep working.
        let unversioned = URL_SAFE_NO_PAD.encode(
            secret()
                .mac("status", "01J00000000000000000000000")
                .finalize()
                .into_bytes(),
        );
        assert_eq!(a, unversioned);
        let renewed = secret().status_token("01J00000000000000000000000", 1);
        assert!(looks_like_token(&renewed));
        assert_ne!(renewed, a);
        assert_ne!(
            renewed,
            secret().status_token("01J00000000000000000000000", 2)
        );
    }

    #[test]
    fn an_email_signs_its_status_link_at_the_version_it_is_given() {
        let secret = secret();
        let at = |status_version| {
            let links = EmailLinks {
                secret: &secret,
                status_version,
            };
            status_link("https://x.test", &links, "01JREQ", "/report")
        };
        assert_eq!(
            at(0),
            format!(
                "https://x.test/status/{}/report",
                secret.status_token("01JREQ", 0)
            )
        );
        assert_eq!(
            at(3),
            format!(
                "https://x.test/status/{}/report",
                secret.status_token("01JREQ", 3)
            )
        );
    }

    #[test]
    fn a_different_secret_gives_different_tokens() {
        let other = LinkSecret::from_bytes(&[8u8; 32]).unwrap();
        assert_ne!(secret().status_token("x", 0), other.status_token("x", 0));
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(LinkSecret::from_bytes(b"too short").is_err());
    }

    #[test]
    fn offer_tokens_verify_only_untampered_unexpired_and_for_their_action() {
        let secret = secret();
        let token = secret.offer_token("01OFFER", OfferAction::Respond, 2_000);
        assert_eq!(
            secret.verify_offer_token(&token, OfferAction::Respond, 1_999),
            Ok("01OFFER".into())
        );
        assert_eq!(
            secret.verify_offer_token(&token, OfferAction::Respond, 2_000),
            Err(LinkError::Expired)
        );
        let other_offer = token.replacen("01OFFER", "01OTHER", 1);
        assert_eq!(
            secret.verify_offer_token(&other_offer, OfferAction::Respond, 0),
            Err(LinkError::BadSignature)
        );
        let later = token.replacen(".2000.", ".9000.", 1);
        assert_eq!(
            secret.verify_offer_token(&later, OfferAction::Respond, 0),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            secret.verify_offer_token(&token, OfferAction::Review, 0),
            Err(LinkError::BadSignature),
            "an answer link is not a review link"
        );
        let other_key = LinkSecret::from_bytes(&[9u8; 32]).unwrap();
        assert_eq!(
            other_key.verify_offer_token(&token, OfferAction::Respond, 0),
            Err(LinkError::BadSignature)
        );
        for junk in [
            "",
            "a.b.c",
            "a.b.c.d.e",
            "01OFFER.respond.x.sig",
            "01OFFER.respond.5.!!!",
        ] {
            assert_eq!(
                secret.verify_offer_token(junk, OfferAction::Respond, 0),
                Err(LinkError::Malformed),
                "{junk}"
            );
        }
    }

    #[test]
    fn token_hash_is_hex_sha256() {
        assert_eq!(token_hash("abc").len(), 64);
        assert_ne!(token_hash("abc"), token_hash("abd"));
    }
}
