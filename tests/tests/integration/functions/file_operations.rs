//! The file-manager operations: copy, move (rename) and folder delete, through the
//! real handlers against the versioned local bucket.

use std::time::Duration;

use futures::StreamExt;

use homedir_tests::emulator::{Fault, PrivateStack, calls, clear_faults, inject, inject_after};
use homedir_tests::requests::{Req, counting, list_pages, write};
use homedir_tests::stack::{Stack, User, keys_under, object};

fn put_from(user: &User, dest: &str, mode: &str, source: &str) -> Req {
    Req::put("write-file", &[("key", dest), (mode, source)], "").token(&user.id_token)
}

async fn content(stack: &Stack, user: &User, key: &str) -> Option<Vec<u8>> {
    object(stack, &format!("{}{key}", user.home_root(stack).await))
        .await
        .map(|(bytes, _)| bytes)
}

#[tokio::test]
async fn copy_with_and_without_preconditions() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    let original = write(&app, &user, "a.txt", "original").await;
    let etag = original["etag"].as_str().unwrap();

    let copied = put_from(&user, "b.txt", "copy_from", "a.txt")
        .header("if-none-match", "*")
        .send(&app)
        .await
        .expect(200, None)
        .json();
    assert_eq!(copied["key"], "b.txt");
    assert_eq!(copied["size"], 8);
    assert!(copied["version_id"].is_string());
    assert_eq!(
        content(stack, &user, "b.txt").await.as_deref(),
        Some(&b"original"[..])
    );
    assert_eq!(
        content(stack, &user, "a.txt").await.as_deref(),
        Some(&b"original"[..])
    );

    // Destination preconditions: create-only fails now, If-Match on the copy's ETag works.
    put_from(&user, "b.txt", "copy_from", "a.txt")
        .header("if-none-match", "*")
        .send(&app)
        .await
        .expect(412, Some("precondition_failed"));
    put_from(&user, "b.txt", "copy_from", "a.txt")
        .header("if-match", "\"0123456789abcdef0123456789abcdef\"")
        .send(&app)
        .await
        .expect(412, Some("precondition_failed"));
    put_from(&user, "missing-dest.txt", "copy_from", "a.txt")
        .header("if-match", copied["etag"].as_str().unwrap())
        .send(&app)
        .await
        .expect(412, Some("precondition_failed"));
    put_from(&user, "b.txt", "copy_from", "a.txt")
        .header("if-match", copied["etag"].as_str().unwrap())
        .send(&app)
        .await
        .expect(200, None);

    // Source precondition.
    Req::put(
        "write-file",
        &[
            ("key", "c.txt"),
            ("copy_from", "a.txt"),
            ("source_if_match", etag),
        ],
        "",
    )
    .token(&user.id_token)
    .send(&app)
    .await
    .expect(200, None);
    Req::put(
        "write-file",
        &[
            ("key", "d.txt"),
            ("copy_from", "a.txt"),
            ("source_if_match", "\"0123456789abcdef0123456789abcdef\""),
        ],
        "",
    )
    .token(&user.id_token)
    .send(&app)
    .await
    .expect(412, Some("precondition_failed"));
    assert!(content(stack, &user, "d.txt").await.is_none());

    // Missing sources and bad parameters.
    put_from(&user, "e.txt", "copy_from", "nope.txt")
        .send(&app)
        .await
        .expect(404, Some("not_found"));
    for source in ["../x", "/abs", "a//b", ""] {
        put_from(&user, "e.txt", "copy_from", source)
            .send(&app)
            .await
            .expect(400, Some("invalid_key"));
    }
    Req::put(
        "write-file",
        &[
            ("key", "e.txt"),
            ("copy_from", "a.txt"),
            ("move_from", "a.txt"),
        ],
        "",
    )
    .token(&user.id_token)
    .send(&app)
    .await
    .expect(400, Some("invalid_request"));
    Req::put(
        "write-file",
        &[("key", "e.txt"), ("copy_from", "a.txt")],
        "a body",
    )
    .token(&user.id_token)
    .send(&app)
    .await
    .expect(400, Some("invalid_request"));
    Req::put(
        "write-file",
        &[("key", "e.txt"), ("source_if_match", etag)],
        "x",
    )
    .token(&user.id_token)
    .send(&app)
    .await
    .expect(400, Some("invalid_request"));
}

#[tokio::test]
async fn move_renames_and_leaves_the_source_in_the_trash() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    write(&app, &user, "old/name.txt", "content").await;
    let (moved, calls) = counting(
        &app,
        put_from(&user, "new/name.txt", "move_from", "old/name.txt").send(&app),
    )
    .await;
    let moved = moved.expect(200, None).json();
    assert_eq!(
        (
            calls.of("HeadObject"),
            calls.of("CopyObject"),
            calls.of("DeleteObject")
        ),
        (1, 1, 1),
        "look, copy, conditional delete"
    );
    assert_eq!(moved["key"], "new/name.txt");
    assert_eq!(
        content(stack, &user, "new/name.txt").await.as_deref(),
        Some(&b"content"[..])
    );
    assert!(content(stack, &user, "old/name.txt").await.is_none());
    let trash = Req::get("list", &[("prefix", "old/"), ("deleted", "1")])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None)
        .json();
    assert_eq!(trash["files"][0]["key"], "old/name.txt");

    put_from(&user, "x.txt", "move_from", "x.txt")
        .send(&app)
        .await
        .expect(400, Some("invalid_request"));
    write(&app, &user, "taken.txt", "taken").await;
    write(&app, &user, "src.txt", "src").await;
    put_from(&user, "taken.txt", "move_from", "src.txt")
        .header("if-none-match", "*")
        .send(&app)
        .await
        .expect(412, Some("precondition_failed"));
    assert_eq!(
        content(stack, &user, "src.txt").await.as_deref(),
        Some(&b"src"[..]),
        "a refused move keeps its source"
    );
}

/// The source changes after it was copied and before its delete: 412, the copy is
/// kept (it holds what was copied), and the source keeps its new content.
#[tokio::test]
async fn a_source_changed_during_a_move_is_412_and_nothing_is_lost() {
    let private = PrivateStack::start().await;
    let stack = private.stack();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    write(&app, &user, "draft.txt", "first").await;
    inject(
        stack,
        "DeleteObject",
        Fault::Delay(Duration::from_secs(2)),
        Some(1),
    )
    .await;
    let moving = put_from(&user, "final.txt", "move_from", "draft.txt").send(&app);
    let meanwhile = async {
        tokio::time::sleep(Duration::from_millis(700)).await;
        write(&app, &user, "draft.txt", "second").await
    };
    let (moved, _) = tokio::join!(moving, meanwhile);
    let moved = moved.expect(412, Some("precondition_failed"));
    assert!(
        moved.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("copy was kept")
    );
    assert_eq!(
        content(stack, &user, "final.txt").await.as_deref(),
        Some(&b"first"[..])
    );
    assert_eq!(
        content(stack, &user, "draft.txt").await.as_deref(),
        Some(&b"second"[..])
    );
}

/// Beyond CopyObject's limit the copy goes in parts (UploadPartCopy); the limit is
/// lowered here so a small file takes that path.
#[tokio::test]
async fn large_sources_are_copied_in_parts() {
    let stack = Stack::get();
    let app = stack.app(&[("COPY_OBJECT_MAX_BYTES", "1000")]);
    let user = User::new(stack).await;
    let body = "x".repeat(6000);
    write(&app, &user, "big.txt", &body).await;
    let copied = put_from(&user, "big-copy.txt", "copy_from", "big.txt")
        .send(&app)
        .await
        .expect(200, None)
        .json();
    assert_eq!(copied["size"], 6000);
    assert_eq!(app.calls().of("UploadPartCopy"), 1);
    assert_eq!(app.calls().of("CopyObject"), 0);
    assert_eq!(
        content(stack, &user, "big-copy.txt").await.map(|b| b.len()),
        Some(6000)
    );
}

/// A copy in parts whose second part copy fails is aborted: no part of it is left
/// billed until the lifecycle rule runs, and the answer is a retryable 503. With the
/// fault gone the same copy succeeds.
#[tokio::test]
async fn a_copy_in_parts_that_fails_midway_leaves_no_parts() {
    let private = PrivateStack::start().await;
    let stack = private.stack();
    let app = stack.app(&[
        ("COPY_OBJECT_MAX_BYTES", "1000"),
        ("COPY_PART_BYTES", &(5 * 1024 * 1024).to_string()),
    ]);
    let user = User::new(stack).await;
    let root = user.home_root(stack).await;
    let data = homedir_tests::data::random(12 * homedir_tests::data::MIB);
    stack
        .admin_s3()
        .put_object()
        .bucket(stack.bucket())
        .key(format!("{root}big.bin"))
        .body(data.to_vec().into())
        .send()
        .await
        .expect("a 12 MiB source");
    inject_after(stack, "UploadPartCopy", Fault::Error, 1, None).await;
    put_from(&user, "big-copy.bin", "copy_from", "big.bin")
        .send(&app)
        .await
        .expect(503, Some("upstream_unavailable"));
    let aborted = calls(stack).await;
    assert!(
        aborted
            .iter()
            .any(|c| c.operation == "AbortMultipartUpload"),
        "the copy's upload was aborted"
    );
    let open = stack
        .admin_s3()
        .list_multipart_uploads()
        .bucket(stack.bucket())
        .prefix(&root)
        .send()
        .await
        .expect("list uploads");
    assert!(
        open.uploads().is_empty(),
        "no upload left: {:?}",
        open.uploads()
    );
    assert_eq!(content(stack, &user, "big-copy.bin").await, None);

    clear_faults(stack).await;
    let (copied, made) = counting(
        &app,
        put_from(&user, "big-copy.bin", "copy_from", "big.bin").send(&app),
    )
    .await;
    assert_eq!(copied.expect(200, None).json()["size"], data.len());
    assert_eq!(
        made.of("UploadPartCopy"),
        3,
        "three parts of 5, 5 and 2 MiB"
    );
    assert_eq!(
        content(stack, &user, "big-copy.bin").await.as_deref(),
        Some(&data[..])
    );
}

/// A copy that could not finish inside one request (over MAX_COPY_BYTES) is refused
/// before anything is created.
#[tokio::test]
async fn copies_over_the_limit_are_413_before_any_write() {
    let stack = Stack::get();
    let app = stack.app(&[("MAX_COPY_BYTES", "1000")]);
    let user = User::new(stack).await;
    write(&app, &user, "big.txt", &"x".repeat(6000)).await;
    for mode in ["copy_from", "move_from"] {
        let (refused, made) = counting(
            &app,
            put_from(&user, "copied.txt", mode, "big.txt").send(&app),
        )
        .await;
        refused.expect(413, Some("payload_too_large"));
        assert_eq!(made.of("CopyObject") + made.of("CreateMultipartUpload"), 0);
    }
    assert_eq!(content(stack, &user, "copied.txt").await, None);
    assert!(
        content(stack, &user, "big.txt").await.is_some(),
        "the source stays"
    );
}

/// 2,500 files, deleted across three calls with the cursor; all in the trash.
#[tokio::test]
async fn a_folder_of_2500_files_is_deleted_in_three_calls() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    let root = user.home_root(stack).await;
    let admin = stack.admin_s3();
    // A few writes at a time: the emulator serves every test of the suite at once.
    futures::stream::iter(0..2500)
        .map(|i| {
            admin
                .put_object()
                .bucket(stack.bucket())
                .key(format!("{root}album/{i:04}.jpg"))
                .body(b"jpeg".to_vec().into())
                .send()
        })
        .buffer_unordered(8)
        .for_each(|r| async move {
            r.expect("admin put");
        })
        .await;
    write(&app, &user, "albums-elsewhere.txt", "kept").await;

    let mut calls = 0;
    let mut total = 0;
    let mut cursor: Option<String> = None;
    loop {
        let mut pairs = vec![("prefix", "album/")];
        if let Some(c) = &cursor {
            pairs.push(("cursor", c));
        }
        let (page, made) = counting(
            &app,
            Req::delete("delete", &pairs)
                .token(&user.id_token)
                .send(&app),
        )
        .await;
        let page = page.expect(200, None).json();
        calls += 1;
        let deleted = page["deleted"].as_u64().expect("deleted");
        total += deleted;
        assert_eq!(
            (made.of("ListObjectsV2"), made.of("DeleteObjects")),
            (1, 1),
            "one batch per call at the default limit"
        );
        match page["next_cursor"].as_str() {
            Some(next) => {
                assert_eq!(deleted, 1000);
                cursor = Some(next.to_owned());
            }
            None => break,
        }
    }
    assert_eq!((calls, total), (3, 2500));
    assert_eq!(keys_under(stack, &format!("{root}album/")).await.len(), 0);
    assert_eq!(
        keys_under(stack, &root).await,
        vec![format!("{root}albums-elsewhere.txt")]
    );

    let trash: usize = list_pages(&app, &user, &[("prefix", "album/"), ("deleted", "1")])
        .await
        .iter()
        .map(|page| page["files"].as_array().expect("files").len())
        .sum();
    assert_eq!(trash, 2500, "every deleted file is in the trash");
}

#[tokio::test]
async fn folder_deletes_refuse_what_is_not_a_folder() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    for (case, pairs, code) in [
        ("no slash", vec![("prefix", "album")], "invalid_key"),
        ("whole home", vec![("prefix", "")], "invalid_key"),
        ("escape", vec![("prefix", "../x/")], "invalid_key"),
        (
            "key and prefix",
            vec![("key", "a"), ("prefix", "a/")],
            "invalid_request",
        ),
        (
            "cursor elsewhere",
            vec![("prefix", "a/"), ("cursor", "b/x")],
            "invalid_request",
        ),
        (
            "limit 0",
            vec![("prefix", "a/"), ("limit", "0")],
            "invalid_request",
        ),
        ("nothing", vec![], "invalid_request"),
    ] {
        let reply = Req::delete("delete", &pairs)
            .token(&user.id_token)
            .send(&app)
            .await;
        assert_eq!(
            (reply.status(), reply.code().as_str()),
            (400, code),
            "{case}"
        );
    }
    Req::delete("delete", &[("prefix", "a/")])
        .token(&user.id_token)
        .header("if-match", "\"x\"")
        .send(&app)
        .await
        .expect(400, Some("invalid_request"));
}

/// `If-Match` on a delete removes only that version: a stale ETag is 412.
#[tokio::test]
async fn a_conditional_delete_needs_the_current_etag() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    let first = write(&app, &user, "c.txt", "1").await;
    let second = write(&app, &user, "c.txt", "2").await;
    Req::delete("delete", &[("key", "c.txt")])
        .token(&user.id_token)
        .header("if-match", first["etag"].as_str().unwrap())
        .send(&app)
        .await
        .expect(412, Some("precondition_failed"));
    assert_eq!(
        content(stack, &user, "c.txt").await.as_deref(),
        Some(&b"2"[..])
    );
    Req::delete("delete", &[("key", "missing.txt")])
        .token(&user.id_token)
        .header("if-match", first["etag"].as_str().unwrap())
        .send(&app)
        .await
        .expect(412, Some("precondition_failed"));
    let deleted = Req::delete("delete", &[("key", "c.txt")])
        .token(&user.id_token)
        .header("if-match", second["etag"].as_str().unwrap())
        .send(&app)
        .await
        .expect(204, None);
    assert!(deleted.header("x-version-id").is_some());
    assert!(content(stack, &user, "c.txt").await.is_none());
}
