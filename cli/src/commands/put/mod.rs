//! `put FILE [KEY]`: one `PUT` for a file the API takes inline, else a multipart
//! upload whose parts go straight to S3 through the API's presigned part URLs,
//! [`PARALLEL_PARTS`] at a time (see [`parts`]), with one progress display for the whole file.
//!
//! **Resuming.** The upload ID is saved (see [`crate::state`]) before the first part
//! leaves, keyed by the key and its space, the file's size and mtime, the API and the
//! account (a home upload and a team upload of the same key never mix). If the
//! run is interrupted (Ctrl-C, a lost network, a closed laptop), the next `put` of the
//! same unchanged file asks the API which parts S3 already holds
//! (`GET /write-file?upload_id=`) and sends only the others. An upload that no longer
//! exists (completed, aborted, expired) is forgotten and a new one starts.
//!
//! **Room.** Before a multipart upload starts (not when one resumes: its start was
//! admitted), one usage read (`GET /list?usage=1`) checks the file fits the space's
//! quota: one that cannot is refused (exit 10) before a byte leaves. A file sent in one
//! `PUT` stays one request: the API's 507 says the same.
//!
//! **Test hook.** `HOMEDIR_TEST_STOP_AFTER_PARTS=N` (undocumented for users, used by
//! the end-to-end suite) uploads parts one at a time and stops with exit 130 after N
//! of them, exactly as an interruption would leave things, so resuming is tested
//! deterministically.

mod mime;
mod parts;
mod upload;

use std::path::Path;
use std::sync::Arc;
use std::time::UNIX_EPOCH;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use homedir_wire::{Part, Upload, routes};
use http::Method;
use http::header::{CONTENT_TYPE, IF_NONE_MATCH};
use std::time::Duration;

pub use mime::guess_content_type;
use parts::PartJob;
use upload::{Completed, abort, complete, resume, start};

use super::{emit, into_folder};
use crate::api::Api;
use crate::auth::{self, Tokens};
use crate::cli::Put;
use crate::error::{Error, Result};
use crate::human::bytes;
use crate::progress::Progress;
use crate::remote::Remote;
use crate::state::{self, FileId, Saved};

/// The largest body one `PUT /write-file` accepts (the API's `MAX_FILE_BYTES`).
const INLINE_MAX: u64 = 4_500_000;
/// Parts in flight at once: enough to fill a link, few enough to keep memory at
/// four parts (32 MiB with 8 MiB parts).
const PARALLEL_PARTS: usize = 4;
/// How long a completion is waited for before the run gives up (the saved upload
/// keeps it for the next run): S3 documents that completing can take minutes.
const COMPLETION_PATIENCE: Duration = Duration::from_secs(600);
/// Failed completion calls (a lost connection, a 503) retried in a row.
const COMPLETION_RETRIES: u32 = 5;
/// The test hook (see the module's documentation).
const STOP_AFTER_ENV: &str = "HOMEDIR_TEST_STOP_AFTER_PARTS";

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
    let key = match &args.key {
        None => Remote::home(name.as_str()),
        Some(at) => at.with_key(into_folder(&at.key, &name)),
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
    key: &Remote,
    content_type: &str,
    if_absent: bool,
) -> Result<u64> {
    let body = tokio::fs::read(path)
        .await
        .map_err(|e| Error::local("cannot read", path, e))?;
    let size = body.len() as u64;
    let mut call = api
        .call(Method::PUT, routes::WRITE_FILE)
        .space(key.space)
        .query("key", &key.key)
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
    key: &Remote,
    content_type: &str,
    if_absent: bool,
    quiet: bool,
) -> Result<u64> {
    let size = meta.len();
    let tokens = Tokens::load(&api.settings)?.ok_or(Error::SignedOut)?;
    let id = FileId {
        api_url: api.settings.api_url.clone(),
        email: tokens.email,
        key: key.clone(),
        size,
        mtime_ns: mtime_ns(meta),
    };
    let saved = state::find(&id)?;
    // Every part was sent by an earlier run: only its completion is left to repeat.
    if let Some(Saved {
        upload_id,
        parts: Some(parts),
        ..
    }) = &saved
    {
        if !quiet {
            eprintln!("every part of {key} was sent earlier: completing the upload");
        }
        return match finish(api, &id, upload_id, parts.clone(), if_absent, quiet).await {
            Err(Error::NotFound(_)) => {
                // Gone, and not stored: neither completed nor to be completed.
                state::forget(&id)?;
                Err(Error::Service(format!(
                    "the earlier upload of {key} is gone and was not stored; run the same put again to start over"
                )))
            }
            other => other.map(|()| size),
        };
    }
    if if_absent && exists(api, key).await? {
        return Err(Error::Precondition(format!(
            "{key} already exists (--if-absent): nothing was sent"
        )));
    }
    if saved.is_none() {
        let name = path.display().to_string();
        super::usage::check_room(api, key, size, &name).await?;
    }
    let (upload, resumed) = open_upload(api, &id, saved, content_type).await?;
    let total_parts = size.div_ceil(upload.part_size);
    // Said before the bar appears, so the two never share a line.
    if resumed && !quiet {
        eprintln!(
            "resuming an earlier upload of {key}: {} of {total_parts} parts already uploaded",
            upload.uploaded.len()
        );
    }
    let upload_id = upload.upload_id.clone();
    let parts = send_parts(api, path, key, upload, quiet).await?;
    if parts.len() as u64 != total_parts {
        return Err(Error::Service(format!(
            "{} of {total_parts} parts were uploaded; run the same put again to resume",
            parts.len()
        )));
    }
    // A file changed during the upload would be stored half old, half new.
    let now = std::fs::metadata(path).map_err(|e| Error::local("cannot read", path, e))?;
    if now.len() != size || mtime_ns(&now) != id.mtime_ns {
        abort(api, key, &upload_id).await;
        state::forget(&id)?;
        return Err(Error::local(
            "cannot upload",
            path,
            std::io::Error::other("the file changed during the upload; nothing was stored"),
        ));
    }
    state::all_sent(&id, &parts)?;
    finish(api, &id, &upload_id, parts, if_absent, quiet).await?;
    Ok(size)
}

/// Completes the upload, patiently: S3 may take minutes, so a 202 (still completing)
/// or a failed connection is answered by asking again, with the same parts, for up
/// to [`COMPLETION_PATIENCE`]; the API recognises a completion that already happened.
/// Then the saved upload is forgotten (kept, if S3 is still at it, for the next run).
async fn finish(
    api: &Api,
    id: &FileId,
    upload_id: &str,
    parts: Vec<Part>,
    if_absent: bool,
    quiet: bool,
) -> Result<()> {
    let key = &id.key;
    let started = std::time::Instant::now();
    let mut said = false;
    let mut failures = 0u32;
    loop {
        let wait = match complete(api, key, upload_id, parts.clone(), if_absent).await {
            Ok(Completed::Stored) => {
                state::forget(id)?;
                return Ok(());
            }
            Ok(Completed::Pending(retry_after)) => retry_after,
            Err(e @ Error::Unavailable(_)) if failures < COMPLETION_RETRIES => {
                failures += 1;
                tracing::debug!(error = %e, "the completion failed; asking again");
                Duration::from_secs(2u64.pow(failures))
            }
            Err(e @ Error::Precondition(_)) => {
                // Retrying cannot succeed: nothing of this upload should linger.
                abort(api, key, upload_id).await;
                state::forget(id)?;
                return Err(e);
            }
            Err(Error::Unavailable(message)) => {
                return Err(Error::Unavailable(format!(
                    "{message}; every part is sent: run the same put again to complete it (no part is sent again)"
                )));
            }
            Err(other) => return Err(other),
        };
        if started.elapsed() + wait > COMPLETION_PATIENCE {
            return Err(Error::Unavailable(format!(
                "S3 is still assembling {key}; run the same put again to finish (no part is sent again)"
            )));
        }
        if !said && !quiet {
            eprintln!("S3 is assembling {key} from its parts; waiting…");
            said = true;
        }
        tokio::time::sleep(wait).await;
    }
}

/// Whether `key` is a file (see [`super::exists`]).
async fn exists(api: &Api, key: &Remote) -> Result<bool> {
    super::exists(api, key).await
}

/// The saved upload of this file if the API still has it, else a new one (saved
/// before any part leaves); and whether it was resumed.
async fn open_upload(
    api: &Api,
    id: &FileId,
    saved: Option<Saved>,
    content_type: &str,
) -> Result<(Upload, bool)> {
    let (upload, resumed) = match saved {
        Some(saved) => match resume(api, &id.key, &saved.upload_id, 1).await {
            Ok(upload) => (upload, true),
            Err(Error::NotFound(_) | Error::Invalid(_)) => {
                // Gone (completed, aborted, expired), or an id the API no longer
                // accepts (its key changed): start again.
                tracing::debug!("the saved upload is gone; starting a new one");
                state::forget(id)?;
                (start(api, &id.key, id.size, content_type).await?, false)
            }
            Err(e) => return Err(e),
        },
        None => (start(api, &id.key, id.size, content_type).await?, false),
    };
    if upload.size != id.size || upload.part_size == 0 {
        return Err(Error::Service(
            "the upload's plan does not match the file".into(),
        ));
    }
    if !resumed {
        state::remember(id, &upload.upload_id, auth::now())?;
    }
    Ok((upload, resumed))
}

/// Sends every part S3 does not hold yet, [`PARALLEL_PARTS`] at a time, asking for
/// more URLs as the API hands them out; the parts of the whole upload, in order.
async fn send_parts(
    api: &Api,
    path: &Path,
    key: &Remote,
    mut upload: Upload,
    quiet: bool,
) -> Result<Vec<Part>> {
    let mut done: Vec<Part> = upload
        .uploaded
        .iter()
        .map(|p| Part {
            number: p.number,
            etag: p.etag.clone(),
        })
        .collect();
    let progress = Arc::new(Progress::new(
        &format!("uploading {key}"),
        upload.size,
        quiet,
    ));
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
        while let Some((number, etag)) = results.try_next().await? {
            done.push(Part { number, etag });
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
    done.sort_by_key(|part| part.number);
    Ok(done)
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

fn mtime_ns(meta: &std::fs::Metadata) -> u128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}
