//! Step 1 and 2 of the request flow: find the ID token and verify it locally.
//!
//! Verification happens before any AWS call, so a forged, expired or foreign token
//! costs nothing but CPU: no Cognito quota, no S3 request. The pool's signing keys
//! (JWKS) are fetched on first use and kept for the life of the process; a token
//! whose `kid` is unknown triggers at most one refetch per cool-down, because Cognito
//! rotates keys rarely and an attacker must not be able to make us hammer the JWKS.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::{Duration, Instant};

use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use http::{HeaderMap, Uri, header};
use http_body_util::{BodyExt, Limited};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::team::Membership;
use crate::config::Config;
use crate::error::{Error, InvalidToken, Upstream};

/// Cognito ID tokens are around 1 KB; anything far larger is not one.
const MAX_TOKEN_BYTES: usize = 16 * 1024;
/// A JWKS is a few KB; refuse to buffer more than this from the network.
const MAX_JWKS_BYTES: usize = 64 * 1024;
const JWKS_TIMEOUT: Duration = Duration::from_secs(3);
/// After a failed JWKS fetch, the next one waits this long (or the configured
/// cool-down, if shorter).
const FAILED_FETCH_COOLDOWN: Duration = Duration::from_secs(5);

/// The ID token of the request: `Authorization: Bearer <token>`, or the seed
/// clients' `idToken: <token>` header. `Authorization` wins when both are present.
pub fn extract(headers: &HeaderMap) -> Result<&str, Error> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let value = value
            .to_str()
            .map_err(|_| Error::InvalidToken(InvalidToken::Malformed))?
            .trim();
        let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(Error::InvalidToken(InvalidToken::Malformed));
        }
        let token = token.trim();
        return if token.is_empty() {
            Err(Error::MissingToken)
        } else {
            Ok(token)
        };
    }
    match headers.get("idtoken") {
        Some(value) => match value.to_str().map(str::trim) {
            Ok("") => Err(Error::MissingToken),
            Ok(token) => Ok(token),
            Err(_) => Err(Error::InvalidToken(InvalidToken::Malformed)),
        },
        None => Err(Error::MissingToken),
    }
}

/// The verified claims the rest of the flow needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    /// The user pool's stable id of the user.
    pub sub: String,
    /// What AdminGetUser takes as `Username`.
    pub username: String,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issue time, seconds since the epoch (0 when absent: then any recorded change
    /// of the user refuses the token).
    pub iat: u64,
    /// The caller's Identity ID as the pre-token-generation trigger recorded it: a
    /// hint Cognito verifies (see [`super::identity`]), never trusted on its own.
    pub identity_id: Option<String>,
    /// The team `custom:team` names, if any (see [`super::team`]).
    pub team: Membership,
    /// The owner's own quota in bytes, `custom:quota`, which only an operator sets
    /// (see [`crate::usage::quota`]); `None`: the deployment's default.
    pub quota: Option<u64>,
}

#[derive(Deserialize)]
struct RawClaims {
    sub: String,
    exp: u64,
    #[serde(default)]
    iat: u64,
    /// Added by the pre-token-generation trigger; any other shape is ignored.
    #[serde(default)]
    identity_id: Option<serde_json::Value>,
    token_use: String,
    #[serde(rename = "cognito:username")]
    username: Option<String>,
    #[serde(rename = "custom:team")]
    team: Option<String>,
    /// Cognito writes custom attributes as strings; a number is read too.
    #[serde(rename = "custom:quota")]
    quota: Option<serde_json::Value>,
    aud: Option<String>,
}

type KeySet = HashMap<String, Arc<DecodingKey>>;

/// Verifies Cognito ID tokens of one user pool and app client.
pub struct TokenVerifier {
    /// The app client id every ID token's `aud` must be.
    client_id: String,
    validation: Validation,
    jwks_url: Uri,
    cooldown: Duration,
    keys: RwLock<Arc<KeySet>>,
    /// When the key set was last fetched (successfully or not) and how long to wait
    /// before the next fetch; the lock makes concurrent misses share one fetch.
    last_fetch: tokio::sync::Mutex<Option<(Instant, Duration)>>,
    fetches: AtomicU64,
    /// The SDK's own HTTPS connector (same TLS stack, same platform roots), so the
    /// functions link one HTTP client, not two. Built by the first fetch: loading the
    /// system's root certificates is work a cold start need not do.
    http: OnceLock<SharedHttpConnector>,
}

impl TokenVerifier {
    pub fn new(config: &Config) -> Result<Self, Error> {
        let jwks_url: Uri = config
            .jwks_url()
            .parse()
            .map_err(|_| Error::Internal("the JWKS URL does not parse".into()))?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[config.issuer()]);
        // `aud` is checked after `token_use` (see `verify`): an access token has no
        // `aud`, and its caller deserves to hear it sent the wrong token.
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        // Cognito and Lambda clocks are NTP-synced; an expired token is expired.
        validation.leeway = 0;

        Ok(TokenVerifier {
            client_id: config.user_pool_client_id.clone(),
            validation,
            jwks_url,
            cooldown: config.jwks_refetch_cooldown,
            keys: RwLock::new(Arc::new(HashMap::new())),
            last_fetch: tokio::sync::Mutex::new(None),
            fetches: AtomicU64::new(0),
            http: OnceLock::new(),
        })
    }

    /// Verifies signature, `iss`, `aud`, `exp` and `token_use = id`.
    pub async fn verify(&self, token: &str) -> Result<Claims, Error> {
        let reject = |reason| Error::InvalidToken(reason);
        if token.len() > MAX_TOKEN_BYTES {
            return Err(reject(InvalidToken::Malformed));
        }
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| reject(InvalidToken::Malformed))?;
        if header.alg != Algorithm::RS256 {
            return Err(reject(InvalidToken::Algorithm));
        }
        let kid = header.kid.ok_or(reject(InvalidToken::UnknownKey))?;
        let key = self.key(&kid).await?;
        let data =
            jsonwebtoken::decode::<RawClaims>(token, &key, &self.validation).map_err(|e| {
                reject(match e.kind() {
                    ErrorKind::InvalidSignature => InvalidToken::Signature,
                    ErrorKind::ExpiredSignature => InvalidToken::Expired,
                    ErrorKind::InvalidIssuer => InvalidToken::Issuer,
                    ErrorKind::InvalidAudience => InvalidToken::Audience,
                    ErrorKind::InvalidAlgorithm => InvalidToken::Algorithm,
                    ErrorKind::MissingRequiredClaim(_) | ErrorKind::Json(_) => InvalidToken::Claims,
                    _ => InvalidToken::Malformed,
                })
            })?;
        let claims = data.claims;
        if claims.token_use != "id" {
            return Err(reject(InvalidToken::TokenUse));
        }
        if claims.aud.as_deref() != Some(self.client_id.as_str()) {
            return Err(reject(InvalidToken::Audience));
        }
        if claims.sub.is_empty() || claims.sub.len() > 128 {
            return Err(reject(InvalidToken::Claims));
        }
        Ok(Claims {
            username: claims.username.unwrap_or_else(|| claims.sub.clone()),
            team: Membership::from_claim(claims.team.as_deref()),
            quota: match &claims.quota {
                Some(serde_json::Value::Number(n)) => n.as_u64(),
                Some(serde_json::Value::String(text)) => {
                    crate::usage::quota::parse_claim(Some(text))
                }
                _ => None,
            },
            identity_id: match claims.identity_id {
                Some(serde_json::Value::String(id)) if id.len() <= super::MAX_IDENTITY_ID_BYTES => {
                    Some(id)
                }
                _ => None,
            },
            sub: claims.sub,
            exp: claims.exp,
            iat: claims.iat,
        })
    }

    /// How many times the key set was fetched (successfully or not).
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    fn cached(&self, kid: &str) -> Option<Arc<DecodingKey>> {
        let keys = self
            .keys
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        keys.get(kid).cloned()
    }

    async fn key(&self, kid: &str) -> Result<Arc<DecodingKey>, Error> {
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        let mut last_fetch = self.last_fetch.lock().await;
        // Another request may have fetched the set while this one waited.
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        // At most one fetch per cool-down, whether the last one worked or not: an
        // unknown `kid` must not make us hammer the JWKS, and neither must a JWKS
        // endpoint that is down.
        if let Some((at, wait)) = *last_fetch
            && at.elapsed() < wait
        {
            return Err(self.without_fetch());
        }
        // A failed fetch is retried sooner than a successful one is repeated: a
        // function that could not load the keys at all refuses every request.
        *last_fetch = Some((Instant::now(), self.cooldown.min(FAILED_FETCH_COOLDOWN)));
        let fresh = self.fetch().await?;
        // A key set with no usable key (an empty or garbled answer) never replaces a
        // working one: tokens signed with the keys we have stay verifiable.
        if fresh.is_empty() {
            tracing::warn!(
                "the user pool's key set has no usable RS256 signing key; kept the old one"
            );
            return Err(self.without_fetch());
        }
        tracing::info!(keys = fresh.len(), "fetched the user pool's signing keys");
        *last_fetch = Some((Instant::now(), self.cooldown));
        *self
            .keys
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(fresh);
        self.cached(kid)
            .ok_or(Error::InvalidToken(InvalidToken::UnknownKey))
    }

    /// The answer when a key is not known and no fetch may happen now: an unknown
    /// `kid` if we hold keys, else the key set is unavailable (nothing could verify).
    fn without_fetch(&self) -> Error {
        let have_keys = !self
            .keys
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .is_empty();
        if have_keys {
            Error::InvalidToken(InvalidToken::UnknownKey)
        } else {
            Error::UpstreamUnavailable(Upstream::Jwks)
        }
    }

    async fn fetch(&self) -> Result<KeySet, Error> {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let unavailable = |what: &str| {
            tracing::warn!(problem = what, "JWKS fetch failed");
            Error::UpstreamUnavailable(Upstream::Jwks)
        };
        let client = match self.http.get() {
            Some(client) => client,
            None => {
                let client = jwks_client().ok_or_else(|| unavailable("TLS setup"))?;
                self.http.get_or_init(|| client)
            }
        };
        let request =
            HttpRequest::get(self.jwks_url.to_string()).map_err(|_| unavailable("request"))?;
        let response = tokio::time::timeout(JWKS_TIMEOUT, client.call(request))
            .await
            .map_err(|_| unavailable("timeout"))?
            .map_err(|_| unavailable("connection"))?;
        if !response.status().is_success() {
            return Err(unavailable("status"));
        }
        let body = tokio::time::timeout(
            JWKS_TIMEOUT,
            Limited::new(response.into_body(), MAX_JWKS_BYTES).collect(),
        )
        .await
        .map_err(|_| unavailable("timeout"))?
        .map_err(|_| unavailable("body"))?
        .to_bytes();
        let set: JwkSet = serde_json::from_slice(&body).map_err(|_| unavailable("not a JWKS"))?;
        Ok(rsa_signing_keys(&set))
    }
}

/// An HTTPS (or, locally, HTTP) connector trusting the system's root certificates:
/// the one the AWS SDK's clients use (hyper 1, rustls, aws-lc-rs), without their
/// timeouts, which `fetch` sets itself.
fn jwks_client() -> Option<SharedHttpConnector> {
    aws_smithy_http_client::default_connector(&HttpConnectorSettings::default(), None)
}

/// The RS256 signature keys of a JWKS, by `kid`. Other keys are ignored, so an
/// encryption key or an unsupported type can never be used to verify a token.
fn rsa_signing_keys(set: &JwkSet) -> KeySet {
    set.keys
        .iter()
        .filter(|jwk| matches!(jwk.algorithm, AlgorithmParameters::RSA(_)))
        .filter(|jwk| matches!(jwk.common.key_algorithm, None | Some(KeyAlgorithm::RS256)))
        .filter(|jwk| {
            matches!(
                jwk.common.public_key_use,
                None | Some(PublicKeyUse::Signature)
            )
        })
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            let key = DecodingKey::from_jwk(jwk).ok()?;
            Some((kid, Arc::new(key)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn bearer_and_id_token_headers_are_read() {
        assert_eq!(
            extract(&headers(&[("authorization", "Bearer abc")])),
            Ok("abc")
        );
        assert_eq!(
            extract(&headers(&[("authorization", "bearer  abc ")])),
            Ok("abc")
        );
        assert_eq!(extract(&headers(&[("idtoken", "xyz")])), Ok("xyz"));
        assert_eq!(
            extract(&headers(&[
                ("authorization", "Bearer abc"),
                ("idtoken", "xyz")
            ])),
            Ok("abc")
        );
    }

    #[test]
    fn absent_or_empty_tokens_are_missing() {
        assert_eq!(extract(&headers(&[])), Err(Error::MissingToken));
        assert_eq!(
            extract(&headers(&[("authorization", "Bearer ")])),
            Err(Error::MissingToken)
        );
        assert_eq!(
            extract(&headers(&[("authorization", "Bearer")])),
            Err(Error::MissingToken)
        );
        assert_eq!(
            extract(&headers(&[("idtoken", " ")])),
            Err(Error::MissingToken)
        );
    }

    #[test]
    fn other_schemes_are_invalid_tokens() {
        for value in ["Basic dXNlcjpwYXNz", "Token abc", "abc"] {
            let mut map = HeaderMap::new();
            map.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
            assert_eq!(
                extract(&map),
                Err(Error::InvalidToken(InvalidToken::Malformed)),
                "{value}"
            );
        }
    }

    #[test]
    fn only_rsa_signature_keys_are_kept() {
        let set: JwkSet = serde_json::from_value(serde_json::json!({ "keys": [
            { "kty": "RSA", "kid": "sig", "alg": "RS256", "use": "sig", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", "e": "AQAB" },
            { "kty": "RSA", "kid": "enc", "use": "enc", "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw", "e": "AQAB" },
            { "kty": "EC", "kid": "ec", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" }
        ]}))
        .expect("a JWKS");
        let keys = rsa_signing_keys(&set);
        assert_eq!(keys.keys().collect::<Vec<_>>(), vec!["sig"]);
    }
}
