//! Step 4: exchange the ID token for the caller's own AWS credentials.
//!
//! `GetId` maps the user to their Identity ID (`region:uuid`), which is what the
//! authenticated role's policy calls `${cognito-identity.amazonaws.com:sub}` and what
//! the home folder is named after; `GetCredentialsForIdentity` returns temporary
//! credentials of that role. Both results are cached:
//! - the Identity ID per user, because Cognito returns the same one every time;
//! - the credentials per token, until shortly before the earlier of their expiry and
//!   the token's `exp` (credentials must never outlive the token that earned them).
//!
//! Concurrent first requests of one user share one exchange (the caches are
//! single-flight), so a burst costs one GetId and one GetCredentialsForIdentity.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_cognitoidentity::Client;
use aws_sdk_cognitoidentity::operation::get_credentials_for_identity::GetCredentialsForIdentityOutput;
use moka::Expiry;
use moka::future::Cache;

use super::token::Claims;
use crate::aws::Failure;
use crate::config::Config;
use crate::error::{Error, InvalidToken, Upstream};

/// The longest Identity ID Cognito issues (`<region>:<uuid>` is 46; the API allows 55).
pub const MAX_IDENTITY_ID_BYTES: usize = 55;

/// The caller's identity and temporary credentials.
#[derive(Clone, Debug)]
pub struct UserCredentials {
    /// The Identity ID Cognito returned: the only source of the home folder's name.
    pub identity_id: Arc<str>,
    pub provider: SharedCredentialsProvider,
    /// Until when this entry may be reused.
    pub reusable_until: SystemTime,
    /// When AWS stops accepting these credentials (and every URL they signed).
    pub expires_at: SystemTime,
}

/// A SHA-256 of the token: the credentials cache key, so the cache does not hold
/// tokens themselves.
type TokenDigest = [u8; 32];

pub struct IdentityBroker {
    client: Client,
    identity_pool_id: String,
    provider_name: String,
    region_prefix: String,
    margin: Duration,
    identity_ids: Cache<String, Arc<str>>,
    credentials: Cache<TokenDigest, UserCredentials>,
}

struct UntilReusable;

impl Expiry<TokenDigest, UserCredentials> for UntilReusable {
    fn expire_after_create(
        &self,
        _key: &TokenDigest,
        value: &UserCredentials,
        _created_at: std::time::Instant,
    ) -> Option<Duration> {
        Some(
            value
                .reusable_until
                .duration_since(SystemTime::now())
                .unwrap_or(Duration::ZERO),
        )
    }
}

impl IdentityBroker {
    pub fn new(client: Client, config: &Config) -> Self {
        IdentityBroker {
            client,
            identity_pool_id: config.identity_pool_id.clone(),
            provider_name: config.provider_name(),
            region_prefix: format!(
                "{}:",
                config
                    .identity_pool_id
                    .split(':')
                    .next()
                    .unwrap_or_default()
            ),
            margin: config.credentials_refresh_margin,
            identity_ids: Cache::builder()
                .max_capacity(config.cache_capacity)
                // Identity IDs never change, but an idle user need not be kept forever.
                .time_to_idle(Duration::from_secs(6 * 3600))
                .build(),
            credentials: Cache::builder()
                .max_capacity(config.cache_capacity)
                .expire_after(UntilReusable)
                .build(),
        }
    }

    /// The caller's credentials, from the cache or from Cognito.
    pub async fn credentials(
        &self,
        token: &str,
        claims: &Claims,
    ) -> Result<UserCredentials, Error> {
        self.credentials_lasting(token, claims, Duration::ZERO)
            .await
    }

    /// The caller's credentials, still valid `life` from now if Cognito's can be: a
    /// presigned URL stops working when the credentials that signed it expire, so
    /// cached ones that would expire sooner are replaced by a fresh exchange first.
    pub async fn credentials_lasting(
        &self,
        token: &str,
        claims: &Claims,
        life: Duration,
    ) -> Result<UserCredentials, Error> {
        let digest: TokenDigest =
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes())
                .as_ref()
                .try_into()
                .map_err(|_| Error::Internal("SHA-256 digest of unexpected length".into()))?;
        let cached = self
            .credentials
            .try_get_with(digest, self.exchange(token, claims))
            .await
            .map_err(|shared| (*shared).clone())?;
        if cached.expires_at >= SystemTime::now() + life {
            return Ok(cached);
        }
        self.credentials.invalidate(&digest).await;
        self.credentials
            .try_get_with(digest, self.exchange(token, claims))
            .await
            .map_err(|shared| (*shared).clone())
    }

    async fn exchange(&self, token: &str, claims: &Claims) -> Result<UserCredentials, Error> {
        let identity_id = self.identity_id(token, claims).await?;
        let (identity_id, output) = match self.credentials_for(&identity_id, token).await {
            // The cached Identity ID may no longer exist (an administrator deleted it
            // with DeleteIdentities, or the identity pool was re-created): Cognito
            // answers ResourceNotFound, or NotAuthorized for an identity the login no
            // longer maps to. Forget it and resolve the user again, once.
            Err(failure)
                if matches!(
                    failure.code(),
                    "ResourceNotFoundException" | "NotAuthorizedException"
                ) =>
            {
                tracing::info!(
                    aws_code = failure.code(),
                    "the cached Identity ID was refused; resolving it again"
                );
                self.identity_ids.invalidate(&claims.sub).await;
                let fresh = self.identity_id(token, claims).await?;
                let output = self
                    .credentials_for(&fresh, token)
                    .await
                    .map_err(|failure| refused_or(failure, "GetCredentialsForIdentity"))?;
                (fresh, output)
            }
            Err(failure) => return Err(refused_or(failure, "GetCredentialsForIdentity")),
            Ok(output) => (identity_id, output),
        };

        if output.identity_id() != Some(identity_id.as_ref()) {
            return Err(Error::Internal(
                "GetCredentialsForIdentity answered for another identity".into(),
            ));
        }
        let issued = output.credentials().ok_or_else(|| {
            Error::Internal("GetCredentialsForIdentity returned no credentials".into())
        })?;
        let (Some(access_key), Some(secret), Some(session), Some(expiration)) = (
            issued.access_key_id(),
            issued.secret_key(),
            issued.session_token(),
            issued.expiration(),
        ) else {
            return Err(Error::Internal(
                "GetCredentialsForIdentity returned partial credentials".into(),
            ));
        };
        let expires_at = SystemTime::try_from(*expiration)
            .map_err(|_| Error::Internal("credentials expiration out of range".into()))?;
        let token_expires_at = UNIX_EPOCH + Duration::from_secs(claims.exp);
        let reusable_until = expires_at
            .min(token_expires_at)
            .checked_sub(self.margin)
            .unwrap_or(UNIX_EPOCH);

        let credentials = Credentials::new(
            access_key,
            secret,
            Some(session.to_owned()),
            Some(expires_at),
            "cognito-identity",
        );
        Ok(UserCredentials {
            identity_id,
            provider: SharedCredentialsProvider::new(credentials),
            reusable_until,
            expires_at,
        })
    }

    /// The user's Identity ID, from the cache or from GetId.
    async fn identity_id(&self, token: &str, claims: &Claims) -> Result<Arc<str>, Error> {
        self.identity_ids
            .try_get_with_by_ref(&claims.sub, self.get_id(token))
            .await
            .map_err(|shared| (*shared).clone())
    }

    async fn credentials_for(
        &self,
        identity_id: &str,
        token: &str,
    ) -> Result<GetCredentialsForIdentityOutput, Failure> {
        self.client
            .get_credentials_for_identity()
            .identity_id(identity_id)
            .logins(&self.provider_name, token)
            .send()
            .await
            .map_err(|error| Failure::of(&error))
    }

    async fn get_id(&self, token: &str) -> Result<Arc<str>, Error> {
        let output = self
            .client
            .get_id()
            .identity_pool_id(&self.identity_pool_id)
            .logins(&self.provider_name, token)
            .send()
            .await
            .map_err(|error| refused_or(Failure::of(&error), "GetId"))?;
        let identity_id = output
            .identity_id()
            .ok_or_else(|| Error::Internal("GetId returned no IdentityId".into()))?;
        // The home folder is named after this value: accept only what Cognito's own
        // format allows, so no answer can ever contain `/` or climb out of `home/`.
        if !is_identity_id(identity_id, &self.region_prefix) {
            return Err(Error::Internal(
                "GetId returned a malformed IdentityId".into(),
            ));
        }
        Ok(Arc::from(identity_id))
    }
}

fn refused_or(failure: Failure, operation: &str) -> Error {
    match failure.code() {
        // Cognito's own verdict on the token: revoked, signed out globally, or a
        // user the identity pool does not trust.
        "NotAuthorizedException" => Error::InvalidToken(InvalidToken::RefusedByCognito),
        _ => failure.into_error(Upstream::Cognito, operation),
    }
}

/// `<region>:<uuid>`: the region of the identity pool, then hex digits and dashes.
pub(crate) fn is_identity_id(value: &str, region_prefix: &str) -> bool {
    value.len() <= MAX_IDENTITY_ID_BYTES
        && value.strip_prefix(region_prefix).is_some_and(|uuid| {
            !uuid.is_empty() && uuid.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::is_identity_id;

    #[test]
    fn only_cognito_shaped_identity_ids_name_a_home() {
        let prefix = "us-east-1:";
        assert!(is_identity_id(
            "us-east-1:0f2a7c3e-1111-2222-3333-444455556666",
            prefix
        ));
        for bad in [
            "",
            "us-east-1:",
            "eu-west-1:0f2a7c3e-1111-2222-3333-444455556666",
            "us-east-1:../other",
            "us-east-1:abc/def",
            "us-east-1:0f2a7c3e-1111-2222-3333-4444555566667777777777777",
            "us-east-1:ABCxyz",
        ] {
            assert!(!is_identity_id(bad, prefix), "{bad}");
        }
    }
}
