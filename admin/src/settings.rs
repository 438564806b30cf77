//! `settings show` and `settings set KEY VALUE ...`: the programme's settings, read and changed
//! through the same catalogue and versioned save as the console (`records::programme`).

use records::audit::{Actor, AuditSubject};
use records::programme::{self, ProgrammeSettings, SettingKey, SettingsSaved, StoredSettings};
use records::store::Table;

use crate::{AdminError, one_line, printable, write_columns};

/// The stored settings, if any were ever saved.
pub async fn show(table: &Table) -> Result<Option<StoredSettings>, AdminError> {
    programme::get_versioned(table)
        .await
        .map_err(|e| unreachable_table(table, e))
}

/// Every setting: its key, value and default, then what each one means.
pub fn write_settings(
    out: &mut impl std::io::Write,
    stored: Option<&StoredSettings>,
) -> std::io::Result<()> {
    match stored {
        Some(stored) => writeln!(out, "settings version {}", stored.version)?,
        None => writeln!(
            out,
            "no settings saved yet: every rule is at its default, and the name and contact \
             address are the deploy's (set name and contact_email to save them)"
        )?,
    }
    let mut rows = vec![vec!["setting".into(), "value".into(), "default".into()]];
    for key in SettingKey::ALL {
        rows.push(vec![
            key.as_str().to_owned(),
            stored.map_or_else(String::new, |s| printable(&key.value_text(&s.settings))),
            key.default_text(),
        ]);
    }
    write_columns(out, &rows)?;
    writeln!(out)?;
    for key in SettingKey::ALL {
        writeln!(out, "{}: {}", key.as_str(), key.explanation())?;
    }
    Ok(())
}

pub fn to_json(stored: Option<&StoredSettings>) -> serde_json::Value {
    serde_json::json!({
        "version": stored.map(|s| s.version),
        "settings": SettingKey::ALL.iter().map(|key| serde_json::json!({
            "key": key.as_str(),
            "label": key.label(),
            "value": stored.map(|s| key.value_text(&s.settings)),
            "default": key.default_text(),
            "explanation": key.explanation(),
        })).collect::<Vec<_>>(),
    })
}

/// Sets each `(KEY, VALUE)` pair, all or none, as one new version with its audit entry.
/// Returns what changed, one line.
pub async fn set(
    table: &Table,
    pairs: &[(String, String)],
    actor: &Actor,
) -> Result<String, AdminError> {
    let stored = show(table).await?;
    let (before, based_on) = match &stored {
        Some(stored) => (stored.settings.clone(), stored.version),
        None => (ProgrammeSettings::new("", ""), 0),
    };
    // Each problem with the place of its pair, so they read in the order they were typed.
    let mut problems: Vec<(usize, String)> = Vec::new();
    let mut values = Vec::new();
    for (place, (key, value)) in pairs.iter().enumerate() {
        match key.parse::<SettingKey>() {
            Ok(key) => values.push((key, value.as_str())),
            Err(e) => problems.push((place, e.to_string())),
        }
    }
    let after = match programme::apply_all(&before, values) {
        Ok(after) => after,
        Err(refused) => {
            for error in refused {
                let place = pairs
                    .iter()
                    .rposition(|(key, _)| key.trim() == error.key.as_str())
                    .unwrap_or(usize::MAX);
                problems.push((place, error.to_string()));
            }
            before.clone()
        }
    };
    problems.sort_by_key(|(place, _)| *place);
    let mut problems: Vec<String> = problems.into_iter().map(|(_, problem)| problem).collect();
    for key in [SettingKey::Name, SettingKey::ContactEmail] {
        if key.value_text(&after).is_empty() && problems.is_empty() {
            problems.push(format!(
                "{key}: no settings are saved yet, so give {} and {} in the same command",
                SettingKey::Name,
                SettingKey::ContactEmail
            ));
        }
    }
    if !problems.is_empty() {
        return Err(AdminError::Refused(format!(
            "nothing was saved: {}",
            problems.join("; ")
        )));
    }
    let changes = programme::changes(&before, &after);
    if changes.is_empty() {
        return Ok("nothing changed: the settings already say that".to_owned());
    }
    let audit = actor.entry(
        "settings changed",
        AuditSubject::Programme,
        changes.join("; "),
    );
    match programme::save(table, &after, based_on, &audit)
        .await
        .map_err(|e| unreachable_table(table, e))?
    {
        SettingsSaved::Saved { version } => Ok(printable(&format!(
            "saved settings version {version}: {}",
            audit.detail
        ))),
        SettingsSaved::Stale { current } => Err(AdminError::Refused(format!(
            "nothing was saved: someone saved settings version {} since they were read; run \
             the command again",
            current.version
        ))),
    }
}

/// A failed read or write of the settings, naming the table (a wrong `--table` shows here).
fn unreachable_table(table: &Table, error: records::store::StoreError) -> AdminError {
    AdminError::Store(one_line(&format!("{error} (table {})", table.name)))
}

/// Pairs `KEY VALUE KEY VALUE ...` from the command line.
pub fn pairs(words: &[String]) -> Result<Vec<(String, String)>, String> {
    if words.is_empty() || !words.len().is_multiple_of(2) {
        return Err("give each setting as KEY VALUE (an empty VALUE is \"\")".to_owned());
    }
    Ok(words
        .chunks(2)
        .map(|pair| (pair[0].clone(), pair[1].clone()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_pair_up() {
        let words: Vec<String> = ["scale", "A; B", "logo_url", ""]
            .iter()
            .map(|w| w.to_string())
            .collect();
        assert_eq!(
            pairs(&words).unwrap(),
            [
                ("scale".to_owned(), "A; B".to_owned()),
                ("logo_url".to_owned(), String::new())
            ]
        );
        assert!(pairs(&words[..3]).is_err());
        assert!(pairs(&[]).is_err());
    }

    #[test]
    fn show_lists_every_setting_with_its_default() {
        let mut out = Vec::new();
        write_settings(
            &mut out,
            Some(&StoredSettings {
                settings: ProgrammeSettings::demo(),
                version: 3,
            }),
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("settings version 3\nsetting "), "{text}");
        assert!(
            text.lines().any(
                |l| l.split_whitespace().collect::<Vec<_>>() == ["offer_expiry_days", "5", "5"]
            ),
            "{text}"
        );
        assert!(text.contains("local_authority_conflict_rule: On: a reviewer never reviews"));
    }
}
