//! Large files: 256 MiB up through the API's part URLs and down through its redirect,
//! each against a bare aws-sdk-rust transfer of the same bytes, with the same part
//! size and parallelism, through the same emulator, interleaved round by round. The
//! functions run as the real release binaries, so their peak RSS is measured too.

use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::Bytes;
use futures::StreamExt;
use homedir_tests::data::{MIB, random};
use homedir_tests::presigned;
use homedir_tests::runtime::{Function, binary, http_event, response_body};
use homedir_tests::stack::{Stack, User};
use serde_json::{Value, json};

use super::{Table, profile};

const SIZE: usize = 256 * MIB;
const PART: usize = 8 * MIB;
const IN_FLIGHT: usize = 4;
/// Even, so each order of the download pair is measured as often as the other.
pub const ROUNDS: usize = 4;

fn mb_per_s(bytes: usize, took: Duration) -> f64 {
    bytes as f64 / MIB as f64 / took.as_secs_f64()
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[middle - 1] + values[middle]) / 2.0
    } else {
        values[middle]
    }
}

pub async fn large_transfers(stack: &Stack, table: &mut Table) {
    let user = User::new(stack).await;
    let root = user.home_root(stack).await;
    let bare = user.own_s3(stack).await;
    let env = stack.function_env();
    let write = Function::spawn(&binary("write-file", &profile()), &env).await;
    let read = Function::spawn(&binary("read-file", &profile()), &env).await;
    let auth = format!("Bearer {}", user.id_token);
    let data = random(SIZE);

    let (mut api_up, mut bare_up, mut api_down, mut bare_down) = (vec![], vec![], vec![], vec![]);
    let mut control = (0, 0);
    for round in 0..ROUNDS {
        let key = format!("bench/large-{round}.bin");

        // Up, through the API: start, PUT the parts to their URLs, complete.
        let started = Instant::now();
        let before = s3_calls(stack).await;
        let start = invoke(
            &write,
            "write-file",
            "POST",
            &format!("key={}", key.replace('/', "%2F")),
            &auth,
            Some(json!({ "size": SIZE, "content_type": "application/octet-stream" })),
        )
        .await;
        assert_eq!(start["status"], 201, "{start}");
        let start_calls = s3_calls(stack).await - before;
        let upload = &start["body"];
        let parts: Vec<Value> =
            futures::stream::iter(upload["parts"].as_array().expect("parts").clone())
                .map(|part| {
                    let data = data.clone();
                    async move {
                        let number = part["number"].as_u64().expect("number") as usize;
                        let from = (number - 1) * PART;
                        let size = part["size"].as_u64().expect("size") as usize;
                        let answer = presigned::put(
                            part["url"].as_str().expect("url"),
                            data.slice(from..from + size),
                        )
                        .await;
                        assert_eq!(answer.status, 200, "part {number}");
                        json!({ "number": number, "etag": answer.etag().expect("ETag") })
                    }
                })
                .buffered(IN_FLIGHT)
                .collect()
                .await;
        let before = s3_calls(stack).await;
        let done = invoke(
            &write,
            "write-file",
            "POST",
            &format!(
                "key={}&upload_id={}",
                key.replace('/', "%2F"),
                upload["upload_id"].as_str().expect("upload_id")
            ),
            &auth,
            Some(json!({ "parts": parts })),
        )
        .await;
        assert_eq!(done["status"], 200, "{done}");
        control = (start_calls, s3_calls(stack).await - before);
        api_up.push(mb_per_s(SIZE, started.elapsed()));

        // Up, bare: the same multipart upload with the SDK and the user's credentials.
        let started = Instant::now();
        bare_multipart(&bare, stack.bucket(), &format!("{root}{key}.bare"), &data).await;
        bare_up.push(mb_per_s(SIZE, started.elapsed()));

        // Down, through the API (the 307, then the bytes from S3) and bare, the same
        // object. The first read of a freshly completed object is the emulator's
        // slowest (it comes back from moto's spooled file), so the two take turns
        // going first.
        let api = async || {
            let started = Instant::now();
            let redirect = invoke(
                &read,
                "read-file",
                "GET",
                &format!("key={}", key.replace('/', "%2F")),
                &auth,
                None,
            )
            .await;
            assert_eq!(redirect["status"], 307, "{redirect}");
            let location = redirect["location"].as_str().expect("Location");
            let got = presigned::get(location, None).await;
            assert_eq!(got.body.len(), SIZE);
            mb_per_s(SIZE, started.elapsed())
        };
        let bare_get = async || {
            let started = Instant::now();
            let object = bare
                .get_object()
                .bucket(stack.bucket())
                .key(format!("{root}{key}"))
                .send()
                .await
                .expect("bare GetObject");
            let bytes = object.body.collect().await.expect("body").into_bytes();
            assert_eq!(bytes.len(), SIZE);
            mb_per_s(SIZE, started.elapsed())
        };
        let (through_api, bare_rate) = if round.is_multiple_of(2) {
            let through_api = api().await;
            (through_api, bare_get().await)
        } else {
            let bare_rate = bare_get().await;
            (api().await, bare_rate)
        };
        api_down.push(through_api);
        bare_down.push(bare_rate);
    }
    let peak_write = write.peak_rss_kib().unwrap_or(u64::MAX);
    let peak_read = read.peak_rss_kib().unwrap_or(u64::MAX);
    write.stop().await;
    read.stop().await;

    let (up, up_bare) = (median(api_up), median(bare_up));
    table.add(
        "256 MiB upload through the API's part URLs ÷ bare SDK multipart (8 MiB parts, 4 in flight)",
        format!("{:.2}× ({up:.0} vs {up_bare:.0} MB/s, median of {ROUNDS})", up / up_bare),
        "≥ 0.90×",
        Some(up / up_bare >= 0.90),
    );
    let (down, down_bare) = (median(api_down), median(bare_down));
    table.add(
        "256 MiB download through the redirect ÷ bare GetObject",
        format!(
            "{:.2}× ({down:.0} vs {down_bare:.0} MB/s, median of {ROUNDS})",
            down / down_bare
        ),
        "≥ 0.90×",
        Some(down / down_bare >= 0.90),
    );
    table.add(
        "S3 calls to start / complete an upload (warm)",
        format!("{} / {}", control.0, control.1),
        "1 / 1",
        Some(control == (1, 1)),
    );
    let peak = peak_write.max(peak_read);
    table.add(
        "peak RSS of write-file / read-file during the 256 MiB transfers",
        format!(
            "{:.1} / {:.1} MB",
            peak_write as f64 / 1024.0,
            peak_read as f64 / 1024.0
        ),
        "≤ 40 MB",
        Some(peak <= 40 * 1024),
    );
}

/// S3 calls the emulator has received so far (its own log: the functions run in
/// other processes).
async fn s3_calls(stack: &Stack) -> usize {
    homedir_tests::emulator::calls(stack)
        .await
        .iter()
        .filter(|c| c.service == "s3")
        .count()
}

/// Invokes a function with an HTTP API event; `{status, body (JSON if any), location}`.
async fn invoke(
    function: &Function,
    route: &str,
    method: &str,
    query: &str,
    auth: &str,
    body: Option<Value>,
) -> Value {
    let body = body.map(|b| b.to_string().into_bytes());
    let response = function
        .invoke(&http_event(
            method,
            route,
            query,
            &[
                ("authorization", auth),
                ("content-type", "application/json"),
            ],
            body.as_deref(),
        ))
        .await;
    let bytes = response_body(&response);
    json!({
        "status": response["statusCode"],
        "body": serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null),
        "location": response["headers"]["location"],
    })
}

async fn bare_multipart(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, data: &Bytes) {
    let upload = s3
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("CreateMultipartUpload");
    let id = upload.upload_id().expect("upload id").to_owned();
    let parts: Vec<CompletedPart> = futures::stream::iter(0..SIZE.div_ceil(PART))
        .map(|index| {
            let data = data.slice(index * PART..((index + 1) * PART).min(SIZE));
            let id = id.clone();
            async move {
                let number = i32::try_from(index + 1).expect("a part number");
                let part = s3
                    .upload_part()
                    .bucket(bucket)
                    .key(key)
                    .upload_id(id)
                    .part_number(number)
                    .body(ByteStream::from(data))
                    .send()
                    .await
                    .expect("UploadPart");
                CompletedPart::builder()
                    .part_number(number)
                    .e_tag(part.e_tag().expect("ETag"))
                    .build()
            }
        })
        .buffered(IN_FLIGHT)
        .collect()
        .await;
    s3.complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .expect("CompleteMultipartUpload");
}
