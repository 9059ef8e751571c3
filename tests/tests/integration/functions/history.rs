//! Nothing is ever lost: versions, reading an old version, restore, the trash and
//! undelete, through the real handlers against the versioned local bucket.

use homedir_tests::requests::{Req, counting, list_pages, write};
use homedir_tests::stack::{Stack, User};
use serde_json::Value;

async fn read(app: &homedir::App, user: &User, key: &str) -> String {
    let reply = Req::get("read-file", &[("key", key)])
        .token(&user.id_token)
        .send(app)
        .await
        .expect(200, None);
    String::from_utf8(reply.bytes().to_vec()).expect("text")
}

async fn versions_of(app: &homedir::App, user: &User, key: &str) -> Vec<Value> {
    Req::get("list", &[("key", key), ("versions", "1")])
        .token(&user.id_token)
        .send(app)
        .await
        .expect(200, None)
        .json()["versions"]
        .as_array()
        .expect("versions")
        .clone()
}

#[tokio::test]
async fn write_three_versions_read_restore_delete_and_undelete() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    let key = "notes/plan.txt";
    let v1 = write(&app, &user, key, "v1").await;
    let v2 = write(&app, &user, key, "v2").await;
    let v3 = write(&app, &user, key, "v3").await;
    // A longer key that this one is a prefix of must not leak into its versions.
    write(&app, &user, "notes/plan.txt.bak", "other").await;
    let ids: Vec<&str> = [&v1, &v2, &v3]
        .iter()
        .map(|w| {
            w["version_id"]
                .as_str()
                .expect("every write names its version")
        })
        .collect();

    let listed = versions_of(&app, &user, key).await;
    assert_eq!(
        listed
            .iter()
            .map(|v| v["version_id"].as_str().unwrap())
            .collect::<Vec<_>>(),
        vec![ids[2], ids[1], ids[0]],
        "newest first, only this file"
    );
    assert_eq!(listed[0]["latest"], true);
    assert_eq!(listed[1]["latest"], false);
    assert!(
        listed
            .iter()
            .all(|v| v["key"] == key && v["deleted"] == false)
    );
    assert_eq!(listed[2]["size"], 2);
    assert_eq!(listed[2]["etag"], v1["etag"]);

    // Read v1.
    let old = Req::get("read-file", &[("key", key), ("version", ids[0])])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    assert_eq!(old.bytes(), b"v1");
    assert_eq!(old.header("x-version-id").as_deref(), Some(ids[0]));

    // Restore v1: the content is v1 again, as a new version; v2 and v3 remain.
    let restored = Req::put("write-file", &[("key", key), ("restore", ids[0])], "")
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None)
        .json();
    assert_eq!(restored["size"], 2);
    assert_eq!(restored["key"], key);
    let restored_id = restored["version_id"].as_str().expect("a new version");
    assert!(!ids.contains(&restored_id));
    assert_eq!(read(&app, &user, key).await, "v1");
    let listed = versions_of(&app, &user, key).await;
    assert_eq!(listed.len(), 4);
    for id in &ids {
        assert!(listed.iter().any(|v| v["version_id"] == *id), "{id} kept");
    }

    // Delete: the trash shows it, with the version an undelete brings back.
    let deleted = Req::delete("delete", &[("key", key)])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(204, None);
    let marker = deleted
        .header("x-version-id")
        .expect("the delete marker's version");
    Req::get("read-file", &[("key", key)])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(404, Some("not_found"));
    let trash = Req::get("list", &[("prefix", "notes/"), ("deleted", "1")])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None)
        .json();
    let files = trash["files"].as_array().expect("files");
    assert_eq!(files.len(), 1, "only the deleted file: {trash}");
    assert_eq!(files[0]["key"], key);
    assert_eq!(files[0]["version_id"], restored_id);
    assert!(files[0]["deleted_at"].is_string());
    let listed = versions_of(&app, &user, key).await;
    assert_eq!(listed[0]["version_id"], marker);
    assert_eq!(listed[0]["deleted"], true);
    assert_eq!(listed[0]["latest"], true);
    // A delete marker's version has no bytes.
    Req::get("read-file", &[("key", key), ("version", &marker)])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(404, Some("not_found"));

    // Undelete: restore the version the trash names.
    Req::put(
        "write-file",
        &[
            ("key", key),
            ("restore", files[0]["version_id"].as_str().unwrap()),
        ],
        "",
    )
    .token(&user.id_token)
    .send(&app)
    .await
    .expect(200, None);
    assert_eq!(read(&app, &user, key).await, "v1");
    let trash = Req::get("list", &[("prefix", "notes/"), ("deleted", "1")])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None)
        .json();
    assert_eq!(trash["files"].as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn restore_honours_if_match_and_unknown_versions_are_404() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    let v1 = write(&app, &user, "f.txt", "one").await;
    let v2 = write(&app, &user, "f.txt", "two").await;
    let restore = |etag: &str| {
        Req::put(
            "write-file",
            &[
                ("key", "f.txt"),
                ("restore", v1["version_id"].as_str().unwrap()),
            ],
            "",
        )
        .token(&user.id_token)
        .header("if-match", etag)
    };
    restore(v1["etag"].as_str().unwrap())
        .send(&app)
        .await
        .expect(412, Some("precondition_failed"));
    assert_eq!(read(&app, &user, "f.txt").await, "two");
    restore(v2["etag"].as_str().unwrap())
        .send(&app)
        .await
        .expect(200, None);
    assert_eq!(read(&app, &user, "f.txt").await, "one");

    // Well-formed but unknown (S3's 32-character shape, and the emulator's UUIDs).
    for version in [
        "3HL4kqtJlcpXroDTDmJ0rmSpXd3dIbrH",
        "0f2a7c3e-1111-2222-3333-444455556666",
    ] {
        Req::get("read-file", &[("key", "f.txt"), ("version", version)])
            .token(&user.id_token)
            .send(&app)
            .await
            .expect(404, Some("not_found"));
        Req::put("write-file", &[("key", "f.txt"), ("restore", version)], "")
            .token(&user.id_token)
            .send(&app)
            .await
            .expect(404, Some("not_found"));
    }
    // Not a version id at all: refused here, or by S3 (InvalidArgument).
    for bad in ["a/b", "a b", "not-a-version"] {
        Req::get("read-file", &[("key", "f.txt"), ("version", bad)])
            .token(&user.id_token)
            .send(&app)
            .await
            .expect(400, Some("invalid_request"));
    }
}

#[tokio::test]
async fn versions_and_the_trash_page_with_a_cursor() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    for i in 0..5 {
        write(&app, &user, &format!("p/{i}.txt"), "a").await;
        write(&app, &user, &format!("p/{i}.txt"), "b").await;
        Req::delete("delete", &[("key", &format!("p/{i}.txt"))])
            .token(&user.id_token)
            .send(&app)
            .await
            .expect(204, None);
    }
    let params = [("prefix", "p/"), ("versions", "1"), ("limit", "4")];
    let mut seen = Vec::new();
    for page in list_pages(&app, &user, &params).await {
        let versions = page["versions"].as_array().expect("versions");
        assert!(versions.len() <= 4);
        seen.extend(versions.iter().cloned());
    }
    assert_eq!(seen.len(), 15, "5 files × (2 versions + 1 marker)");
    assert_eq!(seen.iter().filter(|v| v["deleted"] == true).count(), 5);

    let params = [("prefix", "p/"), ("deleted", "1"), ("limit", "2")];
    let mut trash = Vec::new();
    for page in list_pages(&app, &user, &params).await {
        trash.extend(page["files"].as_array().expect("files").iter().cloned());
    }
    let mut keys: Vec<&str> = trash.iter().map(|f| f["key"].as_str().unwrap()).collect();
    keys.sort();
    assert_eq!(
        keys,
        vec!["p/0.txt", "p/1.txt", "p/2.txt", "p/3.txt", "p/4.txt"]
    );
    assert!(
        trash.iter().all(|f| f["size"] == 1),
        "the newest real version: {trash:?}"
    );
}

/// Bob gets nothing of Alice's history by any parameter: keys and prefixes are his
/// own home's, cursors are relative to it, and S3 refuses the rest.
#[tokio::test]
async fn bob_reaches_none_of_alices_history() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let alice = User::new(stack).await;
    let bob = User::new(stack).await;
    let v1 = write(&app, &alice, "secret.txt", "alice v1").await;
    write(&app, &alice, "secret.txt", "alice v2").await;
    Req::delete("delete", &[("key", "secret.txt")])
        .token(&alice.id_token)
        .send(&app)
        .await
        .expect(204, None);
    let version = v1["version_id"].as_str().unwrap();
    let alice_id = alice.identity_id(stack).await;
    let escapes = [
        "secret.txt".to_owned(),
        format!("../{alice_id}/secret.txt"),
        format!("{alice_id}/secret.txt"),
    ];

    // Listings: valid ones show Bob's empty home, the rest are refused.
    for prefix in [
        "",
        "secret",
        &format!("../{alice_id}/"),
        &format!("{alice_id}/"),
    ] {
        for mode in ["versions", "deleted"] {
            let reply = Req::get("list", &[("prefix", prefix), (mode, "1")])
                .token(&bob.id_token)
                .send(&app)
                .await;
            match reply.status() {
                200 => {
                    let body = reply.json();
                    let items = body["versions"].as_array().or(body["files"].as_array());
                    assert_eq!(items.map(Vec::len), Some(0), "{prefix} {mode}: {body}");
                }
                400 => {}
                other => panic!("{prefix} {mode}: {other}"),
            }
        }
    }
    for cursor in [
        format!(":../{alice_id}/secret.txt"),
        format!("{version}:secret.txt"),
    ] {
        let reply = Req::get("list", &[("versions", "1"), ("cursor", &cursor)])
            .token(&bob.id_token)
            .send(&app)
            .await;
        if reply.status() == 200 {
            assert_eq!(reply.json()["versions"].as_array().map(Vec::len), Some(0));
        } else {
            assert_eq!(reply.status(), 400, "{cursor}");
        }
    }
    // Reading, restoring, copying or moving Alice's version: refused or not found.
    for key in &escapes {
        let read = Req::get("read-file", &[("key", key), ("version", version)])
            .token(&bob.id_token)
            .send(&app)
            .await;
        assert!(
            matches!(read.status(), 400 | 404),
            "read {key}: {}",
            read.status()
        );
        let restore = Req::put("write-file", &[("key", key), ("restore", version)], "")
            .token(&bob.id_token)
            .send(&app)
            .await;
        assert!(
            matches!(restore.status(), 400 | 404),
            "restore {key}: {}",
            restore.status()
        );
        for mode in ["copy_from", "move_from"] {
            let copied = Req::put("write-file", &[("key", "mine.txt"), (mode, key)], "")
                .token(&bob.id_token)
                .send(&app)
                .await;
            assert!(
                matches!(copied.status(), 400 | 404),
                "{mode} {key}: {}",
                copied.status()
            );
        }
    }
    assert!(
        homedir_tests::stack::keys_under(stack, &bob.home_root(stack).await)
            .await
            .is_empty(),
        "nothing of Alice's reached Bob's home"
    );
    // Alice's history is intact.
    assert_eq!(versions_of(&app, &alice, "secret.txt").await.len(), 3);
}

/// A warm version read and a restore: one S3 call and two (the restore looks at the
/// version first for its size, which CopyObject's answer does not carry).
#[tokio::test]
async fn a_version_read_costs_one_s3_call_and_a_restore_two() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    let v1 = write(&app, &user, "counted.txt", "1").await;
    write(&app, &user, "counted.txt", "2").await;
    let version = v1["version_id"].as_str().unwrap();
    let before = app.calls().total();
    Req::get("read-file", &[("key", "counted.txt"), ("version", version)])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    assert_eq!(app.calls().total() - before, 1);
    let (restored, calls) = counting(
        &app,
        Req::put(
            "write-file",
            &[("key", "counted.txt"), ("restore", version)],
            "",
        )
        .token(&user.id_token)
        .send(&app),
    )
    .await;
    restored.expect(200, None);
    assert_eq!((calls.of("HeadObject"), calls.of("CopyObject")), (1, 1));
    assert_eq!(calls.total(), 2);
}

/// A deleted folder comes back in one call per batch: every deleted file restored as
/// a new version of what it was, a file written again since its deletion (no longer in
/// the trash) left as it is, and a second restore finds nothing left to do.
#[tokio::test]
async fn a_deleted_folder_is_restored_in_batches_and_newer_files_are_left_alone() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    for n in 0..25 {
        write(
            &app,
            &user,
            &format!("trip/photo-{n:02}.txt"),
            &format!("photo {n}"),
        )
        .await;
    }
    write(&app, &user, "trip-notes.txt", "not in the folder").await;
    Req::delete("delete", &[("prefix", "trip/")])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    write(&app, &user, "trip/photo-07.txt", "written again").await;

    let (mut restored, mut skipped, mut calls) = (0, 0, 0);
    let mut cursor: Option<String> = None;
    loop {
        let mut pairs = vec![("prefix", "trip/"), ("undelete", "1"), ("limit", "6")];
        if let Some(c) = &cursor {
            pairs.push(("cursor", c));
        }
        let page = Req::put("write-file", &pairs, "")
            .token(&user.id_token)
            .send(&app)
            .await
            .expect(200, None)
            .json();
        calls += 1;
        restored += page["restored"].as_u64().expect("restored");
        skipped += page["skipped"].as_u64().expect("skipped");
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!((restored, skipped), (24, 0));
    assert!(
        calls > 2,
        "the limit cut the work into batches ({calls} calls)"
    );
    for n in 0..25 {
        let expected = if n == 7 {
            "written again".to_owned()
        } else {
            format!("photo {n}")
        };
        assert_eq!(
            read(&app, &user, &format!("trip/photo-{n:02}.txt")).await,
            expected
        );
    }
    // Each restored file has its history: the first version, the marker, the restore.
    assert_eq!(versions_of(&app, &user, "trip/photo-00.txt").await.len(), 3);
    let again = Req::put("write-file", &[("prefix", "trip/"), ("undelete", "1")], "")
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None)
        .json();
    assert_eq!(
        again,
        serde_json::json!({ "restored": 0, "skipped": 0, "next_cursor": null })
    );
    // A folder restore takes no key, body or condition, and needs a folder.
    for (pairs, code) in [
        (vec![("prefix", "trip"), ("undelete", "1")], "invalid_key"),
        (vec![("prefix", "trip/")], "invalid_request"),
        (
            vec![("prefix", "trip/"), ("undelete", "1"), ("key", "a")],
            "invalid_request",
        ),
    ] {
        Req::put("write-file", &pairs, "")
            .token(&user.id_token)
            .send(&app)
            .await
            .expect(400, Some(code));
    }
}
