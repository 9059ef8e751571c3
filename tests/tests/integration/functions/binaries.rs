//! The four function binaries, run as Lambda runs them (a Runtime API on loopback)
//! and fed the API Gateway HTTP API events the deployed routes deliver: event
//! decoding, base64 bodies, one Identity ID across binaries, and logs that are JSON
//! and free of tokens and credentials.

use homedir_tests::data::random;
use homedir_tests::emulator;
use homedir_tests::requests::query;
use homedir_tests::runtime::{Function, binary, http_event, response_body};
use homedir_tests::stack::{FUNCTION_ACCESS_KEY, Stack, User, object};
use serde_json::Value;

struct Functions {
    read: Function,
    write: Function,
    list: Function,
    delete: Function,
}

impl Functions {
    async fn start(stack: &Stack) -> Functions {
        let env = stack.function_env();
        let spawn = |name: &'static str| {
            let env = env.clone();
            async move { Function::spawn(&binary(name, "debug"), &env).await }
        };
        Functions {
            read: spawn("read-file").await,
            write: spawn("write-file").await,
            list: spawn("list").await,
            delete: spawn("delete").await,
        }
    }

    async fn stop(self) -> String {
        let mut logs = String::new();
        for function in [self.read, self.write, self.list, self.delete] {
            logs.push_str(&function.stop().await);
        }
        logs
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

#[tokio::test]
async fn the_binaries_serve_the_contract_end_to_end() {
    let stack = Stack::get();
    let functions = Functions::start(stack).await;
    let alice = User::new(stack).await;
    let root = alice.home_root(stack).await;
    let auth = bearer(&alice.id_token);
    let key = "reports/2026 q4 + ?#%.bin";
    let raw_query = query(&[("key", key)]);
    let data = random(256 * 1024).to_vec();

    // write-file: a binary body arrives base64-encoded.
    let event = http_event(
        "PUT",
        "write-file",
        &raw_query,
        &[
            ("authorization", &auth),
            ("content-type", "application/x-test"),
        ],
        Some(&data),
    );
    let written = functions.write.invoke(&event).await;
    assert_eq!(written["statusCode"], 200, "{written}");
    let json: Value = serde_json::from_slice(&response_body(&written)).expect("JSON");
    assert_eq!(json["key"], key);
    assert_eq!(json["size"], data.len());
    let (stored, content_type) = object(stack, &format!("{root}{key}"))
        .await
        .expect("stored under Alice's Identity ID");
    assert!(stored == data, "S3 holds the exact bytes");
    assert_eq!(content_type.as_deref(), Some("application/x-test"));

    // read-file (another binary, another cold start): same home, same bytes.
    let read = functions
        .read
        .invoke(&http_event(
            "GET",
            "read-file",
            &raw_query,
            &[("authorization", &auth)],
            None,
        ))
        .await;
    assert_eq!(read["statusCode"], 200);
    assert_eq!(
        read["isBase64Encoded"], true,
        "binary responses are base64 for API Gateway"
    );
    assert!(
        response_body(&read) == data,
        "the bytes read are the bytes written"
    );
    assert_eq!(read["headers"]["content-type"], "application/x-test");
    let etag = read["headers"]["etag"].as_str().expect("etag").to_owned();

    let not_modified = functions
        .read
        .invoke(&http_event(
            "GET",
            "read-file",
            &raw_query,
            &[("authorization", &auth), ("if-none-match", &etag)],
            None,
        ))
        .await;
    assert_eq!(not_modified["statusCode"], 304);

    // Text files come back byte for byte, whatever their bytes and charset say
    // (lambda_http's own response conversion would decode them).
    for (name, content_type, bytes) in [
        ("not-utf8.txt", "text/plain", &b"\xff\xfe\x00bad"[..]),
        (
            "bom.txt",
            "text/plain; charset=utf-8",
            b"\xef\xbb\xbfwith a BOM",
        ),
        ("latin1.txt", "text/plain; charset=latin1", b"caf\xe9"),
        ("broken.json", "application/json", b"{\"a\":\"\xc3\"}"),
    ] {
        let text_query = query(&[("key", name)]);
        let event = http_event(
            "PUT",
            "write-file",
            &text_query,
            &[("authorization", &auth), ("content-type", content_type)],
            Some(bytes),
        );
        let written = functions.write.invoke(&event).await;
        assert_eq!(written["statusCode"], 200, "{name}: {written}");
        let read = functions
            .read
            .invoke(&http_event(
                "GET",
                "read-file",
                &text_query,
                &[("authorization", &auth)],
                None,
            ))
            .await;
        assert_eq!(read["statusCode"], 200, "{name}");
        assert_eq!(response_body(&read), bytes, "{name}: the bytes written");
        assert_eq!(read["headers"]["content-type"], content_type, "{name}");
    }

    // list (a third binary) sees it.
    let listed = functions
        .list
        .invoke(&http_event(
            "GET",
            "list",
            &query(&[("prefix", "reports/")]),
            &[("authorization", &auth)],
            None,
        ))
        .await;
    assert_eq!(listed["statusCode"], 200);
    let listing: Value = serde_json::from_slice(&response_body(&listed)).expect("JSON");
    assert_eq!(listing["files"][0]["key"], key);

    // delete (the fourth).
    let deleted = functions
        .delete
        .invoke(&http_event(
            "DELETE",
            "delete",
            &raw_query,
            &[("authorization", &auth)],
            None,
        ))
        .await;
    assert_eq!(deleted["statusCode"], 204);
    assert!(object(stack, &format!("{root}{key}")).await.is_none());

    // Errors come back as the documented JSON.
    let refused = functions
        .read
        .invoke(&http_event(
            "GET",
            "read-file",
            &query(&[("key", "../x")]),
            &[("authorization", &auth)],
            None,
        ))
        .await;
    assert_eq!(refused["statusCode"], 400);
    let error: Value = serde_json::from_slice(&response_body(&refused)).expect("JSON");
    assert_eq!(error["error"]["code"], "invalid_key");
    let unauthenticated = functions
        .list
        .invoke(&http_event("GET", "list", "", &[], None))
        .await;
    assert_eq!(unauthenticated["statusCode"], 401);

    // Logs: one JSON object per line, and nothing secret in them.
    let logs = functions.stop().await;
    let s3_keys: Vec<String> = emulator::calls(stack)
        .await
        .into_iter()
        .filter(|c| c.service == "s3")
        .filter_map(|c| c.access_key)
        .filter(|k| k.starts_with("ASIA"))
        .collect();
    assert_logs_are_clean(&logs, &alice.id_token, &s3_keys, 7);
}

/// Every log line is JSON; no line holds the token (or its signature), an issued
/// access key, the function's own key, or anything credential-shaped.
fn assert_logs_are_clean(logs: &str, token: &str, issued_keys: &[String], requests: usize) {
    let lines: Vec<&str> = logs.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        lines.len() >= requests,
        "one line per request at least:\n{logs}"
    );
    for line in &lines {
        let parsed: Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON log line: {line}"));
        assert!(
            parsed["level"].is_string() && parsed["fields"].is_object(),
            "{line}"
        );
    }
    let signature = token.rsplit('.').next().expect("a JWT");
    assert!(
        !logs.contains(token) && !logs.contains(signature),
        "a log line holds the token"
    );
    assert!(
        !logs.contains(FUNCTION_ACCESS_KEY),
        "a log line holds the function's key"
    );
    for key in issued_keys {
        assert!(
            !logs.contains(key.as_str()),
            "a log line holds an issued access key"
        );
    }
    for marker in [
        "ASIA",
        "SecretKey",
        "secret_key",
        "SessionToken",
        "session_token",
        "x-amz-security-token",
    ] {
        assert!(!logs.contains(marker), "a log line holds {marker}:\n{logs}");
    }
    // Each request's line says how many AWS calls it cost.
    assert!(lines.iter().any(|l| l.contains("\"aws_calls\"")), "{logs}");
}

#[tokio::test]
async fn a_missing_setting_fails_the_cold_start_naming_it() {
    let stack = Stack::get();
    let env: Vec<(String, String)> = stack
        .function_env()
        .into_iter()
        .filter(|(k, _)| k != "IDENTITY_POOL_ID")
        .collect();
    let function = Function::spawn(&binary("list", "debug"), &env).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let output = function.stop().await;
    assert!(
        output.contains("IDENTITY_POOL_ID"),
        "the failure names the variable: {output}"
    );
}

/// lambda_http builds its request with `expect`, and the binaries abort on panic: an
/// event it cannot convert (a raw query `http::Uri` refuses, a Host that is not a
/// host) must get 400, and the same process must answer the next event.
#[tokio::test]
async fn an_unconvertible_event_is_refused_and_the_process_answers_the_next() {
    let stack = Stack::get();
    let alice = User::new(stack).await;
    let auth = bearer(&alice.id_token);
    let function = Function::spawn(&binary("list", "debug"), &stack.function_env()).await;
    let pid = function.pid();

    for (case, event) in [
        (
            "raw query with < and \"",
            http_event(
                "GET",
                "list",
                "prefix=<\"",
                &[("authorization", &auth)],
                None,
            ),
        ),
        (
            "raw query with a space",
            http_event(
                "GET",
                "list",
                "prefix=a b",
                &[("authorization", &auth)],
                None,
            ),
        ),
        (
            "a Host that is not a host",
            http_event(
                "GET",
                "list",
                "",
                &[("authorization", &auth), ("host", "bad host:port")],
                None,
            ),
        ),
    ] {
        let refused = function.invoke(&event).await;
        assert_eq!(refused["statusCode"], 400, "{case}: {refused}");
        let error: Value = serde_json::from_slice(&response_body(&refused)).expect("JSON");
        assert_eq!(error["error"]["code"], "invalid_request", "{case}");
        assert_eq!(function.pid(), pid, "{case}: the process was replaced");
    }

    let listed = function
        .invoke(&http_event(
            "GET",
            "list",
            &query(&[("prefix", "<\"")]),
            &[("authorization", &auth)],
            None,
        ))
        .await;
    assert_eq!(
        listed["statusCode"], 200,
        "the same process answers: {listed}"
    );
    let output = function.stop().await;
    assert!(!output.contains("panicked"), "{output}");
}

/// At TRACE, homedir's own lines may be as detailed as they like, but the SDK,
/// hyper and the Lambda runtime would print headers and bodies: tokens, session
/// tokens, file contents. They stay at INFO whatever the level.
#[tokio::test]
async fn trace_logs_carry_no_token_no_credentials_and_no_body() {
    let stack = Stack::get();
    let alice = User::new(stack).await;
    let auth = bearer(&alice.id_token);
    let mut env = stack.function_env();
    env.push(("RUST_LOG".to_owned(), "trace".to_owned()));
    let write = Function::spawn(&binary("write-file", "debug"), &env).await;
    let read = Function::spawn(&binary("read-file", "debug"), &env).await;
    let body = format!("secret-body-{}", uuid::Uuid::new_v4().simple());
    let raw_query = query(&[("key", "trace/file.txt")]);

    let written = write
        .invoke(&http_event(
            "PUT",
            "write-file",
            &raw_query,
            &[("authorization", &auth), ("content-type", "text/plain")],
            Some(body.as_bytes()),
        ))
        .await;
    assert_eq!(written["statusCode"], 200, "{written}");
    let got = read
        .invoke(&http_event(
            "GET",
            "read-file",
            &raw_query,
            &[("authorization", &auth)],
            None,
        ))
        .await;
    assert_eq!(response_body(&got), body.as_bytes());

    // A file over the inline limit: the answer is a presigned URL, a bearer
    // capability that must not reach the logs either.
    let large = vec![b'x'; homedir::config::LAMBDA_MAX_FILE_BYTES + 1];
    let root = alice.home_root(stack).await;
    stack
        .admin_s3()
        .put_object()
        .bucket(stack.bucket())
        .key(format!("{root}trace/large.bin"))
        .body(large.into())
        .send()
        .await
        .expect("admin put");
    let redirect = read
        .invoke(&http_event(
            "GET",
            "read-file",
            &query(&[("key", "trace/large.bin")]),
            &[("authorization", &auth)],
            None,
        ))
        .await;
    assert_eq!(redirect["statusCode"], 307, "{redirect}");
    let location = redirect["headers"]["location"].as_str().expect("Location");
    let signature = location
        .split("X-Amz-Signature=")
        .nth(1)
        .expect("a presigned URL");

    let mut logs = write.stop().await;
    logs.push_str(&read.stop().await);
    assert!(
        !logs.contains(signature),
        "a log line holds a presigned URL"
    );
    assert!(
        !logs.contains("X-Amz-Credential"),
        "a log line holds a presigned URL"
    );
    assert_eq!(
        logs.matches("request served").count(),
        3,
        "one line per request: {logs}"
    );
    assert!(!logs.contains(&body), "a log line holds the file's bytes");
    let encoded = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &body);
    assert!(!logs.contains(&encoded), "a log line holds the base64 body");
    let s3_keys: Vec<String> = emulator::calls(stack)
        .await
        .into_iter()
        .filter_map(|c| c.access_key)
        .filter(|k| k.starts_with("ASIA"))
        .collect();
    assert_logs_are_clean(&logs, &alice.id_token, &s3_keys, 3);
}
