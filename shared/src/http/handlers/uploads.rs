//! The multipart routes of `write-file`: start, resume, complete, abort.

use std::time::Duration;

use bytes::Bytes;
use homedir_wire::{CompleteUpload, Completing, StartUpload};
use http::StatusCode;
use lambda_http::{Body, Request, Response};

use crate::app::App;
use crate::auth::Caller;
use crate::error::Error;
use crate::http::request::{Query, content_type, into_bytes, write_condition};
use crate::http::response::{empty_response, insert, json_response, written_response};
use crate::storage::Admission;
use crate::storage::presign::{DEFAULT_UPLOAD_URL_SECS, MAX_URL_SECS};
use crate::storage::uploads::{Completion, MAX_PARTS, UploadId};

/// Seconds a client waits before asking again about a completion S3 is still on.
const COMPLETING_RETRY_SECS: u32 = 5;

/// A completion lists at most 10,000 parts of ~60 bytes: far below this.
const MAX_JSON_BYTES: usize = 1024 * 1024;

/// `POST /write-file?key=K` `{"size","content_type"}` starts an upload (201);
/// `POST /write-file?key=K&upload_id=U` `{"parts":[{"number","etag"}]}` completes it.
pub(super) async fn start_or_complete(
    app: &App,
    caller: &Caller<'_>,
    request: &Request,
    body: Body,
) -> Result<Response<Body>, Error> {
    let query = Query::parse(
        request.uri().query(),
        &["key", "upload_id", "expires", "space"],
    )?;
    let which = query.space()?;
    let key = query.key(app.max_key_bytes(which))?;
    let body = into_bytes(body);
    match query.get("upload_id") {
        None => {
            // The conditions apply when the upload completes (and are sent again then);
            // a malformed one is refused here already, as on every write.
            write_condition(request.headers())?;
            let life = url_life(&query)?;
            let start: StartUpload = json_body(&body, r#"{"size": N, "content_type": "…"}"#)?;
            let content_type = content_type(start.content_type.as_deref())?;
            if start.size > app.max_upload_bytes() {
                return Err(Error::PayloadTooLarge(format!(
                    "the file is {} bytes; the largest upload this API accepts is {} bytes",
                    start.size,
                    app.max_upload_bytes()
                )));
            }
            let space = app.space_lasting(caller, which, life).await?;
            // The whole declared size must fit now; completing it later is not
            // checked again (docs/quotas.md, "Overshoot").
            app.gate(caller, &space, which).admit(start.size).await?;
            let upload = space
                .start_upload(&key, start.size, content_type, life)
                .await?;
            Ok(json_response(StatusCode::CREATED, &upload))
        }
        Some(raw) => {
            if query.get("expires").is_some() {
                return Err(Error::InvalidRequest(
                    "expires applies to starting or resuming an upload".into(),
                ));
            }
            let id = UploadId::parse(raw, app.max_upload_bytes())?;
            let condition = write_condition(request.headers())?;
            let complete: CompleteUpload =
                json_body(&body, r#"{"parts": [{"number": 1, "etag": "…"}]}"#)?;
            let space = app.space(caller, which).await?;
            let completed = match space
                .complete_upload(&key, &id, &complete.parts, &condition)
                .await
            {
                // IAM refuses to complete an upload into a space that filled up since it
                // started (the quota deny policies): say so in those words.
                Err(Error::Forbidden) => {
                    let gate = app.gate(caller, &space, which);
                    gate.admit(id.plan.size).await?;
                    return Err(Error::Forbidden);
                }
                other => other?,
            };
            Ok(match completed {
                Completion::Done(written) => written_response(StatusCode::OK, &written),
                Completion::Pending => {
                    let mut response = json_response(
                        StatusCode::ACCEPTED,
                        &Completing {
                            status: "completing".into(),
                            retry_after: COMPLETING_RETRY_SECS,
                        },
                    );
                    insert(
                        response.headers_mut(),
                        http::header::RETRY_AFTER,
                        &COMPLETING_RETRY_SECS.to_string(),
                    );
                    response
                }
            })
        }
    }
}

/// `GET /write-file?key=K&upload_id=U[&from_part=P]`: the parts S3 holds and fresh
/// URLs for the others.
pub(super) async fn resume(
    app: &App,
    caller: &Caller<'_>,
    request: &Request,
) -> Result<Response<Body>, Error> {
    let query = Query::parse(
        request.uri().query(),
        &["key", "upload_id", "from_part", "expires", "space"],
    )?;
    let which = query.space()?;
    let key = query.key(app.max_key_bytes(which))?;
    let id = UploadId::parse(query.require("upload_id")?, app.max_upload_bytes())?;
    let from = query.number("from_part", 1..=u64::from(MAX_PARTS), 1)?;
    let life = url_life(&query)?;
    let space = app.space_lasting(caller, which, life).await?;
    let upload = space
        .resume_upload(&key, &id, u32::try_from(from).unwrap_or(MAX_PARTS), life)
        .await?;
    Ok(json_response(StatusCode::OK, &upload))
}

/// `DELETE /write-file?key=K&upload_id=U`: aborts the upload; nothing of it remains.
pub(super) async fn abort(
    app: &App,
    caller: &Caller<'_>,
    request: &Request,
) -> Result<Response<Body>, Error> {
    let query = Query::parse(request.uri().query(), &["key", "upload_id", "space"])?;
    let which = query.space()?;
    let key = query.key(app.max_key_bytes(which))?;
    let id = UploadId::parse(query.require("upload_id")?, app.max_upload_bytes())?;
    let space = app.space(caller, which).await?;
    space.abort_upload(&key, &id).await?;
    Ok(empty_response(StatusCode::NO_CONTENT))
}

/// `expires` (1–3600 s, default 900): how long part URLs live.
fn url_life(query: &Query) -> Result<Duration, Error> {
    query
        .number("expires", 1..=MAX_URL_SECS, DEFAULT_UPLOAD_URL_SECS)
        .map(Duration::from_secs)
}

fn json_body<T: serde::de::DeserializeOwned>(body: &Bytes, shape: &str) -> Result<T, Error> {
    if body.len() > MAX_JSON_BYTES {
        return Err(Error::PayloadTooLarge(format!(
            "the request body is larger than {MAX_JSON_BYTES} bytes"
        )));
    }
    serde_json::from_slice(body)
        .map_err(|_| Error::InvalidRequest(format!("the body must be JSON of the form {shape}")))
}
