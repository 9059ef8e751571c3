//! Step 5: the caller's home folder in S3.
//!
//! One S3 client is built at cold start *without credentials*: the only way to reach
//! S3 is through a [`Home`], which exists only for credentials Cognito issued and
//! whose root is `<home_prefix>/<identity id>/`, named after the Identity ID Cognito
//! returned. Every key is appended to that root after validation (see
//! [`crate::keys`]), so there is no code path from a request to another user's
//! folder; in AWS the role's policy refuses it a second time.

use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::Builder as S3ConfigBuilder;
use aws_sdk_s3::primitives::{ByteStream, DateTime, DateTimeFormat};
use std::time::SystemTime;

use bytes::Bytes;
use http::HeaderMap;
use serde::Serialize;

use crate::config::Config;
use crate::error::{Error, Upstream};
use crate::identity::UserCredentials;
use crate::keys::{Key, Prefix, VersionId};
use crate::request::header_text;
use crate::upstream::Failure;

/// `<home_prefix>/<identity id>/`: the root of one caller's home. Every S3 key the
/// caller reaches is this root followed by a validated [`Key`] or [`Prefix`].
pub fn home_root(home_prefix: &str, identity_id: &str) -> String {
    format!("{home_prefix}/{identity_id}/")
}

/// The S3 key of `key` in the home whose root is `root` (see [`home_root`]).
pub fn key_under(root: &str, key: &Key) -> String {
    format!("{root}{}", key.as_str())
}

/// The S3 prefix that lists `prefix` in the home whose root is `root`.
pub fn prefix_under(root: &str, prefix: &Prefix) -> String {
    format!("{root}{}", prefix.as_str())
}

/// The key relative to `root` of an S3 key S3 listed, or `None` if it lies outside
/// (the inverse of [`key_under`], used for every key a listing returns).
pub fn relative_to<'k>(root: &str, s3_key: &'k str) -> Option<&'k str> {
    s3_key.strip_prefix(root)
}

/// The bucket and folder that hold every home, and the credential-less S3 client.
pub struct Homes {
    pub(crate) s3: Client,
    pub(crate) bucket: String,
    home_prefix: String,
    max_file_bytes: usize,
    pub(crate) copy_object_max_bytes: u64,
    pub(crate) folder_delete_budget: std::time::Duration,
}

/// One caller's home: S3 access with that caller's credentials, under their root.
pub struct Home<'a> {
    pub(crate) homes: &'a Homes,
    root: String,
    provider: SharedCredentialsProvider,
    /// When the credentials expire: no URL they sign outlives this.
    pub(crate) credentials_expire: SystemTime,
}

/// The content and metadata of a file.
#[derive(Debug)]
pub struct File {
    pub bytes: Bytes,
    pub content_type: Option<String>,
    pub etag: Option<String>,
    pub last_modified: Option<DateTime>,
    pub version_id: Option<String>,
}

/// What a conditional read found.
#[derive(Debug)]
pub enum Read {
    Found(File),
    /// `If-None-Match` matched the current ETag.
    NotModified {
        etag: Option<String>,
    },
    /// Larger than a Lambda response can carry: the caller fetches it from S3
    /// through a presigned URL instead (see [`crate::presign`]).
    TooLarge {
        size: i64,
    },
}

/// Preconditions a write may carry.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub enum WriteCondition {
    #[default]
    None,
    /// `If-Match: <etag>`: replace only that version.
    Matches(String),
    /// `If-None-Match: *`: create only, never overwrite.
    Absent,
}

impl WriteCondition {
    /// `If-Match: <etag>` (replace only that version) or `If-None-Match: *` (create
    /// only); both at once, an empty `If-Match`, any other `If-None-Match`, a repeated
    /// or non-ASCII header are refused before any AWS call.
    pub fn from_headers(headers: &HeaderMap) -> Result<WriteCondition, Error> {
        Ok(
            match (
                header_text(headers, "if-match")?,
                header_text(headers, "if-none-match")?,
            ) {
                (Some(_), Some(_)) => {
                    return Err(Error::InvalidRequest(
                        "send If-Match or If-None-Match, not both".into(),
                    ));
                }
                (Some(""), None) => return Err(Error::InvalidRequest("If-Match is empty".into())),
                (Some(etag), None) => WriteCondition::Matches(etag.to_owned()),
                (None, Some("*")) => WriteCondition::Absent,
                (None, Some(_)) => {
                    return Err(Error::InvalidRequest(
                        "If-None-Match on a write must be *".into(),
                    ));
                }
                (None, None) => WriteCondition::None,
            },
        )
    }

    /// The `If-Match` header S3 gets for this condition.
    pub fn if_match(&self) -> Option<String> {
        match self {
            WriteCondition::Matches(etag) => Some(etag.clone()),
            _ => None,
        }
    }

    /// The `If-None-Match` header S3 gets for this condition.
    pub fn if_none_match(&self) -> Option<String> {
        (self == &WriteCondition::Absent).then(|| "*".to_owned())
    }
}

#[derive(Debug, Serialize)]
pub struct Written {
    pub key: String,
    pub etag: String,
    pub size: u64,
    /// The version the write created (the bucket is versioned).
    pub version_id: Option<String>,
}

/// What a delete left: the delete marker's version id (a versioned bucket keeps the
/// file's history; the marker is what an undelete removes from view).
#[derive(Debug)]
pub struct Deleted {
    pub version_id: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct FileEntry {
    pub key: String,
    pub size: i64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Listing {
    pub files: Vec<FileEntry>,
    pub folders: Vec<String>,
    pub next_cursor: Option<String>,
}

/// How to list: what [`Home::list`] passes to ListObjectsV2.
#[derive(Debug, Default)]
pub struct ListRequest {
    pub prefix: Prefix,
    /// Group keys by `/` into folders.
    pub folders: bool,
    pub limit: i32,
    pub cursor: Option<String>,
}

/// The longest list cursor accepted; S3's continuation tokens are far shorter.
pub const MAX_LIST_CURSOR_BYTES: usize = 1024;

impl ListRequest {
    /// A `cursor` as a listing's `next_cursor` handed it out: S3's opaque
    /// continuation token, given back to S3 verbatim. Only its shape is checked here
    /// (1 to [`MAX_LIST_CURSOR_BYTES`] bytes, no control character); S3 says whether
    /// it is one of its own.
    pub fn parse_cursor(raw: &str) -> Result<String, Error> {
        if raw.is_empty() || raw.len() > MAX_LIST_CURSOR_BYTES || raw.chars().any(char::is_control)
        {
            return Err(Error::InvalidRequest(
                "the cursor is not valid for this listing".into(),
            ));
        }
        Ok(raw.to_owned())
    }
}

impl Homes {
    /// `s3` must have no credentials provider of its own.
    pub fn new(s3: Client, config: &Config) -> Self {
        Homes {
            s3,
            bucket: config.bucket_name.clone(),
            home_prefix: config.home_prefix.clone(),
            max_file_bytes: config.max_file_bytes,
            copy_object_max_bytes: config.copy_object_max_bytes,
            folder_delete_budget: config.folder_delete_budget,
        }
    }

    pub fn max_file_bytes(&self) -> usize {
        self.max_file_bytes
    }

    /// The home of the identity `credentials` belong to.
    pub fn open(&self, credentials: &UserCredentials) -> Home<'_> {
        Home {
            homes: self,
            root: home_root(&self.home_prefix, &credentials.identity_id),
            provider: credentials.provider.clone(),
            credentials_expire: credentials.expires_at,
        }
    }
}

impl Home<'_> {
    /// `<home_prefix>/<identity id>/`.
    pub fn root(&self) -> &str {
        &self.root
    }

    pub(crate) fn object_key(&self, key: &Key) -> String {
        key_under(&self.root, key)
    }

    /// Per-call configuration: the caller's credentials, nothing else.
    pub(crate) fn as_caller(&self) -> S3ConfigBuilder {
        S3ConfigBuilder::default().credentials_provider(self.provider.clone())
    }

    /// The file, or one version of it.
    pub async fn read(
        &self,
        key: &Key,
        version: Option<&VersionId>,
        if_none_match: Option<&str>,
    ) -> Result<Read, Error> {
        // Only the first bytes a Lambda response can carry are asked for: a larger
        // file is answered with a redirect, and S3 need not start sending it whole.
        let get = |range: Option<String>| {
            self.homes
                .s3
                .get_object()
                .bucket(&self.homes.bucket)
                .key(self.object_key(key))
                .set_version_id(version.map(|v| v.as_str().to_owned()))
                .set_if_none_match(if_none_match.map(str::to_owned))
                .set_range(range)
                .customize()
                .config_override(self.as_caller())
                .send()
        };
        let first_bytes = format!("bytes=0-{}", self.homes.max_file_bytes.saturating_sub(1));
        let mut result = get(Some(first_bytes)).await;
        // An empty file has no byte 0: S3 answers 416; ask for it whole.
        if let Err(error) = &result
            && Failure::of(error).status == Some(416)
        {
            result = get(None).await;
        }
        let output = match result {
            Ok(output) => output,
            Err(error) => {
                let failure = Failure::of(&error);
                if failure.status == Some(304) {
                    return Ok(Read::NotModified {
                        etag: if_none_match.map(str::to_owned),
                    });
                }
                if version.is_some() && failure.code() == "InvalidArgument" {
                    return Err(Error::InvalidRequest(
                        "that is not a version id S3 issued".into(),
                    ));
                }
                return Err(match (s3_error(failure, "GetObject"), version) {
                    (Error::Forbidden, None) => {
                        self.denied_or_missing(key, "GetObject", Error::NotFound)
                            .await?
                    }
                    (Error::Forbidden, Some(version)) => {
                        self.version_denied_or_missing(key, version).await?
                    }
                    (other, _) => other,
                });
            }
        };
        // A ranged answer names the whole size after the slash: `bytes 0-99/1234`.
        let size = output
            .content_range()
            .and_then(|range| range.rsplit_once('/'))
            .and_then(|(_, total)| total.parse::<i64>().ok())
            .or(output.content_length())
            .unwrap_or(0);
        if usize::try_from(size).map_or(true, |size| size > self.homes.max_file_bytes) {
            // Dropping the body closes the stream after its first bytes.
            return Ok(Read::TooLarge { size });
        }
        let content_type = output.content_type().map(str::to_owned);
        let etag = output.e_tag().map(str::to_owned);
        let last_modified = output.last_modified().copied();
        let version_id = output.version_id().map(str::to_owned);
        let bytes = output
            .body
            .collect()
            .await
            .map_err(|_| Error::UpstreamUnavailable(Upstream::S3))?
            .into_bytes();
        // S3 always sends Content-Length, but the limit must not depend on it.
        if bytes.len() > self.homes.max_file_bytes {
            return Err(too_large_to_read(
                bytes.len() as i64,
                self.homes.max_file_bytes,
            ));
        }
        Ok(Read::Found(File {
            bytes,
            content_type,
            etag,
            last_modified,
            version_id,
        }))
    }

    pub async fn write(
        &self,
        key: &Key,
        bytes: Bytes,
        content_type: &str,
        condition: &WriteCondition,
    ) -> Result<Written, Error> {
        let size = bytes.len() as u64;
        let output = self
            .homes
            .s3
            .put_object()
            .bucket(&self.homes.bucket)
            .key(self.object_key(key))
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .set_if_match(condition.if_match())
            .set_if_none_match(condition.if_none_match())
            .customize()
            .config_override(self.as_caller())
            .send()
            .await
            .map_err(|error| s3_error(Failure::of(&error), "PutObject"));
        let output = match output {
            Ok(output) => output,
            Err(error) => {
                return Err(self
                    .write_failure(key, "PutObject", condition, error)
                    .await?);
            }
        };
        Ok(Written {
            key: key.as_str().to_owned(),
            etag: output.e_tag().unwrap_or_default().to_owned(),
            size,
            version_id: output.version_id().map(str::to_owned),
        })
    }

    /// A failed conditional write: `If-Match` on a file that does not exist fails the
    /// precondition (RFC 9110 §13.1.1). S3 says NoSuchKey to a caller that may list
    /// the bucket, and AccessDenied to one that may not, such as the authenticated
    /// role; one listing tells that from a real refusal. Anything else stands.
    pub(crate) async fn write_failure(
        &self,
        key: &Key,
        operation: &'static str,
        condition: &WriteCondition,
        error: Error,
    ) -> Result<Error, Error> {
        match (error, condition) {
            (Error::NotFound, WriteCondition::Matches(_)) => Ok(Error::PreconditionFailed),
            (Error::Forbidden, WriteCondition::Matches(_)) => {
                self.denied_or_missing(key, operation, Error::PreconditionFailed)
                    .await
            }
            (other, _) => Ok(other),
        }
    }

    /// S3 answered AccessDenied for a file in the caller's own home. To a caller
    /// without an unconditional `s3:ListBucket` (the authenticated role's is limited
    /// by `s3:prefix`), S3 answers a missing key with 403 AccessDenied, not 404
    /// (Amazon S3 API Reference, GetObject, "Permissions":
    /// <https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html>). One
    /// listing of exactly that key, which the role allows, tells the two apart:
    /// absent → `missing` (404, or 412 for `If-Match`); present → 403, logged with
    /// the AWS code. Only this miss path pays the extra call.
    pub(crate) async fn denied_or_missing(
        &self,
        key: &Key,
        operation: &'static str,
        missing: Error,
    ) -> Result<Error, Error> {
        let object_key = self.object_key(key);
        let listed = self
            .homes
            .s3
            .list_objects_v2()
            .bucket(&self.homes.bucket)
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
                "S3 refused the caller's own credentials for a file in their home"
            );
            Ok(Error::Forbidden)
        } else {
            Ok(missing)
        }
    }

    pub async fn list(&self, request: &ListRequest) -> Result<Listing, Error> {
        let output = self
            .homes
            .s3
            .list_objects_v2()
            .bucket(&self.homes.bucket)
            .prefix(prefix_under(&self.root, &request.prefix))
            .set_delimiter(request.folders.then(|| "/".to_owned()))
            .max_keys(request.limit)
            .set_continuation_token(request.cursor.clone())
            .customize()
            .config_override(self.as_caller())
            .send()
            .await
            .map_err(|error| {
                let failure = Failure::of(&error);
                if failure.code() == "InvalidArgument" && request.cursor.is_some() {
                    return Error::InvalidRequest(
                        "the cursor is not valid for this listing".into(),
                    );
                }
                s3_error(failure, "ListObjectsV2")
            })?;
        let relative = |full: &str| relative_to(&self.root, full).map(str::to_owned);
        let files = output
            .contents()
            .iter()
            .filter_map(|object| {
                Some(FileEntry {
                    key: relative(object.key()?)?,
                    size: object.size().unwrap_or(0),
                    etag: object.e_tag().map(str::to_owned),
                    last_modified: object
                        .last_modified()
                        .and_then(|t| t.fmt(DateTimeFormat::DateTime).ok()),
                })
            })
            .collect();
        let folders = output
            .common_prefixes()
            .iter()
            .filter_map(|p| relative(p.prefix()?))
            .collect();
        let next_cursor = if output.is_truncated() == Some(true) {
            output.next_continuation_token().map(str::to_owned)
        } else {
            None
        };
        Ok(Listing {
            files,
            folders,
            next_cursor,
        })
    }

    /// Deletes the file (a delete marker: its versions stay recoverable); with
    /// `if_match`, only if its current version has that ETag (S3's conditional
    /// delete), else 412.
    pub async fn delete(&self, key: &Key, if_match: Option<&str>) -> Result<Deleted, Error> {
        let condition = if_match.map_or(WriteCondition::None, |etag| {
            WriteCondition::Matches(etag.to_owned())
        });
        let output = self
            .homes
            .s3
            .delete_object()
            .bucket(&self.homes.bucket)
            .key(self.object_key(key))
            .set_if_match(condition.if_match())
            .customize()
            .config_override(self.as_caller())
            .send()
            .await
            .map_err(|error| s3_error(Failure::of(&error), "DeleteObject"));
        let output = match output {
            Ok(output) => output,
            Err(error) => {
                return Err(self
                    .write_failure(key, "DeleteObject", &condition, error)
                    .await?);
            }
        };
        Ok(Deleted {
            version_id: output.version_id().map(str::to_owned),
        })
    }
}

fn too_large_to_read(size: i64, max: usize) -> Error {
    Error::PayloadTooLarge(format!(
        "the file is {size} bytes; files larger than {max} bytes cannot be returned through a synchronous Lambda response"
    ))
}

pub(crate) fn s3_error(failure: Failure, operation: &str) -> Error {
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
