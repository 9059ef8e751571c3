//! `put FILE [KEY]`: one `PUT` for a file the API takes inline, else a multipart
//! upload whose parts go straight to S3 through the API's presigned part URLs,
//! [`PARALLEL_PARTS`] at a time, with one progress display for the whole file.
//!
//! **Resuming.** The upload ID is saved (see [`crate::state`]) before the first part
//! leaves, keyed by the key, the file's size and mtime, the API and the account. If the
//! run is interrupted (Ctrl-C, a lost network, a closed laptop), the next `put` of the
//! same unchanged file asks the API which parts S3 already holds
//! (`GET /write-file?upload_id=`) and sends only the others. An upload that no longer
//! exists (completed, aborted, expired) is forgotten and a new one starts.
//!
//! **Test hook.** `HOMEDIR_TEST_STOP_AFTER_PARTS=N` (undocumented for users, used by
//! the end-to-end suite) uploads parts one at a time and stops with exit 130 after N
//! of them, exactly as an interruption would leave things, so resuming is tested
//! deterministically.

use std::convert::Infallible;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, IF_NONE_MATCH};
use http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use hyper::body::{Body as HttpBody, Frame, SizeHint};
use serde::Deserialize;
use serde_json::json;

use super::{emit, into_folder};
use crate::api::{Api, network_error};
use crate::auth::{self, Tokens};
use crate::cli::Put;
use crate::error::{Error, Result};
use crate::human::bytes;
use crate::progress::Progress;
use crate::state::{self, FileId};

/// The largest body one `PUT /write-file` accepts (the API's `MAX_FILE_BYTES`).
const INLINE_MAX: u64 = 4_500_000;
/// Parts in flight at once: enough to fill a link, few enough to keep memory at
/// four parts (32 MiB with 8 MiB parts).
const PARALLEL_PARTS: usize = 4;
/// Tries per part (fresh URLs after the first failure).
const PART_TRIES: u32 = 4;
/// A part's bytes are handed to the connection in slices of this size, so the
/// progress display moves smoothly rather than a part at a time.
const SLICE: usize = 64 * 1024;
/// The test hook (see the module's documentation).
const STOP_AFTER_ENV: &str = "HOMEDIR_TEST_STOP_AFTER_PARTS";

/// The API's answer to starting or resuming an upload.
#[derive(Debug, Deserialize)]
struct Upload {
    upload_id: String,
    size: u64,
    part_size: u64,
    #[serde(default)]
    uploaded: Vec<Uploaded>,
    #[serde(default)]
    parts: Vec<PartUrl>,
    next_part: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct Uploaded {
    number: u32,
    etag: String,
    size: u64,
}

#[derive(Clone, Deserialize)]
struct PartUrl {
    number: u32,
    /// A bearer capability: never printed or logged.
    url: String,
    size: u64,
}

impl std::fmt::Debug for PartUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PartUrl({}, {} bytes)", self.number, self.size)
    }
}

pub async fn put(api: &Api, args: Put, quiet: bool) -> Result<()> {
    let path = args.file.as_path();
    let meta = std::fs::metadata(path).map_err(|e| Error::local("cannot read", path, e))?;
    if !meta.is_file() {
        return Err(Error::Usage(format!("{} is not a file", path.display())));
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| Error::Usage(format!("{} has no file name", path.display())))?;
    let key = match args.key.as_deref() {
        None => name.clone(),
        Some(key) => into_folder(key, &name),
    };
    let content_type = args
        .content_type
        .clone()
        .unwrap_or_else(|| guess_content_type(&name).to_owned());
    let written = if meta.len() <= INLINE_MAX {
        put_small(api, path, &key, &content_type, args.if_absent).await?
    } else {
        put_large(api, path, &meta, &key, &content_type, args.if_absent, quiet).await?
    };
    emit(&[format!(
        "uploaded {} to {key} ({})",
        path.display(),
        bytes(written)
    )])
}

async fn put_small(
    api: &Api,
    path: &Path,
    key: &str,
    content_type: &str,
    if_absent: bool,
) -> Result<u64> {
    let body = tokio::fs::read(path)
        .await
        .map_err(|e| Error::local("cannot read", path, e))?;
    let size = body.len() as u64;
    let mut call = api
        .call(Method::PUT, "write-file")
        .query("key", key)
        .header(CONTENT_TYPE, content_type)
        .body(Bytes::from(body));
    if if_absent {
        call = call
            .header(IF_NONE_MATCH, "*")
            .on_precondition(format!("{key} already exists (--if-absent)"));
    }
    call.send().await?;
    Ok(size)
}

async fn put_large(
    api: &Api,
    path: &Path,
    meta: &std::fs::Metadata,
    key: &str,
    content_type: &str,
    if_absent: bool,
    quiet: bool,
) -> Result<u64> {
    let size = meta.len();
    let tokens = Tokens::load(&api.settings)?.ok_or(Error::SignedOut)?;
    let id = FileId {
        api_url: api.settings.api_url.clone(),
        email: tokens.email,
        key: key.to_owned(),
        size,
        mtime_ns: mtime_ns(meta),
    };
    let (mut upload, resumed) = match state::find(&id)? {
        Some(upload_id) => match resume(api, key, &upload_id, 1).await {
            Ok(upload) => (upload, true),
            Err(Error::NotFound(_)) => {
                tracing::debug!("the saved upload is gone; starting a new one");
                state::forget(&id)?;
                (start(api, key, size, content_type).await?, false)
            }
            Err(e) => return Err(e),
        },
        None => (start(api, key, size, content_type).await?, false),
    };
    if upload.size != size || upload.part_size == 0 {
        return Err(Error::Service(
            "the upload's plan does not match the file".into(),
        ));
    }
    if !resumed {
        state::remember(&id, &upload.upload_id, auth::now())?;
    }
    let total_parts = size.div_ceil(upload.part_size);
    let mut etags: Vec<(u32, String)> = upload
        .uploaded
        .iter()
        .map(|p| (p.number, p.etag.clone()))
        .collect();
    // Said before the bar appears, so the two never share a line.
    if resumed && !quiet {
        eprintln!(
            "resuming an earlier upload of {key}: {} of {total_parts} parts already uploaded",
            upload.uploaded.len()
        );
    }
    let progress = Arc::new(Progress::new(&format!("uploading {key}"), size, quiet));
    progress.skip(upload.uploaded.iter().map(|p| p.size).sum());

    let stop_after: Option<usize> = std::env::var(STOP_AFTER_ENV)
        .ok()
        .and_then(|v| v.parse().ok());
    let parallel = if stop_after.is_some() {
        1
    } else {
        PARALLEL_PARTS
    };
    let file =
        Arc::new(std::fs::File::open(path).map_err(|e| Error::local("cannot read", path, e))?);
    let upload_id = upload.upload_id.clone();
    let part_size = upload.part_size;
    let mut sent_this_run = 0usize;
    loop {
        let urls = std::mem::take(&mut upload.parts);
        let mut results = futures::stream::iter(urls.into_iter().map(|part| {
            let job = PartJob {
                api,
                key,
                upload_id: &upload_id,
                part_size,
                file: Arc::clone(&file),
                path,
                progress: Arc::clone(&progress),
            };
            async move { job.run(part).await }
        }))
        .buffer_unordered(parallel)
        .map_err(resumable);
        while let Some(done) = results.try_next().await? {
            etags.push(done);
            sent_this_run += 1;
            if stop_after.is_some_and(|n| sent_this_run >= n) {
                progress.abandon();
                return Err(Error::Interrupted(format!(
                    "stopped after {sent_this_run} parts ({STOP_AFTER_ENV}); run the same put again to resume"
                )));
            }
        }
        match upload.next_part {
            Some(next) => upload = resume(api, key, &upload_id, next).await?,
            None => break,
        }
    }
    progress.finish();
    if etags.len() as u64 != total_parts {
        return Err(Error::Service(format!(
            "{} of {total_parts} parts were uploaded; run the same put again to resume",
            etags.len()
        )));
    }
    // A file changed during the upload would be stored half old, half new.
    let now = std::fs::metadata(path).map_err(|e| Error::local("cannot read", path, e))?;
    if now.len() != size || mtime_ns(&now) != id.mtime_ns {
        abort(api, key, &upload.upload_id).await;
        state::forget(&id)?;
        return Err(Error::local(
            "cannot upload",
            path,
            std::io::Error::other("the file changed during the upload; nothing was stored"),
        ));
    }
    etags.sort_by_key(|(n, _)| *n);
    let parts: Vec<_> = etags
        .iter()
        .map(|(number, etag)| json!({ "number": number, "etag": etag }))
        .collect();
    let mut call = api
        .call(Method::POST, "write-file")
        .query("key", key)
        .query("upload_id", &upload.upload_id)
        .json(&json!({ "parts": parts }));
    if if_absent {
        call = call
            .header(IF_NONE_MATCH, "*")
            .on_precondition(format!("{key} already exists (--if-absent)"));
    }
    match call.send().await {
        Ok(_) => {}
        Err(e @ Error::Precondition(_)) => {
            // Retrying cannot succeed: nothing of this upload should linger.
            abort(api, key, &upload.upload_id).await;
            state::forget(&id)?;
            return Err(e);
        }
        Err(e) => return Err(resumable(e)),
    }
    state::forget(&id)?;
    Ok(size)
}

/// Transport trouble keeps the saved upload: say how to go on.
fn resumable(error: Error) -> Error {
    match error {
        Error::Unavailable(message) => {
            Error::Unavailable(format!("{message}; run the same put again to resume"))
        }
        other => other,
    }
}

async fn start(api: &Api, key: &str, size: u64, content_type: &str) -> Result<Upload> {
    api.call(Method::POST, "write-file")
        .query("key", key)
        .json(&json!({ "size": size, "content_type": content_type }))
        .send()
        .await?
        .json()
}

async fn resume(api: &Api, key: &str, upload_id: &str, from_part: u32) -> Result<Upload> {
    api.call(Method::GET, "write-file")
        .query("key", key)
        .query("upload_id", upload_id)
        .query("from_part", from_part.to_string())
        .about(key)
        .send()
        .await?
        .json()
}

/// Best effort: the bucket's lifecycle rule aborts what this misses.
async fn abort(api: &Api, key: &str, upload_id: &str) {
    let aborted = api
        .call(Method::DELETE, "write-file")
        .query("key", key)
        .query("upload_id", upload_id)
        .send()
        .await;
    if let Err(e) = aborted {
        tracing::debug!(error = %e, "aborting the upload failed");
    }
}

/// What one part's upload needs.
struct PartJob<'a> {
    api: &'a Api,
    key: &'a str,
    upload_id: &'a str,
    part_size: u64,
    file: Arc<std::fs::File>,
    path: &'a Path,
    progress: Arc<Progress>,
}

impl PartJob<'_> {
    /// Reads the part, PUTs it (fresh URLs and a pause after a failure), returns its
    /// number and S3's ETag.
    async fn run(self, part: PartUrl) -> Result<(u32, String)> {
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

fn mtime_ns(meta: &std::fs::Metadata) -> u128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// A content type from the file name's extension (the API stores what it is given
/// and serves it back; a browser download depends on it).
pub fn guess_content_type(name: &str) -> &'static str {
    let extension = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "txt" | "text" | "log" => "text/plain; charset=utf-8",
        "md" | "markdown" => "text/markdown; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "xml" => "application/xml",
        "pdf" => "application/pdf",
        "zip" => "application/zip",
        "gz" | "tgz" => "application/gzip",
        "tar" => "application/x-tar",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "svg" => "image/svg+xml",
        "heic" => "image/heic",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "mp4" | "m4v" => "video/mp4",
        "mov" => "video/quicktime",
        "webm" => "video/webm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_by_extension() {
        assert_eq!(guess_content_type("a.TXT"), "text/plain; charset=utf-8");
        assert_eq!(guess_content_type("movie.mp4"), "video/mp4");
        assert_eq!(guess_content_type("noext"), "application/octet-stream");
        assert_eq!(guess_content_type("archive.tar.gz"), "application/gzip");
    }

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
