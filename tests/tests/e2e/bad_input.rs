//! Bad input: keys the API refuses, malformed requests, methods a route does not serve.

use http::Method;

use crate::harness::{E2e, Target};

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
        (Method::PATCH, "write-file"),
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
