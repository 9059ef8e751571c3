//! The routes, one module per function. Each handler validates everything it can
//! locally (method, token, parameters, headers, body size) before the first AWS call,
//! so bad input costs nothing and changes nothing. [`serve`] maps the outcome to HTTP
//! in one place and writes one structured log line per request.

mod delete;
mod list;
mod read_file;
mod uploads;
mod write_file;

use std::future::Future;
use std::time::Instant;

use http::{HeaderMap, HeaderValue, header};
use lambda_http::{Body, Response};

use crate::app::App;
use crate::error::Error;
use crate::home::WriteCondition;
use crate::keys::Key;
use crate::request::Query;

pub use delete::delete;
pub use list::list;
pub use read_file::read_file;
pub use write_file::write_file;

/// The header that names the version a read returned or a delete created.
const VERSION_ID: http::HeaderName = http::HeaderName::from_static("x-version-id");

/// Files are stored with this type when the writer sends none.
const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";
const MAX_CONTENT_TYPE_BYTES: usize = 256;

/// The error type `lambda_http::run` expects; handlers never return one, every
/// failure is an HTTP response.
pub type HandlerError = lambda_http::Error;

/// The validated `key` parameter of `query`.
fn key_of(app: &App, query: &Query) -> Result<Key, Error> {
    Key::parse(query.require("key")?, app.max_key_bytes())
}

/// `If-Match: <etag>` or `If-None-Match: *`, which make a write conditional.
fn write_condition(headers: &HeaderMap) -> Result<WriteCondition, Error> {
    WriteCondition::from_headers(headers)
}

/// A file's content type as the writer gives it, or the default.
fn content_type(value: Option<&str>) -> Result<&str, Error> {
    match value {
        None | Some("") => Ok(DEFAULT_CONTENT_TYPE),
        Some(value) if value.len() > MAX_CONTENT_TYPE_BYTES => Err(Error::InvalidRequest(format!(
            "the content type is longer than {MAX_CONTENT_TYPE_BYTES} bytes"
        ))),
        Some(value) if !value.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) => Err(
            Error::InvalidRequest("the content type must be visible ASCII".into()),
        ),
        Some(value) => Ok(value),
    }
}

/// A whole number parameter within `range`, or `default` when absent.
fn number_param(
    query: &Query,
    name: &str,
    range: std::ops::RangeInclusive<u64>,
    default: u64,
) -> Result<u64, Error> {
    match query.get(name) {
        None => Ok(default),
        Some(raw) => raw
            .parse::<u64>()
            .ok()
            .filter(|n| range.contains(n) && !raw.starts_with('+'))
            .ok_or_else(|| {
                Error::InvalidRequest(format!(
                    "{name} must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                ))
            }),
    }
}

/// A flag parameter: absent, or `1`.
fn flag(query: &Query, name: &str) -> Result<bool, Error> {
    match query.get(name) {
        None => Ok(false),
        Some("1") => Ok(true),
        Some(_) => Err(Error::InvalidRequest(format!(
            "{name} must be 1 when given"
        ))),
    }
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
