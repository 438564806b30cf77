//! The local runner serves what the template declares, and only that.

use local_runner::template::{EventSpec, Template};
use reqwest::StatusCode;

use crate::support::{self, Answered, spawn, spawn_with};

#[tokio::test]
async fn every_http_route_of_the_template_is_served_by_its_function() {
    let app = spawn().await;
    let template = Template::load(&support::template_path()).unwrap();
    let mut declared = Vec::new();
    for function in template.functions().unwrap() {
        for event in function.events {
            if let EventSpec::Http { method, path } = event {
                declared.push((format!("{method} {path}"), function.logical_id.clone()));
            }
        }
    }
    let mut served: Vec<_> = app
        .stack
        .routes
        .iter()
        .map(|r| (r.route_key(), r.function.clone()))
        .collect();
    declared.sort();
    served.sort();
    assert!(!declared.is_empty());
    assert_eq!(served, declared);
}

#[tokio::test]
async fn health_says_only_whether_the_services_answer() {
    let app = spawn().await;
    let response = app.open(app.url("/health")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    // No versions, services or errors for the public: a prober learns only up or down.
    assert_eq!(body, serde_json::json!({ "status": "ok" }));
}

#[tokio::test]
async fn paths_and_methods_the_template_does_not_declare_get_api_gateways_404() {
    let app = spawn().await;
    for (method, path) in [
        ("GET", "/no-such-page"),
        ("POST", "/health"),
        ("GET", "/health/extra"),
    ] {
        let response = app.send(method, path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(response.text().await.unwrap(), r#"{"message":"Not Found"}"#);
    }
}

#[tokio::test]
async fn a_route_added_to_the_template_is_served_without_any_router_change() {
    let original = std::fs::read_to_string(support::template_path()).unwrap();
    let extra_route = "        Health:\n          Type: HttpApi\n          Properties:\n            ApiId: !Ref HttpApi\n            Path: /health\n            Method: GET\n";
    assert!(
        original.contains(extra_route),
        "the template's health route moved; update this test"
    );
    let with_new_route = original.replace(
        extra_route,
        &format!(
            "{extra_route}        Ping:\n          Type: HttpApi\n          Properties:\n            ApiId: !Ref HttpApi\n            Path: /ping/{{name}}\n            Method: GET\n"
        ),
    );
    let dir = std::env::temp_dir().join(format!("send-review-template-{}", ulid::Ulid::new()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("template.yaml");
    std::fs::write(&path, with_new_route).unwrap();

    let app = spawn_with(|config| config.template = path.clone()).await;
    let response = app.open(app.url("/ping/anything")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn scheduled_functions_can_be_fired_on_demand_over_http() {
    let app = spawn().await;
    let response = app
        .send("POST", "/_dev/schedules/ScheduledTasksFunction")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["outbox"]["stalled"], 0);

    let unknown = app.send("POST", "/_dev/schedules/NoSuchFunction").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[test]
fn every_function_crate_has_exactly_one_template_resource_and_the_reverse() {
    let template = Template::load(&support::template_path()).unwrap();
    let mut in_template: Vec<String> = template
        .functions()
        .unwrap()
        .into_iter()
        .map(|f| f.binary)
        .collect();
    in_template.sort();
    let mut crates: Vec<String> =
        std::fs::read_dir(local_runner::repository_root().join("functions"))
            .unwrap()
            .map(|entry| entry.unwrap())
            .filter(|entry| entry.path().join("Cargo.toml").is_file())
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
    crates.sort();
    assert_eq!(
        in_template, crates,
        "functions/ and infra/template.yaml disagree"
    );
}

#[tokio::test]
async fn the_dev_page_runs_schedules_and_demo_shortcuts_from_forms() {
    let app = spawn().await;
    let page = app.text_at(app.url("/_dev")).await;
    for form in [
        r#"<form method="post" action="/_dev/schedules/ScheduledTasksFunction">"#,
        r#"<form method="post" action="/_dev/demo/visit-date">"#,
        r#"<form method="post" action="/_dev/demo/final-report">"#,
    ] {
        assert!(page.contains(form), "{form} is missing");
    }

    // A schedule run from its button answers with a page.
    let ran = app
        .post_pairs(
            &app.url("/_dev/schedules/ScheduledTasksFunction"),
            &[("from", "page")],
        )
        .await;
    ran.says(StatusCode::OK, "<h1>Done</h1>").await;

    // A booked visit moved to today from the form; an unknown reference does nothing.
    let ada = app.ada_joins().await;
    let school = support::unique_address("school");
    let booked = app
        .book((&school, "100101", "Alder Primary"), &ada, 0)
        .await;
    let reference = booked.school.reference.as_str();
    let today = time::OffsetDateTime::now_utc().date().to_string();
    let moved = app
        .post_pairs(
            &app.url("/_dev/demo/visit-date"),
            &[
                ("reference", format!(" {reference} ").as_str()),
                ("date", &today),
            ],
        )
        .await;
    moved.says(StatusCode::OK, &today).await;
    let stored = app.stored_request(&booked.school.request_id).await;
    assert_eq!(stored.lead.unwrap().visit_date.to_string(), today);
    let unknown = app
        .post_pairs(
            &app.url("/_dev/demo/final-report"),
            &[("reference", "SR-0000-00")],
        )
        .await;
    unknown
        .says(StatusCode::BAD_REQUEST, "<h1>Nothing done</h1>")
        .await;
}

#[tokio::test]
async fn the_mail_page_keeps_one_address_mail_when_asked() {
    let app = spawn().await;
    let (ada, bea) = (
        support::unique_address("ada"),
        support::unique_address("bea"),
    );
    app.submit(&ada, "100111").await;
    app.wait_for_mail(&ada, 1).await;
    app.submit(&bea, "100112").await;
    // Read after the first message was: the second is found by a later read all the same.
    app.wait_for_mail(&bea, 1).await;

    let to = |address: &str| format!("/_dev/mail.json?to={}", address.to_uppercase());
    let only_ada: serde_json::Value = app.open(app.url(&to(&ada))).await.json().await.unwrap();
    let only_ada = only_ada.as_array().unwrap();
    assert_eq!(only_ada.len(), 1, "{only_ada:?}");
    assert_eq!(only_ada[0]["to"], serde_json::json!([ada]));

    let everyone: serde_json::Value = app
        .open(app.url("/_dev/mail.json"))
        .await
        .json()
        .await
        .unwrap();
    let everyone = everyone.as_array().unwrap();
    for address in [&ada, &bea] {
        assert!(
            everyone
                .iter()
                .any(|m| m["to"] == serde_json::json!([address]))
        );
    }
}
