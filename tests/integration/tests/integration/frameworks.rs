//! Review frameworks in the table: the built-in is version 0, an import publishes the next
//! version for new requests, a version never changes once published, a publish from an old
//! version stores nothing, and a bad file stores nothing (the admin tool against DynamoDB Local).

use ::frameworks::{self as framework, Framework, Published};
use records::domain::request::ReviewType;
use send_review_admin::{AdminError, frameworks};
use serde_json::json;
use time::OffsetDateTime;

use crate::support::spawn;

fn actor() -> records::audit::Actor {
    records::audit::Actor::new("admin tool (user test)", OffsetDateTime::now_utc())
}

/// The built-in TA framework, renamed and with its first area rewritten: a programme's edit.
fn adapted() -> Framework {
    let mut framework = Framework::built_in(ReviewType::TaDeployment);
    framework.name = "Northshire TA review".into();
    framework.areas[0].title = "TAs in our classrooms".into();
    framework.areas.pop();
    framework
}

#[tokio::test]
async fn an_imported_framework_is_the_next_version_and_earlier_versions_stay_as_they_were() {
    let app = spawn().await;
    let table = app.table_handle();

    let before = frameworks::list(&table).await.unwrap();
    assert!(before.iter().all(|current| current.version == 0));
    let built_in = frameworks::export(&table, ReviewType::TaDeployment, None)
        .await
        .unwrap();
    assert_eq!(
        Framework::from_json(&built_in).unwrap(),
        Framework::built_in(ReviewType::TaDeployment)
    );

    let said = frameworks::import(&table, &adapted().to_json(), &actor())
        .await
        .unwrap();
    assert_eq!(
        said,
        "published ta_deployment version 1: Northshire TA review (5 areas); new requests of this type get it"
    );
    let current = framework::current(&table, ReviewType::TaDeployment)
        .await
        .unwrap();
    assert_eq!((current.version, current.framework), (1, adapted()));
    // Version 0 (what a review begun before the import uses) is unchanged, and so is every
    // other review type.
    assert_eq!(
        framework::version(&table, ReviewType::TaDeployment, 0)
            .await
            .unwrap(),
        Some(Framework::built_in(ReviewType::TaDeployment))
    );
    let pfa = framework::current(&table, ReviewType::PreparingForAdulthood)
        .await
        .unwrap();
    assert_eq!(pfa.version, 0);

    // A second edit is version 2; version 1 reads back as it was published.
    let mut again = adapted();
    again.areas[1].title = "Independence first".into();
    frameworks::import(&table, &again.to_json(), &actor())
        .await
        .unwrap();
    assert_eq!(
        framework::version(&table, ReviewType::TaDeployment, 1)
            .await
            .unwrap(),
        Some(adapted())
    );
    let exported = frameworks::export(&table, ReviewType::TaDeployment, Some(2))
        .await
        .unwrap();
    assert_eq!(Framework::from_json(&exported).unwrap(), again);
    assert!(matches!(
        frameworks::export(&table, ReviewType::TaDeployment, Some(9)).await,
        Err(AdminError::NotFound(_))
    ));

    let log = records::audit::log(&table).await.unwrap();
    let published: Vec<&str> = log
        .iter()
        .filter(|entry| entry.action == "framework published")
        .map(|entry| entry.detail.as_str())
        .collect();
    assert_eq!(published.len(), 2, "{published:?}");
}

#[tokio::test]
async fn a_publish_from_an_old_version_stores_nothing_and_says_what_is_current() {
    let app = spawn().await;
    let table = app.table_handle();
    let audit = actor().entry(
        "framework published",
        records::audit::AuditSubject::Programme,
        "test",
    );
    let first = framework::publish(&table, &adapted(), 0, &audit)
        .await
        .unwrap();
    assert_eq!(first, Published::Published { version: 1 });

    // A second page, opened on version 0, publishes too late.
    let mut late = adapted();
    late.name = "Another edit".into();
    match framework::publish(&table, &late, 0, &audit).await.unwrap() {
        Published::Stale { current } => {
            assert_eq!((current.version, current.framework), (1, adapted()))
        }
        other => panic!("published over a newer version: {other:?}"),
    }
    let current = framework::current(&table, ReviewType::TaDeployment)
        .await
        .unwrap();
    assert_eq!(current.framework.name, "Northshire TA review");
    assert_eq!(
        app.items_with_prefix("FRAMEWORK#").await.len(),
        2,
        "version 1 and the pointer: nothing of the late publish"
    );
}

#[tokio::test]
async fn a_bad_file_is_refused_with_every_problem_at_its_field_and_nothing_is_stored() {
    let app = spawn().await;
    let table = app.table_handle();
    let mut file: serde_json::Value = serde_json::from_str(&adapted().to_json()).unwrap();
    file["areas"][0]["title"] = json!("");
    file["areas"][1]["prompts"]["mainstream"][0] = json!("x".repeat(301));
    file["areas"][2]["colour"] = json!("blue");
    let refused = frameworks::import(&table, &file.to_string(), &actor()).await;
    let Err(AdminError::Refused(message)) = refused else {
        panic!("accepted: {refused:?}");
    };
    assert_eq!(
        message,
        "nothing was published: /areas/0/title: Enter some text here. \
         /areas/1/prompts/mainstream/0: Use 300 characters or fewer (this has 301). \
         /areas/2/colour: \"colour\" is not a field of a framework file here. Allowed: key, \
         title, description, prompts, evidence, report_heading."
    );
    let mut no_areas = file.clone();
    no_areas["areas"] = json!([]);
    assert!(matches!(
        frameworks::import(&table, &no_areas.to_string(), &actor()).await,
        Err(AdminError::Refused(message)) if message.contains("/areas: Give from 1 to 12 focus areas.")
    ));
    assert_eq!(app.items_with_prefix("FRAMEWORK#").await.len(), 0);
    assert!(records::audit::log(&table).await.unwrap().is_empty());
}
