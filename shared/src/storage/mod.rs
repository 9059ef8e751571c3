//! Step 5: the caller's space in S3, and every operation on it.
//!
//! One S3 client is built at cold start *without credentials* ([`Storage`]): the only
//! way to reach S3 is through a [`Space`], which exists only for credentials Cognito
//! issued, and whose root is built from what Cognito vouched for — for the home,
//! `<home_prefix>/<identity id>/`, named after the Identity ID Cognito returned; for
//! a team's space, `<team_prefix>/<team>/`, named after the verified token's
//! `custom:team`, the claim the identity pool tags the credentials with.
//! Every key is appended to that root after validation (see [`keys`]), so there is no
//! code path from a request to another user's folder; in AWS the role's policy
//! refuses it a second time.
//!
//! Each file here is one kind of operation on a space: [`read`], [`write`] (and the
//! write tail every write ends with), [`list`], [`versions`] (history, trash,
//! restore), [`copies`] (copy, move), [`folders`] (folder delete), [`uploads`]
//! (multipart) and [`presign`] (URLs signed with the caller's credentials). None of
//! them knows HTTP: the handlers in [`crate::http`] parse requests into the types
//! here and turn the answers into responses.

use std::future::Future;
use std::time::{Duration, SystemTime};

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::Builder as S3ConfigBuilder;

use crate::auth::{Team, UserCredentials};
use crate::aws::Failure;
use crate::config::Config;
use crate::error::{Error, Upstream};

pub mod copies;
pub mod folders;
pub mod keys;
pub mod list;
pub mod presign;
pub mod read;
pub mod uploads;
pub mod versions;
pub mod write;

use keys::{Key, Prefix};

/// What a write must pass before S3 is asked to store `size` more bytes: the space's
/// quota ([`crate::usage::quota::Gate`]). Operations whose size is known only once the
/// source has been looked at (copy, move, restore) ask it between that look and the
/// write, so nothing is written when it refuses.
pub trait Admission: Sync {
    fn admit(&self, size: u64) -> impl Future<Output = Result<(), Error>> + Send;
}

/// No quota: everything is admitted, nothing is read.
pub struct Unlimited;

impl Admission for Unlimited {
    async fn admit(&self, _size: u64) -> Result<(), Error> {
        Ok(())
    }
}

/// `<home_prefix>/<identity id>/`: the root of one caller's home. Every S3 key the
/// caller reaches is this root followed by a validated [`Key`] or [`Prefix`].
pub fn home_root(home_prefix: &str, identity_id: &str) -> String {
    format!("{home_prefix}/{identity_id}/")
}

/// `<team_prefix>/<team>/`: the root of one team's space, shared by its members.
pub fn team_root(team_prefix: &str, team: &Team) -> String {
    format!("{team_prefix}/{}/", team.as_str())
}

/// The S3 key of `key` in the space whose root is `root` (see [`home_root`]).
pub fn key_under(root: &str, key: &Key) -> String {
    format!("{root}{}", key.as_str())
}

/// The S3 prefix that lists `prefix` in the space whose root is `root`.
pub fn prefix_under(root: &str, prefix: &Prefix) -> String {
    format!("{root}{}", prefix.as_str())
}

/// The key relative to `root` of an S3 key S3 listed, or `None` if it lies outside
/// (the inverse of [`key_under`], used for every key a listing returns).
pub fn relative_to<'k>(root: &str, s3_key: &'k str) -> Option<&'k str> {
    s3_key.strip_prefix(root)
}

/// The bucket and folder that hold every space, and the credential-less S3 client.
pub struct Storage {
    s3: Client,
    bucket: String,
    home_prefix: String,
    team_prefix: String,
    max_file_bytes: usize,
    /// Files up to this many bytes are read inline (never more than `max_file_bytes`).
    max_inline_read_bytes: usize,
    copy_object_max_bytes: u64,
    max_copy_bytes: u64,
    copy_budget: Duration,
    copy_part_bytes: u64,
    complete_wait: Duration,
    folder_delete_budget: Duration,
    /// Authenticates upload ids; `None` outside `write-file` (see
    /// [`Config::require_upload_id_key`]).
    upload_key: Option<uploads::plan::UploadKey>,
}

/// One caller's space: S3 access with that caller's credentials, under one root.
pub struct Space<'a> {
    storage: &'a Storage,
    root: String,
    provider: SharedCredentialsProvider,
    /// When the credentials expire: no URL they sign outlives this.
    credentials_expire: SystemTime,
}

impl Storage {
    /// `s3` must have no credentials provider of its own.
    pub fn new(s3: Client, config: &Config) -> Self {
        Storage {
            s3,
            bucket: config.bucket_name.clone(),
            home_prefix: config.home_prefix.clone(),
            team_prefix: config.team_prefix.clone(),
            max_file_bytes: config.max_file_bytes,
            max_inline_read_bytes: config.max_inline_read_bytes.min(config.max_file_bytes),
            copy_object_max_bytes: config.copy_object_max_bytes,
            max_copy_bytes: config.max_copy_bytes,
            copy_budget: config.copy_budget,
            copy_part_bytes: config.copy_part_bytes,
            complete_wait: config.complete_wait,
            folder_delete_budget: config.folder_delete_budget,
            upload_key: config
                .upload_id_key
                .as_ref()
                .map(|secret| uploads::plan::UploadKey::new(secret.expose().as_bytes())),
        }
    }

    pub fn max_file_bytes(&self) -> usize {
        self.max_file_bytes
    }

    /// With `credentials`, the home of the identity they belong to, or with a team,
    /// that team's space. The team comes from the same token the credentials were
    /// issued for, whose principal tag is what IAM grants the team space by.
    pub fn space(&self, credentials: &UserCredentials, team: Option<&Team>) -> Space<'_> {
        Space {
            storage: self,
            root: match team {
                None => home_root(&self.home_prefix, &credentials.identity_id),
                Some(team) => team_root(&self.team_prefix, team),
            },
            provider: credentials.provider.clone(),
            credentials_expire: credentials.expires_at,
        }
    }
}

impl Space<'_> {
    /// The space's root: `<home_prefix>/<identity id>/` for a home,
    /// `<team_prefix>/<team>/` for a team's space.
    pub fn root(&self) -> &str {
        &self.root
    }

    fn s3(&self) -> &Client {
        &self.storage.s3
    }

    fn bucket(&self) -> &str {
        &self.storage.bucket
    }

    fn object_key(&self, key: &Key) -> String {
        key_under(&self.root, key)
    }

    /// The key relative to the root of a key S3 listed (`None` outside the root).
    fn relative(&self, s3_key: &str) -> Option<String> {
        relative_to(&self.root, s3_key).map(str::to_owned)
    }

    /// Per-call configuration: the caller's credentials, nothing else.
    fn as_caller(&self) -> S3ConfigBuilder {
        S3ConfigBuilder::default().credentials_provider(self.provider.clone())
    }

    /// S3 answered AccessDenied for a file in the caller's own space. To a caller
    /// without an unconditional `s3:ListBucket` (the authenticated role's is limited
    /// by `s3:prefix`), S3 answers a missing key with 403 AccessDenied, not 404
    /// (Amazon S3 API Reference, GetObject, "Permissions":
    /// <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>). One
    /// listing of exactly that key, which the role allows, tells the two apart:
    /// absent → `missing` (404, or 412 for `If-Match`); present → 403, logged with
    /// the AWS code. Only this miss path pays the extra call.
    async fn denied_or_missing(
        &self,
        key: &Key,
        operation: &'static str,
        missing: Error,
    ) -> Result<Error, Error> {
        let object_key = self.object_key(key);
        let listed = self
            .s3()
            .list_objects_v2()
            .bucket(self.bucket())
            .prefix(&object_key)
            .max_keys(1)
            .customize()
            .config_override(self.as_caller())
            .send()
            .await
            .map_err(|error| s3_error(Failure::of(&error), "ListObjectsV2"))?;
        // The key itself sorts first among the keys it is a prefix of.
        let present = listed
            .contents()
            .first()
            .and_then(|object| object.key())
            .is_some_and(|found| found == object_key);
        if present {
            tracing::warn!(
                operation,
                aws_code = "AccessDenied",
                "S3 refused the caller's own credentials for a file in their space"
            );
            Ok(Error::Forbidden)
        } else {
            Ok(missing)
        }
    }
}

/// What an S3 failure means to the caller.
fn s3_error(failure: Failure, operation: &str) -> Error {
    match (failure.code(), failure.status) {
        ("NoSuchKey" | "NoSuchUpload" | "NoSuchVersion", _) | (_, Some(404)) => Error::NotFound,
        // GetObject / HeadObject of a delete marker's version id: nothing to read.
        ("MethodNotAllowed", _) | (_, Some(405)) => Error::NotFound,
        ("PreconditionFailed", _) | (_, Some(412)) => Error::PreconditionFailed,
        // A concurrent conditional write won the race: the caller's precondition no
        // longer holds either.
        ("ConditionalRequestConflict", _) => Error::PreconditionFailed,
        // A HEAD response has no body, so no code: its 403 is AccessDenied.
        ("AccessDenied", _) | ("", Some(403)) => Error::Forbidden,
        // Credentials expired between the cache check and the call: retryable.
        ("ExpiredToken" | "TokenRefreshRequired", _) => Error::UpstreamUnavailable(Upstream::S3),
        _ => failure.into_error(Upstream::S3, operation),
    }
}
