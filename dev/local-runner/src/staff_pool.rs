//! The template's Cognito user pools, app clients and groups, created in moto like the table:
//! the pool's username attributes, password policy and TOTP-only MFA, the client's auth flows,
//! the groups. (moto checks TOTP codes only when started with
//! `MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true`, as `scripts/lib/services.sh` does; it gives
//! every user the same secret and signs every pool's tokens with one key.) The pool's users are
//! not created from the template: [`seed_demo_staff`] adds the demo staff instead.

use anyhow::{Context as _, anyhow};
use aws_config::SdkConfig;
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::types::{
    ExplicitAuthFlowsType, PasswordPolicyType, SoftwareTokenMfaConfigType, UserPoolMfaType,
    UserPoolPolicyType, UsernameAttributeType,
};
use serde_norway::{Mapping, Value};

use crate::intrinsics::{ACCOUNT_ID, LocalValues, REGION, Resolver};
use crate::template::{Template, scalar_string};

fn cognito_error<E>(err: aws_sdk_cognitoidentityprovider::error::SdkError<E>) -> anyhow::Error
where
    E: std::error::Error + Send + Sync + 'static,
{
    anyhow!(aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(err).to_string())
}

fn props(resource: &Value) -> Value {
    resource.get("Properties").cloned().unwrap_or_default()
}

fn strings(value: &Value, key: &str) -> Vec<String> {
    value
        .get(key)
        .and_then(Value::as_sequence)
        .map(|s| s.iter().map(scalar_string).collect())
        .unwrap_or_default()
}

fn flag(value: &Value, key: &str) -> bool {
    value.get(key).is_some_and(|v| scalar_string(v) == "true")
}

/// Creates every `AWS::Cognito::UserPool`, `UserPoolClient` and `UserPoolGroup` of the template
/// and records what `!Ref` and `!GetAtt` give for them.
pub async fn provision(
    template: &Template,
    config: &SdkConfig,
    prefix: &str,
    conditions: &Mapping,
    values: &mut LocalValues,
) -> anyhow::Result<()> {
    let client = Client::new(config);
    for (id, resource) in template.resources_of_type("AWS::Cognito::UserPool") {
        let props = props(resource);
        let policy = props
            .get("Policies")
            .and_then(|p| p.get("PasswordPolicy"))
            .cloned()
            .unwrap_or_default();
        let number = |key: &str, default: i32| {
            policy
                .get(key)
                .map(scalar_string)
                .and_then(|v| v.parse().ok())
                .unwrap_or(default)
        };
        let created = client
            .create_user_pool()
            .pool_name(format!("{prefix}-{id}"))
            .set_username_attributes(Some(
                strings(&props, "UsernameAttributes")
                    .iter()
                    .map(|a| UsernameAttributeType::from(a.as_str()))
                    .collect(),
            ))
            .policies(
                UserPoolPolicyType::builder()
                    .password_policy(
                        PasswordPolicyType::builder()
                            .minimum_length(number("MinimumLength", 8))
                            .require_lowercase(flag(&policy, "RequireLowercase"))
                            .require_uppercase(flag(&policy, "RequireUppercase"))
                            .require_numbers(flag(&policy, "RequireNumbers"))
                            .require_symbols(flag(&policy, "RequireSymbols"))
                            .temporary_password_validity_days(number(
                                "TemporaryPasswordValidityDays",
                                7,
                            ))
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .map_err(cognito_error)
            .with_context(|| format!("creating user pool {id}"))?;
        let pool_id = created
            .user_pool()
            .and_then(|p| p.id())
            .ok_or_else(|| anyhow!("moto returned no pool id for {id}"))?
            .to_owned();
        let mfa_on = props.get("MfaConfiguration").map(scalar_string).as_deref() == Some("ON");
        let totp = strings(&props, "EnabledMfas").contains(&"SOFTWARE_TOKEN_MFA".to_owned());
        if mfa_on && totp {
            client
                .set_user_pool_mfa_config()
                .user_pool_id(&pool_id)
                .software_token_mfa_configuration(
                    SoftwareTokenMfaConfigType::builder().enabled(true).build(),
                )
                .mfa_configuration(UserPoolMfaType::On)
                .send()
                .await
                .map_err(cognito_error)
                .with_context(|| format!("turning on TOTP for user pool {id}"))?;
        }
        let issuer = format!("https://cognito-idp.{REGION}.amazonaws.com/{pool_id}");
        let arn = format!("arn:aws:cognito-idp:{REGION}:{ACCOUNT_ID}:userpool/{pool_id}");
        for (attribute, value) in [
            ("Arn", arn),
            (
                "ProviderName",
                issuer.trim_start_matches("https://").to_owned(),
            ),
            ("ProviderURL", issuer),
            ("UserPoolId", pool_id.clone()),
        ] {
            values
                .attributes
                .insert((id.into(), attribute.into()), value);
        }
        values.refs.insert(id.into(), pool_id);
    }
    for (id, resource) in template.resources_of_type("AWS::Cognito::UserPoolClient") {
        let props = props(resource);
        let pool_id = pool_of(&props, values, conditions)?;
        let created = client
            .create_user_pool_client()
            .user_pool_id(&pool_id)
            .client_name(format!("{prefix}-{id}"))
            .generate_secret(flag(&props, "GenerateSecret"))
            .set_explicit_auth_flows(Some(
                strings(&props, "ExplicitAuthFlows")
                    .iter()
                    .map(|f| ExplicitAuthFlowsType::from(f.as_str()))
                    .collect(),
            ))
            .send()
            .await
            .map_err(cognito_error)
            .with_context(|| format!("creating user pool client {id}"))?;
        let client_id = created
            .user_pool_client()
            .and_then(|c| c.client_id())
            .ok_or_else(|| anyhow!("moto returned no client id for {id}"))?
            .to_owned();
        values
            .attributes
            .insert((id.into(), "ClientId".into()), client_id.clone());
        values.refs.insert(id.into(), client_id);
    }
    for (id, resource) in template.resources_of_type("AWS::Cognito::UserPoolGroup") {
        let props = props(resource);
        let pool_id = pool_of(&props, values, conditions)?;
        let name = props
            .get("GroupName")
            .map(scalar_string)
            .unwrap_or_else(|| id.to_owned());
        let mut request = client
            .create_group()
            .user_pool_id(&pool_id)
            .group_name(&name);
        if let Some(precedence) = props
            .get("Precedence")
            .map(scalar_string)
            .and_then(|p| p.parse().ok())
        {
            request = request.precedence(precedence);
        }
        request
            .send()
            .await
            .map_err(cognito_error)
            .with_context(|| format!("creating group {id}"))?;
        values.refs.insert(id.into(), name);
    }
    Ok(())
}

fn pool_of(props: &Value, values: &LocalValues, conditions: &Mapping) -> anyhow::Result<String> {
    let reference = props
        .get("UserPoolId")
        .ok_or_else(|| anyhow!("UserPoolId is missing"))?;
    Resolver { values, conditions }.resolve(reference)
}

/// A demo staff member: their email, temporary password and group.
pub struct DemoStaff {
    pub email: &'static str,
    pub temporary_password: &'static str,
    pub group: &'static str,
}

/// The demo coordinator and viewer (temporary passwords: each chooses their own at first
/// sign-in, then sets up an authenticator app).
pub const DEMO_STAFF: [DemoStaff; 2] = [
    DemoStaff {
        email: "coordinator@example.org",
        temporary_password: "Coordinator-temp-1",
        group: "coordinator",
    },
    DemoStaff {
        email: "viewer@example.org",
        temporary_password: "Viewer-temporary-1",
        group: "viewer",
    },
];

/// Creates `email` in the staff pool `pool_id` with a temporary password, in `group`.
pub async fn add_staff(
    config: &SdkConfig,
    pool_id: &str,
    email: &str,
    temporary_password: &str,
    group: &str,
) -> anyhow::Result<()> {
    use aws_sdk_cognitoidentityprovider::types::{AttributeType, MessageActionType};
    let client = Client::new(config);
    client
        .admin_create_user()
        .user_pool_id(pool_id)
        .username(email)
        .temporary_password(temporary_password)
        .message_action(MessageActionType::Suppress)
        .user_attributes(
            AttributeType::builder()
                .name("email")
                .value(email)
                .build()?,
        )
        .user_attributes(
            AttributeType::builder()
                .name("email_verified")
                .value("true")
                .build()?,
        )
        .send()
        .await
        .map_err(cognito_error)
        .with_context(|| format!("creating staff member {email}"))?;
    client
        .admin_add_user_to_group()
        .user_pool_id(pool_id)
        .username(email)
        .group_name(group)
        .send()
        .await
        .map_err(cognito_error)
        .with_context(|| format!("adding {email} to {group}"))?;
    Ok(())
}

/// The demo coordinator and viewer, in the pool `StaffUserPool`.
pub async fn seed_demo_staff(config: &SdkConfig, values: &LocalValues) -> anyhow::Result<()> {
    let pool_id = values
        .refs
        .get("StaffUserPool")
        .ok_or_else(|| anyhow!("the template has no StaffUserPool"))?;
    for staff in &DEMO_STAFF {
        add_staff(
            config,
            pool_id,
            staff.email,
            staff.temporary_password,
            staff.group,
        )
        .await?;
    }
    Ok(())
}
