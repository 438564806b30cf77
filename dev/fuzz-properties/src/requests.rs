//! The request form (`POST /request`) and the JSON API (`POST /api/v1/review-requests`): any
//! body is either a valid request or a clear 4xx that echoes no markup, never a panic or a 5xx.

use lambda_http::http::header::CONTENT_TYPE;
use lambda_http::{Body, Request};
use records::branding::Branding;
use records::programme::ProgrammeSettings;

use crate::{TODAY, fields};

fn post(path: &str, headers: &[(&str, &str)], body: &[u8]) -> Request {
    let mut request = lambda_http::http::Request::builder()
        .method("POST")
        .uri(path);
    for (name, value) in headers {
        // A header value a client cannot send is left out, as API Gateway would refuse it.
        if lambda_http::http::HeaderValue::from_str(value).is_ok() {
            request = request.header(*name, *value);
        }
    }
    request
        .body(Body::Binary(body.to_vec()))
        .expect("a valid request")
}

fn body_text(body: &Body) -> String {
    String::from_utf8_lossy(web::http::body_bytes(body)).into_owned()
}

/// A posted form body: the product's pages echo its values (escaped) when they refuse it.
pub fn request_form(body: &[u8]) {
    let branding = Branding::from(&ProgrammeSettings::demo());
    let form = "application/x-www-form-urlencoded";
    let request = post("/request", &[("content-type", form)], body);
    let Err(page) = school_pages::read_request_form(
        &branding,
        &request,
        TODAY,
        &frameworks::built_in_catalogue(),
    ) else {
        return;
    };
    let status = page.status();
    assert!(
        status.is_client_error(),
        "the request form answered {status}"
    );
    assert!(
        page.headers()
            .get(CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"text/html")),
        "the request form's refusal is not a page"
    );
    let html = body_text(page.body());
    assert!(html.contains("</html>"), "the refusal page is incomplete");
    // No value comes back as markup: a value that opens a tag the empty form's page does not
    // have must not appear verbatim.
    let pairs: Vec<(String, String)> = serde_html_form::from_bytes(body).unwrap_or_default();
    let baseline = empty_form_page(&branding);
    for (_, value) in pairs {
        let opens_a_tag = value
            .as_bytes()
            .windows(2)
            .any(|w| w[0] == b'<' && w[1].is_ascii_alphabetic());
        if opens_a_tag && !baseline.contains(&value) {
            assert!(
                !html.contains(&value),
                "the refusal page echoes {value:?} unescaped"
            );
        }
    }
}

/// The page the form answers with when nothing is filled in (the markup every refusal has).
fn empty_form_page(branding: &Branding) -> String {
    let request = post(
        "/request",
        &[("content-type", "application/x-www-form-urlencoded")],
        b"submission_token=AAAAAAAAAAAAAAAAAAAAAA&website=",
    );
    match school_pages::read_request_form(
        branding,
        &request,
        TODAY,
        &frameworks::built_in_catalogue(),
    ) {
        Err(page) => body_text(page.body()),
        Ok(_) => panic!("an empty form was accepted"),
    }
}

/// NUL-separated: the Content-Type, the Idempotency-Key, then the body.
pub fn api_request(data: &[u8]) {
    let [content_type, key, body] = <[String; 3]>::try_from(fields(data, 3)).expect("3 fields");
    let headers = [
        ("content-type", content_type.as_str()),
        ("idempotency-key", key.as_str()),
    ];
    let request = post("/api/v1/review-requests", &headers, body.as_bytes());
    let Err(problem) =
        review_requests_api::parse(&request, TODAY, &frameworks::built_in_catalogue())
    else {
        return;
    };
    let status = problem.status;
    assert!(
        [400, 413, 415, 422].contains(&status),
        "the API answered {status}"
    );
    if status == 422 {
        assert!(!problem.errors.is_empty(), "a 422 lists no field");
    }
    for error in &problem.errors {
        assert!(
            !error.field.is_empty() && !error.message.is_empty(),
            "a field problem without its field or message: {error:?}"
        );
    }
    let response = problem.into_response();
    assert_eq!(response.status().as_u16(), status);
    let document: serde_json::Value =
        serde_json::from_slice(web::http::body_bytes(response.body()))
            .expect("a problem document is JSON");
    assert_eq!(document["status"], status, "the document's status");
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The valid request form of the seeds, as pairs.
    fn valid_form() -> Vec<(String, String)> {
        let seed = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fuzz/seeds/request_form/valid.txt"
        ))
        .expect("the seed");
        serde_html_form::from_bytes(&seed).expect("a form")
    }

    fn encode(pairs: &[(String, String)]) -> Vec<u8> {
        serde_html_form::to_string(pairs)
            .expect("encodes")
            .into_bytes()
    }

    #[test]
    fn the_seed_form_is_valid_so_the_proptests_reach_the_whole_parser() {
        let request = post(
            "/request",
            &[("content-type", "application/x-www-form-urlencoded")],
            &encode(&valid_form()),
        );
        let branding = Branding::from(&ProgrammeSettings::demo());
        assert!(
            school_pages::read_request_form(
                &branding,
                &request,
                TODAY,
                &frameworks::built_in_catalogue()
            )
            .is_ok()
        );
    }

    #[test]
    fn markup_in_a_refused_form_comes_back_escaped() {
        let mut form = valid_form();
        form.retain(|(k, _)| k != "privacy_notice_accepted");
        for (key, value) in &mut form {
            if key == "school_name" {
                *value = "<script>alert(1)</script>".into();
            }
        }
        let request = post(
            "/request",
            &[("content-type", "application/x-www-form-urlencoded")],
            &encode(&form),
        );
        let branding = Branding::from(&ProgrammeSettings::demo());
        let page = school_pages::read_request_form(
            &branding,
            &request,
            TODAY,
            &frameworks::built_in_catalogue(),
        )
        .unwrap_err();
        let html = body_text(page.body());
        assert_eq!(page.status(), 422);
        assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
        assert!(!html.contains("<script>alert(1)"));
        request_form(&encode(&form));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_form_body_is_a_request_or_a_clear_refusal(body in any::<Vec<u8>>()) {
            request_form(&body);
        }

        #[test]
        fn a_valid_form_with_one_field_changed_is_a_request_or_a_clear_refusal(
            field in 0usize..30, value in any::<String>(), extra in any::<(String, String)>()
        ) {
            let mut form = valid_form();
            let at = field % form.len();
            form[at].1 = value;
            form.push(extra);
            request_form(&encode(&form));
        }

        #[test]
        fn any_api_body_is_a_request_or_a_problem(
            key in "[ -~]{0,40}", body in any::<String>()
        ) {
            api_request(format!("application/json\0{key}\0{body}").as_bytes());
        }

        #[test]
        fn a_valid_api_body_with_one_value_changed_is_a_request_or_a_problem(
            path in 0usize..40, value in any::<String>()
        ) {
            let seed = std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../fuzz/seeds/api_request/valid.txt"
            ))
            .expect("the seed");
            let [content_type, key, body] =
                <[String; 3]>::try_from(fields(seed.as_bytes(), 3)).expect("3 fields");
            let mut json: serde_json::Value = serde_json::from_str(&body).expect("JSON");
            let mut leaves = Vec::new();
            collect_leaves(&mut json, &mut leaves);
            let at = path % leaves.len();
            *leaves[at] = serde_json::Value::String(value);
            api_request(format!("{content_type}\0{key}\0{json}").as_bytes());
        }
    }

    fn collect_leaves<'a>(
        value: &'a mut serde_json::Value,
        out: &mut Vec<&'a mut serde_json::Value>,
    ) {
        match value {
            serde_json::Value::Object(map) => map.values_mut().for_each(|v| collect_leaves(v, out)),
            serde_json::Value::Array(items) => {
                items.iter_mut().for_each(|v| collect_leaves(v, out))
            }
            leaf => out.push(leaf),
        }
    }
}
