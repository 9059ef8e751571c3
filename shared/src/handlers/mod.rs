//! The four routes. Each handler validates everything it can locally (method, token,
//! parameters, headers, body size) before the first AWS call, so bad input costs
//! nothing and changes nothing. [`serve`] maps the outcome to HTTP in one place and
//! writes one structured log line per request.

use std::future::Future;
use std::time::Instant;

use http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Request, Response};
use serde_json::json;

use crate::app::App;
use crate::error::Error;
use crate::home::{ListRequest, Read, WriteCondition};
use crate::keys::{Key, Prefix};
use crate::request::{
    Query, empty_response, header_text, into_bytes, json_response, require_method,
};

/// Files are stored with this type when the writer sends none.
const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";
const MAX_CONTENT_TYPE_BYTES: usize = 256;
const MAX_LIST_LIMIT: i32 = 1000;
const MAX_CURSOR_BYTES: usize = 1024;

/// The error type `lambda_http::run` expects; handlers never return one, every
/// failure is an HTTP response.
pub type HandlerError = lambda_http::Error;

/// `GET /read-file?key=K`: the bytes, with `Content-Type`, `ETag`, `Last-Modified`.
pub async fn read_file(app: &App, request: Request) -> Result<Response<Body>, HandlerError> {
    Ok(serve(app, "read-file", async {
        require_method(&request, Method::GET)?;
        let caller = app.authenticate(request.headers()).await?;
        let key = file_key(app, &request)?;
        let if_none_match = header_text(request.headers(), "if-none-match")?;
        let home = app.home(&caller).await?;
        Ok(match home.read(&key, if_none_match).await? {
            Read::Found(file) => {
                let mut response = Response::new(Body::Binary(Vec::from(file.bytes)));
                let headers = response.headers_mut();
                let content_type = file.content_type.as_deref().unwrap_or(DEFAULT_CONTENT_TYPE);
                insert(headers, header::CONTENT_TYPE, content_type);
                if let Some(etag) = &file.etag {
                    insert(headers, header::ETAG, etag);
                }
                if let Some(modified) = file
                    .last_modified
                    .and_then(|t| std::time::SystemTime::try_from(t).ok())
                {
                    insert(
                        headers,
                        header::LAST_MODIFIED,
                        &httpdate::fmt_http_date(modified),
                    );
                }
                // Stored types are the writer's choice: never let a browser sniff or
                // run them in the API's origin.
                insert(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
                insert(
                    headers,
                    header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; sandbox",
                );
                insert(headers, header::CACHE_CONTROL, "private, no-cache");
                response
            }
            Read::NotModified { etag } => {
                let mut response = empty_response(StatusCode::NOT_MODIFIED);
                if let Some(etag) = etag {
                    insert(response.headers_mut(), header::ETAG, &etag);
                }
                response
            }
        })
    })
    .await)
}

/// `PUT /write-file?key=K`: stores the body; `If-Match` / `If-None-Match: *` make it
/// conditional. Answers `{"key","etag","size"}`.
pub async fn write_file(app: &App, request: Request) -> Result<Response<Body>, HandlerError> {
    // The body is taken out so it can be moved, not copied, into the upload.
    let (parts, body) = request.into_parts();
    let request = Request::from_parts(parts, Body::Empty);
    Ok(serve(app, "write-file", async {
        require_method(&request, Method::PUT)?;
        let caller = app.authenticate(request.headers()).await?;
        let key = file_key(app, &request)?;
        let headers = request.headers();
        let condition = match (header_text(headers, "if-match")?, header_text(headers, "if-none-match")?) {
            (Some(_), Some(_)) => {
                return Err(Error::InvalidRequest("send If-Match or If-None-Match, not both".into()));
            }
            (Some(""), None) => return Err(Error::InvalidRequest("If-Match is empty".into())),
            (Some(etag), None) => WriteCondition::Matches(etag.to_owned()),
            (None, Some("*")) => WriteCondition::Absent,
            (None, Some(_)) => {
                return Err(Error::InvalidRequest("If-None-Match on a write must be *".into()));
            }
            (None, None) => WriteCondition::None,
        };
        let content_type = match header_text(headers, "content-type")? {
            None | Some("") => DEFAULT_CONTENT_TYPE,
            Some(value) if value.len() > MAX_CONTENT_TYPE_BYTES => {
                return Err(Error::InvalidRequest(format!(
                    "Content-Type is longer than {MAX_CONTENT_TYPE_BYTES} bytes"
                )));
            }
            Some(value) => value,
        };
        let bytes = into_bytes(body);
        if bytes.len() > app.max_file_bytes() {
            return Err(Error::PayloadTooLarge(format!(
                "the body is {} bytes; the largest file this API accepts is {} bytes (a synchronous Lambda invocation carries 6 MB, base64-encoded)",
                bytes.len(),
                app.max_file_bytes()
            )));
        }
        let home = app.home(&caller).await?;
        let written = home.write(&key, bytes, content_type, &condition).await?;
        let mut response = json_response(StatusCode::OK, &json!(written));
        // The same ETag as in the body, where HTTP clients look for it (a following
        // `If-Match` write, a cache).
        insert(response.headers_mut(), header::ETAG, &written.etag);
        Ok(response)
    })
    .await)
}

/// `GET /list?prefix=P&delimiter=/&limit=N&cursor=C`: one page of the caller's files.
pub async fn list(app: &App, request: Request) -> Result<Response<Body>, HandlerError> {
    Ok(serve(app, "list", async {
        require_method(&request, Method::GET)?;
        let caller = app.authenticate(request.headers()).await?;
        let query = Query::parse(
            request.uri().query(),
            &["prefix", "delimiter", "limit", "cursor"],
        )?;
        let prefix = Prefix::parse(query.get("prefix").unwrap_or(""), app.max_key_bytes())?;
        let folders = match query.get("delimiter") {
            None | Some("") => false,
            Some("/") => true,
            Some(_) => return Err(Error::InvalidRequest("delimiter must be /".into())),
        };
        let limit = match query.get("limit") {
            None => MAX_LIST_LIMIT,
            Some(raw) => raw
                .parse::<i32>()
                .ok()
                .filter(|n| (1..=MAX_LIST_LIMIT).contains(n))
                .ok_or_else(|| {
                    Error::InvalidRequest(format!(
                        "limit must be a whole number from 1 to {MAX_LIST_LIMIT}"
                    ))
                })?,
        };
        let cursor = match query.get("cursor") {
            None => None,
            Some(c)
                if c.is_empty()
                    || c.len() > MAX_CURSOR_BYTES
                    || c.chars().any(char::is_control) =>
            {
                return Err(Error::InvalidRequest(
                    "the cursor is not valid for this listing".into(),
                ));
            }
            Some(c) => Some(c.to_owned()),
        };
        let home = app.home(&caller).await?;
        let listing = home
            .list(&ListRequest {
                prefix,
                folders,
                limit,
                cursor,
            })
            .await?;
        Ok(json_response(StatusCode::OK, &json!(listing)))
    })
    .await)
}

/// `DELETE /delete?key=K`: 204, also when the file did not exist (deletes are
/// idempotent, as in S3; with bucket versioning the old version stays recoverable).
pub async fn delete(app: &App, request: Request) -> Result<Response<Body>, HandlerError> {
    Ok(serve(app, "delete", async {
        require_method(&request, Method::DELETE)?;
        let caller = app.authenticate(request.headers()).await?;
        let key = file_key(app, &request)?;
        let home = app.home(&caller).await?;
        home.delete(&key).await?;
        Ok(empty_response(StatusCode::NO_CONTENT))
    })
    .await)
}

/// The `key` query parameter of a single-file route (its only parameter), validated.
fn file_key(app: &App, request: &Request) -> Result<Key, Error> {
    let query = Query::parse(request.uri().query(), &["key"])?;
    Key::parse(query.require("key")?, app.max_key_bytes())
}

fn insert(headers: &mut http::HeaderMap, name: header::HeaderName, value: &str) {
    // Values come from S3 metadata that was validated on the way in; one that is
    // still not a legal header value is dropped rather than failing the read.
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

/// Runs a route, maps its error to the documented response, and logs one line with
/// the outcome and the number of AWS calls it made. Nothing user-supplied (tokens,
/// keys, bodies) is logged.
async fn serve(
    app: &App,
    route: &'static str,
    handle: impl Future<Output = Result<Response<Body>, Error>>,
) -> Response<Body> {
    let started = Instant::now();
    let calls_before = app.calls().total();
    // The flow's state (SDK futures are large) lives on the heap, not the stack.
    let outcome = Box::pin(handle).await;
    let aws_calls = app.calls().total().saturating_sub(calls_before);
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    match outcome {
        Ok(response) => {
            tracing::info!(
                route,
                status = response.status().as_u16(),
                aws_calls,
                duration_ms,
                "request served"
            );
            response
        }
        Err(error) => {
            let response = error.to_response();
            let (status, code) = error.status_and_code();
            if status.is_server_error() {
                tracing::error!(route, status = status.as_u16(), code, aws_calls, duration_ms, detail = %error.log_detail(), "request failed");
            } else {
                tracing::info!(route, status = status.as_u16(), code, aws_calls, duration_ms, detail = %error.log_detail(), "request refused");
            }
            response
        }
    }
}
