//! Files of any size: S3 multipart uploads whose parts travel straight from the
//! client to S3, through URLs signed with the caller's own credentials.
//!
//! One protocol serves every size (a single part may be of any size): start
//! (CreateMultipartUpload, then one presigned UploadPart per part, each with its
//! `Content-Length` signed, so S3 refuses a part of any other length and the total
//! stored is exactly the size declared), resume (ListParts and fresh URLs for the
//! rest), complete (CompleteMultipartUpload, with the same preconditions as a PUT),
//! abort. The functions never touch the bytes: their cost per gigabyte is zero.
//!
//! [`plan`] cuts a file into parts and names the upload for the client.

use std::time::Duration;

use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::operation::complete_multipart_upload::CompleteMultipartUploadOutput;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
pub use homedir_wire::{Part, PartUrl, Upload, UploadedPart};

use super::keys::Key;
use super::presign::timestamp;
use super::write::{WriteCondition, Written};
use super::{Space, s3_error};
use crate::aws::Failure;
use crate::error::Error;

pub mod plan;

pub use plan::{MAX_PARTS, Plan, URLS_PER_RESPONSE, UploadId, UploadKey};

/// What a completion did.
#[derive(Debug)]
pub enum Completion {
    /// The file is stored (now or by an earlier call of the same completion).
    Done(Written),
    /// S3 is still completing it: call again (202).
    Pending,
}

/// The ETag S3 gives an object completed from parts with these ETags (each the MD5 of
/// its part): the MD5 of the parts' MD5s, in order, a dash and the part count. `None`
/// when a part's ETag is not an MD5 (then no retry is recognised, nothing else).
pub fn multipart_etag(parts: &[Part]) -> Option<String> {
    use md5::{Digest, Md5};
    let mut digests = Md5::new();
    for part in parts {
        let hex = part.etag.trim_matches('"');
        if hex.len() != 32 {
            return None;
        }
        for pair in hex.as_bytes().chunks(2) {
            let byte = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
            digests.update([byte]);
        }
    }
    let digest = digests.finalize();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Some(format!("\"{hex}-{}\"", parts.len()))
}

impl Space<'_> {
    /// The deployment's upload id key (only `write-file` has one; its cold start
    /// checks, so this never fails there).
    fn upload_key(&self) -> Result<&UploadKey, Error> {
        self.storage
            .upload_key
            .as_ref()
            .ok_or_else(|| Error::Internal("UPLOAD_ID_KEY is not set".into()))
    }

    /// `id` as this API issued it for `key` in this space, or 400 before any AWS call.
    fn check_upload_id(&self, key: &Key, id: &UploadId) -> Result<(), Error> {
        self.upload_key()?.verify(self.root(), key.as_str(), id)
    }

    /// CreateMultipartUpload of `key`: S3's upload id.
    pub(super) async fn create_upload(
        &self,
        key: &Key,
        content_type: Option<String>,
    ) -> Result<String, Error> {
        let created = self
            .s3()
            .create_multipart_upload()
            .bucket(self.bucket())
            .key(self.object_key(key))
            .set_content_type(content_type)
            .customize()
            .config_override(self.as_caller())
            .send()
            .await
            .map_err(|error| s3_error(Failure::of(&error), "CreateMultipartUpload"))?;
        created
            .upload_id()
            .map(str::to_owned)
            .ok_or_else(|| Error::Internal("CreateMultipartUpload returned no UploadId".into()))
    }

    /// CompleteMultipartUpload of S3's `upload_id` with `parts` (numbers and ETags, in
    /// order) under `condition`, holding S3 to a total of exactly `size` bytes
    /// (`x-amz-mp-object-size`: a mismatch is 400 InvalidRequest and stores nothing,
    /// <https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html>);
    /// a failure is left for the caller to judge.
    /// With `patience`, the call may take that long (one attempt: a second one while
    /// S3 still works on the first would only wait behind it).
    pub(super) async fn complete_parts(
        &self,
        key: &Key,
        upload_id: &str,
        parts: Vec<CompletedPart>,
        size: u64,
        condition: &WriteCondition,
        patience: Option<Duration>,
    ) -> Result<CompleteMultipartUploadOutput, Failure> {
        let mut config = self.as_caller();
        if let Some(wait) = patience {
            config = config.timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(wait)
                    .operation_attempt_timeout(wait)
                    .build(),
            );
        }
        self.s3()
            .complete_multipart_upload()
            .bucket(self.bucket())
            .key(self.object_key(key))
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .mpu_object_size(i64::try_from(size).unwrap_or(i64::MAX))
            .set_if_match(condition.if_match())
            .set_if_none_match(condition.if_none_match())
            .customize()
            .config_override(config)
            .send()
            .await
            .map_err(|error| Failure::of(&error))
    }

    /// CreateMultipartUpload, then URLs for the first parts (signing is local).
    pub async fn start_upload(
        &self,
        key: &Key,
        size: u64,
        content_type: &str,
        wanted: Duration,
    ) -> Result<Upload, Error> {
        let upload_key = self.upload_key()?;
        let s3 = self
            .create_upload(key, Some(content_type.to_owned()))
            .await?;
        let id = upload_key.issue(self.root(), key.as_str(), Plan::for_size(size), s3);
        self.upload_urls(key, &id, Vec::new(), 1, wanted).await
    }

    /// The parts S3 holds (ListParts, a page per 1,000 parts) and URLs for the
    /// others from part `from` on.
    pub async fn resume_upload(
        &self,
        key: &Key,
        id: &UploadId,
        from: u32,
        wanted: Duration,
    ) -> Result<Upload, Error> {
        self.check_upload_id(key, id)?;
        let uploaded = self.uploaded_parts(key, id).await?;
        self.upload_urls(key, id, uploaded, from, wanted).await
    }

    async fn uploaded_parts(&self, key: &Key, id: &UploadId) -> Result<Vec<UploadedPart>, Error> {
        let mut uploaded = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .s3()
                .list_parts()
                .bucket(self.bucket())
                .key(self.object_key(key))
                .upload_id(&id.s3)
                .set_part_number_marker(marker.take())
                .customize()
                .config_override(self.as_caller())
                .send()
                .await
                .map_err(|error| s3_error(Failure::of(&error), "ListParts"))?;
            uploaded.extend(page.parts().iter().filter_map(|part| {
                Some(UploadedPart {
                    number: u32::try_from(part.part_number()?).ok()?,
                    etag: part.e_tag()?.to_owned(),
                    size: u64::try_from(part.size()?).ok()?,
                })
            }));
            match (page.is_truncated(), page.next_part_number_marker()) {
                (Some(true), Some(next)) => marker = Some(next.to_owned()),
                _ => return Ok(uploaded),
            }
        }
    }

    async fn upload_urls(
        &self,
        key: &Key,
        id: &UploadId,
        uploaded: Vec<UploadedPart>,
        from: u32,
        wanted: Duration,
    ) -> Result<Upload, Error> {
        let plan = id.plan;
        let upload_id = id.to_string();
        let held: std::collections::BTreeSet<u32> =
            uploaded.iter().map(|part| part.number).collect();
        let mut pending = (from.max(1)..=plan.parts()).filter(|number| !held.contains(number));
        let mut parts = Vec::new();
        let mut expires_at = None;
        for number in pending.by_ref().take(URLS_PER_RESPONSE as usize) {
            let size = plan.part_bytes(number);
            let signed = self.part_url(key, &id.s3, number, size, wanted).await?;
            expires_at = Some(signed.expires_at);
            parts.push(PartUrl {
                number,
                url: signed.url,
                size,
            });
        }
        Ok(Upload {
            upload_id,
            size: plan.size,
            part_size: plan.part_size,
            uploaded,
            parts,
            next_part: pending.next(),
            expires_at: timestamp(expires_at.unwrap_or(self.credentials_expire)),
        })
    }

    /// CompleteMultipartUpload with every part of the plan, in order, under the
    /// same preconditions as a PUT. Patient and idempotent: S3 gets `COMPLETE_WAIT_SECS`
    /// (completing a large upload "can take several minutes",
    /// <https://docs.aws.amazon.com/AmazonS3/latest/API/API_CompleteMultipartUpload.html>),
    /// after which the answer is [`Completion::Pending`], never a failure; and a retry
    /// of a completion S3 already carried out (the upload is gone, or the condition no
    /// longer holds because the file is there) is recognised by the file's ETag, which
    /// S3 derives from the parts' ETags ([`multipart_etag`]), and answered as the
    /// success it was. Nothing is stored twice.
    pub async fn complete_upload(
        &self,
        key: &Key,
        id: &UploadId,
        parts: &[Part],
        condition: &WriteCondition,
    ) -> Result<Completion, Error> {
        self.check_upload_id(key, id)?;
        let expected = id.plan.parts();
        let in_order = parts
            .iter()
            .zip(1..)
            .all(|(part, number)| part.number == number);
        if parts.len() != expected as usize || !in_order {
            return Err(Error::InvalidRequest(format!(
                "parts must list each of the upload's {expected} parts once, numbers 1 to {expected} in order"
            )));
        }
        if parts
            .iter()
            .any(|part| part.etag.is_empty() || part.etag.len() > 128 || !part.etag.is_ascii())
        {
            return Err(Error::InvalidRequest(
                "each part needs the ETag S3 returned for it".into(),
            ));
        }
        let completed = parts
            .iter()
            .map(|part| {
                CompletedPart::builder()
                    .part_number(i32::try_from(part.number).unwrap_or(i32::MAX))
                    .e_tag(&part.etag)
                    .build()
            })
            .collect();
        let sent = self
            .complete_parts(
                key,
                &id.s3,
                completed,
                id.plan.size,
                condition,
                Some(self.storage.complete_wait),
            )
            .await;
        let output = match sent {
            Err(failure) if failure.transport => {
                tracing::info!("CompleteMultipartUpload outlasted COMPLETE_WAIT_SECS: 202");
                return Ok(Completion::Pending);
            }
            other => other,
        }
        .map_err(|failure| match failure.code() {
            "InvalidPart" | "InvalidPartOrder" | "EntityTooSmall" => Error::InvalidRequest(
                "a part is missing, of the wrong size, or its ETag is not the one S3 returned"
                    .into(),
            ),
            // x-amz-mp-object-size: the parts do not add up to the declared size.
            "InvalidRequest" => Error::InvalidRequest(
                "the parts do not add up to the size declared when the upload started".into(),
            ),
            _ => s3_error(failure, "CompleteMultipartUpload"),
        });
        if matches!(output, Err(Error::NotFound | Error::PreconditionFailed))
            && let Some(done) = self.completed_already(key, parts, id.plan.size).await?
        {
            return Ok(Completion::Done(done));
        }
        if matches!(output, Err(Error::NotFound)) && matches!(condition, WriteCondition::Matches(_))
        {
            // NoSuchKey here is If-Match on a missing file, or the upload is gone.
            return Err(self.precondition_or_gone(key, id).await?);
        }
        self.stored(
            key,
            id.plan.size,
            "CompleteMultipartUpload",
            condition,
            output,
        )
        .await
        .map(Completion::Done)
    }

    /// The file at `key`, if it is what completing these `parts` made (`size` bytes,
    /// the multipart ETag of their ETags): a completion that already happened.
    async fn completed_already(
        &self,
        key: &Key,
        parts: &[Part],
        size: u64,
    ) -> Result<Option<Written>, Error> {
        let Some(expected) = multipart_etag(parts) else {
            return Ok(None);
        };
        let current = match self.source(key, None, None).await {
            Ok(current) => current,
            Err(Error::NotFound) => return Ok(None),
            Err(other) => return Err(other),
        };
        if current.etag() != expected.as_str() || current.size() != size {
            return Ok(None);
        }
        tracing::info!("a retried completion found its upload already stored");
        Ok(Some(Written {
            key: key.as_str().to_owned(),
            etag: current.etag().to_owned(),
            size,
            version_id: current.version_id().map(str::to_owned),
        }))
    }

    /// A 404 on an `If-Match` completion is either the upload (gone: 404) or the
    /// file (missing: 412); the listing of parts tells which.
    async fn precondition_or_gone(&self, key: &Key, id: &UploadId) -> Result<Error, Error> {
        match self.uploaded_parts(key, id).await {
            Ok(_) => Ok(Error::PreconditionFailed),
            Err(Error::NotFound) => Ok(Error::NotFound),
            Err(other) => Err(other),
        }
    }

    /// AbortMultipartUpload: nothing of the upload remains.
    pub async fn abort_upload(&self, key: &Key, id: &UploadId) -> Result<(), Error> {
        self.check_upload_id(key, id)?;
        self.abort(key, &id.s3).await
    }

    /// Aborts S3's upload `upload_id` after a failure, which stands whatever the abort
    /// answers (the lifecycle rule aborts what this misses).
    pub(super) async fn abort_quietly(&self, key: &Key, upload_id: &str) {
        if let Err(error) = self.abort(key, upload_id).await {
            tracing::warn!(detail = %error.log_detail(), "aborting a failed upload failed");
        }
    }

    async fn abort(&self, key: &Key, upload_id: &str) -> Result<(), Error> {
        self.s3()
            .abort_multipart_upload()
            .bucket(self.bucket())
            .key(self.object_key(key))
            .upload_id(upload_id)
            .customize()
            .config_override(self.as_caller())
            .send()
            .await
            .map_err(|error| s3_error(Failure::of(&error), "AbortMultipartUpload"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(number: u32, etag: &str) -> Part {
        Part {
            number,
            etag: etag.to_owned(),
        }
    }

    #[test]
    fn the_multipart_etag_is_s3s() {
        // Two parts of 5 MiB of zeros and of 1 byte "a": S3 (and moto) answer
        // md5(md5(part1) ++ md5(part2)) "-2".
        let zeros = "\"5f363e0e58a95f06cbe9bbc662c5dfb6\"";
        let a = "\"0cc175b9c0f1b6a831c399e269772661\"";
        assert_eq!(
            multipart_etag(&[part(1, zeros), part(2, a)]).as_deref(),
            Some("\"c37a4df95f46d5fbd682f9f1aff63bd5-2\"")
        );
        assert_eq!(multipart_etag(&[part(1, "\"not-an-md5\"")]), None);
        assert_eq!(
            multipart_etag(&[part(1, "\"zz175b9c0f1b6a831c399e269772661a\"")]),
            None
        );
    }
}
