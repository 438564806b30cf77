//! A browser form that uploads one file straight to S3 (an S3 POST policy signed with SigV4).
//!
//! The AWS SDK for Rust presigns GET and PUT requests but not POST forms, and a plain HTML
//! form (which works without JavaScript) can only POST. So the policy document is built here
//! and signed with the SDK's own signing-key derivation (`aws-sigv4`), from the function's own
//! credentials, session token included. S3 refuses any upload that breaks a condition: another
//! key, another content type, a size outside the range, a different redirect, or too late.
//!
//! See <https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html>.

use std::time::SystemTime;

use aws_sdk_s3::config::Credentials;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::format_description;

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// What one upload may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostPolicy {
    pub bucket: String,
    /// The exact key the object is stored under (chosen by the server).
    pub key: String,
    /// The exact `Content-Type` the form sends.
    pub content_type: String,
    /// `content-length-range`: 1 byte up to this.
    pub max_bytes: u64,
    /// Where S3 sends the browser after a successful upload (303, with `bucket`, `key` and
    /// `etag` added to the query).
    pub success_redirect: String,
    pub expires_at: OffsetDateTime,
}

/// A signed form: POST `fields` (in this order) and then the file, as `multipart/form-data`,
/// to `url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedPost {
    pub url: String,
    pub fields: Vec<(String, String)>,
}

impl PresignedPost {
    /// The origin the form posts to (for the page's `form-action` CSP).
    pub fn origin(&self) -> &str {
        origin_of(&self.url)
    }
}

/// `scheme://host[:port]` of an absolute URL.
pub fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    &url[..end]
}

fn amz_date(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year][month][day]T[hour][minute][second]Z"
        ))
        .expect("a UTC time formats")
}

fn expiration(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].000Z"
        ))
        .expect("a UTC time formats")
}

/// `<access key>/<yyyymmdd>/<region>/s3/aws4_request`.
pub fn credential_scope(access_key_id: &str, region: &str, now: OffsetDateTime) -> String {
    format!(
        "{access_key_id}/{}/{region}/s3/aws4_request",
        &amz_date(now)[..8]
    )
}

/// The policy document S3 checks the upload against.
pub fn policy_document(
    policy: &PostPolicy,
    credentials: &Credentials,
    region: &str,
    now: OffsetDateTime,
) -> Value {
    let mut conditions = vec![
        json!({ "bucket": policy.bucket }),
        json!(["eq", "$key", policy.key]),
        json!(["eq", "$Content-Type", policy.content_type]),
        json!(["content-length-range", 1, policy.max_bytes]),
        json!({ "success_action_redirect": policy.success_redirect }),
        json!({ "x-amz-algorithm": ALGORITHM }),
        json!({ "x-amz-credential": credential_scope(credentials.access_key_id(), region, now) }),
        json!({ "x-amz-date": amz_date(now) }),
    ];
    if let Some(token) = credentials.session_token() {
        conditions.push(json!({ "x-amz-security-token": token }));
    }
    json!({ "expiration": expiration(policy.expires_at), "conditions": conditions })
}

/// Signs `policy` for a form posting to `url` (the bucket's endpoint).
pub fn sign(
    policy: &PostPolicy,
    credentials: &Credentials,
    region: &str,
    now: OffsetDateTime,
    url: String,
) -> PresignedPost {
    let document = policy_document(policy, credentials, region, now);
    let encoded = STANDARD.encode(document.to_string());
    let signing_key = aws_sigv4::sign::v4::generate_signing_key(
        credentials.secret_access_key(),
        SystemTime::from(now),
        region,
        "s3",
    );
    let signature = aws_sigv4::sign::v4::calculate_signature(signing_key, encoded.as_bytes());
    let mut fields = vec![
        ("key".to_owned(), policy.key.clone()),
        ("Content-Type".to_owned(), policy.content_type.clone()),
        (
            "success_action_redirect".to_owned(),
            policy.success_redirect.clone(),
        ),
        ("x-amz-algorithm".to_owned(), ALGORITHM.to_owned()),
        (
            "x-amz-credential".to_owned(),
            credential_scope(credentials.access_key_id(), region, now),
        ),
        ("x-amz-date".to_owned(), amz_date(now)),
    ];
    if let Some(token) = credentials.session_token() {
        fields.push(("x-amz-security-token".to_owned(), token.to_owned()));
    }
    fields.push(("policy".to_owned(), encoded));
    fields.push(("x-amz-signature".to_owned(), signature));
    PresignedPost { url, fields }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn policy() -> PostPolicy {
        PostPolicy {
            bucket: "evidence-bucket".into(),
            key: "requests/01REQ/evidence/01EV".into(),
            content_type: "application/pdf".into(),
            max_bytes: 20 * 1024 * 1024,
            success_redirect: "https://site.example/status/t/evidence?uploaded=01EV".into(),
            expires_at: datetime!(2027-03-01 09:15:00 UTC),
        }
    }

    /// The test policy, signed at 09:00 on its day in eu-west-2 for the form to post to `url`.
    fn signed(credentials: &Credentials, url: &str) -> PresignedPost {
        sign(
            &policy(),
            credentials,
            "eu-west-2",
            datetime!(2027-03-01 09:00:00 UTC),
            url.into(),
        )
    }

    fn decoded(post: &PresignedPost) -> Value {
        let policy = &post.fields.iter().find(|(k, _)| k == "policy").unwrap().1;
        serde_json::from_slice(&STANDARD.decode(policy).unwrap()).unwrap()
    }

    fn field<'a>(post: &'a PresignedPost, name: &str) -> Option<&'a str> {
        post.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn the_policy_pins_key_type_size_redirect_expiry_and_credential_scope() {
        let credentials = Credentials::new("AKIDEXAMPLE", "secret", None, None, "test");
        let post = signed(
            &credentials,
            "https://evidence-bucket.s3.eu-west-2.amazonaws.com/",
        );
        assert_eq!(
            decoded(&post),
            json!({
                "expiration": "2027-03-01T09:15:00.000Z",
                "conditions": [
                    { "bucket": "evidence-bucket" },
                    ["eq", "$key", "requests/01REQ/evidence/01EV"],
                    ["eq", "$Content-Type", "application/pdf"],
                    ["content-length-range", 1, 20_971_520],
                    { "success_action_redirect": "https://site.example/status/t/evidence?uploaded=01EV" },
                    { "x-amz-algorithm": "AWS4-HMAC-SHA256" },
                    { "x-amz-credential": "AKIDEXAMPLE/20270301/eu-west-2/s3/aws4_request" },
                    { "x-amz-date": "20270301T090000Z" },
                ]
            })
        );
        // The form sends exactly what the policy allows, the signature and the policy last.
        let names: Vec<&str> = post.fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "key",
                "Content-Type",
                "success_action_redirect",
                "x-amz-algorithm",
                "x-amz-credential",
                "x-amz-date",
                "policy",
                "x-amz-signature"
            ]
        );
        assert_eq!(field(&post, "key"), Some("requests/01REQ/evidence/01EV"));
        assert_eq!(field(&post, "Content-Type"), Some("application/pdf"));
        assert_eq!(
            post.origin(),
            "https://evidence-bucket.s3.eu-west-2.amazonaws.com"
        );
    }

    #[test]
    fn temporary_credentials_add_their_session_token_to_policy_and_form() {
        let credentials = Credentials::new("ASIA", "secret", Some("TOKEN".into()), None, "test");
        let post = signed(&credentials, "http://127.0.0.1:5000/evidence-bucket/");
        let conditions = decoded(&post)["conditions"].clone();
        assert!(
            conditions
                .as_array()
                .unwrap()
                .contains(&json!({ "x-amz-security-token": "TOKEN" }))
        );
        assert_eq!(field(&post, "x-amz-security-token"), Some("TOKEN"));
        assert_eq!(post.origin(), "http://127.0.0.1:5000");
    }

    /// The signature is HMAC-SHA256 of the base64 policy with the SigV4 signing key; this
    /// recomputes it by hand from the documented derivation.
    #[test]
    fn the_signature_is_sigv4_over_the_encoded_policy() {
        use hmac::{Hmac, KeyInit, Mac};
        use sha2::Sha256;
        fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
            let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        let credentials = Credentials::new("AKID", "wJalrXUtnFEMI", None, None, "test");
        let post = signed(&credentials, "https://b/");
        let key = [b"20270301".as_slice(), b"eu-west-2", b"s3", b"aws4_request"]
            .iter()
            .fold(b"AWS4wJalrXUtnFEMI".to_vec(), |key, part| hmac(&key, part));
        let expected = hex::encode(hmac(&key, field(&post, "policy").unwrap().as_bytes()));
        assert_eq!(field(&post, "x-amz-signature"), Some(expected.as_str()));
    }
}
