//! The AWS calls of steps 3–4, behind one narrow trait.
//!
//! [`Backend`] is every call the user check ([`super::users`]) and the identity
//! exchange ([`super::identity`]) make: `GetId`, `GetCredentialsForIdentity`,
//! `AdminGetUser`, the read of the record of recent user changes (one DynamoDB
//! `Query`) and the write of a user's Identity ID (one DynamoDB `PutItem`). The
//! functions use [`AwsBackend`]: the SDK clients and the DynamoDB client of
//! [`crate::aws`]. The fleet model of `make bench` drives the same user check and
//! exchange with a counting fake, so what it counts is what the functions call.
//!
//! The answers are reduced to what the callers read ([`Issued`], [`UserRecord`],
//! [`UserChange`]), and failures to [`Failure`] (code and status, never text).

use std::future::Future;
use std::sync::Arc;
use std::time::SystemTime;

use aws_sdk_cognitoidentity::operation::get_credentials_for_identity::GetCredentialsForIdentityOutput;
use aws_sdk_cognitoidentityprovider::operation::admin_get_user::AdminGetUserOutput;
use aws_sdk_cognitoidentityprovider::types::UserStatusType;
use serde_json::json;

use crate::aws::Failure;
use crate::aws::dynamodb::{Attr, DbError, DynamoDb, Item};
use crate::config::Config;

/// What GetCredentialsForIdentity answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Issued {
    /// The identity Cognito issued the credentials for.
    pub identity_id: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_key: Option<String>,
    pub session_token: Option<String>,
    pub expiration: Option<SystemTime>,
}

/// What AdminGetUser answered, as far as the user check reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub enabled: bool,
    /// `UserStatus` is `CONFIRMED`.
    pub confirmed: bool,
    /// The user's `sub` attribute.
    pub sub: Option<String>,
}

/// One entry of the record of user changes: no token of `sub` issued at or before
/// `at` (seconds since the epoch) is honoured any more: the user was disabled,
/// deleted, signed out everywhere or had their password reset. `sub` is
/// [`ANY_USER`] for a change whose user is not known (the user check then asks
/// AdminGetUser about every token issued before it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserChange {
    pub sub: String,
    pub at: u64,
}

/// The `sub` of a change whose user is not known.
pub const ANY_USER: &str = "*";

/// Every AWS call of the user check and the identity exchange.
pub trait Backend: Send + Sync + 'static {
    /// GetId with the token in `Logins`: the caller's Identity ID.
    fn get_id(&self, token: &str) -> impl Future<Output = Result<String, Failure>> + Send;

    /// GetCredentialsForIdentity of `identity_id` with the token in `Logins`.
    fn get_credentials_for_identity(
        &self,
        identity_id: &str,
        token: &str,
    ) -> impl Future<Output = Result<Issued, Failure>> + Send;

    /// AdminGetUser of `username` with the function's own credentials.
    fn admin_get_user(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<UserRecord, Failure>> + Send;

    /// Whether the deployment keeps a record of user changes
    /// ([`Backend::user_changes_since`]); without one, every user is checked with
    /// AdminGetUser.
    fn keeps_user_changes(&self) -> bool;

    /// Every change recorded at or after `since` (seconds since the epoch).
    fn user_changes_since(
        &self,
        since: u64,
    ) -> impl Future<Output = Result<Vec<UserChange>, Failure>> + Send;

    /// Records that `sub`'s Identity ID is `identity_id` (Cognito just said so), for
    /// the pre-token-generation trigger to put in the user's next ID tokens. A no-op
    /// where the deployment keeps no such record.
    fn record_identity(
        &self,
        sub: &str,
        identity_id: &str,
    ) -> impl Future<Output = Result<(), Failure>> + Send;
}

/// The functions' backend: the Cognito SDK clients and DynamoDB.
pub struct AwsBackend {
    user_pool: aws_sdk_cognitoidentityprovider::Client,
    identity_pool: aws_sdk_cognitoidentity::Client,
    dynamodb: Arc<DynamoDb>,
    user_pool_id: String,
    identity_pool_id: String,
    provider_name: String,
    identity_table: Option<String>,
    user_changes_table: Option<String>,
}

/// The partition every entry of the user changes table lives in: the whole recent
/// record is one `Query` (docs/security.md, "Disabled and deleted users").
pub const USER_CHANGES_PARTITION: &str = "changes";

/// The attribute of the identity table (keyed by `sub`) that holds the Identity ID,
/// and the name of the ID token claim the trigger copies it into.
pub const IDENTITY_ATTRIBUTE: &str = "identity_id";

impl AwsBackend {
    pub fn new(
        user_pool: aws_sdk_cognitoidentityprovider::Client,
        identity_pool: aws_sdk_cognitoidentity::Client,
        dynamodb: Arc<DynamoDb>,
        config: &Config,
    ) -> Self {
        AwsBackend {
            user_pool,
            identity_pool,
            dynamodb,
            user_pool_id: config.user_pool_id.clone(),
            identity_pool_id: config.identity_pool_id.clone(),
            provider_name: config.provider_name(),
            identity_table: config.identity_table.clone(),
            user_changes_table: config.user_changes_table.clone(),
        }
    }
}

impl Backend for AwsBackend {
    async fn get_id(&self, token: &str) -> Result<String, Failure> {
        let output = self
            .identity_pool
            .get_id()
            .identity_pool_id(&self.identity_pool_id)
            .logins(&self.provider_name, token)
            .send()
            .await
            .map_err(|error| Failure::of(&error))?;
        output.identity_id().map(str::to_owned).ok_or(Failure {
            code: Some("NoIdentityId".into()),
            status: None,
            transport: false,
        })
    }

    async fn get_credentials_for_identity(
        &self,
        identity_id: &str,
        token: &str,
    ) -> Result<Issued, Failure> {
        let output = self
            .identity_pool
            .get_credentials_for_identity()
            .identity_id(identity_id)
            .logins(&self.provider_name, token)
            .send()
            .await
            .map_err(|error| Failure::of(&error))?;
        Ok(issued(&output))
    }

    async fn admin_get_user(&self, username: &str) -> Result<UserRecord, Failure> {
        let output = self
            .user_pool
            .admin_get_user()
            .user_pool_id(&self.user_pool_id)
            .username(username)
            .send()
            .await
            .map_err(|error| Failure::of(&error))?;
        Ok(user_record(&output))
    }

    fn keeps_user_changes(&self) -> bool {
        self.user_changes_table.is_some()
    }

    async fn user_changes_since(&self, since: u64) -> Result<Vec<UserChange>, Failure> {
        let Some(table) = &self.user_changes_table else {
            return Ok(Vec::new());
        };
        let items = self
            .dynamodb
            .query(json!({
                "TableName": table,
                "KeyConditionExpression": "pk = :pk AND sk >= :since",
                "ExpressionAttributeValues": {
                    ":pk": {"S": USER_CHANGES_PARTITION},
                    ":since": {"S": sort_key_from(since)},
                },
                "ProjectionExpression": "#sub, #at",
                "ExpressionAttributeNames": {"#sub": "sub", "#at": "at"},
                "ConsistentRead": true,
            }))
            .await
            .map_err(db_failure)?;
        Ok(items.iter().filter_map(change_of).collect())
    }

    async fn record_identity(&self, sub: &str, identity_id: &str) -> Result<(), Failure> {
        let Some(table) = &self.identity_table else {
            return Ok(());
        };
        let item = Item::new()
            .with("sub", Attr::S(sub.to_owned()))
            .with(IDENTITY_ATTRIBUTE, Attr::S(identity_id.to_owned()));
        self.dynamodb
            .call(
                "PutItem",
                &json!({"TableName": table, "Item": item.to_json()}),
            )
            .await
            .map(drop)
            .map_err(db_failure)
    }
}

/// The sort key of a change at `at`: ten digits of seconds, then the `sub`, so the
/// entries sort by time and a `Query` from a time reads exactly the later ones.
pub fn sort_key(at: u64, sub: &str) -> String {
    format!("{}#{sub}", sort_key_from(at))
}

fn sort_key_from(at: u64) -> String {
    format!("{at:010}")
}

fn change_of(item: &Item) -> Option<UserChange> {
    Some(UserChange {
        sub: item.s("sub")?.to_owned(),
        at: item.u64("at")?,
    })
}

fn db_failure(error: DbError) -> Failure {
    match error {
        DbError::Other(failure) => failure,
        DbError::ConditionFailed => Failure {
            code: Some("ConditionalCheckFailedException".into()),
            status: Some(400),
            transport: false,
        },
        DbError::Cancelled(_) => Failure {
            code: Some("TransactionCanceledException".into()),
            status: Some(400),
            transport: false,
        },
    }
}

fn issued(output: &GetCredentialsForIdentityOutput) -> Issued {
    let credentials = output.credentials();
    Issued {
        identity_id: output.identity_id().map(str::to_owned),
        access_key_id: credentials
            .and_then(|c| c.access_key_id())
            .map(str::to_owned),
        secret_key: credentials.and_then(|c| c.secret_key()).map(str::to_owned),
        session_token: credentials
            .and_then(|c| c.session_token())
            .map(str::to_owned),
        expiration: credentials
            .and_then(|c| c.expiration())
            .and_then(|at| SystemTime::try_from(*at).ok()),
    }
}

fn user_record(user: &AdminGetUserOutput) -> UserRecord {
    UserRecord {
        enabled: user.enabled(),
        confirmed: user.user_status() == Some(&UserStatusType::Confirmed),
        sub: user
            .user_attributes()
            .iter()
            .find(|attribute| attribute.name() == "sub")
            .and_then(|attribute| attribute.value())
            .map(str::to_owned),
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cognitoidentity::types::Credentials as IssuedCredentials;
    use aws_sdk_cognitoidentityprovider::types::AttributeType;
    use aws_smithy_types::DateTime;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn admin_get_user_is_read_for_enabled_status_and_sub() {
        let output = AdminGetUserOutput::builder()
            .username("alice@example.com")
            .enabled(true)
            .user_status(UserStatusType::ResetRequired)
            .user_attributes(
                AttributeType::builder()
                    .name("email")
                    .value("alice@example.com")
                    .build()
                    .expect("name"),
            )
            .user_attributes(
                AttributeType::builder()
                    .name("sub")
                    .value("s-1")
                    .build()
                    .expect("name"),
            )
            .build()
            .expect("username");
        assert_eq!(
            user_record(&output),
            UserRecord {
                enabled: true,
                confirmed: false,
                sub: Some("s-1".into())
            }
        );
    }

    #[test]
    fn get_credentials_for_identity_is_read_whole() {
        let output = GetCredentialsForIdentityOutput::builder()
            .identity_id("us-east-1:abc")
            .credentials(
                IssuedCredentials::builder()
                    .access_key_id("ASIA")
                    .secret_key("secret")
                    .session_token("session")
                    .expiration(DateTime::from_secs(1_800_000_000))
                    .build(),
            )
            .build();
        assert_eq!(
            issued(&output),
            Issued {
                identity_id: Some("us-east-1:abc".into()),
                access_key_id: Some("ASIA".into()),
                secret_key: Some("secret".into()),
                session_token: Some("session".into()),
                expiration: Some(UNIX_EPOCH + Duration::from_secs(1_800_000_000)),
            }
        );
        assert_eq!(
            issued(&GetCredentialsForIdentityOutput::builder().build()),
            Issued::default()
        );
    }

    #[test]
    fn change_keys_sort_by_time_and_entries_read_back() {
        assert_eq!(sort_key(42, "s-1"), "0000000042#s-1");
        assert!(sort_key(999, "zzz") < sort_key(1000, "aaa"));
        assert!(sort_key_from(1000) <= sort_key(1000, "aaa"));
        let item = Item::new()
            .with("sub", Attr::S("s-1".into()))
            .with("at", Attr::n(1_800_000_000u64));
        assert_eq!(
            change_of(&item),
            Some(UserChange {
                sub: "s-1".into(),
                at: 1_800_000_000
            })
        );
        assert_eq!(
            change_of(&Item::new().with("sub", Attr::S("x".into()))),
            None
        );
    }
}
