//! A school's request, through the form and the API: stored once, confirmed by one email,
//! followed on a private status page; bad input refused with nothing stored.

use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

use crate::support::{
    Answered, TestStack, body, date_from_now, encode_fields, location, spawn, spawn_with_parameter,
    unique_address, valid_form, valid_json,
};

async fn post_api(
    app: &TestStack,
    key: Option<&str>,
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    let mut request = app
        .http
        .post(app.url("/api/v1/review-requests"))
        .header(CONTENT_TYPE, content_type)
        .body(body);
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.unwrap()
}

/// A school (a new contact each time) asks for a review of school `urn` through the API, with
/// Idempotency-Key `key`.
async fn new_school_asks(app: &TestStack, key: &str, urn: &str) -> reqwest::Response {
    let body = valid_json(&unique_address("r"), urn).to_string();
    post_api(app, Some(key), "application/json", body).await
}

/// The JSON pointers a problem document's `errors` name, in order.
fn problem_fields(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn a_school_submits_the_form_gets_one_email_and_follows_its_private_status_link() {
    let app = spawn().await;
    let email = unique_address("senco");
    let token = app.form_token().await;
    let response = app
        .send_request_form(&valid_form(&token, &email, "100001"))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let sent_page = location(&response);
    let reference = sent_page
        .strip_prefix("/request/sent/")
        .expect("redirects to the confirmation")
        .to_owned();
    assert!(
        regex_lite::Regex::new(r"^SR-[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{2}$")
            .unwrap()
            .is_match(&reference)
    );

    let confirmation = app.open(app.url(&sent_page)).await;
    confirmation.says(StatusCode::OK, &reference).await;

    let mails = app.wait_for_mail(&email, 1).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(mail.subject.contains(&reference));
    assert!(
        mail.text.contains("Leadership of SEND")
            && mail.text.contains("Outcomes for learners with SEND")
    );
    assert!(mail.html.contains("Brook Primary School"));
    let status_link = mail
        .links
        .iter()
        .find(|l| l.contains("/status/"))
        .expect("a status link")
        .clone();
    let token_in_link = status_link.rsplit('/').next().unwrap().to_owned();
    assert_eq!(token_in_link.len(), 43, "a 256-bit token");

    let status = app.open(&status_link).await;
    assert_eq!(status.status(), StatusCode::OK);
    assert_eq!(status.headers()["referrer-policy"], "no-referrer");
    let page = status.text().await.unwrap();
    assert!(page.contains(&reference) && page.contains("Finding a reviewer"));
    assert!(
        page.contains("How well our graduated approach &#60;works&#62; in KS2 &#38; KS3."),
        "user text is escaped"
    );

    // Only the token's hash is stored, nowhere the token itself.
    let everything = app.items_with_prefix("").await;
    assert!(!format!("{everything:?}").contains(&token_in_link));
    assert_eq!(app.items_with_prefix("STATUS#").await.len(), 1);

    let wrong = app
        .open(app.url(&format!("/status/{}", "A".repeat(43))))
        .await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_same_form_sent_again_or_concurrently_creates_one_request_and_one_email() {
    let app = spawn().await;
    let email = unique_address("double");
    let token = app.form_token().await;
    let form = valid_form(&token, &email, "100002");

    let first = location(&app.send_request_form(&form).await);
    let again = location(&app.send_request_form(&form).await);
    let concurrent = futures::future::join_all((0..8).map(|_| app.send_request_form(&form))).await;
    assert_eq!(first, again);
    for response in &concurrent {
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(response), first);
    }
    assert_eq!(app.wait_for_mail(&email, 1).await.len(), 1);
    assert_eq!(
        app.items_with_prefix("REQUEST#")
            .await
            .iter()
            .filter(|i| i["sk"].as_s().unwrap() == "REQUEST")
            .count(),
        1
    );
    let to_school = app
        .outbox_items()
        .await
        .into_iter()
        .filter(|i| i["to"].as_s().is_ok_and(|to| to == &email))
        .count();
    assert_eq!(to_school, 1, "one confirmation email");

    // A different submission of the same form twice (a twin tab) with new tokens: two requests.
    let second_email = unique_address("other");
    let twin = valid_form(&app.form_token().await, &second_email, "100002");
    assert_ne!(location(&app.send_request_form(&twin).await), first);
}

#[tokio::test]
async fn concurrent_first_submissions_with_one_token_store_one_request() {
    let app = spawn().await;
    let email = unique_address("race");
    let token = app.form_token().await;
    let form = valid_form(&token, &email, "100003");
    let responses = futures::future::join_all((0..10).map(|_| app.send_request_form(&form))).await;
    let locations: Vec<String> = responses.iter().map(location).collect();
    assert!(
        locations.iter().all(|l| l == &locations[0]),
        "{locations:?}"
    );
    assert_eq!(app.wait_for_mail(&email, 1).await.len(), 1);
    assert_eq!(app.items_with_prefix("REFERENCE#").await.len(), 1);
}

#[tokio::test]
async fn form_errors_rerender_the_form_with_every_problem_and_the_values_kept() {
    let app = spawn().await;
    let token = app.form_token().await;
    let mut form = valid_form(&token, "not-an-email", "12345");
    form.retain(|(k, _)| !k.starts_with("window_2"));
    form.retain(|(k, _)| *k != "privacy_notice_accepted");
    let response = app.send_request_form(&form).await;
    let page = body(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert!(page.contains("<title>Error: "));
    for (field, message) in [
        ("urn", "6 digits"),
        ("contact_email", "correct format"),
        ("window_2_start", "at least two visit windows"),
        ("privacy_notice_accepted", "privacy notice"),
    ] {
        assert!(
            page.contains(&format!("href=\"#{field}\"")),
            "summary links to {field}"
        );
        assert!(page.contains(message), "{message}");
        assert!(
            page.contains(&format!("id=\"{field}\"")),
            "{field} exists to link to"
        );
    }
    assert!(page.contains(r#"value="12345""#), "typed values are kept");
    assert!(page.contains(r#"value="primary" checked"#));
    assert!(
        page.contains(&format!(r#"name="submission_token" value="{token}""#)),
        "the same token, for exactly once"
    );
    assert!(app.items_with_prefix("REQUEST#").await.is_empty());
}

#[tokio::test]
async fn bad_form_bodies_get_a_clear_4xx_and_store_nothing() {
    let app = spawn().await;
    let email = unique_address("bad");
    let token = app.form_token().await;
    let valid_body = encode_fields(&valid_form(&token, &email, "100004"));
    let cases: Vec<(&str, &str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "wrong content type",
            "application/json",
            b"{}".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "normal web form",
        ),
        (
            "multipart",
            "multipart/form-data; boundary=x",
            b"--x--".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "normal web form",
        ),
        (
            "not UTF-8",
            "application/x-www-form-urlencoded",
            vec![b'u', b'r', b'n', b'=', 0xff, 0xfe],
            StatusCode::BAD_REQUEST,
            "characters we cannot read",
        ),
        (
            "oversized",
            "application/x-www-form-urlencoded",
            format!("{valid_body}&learning_goal={}", "a".repeat(70_000)).into_bytes(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "longer than the form allows",
        ),
        (
            "honeypot filled",
            "application/x-www-form-urlencoded",
            valid_body
                .replace("website=&", "website=http%3A%2F%2Fspam&")
                .into_bytes(),
            StatusCode::BAD_REQUEST,
            "sent automatically",
        ),
        (
            "no token",
            "application/x-www-form-urlencoded",
            valid_body
                .replace(&format!("submission_token={token}&"), "")
                .into_bytes(),
            StatusCode::BAD_REQUEST,
            "Open the form again",
        ),
        (
            "forged token",
            "application/x-www-form-urlencoded",
            valid_body.replace(&token, "short").into_bytes(),
            StatusCode::BAD_REQUEST,
            "Open the form again",
        ),
        (
            "empty body",
            "application/x-www-form-urlencoded",
            Vec::new(),
            StatusCode::BAD_REQUEST,
            "Open the form again",
        ),
    ];
    for (name, content_type, body, status, words) in cases {
        let response = app
            .http
            .post(app.url("/request"))
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{name}");
        assert!(
            response.text().await.unwrap().contains(words),
            "{name}: says {words:?}"
        );
    }
    assert!(app.items_with_prefix("REQUEST#").await.is_empty());
    assert!(app.outbox_items().await.is_empty());
    assert!(app.items_with_prefix("IDEMPOTENCY#").await.is_empty());
}

#[tokio::test]
async fn the_api_creates_once_per_idempotency_key_and_refuses_a_reused_key() {
    let app = spawn().await;
    let email = unique_address("api");
    let body = valid_json(&email, "100005").to_string();
    let key = ulid::Ulid::new().to_string();

    let first = post_api(&app, Some(&key), "application/json", body.clone()).await;
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let created: Value = first.json().await.unwrap();

    let retries = futures::future::join_all(
        (0..5).map(|_| post_api(&app, Some(&key), "application/json", body.clone())),
    )
    .await;
    for retry in retries {
        assert_eq!(retry.status(), StatusCode::ACCEPTED);
        assert_eq!(retry.headers()["idempotent-replayed"], "true");
        assert_eq!(retry.json::<Value>().await.unwrap(), created);
    }
    assert_eq!(app.wait_for_mail(&email, 1).await.len(), 1);

    let mut changed = valid_json(&email, "100005");
    changed["learning_goal"] = json!("Something else entirely.");
    let reused = post_api(&app, Some(&key), "application/json", changed.to_string()).await;
    assert_eq!(reused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reused.headers()[CONTENT_TYPE], "application/problem+json");
    let problem: Value = reused.json().await.unwrap();
    assert!(
        problem["type"]
            .as_str()
            .unwrap()
            .ends_with("/idempotency-key-reused")
    );
    assert_eq!(app.items_with_prefix("REFERENCE#").await.len(), 1);
}

#[tokio::test]
async fn the_api_lists_every_invalid_field_by_json_pointer() {
    let app = spawn().await;
    let mut body = valid_json("nobody@", "1234");
    body["school"]["sen_support_percent"] = json!(120);
    // Later than any window may end (within the next 12 months).
    body["visit_windows"][1]["end"] = json!(date_from_now(400));
    body["declarations"]["no_pupil_named"] = json!(false);
    body["focus_areas"] = json!(["leadership", "astrology"]);
    let response = post_api(&app, Some("k-1"), "application/json", body.to_string()).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(
        problem_fields(&problem),
        vec![
            "/school/urn",
            "/school/sen_support_percent",
            "/focus_areas",
            "/visit_windows/1/end",
            "/contact/email",
            "/declarations/no_pupil_named"
        ]
    );
    assert!(
        problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| !e["message"].as_str().unwrap().is_empty())
    );
    assert!(app.items_with_prefix("REQUEST#").await.is_empty());
}

#[tokio::test]
async fn bad_api_requests_get_problem_details_and_store_nothing() {
    let app = spawn().await;
    let valid = valid_json(&unique_address("x"), "100006");
    let mut unknown = valid.clone();
    unknown["school"]["ofsted_grade"] = json!("good");
    // (what is wrong, idempotency key, content type, body, status, the problem type's ending)
    type Case<'a> = (
        &'a str,
        Option<&'a str>,
        &'a str,
        Vec<u8>,
        StatusCode,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            "not JSON content type",
            Some("k"),
            "text/plain",
            b"hello".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
        ),
        (
            "no idempotency key",
            None,
            "application/json",
            valid.to_string().into_bytes(),
            StatusCode::BAD_REQUEST,
            "idempotency-key-required",
        ),
        (
            "malformed JSON",
            Some("k"),
            "application/json",
            b"{\"school\":".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed-json",
        ),
        (
            "unknown field",
            Some("k"),
            "application/json",
            unknown.to_string().into_bytes(),
            StatusCode::BAD_REQUEST,
            "malformed-json",
        ),
        (
            "wrong shape",
            Some("k"),
            "application/json",
            b"[1,2,3]".to_vec(),
            StatusCode::BAD_REQUEST,
            "malformed-json",
        ),
        (
            "not UTF-8",
            Some("k"),
            "application/json",
            vec![b'{', 0xff, b'}'],
            StatusCode::BAD_REQUEST,
            "malformed-json",
        ),
        (
            "oversized",
            Some("k"),
            "application/json",
            format!("{{\"x\":\"{}\"}}", "a".repeat(70_000)).into_bytes(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body-too-large",
        ),
    ];
    for (name, key, content_type, body, status, slug) in cases {
        let response = post_api(&app, key, content_type, body).await;
        assert_eq!(response.status(), status, "{name}");
        assert_eq!(
            response.headers()[CONTENT_TYPE],
            "application/problem+json",
            "{name}"
        );
        let problem: Value = response.json().await.unwrap();
        assert!(
            problem["type"].as_str().unwrap().ends_with(slug),
            "{name}: {problem}"
        );
        assert_eq!(problem["status"], status.as_u16(), "{name}");
    }
    let unknown_problem: Value = post_api(&app, Some("k"), "application/json", unknown.to_string())
        .await
        .json()
        .await
        .unwrap();
    assert!(
        unknown_problem["detail"]
            .as_str()
            .unwrap()
            .contains("ofsted_grade")
    );
    assert!(app.items_with_prefix("REQUEST#").await.is_empty());
    assert!(app.items_with_prefix("IDEMPOTENCY#").await.is_empty());
}

#[tokio::test]
async fn submissions_past_the_rate_limit_are_refused_with_429() {
    // Per client address (a school's own daily limit counts confirmations: see confirmation.rs).
    let app = spawn_with_parameter("SubmissionsPerIpPerHour", "2").await;
    for n in 0..2 {
        let response = new_school_asks(&app, &format!("key-{n}"), "100007").await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
    }
    let third = new_school_asks(&app, "key-3", "100007").await;
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    let token = app.form_token().await;
    let form = app
        .send_request_form(&valid_form(&token, &unique_address("r"), "100007"))
        .await;
    form.says(StatusCode::TOO_MANY_REQUESTS, "Too many requests")
        .await;
    assert_eq!(app.items_with_prefix("REFERENCE#").await.len(), 2);
}

#[tokio::test]
async fn the_openapi_document_describes_what_the_handler_really_accepts_and_answers() {
    let app = spawn().await;
    let served: Value = app
        .open(app.url("/api/v1/openapi.json"))
        .await
        .json()
        .await
        .unwrap();
    // The served document is the static one with each review type's focus areas (its
    // current framework's) as conditions on the request body.
    let mut document: Value = serde_json::from_str(review_requests_api::OPENAPI).unwrap();
    let conditions = served["components"]["schemas"]["ReviewRequest"]["allOf"].clone();
    assert_eq!(conditions.as_array().map(Vec::len), Some(5), "{conditions}");
    document["components"]["schemas"]["ReviewRequest"]["allOf"] = conditions;
    assert_eq!(served, document);
    assert_eq!(document["openapi"], "3.1.0");
    let schema = |name: &str| {
        let mut root = document.clone();
        root["$ref"] = json!(format!("#/components/schemas/{name}"));
        jsonschema::validator_for(&root).unwrap()
    };
    let operation = &document["paths"]["/api/v1/review-requests"]["post"];

    // The documented example, moved to dates valid today, is accepted.
    let mut example = operation["requestBody"]["content"]["application/json"]["example"].clone();
    example["visit_windows"] = json!([
        { "start": date_from_now(30), "end": date_from_now(40) },
        { "start": date_from_now(60), "end": date_from_now(70) }
    ]);
    example["contact"]["email"] = json!(unique_address("openapi"));
    assert!(schema("ReviewRequest").is_valid(&example));
    let created = post_api(&app, Some("doc-1"), "application/json", example.to_string()).await;
    assert_eq!(created.status(), StatusCode::ACCEPTED);
    assert!(operation["responses"]["202"].is_object());
    let body: Value = created.json().await.unwrap();
    assert!(schema("Accepted").is_valid(&body), "{body}");

    // What the schema refuses, the handler refuses; its answers are documented problems.
    let mut invalid = example.clone();
    invalid["school"]["urn"] = json!("12");
    assert!(!schema("ReviewRequest").is_valid(&invalid));
    let mut unknown = example.clone();
    unknown["extra"] = json!(1);
    assert!(!schema("ReviewRequest").is_valid(&unknown));
    let mut other_types_area = example.clone();
    other_types_area["review_type"] = json!("ta_deployment");
    other_types_area["focus_areas"] = json!(["outcomes"]);
    assert!(!schema("ReviewRequest").is_valid(&other_types_area));
    for (body, status) in [
        (invalid, StatusCode::UNPROCESSABLE_ENTITY),
        (unknown, StatusCode::BAD_REQUEST),
        (other_types_area, StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let key = ulid::Ulid::new().to_string();
        let response = post_api(&app, Some(&key), "application/json", body.to_string()).await;
        assert_eq!(response.status(), status);
        assert!(
            operation["responses"][status.as_str()].is_object(),
            "{status} is documented"
        );
        let problem: Value = response.json().await.unwrap();
        assert!(schema("Problem").is_valid(&problem), "{problem}");
    }
}

/// Found by the contract stage (Schemathesis): bodies the OpenAPI document refuses that the
/// API took, because its parse is the form's (which trims, takes labels, numbers as text, blank
/// choices and `DD/MM/YYYY` dates), or that the document allows and the API refused.
#[tokio::test]
async fn the_api_refuses_exactly_what_its_openapi_document_refuses() {
    let app = spawn().await;
    let cases = [
        ("/school/urn", json!(" 100009"), "/school/urn"),
        ("/school/phase", json!("Primary"), "/school/phase"),
        (
            "/school/local_authority_code",
            json!("202"),
            "/school/local_authority_code",
        ),
        (
            "/school/number_on_roll",
            json!("420"),
            "/school/number_on_roll",
        ),
        (
            "/school/sen_support_percent",
            json!("14.5"),
            "/school/sen_support_percent",
        ),
        (
            "/school/areas_of_need",
            json!(["cognition_and_learning", " "]),
            "/school/areas_of_need/1",
        ),
        ("/focus_areas", json!(["leadership", ""]), "/focus_areas"),
        ("/school/postcode", json!("ſW1A 1AA"), "/school/postcode"),
        (
            "/visit_windows/0/start",
            json!(date_from_now(30).replace('-', "/")),
            "/visit_windows/0/start",
        ),
    ];
    for (n, (pointer, value, field)) in cases.into_iter().enumerate() {
        let mut body = valid_json(&unique_address("contract"), "100009");
        *body.pointer_mut(pointer).unwrap() = value.clone();
        let response = post_api(
            &app,
            Some(&format!("c-{n}")),
            "application/json",
            body.to_string(),
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{pointer} = {value}"
        );
        let problem: Value = response.json().await.unwrap();
        assert_eq!(
            problem_fields(&problem),
            vec![field],
            "{pointer} = {value}: {problem}"
        );
    }
    assert!(app.items_with_prefix("REQUEST#").await.is_empty());

    // What the document allows is taken: a percentage with more decimals (rounded to one
    // place), and 420.0, which JSON Schema counts as an integer.
    let mut body = valid_json(&unique_address("contract"), "100009");
    body["school"]["sen_support_percent"] = json!(14.285_714);
    body["school"]["ehc_plan_percent"] = json!(0.30000000000000004);
    body["school"]["number_on_roll"] = json!(420.0);
    let response = post_api(&app, Some("c-ok"), "application/json", body.to_string()).await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let stored: Vec<records::request::StoredRequest> = app
        .items_with_prefix("REQUEST#")
        .await
        .into_iter()
        .filter_map(|item| serde_dynamo::from_item(item).ok())
        .collect();
    assert_eq!(stored.len(), 1);
    let school = &stored[0].request.school;
    assert_eq!(school.sen_support_percent.to_string(), "14.3%");
    assert_eq!(school.ehc_plan_percent.to_string(), "0.3%");
    assert_eq!(school.number_on_roll, 420);
}

/// Found by the contract stage: another method on the API's paths answered 404, as if the
/// resource did not exist; it is a 405 naming the method that works.
#[tokio::test]
async fn other_methods_on_the_api_get_405_with_the_allowed_method() {
    let app = spawn().await;
    for (method, path, allow) in [
        ("PUT", "/api/v1/review-requests", "POST"),
        ("GET", "/api/v1/review-requests", "POST"),
        ("DELETE", "/api/v1/review-requests", "POST"),
        ("POST", "/api/v1/openapi.json", "GET"),
    ] {
        let response = app.send(method, path).await;
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(response.headers()["allow"], allow);
        assert_eq!(response.headers()[CONTENT_TYPE], "application/problem+json");
    }
}
