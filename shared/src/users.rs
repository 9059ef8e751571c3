//! Step 3: the user still exists and is enabled.
//!
//! A Cognito ID token stays valid for up to an hour after its user is disabled or
//! deleted; AdminGetUser is how the functions notice sooner. A successful check is
//! cached for `USER_CHECK_TTL_SECS` (the window in which a disabled user can still
//! act); failures are never cached, and a TTL of zero checks on every request.

use aws_sdk_cognitoidentityprovider::Client;
use moka::future::Cache;

use crate::config::Config;
use crate::error::{Error, Upstream};
use crate::upstream::Failure;

pub struct UserDirectory {
    client: Client,
    user_pool_id: String,
    /// Usernames whose last check passed; `None` when the TTL is zero.
    active: Option<Cache<String, ()>>,
}

impl UserDirectory {
    pub fn new(client: Client, config: &Config) -> Self {
        let active = (!config.user_check_ttl.is_zero()).then(|| {
            Cache::builder()
                .max_capacity(config.cache_capacity)
                .time_to_live(config.user_check_ttl)
                .build()
        });
        UserDirectory {
            client,
            user_pool_id: config.user_pool_id.clone(),
            active,
        }
    }

    /// Succeeds if the user exists and is enabled. Concurrent checks of one user
    /// share a single AdminGetUser call.
    pub async fn ensure_active(&self, username: &str) -> Result<(), Error> {
        match &self.active {
            Some(cache) => cache
                .try_get_with_by_ref(username, self.check(username))
                .await
                .map_err(|shared| (*shared).clone()),
            None => self.check(username).await,
        }
    }

    async fn check(&self, username: &str) -> Result<(), Error> {
        let output = self
            .client
            .admin_get_user()
            .user_pool_id(&self.user_pool_id)
            .username(username)
            .send()
            .await
            .map_err(|error| {
                let failure = Failure::of(&error);
                match failure.code() {
                    "UserNotFoundException" => Error::UserDisabled,
                    _ => failure.into_error(Upstream::Cognito, "AdminGetUser"),
                }
            })?;
        if output.enabled() {
            Ok(())
        } else {
            Err(Error::UserDisabled)
        }
    }
}
