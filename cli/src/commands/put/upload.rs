//! The API's multipart-upload calls: start, resume (the parts S3 holds and fresh URLs
//! for the rest), complete, abort.

use std::time::Duration;

use homedir_wire::{CompleteUpload, Completing, Part, StartUpload, Upload, routes};
use http::header::IF_NONE_MATCH;
use http::{Method, StatusCode};

use crate::api::Api;
use crate::error::Result;
use crate::remote::Remote;

pub(super) async fn start(api: &Api, at: &Remote, size: u64, content_type: &str) -> Result<Upload> {
    api.call(Method::POST, routes::WRITE_FILE)
        .space(at.space)
        .query("key", &at.key)
        .json(&StartUpload {
            size,
            content_type: Some(content_type.to_owned()),
        })
        .send()
        .await?
        .json()
}

pub(super) async fn resume(
    api: &Api,
    at: &Remote,
    upload_id: &str,
    from_part: u32,
) -> Result<Upload> {
    api.call(Method::GET, routes::WRITE_FILE)
        .space(at.space)
        .query("key", &at.key)
        .query("upload_id", upload_id)
        .query("from_part", from_part.to_string())
        .about(&at.to_string())
        .send()
        .await?
        .json()
}

/// What a completion call did.
pub(super) enum Completed {
    Stored,
    /// S3 is still at it (202): ask again after this long.
    Pending(Duration),
}

/// Completes the upload with `parts` (numbers and ETags, in order); with
/// `if_absent`, only if `at` does not exist yet.
pub(super) async fn complete(
    api: &Api,
    at: &Remote,
    upload_id: &str,
    parts: Vec<Part>,
    if_absent: bool,
) -> Result<Completed> {
    let mut call = api
        .call(Method::POST, routes::WRITE_FILE)
        .space(at.space)
        .query("key", &at.key)
        .query("upload_id", upload_id)
        .json(&CompleteUpload { parts });
    if if_absent {
        call = call
            .header(IF_NONE_MATCH, "*")
            .on_precondition(format!("{at} already exists (--if-absent)"));
    }
    let reply = call.about(&at.to_string()).send().await?;
    if reply.status != StatusCode::ACCEPTED {
        return Ok(Completed::Stored);
    }
    let pending: Completing = reply.json()?;
    Ok(Completed::Pending(Duration::from_secs(
        u64::from(pending.retry_after).clamp(1, 60),
    )))
}

/// Best effort: the bucket's lifecycle rule aborts what this misses.
pub(super) async fn abort(api: &Api, at: &Remote, upload_id: &str) {
    let aborted = api
        .call(Method::DELETE, routes::WRITE_FILE)
        .space(at.space)
        .query("key", &at.key)
        .query("upload_id", upload_id)
        .send()
        .await;
    if let Err(e) = aborted {
        tracing::debug!(error = %e, "aborting the upload failed");
    }
}
