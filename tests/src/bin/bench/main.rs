//! `make bench`: homedir's performance figures against the local emulator, each
//! printed with its target; exits non-zero if any target is missed.
//!
//! Latency is reported as a ratio to a bare aws-sdk-rust GetObject of the same
//! object through the same emulator in the same run, interleaved request by
//! request: the machine is noisy, a ratio is not.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use futures::StreamExt;
use homedir::aws::sequential_round_trips;
use homedir_tests::requests::Req;
use homedir_tests::runtime::{Function, binary, http_event, response_body};
use homedir_tests::stack::{Stack, User};

mod first_request;
mod fleet;
mod inline_reads;
mod large_files;
mod usage;
mod validate;

const FUNCTIONS: [&str; 4] = ["read-file", "write-file", "list", "delete"];
/// Every bootstrap whose size is held to the limit: the API functions and the usage
/// function and the user pool's two (`make bench` builds them all for arm64).
const SIZED: [&str; 7] = [
    "read-file",
    "write-file",
    "list",
    "delete",
    "usage",
    "token-claims",
    "user-changes",
];
const COGNITO_OPERATIONS: [&str; 3] = ["AdminGetUser", "GetId", "GetCredentialsForIdentity"];
const LATENCY_REQUESTS: usize = 2000;
const INIT_STARTS: usize = 11;
const RSS_REQUESTS: usize = 1000;
const LOAD_USERS: usize = 200;
const LOAD_OPS_PER_USER: usize = 10;
const LOAD_IN_FLIGHT: usize = 50;
const MAX_BINARY_BYTES: u64 = 6_000_000;

/// Which build of the functions to start (`release` unless a smoke run asks for `debug`).
fn profile() -> String {
    std::env::var("HOMEDIR_BENCH_PROFILE").unwrap_or_else(|_| "release".to_owned())
}

struct Row {
    figure: String,
    measured: String,
    target: String,
    ok: Option<bool>,
}

#[derive(Default)]
struct Table(Vec<Row>);

impl Table {
    fn add(
        &mut self,
        figure: impl Into<String>,
        measured: impl Into<String>,
        target: impl Into<String>,
        ok: Option<bool>,
    ) {
        self.0.push(Row {
            figure: figure.into(),
            measured: measured.into(),
            target: target.into(),
            ok,
        });
    }

    fn print(&self) -> bool {
        let width = self.0.iter().map(|r| r.figure.len()).max().unwrap_or(0);
        let measured_width = self.0.iter().map(|r| r.measured.len()).max().unwrap_or(0);
        println!(
            "| {:width$} | {:measured_width$} | target | met |",
            "figure", "measured"
        );
        println!(
            "|{}|{}|---|---|",
            "-".repeat(width + 2),
            "-".repeat(measured_width + 2)
        );
        for row in &self.0 {
            let met = match row.ok {
                Some(true) => "yes",
                Some(false) => "**NO**",
                None => "—",
            };
            println!(
                "| {:width$} | {:measured_width$} | {} | {met} |",
                row.figure, row.measured, row.target
            );
        }
        self.0.iter().all(|r| r.ok != Some(false))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut table = Table::default();
    // HOMEDIR_BENCH_ONLY=inline,large (comma-separated sections: calls, latency, rss,
    // first, init, sizes, load, large, inline, usage, fleet, fleet-validate) runs only those.
    let only = std::env::var("HOMEDIR_BENCH_ONLY").unwrap_or_default();
    let run = |section: &str| only.is_empty() || only.split(',').any(|s| s == section);
    if run("fleet") {
        eprintln!("bench: fleet model (simulated hours of both policies)…");
        fleet::fleet(&mut table);
        // The model needs no stack: `HOMEDIR_BENCH_ONLY=fleet` runs without one.
        if only.split(',').all(|s| s == "fleet") {
            return finish(&table);
        }
    }
    let stack = Stack::get();
    if run("calls") || run("latency") || run("rss") {
        eprintln!("bench: call counts…");
        let (alice, alice_root) = call_counts(stack, &mut table).await;
        if run("latency") {
            eprintln!("bench: warm latency ({LATENCY_REQUESTS} requests each)…");
            warm_latency(stack, &alice, &alice_root, &mut table).await;
        }
        if run("rss") {
            eprintln!("bench: peak RSS over {RSS_REQUESTS} warm requests…");
            peak_rss(stack, &alice, &mut table).await;
        }
    }
    if run("first") {
        eprintln!("bench: first requests before and after the identity_id claim…");
        first_request::first_requests(stack, &mut table).await;
    }
    if run("init") {
        eprintln!("bench: cold starts ({INIT_STARTS} per function)…");
        init_times(stack, &mut table).await;
    }
    if run("sizes") {
        binary_sizes(&mut table);
    }
    if run("load") {
        eprintln!(
            "bench: {LOAD_USERS} users × {LOAD_OPS_PER_USER} operations, {LOAD_IN_FLIGHT} in flight…"
        );
        load(stack, &mut table).await;
    }
    if run("large") {
        eprintln!(
            "bench: 256 MiB up and down, through the API and bare, {} rounds…",
            large_files::ROUNDS
        );
        large_files::large_transfers(stack, &mut table).await;
    }
    if run("inline") {
        eprintln!("bench: 1, 2 and 4 MiB read inline and through the 307…");
        inline_reads::inline_or_redirect(stack, &mut table).await;
    }
    if run("usage") {
        usage::usage(stack, &mut table).await;
    }
    if run("fleet-validate") {
        eprintln!("bench: the fleet model against the real functions…");
        validate::validate(stack, &mut table).await;
    }
    finish(&table)
}

/// Prints the table; fails if any target was missed.
fn finish(table: &Table) -> ExitCode {
    println!();
    let all_met = table.print();
    println!();
    if all_met {
        println!("all targets met");
        ExitCode::SUCCESS
    } else {
        println!("TARGETS MISSED");
        ExitCode::FAILURE
    }
}

fn cognito_calls(app: &homedir::App) -> u64 {
    COGNITO_OPERATIONS.iter().map(|op| app.calls().of(op)).sum()
}

async fn put_object(stack: &Stack, key: &str, bytes: Vec<u8>) {
    stack
        .admin_s3()
        .put_object()
        .bucket(stack.bucket())
        .key(key)
        .body(bytes.into())
        .send()
        .await
        .expect("admin put");
}

/// AWS calls per request: first, warm, and a burst of first requests.
async fn call_counts(stack: &Stack, table: &mut Table) -> (User, String) {
    let alice = User::new(stack).await;
    let root = alice.home_root(stack).await;
    put_object(stack, &format!("{root}bench.bin"), vec![7u8; 1024]).await;

    let app = stack.app(&[]);
    Req::get("read-file", &[("key", "bench.bin")])
        .token(&alice.id_token)
        .send(&app)
        .await
        .expect(200, None);
    let first_cognito = cognito_calls(&app);
    let spans = app.calls().spans();
    let cognito_spans: Vec<_> = spans
        .iter()
        .filter(|s| COGNITO_OPERATIONS.contains(&s.operation.as_str()))
        .cloned()
        .collect();
    let cognito_trips = sequential_round_trips(&cognito_spans);
    table.add(
        "AWS calls, first request of a new user (no identity_id claim yet): Cognito",
        format!("{first_cognito} in {cognito_trips} sequential round trips"),
        "≤ 2 in ≤ 2 (was 3 in 2)",
        Some(first_cognito <= 2 && cognito_trips <= 2),
    );
    table.add(
        "AWS calls, first request of a user: all",
        format!(
            "{} ({} sequential)",
            app.calls().total(),
            sequential_round_trips(&spans)
        ),
        "Cognito + the record's Query + the Identity ID's PutItem + the one S3 call",
        Some(app.calls().total() == first_cognito + 3),
    );

    let before = app.calls().total();
    let warm = 100;
    for _ in 0..warm {
        Req::get("read-file", &[("key", "bench.bin")])
            .token(&alice.id_token)
            .send(&app)
            .await
            .expect(200, None);
    }
    let per_request = (app.calls().total() - before) as f64 / warm as f64;
    table.add(
        "AWS calls, warm request",
        format!("{per_request:.2}"),
        "1",
        Some(per_request == 1.0),
    );

    // The team space: a member's warm request costs what one in the home does.
    let team = format!("bench-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let member = User::in_team(stack, &team).await;
    Req::put(
        "write-file",
        &[("space", "team"), ("key", "bench.bin")],
        vec![7u8; 1024],
    )
    .token(&member.id_token)
    .send(&app)
    .await
    .expect(200, None);
    let before = app.calls().total();
    for _ in 0..warm {
        Req::get("read-file", &[("space", "team"), ("key", "bench.bin")])
            .token(&member.id_token)
            .send(&app)
            .await
            .expect(200, None);
    }
    let per_team_request = (app.calls().total() - before) as f64 / warm as f64;
    table.add(
        "AWS calls, warm request in the team space",
        format!("{per_team_request:.2}"),
        "1",
        Some(per_team_request == 1.0),
    );

    // The miss path: S3 answers AccessDenied to the role for a missing key, and one
    // listing of that key tells "missing" (404) from "denied" (403).
    let before = app.calls().total();
    Req::get("read-file", &[("key", "missing.bin")])
        .token(&alice.id_token)
        .send(&app)
        .await
        .expect(404, Some("not_found"));
    let miss = app.calls().total() - before;
    table.add(
        "AWS calls, warm read of a missing file",
        format!("{miss} (GetObject, ListObjectsV2)"),
        "2",
        Some(miss == 2),
    );
    let etag = "\"0123456789abcdef0123456789abcdef\"";
    let before = app.calls().total();
    Req::put("write-file", &[("key", "missing.bin")], "x")
        .token(&alice.id_token)
        .header("if-match", etag)
        .send(&app)
        .await
        .expect(412, Some("precondition_failed"));
    let miss = app.calls().total() - before;
    table.add(
        "AWS calls, warm If-Match write of a missing file",
        format!("{miss} (PutObject, ListObjectsV2)"),
        "2",
        Some(miss == 2),
    );

    history_calls(&app, &alice, table).await;

    let bob = User::new(stack).await;
    let burst = stack.app(&[]);
    let requests = (0..50).map(|_| Req::get("list", &[]).token(&bob.id_token).send(&burst));
    let errors = futures::future::join_all(requests)
        .await
        .iter()
        .filter(|r| r.status() != 200)
        .count();
    let burst_cognito = cognito_calls(&burst);
    table.add(
        "Cognito calls, 50 concurrent first requests of one user",
        format!("{burst_cognito} ({errors} errors)"),
        "≤ 3",
        Some(burst_cognito <= 3 && errors == 0),
    );
    (alice, root)
}

/// Warm S3 calls of the history and file-manager operations.
async fn history_calls(app: &homedir::App, alice: &User, table: &mut Table) {
    let put = |key: &str, body: &str| {
        Req::put("write-file", &[("key", key)], body.to_owned())
            .token(&alice.id_token)
            .send(app)
    };
    let v1 = put("history.txt", "v1").await.expect(200, None).json();
    put("history.txt", "v2").await.expect(200, None);
    let version = v1["version_id"].as_str().expect("a version").to_owned();
    let mut rows: Vec<(&str, u64, &str, u64)> = Vec::new();

    let before = app.calls().total();
    Req::get(
        "read-file",
        &[("key", "history.txt"), ("version", &version)],
    )
    .token(&alice.id_token)
    .send(app)
    .await
    .expect(200, None);
    rows.push((
        "read of an old version",
        app.calls().total() - before,
        "GetObject",
        1,
    ));

    let before = app.calls().total();
    Req::put(
        "write-file",
        &[("key", "history.txt"), ("restore", &version)],
        "",
    )
    .token(&alice.id_token)
    .send(app)
    .await
    .expect(200, None);
    rows.push((
        "restore of a version",
        app.calls().total() - before,
        "HeadObject, CopyObject",
        2,
    ));

    let before = app.calls().total();
    Req::put(
        "write-file",
        &[("key", "moved.txt"), ("move_from", "history.txt")],
        "",
    )
    .token(&alice.id_token)
    .send(app)
    .await
    .expect(200, None);
    rows.push((
        "move",
        app.calls().total() - before,
        "HeadObject, CopyObject, DeleteObject",
        3,
    ));

    for i in 0..20 {
        put(&format!("folder/{i}.txt"), "x").await.expect(200, None);
    }
    let before = app.calls().total();
    Req::delete("delete", &[("prefix", "folder/")])
        .token(&alice.id_token)
        .send(app)
        .await
        .expect(200, None);
    rows.push((
        "folder delete, one batch",
        app.calls().total() - before,
        "ListObjectsV2, DeleteObjects",
        2,
    ));

    let before = app.calls().total();
    Req::get("list", &[("prefix", ""), ("deleted", "1")])
        .token(&alice.id_token)
        .send(app)
        .await
        .expect(200, None);
    rows.push((
        "trash listing, one page",
        app.calls().total() - before,
        "ListObjectVersions",
        1,
    ));

    for (what, calls, which, target) in rows {
        table.add(
            format!("AWS calls, warm {what}"),
            format!("{calls} ({which})"),
            target.to_string(),
            Some(calls == target),
        );
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Warm read-file in process vs a bare GetObject of the same object.
async fn warm_latency(stack: &Stack, alice: &User, root: &str, table: &mut Table) {
    let app = stack.app(&[]);
    // The bare client gets the same user's issued credentials, so the emulator does
    // the same work for both.
    let bare = alice.own_s3(stack).await;
    let key = format!("{root}bench.bin");
    let bare_get = || async {
        let output = bare
            .get_object()
            .bucket(stack.bucket())
            .key(&key)
            .send()
            .await
            .expect("bare GetObject");
        output
            .body
            .collect()
            .await
            .expect("body")
            .into_bytes()
            .len()
    };
    let handler_get = || async {
        let reply = Req::get("read-file", &[("key", "bench.bin")])
            .token(&alice.id_token)
            .send(&app)
            .await;
        assert_eq!(reply.status(), 200);
        reply.bytes().len()
    };
    for _ in 0..100 {
        bare_get().await;
        handler_get().await;
    }
    let (mut handler, mut baseline) = (Vec::new(), Vec::new());
    for i in 0..LATENCY_REQUESTS * 2 {
        let started = Instant::now();
        // Alternate which goes first so neither always follows the other.
        if (i / 2) % 2 == i % 2 {
            assert_eq!(handler_get().await, 1024);
            handler.push(started.elapsed());
        } else {
            assert_eq!(bare_get().await, 1024);
            baseline.push(started.elapsed());
        }
    }
    handler.sort();
    baseline.sort();
    let (h50, b50) = (percentile(&handler, 0.5), percentile(&baseline, 0.5));
    let (h99, b99) = (percentile(&handler, 0.99), percentile(&baseline, 0.99));
    let ratio50 = h50.as_secs_f64() / b50.as_secs_f64();
    let ratio99 = h99.as_secs_f64() / b99.as_secs_f64();
    table.add(
        "warm read-file p50 ÷ bare GetObject p50 (1 KiB)",
        format!("{ratio50:.3}× ({} vs {})", ms(h50), ms(b50)),
        "≤ 1.10×",
        Some(ratio50 <= 1.10),
    );
    table.add(
        "warm read-file p99 ÷ bare GetObject p99",
        format!("{ratio99:.3}× ({} vs {})", ms(h99), ms(b99)),
        "reported",
        None,
    );
}

/// Process start until the first `next` request to the Runtime API, release builds.
async fn init_times(stack: &Stack, table: &mut Table) {
    let env = stack.function_env();
    for name in FUNCTIONS {
        let path = binary(name, &profile());
        let mut times = Vec::new();
        for _ in 0..INIT_STARTS {
            let function = Function::spawn(&path, &env).await;
            times.push(function.init_duration().await);
            function.stop().await;
        }
        times.sort();
        let median = percentile(&times, 0.5);
        table.add(
            format!(
                "init time, {name} (median of {INIT_STARTS}, x86-64 {})",
                profile()
            ),
            ms(median),
            "≤ 20 ms",
            Some(median <= Duration::from_millis(20)),
        );
    }
}

/// The arm64 artefacts `cargo lambda build --release --arm64` left in target/lambda.
fn binary_sizes(table: &mut Table) {
    let target = homedir_tests::target_dir();
    for name in SIZED {
        let dir = target.join("lambda").join(name);
        let unzipped = std::fs::metadata(dir.join("bootstrap")).map(|m| m.len());
        let zipped = std::fs::metadata(dir.join("bootstrap.zip")).map(|m| m.len());
        match (unzipped, zipped) {
            (Ok(unzipped), Ok(zipped)) => table.add(
                format!("arm64 bootstrap size, {name}"),
                format!(
                    "{:.2} MB ({:.2} MB zipped)",
                    unzipped as f64 / 1e6,
                    zipped as f64 / 1e6
                ),
                "≤ 6 MB unzipped",
                Some(unzipped <= MAX_BINARY_BYTES),
            ),
            _ => table.add(
                format!("arm64 bootstrap size, {name}"),
                format!("missing in {}", dir.display()),
                "≤ 6 MB unzipped",
                Some(false),
            ),
        }
    }
}

/// Peak RSS of a release read-file process serving warm requests.
async fn peak_rss(stack: &Stack, alice: &User, table: &mut Table) {
    let function = Function::spawn(&binary("read-file", &profile()), &stack.function_env()).await;
    let auth = format!("Bearer {}", alice.id_token);
    let event = http_event(
        "GET",
        "read-file",
        "key=bench.bin",
        &[("authorization", &auth)],
        None,
    );
    for _ in 0..RSS_REQUESTS {
        let response = function.invoke(&event).await;
        assert_eq!(response["statusCode"], 200);
        assert_eq!(response_body(&response).len(), 1024);
    }
    let peak = function.peak_rss_kib().unwrap_or(u64::MAX);
    function.stop().await;
    table.add(
        format!("peak RSS, read-file after {RSS_REQUESTS} warm requests"),
        format!("{:.1} MB", peak as f64 / 1024.0),
        "≤ 40 MB",
        Some(peak <= 40 * 1024),
    );
}

/// Many users at once: no errors, and Cognito calls bounded per user.
async fn load(stack: &Stack, table: &mut Table) {
    let users: Vec<User> = futures::stream::iter(0..LOAD_USERS)
        .map(|_| User::new(stack))
        .buffer_unordered(20)
        .collect()
        .await;
    let app = stack.app(&[]);
    let ttl = app.config().user_check_ttl;
    let started = Instant::now();
    let outcomes: Vec<(usize, Vec<Duration>)> = futures::stream::iter(users.iter())
        .map(|user| session(&app, user))
        .buffer_unordered(LOAD_IN_FLIGHT)
        .collect()
        .await;
    let elapsed = started.elapsed();
    let errors: usize = outcomes.iter().map(|(e, _)| e).sum();
    let mut latencies: Vec<Duration> = outcomes.into_iter().flat_map(|(_, l)| l).collect();
    latencies.sort();
    let operations = latencies.len();

    let exchanges = app.calls().of("GetId") + app.calls().of("GetCredentialsForIdentity");
    let user_checks = app.calls().of("AdminGetUser");
    let windows = if ttl.is_zero() {
        u64::MAX
    } else {
        1 + elapsed.as_secs() / ttl.as_secs().max(1)
    };
    let allowed_checks = (LOAD_USERS as u64).saturating_mul(windows);
    table.add(
        format!("{LOAD_USERS} users × {LOAD_OPS_PER_USER} ops, {LOAD_IN_FLIGHT} in flight: errors"),
        format!(
            "{errors} of {operations} ({:.0} ops/s, p50 {}, p99 {})",
            operations as f64 / elapsed.as_secs_f64(),
            ms(percentile(&latencies, 0.5)),
            ms(percentile(&latencies, 0.99))
        ),
        "0",
        Some(errors == 0 && operations == LOAD_USERS * LOAD_OPS_PER_USER),
    );
    table.add(
        "  … Cognito calls",
        format!("{exchanges} GetId+GetCredentials, {user_checks} AdminGetUser"),
        format!(
            "≤ {} + ≤ {allowed_checks} (TTL {}s)",
            2 * LOAD_USERS,
            ttl.as_secs()
        ),
        Some(exchanges <= 2 * LOAD_USERS as u64 && user_checks <= allowed_checks),
    );
}

/// One user's ten mixed operations, in order; returns (errors, latencies).
async fn session(app: &homedir::App, user: &User) -> (usize, Vec<Duration>) {
    let t = user.id_token.as_str();
    let steps = [
        Req::put("write-file", &[("key", "a.txt")], "first").token(t),
        Req::get("read-file", &[("key", "a.txt")]).token(t),
        Req::put("write-file", &[("key", "dir/b.bin")], vec![1u8; 4096])
            .header("if-none-match", "*")
            .token(t),
        Req::get("list", &[]).token(t),
        Req::get("read-file", &[("key", "dir/b.bin")]).token(t),
        Req::get("list", &[("prefix", "dir/"), ("delimiter", "/")]).token(t),
        Req::put("write-file", &[("key", "a.txt")], "second").token(t),
        Req::get("read-file", &[("key", "a.txt")]).token(t),
        Req::delete("delete", &[("key", "a.txt")]).token(t),
        Req::delete("delete", &[("key", "dir/b.bin")]).token(t),
    ];
    let mut errors = 0;
    let mut latencies = Vec::with_capacity(steps.len());
    for step in steps {
        let started = Instant::now();
        let reply = step.send(app).await;
        latencies.push(started.elapsed());
        if !(200..300).contains(&reply.status()) {
            errors += 1;
        }
    }
    (errors, latencies)
}
