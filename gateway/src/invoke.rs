//! Lambda's Invoke API for the served functions:
//! `POST /2015-03-31/functions/{FunctionName}/invocations`, as
//! <https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html> documents it. The
//! request body is the event, passed to the function as it is (any JSON; an empty body
//! is `{}`); `FunctionName` is the binary, the function's name, its ARN or partial ARN
//! (`$LATEST` the only qualifier). The local emulator forwards its own Invoke API here
//! (tests/emulator/homedir_aws/lambdas.py), and so delivers S3's notifications.
//!
//! - `X-Amz-Invocation-Type: RequestResponse` (the default): the function's response
//!   is the body, 200, `X-Amz-Executed-Version: $LATEST`. A function error is 200 too,
//!   with `X-Amz-Function-Error: Unhandled` and the error document: the one the
//!   function reported through the Runtime API, or Lambda's own for a timeout
//!   (`Sandbox.Timedout`), a crash (`Runtime.ExitError`) or a response over 6 MB
//!   (`Function.ResponseSizeTooLarge`).
//! - `Event`: 202 at once; the event waits in the function's asynchronous queue and
//!   runs when an environment is free. A function error is retried twice, after 1 and
//!   then 2 more minutes, as "How Lambda handles errors and retries with asynchronous
//!   invocation" says
//!   (<https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html>);
//!   `--async-retry-delays` shortens the waits for tests. The same request id is used
//!   for every attempt. An event that fails three times is dropped and said so (no
//!   dead-letter queue or on-failure destination is modelled).
//! - `DryRun`: 204, nothing runs.
//!
//! Refusals before anything runs, with Lambda's error shape (`x-amzn-ErrorType` and
//! `{"Type": "User", "Message": …}`): an unknown function or qualifier 404
//! `ResourceNotFoundException`; a body that is not JSON 400
//! `InvalidRequestContentException`; a body over 6 MB (synchronous) or 1 MB
//! (asynchronous) 413 `RequestEntityTooLargeException` (Lambda quotas,
//! <https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html>); another
//! invocation type 400 `InvalidParameterValueException`.
//!
//! Not emulated: `X-Amz-Log-Type: Tail` (the function's output goes to the gateway's
//! standard error, not to `X-Amz-Log-Result`), `X-Amz-Client-Context`, versions and
//! aliases, reserved concurrency and throttling (an invocation waits for a free
//! environment instead of being refused).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body_util::Full;
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::pool::{Pool, lock};
use crate::runtime::{Failed, MAX_PAYLOAD_BYTES};

/// The asynchronous invocation payload limit (1 MB).
pub const MAX_ASYNC_PAYLOAD_BYTES: usize = 1024 * 1024;
/// Lambda's default waits before the second and the third attempt of an event.
pub const DEFAULT_RETRY_DELAYS: [Duration; 2] = [Duration::from_secs(60), Duration::from_secs(120)];
const KEPT_OUTCOMES: usize = 1000;

/// The functions' Invoke API and their asynchronous queues.
pub struct Lambda {
    pub pool: Arc<Pool>,
    retry_delays: Vec<Duration>,
    pending: watch::Sender<usize>,
    outcomes: Mutex<VecDeque<Value>>,
}

/// How the caller asked to invoke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvocationType {
    RequestResponse,
    Event,
    DryRun,
}

impl InvocationType {
    pub fn parse(header: Option<&str>) -> Option<InvocationType> {
        match header.unwrap_or("RequestResponse") {
            "RequestResponse" => Some(InvocationType::RequestResponse),
            "Event" => Some(InvocationType::Event),
            "DryRun" => Some(InvocationType::DryRun),
            _ => None,
        }
    }
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response<Full<Bytes>> {
    let body = json!({ "Type": "User", "Message": message }).to_string();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(kind) = HeaderValue::from_str(kind) {
        headers.insert("x-amzn-errortype", kind);
    }
    response
}

fn with_request_id(mut response: Response<Full<Bytes>>, id: &str) -> Response<Full<Bytes>> {
    if let Ok(value) = HeaderValue::from_str(id) {
        response.headers_mut().insert("x-amzn-requestid", value);
    }
    response
}

/// The error document Lambda itself writes when an invocation ends without the
/// function's own answer.
fn lambda_error(id: &str, failed: &Failed, timeout: Duration) -> Bytes {
    let (kind, message) = match failed {
        Failed::Reported(report) => return Bytes::from(report.clone()),
        Failed::TooLarge => (
            "Function.ResponseSizeTooLarge",
            format!(
                "Response payload size exceeded maximum allowed payload size ({MAX_PAYLOAD_BYTES} bytes)."
            ),
        ),
        Failed::TimedOut => (
            "Sandbox.Timedout",
            format!(
                "RequestId: {id} Error: Task timed out after {:.2} seconds",
                timeout.as_secs_f64()
            ),
        ),
        Failed::Exited(how) => (
            "Runtime.ExitError",
            format!("RequestId: {id} Error: Runtime exited: {how}"),
        ),
    };
    Bytes::from(json!({ "errorType": kind, "errorMessage": message }).to_string())
}

impl Lambda {
    pub fn new(pool: Arc<Pool>, retry_delays: Vec<Duration>) -> Lambda {
        Lambda {
            pool,
            retry_delays,
            pending: watch::Sender::new(0),
            outcomes: Mutex::new(VecDeque::new()),
        }
    }

    /// Answers one Invoke request for `function` (as the path named it, decoded).
    pub async fn invoke(
        self: &Arc<Self>,
        function: &str,
        qualifier: Option<&str>,
        invocation_type: Option<&str>,
        body: Bytes,
    ) -> Response<Full<Bytes>> {
        let Some(settings) = self.pool.resolve(function) else {
            return error(
                StatusCode::NOT_FOUND,
                "ResourceNotFoundException",
                &format!("Function not found: {function}"),
            );
        };
        if qualifier.is_some_and(|q| q != "$LATEST") {
            let qualifier = qualifier.unwrap_or_default();
            return error(
                StatusCode::NOT_FOUND,
                "ResourceNotFoundException",
                &format!("Function not found: {}:{qualifier}", settings.arn),
            );
        }
        let Some(kind) = InvocationType::parse(invocation_type) else {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidParameterValueException",
                "Invocation type must be one of Event, RequestResponse, DryRun",
            );
        };
        let limit = if kind == InvocationType::Event {
            MAX_ASYNC_PAYLOAD_BYTES
        } else {
            MAX_PAYLOAD_BYTES
        };
        if body.len() > limit {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLargeException",
                &format!("Request must be smaller than {limit} bytes for the Invoke operation"),
            );
        }
        let event = if body.iter().all(u8::is_ascii_whitespace) {
            Bytes::from_static(b"{}")
        } else {
            body
        };
        if let Err(problem) = serde_json::from_slice::<Value>(&event) {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidRequestContentException",
                &format!("Could not parse request body into json: {problem}"),
            );
        }
        let binary = settings.binary.clone();
        let id = uuid::Uuid::new_v4().to_string();
        match kind {
            InvocationType::DryRun => {
                let mut response = Response::new(Full::new(Bytes::new()));
                *response.status_mut() = StatusCode::NO_CONTENT;
                with_request_id(response, &id)
            }
            InvocationType::Event => {
                self.submit(binary, id.clone(), event.to_vec());
                let mut response = Response::new(Full::new(Bytes::new()));
                *response.status_mut() = StatusCode::ACCEPTED;
                with_request_id(response, &id)
            }
            InvocationType::RequestResponse => {
                let timeout = self.pool.function_timeout(&binary);
                let outcome = self
                    .pool
                    .invoke_as(&binary, &id, event.to_vec(), timeout)
                    .await;
                let (body, failed) = match outcome {
                    Ok(payload) => (payload, false),
                    Err(failed) => {
                        eprintln!("homedir-gateway: {binary} {id}: {failed:?}");
                        (lambda_error(&id, &failed, timeout), true)
                    }
                };
                let mut response = Response::new(Full::new(body));
                let headers = response.headers_mut();
                headers.insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                headers.insert(
                    "x-amz-executed-version",
                    HeaderValue::from_static("$LATEST"),
                );
                if failed {
                    headers.insert(
                        "x-amz-function-error",
                        HeaderValue::from_static("Unhandled"),
                    );
                }
                with_request_id(response, &id)
            }
        }
    }

    /// Queues `event` for `binary` (an `Event` invocation) and returns at once.
    pub fn submit(self: &Arc<Self>, binary: String, id: String, event: Vec<u8>) {
        self.pending.send_modify(|n| *n += 1);
        let lambda = self.clone();
        tokio::spawn(async move {
            let timeout = lambda.pool.function_timeout(&binary);
            let attempts = lambda.retry_delays.len() + 1;
            let mut attempt = 1;
            let outcome = loop {
                match lambda
                    .pool
                    .invoke_as(&binary, &id, event.clone(), timeout)
                    .await
                {
                    Ok(_) => break json!({ "result": "succeeded" }),
                    Err(failed) => {
                        let report = String::from_utf8_lossy(&lambda_error(&id, &failed, timeout))
                            .into_owned();
                        if attempt == attempts {
                            eprintln!(
                                "homedir-gateway: {binary} event {id}: attempt {attempt} of {attempts} failed ({report}); dropped (no dead-letter queue or on-failure destination is modelled)"
                            );
                            break json!({ "result": "failed", "error": report });
                        }
                        let delay = lambda.retry_delays[attempt - 1];
                        eprintln!(
                            "homedir-gateway: {binary} event {id}: attempt {attempt} of {attempts} failed ({report}); retried in {:.1} s",
                            delay.as_secs_f64()
                        );
                        tokio::time::sleep(delay).await;
                        attempt += 1;
                    }
                }
            };
            let mut record = outcome;
            record["request_id"] = json!(id);
            record["function"] = json!(binary);
            record["attempts"] = json!(attempt);
            {
                let mut outcomes = lock(&lambda.outcomes);
                outcomes.push_back(record);
                while outcomes.len() > KEPT_OUTCOMES {
                    outcomes.pop_front();
                }
            }
            lambda.pending.send_modify(|n| *n -= 1);
        });
    }

    /// Waits until no event is queued, running or waiting for a retry, at most
    /// `timeout`; whether it drained, and how many are still pending.
    pub async fn drain(&self, timeout: Duration) -> (bool, usize) {
        let mut pending = self.pending.subscribe();
        let drained = tokio::time::timeout(timeout, pending.wait_for(|n| *n == 0))
            .await
            .is_ok();
        (drained, *self.pending.borrow())
    }

    /// The outcomes of the last events (oldest first).
    pub fn outcomes(&self) -> Vec<Value> {
        lock(&self.outcomes).iter().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invocation_types_are_lambdas_three() {
        assert_eq!(
            InvocationType::parse(None),
            Some(InvocationType::RequestResponse)
        );
        assert_eq!(
            InvocationType::parse(Some("Event")),
            Some(InvocationType::Event)
        );
        assert_eq!(
            InvocationType::parse(Some("DryRun")),
            Some(InvocationType::DryRun)
        );
        assert_eq!(InvocationType::parse(Some("event")), None);
    }

    #[test]
    fn lambda_writes_its_own_error_documents() {
        let timed_out: Value = serde_json::from_slice(&lambda_error(
            "r",
            &Failed::TimedOut,
            Duration::from_secs(15),
        ))
        .expect("JSON");
        assert_eq!(timed_out["errorType"], "Sandbox.Timedout");
        assert_eq!(
            timed_out["errorMessage"],
            "RequestId: r Error: Task timed out after 15.00 seconds"
        );
        let reported = lambda_error(
            "r",
            &Failed::Reported("{\"errorType\":\"E\"}".into()),
            Duration::ZERO,
        );
        assert_eq!(&reported[..], b"{\"errorType\":\"E\"}");
        let large: Value =
            serde_json::from_slice(&lambda_error("r", &Failed::TooLarge, Duration::ZERO))
                .expect("JSON");
        assert_eq!(large["errorType"], "Function.ResponseSizeTooLarge");
    }
}
