//! SES bounces and complaints: the mail-feedback function (as the runner builds it from the
//! template) marks the address once, tells the administrator once, and the admin tool shows it.

use aws_lambda_events::event::sns::SnsEvent;
use lambda_runtime::{Context, LambdaEvent};
use local_runner::functions::{self, Handler, SnsHandler};
use send_review_admin::requests;

use crate::support::{TestStack, spawn, unique_address};

/// A real SNS delivery of an SES configuration-set bounce event, for `address`.
fn bounce_event(address: &str) -> LambdaEvent<SnsEvent> {
    let path = local_runner::repository_root()
        .join("tests/integration/fixtures/ses-bounce-sns-event.json");
    let text = std::fs::read_to_string(path).unwrap();
    let event: SnsEvent = serde_json::from_str(&text.replace("{{address}}", address)).unwrap();
    LambdaEvent::new(event, Context::default())
}

/// The function's handler, built from its template environment as its `main.rs` builds it.
async fn feedback_handler(app: &TestStack) -> SnsHandler {
    match functions::build(
        "mail-feedback",
        app.stack.function_env("MailFeedbackFunction"),
        &app.stack.aws,
    )
    .await
    .unwrap()
    {
        Handler::Sns(handler) => handler,
        _ => panic!("mail-feedback takes SNS events"),
    }
}

#[tokio::test]
async fn a_permanent_bounce_marks_the_contact_once_tells_the_administrator_once_and_shows_in_the_admin_tool()
 {
    let app = spawn().await;
    let contact = unique_address("bounced.head");
    let reference = app
        .submit_request("100031", "Willow Primary School", &contact)
        .await;
    let handler = feedback_handler(&app).await;

    let first = handler(bounce_event(&contact.to_uppercase()))
        .await
        .unwrap();
    assert_eq!(first["marked"], 1, "{first}");
    let again = handler(bounce_event(&contact)).await.unwrap();
    assert_eq!(again["already_marked"], 1, "{again}");

    let marked = app
        .items_with_prefix(&format!("UNDELIVERABLE#{contact}"))
        .await;
    assert_eq!(marked.len(), 1);
    assert_eq!(marked[0]["events"].as_n().unwrap(), "2");
    assert_eq!(marked[0]["reason"].as_s().unwrap(), "bounce");

    let admin = app
        .stack
        .function_env("MailFeedbackFunction")
        .required("ADMIN_EMAIL")
        .unwrap();
    // Other tests' stacks write to the same administrator: count only this address's notices.
    let notices = || async {
        let mail = app.stack.mail_to(&admin).await.unwrap();
        mail.into_iter()
            .filter(|m| m.subject.contains(&contact))
            .count()
    };
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while notices().await == 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(notices().await, 1, "the administrator is told once");

    let details = requests::show(&app.table_handle(), &reference)
        .await
        .unwrap();
    let mut shown = Vec::new();
    requests::write_details(&mut shown, &details).unwrap();
    let shown = String::from_utf8(shown).unwrap();
    assert!(shown.contains("BOUNCED on"), "{shown}");
    assert_eq!(
        requests::details_json(&details)["contact"]["email_undeliverable"]["reason"],
        "bounce"
    );
}

#[tokio::test]
async fn a_message_that_is_not_a_notification_is_dropped_without_failing() {
    let app = spawn().await;
    let handler = feedback_handler(&app).await;
    let mut event = bounce_event("x@school.example");
    event.payload.records[0].sns.message = "{\"hello\": 1}".into();
    let outcome = handler(event).await.unwrap();
    assert_eq!(outcome["ignored"], 1);
}
