//! Each route's contract through the real handler, against the local stack: real
//! tokens from the emulator's Cognito, real credential exchange, real S3 objects,
//! with what is in the bucket checked by the admin.

use homedir_tests::data::{MIB, random};
use homedir_tests::requests::{Req, counting, list_pages};
use homedir_tests::stack::{Stack, User, keys_under, object};

#[tokio::test]
async fn write_then_read_round_trips_bytes_and_content_type() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let alice = User::new(stack).await;
    let root = alice.home_root(stack).await;

    let written = Req::put("write-file", &[("key", "notes/hello.txt")], "hello, world")
        .token(&alice.id_token)
        .header("content-type", "text/plain; charset=utf-8")
        .send(&app)
        .await
        .expect(200, None)
        .json();
    assert_eq!(written["key"], "notes/hello.txt");
    assert_eq!(written["size"], 12);
    let etag = written["etag"].as_str().expect("an etag").to_owned();
    assert!(!etag.is_empty());

    let (bytes, content_type) = object(stack, &format!("{root}notes/hello.txt"))
        .await
        .expect("the object is in the caller's home");
    assert_eq!(bytes, b"hello, world");
    assert_eq!(content_type.as_deref(), Some("text/plain; charset=utf-8"));

    let read = Req::get("read-file", &[("key", "notes/hello.txt")])
        .token(&alice.id_token)
        .send(&app)
        .await
        .expect(200, None);
    assert_eq!(read.bytes(), b"hello, world");
    assert_eq!(
        read.header("content-type").as_deref(),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(read.header("etag"), Some(etag));
    assert!(
        read.header("last-modified")
            .is_some_and(|d| d.ends_with("GMT"))
    );
    assert_eq!(
        read.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
}

#[tokio::test]
async fn a_write_without_content_type_is_stored_as_octet_stream() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    Req::put("write-file", &[("key", "blob")], vec![1, 2, 3])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    let read = Req::get("read-file", &[("key", "blob")])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    assert_eq!(
        read.header("content-type").as_deref(),
        Some("application/octet-stream")
    );
}

#[tokio::test]
async fn overwrite_replaces_the_content() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    for body in ["first", "second"] {
        Req::put("write-file", &[("key", "f.txt")], body)
            .token(&user.id_token)
            .send(&app)
            .await
            .expect(200, None);
    }
    let read = Req::get("read-file", &[("key", "f.txt")])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    assert_eq!(read.bytes(), b"second");
}

/// 1 MiB of random bytes written and read inline (an operator may raise
/// `MAX_INLINE_READ_BYTES` up to the single-PUT limit; by default it is a 307).
#[tokio::test]
async fn binary_bodies_round_trip_exactly() {
    let stack = Stack::get();
    let app = stack.app(&[("MAX_INLINE_READ_BYTES", "4500000")]);
    let user = User::new(stack).await;
    let root = user.home_root(stack).await;
    let data = random(MIB).to_vec();

    let written = Req::put("write-file", &[("key", "random.bin")], data.clone())
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None)
        .json();
    assert_eq!(written["size"], 1024 * 1024);
    assert_eq!(
        object(stack, &format!("{root}random.bin"))
            .await
            .expect("stored")
            .0,
        data
    );
    let read = Req::get("read-file", &[("key", "random.bin")])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    assert!(
        read.bytes() == data.as_slice(),
        "the bytes read differ from the bytes written"
    );
}

#[tokio::test]
async fn unusual_keys_round_trip_exactly() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    let root = user.home_root(stack).await;
    let keys = [
        "日本語/ファイル.txt",
        "with space.txt",
        "a+b.txt",
        "100%.txt",
        "what?.txt",
        "#hash.txt",
        "all of them ?#%+ é/x",
        "%41 is not A",
    ];
    for key in keys {
        Req::put("write-file", &[("key", key)], key.as_bytes().to_vec())
            .token(&user.id_token)
            .send(&app)
            .await
            .expect(200, None);
        let read = Req::get("read-file", &[("key", key)])
            .token(&user.id_token)
            .send(&app)
            .await
            .expect(200, None);
        assert_eq!(read.bytes(), key.as_bytes(), "{key}");
    }
    let mut stored = keys_under(stack, &root).await;
    stored.sort();
    let mut expected: Vec<String> = keys.iter().map(|k| format!("{root}{k}")).collect();
    expected.sort();
    assert_eq!(stored, expected, "S3 holds exactly the keys sent");

    let listing = Req::get("list", &[])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None)
        .json();
    let mut listed: Vec<String> = listing["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| f["key"].as_str().expect("key").to_owned())
        .collect();
    listed.sort();
    let mut sent: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    sent.sort();
    assert_eq!(
        listed, sent,
        "list shows the keys as sent, relative to the home"
    );
}

/// Queries are decoded the way every mainstream client form-encodes them (Python's
/// requests, `URLSearchParams`, Go's `url.Values`, Rust's `form_urlencoded`): `+` and
/// `%20` are a space, `%2B` a plus; a malformed escape is refused, not stored as typed.
#[tokio::test]
async fn form_encoded_queries_name_the_files_their_clients_meant() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    let root = user.home_root(stack).await;
    let put = |raw_query: &str| {
        Req::new(http::Method::PUT, "write-file", raw_query)
            .body("x")
            .token(&user.id_token)
    };
    put("key=form+style.txt").send(&app).await.expect(200, None);
    put("key=percent%20twenty.txt")
        .send(&app)
        .await
        .expect(200, None);
    put("key=a%2Bplus.txt").send(&app).await.expect(200, None);
    let form: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("key", "both a+b.txt")
        .finish();
    assert_eq!(form, "key=both+a%2Bb.txt", "what a form encoder sends");
    put(&form).send(&app).await.expect(200, None);
    put("key=pct%zz")
        .send(&app)
        .await
        .expect(400, Some("invalid_request"));
    let mut stored = keys_under(stack, &root).await;
    stored.sort();
    let mut expected: Vec<String> = [
        "form style.txt",
        "percent twenty.txt",
        "a+plus.txt",
        "both a+b.txt",
    ]
    .iter()
    .map(|k| format!("{root}{k}"))
    .collect();
    expected.sort();
    assert_eq!(stored, expected);
}

#[tokio::test]
async fn list_groups_folders_and_pages_with_a_cursor() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    for key in ["a/1", "a/2", "a/b/3", "c"] {
        Req::put("write-file", &[("key", key)], "x")
            .token(&user.id_token)
            .send(&app)
            .await
            .expect(200, None);
    }

    let folder = Req::get("list", &[("prefix", "a/"), ("delimiter", "/")])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None)
        .json();
    let keys: Vec<&str> = folder["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["a/1", "a/2"]);
    assert_eq!(folder["folders"], serde_json::json!(["a/b/"]));
    assert!(folder["next_cursor"].is_null());
    let entry = &folder["files"][0];
    assert_eq!(entry["size"], 1);
    assert!(entry["etag"].as_str().is_some_and(|e| !e.is_empty()));
    assert!(
        entry["last_modified"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );

    let top = Req::get("list", &[("delimiter", "/")])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None)
        .json();
    assert_eq!(top["folders"], serde_json::json!(["a/"]));
    assert_eq!(top["files"].as_array().unwrap().len(), 1);

    let mut seen = Vec::new();
    for page in list_pages(&app, &user, &[("limit", "3")]).await {
        let files = page["files"].as_array().unwrap();
        assert!(files.len() <= 3);
        seen.extend(files.iter().map(|f| f["key"].as_str().unwrap().to_owned()));
    }
    assert_eq!(
        seen,
        ["a/1", "a/2", "a/b/3", "c"],
        "pages cover every file once, in order"
    );
}

#[tokio::test]
async fn delete_removes_the_object_and_is_idempotent() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    let root = user.home_root(stack).await;
    Req::put("write-file", &[("key", "gone.txt")], "x")
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    assert!(object(stack, &format!("{root}gone.txt")).await.is_some());

    let deleted = Req::delete("delete", &[("key", "gone.txt")])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(204, None);
    assert!(deleted.bytes().is_empty());
    assert!(
        object(stack, &format!("{root}gone.txt")).await.is_none(),
        "the object is gone from S3"
    );
    Req::get("read-file", &[("key", "gone.txt")])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(404, Some("not_found"));
    Req::delete("delete", &[("key", "gone.txt")])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(204, None);
}

/// S3 answers a missing key with 403 AccessDenied to the authenticated role (it has
/// no unconditional ListBucket); one listing of exactly that key tells "missing"
/// from "denied", on the miss path only.
#[tokio::test]
async fn reading_a_missing_file_is_404_for_one_extra_listing() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    // A longer key that the missing one is a prefix of must not count as "present".
    Req::put("write-file", &[("key", "never-written.bak")], "x")
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    let (missing, calls) = counting(
        &app,
        Req::get("read-file", &[("key", "never-written")])
            .token(&user.id_token)
            .send(&app),
    )
    .await;
    missing.expect(404, Some("not_found"));
    assert_eq!(
        (
            calls.of("GetObject"),
            calls.of("ListObjectsV2"),
            calls.total()
        ),
        (1, 1, 2),
        "GetObject, then the listing, nothing else: {calls:?}"
    );
}

#[tokio::test]
async fn if_none_match_on_read_gives_304() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    let etag = Req::put("write-file", &[("key", "cached.txt")], "v1")
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None)
        .json()["etag"]
        .as_str()
        .unwrap()
        .to_owned();

    let not_modified = Req::get("read-file", &[("key", "cached.txt")])
        .token(&user.id_token)
        .header("if-none-match", &etag)
        .send(&app)
        .await
        .expect(304, None);
    assert!(not_modified.bytes().is_empty());
    assert_eq!(not_modified.header("etag"), Some(etag));

    let changed = Req::get("read-file", &[("key", "cached.txt")])
        .token(&user.id_token)
        .header("if-none-match", "\"0123456789abcdef0123456789abcdef\"")
        .send(&app)
        .await
        .expect(200, None);
    assert_eq!(changed.bytes(), b"v1");
}

#[tokio::test]
async fn conditional_writes_give_412_and_change_nothing() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    let root = user.home_root(stack).await;
    let put = |body: &'static str| {
        Req::put("write-file", &[("key", "doc.txt")], body).token(&user.id_token)
    };

    // Create-only succeeds on a new key, then fails once the key exists.
    let etag = put("v1")
        .header("if-none-match", "*")
        .send(&app)
        .await
        .expect(200, None)
        .json()["etag"]
        .as_str()
        .unwrap()
        .to_owned();
    put("v2")
        .header("if-none-match", "*")
        .send(&app)
        .await
        .expect(412, Some("precondition_failed"));
    assert_eq!(
        object(stack, &format!("{root}doc.txt")).await.unwrap().0,
        b"v1"
    );

    // Replace-if-unchanged fails on a stale ETag and succeeds on the current one.
    put("v3")
        .header("if-match", "\"0123456789abcdef0123456789abcdef\"")
        .send(&app)
        .await
        .expect(412, Some("precondition_failed"));
    assert_eq!(
        object(stack, &format!("{root}doc.txt")).await.unwrap().0,
        b"v1"
    );
    let written = put("v4")
        .header("if-match", &etag)
        .send(&app)
        .await
        .expect(200, None);
    // The new ETag is in the body and, for HTTP clients, in the ETag header.
    let new_etag = written.json()["etag"].as_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);
    assert_eq!(written.header("etag"), Some(new_etag));

    // If-Match on a file that does not exist fails the precondition too (RFC 9110).
    Req::put("write-file", &[("key", "never-written.txt")], "x")
        .token(&user.id_token)
        .header("if-match", &etag)
        .send(&app)
        .await
        .expect(412, Some("precondition_failed"));
    assert!(
        object(stack, &format!("{root}never-written.txt"))
            .await
            .is_none()
    );
    assert_eq!(
        object(stack, &format!("{root}doc.txt")).await.unwrap().0,
        b"v4"
    );
}

#[tokio::test]
async fn the_seed_clients_id_token_header_is_accepted() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    Req::put("write-file", &[("key", "seed.txt")], "x")
        .header("idToken", &user.id_token)
        .send(&app)
        .await
        .expect(200, None);
}
