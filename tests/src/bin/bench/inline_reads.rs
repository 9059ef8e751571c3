//! Inline reads or the 307: files of 128 KiB to 4 MiB read through read-file's answer
//! (base64 in the Lambda response, as API Gateway carries it) and through its redirect
//! to a presigned GET, by the real release binary under a Lambda Runtime API. For
//! each: what the client waits here (the function, then the decode or the S3 GET),
//! what the function runs (billed Lambda duration), and what a million such reads cost
//! in AWS by the published prices:
//!
//! - an HTTP API request is metered in 512 KB increments
//!   (<https://docs.aws.amazon.com/whitepapers/latest/best-practices-api-gateway-private-apis-integration/cost-optimization.html>),
//!   $1.00 per million (us-east-1), counted here on the base64 body Lambda returns, the
//!   stricter reading;
//! - Lambda arm64 at 256 MB: $0.0000133334 per GB-second, by the measured duration;
//! - an S3 GET: $0.0004 per 1,000; the 307 costs two (read-file's, then the client's).
//!
//! `MAX_INLINE_READ_BYTES`'s default follows the cost rows: a size is inline only while
//! that is no costlier. Latency is shown too, but here S3 is on loopback: in AWS the
//! 307 adds the client's own connection to S3 (DNS, TCP, TLS: a few round trips), which
//! no local figure shows, so small files gain from being inline whatever these say.

use std::time::{Duration, Instant};

use homedir_tests::data::{MIB, random};
use homedir_tests::presigned;
use homedir_tests::runtime::{Function, binary, http_event, response_body};
use homedir_tests::stack::{Stack, User};

use super::{Table, profile, put_object};

const KIB: usize = 1024;
const SIZES: [usize; 5] = [128 * KIB, 360 * KIB, 512 * KIB, MIB, 4 * MIB];

/// US dollars per unit, us-east-1 (see the module's sources).
const HTTP_API_PER_REQUEST: f64 = 1.00 / 1_000_000.0;
const HTTP_API_METERED_BYTES: usize = 512 * 1000;
const LAMBDA_PER_GB_SECOND: f64 = 0.000_013_333_4;
const LAMBDA_GB: f64 = 0.25;
const S3_PER_GET: f64 = 0.0004 / 1000.0;

/// What one read costs in AWS: API Gateway's metered requests for `response_bytes`,
/// `lambda` of billed duration, and `gets` S3 GETs.
fn cost(response_bytes: usize, lambda: Duration, gets: u32) -> f64 {
    let metered = response_bytes.div_ceil(HTTP_API_METERED_BYTES).max(1) as f64;
    metered * HTTP_API_PER_REQUEST
        + lambda.as_secs_f64() * LAMBDA_GB * LAMBDA_PER_GB_SECOND
        + f64::from(gets) * S3_PER_GET
}

fn label(size: usize) -> String {
    if size >= MIB {
        format!("{} MiB", size / MIB)
    } else {
        format!("{} KiB", size / KIB)
    }
}
const ROUNDS: usize = 15;

struct Sample {
    client: Duration,
    lambda: Duration,
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// One read of `key` by `function`; the body (inline or from S3) and the timings.
async fn read(function: &Function, key: &str, auth: &str) -> (Vec<u8>, Sample) {
    let started = Instant::now();
    let response = function
        .invoke(&http_event(
            "GET",
            "read-file",
            &format!("key={key}"),
            &[("authorization", auth)],
            None,
        ))
        .await;
    let lambda = started.elapsed();
    let body = match response["statusCode"].as_u64() {
        Some(307) => {
            let url = response["headers"]["location"]
                .as_str()
                .expect("a Location");
            presigned::get(url, None).await.body.to_vec()
        }
        _ => response_body(&response),
    };
    let client = started.elapsed();
    (body, Sample { client, lambda })
}

pub async fn inline_or_redirect(stack: &Stack, table: &mut Table) {
    let user = User::new(stack).await;
    let root = user.home_root(stack).await;
    let auth = format!("Bearer {}", user.id_token);
    let env = stack.function_env();
    let mut redirecting_env = env.clone();
    redirecting_env.push(("MAX_INLINE_READ_BYTES".into(), "1".into()));
    let inline = Function::spawn(&binary("read-file", &profile()), &env).await;
    let redirect = Function::spawn(&binary("read-file", &profile()), &redirecting_env).await;
    let mut verdicts = Vec::new();
    for size in SIZES {
        let key = format!("bench/inline-{size}.bin");
        let data = random(size);
        put_object(stack, &format!("{root}{key}"), data.to_vec()).await;
        // Warm both (credentials, JWKS, the connection to S3).
        for function in [&inline, &redirect] {
            read(function, &key, &auth).await;
        }
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            // Take turns going first: the emulator's first read of a run is its slowest.
            let order: [(&Function, &mut Vec<Sample>); 2] = if round % 2 == 0 {
                [(&inline, &mut a), (&redirect, &mut b)]
            } else {
                [(&redirect, &mut b), (&inline, &mut a)]
            };
            for (function, samples) in order {
                let (body, sample) = read(function, &key, &auth).await;
                assert_eq!(body.len(), size, "the whole file");
                samples.push(sample);
            }
        }
        let (inline_client, inline_lambda) = (
            median(a.iter().map(|s| s.client).collect()),
            median(a.iter().map(|s| s.lambda).collect()),
        );
        let (redirect_client, redirect_lambda) = (
            median(b.iter().map(|s| s.client).collect()),
            median(b.iter().map(|s| s.lambda).collect()),
        );
        // Base64 of the file in the Lambda response; the 307 answers a few hundred bytes.
        let inline_cost = cost(size.div_ceil(3) * 4, inline_lambda, 1);
        let redirect_cost = cost(1, redirect_lambda, 2);
        let size_label = label(size);
        table.add(
            format!("read {size_label} inline: client p50 / Lambda p50 / $ per million"),
            format!(
                "{} / {} / ${:.2}",
                ms(inline_client),
                ms(inline_lambda),
                inline_cost * 1e6
            ),
            "(compare)",
            None,
        );
        table.add(
            format!("read {size_label} through the 307: client p50 / Lambda p50 / $ per million"),
            format!(
                "{} / {} / ${:.2}",
                ms(redirect_client),
                ms(redirect_lambda),
                redirect_cost * 1e6
            ),
            "(compare)",
            None,
        );
        verdicts.push((size, inline_cost <= redirect_cost));
    }
    // The default inline limit: files up to it read inline, larger ones redirect.
    let default = homedir::config::DEFAULT_MAX_INLINE_READ_BYTES;
    let consistent = verdicts
        .iter()
        .all(|(size, inline_no_costlier)| (*size <= default) == *inline_no_costlier);
    table.add(
        "default MAX_INLINE_READ_BYTES inlines exactly the sizes where inline is no costlier",
        format!("{default} bytes"),
        "inline at or under it, the 307 above",
        Some(consistent),
    );
    inline.stop().await;
    redirect.stop().await;
}
