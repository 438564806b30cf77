//! The console's framework editor against moto's Cognito and DynamoDB Local: a coordinator
//! opens a review type's framework, previews an edit (nothing stored), publishes it as the next
//! version with its audit entry; bad input gets a problem at its field and stores nothing; a
//! publish from an old page stores nothing; a viewer reads and cannot publish.

use ::frameworks::Framework;
use records::domain::request::ReviewType;

use crate::support::{StaffBrowser, TestStack, csrf_in, location, spawn, unescape};

const PAGE: &str = "/console/frameworks/ta_deployment";

/// The editor's form as a browser sends it when opened on `framework` (version `version`),
/// changed by `edit` (field, value) pairs, with `decision`.
fn editor_form(
    csrf: &str,
    version: u64,
    framework: &Framework,
    edit: &[(&str, &str)],
    decision: &str,
) -> Vec<(String, String)> {
    let mut form = vec![
        ("csrf".to_owned(), csrf.to_owned()),
        ("version".to_owned(), version.to_string()),
        ("decision".to_owned(), decision.to_owned()),
        ("name".to_owned(), framework.name.clone()),
    ];
    for (i, area) in framework.areas.iter().enumerate() {
        let field = |part: &str| format!("area-{i}-{part}");
        form.extend([
            (field("title"), area.title.clone()),
            (field("description"), area.description.clone()),
            (field("heading"), area.report_heading.clone()),
            (field("mainstream"), area.prompts.mainstream.join("\r\n")),
            (field("specialist"), area.prompts.specialist.join("\r\n")),
            (field("evidence"), area.evidence.join("\r\n")),
        ]);
    }
    form.push((
        format!("area-{}-title", framework.areas.len()),
        String::new(),
    ));
    for (name, value) in edit {
        form.retain(|(field, _)| field != name);
        form.push(((*name).to_owned(), (*value).to_owned()));
    }
    form
}

async fn post(browser: &mut StaffBrowser<'_>, form: &[(String, String)]) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    browser.post(PAGE, &pairs).await
}

async fn current(app: &TestStack) -> ::frameworks::Versioned {
    ::frameworks::current(&app.table_handle(), ReviewType::TaDeployment)
        .await
        .unwrap()
}

async fn published_entries(app: &TestStack) -> usize {
    records::audit::log(&app.table_handle())
        .await
        .unwrap()
        .iter()
        .filter(|entry| entry.action == "framework published")
        .count()
}

#[tokio::test]
async fn a_coordinator_previews_then_publishes_a_framework_and_bad_input_stores_nothing() {
    let app = spawn().await;
    let (mut browser, _) = app.staff_signs_in("coordinator").await;
    let list = browser.get("/console/frameworks").await;
    assert_eq!(list.status(), 200);
    let list = list.text().await.unwrap();
    for review_type in ReviewType::ALL {
        assert!(list.contains(&format!(
            r#"href="/console/frameworks/{}""#,
            review_type.as_str()
        )));
    }
    assert!(list.contains(r#"<td id="version-ta_deployment">Built in</td>"#));

    let built_in = Framework::built_in(ReviewType::TaDeployment);
    let html = browser.get(PAGE).await.text().await.unwrap();
    let csrf = csrf_in(&html);
    assert!(unescape(&html).contains(&built_in.areas[0].prompts.mainstream[0]));
    let form =
        |edit: &[(&str, &str)], decision: &str| editor_form(&csrf, 0, &built_in, edit, decision);

    // Bad input: each problem at its field, and nothing stored.
    let long = "x".repeat(301);
    let refused = post(
        &mut browser,
        &form(
            &[
                ("area-0-title", " "),
                ("area-2-mainstream", &long),
                ("name", ""),
            ],
            "publish",
        ),
    )
    .await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("There is a problem: nothing was published"));
    assert!(
        html.contains(r##"<a href="#area-0-title">Area 1, title: Enter some text here.</a>"##),
        "{html}"
    );
    assert!(html.contains(r##"href="#area-2-mainstream">Area 3, prompts for mainstream settings: Use 300 characters or fewer (this has 301).</a>"##));
    assert!(html.contains(r##"<a href="#name">Name: Enter some text here.</a>"##));
    assert!(html.contains(&long), "what was typed is kept");
    let every_area_removed: Vec<(String, String)> = (0..built_in.areas.len())
        .map(|i| (format!("area-{i}-remove"), "yes".to_owned()))
        .collect();
    let mut none = form(&[], "publish");
    none.extend(every_area_removed);
    let refused = post(&mut browser, &none).await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Give from 1 to 12 focus areas.")
    );
    let new_key = format!("area-{}-key", built_in.areas.len());
    let new_title = format!("area-{}-title", built_in.areas.len());
    let refused = post(
        &mut browser,
        &form(
            &[(&new_title, "Pupils' voice"), (&new_key, "Not A Key")],
            "publish",
        ),
    )
    .await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains(&format!(r##"href="#{new_key}""##))
    );
    assert_eq!(current(&app).await.version, 0);
    assert_eq!(published_entries(&app).await, 0);

    // A preview shows the school's prompts and the report's headings, and stores nothing.
    let new_prompts = format!("area-{}-mainstream", built_in.areas.len());
    let new_specialist = format!("area-{}-specialist", built_in.areas.len());
    let edit = [
        ("area-0-title", "TAs in our lessons"),
        ("area-0-heading", "TAs in our lessons"),
        ("area-1-remove", "yes"),
        (new_title.as_str(), "Pupils' voice on support"),
        (
            new_prompts.as_str(),
            "What do pupils say about the help they get?",
        ),
        (
            new_specialist.as_str(),
            "How do pupils tell you about the help they get?",
        ),
    ];
    let preview = post(&mut browser, &form(&edit, "preview")).await;
    assert_eq!(preview.status(), 200);
    let html = unescape(&preview.text().await.unwrap());
    assert!(html.contains("Preview: nothing is published yet"));
    assert!(html.contains("What do pupils say about the help they get?"));
    let headings = crate::support::between(&html, r#"<ol id="preview-headings">"#, "</ol>");
    assert!(
        headings.starts_with("<li>TAs in our lessons</li>"),
        "{headings}"
    );
    assert!(
        headings.contains("<li>Pupils' voice on support</li>"),
        "{headings}"
    );
    assert!(!headings.contains(&built_in.areas[1].report_heading));
    assert_eq!(current(&app).await.version, 0);

    // Publishing stores the next version, with its audit entry.
    let published = post(&mut browser, &form(&edit, "publish")).await;
    assert_eq!(published.status(), 303);
    assert_eq!(location(&published), format!("{PAGE}?published=1"));
    let now = current(&app).await;
    assert_eq!(now.version, 1);
    assert_eq!(now.framework.areas.len(), built_in.areas.len());
    assert_eq!(
        now.framework.areas[0].key, built_in.areas[0].key,
        "a published key stays"
    );
    assert_eq!(now.framework.areas[0].title, "TAs in our lessons");
    assert_eq!(
        now.framework.areas.last().unwrap().key.as_str(),
        "pupils_voice_on_support"
    );
    assert_eq!(published_entries(&app).await, 1);
    let page = browser
        .get(&format!("{PAGE}?published=1"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Published as version 1."));

    // The same page sent again (based on version 0) stores nothing and says so.
    let stale = post(&mut browser, &form(&[("name", "Another edit")], "publish")).await;
    assert_eq!(stale.status(), 409);
    assert!(
        stale
            .text()
            .await
            .unwrap()
            .contains("Someone published this framework after you opened this page")
    );
    assert_eq!(current(&app).await.version, 1);
    assert_eq!(published_entries(&app).await, 1);
}

#[tokio::test]
async fn a_viewer_reads_a_framework_and_cannot_publish() {
    let app = spawn().await;
    let (mut viewer, _) = app.staff_signs_in("viewer").await;
    let page = viewer.get(PAGE).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Only a coordinator can change it."));
    assert!(!html.contains("Publish as version"));
    let built_in = Framework::built_in(ReviewType::TaDeployment);
    let csrf = viewer.csrf("/console").await;
    let refused = post(
        &mut viewer,
        &editor_form(&csrf, 0, &built_in, &[("name", "Mine")], "publish"),
    )
    .await;
    assert_eq!(refused.status(), 403);
    assert_eq!(current(&app).await.version, 0);
}
