//! Copy and move within one of the caller's spaces or between them (home and team),
//! and the copy under a restore.
//!
//! Both ends are keys under one of the caller's own roots, validated like every key,
//! so a source outside them cannot even be named (and IAM refuses it a second time);
//! both sides are done with the caller's own credentials.
//! S3 copies server-side: CopyObject up to 5 GiB, UploadPartCopy beyond. The source
//! is looked at first (HeadObject) for its size, which decides between the two and
//! is part of the answer (CopyObject's answer does not carry it), and for its ETag,
//! which the copy then requires of the source (`x-amz-copy-source-if-match`), so the
//! bytes copied are the ones looked at.

use futures::{StreamExt, TryStreamExt};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use aws_sdk_s3::types::{CompletedPart, MetadataDirective};

use super::keys::{Key, VersionId};
use super::write::{WriteCondition, Written};
use super::{Space, s3_error};
use crate::aws::Failure;
use crate::error::{Error, Upstream};

const COPY_PARTS_IN_FLIGHT: usize = 8;

/// `x-amz-copy-source` is a URL path: everything but unreserved characters and `/`
/// is percent-encoded (CopyObject, "x-amz-copy-source").
const COPY_SOURCE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

/// Whether a transfer keeps its source (a copy) or deletes it after (a move).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transfer {
    Copy,
    Move,
}

/// A source of a copy: one version of one file, as HeadObject saw it.
#[derive(Debug)]
pub struct Source {
    /// The full S3 key: a source may lie in another of the caller's spaces.
    object_key: String,
    version: Option<VersionId>,
    size: u64,
    etag: String,
    content_type: Option<String>,
    version_id: Option<String>,
}

impl Source {
    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn etag(&self) -> &str {
        &self.etag
    }

    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The version S3 says this is.
    pub fn version_id(&self) -> Option<&str> {
        self.version_id.as_deref()
    }
}

impl Space<'_> {
    /// HeadObject of the source (with `if_match`, S3 answers 412 if it changed).
    pub(super) async fn source(
        &self,
        key: &Key,
        version: Option<&VersionId>,
        if_match: Option<&str>,
    ) -> Result<Source, Error> {
        let head = self
            .s3()
            .head_object()
            .bucket(self.bucket())
            .key(self.object_key(key))
            .set_version_id(version.map(|v| v.as_str().to_owned()))
            .set_if_match(if_match.map(str::to_owned))
            .customize()
            .config_override(self.as_caller())
            .send()
            .await;
        let head = match head {
            Ok(head) => head,
            Err(error) => {
                let failure = Failure::of(&error);
                if failure.code() == "InvalidArgument" || failure.status == Some(400) {
                    return Err(Error::InvalidRequest(format!(
                        "{} is not a version of this file",
                        version.map(VersionId::as_str).unwrap_or("that")
                    )));
                }
                return Err(self
                    .refused_or_missing(key, version, s3_error(failure, "HeadObject"), "HeadObject")
                    .await?);
            }
        };
        Ok(Source {
            object_key: self.object_key(key),
            version: version.cloned(),
            size: u64::try_from(head.content_length().unwrap_or(0)).unwrap_or(0),
            etag: head.e_tag().unwrap_or_default().to_owned(),
            content_type: head.content_type().map(str::to_owned),
            version_id: head.version_id().map(str::to_owned),
        })
    }

    fn copy_source(&self, source: &Source) -> String {
        let path = format!(
            "{}/{}",
            self.bucket(),
            utf8_percent_encode(&source.object_key, COPY_SOURCE)
        );
        match &source.version {
            Some(version) => format!(
                "{path}?versionId={}",
                utf8_percent_encode(version.as_str(), COPY_SOURCE)
            ),
            None => path,
        }
    }

    /// Copies `source` onto `dest` as a new version, under `condition`.
    pub(super) async fn copy_into(
        &self,
        dest: &Key,
        source: &Source,
        condition: &WriteCondition,
    ) -> Result<Written, Error> {
        if source.size > self.storage.max_copy_bytes {
            return Err(Error::PayloadTooLarge(format!(
                "the file is {} bytes; the API copies, moves and restores files of at most {} bytes (MAX_COPY_BYTES), which finish inside one request: download it and upload it again instead",
                source.size, self.storage.max_copy_bytes
            )));
        }
        if source.size > self.storage.copy_object_max_bytes {
            return self.copy_in_parts(dest, source, condition).await;
        }
        let output = self
            .s3()
            .copy_object()
            .bucket(self.bucket())
            .key(self.object_key(dest))
            .copy_source(self.copy_source(source))
            .copy_source_if_match(&source.etag)
            .metadata_directive(MetadataDirective::Copy)
            .set_if_match(condition.if_match())
            .set_if_none_match(condition.if_none_match())
            .customize()
            .config_override(self.as_caller())
            .send()
            .await
            .map_err(|error| s3_error(Failure::of(&error), "CopyObject"));
        self.stored(dest, source.size, "CopyObject", condition, output)
            .await
    }

    /// Beyond CopyObject's 5 GiB: a multipart upload of UploadPartCopy parts, within
    /// `COPY_BUDGET_SECS`. Whatever fails or runs out of time, the upload is aborted:
    /// no part of a copy that did not happen is left to be billed until the lifecycle
    /// rule runs.
    async fn copy_in_parts(
        &self,
        dest: &Key,
        source: &Source,
        condition: &WriteCondition,
    ) -> Result<Written, Error> {
        let upload_id = self
            .create_upload(dest, source.content_type.clone())
            .await?;
        let copied = tokio::time::timeout(
            self.storage.copy_budget,
            self.copy_parts_and_complete(dest, source, &upload_id, condition),
        )
        .await
        .unwrap_or_else(|_| {
            tracing::warn!(
                size = source.size,
                "a copy in parts did not finish inside COPY_BUDGET_SECS; aborted"
            );
            Err(Error::UpstreamUnavailable(Upstream::S3))
        });
        if copied.is_err() {
            self.abort_quietly(dest, &upload_id).await;
        }
        copied
    }

    async fn copy_parts_and_complete(
        &self,
        dest: &Key,
        source: &Source,
        upload_id: &str,
        condition: &WriteCondition,
    ) -> Result<Written, Error> {
        // `COPY_PART_BYTES` parts, at most 10,000 of them.
        let part_size = source
            .size
            .div_ceil(10_000)
            .max(self.storage.copy_part_bytes);
        let copy_source = self.copy_source(source);
        let parts: Vec<CompletedPart> = futures::stream::iter(0..source.size.div_ceil(part_size))
            .map(|index| {
                let first = index * part_size;
                let last = (first + part_size).min(source.size) - 1;
                let copy_source = &copy_source;
                async move {
                    let number = i32::try_from(index + 1).unwrap_or(i32::MAX);
                    let part = self
                        .s3()
                        .upload_part_copy()
                        .bucket(self.bucket())
                        .key(self.object_key(dest))
                        .upload_id(upload_id)
                        .part_number(number)
                        .copy_source(copy_source)
                        .copy_source_range(format!("bytes={first}-{last}"))
                        .copy_source_if_match(&source.etag)
                        .customize()
                        .config_override(self.as_caller())
                        .send()
                        .await
                        .map_err(|error| s3_error(Failure::of(&error), "UploadPartCopy"))?;
                    Ok::<_, Error>(
                        CompletedPart::builder()
                            .part_number(number)
                            .set_e_tag(
                                part.copy_part_result()
                                    .and_then(|r| r.e_tag())
                                    .map(str::to_owned),
                            )
                            .build(),
                    )
                }
            })
            .buffered(COPY_PARTS_IN_FLIGHT)
            .try_collect()
            .await?;
        let output = self
            .complete_parts(dest, upload_id, parts, source.size, condition, None)
            .await
            .map_err(|failure| s3_error(failure, "CompleteMultipartUpload"));
        self.stored(
            dest,
            source.size,
            "CompleteMultipartUpload",
            condition,
            output,
        )
        .await
    }

    /// `PUT /write-file?key=DEST&copy_from=SRC` or `move_from=SRC` (`[&from_space=S]`):
    /// `src` in `from` (this space, or another of the caller's) copied onto `dest`
    /// here; for a move, then the source's delete only if it still has the ETag that
    /// was copied (S3's conditional delete). A source changed in between is 412 with
    /// the copy kept and the source left as it is: nothing is lost, and the caller
    /// decides.
    ///
    /// The destination's `admission` is asked before the copy, for the source's size;
    /// a move within one space asks for nothing (it adds no content the space did not
    /// hold), so it is refused only when the space is already full.
    #[allow(clippy::too_many_arguments)]
    pub async fn transfer(
        &self,
        transfer: Transfer,
        dest: &Key,
        from: &Space<'_>,
        src: &Key,
        source_if_match: Option<&str>,
        condition: &WriteCondition,
        admission: &impl super::Admission,
    ) -> Result<Written, Error> {
        if transfer == Transfer::Move && dest == src && self.root() == from.root() {
            return Err(Error::InvalidRequest(
                "move_from names the file itself".into(),
            ));
        }
        let source = from.source(src, None, source_if_match).await?;
        let within = transfer == Transfer::Move && self.root() == from.root();
        admission
            .admit(if within { 0 } else { source.size })
            .await?;
        let written = self.copy_into(dest, &source, condition).await?;
        if transfer == Transfer::Copy {
            return Ok(written);
        }
        match from.delete(src, Some(&source.etag)).await {
            Ok(_) => Ok(written),
            Err(Error::PreconditionFailed) => Err(Error::SourceChanged),
            Err(other) => Err(other),
        }
    }
}
