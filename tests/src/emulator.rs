//! The emulator's control endpoints (see tests/emulator/README.md): its log of the
//! AWS calls it received (the view from the other side of the wire, which also
//! records the access key each call was signed with), and the faults it can inject.
//! Faults apply to every caller of an emulator, so a test that injects them runs
//! its own: [`PrivateStack`].

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::stack::Stack;

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Call {
    pub service: String,
    pub operation: String,
    pub access_key: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CallLog {
    calls: Vec<Call>,
}

async fn request(stack: &Stack, method: http::Method, path: &str) -> Vec<u8> {
    send(stack, method, path, Vec::new()).await
}

/// The body of a plain GET of `url` (a public document such as the pool's JWKS).
pub async fn get(url: &str) -> Vec<u8> {
    fetch(http::Method::GET, url, Vec::new()).await
}

async fn send(stack: &Stack, method: http::Method, path: &str, body: Vec<u8>) -> Vec<u8> {
    fetch(method, &format!("{}{path}", stack.endpoint()), body).await
}

async fn fetch(method: http::Method, url: &str, body: Vec<u8>) -> Vec<u8> {
    use http_body_util::{BodyExt, Full};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let client: Client<_, Full<bytes::Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let uri: http::Uri = url.parse().expect("emulator URI");
    let request = http::Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Full::new(bytes::Bytes::from(body)))
        .expect("request");
    let response = client.request(request).await.expect("the emulator answers");
    assert!(
        response.status().is_success(),
        "emulator {url}: {}",
        response.status()
    );
    response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec()
}

/// Every call the emulator received, in order.
pub async fn calls(stack: &Stack) -> Vec<Call> {
    let body = request(stack, http::Method::GET, "/_homedir/calls").await;
    serde_json::from_slice::<CallLog>(&body)
        .expect("call log JSON")
        .calls
}

/// Forgets the calls so far.
pub async fn reset_calls(stack: &Stack) {
    request(stack, http::Method::POST, "/_homedir/calls/reset").await;
}

/// What the emulator does to the requests a fault matches.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    /// Cognito's TooManyRequestsException, S3's 503 SlowDown, the JWKS's 429.
    Throttle,
    /// An HTTP 500 (InternalErrorException, InternalError).
    Error,
    /// Answer normally, this long after the request arrived.
    Delay(Duration),
}

/// Makes the emulator apply `fault` to the next `times` requests of `operation` (as
/// the call log names it, or `jwks`), or to all of them with `None`.
pub async fn inject(stack: &Stack, operation: &str, fault: Fault, times: Option<u32>) {
    let body = match fault {
        Fault::Throttle => json!({ "operation": operation, "kind": "throttle", "times": times }),
        Fault::Error => json!({ "operation": operation, "kind": "error", "times": times }),
        Fault::Delay(delay) => json!({
            "operation": operation, "kind": "delay", "times": times,
            "delay_secs": delay.as_secs_f64(),
        }),
    };
    send(
        stack,
        http::Method::POST,
        "/_homedir/faults",
        body.to_string().into_bytes(),
    )
    .await;
}

/// Like [`inject`], but the next `after` requests of `operation` pass untouched first;
/// the fault applies from the one after them on (to `times` requests, or to all with
/// `None`). `inject_after(stack, "UploadPartCopy", Fault::Error, 2, Some(1))` fails the
/// third part copy of a copy in parts, and only it.
pub async fn inject_after(
    stack: &Stack,
    operation: &str,
    fault: Fault,
    after: u32,
    times: Option<u32>,
) {
    let mut body = match fault {
        Fault::Throttle => json!({ "operation": operation, "kind": "throttle", "times": times }),
        Fault::Error => json!({ "operation": operation, "kind": "error", "times": times }),
        Fault::Delay(delay) => json!({
            "operation": operation, "kind": "delay", "times": times,
            "delay_secs": delay.as_secs_f64(),
        }),
    };
    body["after"] = json!(after);
    send(
        stack,
        http::Method::POST,
        "/_homedir/faults",
        body.to_string().into_bytes(),
    )
    .await;
}

/// Clears every injected fault.
pub async fn clear_faults(stack: &Stack) {
    request(stack, http::Method::POST, "/_homedir/faults/reset").await;
}

/// How many times a function fetched the user pool's signing keys.
pub async fn jwks_fetches(stack: &Stack) -> u64 {
    let body = request(stack, http::Method::GET, "/_homedir/calls").await;
    let log: serde_json::Value = serde_json::from_slice(&body).expect("call log JSON");
    log["jwks_fetches"].as_u64().expect("jwks_fetches")
}

/// The functions the user pool itself invokes: its pre-token-generation trigger and its
/// CloudTrail rule's target.
pub const USER_POOL_FUNCTIONS: [&str; 2] = ["token-claims", "user-changes"];

/// An emulator and a deployed stack of a test's own, stopped when dropped: for
/// tests whose faults or state would disturb the tests running beside them.
pub struct PrivateStack {
    stack: Stack,
    /// The user pool's own functions (every sign-in runs the token-claims trigger), as
    /// scripts/local-stack.sh serves them.
    served: Option<crate::served::Served>,
    emulator: Child,
    dir: PathBuf,
}

impl PrivateStack {
    pub async fn start() -> PrivateStack {
        PrivateStack::start_with(&[]).await
    }

    /// A private stack whose identity pool issues credentials that expire after `ttl`
    /// (the emulator's `--credentials-ttl`), for tests of their renewal.
    pub async fn with_credentials_ttl(ttl: Duration) -> PrivateStack {
        PrivateStack::start_with(&["--credentials-ttl", &ttl.as_secs_f64().to_string()]).await
    }

    async fn start_with(emulator_args: &[&str]) -> PrivateStack {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let python = root.join(".venv/bin/python");
        let dir =
            std::env::temp_dir().join(format!("homedir-private-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("a private state folder");
        let mut emulator = Command::new(&python)
            .arg(root.join("tests/emulator/homedir_emulator.py"))
            .args(["--host", "127.0.0.1", "--port", "0", "--state-dir"])
            .arg(&dir)
            .args(emulator_args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the emulator with {}: {e}", python.display()));
        let stdout = emulator.stdout.take().expect("stdout");
        let mut line = String::new();
        tokio::time::timeout(
            Duration::from_secs(30),
            BufReader::new(stdout).read_line(&mut line),
        )
        .await
        .expect("the emulator is ready within 30 s")
        .expect("its ready line");
        let url = line
            .strip_prefix("ready ")
            .unwrap_or_else(|| panic!("not a ready line: {line:?}"))
            .trim()
            .to_owned();
        // template.yaml deployed as scripts/local-stack.sh deploys it (the stack, its
        // fixtures, and UPLOAD_ID_KEY from the stack's secret).
        let env_file = dir.join("stack.env");
        let deployed = Command::new(&python)
            .arg(root.join("tests/emulator/deploy.py"))
            .args(["--endpoint", &url, "--region", "us-east-1", "--out"])
            .arg(&env_file)
            .arg("--signing-key")
            .arg(dir.join("signing-key.pem"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .await
            .expect("run deploy.py");
        assert!(
            deployed.status.success(),
            "deploy.py failed: {}",
            String::from_utf8_lossy(&deployed.stderr)
        );
        let mut private = PrivateStack {
            stack: Stack::load(&env_file),
            served: None,
            emulator,
            dir,
        };
        private.serve(&USER_POOL_FUNCTIONS).await;
        private
    }

    pub fn stack(&self) -> &Stack {
        &self.stack
    }

    /// The gateway serving the stack's functions (see [`PrivateStack::serve`]).
    pub fn served(&self) -> &crate::served::Served {
        self.served
            .as_ref()
            .expect("a private stack serves its functions")
    }

    /// Serves the stack's `functions` under one gateway of their own, where the
    /// emulator's Lambda invokes them (the user pool's functions are always among them).
    pub async fn serve(&mut self, functions: &[&str]) {
        let mut all: Vec<&str> = USER_POOL_FUNCTIONS.to_vec();
        all.extend(
            functions
                .iter()
                .filter(|f| !USER_POOL_FUNCTIONS.contains(f)),
        );
        let served = crate::served::Served::stack_functions(&self.stack, &all).await;
        send(
            &self.stack,
            http::Method::POST,
            "/_homedir/lambda/gateway",
            json!({ "url": served.base_url() }).to_string().into_bytes(),
        )
        .await;
        self.served = Some(served);
    }
}

impl Drop for PrivateStack {
    fn drop(&mut self) {
        let _ = self.emulator.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A code the user pool would have e-mailed (`sign_up`, `forgot_password` or
/// `attribute`), as the emulator keeps it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Code {
    pub kind: String,
    pub code: String,
}

#[derive(Debug, Deserialize)]
struct Codes {
    codes: Vec<Code>,
}

/// The codes the pool `pool` holds for `username` (oldest first): what Cognito would
/// have e-mailed them.
pub async fn codes(stack: &Stack, pool: &str, username: &str) -> Vec<Code> {
    let path = format!(
        "/_homedir/codes?{}",
        crate::requests::query(&[("pool", pool), ("username", username)])
    );
    let body = request(stack, http::Method::GET, &path).await;
    serde_json::from_slice::<Codes>(&body)
        .expect("codes JSON")
        .codes
}

/// The newest code of `kind` the pool holds for `username`; panics if there is none.
pub async fn code(stack: &Stack, pool: &str, username: &str, kind: &str) -> String {
    codes(stack, pool, username)
        .await
        .into_iter()
        .rev()
        .find(|c| c.kind == kind)
        .unwrap_or_else(|| panic!("no {kind} code for {username}"))
        .code
}
