//! No response is undocumented: every status and error `code` the functions answer is
//! listed in `openapi.yaml` for the operation that answered it.
//!
//! The tests walk the error paths of each operation against the real local stack (bad
//! tokens, keys, parameters, headers and bodies, missing files and uploads, failed
//! preconditions, bodies too large, disabled users, refused credentials, throttled and
//! failing AWS calls through the emulator's fault injection) and check each reply
//! against the document: its status must be one the operation lists (405: the path's
//! `x-method-not-allowed`), its `error.code` one of the codes that status lists, and
//! the headers the document requires must be there. Each test then checks that it saw
//! what it meant to provoke, so a walk that silently stopped provoking errors fails.
//! The other direction, where it is cheap: every code `homedir::Error` can produce is
//! in the document under its status.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use homedir::App;
use homedir::error::{Error, InvalidToken, Upstream};
use homedir_tests::emulator::{Fault, PrivateStack, clear_faults, inject};
use homedir_tests::requests::{Reply, Req, query};
use homedir_tests::stack::{Stack, User};
use http::Method;
use serde_json::Value;

/// One operation of the document: a path and the method it is called with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Op {
    method: &'static str,
    path: &'static str,
}

const READ: Op = Op::new("GET", "/read-file");
const WRITE: Op = Op::new("PUT", "/write-file");
const START_OR_COMPLETE: Op = Op::new("POST", "/write-file");
const RESUME: Op = Op::new("GET", "/write-file");
const ABORT: Op = Op::new("DELETE", "/write-file");
const LIST: Op = Op::new("GET", "/list");
const DELETE: Op = Op::new("DELETE", "/delete");
const ALL: [Op; 7] = [READ, WRITE, START_OR_COMPLETE, RESUME, ABORT, LIST, DELETE];

impl Op {
    const fn new(method: &'static str, path: &'static str) -> Op {
        Op { method, path }
    }

    fn route(self) -> &'static str {
        &self.path[1..]
    }

    fn req(self, pairs: &[(&str, &str)]) -> Req {
        let method = Method::from_bytes(self.method.as_bytes()).expect("a method");
        Req::new(method, self.route(), &query(pairs))
    }
}

/// openapi.yaml, and what the tests saw.
struct Contract {
    doc: Value,
    seen: Mutex<BTreeSet<(Op, u16, String)>>,
}

impl Contract {
    fn load() -> Contract {
        let text = homedir_tests::repo_text("openapi.yaml");
        let yaml: serde_yaml::Value = serde_yaml::from_str(&text).expect("openapi.yaml is YAML");
        Contract {
            doc: serde_json::to_value(yaml).expect("openapi.yaml maps to JSON"),
            seen: Mutex::new(BTreeSet::new()),
        }
    }

    /// `value`, or what its `$ref` (a local JSON pointer) points at, followed to the end.
    fn resolve<'a>(&'a self, mut value: &'a Value) -> &'a Value {
        while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
            let pointer = reference
                .strip_prefix('#')
                .unwrap_or_else(|| panic!("only local references: {reference}"));
            value = self
                .doc
                .pointer(pointer)
                .unwrap_or_else(|| panic!("dangling reference {reference}"));
        }
        value
    }

    fn path_item(&self, path: &str) -> &Value {
        self.doc["paths"]
            .get(path)
            .unwrap_or_else(|| panic!("openapi.yaml has no path {path}"))
    }

    /// The documented response of `op` for `status`, if any. A method the path does not
    /// serve answers with the path's `x-method-not-allowed` response.
    fn response(&self, op: Op, status: u16) -> Option<&Value> {
        let item = self.path_item(op.path);
        match item.get(op.method.to_ascii_lowercase()) {
            Some(operation) => operation["responses"]
                .get(status.to_string())
                .map(|r| self.resolve(r)),
            None => {
                (status == 405).then(|| self.resolve(&item["x-method-not-allowed"]["response"]))
            }
        }
    }

    /// Every `error.code` enum value in `schema` (through `$ref`, `anyOf`, `oneOf`).
    fn codes_in(&self, schema: &Value, codes: &mut BTreeSet<String>) {
        let schema = self.resolve(schema);
        if let Some(values) = schema
            .pointer("/properties/error/properties/code/enum")
            .and_then(Value::as_array)
        {
            codes.extend(values.iter().filter_map(Value::as_str).map(str::to_owned));
        }
        for key in ["anyOf", "oneOf", "allOf"] {
            for branch in schema[key].as_array().into_iter().flatten() {
                self.codes_in(branch, codes);
            }
        }
    }

    /// The error codes `response` lists.
    fn codes_of(&self, response: &Value) -> BTreeSet<String> {
        let mut codes = BTreeSet::new();
        if let Some(schema) = response.pointer("/content/application~1json/schema") {
            self.codes_in(schema, &mut codes);
        }
        codes
    }

    /// Asserts that `reply` is documented for `op`; records it; returns it.
    #[track_caller]
    fn check(&self, op: Op, reply: Reply) -> Reply {
        let status = reply.status();
        let body = String::from_utf8_lossy(reply.bytes()).into_owned();
        let response = self.response(op, status).unwrap_or_else(|| {
            panic!(
                "{} {} answered {status}, which openapi.yaml does not list for it; body: {body}",
                op.method, op.path
            )
        });
        let code = if status >= 400 {
            let code = reply.code();
            let codes = self.codes_of(response);
            assert!(
                codes.contains(&code),
                "{} {} answered {status} {code:?}; openapi.yaml lists {codes:?} for that status; body: {body}",
                op.method,
                op.path
            );
            assert_eq!(
                reply.header("content-type").as_deref(),
                Some("application/json"),
                "errors are JSON"
            );
            code
        } else {
            String::new()
        };
        for (name, header) in response["headers"].as_object().into_iter().flatten() {
            let header = self.resolve(header);
            if header["required"].as_bool() == Some(true) {
                assert!(
                    reply.header(name).is_some(),
                    "{} {} {status}: openapi.yaml requires the {name} header",
                    op.method,
                    op.path
                );
            }
        }
        if status == 401 {
            assert_eq!(reply.header("www-authenticate").as_deref(), Some("Bearer"));
        }
        if status == 405 {
            let allow = self.path_item(op.path)["x-method-not-allowed"]["allow"]
                .as_str()
                .expect("x-method-not-allowed names what Allow says");
            assert_eq!(reply.header("allow").as_deref(), Some(allow), "{op:?}");
        }
        self.seen
            .lock()
            .expect("not poisoned")
            .insert((op, status, code));
        reply
    }

    async fn send(&self, app: &App, op: Op, request: Req) -> Reply {
        self.check(op, request.send(app).await)
    }

    /// Asserts that every `(op, status, code)` in `wanted` was seen.
    #[track_caller]
    fn saw_all(&self, wanted: &[(Op, u16, &str)]) {
        let seen = self.seen.lock().expect("not poisoned");
        let missing: Vec<_> = wanted
            .iter()
            .filter(|(op, status, code)| !seen.contains(&(*op, *status, (*code).to_owned())))
            .collect();
        assert!(
            missing.is_empty(),
            "the walk did not provoke {missing:?}; it saw {seen:?}"
        );
    }
}

/// An upload of `key` started for `user` (10 bytes, one part): its id.
async fn start_upload(contract: &Contract, app: &App, user: &User, key: &str) -> String {
    let reply = contract
        .send(
            app,
            START_OR_COMPLETE,
            START_OR_COMPLETE
                .req(&[("key", key)])
                .token(&user.id_token)
                .body(r#"{"size": 10}"#),
        )
        .await
        .expect(201, None);
    reply.json()["upload_id"]
        .as_str()
        .expect("an upload_id")
        .to_owned()
}

#[tokio::test]
async fn every_local_error_path_of_every_operation_is_documented() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let contract = Contract::load();
    let user = User::new(stack).await;
    let t = user.id_token.as_str();
    let c = &contract;
    let app = &app;

    // Every operation: no token, a token that is not one, a bad key, an unknown
    // parameter, a repeated one, a malformed escape.
    for op in ALL {
        let upload = [("upload_id", "10.8388608.x")];
        let extra: &[(&str, &str)] = if matches!(op, RESUME | ABORT) {
            &upload
        } else {
            &[]
        };
        let with = |pairs: &[(&str, &str)]| {
            let mut all = pairs.to_vec();
            all.extend_from_slice(extra);
            op.req(&all)
        };
        let key_param = if op == LIST { "prefix" } else { "key" };
        c.send(app, op, with(&[(key_param, "a")])).await;
        c.send(
            app,
            op,
            with(&[(key_param, "a")]).header("authorization", "Bearer not-a-jwt"),
        )
        .await
        .expect(401, Some("invalid_token"));
        c.send(app, op, with(&[(key_param, "a")]).token(""))
            .await
            .expect(401, Some("missing_token"));
        c.send(app, op, with(&[(key_param, "../a")]).token(t))
            .await
            .expect(400, Some("invalid_key"));
        c.send(app, op, with(&[(key_param, "a"), ("nope", "1")]).token(t))
            .await
            .expect(400, Some("invalid_request"));
        let raw = format!("{key_param}=%zz");
        let method = Method::from_bytes(op.method.as_bytes()).expect("a method");
        c.send(app, op, Req::new(method, op.route(), &raw).token(t))
            .await
            .expect(400, Some("invalid_request"));
    }

    // A method no operation of the path serves: 405 with Allow.
    for path in [READ, WRITE, LIST, DELETE] {
        let op = Op {
            method: "PATCH",
            path: path.path,
        };
        c.send(app, op, op.req(&[("key", "a")]).token(t))
            .await
            .expect(405, Some("method_not_allowed"));
    }
    for path in [READ, LIST, DELETE] {
        let op = Op {
            method: "POST",
            path: path.path,
        };
        c.send(app, op, op.req(&[("key", "a")]).token(t))
            .await
            .expect(405, Some("method_not_allowed"));
    }

    // read-file
    c.send(app, READ, READ.req(&[("key", "missing")]).token(t))
        .await
        .expect(404, Some("not_found"));
    let written = c
        .send(
            app,
            WRITE,
            WRITE.req(&[("key", "f.txt")]).token(t).body("hello"),
        )
        .await
        .expect(200, None);
    let etag = written.header("etag").expect("an ETag");
    let version = written.json()["version_id"]
        .as_str()
        .expect("a version")
        .to_owned();
    c.send(app, READ, READ.req(&[("key", "f.txt")]).token(t))
        .await
        .expect(200, None);
    c.send(
        app,
        READ,
        READ.req(&[("key", "f.txt")])
            .token(t)
            .header("if-none-match", &etag),
    )
    .await
    .expect(304, None);
    c.send(
        app,
        READ,
        READ.req(&[("key", "f.txt"), ("link", "1")])
            .token(t)
            .header("if-none-match", &etag),
    )
    .await
    .expect(400, Some("invalid_request"));
    // Found by schemathesis: an empty If-None-Match was sent to S3 and read the file.
    c.send(
        app,
        READ,
        READ.req(&[("key", "f.txt")])
            .token(t)
            .header("if-none-match", ""),
    )
    .await
    .expect(400, Some("invalid_request"));
    // Found by schemathesis: a tab inside If-None-Match reached the SDK, which refused
    // to send it: 500.
    c.send(
        app,
        READ,
        READ.req(&[("key", "f.txt")])
            .token(t)
            .header("if-none-match", "\"a\tb\""),
    )
    .await
    .expect(400, Some("invalid_request"));
    // Found by schemathesis: a continuation token S3 never issued (the emulator
    // answered 500, S3 400 InvalidArgument).
    c.send(app, LIST, LIST.req(&[("cursor", "0")]).token(t))
        .await
        .expect(400, Some("invalid_request"));
    c.send(
        app,
        READ,
        READ.req(&[("key", "f.txt"), ("link", "1")]).token(t),
    )
    .await
    .expect(200, None);
    c.send(
        app,
        READ,
        READ.req(&[("key", "f.txt"), ("version", &version)])
            .token(t),
    )
    .await
    .expect(200, None);
    for (name, value) in [
        ("version", "a/b"),
        ("link", "2"),
        ("expires", "0"),
        ("expires", "3601"),
        ("download", "yes"),
    ] {
        c.send(
            app,
            READ,
            READ.req(&[("key", "f.txt"), (name, value)]).token(t),
        )
        .await
        .expect(400, Some("invalid_request"));
    }
    c.send(
        app,
        READ,
        READ.req(&[("key", "f.txt"), ("version", "no-such-version")])
            .token(t),
    )
    .await;
    let small = stack.app(&[("MAX_FILE_BYTES", "2")]);
    c.send(&small, READ, READ.req(&[("key", "f.txt")]).token(t))
        .await
        .expect(307, None);

    // write-file PUT
    c.send(
        app,
        WRITE,
        WRITE
            .req(&[("key", "f.txt")])
            .token(t)
            .header("if-none-match", "*")
            .body("again"),
    )
    .await
    .expect(412, Some("precondition_failed"));
    c.send(
        app,
        WRITE,
        WRITE
            .req(&[("key", "f.txt")])
            .token(t)
            .header("if-match", "\"0000\"")
            .body("again"),
    )
    .await
    .expect(412, Some("precondition_failed"));
    c.send(
        app,
        WRITE,
        WRITE
            .req(&[("key", "new.txt")])
            .token(t)
            .header("if-match", "\"0000\"")
            .body("again"),
    )
    .await
    .expect(412, Some("precondition_failed"));
    for (header, value) in [("if-none-match", "\"x\""), ("if-match", "")] {
        c.send(
            app,
            WRITE,
            WRITE
                .req(&[("key", "f.txt")])
                .token(t)
                .header(header, value)
                .body("x"),
        )
        .await
        .expect(400, Some("invalid_request"));
    }
    c.send(
        app,
        WRITE,
        WRITE
            .req(&[("key", "f.txt")])
            .token(t)
            .header("content-type", &"t".repeat(300))
            .body("x"),
    )
    .await
    .expect(400, Some("invalid_request"));
    c.send(
        &small,
        WRITE,
        WRITE.req(&[("key", "big")]).token(t).body("abc"),
    )
    .await
    .expect(413, Some("payload_too_large"));
    c.send(
        app,
        WRITE,
        WRITE
            .req(&[("key", "copy"), ("copy_from", "f.txt")])
            .token(t),
    )
    .await
    .expect(200, None);
    c.send(
        app,
        WRITE,
        WRITE
            .req(&[("key", "copy"), ("copy_from", "missing")])
            .token(t),
    )
    .await
    .expect(404, Some("not_found"));
    c.send(
        app,
        WRITE,
        WRITE
            .req(&[("key", "copy"), ("copy_from", "a//b")])
            .token(t),
    )
    .await
    .expect(400, Some("invalid_key"));
    c.send(
        app,
        WRITE,
        WRITE
            .req(&[
                ("key", "copy2"),
                ("copy_from", "f.txt"),
                ("source_if_match", "\"0000\""),
            ])
            .token(t),
    )
    .await
    .expect(412, Some("precondition_failed"));
    // Found by schemathesis: a copy onto itself was S3's InvalidRequest, answered 500.
    for operation in ["copy_from", "move_from"] {
        c.send(
            app,
            WRITE,
            WRITE
                .req(&[("key", "f.txt"), (operation, "f.txt")])
                .token(t),
        )
        .await
        .expect(400, Some("invalid_request"));
    }
    c.send(
        app,
        WRITE,
        WRITE
            .req(&[("key", "moved"), ("move_from", "copy")])
            .token(t),
    )
    .await
    .expect(200, None);
    c.send(
        app,
        WRITE,
        WRITE
            .req(&[("key", "f.txt"), ("restore", &version)])
            .token(t),
    )
    .await
    .expect(200, None);
    c.send(
        app,
        WRITE,
        WRITE
            .req(&[("key", "f.txt"), ("restore", "no-such-version")])
            .token(t),
    )
    .await;
    c.send(
        app,
        WRITE,
        WRITE
            .req(&[("key", "x"), ("restore", &version), ("copy_from", "f.txt")])
            .token(t),
    )
    .await
    .expect(400, Some("invalid_request"));
    c.send(
        app,
        WRITE,
        WRITE
            .req(&[("key", "x"), ("copy_from", "f.txt")])
            .token(t)
            .body("a body"),
    )
    .await
    .expect(400, Some("invalid_request"));

    // write-file POST, GET, DELETE: the multipart upload.
    let upload = start_upload(c, app, &user, "up.bin").await;
    for body in ["", "{", r#"{"size": -1}"#, r#"{"size": 1, "extra": 1}"#] {
        c.send(
            app,
            START_OR_COMPLETE,
            START_OR_COMPLETE
                .req(&[("key", "up.bin")])
                .token(t)
                .body(body),
        )
        .await
        .expect(400, Some("invalid_request"));
    }
    c.send(
        app,
        START_OR_COMPLETE,
        START_OR_COMPLETE
            .req(&[("key", "up.bin")])
            .token(t)
            .body(r#"{"size": 18446744073709551615}"#),
    )
    .await
    .expect(413, Some("payload_too_large"));
    c.send(
        app,
        START_OR_COMPLETE,
        START_OR_COMPLETE
            .req(&[("key", "up.bin")])
            .token(t)
            .body(vec![b' '; 1024 * 1024 + 1]),
    )
    .await
    .expect(413, Some("payload_too_large"));
    c.send(
        app,
        RESUME,
        RESUME
            .req(&[("key", "up.bin"), ("upload_id", &upload)])
            .token(t),
    )
    .await
    .expect(200, None);
    for (name, value) in [("from_part", "0"), ("expires", "x"), ("upload_id", "1.2.3")] {
        let mut pairs = vec![("key", "up.bin"), ("upload_id", upload.as_str())];
        pairs.retain(|(n, _)| *n != name);
        pairs.push((name, value));
        c.send(app, RESUME, RESUME.req(&pairs).token(t))
            .await
            .expect(400, Some("invalid_request"));
    }
    c.send(app, RESUME, RESUME.req(&[("key", "up.bin")]).token(t))
        .await
        .expect(400, Some("invalid_request"));
    c.send(
        app,
        RESUME,
        RESUME
            .req(&[("key", "other.bin"), ("upload_id", &upload)])
            .token(t),
    )
    .await
    .expect(404, Some("not_found"));
    c.send(
        app,
        START_OR_COMPLETE,
        START_OR_COMPLETE
            .req(&[("key", "up.bin"), ("upload_id", &upload)])
            .token(t)
            .body(r#"{"parts": [{"number": 1, "etag": "\"nope\""}]}"#),
    )
    .await
    .expect(400, Some("invalid_request"));
    c.send(
        app,
        START_OR_COMPLETE,
        START_OR_COMPLETE
            .req(&[("key", "up.bin"), ("upload_id", &upload), ("expires", "10")])
            .token(t)
            .body(r#"{"parts": []}"#),
    )
    .await
    .expect(400, Some("invalid_request"));
    c.send(
        app,
        ABORT,
        ABORT
            .req(&[("key", "up.bin"), ("upload_id", &upload)])
            .token(t),
    )
    .await
    .expect(204, None);
    c.send(
        app,
        ABORT,
        ABORT
            .req(&[("key", "up.bin"), ("upload_id", &upload)])
            .token(t),
    )
    .await
    .expect(404, Some("not_found"));
    c.send(
        app,
        START_OR_COMPLETE,
        START_OR_COMPLETE
            .req(&[("key", "up.bin"), ("upload_id", &upload)])
            .token(t)
            .body(r#"{"parts": [{"number": 1, "etag": "\"e\""}]}"#),
    )
    .await
    .expect(404, Some("not_found"));
    let upload = start_upload(c, app, &user, "cond.bin").await;
    c.send(
        app,
        START_OR_COMPLETE,
        START_OR_COMPLETE
            .req(&[("key", "cond.bin"), ("upload_id", &upload)])
            .token(t)
            .header("if-match", "\"0000\"")
            .body(r#"{"parts": [{"number": 1, "etag": "\"e\""}]}"#),
    )
    .await;
    c.send(
        app,
        ABORT,
        ABORT
            .req(&[("key", "cond.bin"), ("upload_id", &upload)])
            .token(t),
    )
    .await
    .expect(204, None);
    c.send(app, ABORT, ABORT.req(&[("key", "cond.bin")]).token(t))
        .await
        .expect(400, Some("invalid_request"));

    // list
    for pairs in [
        vec![("prefix", "")],
        vec![("prefix", ""), ("delimiter", "/")],
        vec![("prefix", ""), ("versions", "1")],
        vec![("key", "f.txt"), ("versions", "1")],
        vec![("prefix", ""), ("deleted", "1")],
    ] {
        c.send(app, LIST, LIST.req(&pairs).token(t))
            .await
            .expect(200, None);
    }
    for pairs in [
        vec![("delimiter", "|")],
        vec![("limit", "0")],
        vec![("limit", "1001")],
        vec![("cursor", "")],
        vec![("key", "f.txt")],
        vec![("versions", "1"), ("deleted", "1")],
        vec![("versions", "1"), ("delimiter", "/")],
        vec![("versions", "1"), ("key", "a"), ("prefix", "a")],
        vec![("deleted", "1"), ("key", "a")],
        vec![("versions", "1"), ("cursor", "no-colon")],
        vec![("versions", "2")],
    ] {
        c.send(app, LIST, LIST.req(&pairs).token(t))
            .await
            .expect(400, Some("invalid_request"));
    }
    c.send(app, LIST, LIST.req(&[("cursor", "not-a-cursor")]).token(t))
        .await;
    c.send(
        app,
        LIST,
        LIST.req(&[("versions", "1"), ("key", "a/")]).token(t),
    )
    .await
    .expect(400, Some("invalid_key"));

    // delete
    c.send(app, DELETE, DELETE.req(&[("key", "moved")]).token(t))
        .await
        .expect(204, None);
    c.send(app, DELETE, DELETE.req(&[("key", "never-was")]).token(t))
        .await
        .expect(204, None);
    c.send(
        app,
        DELETE,
        DELETE
            .req(&[("key", "f.txt")])
            .token(t)
            .header("if-match", "\"0000\""),
    )
    .await
    .expect(412, Some("precondition_failed"));
    c.send(app, DELETE, DELETE.req(&[("prefix", "folder/")]).token(t))
        .await
        .expect(200, None);
    for (pairs, code) in [
        (vec![("prefix", "folder")], "invalid_key"),
        (vec![("prefix", "")], "invalid_key"),
        (vec![], "invalid_request"),
        (vec![("key", "a"), ("prefix", "a/")], "invalid_request"),
        (
            vec![("prefix", "a/"), ("limit", "10001")],
            "invalid_request",
        ),
        (vec![("prefix", "a/"), ("cursor", "b/x")], "invalid_request"),
    ] {
        c.send(app, DELETE, DELETE.req(&pairs).token(t))
            .await
            .expect(400, Some(code));
    }
    c.send(
        app,
        DELETE,
        DELETE
            .req(&[("prefix", "a/")])
            .token(t)
            .header("if-match", "\"e\""),
    )
    .await
    .expect(400, Some("invalid_request"));

    let mut wanted = Vec::new();
    for op in ALL {
        wanted.push((op, 401, "missing_token"));
        wanted.push((op, 401, "invalid_token"));
        wanted.push((op, 400, "invalid_key"));
        wanted.push((op, 400, "invalid_request"));
    }
    wanted.extend([
        (READ, 200, ""),
        (READ, 304, ""),
        (READ, 307, ""),
        (READ, 404, "not_found"),
        (WRITE, 200, ""),
        (WRITE, 404, "not_found"),
        (WRITE, 412, "precondition_failed"),
        (WRITE, 413, "payload_too_large"),
        (START_OR_COMPLETE, 201, ""),
        (START_OR_COMPLETE, 404, "not_found"),
        (START_OR_COMPLETE, 413, "payload_too_large"),
        (RESUME, 200, ""),
        (RESUME, 404, "not_found"),
        (ABORT, 204, ""),
        (ABORT, 404, "not_found"),
        (LIST, 200, ""),
        (DELETE, 200, ""),
        (DELETE, 204, ""),
        (DELETE, 412, "precondition_failed"),
    ]);
    contract.saw_all(&wanted);
}

/// A request of `op` that gets past its local checks to the AWS calls.
fn reaching_aws(op: Op, token: &str) -> Req {
    let request = match op {
        READ => READ.req(&[("key", "f")]),
        WRITE => WRITE.req(&[("key", "f")]).body("data"),
        START_OR_COMPLETE => START_OR_COMPLETE
            .req(&[("key", "f")])
            .body(r#"{"size": 10}"#),
        RESUME => RESUME.req(&[("key", "f"), ("upload_id", "10.8388608.abc")]),
        ABORT => ABORT.req(&[("key", "f"), ("upload_id", "10.8388608.abc")]),
        LIST => LIST.req(&[]),
        _ => DELETE.req(&[("key", "f")]),
    };
    request.token(token)
}

#[tokio::test]
async fn disabled_users_and_refused_credentials_are_documented_for_every_operation() {
    let stack = Stack::get();
    let contract = Contract::load();

    // Credentials that reach nothing: homes under a prefix the role does not cover.
    let user = User::new(stack).await;
    let elsewhere = stack.app(&[("HOME_PREFIX", "elsewhere")]);
    for op in ALL {
        contract
            .send(&elsewhere, op, reaching_aws(op, &user.id_token))
            .await;
    }

    let app = stack.app(&[("USER_CHECK_TTL_SECS", "0")]);
    let disabled = User::new(stack).await;
    stack
        .admin_idp()
        .admin_disable_user()
        .user_pool_id(stack.var("USER_POOL_ID"))
        .username(&disabled.email)
        .send()
        .await
        .expect("disable the user");
    for op in ALL {
        contract
            .send(&app, op, reaching_aws(op, &disabled.id_token))
            .await
            .expect(403, Some("user_disabled"));
    }
    contract.saw_all(&[
        (READ, 403, "forbidden"),
        (WRITE, 403, "forbidden"),
        (START_OR_COMPLETE, 403, "forbidden"),
        (LIST, 403, "forbidden"),
        (DELETE, 403, "forbidden"),
    ]);
}

#[tokio::test]
async fn throttled_and_failing_upstreams_are_documented_for_every_operation() {
    let private = PrivateStack::start().await;
    let stack = private.stack();
    let contract = Contract::load();
    let user = User::new(stack).await;

    // Cognito throttles: each operation with a fresh app (nothing cached).
    for op in ALL {
        let app = stack.app(&[]);
        inject(stack, "GetId", Fault::Throttle, None).await;
        contract
            .send(&app, op, reaching_aws(op, &user.id_token))
            .await
            .expect(503, Some("upstream_throttled"));
        clear_faults(stack).await;
    }
    // The token key set cannot be fetched.
    for op in ALL {
        let app = stack.app(&[]);
        inject(stack, "jwks", Fault::Error, None).await;
        contract
            .send(&app, op, reaching_aws(op, &user.id_token))
            .await
            .expect(503, Some("upstream_unavailable"));
        clear_faults(stack).await;
    }
    // S3 fails on every attempt, or throttles.
    let app = stack.app(&[]);
    let s3_operations = [
        (READ, "GetObject"),
        (WRITE, "PutObject"),
        (START_OR_COMPLETE, "CreateMultipartUpload"),
        (RESUME, "ListParts"),
        (ABORT, "AbortMultipartUpload"),
        (LIST, "ListObjectsV2"),
        (DELETE, "DeleteObject"),
    ];
    for (fault, code) in [
        (Fault::Error, "upstream_unavailable"),
        (Fault::Throttle, "upstream_throttled"),
    ] {
        for (op, operation) in s3_operations {
            inject(stack, operation, fault, None).await;
            contract
                .send(&app, op, reaching_aws(op, &user.id_token))
                .await
                .expect(503, Some(code));
            clear_faults(stack).await;
        }
    }
}

/// Every variant of [`Error`]; the match makes a new variant a compile error here
/// until it is listed (and so checked against the document).
fn every_error() -> Vec<Error> {
    let all = vec![
        Error::MissingToken,
        Error::InvalidToken(InvalidToken::Expired),
        Error::UserDisabled,
        Error::Forbidden,
        Error::InvalidKey(String::new()),
        Error::InvalidRequest(String::new()),
        Error::MethodNotAllowed { allowed: "GET" },
        Error::NotFound,
        Error::PreconditionFailed,
        Error::SourceChanged,
        Error::PayloadTooLarge(String::new()),
        Error::UpstreamThrottled(Upstream::S3),
        Error::UpstreamUnavailable(Upstream::Cognito),
        Error::Internal(String::new()),
    ];
    for error in &all {
        match error {
            Error::MissingToken
            | Error::InvalidToken(_)
            | Error::UserDisabled
            | Error::Forbidden
            | Error::InvalidKey(_)
            | Error::InvalidRequest(_)
            | Error::MethodNotAllowed { .. }
            | Error::NotFound
            | Error::PreconditionFailed
            | Error::SourceChanged
            | Error::PayloadTooLarge(_)
            | Error::UpstreamThrottled(_)
            | Error::UpstreamUnavailable(_)
            | Error::Internal(_) => {}
        }
    }
    all
}

#[test]
fn every_code_the_code_has_is_in_the_document_under_its_status() {
    let contract = Contract::load();
    // status → codes, from the Error<status> schemas.
    let mut documented: BTreeMap<u16, BTreeSet<String>> = BTreeMap::new();
    for (name, schema) in contract.doc["components"]["schemas"]
        .as_object()
        .expect("components.schemas")
    {
        if let Some(status) = name.strip_prefix("Error").and_then(|s| s.parse().ok()) {
            let mut codes = BTreeSet::new();
            contract.codes_in(schema, &mut codes);
            documented.insert(status, codes);
        }
    }
    for error in every_error() {
        let (status, code) = error.status_and_code();
        assert!(
            documented
                .get(&status.as_u16())
                .is_some_and(|codes| codes.contains(code)),
            "{error:?} answers {status} {code}, which openapi.yaml's Error{} does not list",
            status.as_u16()
        );
    }
    // And each operation's responses name only those schemas' codes.
    let mut listed = BTreeSet::new();
    for op in ALL {
        for (status, response) in
            contract.path_item(op.path)[op.method.to_ascii_lowercase()]["responses"]
                .as_object()
                .expect("responses")
        {
            let status: u16 = status.parse().expect("numeric statuses");
            let codes = contract.codes_of(contract.resolve(response));
            assert!(
                codes.is_subset(documented.get(&status).unwrap_or(&BTreeSet::new())),
                "{op:?} {status}: {codes:?}"
            );
            listed.extend(codes);
        }
    }
    let all: BTreeSet<String> = documented.values().flatten().cloned().collect();
    let unlisted: Vec<_> = all
        .difference(&listed)
        .filter(|c| *c != "method_not_allowed")
        .collect();
    assert!(
        unlisted.is_empty(),
        "codes no operation lists: {unlisted:?}"
    );
}
