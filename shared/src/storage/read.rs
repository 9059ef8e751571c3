//! Reading a file, or one version of it, within what a Lambda response can carry.

use aws_sdk_s3::primitives::DateTime;
use bytes::Bytes;

use super::keys::{Key, VersionId};
use super::{Space, s3_error};
use crate::aws::Failure;
use crate::error::{Error, Upstream};

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
    /// through a presigned URL instead (see [`super::presign`]).
    TooLarge {
        size: i64,
        content_type: Option<String>,
    },
}

impl Space<'_> {
    /// The file, or one version of it.
    pub async fn read(
        &self,
        key: &Key,
        version: Option<&VersionId>,
        if_none_match: Option<&str>,
    ) -> Result<Read, Error> {
        let max = self.storage.max_inline_read_bytes;
        // Only the first bytes a Lambda response can carry are asked for: a larger
        // file is answered with a redirect, and S3 need not start sending it whole.
        let get = |range: Option<String>| {
            self.s3()
                .get_object()
                .bucket(self.bucket())
                .key(self.object_key(key))
                .set_version_id(version.map(|v| v.as_str().to_owned()))
                .set_if_none_match(if_none_match.map(str::to_owned))
                .set_range(range)
                .customize()
                .config_override(self.as_caller())
                .send()
        };
        let mut result = get(Some(format!("bytes=0-{}", max.saturating_sub(1)))).await;
        // An empty file has no byte 0: S3 answers 416; ask for it whole.
        if let Err(error) = &result
            && Failure::of(error).status == Some(416)
        {
            result = get(None).await;
        }
        let output = match result {
            Ok(output) => output,
            Err(error) => {
                return self
                    .read_failure(key, version, if_none_match, Failure::of(&error))
                    .await;
            }
        };
        // A ranged answer names the whole size after the slash: `bytes 0-99/1234`.
        let size = output
            .content_range()
            .and_then(|range| range.rsplit_once('/'))
            .and_then(|(_, total)| total.parse::<i64>().ok())
            .or(output.content_length())
            .unwrap_or(0);
        if usize::try_from(size).map_or(true, |size| size > max) {
            // Dropping the body closes the stream after its first bytes.
            return Ok(Read::TooLarge {
                size,
                content_type: output.content_type().map(str::to_owned),
            });
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
        if bytes.len() > max {
            return Err(Error::PayloadTooLarge(format!(
                "the file is {} bytes; files larger than {max} bytes cannot be returned through a synchronous Lambda response",
                bytes.len()
            )));
        }
        Ok(Read::Found(File {
            bytes,
            content_type,
            etag,
            last_modified,
            version_id,
        }))
    }

    /// What a failed GetObject means: not modified (304), a version id S3 never
    /// issued, or a refusal that may be a missing file in disguise.
    async fn read_failure(
        &self,
        key: &Key,
        version: Option<&VersionId>,
        if_none_match: Option<&str>,
        failure: Failure,
    ) -> Result<Read, Error> {
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
        Err(self
            .refused_or_missing(key, version, s3_error(failure, "GetObject"), "GetObject")
            .await?)
    }

    /// `error` as the caller should see it: a refusal (403) of a file or version that
    /// does not exist is a 404 (see [`Space::denied_or_missing`]); anything else stands.
    pub(super) async fn refused_or_missing(
        &self,
        key: &Key,
        version: Option<&VersionId>,
        error: Error,
        operation: &'static str,
    ) -> Result<Error, Error> {
        match (error, version) {
            (Error::Forbidden, None) => {
                self.denied_or_missing(key, operation, Error::NotFound)
                    .await
            }
            (Error::Forbidden, Some(version)) => self.version_denied_or_missing(key, version).await,
            (other, _) => Ok(other),
        }
    }
}
