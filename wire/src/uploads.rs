//! Multipart uploads: start, resume, complete. The parts travel straight to S3
//! through the part URLs.

use serde::{Deserialize, Serialize};

/// `POST /write-file?key=K`: start an upload of `size` bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartUpload {
    pub size: u64,
    pub content_type: Option<String>,
}

/// `POST /write-file?key=K&upload_id=U`: complete it with every part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompleteUpload {
    pub parts: Vec<Part>,
}

/// A part of the completion request: its number and the `ETag` S3 returned for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    pub number: u32,
    pub etag: String,
}

/// A part to upload: PUT exactly `size` bytes to `url`, keep the `ETag` S3 returns.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartUrl {
    pub number: u32,
    /// A bearer capability: never printed or logged (`Debug` leaves it out).
    pub url: String,
    pub size: u64,
}

impl std::fmt::Debug for PartUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PartUrl({}, {} bytes)", self.number, self.size)
    }
}

/// A part S3 already holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedPart {
    pub number: u32,
    pub etag: String,
    pub size: u64,
}

/// The answer to a start (201) or a resume (200).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Upload {
    pub upload_id: String,
    pub size: u64,
    pub part_size: u64,
    /// Parts S3 holds already (always empty on start).
    pub uploaded: Vec<UploadedPart>,
    /// URLs for parts still to upload, at most 1,000 per answer.
    pub parts: Vec<PartUrl>,
    /// More parts need URLs: resume with `from_part` = this.
    pub next_part: Option<u32>,
    pub expires_at: String,
}

/// `202 Accepted` to a completion S3 is still working on (S3 documents that completing
/// a large upload can take minutes): call the same completion again after
/// `retry_after` seconds; it answers 200 once the file is stored, and never stores it
/// twice. The parts need not be sent again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completing {
    /// Always `completing`.
    pub status: String,
    pub retry_after: u32,
}
