//! Every programme setting by its key: what it means, its default, and how it is read from the
//! text a person types. The console's settings form and `send-review-admin settings set KEY
//! VALUE` both go through here, so they accept and refuse the same things.

use std::fmt;
use std::str::FromStr;

use super::{GradingScale, HexColour, HttpsUrl, ProgrammeSettings};
use crate::domain::request::{EmailAddress, ReviewType};
use crate::domain::school::SchoolType;

macro_rules! setting_keys {
    ($( $variant:ident = $key:literal, $label:literal; )+) => {
        /// One programme setting. Its key is also the stored attribute's name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum SettingKey { $( $variant, )+ }

        impl SettingKey {
            /// Every setting, in the order the console and the admin tool show them.
            pub const ALL: &'static [SettingKey] = &[$( SettingKey::$variant, )+];

            pub const fn as_str(self) -> &'static str {
                match self { $( SettingKey::$variant => $key, )+ }
            }

            /// The setting's name for people, e.g. "Offer expiry".
            pub const fn label(self) -> &'static str {
                match self { $( SettingKey::$variant => $label, )+ }
            }
        }
    };
}

setting_keys! {
    Name = "name", "Programme name";
    ContactEmail = "contact_email", "Contact email address";
    PrimaryColour = "primary_colour", "Colour";
    LogoUrl = "logo_url", "Logo address";
    PrivacyNoticeUrl = "privacy_notice_url", "Privacy notice address";
    LocalAuthorityConflictRule = "local_authority_conflict_rule", "Local authority conflict rule";
    HoldConfirmedRequests = "hold_confirmed_requests", "Hold confirmed requests";
    RecentReviewYears = "recent_review_years", "Years before a reviewer may return";
    OfferExpiryDays = "offer_expiry_days", "Offer expiry";
    SecondReviewerForTypes = "second_reviewer_for_types", "Review teams";
    GradingScale = "scale", "Grading scale";
    ReportDueWorkingDays = "report_due_working_days", "Draft report due";
    RetentionMonths = "retention_months", "Retention";
    MaxUploadMb = "max_upload_mb", "Largest evidence file";
    MaxFilesPerRequest = "max_files_per_request", "Evidence files per request";
    UploadsPerHour = "uploads_per_hour", "Evidence uploads per hour";
}

/// Text that names no setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a setting; the settings are: {keys}", keys = SettingKey::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", "))]
pub struct UnknownSetting(pub String);

impl FromStr for SettingKey {
    type Err = UnknownSetting;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        SettingKey::ALL
            .iter()
            .copied()
            .find(|key| key.as_str() == text)
            .ok_or_else(|| UnknownSetting(text.to_owned()))
    }
}

impl fmt::Display for SettingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value a setting does not accept: which setting, and why, in a sentence for the form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct SettingError {
    pub key: SettingKey,
    pub message: String,
}

/// WCAG 2.2 AA for normal text: the programme colour is a background under white text.
pub const MIN_CONTRAST_WITH_WHITE: f64 = 4.5;

impl SettingKey {
    /// What the setting does, in a sentence or two.
    pub fn explanation(self) -> &'static str {
        match self {
            SettingKey::Name => {
                "The name reviews run under, on every page and email, e.g. Northshire SEND Review."
            }
            SettingKey::ContactEmail => {
                "Where schools and reviewers write to the programme; shown on pages and in emails."
            }
            SettingKey::PrimaryColour => {
                "The colour of the pages' header, written #rrggbb. White text sits on it, so it \
                 must be dark enough to read (contrast at least 4.5 to 1)."
            }
            SettingKey::LogoUrl => {
                "An https address of the programme's logo, shown in the page header. Empty: no logo."
            }
            SettingKey::PrivacyNoticeUrl => {
                "An https address of the programme's privacy notice, linked from every page. \
                 Empty: the product's own notice."
            }
            SettingKey::LocalAuthorityConflictRule => {
                "On: a reviewer never reviews a school in their own local authority. Switch it \
                 off for a programme run inside one local authority, or nobody can be matched."
            }
            SettingKey::HoldConfirmedRequests => {
                "On: every request the school has confirmed waits for a coordinator to release \
                 it for matching (Release for matching on the request's page). Off: matching \
                 starts as soon as the school confirms."
            }
            SettingKey::RecentReviewYears => {
                "A reviewer does not review a school they reviewed this many years ago or since. \
                 0: no such rule."
            }
            SettingKey::OfferExpiryDays => {
                "Days a reviewer has to answer an offer before it goes to the next reviewer."
            }
            SettingKey::SecondReviewerForTypes => {
                "The review types and school types that get a second reviewer as well as the \
                 lead, separated by commas (e.g. special, trust_send). Empty: a lead alone."
            }
            SettingKey::GradingScale => {
                "The grades a report gives each focus area, best first, separated by semicolons \
                 (e.g. Leading; Effective; Working towards effective). Empty: no grading."
            }
            SettingKey::ReportDueWorkingDays => {
                "Working days after the visit by which the lead should send the draft report; \
                 after that they are reminded, once."
            }
            SettingKey::RetentionMonths => {
                "Months evidence and reports are kept after a review closes, then erased. The \
                 evidence bucket deletes anything older than the deploy's RetentionMonths plus a \
                 year whatever this says."
            }
            SettingKey::MaxUploadMb => {
                "The largest evidence file a school may upload, in MB (1 MB = 1,048,576 bytes)."
            }
            SettingKey::MaxFilesPerRequest => {
                "The most evidence files one request may hold (deleted and rejected files make \
                 room again)."
            }
            SettingKey::UploadsPerHour => {
                "The most evidence uploads a school may start for one request in an hour, so a \
                 forwarded status link cannot flood the programme with files."
            }
        }
    }

    /// The setting's value in `settings`, as it is typed back.
    pub fn value_text(self, settings: &ProgrammeSettings) -> String {
        match self {
            SettingKey::Name => settings.name.clone(),
            SettingKey::ContactEmail => settings.contact_email.clone(),
            SettingKey::PrimaryColour => settings.primary_colour.to_string(),
            SettingKey::LogoUrl => optional_text(settings.logo_url.as_ref()),
            SettingKey::PrivacyNoticeUrl => optional_text(settings.privacy_notice_url.as_ref()),
            SettingKey::LocalAuthorityConflictRule => {
                on_off(settings.local_authority_conflict_rule)
            }
            SettingKey::HoldConfirmedRequests => on_off(settings.hold_confirmed_requests),
            SettingKey::RecentReviewYears => settings.recent_review_years.to_string(),
            SettingKey::OfferExpiryDays => settings.offer_expiry_days.to_string(),
            SettingKey::SecondReviewerForTypes => settings.second_reviewer_for_types.join(", "),
            SettingKey::GradingScale => settings
                .scale
                .as_ref()
                .map(|scale| scale.levels().join("; "))
                .unwrap_or_default(),
            SettingKey::ReportDueWorkingDays => settings.report_due_working_days.to_string(),
            SettingKey::RetentionMonths => settings.retention_months.to_string(),
            SettingKey::MaxUploadMb => settings.max_upload_mb.to_string(),
            SettingKey::MaxFilesPerRequest => settings.max_files_per_request.to_string(),
            SettingKey::UploadsPerHour => settings.uploads_per_hour.to_string(),
        }
    }

    /// The default, as typed; name and contact address have none (they are required).
    pub fn default_text(self) -> String {
        match self {
            SettingKey::Name | SettingKey::ContactEmail => "(required)".to_owned(),
            key => key.value_text(&ProgrammeSettings::new("", "")),
        }
    }

    /// Sets this setting in `settings` from `text`, or says why `text` is refused (and leaves
    /// `settings` as it was).
    pub fn apply(self, settings: &mut ProgrammeSettings, text: &str) -> Result<(), SettingError> {
        let text = text.trim();
        let refuse = |message: String| SettingError { key: self, message };
        match self {
            SettingKey::Name => {
                let length = text.chars().count();
                if length == 0 {
                    return Err(refuse("enter the programme's name".into()));
                }
                if length > 100 || text.chars().any(char::is_control) {
                    return Err(refuse("must be one line of at most 100 characters".into()));
                }
                settings.name = text.to_owned();
            }
            SettingKey::ContactEmail => {
                let address: EmailAddress = text.parse().map_err(|()| {
                    refuse("enter an email address, like send-review@northshire.example".into())
                })?;
                settings.contact_email = address.as_str().to_owned();
            }
            SettingKey::PrimaryColour => {
                let colour: HexColour = text.parse().map_err(|e| refuse(format!("{e}")))?;
                let contrast = colour.contrast_with_white();
                if contrast < MIN_CONTRAST_WITH_WHITE {
                    return Err(refuse(format!(
                        "{colour} is too light for white text: contrast {contrast:.1} to 1, at \
                         least {MIN_CONTRAST_WITH_WHITE} to 1 is needed"
                    )));
                }
                settings.primary_colour = colour;
            }
            SettingKey::LogoUrl => {
                settings.logo_url = optional_url(text).map_err(refuse)?;
            }
            SettingKey::PrivacyNoticeUrl => {
                settings.privacy_notice_url = optional_url(text).map_err(refuse)?;
            }
            SettingKey::LocalAuthorityConflictRule => {
                settings.local_authority_conflict_rule = switch(text).map_err(refuse)?;
            }
            SettingKey::HoldConfirmedRequests => {
                settings.hold_confirmed_requests = switch(text).map_err(refuse)?;
            }
            SettingKey::RecentReviewYears => {
                settings.recent_review_years = whole_number(text, 0, 10).map_err(refuse)?;
            }
            SettingKey::OfferExpiryDays => {
                settings.offer_expiry_days = whole_number(text, 1, 30).map_err(refuse)?;
            }
            SettingKey::SecondReviewerForTypes => {
                settings.second_reviewer_for_types = review_team_types(text).map_err(refuse)?;
            }
            SettingKey::GradingScale => {
                settings.scale = if text.is_empty() {
                    None
                } else {
                    Some(
                        GradingScale::new(text.split(';'))
                            .map_err(|e| refuse(format!("the scale {e}")))?,
                    )
                };
            }
            SettingKey::ReportDueWorkingDays => {
                settings.report_due_working_days = whole_number(text, 1, 60).map_err(refuse)?;
            }
            SettingKey::RetentionMonths => {
                settings.retention_months = whole_number(text, 1, 120).map_err(refuse)?;
            }
            SettingKey::MaxUploadMb => {
                settings.max_upload_mb = whole_number(text, 1, 100).map_err(refuse)?;
            }
            SettingKey::MaxFilesPerRequest => {
                settings.max_files_per_request = whole_number(text, 1, 200).map_err(refuse)?;
            }
            SettingKey::UploadsPerHour => {
                settings.uploads_per_hour = whole_number(text, 1, 100).map_err(refuse)?;
            }
        }
        Ok(())
    }
}

fn on_off(on: bool) -> String {
    if on { "on" } else { "off" }.to_owned()
}

/// A switch as typed: on or off (or yes/no, true/false).
fn switch(text: &str) -> Result<bool, String> {
    match text.to_ascii_lowercase().as_str() {
        "on" | "yes" | "true" => Ok(true),
        "off" | "no" | "false" => Ok(false),
        _ => Err("must be on or off".into()),
    }
}

/// `before` with every `(setting, text)` applied: all of them, or each refused one's error
/// (all or nothing, so a form or a command never saves half its values).
pub fn apply_all<'t>(
    before: &ProgrammeSettings,
    values: impl IntoIterator<Item = (SettingKey, &'t str)>,
) -> Result<ProgrammeSettings, Vec<SettingError>> {
    let mut after = before.clone();
    let errors: Vec<SettingError> = values
        .into_iter()
        .filter_map(|(key, text)| key.apply(&mut after, text).err())
        .collect();
    if errors.is_empty() {
        Ok(after)
    } else {
        Err(errors)
    }
}

/// Every setting that differs between `before` and `after`, as `key: "old" → "new"` (the
/// audit entry's detail).
pub fn changes(before: &ProgrammeSettings, after: &ProgrammeSettings) -> Vec<String> {
    SettingKey::ALL
        .iter()
        .filter(|key| key.value_text(before) != key.value_text(after))
        .map(|key| {
            format!(
                "{key}: {:?} → {:?}",
                key.value_text(before),
                key.value_text(after)
            )
        })
        .collect()
}

fn optional_text(url: Option<&HttpsUrl>) -> String {
    url.map(|url| url.to_string()).unwrap_or_default()
}

fn optional_url(text: &str) -> Result<Option<HttpsUrl>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    text.parse()
        .map(Some)
        .map_err(|e: super::HttpsUrlError| e.to_string())
}

fn whole_number<T>(text: &str, min: T, max: T) -> Result<T, String>
where
    T: FromStr + PartialOrd + fmt::Display + Copy,
{
    text.parse::<T>()
        .ok()
        .filter(|n| *n >= min && *n <= max)
        .ok_or_else(|| format!("must be a whole number from {min} to {max}"))
}

/// Storage values of review types and school types, e.g. `special, trust_send`.
fn review_team_types(text: &str) -> Result<Vec<String>, String> {
    let mut known: Vec<&str> = ReviewType::ALL.iter().map(|t| t.as_str()).collect();
    for school_type in SchoolType::ALL {
        if !known.contains(&school_type.as_str()) {
            known.push(school_type.as_str());
        }
    }
    let mut types: Vec<String> = Vec::new();
    for listed in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        match known.iter().find(|k| k.eq_ignore_ascii_case(listed)) {
            Some(value) if !types.iter().any(|t| t == value) => types.push((*value).to_owned()),
            Some(_) => {}
            None => {
                return Err(format!(
                    "{listed:?} is not a review type or school type; use any of: {}",
                    known.join(", ")
                ));
            }
        }
    }
    Ok(types)
}

impl HexColour {
    /// The WCAG contrast ratio of white text on this colour (1 to 21).
    pub fn contrast_with_white(&self) -> f64 {
        let channel = |i: usize| {
            let value = u8::from_str_radix(&self.as_str()[1 + 2 * i..3 + 2 * i], 16)
                .expect("a parsed colour has six hex digits");
            let c = f64::from(value) / 255.0;
            if c <= 0.040_45 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let luminance = 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
        1.05 / (luminance + 0.05)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ProgrammeSettings {
        ProgrammeSettings::demo()
    }

    #[test]
    fn every_key_reads_back_from_its_name() {
        for key in SettingKey::ALL {
            assert_eq!(key.as_str().parse::<SettingKey>(), Ok(*key));
            assert!(!key.explanation().is_empty());
        }
        let error = "offer_days".parse::<SettingKey>().unwrap_err().to_string();
        assert!(error.starts_with("\"offer_days\" is not a setting; the settings are: name, "));
    }

    #[test]
    fn every_value_typed_back_gives_the_same_settings() {
        let mut custom = settings();
        custom.scale = Some(GradingScale::new(["Leading", "Effective"]).unwrap());
        custom.second_reviewer_for_types = vec!["special".into(), "trust_send".into()];
        custom.logo_url = Some("https://example.org/logo.png".parse().unwrap());
        for start in [settings(), custom] {
            let mut copy = ProgrammeSettings::new("x", "x@example.org");
            for key in SettingKey::ALL {
                key.apply(&mut copy, &key.value_text(&start)).unwrap();
            }
            assert_eq!(copy, start);
        }
    }

    #[test]
    fn defaults_are_the_new_programmes() {
        assert_eq!(SettingKey::OfferExpiryDays.default_text(), "5");
        assert_eq!(SettingKey::LocalAuthorityConflictRule.default_text(), "on");
        assert_eq!(SettingKey::GradingScale.default_text(), "");
        assert_eq!(SettingKey::Name.default_text(), "(required)");
    }

    #[test]
    fn bad_values_are_refused_with_the_reason_and_change_nothing() {
        let cases = [
            (SettingKey::Name, "", "name: enter the programme's name"),
            (
                SettingKey::ContactEmail,
                "not an address",
                "contact_email: enter an email address, like send-review@northshire.example",
            ),
            (
                SettingKey::PrimaryColour,
                "#ffdd00",
                "primary_colour: #ffdd00 is too light for white text: contrast 1.3 to 1, at least 4.5 to 1 is needed",
            ),
            (
                SettingKey::PrimaryColour,
                "blue",
                "primary_colour: \"blue\" must be a colour written #rrggbb, like #1d70b8",
            ),
            (
                SettingKey::LogoUrl,
                "http://example.org/logo.png",
                "logo_url: \"http://example.org/logo.png\" must be a web address starting https://",
            ),
            (
                SettingKey::LocalAuthorityConflictRule,
                "maybe",
                "local_authority_conflict_rule: must be on or off",
            ),
            (
                SettingKey::OfferExpiryDays,
                "0",
                "offer_expiry_days: must be a whole number from 1 to 30",
            ),
            (
                SettingKey::RetentionMonths,
                "12.5",
                "retention_months: must be a whole number from 1 to 120",
            ),
            (
                SettingKey::SecondReviewerForTypes,
                "special, big",
                "second_reviewer_for_types: \"big\" is not a review type or school type; use any of: send_review, ta_deployment, preparing_for_adulthood, alternative_provision, trust_send, mainstream, special, resourced_provision",
            ),
            (
                SettingKey::GradingScale,
                "Leading",
                "scale: the scale needs at least two grades",
            ),
        ];
        for (key, text, message) in cases {
            let mut changed = settings();
            let error = key.apply(&mut changed, text).unwrap_err();
            assert_eq!(error.to_string(), message, "{key} {text:?}");
            assert_eq!(changed, settings(), "{key} {text:?} changed the settings");
        }
    }

    #[test]
    fn values_are_read_leniently_where_it_is_safe() {
        let mut changed = settings();
        SettingKey::LocalAuthorityConflictRule
            .apply(&mut changed, " OFF ")
            .unwrap();
        assert!(!changed.local_authority_conflict_rule);
        SettingKey::SecondReviewerForTypes
            .apply(&mut changed, "Special,, special , TRUST_SEND")
            .unwrap();
        assert_eq!(changed.second_reviewer_for_types, ["special", "trust_send"]);
        SettingKey::ContactEmail
            .apply(&mut changed, "Team@Eastshire.EXAMPLE")
            .unwrap();
        assert_eq!(changed.contact_email, "Team@eastshire.example");
        SettingKey::LogoUrl.apply(&mut changed, "").unwrap();
        assert_eq!(changed.logo_url, None);
    }

    #[test]
    fn apply_all_is_all_or_nothing_and_changes_name_each_difference() {
        let before = settings();
        let errors = apply_all(
            &before,
            [
                (SettingKey::OfferExpiryDays, "7"),
                (SettingKey::RetentionMonths, "0"),
                (SettingKey::PrimaryColour, "#ffffff"),
            ],
        )
        .unwrap_err();
        let keys: Vec<SettingKey> = errors.iter().map(|e| e.key).collect();
        assert_eq!(
            keys,
            [SettingKey::RetentionMonths, SettingKey::PrimaryColour]
        );
        let after = apply_all(
            &before,
            [
                (SettingKey::OfferExpiryDays, "7"),
                (SettingKey::LocalAuthorityConflictRule, "off"),
            ],
        )
        .unwrap();
        assert_eq!(
            changes(&before, &after),
            [
                "local_authority_conflict_rule: \"on\" → \"off\"",
                "offer_expiry_days: \"5\" → \"7\""
            ]
        );
        assert!(changes(&after, &after).is_empty());
    }

    #[test]
    fn contrast_is_wcags() {
        let ratio = |hex: &str| hex.parse::<HexColour>().unwrap().contrast_with_white();
        assert!((ratio("#000000") - 21.0).abs() < 1e-9);
        assert!((ratio("#ffffff") - 1.0).abs() < 1e-9);
        // GOV.UK blue, the default, passes AA; its lighter link-hover blue does not.
        assert!(ratio("#1d70b8") >= MIN_CONTRAST_WITH_WHITE);
        assert!(ratio("#5694ca") < MIN_CONTRAST_WITH_WHITE);
    }
}
