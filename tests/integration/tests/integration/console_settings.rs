//! The console's settings page against moto's Cognito and DynamoDB Local: every setting with its
//! meaning and default; a save stores all the values or none (a bad value in any field stores
//! nothing and says which), as one audited version; a save from an old page stores nothing and
//! shows both versions; a viewer reads and cannot save. The page says what is deployed.

use records::programme::{self, ProgrammeSettings, SettingKey};

use crate::support::{StaffBrowser, between, csrf_in, location, spawn, unescape};

/// The form a browser sends: every setting as in `settings`, based on `version`.
fn settings_form(csrf: &str, version: u64, settings: &ProgrammeSettings) -> Vec<(String, String)> {
    let mut form = vec![
        ("csrf".to_owned(), csrf.to_owned()),
        ("version".to_owned(), version.to_string()),
    ];
    form.extend(
        SettingKey::ALL
            .iter()
            .map(|key| (key.as_str().to_owned(), key.value_text(settings))),
    );
    form
}

async fn post_settings(
    browser: &mut StaffBrowser<'_>,
    form: &[(String, String)],
) -> reqwest::Response {
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    browser.post("/console/settings", &pairs).await
}

fn with(form: &[(String, String)], key: SettingKey, value: &str) -> Vec<(String, String)> {
    form.iter()
        .map(|(k, v)| {
            if k == key.as_str() {
                (k.clone(), value.to_owned())
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect()
}

fn programme() -> ProgrammeSettings {
    ProgrammeSettings::new("Eastshire SEND Review", "send-review@eastshire.example")
}

#[tokio::test]
async fn the_page_shows_every_setting_and_a_good_save_is_one_audited_version() {
    let app = spawn().await;
    let (mut browser, email) = app.staff_signs_in("coordinator").await;
    let page = browser.get("/console/settings").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    for key in SettingKey::ALL {
        assert!(html.contains(&format!("id=\"{key}\"")), "{key} in {html}");
        assert!(
            unescape(&html).contains(key.explanation()),
            "{key}'s explanation"
        );
    }
    assert!(
        html.contains("Default: 5."),
        "offer expiry's default: {html}"
    );
    assert!(html.contains("name=\"version\" value=\"0\""), "{html}");

    let mut wanted = programme();
    wanted.local_authority_conflict_rule = false;
    wanted.offer_expiry_days = 7;
    let csrf = csrf_in(&html);
    let response = post_settings(&mut browser, &settings_form(&csrf, 0, &wanted)).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/console/settings?saved=1");
    let stored = programme::get_versioned(&app.table_handle())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((stored.version, &stored.settings), (1, &wanted));
    let log = records::audit::about(
        &app.table_handle(),
        &records::audit::AuditSubject::Programme,
    )
    .await
    .unwrap();
    let entry = log
        .iter()
        .find(|e| e.action == "settings changed")
        .expect("the save's audit entry");
    assert_eq!(entry.actor, email);
    assert!(
        entry
            .detail
            .contains("local_authority_conflict_rule: \"on\" → \"off\""),
        "{}",
        entry.detail
    );
    let html = browser
        .get("/console/settings?saved=1")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Saved as version 1."), "{html}");
    assert!(html.contains("name=\"version\" value=\"1\""), "{html}");
}

#[tokio::test]
async fn a_bad_value_in_any_field_stores_nothing_and_says_which() {
    let app = spawn().await;
    let table = app.table_handle();
    let (mut browser, _) = app.staff_signs_in("coordinator").await;
    let csrf = browser.csrf("/console/settings").await;
    let good = settings_form(&csrf, 0, &programme());
    let bad_values = [
        (SettingKey::Name, "", "enter the programme's name"),
        (SettingKey::ContactEmail, "nobody", "enter an email address"),
        (
            SettingKey::PrimaryColour,
            "#ffdd00",
            "too light for white text",
        ),
        (
            SettingKey::LogoUrl,
            "http://x.example/l.png",
            "starting https://",
        ),
        (
            SettingKey::PrivacyNoticeUrl,
            "javascript:alert(1)",
            "starting https://",
        ),
        (
            SettingKey::LocalAuthorityConflictRule,
            "maybe",
            "must be on or off",
        ),
        (SettingKey::RecentReviewYears, "11", "from 0 to 10"),
        (SettingKey::OfferExpiryDays, "0", "from 1 to 30"),
        (
            SettingKey::SecondReviewerForTypes,
            "big",
            "is not a review type",
        ),
        (SettingKey::GradingScale, "Leading", "at least two grades"),
        (SettingKey::ReportDueWorkingDays, "61", "from 1 to 60"),
        (SettingKey::RetentionMonths, "twelve", "from 1 to 120"),
        (SettingKey::MaxUploadMb, "101", "from 1 to 100"),
        (
            SettingKey::HoldConfirmedRequests,
            "maybe",
            "must be on or off",
        ),
        (SettingKey::MaxFilesPerRequest, "0", "from 1 to 200"),
        (SettingKey::UploadsPerHour, "many", "from 1 to 100"),
    ];
    assert_eq!(bad_values.len(), SettingKey::ALL.len(), "every setting");
    for (key, value, reason) in bad_values {
        let response = post_settings(&mut browser, &with(&good, key, value)).await;
        assert_eq!(response.status(), 422, "{key} {value:?}");
        let html = response.text().await.unwrap();
        let error = between(&html, &format!("id=\"{key}-error\">"), "</p>");
        assert!(unescape(error).contains(reason), "{key}: {error} in {html}");
        assert_eq!(
            html.matches("class=\"error-message\"").count(),
            1,
            "only {key} is refused"
        );
        assert!(html.contains(&format!("href=\"#{key}\"")), "{html}");
        assert_eq!(
            programme::get_versioned(&table).await.unwrap(),
            None,
            "{key} {value:?} stored something"
        );
    }
}

#[tokio::test]
async fn a_save_from_an_old_page_stores_nothing_and_shows_both_versions() {
    let app = spawn().await;
    let table = app.table_handle();
    let (mut first, _) = app.staff_signs_in("coordinator").await;
    let (mut second, _) = app.staff_signs_in("coordinator").await;
    let first_csrf = first.csrf("/console/settings").await;
    let second_csrf = second.csrf("/console/settings").await;

    // Both opened the page at version 0; the second saves first.
    let mut theirs = programme();
    theirs.offer_expiry_days = 10;
    let response = post_settings(&mut second, &settings_form(&second_csrf, 0, &theirs)).await;
    assert_eq!(response.status(), 303);

    let mut mine = programme();
    mine.local_authority_conflict_rule = false;
    let response = post_settings(&mut first, &settings_form(&first_csrf, 0, &mine)).await;
    assert_eq!(response.status(), 409);
    let html = response.text().await.unwrap();
    assert!(html.contains("nothing was saved"), "{html}");
    let differences = between(&html, "<tbody>", "</tbody>");
    assert!(
        differences.contains(
            "<th scope=\"row\">Local authority conflict rule</th><td>off</td><td>on</td>"
        ),
        "{differences}"
    );
    assert!(
        differences.contains("<th scope=\"row\">Offer expiry</th><td>5</td><td>10</td>"),
        "{differences}"
    );
    assert_eq!(
        differences.matches("<tr>").count(),
        2,
        "only the settings that differ"
    );
    let stored = programme::get_versioned(&table).await.unwrap().unwrap();
    assert_eq!((stored.version, &stored.settings), (1, &theirs));
    // The form keeps the edit, now over version 1: saving again is a deliberate choice.
    assert!(html.contains("name=\"version\" value=\"1\""), "{html}");
    let response = post_settings(&mut first, &settings_form(&first_csrf, 1, &mine)).await;
    assert_eq!(response.status(), 303);
    let stored = programme::get_versioned(&table).await.unwrap().unwrap();
    assert_eq!((stored.version, &stored.settings), (2, &mine));
}

#[tokio::test]
async fn a_viewer_reads_the_settings_and_cannot_save_them() {
    let app = spawn().await;
    let table = app.table_handle();
    programme::put(&table, &programme()).await.unwrap();
    let (mut viewer, _) = app.staff_signs_in("viewer").await;
    let page = viewer.get("/console/settings").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("id=\"value-name\">Eastshire SEND Review<"),
        "{html}"
    );
    assert!(!html.contains("Save settings"), "{html}");
    assert!(!html.contains("<input class=\"input\""), "{html}");
    // What is deployed, which the public health check no longer says (issue 16, item 12).
    let versions = between(&html, "<table class=\"table\" id=\"versions\">", "</table>");
    let build = format!(
        "send-review</th><td>–</td><td>{}<",
        records::aws::BUILD_VERSION
    );
    assert!(versions.contains(&build), "{versions}");
    for service in records::aws::SERVICE_VERSIONS {
        let row = format!(
            "<td>{}</td><td>{}</td>",
            service.api_version, service.sdk_version
        );
        assert!(versions.contains(&row), "{} in {versions}", service.service);
    }
    let health = app.open(app.url("/health")).await.text().await.unwrap();
    assert!(!health.contains(records::aws::BUILD_VERSION) && !health.contains("2012-08-10"));

    // The viewer's page has no form: the token comes from another page of the session.
    let csrf = viewer.csrf("/console").await;
    let mut changed = programme();
    changed.local_authority_conflict_rule = false;
    let response = post_settings(&mut viewer, &settings_form(&csrf, 0, &changed)).await;
    assert_eq!(response.status(), 403);
    let stored = programme::get_versioned(&table).await.unwrap().unwrap();
    assert_eq!((stored.version, &stored.settings), (0, &programme()));
}
