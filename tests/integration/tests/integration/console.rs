//! The programme console's sign-in, against moto's Cognito (which checks TOTP codes, started so
//! by scripts/test) and DynamoDB Local: the whole sign-in through the pages, the ID token
//! checks one by one, the anti-forgery guard, roles, sign out everywhere, the inactivity
//! timeout and the ID token's refresh (on the handler's clock).

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::RSA_PKCS1_SHA256;
use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, ChallengeNameType, ExplicitAuthFlowsType,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use console::cognito::{StaffPool, Step};
use console::tokens::{PoolConfig, TokenError, TokenVerifier};
use records::staff_sessions::{self, Stage};

use crate::support::{
    MOTO_SECRET, PASSWORD, REGION, StaffBrowser, TestStack, add_staff, client_id, code, cognito,
    csrf_in, first_sign_in, location, now, pool_id, spawn, totp, unique_address,
};

#[tokio::test]
async fn a_coordinator_signs_in_sees_the_pipeline_and_signs_out() {
    let app = spawn().await;
    let email = add_staff(&app, "coordinator", "coordinator").await;
    let (before, _) = StaffBrowser::open(&app).await;
    let mut browser = first_sign_in(&app, &email).await;
    assert_ne!(
        browser.cookie, before.cookie,
        "signing in issues a new session id"
    );
    assert!(
        staff_sessions::get(&app.table_handle(), &before.cookie)
            .await
            .unwrap()
            .is_some(),
        "another browser's session is untouched"
    );
    let page = browser.get("/console").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("<h1>Pipeline</h1>"), "{html}");
    assert!(html.contains(&email), "{html}");
    assert!(html.contains("id=\"count-submitted\">0<"), "{html}");
    let stored = staff_sessions::get(&app.table_handle(), &browser.cookie)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.stage, Stage::SignedIn);
    assert!(
        !html.contains(&stored.id_token),
        "no token reaches the page"
    );

    let csrf = csrf_in(&html);
    let response = browser
        .post("/console/sign-out", &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        staff_sessions::get(&app.table_handle(), &browser.cookie)
            .await
            .unwrap()
            .is_none()
    );
    let response = browser.get("/console").await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/console/sign-in");

    // The next sign-in asks for the authenticator's code, not for its setup.
    let (mut browser, csrf) = StaffBrowser::open(&app).await;
    let response = browser
        .post(
            "/console/sign-in",
            &[("csrf", &csrf), ("email", &email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(location(&response), "/console/code");
    let response = browser
        .post("/console/code", &[("csrf", &csrf), ("code", "000000")])
        .await;
    // moto gives every account one secret; a wrong code is refused with the field's error.
    if totp(MOTO_SECRET, now()) != "000000" {
        assert_eq!(response.status(), 422);
        let html = response.text().await.unwrap();
        assert!(html.contains("The code is wrong or has expired"), "{html}");
    }
    let response = browser
        .post(
            "/console/code",
            &[("csrf", &csrf), ("code", &code(MOTO_SECRET).await)],
        )
        .await;
    assert_eq!(location(&response), "/console");
    assert_eq!(browser.get("/console").await.status(), 200);
}

#[tokio::test]
async fn a_wrong_password_is_refused_on_its_field() {
    let app = spawn().await;
    let email = add_staff(&app, "coordinator", "coordinator").await;
    let (mut browser, csrf) = StaffBrowser::open(&app).await;
    let response = browser
        .post(
            "/console/sign-in",
            &[
                ("csrf", &csrf),
                ("email", &email),
                ("password", "Not-the-one-1"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("The email address or password is wrong"),
        "{html}"
    );
    assert!(html.contains("href=\"#password\""), "{html}");
    let stored = staff_sessions::get(&app.table_handle(), &browser.cookie)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.stage, Stage::Anonymous);
}

#[tokio::test]
async fn a_post_without_the_anti_forgery_token_or_from_another_site_is_refused_and_stores_nothing()
{
    let app = spawn().await;
    let email = add_staff(&app, "coordinator", "coordinator").await;
    let (mut browser, csrf) = StaffBrowser::open(&app).await;
    let before = staff_sessions::get(&app.table_handle(), &browser.cookie)
        .await
        .unwrap()
        .unwrap();
    let response = browser
        .post(
            "/console/sign-in",
            &[
                ("email", email.as_str()),
                ("password", "Temporary-passw0rd"),
            ],
        )
        .await;
    assert_eq!(response.status(), 403);
    let response = browser
        .post(
            "/console/sign-in",
            &[
                ("csrf", "0".repeat(64).as_str()),
                ("email", email.as_str()),
                ("password", "Temporary-passw0rd"),
            ],
        )
        .await;
    assert_eq!(response.status(), 403);
    // The console's pages let the browser name the site in `Origin` (`same-origin`), so an
    // opaque `null` origin is refused like another site's.
    for origin in ["https://elsewhere.example", "null"] {
        let response = app
            .http
            .post(app.url("/console/sign-in"))
            .header("cookie", format!("console_session={}", browser.cookie))
            .header("origin", origin)
            .form(&[
                ("csrf", csrf.as_str()),
                ("email", email.as_str()),
                ("password", "Temporary-passw0rd"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 403, "{origin}");
        assert_eq!(response.headers()["referrer-policy"], "same-origin");
    }
    let after = staff_sessions::get(&app.table_handle(), &browser.cookie)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after, before, "a refused POST changes nothing");
    // Cognito was not asked either: the temporary password still starts the first sign-in.
    let user = cognito(&app)
        .admin_get_user()
        .user_pool_id(pool_id(&app))
        .username(&email)
        .send()
        .await
        .unwrap();
    assert_eq!(
        user.user_status().unwrap().as_str(),
        "FORCE_CHANGE_PASSWORD"
    );
}

#[tokio::test]
async fn a_viewer_reads_the_pipeline_but_is_refused_a_coordinators_export() {
    let app = spawn().await;
    let viewer = add_staff(&app, "viewer", "viewer").await;
    let browser = first_sign_in(&app, &viewer).await;
    let html = browser.get("/console").await.text().await.unwrap();
    assert!(html.contains("(viewer)"), "{html}");
    assert!(!html.contains("pipeline.csv"), "{html}");
    let response = browser.get("/console/pipeline.csv").await;
    assert_eq!(response.status(), 403);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Only a coordinator")
    );

    let coordinator = add_staff(&app, "coordinator", "coordinator").await;
    let browser = first_sign_in(&app, &coordinator).await;
    let response = browser.get("/console/pipeline.csv").await;
    assert_eq!(response.status(), 200);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .starts_with("stage,reference,school")
    );
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_of_the_user() {
    let app = spawn().await;
    let email = add_staff(&app, "coordinator", "coordinator").await;
    let mut laptop = first_sign_in(&app, &email).await;
    let (mut phone, csrf) = StaffBrowser::open(&app).await;
    let response = phone
        .post(
            "/console/sign-in",
            &[("csrf", &csrf), ("email", &email), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(location(&response), "/console/code");
    phone
        .post(
            "/console/code",
            &[("csrf", &csrf), ("code", &code(MOTO_SECRET).await)],
        )
        .await;
    assert_eq!(phone.get("/console").await.status(), 200);

    let csrf = laptop.csrf("/console").await;
    let response = laptop
        .post("/console/sign-out-everywhere", &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(response.status(), 200);
    for browser in [&laptop, &phone] {
        let response = browser.get("/console").await;
        assert_eq!(response.status(), 303);
        assert_eq!(location(&response), "/console/sign-in");
    }
    // Cognito's side (GlobalSignOut revoking the refresh tokens) cannot be seen here: moto
    // serves an unsigned GlobalSignOut from its default region, where this pool is not, and
    // refuses it. The console ends every stored session whatever Cognito answers.
    assert!(
        staff_sessions::get(&app.table_handle(), &phone.cookie)
            .await
            .unwrap()
            .is_none()
    );
}

/// The console's handler itself (its clock given to each call), and a `GET /console` request
/// with session `cookie`.
fn console_handler(app: &TestStack) -> console::Console {
    console::Console::from_env(app.stack.function_env("ConsoleFunction"), &app.stack.aws).unwrap()
}

fn pipeline_request(app: &TestStack, cookie: &str) -> lambda_http::Request {
    lambda_http::http::Request::builder()
        .uri(format!("{}/console", app.stack.url))
        .header("cookie", format!("console_session={cookie}"))
        .body(lambda_http::Body::Empty)
        .unwrap()
}

#[tokio::test]
async fn a_session_unused_for_30_minutes_is_over() {
    let app = spawn().await;
    let email = add_staff(&app, "coordinator", "coordinator").await;
    let browser = first_sign_in(&app, &email).await;
    let console = console_handler(&app);
    let request = |cookie: &str| pipeline_request(&app, cookie);
    let in_29_minutes = console
        .handle_at(request(&browser.cookie), now() + 29 * 60)
        .await;
    assert_eq!(in_29_minutes.status(), 200);
    // 30 minutes after that request, not after sign-in: each request counts.
    let response = console
        .handle_at(request(&browser.cookie), now() + 29 * 60 + 31 * 60)
        .await;
    assert_eq!(response.status(), 401);
    assert!(
        staff_sessions::get(&app.table_handle(), &browser.cookie)
            .await
            .unwrap()
            .is_none()
    );
}

/// The `exp` and `iat` claims of a JWT (read, not verified: the console verified it).
fn expiry_and_issue(token: &str) -> (i64, i64) {
    let payload = token.split('.').nth(1).unwrap();
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    (
        claims["exp"].as_i64().unwrap(),
        claims["iat"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn an_expired_id_token_is_refreshed_with_the_refresh_token_and_a_revoked_one_signs_out() {
    let app = spawn().await;
    let (browser, email) = app.staff_signs_in("coordinator").await;
    let request = || pipeline_request(&app, &browser.cookie);
    let console = console_handler(&app);
    let session = || async {
        staff_sessions::get(&app.table_handle(), &browser.cookie)
            .await
            .unwrap()
    };
    let signed_in = session().await.unwrap();
    let (expires, issued) = expiry_and_issue(&signed_in.id_token);
    // moto stamps tokens by the real clock, to the second: the refreshed token must be issued
    // in a later second than this one to outlive it (waits a second at most).
    while now() <= issued {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // Used every 25 minutes (the handler's clock), the session outlives its ID token's hour.
    for minutes in [25, 50] {
        let response = console.handle_at(request(), issued + minutes * 60).await;
        assert_eq!(response.status(), 200);
        assert_eq!(session().await.unwrap().id_token, signed_in.id_token);
    }
    let response = console.handle_at(request(), expires).await;
    assert_eq!(response.status(), 200, "refreshed, not sent to sign in");
    let refreshed = session().await.unwrap();
    assert_ne!(refreshed.id_token, signed_in.id_token);
    assert!(expiry_and_issue(&refreshed.id_token).0 > expires);
    assert_eq!(refreshed.sub, signed_in.sub);

    // Once Cognito has revoked the refresh token (signed out everywhere, or the member
    // removed), the next expiry ends the session: the browser is sent to sign in.
    let sign_out = cognito(&app).admin_user_global_sign_out();
    let pool = pool_id(&app);
    sign_out
        .user_pool_id(pool)
        .username(&email)
        .send()
        .await
        .unwrap();
    let (refreshed_expiry, _) = expiry_and_issue(&refreshed.id_token);
    let response = console.handle_at(request(), refreshed_expiry - 1).await;
    assert_eq!(
        response.status(),
        200,
        "still within the refreshed token's hour"
    );
    let response = console.handle_at(request(), refreshed_expiry).await;
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/console/sign-in");
    assert!(session().await.is_none(), "the session is deleted");
}

/// Signs `email` (temporary password `temporary`) in through Cognito itself, enrolling the
/// authenticator where the pool asks for one: the ID and access tokens.
async fn tokens(pool: &StaffPool, email: &str, temporary: &str) -> (String, String) {
    let mut step = pool.sign_in(email, temporary).await.unwrap();
    loop {
        step = match step {
            Step::SignedIn(tokens) => return (tokens.id_token, tokens.access_token),
            Step::Challenge {
                name,
                session,
                username,
            } => {
                let user = username.unwrap_or_else(|| email.to_owned());
                match name.as_str() {
                    "NEW_PASSWORD_REQUIRED" => pool.new_password(&user, &session, PASSWORD).await,
                    "MFA_SETUP" => {
                        let (secret, session) =
                            pool.associate_authenticator(&session).await.unwrap();
                        pool.finish_enrolment(&user, &session, &code(&secret).await)
                            .await
                    }
                    other => panic!("unexpected challenge {other}"),
                }
                .unwrap()
            }
        }
    }
}

/// A new app client of `pool` that signs in with passwords: its id.
async fn app_client(
    cognito: &aws_sdk_cognitoidentityprovider::Client,
    pool: &str,
    name: &str,
) -> String {
    cognito
        .create_user_pool_client()
        .user_pool_id(pool)
        .client_name(name)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap()
        .client_id
        .unwrap()
}

/// `token` with its signature replaced by one made with a key of our own.
fn resigned(token: &str) -> String {
    let signed_part = token.rsplit_once('.').unwrap().0;
    let key = KeyPair::generate(KeySize::Rsa2048).unwrap();
    let mut signature = vec![0; key.public_modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &SystemRandom::new(),
        signed_part.as_bytes(),
        &mut signature,
    )
    .unwrap();
    format!("{signed_part}.{}", URL_SAFE_NO_PAD.encode(signature))
}

#[tokio::test]
async fn only_an_unexpired_id_token_of_this_pool_and_client_signed_by_the_pool_is_accepted() {
    let app = spawn().await;
    let email = add_staff(&app, "coordinator", "coordinator").await;
    let cognito = cognito(&app);
    let pool = StaffPool {
        client: cognito.clone(),
        client_id: client_id(&app),
    };
    let (id_token, access_token) = tokens(&pool, &email, "Temporary-passw0rd").await;
    let verifier = TokenVerifier::new(PoolConfig::new(
        REGION,
        &pool_id(&app),
        &client_id(&app),
        Some(&app.stack.moto_url),
    ));

    let claims = verifier.verify_id_token(&id_token, now()).await.unwrap();
    assert_eq!(claims.email, email);
    assert_eq!(claims.groups, ["coordinator"]);

    assert_eq!(
        verifier.verify_id_token(&resigned(&id_token), now()).await,
        Err(TokenError::BadSignature)
    );
    assert_eq!(
        verifier.verify_id_token(&id_token, claims.exp).await,
        Err(TokenError::Expired),
        "expired at its exp, by the clock passed in"
    );
    assert_eq!(
        verifier.verify_id_token(&id_token, now() + 2 * 3600).await,
        Err(TokenError::Expired)
    );
    assert_eq!(
        verifier.verify_id_token(&access_token, now()).await,
        Err(TokenError::NotAnIdToken("access".into()))
    );

    // Another app client of the same pool: its ID tokens are not for the console.
    let other_client = app_client(&cognito, &pool_id(&app), "another-app").await;
    let answer = cognito
        .initiate_auth()
        .client_id(&other_client)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", &email)
        .auth_parameters("PASSWORD", PASSWORD)
        .send()
        .await
        .unwrap();
    assert_eq!(
        answer.challenge_name(),
        Some(&ChallengeNameType::SoftwareTokenMfa)
    );
    let other_pool = StaffPool {
        client: cognito.clone(),
        client_id: other_client.clone(),
    };
    let Step::SignedIn(other_tokens) = other_pool
        .authenticator_code(&email, answer.session().unwrap(), &code(MOTO_SECRET).await)
        .await
        .unwrap()
    else {
        panic!("signed in through the other client");
    };
    assert_eq!(
        verifier
            .verify_id_token(&other_tokens.id_token, now())
            .await,
        Err(TokenError::WrongAudience)
    );

    // Another pool (moto signs every pool's tokens with the same key: only the issuer differs).
    let second_pool = cognito
        .create_user_pool()
        .pool_name(format!("{}-other", app.table()))
        .username_attributes(aws_sdk_cognitoidentityprovider::types::UsernameAttributeType::Email)
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap()
        .id
        .unwrap();
    let second_client = app_client(&cognito, &second_pool, "console").await;
    cognito
        .create_group()
        .user_pool_id(&second_pool)
        .group_name("coordinator")
        .send()
        .await
        .unwrap();
    let stranger = unique_address("stranger");
    local_runner::staff_pool::add_staff(
        &app.stack.aws.sdk_config,
        &second_pool,
        &stranger,
        "Temporary-passw0rd",
        "coordinator",
    )
    .await
    .unwrap();
    let other = StaffPool {
        client: cognito.clone(),
        client_id: second_client,
    };
    let (foreign, _) = tokens(&other, &stranger, "Temporary-passw0rd").await;
    assert!(matches!(
        verifier.verify_id_token(&foreign, now()).await,
        Err(TokenError::WrongIssuer(issuer)) if issuer.ends_with(&second_pool)
    ));
}
