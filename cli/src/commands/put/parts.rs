//! One part of a multipart upload: read from the file, PUT to S3 through its
//! presigned URL (never with the ID token), retried with fresh URLs, counted into the
//! progress display as its bytes leave.

use std::convert::Infallible;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use homedir_wire::PartUrl;
use http::header::CONTENT_LENGTH;
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use hyper::body::{Body as HttpBody, Frame, SizeHint};

use super::upload::resume;
use crate::api::{Api, network_error};
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::remote::Remote;

/// Tries per part (fresh URLs after the first failure).
const PART_TRIES: u32 = 4;
/// A part's bytes are handed to the connection in slices of this size, so the
/// progress display moves smoothly rather than a part at a time.
const SLICE: usize = 64 * 1024;

/// What one part's upload needs.
pub(super) struct PartJob<'a> {
    pub api: &'a Api,
    pub key: &'a Remote,
    pub upload_id: &'a str,
    pub part_size: u64,
    pub file: Arc<std::fs::File>,
    pub path: &'a Path,
    pub progress: Arc<Progress>,
}

impl PartJob<'_> {
    /// Reads the part, PUTs it (fresh URLs and a pause after a failure), returns its
    /// number and S3's ETag.
    pub async fn run(self, part: PartUrl) -> Result<(u32, String)> {
        let offset = u64::from(part.number - 1) * self.part_size;
        let data = self.read(offset, part.size).await?;
        let mut url = part.url.clone();
        let mut attempt = 1;
        loop {
            let sent = Arc::new(AtomicU64::new(0));
            let outcome = self.send(&url, data.clone(), &sent).await;
            match outcome {
                Ok(etag) => {
                    tracing::debug!(part = part.number, "part uploaded");
                    return Ok((part.number, etag));
                }
                Err(e) => {
                    self.progress.sub(sent.load(Ordering::Relaxed));
                    if attempt >= PART_TRIES {
                        return Err(e);
                    }
                    tracing::debug!(part = part.number, attempt, error = %e, "part failed; retrying");
                    tokio::time::sleep(Duration::from_millis(500 * 2u64.pow(attempt))).await;
                    attempt += 1;
                    // The URL may have expired with the credentials that signed it.
                    let fresh = resume(self.api, self.key, self.upload_id, part.number).await?;
                    match fresh.parts.into_iter().find(|p| p.number == part.number) {
                        Some(p) => url = p.url,
                        None => {
                            match fresh.uploaded.into_iter().find(|p| p.number == part.number) {
                                // The failed answer hid a success.
                                Some(done) => {
                                    self.progress.add(done.size);
                                    return Ok((part.number, done.etag));
                                }
                                None => return Err(e),
                            }
                        }
                    }
                }
            }
        }
    }

    async fn read(&self, offset: u64, len: u64) -> Result<Bytes> {
        let file = Arc::clone(&self.file);
        let len =
            usize::try_from(len).map_err(|_| Error::Service("a part larger than memory".into()))?;
        let read = tokio::task::spawn_blocking(move || {
            let mut buffer = vec![0u8; len];
            file.read_exact_at(&mut buffer, offset).map(|()| buffer)
        })
        .await
        .map_err(|e| Error::local("cannot read", self.path, std::io::Error::other(e)))?;
        read.map(Bytes::from)
            .map_err(|e| Error::local("cannot read", self.path, e))
    }

    async fn send(&self, url: &str, data: Bytes, sent: &Arc<AtomicU64>) -> Result<String> {
        let len = data.len();
        let body = PartBody {
            data,
            progress: Arc::clone(&self.progress),
            sent: Arc::clone(sent),
        };
        let request = Request::builder()
            .method(Method::PUT)
            .uri(url)
            .header(CONTENT_LENGTH, len)
            .body(body.boxed())
            .map_err(|_| Error::Service("a part URL is not a valid URL".into()))?;
        // A part of 8 MiB on a slow link: generous, but never hangs forever.
        let response = tokio::time::timeout(
            Duration::from_secs(600),
            self.api.send_unauthenticated(request, "S3"),
        )
        .await
        .map_err(|_| Error::Unavailable("S3 did not take a part in time".into()))??;
        let status = response.status();
        let etag = response
            .headers()
            .get("etag")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| network_error("S3", &e))?
            .to_bytes();
        match (status, etag) {
            (StatusCode::OK, Some(etag)) => Ok(etag),
            (StatusCode::OK, None) => {
                Err(Error::Service("S3 answered a part without an ETag".into()))
            }
            (status, _) => Err(Error::Unavailable(format!(
                "S3 refused a part (HTTP {}{})",
                status.as_u16(),
                s3_code(&body).map(|c| format!(", {c}")).unwrap_or_default()
            ))),
        }
    }
}

/// `<Code>…</Code>` of an S3 error document (a word, safe to show).
fn s3_code(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("<Code>")? + "<Code>".len();
    let end = start + text[start..].find("</Code>")?;
    let code = &text[start..end];
    code.chars()
        .all(|c| c.is_ascii_alphanumeric())
        .then(|| code.to_owned())
}

/// A part's bytes, handed over in slices that count towards the progress display.
struct PartBody {
    data: Bytes,
    progress: Arc<Progress>,
    sent: Arc<AtomicU64>,
}

impl HttpBody for PartBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, Infallible>>> {
        if self.data.is_empty() {
            return Poll::Ready(None);
        }
        let n = self.data.len().min(SLICE);
        let slice = self.data.split_to(n);
        self.progress.add(n as u64);
        self.sent.fetch_add(n as u64, Ordering::Relaxed);
        Poll::Ready(Some(Ok(Frame::data(slice))))
    }

    fn is_end_stream(&self) -> bool {
        self.data.is_empty()
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.data.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_error_codes_are_extracted_only_when_plain_words() {
        let xml = b"<?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code><Message>..</Message></Error>";
        assert_eq!(s3_code(xml).as_deref(), Some("SignatureDoesNotMatch"));
        assert_eq!(s3_code(b"<Code>a b</Code>"), None);
        assert_eq!(s3_code(b"nothing"), None);
    }

    #[test]
    fn a_part_body_is_sliced_and_counted() {
        use http_body_util::BodyExt;
        let progress = Arc::new(Progress::new("t", 200_000, true));
        let sent = Arc::new(AtomicU64::new(0));
        let body = PartBody {
            data: Bytes::from(vec![7u8; 200_000]),
            progress,
            sent: Arc::clone(&sent),
        };
        assert_eq!(body.size_hint().exact(), Some(200_000));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let collected = runtime.block_on(body.collect()).unwrap().to_bytes();
        assert_eq!(collected.len(), 200_000);
        assert_eq!(sent.load(Ordering::Relaxed), 200_000);
    }
}
