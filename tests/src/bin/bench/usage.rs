//! Usage and quotas: what the quota adds to a warm write, and what the usage function
//! costs per S3 event.
//!
//! - **A warm write under quota**: write-file configured as the stack deploys it (its
//!   usage table and quotas, from `FUNCTIONS_CONFIG`), a user far under the quota.
//!   Its AWS calls (one S3 PutObject plus the one DynamoDB GetItem of the space's
//!   total: the check reads the total before anything is written) and its latency,
//!   interleaved request by request with the same write with no quota (no table read)
//!   and with a bare PutObject of the user's own credentials.
//! - **The usage function per event**: the usage function's code in process, with its
//!   role's credentials from `FUNCTIONS_CONFIG` and the template's environment, given
//!   one S3 record per invocation as S3 sends them: its AWS calls per creation, per
//!   removal and per delete marker, its duration here (DynamoDB on loopback: in AWS each
//!   call is a few milliseconds more), and what a million events cost by the published
//!   prices (us-east-1, on-demand):
//!   - Lambda, <https://aws.amazon.com/lambda/pricing/>: $0.20 per million requests,
//!     $0.0000133334 per GB-second on arm64, billed by the millisecond; the usage
//!     function has the template's 256 MB;
//!   - DynamoDB on-demand, <https://aws.amazon.com/dynamodb/pricing/on-demand/>: $0.625
//!     per million write request units, $0.125 per million read request units. A
//!     strongly consistent GetItem of an item up to 4 KB is one read unit, a PutItem or
//!     UpdateItem of up to 1 KB one write unit, and a transactional write two per item
//!     (<https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-capacity-handling>):
//!     the tally's TransactWriteItems (the version's item and the space's total, both
//!     under 1 KB) is four;
//!   - S3 sends event notifications to Lambda at no charge
//!     (<https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html>).

use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use homedir::usage::function::{UsageApp, UsageConfig};
use homedir_tests::requests::Req;
use homedir_tests::stack::{Stack, User};
use homedir_tests::usage::{functions_config, notification, record};
use serde_json::Value;

use super::{Table, ms, percentile};

const WRITES: usize = 300;
const EVENTS: usize = 200;

/// US dollars, us-east-1 (see the module's sources).
const LAMBDA_PER_REQUEST: f64 = 0.20 / 1_000_000.0;
const LAMBDA_PER_GB_SECOND: f64 = 0.000_013_333_4;
const USAGE_FUNCTION_GB: f64 = 0.25;
const PER_WRITE_UNIT: f64 = 0.625 / 1_000_000.0;
const PER_READ_UNIT: f64 = 0.125 / 1_000_000.0;

/// The request units an operation of the usage function consumes (its items are all
/// under 1 KB; reads are strongly consistent): (read, write).
fn units(operation: &str) -> (f64, f64) {
    match operation {
        "GetItem" | "Query" => (1.0, 0.0),
        "PutItem" | "UpdateItem" => (0.0, 1.0),
        "TransactWriteItems" => (0.0, 4.0),
        _ => (0.0, 0.0),
    }
}

pub async fn usage(stack: &Stack, table: &mut Table) {
    eprintln!("bench: a warm write under quota ({WRITES} requests each)…");
    warm_write_under_quota(stack, table).await;
    eprintln!("bench: the usage function, {EVENTS} events of each kind…");
    usage_function_per_event(stack, table).await;
}

/// The deployed write-file's usage settings (`USAGE_TABLE`, `QUOTA_BYTES`,
/// `TEAM_QUOTA_BYTES`).
fn deployed_usage_settings(config: &Value) -> Vec<(String, String)> {
    let environment = &config["functions"]["write-file"]["environment"];
    ["USAGE_TABLE", "QUOTA_BYTES", "TEAM_QUOTA_BYTES"]
        .iter()
        .filter_map(|name| {
            environment[*name]
                .as_str()
                .map(|value| ((*name).to_owned(), value.to_owned()))
        })
        .collect()
}

async fn warm_write_under_quota(stack: &Stack, table: &mut Table) {
    let config = functions_config(stack);
    let settings = deployed_usage_settings(&config);
    let pairs: Vec<(&str, &str)> = settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert!(
        pairs.iter().any(|(k, v)| *k == "QUOTA_BYTES" && *v != "0"),
        "the stack deploys a quota: {pairs:?}"
    );
    let quota_app = stack.app(&pairs);
    let plain_app = stack.app(&[]);
    let alice = User::new(stack).await;
    let root = alice.home_root(stack).await;
    let bare = alice.own_s3(stack).await;
    let body = vec![7u8; 1024];
    let write = |app| {
        let body = body.clone();
        let token = alice.id_token.clone();
        async move {
            let reply = Req::put("write-file", &[("key", "bench-quota.bin")], body)
                .token(&token)
                .send(app)
                .await;
            assert_eq!(
                reply.status(),
                200,
                "{:?}",
                String::from_utf8_lossy(reply.bytes())
            );
        }
    };
    let bare_put = || async {
        bare.put_object()
            .bucket(stack.bucket())
            .key(format!("{root}bench-quota.bin"))
            .body(body.clone().into())
            .send()
            .await
            .expect("bare PutObject");
    };
    // Warm all three (credentials, the JWKS, connections), then count warm calls.
    for _ in 0..20 {
        write(&quota_app).await;
        write(&plain_app).await;
        bare_put().await;
    }
    let before = quota_app.calls().snapshot();
    for _ in 0..100 {
        write(&quota_app).await;
    }
    let after = quota_app.calls().snapshot();
    let made = |operation: &str| {
        after.get(operation).copied().unwrap_or(0) - before.get(operation).copied().unwrap_or(0)
    };
    let total: u64 = after.values().sum::<u64>() - before.values().sum::<u64>();
    let (puts, reads) = (made("PutObject"), made("GetItem"));
    let others = total - puts - reads;
    table.add(
        "AWS calls, warm write under quota (per request)",
        format!(
            "{:.2} S3 PutObject + {:.2} DynamoDB GetItem, {others} other",
            puts as f64 / 100.0,
            reads as f64 / 100.0
        ),
        "1 PutObject + ≤ 1 GetItem",
        Some(puts == 100 && reads <= 100 && others == 0),
    );

    let (mut quota, mut plain, mut baseline) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..WRITES * 3 {
        let started = Instant::now();
        // Rotate which goes first.
        match (i + i / 3) % 3 {
            0 => {
                write(&quota_app).await;
                quota.push(started.elapsed());
            }
            1 => {
                write(&plain_app).await;
                plain.push(started.elapsed());
            }
            _ => {
                bare_put().await;
                baseline.push(started.elapsed());
            }
        }
    }
    for samples in [&mut quota, &mut plain, &mut baseline] {
        samples.sort();
    }
    let (q50, p50, b50) = (
        percentile(&quota, 0.5),
        percentile(&plain, 0.5),
        percentile(&baseline, 0.5),
    );
    let (q99, b99) = (percentile(&quota, 0.99), percentile(&baseline, 0.99));
    table.add(
        "warm write under quota p50 ÷ bare PutObject p50 (1 KiB)",
        format!(
            "{:.3}× ({} vs {}; no quota {})",
            q50.as_secs_f64() / b50.as_secs_f64(),
            ms(q50),
            ms(b50),
            ms(p50)
        ),
        "reported (the GetItem is one more round trip)",
        None,
    );
    table.add(
        "warm write under quota p99 ÷ bare PutObject p99",
        format!(
            "{:.3}× ({} vs {})",
            q99.as_secs_f64() / b99.as_secs_f64(),
            ms(q99),
            ms(b99)
        ),
        "reported",
        None,
    );
}

/// What one kind of event cost: calls by operation over `events` invocations, and
/// the invocations' durations.
struct Measured {
    calls: std::collections::BTreeMap<String, u64>,
    durations: Vec<Duration>,
}

impl Measured {
    fn per_event(&self) -> f64 {
        self.calls.values().sum::<u64>() as f64 / self.durations.len() as f64
    }

    fn described(&self) -> String {
        let n = self.durations.len() as f64;
        let parts: Vec<String> = self
            .calls
            .iter()
            .map(|(op, calls)| format!("{:.2} {op}", *calls as f64 / n))
            .collect();
        if parts.is_empty() {
            "0".to_owned()
        } else {
            format!("{:.2} ({})", self.per_event(), parts.join(", "))
        }
    }

    /// (Lambda, DynamoDB) US dollars per million of these events.
    fn cost_per_million(&self) -> (f64, f64) {
        let mut sorted = self.durations.clone();
        sorted.sort();
        let billed_ms = (percentile(&sorted, 0.5).as_secs_f64() * 1000.0).ceil();
        let lambda =
            LAMBDA_PER_REQUEST + billed_ms / 1000.0 * USAGE_FUNCTION_GB * LAMBDA_PER_GB_SECOND;
        let n = self.durations.len() as f64;
        let dynamodb: f64 = self
            .calls
            .iter()
            .map(|(op, calls)| {
                let (read, write) = units(op);
                (read * PER_READ_UNIT + write * PER_WRITE_UNIT) * *calls as f64 / n
            })
            .sum();
        (lambda * 1e6, dynamodb * 1e6)
    }
}

async fn measure(app: &UsageApp, events: &[Value]) -> Measured {
    let before = app.calls().snapshot();
    let mut durations = Vec::with_capacity(events.len());
    for event in events {
        let started = Instant::now();
        app.handle(event.clone())
            .await
            .expect("the event is counted");
        durations.push(started.elapsed());
    }
    let calls = app
        .calls()
        .snapshot()
        .into_iter()
        .map(|(op, after)| (op.clone(), after - before.get(&op).copied().unwrap_or(0)))
        .filter(|(_, calls)| *calls > 0)
        .collect();
    Measured { calls, durations }
}

async fn usage_function_per_event(stack: &Stack, table: &mut Table) {
    let config = functions_config(stack);
    let function = &config["functions"]["usage"];
    let text = |value: &Value, name: &str| value[name].as_str().map(str::to_owned);
    let environment = &function["environment"];
    let settings = |name: &str| match name {
        "AWS_ENDPOINT_URL" => Some(stack.endpoint().to_owned()),
        "AWS_REGION" => Some(stack.region().to_owned()),
        other => text(environment, other),
    };
    let usage_config = UsageConfig::from_lookup(settings).expect("the usage function's settings");
    let credentials = &function["credentials"];
    let sdk = SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(stack.region().to_owned()))
        .endpoint_url(stack.endpoint())
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            text(credentials, "AWS_ACCESS_KEY_ID").expect("the role's key"),
            text(credentials, "AWS_SECRET_ACCESS_KEY").expect("the role's secret"),
            text(credentials, "AWS_SESSION_TOKEN"),
            None,
            "usage-function-role",
        )))
        .build();
    let app = UsageApp::new(usage_config, &sdk);
    let user = User::new(stack).await;
    let root = user.home_root(stack).await;
    let bucket = stack.bucket();
    let one = |name: &str, i: usize, size: Option<u64>| {
        notification(&[record(
            bucket,
            name,
            &format!("{root}bench/event-{i}.bin"),
            &format!("bench-version-{i}"),
            size,
        )])
    };
    // Warm: the connection and the role's signing.
    measure(&app, &[one("ObjectCreated:Put", EVENTS, Some(1))]).await;
    let created: Vec<Value> = (0..EVENTS)
        .map(|i| one("ObjectCreated:Put", i, Some(1024)))
        .collect();
    let removed: Vec<Value> = (0..EVENTS)
        .map(|i| one("ObjectRemoved:Delete", i, None))
        .collect();
    let markers: Vec<Value> = (0..EVENTS)
        .map(|i| one("ObjectRemoved:DeleteMarkerCreated", i, None))
        .collect();
    let creations = measure(&app, &created).await;
    let duplicates = measure(&app, &created).await;
    let removals = measure(&app, &removed).await;
    let marked = measure(&app, &markers).await;

    let calls_of = |m: &Measured, op: &str| m.calls.get(op).copied().unwrap_or(0);
    let n = EVENTS as u64;
    table.add(
        "usage function, AWS calls per creation event",
        creations.described(),
        "2 (TransactWriteItems, GetItem)",
        Some(
            calls_of(&creations, "TransactWriteItems") == n
                && calls_of(&creations, "GetItem") == n
                && creations.per_event() == 2.0,
        ),
    );
    table.add(
        "usage function, AWS calls per duplicate creation event",
        duplicates.described(),
        "2 (its transaction cancelled: nothing changes)",
        Some(duplicates.per_event() == 2.0),
    );
    table.add(
        "usage function, AWS calls per removal event",
        removals.described(),
        "3 (GetItem, TransactWriteItems, GetItem)",
        Some(
            calls_of(&removals, "TransactWriteItems") == n
                && calls_of(&removals, "GetItem") == 2 * n
                && removals.per_event() == 3.0,
        ),
    );
    table.add(
        "usage function, AWS calls per delete marker event",
        marked.described(),
        "0",
        Some(marked.per_event() == 0.0),
    );
    for (what, measured) in [("creation", &creations), ("removal", &removals)] {
        let mut sorted = measured.durations.clone();
        sorted.sort();
        let (lambda, dynamodb) = measured.cost_per_million();
        table.add(
            format!("usage function, $ per million {what} events (Lambda + DynamoDB on-demand)"),
            format!(
                "${:.2} (Lambda ${lambda:.2} at {} p50 here, DynamoDB ${dynamodb:.2})",
                lambda + dynamodb,
                ms(percentile(&sorted, 0.5))
            ),
            "reported",
            None,
        );
    }
}
