//! The session cookie and the secrets a session holds: a random id (only its hash is stored)
//! in an `HttpOnly; Secure; SameSite=Strict` cookie scoped to `/console`, and a random
//! anti-forgery token every form posts back.

use lambda_http::http::HeaderValue;
use lambda_http::{Body, Request, Response};
use rand::RngExt;
use serde::Deserialize;

pub const COOKIE: &str = "console_session";
/// A session unused this long (by the product's clock) is over.
pub const INACTIVITY_LIMIT_SECONDS: i64 = 30 * 60;
/// A stored session is removed by TTL after this long without a request (the refresh token's
/// life): the inactivity limit is enforced on every request long before.
pub const SESSION_TTL_SECONDS: i64 = 12 * 60 * 60;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CsrfOnly {
    pub csrf: String,
}

/// 32 random bytes as hex: a session id or an anti-forgery token.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::rng().random();
    hex::encode(bytes)
}

/// Compares two tokens in time independent of where they differ.
pub fn same_token(stored: &str, sent: &str) -> bool {
    if stored.is_empty() || stored.len() != sent.len() {
        return false;
    }
    stored
        .bytes()
        .zip(sent.bytes())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b))
        == 0
}

/// The session id in the request's cookie, if it has one of the right shape.
pub fn cookie(request: &Request) -> Option<String> {
    request
        .headers()
        .get_all("cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn set_cookie(mut response: Response<Body>, value: &str) -> Response<Body> {
    if let Ok(header) = HeaderValue::from_str(value) {
        response.headers_mut().append("set-cookie", header);
    }
    response
}

/// `response`, setting the session cookie to `id`.
pub fn with_cookie(response: Response<Body>, id: &str) -> Response<Body> {
    set_cookie(
        response,
        &format!("{COOKIE}={id}; Path=/console; HttpOnly; Secure; SameSite=Strict"),
    )
}

/// `response`, removing the session cookie.
pub fn with_cleared_cookie(response: Response<Body>) -> Response<Body> {
    set_cookie(
        response,
        &format!("{COOKIE}=; Path=/console; HttpOnly; Secure; SameSite=Strict; Max-Age=0"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_only_when_equal_and_never_when_empty() {
        let token = random_token();
        assert_eq!(token.len(), 64);
        assert!(same_token(&token, &token.clone()));
        assert!(!same_token(&token, &random_token()));
        assert!(!same_token(&token, ""));
        assert!(!same_token("", ""));
    }

    #[test]
    fn the_session_cookie_is_found_among_others_and_must_look_like_an_id() {
        let id = random_token();
        let request = lambda_http::http::Request::builder()
            .header("cookie", format!("other=1; {COOKIE}={id}"))
            .body(Body::Empty)
            .unwrap();
        assert_eq!(cookie(&Request::from(request)), Some(id));
        let forged = lambda_http::http::Request::builder()
            .header("cookie", format!("{COOKIE}=../../x"))
            .body(Body::Empty)
            .unwrap();
        assert_eq!(cookie(&Request::from(forged)), None);
    }
}
