//! Every S3 tool on one's home, through `homedir credentials`: the real tools, each
//! configured only by `homedir credentials --setup` (an AWS config file of the test's
//! own) and run with none of the suite's AWS settings in their environment, so that
//! whatever they reach, they reach with the credentials the identity pool issued to
//! the signed-in user:
//!
//! - the AWS CLI (`.venv/bin/aws`, pinned in tests/emulator/requirements.txt): cp up
//!   and back, ls, sync of 20 files, and the guardrails' refusals, word for word;
//! - rclone (Debian's package; `HOMEDIR_E2E_RCLONE=0` skips it where it cannot be
//!   installed), its remote set to `acl = bucket-owner-full-control` as s3-tools.md
//!   says: ls, copy down and copy up (rclone 1.60 sends an ACL with every upload: that
//!   one the role and the bucket accept), and uploads naming any other ACL refused;
//! - boto3 (the project virtualenv's): a 20 MiB upload in three parts;
//! - the expiry: an `aws s3 sync` that outlives several credentials (a private stack
//!   whose credentials last seconds) and finishes.
//!
//! Every file then shows through the API.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::{DateTime, DateTimeFormat};

use super::{COMMAND_TIMEOUT, Cli, home_prefix, join, noise, team_name};
use crate::harness::{Account, E2e, Target};
use homedir_tests::data::{MIB, sha256};
use homedir_tests::emulator::{self, Fault, PrivateStack};
use homedir_tests::served::Served;
use homedir_tests::stack::{PASSWORD, Stack, User};

/// What the AWS CLI prints for anything the role's policy refuses (S3's own words).
fn aws_denied(operation: &str) -> String {
    format!(
        "An error occurred (AccessDenied) when calling the {operation} operation: Access Denied"
    )
}

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A program of the project virtualenv (`make venv` installs it).
fn venv(program: &str) -> PathBuf {
    let path = repository().join(".venv/bin").join(program);
    assert!(
        path.is_file(),
        "no {}: run `make venv` (the AWS CLI is pinned in tests/emulator/requirements.txt)",
        path.display()
    );
    path
}

/// What one run of a tool printed.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn ok(self) -> Run {
        assert_eq!(self.code, 0, "the tool failed: {self:?}");
        self
    }
}

/// One user's S3 tools: the AWS config file `--setup` writes, and the environment
/// the tools run in (the user's homedir client settings, no AWS setting at all).
struct Tools<'a> {
    cli: &'a Cli,
    dir: PathBuf,
    aws_config: PathBuf,
    profile: String,
}

impl<'a> Tools<'a> {
    fn of(cli: &'a Cli) -> Tools<'a> {
        let dir = cli.work.join("tools");
        std::fs::create_dir_all(&dir).expect("a folder for the tools");
        Tools {
            cli,
            aws_config: dir.join("aws-config"),
            dir,
            profile: "homedir".into(),
        }
    }

    /// The tools' environment: the client's (config directory and stack settings, as
    /// the user's shell would have them), every `AWS_*` variable of the suite removed,
    /// the AWS config file the test's own and no shared credentials file.
    fn command(&self, program: &Path, args: &[&str]) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(program);
        command
            .args(args)
            .current_dir(&self.cli.work)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if name.starts_with("AWS_")
                || name.starts_with("HOMEDIR_")
                || name.starts_with("RCLONE_")
            {
                command.env_remove(&*name);
            }
        }
        command
            .env("HOMEDIR_CONFIG_DIR", &self.cli.config)
            .env("AWS_CONFIG_FILE", &self.aws_config)
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.dir.join("no-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("HOME", &self.dir);
        for (name, value) in &self.cli.env {
            command.env(name, value);
        }
        command
    }

    async fn run(&self, program: &Path, args: &[&str]) -> Run {
        let output = tokio::time::timeout(COMMAND_TIMEOUT, self.command(program, args).output())
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "{} {args:?} took longer than {COMMAND_TIMEOUT:?}",
                    program.display()
                )
            })
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
        let run = Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        for secret in self.cli.secrets() {
            assert!(
                !run.stdout.contains(&secret) && !run.stderr.contains(&secret),
                "{} {args:?} printed a token",
                program.display()
            );
        }
        run
    }

    /// `homedir ARGS` in the tools' environment.
    async fn homedir(&self, args: &[&str]) -> Run {
        self.run(&super::binary(), args).await
    }

    /// `aws ARGS --profile homedir`.
    async fn aws(&self, args: &[&str]) -> Run {
        let mut all = args.to_vec();
        all.extend(["--profile", &self.profile]);
        self.run(&venv("aws"), &all).await
    }

    /// `homedir credentials --setup`: the profile written, the home's S3 URI (and the
    /// team space's) printed.
    async fn setup(&self) -> Run {
        self.homedir(&["credentials", "--setup"]).await.ok()
    }
}

/// The S3 URI of `user`'s home, and its bucket-relative prefix.
async fn home_of(e2e: &E2e, user: &Account) -> (String, String) {
    let prefix = format!(
        "{}/{}/",
        home_prefix(e2e.stack),
        e2e.identity_id(user).await
    );
    (format!("s3://{}/{prefix}", e2e.stack.bucket()), prefix)
}

/// `homedir credentials`: the credential_process JSON and nothing else, after renewing
/// an ID token near expiry; exit 2 signed out; nothing written to disk; `-v` prints no
/// secret.
#[tokio::test]
async fn credentials_print_the_process_json_and_nothing_else() {
    let e2e = E2e::start().await;
    let alice = e2e.user().await;
    let cli = Cli::new(&e2e);
    let out = cli
        .run(&["credentials"])
        .await
        .fails(2, "signed out; run homedir login");
    assert_eq!(out.stdout, "", "nothing on standard output");

    let cli = cli.login(&alice.email, &alice.password).await;
    let mut tokens = cli.tokens().expect("saved tokens");
    tokens["expires_at"] = serde_json::json!(0);
    cli.set_tokens(&tokens);
    let out = cli.run(&["credentials"]).await.ok();
    assert!(
        cli.tokens().expect("tokens")["expires_at"]
            .as_u64()
            .unwrap()
            > 1_000_000_000,
        "the ID token was renewed first"
    );
    assert_eq!(out.stderr, "");
    assert_eq!(
        out.stdout.lines().count(),
        1,
        "one line: {:?}",
        out.stdout.len()
    );
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let object = json.as_object().expect("an object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "AccessKeyId",
            "Expiration",
            "SecretAccessKey",
            "SessionToken",
            "Version"
        ]
    );
    assert_eq!(json["Version"], 1);
    let access_key = json["AccessKeyId"].as_str().expect("AccessKeyId");
    assert!(access_key.starts_with("ASIA"), "temporary credentials");
    let secret = json["SecretAccessKey"].as_str().expect("SecretAccessKey");
    let session = json["SessionToken"].as_str().expect("SessionToken");
    assert!(secret.len() >= 16 && session.len() >= 16);
    let expiration = DateTime::from_str(
        json["Expiration"].as_str().expect("Expiration"),
        DateTimeFormat::DateTime,
    )
    .expect("an RFC 3339 Expiration");
    let now = DateTime::from(std::time::SystemTime::now()).secs();
    assert!(
        expiration.secs() > now && expiration.secs() <= now + 3660,
        "Cognito's expiry (at most an hour): {expiration:?}"
    );

    // Nothing of them on disk: the config directory holds the tokens and nothing new.
    let mut files: Vec<String> = std::fs::read_dir(&cli.config)
        .expect("the config directory")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort_unstable();
    assert_eq!(files, ["tokens.json"]);
    let saved = std::fs::read_to_string(cli.config.join("tokens.json")).unwrap();
    assert!(!saved.contains(secret) && !saved.contains(session));

    // Each run asks Cognito again (fresh keys), and -v logs no key.
    let out = cli.run(&["-v", "credentials"]).await.ok();
    let again: serde_json::Value = serde_json::from_str(&out.stdout).expect("JSON");
    let again_secret = again["SecretAccessKey"].as_str().unwrap();
    for hidden in [again_secret, again["SessionToken"].as_str().unwrap()] {
        assert!(!out.stderr.contains(hidden), "-v printed a secret");
    }
    if e2e.target == Target::Local {
        assert_ne!(again["AccessKeyId"], json["AccessKeyId"], "issued afresh");
    }

    e2e.clean_up(&[&alice]).await;
}

/// The AWS CLI, configured by `homedir credentials --setup` alone: a file up and back,
/// ls, a sync of 20 files, the team space of a member; and what the guardrails refuse,
/// in the CLI's words: another user's home, GLACIER, SSE-KMS, SSE-C, a version's
/// deletion, the bucket's root. The files show through the API.
#[tokio::test]
async fn the_aws_cli_set_up_by_homedir_reaches_the_home_and_only_what_the_role_allows() {
    let e2e = E2e::start().await;
    let alice = e2e.user().await;
    let bob = e2e.user().await;
    let cli = Cli::signed_in(&e2e, &alice).await;
    let tools = Tools::of(&cli);
    let (home, prefix) = home_of(&e2e, &alice).await;
    let bucket = e2e.stack.bucket();

    // --print: the profile alone on standard output, nothing written.
    let printed = tools
        .homedir(&["credentials", "--setup", "--print"])
        .await
        .ok();
    let command = format!("{} credentials", super::binary().display());
    let mut profile = format!(
        "[profile homedir]\ncredential_process = {command}\nregion = {}\n",
        e2e.stack.region()
    );
    if let Some(endpoint) = e2e.setting("AWS_ENDPOINT_URL") {
        profile.push_str(&format!("endpoint_url = {endpoint}\n"));
    }
    assert_eq!(printed.stdout, profile);
    assert!(
        printed.stderr.contains(&format!("home         {home}\n")),
        "{printed:?}"
    );
    assert!(!tools.aws_config.exists(), "--print writes nothing");

    // The profile joins what the config file already holds.
    std::fs::write(
        &tools.aws_config,
        "[default]\nregion = ap-south-1\noutput = json\n",
    )
    .unwrap();
    let out = tools.setup().await;
    assert_eq!(
        out.stdout,
        format!(
            "wrote the profile homedir to {}\nhome         {home}\ntry: aws s3 ls {home} --profile homedir\n",
            tools.aws_config.display()
        )
    );
    assert_eq!(
        std::fs::read_to_string(&tools.aws_config).unwrap(),
        format!("[default]\nregion = ap-south-1\noutput = json\n\n{profile}")
    );
    tools.setup().await;
    assert_eq!(
        std::fs::read_to_string(&tools.aws_config).unwrap(),
        format!("[default]\nregion = ap-south-1\noutput = json\n\n{profile}"),
        "set up twice, the same file"
    );

    // A file up and back, byte for byte; ls of the home.
    let data = noise(300 * 1024, 22);
    cli.file("photo.jpg", &data);
    tools
        .aws(&["s3", "cp", "photo.jpg", &format!("{home}photos/photo.jpg")])
        .await
        .ok();
    tools
        .aws(&["s3", "cp", &format!("{home}photos/photo.jpg"), "back.jpg"])
        .await
        .ok();
    assert_eq!(std::fs::read(cli.work.join("back.jpg")).unwrap(), data);
    let listed = tools.aws(&["s3", "ls", &home]).await.ok().stdout;
    assert_eq!(listed.trim(), "PRE photos/", "{listed}");
    let listed = tools
        .aws(&["s3", "ls", &format!("{home}photos/")])
        .await
        .ok()
        .stdout;
    assert!(
        listed
            .trim()
            .ends_with(&format!("{} photo.jpg", data.len())),
        "{listed}"
    );

    // A folder of 20 files, synced.
    let folder = cli.work.join("notes");
    std::fs::create_dir_all(&folder).unwrap();
    // Written an hour ago: `sync` compares modification times with S3's LastModified
    // (whole seconds), and a file as new as its upload would be sent again.
    let an_hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    for i in 0..20 {
        let path = folder.join(format!("note-{i:02}.txt"));
        std::fs::write(&path, format!("note {i}\n")).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(an_hour_ago))
            .unwrap();
    }
    let out = tools
        .aws(&["s3", "sync", "notes", &format!("{home}notes/")])
        .await
        .ok();
    assert_eq!(out.stdout.matches("upload: ").count(), 20, "{out:?}");
    let again = tools
        .aws(&["s3", "sync", "notes", &format!("{home}notes/")])
        .await
        .ok();
    assert_eq!(
        again.stdout.matches("upload: ").count(),
        0,
        "nothing left to sync: {again:?}"
    );

    // The API sees what the tools wrote.
    let mut expected: Vec<String> = (0..20).map(|i| format!("notes/note-{i:02}.txt")).collect();
    expected.insert(0, "photos/photo.jpg".into());
    expected.sort();
    let mut keys = e2e.all_keys(&alice, "").await;
    keys.sort();
    assert_eq!(keys, expected);
    assert_eq!(
        e2e.read(&alice, "notes/note-07.txt").await.as_ref(),
        b"note 7\n"
    );

    // What the role refuses, with the AWS CLI's own message, and nothing written.
    let (bobs_home, _) = home_of(&e2e, &bob).await;
    let in_bobs = format!("{bobs_home}x.jpg");
    let cold = format!("{home}cold.jpg");
    let kms = format!("{home}kms.jpg");
    let ssec = format!("{home}ssec.jpg");
    let refused: [(&str, Vec<&str>); 4] = [
        (
            "another user's home",
            vec!["s3", "cp", "photo.jpg", &in_bobs],
        ),
        (
            "GLACIER",
            vec!["s3", "cp", "photo.jpg", &cold, "--storage-class", "GLACIER"],
        ),
        (
            "SSE-KMS",
            vec!["s3", "cp", "photo.jpg", &kms, "--sse", "aws:kms"],
        ),
        (
            "SSE-C",
            vec![
                "s3",
                "cp",
                "photo.jpg",
                &ssec,
                "--sse-c",
                "AES256",
                "--sse-c-key",
                "0123456789abcdef0123456789abcdef",
            ],
        ),
    ];
    for (case, args) in &refused {
        let out = tools.aws(args).await;
        assert_eq!(out.code, 1, "{case}: {out:?}");
        assert!(
            out.stderr.contains(&aws_denied("PutObject")),
            "{case}: {out:?}"
        );
    }
    let listed = tools.aws(&["s3", "ls", &format!("s3://{bucket}/")]).await;
    assert_eq!(listed.code, 255, "{listed:?}");
    assert!(
        listed.stderr.contains(&aws_denied("ListObjectsV2")),
        "{listed:?}"
    );
    assert!(
        e2e.all_keys(&bob, "").await.is_empty(),
        "nothing in Bob's home"
    );

    // A version's deletion (history is never destroyed); the version is still there.
    let note = format!("{prefix}notes/note-07.txt");
    let versions = tools
        .aws(&[
            "s3api",
            "list-object-versions",
            "--bucket",
            bucket,
            "--prefix",
            &note,
            "--query",
            "Versions[0].VersionId",
            "--output",
            "text",
        ])
        .await
        .ok();
    let version = versions.stdout.trim();
    assert!(!version.is_empty() && version != "None", "{versions:?}");
    let out = tools
        .aws(&[
            "s3api",
            "delete-object",
            "--bucket",
            bucket,
            "--key",
            &note,
            "--version-id",
            version,
        ])
        .await;
    assert_eq!(out.code, 255, "{out:?}");
    assert!(out.stderr.contains(&aws_denied("DeleteObject")), "{out:?}");
    let mut keys = e2e.all_keys(&alice, "").await;
    keys.sort();
    assert_eq!(
        keys, expected,
        "nothing the refusals named was written or deleted"
    );

    // A member of a team: --setup and whoami show the team space, and the AWS CLI
    // writes there what the other members read through the API.
    let acme = team_name("acme");
    let mut carol = e2e.user().await;
    let mut dan = e2e.user().await;
    join(&e2e, &mut carol, &acme).await;
    join(&e2e, &mut dan, &acme).await;
    let carol_cli = Cli::signed_in(&e2e, &carol).await;
    let carol_tools = Tools::of(&carol_cli);
    let team_space = format!("s3://{bucket}/{}", e2e.stack.team_root(&acme));
    let (carol_home, _) = home_of(&e2e, &carol).await;
    let out = carol_tools.setup().await;
    assert!(
        out.stdout.contains(&format!(
            "home         {carol_home}\nteam space   {team_space}\n"
        )),
        "{out:?}"
    );
    carol_cli.file("plan.md", b"# Q3\n");
    carol_tools
        .aws(&["s3", "cp", "plan.md", &format!("{team_space}q3/plan.md")])
        .await
        .ok();
    let read = e2e
        .get("read-file", &[("space", "team"), ("key", "q3/plan.md")])
        .token(&dan.id_token)
        .send()
        .await
        .expect(200, None)
        .body;
    assert_eq!(read.as_ref(), b"# Q3\n");
    let other_team = format!(
        "s3://{bucket}/{}",
        e2e.stack.team_root(&team_name("globex"))
    );
    let out = carol_tools
        .aws(&["s3", "cp", "plan.md", &format!("{other_team}plan.md")])
        .await;
    assert!(
        out.stderr.contains(&aws_denied("PutObject")),
        "another team: {out:?}"
    );
    e2e.delete("delete", &[("space", "team"), ("key", "q3/plan.md")])
        .token(&carol.id_token)
        .send()
        .await
        .expect(204, None);

    e2e.clean_up(&[&alice, &bob, &carol, &dan]).await;
}

/// rclone's version, `None` when it is not installed (the test then fails, unless
/// HOMEDIR_E2E_RCLONE=0 says this machine cannot have it).
async fn rclone_version() -> Option<(u32, u32)> {
    let output = tokio::process::Command::new("rclone")
        .arg("version")
        .output()
        .await;
    let output = match output {
        Ok(output) if output.status.success() => output,
        _ => {
            assert_eq!(
                std::env::var("HOMEDIR_E2E_RCLONE").as_deref(),
                Ok("0"),
                "rclone is not installed: `sudo apt-get install -y rclone` (macOS: `brew install \
                 rclone`), or HOMEDIR_E2E_RCLONE=0 where it cannot be installed"
            );
            return None;
        }
    };
    // "rclone v1.60.1-DEV"
    let text = String::from_utf8_lossy(&output.stdout);
    let version = text
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.strip_prefix('v'))
        .unwrap_or_else(|| panic!("an rclone version: {text}"));
    let mut parts = version.split(['.', '-']).map(|p| p.parse::<u32>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(major), Some(minor)) => Some((major, minor)),
        _ => panic!("an rclone version: {text}"),
    }
}

/// rclone with an S3 remote on the same profile (`env_auth`) and `acl =
/// bucket-owner-full-control`, as docs/s3-tools.md writes it: ls and copy down of files
/// the API wrote, and copy up, which the API then lists and reads byte for byte. rclone
/// 1.60 (Debian 12's) sends `X-Amz-Acl` with every upload (`private` unless told
/// otherwise), which needs `s3:PutObjectAcl` besides `s3:PutObject`: the role allows it
/// for `bucket-owner-full-control` alone, the one ACL the bucket (BucketOwnerEnforced)
/// accepts. Uploads naming `public-read` or `private` are refused, nothing written.
#[tokio::test]
async fn rclone_on_the_profile_lists_and_copies_down_and_up() {
    let e2e = E2e::start().await;
    if std::env::var("HOMEDIR_E2E_RCLONE").as_deref() == Ok("0") {
        eprintln!("NOT CHECKED: rclone (HOMEDIR_E2E_RCLONE=0)");
        return;
    }
    let Some(version) = rclone_version().await else {
        return;
    };
    let alice = e2e.user().await;
    let cli = Cli::signed_in(&e2e, &alice).await;
    let tools = Tools::of(&cli);
    tools.setup().await;
    let (_, prefix) = home_of(&e2e, &alice).await;
    let remote = format!("home:{}/{prefix}", e2e.stack.bucket());

    // The remote: credentials from the environment's AWS profile (the credential
    // process), no bucket check or creation (the role may do neither), and the one ACL
    // the role and the bucket accept.
    let mut config = format!(
        "[home]\ntype = s3\nenv_auth = true\nprofile = homedir\nregion = {}\nno_check_bucket = true\n\
         acl = bucket-owner-full-control\n",
        e2e.stack.region()
    );
    match e2e.setting("AWS_ENDPOINT_URL") {
        // The emulator is addressed by path (provider Other), as S3-compatible stores are.
        Some(endpoint) => config.push_str(&format!("provider = Other\nendpoint = {endpoint}\n")),
        None => config.push_str("provider = AWS\n"),
    }
    let rclone_config = tools.dir.join("rclone.conf");
    std::fs::write(&rclone_config, config).unwrap();
    let rclone_config = rclone_config.display().to_string();
    let rclone = |args: &[&str]| {
        let mut all = vec![
            "--config",
            rclone_config.as_str(),
            "--retries",
            "1",
            "--low-level-retries",
            "2",
        ];
        all.extend_from_slice(args);
        let all: Vec<String> = all.iter().map(|a| (*a).to_owned()).collect();
        let tools = &tools;
        async move {
            let all: Vec<&str> = all.iter().map(String::as_str).collect();
            tools.run(Path::new("rclone"), &all).await
        }
    };

    // Files written through the API: listed and copied down by rclone.
    let files = [
        ("docs/a.txt", b"alpha\n".to_vec()),
        ("docs/sub/b.bin", noise(70_000, 5)),
    ];
    for (key, bytes) in &files {
        let name = key.replace('/', "_");
        cli.file(&name, bytes);
        cli.run(&["put", &name, key]).await.ok();
    }
    let listed = rclone(&["ls", &remote]).await.ok().stdout;
    assert_eq!(
        listed,
        format!("{:>9} docs/a.txt\n{:>9} docs/sub/b.bin\n", 6, 70_000),
        "{listed}"
    );
    rclone(&["copy", &format!("{remote}docs"), "down"])
        .await
        .ok();
    for (key, bytes) in &files {
        let local = cli.work.join("down").join(key.trim_start_matches("docs/"));
        assert_eq!(&std::fs::read(&local).unwrap(), bytes, "{key}");
    }

    // Up, with the remote's bucket-owner-full-control.
    let up = cli.work.join("up");
    std::fs::create_dir_all(&up).unwrap();
    std::fs::write(up.join("c.txt"), b"from rclone\n").unwrap();
    let out = rclone(&["copy", "up", &format!("{remote}from-rclone")]).await;
    assert_eq!(out.code, 0, "rclone {version:?}: {out:?}");
    assert_eq!(
        e2e.all_keys(&alice, "from-rclone/").await,
        ["from-rclone/c.txt"]
    );
    assert_eq!(
        e2e.read(&alice, "from-rclone/c.txt").await.as_ref(),
        b"from rclone\n"
    );

    // Any other ACL is refused, nothing written: by IAM (the role allows no other), or,
    // on AWS, perhaps first by the bucket (S3 does not document which it checks first).
    let refusals: &[&str] = match e2e.target {
        Target::Local => &["AccessDenied: Access Denied"],
        Target::Deployed => &[
            "AccessDenied: Access Denied",
            "AccessControlListNotSupported: The bucket does not allow ACLs",
        ],
    };
    for acl in ["public-read", "private"] {
        let out = rclone(&[
            "copy",
            "--s3-acl",
            acl,
            "up",
            &format!("{remote}with-{acl}"),
        ])
        .await;
        assert_ne!(out.code, 0, "--s3-acl {acl}: {out:?}");
        assert!(
            refusals.iter().any(|refusal| out.stderr.contains(refusal)),
            "--s3-acl {acl}: {out:?}"
        );
        assert!(
            e2e.all_keys(&alice, &format!("with-{acl}/"))
                .await
                .is_empty(),
            "--s3-acl {acl} wrote something"
        );
    }

    e2e.clean_up(&[&alice]).await;
}

/// boto3 with the profile: 20 MiB uploaded in three 8 MiB-or-less parts lands whole,
/// and the API reads it back.
#[tokio::test]
async fn boto3_on_the_profile_uploads_20_mib_in_parts_that_the_api_reads() {
    let e2e = E2e::start().await;
    let alice = e2e.user().await;
    let cli = Cli::signed_in(&e2e, &alice).await;
    let tools = Tools::of(&cli);
    tools.setup().await;
    let (_, prefix) = home_of(&e2e, &alice).await;
    let data = noise(20 * MIB, 20);
    cli.file("video.bin", &data);
    let script = "\
import sys, boto3
from boto3.s3.transfer import TransferConfig
bucket, key = sys.argv[1], sys.argv[2]
s3 = boto3.Session(profile_name='homedir').client('s3')
parts = TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024)
s3.upload_file('video.bin', bucket, key, Config=parts)
print(s3.head_object(Bucket=bucket, Key=key)['ETag'])
";
    let key = format!("{prefix}videos/video.bin");
    let out = tools
        .run(&venv("python"), &["-c", script, e2e.stack.bucket(), &key])
        .await
        .ok();
    assert!(
        out.stdout.trim().ends_with("-3\""),
        "a three-part upload's ETag: {out:?}"
    );
    let listed = e2e
        .get("list", &[("prefix", "videos/")])
        .token(&alice.id_token)
        .send()
        .await
        .expect(200, None)
        .json();
    assert_eq!(listed["files"][0]["key"], "videos/video.bin");
    assert_eq!(listed["files"][0]["size"], 20 * MIB);
    cli.run(&["get", "videos/video.bin", "read.bin"]).await.ok();
    assert_eq!(
        sha256(&std::fs::read(cli.work.join("read.bin")).unwrap()),
        sha256(&data),
        "the API reads back the bytes boto3 wrote"
    );

    e2e.clean_up(&[&alice]).await;
}

/// An `aws s3 sync` that takes several lifetimes of its credentials (a private stack
/// whose credentials last 3 s; every PutObject answered 2 s late) completes: the AWS
/// CLI runs `homedir credentials` again as they near their expiry, which it reads from
/// the JSON, and signs with the new keys. The emulator saw several keys sign the
/// uploads, and refused none.
#[tokio::test]
async fn a_long_aws_s3_sync_outlives_its_credentials_and_completes() {
    let e2e = E2e::start().await;
    if e2e.target != Target::Local {
        eprintln!(
            "NOT CHECKED on this target: credentials that expire in seconds need a local emulator"
        );
        return;
    }
    let ttl = Duration::from_secs(3);
    let private = PrivateStack::with_credentials_ttl(ttl).await;
    let stack: &Stack = private.stack();
    let served = Served::start(stack, &[]).await;
    let user = User::new(stack).await;
    let cli = Cli::of(stack, served.url_template())
        .login(&user.email, PASSWORD)
        .await;
    let tools = Tools::of(&cli);
    tools.setup().await;
    let home = format!(
        "s3://{}/{}/{}/",
        stack.bucket(),
        stack.var("HOME_PREFIX"),
        user.identity_id(stack).await
    );

    let folder = cli.work.join("album");
    std::fs::create_dir_all(&folder).unwrap();
    let count: u64 = 30;
    for i in 0..count {
        std::fs::write(folder.join(format!("p{i:02}.jpg")), noise(10_000, i)).unwrap();
    }
    emulator::reset_calls(stack).await;
    emulator::inject(
        stack,
        "PutObject",
        Fault::Delay(Duration::from_secs(2)),
        None,
    )
    .await;
    let started = Instant::now();
    let out = tools
        .aws(&["s3", "sync", "album", &format!("{home}album/")])
        .await;
    let took = started.elapsed();
    emulator::clear_faults(stack).await;
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout.matches("upload: ").count(),
        count as usize,
        "{out:?}"
    );
    assert!(
        took > 2 * ttl,
        "the sync outlived its credentials: {took:?}"
    );

    let calls = emulator::calls(stack).await;
    let mut keys: Vec<&str> = calls
        .iter()
        .filter(|c| c.operation == "PutObject")
        .filter_map(|c| c.access_key.as_deref())
        .collect();
    assert_eq!(
        keys.len(),
        count as usize,
        "one PutObject per file, none retried"
    );
    keys.sort_unstable();
    keys.dedup();
    assert!(
        keys.len() >= 2,
        "renewed credentials signed the later uploads: {keys:?}"
    );
    let exchanges = calls
        .iter()
        .filter(|c| c.operation == "GetCredentialsForIdentity")
        .count();
    assert!(exchanges >= 2, "homedir credentials ran again: {exchanges}");

    let listed = tools
        .aws(&["s3", "ls", &format!("{home}album/")])
        .await
        .ok();
    assert_eq!(listed.stdout.lines().count(), count as usize, "{listed:?}");
    let via_api = cli.run(&["ls", "album"]).await.ok().stdout;
    assert_eq!(via_api.lines().count(), count as usize, "{via_api}");
}
