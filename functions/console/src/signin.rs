//! Signing in, step by step: email and password; a new password on the first sign-in; setting
//! up an authenticator app (TOTP) once; its code on every sign-in. Cognito's challenge session
//! between the steps stays in the stored session, never in the page. A completed sign-in gets a
//! new session id (the one used before signing in is deleted).

use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use records::branding::Branding;
use records::staff_sessions::{self, StaffSession, Stage, Written};
use serde::Deserialize;
use web::pages::console::{ConsoleFormPage, Enrolment, FormField};

use crate::cognito::{CognitoError, Step, Tokens};
use crate::session::{self, SESSION_TTL_SECONDS};
use crate::{Console, MAX_FORM_BYTES, unavailable};

const SIGN_IN: &str = "/console/sign-in";
const NEW_PASSWORD: &str = "/console/new-password";
const AUTHENTICATOR: &str = "/console/authenticator";
const CODE: &str = "/console/code";

/// Cognito's challenge session lasts 5 minutes (the app client's AuthSessionValidity); a
/// session waiting on a step is kept no longer than that after its last request.
const CHALLENGE_TTL_SECONDS: i64 = 5 * 60;
/// A sign-in form left open is kept this long.
const ANONYMOUS_TTL_SECONDS: i64 = 60 * 60;

pub fn is_step(path: &str) -> bool {
    [SIGN_IN, NEW_PASSWORD, AUTHENTICATOR, CODE].contains(&path)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct StepForm {
    email: String,
    password: String,
    confirm_password: String,
    code: String,
}

/// The page of the step a challenge leads to.
fn page_of(challenge: &str) -> &'static str {
    match challenge {
        "NEW_PASSWORD_REQUIRED" => NEW_PASSWORD,
        "MFA_SETUP" => AUTHENTICATOR,
        "SOFTWARE_TOKEN_MFA" => CODE,
        _ => SIGN_IN,
    }
}

pub async fn answer(
    console: &Console,
    branding: &Branding,
    request: &Request,
    step: &str,
    now: i64,
) -> Response<Body> {
    let id = session::cookie(request);
    let stored = match &id {
        Some(id) => match staff_sessions::get(console.table(), id).await {
            Ok(stored) => stored,
            Err(e) => return unavailable(branding, &e),
        },
        None => None,
    };
    let (id, stored) = match (id, stored) {
        (Some(id), Some(stored)) => (id, stored),
        // No session yet: start an anonymous one for the sign-in form's anti-forgery token.
        _ => {
            if step != SIGN_IN || request.method() != Method::GET {
                return web::http::see_other(SIGN_IN);
            }
            let id = session::random_token();
            let fresh = StaffSession::anonymous(session::random_token(), now);
            return match staff_sessions::put(
                console.table(),
                &id,
                &fresh,
                now + ANONYMOUS_TTL_SECONDS,
            )
            .await
            {
                Ok(_) => session::with_cookie(
                    sign_in_page(branding, &fresh.csrf, "", &[], StatusCode::OK),
                    &id,
                ),
                Err(e) => unavailable(branding, &e),
            };
        }
    };
    if stored.stage == Stage::SignedIn {
        return web::http::see_other("/console");
    }
    let waiting_on = if stored.stage == Stage::Challenge {
        page_of(&stored.challenge)
    } else {
        SIGN_IN
    };
    if stored.stage == Stage::Challenge && now - stored.last_seen > CHALLENGE_TTL_SECONDS {
        return restart(console, branding, &id, stored, now).await;
    }
    if step != SIGN_IN && step != waiting_on {
        return web::http::see_other(waiting_on);
    }
    if request.method() == Method::GET {
        return step_page(branding, step, &stored, &StepForm::default(), &[]);
    }
    let form: StepForm = match web::http::read_form(request, MAX_FORM_BYTES) {
        Ok(form) => form,
        Err(_) => return step_page(branding, step, &stored, &StepForm::default(), &[]),
    };
    let errors = check(step, &form);
    if !errors.is_empty() {
        return step_page(branding, step, &stored, &form, &errors);
    }
    let pool = console.pool();
    let outcome = match step {
        SIGN_IN => pool.sign_in(form.email.trim(), &form.password).await,
        NEW_PASSWORD => {
            pool.new_password(
                &stored.cognito_username,
                &stored.cognito_session,
                &form.password,
            )
            .await
        }
        AUTHENTICATOR => {
            pool.finish_enrolment(
                &stored.cognito_username,
                &stored.cognito_session,
                form.code.trim(),
            )
            .await
        }
        _ => {
            pool.authenticator_code(
                &stored.cognito_username,
                &stored.cognito_session,
                form.code.trim(),
            )
            .await
        }
    };
    let username = if step == SIGN_IN {
        form.email.trim().to_owned()
    } else {
        stored.username.clone()
    };
    match outcome {
        Ok(Step::SignedIn(tokens)) => {
            finish(console, branding, &id, &stored, username, tokens, now).await
        }
        Ok(Step::Challenge {
            name,
            session,
            username: in_pool,
        }) => {
            let in_pool = in_pool.unwrap_or_else(|| {
                if step == SIGN_IN {
                    username.clone()
                } else {
                    stored.cognito_username.clone()
                }
            });
            challenge(
                console,
                branding,
                &id,
                stored,
                (username, in_pool),
                name,
                session,
                now,
            )
            .await
        }
        Err(CognitoError::SessionExpired) => restart(console, branding, &id, stored, now).await,
        Err(CognitoError::Unavailable(e)) => unavailable(branding, &e),
        Err(refused) => {
            let (field, text) = match (&refused, step) {
                (CognitoError::WrongCredentials, _) => (
                    "password",
                    "The email address or password is wrong. Check both and try again.".to_owned(),
                ),
                (CognitoError::PasswordRejected(why), _) => (
                    "password",
                    format!("Choose a different password: {}", why.trim_end_matches('.')),
                ),
                (CognitoError::TooManyAttempts, SIGN_IN) => (
                    "password",
                    "Too many attempts. Wait a few minutes, then try again.".to_owned(),
                ),
                (CognitoError::TooManyAttempts, _) => (
                    "code",
                    "Too many attempts. Wait a few minutes, then sign in again.".to_owned(),
                ),
                _ => (
                    "code",
                    "The code is wrong or has expired. Enter the code your app shows now."
                        .to_owned(),
                ),
            };
            step_page(branding, step, &stored, &form, &[(field, text)])
        }
    }
}

/// Per-field problems with what was typed, before anything is sent to Cognito.
fn check(step: &str, form: &StepForm) -> Vec<(&'static str, String)> {
    let mut errors = Vec::new();
    match step {
        SIGN_IN => {
            let email = form.email.trim();
            if email.is_empty() {
                errors.push(("email", "Enter your email address".to_owned()));
            } else if !email.contains('@') || email.len() > 254 {
                errors.push((
                    "email",
                    "Enter an email address in the right format, like name@example.org".to_owned(),
                ));
            }
            if form.password.is_empty() {
                errors.push(("password", "Enter your password".to_owned()));
            }
        }
        NEW_PASSWORD => {
            if form.password.chars().count() < 14 {
                errors.push((
                    "password",
                    "Your new password must be at least 14 characters long".to_owned(),
                ));
            }
            if form.confirm_password != form.password {
                errors.push((
                    "confirm_password",
                    "The two passwords are not the same: type it again".to_owned(),
                ));
            }
        }
        _ => {
            let code = form.code.trim();
            if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
                errors.push((
                    "code",
                    "Enter the 6-digit code your authenticator app shows".to_owned(),
                ));
            }
        }
    }
    errors
}

/// Cognito asks for one more step: remember its session and show that step's page.
#[allow(clippy::too_many_arguments)]
async fn challenge(
    console: &Console,
    branding: &Branding,
    id: &str,
    mut stored: StaffSession,
    (username, cognito_username): (String, String),
    name: String,
    mut cognito_session: String,
    now: i64,
) -> Response<Body> {
    stored.totp_secret.clear();
    if name == "MFA_SETUP" {
        match console
            .pool()
            .associate_authenticator(&cognito_session)
            .await
        {
            Ok((secret, session)) => {
                stored.totp_secret = secret;
                cognito_session = session;
            }
            Err(CognitoError::SessionExpired) => {
                return restart(console, branding, id, stored, now).await;
            }
            Err(e) => return unavailable(branding, &e),
        }
    }
    if page_of(&name) == SIGN_IN {
        return unavailable(
            branding,
            &format!("Cognito asked for an unexpected step {name}"),
        );
    }
    stored.stage = Stage::Challenge;
    stored.username = username;
    stored.cognito_username = cognito_username;
    stored.challenge = name;
    stored.cognito_session = cognito_session;
    stored.last_seen = now;
    stored.version += 1;
    let next = page_of(&stored.challenge);
    save_then(
        console,
        branding,
        id,
        &stored,
        now + CHALLENGE_TTL_SECONDS,
        next,
    )
    .await
}

/// Signed in: the verified ID token names the user; a new session id replaces the old one.
async fn finish(
    console: &Console,
    branding: &Branding,
    old_id: &str,
    stored: &StaffSession,
    username: String,
    tokens: Tokens,
    now: i64,
) -> Response<Body> {
    let claims = match console
        .verifier()
        .verify_id_token(&tokens.id_token, now)
        .await
    {
        Ok(claims) => claims,
        Err(e) => return unavailable(branding, &e),
    };
    let id = session::random_token();
    let mut signed_in = StaffSession::anonymous(session::random_token(), now);
    signed_in.stage = Stage::SignedIn;
    signed_in.username = username;
    signed_in.sub = claims.sub;
    signed_in.id_token = tokens.id_token;
    signed_in.access_token = tokens.access_token;
    signed_in.refresh_token = tokens
        .refresh_token
        .unwrap_or_else(|| stored.refresh_token.clone());
    match staff_sessions::put(console.table(), &id, &signed_in, now + SESSION_TTL_SECONDS).await {
        Ok(Written::Saved) => {}
        Ok(Written::Stale) => return unavailable(branding, &"a new session id was already in use"),
        Err(e) => return unavailable(branding, &e),
    }
    if let Err(e) = staff_sessions::delete(console.table(), old_id).await {
        tracing::error!(error = %e, "could not delete the session used to sign in");
    }
    session::with_cookie(web::http::see_other("/console"), &id)
}

/// The sign-in took too long (Cognito's session ended): back to the first step, saying so.
async fn restart(
    console: &Console,
    branding: &Branding,
    id: &str,
    stored: StaffSession,
    now: i64,
) -> Response<Body> {
    let mut fresh = StaffSession::anonymous(stored.csrf.clone(), now);
    fresh.version = stored.version + 1;
    match staff_sessions::put(console.table(), id, &fresh, now + ANONYMOUS_TTL_SECONDS).await {
        Ok(_) => sign_in_page(
            branding,
            &fresh.csrf,
            "",
            &[(
                "email",
                "Signing in took too long, so it was stopped. Please sign in again.".to_owned(),
            )],
            StatusCode::OK,
        ),
        Err(e) => unavailable(branding, &e),
    }
}

async fn save_then(
    console: &Console,
    branding: &Branding,
    id: &str,
    stored: &StaffSession,
    expires_at: i64,
    next: &str,
) -> Response<Body> {
    match staff_sessions::put(console.table(), id, stored, expires_at).await {
        Ok(Written::Saved) => web::http::see_other(next),
        // Another tab moved this sign-in on first: follow it.
        Ok(Written::Stale) => web::http::see_other(SIGN_IN),
        Err(e) => unavailable(branding, &e),
    }
}

fn field(
    name: &'static str,
    label: &'static str,
    input_type: &'static str,
    autocomplete: &'static str,
    errors: &[(&'static str, String)],
) -> FormField {
    FormField {
        name,
        label,
        input_type,
        autocomplete,
        error: errors
            .iter()
            .find(|(f, _)| *f == name)
            .map(|(_, e)| e.clone())
            .unwrap_or_default(),
        ..FormField::default()
    }
}

fn code_field(errors: &[(&'static str, String)]) -> FormField {
    FormField {
        hint: "The 6-digit code your authenticator app shows for this account now.",
        short: true,
        numeric: true,
        ..field("code", "Code", "text", "one-time-code", errors)
    }
}

fn sign_in_page(
    branding: &Branding,
    csrf: &str,
    email: &str,
    errors: &[(&'static str, String)],
    status: StatusCode,
) -> Response<Body> {
    let fields = [
        FormField {
            value: email.to_owned(),
            ..field("email", "Email address", "email", "username", errors)
        },
        field(
            "password",
            "Password",
            "password",
            "current-password",
            errors,
        ),
    ];
    let intro = ["For the programme's coordinators and viewers.".to_owned()];
    render(
        status,
        errors,
        ConsoleFormPage::new(
            branding,
            "Sign in to the console",
            &intro,
            SIGN_IN,
            csrf,
            &fields,
            "Sign in",
            None,
        ),
    )
}

fn render(
    status: StatusCode,
    errors: &[(&'static str, String)],
    page: ConsoleFormPage<'_>,
) -> Response<Body> {
    let status = if errors.is_empty() {
        status
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    web::http::page(status, askama::Template::render(&page))
}

/// The page of `step` (with what was typed, bar passwords, and the errors).
fn step_page(
    branding: &Branding,
    step: &str,
    stored: &StaffSession,
    form: &StepForm,
    errors: &[(&'static str, String)],
) -> Response<Body> {
    match step {
        SIGN_IN => sign_in_page(
            branding,
            &stored.csrf,
            form.email.trim(),
            errors,
            StatusCode::OK,
        ),
        NEW_PASSWORD => {
            let fields = [
                FormField {
                    hint: "At least 14 characters, with upper and lower case letters, a number and a symbol.",
                    ..field(
                        "password",
                        "New password",
                        "password",
                        "new-password",
                        errors,
                    )
                },
                field(
                    "confirm_password",
                    "Type the new password again",
                    "password",
                    "new-password",
                    errors,
                ),
            ];
            let intro = [format!(
                "You signed in as {} with a temporary password. Choose your own password now.",
                stored.username
            )];
            render(
                StatusCode::OK,
                errors,
                ConsoleFormPage::new(
                    branding,
                    "Choose a new password",
                    &intro,
                    NEW_PASSWORD,
                    &stored.csrf,
                    &fields,
                    "Save the password",
                    None,
                ),
            )
        }
        AUTHENTICATOR => {
            let uri = otpauth_uri(&branding.name, &stored.username, &stored.totp_secret);
            let enrolment = Enrolment {
                qr_svg: qr_svg(&uri),
                uri,
                secret: stored.totp_secret.clone(),
            };
            let fields = [code_field(errors)];
            let intro = ["Every sign-in needs a code from an authenticator app on your phone or computer (for example Microsoft Authenticator, Google Authenticator or 1Password). Set it up once now.".to_owned()];
            render(
                StatusCode::OK,
                errors,
                ConsoleFormPage::new(
                    branding,
                    "Set up your authenticator app",
                    &intro,
                    AUTHENTICATOR,
                    &stored.csrf,
                    &fields,
                    "Check the code and sign in",
                    Some(&enrolment),
                ),
            )
        }
        _ => {
            let fields = [code_field(errors)];
            let intro = [format!("Signing in as {}.", stored.username)];
            render(
                StatusCode::OK,
                errors,
                ConsoleFormPage::new(
                    branding,
                    "Enter the code from your authenticator app",
                    &intro,
                    CODE,
                    &stored.csrf,
                    &fields,
                    "Sign in",
                    None,
                ),
            )
        }
    }
}

/// The `otpauth://` address authenticator apps read (Key Uri Format): issuer, account, secret.
fn otpauth_uri(issuer: &str, account: &str, secret: &str) -> String {
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    let issuer = utf8_percent_encode(issuer, NON_ALPHANUMERIC).to_string();
    let account = utf8_percent_encode(account, NON_ALPHANUMERIC).to_string();
    format!(
        "otpauth://totp/{issuer}:{account}?secret={secret}&issuer={issuer}&algorithm=SHA1&digits=6&period=30"
    )
}

/// `text` as a QR code: an inline SVG image with a text alternative (empty if it cannot be
/// drawn; the page also shows the key as text).
fn qr_svg(text: &str) -> String {
    let Ok(code) = qrcode::QrCode::new(text.as_bytes()) else {
        return String::new();
    };
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    // The XML declaration has no place inside HTML; the image needs a role and a name.
    let start = svg.find("<svg").unwrap_or(0);
    svg[start..].replacen(
        "<svg",
        "<svg role=\"img\" aria-label=\"QR code of the setup link\"",
        1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authenticator_link_names_the_programme_and_the_account() {
        assert_eq!(
            otpauth_uri("SEND Review", "a.b@example.org", "ABCDEF"),
            "otpauth://totp/SEND%20Review:a%2Eb%40example%2Eorg?secret=ABCDEF&issuer=SEND%20Review&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn the_qr_code_is_an_inline_svg_image_with_a_name() {
        let svg = qr_svg("otpauth://totp/A:b?secret=ABC");
        assert!(
            svg.starts_with("<svg role=\"img\" aria-label=\"QR code of the setup link\""),
            "{svg}"
        );
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn each_step_checks_its_own_fields() {
        let form = StepForm {
            email: "not-an-email".into(),
            ..StepForm::default()
        };
        let fields: Vec<_> = check(SIGN_IN, &form).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, ["email", "password"]);
        let form = StepForm {
            password: "Short1!".into(),
            confirm_password: "Other".into(),
            ..StepForm::default()
        };
        let fields: Vec<_> = check(NEW_PASSWORD, &form)
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(fields, ["password", "confirm_password"]);
        let form = StepForm {
            code: "12a456".into(),
            ..StepForm::default()
        };
        assert_eq!(check(CODE, &form).len(), 1);
        let form = StepForm {
            code: " 123456 ".into(),
            ..StepForm::default()
        };
        assert!(check(CODE, &form).is_empty());
    }
}
