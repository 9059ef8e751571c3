//! Usage and quotas on the real path: the bucket's notifications delivered to the
//! usage function (the stack's binary, served by homedir-gateway, invoked by the
//! emulator's Lambda), counted in the usage table, read by `GET /list?usage=1`; the
//! quota enforced by the API (507) and, through the deny policy the usage function
//! writes, by IAM for the user's own credentials. Each test runs on a stack of its own
//! ([`UsageStack`]) and waits with the emulator's drain, never a sleep.

use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use homedir::App;
use homedir_tests::data::{MIB, random};
use homedir_tests::presigned;
use homedir_tests::requests::{Reply, Req, counting};
use homedir_tests::stack::{Stack, User, keys_under, object};
use homedir_tests::usage::{UsageStack, notification, record};
use serde_json::{Value, json};

const KIB: u64 = 1024;

/// `GET /list?usage=1` as `user`: (bytes, versions), and the whole answer.
async fn usage(app: &App, user: &User) -> (u64, u64, Value) {
    let answer = Req::get("list", &[("usage", "1")])
        .token(&user.id_token)
        .send(app)
        .await
        .expect(200, None)
        .json();
    (
        answer["bytes"].as_u64().expect("bytes"),
        answer["versions"].as_u64().expect("versions"),
        answer,
    )
}

/// `PUT /write-file` of `body` at `key` as `user`, 200; the answer.
async fn write(app: &App, user: &User, key: &str, body: impl Into<Vec<u8>>) -> Value {
    Req::put("write-file", &[("key", key)], body)
        .token(&user.id_token)
        .send(app)
        .await
        .expect(200, None)
        .json()
}

/// `request` sent by `user`.
async fn by(app: &App, user: &User, request: Req) -> Reply {
    request.token(&user.id_token).send(app).await
}

/// Every version S3 holds under `prefix` (delete markers apart): (key, version, size).
async fn versions(stack: &Stack, prefix: &str) -> Vec<(String, String, u64)> {
    let listed = stack
        .admin_s3()
        .list_object_versions()
        .bucket(stack.bucket())
        .prefix(prefix)
        .send()
        .await
        .expect("admin ListObjectVersions");
    assert_ne!(listed.is_truncated(), Some(true), "one page is enough here");
    listed
        .versions()
        .iter()
        .map(|v| {
            (
                v.key().expect("key").to_owned(),
                v.version_id().expect("version").to_owned(),
                v.size().expect("size") as u64,
            )
        })
        .collect()
}

/// What S3 holds under `prefix`, summed: (bytes, versions), the truth the usage must
/// equal.
async fn held(stack: &Stack, prefix: &str) -> (u64, u64) {
    let all = versions(stack, prefix).await;
    (all.iter().map(|(_, _, size)| size).sum(), all.len() as u64)
}

/// Drains, then asserts the usage the API answers is exactly `expected` and is what S3
/// holds.
async fn assert_usage(
    usage_stack: &UsageStack,
    app: &App,
    user: &User,
    expected: (u64, u64),
    after: &str,
) {
    usage_stack.drain().await;
    let (bytes, versions, _) = usage(app, user).await;
    assert_eq!((bytes, versions), expected, "usage after {after}");
    let root = user.home_root(usage_stack.stack()).await;
    assert_eq!(
        held(usage_stack.stack(), &root).await,
        expected,
        "S3 holds what the usage says after {after}"
    );
}

/// The S3 error code of a direct call, or "ok".
fn outcome<T, E: ProvideErrorMetadata>(
    result: Result<T, aws_sdk_s3::error::SdkError<E>>,
) -> String {
    match result {
        Ok(_) => "ok".to_owned(),
        Err(error) => error.code().unwrap_or("no code").to_owned(),
    }
}

async fn direct_put(s3: &aws_sdk_s3::Client, stack: &Stack, key: &str, body: Vec<u8>) -> String {
    outcome(
        s3.put_object()
            .bucket(stack.bucket())
            .key(key)
            .body(ByteStream::from(body))
            .send()
            .await,
    )
}

/// After each kind of change, the usage is exact (bytes and versions, every version
/// counted, delete markers free) and equals what S3 holds: a write, an overwrite (the
/// old version counts), a lifecycle expiration of the old version (its event subtracts
/// it), a delete (a marker: nothing changes), a multipart upload completed, a copy and
/// a move (a copy plus a marker: the source's version still counts).
#[tokio::test]
async fn the_usage_is_exact_after_every_kind_of_change() {
    let usage_stack = UsageStack::start().await;
    let stack = usage_stack.stack();
    let app = usage_stack.app(&[]);
    let alice = User::new(stack).await;
    let root = alice.home_root(stack).await;
    let (bytes, versions, answer) = usage(&app, &alice).await;
    assert_eq!((bytes, versions), (0, 0));
    assert_eq!(answer["over"], false);
    assert_eq!(
        answer["quota_bytes"],
        10 * 1024 * KIB * KIB,
        "the template's QuotaBytes"
    );

    write(&app, &alice, "f.txt", "hello").await;
    assert_usage(&usage_stack, &app, &alice, (5, 1), "a write").await;

    write(&app, &alice, "f.txt", "hello world").await;
    assert_usage(&usage_stack, &app, &alice, (16, 2), "an overwrite").await;

    // 32 days later the old version (noncurrent for more than the template's 30 days)
    // expires: only it.
    let report = usage_stack.lifecycle(32).await;
    let expired = report["expired_versions"].as_array().expect("expired");
    assert_eq!(expired.len(), 1, "{report}");
    assert_eq!(expired[0]["key"], format!("{root}f.txt"));
    assert_usage(
        &usage_stack,
        &app,
        &alice,
        (11, 1),
        "a lifecycle expiration",
    )
    .await;

    by(&app, &alice, Req::delete("delete", &[("key", "f.txt")]))
        .await
        .expect(204, None);
    assert_usage(&usage_stack, &app, &alice, (11, 1), "a delete (a marker)").await;
    assert!(
        keys_under(stack, &root).await.is_empty(),
        "f.txt is in the trash"
    );

    // A multipart upload of 9 MiB in two parts, completed.
    let data = random(9 * MIB);
    let started = by(
        &app,
        &alice,
        Req::post(
            "write-file",
            &[("key", "big.bin")],
            json!({ "size": data.len() }).to_string(),
        ),
    )
    .await
    .expect(201, None)
    .json();
    let part_size = started["part_size"].as_u64().expect("part_size") as usize;
    let mut parts = Vec::new();
    for part in started["parts"].as_array().expect("parts") {
        let number = part["number"].as_u64().expect("number") as usize;
        let size = part["size"].as_u64().expect("size") as usize;
        let from = (number - 1) * part_size;
        let put = presigned::put(
            part["url"].as_str().expect("url"),
            data.slice(from..from + size),
        )
        .await;
        assert_eq!(put.status, 200, "part {number}: {}", put.error_code());
        parts.push(json!({ "number": number, "etag": put.etag().expect("etag") }));
    }
    assert_eq!(parts.len(), 2);
    // Parts uploaded but not completed are no object: nothing is counted yet.
    assert_usage(
        &usage_stack,
        &app,
        &alice,
        (11, 1),
        "parts, before completion",
    )
    .await;
    by(
        &app,
        &alice,
        Req::post(
            "write-file",
            &[
                ("key", "big.bin"),
                (
                    "upload_id",
                    started["upload_id"].as_str().expect("upload_id"),
                ),
            ],
            json!({ "parts": parts }).to_string(),
        ),
    )
    .await
    .expect(200, None);
    let big = 9 * MIB as u64;
    assert_usage(
        &usage_stack,
        &app,
        &alice,
        (11 + big, 2),
        "a multipart upload",
    )
    .await;

    write(&app, &alice, "g.txt", "0123456789").await;
    assert_usage(&usage_stack, &app, &alice, (21 + big, 3), "a write").await;
    by(
        &app,
        &alice,
        Req::put(
            "write-file",
            &[("key", "copy.txt"), ("copy_from", "g.txt")],
            "",
        ),
    )
    .await
    .expect(200, None);
    assert_usage(&usage_stack, &app, &alice, (31 + big, 4), "a copy").await;
    by(
        &app,
        &alice,
        Req::put(
            "write-file",
            &[("key", "moved.txt"), ("move_from", "copy.txt")],
            "",
        ),
    )
    .await
    .expect(200, None);
    assert_usage(
        &usage_stack,
        &app,
        &alice,
        (41 + big, 5),
        "a move (a copy, and a marker on the source)",
    )
    .await;
    let mut current = keys_under(stack, &root).await;
    current.sort();
    assert_eq!(
        current,
        [
            format!("{root}big.bin"),
            format!("{root}g.txt"),
            format!("{root}moved.txt")
        ]
    );
    // The table agrees: its total is what the API answered.
    assert_eq!(usage_stack.counted(&root).await, (41 + big as i64, 5));
}

/// The same events delivered again, in another order, or a removal before its
/// creation: the usage function's totals do not move. The events are S3's own records
/// (the versions S3 holds), invoked directly through the gateway's Invoke API.
#[tokio::test]
async fn duplicated_and_reordered_events_leave_the_totals_unchanged() {
    let usage_stack = UsageStack::start().await;
    let stack = usage_stack.stack();
    let bucket = stack.bucket();
    let app = usage_stack.app(&[]);
    let alice = User::new(stack).await;
    let root = alice.home_root(stack).await;
    write(&app, &alice, "f.txt", "12345").await;
    write(&app, &alice, "f.txt", "1234567").await;
    write(&app, &alice, "g.txt", "abc").await;
    assert_usage(&usage_stack, &app, &alice, (15, 3), "three writes").await;
    let total_before = usage_stack.total(&root).await.expect("a total");

    let held_versions = versions(stack, &root).await;
    assert_eq!(held_versions.len(), 3);
    let created: Vec<Value> = held_versions
        .iter()
        .map(|(key, version, size)| record(bucket, "ObjectCreated:Put", key, version, Some(*size)))
        .collect();
    let mut reversed = created.clone();
    reversed.reverse();
    // Every creation again, in S3's order, then reversed, then each alone twice.
    let answer = usage_stack.invoke(&notification(&created)).await;
    assert_eq!(answer["counted"], 3, "{answer}");
    usage_stack.invoke(&notification(&reversed)).await;
    for one in &created {
        usage_stack
            .invoke(&notification(&[one.clone(), one.clone()]))
            .await;
    }
    assert_eq!(usage_stack.counted(&root).await, (15, 3));
    let (bytes, versions_now, _) = usage(&app, &alice).await;
    assert_eq!((bytes, versions_now), (15, 3));
    let total_after = usage_stack.total(&root).await.expect("a total");
    assert_eq!(
        total_after.u64("rev"),
        total_before.u64("rev"),
        "no duplicate touched the total at all"
    );

    // A version really removed (an admin deletes it by id; its event is delivered),
    // then its creation again and its removal again, in either order: still exact.
    let (g_key, g_version, _) = held_versions
        .iter()
        .find(|(key, _, _)| key.ends_with("g.txt"))
        .expect("g.txt")
        .clone();
    stack
        .admin_s3()
        .delete_object()
        .bucket(bucket)
        .key(&g_key)
        .version_id(&g_version)
        .send()
        .await
        .expect("admin DeleteObject of a version");
    assert_usage(&usage_stack, &app, &alice, (12, 2), "a version deleted").await;
    let g_created = record(bucket, "ObjectCreated:Put", &g_key, &g_version, Some(3));
    let g_removed = record(bucket, "ObjectRemoved:Delete", &g_key, &g_version, None);
    usage_stack
        .invoke(&notification(&[g_created.clone(), g_removed.clone()]))
        .await;
    usage_stack
        .invoke(&notification(&[g_removed.clone(), g_created.clone()]))
        .await;
    assert_eq!(usage_stack.counted(&root).await, (12, 2));

    // A removal that arrives before its creation (S3 does not order events): the
    // creation that follows counts nothing, whichever way they are sent again.
    let h_key = format!("{root}h.txt");
    let h_created = record(
        bucket,
        "ObjectCreated:Put",
        &h_key,
        "h-version-1",
        Some(100),
    );
    let h_removed = record(bucket, "ObjectRemoved:Delete", &h_key, "h-version-1", None);
    usage_stack
        .invoke(&notification(std::slice::from_ref(&h_removed)))
        .await;
    usage_stack
        .invoke(&notification(std::slice::from_ref(&h_created)))
        .await;
    usage_stack
        .invoke(&notification(&[h_created, h_removed]))
        .await;
    assert_eq!(usage_stack.counted(&root).await, (12, 2));
    // Delete markers cost nothing, however often they come.
    let marker = record(
        bucket,
        "ObjectRemoved:DeleteMarkerCreated",
        &format!("{root}f.txt"),
        "marker-1",
        None,
    );
    let answer = usage_stack
        .invoke(&notification(&[marker.clone(), marker]))
        .await;
    assert_eq!(answer["ignored"], 2, "{answer}");
    let (bytes, versions_now, _) = usage(&app, &alice).await;
    assert_eq!((bytes, versions_now), (12, 2));
    assert_eq!(held(stack, &root).await, (12, 2));
}

/// An operator's recount: a total corrupted on purpose (and a version's item lost) is
/// exact again, and the drift is reported; a second recount finds none. The scheduled
/// pass repairs every home's.
#[tokio::test]
async fn a_recount_repairs_a_corrupted_total_and_reports_the_drift() {
    let usage_stack = UsageStack::start().await;
    let stack = usage_stack.stack();
    let app = usage_stack.app(&[]);
    let alice = User::new(stack).await;
    let bob = User::new(stack).await;
    let root = alice.home_root(stack).await;
    write(&app, &alice, "a.txt", "aaaa").await;
    write(&app, &alice, "a.txt", "aaaaaa").await;
    write(&app, &alice, "b.txt", "bb").await;
    // A key S3's events carry form-encoded (a space, a plus, a non-ASCII letter): the
    // event's key and the listing's name the same version, so the recount finds it.
    write(&app, &alice, "red flower+1 é.txt", "xyz").await;
    write(&app, &bob, "bob.txt", "bob").await;
    assert_usage(&usage_stack, &app, &alice, (15, 4), "four writes").await;

    usage_stack.corrupt_total(&root, 999_999, 42).await;
    let (b_key, b_version, _) = versions(stack, &format!("{root}b.txt"))
        .await
        .pop()
        .expect("b.txt");
    usage_stack.forget_version(&root, &b_key, &b_version).await;
    let (bytes, versions_now, answer) = usage(&app, &alice).await;
    assert_eq!((bytes, versions_now), (999_999, 42), "the drift is real");
    assert_eq!(answer["over"], false);

    let drift = usage_stack
        .invoke(&json!({ "recount": root, "bucket": stack.bucket() }))
        .await;
    assert_eq!(
        drift,
        json!({
            "space": root,
            "bytes_before": 999_999,
            "versions_before": 42,
            "bytes": 15,
            "versions": 4,
            "added": 1,
            "removed": 0,
            "revived": 0,
            "total_repaired": true,
        })
    );
    let (bytes, versions_now, _) = usage(&app, &alice).await;
    assert_eq!((bytes, versions_now), (15, 4), "exact again");
    assert_eq!(usage_stack.counted(&root).await, (15, 4));

    let again = usage_stack
        .invoke(&json!({ "recount": root, "bucket": stack.bucket() }))
        .await;
    assert_eq!(again["bytes"], 15);
    assert_eq!(
        (
            again["added"].clone(),
            again["removed"].clone(),
            again["revived"].clone(),
            again["total_repaired"].clone()
        ),
        (json!(0), json!(0), json!(0), json!(false)),
        "no drift left: {again}"
    );
    // Bob's home was never touched by any of it.
    let (bytes, versions_now, _) = usage(&app, &bob).await;
    assert_eq!((bytes, versions_now), (3, 1));
    // A recount names a space's root; anything else is refused.
    let (_, refused) = usage_stack
        .invoke_raw(&json!({ "recount": "home/", "bucket": stack.bucket() }))
        .await;
    assert!(refused.get("errorType").is_some(), "{refused}");

    // The scheduled pass (every hour) recounts every home: both drifts repaired.
    let bob_root = bob.home_root(stack).await;
    usage_stack.corrupt_total(&root, 1, 1).await;
    usage_stack.corrupt_total(&bob_root, 0, 0).await;
    let pass = usage_stack
        .invoke(&json!({ "task": "recount-pass", "bucket": stack.bucket() }))
        .await;
    assert_eq!(
        pass,
        json!({ "recounted": 2, "drifted": 2, "done": true }),
        "{pass}"
    );
    assert_eq!(usage_stack.counted(&root).await, (15, 4));
    assert_eq!(usage_stack.counted(&bob_root).await, (3, 1));
    let pass = usage_stack
        .invoke(&json!({ "task": "recount-pass", "bucket": stack.bucket() }))
        .await;
    assert_eq!(pass["drifted"], 0, "{pass}");
}

/// What an operator does to give `user` a quota of `bytes` (`make quota`), then a new
/// sign-in, so that the ID token carries it.
async fn set_quota(stack: &Stack, user: &mut User, bytes: u64) {
    stack
        .admin_idp()
        .admin_update_user_attributes()
        .user_pool_id(stack.var("USER_POOL_ID"))
        .username(&user.email)
        .user_attributes(
            aws_sdk_cognitoidentityprovider::types::AttributeType::builder()
                .name("custom:quota")
                .value(bytes.to_string())
                .build()
                .expect("attribute"),
        )
        .send()
        .await
        .expect("AdminUpdateUserAttributes custom:quota");
    user.id_token = user.sign_in_again(stack).await;
}

/// A home over its 1 MiB quota: the API refuses a write, an upload's start, a copy
/// and a restore with 507 `quota_exceeded` (used, quota, size) before any S3 write;
/// reads, lists and deletes still work. With Alice's own credentials, issued before,
/// the next PutObject is AccessDenied once the usage function has written the deny
/// policy. Bob, under his quota, is unaffected, and his usage never moves with
/// Alice's writes. The quota raised and the reconcile run, Alice writes again.
#[tokio::test]
async fn a_home_over_its_quota_is_refused_by_the_api_and_by_iam_and_others_are_not() {
    let usage_stack = UsageStack::start().await;
    let stack = usage_stack.stack();
    let app = usage_stack.app(&[]);
    let mut alice = User::new(stack).await;
    let bob = User::new(stack).await;
    let alice_root = alice.home_root(stack).await;
    let bob_root = bob.home_root(stack).await;
    set_quota(stack, &mut alice, MIB as u64).await;
    // Both users' own S3 credentials, issued now, before anyone is over quota.
    let alice_s3 = alice.own_s3(stack).await;
    let bob_s3 = bob.own_s3(stack).await;

    write(&app, &bob, "bob.txt", "bob's").await;
    usage_stack.drain().await;
    let bob_usage = usage(&app, &bob).await;
    assert_eq!((bob_usage.0, bob_usage.1), (5, 1));

    // 100 KiB, overwritten with 200 KiB, and 500 KiB: 800 KiB of 1 MiB.
    let v1 = write(&app, &alice, "doc.txt", vec![b'a'; 100 * KIB as usize]).await;
    let v1 = v1["version_id"].as_str().expect("version_id").to_owned();
    write(&app, &alice, "doc.txt", vec![b'b'; 200 * KIB as usize]).await;
    write(&app, &alice, "a.bin", vec![b'c'; 500 * KIB as usize]).await;
    assert_usage(&usage_stack, &app, &alice, (800 * KIB, 3), "three writes").await;
    let (_, _, answer) = usage(&app, &alice).await;
    assert_eq!(answer["quota_bytes"], MIB);
    assert_eq!(answer["over"], false);
    // 400 KiB more through the API would pass the quota: refused.
    let refused = by(
        &app,
        &alice,
        Req::put(
            "write-file",
            &[("key", "more.bin")],
            vec![0u8; 400 * KIB as usize],
        ),
    )
    .await
    .expect(507, Some("quota_exceeded"));
    assert_eq!(refused.json()["error"]["used"], 800 * KIB);

    // The same 400 KiB with her own credentials: IAM does not know yet (the documented
    // overshoot); the home is now 1,200 KiB, over its quota.
    assert_eq!(
        direct_put(
            &alice_s3,
            stack,
            &format!("{alice_root}direct.bin"),
            vec![b'd'; 400 * KIB as usize]
        )
        .await,
        "ok"
    );
    let used = 1200 * KIB;
    assert_usage(&usage_stack, &app, &alice, (used, 4), "a direct PutObject").await;
    let (_, _, answer) = usage(&app, &alice).await;
    assert_eq!(answer["over"], true, "{answer}");
    assert_eq!(
        usage(&app, &bob).await,
        bob_usage,
        "Bob's usage did not move with Alice's writes"
    );
    let over = usage_stack.over_set().await;
    assert_eq!(over.strings("spaces"), std::slice::from_ref(&alice_root));
    assert_eq!(over.u64("written"), over.u64("version"), "IAM has the set");

    // The API: 507 with used, quota and size, one DynamoDB read and no S3 call.
    let quota = MIB as u64;
    let refusals: Vec<(&str, Req, u64)> = vec![
        (
            "a write",
            Req::put("write-file", &[("key", "c.txt")], "x"),
            1,
        ),
        (
            "an upload's start",
            Req::post(
                "write-file",
                &[("key", "video.mp4")],
                json!({ "size": 20 * MIB }).to_string(),
            ),
            20 * MIB as u64,
        ),
        (
            "a copy",
            Req::put(
                "write-file",
                &[("key", "a-copy.bin"), ("copy_from", "a.bin")],
                "",
            ),
            500 * KIB,
        ),
        (
            "a restore",
            Req::put("write-file", &[("key", "doc.txt"), ("restore", &v1)], ""),
            100 * KIB,
        ),
    ];
    for (what, request, size) in refusals {
        let (reply, calls) = counting(&app, by(&app, &alice, request)).await;
        let reply = reply.expect(507, Some("quota_exceeded"));
        let error = &reply.json()["error"];
        assert_eq!(
            (
                error["used"].as_u64(),
                error["quota"].as_u64(),
                error["size"].as_u64()
            ),
            (Some(used), Some(quota), Some(size)),
            "{what}: {error}"
        );
        assert_eq!(calls.of("GetItem"), 1, "{what}: one read of the total");
        let s3_calls = calls.total() - calls.of("GetItem");
        // A copy and a restore read the source's size first (HeadObject); nothing writes.
        assert!(s3_calls <= 1, "{what}: {calls:?}");
        for write_call in ["PutObject", "CopyObject", "CreateMultipartUpload"] {
            assert_eq!(calls.of(write_call), 0, "{what}: nothing written");
        }
    }
    assert_usage(&usage_stack, &app, &alice, (used, 4), "the refusals").await;

    // Reads, lists and deletes still work.
    let read = by(&app, &alice, Req::get("read-file", &[("key", "doc.txt")]))
        .await
        .expect(200, None);
    assert_eq!(read.bytes(), vec![b'b'; 200 * KIB as usize].as_slice());
    let listed = by(&app, &alice, Req::get("list", &[]))
        .await
        .expect(200, None)
        .json();
    assert_eq!(
        listed["files"].as_array().map(Vec::len),
        Some(3),
        "{listed}"
    );
    by(&app, &alice, Req::delete("delete", &[("key", "a.bin")]))
        .await
        .expect(204, None);
    assert_usage(
        &usage_stack,
        &app,
        &alice,
        (used, 4),
        "a delete: a marker frees nothing",
    )
    .await;

    // Direct credentials, issued before: AccessDenied, nothing stored.
    assert_eq!(
        direct_put(
            &alice_s3,
            stack,
            &format!("{alice_root}sneaky.bin"),
            b"x".to_vec()
        )
        .await,
        "AccessDenied"
    );
    assert!(
        object(stack, &format!("{alice_root}sneaky.bin"))
            .await
            .is_none()
    );
    // Nor a copy into her home, nor a multipart upload started there.
    assert_eq!(
        outcome(
            alice_s3
                .copy_object()
                .bucket(stack.bucket())
                .copy_source(format!("{}/{alice_root}doc.txt", stack.bucket()))
                .key(format!("{alice_root}doc-copy.txt"))
                .send()
                .await
        ),
        "AccessDenied"
    );
    assert_eq!(
        outcome(
            alice_s3
                .create_multipart_upload()
                .bucket(stack.bucket())
                .key(format!("{alice_root}parts.bin"))
                .send()
                .await
        ),
        "AccessDenied"
    );
    // Reading her own files still works with them.
    assert_eq!(
        outcome(
            alice_s3
                .get_object()
                .bucket(stack.bucket())
                .key(format!("{alice_root}doc.txt"))
                .send()
                .await
        ),
        "ok"
    );

    // Bob: unaffected, and his usage never moved with Alice's writes.
    assert_eq!(
        direct_put(
            &bob_s3,
            stack,
            &format!("{bob_root}direct.txt"),
            b"1234".to_vec()
        )
        .await,
        "ok"
    );
    write(&app, &bob, "bob2.txt", "22").await;
    assert_usage(&usage_stack, &app, &bob, (11, 3), "Bob's own writes only").await;
    assert_eq!(usage(&app, &bob).await.2["over"], false);

    // The operator raises Alice's quota to 10 MiB. Her next request records it; IAM
    // still names her until the usage function judges her home again (the reconcile
    // runs every minute); then her own credentials write again, and so does the API.
    set_quota(stack, &mut alice, 10 * MIB as u64).await;
    let (_, _, answer) = usage(&app, &alice).await;
    assert_eq!(answer["over"], false, "{answer}");
    assert_eq!(
        direct_put(
            &alice_s3,
            stack,
            &format!("{alice_root}early.bin"),
            b"x".to_vec()
        )
        .await,
        "AccessDenied",
        "the deny policy holds until the usage function judges again"
    );
    let reconciled = usage_stack.invoke(&json!({ "task": "reconcile" })).await;
    assert_eq!(reconciled["released"], 1, "{reconciled}");
    assert_eq!(reconciled["over"], 0, "{reconciled}");
    assert!(usage_stack.over_set().await.strings("spaces").is_empty());
    assert_eq!(
        direct_put(
            &alice_s3,
            stack,
            &format!("{alice_root}again.bin"),
            b"xyz".to_vec()
        )
        .await,
        "ok"
    );
    write(&app, &alice, "c.txt", "x").await;
    assert_usage(
        &usage_stack,
        &app,
        &alice,
        (used + 4, 6),
        "writes under the raised quota",
    )
    .await;
    assert_eq!(
        Bytes::from(
            object(stack, &format!("{alice_root}again.bin"))
                .await
                .expect("stored")
                .0
        ),
        Bytes::from_static(b"xyz")
    );
}

/// An operator lowers a quota below what the home already holds: the API refuses at
/// once (the claim is in the next token), and IAM once the usage function's reconcile
/// has judged the home again (the schedule runs it every minute), without any new
/// object in the home: otherwise the first direct PutObject, of any size, would pass.
#[tokio::test]
async fn a_quota_lowered_below_the_usage_is_held_by_iam_after_the_reconcile() {
    let usage_stack = UsageStack::start().await;
    let stack = usage_stack.stack();
    let app = usage_stack.app(&[]);
    let mut alice = User::new(stack).await;
    let root = alice.home_root(stack).await;
    let alice_s3 = alice.own_s3(stack).await;
    write(&app, &alice, "a.bin", vec![b'a'; 300 * KIB as usize]).await;
    assert_usage(&usage_stack, &app, &alice, (300 * KIB, 1), "a write").await;

    set_quota(stack, &mut alice, 100 * KIB).await;
    let (_, _, answer) = usage(&app, &alice).await;
    assert_eq!(answer["over"], true, "{answer}");
    assert_eq!(answer["quota_bytes"], 100 * KIB);
    by(
        &app,
        &alice,
        Req::put("write-file", &[("key", "b.txt")], "b"),
    )
    .await
    .expect(507, Some("quota_exceeded"));

    let reconciled = usage_stack.invoke(&json!({ "task": "reconcile" })).await;
    assert_eq!(reconciled["over"], 1, "{reconciled}");
    assert_eq!(
        usage_stack.over_set().await.strings("spaces"),
        std::slice::from_ref(&root)
    );
    assert_eq!(
        direct_put(
            &alice_s3,
            stack,
            &format!("{root}huge.bin"),
            vec![b'h'; 64 * KIB as usize]
        )
        .await,
        "AccessDenied"
    );
    assert_usage(
        &usage_stack,
        &app,
        &alice,
        (300 * KIB, 1),
        "a refused PutObject",
    )
    .await;
    // Judged once: the next reconcile has nothing new to judge.
    let again = usage_stack.invoke(&json!({ "task": "reconcile" })).await;
    assert_eq!(
        (again["over"].clone(), again["released"].clone()),
        (json!(1), json!(0)),
        "{again}"
    );
}

/// Forty writes at once (S3's events then run in several usage function instances at
/// once, as Lambda runs them): each makes one event, and every one is counted, once.
#[tokio::test]
async fn writes_at_once_are_all_counted() {
    let usage_stack = UsageStack::start().await;
    let stack = usage_stack.stack();
    let app = usage_stack.app(&[]);
    let alice = User::new(stack).await;
    let writes = (0..40).map(|i| {
        let app = &app;
        let alice = &alice;
        async move {
            write(
                app,
                alice,
                &format!("at-once/{}.txt", i % 10),
                vec![b'x'; i + 1],
            )
            .await
        }
    });
    futures::future::join_all(writes).await;
    let bytes: u64 = (1..=40).sum();
    assert_eq!(
        usage_stack.drain().await,
        40,
        "one event each, delivered and counted"
    );
    assert_usage(
        &usage_stack,
        &app,
        &alice,
        (bytes, 40),
        "forty writes at once",
    )
    .await;
}
