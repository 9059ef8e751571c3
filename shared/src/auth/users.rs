//! Step 3: the user still exists, is enabled and confirmed, and is the one the
//! token was issued to.
//!
//! A Cognito ID token stays valid for up to an hour after its user is disabled or
//! deleted; this check is how the functions notice sooner, within
//! `USER_CHECK_TTL_SECS`. It costs O(execution environments), not O(requests):
//!
//! - **The record of user changes** (a DynamoDB table the deployment keeps): every
//!   way of disabling, deleting, signing out or resetting a user that homedir knows
//!   of writes "no token of `sub` issued at or before `at`" there (the operator
//!   commands directly; changes made elsewhere through a rule on the user pool's
//!   CloudTrail events, `functions/directory`). Each environment reads the recent
//!   record once per TTL (one `Query`, shared by every user) and refuses a token it
//!   names. A token it does not name passes with no AWS call.
//! - **AdminGetUser where the record cannot answer**: when the record could not be
//!   read, when it holds a change whose user is unknown ([`ANY_USER`]) made after
//!   the token was issued, when the token is older than the record reaches back
//!   ([`RECORD_REACH`]), or where the deployment keeps no record. A passed check is
//!   cached per `sub` for the TTL; failures never are; a TTL of zero checks every
//!   request.
//!
//! AdminGetUser's answer must carry the token's `sub`: usernames can be reused, and a
//! user deleted and signed up again under the same email is a new user with a new
//! `sub`, so an old token must not act as the new user.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use super::backend::{ANY_USER, AwsBackend, Backend, UserChange, UserRecord};
use super::cache::Cache;
use crate::aws::Failure;
use crate::clock::Clock;
use crate::config::Config;
use crate::error::{Error, Upstream};

/// How far back each read of the record reaches: longer than an ID token lives (the
/// template's `IdTokenValidity` is 60 minutes), so every change that can concern a
/// token still valid is in it. An older token (a pool configured for longer-lived
/// ones) is checked with AdminGetUser.
pub const RECORD_REACH: Duration = Duration::from_secs(65 * 60);

pub struct UserDirectory<B: Backend = AwsBackend> {
    backend: Arc<B>,
    clock: Clock,
    /// `USER_CHECK_TTL_SECS`; zero: AdminGetUser on every request.
    ttl: Duration,
    /// `sub`s whose AdminGetUser check passed, with when (seconds since the epoch).
    checked: Cache<String, u64, Error>,
    /// The recent record of user changes, read once per TTL.
    record: Cache<(), Arc<Record>, Failure>,
}

/// The record's recent entries, as the user check reads them.
#[derive(Debug, Default)]
pub struct Record {
    /// The latest change of each `sub`.
    latest: HashMap<String, u64>,
    /// The latest change whose user is unknown.
    anyone: Option<u64>,
    /// The oldest issue time the record answers for.
    reaches_back_to: u64,
}

/// What the record says about one token.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// A change of this user at or after the token's issue: refused.
    Revoked,
    /// No change since the token was issued: it passes.
    Clear,
    /// A change of an unknown user at `since`, after the token was issued; or a
    /// token older than the record (`since` = its issue time): AdminGetUser answers
    /// (a check made at or after `since` will do).
    Ask { since: u64 },
}

impl Record {
    pub fn new(changes: &[UserChange], reaches_back_to: u64) -> Record {
        let mut record = Record {
            reaches_back_to,
            ..Record::default()
        };
        for change in changes {
            if change.sub == ANY_USER {
                record.anyone = record.anyone.max(Some(change.at));
            } else {
                let latest = record.latest.entry(change.sub.clone()).or_insert(0);
                *latest = (*latest).max(change.at);
            }
        }
        record
    }

    fn verdict(&self, sub: &str, issued_at: u64) -> Verdict {
        if self.latest.get(sub).is_some_and(|&at| at >= issued_at) {
            return Verdict::Revoked;
        }
        if issued_at < self.reaches_back_to {
            return Verdict::Ask { since: issued_at };
        }
        match self.anyone {
            Some(at) if at >= issued_at => Verdict::Ask { since: at },
            _ => Verdict::Clear,
        }
    }
}

impl UserDirectory<AwsBackend> {
    pub fn new(backend: Arc<AwsBackend>, config: &Config) -> Self {
        UserDirectory::with_backend(backend, config, Clock::system())
    }
}

impl<B: Backend> UserDirectory<B> {
    /// The user check over any [`Backend`], on `clock` (the fleet model's).
    pub fn with_backend(backend: Arc<B>, config: &Config, clock: Clock) -> Self {
        let ttl = config.user_check_ttl;
        UserDirectory {
            checked: Cache::new(clock.clone(), config.cache_capacity)
                .time_to_live(ttl.max(Duration::from_nanos(1))),
            record: Cache::new(clock.clone(), 1).time_to_live(ttl.max(Duration::from_nanos(1))),
            backend,
            clock,
            ttl,
        }
    }

    /// Succeeds if the user `username` (`sub`, whose token was issued at `issued_at`)
    /// may still act: see the module documentation for how that is decided.
    pub async fn ensure_active(
        &self,
        username: &str,
        sub: &str,
        issued_at: u64,
    ) -> Result<(), Error> {
        if self.ttl.is_zero() {
            return self.check(username, sub).await.map(drop);
        }
        let mut since = None;
        if self.backend.keeps_user_changes() {
            match self.record().await {
                Ok(record) => match record.verdict(sub, issued_at) {
                    Verdict::Revoked => {
                        tracing::info!("the record of user changes refused the token");
                        return Err(Error::UserDisabled);
                    }
                    Verdict::Clear => return Ok(()),
                    Verdict::Ask { since: at } => since = Some(at),
                },
                Err(failure) => tracing::warn!(
                    aws_code = failure.code(),
                    "the record of user changes could not be read; asking AdminGetUser"
                ),
            }
        }
        let key = sub.to_owned();
        let checked_at = self
            .checked
            .try_get_with(&key, self.check(username, sub))
            .await?;
        if since.is_some_and(|since| checked_at < since) {
            // The cached check predates a change it cannot have seen.
            self.checked.invalidate(&key);
            self.checked
                .try_get_with(&key, self.check(username, sub))
                .await?;
        }
        Ok(())
    }

    async fn record(&self) -> Result<Arc<Record>, Failure> {
        self.record
            .try_get_with(&(), async {
                let now = self.seconds_now();
                let since = now.saturating_sub(RECORD_REACH.as_secs());
                let changes = self.backend.user_changes_since(since).await?;
                Ok(Arc::new(Record::new(&changes, since)))
            })
            .await
    }

    /// AdminGetUser: Ok(when) if the user passes.
    async fn check(&self, username: &str, sub: &str) -> Result<u64, Error> {
        let at = self.seconds_now();
        let user = self
            .backend
            .admin_get_user(username)
            .await
            .map_err(|failure| match failure.code() {
                "UserNotFoundException" => Error::UserDisabled,
                _ => failure.into_error(Upstream::Cognito, "AdminGetUser"),
            })?;
        verdict(&user, sub).map(|()| at)
    }

    fn seconds_now(&self) -> u64 {
        self.clock
            .now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }
}

/// Whether AdminGetUser's answer admits the token's `sub`.
fn verdict(user: &UserRecord, sub: &str) -> Result<(), Error> {
    let same_user = user.sub.as_deref() == Some(sub);
    if user.enabled && user.confirmed && same_user {
        Ok(())
    } else {
        tracing::info!(
            enabled = user.enabled,
            confirmed = user.confirmed,
            same_user,
            "the user check refused the caller"
        );
        Err(Error::UserDisabled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::backend::Issued;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// The user pool and the record, as far as the user check reads them.
    #[derive(Default)]
    struct Directory {
        changes: Mutex<Vec<UserChange>>,
        admin_get_user: AtomicU64,
        unreadable: bool,
    }

    impl Backend for Directory {
        async fn get_id(&self, _: &str) -> Result<String, Failure> {
            unreachable!("the user check never calls GetId")
        }
        async fn get_credentials_for_identity(&self, _: &str, _: &str) -> Result<Issued, Failure> {
            unreachable!("the user check never exchanges")
        }
        async fn admin_get_user(&self, _: &str) -> Result<UserRecord, Failure> {
            self.admin_get_user.fetch_add(1, Ordering::Relaxed);
            Ok(user(true, true, "s1"))
        }
        fn keeps_user_changes(&self) -> bool {
            true
        }
        async fn user_changes_since(&self, since: u64) -> Result<Vec<UserChange>, Failure> {
            if self.unreadable {
                return Err(Failure {
                    code: Some("ProvisionedThroughputExceededException".into()),
                    status: Some(400),
                    transport: false,
                });
            }
            let changes = self.changes.lock().expect("lock");
            Ok(changes.iter().filter(|c| c.at >= since).cloned().collect())
        }
        async fn record_identity(&self, _: &str, _: &str) -> Result<(), Failure> {
            Ok(())
        }
    }

    const START: u64 = 1_800_000_000;

    fn checker(directory: Directory) -> (UserDirectory<Directory>, Arc<Directory>, Clock) {
        let clock = Clock::manual(UNIX_EPOCH + Duration::from_secs(START));
        let backend = Arc::new(directory);
        let vars = [
            ("AWS_REGION", "us-east-1"),
            ("USER_POOL_ID", "us-east-1_pool"),
            ("USER_POOL_CLIENT_ID", "client"),
            (
                "IDENTITY_POOL_ID",
                "us-east-1:00000000-0000-0000-0000-000000000000",
            ),
            ("BUCKET_NAME", "bucket"),
            ("USER_CHECK_TTL_SECS", "60"),
        ];
        let config = Config::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        })
        .expect("a valid configuration");
        (
            UserDirectory::with_backend(backend.clone(), &config, clock.clone()),
            backend,
            clock,
        )
    }

    #[tokio::test]
    async fn a_known_users_change_refuses_within_the_ttl_and_costs_no_admin_get_user() {
        let (check, backend, clock) = checker(Directory::default());
        let issued = START - 10;
        assert_eq!(check.ensure_active("alice", "s1", issued).await, Ok(()));
        backend
            .changes
            .lock()
            .expect("lock")
            .push(change("s1", START + 5));
        clock.advance(Duration::from_secs(30));
        assert_eq!(
            check.ensure_active("alice", "s1", issued).await,
            Ok(()),
            "within the TTL"
        );
        clock.advance(Duration::from_secs(31));
        assert_eq!(
            check.ensure_active("alice", "s1", issued).await,
            Err(Error::UserDisabled),
            "after the TTL the record refuses"
        );
        assert_eq!(backend.admin_get_user.load(Ordering::Relaxed), 0);
    }

    #[tokio::test]
    async fn an_unknown_users_change_or_an_unreadable_record_asks_admin_get_user() {
        let (check, backend, _) = checker(Directory::default());
        backend
            .changes
            .lock()
            .expect("lock")
            .push(change(ANY_USER, START - 5));
        for _ in 0..3 {
            assert_eq!(check.ensure_active("alice", "s1", START - 10).await, Ok(()));
        }
        assert_eq!(
            backend.admin_get_user.load(Ordering::Relaxed),
            1,
            "asked once, cached"
        );
        assert_eq!(
            check.ensure_active("bob", "s2", START - 1).await,
            Ok(()),
            "newer token"
        );
        assert_eq!(backend.admin_get_user.load(Ordering::Relaxed), 1);

        let (check, backend, _) = checker(Directory {
            unreadable: true,
            ..Directory::default()
        });
        assert_eq!(check.ensure_active("alice", "s1", START - 10).await, Ok(()));
        assert_eq!(
            backend.admin_get_user.load(Ordering::Relaxed),
            1,
            "fell back"
        );
    }

    fn user(enabled: bool, confirmed: bool, sub: &str) -> UserRecord {
        UserRecord {
            enabled,
            confirmed,
            sub: Some(sub.to_owned()),
        }
    }

    #[test]
    fn only_the_same_enabled_confirmed_user_passes() {
        assert_eq!(verdict(&user(true, true, "s1"), "s1"), Ok(()));
        let refused = [
            (user(false, true, "s1"), "disabled"),
            (user(true, true, "s2"), "re-created: another sub"),
            (
                user(true, false, "s1"),
                "unconfirmed, reset or must change password",
            ),
        ];
        for (record, why) in refused {
            assert_eq!(verdict(&record, "s1"), Err(Error::UserDisabled), "{why}");
        }
    }

    fn change(sub: &str, at: u64) -> UserChange {
        UserChange {
            sub: sub.to_owned(),
            at,
        }
    }

    #[test]
    fn the_record_refuses_tokens_issued_at_or_before_their_users_change() {
        let record = Record::new(
            &[change("s1", 1000), change("s1", 900), change("s2", 500)],
            100,
        );
        assert_eq!(record.verdict("s1", 999), Verdict::Revoked);
        assert_eq!(record.verdict("s1", 1000), Verdict::Revoked, "same second");
        assert_eq!(
            record.verdict("s1", 1001),
            Verdict::Clear,
            "signed in again after"
        );
        assert_eq!(record.verdict("s2", 400), Verdict::Revoked);
        assert_eq!(record.verdict("s3", 400), Verdict::Clear, "another user");
    }

    #[test]
    fn a_change_of_an_unknown_user_or_an_old_token_asks_admin_get_user() {
        let record = Record::new(&[change(ANY_USER, 800)], 100);
        assert_eq!(record.verdict("s1", 700), Verdict::Ask { since: 800 });
        assert_eq!(record.verdict("s1", 801), Verdict::Clear);
        assert_eq!(
            record.verdict("s1", 50),
            Verdict::Ask { since: 50 },
            "issued before the record reaches back"
        );
    }
}
