//! Step 4: exchange the ID token for the caller's own AWS credentials.
//!
//! `GetCredentialsForIdentity(IdentityId, Logins)` returns temporary credentials of
//! the authenticated role for the caller's Identity ID (`region:uuid`), which is what
//! the role's policy calls `${cognito-identity.amazonaws.com:sub}` and what the home
//! folder is named after. Where the Identity ID comes from, cheapest first:
//!
//! 1. this environment's cache (per `sub`: Cognito returns the same one every time);
//! 2. the token's `identity_id` claim, which the pre-token-generation trigger
//!    (`functions/directory`) copies from the identity table the functions write.
//!    Users cannot set it (a trigger's claim is no user attribute), and it is only a
//!    hint: Cognito checks that the login in `Logins` belongs to the identity, so a
//!    wrong or stale claim gets no credentials (NotAuthorized, or ResourceNotFound for
//!    an identity a re-created pool does not know). The exchange then falls back to:
//! 3. `GetId`, once per user and environment, recorded in the identity table for the
//!    user's next tokens (concurrently with the exchange, so it adds no round trip).
//!
//! With the claim, a user's first request in an environment is one Cognito round trip
//! (GetCredentialsForIdentity, concurrent with the user check) instead of two (GetId,
//! then GetCredentialsForIdentity).
//!
//! Credentials are cached per token, until shortly before the earlier of their expiry
//! and the token's `exp` (credentials must never outlive the token that earned them).
//! Concurrent first requests of one user share one exchange (the caches are
//! single-flight), so a burst costs one call of each kind.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;

use super::backend::{AwsBackend, Backend, Issued};
use super::cache::Cache;
use super::token::Claims;
use crate::aws::Failure;
use crate::clock::Clock;
use crate::config::Config;
use crate::error::{Error, InvalidToken, Upstream};

/// The longest Identity ID Cognito issues (`<region>:<uuid>` is 46; the API allows 55).
pub const MAX_IDENTITY_ID_BYTES: usize = 55;

/// The caller's identity and temporary credentials.
#[derive(Clone, Debug)]
pub struct UserCredentials {
    /// The Identity ID Cognito issued the credentials for: the only source of the
    /// home folder's name.
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

/// Where an exchange took the Identity ID from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Cache,
    Claim,
    GetId,
}

pub struct IdentityBroker<B: Backend = AwsBackend> {
    backend: Arc<B>,
    clock: Clock,
    region_prefix: String,
    margin: Duration,
    identity_ids: Cache<String, Arc<str>, Error>,
    credentials: Cache<TokenDigest, UserCredentials, Error>,
}

impl IdentityBroker<AwsBackend> {
    pub fn new(backend: Arc<AwsBackend>, config: &Config) -> Self {
        IdentityBroker::with_backend(backend, config, Clock::system())
    }
}

impl<B: Backend> IdentityBroker<B> {
    /// The exchange over any [`Backend`], on `clock` (the fleet model's).
    pub fn with_backend(backend: Arc<B>, config: &Config, clock: Clock) -> Self {
        IdentityBroker {
            backend,
            region_prefix: format!(
                "{}:",
                config
                    .identity_pool_id
                    .split(':')
                    .next()
                    .unwrap_or_default()
            ),
            margin: config.credentials_refresh_margin,
            // Identity IDs never change, but an idle user need not be kept forever.
            identity_ids: Cache::new(clock.clone(), config.cache_capacity)
                .time_to_idle(Duration::from_secs(6 * 3600)),
            credentials: Cache::new(clock.clone(), config.cache_capacity)
                .until(|credentials: &UserCredentials| credentials.reusable_until),
            clock,
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
            .try_get_with(&digest, self.exchange(token, claims))
            .await?;
        if cached.expires_at >= self.clock.now() + life {
            return Ok(cached);
        }
        self.credentials.invalidate(&digest);
        self.credentials
            .try_get_with(&digest, self.exchange(token, claims))
            .await
    }

    async fn exchange(&self, token: &str, claims: &Claims) -> Result<UserCredentials, Error> {
        let key = claims.sub.clone();
        let (identity_id, source) = match self.identity_ids.get(&key) {
            Some(cached) => (cached, Source::Cache),
            None => match claims
                .identity_id
                .as_deref()
                .filter(|claimed| is_identity_id(claimed, &self.region_prefix))
            {
                Some(claimed) => (Arc::from(claimed), Source::Claim),
                None => (self.resolve(token, &key).await?, Source::GetId),
            },
        };
        let answer = if source == Source::GetId {
            self.exchange_and_record(&identity_id, token, &key).await
        } else {
            self.backend
                .get_credentials_for_identity(&identity_id, token)
                .await
        };
        let (identity_id, issued) = match answer {
            Ok(issued) => {
                if source == Source::Claim {
                    let known = identity_id.clone();
                    let _ = self
                        .identity_ids
                        .try_get_with(&key, async move { Ok(known) })
                        .await;
                }
                (identity_id, issued)
            }
            // The cached or claimed Identity ID is not this login's: an administrator
            // deleted it with DeleteIdentities, the identity pool was re-created, or
            // the claim names another identity. Cognito refused; resolve the user
            // again, once, and repair the record the claim comes from.
            Err(failure)
                if source != Source::GetId
                    && matches!(
                        failure.code(),
                        "ResourceNotFoundException" | "NotAuthorizedException"
                    ) =>
            {
                tracing::info!(
                    aws_code = failure.code(),
                    from_claim = source == Source::Claim,
                    "the Identity ID was refused; resolving it again"
                );
                self.identity_ids.invalidate(&key);
                let fresh = self.resolve(token, &key).await?;
                let issued = self
                    .exchange_and_record(&fresh, token, &key)
                    .await
                    .map_err(|failure| refused_or(failure, "GetCredentialsForIdentity"))?;
                (fresh, issued)
            }
            Err(failure) => return Err(refused_or(failure, "GetCredentialsForIdentity")),
        };
        self.credentials_of(identity_id, &issued, claims)
    }

    /// GetCredentialsForIdentity, and concurrently the Identity ID recorded for the
    /// trigger. The record is best effort: without it the user's tokens carry no
    /// claim and cost a GetId per environment, nothing worse.
    async fn exchange_and_record(
        &self,
        identity_id: &str,
        token: &str,
        sub: &str,
    ) -> Result<Issued, Failure> {
        let (issued, recorded) = tokio::join!(
            self.backend
                .get_credentials_for_identity(identity_id, token),
            self.backend.record_identity(sub, identity_id),
        );
        if let Err(failure) = recorded {
            tracing::warn!(
                aws_code = failure.code(),
                "the Identity ID could not be recorded for the token claim"
            );
        }
        issued
    }

    fn credentials_of(
        &self,
        identity_id: Arc<str>,
        issued: &Issued,
        claims: &Claims,
    ) -> Result<UserCredentials, Error> {
        if issued.identity_id.as_deref() != Some(identity_id.as_ref()) {
            return Err(Error::Internal(
                "GetCredentialsForIdentity answered for another identity".into(),
            ));
        }
        let (Some(access_key), Some(secret), Some(session), Some(expires_at)) = (
            issued.access_key_id.as_deref(),
            issued.secret_key.as_deref(),
            issued.session_token.as_deref(),
            issued.expiration,
        ) else {
            return Err(Error::Internal(
                "GetCredentialsForIdentity returned partial credentials".into(),
            ));
        };
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

    /// The user's Identity ID from GetId (one call per user and environment, shared
    /// by concurrent requests).
    async fn resolve(&self, token: &str, sub: &String) -> Result<Arc<str>, Error> {
        self.identity_ids
            .try_get_with(sub, self.get_id(token))
            .await
    }

    async fn get_id(&self, token: &str) -> Result<Arc<str>, Error> {
        let identity_id = self
            .backend
            .get_id(token)
            .await
            .map_err(|failure| refused_or(failure, "GetId"))?;
        // The home folder is named after this value: accept only what Cognito's own
        // format allows, so no answer can ever contain `/` or climb out of `home/`.
        if !is_identity_id(&identity_id, &self.region_prefix) {
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
