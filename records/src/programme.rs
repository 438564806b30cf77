//! The programme: the LA, trust or network that runs reviews under its own name (white label),
//! with its branding and the rules it chose.
//!
//! | item     | pk          | sk         |
//! |----------|-------------|------------|
//! | settings | `PROGRAMME` | `SETTINGS` |
//!
//! A setting missing from the stored item reads as its default, so a setting added later needs
//! no migration of items saved before it.
//!
//! The settings are one versioned document: [`save`] names the version its edit was based on
//! and is a conditional write on it, in one transaction with its audit entry, so a save from an
//! old page or a second tab stores nothing and gets both versions back ([`SettingsSaved::Stale`]).
//! An item written before versions (or by the demo seeding's [`put`]) reads as version 0.

mod catalogue;

use std::fmt;
use std::str::FromStr;

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

pub use catalogue::{
    MIN_CONTRAST_WITH_WHITE, SettingError, SettingKey, UnknownSetting, apply_all, changes,
};

use crate::audit::AuditEntry;
use crate::store::{Item, StoreError, Table, Transacted, dynamo_error, get_i64, get_s, n, s};

const PK: &str = "PROGRAMME";
const SK: &str = "SETTINGS";

/// GOV.UK blue: readable with white text, and familiar to schools.
pub const DEFAULT_PRIMARY_COLOUR: &str = "#1d70b8";

#[derive(Debug, Clone, PartialEq)]
pub struct ProgrammeSettings {
    /// The name reviews run under, e.g. "Northshire SEND Review".
    pub name: String,
    // TODO(EmailAddress): becomes the EmailAddress type.
    pub contact_email: String,
    pub logo_url: Option<HttpsUrl>,
    pub primary_colour: HexColour,
    pub privacy_notice_url: Option<HttpsUrl>,
    /// Whether reviewers never review schools in their own LA (on by default; a programme
    /// inside one LA must switch it off).
    pub local_authority_conflict_rule: bool,
    /// Whether a request the school confirmed waits for a coordinator to release it for
    /// matching (off by default).
    pub hold_confirmed_requests: bool,
    /// A reviewer does not review a school they reviewed this many years ago or since; 0: no rule.
    pub recent_review_years: u8,
    /// Days a reviewer has to answer an offer before it goes to the next one.
    pub offer_expiry_days: u8,
    /// Review or school types that get a second reviewer as well as the lead.
    pub second_reviewer_for_types: Vec<String>,
    /// Months evidence and reports are kept after a review closes.
    pub retention_months: u16,
    /// The largest evidence file a school may upload, in MB (1 MB = 1,048,576 bytes).
    pub max_upload_mb: u16,
    /// The most evidence files one request may hold.
    pub max_files_per_request: u16,
    /// The most evidence uploads one request may start in an hour.
    pub uploads_per_hour: u16,
    /// The grades a report gives each focus area; `None`, the default, means no grading.
    pub scale: Option<GradingScale>,
    /// Working days (Monday to Friday) after the visit by which the lead should have sent the
    /// draft report; after that the scheduled function reminds them, once.
    pub report_due_working_days: u8,
}

impl ProgrammeSettings {
    /// The evidence size limit in bytes.
    pub fn max_upload_bytes(&self) -> u64 {
        u64::from(self.max_upload_mb) * 1024 * 1024
    }

    /// The limits on one request's evidence.
    pub fn upload_limits(&self) -> crate::evidence::UploadLimits {
        crate::evidence::UploadLimits {
            max_files: self.max_files_per_request,
            per_hour: self.uploads_per_hour,
        }
    }

    /// A programme with every rule at its default.
    pub fn new(name: impl Into<String>, contact_email: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            contact_email: contact_email.into(),
            logo_url: None,
            primary_colour: HexColour::default(),
            privacy_notice_url: None,
            local_authority_conflict_rule: true,
            hold_confirmed_requests: false,
            recent_review_years: 3,
            offer_expiry_days: 5,
            second_reviewer_for_types: Vec::new(),
            retention_months: 12,
            max_upload_mb: 20,
            max_files_per_request: 30,
            uploads_per_hour: 20,
            scale: None,
            report_due_working_days: 15,
        }
    }

    /// The fictional programme of the demo data (`dev/demo/`).
    pub fn demo() -> Self {
        Self {
            privacy_notice_url: Some(
                "https://northshire.example/send-review/privacy"
                    .parse()
                    .expect("a valid https address"),
            ),
            ..Self::new("Northshire SEND Review", "send-review@northshire.example")
        }
    }

    pub fn to_item(&self) -> Item {
        let mut item = Item::from([
            ("pk".to_owned(), s(PK)),
            ("sk".to_owned(), s(SK)),
            ("name".to_owned(), s(&self.name)),
            ("contact_email".to_owned(), s(&self.contact_email)),
            ("primary_colour".to_owned(), s(self.primary_colour.as_str())),
            (
                "local_authority_conflict_rule".to_owned(),
                AttributeValue::Bool(self.local_authority_conflict_rule),
            ),
            (
                "hold_confirmed_requests".to_owned(),
                AttributeValue::Bool(self.hold_confirmed_requests),
            ),
            (
                "recent_review_years".to_owned(),
                n(self.recent_review_years),
            ),
            ("offer_expiry_days".to_owned(), n(self.offer_expiry_days)),
            (
                "second_reviewer_for_types".to_owned(),
                AttributeValue::L(self.second_reviewer_for_types.iter().map(s).collect()),
            ),
            ("retention_months".to_owned(), n(self.retention_months)),
            ("max_upload_mb".to_owned(), n(self.max_upload_mb)),
            (
                "max_files_per_request".to_owned(),
                n(self.max_files_per_request),
            ),
            ("uploads_per_hour".to_owned(), n(self.uploads_per_hour)),
            (
                "report_due_working_days".to_owned(),
                n(self.report_due_working_days),
            ),
        ]);
        if let Some(url) = &self.logo_url {
            item.insert("logo_url".to_owned(), s(url.as_str()));
        }
        if let Some(url) = &self.privacy_notice_url {
            item.insert("privacy_notice_url".to_owned(), s(url.as_str()));
        }
        if let Some(scale) = &self.scale {
            item.insert(
                "scale".to_owned(),
                AttributeValue::L(scale.levels().iter().map(s).collect()),
            );
        }
        item
    }

    pub fn from_item(item: &Item) -> Result<Self, StoreError> {
        read_item(item).map_err(|reason| StoreError::Corrupt {
            key: format!("{PK}/{SK}"),
            reason,
        })
    }
}

fn read_item(item: &Item) -> Result<ProgrammeSettings, String> {
    fn text<'a>(item: &'a Item, name: &str) -> Result<Option<&'a str>, String> {
        match item.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(_) => get_s(item, name)
                .map(Some)
                .ok_or_else(|| format!("{name} is not a string")),
        }
    }
    fn parsed<T: FromStr>(item: &Item, name: &str) -> Result<Option<T>, String>
    where
        T::Err: fmt::Display,
    {
        text(item, name)?
            .map(|t| t.parse().map_err(|e| format!("{name} {e}")))
            .transpose()
    }
    fn number<T: FromStr>(item: &Item, name: &str) -> Result<Option<T>, String> {
        item.get(name)
            .map(|v| {
                v.as_n()
                    .ok()
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| format!("{name} is not a small whole number"))
            })
            .transpose()
    }
    fn strings(item: &Item, name: &str) -> Result<Option<Vec<String>>, String> {
        item.get(name)
            .map(|v| {
                v.as_l()
                    .map_err(|_| format!("{name} is not a list"))?
                    .iter()
                    .map(|v| {
                        v.as_s()
                            .cloned()
                            .map_err(|_| format!("{name} holds a non-string"))
                    })
                    .collect()
            })
            .transpose()
    }

    let defaults = ProgrammeSettings::new("", "");
    let required = |name: &str| -> Result<String, String> {
        text(item, name)?
            .filter(|t| !t.trim().is_empty())
            .map(str::to_owned)
            .ok_or_else(|| format!("{name} is missing"))
    };
    Ok(ProgrammeSettings {
        name: required("name")?,
        contact_email: required("contact_email")?,
        logo_url: parsed(item, "logo_url")?,
        primary_colour: parsed(item, "primary_colour")?.unwrap_or(defaults.primary_colour),
        privacy_notice_url: parsed(item, "privacy_notice_url")?,
        local_authority_conflict_rule: match item.get("local_authority_conflict_rule") {
            None => defaults.local_authority_conflict_rule,
            Some(v) => *v
                .as_bool()
                .map_err(|_| "local_authority_conflict_rule is not a boolean".to_owned())?,
        },
        hold_confirmed_requests: match item.get("hold_confirmed_requests") {
            None => defaults.hold_confirmed_requests,
            Some(v) => *v
                .as_bool()
                .map_err(|_| "hold_confirmed_requests is not a boolean".to_owned())?,
        },
        recent_review_years: number(item, "recent_review_years")?
            .unwrap_or(defaults.recent_review_years),
        offer_expiry_days: number(item, "offer_expiry_days")?.unwrap_or(defaults.offer_expiry_days),
        second_reviewer_for_types: strings(item, "second_reviewer_for_types")?
            .unwrap_or(defaults.second_reviewer_for_types),
        retention_months: number(item, "retention_months")?.unwrap_or(defaults.retention_months),
        max_upload_mb: number(item, "max_upload_mb")?.unwrap_or(defaults.max_upload_mb),
        max_files_per_request: number(item, "max_files_per_request")?
            .unwrap_or(defaults.max_files_per_request),
        uploads_per_hour: number(item, "uploads_per_hour")?.unwrap_or(defaults.uploads_per_hour),
        scale: strings(item, "scale")?
            .map(|levels| GradingScale::new(levels).map_err(|e| format!("scale {e}")))
            .transpose()?,
        report_due_working_days: number(item, "report_due_working_days")?
            .unwrap_or(defaults.report_due_working_days),
    })
}

/// The settings item's key, for a caller that reads it in one batch with others.
pub fn key() -> (String, String) {
    (PK.to_owned(), SK.to_owned())
}

/// The programme's settings, if they were ever saved (a consistent read: an administrator
/// expects to see the change they just saved).
pub async fn get(table: &Table) -> Result<Option<ProgrammeSettings>, StoreError> {
    Ok(get_versioned(table).await?.map(|stored| stored.settings))
}

pub async fn put(table: &Table, settings: &ProgrammeSettings) -> Result<(), StoreError> {
    table
        .client
        .put_item()
        .table_name(&table.name)
        .set_item(Some(settings.to_item()))
        .send()
        .await
        .map_err(|e| dynamo_error("PutItem", e))?;
    Ok(())
}

/// The stored settings and the version they are at (0: saved before versions, or never).
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSettings {
    pub settings: ProgrammeSettings,
    pub version: u64,
}

/// What [`save`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingsSaved {
    /// Stored as `version`, with its audit entry.
    Saved { version: u64 },
    /// Someone saved first: nothing was stored. What is stored now, to show beside the edit.
    Stale { current: Box<StoredSettings> },
}

/// The programme's settings with their version, if they were ever saved.
pub async fn get_versioned(table: &Table) -> Result<Option<StoredSettings>, StoreError> {
    let Some(item) = table.get(PK, SK).await? else {
        return Ok(None);
    };
    Ok(Some(StoredSettings {
        settings: ProgrammeSettings::from_item(&item)?,
        version: get_i64(&item, "version").map_or(0, |v| v.max(0) as u64),
    }))
}

/// Saves `settings` over version `based_on` (0: nothing saved yet, or saved before versions)
/// with `audit` in the same transaction; stores nothing if the stored version moved on.
pub async fn save(
    table: &Table,
    settings: &ProgrammeSettings,
    based_on: u64,
    audit: &AuditEntry,
) -> Result<SettingsSaved, StoreError> {
    let version = based_on + 1;
    let mut item = settings.to_item();
    item.insert("version".to_owned(), n(version));
    let put = Put::builder()
        .table_name(&table.name)
        .set_item(Some(item))
        .expression_attribute_values(":based_on", n(based_on));
    let put = if based_on == 0 {
        put.condition_expression(
            "attribute_not_exists(pk) OR attribute_not_exists(version) OR version = :based_on",
        )
    } else {
        put.condition_expression("version = :based_on")
    };
    let put = put.build().map_err(|e| StoreError::Corrupt {
        key: format!("{PK}/{SK}"),
        reason: e.to_string(),
    })?;
    let outcome = table
        .transact(vec![
            TransactWriteItem::builder().put(put).build(),
            audit.transact_put(table)?,
        ])
        .await
        .map_err(|e| dynamo_error("TransactWriteItems", e))?;
    match outcome {
        Transacted::Committed => Ok(SettingsSaved::Saved { version }),
        stale if stale.failed_at(0) => {
            let current = get_versioned(table).await?.ok_or_else(|| {
                StoreError::Conflict("the programme's settings were removed".to_owned())
            })?;
            Ok(SettingsSaved::Stale {
                current: Box::new(current),
            })
        }
        Transacted::Cancelled(reasons) => Err(StoreError::Conflict(format!(
            "the settings were not saved ({}); try again",
            reasons.join(", ")
        ))),
    }
}

/// A colour written `#rrggbb`; stored lowercase.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HexColour(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} must be a colour written #rrggbb, like {DEFAULT_PRIMARY_COLOUR}")]
pub struct HexColourError(pub String);

crate::domain::checked_text!(HexColour);

impl Default for HexColour {
    fn default() -> Self {
        HexColour(DEFAULT_PRIMARY_COLOUR.to_owned())
    }
}

impl FromStr for HexColour {
    type Err = HexColourError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        match text.strip_prefix('#') {
            Some(hex) if hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Ok(HexColour(text.to_ascii_lowercase()))
            }
            _ => Err(HexColourError(text.to_owned())),
        }
    }
}

/// An `https://` address, safe to put in a link or an image source (no `javascript:` or
/// other schemes, no spaces).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HttpsUrl(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} must be a web address starting https://")]
pub struct HttpsUrlError(pub String);

crate::domain::checked_text!(HttpsUrl);

impl FromStr for HttpsUrl {
    type Err = HttpsUrlError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let host = text
            .get(..8)
            .filter(|scheme| scheme.eq_ignore_ascii_case("https://"))
            .map(|_| text[8..].split(['/', '?', '#']).next().unwrap_or(""));
        let clean = !text.chars().any(|c| c.is_whitespace() || c.is_control());
        match host {
            Some(host) if !host.is_empty() && clean && text.len() <= 2048 => {
                Ok(HttpsUrl(text.to_owned()))
            }
            _ => Err(HttpsUrlError(text.to_owned())),
        }
    }
}

/// A programme's own grades, best first, e.g. Leading / Effective / Working towards effective
/// / Ineffective. At least two, each named, no two alike.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GradingScale(Vec<String>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GradingScaleError {
    #[error("needs at least two grades")]
    TooFew,
    #[error("has a grade with no name")]
    EmptyGrade,
    #[error("has the grade {0:?} twice")]
    Repeated(String),
}

impl GradingScale {
    pub fn new<S: Into<String>>(
        levels: impl IntoIterator<Item = S>,
    ) -> Result<Self, GradingScaleError> {
        let mut grades: Vec<String> = Vec::new();
        for level in levels {
            let level = level.into().trim().to_owned();
            if level.is_empty() {
                return Err(GradingScaleError::EmptyGrade);
            }
            if grades.iter().any(|g| g.eq_ignore_ascii_case(&level)) {
                return Err(GradingScaleError::Repeated(level));
            }
            grades.push(level);
        }
        if grades.len() < 2 {
            return Err(GradingScaleError::TooFew);
        }
        Ok(Self(grades))
    }

    /// The grades, best first.
    pub fn levels(&self) -> &[String] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_programme_has_the_defaults() {
        let demo = ProgrammeSettings::demo();
        assert_eq!(demo.name, "Northshire SEND Review");
        assert_eq!(demo.contact_email, "send-review@northshire.example");
        assert_eq!(demo.primary_colour.as_str(), "#1d70b8");
        assert!(demo.local_authority_conflict_rule);
        assert_eq!(
            (
                demo.recent_review_years,
                demo.offer_expiry_days,
                demo.retention_months
            ),
            (3, 5, 12)
        );
        assert!(demo.second_reviewer_for_types.is_empty());
        assert_eq!(demo.scale, None, "no grading by default");
        assert_eq!(demo.max_upload_mb, 20);
        assert_eq!(demo.max_upload_bytes(), 20 * 1024 * 1024);
        assert_eq!(demo.report_due_working_days, 15);
        assert_eq!(
            demo.upload_limits(),
            crate::evidence::UploadLimits {
                max_files: 30,
                per_hour: 20
            }
        );
    }

    #[test]
    fn settings_survive_a_round_trip_through_an_item() {
        let demo = ProgrammeSettings::demo();
        assert_eq!(ProgrammeSettings::from_item(&demo.to_item()).unwrap(), demo);

        let custom = ProgrammeSettings {
            logo_url: Some("https://example.org/logo.png".parse().unwrap()),
            primary_colour: "#00703C".parse().unwrap(),
            local_authority_conflict_rule: false,
            hold_confirmed_requests: true,
            recent_review_years: 0,
            offer_expiry_days: 3,
            second_reviewer_for_types: vec!["mainstream".into()],
            retention_months: 24,
            max_upload_mb: 50,
            max_files_per_request: 12,
            uploads_per_hour: 4,
            report_due_working_days: 10,
            scale: Some(
                GradingScale::new(["Emerging", "Developing", "Established", "Enhanced"]).unwrap(),
            ),
            ..demo
        };
        let item = custom.to_item();
        assert_eq!(get_s(&item, "pk"), Some("PROGRAMME"));
        assert_eq!(get_s(&item, "sk"), Some("SETTINGS"));
        assert_eq!(get_s(&item, "primary_colour"), Some("#00703c"));
        assert_eq!(ProgrammeSettings::from_item(&item).unwrap(), custom);
    }

    #[test]
    fn missing_settings_read_as_their_defaults() {
        let item = Item::from([
            ("pk".to_owned(), s(PK)),
            ("sk".to_owned(), s(SK)),
            ("name".to_owned(), s("Eastshire SEND Review")),
            ("contact_email".to_owned(), s("send@eastshire.example")),
        ]);
        assert_eq!(
            ProgrammeSettings::from_item(&item).unwrap(),
            ProgrammeSettings::new("Eastshire SEND Review", "send@eastshire.example")
        );
        let mut broken = item.clone();
        broken.insert("primary_colour".into(), s("blue"));
        assert_eq!(
            ProgrammeSettings::from_item(&broken)
                .unwrap_err()
                .to_string(),
            r##"stored item PROGRAMME/SETTINGS is unreadable: primary_colour "blue" must be a colour written #rrggbb, like #1d70b8"##
        );
    }

    #[test]
    fn colours_are_six_hex_digits() {
        assert_eq!(
            " #ABCdef ".parse::<HexColour>().unwrap().as_str(),
            "#abcdef"
        );
        for bad in ["1d70b8", "#1d70b", "#1d70b8f", "#gggggg", "", "red"] {
            assert!(bad.parse::<HexColour>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn links_must_be_https() {
        assert!(
            "https://northshire.example/privacy"
                .parse::<HttpsUrl>()
                .is_ok()
        );
        assert!("HTTPS://northshire.example".parse::<HttpsUrl>().is_ok());
        for bad in [
            "http://northshire.example",
            "javascript:alert(1)",
            "https://",
            "https:///path",
            "https://northshire.example/a b",
            "northshire.example",
        ] {
            assert!(bad.parse::<HttpsUrl>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn a_scale_has_two_or_more_distinct_named_grades() {
        assert_eq!(
            GradingScale::new(["Leading", " Effective "])
                .unwrap()
                .levels(),
            ["Leading", "Effective"]
        );
        assert_eq!(
            GradingScale::new(["Leading"]),
            Err(GradingScaleError::TooFew)
        );
        assert_eq!(
            GradingScale::new(["Leading", " "]),
            Err(GradingScaleError::EmptyGrade)
        );
        assert_eq!(
            GradingScale::new(["Leading", "leading"]),
            Err(GradingScaleError::Repeated("leading".into()))
        );
    }
}
