//! A Lambda Runtime API on loopback, to run the real function binaries as Lambda
//! would: the process starts, asks `/runtime/invocation/next` for an event, and
//! posts its response. Used to test the deployed artefact end to end (event
//! decoding, base64 bodies, logs) and to time cold starts.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use http::{Method, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, oneshot};

const PREFIX: &str = "/2018-06-01/runtime";

/// A function's answer to one invocation: its response payload, or its error report.
type Outcome = Result<Vec<u8>, String>;

struct Shared {
    events: tokio::sync::Mutex<mpsc::Receiver<(String, Vec<u8>)>>,
    pending: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    first_poll: Mutex<Option<Instant>>,
    polled: tokio::sync::Notify,
}

/// One function process and the Runtime API it talks to.
pub struct Function {
    child: Child,
    shared: Arc<Shared>,
    sender: mpsc::Sender<(String, Vec<u8>)>,
    started: Instant,
    output: Arc<Mutex<Vec<u8>>>,
    next_id: Mutex<u64>,
}

/// Where `cargo build` put the binary `name` (`debug` or `release` profile).
pub fn binary(name: &str, profile: &str) -> PathBuf {
    let path = crate::target_dir().join(profile).join(name);
    assert!(
        path.exists(),
        "{} is missing: build the functions first (`make test` does)",
        path.display()
    );
    path
}

impl Function {
    /// Starts `binary` with `env` and a fresh Runtime API on a free loopback port.
    pub async fn spawn(binary: &Path, env: &[(String, String)]) -> Function {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the runtime API");
        let addr = listener.local_addr().expect("local addr");
        let (sender, receiver) = mpsc::channel(64);
        let shared = Arc::new(Shared {
            events: tokio::sync::Mutex::new(receiver),
            pending: Mutex::new(HashMap::new()),
            first_poll: Mutex::new(None),
            polled: tokio::sync::Notify::new(),
        });
        tokio::spawn(serve(listener, shared.clone()));

        let started = Instant::now();
        let mut child = Command::new(binary)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(lambda_env(addr, binary))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let output = Arc::new(Mutex::new(Vec::new()));
        for mut stream in [
            Box::new(child.stdout.take().expect("stdout"))
                as Box<dyn tokio::io::AsyncRead + Unpin + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let output = output.clone();
            tokio::spawn(async move {
                let mut buffer = [0u8; 8192];
                while let Ok(n) = stream.read(&mut buffer).await {
                    if n == 0 {
                        break;
                    }
                    output
                        .lock()
                        .expect("log buffer")
                        .extend_from_slice(&buffer[..n]);
                }
            });
        }
        Function {
            child,
            shared,
            sender,
            started,
            output,
            next_id: Mutex::new(0),
        }
    }

    /// How long the process took from spawn to its first `next` request.
    pub async fn init_duration(&self) -> Duration {
        loop {
            let notified = self.shared.polled.notified();
            if let Some(at) = *self.shared.first_poll.lock().expect("first poll") {
                return at - self.started;
            }
            tokio::time::timeout(Duration::from_secs(30), notified)
                .await
                .unwrap_or_else(|_| {
                    panic!(
                        "the function never polled for an event; its output:\n{}",
                        self.output()
                    )
                });
        }
    }

    /// Invokes the function with `event` and returns its response payload.
    pub async fn invoke(&self, event: &Value) -> Value {
        let id = {
            let mut next = self.next_id.lock().expect("id");
            *next += 1;
            format!("req-{next}")
        };
        let (done, result) = oneshot::channel();
        self.shared
            .pending
            .lock()
            .expect("pending")
            .insert(id.clone(), done);
        self.sender
            .send((id, serde_json::to_vec(event).expect("event JSON")))
            .await
            .expect("the runtime API is up");
        let payload = tokio::time::timeout(Duration::from_secs(60), result)
            .await
            .unwrap_or_else(|_| panic!("no response in 60 s; function output:\n{}", self.output()))
            .expect("the runtime API is up")
            .unwrap_or_else(|e| panic!("the function reported an error: {e}\n{}", self.output()));
        serde_json::from_slice(&payload).expect("a JSON response")
    }

    /// Everything the process wrote to stdout and stderr so far (its logs).
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().expect("log buffer")).into_owned()
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Peak resident set size of the process so far, in KiB (Linux `VmHWM`).
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    pub async fn stop(mut self) -> String {
        let _ = self.child.kill().await;
        // Let the log readers drain.
        tokio::time::sleep(Duration::from_millis(50)).await;
        self.output()
    }
}

fn lambda_env(addr: SocketAddr, binary: &Path) -> Vec<(String, String)> {
    let name = binary
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    vec![
        ("AWS_LAMBDA_RUNTIME_API".into(), addr.to_string()),
        ("AWS_LAMBDA_FUNCTION_NAME".into(), name),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".into(), "256".into()),
        ("AWS_LAMBDA_FUNCTION_VERSION".into(), "$LATEST".into()),
        ("AWS_LAMBDA_LOG_STREAM_NAME".into(), "local".into()),
        ("AWS_LAMBDA_LOG_GROUP_NAME".into(), "local".into()),
    ]
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

async fn handle(
    request: http::Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    let body = request.into_body().collect().await?.to_bytes().to_vec();
    let reply = |status: StatusCode, body: Vec<u8>| {
        Response::builder()
            .status(status)
            .body(Full::new(Bytes::from(body)))
            .expect("a response")
    };
    let Some(rest) = path.strip_prefix(PREFIX) else {
        return Ok(reply(StatusCode::NOT_FOUND, Vec::new()));
    };
    if method == Method::GET && rest == "/invocation/next" {
        {
            let mut first = shared.first_poll.lock().expect("first poll");
            if first.is_none() {
                *first = Some(Instant::now());
                shared.polled.notify_waiters();
            }
        }
        let next = shared.events.lock().await.recv().await;
        let Some((id, event)) = next else {
            return Ok(reply(StatusCode::GONE, Vec::new()));
        };
        let deadline = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() + 30_000)
            .unwrap_or_default();
        return Ok(Response::builder()
            .status(StatusCode::OK)
            .header("lambda-runtime-aws-request-id", id)
            .header("lambda-runtime-deadline-ms", deadline.to_string())
            .header(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:000000000000:function:local",
            )
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(event)))
            .expect("a response"));
    }
    if method == Method::POST {
        let parts: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
        if let ["invocation", id, kind @ ("response" | "error")] = parts.as_slice() {
            if let Some(done) = shared.pending.lock().expect("pending").remove(*id) {
                let outcome = if *kind == "response" {
                    Ok(body)
                } else {
                    Err(String::from_utf8_lossy(&body).into_owned())
                };
                let _ = done.send(outcome);
            }
            return Ok(reply(StatusCode::ACCEPTED, b"{}".to_vec()));
        }
        if rest == "/init/error" {
            eprintln!("function init error: {}", String::from_utf8_lossy(&body));
            return Ok(reply(StatusCode::ACCEPTED, b"{}".to_vec()));
        }
    }
    Ok(reply(StatusCode::NOT_FOUND, Vec::new()))
}

/// An API Gateway HTTP API (payload 2.0) event, as the deployed route delivers it.
pub fn http_event(
    method: &str,
    route: &str,
    raw_query: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Value {
    let headers: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), Value::String((*v).to_owned())))
        .collect();
    json!({
        "version": "2.0",
        "routeKey": format!("{method} /{route}"),
        "rawPath": format!("/{route}"),
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": "local.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "local",
            "http": { "method": method, "path": format!("/{route}"), "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "homedir-tests" },
            "requestId": "local-request",
            "routeKey": format!("{method} /{route}"),
            "stage": "$default",
            "time": "22/Nov/2026:00:00:00 +0000",
            "timeEpoch": 1_795_305_600_000_u64
        },
        "body": body.map(|b| BASE64.encode(b)),
        "isBase64Encoded": body.is_some()
    })
}

/// The body of a payload-2.0 response, decoded from base64 where flagged.
pub fn response_body(response: &Value) -> Vec<u8> {
    let body = response["body"].as_str().unwrap_or_default();
    if response["isBase64Encoded"].as_bool() == Some(true) {
        BASE64.decode(body).expect("base64 body")
    } else {
        body.as_bytes().to_vec()
    }
}
