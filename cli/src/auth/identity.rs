//! The user's own AWS credentials: the ID token exchanged at the stack's identity pool
//! (GetId, then GetCredentialsForIdentity), as the functions exchange it for every
//! request and as any signed-in user may (docs/security.md, "What a user can do with
//! their own credentials"). Both calls are unsigned: no AWS credentials are needed or
//! looked for. What they return is handed to the caller and never kept: nothing here
//! writes a file or logs a key.

use aws_sdk_cognitoidentity::Client;
use aws_sdk_cognitoidentity::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentity::primitives::DateTimeFormat;

use super::id_token;
use crate::config::Settings;
use crate::error::{Error, Result};

/// Temporary credentials of the identity pool's authenticated role. `Debug` shows the
/// access key's first four characters only.
pub struct AwsCredentials {
    pub identity_id: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// RFC 3339, as Cognito's `Expiration` (`2026-12-06T08:00:00Z`).
    pub expiration: String,
}

impl std::fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsCredentials")
            .field("identity_id", &self.identity_id)
            .field(
                "access_key_id",
                &self.access_key_id.get(..4).unwrap_or_default(),
            )
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

/// The signed-in user's credentials, the ID token renewed first when near expiry. A
/// token Cognito refuses (revoked, or issued before a global sign-out) is renewed once
/// and the exchange tried again; a refused renewal is "signed out".
pub async fn credentials(settings: &Settings) -> Result<AwsCredentials> {
    let pool = identity_pool(settings)?;
    let client = client(settings);
    match exchange(&client, settings, pool, false).await {
        Err(Refused::Token) => match exchange(&client, settings, pool, true).await {
            Err(Refused::Token) => Err(Error::SignedOut),
            other => other.map_err(Refused::into_error),
        },
        other => other.map_err(Refused::into_error),
    }
}

/// The identity pool's id, or what to do when the saved configuration has none (one
/// saved before `homedir credentials` existed).
pub fn identity_pool(settings: &Settings) -> Result<&str> {
    if settings.identity_pool_id.is_empty() {
        return Err(Error::NotConfigured(format!(
            "the configuration names no identity pool: run homedir config --stack NAME or \
             homedir config --local again (or set {})",
            crate::config::ENV_IDENTITY_POOL_ID
        )));
    }
    Ok(&settings.identity_pool_id)
}

enum Refused {
    /// Cognito refused the ID token (NotAuthorizedException).
    Token,
    Other(Error),
}

impl Refused {
    fn into_error(self) -> Error {
        match self {
            Refused::Token => Error::SignedOut,
            Refused::Other(error) => error,
        }
    }
}

impl From<Error> for Refused {
    fn from(error: Error) -> Self {
        Refused::Other(error)
    }
}

async fn exchange(
    client: &Client,
    settings: &Settings,
    pool: &str,
    renew: bool,
) -> Result<AwsCredentials, Refused> {
    let tokens = id_token(settings, renew).await?;
    let provider = format!(
        "cognito-idp.{}.amazonaws.com/{}",
        settings.region, settings.user_pool_id
    );
    let identity_id = client
        .get_id()
        .identity_pool_id(pool)
        .logins(&provider, &tokens.id_token)
        .send()
        .await
        .map_err(|e| refused(settings, e))?
        .identity_id
        .ok_or_else(|| Error::Service("Cognito's GetId answer names no identity".into()))?;
    tracing::debug!("identity {identity_id}: asking for its credentials");
    let answer = client
        .get_credentials_for_identity()
        .identity_id(&identity_id)
        .logins(&provider, &tokens.id_token)
        .send()
        .await
        .map_err(|e| refused(settings, e))?;
    let incomplete = || {
        Refused::Other(Error::Service(
            "Cognito's answer carries no complete credentials".into(),
        ))
    };
    let issued = answer.credentials.ok_or_else(incomplete)?;
    let expiration = issued
        .expiration
        .ok_or_else(incomplete)?
        .fmt(DateTimeFormat::DateTime)
        .map_err(|_| incomplete())?;
    Ok(AwsCredentials {
        identity_id: answer.identity_id.unwrap_or(identity_id),
        access_key_id: issued.access_key_id.ok_or_else(incomplete)?,
        secret_access_key: issued.secret_key.ok_or_else(incomplete)?,
        session_token: issued.session_token.ok_or_else(incomplete)?,
        expiration,
    })
}

fn client(settings: &Settings) -> Client {
    Client::new(&super::sdk_config(settings))
}

/// The identity pool's refusals in words; only the exception's name is read.
fn refused<E: ProvideErrorMetadata, R>(settings: &Settings, error: SdkError<E, R>) -> Refused {
    let pool = &settings.identity_pool_id;
    Refused::Other(match error.code() {
        Some("NotAuthorizedException") => return Refused::Token,
        Some("ResourceNotFoundException") if settings.cognito_endpoint.is_some() => {
            Error::NotConfigured(format!(
                "the local stack has no identity pool {pool} (was make dev started afresh?): \
                 run homedir config --local again, then homedir login"
            ))
        }
        Some("ResourceNotFoundException") => Error::NotConfigured(format!(
            "Cognito knows no identity pool {pool} in {}: check `homedir config`",
            settings.region
        )),
        Some("InvalidIdentityPoolConfigurationException") => Error::Service(format!(
            "the identity pool {pool} cannot issue credentials (its role's trust policy): \
             ask the stack's operator"
        )),
        Some("TooManyRequestsException" | "LimitExceededException") => {
            Error::Unavailable("Cognito is throttling requests; retry shortly".into())
        }
        Some(code) => Error::Service(format!("Cognito refused the credentials ({code})")),
        None if matches!(
            error,
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)
        ) =>
        {
            Error::Unavailable(format!(
                "cannot reach Cognito{}",
                settings
                    .cognito_endpoint
                    .as_deref()
                    .map(|e| format!(" at {e}"))
                    .unwrap_or_else(|| format!(" in {}", settings.region))
            ))
        }
        None => Error::Service("Cognito's answer could not be understood".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_secret() {
        let credentials = AwsCredentials {
            identity_id: "us-east-1:1".into(),
            access_key_id: "ASIAEXAMPLEKEY".into(),
            secret_access_key: "secret-key".into(),
            session_token: "session-token".into(),
            expiration: "2026-12-06T08:00:00Z".into(),
        };
        let text = format!("{credentials:?}");
        assert!(!text.contains("secret-key") && !text.contains("session-token"));
        assert!(!text.contains("EXAMPLEKEY"), "{text}");
    }

    #[test]
    fn a_configuration_without_an_identity_pool_says_what_to_do() {
        let error = identity_pool(&Settings::default()).unwrap_err();
        assert_eq!(error.exit_code(), 3);
        assert!(error.to_string().contains("homedir config"), "{error}");
    }
}
