//! Signing in against the staff pool through Cognito's user APIs (the app client's own calls:
//! `InitiateAuth`, `RespondToAuthChallenge`, the TOTP enrolment pair, `GlobalSignOut`). None of
//! them is authorised by IAM: the function's policy grants no Cognito action.

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::error::ProvideErrorMetadata;
use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, AuthenticationResultType, ChallengeNameType, VerifySoftwareTokenResponseType,
};

/// The tokens of a completed sign-in (or a refresh, which keeps the refresh token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    pub id_token: String,
    pub access_token: String,
    pub refresh_token: Option<String>,
}

/// What Cognito answered to a sign-in step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    SignedIn(Tokens),
    /// One more step: `NEW_PASSWORD_REQUIRED`, `MFA_SETUP` or `SOFTWARE_TOKEN_MFA`.
    /// The user's name in the pool comes with it when Cognito gives it (`USER_ID_FOR_SRP`, or
    /// `USERNAME`).
    Challenge {
        name: String,
        session: String,
        username: Option<String>,
    },
}

/// Why a step was refused: each shown to the user as its own message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CognitoError {
    #[error("the email address or password is wrong")]
    WrongCredentials,
    #[error("the new password is not allowed: {0}")]
    PasswordRejected(String),
    #[error("the code is wrong or has expired")]
    WrongCode,
    #[error("the sign-in took too long")]
    SessionExpired,
    #[error("too many attempts")]
    TooManyAttempts,
    #[error("Cognito failed: {0}")]
    Unavailable(String),
}

fn classify<E: ProvideErrorMetadata>(err: &E) -> CognitoError {
    let message = err.message().unwrap_or_default().to_owned();
    match err.code().unwrap_or_default() {
        "NotAuthorizedException" if message.contains("session") => CognitoError::SessionExpired,
        "NotAuthorizedException" | "UserNotFoundException" | "UserNotConfirmedException" => {
            CognitoError::WrongCredentials
        }
        "InvalidPasswordException" => CognitoError::PasswordRejected(message),
        "CodeMismatchException" | "EnableSoftwareTokenMFAException" => CognitoError::WrongCode,
        "ExpiredCodeException" => CognitoError::SessionExpired,
        "TooManyRequestsException"
        | "TooManyFailedAttemptsException"
        | "LimitExceededException" => CognitoError::TooManyAttempts,
        // moto answers an unknown or used challenge session so.
        "ResourceNotFoundException" => CognitoError::SessionExpired,
        code => CognitoError::Unavailable(format!("{code}: {message}")),
    }
}

fn sdk_error<E, R>(err: aws_sdk_cognitoidentityprovider::error::SdkError<E, R>) -> CognitoError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match err.as_service_error() {
        Some(service) => classify(service),
        None => CognitoError::Unavailable(
            aws_sdk_cognitoidentityprovider::error::DisplayErrorContext(&err).to_string(),
        ),
    }
}

fn step(
    result: Option<&AuthenticationResultType>,
    challenge: Option<&ChallengeNameType>,
    session: Option<&str>,
    parameters: Option<&std::collections::HashMap<String, String>>,
) -> Result<Step, CognitoError> {
    if let Some(result) = result {
        return Ok(Step::SignedIn(Tokens {
            id_token: result.id_token().unwrap_or_default().to_owned(),
            access_token: result.access_token().unwrap_or_default().to_owned(),
            refresh_token: result.refresh_token().map(str::to_owned),
        }));
    }
    match (challenge, session) {
        (Some(name), Some(session)) => Ok(Step::Challenge {
            name: name.as_str().to_owned(),
            session: session.to_owned(),
            username: parameters.and_then(|p| {
                p.get("USER_ID_FOR_SRP")
                    .or_else(|| p.get("USERNAME"))
                    .cloned()
            }),
        }),
        _ => Err(CognitoError::Unavailable(
            "Cognito answered with neither tokens nor a challenge".into(),
        )),
    }
}

/// The console's app client of the staff pool.
#[derive(Clone, Debug)]
pub struct StaffPool {
    pub client: Client,
    pub client_id: String,
}

impl StaffPool {
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<Step, CognitoError> {
        let out = self
            .client
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", email)
            .auth_parameters("PASSWORD", password)
            .send()
            .await
            .map_err(sdk_error)?;
        step(
            out.authentication_result(),
            out.challenge_name(),
            out.session(),
            out.challenge_parameters.as_ref(),
        )
    }

    async fn respond(
        &self,
        challenge: ChallengeNameType,
        session: &str,
        responses: &[(&str, &str)],
    ) -> Result<Step, CognitoError> {
        let mut request = self
            .client
            .respond_to_auth_challenge()
            .client_id(&self.client_id)
            .challenge_name(challenge)
            .session(session);
        for (name, value) in responses {
            request = request.challenge_responses(*name, *value);
        }
        let out = request.send().await.map_err(sdk_error)?;
        step(
            out.authentication_result(),
            out.challenge_name(),
            out.session(),
            out.challenge_parameters.as_ref(),
        )
    }

    pub async fn new_password(
        &self,
        email: &str,
        session: &str,
        password: &str,
    ) -> Result<Step, CognitoError> {
        self.respond(
            ChallengeNameType::NewPasswordRequired,
            session,
            &[("USERNAME", email), ("NEW_PASSWORD", password)],
        )
        .await
    }

    /// A new authenticator secret for the user of the challenge `session`, and the session to
    /// verify it with.
    pub async fn associate_authenticator(
        &self,
        session: &str,
    ) -> Result<(String, String), CognitoError> {
        let out = self
            .client
            .associate_software_token()
            .session(session)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok((
            out.secret_code().unwrap_or_default().to_owned(),
            out.session().unwrap_or(session).to_owned(),
        ))
    }

    /// Verifies the first code of the authenticator being enrolled and finishes the sign-in.
    pub async fn finish_enrolment(
        &self,
        email: &str,
        session: &str,
        code: &str,
    ) -> Result<Step, CognitoError> {
        let out = self
            .client
            .verify_software_token()
            .session(session)
            .user_code(code)
            .friendly_device_name("console")
            .send()
            .await
            .map_err(sdk_error)?;
        if out.status() != Some(&VerifySoftwareTokenResponseType::Success) {
            return Err(CognitoError::WrongCode);
        }
        let session = out.session().unwrap_or(session).to_owned();
        self.respond(
            ChallengeNameType::MfaSetup,
            &session,
            &[("USERNAME", email)],
        )
        .await
    }

    pub async fn authenticator_code(
        &self,
        email: &str,
        session: &str,
        code: &str,
    ) -> Result<Step, CognitoError> {
        self.respond(
            ChallengeNameType::SoftwareTokenMfa,
            session,
            &[("USERNAME", email), ("SOFTWARE_TOKEN_MFA_CODE", code)],
        )
        .await
    }

    /// New ID and access tokens for a refresh token (refused once it is revoked).
    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens, CognitoError> {
        let out = self
            .client
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", refresh_token)
            .send()
            .await
            .map_err(sdk_error)?;
        match step(
            out.authentication_result(),
            out.challenge_name(),
            out.session(),
            out.challenge_parameters.as_ref(),
        )? {
            Step::SignedIn(tokens) => Ok(tokens),
            Step::Challenge { .. } => Err(CognitoError::WrongCredentials),
        }
    }

    /// Revokes every refresh token of the user whose access token this is.
    pub async fn global_sign_out(&self, access_token: &str) -> Result<(), CognitoError> {
        self.client
            .global_sign_out()
            .access_token(access_token)
            .send()
            .await
            .map(|_| ())
            .map_err(sdk_error)
    }
}
