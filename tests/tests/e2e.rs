//! The end-to-end suite: the four routes over real HTTP(S), against either a deployed
//! stack (through API Gateway and its Cognito JWT authorizer) or the local stack
//! served by `cargo lambda watch`. Run it with `make e2e-local` or `make e2e`
//! (tests/infra/e2e.sh), never bare: it needs a running homedir.
//!
//! Configuration, from the environment:
//! - `HOMEDIR_E2E_URL`: a URL template with `{route}`, e.g.
//!   `https://abc.execute-api.us-east-1.amazonaws.com/{route}` (deployed) or
//!   `http://127.0.0.1:9123/lambda-url/{route}/` (local);
//! - `HOMEDIR_E2E_TARGET`: `deployed` or `local`. Deployed, API Gateway's JWT
//!   authorizer answers 401 itself (`{"message":"Unauthorized"}`) before any function
//!   runs, and routes nothing but the four method/path pairs;
//! - `HOMEDIR_STACK_ENV`: the stack's settings (`USER_POOL_ID`, `USER_POOL_CLIENT_ID`,
//!   `IDENTITY_POOL_ID`, `AWS_REGION`, `HOME_PREFIX`, and `AWS_ENDPOINT_URL` for the
//!   local emulator only). The suite creates its own fresh users with admin calls:
//!   with the emulator's admin key locally, with the ambient AWS credentials when the
//!   settings name no endpoint (a deployed stack).
//!
//! Every response of every test is checked for the tokens the request carried: no
//! body or header may echo one back.

use std::sync::OnceLock;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_cognitoidentityprovider::error::DisplayErrorContext;
use aws_sdk_cognitoidentityprovider::types::{AttributeType, AuthFlowType, MessageActionType};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use bytes::Bytes;
use http::{HeaderMap, Method};
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use rand::RngCore;
use serde_json::{Value, json};

use homedir_tests::forge::{VICTIM_FILES, claims_of, keys_aimed_at, kid_of, sign, stranger_key};
use homedir_tests::requests::query;
use homedir_tests::stack::Stack;

// ---------------------------------------------------------------------------------
// Each route's success path
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn a_512_kib_binary_body_round_trips_with_its_content_type() {
    let e2e = E2e::start().await;
    let user = e2e.user().await;
    let mut data = vec![0u8; 512 * 1024];
    rand::rng().fill_bytes(&mut data);

    let written = e2e
        .put("write-file", &[("key", "blobs/random.bin")], data.clone())
        .token(&user.id_token)
        .header("content-type", "application/x-homedir-e2e")
        .send()
        .await
        .expect(200, None)
        .json();
    assert_eq!(written["key"], "blobs/random.bin");
    assert_eq!(written["size"], 512 * 1024);
    let etag = written["etag"].as_str().expect("an etag").to_owned();
    assert!(!etag.is_empty());

    let read = e2e
        .get("read-file", &[("key", "blobs/random.bin")])
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None);
    assert_eq!(read.body.len(), data.len(), "the length read back");
    assert!(
        read.body.as_ref() == data.as_slice(),
        "the bytes read back differ from the bytes written"
    );
    assert_eq!(
        read.header("content-type").as_deref(),
        Some("application/x-homedir-e2e")
    );
    assert_eq!(read.header("etag"), Some(etag));
    let modified = read.header("last-modified").expect("Last-Modified");
    assert!(modified.ends_with(" GMT"), "an HTTP date: {modified}");
    assert_eq!(
        read.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );

    let text = e2e
        .put("write-file", &[("key", "notes/hello.txt")], "hello, world")
        .token(&user.id_token)
        .header("content-type", "text/plain; charset=utf-8")
        .send()
        .await
        .expect(200, None)
        .json();
    assert_eq!(text["size"], 12);
    let read = e2e
        .get("read-file", &[("key", "notes/hello.txt")])
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None);
    assert_eq!(read.body.as_ref(), b"hello, world");
    assert_eq!(
        read.header("content-type").as_deref(),
        Some("text/plain; charset=utf-8")
    );
    e2e.clean_up(&[&user]).await;
}

#[tokio::test]
async fn a_write_without_content_type_reads_back_as_octet_stream() {
    let e2e = E2e::start().await;
    let user = e2e.user().await;
    // API Gateway base64-encodes a body without Content-Type, so any bytes pass;
    // `cargo lambda watch` passes such a body as text and answers 500 itself when it
    // is not UTF-8, so locally the untyped body is text.
    let body: Vec<u8> = match e2e.target {
        Target::Deployed => vec![0, 1, 2, 0xff, 0xfe],
        Target::Local => b"plain bytes, no type".to_vec(),
    };
    e2e.put("write-file", &[("key", "untyped")], body.clone())
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None);
    let read = e2e
        .get("read-file", &[("key", "untyped")])
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None);
    assert_eq!(read.body.as_ref(), body.as_slice());
    assert_eq!(
        read.header("content-type").as_deref(),
        Some("application/octet-stream")
    );
    e2e.clean_up(&[&user]).await;
}

#[tokio::test]
async fn an_overwrite_replaces_the_content_and_the_etag() {
    let e2e = E2e::start().await;
    let user = e2e.user().await;
    let mut etags = Vec::new();
    for body in ["first", "second"] {
        let written = e2e
            .put("write-file", &[("key", "f.txt")], body)
            .token(&user.id_token)
            .send()
            .await
            .expect(200, None)
            .json();
        etags.push(written["etag"].as_str().unwrap().to_owned());
    }
    assert_ne!(etags[0], etags[1]);
    let read = e2e
        .get("read-file", &[("key", "f.txt")])
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None);
    assert_eq!(read.body.as_ref(), b"second");
    assert_eq!(read.header("etag").as_ref(), Some(&etags[1]));
    e2e.clean_up(&[&user]).await;
}

#[tokio::test]
async fn unusual_keys_round_trip_and_list_exactly_as_sent() {
    let e2e = E2e::start().await;
    let user = e2e.user().await;
    let keys = [
        "with space.txt",
        "a+b.txt",
        "100%.txt",
        "%41 is not A",
        "what?.txt",
        "#hash.txt",
        "a&b=c;d.txt",
        "日本語/ファイル.txt",
        "émoji 🎉/naïve.txt",
        "all of them ?#%+ é/x",
    ];
    for key in keys {
        let written = e2e
            .put("write-file", &[("key", key)], key.as_bytes().to_vec())
            .token(&user.id_token)
            .send()
            .await
            .expect(200, None)
            .json();
        assert_eq!(written["key"], key, "the key echoed by write-file");
        let read = e2e
            .get("read-file", &[("key", key)])
            .token(&user.id_token)
            .send()
            .await
            .expect(200, None);
        assert_eq!(read.body.as_ref(), key.as_bytes(), "read {key:?}");
    }

    let mut listed = e2e.all_keys(&user, "").await;
    listed.sort();
    let mut sent: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    sent.sort();
    assert_eq!(listed, sent, "list shows the keys as sent, nothing else");

    let folder = e2e
        .get("list", &[("prefix", "日本語/"), ("delimiter", "/")])
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None)
        .json();
    assert_eq!(file_keys(&folder), ["日本語/ファイル.txt"]);

    // A `+` is a plus sign, not a space: `a b.txt` was never written.
    e2e.get("read-file", &[("key", "a b.txt")])
        .token(&user.id_token)
        .send()
        .await
        .expect(404, Some("not_found"));
    e2e.clean_up(&[&user]).await;
}

#[tokio::test]
async fn list_pages_with_prefix_delimiter_limit_and_cursor() {
    let e2e = E2e::start().await;
    let user = e2e.user().await;
    for key in ["a/1", "a/2", "a/b/3", "a/b/4", "c", "d e/5"] {
        e2e.put("write-file", &[("key", key)], "x")
            .token(&user.id_token)
            .send()
            .await
            .expect(200, None);
    }

    let folder = e2e
        .get("list", &[("prefix", "a/"), ("delimiter", "/")])
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None)
        .json();
    assert_eq!(file_keys(&folder), ["a/1", "a/2"]);
    assert_eq!(folder["folders"], json!(["a/b/"]));
    assert!(folder["next_cursor"].is_null(), "{folder}");
    let entry = &folder["files"][0];
    assert_eq!(entry["size"], 1);
    assert!(entry["etag"].as_str().is_some_and(|e| !e.is_empty()));
    assert!(
        entry["last_modified"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{entry}"
    );

    let top = e2e
        .get("list", &[("delimiter", "/")])
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None)
        .json();
    assert_eq!(top["folders"], json!(["a/", "d e/"]));
    assert_eq!(file_keys(&top), ["c"]);

    let partial = e2e
        .get("list", &[("prefix", "a/b")])
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None)
        .json();
    assert_eq!(file_keys(&partial), ["a/b/3", "a/b/4"]);

    // Every page at most `limit` long, the cursor carried through the query string.
    for (limit, prefix, expected) in [
        ("2", "", vec!["a/1", "a/2", "a/b/3", "a/b/4", "c", "d e/5"]),
        ("1", "a/", vec!["a/1", "a/2", "a/b/3", "a/b/4"]),
    ] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            pages += 1;
            assert!(pages <= 10, "paging does not end");
            let mut params = vec![("limit", limit)];
            if !prefix.is_empty() {
                params.push(("prefix", prefix));
            }
            if let Some(c) = &cursor {
                params.push(("cursor", c.as_str()));
            }
            let page = e2e
                .get("list", &params)
                .token(&user.id_token)
                .send()
                .await
                .expect(200, None)
                .json();
            let files = file_keys(&page);
            assert!(files.len() <= limit.parse().unwrap(), "{page}");
            seen.extend(files);
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(
            seen, expected,
            "limit {limit}, prefix {prefix:?}: the pages cover every file once, in order"
        );
    }
    e2e.clean_up(&[&user]).await;
}

#[tokio::test]
async fn delete_gives_204_then_read_gives_404() {
    let e2e = E2e::start().await;
    let user = e2e.user().await;
    e2e.put("write-file", &[("key", "gone.txt")], "x")
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None);

    let deleted = e2e
        .delete("delete", &[("key", "gone.txt")])
        .token(&user.id_token)
        .send()
        .await
        .expect(204, None);
    assert!(deleted.body.is_empty());
    e2e.get("read-file", &[("key", "gone.txt")])
        .token(&user.id_token)
        .send()
        .await
        .expect(404, Some("not_found"));
    assert!(e2e.all_keys(&user, "").await.is_empty());
    // Deletes are idempotent.
    e2e.delete("delete", &[("key", "gone.txt")])
        .token(&user.id_token)
        .send()
        .await
        .expect(204, None);
    e2e.clean_up(&[&user]).await;
}

// ---------------------------------------------------------------------------------
// Conditional requests
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn if_none_match_on_read_gives_304_with_the_etag() {
    let e2e = E2e::start().await;
    let user = e2e.user().await;
    let etag = e2e
        .put("write-file", &[("key", "cached.txt")], "v1")
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None)
        .json()["etag"]
        .as_str()
        .unwrap()
        .to_owned();

    let not_modified = e2e
        .get("read-file", &[("key", "cached.txt")])
        .token(&user.id_token)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect(304, None);
    assert!(not_modified.body.is_empty());
    assert_eq!(not_modified.header("etag"), Some(etag));

    let changed = e2e
        .get("read-file", &[("key", "cached.txt")])
        .token(&user.id_token)
        .header("if-none-match", "\"0123456789abcdef0123456789abcdef\"")
        .send()
        .await
        .expect(200, None);
    assert_eq!(changed.body.as_ref(), b"v1");
    e2e.clean_up(&[&user]).await;
}

#[tokio::test]
async fn failed_if_match_and_if_none_match_star_give_412_and_change_nothing() {
    let e2e = E2e::start().await;
    let user = e2e.user().await;
    let put = |body: &'static str| {
        e2e.put("write-file", &[("key", "doc.txt")], body)
            .token(&user.id_token)
    };

    // Create-only: succeeds on a new key, then 412 once the key exists.
    let etag = put("v1")
        .header("if-none-match", "*")
        .send()
        .await
        .expect(200, None)
        .json()["etag"]
        .as_str()
        .unwrap()
        .to_owned();
    put("v2")
        .header("if-none-match", "*")
        .send()
        .await
        .expect(412, Some("precondition_failed"));
    assert_eq!(e2e.read(&user, "doc.txt").await.as_ref(), b"v1");

    // Replace-if-unchanged: 412 on a stale ETag, success on the current one.
    put("v3")
        .header("if-match", "\"0123456789abcdef0123456789abcdef\"")
        .send()
        .await
        .expect(412, Some("precondition_failed"));
    assert_eq!(e2e.read(&user, "doc.txt").await.as_ref(), b"v1");
    let v4 = put("v4")
        .header("if-match", &etag)
        .send()
        .await
        .expect(200, None)
        .json();
    assert_eq!(e2e.read(&user, "doc.txt").await.as_ref(), b"v4");

    // The old ETag is stale now.
    put("v5")
        .header("if-match", &etag)
        .send()
        .await
        .expect(412, Some("precondition_failed"));
    assert_ne!(v4["etag"].as_str(), Some(etag.as_str()));
    assert_eq!(e2e.read(&user, "doc.txt").await.as_ref(), b"v4");

    // If-Match on a key that does not exist fails too, and writes nothing. RFC 9110
    // says 412; S3 answers NoSuchKey, which the API passes on as 404 not_found.
    let missing = e2e
        .put("write-file", &[("key", "never.txt")], "x")
        .token(&user.id_token)
        .header("if-match", &etag)
        .send()
        .await;
    assert!(
        matches!(
            (missing.status, missing.code().as_deref()),
            (412, Some("precondition_failed")) | (404, Some("not_found"))
        ),
        "If-Match on a missing key: {} {}",
        missing.status,
        missing.text()
    );
    e2e.get("read-file", &[("key", "never.txt")])
        .token(&user.id_token)
        .send()
        .await
        .expect(404, Some("not_found"));
    e2e.clean_up(&[&user]).await;
}

// ---------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn bad_keys_are_400_invalid_key_on_every_route() {
    let e2e = E2e::start().await;
    let user = e2e.user().await;
    let too_long = "k".repeat(1000);
    let keys = [
        "",
        "/absolute",
        "a//b",
        "folder/",
        ".",
        "..",
        "./a",
        "a/./b",
        "a/../b",
        "../escape",
        "control\u{1}char",
        "tab\tkey",
        "new\nline",
        too_long.as_str(),
    ];
    for key in keys {
        e2e.get("read-file", &[("key", key)])
            .token(&user.id_token)
            .send()
            .await
            .expect(400, Some("invalid_key"));
        e2e.put("write-file", &[("key", key)], "x")
            .token(&user.id_token)
            .send()
            .await
            .expect(400, Some("invalid_key"));
        e2e.delete("delete", &[("key", key)])
            .token(&user.id_token)
            .send()
            .await
            .expect(400, Some("invalid_key"));
    }
    for prefix in ["/absolute", "a//", "../", "a/../", "control\u{1}"] {
        e2e.get("list", &[("prefix", prefix)])
            .token(&user.id_token)
            .send()
            .await
            .expect(400, Some("invalid_key"));
    }
    assert!(
        e2e.all_keys(&user, "").await.is_empty(),
        "no bad key wrote anything"
    );
    e2e.clean_up(&[&user]).await;
}

#[tokio::test]
async fn malformed_requests_are_400_invalid_request() {
    let e2e = E2e::start().await;
    let user = e2e.user().await;
    // A malformed %-escape: API Gateway may refuse it itself (400, its own body).
    let reply = e2e
        .raw(Method::GET, "read-file", "key=%zz")
        .token(&user.id_token)
        .send()
        .await;
    match e2e.target {
        Target::Local => reply.assert(400, Some("invalid_request"), "key=%zz"),
        Target::Deployed => assert_eq!(reply.status, 400, "key=%zz: {}", reply.text()),
    }
    let cases = [
        e2e.get("read-file", &[]),
        e2e.raw(Method::GET, "read-file", "key=a&key=b"),
        e2e.get("read-file", &[("Key", "a")]),
        e2e.get("list", &[("limit", "0")]),
        e2e.get("list", &[("limit", "1001")]),
        e2e.get("list", &[("limit", "ten")]),
        e2e.get("list", &[("delimiter", "|")]),
        e2e.get("list", &[("cursor", "")]),
        e2e.put("write-file", &[("key", "x")], "x")
            .header("if-none-match", "\"abc\""),
    ];
    for call in cases {
        call.token(&user.id_token)
            .send()
            .await
            .expect(400, Some("invalid_request"));
    }
    e2e.clean_up(&[&user]).await;
}

#[tokio::test]
async fn a_method_a_route_does_not_serve_is_refused() {
    let e2e = E2e::start().await;
    let user = e2e.user().await;
    for (method, route) in [
        (Method::POST, "read-file"),
        (Method::DELETE, "read-file"),
        (Method::GET, "write-file"),
        (Method::POST, "list"),
        (Method::GET, "delete"),
    ] {
        let reply = e2e
            .raw(method.clone(), route, "key=x")
            .token(&user.id_token)
            .send()
            .await;
        match e2e.target {
            // The function refuses it itself.
            Target::Local => {
                reply.assert(
                    405,
                    Some("method_not_allowed"),
                    &format!("{method} {route}"),
                );
                assert!(reply.header("allow").is_some(), "{method} {route}: Allow");
            }
            // API Gateway has no such route: 404 (or 405) before any function runs.
            Target::Deployed => assert!(
                matches!(reply.status, 404 | 405),
                "{method} {route}: {} {}",
                reply.status,
                reply.text()
            ),
        }
    }
    e2e.clean_up(&[&user]).await;
}

// ---------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn no_token_is_401_on_every_route() {
    let e2e = E2e::start().await;
    for call in e2e.every_route() {
        call.send().await.expect_unauthorized("missing_token");
    }
    for call in e2e.every_route() {
        call.header("authorization", "Basic dXNlcjpwYXNzd29yZA==")
            .send()
            .await
            .expect_unauthorized("invalid_token");
    }
}

#[tokio::test]
async fn garbage_and_forged_tokens_are_401_on_every_route() {
    let e2e = E2e::start().await;
    let user = e2e.user().await;
    let claims = claims_of(&user.id_token);
    let kid = kid_of(&user.id_token);

    let mut forged = vec![
        ("garbage", "garbage".to_owned()),
        ("three garbage parts", "abc.def.ghi".to_owned()),
        // The real token's claims, signed by a key nobody published, under the pool's kid.
        ("stranger's key", sign(&claims, &stranger_key(), &kid)),
        // No signature at all.
        (
            "alg none",
            format!(
                "{}.{}.",
                B64URL.encode(json!({"alg": "none", "typ": "JWT", "kid": kid}).to_string()),
                B64URL.encode(claims.to_string())
            ),
        ),
    ];
    // The real token with its payload edited after signing.
    let mut edited = claims.clone();
    edited["sub"] = json!("00000000-0000-0000-0000-000000000000");
    let mut parts: Vec<String> = user.id_token.split('.').map(str::to_owned).collect();
    parts[1] = B64URL.encode(edited.to_string());
    forged.push(("tampered payload", parts.join(".")));

    for (case, token) in &forged {
        for call in e2e.every_route() {
            let reply = call.token(token).send().await;
            reply.assert_unauthorized("invalid_token", case);
        }
    }
    // The genuine token still works: each case differed from it only as described.
    e2e.get("list", &[])
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None);
    e2e.clean_up(&[&user]).await;
}

#[tokio::test]
async fn an_access_token_instead_of_the_id_token_is_401() {
    let e2e = E2e::start().await;
    let user = e2e.user().await;
    for call in e2e.every_route() {
        call.token(&user.access_token)
            .send()
            .await
            .expect_unauthorized("invalid_token");
    }
    e2e.clean_up(&[&user]).await;
}

#[tokio::test]
async fn id_tokens_of_another_pool_or_client_are_401() {
    let e2e = E2e::start().await;
    // Only the local stack provisions a second pool and an unlisted client.
    let (Some(other_pool), Some(other_pool_client), Some(other_client)) = (
        e2e.setting("OTHER_USER_POOL_ID"),
        e2e.setting("OTHER_USER_POOL_CLIENT_ID"),
        e2e.setting("OTHER_CLIENT_ID"),
    ) else {
        eprintln!(
            "NOT CHECKED on this target: the stack settings name no OTHER_USER_POOL_ID / \
             OTHER_USER_POOL_CLIENT_ID / OTHER_CLIENT_ID (only the local stack provisions them)"
        );
        return;
    };
    let pool = e2e.stack.var("USER_POOL_ID").to_owned();
    // Same pool, an app client the API does not trust: wrong `aud`.
    let wrong_aud = e2e.user_in(&pool, &other_client).await;
    // Another pool: wrong `iss`.
    let wrong_iss = e2e.user_in(&other_pool, &other_pool_client).await;
    for (case, user) in [("wrong aud", &wrong_aud), ("wrong iss", &wrong_iss)] {
        for call in e2e.every_route() {
            call.token(&user.id_token)
                .send()
                .await
                .assert_unauthorized("invalid_token", case);
        }
    }
    e2e.delete_account(&wrong_aud).await;
    e2e.delete_account(&wrong_iss).await;
}

// ---------------------------------------------------------------------------------
// Two users
// ---------------------------------------------------------------------------------

#[tokio::test]
async fn bob_can_read_list_overwrite_or_delete_nothing_of_alices() {
    let e2e = E2e::start().await;
    let (alice, bob) = (e2e.user().await, e2e.user().await);
    let home = e2e.stack.var("HOME_PREFIX").to_owned();
    let alice_id = e2e.identity_id(&alice).await;
    let bob_id = e2e.identity_id(&bob).await;
    assert_ne!(alice_id, bob_id, "two users, two Identity IDs");

    let mut alice_etags = Vec::new();
    for (key, body) in VICTIM_FILES {
        let written = e2e
            .put("write-file", &[("key", key)], body)
            .token(&alice.id_token)
            .send()
            .await
            .expect(200, None)
            .json();
        alice_etags.push(written["etag"].as_str().unwrap().to_owned());
    }

    for key in keys_aimed_at(&alice_id, &home) {
        let read = e2e
            .get("read-file", &[("key", &key)])
            .token(&bob.id_token)
            .send()
            .await;
        assert!(
            matches!(read.status, 400 | 404),
            "Bob reads {key:?}: {} {}",
            read.status,
            read.text()
        );
        assert!(
            !read.text().contains("alice's"),
            "Bob read Alice's data with {key:?}"
        );

        let list = e2e
            .get("list", &[("prefix", &key)])
            .token(&bob.id_token)
            .send()
            .await;
        assert!(
            matches!(list.status, 200 | 400),
            "Bob lists {key:?}: {} {}",
            list.status,
            list.text()
        );
        if list.status == 200 {
            let listing = list.json();
            assert_eq!(file_keys(&listing), Vec::<String>::new(), "list {key:?}");
            assert_eq!(listing["folders"], json!([]), "list {key:?}");
        }

        let write = e2e
            .put("write-file", &[("key", &key)], "bob was here")
            .token(&bob.id_token)
            .send()
            .await;
        assert!(
            matches!(write.status, 200 | 400),
            "Bob writes {key:?}: {} {}",
            write.status,
            write.text()
        );
        if write.status == 200 {
            // Whatever the key says, it landed in Bob's own home.
            assert_eq!(write.json()["key"], key.as_str());
            let back = e2e
                .get("read-file", &[("key", &key)])
                .token(&bob.id_token)
                .send()
                .await
                .expect(200, None);
            assert_eq!(back.body.as_ref(), b"bob was here", "{key:?}");
            assert!(
                e2e.all_keys(&bob, "").await.contains(&key),
                "Bob's {key:?} is listed in his own home"
            );
        }

        let delete = e2e
            .delete("delete", &[("key", &key)])
            .token(&bob.id_token)
            .send()
            .await;
        assert!(
            matches!(delete.status, 204 | 400),
            "Bob deletes {key:?}: {} {}",
            delete.status,
            delete.text()
        );
    }

    // Alice's files are all there, unchanged (same bytes, same ETags), and nothing
    // was added to her home.
    for ((key, body), etag) in VICTIM_FILES.iter().zip(&alice_etags) {
        let read = e2e
            .get("read-file", &[("key", key)])
            .token(&alice.id_token)
            .send()
            .await
            .expect(200, None);
        assert_eq!(read.body.as_ref(), body.as_bytes(), "Alice's {key}");
        assert_eq!(read.header("etag").as_ref(), Some(etag), "Alice's {key}");
    }
    let mut alice_keys = e2e.all_keys(&alice, "").await;
    alice_keys.sort();
    let mut expected: Vec<String> = VICTIM_FILES.iter().map(|(k, _)| (*k).to_owned()).collect();
    expected.sort();
    assert_eq!(alice_keys, expected, "Alice's home is exactly her files");
    assert!(
        e2e.all_keys(&bob, "").await.is_empty(),
        "Bob deleted only his own files"
    );
    e2e.clean_up(&[&alice, &bob]).await;
}

#[tokio::test]
async fn each_user_sees_only_their_own_home() {
    let e2e = E2e::start().await;
    let (alice, bob) = (e2e.user().await, e2e.user().await);
    for (user, body) in [(&alice, "alice's copy"), (&bob, "bob's copy")] {
        e2e.put("write-file", &[("key", "shared/name.txt")], body)
            .token(&user.id_token)
            .send()
            .await
            .expect(200, None);
    }
    e2e.put("write-file", &[("key", "only-alice.txt")], "a")
        .token(&alice.id_token)
        .send()
        .await
        .expect(200, None);

    for (user, body) in [(&alice, "alice's copy"), (&bob, "bob's copy")] {
        let read = e2e
            .get("read-file", &[("key", "shared/name.txt")])
            .token(&user.id_token)
            .send()
            .await
            .expect(200, None);
        assert_eq!(read.body.as_ref(), body.as_bytes());
    }
    e2e.get("read-file", &[("key", "only-alice.txt")])
        .token(&bob.id_token)
        .send()
        .await
        .expect(404, Some("not_found"));

    let mut alice_keys = e2e.all_keys(&alice, "").await;
    alice_keys.sort();
    assert_eq!(alice_keys, ["only-alice.txt", "shared/name.txt"]);
    assert_eq!(e2e.all_keys(&bob, "").await, ["shared/name.txt"]);

    // Bob deleting "his" copy leaves Alice's.
    e2e.delete("delete", &[("key", "shared/name.txt")])
        .token(&bob.id_token)
        .send()
        .await
        .expect(204, None);
    e2e.get("read-file", &[("key", "shared/name.txt")])
        .token(&alice.id_token)
        .send()
        .await
        .expect(200, None);
    e2e.clean_up(&[&alice, &bob]).await;
}

#[tokio::test]
async fn the_authorization_header_decides_whose_home_it_is() {
    let e2e = E2e::start().await;
    let (alice, bob) = (e2e.user().await, e2e.user().await);
    e2e.put("write-file", &[("key", "mine.txt")], "alice")
        .token(&alice.id_token)
        .send()
        .await
        .expect(200, None);
    // Bob adds Alice's token in the seed client's header: Authorization wins.
    e2e.get("read-file", &[("key", "mine.txt")])
        .token(&bob.id_token)
        .header("idToken", &alice.id_token)
        .send()
        .await
        .expect(404, Some("not_found"));
    e2e.clean_up(&[&alice, &bob]).await;
}

// ---------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------

/// A hard limit on any one request, so a hung server fails the test instead of the CI job.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(90);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Deployed,
    Local,
}

/// What the environment says to test.
struct Config {
    url_template: String,
    target: Target,
}

fn config() -> &'static Config {
    static CONFIG: OnceLock<Config> = OnceLock::new();
    CONFIG.get_or_init(|| {
        let url_template = std::env::var("HOMEDIR_E2E_URL").unwrap_or_default();
        assert!(
            !url_template.is_empty(),
            "HOMEDIR_E2E_URL is not set: the end-to-end suite needs a running homedir. \
             Run `make e2e-local` (local stack + cargo lambda watch) or `make e2e` \
             (a deployed stack), or set HOMEDIR_E2E_URL to a URL template with {{route}}, \
             e.g. https://abc.execute-api.us-east-1.amazonaws.com/{{route}}"
        );
        assert!(
            url_template.contains("{route}"),
            "HOMEDIR_E2E_URL must contain {{route}}: {url_template}"
        );
        let target = match std::env::var("HOMEDIR_E2E_TARGET").as_deref() {
            Ok("deployed") => Target::Deployed,
            Ok("local") => Target::Local,
            other => panic!("HOMEDIR_E2E_TARGET must be `deployed` or `local`, not {other:?}"),
        };
        assert!(
            std::env::var_os("HOMEDIR_STACK_ENV").is_some(),
            "HOMEDIR_STACK_ENV is not set: the end-to-end suite needs the stack's settings \
             (tests/infra/e2e.sh writes them) to create its users"
        );
        Config {
            url_template,
            target,
        }
    })
}

type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// One test's view of the system under test: an HTTP(S) client, the stack's settings
/// and an admin SDK configuration for creating users. Built per test: the client's
/// connection pool belongs to the test's own runtime.
struct E2e {
    target: Target,
    url_template: String,
    client: HttpClient,
    stack: &'static Stack,
    admin: SdkConfig,
}

impl E2e {
    async fn start() -> E2e {
        let config = config();
        let stack = Stack::get();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::aws_lc_rs::default_provider())
            .expect("TLS configuration")
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        let admin = admin_sdk(stack).await;
        E2e {
            target: config.target,
            url_template: config.url_template.clone(),
            client,
            stack,
            admin,
        }
    }

    /// An optional stack setting (absent ones are `None`, unlike `Stack::var`).
    fn setting(&self, name: &str) -> Option<String> {
        optional_setting(name)
    }

    fn raw(&self, method: Method, route: &str, raw_query: &str) -> Call<'_> {
        let base = self.url_template.replace("{route}", route);
        let url = if raw_query.is_empty() {
            base
        } else {
            format!("{base}?{raw_query}")
        };
        Call {
            e2e: self,
            method,
            url,
            headers: Vec::new(),
            body: Bytes::new(),
            tokens: Vec::new(),
        }
    }

    fn get(&self, route: &str, pairs: &[(&str, &str)]) -> Call<'_> {
        self.raw(Method::GET, route, &query(pairs))
    }

    fn put(&self, route: &str, pairs: &[(&str, &str)], body: impl Into<Vec<u8>>) -> Call<'_> {
        let mut call = self.raw(Method::PUT, route, &query(pairs));
        call.body = Bytes::from(body.into());
        call
    }

    fn delete(&self, route: &str, pairs: &[(&str, &str)]) -> Call<'_> {
        self.raw(Method::DELETE, route, &query(pairs))
    }

    /// One ordinary request per route, without a token.
    fn every_route(&self) -> Vec<Call<'_>> {
        vec![
            self.get("read-file", &[("key", "f")]),
            self.put("write-file", &[("key", "f")], "x"),
            self.get("list", &[]),
            self.delete("delete", &[("key", "f")]),
        ]
    }

    /// A fresh, confirmed user of the stack's own pool and client, signed in.
    async fn user(&self) -> Account {
        self.user_in(
            self.stack.var("USER_POOL_ID"),
            self.stack.var("USER_POOL_CLIENT_ID"),
        )
        .await
    }

    /// A fresh user of any pool/client. Created by an administrator with the welcome
    /// message suppressed, rather than by SignUp: on AWS, SignUp in a pool with
    /// auto-verified email sends a confirmation email for every test user, which
    /// bounces at example.com and runs into Cognito's default email quota.
    async fn user_in(&self, pool_id: &str, client_id: &str) -> Account {
        let email = format!("homedir-e2e-{}@example.com", uuid::Uuid::new_v4().simple());
        // Long, with upper, lower, digit and symbol: fits any pool policy this
        // template allows.
        let password = format!(
            "E2e-{}-{}!",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let idp = aws_sdk_cognitoidentityprovider::Client::new(&self.admin);
        let attribute = |name: &str, value: &str| {
            AttributeType::builder()
                .name(name)
                .value(value)
                .build()
                .expect("attribute")
        };
        idp.admin_create_user()
            .user_pool_id(pool_id)
            .username(&email)
            .user_attributes(attribute("email", &email))
            .user_attributes(attribute("email_verified", "true"))
            .message_action(MessageActionType::Suppress)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!("AdminCreateUser in {pool_id}: {}", DisplayErrorContext(&e))
            });
        idp.admin_set_user_password()
            .user_pool_id(pool_id)
            .username(&email)
            .password(&password)
            .permanent(true)
            .send()
            .await
            .unwrap_or_else(|e| panic!("AdminSetUserPassword: {}", DisplayErrorContext(&e)));
        let auth = idp
            .initiate_auth()
            .client_id(client_id)
            .auth_flow(AuthFlowType::UserPasswordAuth)
            .auth_parameters("USERNAME", &email)
            .auth_parameters("PASSWORD", &password)
            .send()
            .await
            .unwrap_or_else(|e| panic!("InitiateAuth: {}", DisplayErrorContext(&e)));
        let result = auth.authentication_result().expect("tokens, no challenge");
        Account {
            email,
            pool_id: pool_id.to_owned(),
            id_token: result.id_token().expect("an ID token").to_owned(),
            access_token: result.access_token().expect("an access token").to_owned(),
        }
    }

    /// The user's Identity ID, asked of Cognito directly (it names their home).
    async fn identity_id(&self, user: &Account) -> String {
        let provider = format!(
            "cognito-idp.{}.amazonaws.com/{}",
            self.stack.region(),
            self.stack.var("USER_POOL_ID")
        );
        aws_sdk_cognitoidentity::Client::new(&self.admin)
            .get_id()
            .identity_pool_id(self.stack.var("IDENTITY_POOL_ID"))
            .logins(provider, &user.id_token)
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "GetId: {}",
                    aws_sdk_cognitoidentity::error::DisplayErrorContext(&e)
                )
            })
            .identity_id()
            .expect("an identity id")
            .to_owned()
    }

    /// The bytes of the user's file `key` (which must exist).
    async fn read(&self, user: &Account, key: &str) -> Bytes {
        self.get("read-file", &[("key", key)])
            .token(&user.id_token)
            .send()
            .await
            .expect(200, None)
            .body
    }

    /// Every key of the user's home under `prefix`, through `list` (all pages).
    async fn all_keys(&self, user: &Account, prefix: &str) -> Vec<String> {
        let mut keys = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut params = vec![("prefix", prefix)];
            if let Some(c) = &cursor {
                params.push(("cursor", c.as_str()));
            }
            let page = self
                .get("list", &params)
                .token(&user.id_token)
                .send()
                .await
                .expect(200, None)
                .json();
            keys.extend(file_keys(&page));
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return keys,
            }
        }
    }

    /// Deletes the users' files through the API, then the users. Only reached when a
    /// test passed; a deployed stack keeps the leftovers of failed runs (users named
    /// `homedir-e2e-*@example.com`, noncurrent object versions expire by lifecycle).
    async fn clean_up(&self, users: &[&Account]) {
        for user in users {
            for key in self.all_keys(user, "").await {
                self.delete("delete", &[("key", &key)])
                    .token(&user.id_token)
                    .send()
                    .await
                    .expect(204, None);
            }
            self.delete_account(user).await;
        }
    }

    async fn delete_account(&self, user: &Account) {
        aws_sdk_cognitoidentityprovider::Client::new(&self.admin)
            .admin_delete_user()
            .user_pool_id(&user.pool_id)
            .username(&user.email)
            .send()
            .await
            .unwrap_or_else(|e| panic!("AdminDeleteUser: {}", DisplayErrorContext(&e)));
    }
}

/// The admin SDK configuration: the emulator's admin key when the settings name an
/// endpoint (local), else the ambient AWS credentials and the stack's region
/// (deployed). `Stack::admin_sdk` cannot serve the deployed case: it always sets the
/// settings' AWS_ENDPOINT_URL and the emulator's fixed key.
async fn admin_sdk(stack: &Stack) -> SdkConfig {
    if optional_setting("AWS_ENDPOINT_URL").is_some() {
        stack.admin_sdk()
    } else {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(stack.region().to_owned()))
            .load()
            .await
    }
}

/// A setting of the stack env file that may be absent.
fn optional_setting(name: &str) -> Option<String> {
    static TEXT: OnceLock<String> = OnceLock::new();
    let text = TEXT.get_or_init(|| {
        let path = std::env::var("HOMEDIR_STACK_ENV").expect("HOMEDIR_STACK_ENV");
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read the stack settings {path}: {e}"))
    });
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .find(|(k, _)| k.trim() == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// A user the suite created, with fresh tokens.
struct Account {
    email: String,
    pool_id: String,
    id_token: String,
    access_token: String,
}

/// One HTTP request under construction.
struct Call<'a> {
    e2e: &'a E2e,
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Bytes,
    /// Every token the request carries: none may come back in the response.
    tokens: Vec<String>,
}

impl Call<'_> {
    fn token(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    fn header(mut self, name: &str, value: &str) -> Self {
        if name.eq_ignore_ascii_case("idtoken") {
            self.tokens.push(value.to_owned());
        }
        if let Some(token) = value.strip_prefix("Bearer ") {
            self.tokens.push(token.to_owned());
        }
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    async fn send(self) -> Reply {
        let mut builder = http::Request::builder()
            .method(self.method.clone())
            .uri(&self.url);
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        let request = builder
            .body(Full::new(self.body))
            .unwrap_or_else(|e| panic!("a valid request to {}: {e}", self.url));
        let what = format!("{} {}", self.method, self.url);
        let response = tokio::time::timeout(REQUEST_TIMEOUT, self.e2e.client.request(request))
            .await
            .unwrap_or_else(|_| panic!("{what}: no response in {REQUEST_TIMEOUT:?}"))
            .unwrap_or_else(|e| panic!("{what}: {e:?}"));
        let (parts, body) = response.into_parts();
        let body = tokio::time::timeout(REQUEST_TIMEOUT, body.collect())
            .await
            .unwrap_or_else(|_| panic!("{what}: the body did not arrive in {REQUEST_TIMEOUT:?}"))
            .unwrap_or_else(|e| panic!("{what}: reading the body: {e}"))
            .to_bytes();
        let reply = Reply {
            what,
            target: self.e2e.target,
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        };
        reply.assert_no_secrets(&self.tokens);
        reply
    }
}

/// A response, with helpers for assertions.
struct Reply {
    what: String,
    target: Target,
    status: u16,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {:?}", self.what, self.text()))
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("an ASCII header").to_owned())
    }

    /// The `error.code` of a JSON error response, if it is one.
    fn code(&self) -> Option<String> {
        serde_json::from_slice::<Value>(&self.body)
            .ok()?
            .pointer("/error/code")?
            .as_str()
            .map(str::to_owned)
    }

    /// Asserts the status and, for errors, the `{"error":{"code"}}` code.
    #[track_caller]
    fn expect(self, status: u16, code: Option<&str>) -> Reply {
        self.assert(status, code, "");
        self
    }

    #[track_caller]
    fn assert(&self, status: u16, code: Option<&str>, case: &str) {
        assert_eq!(
            self.status,
            status,
            "{case} {}: unexpected status; body: {}",
            self.what,
            self.text()
        );
        if let Some(code) = code {
            assert_eq!(
                self.code().as_deref(),
                Some(code),
                "{case} {}: unexpected error; body: {}",
                self.what,
                self.text()
            );
            assert!(
                self.json()["error"]["message"]
                    .as_str()
                    .is_some_and(|m| !m.is_empty()),
                "{case} {}: an error message",
                self.what
            );
        }
    }

    #[track_caller]
    fn expect_unauthorized(self, code: &str) {
        self.assert_unauthorized(code, "");
    }

    /// Asserts a 401. Locally the function answers with `code` and `WWW-Authenticate: Bearer`;
    /// deployed, API Gateway's JWT authorizer may answer first with its own body
    /// (`{"message":"Unauthorized"}`), or the function does when the JWT passed the
    /// authorizer (e.g. an access token).
    #[track_caller]
    fn assert_unauthorized(&self, code: &str, case: &str) {
        assert_eq!(
            self.status,
            401,
            "{case} {}: expected 401; body: {}",
            self.what,
            self.text()
        );
        match self.target {
            Target::Local => {
                self.assert(401, Some(code), case);
                assert_eq!(
                    self.header("www-authenticate").as_deref(),
                    Some("Bearer"),
                    "{case} {}",
                    self.what
                );
            }
            Target::Deployed => {
                let body = self.json();
                let authorizer = body.get("message").is_some() && body.get("error").is_none();
                assert!(
                    authorizer || self.code().as_deref() == Some(code),
                    "{case} {}: neither API Gateway's 401 nor ours with {code}: {}",
                    self.what,
                    self.text()
                );
            }
        }
    }

    /// No response carries a token the request sent, and no error carries AWS
    /// credentials or AWS error text.
    fn assert_no_secrets(&self, tokens: &[String]) {
        let header_text: Vec<&str> = self
            .headers
            .values()
            .filter_map(|v| v.to_str().ok())
            .collect();
        for token in tokens.iter().filter(|t| t.len() >= 8) {
            assert!(
                !contains(&self.body, token.as_bytes()),
                "{}: the response body echoes a token",
                self.what
            );
            assert!(
                !header_text.iter().any(|h| h.contains(token.as_str())),
                "{}: a response header echoes a token",
                self.what
            );
        }
        if self.status >= 400 {
            let text = self.text();
            for needle in [
                "ASIA",
                "AKIA",
                "SessionToken",
                "AccessDenied",
                "NotAuthorizedException",
            ] {
                assert!(
                    !text.contains(needle),
                    "{}: the error leaks {needle:?}: {text}",
                    self.what
                );
            }
        }
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// The `key`s of a listing's `files`, in order.
fn file_keys(listing: &Value) -> Vec<String> {
    listing["files"]
        .as_array()
        .unwrap_or_else(|| panic!("a listing with files: {listing}"))
        .iter()
        .map(|f| f["key"].as_str().expect("a key").to_owned())
        .collect()
}
