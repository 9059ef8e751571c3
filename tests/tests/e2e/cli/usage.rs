//! Usage and quotas with the real client: `homedir df` (used of the quota, what is
//! free, the versions, for the home and the team's space), `put`'s check before a
//! multipart upload (a file that cannot fit is refused before a byte leaves, exit 10),
//! and a 507 said in words with its numbers.
//!
//! An operator sets a user's quota as `make quota` does (AdminUpdateUserAttributes of
//! `custom:quota`); the client signs in again, so its ID token carries it. A quota of
//! one byte refuses two with nothing stored, so the first test needs no usage counted;
//! the last one needs the usage function to count what the writes stored (S3's
//! notifications), and waits for it.

use aws_sdk_cognitoidentityprovider::error::DisplayErrorContext;
use aws_sdk_cognitoidentityprovider::types::AttributeType;

use super::*;

/// What every quota message ends with: how room is made.
const TAIL: &str = ". Deleted and overwritten files count until their old versions expire: \
                    delete what you can spare and ask an operator to purge the trash and old \
                    versions, or for a larger quota (homedir df shows the usage)";

/// How long the usage function may take to count a write (its notification, then the
/// table) before `df` must show it.
const COUNTED_WITHIN: Duration = Duration::from_secs(30);

/// What an operator does to give `user` a quota of `bytes` (`Some(0)`: none at all),
/// or to clear it (`None`: the stack's default), then a sign-in of the harness's own,
/// so that its ID token carries the quota.
async fn set_quota(e2e: &E2e, user: &mut Account, bytes: Option<u64>) {
    let idp = e2e.idp();
    let pool = e2e.stack.var("USER_POOL_ID");
    match bytes {
        Some(bytes) => {
            idp.admin_update_user_attributes()
                .user_pool_id(pool)
                .username(&user.email)
                .user_attributes(
                    AttributeType::builder()
                        .name("custom:quota")
                        .value(bytes.to_string())
                        .build()
                        .expect("attribute"),
                )
                .send()
                .await
                .unwrap_or_else(|e| {
                    panic!(
                        "AdminUpdateUserAttributes custom:quota: {}",
                        DisplayErrorContext(&e)
                    )
                });
        }
        None => {
            idp.admin_delete_user_attributes()
                .user_pool_id(pool)
                .username(&user.email)
                .user_attribute_names("custom:quota")
                .send()
                .await
                .unwrap_or_else(|e| {
                    panic!(
                        "AdminDeleteUserAttributes custom:quota: {}",
                        DisplayErrorContext(&e)
                    )
                });
        }
    }
    e2e.sign_in_again(user).await;
}

/// Runs `homedir df ARGS` until `counted` holds for its output (the usage function
/// counts a write shortly after it is answered), or fails after [`COUNTED_WITHIN`].
async fn df_once(cli: &Cli, args: &[&str], counted: impl Fn(&Out) -> bool) -> Out {
    let started = Instant::now();
    let args: Vec<&str> = ["df"].into_iter().chain(args.iter().copied()).collect();
    loop {
        let out = cli.run(&args).await;
        assert_eq!(out.code, 0, "{out:?}");
        if counted(&out) {
            return out;
        }
        assert!(
            started.elapsed() < COUNTED_WITHIN,
            "the usage was not counted within {COUNTED_WITHIN:?}: {out:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// A home of one byte: `df` says so; a 2-byte `put` is the API's 507 in the client's
/// words (exit 10); a 20 MiB `put` is refused by the client's own check before it
/// starts an upload (nothing saved, nothing listed); one byte fits. `df team:` without
/// a team is exit 5, `df` of a path exit 64. The quota lifted ("0"), the next sign-in
/// shows no quota. Needs no usage counted: the home holds nothing until the last byte.
#[tokio::test]
async fn df_says_the_quota_and_a_home_too_small_refuses_puts_in_words_with_exit_10() {
    let e2e = E2e::start().await;
    let mut alice = e2e.user().await;
    set_quota(&e2e, &mut alice, Some(1)).await;
    let cli = Cli::signed_in(&e2e, &alice).await;

    assert_eq!(
        cli.run(&["df"]).await.ok().stdout,
        "home         0 B of 1 B (0%), 1 B free, 0 versions\n"
    );
    assert_eq!(
        cli.run(&["df", "home:"]).await.ok().stdout,
        "home         0 B of 1 B (0%), 1 B free, 0 versions\n"
    );

    cli.file("two.txt", b"ab");
    cli.run(&["put", "two.txt"]).await.fails(
        10,
        &format!(
            "your home has no room for this: it holds 0 B of its 1 B quota, 1 B free, and \
             this needs 2 B{TAIL}"
        ),
    );
    let big = cli.file("big.bin", &noise(MEDIUM, 20));
    let big = big.display().to_string();
    cli.run(&["put", &big, "videos/"]).await.fails(
        10,
        &format!(
            "your home has no room for {big}: it holds 0 B of its 1 B quota, 1 B free, and \
             {big} needs 20.0 MiB{TAIL}"
        ),
    );
    assert_eq!(cli.saved_uploads(), Vec::<serde_json::Value>::new());
    assert_eq!(cli.run(&["ls"]).await.ok().stdout, "");

    cli.file("one.txt", b"a");
    assert_eq!(
        cli.run(&["put", "one.txt"]).await.ok().stdout,
        "uploaded one.txt to one.txt (1 B)\n"
    );

    cli.run(&["df", "team:"]).await.fails(
        5,
        "your account belongs to no team; an operator adds you to one",
    );
    cli.run(&["df", "notes/"])
        .await
        .fails(64, "df takes a space, home: or team:, not a path (notes/)");

    // No quota at all for Alice ("0"), from her next ID token on.
    set_quota(&e2e, &mut alice, Some(0)).await;
    let cli = Cli::signed_in(&e2e, &alice).await;
    let df = cli.run(&["df"]).await.ok().stdout;
    assert!(
        df.starts_with("home         ") && df.contains(" used (no quota), "),
        "{df}"
    );

    e2e.clean_up(&[&alice]).await;
}

/// A put that cannot fit sends nothing: the emulator's log has no
/// CreateMultipartUpload and no UploadPart after the refusal, and a small file is one
/// PUT answered 507 with no PutObject. The functions are served with a default quota
/// of one byte (`QUOTA_BYTES`) and the stack's usage table. Local only.
#[tokio::test]
async fn a_put_that_cannot_fit_is_refused_before_anything_is_sent() {
    let e2e = E2e::start().await;
    if e2e.target != Target::Local {
        eprintln!(
            "NOT CHECKED on this target: counting S3 calls needs a local emulator of its own"
        );
        return;
    }
    let private = PrivateStack::start().await;
    let config: serde_json::Value = serde_json::from_slice(
        &std::fs::read(private.stack().var("FUNCTIONS_CONFIG")).expect("the functions' config"),
    )
    .expect("JSON");
    let table = config["functions"]["write-file"]["environment"]["USAGE_TABLE"]
        .as_str()
        .expect("write-file's USAGE_TABLE")
        .to_owned();
    let served = Served::start(
        private.stack(),
        &[("USAGE_TABLE", &table), ("QUOTA_BYTES", "1")],
    )
    .await;
    let own = Own {
        served: Some(served),
        private,
    };
    let (_user, cli) = own.user().await;
    assert_eq!(
        cli.run(&["df"]).await.ok().stdout,
        "home         0 B of 1 B (0%), 1 B free, 0 versions\n"
    );

    let big = cli.file("big.bin", &noise(MEDIUM, 21));
    let big = big.display().to_string();
    emulator::reset_calls(own.stack()).await;
    let out = cli.run(&["put", &big]).await;
    assert_eq!(out.code, 10, "{out:?}");
    let small = cli.file("small.txt", b"two");
    let small = small.display().to_string();
    let out = cli.run(&["put", &small]).await;
    assert_eq!(out.code, 10, "{out:?}");
    let operations: Vec<String> = emulator::calls(own.stack())
        .await
        .into_iter()
        .map(|c| c.operation)
        .collect();
    assert!(
        !operations
            .iter()
            .any(|o| o == "CreateMultipartUpload" || o == "UploadPart" || o == "PutObject"),
        "nothing of either file was sent: {operations:?}"
    );
    assert_eq!(cli.saved_uploads(), Vec::<serde_json::Value>::new());
}

/// Needs the usage counted (the emulator's notifications to the usage function): what
/// the home and the team's space hold, every version of them (an overwrite keeps the
/// old one); a quota just above it; a 507 and the client's own refusal with the
/// counted numbers; the home filled to its quota exactly: `df` says full, an empty
/// file is refused, a delete still works and frees nothing.
#[tokio::test]
async fn df_counts_every_version_of_the_home_and_the_team_space_and_a_full_home_still_deletes() {
    let e2e = E2e::start().await;
    let team = team_name("usage");
    let mut alice = e2e.user().await;
    join(&e2e, &mut alice, &team).await;
    let cli = Cli::signed_in(&e2e, &alice).await;

    cli.file("a.txt", b"abc");
    cli.run(&["put", "a.txt"]).await.ok();
    cli.file("a.txt", b"abcde");
    cli.run(&["put", "a.txt"]).await.ok();
    cli.file("b.txt", b"1234567");
    cli.run(&["put", "b.txt", "team:"]).await.ok();
    let team_label = format!("{:<12} ", format!("team {team}"));
    let out = df_once(&cli, &[], |out| {
        let lines: Vec<&str> = out.stdout.lines().collect();
        lines.len() == 2
            && lines[0].starts_with("home         8 B of ")
            && lines[0].ends_with(", 2 versions")
            && lines[1].starts_with(&format!("{team_label}7 B of "))
            && lines[1].ends_with(", 1 version")
    })
    .await;
    assert_eq!(out.stderr, "");
    let team_only = cli.run(&["df", "team:"]).await.ok().stdout;
    assert!(
        team_only.starts_with(&format!("{team_label}7 B of ")),
        "{team_only}"
    );

    // Ten bytes for Alice's home, which holds eight.
    set_quota(&e2e, &mut alice, Some(10)).await;
    let cli = Cli::signed_in(&e2e, &alice).await;
    assert_eq!(
        cli.run(&["df", "home:"]).await.ok().stdout,
        "home         8 B of 10 B (80%), 2 B free, 2 versions\n"
    );
    cli.file("c.txt", b"xyz");
    cli.run(&["put", "c.txt"]).await.fails(
        10,
        &format!(
            "your home has no room for this: it holds 8 B of its 10 B quota, 2 B free, and \
             this needs 3 B{TAIL}"
        ),
    );
    let big = cli.file("big.bin", &noise(MEDIUM, 22));
    let big = big.display().to_string();
    cli.run(&["put", &big]).await.fails(
        10,
        &format!(
            "your home has no room for {big}: it holds 8 B of its 10 B quota, 2 B free, and \
             {big} needs 20.0 MiB{TAIL}"
        ),
    );
    assert_eq!(cli.saved_uploads(), Vec::<serde_json::Value>::new());

    // Two bytes fit exactly: the home is full.
    cli.file("c.txt", b"xy");
    cli.run(&["put", "c.txt"]).await.ok();
    let out = df_once(&cli, &["home:"], |out| {
        out.stdout == "home         10 B of 10 B (100%), full, 3 versions\n"
    })
    .await;
    assert_eq!(
        out.stderr,
        "homedir: your home is full: nothing more can be written there. Deleted and \
         overwritten files count until their old versions expire: delete what you can \
         spare and ask an operator to purge the trash and old versions, or for a larger \
         quota\n"
    );
    cli.file("empty.txt", b"");
    cli.run(&["put", "empty.txt"]).await.fails(
        10,
        &format!("your home is full: it holds 10 B of its 10 B quota{TAIL}"),
    );
    // Deleting works when full, and frees nothing: the old versions still count.
    cli.run(&["rm", "a.txt"]).await.ok();
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        cli.run(&["df", "home:"]).await.ok().stdout,
        "home         10 B of 10 B (100%), full, 3 versions\n"
    );

    clean_team(&e2e, &alice).await;
    e2e.clean_up(&[&alice]).await;
}
