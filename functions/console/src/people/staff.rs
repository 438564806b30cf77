//! `/console/staff...`: who can sign in to the console, inviting and removing them. Cognito
//! holds the accounts (`ListUsersInGroup`, `AdminCreateUser`, `AdminAddUserToGroup`,
//! `AdminGetUser`, `AdminDeleteUser`, each allowed on the staff pool only); coordinators only.

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, DeliveryMediumType, UserType};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use records::audit::AuditSubject;
use records::branding::Branding;
use records::domain::request::EmailAddress;
use records::staff_sessions;
use serde::Deserialize;
use web::pages::console::FormField;
use web::pages::console::people::{StaffPage, StaffRemovePage, StaffRow};

use super::{Asker, form, query};
use crate::{Console, message, unavailable};

const STAFF_FORM_BYTES: usize = 4 * 1024;
/// The pool's groups, as roles people read.
const GROUPS: [(&str, &str); 2] = [("coordinator", "Coordinator"), ("viewer", "Viewer")];

#[derive(Debug, thiserror::Error)]
enum StaffError {
    #[error("the account exists already")]
    Exists,
    #[error("there is no such account")]
    NotFound,
    #[error("Cognito failed: {0}")]
    Unavailable(String),
}

fn cognito_error<E, R>(err: aws_sdk_cognitoidentityprovider::error::SdkError<E, R>) -> StaffError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err.as_service_error().and_then(|e| e.code()) {
        Some("UsernameExistsException") => StaffError::Exists,
        Some("UserNotFoundException") => StaffError::NotFound,
        _ => StaffError::Unavailable(
            aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(&err).to_string(),
        ),
    }
}

/// The staff pool's admin calls.
struct Accounts<'a> {
    client: &'a Client,
    pool_id: &'a str,
}

impl<'a> Accounts<'a> {
    fn of(console: &'a Console) -> Self {
        // The pool id is the last part of its issuer (`https://cognito-idp.<region>.amazonaws
        // .com/<pool id>`), which the console already holds to check tokens.
        let issuer = &console.verifier().pool().issuer;
        Self {
            client: &console.pool().client,
            pool_id: issuer.rsplit('/').next().unwrap_or_default(),
        }
    }

    /// Everyone in a role's group, with their role.
    async fn list(&self) -> Result<Vec<(UserType, &'static str)>, StaffError> {
        let mut users = Vec::new();
        for (group, role) in GROUPS {
            let mut next = None;
            loop {
                let page = self
                    .client
                    .list_users_in_group()
                    .user_pool_id(self.pool_id)
                    .group_name(group)
                    .set_next_token(next)
                    .send()
                    .await
                    .map_err(cognito_error)?;
                users.extend(page.users().iter().cloned().map(|u| (u, role)));
                match page.next_token {
                    Some(token) if !token.is_empty() => next = Some(token),
                    _ => break,
                }
            }
        }
        Ok(users)
    }

    /// Creates the account (Cognito emails its temporary password) and puts it in `group`.
    async fn invite(&self, email: &str, group: &str) -> Result<(), StaffError> {
        let attribute = |name: &str, value: &str| {
            AttributeType::builder()
                .name(name)
                .value(value)
                .build()
                .map_err(|e| StaffError::Unavailable(e.to_string()))
        };
        self.client
            .admin_create_user()
            .user_pool_id(self.pool_id)
            .username(email)
            .user_attributes(attribute("email", email)?)
            // The invitation goes to this address, so it is the person's own.
            .user_attributes(attribute("email_verified", "true")?)
            .desired_delivery_mediums(DeliveryMediumType::Email)
            .send()
            .await
            .map_err(cognito_error)?;
        self.client
            .admin_add_user_to_group()
            .user_pool_id(self.pool_id)
            .username(email)
            .group_name(group)
            .send()
            .await
            .map_err(cognito_error)?;
        Ok(())
    }

    /// Deletes the account, returning its `sub` (to end its console sessions).
    async fn remove(&self, email: &str) -> Result<Option<String>, StaffError> {
        let user = self
            .client
            .admin_get_user()
            .user_pool_id(self.pool_id)
            .username(email)
            .send()
            .await
            .map_err(cognito_error)?;
        let sub = user
            .user_attributes()
            .iter()
            .find(|a| a.name() == "sub")
            .and_then(|a| a.value())
            .map(str::to_owned);
        self.client
            .admin_delete_user()
            .user_pool_id(self.pool_id)
            .username(email)
            .send()
            .await
            .map_err(cognito_error)?;
        Ok(sub)
    }
}

fn attribute<'u>(user: &'u UserType, name: &str) -> Option<&'u str> {
    user.attributes()
        .iter()
        .find(|a| a.name() == name)
        .and_then(|a| a.value())
}

fn status_text(user: &UserType) -> String {
    if !user.enabled() {
        return "Disabled".into();
    }
    match user.user_status().map(|s| s.as_str()) {
        Some("CONFIRMED") => "Active".into(),
        Some("FORCE_CHANGE_PASSWORD") => "Invited: has not signed in yet".into(),
        Some("RESET_REQUIRED") => "Must reset their password".into(),
        Some(other) => other.to_lowercase().replace('_', " "),
        None => "Unknown".into(),
    }
}

fn email_field() -> FormField {
    FormField {
        name: "email",
        label: "Email address",
        input_type: "email",
        autocomplete: "off",
        ..FormField::default()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Notice {
    invited: Option<String>,
    removed: Option<String>,
}

async fn page(
    console: &Console,
    branding: &Branding,
    asker: &Asker,
    status: StatusCode,
    email: &FormField,
    role: (&str, &str),
    notice: &str,
) -> Response<Body> {
    let users = match Accounts::of(console).list().await {
        Ok(users) => users,
        Err(e) => return unavailable(branding, &e),
    };
    let mut rows: Vec<StaffRow> = users
        .iter()
        .map(|(user, role)| {
            let email = attribute(user, "email").unwrap_or_default().to_owned();
            StaffRow {
                is_you: email.eq_ignore_ascii_case(&asker.shown.email),
                remove_href: format!(
                    "/console/staff/remove?{}",
                    serde_html_form::to_string([("email", &email)]).unwrap_or_default()
                ),
                email,
                role,
                status: status_text(user),
            }
        })
        .collect();
    rows.sort_by_key(|row| row.email.to_lowercase());
    web::http::page(
        status,
        askama::Template::render(&StaffPage {
            branding,
            user: &asker.shown,
            csrf: asker.csrf(),
            rows: &rows,
            email,
            role: role.0,
            role_error: role.1,
            notice,
        }),
    )
}

pub(super) async fn list(
    console: &Console,
    branding: &Branding,
    asker: &Asker,
    request: &Request,
) -> Response<Body> {
    let notice = match query::<Notice>(request) {
        Notice {
            invited: Some(email),
            ..
        } => format!("{email} is invited: Cognito has emailed them a temporary password."),
        Notice {
            removed: Some(email),
            ..
        } => format!("{email} was removed: they can no longer sign in."),
        _ => String::new(),
    };
    page(
        console,
        branding,
        asker,
        StatusCode::OK,
        &email_field(),
        ("", ""),
        &notice,
    )
    .await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct InviteForm {
    email: String,
    role: String,
}

pub(super) async fn invite(
    console: &Console,
    branding: &Branding,
    asker: &Asker,
    request: &Request,
) -> Response<Body> {
    let sent: InviteForm = match form(branding, request, STAFF_FORM_BYTES) {
        Ok(sent) => sent,
        Err(refusal) => return *refusal,
    };
    let mut email = FormField {
        value: sent.email.trim().to_owned(),
        ..email_field()
    };
    let address = email.value.parse::<EmailAddress>().ok();
    if address.is_none() {
        email.error = if email.value.is_empty() {
            "Enter their email address".into()
        } else {
            "Enter an email address like name@school.sch.uk".into()
        };
    }
    let group = GROUPS
        .iter()
        .find(|(g, _)| *g == sent.role)
        .map(|(g, _)| *g);
    let role_error = if group.is_none() {
        "Choose coordinator or viewer"
    } else {
        ""
    };
    let (Some(address), Some(group)) = (address, group) else {
        return page(
            console,
            branding,
            asker,
            StatusCode::UNPROCESSABLE_ENTITY,
            &email,
            (&sent.role, role_error),
            "",
        )
        .await;
    };
    match Accounts::of(console).invite(address.as_str(), group).await {
        Ok(()) => {}
        Err(StaffError::Exists) => {
            email.error = "Someone with this email address already has an account".into();
            return page(
                console,
                branding,
                asker,
                StatusCode::CONFLICT,
                &email,
                (&sent.role, ""),
                "",
            )
            .await;
        }
        Err(e) => return unavailable(branding, &e),
    }
    record(
        console,
        asker,
        "staff invited",
        format!("{} invited as {group}", address.as_str()),
    )
    .await;
    web::http::see_other(&format!(
        "/console/staff?{}",
        serde_html_form::to_string([("invited", address.as_str())]).unwrap_or_default()
    ))
}

/// Writes the audit entry of a change Cognito has made. Cognito cannot join a DynamoDB
/// transaction, so the entry is written right after its call succeeded: a failure here is
/// logged loudly rather than shown, because the change itself has happened.
async fn record(console: &Console, asker: &Asker, action: &str, detail: String) {
    let table = console.table();
    let written = match asker
        .actor()
        .entry(action, AuditSubject::Staff, detail.clone())
        .transact_put(table)
    {
        Ok(put) => table
            .transact(vec![put])
            .await
            .map_err(|e| e.to_string())
            .map(|_| ()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(error) = written {
        tracing::error!(%error, action, detail, "the audit entry of a staff change was not written");
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RemoveForm {
    email: String,
    confirm: String,
}

fn is_self(asker: &Asker, email: &str) -> bool {
    email.trim().eq_ignore_ascii_case(&asker.shown.email)
}

fn cannot_remove_self(branding: &Branding) -> Response<Body> {
    message(
        branding,
        StatusCode::CONFLICT,
        "You cannot remove yourself",
        &["Ask another coordinator to remove your account.".into()],
        "/console",
    )
}

pub(super) fn confirm_removal(
    branding: &Branding,
    asker: &Asker,
    request: &Request,
) -> Response<Body> {
    let asked: RemoveForm = query(request);
    if asked.email.trim().is_empty() {
        return web::http::see_other("/console/staff");
    }
    if is_self(asker, &asked.email) {
        return cannot_remove_self(branding);
    }
    web::http::page(
        StatusCode::OK,
        askama::Template::render(&StaffRemovePage {
            branding,
            user: &asker.shown,
            csrf: asker.csrf(),
            email: asked.email.trim(),
        }),
    )
}

pub(super) async fn remove(
    console: &Console,
    branding: &Branding,
    asker: &Asker,
    request: &Request,
) -> Response<Body> {
    let sent: RemoveForm = match form(branding, request, STAFF_FORM_BYTES) {
        Ok(sent) => sent,
        Err(refusal) => return *refusal,
    };
    let email = sent.email.trim();
    if is_self(asker, email) {
        return cannot_remove_self(branding);
    }
    if sent.confirm != "yes" || email.is_empty() {
        return web::http::see_other("/console/staff");
    }
    let sub = match Accounts::of(console).remove(email).await {
        Ok(sub) => sub,
        Err(StaffError::NotFound) => {
            return message(
                branding,
                StatusCode::NOT_FOUND,
                "There is no such staff member",
                &[format!(
                    "Nobody with the email address {email} can sign in to the console."
                )],
                "/console",
            );
        }
        Err(e) => return unavailable(branding, &e),
    };
    record(console, asker, "staff removed", format!("{email} removed")).await;
    // Their signed-in sessions end now, not when their ID token next fails to refresh.
    if let Some(sub) = sub
        && let Err(e) = staff_sessions::delete_all_of_user(console.table(), &sub).await
    {
        tracing::error!(error = %e, "a removed staff member's sessions were not ended");
    }
    web::http::see_other(&format!(
        "/console/staff?{}",
        serde_html_form::to_string([("removed", email)]).unwrap_or_default()
    ))
}
