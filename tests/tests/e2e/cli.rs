//! The command-line client (`cli/`, binary `homedir`) as a user runs it: the real
//! binary in a process of its own, against the same stack as the rest of the suite,
//! over HTTP, signing in to the user pool itself. Each user gets a private config
//! directory (`HOMEDIR_CONFIG_DIR`); the stack is named through the client's
//! environment variables (`HOMEDIR_API_URL`, …), and once through `homedir config
//! --local` with the stack's env file.
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

use rand::{Rng, SeedableRng};
use tokio::io::AsyncWriteExt;

use super::harness::{Account, E2e, Target};
use homedir_tests::data::sha256;
use homedir_tests::emulator;

/// A 40 MiB file: five 8 MiB parts.
const LARGE: usize = 40 * 1024 * 1024;
const LARGE_PARTS: usize = 5;
/// The longest one command may take (a 40 MiB transfer takes seconds locally).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);

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
    fn new(e2e: &E2e) -> Cli {
        let root =
            std::env::temp_dir().join(format!("homedir-cli-e2e-{}", uuid::Uuid::new_v4().simple()));
        let work = root.join("work");
        std::fs::create_dir_all(&work).expect("a scratch directory");
        let mut env = vec![
            (
                "HOMEDIR_API_URL",
                std::env::var("HOMEDIR_E2E_URL").expect("HOMEDIR_E2E_URL"),
            ),
            ("HOMEDIR_REGION", e2e.stack.region().to_owned()),
            (
                "HOMEDIR_USER_POOL_ID",
                e2e.stack.var("USER_POOL_ID").to_owned(),
            ),
            (
                "HOMEDIR_CLIENT_ID",
                e2e.stack.var("USER_POOL_CLIENT_ID").to_owned(),
            ),
        ];
        if let Some(endpoint) = e2e.setting("AWS_ENDPOINT_URL") {
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
        let cli = Cli::new(e2e);
        let out = cli
            .run_with(
                &["login", "--email", &user.email, "--password-stdin"],
                Some(&user.password),
                &[],
            )
            .await
            .ok();
        assert_eq!(out.stdout, format!("signed in as {}\n", user.email));
        cli
    }

    async fn run(&self, args: &[&str]) -> Out {
        self.run_with(args, None, &[]).await
    }

    async fn run_with(&self, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Out {
        let mut command = tokio::process::Command::new(binary());
        command
            .args(args)
            .current_dir(&self.work)
            .env("HOMEDIR_CONFIG_DIR", &self.config)
            .env_remove("HOMEDIR_TEST_STOP_AFTER_PARTS")
            .env_remove("XDG_CONFIG_HOME")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for name in [
            "HOMEDIR_API_URL",
            "HOMEDIR_REGION",
            "HOMEDIR_USER_POOL_ID",
            "HOMEDIR_CLIENT_ID",
            "HOMEDIR_COGNITO_ENDPOINT",
        ] {
            command.env_remove(name);
        }
        for (name, value) in &self.env {
            command.env(name, value);
        }
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command
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
        assert!(
            !out.stdout.contains('\u{1b}') && !out.stderr.contains('\u{1b}'),
            "homedir {args:?} printed terminal escape codes to a pipe: {out:?}"
        );
        for secret in self.secrets() {
            assert!(
                !out.stdout.contains(&secret) && !out.stderr.contains(&secret),
                "homedir {args:?} printed a token"
            );
        }
        out
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
        ["id_token", "refresh_token"]
            .iter()
            .filter_map(|k| tokens[k].as_str())
            .filter(|t| t.len() >= 16)
            .map(str::to_owned)
            .collect()
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

/// UploadPart calls the emulator has seen so far (local stack only).
async fn upload_parts(e2e: &E2e) -> usize {
    emulator::calls(e2e.stack)
        .await
        .iter()
        .filter(|c| c.operation == "UploadPart")
        .count()
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

    let cli = Cli::signed_in(&e2e, &alice).await;
    let out = cli.run(&["logout"]).await.ok();
    assert_eq!(out.stdout, "signed out (the saved tokens are deleted)\n");
    assert!(!cli.config.join("tokens.json").exists());
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
    assert_eq!(cli.run(&["ls", "archive/"]).await.ok().stdout, "");
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
    let listed = cli.run(&["ls", "videos"]).await.ok().stdout;
    assert_eq!(listed, "", "nothing is visible before the upload completes");

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
    assert_eq!(bob_cli.run(&["ls", "private"]).await.ok().stdout, "");
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
