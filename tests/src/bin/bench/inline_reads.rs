//! Inline reads or the 307: a file of 1, 2 and 4 MiB read through read-file's answer
//! (base64 in the Lambda response, as API Gateway carries it) and through its redirect
//! to a presigned GET, by the real release binary under a Lambda Runtime API. For
//! each: what the client waits (the function, then the decode or the S3 GET) and what
//! the function runs (billed Lambda duration). `MAX_FILE_BYTES`'s default follows these
//! rows: a size is answered inline only while that is no slower for the client and
//! costs no more Lambda time than the redirect.

use std::time::{Duration, Instant};

use homedir_tests::data::{MIB, random};
use homedir_tests::presigned;
use homedir_tests::runtime::{Function, binary, http_event, response_body};
use homedir_tests::stack::{Stack, User};

use super::{Table, profile, put_object};

const SIZES: [usize; 3] = [MIB, 2 * MIB, 4 * MIB];
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
        let mib = size / MIB;
        table.add(
            format!("read {mib} MiB inline: client p50 / Lambda p50"),
            format!("{} / {}", ms(inline_client), ms(inline_lambda)),
            "(compare)",
            None,
        );
        table.add(
            format!("read {mib} MiB through the 307: client p50 / Lambda p50"),
            format!("{} / {}", ms(redirect_client), ms(redirect_lambda)),
            "(compare)",
            None,
        );
        verdicts.push((
            size,
            inline_client <= redirect_client && inline_lambda <= redirect_lambda,
        ));
    }
    // The default inline limit: files up to it read inline, larger ones redirect.
    let default = homedir::config::DEFAULT_MAX_INLINE_READ_BYTES;
    let consistent = verdicts.iter().all(|(size, inline_wins)| {
        let inlined = *size <= default;
        inlined == *inline_wins || (!inlined && !inline_wins)
    }) && verdicts
        .iter()
        .filter(|(size, _)| *size <= default)
        .all(|(_, inline_wins)| *inline_wins);
    table.add(
        "default MAX_FILE_BYTES inlines only sizes where inline is no slower and no costlier",
        format!("{default} bytes"),
        "every size at or under it wins inline",
        Some(consistent),
    );
    inline.stop().await;
    redirect.stop().await;
}
