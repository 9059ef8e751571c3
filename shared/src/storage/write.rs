//! Writing and deleting one file, and the tail every write ends with.
//!
//! Every way a new version comes to be (a PUT, a restore, a copy, a move, a completed
//! upload) ends in [`Space::stored`]: S3's answer becomes the [`Written`] the caller
//! gets, or its failure is judged under the write's [`WriteCondition`].

use aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadOutput;
use aws_sdk_s3::operation::copy_object::CopyObjectOutput;
use aws_sdk_s3::operation::put_object::PutObjectOutput;
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
pub use homedir_wire::Written;

use super::keys::Key;
use super::{Space, s3_error};
use crate::aws::Failure;
use crate::error::Error;

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

/// What a delete left: the delete marker's version id (a versioned bucket keeps the
/// file's history; the marker is what an undelete removes from view).
#[derive(Debug)]
pub struct Deleted {
    pub version_id: Option<String>,
}

/// The answer of an S3 operation that stores a new version.
pub(super) trait StoredVersion {
    fn etag(&self) -> Option<&str>;
    fn version_id(&self) -> Option<&str>;
}

impl StoredVersion for PutObjectOutput {
    fn etag(&self) -> Option<&str> {
        self.e_tag()
    }
    fn version_id(&self) -> Option<&str> {
        self.version_id()
    }
}

impl StoredVersion for CopyObjectOutput {
    fn etag(&self) -> Option<&str> {
        self.copy_object_result().and_then(|result| result.e_tag())
    }
    fn version_id(&self) -> Option<&str> {
        self.version_id()
    }
}

impl StoredVersion for CompleteMultipartUploadOutput {
    fn etag(&self) -> Option<&str> {
        self.e_tag()
    }
    fn version_id(&self) -> Option<&str> {
        self.version_id()
    }
}

impl Space<'_> {
    pub async fn write(
        &self,
        key: &Key,
        bytes: Bytes,
        content_type: &str,
        condition: &WriteCondition,
    ) -> Result<Written, Error> {
        let size = bytes.len() as u64;
        let sent = self
            .s3()
            .put_object()
            .bucket(self.bucket())
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
        self.stored(key, size, "PutObject", condition, sent).await
    }

    /// The tail of every write: S3's answer as what was written (`size` bytes at
    /// `key`), or its failure as the caller should see it (see [`Space::write_failure`]).
    pub(super) async fn stored(
        &self,
        key: &Key,
        size: u64,
        operation: &'static str,
        condition: &WriteCondition,
        sent: Result<impl StoredVersion, Error>,
    ) -> Result<Written, Error> {
        match sent {
            Ok(output) => Ok(Written {
                key: key.as_str().to_owned(),
                etag: output.etag().unwrap_or_default().to_owned(),
                size,
                version_id: output.version_id().map(str::to_owned),
            }),
            Err(error) => Err(self.write_failure(key, operation, condition, error).await?),
        }
    }

    /// A failed conditional write: `If-Match` on a file that does not exist fails the
    /// precondition (RFC 9110 §13.1.1). S3 says NoSuchKey to a caller that may list
    /// the bucket, and AccessDenied to one that may not, such as the authenticated
    /// role; one listing tells that from a real refusal. Anything else stands.
    async fn write_failure(
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

    /// Deletes the file (a delete marker: its versions stay recoverable); with
    /// `if_match`, only if its current version has that ETag (S3's conditional
    /// delete), else 412.
    pub async fn delete(&self, key: &Key, if_match: Option<&str>) -> Result<Deleted, Error> {
        let condition = if_match.map_or(WriteCondition::None, |etag| {
            WriteCondition::Matches(etag.to_owned())
        });
        let output = self
            .s3()
            .delete_object()
            .bucket(self.bucket())
            .key(self.object_key(key))
            .set_if_match(condition.if_match())
            .customize()
            .config_override(self.as_caller())
            .send()
            .await
            .map_err(|error| s3_error(Failure::of(&error), "DeleteObject"));
        match output {
            Ok(output) => Ok(Deleted {
                version_id: output.version_id().map(str::to_owned),
            }),
            Err(error) => Err(self
                .write_failure(key, "DeleteObject", &condition, error)
                .await?),
        }
    }
}
