//! Step 3: the user still exists, is enabled and confirmed, and is the one the
//! token was issued to.
//!
//! A Cognito ID token stays valid for up to an hour after its user is disabled or
//! deleted; AdminGetUser is how the functions notice sooner. Usernames can be reused:
//! a user deleted and signed up again under the same email is a new user with a new
//! `sub`, so the `sub` AdminGetUser returns must be the token's, or an old token
//! would act as the new user. A successful check is cached per `sub` for
//! `USER_CHECK_TTL_SECS` (the window in which a disabled user can still act);
//! failures are never cached, and a TTL of zero checks on every request.

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::operation::admin_get_user::AdminGetUserOutput;
use aws_sdk_cognitoidentityprovider::types::UserStatusType;
use moka::future::Cache;

use crate::aws::Failure;
use crate::config::Config;
use crate::error::{Error, Upstream};

pub struct UserDirectory {
    client: Client,
    user_pool_id: String,
    /// `sub`s whose last check passed; `None` when the TTL is zero.
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

    /// Succeeds if the user `username` exists, is enabled and confirmed, and has
    /// the token's `sub`. Concurrent checks of one user share a single AdminGetUser.
    pub async fn ensure_active(&self, username: &str, sub: &str) -> Result<(), Error> {
        match &self.active {
            Some(cache) => cache
                .try_get_with_by_ref(sub, self.check(username, sub))
                .await
                .map_err(|shared| (*shared).clone()),
            None => self.check(username, sub).await,
        }
    }

    async fn check(&self, username: &str, sub: &str) -> Result<(), Error> {
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
        verdict(&output, sub)
    }
}

/// Whether AdminGetUser's answer admits the token's `sub`.
fn verdict(user: &AdminGetUserOutput, sub: &str) -> Result<(), Error> {
    let same_user = user
        .user_attributes()
        .iter()
        .any(|attribute| attribute.name() == "sub" && attribute.value() == Some(sub));
    let confirmed = user.user_status() == Some(&UserStatusType::Confirmed);
    if user.enabled() && confirmed && same_user {
        Ok(())
    } else {
        tracing::info!(
            enabled = user.enabled(),
            confirmed,
            same_user,
            "the user check refused the caller"
        );
        Err(Error::UserDisabled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cognitoidentityprovider::types::AttributeType;

    fn user(enabled: bool, status: UserStatusType, sub: &str) -> AdminGetUserOutput {
        AdminGetUserOutput::builder()
            .username("alice@example.com")
            .enabled(enabled)
            .user_status(status)
            .user_attributes(
                AttributeType::builder()
                    .name("sub")
                    .value(sub)
                    .build()
                    .expect("name is set"),
            )
            .build()
            .expect("username is set")
    }

    #[test]
    fn only_the_same_enabled_confirmed_user_passes() {
        assert_eq!(
            verdict(&user(true, UserStatusType::Confirmed, "s1"), "s1"),
            Ok(())
        );
        let refused = [
            (user(false, UserStatusType::Confirmed, "s1"), "disabled"),
            (
                user(true, UserStatusType::Confirmed, "s2"),
                "re-created: another sub",
            ),
            (user(true, UserStatusType::Unconfirmed, "s1"), "unconfirmed"),
            (
                user(true, UserStatusType::ResetRequired, "s1"),
                "reset required",
            ),
            (
                user(true, UserStatusType::ForceChangePassword, "s1"),
                "must change password",
            ),
        ];
        for (output, why) in refused {
            assert_eq!(verdict(&output, "s1"), Err(Error::UserDisabled), "{why}");
        }
    }
}
