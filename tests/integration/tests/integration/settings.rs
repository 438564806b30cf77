//! The programme's settings against DynamoDB Local: saved as versions through the catalogue,
//! each save audited in the same transaction, a save from an old version storing nothing, and
//! bad values refused with nothing stored (`send-review-admin settings`).

use records::audit::{self, Actor, AuditEntry, AuditSubject};
use records::programme::{self, SettingKey, SettingsSaved};
use send_review_admin::{AdminError, settings};
use time::OffsetDateTime;

use crate::helpers::spawn;

fn pairs(words: &[&str]) -> Vec<(String, String)> {
    settings::pairs(&words.iter().map(|w| w.to_string()).collect::<Vec<_>>()).unwrap()
}

fn entry(detail: &str) -> AuditEntry {
    AuditEntry {
        at: OffsetDateTime::now_utc(),
        actor: "coordinator@la.example".into(),
        action: "settings changed".into(),
        subject: AuditSubject::Programme,
        detail: detail.into(),
    }
}

#[tokio::test]
async fn settings_are_saved_as_audited_versions_and_bad_values_store_nothing() {
    let app = spawn().await;
    let table = app.table_handle();
    let actor = Actor::new("admin tool (user ci)", OffsetDateTime::now_utc());

    // Nothing saved yet: a first save must name the programme and its address.
    let refused = settings::set(&table, &pairs(&["offer_expiry_days", "7"]), &actor)
        .await
        .unwrap_err();
    assert!(
        matches!(&refused, AdminError::Refused(m) if m.contains("give name and contact_email in the same command")),
        "{refused}"
    );
    assert_eq!(programme::get_versioned(&table).await.unwrap(), None);
    assert!(audit::log(&table).await.unwrap().is_empty());

    let saved = settings::set(
        &table,
        &pairs(&[
            "name",
            "Eastshire SEND Review",
            "contact_email",
            "send@eastshire.example",
            "local_authority_conflict_rule",
            "off",
        ]),
        &actor,
    )
    .await
    .unwrap();
    assert!(saved.starts_with("saved settings version 1: "), "{saved}");
    let stored = programme::get_versioned(&table).await.unwrap().unwrap();
    assert_eq!(stored.version, 1);
    assert_eq!(stored.settings.name, "Eastshire SEND Review");
    assert!(!stored.settings.local_authority_conflict_rule);
    assert_eq!(stored.settings.offer_expiry_days, 5, "the rest at defaults");
    // The functions read the same item.
    assert_eq!(
        programme::get(&table).await.unwrap(),
        Some(stored.settings.clone())
    );

    // One bad value among good ones: nothing of the command is stored, every problem is said.
    let refused = settings::set(
        &table,
        &pairs(&[
            "offer_expiry_days",
            "7",
            "primary_colour",
            "#ffdd00",
            "colour",
            "#000000",
        ]),
        &actor,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(refused.starts_with("nothing was saved: primary_colour: #ffdd00 is too light"));
    assert!(refused.contains("\"colour\" is not a setting"), "{refused}");
    assert_eq!(
        programme::get_versioned(&table).await.unwrap().unwrap(),
        stored
    );

    // The same value again changes nothing and writes no version or audit entry.
    let unchanged = settings::set(
        &table,
        &pairs(&["local_authority_conflict_rule", "no"]),
        &actor,
    )
    .await
    .unwrap();
    assert_eq!(unchanged, "nothing changed: the settings already say that");

    let saved = settings::set(&table, &pairs(&["offer_expiry_days", "7"]), &actor)
        .await
        .unwrap();
    assert_eq!(
        saved,
        "saved settings version 2: offer_expiry_days: \"5\" → \"7\""
    );

    // The log holds one entry per saved version, in the programme's partition too.
    let log = audit::log(&table).await.unwrap();
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[1].actor, actor.who);
    assert_eq!(log[1].action, "settings changed");
    assert_eq!(log[1].detail, "offer_expiry_days: \"5\" → \"7\"");
    assert!(
        log[0]
            .detail
            .contains("local_authority_conflict_rule: \"on\" → \"off\"")
    );
    assert_eq!(
        audit::about(&table, &AuditSubject::Programme)
            .await
            .unwrap(),
        log
    );

    let json = settings::to_json(programme::get_versioned(&table).await.unwrap().as_ref());
    assert_eq!(json["version"], 2);
    let expiry = json["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == SettingKey::OfferExpiryDays.as_str())
        .unwrap();
    assert_eq!(expiry["value"], "7");
    assert_eq!(expiry["default"], "5");
}

#[tokio::test]
async fn two_saves_from_the_same_version_store_only_the_first() {
    let app = spawn().await;
    let table = app.table_handle();
    let mut first = programme::ProgrammeSettings::new("Westshire", "send@westshire.example");
    let saved = programme::save(&table, &first, 0, &entry("created"))
        .await
        .unwrap();
    assert_eq!(saved, SettingsSaved::Saved { version: 1 });

    // Two pages opened at version 1; both change something.
    first.offer_expiry_days = 3;
    let mut second = first.clone();
    second.offer_expiry_days = 9;
    assert_eq!(
        programme::save(&table, &first, 1, &entry("expiry 3"))
            .await
            .unwrap(),
        SettingsSaved::Saved { version: 2 }
    );
    let SettingsSaved::Stale { current } = programme::save(&table, &second, 1, &entry("expiry 9"))
        .await
        .unwrap()
    else {
        panic!("a save from an old version was stored");
    };
    assert_eq!(current.version, 2);
    assert_eq!(
        current.settings.offer_expiry_days, 3,
        "the first save stands"
    );
    let stored = programme::get_versioned(&table).await.unwrap().unwrap();
    assert_eq!(stored, *current);
    let details: Vec<String> = audit::log(&table)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.detail)
        .collect();
    assert_eq!(
        details,
        ["created", "expiry 3"],
        "the refused save left no entry"
    );

    // Settings saved before versions (the demo seeding's put) read as version 0 and can be
    // saved over from it, once.
    programme::put(&table, &programme::ProgrammeSettings::demo())
        .await
        .unwrap();
    assert_eq!(
        programme::get_versioned(&table)
            .await
            .unwrap()
            .unwrap()
            .version,
        0
    );
    assert_eq!(
        programme::save(&table, &first, 0, &entry("over the seed"))
            .await
            .unwrap(),
        SettingsSaved::Saved { version: 1 }
    );
    assert!(matches!(
        programme::save(&table, &second, 0, &entry("late"))
            .await
            .unwrap(),
        SettingsSaved::Stale { .. }
    ));
}
