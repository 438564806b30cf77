//! The programme console as a browser sees it: staff in moto's Cognito pool, the first sign-in
//! through every page (temporary password, new password, authenticator), and a signed-in
//! browser's GETs and POSTs (its session cookie, the Origin of the site).

use hmac::{Hmac, KeyInit, Mac};

use super::{TestStack, location, unique_address};

pub(crate) const PASSWORD: &str = "A-much-better-passw0rd";

/// RFC 6238: the 6-digit TOTP code of base32 `secret` at Unix time `at` (30-second steps).
pub(crate) fn totp(secret: &str, at: i64) -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut value, mut key) = (0u32, 0u64, Vec::new());
    for c in secret.trim_end_matches('=').to_ascii_uppercase().bytes() {
        let index = alphabet.iter().position(|&a| a == c).expect("base32") as u64;
        value = (value << 5) | index;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            key.push((value >> bits) as u8);
            value &= (1 << bits) - 1;
        }
    }
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&key).unwrap();
    mac.update(&((at / 30) as u64).to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let number = u32::from_be_bytes(digest[offset..offset + 4].try_into().unwrap()) & 0x7fff_ffff;
    format!("{:06}", number % 1_000_000)
}

/// The code of `secret` now, away from the end of its 30-second step (moto checks the code
/// against its own clock, with no window either side).
pub(crate) async fn code(secret: &str) -> String {
    if now() % 30 >= 27 {
        tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    }
    totp(secret, now())
}

/// moto gives every account this one authenticator secret.
pub(crate) const MOTO_SECRET: &str = "asdfasdfasdf";

pub(crate) fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

pub(crate) fn cognito(app: &TestStack) -> aws_sdk_cognitoidentityprovider::Client {
    aws_sdk_cognitoidentityprovider::Client::new(&app.stack.aws.sdk_config)
}

pub(crate) fn pool_id(app: &TestStack) -> String {
    app.stack.values.refs["StaffUserPool"].clone()
}

pub(crate) fn client_id(app: &TestStack) -> String {
    app.stack.values.refs["StaffUserPoolClient"].clone()
}

pub(crate) async fn add_staff(app: &TestStack, name: &str, group: &str) -> String {
    let email = unique_address(name);
    local_runner::staff_pool::add_staff(
        &app.stack.aws.sdk_config,
        &pool_id(app),
        &email,
        "Temporary-passw0rd",
        group,
    )
    .await
    .unwrap();
    email
}

/// The session cookie a response sets, if any.
fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("console_session="))
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
        .filter(|v| !v.is_empty())
}

pub(crate) fn between<'a>(html: &'a str, before: &str, after: &str) -> &'a str {
    let start = html
        .find(before)
        .unwrap_or_else(|| panic!("{before} in {html}"))
        + before.len();
    let end = html[start..].find(after).unwrap() + start;
    &html[start..end]
}

pub(crate) fn csrf_in(html: &str) -> String {
    between(html, "name=\"csrf\" value=\"", "\"").to_owned()
}

/// A browser's view of the console: its cookie, and the forms' token.
pub(crate) struct ConsoleBrowser<'a> {
    pub(crate) app: &'a TestStack,
    pub(crate) cookie: String,
}

impl<'a> ConsoleBrowser<'a> {
    /// Opens the sign-in page: a new session and its anti-forgery token.
    pub(crate) async fn open(app: &'a TestStack) -> (Self, String) {
        let response = app
            .http
            .get(app.url("/console/sign-in"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let cookie = session_cookie(&response).expect("the sign-in page starts a session");
        let set_cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_owned();
        for attribute in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/console"] {
            assert!(set_cookie.contains(attribute), "{set_cookie}");
        }
        let html = response.text().await.unwrap();
        (Self { app, cookie }, csrf_in(&html))
    }

    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        self.app
            .http
            .get(self.app.url(path))
            .header("cookie", format!("console_session={}", self.cookie))
            .send()
            .await
            .unwrap()
    }

    pub(crate) async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let response = self
            .app
            .http
            .post(self.app.url(path))
            .header("cookie", format!("console_session={}", self.cookie))
            .header("origin", self.app.stack.url.clone())
            .form(form)
            .send()
            .await
            .unwrap();
        if let Some(cookie) = session_cookie(&response) {
            self.cookie = cookie;
        }
        response
    }

    /// The anti-forgery token on the page at `path`.
    pub(crate) async fn csrf(&self, path: &str) -> String {
        csrf_in(&self.get(path).await.text().await.unwrap())
    }
}

/// Signs `email` in for the first time, through every page: the temporary password, a new
/// password, the authenticator's setup. Returns the signed-in browser.
pub(crate) async fn first_sign_in<'a>(app: &'a TestStack, email: &str) -> ConsoleBrowser<'a> {
    let (mut browser, csrf) = ConsoleBrowser::open(app).await;
    let response = browser
        .post(
            "/console/sign-in",
            &[
                ("csrf", &csrf),
                ("email", email),
                ("password", "Temporary-passw0rd"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/console/new-password");
    let response = browser
        .post(
            "/console/new-password",
            &[
                ("csrf", &csrf),
                ("password", PASSWORD),
                ("confirm_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(location(&response), "/console/authenticator");
    let page = browser
        .get("/console/authenticator")
        .await
        .text()
        .await
        .unwrap();
    let secret = between(&page, "<code id=\"totp-secret\">", "</code>").to_owned();
    assert!(page.contains("otpauth://totp/"), "{page}");
    let response = browser
        .post(
            "/console/authenticator",
            &[("csrf", &csrf), ("code", &code(&secret).await)],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/console");
    browser
}

/// The console's staff.
impl TestStack {
    /// A new staff member in `group` (`coordinator` or `viewer`), signed in for the first time:
    /// their browser.
    pub async fn console_user(&self, group: &str) -> ConsoleBrowser<'_> {
        let email = add_staff(self, group, group).await;
        first_sign_in(self, &email).await
    }
}
