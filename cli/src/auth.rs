//! Signing in to the user pool and keeping the tokens.
//!
//! `login` runs USER_PASSWORD_AUTH (the flow the template's app client allows) and
//! keeps the ID and refresh tokens in `tokens.json` (0600, see [`crate::store`]). The
//! API wants the **ID** token; before it is within [`REFRESH_MARGIN_SECS`] of expiry
//! it is renewed with REFRESH_TOKEN_AUTH, so a signed-in user stays signed in for the
//! refresh token's life (30 days by default) without typing the password again.
//! InitiateAuth is an unsigned Cognito call: no AWS credentials are needed or looked for.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::config::timeout::TimeoutConfig;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Region};
use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::operation::initiate_auth::InitiateAuthOutput;
use aws_sdk_cognitoidentityprovider::types::AuthFlowType;
use serde::{Deserialize, Serialize};

use crate::config::Settings;
use crate::error::{Error, Result};
use crate::store;

const FILE: &str = "tokens.json";

/// Renew the ID token when it has less than this left: a long upload's requests then
/// never carry a token that expires on the way.
pub const REFRESH_MARGIN_SECS: u64 = 300;

/// What `tokens.json` holds. Never printed, never logged (`Debug` is redacted).
#[derive(Clone, Serialize, Deserialize)]
pub struct Tokens {
    pub email: String,
    /// The app client the tokens belong to: after `homedir config` points elsewhere,
    /// they are not used.
    pub client_id: String,
    pub id_token: String,
    pub refresh_token: String,
    /// Seconds since the epoch when the ID token expires.
    pub expires_at: u64,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("email", &self.email)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Tokens {
    /// Whether the ID token should be renewed before use at `now`.
    pub fn needs_refresh(&self, now: u64) -> bool {
        self.expires_at <= now.saturating_add(REFRESH_MARGIN_SECS)
    }

    /// The saved tokens for this app client, if any.
    pub fn load(settings: &Settings) -> Result<Option<Tokens>> {
        Ok(store::read_json::<Tokens>(FILE)?.filter(|t| t.client_id == settings.client_id))
    }
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn cognito(settings: &Settings) -> Client {
    let mut config = aws_sdk_cognitoidentityprovider::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(settings.region.clone()))
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(30))
                .build(),
        );
    if let Some(endpoint) = &settings.cognito_endpoint {
        config = config.endpoint_url(endpoint);
    }
    Client::from_conf(config.build())
}

/// Signs in with email and password and saves the tokens.
pub async fn login(settings: &Settings, email: &str, password: &str) -> Result<Tokens> {
    let output = cognito(settings)
        .initiate_auth()
        .client_id(&settings.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", email)
        .auth_parameters("PASSWORD", password)
        .send()
        .await
        .map_err(|e| sign_in_error(settings, e, false))?;
    let tokens = tokens_from(settings, email, None, output)?;
    store::write_json(FILE, &tokens)?;
    Ok(tokens)
}

/// Forgets the tokens; true if there were any.
pub fn logout() -> Result<bool> {
    store::remove(FILE)
}

/// A usable ID token: the saved one, renewed first if it is near expiry (or if
/// `force`, after the API refused it).
pub async fn id_token(settings: &Settings, force: bool) -> Result<Tokens> {
    let tokens = Tokens::load(settings)?.ok_or(Error::SignedOut)?;
    if !force && !tokens.needs_refresh(now()) {
        return Ok(tokens);
    }
    tracing::debug!("renewing the ID token");
    let output = cognito(settings)
        .initiate_auth()
        .client_id(&settings.client_id)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", &tokens.refresh_token)
        .send()
        .await
        .map_err(|e| sign_in_error(settings, e, true))?;
    let renewed = tokens_from(settings, &tokens.email, Some(&tokens.refresh_token), output)?;
    store::write_json(FILE, &renewed)?;
    Ok(renewed)
}

fn tokens_from(
    settings: &Settings,
    email: &str,
    old_refresh: Option<&str>,
    output: InitiateAuthOutput,
) -> Result<Tokens> {
    let Some(result) = output.authentication_result() else {
        let challenge = output
            .challenge_name()
            .map(|c| c.as_str().to_owned())
            .unwrap_or_else(|| "another step".into());
        return Err(Error::SignInRefused(format!(
            "Cognito asks for {challenge} (a new password or a second factor), which this \
             client does not support; complete it once in another client, then sign in again"
        )));
    };
    let incomplete = || Error::Service("Cognito's answer carries no ID token".into());
    let id_token = result.id_token().ok_or_else(incomplete)?.to_owned();
    // REFRESH_TOKEN_AUTH returns a new refresh token only when rotation is on.
    let refresh_token = result
        .refresh_token()
        .or(old_refresh)
        .ok_or_else(incomplete)?
        .to_owned();
    let life = u64::try_from(result.expires_in()).unwrap_or(0).max(60);
    Ok(Tokens {
        email: email.to_owned(),
        client_id: settings.client_id.clone(),
        id_token,
        refresh_token,
        expires_at: now() + life,
    })
}

/// Cognito's refusal in words: the exception's name decides, its text is not shown.
fn sign_in_error<E: ProvideErrorMetadata, R>(
    settings: &Settings,
    error: SdkError<E, R>,
    refreshing: bool,
) -> Error {
    let code = error.code().map(str::to_owned);
    match (code.as_deref(), &error) {
        (Some("NotAuthorizedException" | "UserNotFoundException"), _) if refreshing => {
            Error::SignedOut
        }
        (Some("NotAuthorizedException" | "UserNotFoundException"), _) => {
            Error::SignInRefused("wrong email or password".into())
        }
        (Some("UserNotConfirmedException"), _) => {
            Error::SignInRefused("the account is not confirmed yet".into())
        }
        (Some("PasswordResetRequiredException"), _) => {
            Error::SignInRefused("the account needs a password reset".into())
        }
        (Some("ResourceNotFoundException"), _) => Error::NotConfigured(format!(
            "Cognito knows no app client {} in {}: check `homedir config`",
            settings.client_id, settings.region
        )),
        (Some("InvalidParameterException"), _) => Error::NotConfigured(
            "the app client does not allow password sign-in (USER_PASSWORD_AUTH)".into(),
        ),
        (Some("TooManyRequestsException"), _) => {
            Error::Unavailable("Cognito is throttling sign-ins; retry shortly".into())
        }
        (_, SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)) => {
            Error::Unavailable(format!(
                "cannot reach Cognito{}",
                settings
                    .cognito_endpoint
                    .as_deref()
                    .map(|e| format!(" at {e}"))
                    .unwrap_or_else(|| format!(" in {}", settings.region))
            ))
        }
        (Some(code), _) => Error::Service(format!("Cognito refused the sign-in ({code})")),
        (None, _) => Error::Service("Cognito's answer could not be understood".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(expires_at: u64) -> Tokens {
        Tokens {
            email: "a@example.com".into(),
            client_id: "c".into(),
            id_token: "secret-id".into(),
            refresh_token: "secret-refresh".into(),
            expires_at,
        }
    }

    #[test]
    fn renewed_within_the_margin_only() {
        assert!(!tokens(1_000 + REFRESH_MARGIN_SECS + 1).needs_refresh(1_000));
        assert!(tokens(1_000 + REFRESH_MARGIN_SECS).needs_refresh(1_000));
        assert!(tokens(10).needs_refresh(1_000));
    }

    #[test]
    fn debug_shows_no_token() {
        let text = format!("{:?}", tokens(5));
        assert!(!text.contains("secret"), "{text}");
    }
}
