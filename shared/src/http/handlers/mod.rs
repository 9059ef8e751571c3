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

use lambda_http::{Body, Response};

use crate::app::App;
use crate::error::Error;

pub use delete::delete;
pub use list::list;
pub use read_file::read_file;
pub use write_file::write_file;

/// The header that names the version a read returned or a delete created.
const VERSION_ID: http::HeaderName =
    http::HeaderName::from_static(homedir_wire::routes::VERSION_ID_HEADER);

/// The error type `lambda_http::run` expects; handlers never return one, every
/// failure is an HTTP response.
pub type HandlerError = lambda_http::Error;

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
