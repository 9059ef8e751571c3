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

/// Media types a browser shows without running anything in the page's origin: images
/// (but SVG), video, audio, PDF and plain text. Everything else, unknown types and
/// files without a type included, is *active* (HTML, XHTML, SVG, XML, JavaScript…).
const PASSIVE_TYPES: &[&str] = &["video/", "audio/", "application/pdf", "text/plain"];

/// Whether a file of this stored type may be shown inline from the bucket's origin. The
/// type is the uploader's choice, so an HTML page or an SVG with script must never be
/// served inline there: it could phish or run script on the operator's bucket domain.
pub fn is_passive(content_type: Option<&str>) -> bool {
    let Some(raw) = content_type else {
        return false;
    };
    let media = raw
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let image = media.starts_with("image/") && !media.contains("svg") && !media.ends_with("+xml");
    image
        || PASSIVE_TYPES.iter().any(|passive| {
            if passive.ends_with('/') {
                media.starts_with(passive)
            } else {
                media == *passive
            }
        })
}

/// How S3 is told to serve a file through a presigned GET (GetObject's response
/// overrides, which are signed into the URL, so the holder cannot change them): an
/// active type always as an attachment of type `application/octet-stream`; a passive
/// one inline, or as an attachment when the caller asks (`download=1`).
pub fn overrides(
    key: &Key,
    content_type: Option<&str>,
    download: bool,
) -> (Option<String>, Option<String>) {
    if !is_passive(content_type) {
        (
            Some(attachment(key)),
            Some("application/octet-stream".to_owned()),
        )
    } else if download {
        (Some(attachment(key)), None)
    } else {
        (None, None)
    }
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

    /// A presigned GET of `key`, stored with `content_type`, served as [`overrides`] says.
    pub async fn download_url(
        &self,
        key: &Key,
        version: Option<&VersionId>,
        content_type: Option<&str>,
        wanted: Duration,
        download: bool,
    ) -> Result<Signed, Error> {
        let (config, expires_at) = self.url_life(wanted)?;
        let (disposition, served_as) = overrides(key, content_type, download);
        let presigned = self
            .s3()
            .get_object()
            .bucket(self.bucket())
            .key(self.object_key(key))
            .set_version_id(version.map(|v| v.as_str().to_owned()))
            .set_response_content_disposition(disposition)
            .set_response_content_type(served_as)
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
        download: bool,
    ) -> Result<Link, Error> {
        let source = self.source(key, version, None).await?;
        let signed = self
            .download_url(key, version, source.content_type(), wanted, download)
            .await?;
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
    fn only_passive_types_are_served_inline() {
        for passive in [
            "image/png",
            "image/JPEG",
            "image/webp; q=1",
            "video/mp4",
            "audio/mpeg",
            "application/pdf",
            "text/plain",
            "text/plain; charset=utf-8",
            " Text/Plain ",
        ] {
            assert!(is_passive(Some(passive)), "{passive}");
            assert_eq!(overrides(&key("a.x"), Some(passive), false), (None, None));
            let (disposition, served_as) = overrides(&key("a.x"), Some(passive), true);
            assert!(disposition.is_some_and(|d| d.starts_with("attachment")));
            assert_eq!(served_as, None, "{passive}: its own type, as a download");
        }
        for active in [
            None,
            Some(""),
            Some("text/html"),
            Some("text/html; charset=utf-8"),
            Some("application/xhtml+xml"),
            Some("image/svg+xml"),
            Some("IMAGE/SVG+XML"),
            Some("text/xml"),
            Some("application/xml"),
            Some("image/foo+xml"),
            Some("text/javascript"),
            Some("application/javascript"),
            Some("application/octet-stream"),
            Some("application/x-unknown"),
            Some("text/css"),
            Some("multipart/x-mixed-replace"),
            Some("text/plain-but-not"),
            Some("application/pdf+html"),
        ] {
            assert!(!is_passive(active), "{active:?}");
            for download in [false, true] {
                let (disposition, served_as) = overrides(&key("p/page.html"), active, download);
                assert_eq!(
                    disposition.as_deref(),
                    Some("attachment; filename=\"page.html\"; filename*=UTF-8''page.html")
                );
                assert_eq!(served_as.as_deref(), Some("application/octet-stream"));
            }
        }
    }

    #[test]
    fn timestamps_are_rfc_3339() {
        assert_eq!(
            timestamp(SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_305_600)),
            "2026-11-22T00:00:00Z"
        );
    }
}
