//! The hardening a security review asked for (issue 16, items 6 to 12): each probe here failed
//! on the tree before it and passes after.

use reqwest::header::CONTENT_TYPE;

use crate::private_links::{Route, routes_under};
use crate::support::{Booked, TestStack, csp, link_containing, spawn, spawn_with_parameter};

const HSTS: &str = "max-age=63072000; includeSubDomains";

/// The tokens a booked review gives: the school's status token, the lead's review token and
/// the lead's offer token.
async fn private_tokens(app: &TestStack, booked: &Booked) -> [(&'static str, String); 3] {
    let last = |link: &str| link.rsplit('/').next().unwrap().to_owned();
    let lead_mails = app.stack.mail_to(&booked.lead).await.unwrap();
    [
        ("/status/", booked.school.token.clone()),
        ("/reviews/", last(&booked.review_link)),
        ("/offers/", last(&link_containing(&lead_mails, "/offers/"))),
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
