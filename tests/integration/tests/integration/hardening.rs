//! The hardening a security review asked for (issue 16, items 6 to 12): each probe here failed
//! on the tree before it and passes after.

use local_runner::template::Template;
use records::links::{LinkSecret, SUBMISSION_TOKEN_LIFETIME};
use records::store::{get_i64, get_s};
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use time::OffsetDateTime;

use crate::support::{
    Answered, Booked, Route, TestStack, csp, encode_fields, link_containing, routes_under, spawn,
    spawn_with_parameter, template_path, unique_address, upload_form, valid_form, valid_json,
};

const HSTS: &str = "max-age=63072000; includeSubDomains";

/// The tokens a booked review gives: the school's status token, the lead's review token, the
/// lead's offer token and their details token (every email to a reviewer links to it).
async fn private_tokens(app: &TestStack, booked: &Booked) -> [(&'static str, String); 5] {
    let last = |link: &str| link.rsplit('/').next().unwrap().to_owned();
    let lead_mails = app.stack.mail_to(&booked.lead).await.unwrap();
    // A feedback link is emailed once a report is final; signed here for the booked review.
    let secret = LinkSecret::load(
        app.stack.function_env("SchoolPagesFunction"),
        &app.stack.aws,
    )
    .await
    .unwrap();
    let in_a_week = OffsetDateTime::now_utc().unix_timestamp() + 7 * 86_400;
    [
        ("/status/", booked.school.token.clone()),
        ("/reviews/", last(&booked.review_link)),
        ("/offers/", last(&link_containing(&lead_mails, "/offers/"))),
        (
            "/reviewer/details/",
            last(&link_containing(&lead_mails, "/reviewer/details/")),
        ),
        (
            "/feedback/",
            secret.feedback_token(&booked.school.request_id, "school", in_a_week),
        ),
    ]
}

/// `route`'s path with its parameters filled: a link token from `tokens` by the path's prefix
/// (`bad` instead, when given), the school's reference, a new evidence id.
fn filled(path: &str, tokens: &[(&str, String)], booked: &Booked, bad: Option<&str>) -> String {
    let token = tokens
        .iter()
        .find(|(prefix, _)| path.starts_with(prefix))
        .map(|(_, token)| bad.unwrap_or(token))
        .unwrap_or_default();
    path.replace("{token}", token)
        .replace("{reference}", booked.school.reference.as_str())
        .replace("{evidence_id}", &ulid::Ulid::new().to_string())
}

/// Sends `route` (an `ANY` route as a `DELETE`) with an empty form and `headers`.
async fn send(
    app: &TestStack,
    (method, _): &Route,
    path: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let method = if method == "ANY" { "DELETE" } else { method };
    let mut request = app
        .http
        .request(method.parse().unwrap(), app.url(path))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn every_answer_of_every_route_tells_browsers_to_keep_to_https() {
    let app = spawn().await;
    let booked = app.booked().await;
    let tokens = private_tokens(&app, &booked).await;
    // Valid links (pages, redirects, downloads, JSON) and refused ones (the refusal pages).
    for bad in [None, Some("x")] {
        for route in routes_under("/") {
            let path = filled(&route.1, &tokens, &booked, bad);
            let response = send(&app, &route, &path, &[]).await;
            let status = response.status();
            assert_eq!(
                response
                    .headers()
                    .get("strict-transport-security")
                    .and_then(|v| v.to_str().ok()),
                Some(HSTS),
                "{} {path} answered {status} without HSTS",
                route.0
            );
        }
    }
}

#[tokio::test]
async fn pages_let_the_programme_logo_load_from_its_own_origin_only() {
    let logo = "https://cdn.example.org/brand/logo.png?v=2";
    let app = spawn_with_parameter("BrandLogoUrl", logo).await;
    for path in [
        "/",
        "/request",
        "/status/x",
        "/offers/x",
        "/console/sign-in",
    ] {
        let response = app.open(app.url(path)).await;
        let policy = csp(&response);
        assert!(
            policy.contains("img-src 'self' data: https://cdn.example.org;"),
            "{path}: {policy}"
        );
    }
    let home = app.page(&app.url("/")).await;
    assert!(
        home.contains("https://cdn.example.org/brand/logo.png"),
        "{home}"
    );

    // Without a logo, images come from the site alone.
    let plain = spawn().await;
    let policy = csp(&plain.open(plain.url("/")).await);
    assert!(policy.contains("img-src 'self' data:;"), "{policy}");
}

#[tokio::test]
async fn a_form_posted_from_another_site_is_refused_by_every_form_route_and_changes_nothing() {
    let app = spawn().await;
    let booked = app.booked().await;
    let tokens = private_tokens(&app, &booked).await;
    let foreign: [&[(&str, &str)]; 3] = [
        &[("sec-fetch-site", "cross-site")],
        &[("sec-fetch-site", "same-site")],
        // A browser too old to send Sec-Fetch-Site names the page's origin.
        &[("origin", "https://elsewhere.example")],
    ];
    let forms: Vec<Route> = routes_under("/")
        .into_iter()
        .filter(|(method, path)| method == "POST" && !path.starts_with("/api/"))
        .collect();
    assert!(forms.len() > 10, "{forms:?}");
    for headers in foreign {
        for route in &forms {
            let path = filled(&route.1, &tokens, &booked, None);
            let response = send(&app, route, &path, headers).await;
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{} {path} with {headers:?}",
                route.0
            );
        }
    }

    // A whole, valid request form from another site stores nothing; from the site, it is taken.
    let email = unique_address("cross");
    let body = encode_fields(&valid_form(&app.form_token().await, &email, "100071"));
    let post = |headers: &'static [(&'static str, &'static str)]| {
        let mut request = app
            .http
            .post(app.url("/request"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body.clone());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.send()
    };
    let refused = post(&[("sec-fetch-site", "cross-site")]).await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(body_of(refused).await.contains("sent from another website"));
    assert!(app.stack.mail_to(&email).await.unwrap().is_empty());
    let taken = post(&[("sec-fetch-site", "same-origin")]).await.unwrap();
    assert_eq!(taken.status(), StatusCode::SEE_OTHER);
    app.wait_for_mail(&email, 1).await;
}

async fn body_of(response: reqwest::Response) -> String {
    response.text().await.unwrap()
}

#[tokio::test]
async fn a_request_form_is_taken_only_with_a_token_the_site_signed_within_a_day() {
    let app = spawn().await;
    let secret = LinkSecret::load(
        app.stack.function_env("SchoolPagesFunction"),
        &app.stack.aws,
    )
    .await
    .unwrap();
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let made_up = "AAAAAAAAAAAAAAAAAAAAAA".to_owned(); // the old token's shape
    let expired = secret.submission_token([1; 16], now - SUBMISSION_TOKEN_LIFETIME - 60);
    let served = app.form_token().await;
    let resigned = {
        // The served token's nonce with a later issue time, under its old signature.
        let (nonce, rest) = served.split_once('.').unwrap();
        let signature = rest.split_once('.').unwrap().1;
        format!("{nonce}.{}.{signature}", now + 60)
    };
    for (case, token) in [
        ("made up", made_up),
        ("expired", expired),
        ("re-dated", resigned),
    ] {
        let email = unique_address("token");
        let response = app
            .send_request_form(&valid_form(&token, &email, "100072"))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{case}"
        );
        let page = body_of(response).await;
        assert!(
            page.contains("This copy of the form has expired"),
            "{case}: {page}"
        );
        assert!(
            page.contains(r#"value="100072""#),
            "{case}: the answers are kept"
        );
        assert!(!page.contains(&token), "{case}: a fresh token replaces it");
        assert!(app.items_with_prefix("REQUEST#").await.is_empty(), "{case}");
        assert!(
            app.stack.mail_to(&email).await.unwrap().is_empty(),
            "{case}"
        );
    }
    // The token the form page served is taken.
    let email = unique_address("token");
    let response = app
        .send_request_form(&valid_form(&served, &email, "100072"))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    app.wait_for_mail(&email, 1).await;
}

#[tokio::test]
async fn a_rate_counter_stores_a_keyed_hash_of_the_address_expires_and_still_limits() {
    let app = spawn_with_parameter("SubmissionsPerIpPerHour", "2").await;
    for urn in ["100081", "100082"] {
        let token = app.form_token().await;
        let response = app
            .send_request_form(&valid_form(&token, &unique_address("rate"), urn))
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    let token = app.form_token().await;
    app.send_request_form(&valid_form(&token, &unique_address("rate"), "100083"))
        .await
        .says(StatusCode::TOO_MANY_REQUESTS, "Too many requests")
        .await;

    let counters = app.items_with_prefix("RATE#ip#").await;
    assert_eq!(counters.len(), 1, "one address, one hour: {counters:?}");
    let pk = get_s(&counters[0], "pk").unwrap();
    let [_, _, key, hour] = pk.split('#').collect::<Vec<_>>()[..] else {
        panic!("{pk}")
    };
    // Not the plain SHA-256 of the address (every IPv4 address can be hashed in minutes)...
    for plain in ["127.0.0.1", "ip:127.0.0.1"] {
        assert_ne!(key, records::links::token_hash(plain), "{plain}");
    }
    // ...but an HMAC under the day's key, derived from the stack's secret.
    let secret = LinkSecret::load(
        app.stack.function_env("SchoolPagesFunction"),
        &app.stack.aws,
    )
    .await
    .unwrap();
    let hour: i64 = hour.parse().unwrap();
    let day = OffsetDateTime::from_unix_timestamp(hour).unwrap().date();
    assert_eq!(key, secret.rate_limit_key("127.0.0.1", day));
    // It is deleted (TTL) two hours after its hour began, as the README says.
    let expires: i64 = get_i64(&counters[0], "expires_at").unwrap();
    assert_eq!(expires - hour, 2 * 60 * 60);
}

/// Each statement of function `name`'s policy, with its actions, as the template writes it
/// (debug text: the tags `!Sub` and `!Select` kept as they are).
fn policy_statements(name: &str) -> Vec<(Vec<String>, String)> {
    let template = Template::load(&template_path()).unwrap();
    let (_, function) = template
        .resources_of_type("AWS::Serverless::Function")
        .into_iter()
        .find(|(id, _)| *id == name)
        .unwrap();
    let policies = function["Properties"]["Policies"].as_sequence().unwrap();
    policies
        .iter()
        .flat_map(|policy| policy["Statement"].as_sequence().unwrap().clone())
        .map(|statement| {
            let actions = match &statement["Action"] {
                action if action.as_str().is_some() => vec![action.as_str().unwrap().to_owned()],
                actions => actions
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap().to_owned())
                    .collect(),
            };
            (actions, format!("{statement:?}"))
        })
        .collect()
}

#[test]
fn school_pages_may_change_only_evidence_objects_and_mail_goes_from_the_one_identity() {
    let evidence = "/requests/*/evidence/*";
    let school = policy_statements("SchoolPagesFunction");
    for action in [
        "s3:PutObject",
        "s3:GetObjectVersion",
        "s3:DeleteObjectVersion",
        "s3:ListBucketVersions",
    ] {
        let granting: Vec<_> = school
            .iter()
            .filter(|(a, _)| a.iter().any(|a| a == action))
            .collect();
        assert!(!granting.is_empty(), "{action}");
        for (_, statement) in granting {
            let scoped = if action == "s3:ListBucketVersions" {
                statement.contains(r#"String("requests/*/evidence/*")"#)
            } else {
                statement.contains(evidence)
            };
            assert!(scoped, "{action} reaches beyond evidence: {statement}");
        }
    }
    // The report's PDF is only read (for its download link), never written or deleted.
    let report_access: Vec<_> = school
        .iter()
        .filter(|(_, s)| s.contains("/report/"))
        .collect();
    assert!(
        report_access
            .iter()
            .all(|(actions, _)| actions == &["s3:GetObject"]),
        "{report_access:?}"
    );

    for function in ["MailSenderFunction", "ScheduledTasksFunction"] {
        let sending: Vec<_> = policy_statements(function)
            .into_iter()
            .filter(|(actions, _)| actions.iter().any(|a| a.starts_with("ses:Send")))
            .collect();
        assert!(!sending.is_empty(), "{function}");
        for (_, statement) in sending {
            assert!(
                !statement.contains(r#"String("*")"#),
                "{function}: {statement}"
            );
            for resource in [
                ":identity/${SenderAddress}",
                ":identity/${Domain}",
                ":configuration-set/${MailConfigurationSet}",
            ] {
                assert!(
                    statement.contains(resource),
                    "{function} lacks {resource}: {statement}"
                );
            }
        }
    }
}

/// The API's answer to a request for school `urn` with `key`, sent from `from` (a loopback
/// address of this machine, so the router sees another client).
async fn api_request_from(
    app: &TestStack,
    from: [u8; 4],
    key: &str,
    urn: &str,
) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from(from))
        .build()
        .unwrap();
    let body = valid_json(&unique_address("api"), urn);
    client
        .post(app.url("/api/v1/review-requests"))
        .header(CONTENT_TYPE, "application/json")
        .header("Idempotency-Key", key)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn another_client_cannot_claim_an_idempotency_key_before_its_owner_uses_it() {
    let app = spawn().await;
    let key = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d";
    // Another client, knowing or guessing the key, sends it first with its own body.
    let squatter = api_request_from(&app, [127, 0, 0, 2], key, "100091").await;
    assert_eq!(
        squatter.status(),
        StatusCode::ACCEPTED,
        "{}",
        body_of(squatter).await
    );
    // The key's owner still gets its own request stored (not a 409 for a "reused" key)...
    let owner = api_request_from(&app, [127, 0, 0, 1], key, "100092").await;
    assert_eq!(
        owner.status(),
        StatusCode::ACCEPTED,
        "{}",
        body_of(owner).await
    );
    // ...and its own key still means exactly once for its own retries.
    let again = api_request_from(&app, [127, 0, 0, 1], key, "100093").await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn an_offer_link_with_its_expiry_written_another_way_is_refused() {
    let app = spawn().await;
    let booked = app.booked().await;
    let lead_mails = app.stack.mail_to(&booked.lead).await.unwrap();
    let link = link_containing(&lead_mails, "/offers/");
    assert_eq!(app.open(&link).await.status(), StatusCode::OK);
    // `<offer id>.<action>.<expiry>.<signature>`: the same expiry, written with a plus sign.
    let token = link.rsplit('/').next().unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let rewritten = format!("{}.{}.+{}.{}", parts[0], parts[1], parts[2], parts[3]);
    let refused = app.open(link.replace(token, &rewritten)).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(body_of(refused).await.contains("This link does not work"));
}

#[tokio::test]
async fn the_upload_form_signs_a_policy_that_pins_every_condition() {
    use base64::Engine;
    let app = spawn().await;
    let school = app.school().await;
    let before = OffsetDateTime::now_utc();
    let (evidence_id, html, _) = app.add_file(&school, "Provision map", "pdf").await;
    let (_, fields) = upload_form(&html);
    let field = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {name} field"))
    };
    let encoded = field("policy");
    let policy: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(&encoded)
            .unwrap(),
    )
    .unwrap();
    let conditions = policy["conditions"].as_array().unwrap();
    let key = format!("requests/{}/evidence/{evidence_id}", school.request_id);
    let bucket = app.stack.resource("EvidenceBucket").to_owned();
    let redirect = field("success_action_redirect");
    for expected in [
        serde_json::json!({ "bucket": bucket }),
        serde_json::json!(["eq", "$key", key]),
        serde_json::json!(["eq", "$Content-Type", "application/pdf"]),
        serde_json::json!({ "success_action_redirect": redirect }),
    ] {
        assert!(conditions.contains(&expected), "{expected} in {policy}");
    }
    // Size: at least a byte, at most the programme's limit for a file.
    let range = conditions
        .iter()
        .find(|c| c[0] == "content-length-range")
        .unwrap();
    assert_eq!(range[1], 1);
    assert!(range[2].as_u64().unwrap() <= 100 * 1024 * 1024, "{range}");
    // The redirect goes back to this school's evidence page on the site itself.
    assert!(
        redirect.starts_with(&app.url(&school.evidence())),
        "{redirect}"
    );
    // Every condition is one the form's fields meet, and nothing else is left open.
    assert_eq!(field("key"), key);
    assert_eq!(field("Content-Type"), "application/pdf");
    // It expires within a quarter of an hour of being served.
    let expiry = OffsetDateTime::parse(
        policy["expiration"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert!(
        expiry > before && expiry <= before + time::Duration::minutes(16),
        "{expiry}"
    );
}
