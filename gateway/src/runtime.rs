//! One execution environment: a function process and the Lambda Runtime API it polls.
//!
//! The process starts with Lambda's environment (`AWS_LAMBDA_RUNTIME_API` pointing at
//! a loopback port of its own), asks `GET /2018-06-01/runtime/invocation/next` for an
//! event and posts `…/invocation/<id>/response` (or `/error`), as the Runtime API
//! documents (<https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>). The
//! response is read whole before it is acknowledged, as Lambda does. An environment
//! serves one invocation at a time; the [`pool`](crate::pool) holds several.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use http::{Method, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot};

use crate::settings::FunctionSettings;

const PREFIX: &str = "/2018-06-01/runtime";
/// Lambda's synchronous invocation payload limit, each way (6 MB).
pub const MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;

/// How an invocation ended when it did not produce a response.
#[derive(Debug)]
pub enum Failed {
    /// The function reported an error (`/error`): its report.
    Reported(String),
    /// The response was larger than Lambda carries.
    TooLarge,
    /// No answer within the timeout.
    TimedOut,
    /// The process exited (or never started).
    Exited(String),
}

/// One event on its way to the function: its request id, its bytes, when it must be
/// answered (epoch milliseconds).
struct Next {
    id: String,
    event: Vec<u8>,
    deadline_ms: u128,
}

struct Shared {
    events: tokio::sync::Mutex<mpsc::Receiver<Next>>,
    pending: Mutex<HashMap<String, oneshot::Sender<Result<Bytes, Failed>>>>,
    /// The function's ARN, as `Lambda-Runtime-Invoked-Function-Arn` gives it.
    arn: String,
}

/// A running function process and its Runtime API.
pub struct Environment {
    child: tokio::sync::Mutex<Child>,
    shared: Arc<Shared>,
    sender: mpsc::Sender<Next>,
    /// When the binary this runs was last modified: a newer one replaces it.
    pub binary_modified: Option<SystemTime>,
}

impl Environment {
    /// Starts the function's binary with its variables (see [`process_env`]); its output
    /// lines go to standard error.
    pub async fn start(
        function: &FunctionSettings,
        env: &[(String, String)],
    ) -> std::io::Result<Environment> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (sender, receiver) = mpsc::channel(8);
        let shared = Arc::new(Shared {
            events: tokio::sync::Mutex::new(receiver),
            pending: Mutex::new(HashMap::new()),
            arn: function.arn.clone(),
        });
        tokio::spawn(serve(listener, shared.clone()));
        let binary = &function.path;
        let binary_modified = std::fs::metadata(binary).and_then(|m| m.modified()).ok();
        let mut child = Command::new(binary)
            .env_clear()
            .envs(process_env(function, env, addr))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        if let Some(stdout) = child.stdout.take() {
            tokio::spawn(forward(BufReader::new(stdout)));
        }
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(forward(BufReader::new(stderr)));
        }
        Ok(Environment {
            child: tokio::sync::Mutex::new(child),
            shared,
            sender,
            binary_modified,
        })
    }

    /// Invokes the function with `event` (JSON bytes) as request `id`; its response
    /// payload.
    pub async fn invoke(
        &self,
        id: &str,
        event: Vec<u8>,
        timeout: Duration,
    ) -> Result<Bytes, Failed> {
        let id = id.to_owned();
        let (done, result) = oneshot::channel();
        self.pending().insert(id.clone(), done);
        let deadline_ms = (SystemTime::now() + timeout)
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or_default();
        let next = Next {
            id: id.clone(),
            event,
            deadline_ms,
        };
        if self.sender.send(next).await.is_err() {
            self.pending().remove(&id);
            return Err(Failed::Exited("the runtime API stopped".into()));
        }
        let outcome = tokio::select! {
            outcome = result => outcome.unwrap_or_else(|_| Err(Failed::Exited("the runtime API stopped".into()))),
            _ = tokio::time::sleep(timeout) => Err(Failed::TimedOut),
            status = self.exited() => Err(Failed::Exited(status)),
        };
        self.pending().remove(&id);
        outcome
    }

    /// Whether the process is still running.
    pub async fn alive(&self) -> bool {
        matches!(self.child.lock().await.try_wait(), Ok(None))
    }

    /// Resolves when the process exits, with how it exited.
    async fn exited(&self) -> String {
        loop {
            if let Ok(Some(status)) = self.child.lock().await.try_wait() {
                return format!("the function exited ({status})");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn pending(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<Result<Bytes, Failed>>>> {
        self.shared
            .pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A function process's variables, lowest precedence first: the template's
/// environment, the gateway's `--env-file`, then what Lambda sets and a function cannot
/// override, its role's credentials and the runtime's variables
/// (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime>).
pub fn process_env(
    function: &FunctionSettings,
    env: &[(String, String)],
    runtime_api: SocketAddr,
) -> Vec<(String, String)> {
    let name = &function.name;
    let reserved = [
        ("AWS_LAMBDA_RUNTIME_API".to_owned(), runtime_api.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME".to_owned(), name.clone()),
        (
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE".to_owned(),
            function.memory_mb.to_string(),
        ),
        (
            "AWS_LAMBDA_FUNCTION_VERSION".to_owned(),
            "$LATEST".to_owned(),
        ),
        ("AWS_LAMBDA_LOG_STREAM_NAME".to_owned(), "local".to_owned()),
        (
            "AWS_LAMBDA_LOG_GROUP_NAME".to_owned(),
            format!("/aws/lambda/{name}"),
        ),
    ];
    let mut merged: Vec<(String, String)> = Vec::new();
    let layers = [
        function.environment.as_slice(),
        env,
        function.credentials.as_slice(),
        reserved.as_slice(),
    ];
    for layer in layers {
        for (key, value) in layer {
            merged.retain(|(k, _)| k != key);
            merged.push((key.clone(), value.clone()));
        }
    }
    merged
}

async fn forward<R: tokio::io::AsyncRead + Unpin>(reader: BufReader<R>) {
    let mut lines = reader.lines();
    while let Ok(Some(line)) = lines.next_line().await {
        eprintln!("{line}");
    }
}

async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    while let Ok((stream, _)) = listener.accept().await {
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| handle(request, shared.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn reply(status: StatusCode, body: &'static [u8]) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(body)));
    *response.status_mut() = status;
    response
}

async fn handle(
    request: http::Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return Ok(reply(StatusCode::NOT_FOUND, b""));
    };
    if method == Method::GET && rest == "/invocation/next" {
        let next = shared.events.lock().await.recv().await;
        let Some(Next {
            id,
            event,
            deadline_ms,
        }) = next
        else {
            return Ok(reply(StatusCode::GONE, b""));
        };
        let response = Response::builder()
            .status(StatusCode::OK)
            .header("lambda-runtime-aws-request-id", id)
            .header("lambda-runtime-deadline-ms", deadline_ms.to_string())
            .header("lambda-runtime-invoked-function-arn", shared.arn.as_str())
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(event)))
            .unwrap_or_else(|_| reply(StatusCode::INTERNAL_SERVER_ERROR, b""));
        return Ok(response);
    }
    if method == Method::POST {
        let parts: Vec<String> = rest
            .trim_start_matches('/')
            .split('/')
            .map(str::to_owned)
            .collect();
        // The whole body first, then the acknowledgement (Lambda's order).
        let body = Limited::new(request.into_body(), MAX_PAYLOAD_BYTES)
            .collect()
            .await
            .map(|b| b.to_bytes());
        if let [invocation, id, kind] = parts.as_slice()
            && invocation == "invocation"
            && (kind == "response" || kind == "error")
        {
            let waiting = shared
                .pending
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(id);
            let outcome = match (body, kind.as_str()) {
                (Ok(body), "response") => Ok(body),
                (Ok(body), _) => Err(Failed::Reported(
                    String::from_utf8_lossy(&body).into_owned(),
                )),
                (Err(_), _) => Err(Failed::TooLarge),
            };
            if let Some(waiting) = waiting {
                let _ = waiting.send(outcome);
            }
            return Ok(reply(StatusCode::ACCEPTED, b"{\"status\":\"OK\"}"));
        }
        if parts.first().map(String::as_str) == Some("init") {
            if let Ok(body) = body {
                eprintln!("function init error: {}", String::from_utf8_lossy(&body));
            }
            return Ok(reply(StatusCode::ACCEPTED, b"{\"status\":\"OK\"}"));
        }
    }
    Ok(reply(StatusCode::NOT_FOUND, b""))
}
