//! The `directory` crate's two functions (`token-claims`, `user-changes`): the two
//! small records the user check and the identity exchange read, kept beside the user
//! pool (see [`crate::auth`]). Two functions with a role each, because each event
//! source needs one narrow permission and nothing else:
//!
//! - **The pre-token-generation trigger** (Cognito's V1_0 event,
//!   <https://docs.aws.amazon.com/cognito/latest/developerguide/user-pool-lambda-pre-token-generation.html>):
//!   reads the user's Identity ID from the identity table (`GetItem`, the only
//!   permission of its role) and adds it to the ID token as the `identity_id` claim.
//!   It never fails a sign-in: a user without a recorded identity, a slow or failing
//!   read, or a malformed record all answer the event unchanged (the functions then
//!   call GetId, as before), and the read has [`TRIGGER_READ_BUDGET`], well inside
//!   the 5 seconds Cognito waits for a trigger.
//! - **User changes made outside homedir's own commands**: a rule on the user pool's
//!   CloudTrail events ("AWS API Call via CloudTrail",
//!   <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event-cloudtrail.html>;
//!   the account needs a trail logging management events) delivers each disable,
//!   delete, global sign-out and password reset; this writes "no token of `sub` issued
//!   at or before the event's time" into the user changes table (`PutItem`, the only
//!   permission of that role). An event that does not name the user's `sub` is
//!   recorded as a change of [`ANY_USER`]: every environment then asks AdminGetUser
//!   about tokens issued before it, so not knowing who costs calls, never access.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_types::date_time::{DateTime, Format};
use serde_json::{Value, json};

use crate::auth::MAX_IDENTITY_ID_BYTES;
use crate::auth::backend::{ANY_USER, IDENTITY_ATTRIBUTE, USER_CHANGES_PARTITION, sort_key};
use crate::aws::dynamodb::{Attr, DynamoDb, Item};
use crate::aws::{AwsCalls, function_credentials};
use crate::config::{ConfigError, Settings};
use crate::error::Error;

/// How long the trigger waits for the identity table before answering without the
/// claim.
pub const TRIGGER_READ_BUDGET: Duration = Duration::from_millis(1500);

/// How long a change is kept in the table (DynamoDB's TTL deletes it later): longer
/// than the user check reads back ([`crate::auth::RECORD_REACH`]).
pub const CHANGE_KEPT: Duration = Duration::from_secs(2 * 3600);

/// The user pool operations that end a user's existing tokens for homedir: the user
/// can no longer act (disabled, deleted, password reset) or asked to be signed out
/// everywhere.
pub const ENDING_OPERATIONS: [&str; 6] = [
    "AdminDisableUser",
    "AdminDeleteUser",
    "DeleteUser",
    "AdminResetUserPassword",
    "AdminUserGlobalSignOut",
    "GlobalSignOut",
];

/// Which of the two functions a binary is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    /// `token-claims`: the pre-token-generation trigger.
    TokenClaims,
    /// `user-changes`: the CloudTrail rule's target.
    UserChanges,
}

/// A binary's whole `main`: the state built once, then the Lambda loop handing each
/// event to `function`'s handler.
pub async fn run(function: Function) -> Result<(), lambda_http::lambda_runtime::Error> {
    use lambda_http::lambda_runtime::{self, Error as RuntimeError, LambdaEvent, service_fn};
    crate::telemetry::init();
    let app = DirectoryApp::from_env()?;
    let app = &app;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let answer = match function {
            Function::TokenClaims => app.token_claims(event.payload).await,
            Function::UserChanges => app.user_changes(event.payload).await,
        };
        answer.map_err(|error| RuntimeError::from(error.public_message()))
    }))
    .await
}

/// What the function reads at cold start.
#[derive(Debug, Clone)]
pub struct DirectoryConfig {
    pub region: String,
    pub endpoint_url: Option<String>,
    /// `IDENTITY_TABLE`: set for the trigger.
    pub identity_table: Option<String>,
    /// `USER_CHANGES_TABLE`: set for the CloudTrail rule's function.
    pub user_changes_table: Option<String>,
    /// `USER_POOL_ID`: events about other pools are ignored.
    pub user_pool_id: Option<String>,
}

impl DirectoryConfig {
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let settings = Settings::new(lookup);
        Ok(DirectoryConfig {
            region: settings.region()?,
            endpoint_url: settings.endpoint_url()?,
            identity_table: settings.table("IDENTITY_TABLE")?,
            user_changes_table: settings.table("USER_CHANGES_TABLE")?,
            user_pool_id: settings.get("USER_POOL_ID"),
        })
    }
}

/// The function's state, built once per cold start.
pub struct DirectoryApp {
    config: DirectoryConfig,
    db: DynamoDb,
    calls: Arc<AwsCalls>,
}

impl DirectoryApp {
    pub fn from_env() -> Result<DirectoryApp, ConfigError> {
        let config = DirectoryConfig::from_lookup(|name| std::env::var(name).ok())?;
        let credentials = function_credentials(|name| std::env::var(name).ok())?;
        Ok(DirectoryApp::new(
            config,
            Some(SharedCredentialsProvider::new(credentials)),
        ))
    }

    pub fn new(
        config: DirectoryConfig,
        credentials: Option<SharedCredentialsProvider>,
    ) -> DirectoryApp {
        let calls = Arc::new(AwsCalls::default());
        DirectoryApp {
            db: DynamoDb::new(
                &config.region,
                config.endpoint_url.as_deref(),
                TRIGGER_READ_BUDGET,
                credentials,
                calls.clone(),
            ),
            config,
            calls,
        }
    }

    /// The AWS calls this process has made.
    pub fn calls(&self) -> &AwsCalls {
        &self.calls
    }

    /// The trigger's event: always answered (see [`Self::pre_token_generation`]).
    pub async fn token_claims(&self, event: Value) -> Result<Value, Error> {
        if event
            .get("triggerSource")
            .and_then(Value::as_str)
            .is_some_and(|source| source.starts_with("TokenGeneration_"))
        {
            return Ok(self.pre_token_generation(event).await);
        }
        // Any other trigger source: the event back, unchanged (never a failed sign-in).
        Ok(event)
    }

    /// A CloudTrail rule's event.
    pub async fn user_changes(&self, event: Value) -> Result<Value, Error> {
        if event.get("detail-type").and_then(Value::as_str) == Some("AWS API Call via CloudTrail") {
            return self.user_change(&event).await;
        }
        Err(Error::Internal(
            "the user-changes function got an event that is not a CloudTrail record".into(),
        ))
    }

    /// The trigger: the event back, with the `identity_id` claim if one is recorded.
    async fn pre_token_generation(&self, mut event: Value) -> Value {
        let sub = event
            .pointer("/request/userAttributes/sub")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let (Some(sub), Some(table)) = (sub, self.config.identity_table.as_deref()) else {
            return event;
        };
        let key = Item::new().with("sub", Attr::S(sub));
        let read = tokio::time::timeout(TRIGGER_READ_BUDGET, self.db.get(table, &key)).await;
        let identity_id = match read {
            Ok(Ok(Some(item))) => item.s(IDENTITY_ATTRIBUTE).map(str::to_owned),
            Ok(Ok(None)) => None,
            Ok(Err(error)) => {
                tracing::warn!(
                    error = ?error,
                    "the identity table could not be read; the token goes without the claim"
                );
                None
            }
            Err(_) => {
                tracing::warn!("the identity table did not answer in time");
                None
            }
        };
        match identity_id.filter(|id| looks_like_identity_id(id)) {
            Some(identity_id) => {
                event["response"] = json!({
                    "claimsOverrideDetails": {
                        "claimsToAddOrOverride": {IDENTITY_ATTRIBUTE: identity_id}
                    }
                });
                event
            }
            None => event,
        }
    }

    /// A CloudTrail event of the user pool: a change recorded, or nothing for an
    /// operation that ends no token, a failed call or another pool.
    async fn user_change(&self, event: &Value) -> Result<Value, Error> {
        let Some(change) = change_of(event, self.config.user_pool_id.as_deref()) else {
            return Ok(json!({"recorded": false}));
        };
        let table = self.config.user_changes_table.as_deref().ok_or_else(|| {
            Error::Internal("USER_CHANGES_TABLE is not set for the user changes rule".into())
        })?;
        record_change(&self.db, table, &change.sub, change.at).await?;
        Ok(json!({"recorded": true, "at": change.at, "known_user": change.sub != ANY_USER}))
    }
}

/// Writes one change: no token of `sub` issued at or before `at` is honoured.
pub async fn record_change(db: &DynamoDb, table: &str, sub: &str, at: u64) -> Result<(), Error> {
    let item = Item::new()
        .with("pk", Attr::S(USER_CHANGES_PARTITION.to_owned()))
        .with("sk", Attr::S(sort_key(at, sub)))
        .with("sub", Attr::S(sub.to_owned()))
        .with("at", Attr::n(at))
        .with("expires_at", Attr::n(at + CHANGE_KEPT.as_secs()));
    db.call(
        "PutItem",
        &json!({"TableName": table, "Item": item.to_json()}),
    )
    .await
    .map(drop)
    .map_err(|error| error.into_error("PutItem"))
}

/// The change a CloudTrail event describes, if it is one.
#[derive(Debug, PartialEq, Eq)]
pub struct Change {
    pub sub: String,
    pub at: u64,
}

/// Reads a user pool CloudTrail event: one of [`ENDING_OPERATIONS`], successful, of
/// `user_pool` (when the event names a pool). The user is the event's
/// `additionalEventData.sub` when present and well formed, else [`ANY_USER`].
pub fn change_of(event: &Value, user_pool: Option<&str>) -> Option<Change> {
    let detail = event.get("detail")?;
    if detail.get("eventSource").and_then(Value::as_str) != Some("cognito-idp.amazonaws.com") {
        return None;
    }
    let name = detail.get("eventName").and_then(Value::as_str)?;
    if !ENDING_OPERATIONS.contains(&name) {
        return None;
    }
    if detail
        .get("errorCode")
        .and_then(Value::as_str)
        .is_some_and(|code| !code.is_empty())
    {
        return None;
    }
    let named_pool = detail
        .pointer("/requestParameters/userPoolId")
        .and_then(Value::as_str);
    if let (Some(named), Some(ours)) = (named_pool, user_pool)
        && named != ours
    {
        return None;
    }
    let at = detail
        .get("eventTime")
        .and_then(Value::as_str)
        .and_then(|time| DateTime::from_str(time, Format::DateTime).ok())
        .and_then(|time| u64::try_from(time.secs()).ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        });
    let sub = detail
        .pointer("/additionalEventData/sub")
        .and_then(Value::as_str)
        .filter(|sub| looks_like_sub(sub))
        .unwrap_or(ANY_USER);
    Some(Change {
        sub: sub.to_owned(),
        at,
    })
}

/// A user pool `sub`: a UUID (hex digits and dashes), nothing a key could be built from.
fn looks_like_sub(value: &str) -> bool {
    (1..=128).contains(&value.len()) && value.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

/// `<region>:<uuid>` in shape; the functions check the region against their pool.
fn looks_like_identity_id(value: &str) -> bool {
    value.len() <= MAX_IDENTITY_ID_BYTES
        && value.split_once(':').is_some_and(|(region, uuid)| {
            !region.is_empty()
                && region
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !uuid.is_empty()
                && uuid.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(name: &str, detail: Value) -> Value {
        let mut detail = detail;
        detail["eventSource"] = json!("cognito-idp.amazonaws.com");
        detail["eventName"] = json!(name);
        json!({"detail-type": "AWS API Call via CloudTrail", "source": "aws.cognito-idp", "detail": detail})
    }

    #[test]
    fn an_ending_operation_is_a_change_of_its_sub_at_the_event_time() {
        let disabled = event(
            "AdminDisableUser",
            json!({
                "eventTime": "2026-12-06T10:00:00Z",
                "requestParameters": {"userPoolId": "us-east-1_pool", "username": "HIDDEN_DUE_TO_SECURITY_REASONS"},
                "additionalEventData": {"sub": "0f2a7c3e-1111-2222-3333-444455556666"},
            }),
        );
        assert_eq!(
            change_of(&disabled, Some("us-east-1_pool")),
            Some(Change {
                sub: "0f2a7c3e-1111-2222-3333-444455556666".into(),
                at: 1_796_551_200
            })
        );
    }

    #[test]
    fn an_unnamed_user_is_anyone_and_other_events_are_no_change() {
        let hidden = event(
            "AdminDeleteUser",
            json!({"eventTime": "2026-12-06T10:00:00Z", "requestParameters": {"userPoolId": "p"}}),
        );
        assert_eq!(
            change_of(&hidden, Some("p")).map(|c| c.sub),
            Some(ANY_USER.into())
        );
        let odd_sub = event(
            "AdminDeleteUser",
            json!({"additionalEventData": {"sub": "../x"}}),
        );
        assert_eq!(
            change_of(&odd_sub, None).map(|c| c.sub),
            Some(ANY_USER.into())
        );
        for (what, quiet) in [
            ("enable", event("AdminEnableUser", json!({}))),
            (
                "other pool",
                event(
                    "AdminDisableUser",
                    json!({"requestParameters": {"userPoolId": "q"}}),
                ),
            ),
            (
                "failed",
                event(
                    "AdminDisableUser",
                    json!({"errorCode": "UserNotFoundException"}),
                ),
            ),
            (
                "not cognito",
                json!({"detail": {"eventSource": "s3.amazonaws.com", "eventName": "AdminDisableUser"}}),
            ),
        ] {
            assert_eq!(change_of(&quiet, Some("p")), None, "{what}");
        }
    }

    #[test]
    fn only_identity_id_shaped_records_become_claims() {
        assert!(looks_like_identity_id(
            "us-east-1:0f2a7c3e-1111-2222-3333-444455556666"
        ));
        for bad in [
            "",
            "us-east-1:",
            ":abc",
            "US:abc",
            "us-east-1:abc/def",
            "us-east-1:zz",
        ] {
            assert!(!looks_like_identity_id(bad), "{bad}");
        }
    }
}
