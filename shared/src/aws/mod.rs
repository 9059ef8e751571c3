//! The AWS glue every step shares: the SDK clients, built once at cold start with
//! the same timeouts and the call counter, and AWS failures classified without their
//! text.
//!
//! - [`calls`]: every AWS call counted, because "a warm request costs one call" is
//!   the product's performance promise;
//! - [`failure`]: an SDK error boiled down to its code and status, never its message;
//! - [`dynamodb`]: DynamoDB's JSON protocol over [`signed`], a SigV4-signed POST with
//!   the function's own credentials (no SDK crate: see [`signed`] for why).

mod calls;
pub mod dynamodb;
mod failure;
pub mod signed;

use std::sync::Arc;
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_sdk_s3::config::IdentityCache;
use aws_types::SdkConfig;
use aws_types::sdk_config::TimeoutConfig;

pub use calls::{AwsCalls, CallSpan, CountCalls, sequential_round_trips};
pub use failure::Failure;

use crate::config::{Config, ConfigError};

/// Connecting to an AWS endpoint takes milliseconds; a stuck connect should fail
/// fast enough to leave the caller time to retry within API Gateway's 30 s.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// A stuck connection or a slow AWS answer must end in the caller's 503 well before
/// API Gateway's 30 s: each operation (all its retries) gets `UPSTREAM_TIMEOUT_SECS`,
/// and each attempt half of that, so one stuck attempt still leaves room for a retry.
pub fn timeouts(config: &Config) -> TimeoutConfig {
    timeouts_of(config.upstream_timeout)
}

/// [`timeouts`] for an operation timeout of `upstream` (the usage function's own).
pub fn timeouts_of(upstream: Duration) -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT.min(upstream))
        .operation_timeout(upstream)
        .operation_attempt_timeout(upstream / 2)
        .build()
}

/// The function role's credentials from the environment Lambda provides.
pub fn function_credentials(
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

/// The clients a function holds, each counting its calls into the same
/// [`AwsCalls`] and bound by [`timeouts`], whatever `sdk` says.
pub struct Clients {
    /// The user pool (AdminGetUser), with the function's own credentials.
    pub user_pool: aws_sdk_cognitoidentityprovider::Client,
    /// The identity pool: GetId and GetCredentialsForIdentity are unsigned calls
    /// authorised by the token in `Logins`; the client needs no credentials.
    pub identity_pool: aws_sdk_cognitoidentity::Client,
    /// S3 with no credentials: reachable only with a caller's own (see
    /// [`crate::storage`]).
    pub s3: aws_sdk_s3::Client,
    /// DynamoDB with the function's own credentials (the usage table: see
    /// [`crate::usage`]).
    pub dynamodb: Arc<dynamodb::DynamoDb>,
}

impl Clients {
    pub fn new(config: &Config, sdk: &SdkConfig, calls: &Arc<AwsCalls>) -> Clients {
        let counter = CountCalls(calls.clone());
        let timeouts = timeouts(config);
        let user_pool = aws_sdk_cognitoidentityprovider::config::Builder::from(sdk)
            .timeout_config(timeouts.clone())
            .interceptor(counter.clone())
            .build();
        let identity_pool = aws_sdk_cognitoidentity::config::Builder::from(sdk)
            .timeout_config(timeouts.clone())
            .interceptor(counter.clone())
            .build();
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
        let dynamodb = dynamodb::DynamoDb::new(
            &config.region,
            config.endpoint_url.as_deref(),
            config.upstream_timeout,
            sdk.credentials_provider(),
            calls.clone(),
        );
        Clients {
            dynamodb: Arc::new(dynamodb),
            user_pool: aws_sdk_cognitoidentityprovider::Client::from_conf(user_pool),
            identity_pool: aws_sdk_cognitoidentity::Client::from_conf(identity_pool),
            s3: aws_sdk_s3::Client::from_conf(s3),
        }
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
