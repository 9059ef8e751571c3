//! Signing in to the user pool and keeping the tokens.
//!
//! `login` runs USER_PASSWORD_AUTH (the flow the template's app client allows), answers
//! a second-factor challenge when the pool asks for one ([`challenge`]), and keeps the
//! ID, access and refresh tokens in `tokens.json` (0600, see [`crate::store`]). The API
//! wants the **ID** token; before it is within [`REFRESH_MARGIN_SECS`] of expiry it is
//! renewed with REFRESH_TOKEN_AUTH, so a signed-in user stays signed in for the refresh
//! token's life (`RefreshTokenValidityDays`, 30 by default) without typing the password
//! again; `logout` revokes that refresh token at Cognito. [`account`] holds the flows
//! without a session: sign-up and its confirmation, and the password reset;
//! [`identity`] exchanges the ID token for the user's own AWS credentials at the
//! identity pool. Every call here is an unsigned Cognito call: no AWS credentials are
//! needed or looked for.

pub mod account;
pub mod challenge;
mod errors;
pub mod identity;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_config::SdkConfig;
use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::config::timeout::TimeoutConfig;
use aws_sdk_cognitoidentityprovider::config::{BehaviorVersion, Region};
use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, AuthenticationResultType};
use serde::{Deserialize, Serialize};

pub use challenge::SignIn;
use errors::{Step, cognito_error};

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
    /// For the user's own account calls (MFA set-up); older files have none.
    #[serde(default)]
    pub access_token: String,
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

pub(crate) fn cognito(settings: &Settings) -> Client {
    Client::new(&sdk_config(settings))
}

/// What both Cognito clients (the user pool's here, the identity pool's in
/// [`identity`]) are built from: the stack's region, a 30 s bound on each operation,
/// and, locally, the emulator's endpoint. No credentials: the calls the CLI makes to
/// Cognito are unsigned.
pub(crate) fn sdk_config(settings: &Settings) -> SdkConfig {
    let mut config = SdkConfig::builder()
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
    config.build()
}

/// Signs in with email and password: the tokens (saved), or the second factor
/// Cognito asks for (see [`challenge`]).
pub async fn login(settings: &Settings, email: &str, password: &str) -> Result<SignIn> {
    let output = cognito(settings)
        .initiate_auth()
        .client_id(&settings.client_id)
        .auth_flow(AuthFlowType::UserPasswordAuth)
        .auth_parameters("USERNAME", email)
        .auth_parameters("PASSWORD", password)
        .send()
        .await
        .map_err(|e| cognito_error(settings, e, Step::SignIn))?;
    SignIn::from_answer(
        settings,
        email,
        output.authentication_result(),
        output.challenge_name(),
        output.session(),
    )
}

/// Keeps the tokens of a completed sign-in.
pub(crate) fn signed_in(
    settings: &Settings,
    email: &str,
    result: &AuthenticationResultType,
) -> Result<Tokens> {
    let tokens = tokens_from(settings, email, None, result)?;
    store::write_json(FILE, &tokens)?;
    Ok(tokens)
}

/// What signing out did at Cognito.
pub enum SignedOut {
    /// The refresh token is revoked and the saved tokens deleted.
    Revoked,
    /// No saved tokens.
    NotSignedIn,
}

/// Revokes the refresh token at Cognito (RevokeToken: the refresh token and every
/// access and ID token it issued stop working) and deletes the saved tokens, also
/// when the revocation fails (its error is returned after the deletion).
pub async fn logout(settings: Option<&Settings>) -> Result<SignedOut> {
    let saved = match settings {
        Some(settings) => Tokens::load(settings)?,
        None => None,
    };
    let revoked = match (settings, &saved) {
        (Some(settings), Some(tokens)) if !tokens.refresh_token.is_empty() => cognito(settings)
            .revoke_token()
            .client_id(&settings.client_id)
            .token(&tokens.refresh_token)
            .send()
            .await
            .map(drop)
            .map_err(|e| cognito_error(settings, e, Step::Revoke)),
        _ => Ok(()),
    };
    let had_tokens = store::remove(FILE)?;
    revoked?;
    Ok(if had_tokens {
        SignedOut::Revoked
    } else {
        SignedOut::NotSignedIn
    })
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
        .map_err(|e| cognito_error(settings, e, Step::Refresh))?;
    let Some(result) = output.authentication_result() else {
        return Err(Error::SignedOut);
    };
    let renewed = tokens_from(settings, &tokens.email, Some(&tokens.refresh_token), result)?;
    store::write_json(FILE, &renewed)?;
    Ok(renewed)
}

fn tokens_from(
    settings: &Settings,
    email: &str,
    old_refresh: Option<&str>,
    result: &AuthenticationResultType,
) -> Result<Tokens> {
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
        access_token: result.access_token().unwrap_or_default().to_owned(),
        refresh_token,
        expires_at: now() + life,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(expires_at: u64) -> Tokens {
        Tokens {
            email: "a@example.com".into(),
            client_id: "c".into(),
            id_token: "secret-id".into(),
            access_token: "secret-access".into(),
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
