//! Team spaces: `<TEAM_PREFIX>/<team>/`, shared by every member of a team, granted by
//! the `custom:team` claim and enforced by IAM through the principal tag the identity
//! pool puts on the members' credentials. Alice and Carol are in one team, Bob in
//! another, Dave in none; team names are unique per test so tests share the stack.
//!
//! Two paths are proven: the user's own credentials (as any signed-in user can get
//! them) against S3 directly, where IAM alone decides; and the API, with real tokens.

use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use futures::StreamExt;
use homedir_tests::data::{MIB, random, sha256};
use homedir_tests::presigned;
use homedir_tests::requests::{Reply, Req, counting};
use homedir_tests::stack::{Stack, User, keys_under, object};
use serde_json::{Value, json};

/// A team name no other test uses: `<what>-<8 hex>`.
fn team(what: &str) -> String {
    format!("{what}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
}

/// `request` sent by `user`, with their ID token.
async fn by(app: &homedir::App, user: &User, request: Req) -> Reply {
    request.token(&user.id_token).send(app).await
}

fn team_space<'a>(pairs: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all = vec![("space", "team")];
    all.extend_from_slice(pairs);
    all
}

/// The S3 error code of a failed SDK call, or "ok".
fn outcome<T, E: aws_sdk_s3::error::ProvideErrorMetadata>(
    result: Result<T, aws_sdk_s3::error::SdkError<E>>,
) -> String {
    match result {
        Ok(_) => "ok".to_owned(),
        Err(error) => error
            .as_service_error()
            .and_then(|e| e.code())
            .unwrap_or("no code")
            .to_owned(),
    }
}

/// With their own credentials, members read and write the team's space; another
/// team, a user without a team, and a team whose name merely starts the same get
/// AccessDenied there, listings included; nobody deletes a version.
#[tokio::test]
async fn with_their_own_credentials_members_share_the_space_and_nobody_else_reaches_it() {
    let stack = Stack::get();
    let acme = team("acme");
    let acme_2 = format!("{acme}-2");
    let globex = team("globex");
    let alice = User::in_team(stack, &acme).await;
    let carol = User::in_team(stack, &acme).await;
    let bob = User::in_team(stack, &globex).await;
    let dave = User::new(stack).await;
    let erin = User::in_team(stack, &acme_2).await;
    let root = stack.team_root(&acme);
    let key = format!("{root}q3/report.txt");

    let alice_s3 = alice.own_s3(stack).await;
    let put = alice_s3
        .put_object()
        .bucket(stack.bucket())
        .key(&key)
        .body(ByteStream::from_static(b"acme's report"))
        .send()
        .await
        .expect("Alice writes into her team's space with her own credentials");
    let version = put.version_id().expect("a version").to_owned();

    let carol_s3 = carol.own_s3(stack).await;
    let read = carol_s3
        .get_object()
        .bucket(stack.bucket())
        .key(&key)
        .send()
        .await
        .expect("Carol reads what Alice wrote");
    let body = read.body.collect().await.expect("body").into_bytes();
    assert_eq!(&body[..], b"acme's report");
    let listed = carol_s3
        .list_objects_v2()
        .bucket(stack.bucket())
        .prefix(&root)
        .send()
        .await
        .expect("Carol lists the team's space");
    assert_eq!(listed.contents().len(), 1);
    carol_s3
        .put_object()
        .bucket(stack.bucket())
        .key(format!("{root}carol.txt"))
        .body(ByteStream::from_static(b"carol"))
        .send()
        .await
        .expect("Carol writes too");

    for (who, user) in [
        ("Bob (globex)", &bob),
        ("Dave (no team)", &dave),
        ("Erin (acme-2)", &erin),
    ] {
        let s3 = user.own_s3(stack).await;
        let get = s3
            .get_object()
            .bucket(stack.bucket())
            .key(&key)
            .send()
            .await;
        assert_eq!(outcome(get), "AccessDenied", "{who} reads acme's file");
        let put = s3
            .put_object()
            .bucket(stack.bucket())
            .key(format!("{root}intruder.txt"))
            .body(ByteStream::from_static(b"x"))
            .send()
            .await;
        assert_eq!(
            outcome(put),
            "AccessDenied",
            "{who} writes into acme's space"
        );
        let delete = s3
            .delete_object()
            .bucket(stack.bucket())
            .key(&key)
            .send()
            .await;
        assert_eq!(outcome(delete), "AccessDenied", "{who} deletes acme's file");
        let list = s3
            .list_objects_v2()
            .bucket(stack.bucket())
            .prefix(&root)
            .send()
            .await;
        assert_eq!(outcome(list), "AccessDenied", "{who} lists acme's space");
        let versions = s3
            .list_object_versions()
            .bucket(stack.bucket())
            .prefix(&root)
            .send()
            .await;
        assert_eq!(
            outcome(versions),
            "AccessDenied",
            "{who} lists acme's versions"
        );
        // Nor the folder of every team.
        let all = s3
            .list_objects_v2()
            .bucket(stack.bucket())
            .prefix(format!("{}/", stack.team_prefix()))
            .send()
            .await;
        assert_eq!(outcome(all), "AccessDenied", "{who} lists every team");
    }
    // Alice cannot list the root of every team either, nor acme-2's space.
    let all = alice_s3
        .list_objects_v2()
        .bucket(stack.bucket())
        .prefix(format!("{}/", stack.team_prefix()))
        .send()
        .await;
    assert_eq!(outcome(all), "AccessDenied", "Alice lists every team");
    let acme2 = alice_s3
        .list_objects_v2()
        .bucket(stack.bucket())
        .prefix(stack.team_root(&acme_2))
        .send()
        .await;
    assert_eq!(outcome(acme2), "AccessDenied", "Alice lists acme-2");

    // History is read-only for members too.
    for (who, s3) in [("Alice", &alice_s3), ("Carol", &carol_s3)] {
        let destroy = s3
            .delete_object()
            .bucket(stack.bucket())
            .key(&key)
            .version_id(&version)
            .send()
            .await;
        assert_eq!(outcome(destroy), "AccessDenied", "{who} deletes a version");
    }
    let (still, _) = object(stack, &key).await.expect("the file is still there");
    assert_eq!(still, b"acme's report");
    assert_eq!(
        keys_under(stack, &root).await.len(),
        2,
        "Alice's and Carol's files, nothing of the others"
    );
}

/// Through the API: Alice writes, Carol reads, lists, sees the versions, restores and
/// moves; Bob with `space=team` sees only his own team's; Dave is `no_team` before any
/// AWS call; `whoami` names each one's team.
#[tokio::test]
async fn through_the_api_members_work_together_and_others_see_their_own() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let acme = team("acme");
    let globex = team("globex");
    let alice = User::in_team(stack, &acme).await;
    let carol = User::in_team(stack, &acme).await;
    let bob = User::in_team(stack, &globex).await;
    let dave = User::new(stack).await;

    let first = by(
        &app,
        &alice,
        Req::put("write-file", &team_space(&[("key", "q3/report.txt")]), "v1"),
    )
    .await
    .expect(200, None)
    .json();
    assert_eq!(
        first["key"], "q3/report.txt",
        "keys are relative to the team's space"
    );
    let (stored, _) = object(stack, &format!("{}q3/report.txt", stack.team_root(&acme)))
        .await
        .expect("stored under teams/<team>/");
    assert_eq!(stored, b"v1");
    assert!(
        keys_under(stack, &alice.home_root(stack).await)
            .await
            .is_empty(),
        "nothing in Alice's home"
    );

    let read = by(
        &app,
        &carol,
        Req::get("read-file", &team_space(&[("key", "q3/report.txt")])),
    )
    .await
    .expect(200, None);
    assert_eq!(read.bytes(), b"v1");
    let second = by(
        &app,
        &carol,
        Req::put(
            "write-file",
            &team_space(&[("key", "q3/report.txt")]),
            "v2 by carol",
        ),
    )
    .await
    .expect(200, None)
    .json();
    let listing = by(
        &app,
        &carol,
        Req::get("list", &team_space(&[("prefix", "q3/")])),
    )
    .await
    .expect(200, None)
    .json();
    assert_eq!(
        listing["files"].as_array().map(Vec::len),
        Some(1),
        "{listing}"
    );
    assert_eq!(listing["files"][0]["key"], "q3/report.txt");
    let versions = by(
        &app,
        &carol,
        Req::get(
            "list",
            &team_space(&[("key", "q3/report.txt"), ("versions", "1")]),
        ),
    )
    .await
    .expect(200, None)
    .json();
    assert_eq!(
        versions["versions"].as_array().map(Vec::len),
        Some(2),
        "{versions}"
    );
    // Carol restores Alice's version, then moves the file within the space.
    let first_version = first["version_id"].as_str().expect("a version");
    by(
        &app,
        &carol,
        Req::put(
            "write-file",
            &team_space(&[("key", "q3/report.txt"), ("restore", first_version)]),
            "",
        ),
    )
    .await
    .expect(200, None);
    let read = by(
        &app,
        &alice,
        Req::get("read-file", &team_space(&[("key", "q3/report.txt")])),
    )
    .await
    .expect(200, None);
    assert_eq!(read.bytes(), b"v1", "the restored version");
    assert_ne!(second["etag"], Value::Null);
    by(
        &app,
        &carol,
        Req::put(
            "write-file",
            &team_space(&[("key", "final/report.txt"), ("move_from", "q3/report.txt")]),
            "",
        ),
    )
    .await
    .expect(200, None);
    let root = stack.team_root(&acme);
    assert!(
        object(stack, &format!("{root}final/report.txt"))
            .await
            .is_some()
    );
    assert!(
        object(stack, &format!("{root}q3/report.txt"))
            .await
            .is_none()
    );

    // Bob's team space is globex's: empty, and nothing of acme's through any key.
    let bobs = by(&app, &bob, Req::get("list", &team_space(&[])))
        .await
        .expect(200, None)
        .json();
    assert_eq!(bobs["files"], json!([]), "{bobs}");
    for key in [
        "final/report.txt",
        "../acme/final/report.txt",
        &format!("../{acme}/final/report.txt"),
    ] {
        let reply = by(
            &app,
            &bob,
            Req::get("read-file", &team_space(&[("key", key)])),
        )
        .await;
        assert!(
            matches!(reply.status(), 400 | 404),
            "{key}: {}",
            reply.status()
        );
    }
    by(
        &app,
        &bob,
        Req::put("write-file", &team_space(&[("key", "plan.txt")]), "globex"),
    )
    .await
    .expect(200, None);
    assert!(
        object(stack, &format!("{}plan.txt", stack.team_root(&globex)))
            .await
            .is_some()
    );

    // Dave has no team: 403 no_team on every route, before any AWS call.
    let requests = [
        Req::get("read-file", &team_space(&[("key", "f")])),
        Req::put("write-file", &team_space(&[("key", "f")]), "x"),
        Req::get("list", &team_space(&[])),
        Req::delete("delete", &team_space(&[("key", "f")])),
        Req::put(
            "write-file",
            &[("key", "f"), ("copy_from", "f"), ("from_space", "team")],
            "",
        ),
    ];
    for request in requests {
        let (reply, calls) = counting(&app, request.token(&dave.id_token).send(&app)).await;
        reply.expect(403, Some("no_team"));
        assert_eq!(calls.total(), 0, "no AWS call for a caller without a team");
    }
    // ... while his home works as before.
    by(
        &app,
        &dave,
        Req::put("write-file", &[("key", "mine.txt")], "dave"),
    )
    .await
    .expect(200, None);

    // whoami: the Identity ID and the team, or null.
    for (user, expected) in [
        (&alice, json!(acme)),
        (&bob, json!(globex)),
        (&dave, Value::Null),
    ] {
        let me = by(&app, user, Req::get("list", &[("whoami", "1")]))
            .await
            .expect(200, None)
            .json();
        assert_eq!(me["team"], expected);
        assert_eq!(me["identity_id"], user.identity_id(stack).await.as_str());
    }
    by(
        &app,
        &alice,
        Req::get("list", &[("whoami", "1"), ("prefix", "a")]),
    )
    .await
    .expect(400, Some("invalid_request"));
}

/// Two members race conditional writes of one file: exactly one wins, the other gets
/// 412, and the file holds the winner's bytes.
#[tokio::test]
async fn members_racing_if_match_writes_get_exactly_one_winner() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let acme = team("acme");
    let alice = User::in_team(stack, &acme).await;
    let carol = User::in_team(stack, &acme).await;
    let base = by(
        &app,
        &alice,
        Req::put("write-file", &team_space(&[("key", "shared.txt")]), "base"),
    )
    .await
    .expect(200, None)
    .json();
    let etag = base["etag"].as_str().expect("etag").to_owned();
    let write = |user: &User, body: &'static str| {
        Req::put("write-file", &team_space(&[("key", "shared.txt")]), body)
            .token(&user.id_token)
            .header("if-match", &etag)
            .send(&app)
    };
    let (a, c) = tokio::join!(write(&alice, "alice wins"), write(&carol, "carol wins"));
    let mut statuses = [a.status(), c.status()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412], "exactly one conditional write wins");
    let winner = if a.status() == 200 {
        "alice wins"
    } else {
        "carol wins"
    };
    let (stored, _) = object(stack, &format!("{}shared.txt", stack.team_root(&acme)))
        .await
        .expect("stored");
    assert_eq!(stored, winner.as_bytes());
}

/// Copies and moves between one's home and the team's space, with the caller's own
/// credentials on both sides and the same preconditions.
#[tokio::test]
async fn files_are_copied_and_moved_between_home_and_team() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let acme = team("acme");
    let alice = User::in_team(stack, &acme).await;
    let carol = User::in_team(stack, &acme).await;
    let home = alice.home_root(stack).await;
    let root = stack.team_root(&acme);
    by(
        &app,
        &alice,
        Req::put("write-file", &[("key", "draft.txt")], "draft"),
    )
    .await
    .expect(200, None);

    // home -> team
    by(
        &app,
        &alice,
        Req::put(
            "write-file",
            &team_space(&[
                ("key", "docs/draft.txt"),
                ("copy_from", "draft.txt"),
                ("from_space", "home"),
            ]),
            "",
        ),
    )
    .await
    .expect(200, None);
    assert_eq!(
        object(stack, &format!("{root}docs/draft.txt"))
            .await
            .map(|o| o.0),
        Some(b"draft".to_vec())
    );
    assert!(
        object(stack, &format!("{home}draft.txt")).await.is_some(),
        "a copy keeps the source"
    );
    // The same name in both spaces is not a copy onto itself.
    by(
        &app,
        &alice,
        Req::put(
            "write-file",
            &team_space(&[
                ("key", "draft.txt"),
                ("move_from", "draft.txt"),
                ("from_space", "home"),
            ]),
            "",
        ),
    )
    .await
    .expect(200, None);
    assert!(
        object(stack, &format!("{home}draft.txt")).await.is_none(),
        "moved out of the home"
    );
    assert!(object(stack, &format!("{root}draft.txt")).await.is_some());

    // team -> home, by another member, into her own home.
    by(
        &app,
        &carol,
        Req::put(
            "write-file",
            &[
                ("key", "mine.txt"),
                ("copy_from", "docs/draft.txt"),
                ("from_space", "team"),
            ],
            "",
        ),
    )
    .await
    .expect(200, None);
    let carol_home = carol.home_root(stack).await;
    assert_eq!(
        object(stack, &format!("{carol_home}mine.txt"))
            .await
            .map(|o| o.0),
        Some(b"draft".to_vec())
    );

    // Preconditions hold across spaces: a stale source ETag is 412, nothing written.
    by(
        &app,
        &carol,
        Req::put(
            "write-file",
            &[
                ("key", "stale.txt"),
                ("copy_from", "docs/draft.txt"),
                ("from_space", "team"),
                ("source_if_match", "\"0123456789abcdef0123456789abcdef\""),
            ],
            "",
        ),
    )
    .await
    .expect(412, Some("precondition_failed"));
    assert!(
        object(stack, &format!("{carol_home}stale.txt"))
            .await
            .is_none()
    );
    // A bad from_space is 400.
    by(
        &app,
        &carol,
        Req::put(
            "write-file",
            &[
                ("key", "x.txt"),
                ("copy_from", "mine.txt"),
                ("from_space", "teams"),
            ],
            "",
        ),
    )
    .await
    .expect(400, Some("invalid_request"));
    // from_space without a copy or move is 400.
    by(
        &app,
        &carol,
        Req::put(
            "write-file",
            &[("key", "x.txt"), ("from_space", "home")],
            "x",
        ),
    )
    .await
    .expect(400, Some("invalid_request"));
}

/// A folder deleted in the team space lands in its trash and comes back with a folder
/// restore, for any member.
#[tokio::test]
async fn a_team_folder_deleted_lands_in_the_trash_and_is_restored() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let acme = team("acme");
    let alice = User::in_team(stack, &acme).await;
    let carol = User::in_team(stack, &acme).await;
    for name in ["a", "b", "c"] {
        by(
            &app,
            &alice,
            Req::put(
                "write-file",
                &team_space(&[("key", &format!("old/{name}.txt"))]),
                name,
            ),
        )
        .await
        .expect(200, None);
    }
    let deleted = by(
        &app,
        &carol,
        Req::delete("delete", &team_space(&[("prefix", "old/")])),
    )
    .await
    .expect(200, None)
    .json();
    assert_eq!(deleted["deleted"], 3);
    let trash = by(
        &app,
        &alice,
        Req::get("list", &team_space(&[("prefix", "old/"), ("deleted", "1")])),
    )
    .await
    .expect(200, None)
    .json();
    assert_eq!(trash["files"].as_array().map(Vec::len), Some(3), "{trash}");
    let restored = by(
        &app,
        &alice,
        Req::put(
            "write-file",
            &team_space(&[("prefix", "old/"), ("undelete", "1")]),
            "",
        ),
    )
    .await
    .expect(200, None)
    .json();
    assert_eq!(restored["restored"], 3, "{restored}");
    let read = by(
        &app,
        &carol,
        Req::get("read-file", &team_space(&[("key", "old/b.txt")])),
    )
    .await
    .expect(200, None);
    assert_eq!(read.bytes(), b"b");
}

/// 64 MiB uploaded into the team space through part URLs by one member, read back by
/// another; the upload id is bound to the team space (not usable in a home).
#[tokio::test]
async fn a_team_upload_of_64_mib_through_part_urls() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let acme = team("acme");
    let alice = User::in_team(stack, &acme).await;
    let carol = User::in_team(stack, &acme).await;
    let data: Bytes = random(64 * MIB);
    let started = by(
        &app,
        &alice,
        Req::post(
            "write-file",
            &team_space(&[("key", "video.mp4")]),
            json!({ "size": data.len(), "content_type": "video/mp4" }).to_string(),
        ),
    )
    .await
    .expect(201, None)
    .json();
    let upload_id = started["upload_id"].as_str().expect("upload_id").to_owned();
    let part_size = started["part_size"].as_u64().expect("part size") as usize;
    // The id is the team space's: in the home it is refused before any AWS call.
    let (reply, calls) = counting(
        &app,
        Req::get(
            "write-file",
            &[("key", "video.mp4"), ("upload_id", &upload_id)],
        )
        .token(&alice.id_token)
        .send(&app),
    )
    .await;
    reply.expect(400, Some("invalid_request"));
    // (Resuming signs URLs: credentials that would expire sooner may be renewed first.)
    assert_eq!(
        (
            calls.of("ListParts"),
            calls.total() - calls.of("GetCredentialsForIdentity")
        ),
        (0, 0),
        "no S3 call: {calls:?}"
    );

    let parts = started["parts"].as_array().expect("parts").clone();
    let mut uploaded: Vec<Value> = futures::stream::iter(parts)
        .map(|part| {
            let data = data.clone();
            async move {
                let number = part["number"].as_u64().expect("number") as usize;
                let size = part["size"].as_u64().expect("size") as usize;
                let from = (number - 1) * part_size;
                let answer = presigned::put(
                    part["url"].as_str().expect("url"),
                    data.slice(from..from + size),
                )
                .await;
                assert_eq!(answer.status, 200, "part {number}: {}", answer.error_code());
                json!({ "number": number, "etag": answer.etag().expect("ETag") })
            }
        })
        .buffer_unordered(2)
        .collect()
        .await;
    uploaded.sort_by_key(|p| p["number"].as_u64());
    // Carol, another member, completes it: the upload belongs to the space.
    by(
        &app,
        &carol,
        Req::post(
            "write-file",
            &team_space(&[("key", "video.mp4"), ("upload_id", &upload_id)]),
            json!({ "parts": uploaded }).to_string(),
        ),
    )
    .await
    .expect(200, None);
    let (stored, content_type) = object(stack, &format!("{}video.mp4", stack.team_root(&acme)))
        .await
        .expect("stored");
    assert_eq!(sha256(&stored), sha256(&data));
    assert_eq!(content_type.as_deref(), Some("video/mp4"));
}

/// A user cannot give themselves a team: SignUp with custom:team and
/// UpdateUserAttributes with their own access token are refused, and their next token
/// still carries the team the operator set.
#[tokio::test]
async fn a_user_cannot_give_themselves_a_team() {
    use aws_sdk_cognitoidentityprovider::types::AttributeType;
    let stack = Stack::get();
    let idp = stack.admin_idp();
    let attribute = |name: &str, value: &str| {
        AttributeType::builder()
            .name(name)
            .value(value)
            .build()
            .expect("attribute")
    };
    let email = format!("self-made-{}@example.com", uuid::Uuid::new_v4().simple());
    let sign_up = idp
        .sign_up()
        .client_id(stack.var("USER_POOL_CLIENT_ID"))
        .username(&email)
        .password(homedir_tests::stack::PASSWORD)
        .user_attributes(attribute("email", &email))
        .user_attributes(attribute("custom:team", "acme"))
        .send()
        .await;
    let error = sign_up.expect_err("SignUp may not set custom:team");
    assert_eq!(
        error.as_service_error().and_then(|e| e.meta().code()),
        Some("NotAuthorizedException"),
        "{error:?}"
    );
    assert!(
        idp.admin_get_user()
            .user_pool_id(stack.var("USER_POOL_ID"))
            .username(&email)
            .send()
            .await
            .is_err(),
        "no account was created"
    );

    let operator_team = team("acme");
    let carol = User::in_team(stack, &operator_team).await;
    let update = idp
        .update_user_attributes()
        .access_token(&carol.access_token)
        .user_attributes(attribute("custom:team", "globex"))
        .send()
        .await;
    let error = update.expect_err("UpdateUserAttributes may not set custom:team");
    assert_eq!(
        error.as_service_error().and_then(|e| e.meta().code()),
        Some("NotAuthorizedException"),
        "{error:?}"
    );
    let token = carol.sign_in_again(stack).await;
    let me = Req::get("list", &[("whoami", "1")])
        .token(&token)
        .send(&stack.app(&[]))
        .await
        .expect(200, None)
        .json();
    assert_eq!(
        me["team"],
        json!(operator_team),
        "still the operator's team"
    );
}

/// Carol moved from acme to globex reaches globex with her next token, and acme no
/// longer; the files she wrote stay acme's.
#[tokio::test]
async fn a_member_moved_to_another_team_reaches_it_with_her_next_token() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let acme = team("acme");
    let globex = team("globex");
    let mut carol = User::in_team(stack, &acme).await;
    by(
        &app,
        &carol,
        Req::put(
            "write-file",
            &team_space(&[("key", "left-behind.txt")]),
            "acme's",
        ),
    )
    .await
    .expect(200, None);
    let old_token = carol.id_token.clone();

    carol.set_team(stack, Some(&globex)).await;
    by(
        &app,
        &carol,
        Req::put("write-file", &team_space(&[("key", "new.txt")]), "globex's"),
    )
    .await
    .expect(200, None);
    assert!(
        object(stack, &format!("{}new.txt", stack.team_root(&globex)))
            .await
            .is_some()
    );
    let listing = by(&app, &carol, Req::get("list", &team_space(&[])))
        .await
        .expect(200, None)
        .json();
    let keys: Vec<&str> = listing["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(|f| f["key"].as_str())
        .collect();
    assert_eq!(keys, ["new.txt"], "globex's space, not acme's");
    assert!(
        object(stack, &format!("{}left-behind.txt", stack.team_root(&acme)))
            .await
            .is_some(),
        "what she wrote stays the team's"
    );
    // Her old token still names acme until it expires (the documented window).
    let old = Req::get("read-file", &team_space(&[("key", "left-behind.txt")]))
        .token(&old_token)
        .send(&app)
        .await;
    assert_eq!(
        old.status(),
        200,
        "an ID token keeps its team until it expires"
    );

    // Removed from every team: no_team with the next token.
    carol.set_team(stack, None).await;
    by(&app, &carol, Req::get("list", &team_space(&[])))
        .await
        .expect(403, Some("no_team"));
}

/// Warm, a request in the team space costs one AWS call, like one in the home.
#[tokio::test]
async fn a_warm_team_request_costs_one_aws_call() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let alice = User::in_team(stack, &team("acme")).await;
    by(
        &app,
        &alice,
        Req::put("write-file", &team_space(&[("key", "warm.txt")]), "w"),
    )
    .await
    .expect(200, None);
    for request in [
        Req::get("read-file", &team_space(&[("key", "warm.txt")])),
        Req::get("list", &team_space(&[])),
        Req::put("write-file", &team_space(&[("key", "warm.txt")]), "w2"),
    ] {
        let (reply, calls) = counting(&app, request.token(&alice.id_token).send(&app)).await;
        assert_eq!(reply.status(), 200);
        assert_eq!(calls.total(), 1, "one S3 call: {calls:?}");
    }
}
