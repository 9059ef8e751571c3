//! Every request field and header that can be wrong gets its documented error, costs
//! no AWS call, and changes nothing in the bucket.

use homedir_tests::requests::{Req, query};
use homedir_tests::stack::{Stack, User, keys_under};
use homedir_wire::routes::Space;
use http::Method;

/// Keys the contract refuses with 400 `invalid_key`.
fn bad_keys(max: usize) -> Vec<String> {
    let mut keys: Vec<String> = [
        "../x",
        "/abs",
        "a//b",
        "a/./b",
        "a/../b",
        "ctl\u{1}x",
        "nul\0",
        "",
        "a/",
        ".",
        "..",
        // Bidirectional controls: names that display as something they are not.
        "rtl\u{202e}exe.txt",
        "\u{2066}isolate\u{2069}",
        "a\u{202a}b",
    ]
    .iter()
    .map(|k| (*k).to_owned())
    .collect();
    keys.push("k".repeat(max + 1));
    keys
}

#[tokio::test]
async fn bad_keys_are_refused_on_every_route_without_any_aws_call() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    let root = user.home_root(stack).await;
    for key in bad_keys(app.max_key_bytes(Space::Home)) {
        let requests = [
            Req::get("read-file", &[("key", &key)]),
            Req::put("write-file", &[("key", &key)], "payload"),
            Req::delete("delete", &[("key", &key)]),
        ];
        for request in requests {
            let reply = request.token(&user.id_token).send(&app).await;
            assert_eq!(
                (reply.status(), reply.code().as_str()),
                (400, "invalid_key"),
                "key {key:?}"
            );
        }
    }
    let printable = ["../", "/", "a//", "a/../", "..", "\u{7}"];
    for prefix in printable {
        let reply = Req::get("list", &[("prefix", prefix)])
            .token(&user.id_token)
            .send(&app)
            .await;
        assert_eq!(
            (reply.status(), reply.code().as_str()),
            (400, "invalid_key"),
            "prefix {prefix:?}"
        );
    }
    assert_eq!(
        app.calls().total(),
        0,
        "no AWS call for a refused key: {:?}",
        app.calls().snapshot()
    );
    assert!(
        keys_under(stack, &root).await.is_empty(),
        "nothing was written"
    );
}

#[tokio::test]
async fn the_longest_allowed_key_is_accepted() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    let key = "k".repeat(app.max_key_bytes(Space::Home));
    Req::put("write-file", &[("key", &key)], "x")
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    Req::get("read-file", &[("key", &key)])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
}

#[tokio::test]
async fn malformed_query_strings_are_invalid_requests() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    let raw_queries = [
        ("read-file", ""),              // no key at all
        ("read-file", "Key=a"),         // misspelt parameter
        ("read-file", "key=a&key=b"),   // given twice
        ("read-file", "key=a&extra=1"), // unknown parameter
        ("read-file", "key=%zz"),       // malformed escape
        ("read-file", "key=%FF%FE"),    // not UTF-8 once decoded
        ("write-file", "key=%"),        // truncated escape
        ("delete", "key=a%2"),          // truncated escape
        ("list", "limit=0"),
        ("list", "limit=1001"),
        ("list", "limit=ten"),
        ("list", "limit=-5"),
        ("list", "delimiter=%2C"),
        ("list", "cursor="),
        ("list", "prefix=a&prefix=b"),
    ];
    for (route, raw) in raw_queries {
        let method = match route {
            "write-file" => Method::PUT,
            "delete" => Method::DELETE,
            _ => Method::GET,
        };
        let reply = Req::new(method, route, raw)
            .token(&user.id_token)
            .send(&app)
            .await;
        assert_eq!(
            (reply.status(), reply.code().as_str()),
            (400, "invalid_request"),
            "{route}?{raw}"
        );
        let message = reply.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(!message.is_empty(), "{route}?{raw} explains itself");
    }
    let long = query(&[("key", &"a".repeat(9000))]);
    let reply = Req::new(Method::GET, "read-file", &long)
        .token(&user.id_token)
        .send(&app)
        .await;
    assert_eq!(reply.status(), 400, "an over-long query string is refused");
    assert_eq!(app.calls().total(), 0, "{:?}", app.calls().snapshot());
}

#[tokio::test]
async fn bad_write_headers_are_invalid_requests() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    let root = user.home_root(stack).await;
    let long_type = format!("text/{}", "x".repeat(300));
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("if-none-match", "\"abc\"")],
        vec![("if-match", "\"abc\""), ("if-none-match", "*")],
        vec![("if-match", "")],
        vec![("content-type", &long_type)],
        vec![("if-match", "\"a\""), ("if-match", "\"b\"")],
    ];
    for headers in cases {
        let mut request = Req::put("write-file", &[("key", "f")], "x").token(&user.id_token);
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        let reply = request.send(&app).await;
        assert_eq!(
            (reply.status(), reply.code().as_str()),
            (400, "invalid_request"),
            "{headers:?}"
        );
    }
    assert_eq!(app.calls().total(), 0, "{:?}", app.calls().snapshot());
    assert!(keys_under(stack, &root).await.is_empty());
}

#[tokio::test]
async fn bodies_over_the_lambda_limit_are_413_and_not_stored() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    let root = user.home_root(stack).await;
    let body = vec![b'x'; app.max_file_bytes() + 1];
    let reply = Req::put("write-file", &[("key", "big.bin")], body)
        .token(&user.id_token)
        .send(&app)
        .await;
    let reply = reply.expect(413, Some("payload_too_large"));
    let message = reply.json()["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains(&app.max_file_bytes().to_string()),
        "names the limit: {message}"
    );
    assert_eq!(app.calls().total(), 0);
    assert!(keys_under(stack, &root).await.is_empty());
}

#[tokio::test]
async fn files_over_the_limit_are_redirected_not_read_through_lambda() {
    let stack = Stack::get();
    let user = User::new(stack).await;
    let root = user.home_root(stack).await;
    // Stored by another path (e.g. a larger limit before); reading it must not try
    // to squeeze it through a 6 MB response.
    stack
        .admin_s3()
        .put_object()
        .bucket(stack.bucket())
        .key(format!("{root}big.bin"))
        .body(vec![0u8; 2048].into())
        .send()
        .await
        .expect("admin put");
    let app = stack.app(&[("MAX_FILE_BYTES", "1024")]);
    let before = app.calls().of("GetObject");
    let redirect = Req::get("read-file", &[("key", "big.bin")])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(307, None);
    assert!(redirect.bytes().is_empty(), "no bytes through Lambda");
    assert_eq!(app.calls().of("GetObject") - before, 1);
    let location = redirect.header("location").expect("a presigned GET");
    let answer = homedir_tests::presigned::get(&location, None).await;
    assert_eq!(answer.body.len(), 2048, "the bytes come from S3");
}

#[tokio::test]
async fn wrong_methods_are_405_with_allow() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    for (method, route, allowed) in [
        (Method::POST, "read-file", "GET"),
        (Method::PATCH, "write-file", "PUT, POST, GET, DELETE"),
        (Method::DELETE, "list", "GET"),
        (Method::GET, "delete", "DELETE"),
    ] {
        let reply = Req::new(method.clone(), route, "key=a")
            .token(&user.id_token)
            .send(&app)
            .await;
        let reply = reply.expect(405, Some("method_not_allowed"));
        assert_eq!(
            reply.header("allow").as_deref(),
            Some(allowed),
            "{method} {route}"
        );
    }
    assert_eq!(app.calls().total(), 0);
}
