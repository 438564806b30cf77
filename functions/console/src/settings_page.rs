//! `GET/POST /console/settings`: every programme setting from the catalogue
//! (`records::programme::SettingKey`), saved all or nothing through the versioned, audited save.
//! The page carries the version it shows; a save from an old page stores nothing and shows
//! where the two versions differ.

use std::collections::HashMap;

use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use records::audit::{Actor, AuditSubject};
use records::branding::Branding;
use records::programme::{self, ProgrammeSettings, SettingKey, SettingsSaved, StoredSettings};
use web::pages::console::settings::{SettingField, SettingsGroup, SettingsPage};
use web::pages::console::{BothVersions, Difference, SignedInUser};

use crate::{Console, MAX_FORM_BYTES, Role, SignedIn, forbidden, unavailable};

/// The settings in the page's groups, in the catalogue's order within each.
const GROUPS: &[(&str, &str, &[SettingKey])] = &[
    (
        "branding",
        "Name and branding",
        &[
            SettingKey::Name,
            SettingKey::ContactEmail,
            SettingKey::PrimaryColour,
            SettingKey::LogoUrl,
            SettingKey::PrivacyNoticeUrl,
        ],
    ),
    (
        "matching",
        "Matching reviewers",
        &[
            SettingKey::LocalAuthorityConflictRule,
            SettingKey::HoldConfirmedRequests,
            SettingKey::RecentReviewYears,
            SettingKey::OfferExpiryDays,
            SettingKey::SecondReviewerForTypes,
        ],
    ),
    (
        "reports",
        "Reports and records",
        &[
            SettingKey::GradingScale,
            SettingKey::ReportDueWorkingDays,
            SettingKey::RetentionMonths,
            SettingKey::MaxUploadMb,
            SettingKey::MaxFilesPerRequest,
            SettingKey::UploadsPerHour,
        ],
    ),
];

/// The stored settings, or (none saved yet) the defaults with no name or address, at version 0.
async fn stored(console: &Console) -> Result<StoredSettings, records::store::StoreError> {
    Ok(programme::get_versioned(console.table())
        .await?
        .unwrap_or_else(|| StoredSettings {
            settings: ProgrammeSettings::new("", ""),
            version: 0,
        }))
}

/// The page's groups with each setting's value from `value` and error from `errors`.
fn groups(
    value: impl Fn(SettingKey) -> String,
    errors: &HashMap<SettingKey, String>,
) -> Vec<SettingsGroup> {
    GROUPS
        .iter()
        .map(|(id, title, keys)| SettingsGroup {
            id,
            title,
            fields: keys
                .iter()
                .map(|key| SettingField {
                    key: key.as_str(),
                    label: key.label(),
                    explanation: key.explanation(),
                    default_text: key.default_text(),
                    value: value(*key),
                    error: errors.get(key).cloned().unwrap_or_default(),
                    switch: matches!(
                        key,
                        SettingKey::LocalAuthorityConflictRule | SettingKey::HoldConfirmedRequests
                    ),
                })
                .collect(),
        })
        .collect()
}

pub(crate) fn shown(user: &SignedIn) -> SignedInUser {
    SignedInUser {
        email: user.claims.email.clone(),
        role_label: user.role.label(),
        may_export: user.role == Role::Coordinator,
    }
}

struct Render<'a> {
    user: &'a SignedIn,
    version: u64,
    groups: &'a [SettingsGroup],
    saved: Option<u64>,
    stale: Option<&'a BothVersions>,
}

fn render(branding: &Branding, status: StatusCode, page: Render<'_>) -> Response<Body> {
    let user = shown(page.user);
    web::http::page(
        status,
        askama::Template::render(&SettingsPage {
            branding,
            user: &user,
            csrf: &page.user.session.csrf,
            version: page.version,
            groups: page.groups,
            may_edit: page.user.role == Role::Coordinator,
            saved: page.saved,
            stale: page.stale,
            build_version: records::aws::BUILD_VERSION,
            services: &records::aws::SERVICE_VERSIONS,
        }),
    )
}

/// `GET /console/settings[?saved=N]`.
pub(crate) async fn show(
    console: &Console,
    branding: &Branding,
    request: &Request,
    now: i64,
) -> Response<Body> {
    let user = match console.signed_in(branding, request, now).await {
        Ok(user) => user,
        Err(answer) => return answer,
    };
    let current = match stored(console).await {
        Ok(current) => current,
        Err(e) => return unavailable(branding, &e),
    };
    let saved = request
        .uri()
        .query()
        .and_then(|q| q.strip_prefix("saved="))
        .and_then(|v| v.parse().ok());
    let groups = groups(|key| key.value_text(&current.settings), &HashMap::new());
    render(
        branding,
        StatusCode::OK,
        Render {
            user: &user,
            version: current.version,
            groups: &groups,
            saved,
            stale: None,
        },
    )
}

/// `POST /console/settings`: coordinators only; all the values or none.
pub(crate) async fn save(
    console: &Console,
    branding: &Branding,
    request: &Request,
    now: i64,
) -> Response<Body> {
    let user = match console.signed_in(branding, request, now).await {
        Ok(user) => user,
        Err(answer) => return answer,
    };
    if user.role != Role::Coordinator {
        return forbidden(branding);
    }
    let form: HashMap<String, String> = match web::http::read_form(request, MAX_FORM_BYTES) {
        Ok(form) => form,
        Err(_) => return bad_form(branding),
    };
    let Some(based_on) = form
        .get("version")
        .and_then(|v| v.trim().parse::<u64>().ok())
    else {
        return bad_form(branding);
    };
    let typed = |key: SettingKey| form.get(key.as_str()).cloned().unwrap_or_default();
    let current = match stored(console).await {
        Ok(current) => current,
        Err(e) => return unavailable(branding, &e),
    };
    // Applied over the defaults: the form sends every setting, so nothing stored leaks in.
    let edited = programme::apply_all(
        &ProgrammeSettings::new("", ""),
        SettingKey::ALL.iter().map(|key| {
            (
                *key,
                form.get(key.as_str())
                    .map(String::as_str)
                    .unwrap_or_default(),
            )
        }),
    );
    let after = match edited {
        Ok(after) => after,
        Err(refused) => {
            let errors = refused.into_iter().map(|e| (e.key, e.message)).collect();
            let groups = groups(typed, &errors);
            return render(
                branding,
                StatusCode::UNPROCESSABLE_ENTITY,
                Render {
                    user: &user,
                    version: based_on,
                    groups: &groups,
                    saved: None,
                    stale: None,
                },
            );
        }
    };
    if based_on != current.version {
        return stale(branding, &user, &after, based_on, &current);
    }
    let changes = programme::changes(&current.settings, &after);
    if changes.is_empty() {
        return web::http::see_other(&format!("/console/settings?saved={}", current.version));
    }
    let audit = Actor::new(user.claims.email.clone(), crate::clock(now)).entry(
        "settings changed",
        AuditSubject::Programme,
        changes.join("; "),
    );
    match programme::save(console.table(), &after, based_on, &audit).await {
        Ok(SettingsSaved::Saved { version }) => {
            web::http::see_other(&format!("/console/settings?saved={version}"))
        }
        Ok(SettingsSaved::Stale { current }) => stale(branding, &user, &after, based_on, &current),
        Err(e) => unavailable(branding, &e),
    }
}

/// The refusal of a save based on an old version: the edit stays in the form, now based on the
/// stored version, beside a table of every setting where the two differ.
fn stale(
    branding: &Branding,
    user: &SignedIn,
    yours: &ProgrammeSettings,
    based_on: u64,
    current: &StoredSettings,
) -> Response<Body> {
    let differences = SettingKey::ALL
        .iter()
        .filter(|key| key.value_text(yours) != key.value_text(&current.settings))
        .map(|key| Difference {
            label: key.label(),
            yours: key.value_text(yours),
            stored: key.value_text(&current.settings),
        })
        .collect();
    let stored = current.version;
    let stale = BothVersions {
        title: "Someone saved the settings after you opened this page: nothing was saved".into(),
        explanation: format!(
            "Your page showed version {based_on}; version {stored} is saved now. Compare them, then save again to replace version {stored} with your values."
        ),
        caption: format!("Where your values and version {stored} differ"),
        row_heading: "Setting",
        stored_heading: format!("Saved in version {stored}"),
        differences,
    };
    let groups = groups(|key| key.value_text(yours), &HashMap::new());
    render(
        branding,
        StatusCode::CONFLICT,
        Render {
            user,
            version: current.version,
            groups: &groups,
            saved: None,
            stale: Some(&stale),
        },
    )
}

fn bad_form(branding: &Branding) -> Response<Body> {
    crate::message(
        branding,
        StatusCode::BAD_REQUEST,
        "This form could not be read",
        &["Go back to the settings page, reload it and try again.".into()],
        "/console/settings",
    )
}
