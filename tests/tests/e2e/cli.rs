//! The command-line client (`cli/`, binary `homedir`) as a user runs it: the real
//! binary in a process of its own, against the same stack as the rest of the suite,
//! over HTTP, signing in to the user pool itself. Each user gets a private config
//! directory (`HOMEDIR_CONFIG_DIR`); the stack is named through the client's
//! environment variables (`HOMEDIR_API_URL`, …), and once through `homedir config
//! --local` with the stack's env file.
//!
//! Tests that count calls in the emulator's log, inject faults or change the user
//! pool's settings run against a stack of their own ([`Own`]: a private emulator
//! and, where the API is needed, the functions served for it by homedir-gateway), so
//! the tests running beside them neither disturb nor see them; they are local only.
//!
//! Standard output and error are pipes here, so the client must print no terminal
//! escape code at all, and it may never print a token: both are checked on every run.
//!
//! The binary is `$CARGO_TARGET_DIR/debug/homedir` (tests/e2e.sh builds it), or
//! `HOMEDIR_CLI`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType};
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout};

use super::harness::{Account, E2e, Target};

mod account;
mod s3_tools;
mod usage;
use homedir_tests::data::{MIB, sha256};
use homedir_tests::emulator::{self, Fault, PrivateStack};
use homedir_tests::served::Served;
use homedir_tests::stack::{PASSWORD, Stack, User};

/// A 40 MiB file: five 8 MiB parts.
const LARGE: usize = 40 * 1024 * 1024;
const LARGE_PARTS: usize = 5;
/// A 20 MiB file: three parts (8, 8 and 4 MiB).
const MEDIUM: usize = 20 * MIB;
const MEDIUM_PARTS: usize = 3;
/// The longest one command may take (a 40 MiB transfer takes seconds locally).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);
/// The settings that name the stack, cleared from the client's environment first.
const SETTINGS: [&str; 9] = [
    "HOMEDIR_API_URL",
    "HOMEDIR_REGION",
    "HOMEDIR_USER_POOL_ID",
    "HOMEDIR_CLIENT_ID",
    "HOMEDIR_COGNITO_ENDPOINT",
    "HOMEDIR_IDENTITY_POOL_ID",
    "HOMEDIR_BUCKET",
    "HOMEDIR_HOME_PREFIX",
    "HOMEDIR_TEAM_PREFIX",
];

fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("HOMEDIR_CLI") {
        return PathBuf::from(path);
    }
    let path = homedir_tests::target_dir().join("debug/homedir");
    assert!(
        path.is_file(),
        "no {}: build the client first (cargo build -p homedir-cli; tests/e2e.sh does)",
        path.display()
    );
    path
}

/// What one run of the client printed.
#[derive(Debug)]
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Out {
    #[track_caller]
    fn ok(self) -> Out {
        assert_eq!(self.code, 0, "the command failed: {self:?}");
        self
    }

    #[track_caller]
    fn fails(self, code: i32, message: &str) -> Out {
        assert_eq!(
            (self.code, self.stderr.as_str()),
            (code, format!("homedir: {message}\n").as_str()),
            "{self:?}"
        );
        self
    }
}

/// One user's client: a config directory of its own and a scratch directory.
struct Cli {
    config: PathBuf,
    work: PathBuf,
    /// The environment that names the stack (empty: only the saved config does).
    env: Vec<(&'static str, String)>,
}

impl Cli {
    /// A client of the suite's stack.
    fn new(e2e: &E2e) -> Cli {
        Cli::with_settings(
            std::env::var("HOMEDIR_E2E_URL").expect("HOMEDIR_E2E_URL"),
            e2e.stack,
            e2e.setting("AWS_ENDPOINT_URL"),
        )
    }

    /// A client of a stack of the test's own, its API at `api_url`.
    fn of(stack: &Stack, api_url: &str) -> Cli {
        Cli::with_settings(api_url.to_owned(), stack, Some(stack.endpoint().to_owned()))
    }

    fn with_settings(api_url: String, stack: &Stack, cognito: Option<String>) -> Cli {
        let root =
            std::env::temp_dir().join(format!("homedir-cli-e2e-{}", uuid::Uuid::new_v4().simple()));
        let work = root.join("work");
        std::fs::create_dir_all(&work).expect("a scratch directory");
        let mut env = vec![
            ("HOMEDIR_API_URL", api_url),
            ("HOMEDIR_REGION", stack.region().to_owned()),
            ("HOMEDIR_USER_POOL_ID", stack.var("USER_POOL_ID").to_owned()),
            (
                "HOMEDIR_CLIENT_ID",
                stack.var("USER_POOL_CLIENT_ID").to_owned(),
            ),
            (
                "HOMEDIR_IDENTITY_POOL_ID",
                stack.var("IDENTITY_POOL_ID").to_owned(),
            ),
            ("HOMEDIR_BUCKET", stack.bucket().to_owned()),
            ("HOMEDIR_HOME_PREFIX", home_prefix(stack).to_owned()),
            ("HOMEDIR_TEAM_PREFIX", stack.team_prefix().to_owned()),
        ];
        if let Some(endpoint) = cognito {
            env.push(("HOMEDIR_COGNITO_ENDPOINT", endpoint));
        }
        Cli {
            config: root.join("config"),
            work,
            env,
        }
    }

    /// A client signed in as `user` with `homedir login --password-stdin`.
    async fn signed_in(e2e: &E2e, user: &Account) -> Cli {
        Cli::new(e2e).login(&user.email, &user.password).await
    }

    /// This client, signed in with `homedir login --password-stdin`.
    async fn login(self, email: &str, password: &str) -> Cli {
        let out = self
            .run_with(
                &["login", "--email", email, "--password-stdin"],
                Some(password),
                &[],
            )
            .await
            .ok();
        assert_eq!(out.stdout, format!("signed in as {email}\n"));
        self
    }

    async fn run(&self, args: &[&str]) -> Out {
        self.run_with(args, None, &[]).await
    }

    fn command(&self, args: &[&str], env: &[(&str, &str)]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(binary());
        command
            .args(args)
            .current_dir(&self.work)
            .env("HOMEDIR_CONFIG_DIR", &self.config)
            .env_remove("HOMEDIR_TEST_STOP_AFTER_PARTS")
            .env_remove("XDG_CONFIG_HOME")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for name in SETTINGS {
            command.env_remove(name);
        }
        for (name, value) in &self.env {
            command.env(name, value);
        }
        for (name, value) in env {
            command.env(name, value);
        }
        command
    }

    async fn run_with(&self, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Out {
        let secrets = self.secrets();
        let mut child = self
            .command(args, env)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary().display()));
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(format!("{text}\n").as_bytes())
                .await
                .expect("stdin");
        }
        let output = tokio::time::timeout(COMMAND_TIMEOUT, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("homedir {args:?} took longer than {COMMAND_TIMEOUT:?}"))
            .expect("the client's output");
        let out = Out {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        self.check(args, &out, &secrets);
        out
    }

    /// Starts the client with its standard streams piped, for a conversation (a code
    /// computed from what it printed, an interruption at a chosen moment).
    fn start(&self, args: &[&str], env: &[(&str, &str)]) -> Running<'_> {
        let mut child = self
            .command(args, env)
            .stdin(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary().display()));
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let stderr = BufReader::new(child.stderr.take().expect("stderr")).lines();
        Running {
            cli: self,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            secrets: self.secrets(),
            child,
            stdin,
            stdout,
            stderr,
            out: String::new(),
            err: String::new(),
        }
    }

    /// Neither escape codes (the streams are pipes) nor a token, before or after.
    fn check(&self, args: &[impl std::fmt::Debug], out: &Out, before: &[String]) {
        assert!(
            !out.stdout.contains('\u{1b}') && !out.stderr.contains('\u{1b}'),
            "homedir {args:?} printed terminal escape codes to a pipe: {out:?}"
        );
        for secret in before.iter().cloned().chain(self.secrets()) {
            assert!(
                !out.stdout.contains(&secret) && !out.stderr.contains(&secret),
                "homedir {args:?} printed a token"
            );
        }
    }

    /// The saved tokens (to check they are never printed, and to age them).
    fn tokens(&self) -> Option<serde_json::Value> {
        let text = std::fs::read(self.config.join("tokens.json")).ok()?;
        serde_json::from_slice(&text).ok()
    }

    fn set_tokens(&self, tokens: &serde_json::Value) {
        std::fs::write(self.config.join("tokens.json"), tokens.to_string()).expect("tokens.json");
    }

    fn secrets(&self) -> Vec<String> {
        let Some(tokens) = self.tokens() else {
            return Vec::new();
        };
        ["id_token", "access_token", "refresh_token"]
            .iter()
            .filter_map(|k| tokens[k].as_str())
            .filter(|t| t.len() >= 16)
            .map(str::to_owned)
            .collect()
    }

    /// The interrupted uploads `put` remembers (`uploads.json`), if any.
    fn saved_uploads(&self) -> Vec<serde_json::Value> {
        let Ok(text) = std::fs::read(self.config.join("uploads.json")) else {
            return Vec::new();
        };
        let saved: serde_json::Value = serde_json::from_slice(&text).expect("uploads.json");
        saved["uploads"]
            .as_object()
            .map(|uploads| uploads.values().cloned().collect())
            .unwrap_or_default()
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.work.join(name);
        std::fs::write(&path, bytes).expect("a local file");
        path
    }

    fn path(&self, name: &str) -> String {
        self.work.join(name).display().to_string()
    }
}

impl Drop for Cli {
    fn drop(&mut self) {
        if let Some(root) = self.work.parent() {
            let _ = std::fs::remove_dir_all(root);
        }
    }
}

/// A run of the client in progress (see [`Cli::start`]).
struct Running<'a> {
    cli: &'a Cli,
    args: Vec<String>,
    secrets: Vec<String>,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Lines<BufReader<ChildStdout>>,
    stderr: Lines<BufReader<ChildStderr>>,
    out: String,
    err: String,
}

impl Running<'_> {
    /// Reads standard output up to the first line containing `needle`: that line.
    async fn stdout_line(&mut self, needle: &str) -> String {
        let args = &self.args;
        let reading = async {
            while let Some(line) = self.stdout.next_line().await.expect("stdout") {
                self.out.push_str(&line);
                self.out.push('\n');
                if line.contains(needle) {
                    return line;
                }
            }
            panic!(
                "homedir {args:?} printed no {needle:?} to stdout: {:?}",
                self.out
            )
        };
        tokio::time::timeout(COMMAND_TIMEOUT, reading)
            .await
            .unwrap_or_else(|_| panic!("homedir {args:?} printed no {needle:?} in time"))
    }

    /// Reads standard error up to the first line containing `needle`: that line.
    async fn stderr_line(&mut self, needle: &str) -> String {
        let args = &self.args;
        let reading = async {
            while let Some(line) = self.stderr.next_line().await.expect("stderr") {
                self.err.push_str(&line);
                self.err.push('\n');
                if line.contains(needle) {
                    return line;
                }
            }
            panic!(
                "homedir {args:?} printed no {needle:?} to stderr: {:?}",
                self.err
            )
        };
        tokio::time::timeout(COMMAND_TIMEOUT, reading)
            .await
            .unwrap_or_else(|_| panic!("homedir {args:?} printed no {needle:?} in time"))
    }

    async fn answer(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("stdin");
        stdin.flush().await.expect("stdin");
    }

    /// Ctrl-C, as a person would press it (SIGINT).
    fn interrupt(&self) {
        let pid = self.child.id().expect("still running");
        let sent = std::process::Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status()
            .expect("kill");
        assert!(sent.success(), "SIGINT to {pid}");
    }

    /// The rest of the run: its exit code and everything it printed.
    async fn finish(mut self) -> Out {
        drop(self.stdin.take());
        let args = self.args.clone();
        let rest = async {
            while let Some(line) = self.stdout.next_line().await.expect("stdout") {
                self.out.push_str(&line);
                self.out.push('\n');
            }
            while let Some(line) = self.stderr.next_line().await.expect("stderr") {
                self.err.push_str(&line);
                self.err.push('\n');
            }
            self.child.wait().await.expect("the client's exit")
        };
        let status = tokio::time::timeout(COMMAND_TIMEOUT, rest)
            .await
            .unwrap_or_else(|_| panic!("homedir {args:?} took longer than {COMMAND_TIMEOUT:?}"));
        let out = Out {
            code: status.code().unwrap_or(-1),
            stdout: std::mem::take(&mut self.out),
            stderr: std::mem::take(&mut self.err),
        };
        self.cli.check(&args, &out, &self.secrets);
        out
    }
}

/// A stack of the test's own: an emulator nothing else calls (its call log and its
/// faults are the test's alone) and, when asked for, the functions served for it by
/// homedir-gateway. Only on the local target.
struct Own {
    served: Option<Served>,
    private: PrivateStack,
}

impl Own {
    async fn start(e2e: &E2e, serve: bool, what: &str) -> Option<Own> {
        if e2e.target != Target::Local {
            eprintln!("NOT CHECKED on this target: {what} needs a local emulator of its own");
            return None;
        }
        let private = PrivateStack::start().await;
        let served = if serve {
            Some(Served::start(private.stack(), &[]).await)
        } else {
            None
        };
        Some(Own { served, private })
    }

    fn stack(&self) -> &Stack {
        self.private.stack()
    }

    /// The functions' URL template; without them, a loopback port nothing listens on.
    fn api_url(&self) -> String {
        match &self.served {
            Some(served) => served.url_template().to_owned(),
            None => format!("http://127.0.0.1:{}/lambda-url/{{route}}/", closed_port()),
        }
    }

    /// A new user of this stack and their client, signed in.
    async fn user(&self) -> (User, Cli) {
        let user = User::new(self.stack()).await;
        let cli = Cli::of(self.stack(), &self.api_url())
            .login(&user.email, PASSWORD)
            .await;
        (user, cli)
    }

    /// How many `operation` calls the emulator received so far.
    async fn calls(&self, operation: &str) -> usize {
        count(self.stack(), operation).await
    }
}

/// `operation` calls an emulator has seen so far.
async fn count(stack: &Stack, operation: &str) -> usize {
    emulator::calls(stack)
        .await
        .iter()
        .filter(|c| c.operation == operation)
        .count()
}

/// A loopback port nothing listens on (bound, then let go).
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The stack's `HomePrefix`.
fn home_prefix(stack: &Stack) -> &str {
    stack.var("HOME_PREFIX")
}

/// `len` bytes of seeded noise.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut data = vec![0u8; len];
    rand::rngs::StdRng::seed_from_u64(seed).fill(&mut data[..]);
    data
}

/// One file's history through the API (`GET /list?key=K&versions=1`): every version
/// and delete marker, newest first.
async fn history(e2e: &E2e, user: &Account, key: &str) -> Vec<serde_json::Value> {
    let reply = e2e
        .get("list", &[("key", key), ("versions", "1")])
        .token(&user.id_token)
        .send()
        .await;
    if reply.status == 404 {
        return Vec::new();
    }
    reply.expect(200, None).json()["versions"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// UploadPart calls the emulator has seen so far (local stack only).
async fn upload_parts(e2e: &E2e) -> usize {
    count(e2e.stack, "UploadPart").await
}

/// The error code of REFRESH_TOKEN_AUTH with `refresh_token`, or `None` if Cognito
/// still honours it.
async fn refresh_refused(e2e: &E2e, refresh_token: &str) -> Option<String> {
    e2e.idp()
        .initiate_auth()
        .client_id(e2e.stack.var("USER_POOL_CLIENT_ID"))
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", refresh_token)
        .send()
        .await
        .err()
        .map(|e| e.code().unwrap_or("no code").to_owned())
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn login_keeps_private_tokens_refreshes_them_and_logout_signs_out() {
    let e2e = E2e::start().await;
    let alice = e2e.user().await;
    let cli = Cli::new(&e2e);

    cli.run(&["ls"])
        .await
        .fails(2, "signed out; run homedir login");
    cli.run_with(
        &["login", "--email", &alice.email, "--password-stdin"],
        Some("not-her-password"),
        &[],
    )
    .await
    .fails(2, "wrong email or password");
    cli.run(&["login", "--password-stdin"]).await.fails(
        64,
        "--password-stdin needs --email (standard input holds the password)",
    );

    let cli = Cli::signed_in(&e2e, &alice).await;
    assert_eq!(mode(&cli.config), 0o700, "the config directory");
    assert_eq!(
        mode(&cli.config.join("tokens.json")),
        0o600,
        "the token file"
    );
    cli.run(&["ls"]).await.ok();

    // Near expiry, the ID token is renewed with the refresh token before use.
    let mut tokens = cli.tokens().expect("saved tokens");
    tokens["expires_at"] = serde_json::json!(0);
    cli.set_tokens(&tokens);
    cli.run(&["ls"]).await.ok();
    let renewed = cli.tokens().expect("saved tokens");
    assert!(
        renewed["expires_at"].as_u64().unwrap() > 1_000_000_000,
        "a renewed expiry: {}",
        renewed["expires_at"]
    );
    assert_eq!(
        mode(&cli.config.join("tokens.json")),
        0o600,
        "still private"
    );

    // A token the API refuses is renewed once, then the command goes through.
    let mut tokens = renewed.clone();
    tokens["id_token"] = serde_json::json!("not-a-token");
    cli.set_tokens(&tokens);
    cli.run(&["ls"]).await.ok();
    assert_ne!(cli.tokens().unwrap()["id_token"], "not-a-token");

    // A refresh token Cognito refuses as well: signed out.
    let mut tokens = cli.tokens().unwrap();
    tokens["id_token"] = serde_json::json!("not-a-token");
    tokens["refresh_token"] = serde_json::json!("not-a-refresh-token");
    cli.set_tokens(&tokens);
    cli.run(&["ls"])
        .await
        .fails(2, "signed out; run homedir login");

    // logout revokes the refresh token at Cognito, then deletes it.
    let cli = Cli::signed_in(&e2e, &alice).await;
    let refresh = cli.tokens().expect("saved tokens")["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned();
    let out = cli.run(&["logout"]).await.ok();
    assert_eq!(
        out.stdout,
        "signed out: the refresh token is revoked at Cognito and the saved tokens are deleted\n"
    );
    assert!(!cli.config.join("tokens.json").exists());
    assert_eq!(
        refresh_refused(&e2e, &refresh).await.as_deref(),
        Some("NotAuthorizedException"),
        "REFRESH_TOKEN_AUTH with the revoked refresh token"
    );
    let out = cli.run(&["logout"]).await.ok();
    assert_eq!(out.stdout, "not signed in\n");
    cli.run(&["ls"])
        .await
        .fails(2, "signed out; run homedir login");
    cli.run(&["get", "a.txt"])
        .await
        .fails(2, "signed out; run homedir login");

    e2e.clean_up(&[&alice]).await;
}

#[tokio::test]
async fn files_folders_moves_copies_deletes_versions_and_restores() {
    let e2e = E2e::start().await;
    let alice = e2e.user().await;
    let cli = Cli::signed_in(&e2e, &alice).await;

    let hello = cli.file("hello.txt", b"hello, version one\n");
    let out = cli
        .run(&["put", &hello.display().to_string(), "notes/"])
        .await
        .ok();
    assert_eq!(
        out.stdout,
        format!("uploaded {} to notes/hello.txt (19 B)\n", hello.display())
    );
    cli.file("top.txt", b"top");
    cli.run(&["put", "top.txt"]).await.ok();

    // Folders first, human sizes; a folder's own listing; --long.
    let root = cli.run(&["ls"]).await.ok().stdout;
    assert_eq!(
        root,
        format!("{:>10}  notes/\n{:>10}  top.txt\n", "-", "3 B"),
        "{root}"
    );
    let notes = cli.run(&["ls", "notes"]).await.ok().stdout;
    assert_eq!(notes, format!("{:>10}  hello.txt\n", "19 B"));
    let long = cli.run(&["ls", "--long", "notes/"]).await.ok().stdout;
    assert!(
        long.contains("hello.txt") && long.contains('"') && long.contains(':'),
        "{long}"
    );

    let out = cli.run(&["get", "notes/hello.txt", "-"]).await.ok();
    assert_eq!(out.stdout, "hello, version one\n");
    let out = cli.run(&["get", "notes/hello.txt", "copy.txt"]).await.ok();
    assert!(
        out.stdout
            .starts_with("downloaded notes/hello.txt to copy.txt"),
        "{out:?}"
    );
    assert_eq!(
        std::fs::read(cli.work.join("copy.txt")).unwrap(),
        b"hello, version one\n"
    );

    // --if-absent refuses an existing key: exit 4, nothing changed.
    cli.file("hello.txt", b"hello, version two\n");
    cli.run(&["put", "--if-absent", "hello.txt", "notes/hello.txt"])
        .await
        .fails(4, "notes/hello.txt already exists (--if-absent)");
    cli.run(&["put", "hello.txt", "notes/hello.txt"]).await.ok();
    assert_eq!(
        e2e.read(&alice, "notes/hello.txt").await.as_ref(),
        b"hello, version two\n"
    );

    // Versions, newest first; restore with no version: the one before the current.
    let versions = cli.run(&["versions", "notes/hello.txt"]).await.ok().stdout;
    let lines: Vec<&str> = versions.lines().collect();
    assert_eq!(lines.len(), 2, "{versions}");
    assert!(
        lines[0].ends_with("current") && !lines[1].ends_with("current"),
        "{versions}"
    );
    let out = cli.run(&["restore", "notes/hello.txt"]).await.ok();
    assert!(
        out.stdout
            .starts_with("restored notes/hello.txt to version "),
        "{out:?}"
    );
    assert_eq!(
        e2e.read(&alice, "notes/hello.txt").await.as_ref(),
        b"hello, version one\n"
    );
    let versions = cli.run(&["versions", "notes/hello.txt"]).await.ok().stdout;
    assert_eq!(
        versions.lines().count(),
        3,
        "a restore adds a version: {versions}"
    );

    // cp, then mv into a folder (the name is kept); the source of the move is gone.
    cli.run(&["cp", "notes/hello.txt", "notes/copy.txt"])
        .await
        .ok();
    cli.run(&["cp", "--if-absent", "top.txt", "notes/copy.txt"])
        .await
        .fails(4, "notes/copy.txt already exists (--if-absent)");
    let out = cli.run(&["mv", "notes/copy.txt", "archive/"]).await.ok();
    assert_eq!(out.stdout, "moved notes/copy.txt to archive/copy.txt\n");
    assert_eq!(
        e2e.read(&alice, "archive/copy.txt").await.as_ref(),
        b"hello, version one\n"
    );
    cli.run(&["get", "notes/copy.txt"])
        .await
        .fails(1, "no such file: notes/copy.txt");
    cli.run(&["mv", "nothing.txt", "x.txt"])
        .await
        .fails(1, "no such file: nothing.txt");

    // rm, the trash, restore (undelete).
    let out = cli.run(&["rm", "notes/hello.txt"]).await.ok();
    assert_eq!(
        out.stdout,
        "deleted notes/hello.txt (restore it with: homedir restore notes/hello.txt)\n"
    );
    cli.run(&["get", "notes/hello.txt", "-"])
        .await
        .fails(1, "no such file: notes/hello.txt");
    cli.run(&["rm", "notes/hello.txt"])
        .await
        .fails(1, "no such file: notes/hello.txt");
    cli.run(&["rm", "--force", "notes/hello.txt"]).await.ok();
    let trash = cli.run(&["ls", "--deleted"]).await.ok().stdout;
    assert!(
        trash.contains("notes/hello.txt") && trash.contains("deleted "),
        "{trash}"
    );
    let all = cli.run(&["ls", "--versions", "notes/"]).await.ok().stdout;
    assert!(
        all.lines().next().unwrap_or("").contains("deleted"),
        "{all}"
    );
    cli.run(&["restore", "notes/hello.txt"]).await.ok();
    assert_eq!(
        e2e.read(&alice, "notes/hello.txt").await.as_ref(),
        b"hello, version one\n"
    );
    let trash = cli.run(&["ls", "--deleted"]).await.ok().stdout;
    assert!(!trash.contains("notes/hello.txt"), "undeleted: {trash}");
    assert!(
        trash.contains("notes/copy.txt"),
        "the source of the move: {trash}"
    );

    // rm -r of a folder; rm of a folder without -r is a usage error.
    cli.run(&["rm", "archive/"])
        .await
        .fails(64, "archive/ is a folder: use homedir rm -r archive/");
    let out = cli.run(&["rm", "-r", "archive"]).await.ok();
    assert_eq!(
        out.stdout,
        "deleted 1 file under archive/ (see homedir ls --deleted archive/)\n"
    );
    cli.run(&["ls", "archive/"])
        .await
        .fails(1, "no such file or folder: archive/");
    cli.run(&["rm", "-r", "archive/"])
        .await
        .fails(1, "no such file: archive/");

    // Refusals of the API come back in its words, with their own exit code.
    let out = cli.run(&["get", "a//b"]).await;
    assert_eq!(out.code, 6, "{out:?}");
    assert!(!out.stderr.contains('{'), "no raw JSON: {out:?}");
    cli.run(&["restore", "top.txt"])
        .await
        .fails(1, "top.txt has no earlier version to restore");
    cli.run(&["versions", "never.txt"])
        .await
        .fails(1, "no such file: never.txt");

    e2e.clean_up(&[&alice]).await;
}

#[tokio::test]
async fn a_40_mib_file_goes_up_in_parallel_parts_resumes_after_an_interruption_and_comes_back_whole()
 {
    let e2e = E2e::start().await;
    let alice = e2e.user().await;
    let cli = Cli::signed_in(&e2e, &alice).await;
    let local = e2e.target == Target::Local;

    let mut data = vec![0u8; LARGE];
    rand::rngs::StdRng::seed_from_u64(11).fill(&mut data[..]);
    let big = cli.file("big.bin", &data);
    let big = big.display().to_string();

    // A put interrupted after two of its five parts (the test hook stops it as
    // Ctrl-C would: the upload stays open and remembered).
    let before = if local { upload_parts(&e2e).await } else { 0 };
    let started = Instant::now();
    let out = cli
        .run_with(
            &["put", &big, "videos/big.bin"],
            None,
            &[("HOMEDIR_TEST_STOP_AFTER_PARTS", "2")],
        )
        .await;
    assert_eq!(out.code, 130, "{out:?}");
    assert!(
        out.stderr.contains("run the same put again to resume"),
        "{out:?}"
    );
    let first = if local {
        upload_parts(&e2e).await - before
    } else {
        2
    };
    assert_eq!(first, 2, "UploadPart calls of the interrupted run");
    // Nothing is visible before the upload completes.
    cli.run(&["ls", "videos"])
        .await
        .fails(1, "no such file or folder: videos");

    // The same put again resumes: only the three missing parts travel.
    let out = cli.run(&["put", &big, "videos/big.bin"]).await.ok();
    let second = if local {
        upload_parts(&e2e).await - before - first
    } else {
        3
    };
    eprintln!("interrupted + resumed 40 MiB put: {:?}", started.elapsed());
    assert!(
        out.stderr.contains(&format!(
            "resuming an earlier upload of videos/big.bin: 2 of {LARGE_PARTS} parts already uploaded"
        )),
        "{out:?}"
    );
    assert_eq!(
        second,
        LARGE_PARTS - 2,
        "UploadPart calls of the resumed run"
    );
    assert!(
        out.stderr
            .contains("uploading videos/big.bin: 24.0 MiB in "),
        "a plain progress summary on a pipe: {out:?}"
    );
    assert_eq!(
        out.stdout,
        format!("uploaded {big} to videos/big.bin (40.0 MiB)\n")
    );

    // A fresh put of the whole file, parts in parallel.
    let started = Instant::now();
    let out = cli.run(&["put", &big, "videos/again.bin"]).await.ok();
    eprintln!("40 MiB put: {:?}", started.elapsed());
    assert!(
        out.stderr
            .contains("uploading videos/again.bin: 40.0 MiB in "),
        "{out:?}"
    );
    assert!(!out.stderr.contains("resuming"), "{out:?}");
    let listed = cli.run(&["ls", "videos/"]).await.ok().stdout;
    assert_eq!(
        listed,
        format!(
            "{:>10}  again.bin\n{:>10}  big.bin\n",
            "40.0 MiB", "40.0 MiB"
        )
    );

    // Back through the 307 to S3 (without the token), whole.
    for key in ["videos/big.bin", "videos/again.bin"] {
        let started = Instant::now();
        let out = cli.run(&["get", key, "back.bin"]).await.ok();
        eprintln!("40 MiB get: {:?}", started.elapsed());
        assert!(
            out.stderr
                .contains(&format!("downloading {key}: 40.0 MiB in ")),
            "{out:?}"
        );
        let back = std::fs::read(cli.work.join("back.bin")).expect("the download");
        assert_eq!(back.len(), LARGE);
        assert_eq!(sha256(&back), sha256(&data), "{key} came back whole");
    }
    let listed: Vec<String> = std::fs::read_dir(&cli.work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        listed.iter().all(|n| !n.starts_with('.')),
        "no temporary download file left: {listed:?}"
    );

    // -q: no progress at all.
    let out = cli
        .run(&["-q", "get", "videos/big.bin", &cli.path("quiet.bin")])
        .await
        .ok();
    assert_eq!(out.stderr, "");

    e2e.clean_up(&[&alice]).await;
}

#[tokio::test]
async fn bob_s_client_cannot_see_alice_s_files() {
    let e2e = E2e::start().await;
    let alice = e2e.user().await;
    let bob = e2e.user().await;
    let alice_cli = Cli::signed_in(&e2e, &alice).await;
    let bob_cli = Cli::signed_in(&e2e, &bob).await;

    alice_cli.file("secret.txt", b"alice's secret");
    alice_cli
        .run(&["put", "secret.txt", "private/secret.txt"])
        .await
        .ok();
    alice_cli.run(&["rm", "private/secret.txt"]).await.ok();
    alice_cli.run(&["restore", "private/secret.txt"]).await.ok();

    assert_eq!(bob_cli.run(&["ls"]).await.ok().stdout, "");
    bob_cli
        .run(&["ls", "private"])
        .await
        .fails(1, "no such file or folder: private");
    assert_eq!(bob_cli.run(&["ls", "--deleted"]).await.ok().stdout, "");
    assert_eq!(bob_cli.run(&["ls", "--versions"]).await.ok().stdout, "");
    bob_cli
        .run(&["get", "private/secret.txt", "-"])
        .await
        .fails(1, "no such file: private/secret.txt");
    bob_cli
        .run(&["versions", "private/secret.txt"])
        .await
        .fails(1, "no such file: private/secret.txt");
    bob_cli
        .run(&["cp", "private/secret.txt", "mine.txt"])
        .await
        .fails(1, "no such file: private/secret.txt");
    // Keys cannot climb out of the home.
    let out = bob_cli.run(&["get", "../secret.txt"]).await;
    assert_eq!(out.code, 6, "{out:?}");
    assert_eq!(
        alice_cli
            .run(&["get", "private/secret.txt", "-"])
            .await
            .ok()
            .stdout,
        "alice's secret"
    );

    e2e.clean_up(&[&alice, &bob]).await;
}

/// `homedir config --local` with the stack's env file, as against `make dev`; then no
/// environment variable is needed. Without either, the client says how to configure.
#[tokio::test]
async fn config_local_reads_the_stack_env_file_and_the_environment_overrides_it() {
    let e2e = E2e::start().await;
    if e2e.target != Target::Local {
        return;
    }
    let alice = e2e.user().await;
    let mut cli = Cli::new(&e2e);
    cli.env.clear();
    let out = cli.run(&["ls"]).await;
    assert_eq!(out.code, 3, "{out:?}");
    assert!(out.stderr.contains("homedir config --local"), "{out:?}");

    let url = std::env::var("HOMEDIR_E2E_URL").expect("HOMEDIR_E2E_URL");
    let port = url
        .strip_prefix("http://127.0.0.1:")
        .and_then(|rest| rest.split('/').next())
        .expect("a local URL");
    let env_file = std::env::var("HOMEDIR_STACK_ENV").expect("HOMEDIR_STACK_ENV");
    let out = cli
        .run(&["config", "--local", &env_file, "--port", port])
        .await
        .ok();
    assert!(
        out.stdout.contains(&format!("api          {url}")),
        "{out:?}"
    );
    assert_eq!(mode(&cli.config.join("config.json")), 0o600);
    cli.run_with(
        &["login", "--email", &alice.email, "--password-stdin"],
        Some(&alice.password),
        &[],
    )
    .await
    .ok();
    let shown = cli.run(&["config"]).await.ok().stdout;
    assert!(
        shown.ends_with(&format!("signed in as {}\n", alice.email)),
        "{shown}"
    );
    cli.file("a.txt", b"a");
    cli.run(&["put", "a.txt"]).await.ok();
    assert_eq!(
        cli.run(&["ls"]).await.ok().stdout,
        format!("{:>10}  a.txt\n", "1 B")
    );

    // An environment variable overrides the saved setting.
    let out = cli
        .run_with(
            &["ls"],
            None,
            &[("HOMEDIR_API_URL", "http://127.0.0.1:1/lambda-url/{route}/")],
        )
        .await;
    assert_eq!(out.code, 7, "unreachable: {out:?}");
    assert!(
        out.stderr.starts_with("homedir: cannot reach the API"),
        "{out:?}"
    );

    e2e.clean_up(&[&alice]).await;
}

/// With Cognito out of reach, `logout` still deletes the tokens, and says that the
/// refresh token could not be revoked (it stays valid until it expires): exit 7.
#[tokio::test]
async fn logout_deletes_the_tokens_even_when_cognito_cannot_revoke_them() {
    let e2e = E2e::start().await;
    let alice = e2e.user().await;
    let cli = Cli::signed_in(&e2e, &alice).await;
    let refresh = cli.tokens().expect("saved tokens")["refresh_token"]
        .as_str()
        .expect("a refresh token")
        .to_owned();

    let unreachable = format!("http://127.0.0.1:{}", closed_port());
    let out = cli
        .run_with(
            &["logout"],
            None,
            &[("HOMEDIR_COGNITO_ENDPOINT", unreachable.as_str())],
        )
        .await;
    assert_eq!(out.code, 7, "{out:?}");
    assert_eq!(out.stdout, "", "{out:?}");
    assert!(
        out.stderr.starts_with(
            "homedir: the saved tokens are deleted, but the refresh token could not be revoked"
        ) && out
            .stderr
            .contains(&format!("cannot reach Cognito at {unreachable}"))
            && out
                .stderr
                .contains("it stays valid at Cognito until it expires"),
        "{out:?}"
    );
    assert!(
        !cli.config.join("tokens.json").exists(),
        "the tokens are gone"
    );
    // As it says: Cognito never heard of the logout.
    assert_eq!(
        refresh_refused(&e2e, &refresh).await,
        None,
        "the refresh token was not revoked"
    );
    cli.run(&["ls"])
        .await
        .fails(2, "signed out; run homedir login");

    e2e.clean_up(&[&alice]).await;
}

/// A plain `http://` URL to another machine is refused before anything is sent: the
/// ID token (and a password, to Cognito) would cross the network in the clear. The
/// emulator is the test's own, so its empty call log shows that nothing left, not
/// even the renewal of the expired ID token each command would otherwise start with.
#[tokio::test]
async fn a_plain_http_url_to_another_machine_is_refused_before_anything_is_sent() {
    let e2e = E2e::start().await;
    let Some(own) = Own::start(&e2e, false, "counting the calls that leave").await else {
        return;
    };
    let (user, cli) = own.user().await;
    let mut tokens = cli.tokens().expect("saved tokens");
    tokens["expires_at"] = serde_json::json!(0);
    cli.set_tokens(&tokens);
    emulator::reset_calls(own.stack()).await;

    let api = [("HOMEDIR_API_URL", "http://example.com/{route}")];
    for (args, stdin) in [
        (vec!["ls"], None),
        (vec!["get", "a.txt", "-"], None),
        (vec!["put", "a.txt"], None),
        (
            vec!["login", "--email", user.email.as_str(), "--password-stdin"],
            Some(PASSWORD),
        ),
    ] {
        cli.file("a.txt", b"a");
        let out = cli.run_with(&args, stdin, &api).await;
        assert_eq!(out.code, 3, "{args:?}: {out:?}");
        assert!(
            out.stderr.starts_with(
                "homedir: the API URL http://example.com/{route} is plain http:// to another machine"
            ) && out.stderr.contains("HOMEDIR_API_URL"),
            "{args:?}: {out:?}"
        );
    }
    let cognito = [(
        "HOMEDIR_COGNITO_ENDPOINT",
        "http://cognito.example.com:4566",
    )];
    let out = cli
        .run_with(
            &["login", "--email", &user.email, "--password-stdin"],
            Some(PASSWORD),
            &cognito,
        )
        .await;
    assert_eq!(out.code, 3, "{out:?}");
    assert!(
        out.stderr.contains("HOMEDIR_COGNITO_ENDPOINT") && out.stderr.contains("plain http://"),
        "{out:?}"
    );

    assert_eq!(
        emulator::calls(own.stack()).await,
        Vec::new(),
        "no request left the client"
    );
    assert_eq!(cli.tokens(), Some(tokens), "the saved tokens are untouched");
}

/// `rm` of a missing file writes nothing (`If-Match: *`): exit 1 "no such file", or 0
/// with `--force`, and either way its history stays empty, with no delete marker; a
/// deleted file deleted again gets no second marker; a folder's name suggests `rm -r`.
#[tokio::test]
async fn rm_of_a_missing_file_writes_nothing_and_a_folder_s_name_suggests_rm_r() {
    let e2e = E2e::start().await;
    let alice = e2e.user().await;
    let cli = Cli::signed_in(&e2e, &alice).await;

    cli.run(&["rm", "missing.txt"])
        .await
        .fails(1, "no such file: missing.txt");
    let out = cli.run(&["rm", "--force", "missing.txt"]).await.ok();
    assert_eq!(out.stdout, "no such file: missing.txt (nothing deleted)\n");
    assert_eq!(out.stderr, "");
    assert_eq!(
        history(&e2e, &alice, "missing.txt").await,
        Vec::<serde_json::Value>::new(),
        "no delete marker"
    );
    cli.run(&["versions", "missing.txt"])
        .await
        .fails(1, "no such file: missing.txt");
    assert_eq!(cli.run(&["ls", "--deleted"]).await.ok().stdout, "");

    cli.file("gone.txt", b"soon gone");
    cli.run(&["put", "gone.txt"]).await.ok();
    cli.run(&["rm", "gone.txt"]).await.ok();
    cli.run(&["rm", "gone.txt"])
        .await
        .fails(1, "no such file: gone.txt");
    cli.run(&["rm", "-f", "gone.txt"]).await.ok();
    let versions = history(&e2e, &alice, "gone.txt").await;
    let markers = versions.iter().filter(|v| v["deleted"] == true).count();
    assert_eq!(
        (versions.len(), markers),
        (2, 1),
        "one version and one delete marker: {versions:?}"
    );

    cli.file("a.txt", b"a");
    cli.run(&["put", "a.txt", "notes/"]).await.ok();
    cli.run(&["rm", "notes"])
        .await
        .fails(64, "notes is a folder: use homedir rm -r notes/");
    cli.run(&["rm", "notes/"])
        .await
        .fails(64, "notes/ is a folder: use homedir rm -r notes/");
    cli.run(&["rm", "--force", "notes"])
        .await
        .fails(64, "notes is a folder: use homedir rm -r notes/");
    assert_eq!(e2e.read(&alice, "notes/a.txt").await.as_ref(), b"a");
    assert_eq!(history(&e2e, &alice, "notes").await.len(), 0);

    e2e.clean_up(&[&alice]).await;
}

/// `put --if-absent` of a large file onto an existing key asks first: exit 4, and not
/// a byte leaves (no CreateMultipartUpload, no UploadPart in the emulator's log).
#[tokio::test]
async fn put_if_absent_of_a_large_file_onto_an_existing_key_sends_nothing() {
    let e2e = E2e::start().await;
    let Some(own) = Own::start(&e2e, true, "counting UploadPart calls").await else {
        return;
    };
    let (_user, cli) = own.user().await;
    cli.file("small.txt", b"already here");
    cli.run(&["put", "small.txt", "big.bin"]).await.ok();
    let big = cli.file("big.bin", &noise(MEDIUM, 6));
    let big = big.display().to_string();

    emulator::reset_calls(own.stack()).await;
    cli.run(&["put", "--if-absent", &big, "big.bin"])
        .await
        .fails(4, "big.bin already exists (--if-absent): nothing was sent");
    let operations: Vec<String> = emulator::calls(own.stack())
        .await
        .into_iter()
        .map(|c| c.operation)
        .collect();
    assert!(
        !operations
            .iter()
            .any(|o| o == "UploadPart" || o == "CreateMultipartUpload"),
        "nothing of the file was sent: {operations:?}"
    );
    assert_eq!(cli.saved_uploads(), Vec::<serde_json::Value>::new());
    assert_eq!(
        cli.run(&["get", "big.bin", "-"]).await.ok().stdout,
        "already here"
    );

    // Onto a free key, the same command uploads.
    let out = cli
        .run(&["put", "--if-absent", &big, "fresh.bin"])
        .await
        .ok();
    assert_eq!(
        out.stdout,
        format!("uploaded {big} to fresh.bin (20.0 MiB)\n")
    );
    assert_eq!(own.calls("UploadPart").await, MEDIUM_PARTS);
}

/// A completion that outlasts the API's wait (COMPLETE_WAIT_SECS, 10 s): the API
/// answers 202 and `put` asks again until it is done. The emulator holds the first
/// CompleteMultipartUpload for 14 s. The file is stored once, no part is sent twice.
#[tokio::test]
async fn a_completion_that_outlasts_the_api_s_wait_is_waited_for_and_stores_the_file_once() {
    let e2e = E2e::start().await;
    let Some(own) = Own::start(&e2e, true, "a fault in the completion").await else {
        return;
    };
    let (_user, cli) = own.user().await;
    let data = noise(MEDIUM, 7);
    let big = cli.file("big.bin", &data).display().to_string();

    emulator::reset_calls(own.stack()).await;
    emulator::inject(
        own.stack(),
        "CompleteMultipartUpload",
        Fault::Delay(Duration::from_secs(14)),
        Some(1),
    )
    .await;
    let started = Instant::now();
    let out = cli.run(&["put", &big, "videos/big.bin"]).await.ok();
    let took = started.elapsed();
    eprintln!("20 MiB put with a 14 s completion: {took:?}");
    assert!(took >= Duration::from_secs(10), "{took:?}");
    assert!(
        out.stderr
            .contains("S3 is assembling videos/big.bin from its parts; waiting…"),
        "{out:?}"
    );
    assert_eq!(
        out.stdout,
        format!("uploaded {big} to videos/big.bin (20.0 MiB)\n")
    );
    assert_eq!(own.calls("UploadPart").await, MEDIUM_PARTS, "no part twice");
    assert_eq!(own.calls("CreateMultipartUpload").await, 1);
    assert!(
        own.calls("CompleteMultipartUpload").await >= 2,
        "the completion was asked for again"
    );
    assert_eq!(cli.saved_uploads(), Vec::<serde_json::Value>::new());

    let versions = cli.run(&["versions", "videos/big.bin"]).await.ok().stdout;
    assert_eq!(versions.lines().count(), 1, "stored once: {versions}");
    assert!(versions.trim_end().ends_with("current"), "{versions}");
    cli.run(&["-q", "get", "videos/big.bin", "back.bin"])
        .await
        .ok();
    let back = std::fs::read(cli.work.join("back.bin")).expect("the download");
    assert_eq!(sha256(&back), sha256(&data), "whole");
}

/// Once every part is sent, a second `put` of the same file sends no part again: after
/// a run stopped right after its last part (the parts found with the API's resume
/// route), and after a run interrupted while S3 assembled the file (the parts' ETags
/// kept in uploads.json: the completion alone is repeated, nothing is even listed).
#[tokio::test]
async fn a_put_whose_parts_were_all_sent_only_completes_when_run_again() {
    let e2e = E2e::start().await;
    let Some(own) = Own::start(&e2e, true, "counting UploadPart calls").await else {
        return;
    };
    let (_user, cli) = own.user().await;

    // Stopped after all three parts, before the completion.
    let data = noise(MEDIUM, 8);
    let one = cli.file("one.bin", &data).display().to_string();
    emulator::reset_calls(own.stack()).await;
    let out = cli
        .run_with(
            &["put", &one, "videos/one.bin"],
            None,
            &[("HOMEDIR_TEST_STOP_AFTER_PARTS", "3")],
        )
        .await;
    assert_eq!(out.code, 130, "{out:?}");
    assert!(
        out.stderr.contains("run the same put again to resume"),
        "{out:?}"
    );
    assert_eq!(own.calls("UploadPart").await, MEDIUM_PARTS);
    assert_eq!(own.calls("CompleteMultipartUpload").await, 0);
    cli.run(&["ls", "videos"])
        .await
        .fails(1, "no such file or folder: videos");

    let out = cli.run(&["put", &one, "videos/one.bin"]).await.ok();
    assert!(
        out.stderr.contains(&format!(
            "resuming an earlier upload of videos/one.bin: {MEDIUM_PARTS} of {MEDIUM_PARTS} parts already uploaded"
        )),
        "{out:?}"
    );
    assert_eq!(
        out.stdout,
        format!("uploaded {one} to videos/one.bin (20.0 MiB)\n")
    );
    assert_eq!(own.calls("UploadPart").await, MEDIUM_PARTS, "no part again");
    assert_eq!(own.calls("CompleteMultipartUpload").await, 1);
    assert_eq!(
        cli.run(&["versions", "videos/one.bin"])
            .await
            .ok()
            .stdout
            .lines()
            .count(),
        1
    );

    // Interrupted (Ctrl-C) while S3 assembles the file: the completion outlasts the
    // API's wait, the client waits on the 202.
    let data = noise(MEDIUM, 9);
    let two = cli.file("two.bin", &data).display().to_string();
    emulator::reset_calls(own.stack()).await;
    emulator::inject(
        own.stack(),
        "CompleteMultipartUpload",
        Fault::Delay(Duration::from_secs(14)),
        Some(1),
    )
    .await;
    let mut run = cli.start(&["put", &two, "videos/two.bin"], &[]);
    run.stderr_line("S3 is assembling videos/two.bin from its parts; waiting")
        .await;
    run.interrupt();
    let out = run.finish().await;
    assert_eq!(out.code, 130, "{out:?}");
    assert!(
        out.stderr
            .ends_with("homedir: interrupted; run the same put again to resume\n"),
        "{out:?}"
    );
    let saved = cli.saved_uploads();
    assert_eq!(saved.len(), 1, "{saved:?}");
    assert_eq!(
        saved[0]["parts"].as_array().map(Vec::len),
        Some(MEDIUM_PARTS),
        "the parts' ETags are kept: {saved:?}"
    );
    assert_eq!(own.calls("UploadPart").await, MEDIUM_PARTS);

    let out = cli.run(&["put", &two, "videos/two.bin"]).await.ok();
    assert!(
        out.stderr
            .contains("every part of videos/two.bin was sent earlier: completing the upload")
            && !out.stderr.contains("resuming"),
        "{out:?}"
    );
    assert_eq!(
        out.stdout,
        format!("uploaded {two} to videos/two.bin (20.0 MiB)\n")
    );
    assert_eq!(own.calls("UploadPart").await, MEDIUM_PARTS, "no part again");
    assert_eq!(own.calls("ListParts").await, 0, "not even listed");
    assert_eq!(own.calls("CreateMultipartUpload").await, 1);
    assert_eq!(cli.saved_uploads(), Vec::<serde_json::Value>::new());
    let versions = cli.run(&["versions", "videos/two.bin"]).await.ok().stdout;
    assert_eq!(versions.lines().count(), 1, "stored once: {versions}");
    cli.run(&["-q", "get", "videos/two.bin", "back.bin"])
        .await
        .ok();
    let back = std::fs::read(cli.work.join("back.bin")).expect("the download");
    assert_eq!(sha256(&back), sha256(&data), "whole");
}

/// `restore -r F/` after `rm -r F/` of 30 files brings every one back with its bytes,
/// except a file written again since the deletion: left alone, and said so.
#[tokio::test]
async fn restore_r_brings_a_deleted_folder_back_and_leaves_a_file_written_since_alone() {
    let e2e = E2e::start().await;
    let alice = e2e.user().await;
    let cli = Cli::signed_in(&e2e, &alice).await;
    let key = |i: usize| format!("album/photo-{i:02}.txt");
    let body = |i: usize| format!("photo {i}\n");
    for i in 0..30 {
        e2e.put("write-file", &[("key", &key(i))], body(i))
            .token(&alice.id_token)
            .send()
            .await
            .expect(200, None);
    }

    let out = cli.run(&["rm", "-r", "album/"]).await.ok();
    assert_eq!(
        out.stdout,
        "deleted 30 files under album/ (see homedir ls --deleted album/)\n"
    );
    cli.run(&["ls", "album/"])
        .await
        .fails(1, "no such file or folder: album/");
    assert_eq!(
        cli.run(&["ls", "--deleted", "album/"])
            .await
            .ok()
            .stdout
            .lines()
            .count(),
        30
    );
    cli.file("photo-07.txt", b"a new photo 7\n");
    cli.run(&["put", "photo-07.txt", "album/"]).await.ok();

    // Written again, it is no longer in the trash: the API restores the 29 others and
    // does not count it (only a file written while the restore runs is "skipped": see
    // restore_r_says_which_files_it_left_because_they_were_written_while_it_ran).
    let out = cli.run(&["restore", "-r", "album/"]).await.ok();
    assert_eq!(out.stdout, "restored 29 files under album/\n");
    for i in 0..30 {
        let expected = if i == 7 {
            "a new photo 7\n".to_owned()
        } else {
            body(i)
        };
        assert_eq!(
            e2e.read(&alice, &key(i)).await.as_ref(),
            expected.as_bytes(),
            "{}",
            key(i)
        );
    }
    assert_eq!(
        history(&e2e, &alice, &key(7)).await.len(),
        3,
        "written, deleted, written again: not restored over"
    );
    assert_eq!(
        cli.run(&["ls", "album/"]).await.ok().stdout.lines().count(),
        30
    );
    assert_eq!(
        cli.run(&["ls", "--deleted", "album/"]).await.ok().stdout,
        ""
    );
    let out = cli.run(&["restore", "-r", "album/"]).await;
    assert_eq!(out.code, 1, "nothing left to restore: {out:?}");

    e2e.clean_up(&[&alice]).await;
}

/// Names that would pass for others: a zero-width space, a trailing space. Stored as
/// given, shown quoted with `\u{…}` escapes; a bidirectional control is refused by the
/// API.
#[tokio::test]
async fn names_with_invisible_characters_are_shown_escaped_and_bidi_controls_refused() {
    let e2e = E2e::start().await;
    let alice = e2e.user().await;
    let cli = Cli::signed_in(&e2e, &alice).await;
    let a = cli.file("a.txt", b"a").display().to_string();

    let zero_width = "names/zero\u{200b}width.txt";
    let out = cli.run(&["put", &a, zero_width]).await.ok();
    assert_eq!(
        out.stdout,
        format!("uploaded {a} to \"names/zero\\u{{200b}}width.txt\" (1 B)\n")
    );
    cli.run(&["put", &a, "names/padded "]).await.ok();
    cli.run(&["put", &a, "names/plain.txt"]).await.ok();
    assert_eq!(
        cli.run(&["ls", "names"]).await.ok().stdout,
        format!(
            "{:>10}  \"padded \"\n{:>10}  plain.txt\n{:>10}  \"zero\\u{{200b}}width.txt\"\n",
            "1 B", "1 B", "1 B"
        )
    );
    let mut keys = e2e.all_keys(&alice, "names/").await;
    keys.sort();
    assert_eq!(
        keys,
        ["names/padded ", "names/plain.txt", zero_width],
        "stored as given"
    );
    assert_eq!(cli.run(&["get", zero_width, "-"]).await.ok().stdout, "a");
    cli.run(&["get", "names/zero\u{200b}width.txt\u{200b}", "-"])
        .await
        .fails(1, "no such file: \"names/zero\\u{200b}width.txt\\u{200b}\"");

    let out = cli.run(&["put", &a, "names/invoice\u{202e}fdp.exe"]).await;
    assert_eq!(out.code, 6, "{out:?}");
    assert!(
        out.stderr.starts_with("homedir: ") && out.stderr.contains("bidirectional"),
        "{out:?}"
    );
    assert_eq!(e2e.all_keys(&alice, "names/").await.len(), 3);

    e2e.clean_up(&[&alice]).await;
}

/// Rough edges a new user hit: `ls FILE` shows the file, `ls` of nothing says so;
/// `get` of a folder, into a directory that does not exist, over an existing file
/// with `--no-clobber` (kept) and without (replaced); `get --help` says which. And the
/// API tells an access token sent in place of the ID token for what it is.
#[tokio::test]
async fn ls_and_get_say_what_a_path_is_and_no_clobber_keeps_a_local_file() {
    let e2e = E2e::start().await;
    let alice = e2e.user().await;
    let cli = Cli::signed_in(&e2e, &alice).await;
    cli.file("top.txt", b"top");
    cli.run(&["put", "top.txt"]).await.ok();
    cli.file("hello.txt", b"hello\n");
    cli.run(&["put", "hello.txt", "notes/"]).await.ok();

    assert_eq!(
        cli.run(&["ls", "top.txt"]).await.ok().stdout,
        format!("{:>10}  top.txt\n", "3 B")
    );
    assert_eq!(
        cli.run(&["ls", "notes/hello.txt"]).await.ok().stdout,
        format!("{:>10}  notes/hello.txt\n", "6 B")
    );
    let long = cli.run(&["ls", "-l", "top.txt"]).await.ok().stdout;
    assert!(
        long.ends_with("  top.txt\n") && long.contains('"'),
        "{long}"
    );
    cli.run(&["ls", "nosuch"])
        .await
        .fails(1, "no such file or folder: nosuch");
    cli.run(&["ls", "nosuch/"])
        .await
        .fails(1, "no such file or folder: nosuch/");
    cli.run(&["ls", "top.txt/"])
        .await
        .fails(1, "no such file or folder: top.txt/");

    cli.run(&["get", "notes/"])
        .await
        .fails(64, "notes/ is a folder: list it with homedir ls notes/");
    cli.run(&["get", "notes"])
        .await
        .fails(64, "notes is a folder: list it with homedir ls notes/");
    cli.run(&["get", "top.txt", "out/"]).await.fails(
        64,
        "no directory out/: create it first, or give a file name",
    );
    cli.run(&["get", "top.txt", "out/top.txt"])
        .await
        .fails(64, "no directory out to write out/top.txt into");
    assert!(!cli.work.join("out").exists());

    cli.file("mine.txt", b"my own");
    for flag in ["--no-clobber", "-n"] {
        cli.run(&["get", flag, "top.txt", "mine.txt"])
            .await
            .fails(4, "mine.txt exists (--no-clobber): nothing downloaded");
        assert_eq!(std::fs::read(cli.work.join("mine.txt")).unwrap(), b"my own");
    }
    let out = cli.run(&["get", "top.txt", "mine.txt"]).await.ok();
    assert_eq!(out.stdout, "downloaded top.txt to mine.txt (3 B)\n");
    assert_eq!(std::fs::read(cli.work.join("mine.txt")).unwrap(), b"top");
    std::fs::create_dir(cli.work.join("into")).unwrap();
    cli.run(&["get", "notes/hello.txt", "into"]).await.ok();
    assert_eq!(
        std::fs::read(cli.work.join("into/hello.txt")).unwrap(),
        b"hello\n"
    );
    let leftovers: Vec<String> = std::fs::read_dir(&cli.work)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert_eq!(leftovers, Vec::<String>::new(), "no temporary file left");

    let help = cli.run(&["get", "--help"]).await.ok().stdout;
    assert!(
        help.contains("--no-clobber") && help.contains("replaced"),
        "{help}"
    );

    // An access token where the ID token belongs: the API says which token it wants.
    let access = cli.tokens().expect("saved tokens")["access_token"]
        .as_str()
        .expect("the access token of the sign-in")
        .to_owned();
    let reply = e2e.get("list", &[]).token(&access).send().await;
    reply.assert_unauthorized("invalid_token", "an access token");
    if e2e.target == Target::Local {
        let message = reply.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        // The API has "this is not an ID token (an access token?)" for a token whose
        // token_use is not id, but a Cognito access token has no `aud` claim, so it is
        // refused first as a token missing a required claim, in general words.
        assert!(message.contains("ID token"), "{message}");
    }

    e2e.clean_up(&[&alice]).await;
}

/// A saved local configuration the restarted stack no longer knows: `homedir config`
/// (where `.local/stack.env` names another app client) calls it stale, and a command
/// that reaches Cognito with the unknown client says to run `config --local` again.
#[tokio::test]
async fn a_stale_local_configuration_is_called_stale_and_cognito_s_refusal_says_what_to_do() {
    let e2e = E2e::start().await;
    if e2e.target != Target::Local {
        eprintln!("NOT CHECKED on this target: a local configuration needs the local stack");
        return;
    }
    let alice = e2e.user().await;
    let mut cli = Cli::new(&e2e);
    cli.env.clear();
    let url = std::env::var("HOMEDIR_E2E_URL").expect("HOMEDIR_E2E_URL");
    let port = url
        .strip_prefix("http://127.0.0.1:")
        .and_then(|rest| rest.split('/').next())
        .expect("a local URL");
    let stack_env =
        std::fs::read_to_string(std::env::var("HOMEDIR_STACK_ENV").expect("HOMEDIR_STACK_ENV"))
            .expect("the stack's settings");
    std::fs::create_dir_all(cli.work.join(".local")).unwrap();
    let local_env = cli.work.join(".local/stack.env");
    std::fs::write(&local_env, &stack_env).unwrap();

    cli.run(&["config", "--local", "--port", port]).await.ok();
    let cli = cli.login(&alice.email, &alice.password).await;
    let shown = cli.run(&["config"]).await.ok().stdout;
    assert!(
        shown.ends_with(&format!("signed in as {}\n", alice.email)),
        "{shown}"
    );

    // The stack restarted: its env file names another app client.
    let client = e2e.stack.var("USER_POOL_CLIENT_ID");
    let restarted = stack_env.replace(client, "madeupclientid0123456789ab");
    assert_ne!(restarted, stack_env);
    std::fs::write(&local_env, &restarted).unwrap();
    let shown = cli.run(&["config"]).await.ok().stdout;
    assert!(
        shown.ends_with(
            "stale: the local stack was started afresh and has a new app client; run homedir config --local again\n"
        ),
        "{shown}"
    );

    // A configuration with a client Cognito does not know: the command says what to do.
    let again = "the local stack no longer has this configuration's app client (was make dev \
                 started afresh?): run homedir config --local again, then homedir login";
    let stale = cli.work.join("old-stack.env");
    std::fs::write(&stale, &restarted).unwrap();
    cli.run(&["config", "--local", "old-stack.env", "--port", port])
        .await
        .ok();
    cli.run_with(
        &["login", "--email", &alice.email, "--password-stdin"],
        Some(&alice.password),
        &[],
    )
    .await
    .fails(3, again);
    // Tokens of that client, and an ID token the API refuses: the renewal reaches
    // Cognito with the unknown client.
    let mut tokens = serde_json::json!({
        "email": alice.email,
        "client_id": "madeupclientid0123456789ab",
        "id_token": "not-a-token",
        "access_token": "",
        "refresh_token": "a-refresh-token-of-the-old-stack",
        "expires_at": 0,
    });
    cli.set_tokens(&tokens);
    cli.run(&["ls"]).await.fails(3, again);
    tokens["expires_at"] = serde_json::json!(u64::MAX / 2);
    cli.set_tokens(&tokens);
    cli.run(&["ls"]).await.fails(3, again);

    e2e.clean_up(&[&alice]).await;
}

/// A file written again while `restore -r` runs is left as written, and the client
/// says so. The emulator holds the restore's copy (CopyObject, `If-None-Match: *`)
/// until the file has been written through the client.
#[tokio::test]
async fn restore_r_says_which_files_it_left_because_they_were_written_while_it_ran() {
    let e2e = E2e::start().await;
    let Some(own) = Own::start(&e2e, true, "a fault in the restore").await else {
        return;
    };
    let (_user, cli) = own.user().await;
    cli.file("old.txt", b"old");
    cli.run(&["put", "old.txt", "race/file.txt"]).await.ok();
    cli.run(&["rm", "-r", "race/"]).await.ok();

    emulator::inject(
        own.stack(),
        "CopyObject",
        Fault::Delay(Duration::from_secs(5)),
        Some(1),
    )
    .await;
    let copies = own.calls("CopyObject").await;
    let run = cli.start(&["restore", "-r", "race/"], &[]);
    let started = Instant::now();
    while own.calls("CopyObject").await == copies {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the restore never copied"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The restore's copy is held: the file is written meanwhile.
    cli.file("new.txt", b"new");
    cli.run(&["put", "new.txt", "race/file.txt"]).await.ok();

    let out = run.finish().await.ok();
    assert_eq!(
        out.stdout,
        "restored 0 files under race/\nleft 1 deleted file as it is (written again meanwhile, \
         or a name the API no longer accepts)\n"
    );
    assert_eq!(
        cli.run(&["get", "race/file.txt", "-"]).await.ok().stdout,
        "new"
    );
}

/// A fresh team name (`acme-3f2a…`): tests beside this one, or earlier runs against a
/// deployed stack, never share a team's space with it.
fn team_name(base: &str) -> String {
    format!(
        "{base}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

/// What an operator does to put `user` in `team` (AdminUpdateUserAttributes of
/// `custom:team`), then a sign-in of the harness's own: its next ID token carries the
/// team (the client gets its own with `homedir login`).
async fn join(e2e: &E2e, user: &mut Account, team: &str) {
    let idp = e2e.idp();
    idp.admin_update_user_attributes()
        .user_pool_id(e2e.stack.var("USER_POOL_ID"))
        .username(&user.email)
        .user_attributes(
            AttributeType::builder()
                .name("custom:team")
                .value(team)
                .build()
                .expect("attribute"),
        )
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "AdminUpdateUserAttributes custom:team: {}",
                DisplayErrorContext(&e)
            )
        });
    e2e.sign_in_again(user).await;
}

/// Deletes the files of `member`'s team space (they are the team's, not a user's:
/// `clean_up` of the members leaves them).
async fn clean_team(e2e: &E2e, member: &Account) {
    for key in e2e.all_keys_in(member, "team", "").await {
        e2e.delete("delete", &[("space", "team"), ("key", &key)])
            .token(&member.id_token)
            .send()
            .await
            .expect(204, None);
    }
}

/// The `whoami` of `cli`, signed in as `user`, in `team` (or none).
async fn assert_whoami(e2e: &E2e, cli: &Cli, user: &Account, team: Option<&str>) {
    let out = cli.run(&["whoami"]).await.ok();
    let identity_id = e2e.identity_id(user).await;
    let bucket = e2e.stack.bucket();
    let mut expected = format!(
        "email        {}\nidentity id  {identity_id}\nteam         {}\nhome         s3://{bucket}/{}/{identity_id}/\n",
        user.email,
        team.unwrap_or("(no team)"),
        home_prefix(e2e.stack),
    );
    if let Some(team) = team {
        expected.push_str(&format!(
            "team space   s3://{bucket}/{}\n",
            e2e.stack.team_root(team)
        ));
    }
    assert_eq!(out.stdout, expected);
}

/// Team spaces with the real client: Alice and Carol in one team, Bob in another, Dave
/// in none. `team:` paths reach the team's space for every command (put, ls, get,
/// versions, restore, cp and mv within it and across to and from the home, rm -r and
/// restore -r), whatever one member writes the other reads, Bob's `team:` is his own
/// team's, and Dave is told he belongs to no team (exit 5) with nothing read or
/// written. A home file named `team:x` is `home:team:x`.
#[tokio::test]
async fn team_paths_reach_the_team_s_space_and_only_members_of_that_team() {
    let e2e = E2e::start().await;
    let acme = team_name("acme");
    let globex = team_name("globex");
    let mut alice = e2e.user().await;
    let mut carol = e2e.user().await;
    let mut bob = e2e.user().await;
    let dave = e2e.user().await;
    join(&e2e, &mut alice, &acme).await;
    join(&e2e, &mut carol, &acme).await;
    join(&e2e, &mut bob, &globex).await;
    let alice_cli = Cli::signed_in(&e2e, &alice).await;
    let carol_cli = Cli::signed_in(&e2e, &carol).await;
    let bob_cli = Cli::signed_in(&e2e, &bob).await;
    let dave_cli = Cli::signed_in(&e2e, &dave).await;

    assert_whoami(&e2e, &alice_cli, &alice, Some(&acme)).await;
    assert_whoami(&e2e, &carol_cli, &carol, Some(&acme)).await;
    assert_whoami(&e2e, &bob_cli, &bob, Some(&globex)).await;
    assert_whoami(&e2e, &dave_cli, &dave, None).await;

    // Alice puts into the team's space; the paths printed carry team:.
    let report = alice_cli.file("report.pdf", b"%PDF report, version one");
    let report = report.display().to_string();
    let out = alice_cli.run(&["put", &report, "team:q3/"]).await.ok();
    assert_eq!(
        out.stdout,
        format!("uploaded {report} to team:q3/report.pdf (24 B)\n")
    );
    assert_eq!(
        alice_cli.run(&["ls", "team:"]).await.ok().stdout,
        format!("{:>10}  q3/\n", "-")
    );
    assert_eq!(
        alice_cli.run(&["ls"]).await.ok().stdout,
        "",
        "nothing in Alice's home"
    );
    assert_eq!(
        alice_cli
            .run(&["ls", "team:q3/report.pdf"])
            .await
            .ok()
            .stdout,
        format!("{:>10}  team:q3/report.pdf\n", "24 B")
    );

    // Carol, in the same team, sees and reads it, and writes it again.
    assert_eq!(
        carol_cli.run(&["ls", "team:q3"]).await.ok().stdout,
        format!("{:>10}  report.pdf\n", "24 B")
    );
    assert_eq!(
        carol_cli
            .run(&["get", "team:q3/report.pdf", "-"])
            .await
            .ok()
            .stdout,
        "%PDF report, version one"
    );
    let out = carol_cli.run(&["get", "team:q3/report.pdf"]).await.ok();
    assert_eq!(
        out.stdout,
        "downloaded team:q3/report.pdf to report.pdf (24 B)\n"
    );
    carol_cli.file("report.pdf", b"%PDF report, version two");
    carol_cli
        .run(&["put", "report.pdf", "team:q3/report.pdf"])
        .await
        .ok();
    carol_cli
        .run(&["put", "--if-absent", "report.pdf", "team:q3/"])
        .await
        .fails(4, "team:q3/report.pdf already exists (--if-absent)");

    // Versions and restore in the team's space: Alice undoes Carol's write.
    let versions = alice_cli
        .run(&["versions", "team:q3/report.pdf"])
        .await
        .ok()
        .stdout;
    assert_eq!(versions.lines().count(), 2, "{versions}");
    let out = alice_cli.run(&["restore", "team:q3/report.pdf"]).await.ok();
    assert!(
        out.stdout
            .starts_with("restored team:q3/report.pdf to version "),
        "{out:?}"
    );
    assert_eq!(
        carol_cli
            .run(&["get", "team:q3/report.pdf", "-"])
            .await
            .ok()
            .stdout,
        "%PDF report, version one"
    );

    // cp home -> team (team: alone is the top level: the name is kept), team -> home.
    alice_cli.file("notes.txt", b"alice's notes");
    alice_cli.run(&["put", "notes.txt"]).await.ok();
    let out = alice_cli.run(&["cp", "notes.txt", "team:"]).await.ok();
    assert_eq!(out.stdout, "copied notes.txt to team:notes.txt\n");
    let out = carol_cli
        .run(&["cp", "team:notes.txt", "mine.txt"])
        .await
        .ok();
    assert_eq!(out.stdout, "copied team:notes.txt to mine.txt\n");
    assert_eq!(
        carol_cli.run(&["get", "mine.txt", "-"]).await.ok().stdout,
        "alice's notes"
    );
    carol_cli
        .run(&["cp", "--if-absent", "mine.txt", "team:notes.txt"])
        .await
        .fails(4, "team:notes.txt already exists (--if-absent)");
    carol_cli
        .run(&["cp", "team:nothing.txt", "x.txt"])
        .await
        .fails(1, "no such file: team:nothing.txt");

    // mv within the team's space, team -> home, home -> team.
    let out = carol_cli
        .run(&["mv", "team:notes.txt", "team:old/"])
        .await
        .ok();
    assert_eq!(out.stdout, "moved team:notes.txt to team:old/notes.txt\n");
    let out = alice_cli
        .run(&["mv", "team:q3/report.pdf", "archive/"])
        .await
        .ok();
    assert_eq!(
        out.stdout,
        "moved team:q3/report.pdf to archive/report.pdf\n"
    );
    let out = alice_cli
        .run(&["mv", "archive/report.pdf", "team:old/"])
        .await
        .ok();
    assert_eq!(
        out.stdout,
        "moved archive/report.pdf to team:old/report.pdf\n"
    );
    assert_eq!(
        carol_cli.run(&["ls", "team:old/"]).await.ok().stdout,
        format!("{:>10}  notes.txt\n{:>10}  report.pdf\n", "13 B", "24 B")
    );
    carol_cli
        .run(&["get", "team:q3/report.pdf"])
        .await
        .fails(1, "no such file: team:q3/report.pdf");

    // rm and restore of one file; rm -r and restore -r of a folder; the trash and the
    // versions show team: paths.
    let out = carol_cli.run(&["rm", "team:old/notes.txt"]).await.ok();
    assert_eq!(
        out.stdout,
        "deleted team:old/notes.txt (restore it with: homedir restore team:old/notes.txt)\n"
    );
    carol_cli
        .run(&["rm", "team:old/notes.txt"])
        .await
        .fails(1, "no such file: team:old/notes.txt");
    let out = alice_cli.run(&["restore", "team:old/notes.txt"]).await.ok();
    assert!(
        out.stdout
            .starts_with("restored team:old/notes.txt to version "),
        "{out:?}"
    );
    carol_cli
        .run(&["rm", "team:old/"])
        .await
        .fails(64, "team:old/ is a folder: use homedir rm -r team:old/");
    let out = alice_cli.run(&["rm", "-r", "team:old/"]).await.ok();
    assert_eq!(
        out.stdout,
        "deleted 2 files under team:old/ (see homedir ls --deleted team:old/)\n"
    );
    carol_cli
        .run(&["ls", "team:old/"])
        .await
        .fails(1, "no such file or folder: team:old/");
    let trash = carol_cli
        .run(&["ls", "--deleted", "team:"])
        .await
        .ok()
        .stdout;
    let mut deleted: Vec<&str> = trash
        .lines()
        .map(|l| l.rsplit("  ").next().unwrap_or_default())
        .collect();
    deleted.sort_unstable();
    assert_eq!(
        deleted,
        [
            "team:notes.txt",
            "team:old/notes.txt",
            "team:old/report.pdf",
            "team:q3/report.pdf"
        ],
        "the folder's two files and the sources of the moves: {trash}"
    );
    assert_eq!(
        alice_cli
            .run(&["ls", "--deleted"])
            .await
            .ok()
            .stdout
            .lines()
            .count(),
        1,
        "Alice's home trash holds only what she moved out of it"
    );
    let out = carol_cli.run(&["restore", "-r", "team:old/"]).await.ok();
    assert_eq!(out.stdout, "restored 2 files under team:old/\n");
    assert_eq!(
        alice_cli
            .run(&["get", "team:old/report.pdf", "-"])
            .await
            .ok()
            .stdout,
        "%PDF report, version one"
    );
    let all = alice_cli
        .run(&["ls", "--versions", "team:old/"])
        .await
        .ok()
        .stdout;
    assert!(
        all.lines().all(|l| l.contains("  team:old/")) && all.lines().count() >= 4,
        "{all}"
    );
    alice_cli.run(&["rm", "-r", "team:"]).await.fails(
        64,
        "rm -r needs a folder; it does not delete the whole of the team's space",
    );

    // Bob's team: is globex's: none of acme's files, and his own are not acme's.
    assert_eq!(bob_cli.run(&["ls", "team:"]).await.ok().stdout, "");
    bob_cli.file("globex.txt", b"globex only");
    bob_cli.run(&["put", "globex.txt", "team:"]).await.ok();
    assert_eq!(
        bob_cli.run(&["ls", "team:"]).await.ok().stdout,
        format!("{:>10}  globex.txt\n", "11 B")
    );
    bob_cli
        .run(&["get", "team:old/report.pdf", "-"])
        .await
        .fails(1, "no such file: team:old/report.pdf");
    bob_cli
        .run(&["versions", "team:old/report.pdf"])
        .await
        .fails(1, "no such file: team:old/report.pdf");
    assert_eq!(
        bob_cli.run(&["ls", "--deleted", "team:"]).await.ok().stdout,
        ""
    );
    assert_eq!(
        alice_cli.run(&["ls", "team:"]).await.ok().stdout,
        format!("{:>10}  old/\n", "-"),
        "acme's space has no globex.txt (and q3/ is empty since the move)"
    );

    // Dave belongs to no team: every team: path is refused in words, exit 5, and
    // nothing is written anywhere.
    let no_team = "your account belongs to no team; an operator adds you to one";
    dave_cli.file("d.txt", b"dave");
    for args in [
        &["ls", "team:"][..],
        &["ls", "--deleted", "team:"],
        &["put", "d.txt", "team:"],
        &["get", "team:old/report.pdf", "-"],
        &["versions", "team:old/report.pdf"],
        &["rm", "team:old/report.pdf"],
        &["rm", "-r", "team:old/"],
        &["restore", "-r", "team:old/"],
        &["cp", "d.txt", "team:"],
        &["cp", "team:old/report.pdf", "stolen.txt"],
        &["mv", "team:old/report.pdf", "stolen.txt"],
    ] {
        dave_cli.run(args).await.fails(5, no_team);
    }
    assert_eq!(dave_cli.run(&["ls"]).await.ok().stdout, "");
    assert_eq!(
        alice_cli.run(&["ls", "team:old/"]).await.ok().stdout,
        format!("{:>10}  notes.txt\n{:>10}  report.pdf\n", "13 B", "24 B")
    );

    // A home file named team:x: a local file of that name is just a file, its key in
    // the home is shown (and typed) as home:team:x.
    dave_cli.file("team:x", b"colon");
    let out = dave_cli.run(&["put", "team:x"]).await.ok();
    assert_eq!(out.stdout, "uploaded team:x to home:team:x (5 B)\n");
    let out = dave_cli.run(&["put", "./team:x", "home:"]).await.ok();
    assert_eq!(out.stdout, "uploaded ./team:x to home:team:x (5 B)\n");
    assert_eq!(
        dave_cli.run(&["get", "home:team:x", "-"]).await.ok().stdout,
        "colon"
    );
    assert_eq!(
        dave_cli.run(&["ls", "home:team:x"]).await.ok().stdout,
        format!("{:>10}  home:team:x\n", "5 B")
    );
    dave_cli
        .run(&["get", "team:x", "-"])
        .await
        .fails(5, no_team);

    clean_team(&e2e, &alice).await;
    clean_team(&e2e, &bob).await;
    e2e.clean_up(&[&alice, &carol, &bob, &dave]).await;
}

/// A team upload is resumed as a home upload is, and the two never mix: the same
/// local file put to `team:big.bin` and to `big.bin`, both stopped after one part, are
/// two saved uploads, each resumed with its own parts; a member reads it back whole.
#[tokio::test]
async fn an_interrupted_team_upload_resumes_apart_from_a_home_upload_of_the_same_key() {
    let e2e = E2e::start().await;
    let acme = team_name("acme");
    let mut alice = e2e.user().await;
    let mut carol = e2e.user().await;
    join(&e2e, &mut alice, &acme).await;
    join(&e2e, &mut carol, &acme).await;
    let cli = Cli::signed_in(&e2e, &alice).await;
    let carol_cli = Cli::signed_in(&e2e, &carol).await;

    let data = noise(MEDIUM, 19);
    let big = cli.file("big.bin", &data).display().to_string();
    let stop = [("HOMEDIR_TEST_STOP_AFTER_PARTS", "1")];
    for key in ["team:big.bin", "big.bin"] {
        let out = cli.run_with(&["put", &big, key], None, &stop).await;
        assert_eq!(out.code, 130, "{key}: {out:?}");
    }
    assert_eq!(cli.saved_uploads().len(), 2, "one saved upload per space");

    for (key, shown) in [("team:big.bin", "team:big.bin"), ("home:", "big.bin")] {
        let out = cli.run(&["put", &big, key]).await.ok();
        assert!(
            out.stderr.contains(&format!(
                "resuming an earlier upload of {shown}: 1 of {MEDIUM_PARTS} parts already uploaded"
            )),
            "{out:?}"
        );
        assert_eq!(
            out.stdout,
            format!("uploaded {big} to {shown} (20.0 MiB)\n")
        );
    }
    assert_eq!(cli.saved_uploads().len(), 0, "both completed and forgotten");

    for (client, key) in [(&carol_cli, "team:big.bin"), (&cli, "big.bin")] {
        client.run(&["get", key, "back.bin"]).await.ok();
        let back = std::fs::read(client.work.join("back.bin")).expect("the download");
        assert_eq!(sha256(&back), sha256(&data), "{key} came back whole");
    }

    clean_team(&e2e, &alice).await;
    e2e.clean_up(&[&alice, &carol]).await;
}
