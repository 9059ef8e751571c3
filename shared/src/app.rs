//! The state every function builds once per cold start, and the request flow that
//! ties the steps together.

use std::sync::Arc;
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_s3::config::IdentityCache;
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_types::SdkConfig;
use aws_types::region::Region;
use aws_types::sdk_config::TimeoutConfig;
use http::HeaderMap;

use crate::config::{Config, ConfigError};
use crate::error::Error;
use crate::home::{Home, Homes};
use crate::identity::IdentityBroker;
use crate::keys;
use crate::metrics::{AwsCalls, CountCalls};
use crate::token::{self, Claims, TokenVerifier};
use crate::users::UserDirectory;

/// Connecting to an AWS endpoint takes milliseconds; a stuck connect should fail
/// fast enough to leave the caller time to retry within API Gateway's 30 s.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// A stuck connection or a slow AWS answer must end in the caller's 503 well before
/// API Gateway's 30 s: each operation (all its retries) gets `UPSTREAM_TIMEOUT_SECS`,
/// and each attempt half of that, so one stuck attempt still leaves room for a retry.
pub fn timeouts(config: &Config) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT.min(config.upstream_timeout))
        .operation_timeout(config.upstream_timeout)
        .operation_attempt_timeout(config.upstream_timeout / 2)
        .build()
}

/// The function role's credentials from the environment Lambda provides.
fn function_credentials(
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Credentials, ConfigError> {
    let required = |name: &'static str| {
        lookup(name).filter(|v| !v.is_empty()).ok_or(ConfigError {
            variable: name,
            problem: "is not set (Lambda provides the function role's credentials)".into(),
        })
    };
    Ok(Credentials::new(
        required("AWS_ACCESS_KEY_ID")?,
        required("AWS_SECRET_ACCESS_KEY")?,
        lookup("AWS_SESSION_TOKEN").filter(|v| !v.is_empty()),
        None,
        "lambda-environment",
    ))
}

/// A caller whose token verified locally. No AWS call has been made yet.
pub struct Caller<'r> {
    token: &'r str,
    pub claims: Claims,
}

/// Everything a handler needs; built once in `main`.
pub struct App {
    config: Config,
    verifier: TokenVerifier,
    users: UserDirectory,
    identities: IdentityBroker,
    homes: Homes,
    calls: Arc<AwsCalls>,
}

impl App {
    /// Reads the environment and builds the clients: the whole cold start. No
    /// network call happens here; the JWKS is fetched by the first request.
    ///
    /// The function's own credentials are the ones Lambda puts in the environment
    /// (they last as long as the execution environment). Reading them directly,
    /// instead of through aws-config's provider chain, keeps the chain's STS and
    /// profile-file machinery out of the binary and the cold start.
    pub async fn from_env() -> Result<App, ConfigError> {
        let config = Config::from_env()?;
        let credentials = function_credentials(|name| std::env::var(name).ok())?;
        let mut sdk = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(config.region.clone()))
            .credentials_provider(SharedCredentialsProvider::new(credentials));
        sdk.set_endpoint_url(config.endpoint_url.clone());
        let sdk = sdk.build();
        App::new(config, &sdk)
    }

    /// Builds the state from a configuration and an SDK configuration (whose
    /// credentials are the function's own, used only for AdminGetUser). Every client
    /// gets the timeouts of [`timeouts`], whatever `sdk` says.
    pub fn new(config: Config, sdk: &SdkConfig) -> Result<App, ConfigError> {
        let calls = Arc::new(AwsCalls::default());
        let counter = CountCalls(calls.clone());

        let timeouts = timeouts(&config);
        let idp = aws_sdk_cognitoidentityprovider::config::Builder::from(sdk)
            .timeout_config(timeouts.clone())
            .interceptor(counter.clone())
            .build();
        // GetId and GetCredentialsForIdentity are unsigned calls authorised by the
        // token in `Logins`; the client needs no credentials.
        let identity = aws_sdk_cognitoidentity::config::Builder::from(sdk)
            .timeout_config(timeouts.clone())
            .interceptor(counter.clone())
            .build();
        // No credentials: S3 is reachable only with a caller's own (see `home`).
        // No identity cache: per-call static credentials need none, and a cache
        // would keep one partition per caller alive for the life of the process.
        let mut s3 = aws_sdk_s3::config::Builder::from(sdk);
        s3.set_credentials_provider(None);
        let s3 = s3
            .identity_cache(IdentityCache::no_cache())
            .timeout_config(timeouts)
            .force_path_style(config.endpoint_url.is_some())
            .interceptor(counter)
            .build();

        let verifier = TokenVerifier::new(&config).map_err(|e| ConfigError {
            variable: "USER_POOL_ID",
            problem: e.log_detail(),
        })?;
        Ok(App {
            users: UserDirectory::new(
                aws_sdk_cognitoidentityprovider::Client::from_conf(idp),
                &config,
            ),
            identities: IdentityBroker::new(
                aws_sdk_cognitoidentity::Client::from_conf(identity),
                &config,
            ),
            homes: Homes::new(aws_sdk_s3::Client::from_conf(s3), &config),
            verifier,
            calls,
            config,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The AWS calls this process has made.
    pub fn calls(&self) -> &AwsCalls {
        &self.calls
    }

    /// How many times the pool's signing keys were fetched.
    pub fn jwks_fetches(&self) -> u64 {
        self.verifier.fetches()
    }

    /// The longest key the API accepts (see [`keys::max_key_bytes`]).
    pub fn max_key_bytes(&self) -> usize {
        keys::max_key_bytes(&self.config.home_prefix)
    }

    pub fn max_file_bytes(&self) -> usize {
        self.homes.max_file_bytes()
    }

    /// Steps 1–2: find and verify the ID token, locally.
    pub async fn authenticate<'r>(&self, headers: &'r HeaderMap) -> Result<Caller<'r>, Error> {
        let token = token::extract(headers)?;
        let claims = self.verifier.verify(token).await?;
        Ok(Caller { token, claims })
    }

    /// Steps 3–4: the user check and the credential exchange, concurrently, then the
    /// caller's home. Warm, this makes no AWS call at all.
    pub async fn home(&self, caller: &Caller<'_>) -> Result<Home<'_>, Error> {
        self.home_lasting(caller, Duration::ZERO).await
    }

    /// The caller's home, with credentials still valid `life` from now if Cognito's
    /// can be (for URLs signed with them; see [`IdentityBroker::credentials_lasting`]).
    pub async fn home_lasting(
        &self,
        caller: &Caller<'_>,
        life: Duration,
    ) -> Result<Home<'_>, Error> {
        let (_, credentials) = tokio::try_join!(
            Box::pin(
                self.users
                    .ensure_active(&caller.claims.username, &caller.claims.sub)
            ),
            Box::pin(
                self.identities
                    .credentials_lasting(caller.token, &caller.claims, life)
            ),
        )?;
        Ok(self.homes.open(&credentials))
    }

    /// The largest file a multipart upload may declare (`MAX_UPLOAD_BYTES`).
    pub fn max_upload_bytes(&self) -> u64 {
        self.config.max_upload_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::function_credentials;
    use aws_credential_types::provider::ProvideCredentials;

    #[tokio::test]
    async fn function_credentials_come_from_the_environment() {
        let env = |name: &str| match name {
            "AWS_ACCESS_KEY_ID" => Some("AKIAEXAMPLE".to_owned()),
            "AWS_SECRET_ACCESS_KEY" => Some("secret".to_owned()),
            "AWS_SESSION_TOKEN" => Some("session".to_owned()),
            _ => None,
        };
        let credentials = function_credentials(env)
            .expect("complete")
            .provide_credentials()
            .await
            .expect("static");
        assert_eq!(credentials.access_key_id(), "AKIAEXAMPLE");
        assert_eq!(credentials.session_token(), Some("session"));
    }

    #[test]
    fn missing_function_credentials_name_the_variable() {
        let error =
            function_credentials(|name| (name == "AWS_ACCESS_KEY_ID").then(|| "AKIA".to_owned()))
                .expect_err("no secret");
        assert_eq!(error.variable, "AWS_SECRET_ACCESS_KEY");
    }
}
