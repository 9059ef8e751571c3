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
//! The `upload_id` handed to clients is `<size>.<part size>.<S3's upload id>`: the
//! plan travels with the upload, so resuming and completing need no state here and no
//! extra AWS call. A client that edits it only changes its own plan; S3 binds the
//! upload id to the key, and the key to the caller's home, so no edit reaches another
//! user's upload.

use std::time::Duration;

use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::home::{Home, WriteCondition, Written, s3_error};
use crate::keys::Key;
use crate::presign::timestamp;
use crate::upstream::Failure;

const MIB: u64 = 1024 * 1024;
/// The smallest part the API plans (S3's minimum is 5 MiB; 8 MiB halves the
/// requests of a typical file at no cost).
pub const MIN_PART_BYTES: u64 = 8 * MIB;
/// S3's largest part.
pub const MAX_PART_BYTES: u64 = 5 * 1024 * MIB;
/// S3's most parts per upload.
pub const MAX_PARTS: u32 = 10_000;
/// Part URLs per response: 1,000 URLs of ~1.5 KB keep a response far below
/// Lambda's 6 MB; the resume call hands out the rest.
pub const URLS_PER_RESPONSE: u32 = 1_000;

/// How a file of `size` bytes is cut into parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub size: u64,
    pub part_size: u64,
}

impl Plan {
    /// Parts of at least [`MIN_PART_BYTES`], whole MiB, at most [`MAX_PARTS`] of them.
    pub fn for_size(size: u64) -> Plan {
        let needed = size.div_ceil(u64::from(MAX_PARTS));
        let part_size = needed.div_ceil(MIB).saturating_mul(MIB).max(MIN_PART_BYTES);
        Plan { size, part_size }
    }

    /// How many parts (an empty file is one empty part).
    pub fn parts(&self) -> u32 {
        u32::try_from(self.size.div_ceil(self.part_size).max(1)).unwrap_or(u32::MAX)
    }

    /// The size of part `number` (1-based).
    pub fn part_bytes(&self, number: u32) -> u64 {
        let before = u64::from(number.saturating_sub(1)) * self.part_size;
        self.size.saturating_sub(before).min(self.part_size)
    }

    fn is_valid(&self) -> bool {
        (MIN_PART_BYTES..=MAX_PART_BYTES).contains(&self.part_size)
            && self.part_size.is_multiple_of(MIB)
            && self.size.div_ceil(self.part_size) <= u64::from(MAX_PARTS)
    }
}

/// The API's upload id: the plan and S3's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadId {
    pub plan: Plan,
    pub s3: String,
}

impl UploadId {
    pub fn parse(raw: &str, max_size: u64) -> Result<UploadId, Error> {
        let invalid =
            || Error::InvalidRequest("upload_id is not an upload id this API issued".into());
        let mut fields = raw.splitn(3, '.');
        let (Some(size), Some(part_size), Some(s3)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(invalid());
        };
        let number = |text: &str| {
            (!text.is_empty() && text.len() <= 20 && text.bytes().all(|b| b.is_ascii_digit()))
                .then(|| text.parse::<u64>().ok())
                .flatten()
        };
        let plan = Plan {
            size: number(size).ok_or_else(invalid)?,
            part_size: number(part_size).ok_or_else(invalid)?,
        };
        // S3's upload ids are URL-safe text of a few hundred characters.
        let s3_ok = !s3.is_empty()
            && s3.len() <= 1024
            && s3.bytes().all(|b| b.is_ascii_graphic() && b != b'/');
        if !plan.is_valid() || plan.size > max_size || !s3_ok {
            return Err(invalid());
        }
        Ok(UploadId {
            plan,
            s3: s3.to_owned(),
        })
    }
}

impl std::fmt::Display for UploadId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.plan.size, self.plan.part_size, self.s3)
    }
}

/// A part to upload: PUT exactly `size` bytes to `url`, keep the `ETag` S3 returns.
#[derive(Debug, Serialize)]
pub struct PartUrl {
    pub number: u32,
    pub url: String,
    pub size: u64,
}

/// A part S3 already holds.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct UploadedPart {
    pub number: u32,
    pub etag: String,
    pub size: u64,
}

/// The answer to a start or a resume.
#[derive(Debug, Serialize)]
pub struct Upload {
    pub upload_id: String,
    pub size: u64,
    pub part_size: u64,
    /// Parts S3 holds already (always empty on start).
    pub uploaded: Vec<UploadedPart>,
    /// URLs for parts still to upload, at most [`URLS_PER_RESPONSE`].
    pub parts: Vec<PartUrl>,
    /// More parts need URLs: resume with `from_part` = this.
    pub next_part: Option<u32>,
    pub expires_at: String,
}

/// A part of the completion request.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    pub number: u32,
    pub etag: String,
}

impl Home<'_> {
    /// CreateMultipartUpload, then URLs for the first parts (signing is local).
    pub async fn start_upload(
        &self,
        key: &Key,
        size: u64,
        content_type: &str,
        wanted: Duration,
    ) -> Result<Upload, Error> {
        let plan = Plan::for_size(size);
        let created = self
            .homes
            .s3
            .create_multipart_upload()
            .bucket(&self.homes.bucket)
            .key(self.object_key(key))
            .content_type(content_type)
            .customize()
            .config_override(self.as_caller())
            .send()
            .await
            .map_err(|error| s3_error(Failure::of(&error), "CreateMultipartUpload"))?;
        let s3 = created
            .upload_id()
            .ok_or_else(|| Error::Internal("CreateMultipartUpload returned no UploadId".into()))?;
        let id = UploadId {
            plan,
            s3: s3.to_owned(),
        };
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
        let uploaded = self.uploaded_parts(key, id).await?;
        self.upload_urls(key, id, uploaded, from, wanted).await
    }

    async fn uploaded_parts(&self, key: &Key, id: &UploadId) -> Result<Vec<UploadedPart>, Error> {
        let mut uploaded = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .homes
                .s3
                .list_parts()
                .bucket(&self.homes.bucket)
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
    /// same preconditions as a PUT.
    pub async fn complete_upload(
        &self,
        key: &Key,
        id: &UploadId,
        parts: &[Part],
        condition: &WriteCondition,
    ) -> Result<Written, Error> {
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
        let completed = CompletedMultipartUpload::builder()
            .set_parts(Some(
                parts
                    .iter()
                    .map(|part| {
                        CompletedPart::builder()
                            .part_number(i32::try_from(part.number).unwrap_or(i32::MAX))
                            .e_tag(&part.etag)
                            .build()
                    })
                    .collect(),
            ))
            .build();
        let output = self
            .homes
            .s3
            .complete_multipart_upload()
            .bucket(&self.homes.bucket)
            .key(self.object_key(key))
            .upload_id(&id.s3)
            .multipart_upload(completed)
            .set_if_match(condition.if_match())
            .set_if_none_match(condition.if_none_match())
            .customize()
            .config_override(self.as_caller())
            .send()
            .await
            .map_err(|error| {
                let failure = Failure::of(&error);
                match failure.code() {
                    "InvalidPart" | "InvalidPartOrder" | "EntityTooSmall" => Error::InvalidRequest(
                        "a part is missing, of the wrong size, or its ETag is not the one S3 returned".into(),
                    ),
                    _ => s3_error(failure, "CompleteMultipartUpload"),
                }
            });
        let output = match output {
            Ok(output) => output,
            // NoSuchKey here is If-Match on a missing file: the precondition fails.
            Err(Error::NotFound) if matches!(condition, WriteCondition::Matches(_)) => {
                return Err(self.precondition_or_gone(key, id).await?);
            }
            Err(other) => {
                return Err(self
                    .write_failure(key, "CompleteMultipartUpload", condition, other)
                    .await?);
            }
        };
        Ok(Written {
            key: key.as_str().to_owned(),
            etag: output.e_tag().unwrap_or_default().to_owned(),
            size: id.plan.size,
            version_id: output.version_id().map(str::to_owned),
        })
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
        self.homes
            .s3
            .abort_multipart_upload()
            .bucket(&self.homes.bucket)
            .key(self.object_key(key))
            .upload_id(&id.s3)
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

    const GIB: u64 = 1024 * MIB;
    const TIB: u64 = 1024 * GIB;

    #[test]
    fn plans_use_8_mib_parts_until_10_000_parts_need_more() {
        assert_eq!(Plan::for_size(0).parts(), 1);
        assert_eq!(Plan::for_size(0).part_bytes(1), 0);
        assert_eq!(Plan::for_size(1).part_size, MIN_PART_BYTES);
        let p = Plan::for_size(64 * MIB);
        assert_eq!((p.part_size, p.parts()), (8 * MIB, 8));
        let p = Plan::for_size(64 * MIB + 1);
        assert_eq!((p.parts(), p.part_bytes(9)), (9, 1));
        let p = Plan::for_size(5 * GIB);
        assert_eq!(p.part_size, 8 * MIB);
        assert_eq!(p.parts(), 640);
        let p = Plan::for_size(5 * TIB);
        assert!(
            p.parts() <= MAX_PARTS && p.part_size <= MAX_PART_BYTES,
            "{p:?}"
        );
        assert!(p.part_size.is_multiple_of(MIB));
    }

    #[test]
    fn every_plan_covers_its_size_exactly() {
        for size in [
            0,
            1,
            MIB,
            8 * MIB - 1,
            8 * MIB,
            8 * MIB + 1,
            80 * GIB + 7,
            5 * TIB,
        ] {
            let plan = Plan::for_size(size);
            assert!(plan.is_valid(), "{plan:?}");
            let total: u64 = (1..=plan.parts()).map(|n| plan.part_bytes(n)).sum();
            assert_eq!(total, size, "{plan:?}");
            if plan.parts() > 1 {
                for n in 1..plan.parts() {
                    assert_eq!(plan.part_bytes(n), plan.part_size);
                }
                assert!(plan.part_bytes(plan.parts()) > 0);
            }
        }
    }

    #[test]
    fn upload_ids_round_trip_and_refuse_what_the_api_did_not_issue() {
        let id = UploadId {
            plan: Plan::for_size(100 * MIB),
            s3: "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA.x-_".into(),
        };
        let text = id.to_string();
        assert_eq!(UploadId::parse(&text, 5 * GIB), Ok(id));
        for bad in [
            "",
            "abc",
            "1.2",
            "100.8388608.",
            "x.8388608.id",
            "100.x.id",
            "-1.8388608.id",
            "100.1048576.id",         // parts smaller than the API plans
            "100.8388609.id",         // not whole MiB
            "99999999999.8388608.id", // more than 10,000 parts
            "100.8388608.a/b",        // not an S3 upload id
            "100.8388608.a b",
            "+100.8388608.id",
        ] {
            assert!(UploadId::parse(bad, 5 * GIB).is_err(), "{bad:?}");
        }
        assert!(
            UploadId::parse(&format!("{}.8388608.id", 6 * GIB), 5 * GIB).is_err(),
            "over MAX_UPLOAD_BYTES"
        );
    }
}
