//! Presigned URLs: one S3 request, signed here with the **caller's own** Identity
//! Pool credentials, that the client sends straight to S3.
//!
//! A URL carries the power of the credentials that signed it, for one request, until
//! the earlier of its own expiry and theirs (S3 User Guide, "Sharing objects with
//! presigned URLs"). Signed with the caller's credentials, for a key built under the
//! caller's home, it can only ever reach that home, and IAM refuses anything else a
//! second time. Signing is local: no AWS call. URLs are bearer capabilities: they
//! are never logged, never cached here, and never live longer than asked.

use std::time::{Duration, SystemTime};

use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};
use aws_sdk_s3::primitives::{DateTime, DateTimeFormat};
pub use homedir_wire::Link;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::Space;
use super::keys::{Key, VersionId};
use crate::error::Error;

/// How long a download link lives unless the caller asks otherwise.
pub const DEFAULT_LINK_SECS: u64 = 300;
/// How long upload part URLs live unless the caller asks otherwise.
pub const DEFAULT_UPLOAD_URL_SECS: u64 = 900;
/// The longest life a caller may ask for (Cognito's credentials last an hour).
pub const MAX_URL_SECS: u64 = 3600;

/// A signed URL and when it stops working.
#[derive(Debug)]
pub struct Signed {
    pub url: String,
    pub expires_at: SystemTime,
}

/// RFC 3339, as every timestamp in the API's JSON.
pub fn timestamp(at: SystemTime) -> String {
    DateTime::from(at)
        .fmt(DateTimeFormat::DateTime)
        .unwrap_or_default()
}

/// `Content-Disposition: attachment` naming the file by the last segment of its
/// key: an ASCII fallback and the exact name in RFC 8187 form (RFC 6266 §4.3).
pub fn attachment(key: &Key) -> String {
    const ATTR_CHAR: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'!')
        .remove(b'#')
        .remove(b'$')
        .remove(b'&')
        .remove(b'+')
        .remove(b'-')
        .remove(b'.')
        .remove(b'^')
        .remove(b'_')
        .remove(b'`')
        .remove(b'|')
        .remove(b'~');
    let name = key.as_str().rsplit('/').next().unwrap_or_default();
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        utf8_percent_encode(name, ATTR_CHAR)
    )
}

impl Space<'_> {
    /// How long a URL signed now may live when `wanted` is asked for: never past
    /// the signing credentials' expiry, and at least one second.
    fn url_life(&self, wanted: Duration) -> Result<(PresigningConfig, SystemTime), Error> {
        let now = SystemTime::now();
        let until = (now + wanted).min(self.credentials_expire);
        let life = until
            .duration_since(now)
            .unwrap_or_default()
            .max(Duration::from_secs(1));
        let config = PresigningConfig::builder()
            .start_time(now)
            .expires_in(life)
            .build()
            .map_err(|_| Error::Internal("a URL life S3 does not accept".into()))?;
        Ok((config, now + life))
    }

    /// A presigned GET of `key`, with `Content-Disposition` set by S3 if given.
    pub async fn download_url(
        &self,
        key: &Key,
        version: Option<&VersionId>,
        wanted: Duration,
        disposition: Option<String>,
    ) -> Result<Signed, Error> {
        let (config, expires_at) = self.url_life(wanted)?;
        let presigned = self
            .s3()
            .get_object()
            .bucket(self.bucket())
            .key(self.object_key(key))
            .set_version_id(version.map(|v| v.as_str().to_owned()))
            .set_response_content_disposition(disposition)
            .customize()
            .config_override(self.as_caller())
            .presigned(config)
            .await
            .map_err(|_| Error::Internal("presigning GetObject failed".into()))?;
        Ok(signed(presigned, expires_at))
    }

    /// `key`'s size, ETag and type (one HeadObject) and a presigned GET of it.
    pub async fn link(
        &self,
        key: &Key,
        version: Option<&VersionId>,
        wanted: Duration,
        disposition: Option<String>,
    ) -> Result<Link, Error> {
        let source = self.source(key, version, None).await?;
        let signed = self.download_url(key, version, wanted, disposition).await?;
        Ok(Link {
            url: signed.url,
            expires_at: timestamp(signed.expires_at),
            size: source.size(),
            etag: Some(source.etag().to_owned()),
            content_type: source.content_type().map(str::to_owned),
            version_id: source.version_id().map(str::to_owned),
        })
    }

    /// A presigned UploadPart of exactly `size` bytes: `Content-Length` is signed,
    /// so S3 refuses a part of any other length.
    pub async fn part_url(
        &self,
        key: &Key,
        upload_id: &str,
        number: u32,
        size: u64,
        wanted: Duration,
    ) -> Result<Signed, Error> {
        let (config, expires_at) = self.url_life(wanted)?;
        let presigned = self
            .s3()
            .upload_part()
            .bucket(self.bucket())
            .key(self.object_key(key))
            .upload_id(upload_id)
            .part_number(i32::try_from(number).unwrap_or(i32::MAX))
            .content_length(i64::try_from(size).unwrap_or(i64::MAX))
            .customize()
            .config_override(self.as_caller())
            .presigned(config)
            .await
            .map_err(|_| Error::Internal("presigning UploadPart failed".into()))?;
        Ok(signed(presigned, expires_at))
    }
}

fn signed(presigned: PresignedRequest, expires_at: SystemTime) -> Signed {
    Signed {
        url: presigned.uri().to_owned(),
        expires_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(raw: &str) -> Key {
        Key::parse(raw, 900).expect("a valid key")
    }

    #[test]
    fn attachments_name_the_file_safely_and_exactly() {
        assert_eq!(
            attachment(&key("docs/report.pdf")),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );
        assert_eq!(
            attachment(&key("a/say \"hi\"\\日本.txt")),
            "attachment; filename=\"say _hi____.txt\"; filename*=UTF-8''say%20%22hi%22%5C%E6%97%A5%E6%9C%AC.txt"
        );
    }

    #[test]
    fn timestamps_are_rfc_3339() {
        assert_eq!(
            timestamp(SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_305_600)),
            "2026-11-22T00:00:00Z"
        );
    }
}
