//! Files of any size: multipart uploads through URLs signed with the caller's own
//! credentials, downloads through a 307 redirect or a link. Real path: the handlers,
//! real tokens, the emulator verifying every presigned URL as S3 does.

use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use homedir_tests::data::{MIB, random, sha256};
use homedir_tests::emulator::{Fault, PrivateStack, calls, inject, reset_calls};
use homedir_tests::presigned;
use homedir_tests::requests::{Reply, Req, counting};
use homedir_tests::stack::{Stack, User, keys_under, object};
use serde_json::{Value, json};

async fn start(
    app: &homedir::App,
    user: &User,
    key: &str,
    size: usize,
    extra: &[(&str, &str)],
) -> Value {
    let mut pairs = vec![("key", key)];
    pairs.extend_from_slice(extra);
    Req::post(
        "write-file",
        &pairs,
        json!({ "size": size, "content_type": "video/mp4" }).to_string(),
    )
    .token(&user.id_token)
    .send(app)
    .await
    .expect(201, None)
    .json()
}

/// PUTs each listed part (its slice of `data`) to its URL, `parallel` at a time;
/// returns `{"number","etag"}` for each, in part order.
async fn upload_parts(
    data: &Bytes,
    part_size: usize,
    parts: &[Value],
    parallel: usize,
) -> Vec<Value> {
    let mut done: Vec<Value> = futures::stream::iter(parts.iter().cloned())
        .map(|part| {
            let data = data.clone();
            async move {
                let number = part["number"].as_u64().expect("number") as usize;
                let from = (number - 1) * part_size;
                let size = part["size"].as_u64().expect("size") as usize;
                let answer = presigned::put(part["url"].as_str().expect("url"), data.slice(from..from + size)).await;
                assert_eq!(answer.status, 200, "part {number}: {}", answer.error_code());
                json!({ "number": number, "etag": answer.etag().expect("S3 returns the part's ETag") })
            }
        })
        .buffer_unordered(parallel)
        .collect()
        .await;
    done.sort_by_key(|p| p["number"].as_u64());
    done
}

async fn complete(
    app: &homedir::App,
    user: &User,
    key: &str,
    upload_id: &str,
    parts: &[Value],
) -> Reply {
    Req::post(
        "write-file",
        &[("key", key), ("upload_id", upload_id)],
        json!({ "parts": parts }).to_string(),
    )
    .token(&user.id_token)
    .send(app)
    .await
}

/// 64 MiB in 8 parts, two in flight, read back through the redirect and a link.
#[tokio::test]
async fn a_64_mib_file_round_trips_through_presigned_urls() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    let data = random(64 * MIB);
    let key = "videos/holiday.mp4";

    let started = start(&app, &user, key, data.len(), &[]).await;
    assert_eq!(started["part_size"], 8 * MIB);
    assert_eq!(started["size"], data.len());
    let parts = started["parts"].as_array().expect("parts");
    assert_eq!(parts.len(), 8);
    assert!(started["next_part"].is_null());
    let uploaded = upload_parts(&data, 8 * MIB, parts, 2).await;
    let upload_id = started["upload_id"].as_str().expect("upload_id");
    let done = complete(&app, &user, key, upload_id, &uploaded)
        .await
        .expect(200, None);
    assert_eq!(done.json()["size"], data.len());
    assert_eq!(done.json()["key"], key);
    assert_eq!(done.header("etag").as_deref(), done.json()["etag"].as_str());

    // What S3 holds: exactly the declared size and type.
    let (stored, content_type) = object(stack, &format!("{}{key}", user.home_root(stack).await))
        .await
        .expect("stored");
    assert_eq!(stored.len(), data.len());
    assert_eq!(content_type.as_deref(), Some("video/mp4"));

    // Through the redirect: one S3 call (GetObject), then the bytes from S3.
    let get_objects = app.calls().of("GetObject");
    let redirect = Req::get("read-file", &[("key", key)])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(307, None);
    assert_eq!(app.calls().of("GetObject") - get_objects, 1);
    assert_eq!(
        redirect.header("cache-control").as_deref(),
        Some("no-store")
    );
    let location = redirect.header("location").expect("Location");
    let body = presigned::get(&location, None).await;
    assert_eq!(body.status, 200);
    assert_eq!(sha256(&body.body), sha256(&data), "the redirect's bytes");

    // Through a link: size, ETag and type, and the same bytes.
    let link = Req::get("read-file", &[("key", key), ("link", "1")])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None)
        .json();
    assert_eq!(link["size"], data.len());
    assert_eq!(link["content_type"], "video/mp4");
    assert_eq!(link["etag"], done.json()["etag"]);
    let body = presigned::get(link["url"].as_str().expect("url"), None).await;
    assert_eq!(sha256(&body.body), sha256(&data), "the link's bytes");

    // A Range request through the link gets exactly those bytes.
    let range = presigned::get(link["url"].as_str().expect("url"), Some("bytes=1000-2999")).await;
    assert_eq!(range.status, 206);
    assert_eq!(range.body, data.slice(1000..3000));
}

#[tokio::test]
async fn links_are_short_lived_named_and_signed_by_the_caller() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    Req::put(
        "write-file",
        &[("key", "docs/Résumé 2026.pdf")],
        "pdf bytes",
    )
    .token(&user.id_token)
    .header("content-type", "application/pdf")
    .send(&app)
    .await
    .expect(200, None);
    let link = Req::get(
        "read-file",
        &[
            ("key", "docs/Résumé 2026.pdf"),
            ("link", "1"),
            ("expires", "60"),
            ("download", "1"),
        ],
    )
    .token(&user.id_token)
    .send(&app)
    .await
    .expect(200, None)
    .json();
    let url = link["url"].as_str().expect("url");
    assert!(url.contains("X-Amz-Expires="), "{url}");
    let expires: u64 = url
        .split("X-Amz-Expires=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .and_then(|n| n.parse().ok())
        .expect("a number");
    assert!(
        (1..=60).contains(&expires),
        "never longer than asked: {expires}"
    );
    let answer = presigned::get(url, None).await;
    assert_eq!(answer.body, "pdf bytes");
    let disposition = answer
        .headers
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert!(
        disposition.contains("filename*=UTF-8''R%C3%A9sum%C3%A9%202026.pdf"),
        "{disposition}"
    );

    // Signed with an access key the identity pool issued to this caller.
    let issued = url
        .split("X-Amz-Credential=")
        .nth(1)
        .and_then(|rest| rest.split("%2F").next())
        .expect("a credential");
    assert!(issued.starts_with("ASIA"), "{issued}");

    for bad in [
        ("expires", "0"),
        ("expires", "3601"),
        ("expires", "x"),
        ("link", "yes"),
        ("download", "true"),
    ] {
        Req::get(
            "read-file",
            &[("key", "docs/Résumé 2026.pdf"), ("link", "1"), bad],
        )
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(400, Some("invalid_request"));
    }
    Req::get("read-file", &[("key", "missing.bin"), ("link", "1")])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(404, Some("not_found"));
}

/// Part URLs that expired are replaced by the resume call; the upload finishes.
#[tokio::test]
async fn an_interrupted_upload_resumes_with_fresh_urls() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    let data = random(20 * MIB);
    let key = "big/resumed.bin";
    let started = start(&app, &user, key, data.len(), &[("expires", "2")]).await;
    let parts = started["parts"].as_array().expect("parts").clone();
    assert_eq!(parts.len(), 3);
    let first = upload_parts(&data, 8 * MIB, &parts[..1], 1).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let expired = presigned::put(
        parts[1]["url"].as_str().expect("url"),
        data.slice(8 * MIB..16 * MIB),
    )
    .await;
    assert_eq!(expired.status, 403, "an expired URL is refused");

    let upload_id = started["upload_id"].as_str().expect("upload_id");
    let resumed = Req::get("write-file", &[("key", key), ("upload_id", upload_id)])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None)
        .json();
    assert_eq!(resumed["uploaded"].as_array().map(Vec::len), Some(1));
    assert_eq!(resumed["uploaded"][0]["number"], 1);
    assert_eq!(resumed["uploaded"][0]["etag"], first[0]["etag"]);
    assert_eq!(resumed["uploaded"][0]["size"], 8 * MIB);
    let rest = resumed["parts"].as_array().expect("parts");
    assert_eq!(
        rest.iter()
            .map(|p| p["number"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        vec![2, 3]
    );
    assert_eq!(rest[1]["size"], 4 * MIB);
    let mut all = first;
    all.extend(upload_parts(&data, 8 * MIB, rest, 2).await);
    complete(&app, &user, key, upload_id, &all)
        .await
        .expect(200, None);
    let (stored, _) = object(stack, &format!("{}{key}", user.home_root(stack).await))
        .await
        .expect("stored");
    assert_eq!(sha256(&stored), sha256(&data));
}

/// S3 refuses a part of the wrong length and URLs edited to another key or part;
/// an upload missing a part does not complete.
#[tokio::test]
async fn tampered_parts_are_refused_and_nothing_completes() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    let data = random(16 * MIB);
    let key = "big/tampered.bin";
    let started = start(&app, &user, key, data.len(), &[]).await;
    let parts = started["parts"].as_array().expect("parts");
    let url = parts[0]["url"].as_str().expect("url");

    let short = presigned::put(url, data.slice(..8 * MIB - 1)).await;
    assert_eq!(
        (short.status.as_u16(), short.error_code().as_str()),
        (403, "SignatureDoesNotMatch")
    );
    let other_key = url.replacen("tampered.bin", "other.bin", 1);
    let moved = presigned::put(&other_key, data.slice(..8 * MIB)).await;
    assert_eq!(
        (moved.status.as_u16(), moved.error_code().as_str()),
        (403, "SignatureDoesNotMatch")
    );
    let other_part = url.replacen("partNumber=1", "partNumber=2", 1);
    assert_ne!(other_part, url);
    let renumbered = presigned::put(&other_part, data.slice(..8 * MIB)).await;
    assert_eq!(
        (renumbered.status.as_u16(), renumbered.error_code().as_str()),
        (403, "SignatureDoesNotMatch")
    );

    // Only part 1 arrives: completing with part 2's made-up ETag fails, nothing is stored.
    let one = upload_parts(&data, 8 * MIB, &parts[..1], 1).await;
    let upload_id = started["upload_id"].as_str().expect("upload_id");
    let made_up = vec![
        one[0].clone(),
        json!({ "number": 2, "etag": "\"0123456789abcdef0123456789abcdef\"" }),
    ];
    complete(&app, &user, key, upload_id, &made_up)
        .await
        .expect(400, Some("invalid_request"));
    complete(&app, &user, key, upload_id, &one)
        .await
        .expect(400, Some("invalid_request"));
    let root = user.home_root(stack).await;
    assert!(
        keys_under(stack, &root).await.is_empty(),
        "nothing completed"
    );
}

/// An upload id only ever works with its own caller and key.
#[tokio::test]
async fn bob_cannot_use_alices_upload_id() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let alice = User::new(stack).await;
    let bob = User::new(stack).await;
    let data = random(9 * MIB);
    let started = start(&app, &alice, "shared.bin", data.len(), &[]).await;
    let upload_id = started["upload_id"].as_str().expect("upload_id");
    let parts = upload_parts(
        &data,
        8 * MIB,
        started["parts"].as_array().expect("parts"),
        2,
    )
    .await;

    // Alice's id is tagged for her home and her key: refused for any other before
    // any AWS call.
    for key in ["shared.bin", "elsewhere.bin"] {
        Req::get("write-file", &[("key", key), ("upload_id", upload_id)])
            .token(&bob.id_token)
            .send(&app)
            .await
            .expect(400, Some("invalid_request"));
        complete(&app, &bob, key, upload_id, &parts)
            .await
            .expect(400, Some("invalid_request"));
        Req::delete("write-file", &[("key", key), ("upload_id", upload_id)])
            .token(&bob.id_token)
            .send(&app)
            .await
            .expect(400, Some("invalid_request"));
    }
    Req::get(
        "write-file",
        &[("key", "elsewhere.bin"), ("upload_id", upload_id)],
    )
    .token(&alice.id_token)
    .send(&app)
    .await
    .expect(400, Some("invalid_request"));
    // Even with the deployment's key (an id tagged for Bob's home), S3 binds Alice's
    // upload to her key: 404, nothing of hers reached.
    let s3_id = upload_id.splitn(4, '.').nth(3).expect("S3's upload id");
    let bob_root = bob.home_root(stack).await;
    for key in ["shared.bin", "elsewhere.bin"] {
        let forged = stack.upload_id(&bob_root, key, data.len() as u64, s3_id);
        Req::get("write-file", &[("key", key), ("upload_id", &forged)])
            .token(&bob.id_token)
            .send(&app)
            .await
            .expect(404, Some("not_found"));
        complete(&app, &bob, key, &forged, &parts)
            .await
            .expect(404, Some("not_found"));
        Req::delete("write-file", &[("key", key), ("upload_id", &forged)])
            .token(&bob.id_token)
            .send(&app)
            .await
            .expect(404, Some("not_found"));
    }
    assert!(
        keys_under(stack, &bob.home_root(stack).await)
            .await
            .is_empty()
    );
    // Alice's upload is untouched and completes.
    complete(&app, &alice, "shared.bin", upload_id, &parts)
        .await
        .expect(200, None);
}

#[tokio::test]
async fn if_none_match_completion_racing_a_put_has_exactly_one_winner() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    for round in 0..3 {
        let key = format!("race-{round}.bin");
        let data = random(1024);
        let started = start(&app, &user, &key, data.len(), &[]).await;
        let parts = upload_parts(
            &data,
            8 * MIB,
            started["parts"].as_array().expect("parts"),
            1,
        )
        .await;
        let upload_id = started["upload_id"].as_str().expect("upload_id").to_owned();
        let completion = Req::post(
            "write-file",
            &[("key", &key), ("upload_id", &upload_id)],
            json!({ "parts": parts }).to_string(),
        )
        .token(&user.id_token)
        .header("if-none-match", "*")
        .send(&app);
        let put = Req::put("write-file", &[("key", &key)], "small")
            .token(&user.id_token)
            .header("if-none-match", "*")
            .send(&app);
        let (completed, written) = tokio::join!(completion, put);
        let mut statuses = vec![completed.status(), written.status()];
        statuses.sort();
        assert_eq!(statuses, vec![200, 412], "round {round}");
    }
}

#[tokio::test]
async fn an_aborted_upload_leaves_nothing() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    let data = random(9 * MIB);
    let started = start(&app, &user, "aborted.bin", data.len(), &[]).await;
    let upload_id = started["upload_id"].as_str().expect("upload_id");
    upload_parts(
        &data,
        8 * MIB,
        &started["parts"].as_array().expect("parts")[..1],
        1,
    )
    .await;
    Req::delete(
        "write-file",
        &[("key", "aborted.bin"), ("upload_id", upload_id)],
    )
    .token(&user.id_token)
    .send(&app)
    .await
    .expect(204, None);
    Req::get(
        "write-file",
        &[("key", "aborted.bin"), ("upload_id", upload_id)],
    )
    .token(&user.id_token)
    .send(&app)
    .await
    .expect(404, Some("not_found"));
    let root = user.home_root(stack).await;
    assert!(keys_under(stack, &root).await.is_empty());
    let uploads = stack
        .admin_s3()
        .list_multipart_uploads()
        .bucket(stack.bucket())
        .prefix(&root)
        .send()
        .await
        .expect("admin ListMultipartUploads");
    assert!(uploads.uploads().is_empty(), "no upload remains");
}

#[tokio::test]
async fn uploads_over_the_limit_or_malformed_are_refused_before_any_aws_call() {
    let stack = Stack::get();
    let app = stack.app(&[("MAX_UPLOAD_BYTES", "1000")]);
    let user = User::new(stack).await;
    Req::post(
        "write-file",
        &[("key", "big.bin")],
        json!({ "size": 1001 }).to_string(),
    )
    .token(&user.id_token)
    .send(&app)
    .await
    .expect(413, Some("payload_too_large"));
    for (case, pairs, body) in [
        ("not JSON", vec![("key", "f")], "size=1".to_owned()),
        ("no size", vec![("key", "f")], json!({ "content_type": "a/b" }).to_string()),
        ("negative size", vec![("key", "f")], json!({ "size": -1 }).to_string()),
        ("unknown field", vec![("key", "f")], json!({ "size": 1, "colour": "red" }).to_string()),
        ("bad content type", vec![("key", "f")], json!({ "size": 1, "content_type": "a\nb" }).to_string()),
        ("expires out of range", vec![("key", "f"), ("expires", "0")], json!({ "size": 1 }).to_string()),
        ("upload id not ours", vec![("key", "f"), ("upload_id", "abc")], json!({ "parts": [] }).to_string()),
        ("no parts", vec![("key", "f"), ("upload_id", "10.8388608.abc")], json!({}).to_string()),
        ("parts out of order", vec![("key", "f"), ("upload_id", "20000000.8388608.abc")],
            json!({ "parts": [{ "number": 2, "etag": "a" }, { "number": 1, "etag": "b" }, { "number": 3, "etag": "c" }] }).to_string()),
    ] {
        let reply = Req::post("write-file", &pairs, body).token(&user.id_token).send(&app).await;
        assert_eq!((reply.status(), reply.code().as_str()), (400, "invalid_request"), "{case}");
    }
    for (case, pairs) in [
        ("resume without upload_id", vec![("key", "f")]),
        (
            "from_part 0",
            vec![
                ("key", "f"),
                ("upload_id", "10.8388608.abc"),
                ("from_part", "0"),
            ],
        ),
        (
            "unknown parameter",
            vec![("key", "f"), ("upload_id", "10.8388608.abc"), ("part", "1")],
        ),
    ] {
        let reply = Req::get("write-file", &pairs)
            .token(&user.id_token)
            .send(&app)
            .await;
        assert_eq!(
            (reply.status(), reply.code().as_str()),
            (400, "invalid_request"),
            "{case}"
        );
    }
    Req::new(http::Method::PATCH, "write-file", "key=f")
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(405, Some("method_not_allowed"));
    assert_eq!(
        app.calls().total(),
        0,
        "no AWS call: {:?}",
        app.calls().snapshot()
    );
}

/// Starting and completing cost one S3 call each when warm; signing is local.
#[tokio::test]
async fn starting_and_completing_cost_one_s3_call_each() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    Req::get("list", &[])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    let s3 = |app: &homedir::App| {
        [
            "CreateMultipartUpload",
            "UploadPart",
            "CompleteMultipartUpload",
            "ListParts",
            "GetObject",
            "HeadObject",
            "ListObjectsV2",
        ]
        .iter()
        .map(|op| app.calls().of(op))
        .sum::<u64>()
    };
    let before = s3(&app);
    let data = random(17 * MIB);
    let started = start(&app, &user, "counted.bin", data.len(), &[]).await;
    assert_eq!(
        s3(&app) - before,
        1,
        "CreateMultipartUpload only: {:?}",
        app.calls().snapshot()
    );
    assert_eq!(started["parts"].as_array().map(Vec::len), Some(3));
    let parts = upload_parts(
        &data,
        8 * MIB,
        started["parts"].as_array().expect("parts"),
        3,
    )
    .await;
    let before = s3(&app);
    complete(
        &app,
        &user,
        "counted.bin",
        started["upload_id"].as_str().expect("id"),
        &parts,
    )
    .await
    .expect(200, None);
    assert_eq!(s3(&app) - before, 1, "CompleteMultipartUpload only");
    assert_eq!(
        app.calls().of("UploadPart"),
        0,
        "the parts never pass through the function"
    );
}

/// The size declared when an upload starts is the size stored, whatever the client
/// sends afterwards: an edited plan in the id is refused at resume and completion
/// before any S3 call, and a larger part sent to S3 with the caller's own credentials
/// (UploadPart is theirs to call) makes the completion fail, not a larger file.
#[tokio::test]
async fn an_upload_stores_exactly_the_declared_size_whatever_the_client_forges() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    let data = random(9 * MIB);
    let key = "declared.bin";
    let root = user.home_root(stack).await;
    let stored_key = format!("{root}{key}");
    let started = start(&app, &user, key, data.len(), &[]).await;
    let upload_id = started["upload_id"].as_str().expect("upload_id").to_owned();
    let fields: Vec<&str> = upload_id.splitn(4, '.').collect();
    let (tag, s3_id) = (fields[2], fields[3]);
    let parts = started["parts"].as_array().expect("parts").clone();
    let honest = upload_parts(&data, 8 * MIB, &parts, 2).await;

    // Plans edited in the id: 5 GiB and 7.5 GiB files, other part sizes.
    let forged = [
        format!("{}.{}.{tag}.{s3_id}", 5u64 << 30, fields[1]),
        format!("{}.{}.{tag}.{s3_id}", 15u64 << 29, 5u64 << 30),
        format!("{}.{}.{tag}.{s3_id}", fields[0], 16 * MIB),
    ];
    for id in &forged {
        let (resumed, made) = counting(
            &app,
            Req::get("write-file", &[("key", key), ("upload_id", id)])
                .token(&user.id_token)
                .send(&app),
        )
        .await;
        resumed.expect(400, Some("invalid_request"));
        assert_eq!(made.of("ListParts"), 0, "refused before S3");
        let (completed, made) = counting(&app, complete(&app, &user, key, id, &honest)).await;
        completed.expect(400, Some("invalid_request"));
        assert_eq!(made.of("CompleteMultipartUpload"), 0);
    }
    assert_eq!(object(stack, &stored_key).await, None, "nothing stored");

    // A 10 MiB first part, sent straight to S3 with the user's own credentials: the
    // parts add up to 11 MiB, not the 9 declared.
    let bigger = user
        .own_s3(stack)
        .await
        .upload_part()
        .bucket(stack.bucket())
        .key(&stored_key)
        .upload_id(s3_id)
        .part_number(1)
        .body(random(10 * MIB).to_vec().into())
        .send()
        .await
        .expect("the role may UploadPart in its own home");
    let mut swollen = honest.clone();
    swollen[0]["etag"] = json!(bigger.e_tag().expect("an ETag"));
    complete(&app, &user, key, &upload_id, &swollen)
        .await
        .expect(400, Some("invalid_request"));
    assert_eq!(object(stack, &stored_key).await, None, "nothing stored");

    // The honest part again, and the upload completes as declared.
    let again = upload_parts(&data, 8 * MIB, &parts[..1], 1).await;
    let mut whole = honest.clone();
    whole[0] = again[0].clone();
    let done = complete(&app, &user, key, &upload_id, &whole)
        .await
        .expect(200, None)
        .json();
    assert_eq!(done["size"], data.len());
    let (stored, _) = object(stack, &stored_key).await.expect("stored");
    assert_eq!(stored.len(), data.len());
    assert_eq!(sha256(&stored), sha256(&data));
}

/// S3 documents that completing an upload can take minutes: a completion that
/// outlasts COMPLETE_WAIT_SECS is 202, never a failure, and asking again answers 200
/// with what S3 stored, once; the parts are not sent again.
#[tokio::test]
async fn a_slow_completion_is_202_and_asking_again_is_its_success() {
    let private = PrivateStack::start().await;
    let stack = private.stack();
    let app = stack.app(&[("COMPLETE_WAIT_SECS", "1")]);
    let user = User::new(stack).await;
    let data = random(9 * MIB);
    let key = "slow.bin";
    let stored_key = format!("{}{key}", user.home_root(stack).await);
    let started = start(&app, &user, key, data.len(), &[]).await;
    let upload_id = started["upload_id"].as_str().expect("upload_id");
    let parts = upload_parts(
        &data,
        8 * MIB,
        started["parts"].as_array().expect("parts"),
        2,
    )
    .await;

    inject(
        stack,
        "CompleteMultipartUpload",
        Fault::Delay(Duration::from_secs(3)),
        Some(1),
    )
    .await;
    let pending = complete(&app, &user, key, upload_id, &parts)
        .await
        .expect(202, None);
    assert_eq!(
        pending.json(),
        json!({ "status": "completing", "retry_after": 5 })
    );
    assert_eq!(pending.header("retry-after").as_deref(), Some("5"));

    // S3 finishes on its own; the retry recognises the file these parts made.
    tokio::time::sleep(Duration::from_secs(4)).await;
    reset_calls(stack).await;
    let done = complete(&app, &user, key, upload_id, &parts)
        .await
        .expect(200, None)
        .json();
    assert_eq!(done["size"], data.len());
    let again = complete(&app, &user, key, upload_id, &parts)
        .await
        .expect(200, None)
        .json();
    assert_eq!(again, done, "the same answer every time");
    assert!(
        calls(stack)
            .await
            .iter()
            .all(|c| c.operation != "UploadPart"),
        "no part was sent again"
    );
    let versions = Req::get("list", &[("key", key), ("versions", "1")])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None)
        .json();
    assert_eq!(
        versions["versions"].as_array().expect("versions").len(),
        1,
        "stored once"
    );
    assert_eq!(versions["versions"][0]["etag"], done["etag"]);
    let (stored, _) = object(stack, &stored_key).await.expect("stored");
    assert_eq!(sha256(&stored), sha256(&data));
}

/// Links and the 307 serve what a browser would run (HTML, XHTML, SVG, XML,
/// JavaScript, anything unknown) as an attachment of type application/octet-stream,
/// through GetObject's signed response overrides; images, video, audio, PDF and plain
/// text stay inline with their own type.
#[tokio::test]
async fn links_never_serve_an_active_type_inline() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let redirecting = stack.app(&[("MAX_FILE_BYTES", "1")]);
    let user = User::new(stack).await;
    let cases = [
        ("page.html", "text/html; charset=utf-8", false),
        ("page.xhtml", "application/xhtml+xml", false),
        ("logo.svg", "image/svg+xml", false),
        ("feed.xml", "application/xml", false),
        ("app.js", "text/javascript", false),
        ("blob", "application/x-whatever", false),
        ("photo.png", "image/png", true),
        ("clip.mp4", "video/mp4", true),
        ("song.mp3", "audio/mpeg", true),
        ("paper.pdf", "application/pdf", true),
        ("notes.txt", "text/plain; charset=utf-8", true),
    ];
    for (key, content_type, inline) in cases {
        Req::put("write-file", &[("key", key)], "<script>alert(1)</script>")
            .header("content-type", content_type)
            .token(&user.id_token)
            .send(&app)
            .await
            .expect(200, None);
        let link = Req::get("read-file", &[("key", key), ("link", "1")])
            .token(&user.id_token)
            .send(&app)
            .await
            .expect(200, None)
            .json();
        assert_eq!(
            link["content_type"], content_type,
            "the link says the stored type"
        );
        let redirect = Req::get("read-file", &[("key", key)])
            .token(&user.id_token)
            .send(&redirecting)
            .await
            .expect(307, None);
        let location = redirect.header("location").expect("a Location");
        for url in [link["url"].as_str().expect("url"), location.as_str()] {
            let served = presigned::get(url, None).await;
            assert_eq!(served.status, 200, "{key}");
            let header = |name: &str| {
                served
                    .headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned()
            };
            if inline {
                assert_eq!(header("content-type"), content_type, "{key}");
                assert!(
                    !header("content-disposition").starts_with("attachment"),
                    "{key}"
                );
            } else {
                assert_eq!(header("content-type"), "application/octet-stream", "{key}");
                assert!(
                    header("content-disposition").starts_with("attachment"),
                    "{key}"
                );
            }
        }
    }
    // Asked as a download, a passive type is an attachment too, with its own type.
    let download = Req::get(
        "read-file",
        &[("key", "photo.png"), ("link", "1"), ("download", "1")],
    )
    .token(&user.id_token)
    .send(&app)
    .await
    .expect(200, None)
    .json();
    let served = presigned::get(download["url"].as_str().expect("url"), None).await;
    assert_eq!(served.headers["content-type"], "image/png");
    assert!(
        served.headers["content-disposition"]
            .to_str()
            .expect("text")
            .starts_with("attachment; filename=\"photo.png\"")
    );
}
