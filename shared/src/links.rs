//! Private links in emails.
//!
//! A status link's token is derived, not stored: `HMAC-SHA256(secret, purpose || id)`, 256 bits,
//! base64url. The table keeps only the token's SHA-256 (to find the request from the link), and
//! the mail sender re-derives the token when it renders the email, so no raw token is ever
//! written anywhere. Without the secret a token cannot be guessed; rotating the secret revokes
//! every link at once.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::{ConfigError, Env, aws::AwsClients};

/// The secret that signs every link. Read once per cold start.
#[derive(Clone)]
pub struct LinkSecret(Vec<u8>);

impl std::fmt::Debug for LinkSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSecret(redacted)")
    }
}

impl LinkSecret {
    /// Reads the secret named by `LINK_SECRET_ARN` from Secrets Manager.
    pub async fn load(env: &Env, aws: &AwsClients) -> Result<Self, ConfigError> {
        let arn = env.required("LINK_SECRET_ARN")?;
        let secret = aws
            .secrets
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

    /// The token of the private status page of request `request_id`.
    pub fn status_token(&self, request_id: &str) -> String {
        URL_SAFE_NO_PAD.encode(self.mac("status", request_id).finalize().into_bytes())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> LinkSecret {
        LinkSecret::from_bytes(&[7u8; 32]).unwrap()
    }

    #[test]
    fn status_tokens_are_256_bit_url_safe_and_depend_on_the_request() {
        let a = secret().status_token("01J00000000000000000000000");
        let b = secret().status_token("01J00000000000000000000001");
        assert_eq!(a.len(), 43);
        assert!(looks_like_token(&a));
        assert_ne!(a, b);
        assert_eq!(a, secret().status_token("01J00000000000000000000000"));
    }

    #[test]
    fn a_different_secret_gives_different_tokens() {
        let other = LinkSecret::from_bytes(&[8u8; 32]).unwrap();
        assert_ne!(secret().status_token("x"), other.status_token("x"));
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(LinkSecret::from_bytes(b"too short").is_err());
    }

    #[test]
    fn token_hash_is_hex_sha256() {
        assert_eq!(token_hash("abc").len(), 64);
        assert_ne!(token_hash("abc"), token_hash("abd"));
    }
}
