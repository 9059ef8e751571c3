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
//!
//! A walk is a table of cases, one line each: a request of one operation (its query,
//! headers, body, whose token, which functions' settings, an AWS fault) and what it
//! must answer, or `documented()` where AWS decides. [`walk`] sends them in order and
//! checks every reply; [`document`] reads `openapi.yaml`.

mod document;
mod walk;

use std::collections::{BTreeMap, BTreeSet};

use homedir::error::{Error, InvalidToken, Upstream};
use homedir_tests::emulator::{Fault, PrivateStack};
use homedir_tests::stack::{Stack, User};
use homedir_wire::QuotaExceeded;

use document::Contract;
use walk::Auth::{Bearer, DisabledUser, Nobody};
use walk::Setting::{Fresh, HomeElsewhere, TinyFileLimit, UserCheckedEachTime};
use walk::{ABORT, ALL, Case, DELETE, LIST, Op, READ, RESUME, START_OR_COMPLETE, WRITE, Walk};

#[tokio::test]
async fn every_local_error_path_of_every_operation_is_documented() {
    let stack = Stack::get();
    let contract = Contract::load();
    let walk = Walk::new(&contract, stack, User::new(stack).await);

    // What the cases refer to: a file (its ETag and version) and two uploads.
    let hello = WRITE.with(&[("key", "f.txt")]).body("hello");
    let written = walk.send(hello.answers(200, "")).await;
    let given = Given {
        etag: written.header("etag").expect("an ETag"),
        version: written.json()["version_id"]
            .as_str()
            .expect("a version")
            .to_owned(),
        upload: start_upload(&walk, "up.bin").await,
        cond_upload: start_upload(&walk, "cond.bin").await,
    };
    let mut cases = Vec::new();
    for op in ALL {
        cases.extend(refused_by_every_operation(op));
    }
    cases.extend(local_error_paths(&given));
    walk.all(cases).await;

    let mut wanted = Vec::new();
    for op in ALL {
        wanted.push((op, 401, "missing_token"));
        wanted.push((op, 401, "invalid_token"));
        wanted.push((op, 400, "invalid_key"));
        wanted.push((op, 400, "invalid_request"));
        wanted.push((op, 403, "no_team"));
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

/// What the local cases refer to.
struct Given {
    /// The ETag and version of `f.txt` ("hello").
    etag: String,
    version: String,
    /// An upload of `up.bin` (10 bytes, one part), and one of `cond.bin`.
    upload: String,
    cond_upload: String,
}

/// An upload of `key` started (10 bytes, one part): its id.
async fn start_upload(walk: &Walk<'_>, key: &str) -> String {
    let started = START_OR_COMPLETE
        .with(&[("key", key)])
        .body(r#"{"size": 10}"#)
        .answers(201, "");
    walk.send(started).await.json()["upload_id"]
        .as_str()
        .expect("an upload_id")
        .to_owned()
}

/// What every operation refuses: no token, a token that is not one, a bad key, an
/// unknown parameter, a malformed escape.
#[rustfmt::skip]
fn refused_by_every_operation(op: Op) -> Vec<Case> {
    let key = if op == LIST { "prefix" } else { "key" };
    let upload: &[(&str, &str)] =
        if matches!(op, RESUME | ABORT) { &[("upload_id", UNISSUED)] } else { &[] };
    let with = |pairs: &[(&str, &str)]| op.with(&[pairs, upload].concat());
    vec![
        with(&[(key, "a")]).by(Nobody).documented(),
        with(&[(key, "a")]).by(Bearer("not-a-jwt")).answers(401, "invalid_token"),
        with(&[(key, "a")]).by(Bearer("")).answers(401, "missing_token"),
        with(&[(key, "../a")]).answers(400, "invalid_key"),
        with(&[(key, "a"), ("nope", "1")]).answers(400, "invalid_request"),
        with(&[(key, "a"), ("space", "teams")]).answers(400, "invalid_request"),
        // The walk's user belongs to no team (a start needs its body to get that far).
        if op == START_OR_COMPLETE {
            with(&[(key, "a"), ("space", "team")]).body(r#"{"size": 10}"#)
        } else {
            with(&[(key, "a"), ("space", "team")])
        }
        .answers(403, "no_team"),
        op.raw(&format!("{key}=%zz")).answers(400, "invalid_request"),
    ]
}

/// Every operation's own error paths, in the order they build on each other (`copy`
/// is copied, then moved to `moved`, then deleted; `up.bin`'s upload is aborted, then
/// aborted again).
#[rustfmt::skip]
fn local_error_paths(given: &Given) -> Vec<Case> {
    let (etag, version) = (given.etag.as_str(), given.version.as_str());
    let (upload, cond_upload) = (given.upload.as_str(), given.cond_upload.as_str());
    // An ETag no file has.
    let stale = "\"0000\"";
    let mut cases = Vec::new();

    // A method no operation of the path serves: 405 with Allow.
    cases.extend([
        Op::new("PATCH", "/read-file").with(&[("key", "a")]).answers(405, "method_not_allowed"),
        Op::new("PATCH", "/write-file").with(&[("key", "a")]).answers(405, "method_not_allowed"),
        Op::new("PATCH", "/list").with(&[("key", "a")]).answers(405, "method_not_allowed"),
        Op::new("PATCH", "/delete").with(&[("key", "a")]).answers(405, "method_not_allowed"),
        Op::new("POST", "/read-file").with(&[("key", "a")]).answers(405, "method_not_allowed"),
        Op::new("POST", "/list").with(&[("key", "a")]).answers(405, "method_not_allowed"),
        Op::new("POST", "/delete").with(&[("key", "a")]).answers(405, "method_not_allowed"),
    ]);

    // read-file
    cases.extend([
        READ.with(&[("key", "missing")]).answers(404, "not_found"),
        READ.with(&[("key", "f.txt")]).answers(200, ""),
        READ.with(&[("key", "f.txt")]).header("if-none-match", etag).answers(304, ""),
        READ.with(&[("key", "f.txt"), ("link", "1")]).header("if-none-match", etag).answers(400, "invalid_request"),
        // Found by schemathesis: an empty If-None-Match was sent to S3 and read the file.
        READ.with(&[("key", "f.txt")]).header("if-none-match", "").answers(400, "invalid_request"),
        // Found by schemathesis: a tab inside If-None-Match reached the SDK, which
        // refused to send it: 500.
        READ.with(&[("key", "f.txt")]).header("if-none-match", "\"a\tb\"").answers(400, "invalid_request"),
        // Found by schemathesis: a continuation token S3 never issued (the emulator
        // answered 500, S3 400 InvalidArgument).
        LIST.with(&[("cursor", "0")]).answers(400, "invalid_request"),
        READ.with(&[("key", "f.txt"), ("link", "1")]).answers(200, ""),
        READ.with(&[("key", "f.txt"), ("version", version)]).answers(200, ""),
        READ.with(&[("key", "f.txt"), ("version", "a/b")]).answers(400, "invalid_request"),
        READ.with(&[("key", "f.txt"), ("link", "2")]).answers(400, "invalid_request"),
        READ.with(&[("key", "f.txt"), ("expires", "0")]).answers(400, "invalid_request"),
        READ.with(&[("key", "f.txt"), ("expires", "3601")]).answers(400, "invalid_request"),
        READ.with(&[("key", "f.txt"), ("download", "yes")]).answers(400, "invalid_request"),
        READ.with(&[("key", "f.txt"), ("version", "no-such-version")]).documented(),
        READ.with(&[("key", "f.txt")]).on(TinyFileLimit).answers(307, ""),
    ]);

    // write-file PUT
    let long_type = "t".repeat(300);
    cases.extend([
        WRITE.with(&[("key", "f.txt")]).header("if-none-match", "*").body("again").answers(412, "precondition_failed"),
        WRITE.with(&[("key", "f.txt")]).header("if-match", stale).body("again").answers(412, "precondition_failed"),
        WRITE.with(&[("key", "new.txt")]).header("if-match", stale).body("again").answers(412, "precondition_failed"),
        WRITE.with(&[("key", "f.txt")]).header("if-none-match", "\"x\"").body("x").answers(400, "invalid_request"),
        WRITE.with(&[("key", "f.txt")]).header("if-match", "").body("x").answers(400, "invalid_request"),
        WRITE.with(&[("key", "f.txt")]).header("content-type", &long_type).body("x").answers(400, "invalid_request"),
        WRITE.with(&[("key", "big")]).body("abc").on(TinyFileLimit).answers(413, "payload_too_large"),
        WRITE.with(&[("key", "copy"), ("copy_from", "f.txt")]).answers(200, ""),
        WRITE.with(&[("key", "copy"), ("copy_from", "missing")]).answers(404, "not_found"),
        WRITE.with(&[("key", "copy"), ("copy_from", "a//b")]).answers(400, "invalid_key"),
        WRITE.with(&[("key", "copy2"), ("copy_from", "f.txt"), ("source_if_match", stale)]).answers(412, "precondition_failed"),
        // Found by schemathesis: a copy onto itself was S3's InvalidRequest, answered 500.
        WRITE.with(&[("key", "f.txt"), ("copy_from", "f.txt")]).answers(400, "invalid_request"),
        WRITE.with(&[("key", "f.txt"), ("move_from", "f.txt")]).answers(400, "invalid_request"),
        WRITE.with(&[("key", "moved"), ("move_from", "copy")]).answers(200, ""),
        WRITE.with(&[("key", "f.txt"), ("restore", version)]).answers(200, ""),
        WRITE.with(&[("key", "f.txt"), ("restore", "no-such-version")]).documented(),
        WRITE.with(&[("key", "x"), ("restore", version), ("copy_from", "f.txt")]).answers(400, "invalid_request"),
        WRITE.with(&[("key", "x"), ("copy_from", "f.txt")]).body("a body").answers(400, "invalid_request"),
    ]);

    // write-file POST, GET, DELETE: the multipart upload.
    let start = || START_OR_COMPLETE.with(&[("key", "up.bin")]);
    let complete = |key: &str, upload: &str| START_OR_COMPLETE.with(&[("key", key), ("upload_id", upload)]);
    let part_nope = r#"{"parts": [{"number": 1, "etag": "\"nope\""}]}"#;
    let part_e = r#"{"parts": [{"number": 1, "etag": "\"e\""}]}"#;
    cases.extend([
        start().body("").answers(400, "invalid_request"),
        start().body("{").answers(400, "invalid_request"),
        start().body(r#"{"size": -1}"#).answers(400, "invalid_request"),
        start().body(r#"{"size": 1, "extra": 1}"#).answers(400, "invalid_request"),
        start().body(r#"{"size": 18446744073709551615}"#).answers(413, "payload_too_large"),
        start().body(vec![b' '; 1024 * 1024 + 1]).answers(413, "payload_too_large"),
        // Conditions are checked for form at the start too (they decide at completion).
        start().body(r#"{"size": 1}"#).header("if-none-match", "\"e\"").answers(400, "invalid_request"),
        start().body(r#"{"size": 1}"#).header("if-match", "").answers(400, "invalid_request"),
        start().body(r#"{"size": 1}"#).header("if-match", "\"e\"").header("if-none-match", "*").answers(400, "invalid_request"),
        RESUME.with(&[("key", "up.bin"), ("upload_id", upload)]).answers(200, ""),
        RESUME.with(&[("key", "up.bin"), ("upload_id", upload), ("from_part", "0")]).answers(400, "invalid_request"),
        RESUME.with(&[("key", "up.bin"), ("upload_id", upload), ("expires", "x")]).answers(400, "invalid_request"),
        RESUME.with(&[("key", "up.bin"), ("upload_id", "1.2.3")]).answers(400, "invalid_request"),
        RESUME.with(&[("key", "up.bin")]).answers(400, "invalid_request"),
        // An id is tagged for its key: another key's is refused before any AWS call.
        RESUME.with(&[("key", "other.bin"), ("upload_id", upload)]).answers(400, "invalid_request"),
        RESUME.with(&[("key", "up.bin"), ("upload_id", UNISSUED)]).answers(400, "invalid_request"),
        complete("up.bin", upload).body(part_nope).answers(400, "invalid_request"),
        START_OR_COMPLETE.with(&[("key", "up.bin"), ("upload_id", upload), ("expires", "10")])
            .body(r#"{"parts": []}"#).answers(400, "invalid_request"),
        ABORT.with(&[("key", "up.bin"), ("upload_id", upload)]).answers(204, ""),
        ABORT.with(&[("key", "up.bin"), ("upload_id", upload)]).answers(404, "not_found"),
        RESUME.with(&[("key", "up.bin"), ("upload_id", upload)]).answers(404, "not_found"),
        complete("up.bin", upload).body(part_e).answers(404, "not_found"),
        complete("cond.bin", cond_upload).header("if-match", stale).body(part_e).documented(),
        ABORT.with(&[("key", "cond.bin"), ("upload_id", cond_upload)]).answers(204, ""),
        ABORT.with(&[("key", "cond.bin")]).answers(400, "invalid_request"),
    ]);

    // list
    cases.extend([
        LIST.with(&[("prefix", "")]).answers(200, ""),
        LIST.with(&[("prefix", ""), ("delimiter", "/")]).answers(200, ""),
        LIST.with(&[("prefix", ""), ("versions", "1")]).answers(200, ""),
        LIST.with(&[("key", "f.txt"), ("versions", "1")]).answers(200, ""),
        LIST.with(&[("prefix", ""), ("deleted", "1")]).answers(200, ""),
        LIST.with(&[("delimiter", "|")]).answers(400, "invalid_request"),
        LIST.with(&[("limit", "0")]).answers(400, "invalid_request"),
        LIST.with(&[("limit", "1001")]).answers(400, "invalid_request"),
        LIST.with(&[("cursor", "")]).answers(400, "invalid_request"),
        LIST.with(&[("key", "f.txt")]).answers(400, "invalid_request"),
        LIST.with(&[("versions", "1"), ("deleted", "1")]).answers(400, "invalid_request"),
        LIST.with(&[("versions", "1"), ("delimiter", "/")]).answers(400, "invalid_request"),
        LIST.with(&[("versions", "1"), ("key", "a"), ("prefix", "a")]).answers(400, "invalid_request"),
        LIST.with(&[("deleted", "1"), ("key", "a")]).answers(400, "invalid_request"),
        LIST.with(&[("versions", "1"), ("cursor", "no-colon")]).answers(400, "invalid_request"),
        LIST.with(&[("versions", "2")]).answers(400, "invalid_request"),
        LIST.with(&[("cursor", "not-a-cursor")]).documented(),
        LIST.with(&[("versions", "1"), ("key", "a/")]).answers(400, "invalid_key"),
    ]);

    // delete
    cases.extend([
        DELETE.with(&[("key", "moved")]).answers(204, ""),
        DELETE.with(&[("key", "never-was")]).answers(204, ""),
        DELETE.with(&[("key", "f.txt")]).header("if-match", stale).answers(412, "precondition_failed"),
        DELETE.with(&[("prefix", "folder/")]).answers(200, ""),
        DELETE.with(&[("prefix", "folder")]).answers(400, "invalid_key"),
        DELETE.with(&[("prefix", "")]).answers(400, "invalid_key"),
        DELETE.with(&[]).answers(400, "invalid_request"),
        DELETE.with(&[("key", "a"), ("prefix", "a/")]).answers(400, "invalid_request"),
        DELETE.with(&[("prefix", "a/"), ("limit", "10001")]).answers(400, "invalid_request"),
        DELETE.with(&[("prefix", "a/"), ("cursor", "b/x")]).answers(400, "invalid_request"),
        DELETE.with(&[("prefix", "a/")]).header("if-match", "\"e\"").answers(400, "invalid_request"),
    ]);
    cases
}

/// An upload id of the right shape that this stack did not issue (its tag is wrong).
const UNISSUED: &str = "10.8388608.00000000000000000000000000000000.abc";

/// A request of `op` that gets past its local checks to the AWS calls: for resume and
/// abort, with `upload`, an id the stack issued for `f` in the caller's home.
fn reaching_aws(op: Op, upload: &str) -> walk::Request {
    reaching_aws_in(op, upload, &[])
}

/// [`reaching_aws`] with more query parameters (`space=team`, say).
fn reaching_aws_in(op: Op, upload: &str, extra: &[(&str, &str)]) -> walk::Request {
    let with = |pairs: &[(&str, &str)]| op.with(&[pairs, extra].concat());
    match op {
        READ => with(&[("key", "f")]),
        WRITE => with(&[("key", "f")]).body("data"),
        START_OR_COMPLETE => with(&[("key", "f")]).body(r#"{"size": 10}"#),
        RESUME | ABORT => with(&[("key", "f"), ("upload_id", upload)]),
        LIST => with(&[]),
        _ => with(&[("key", "f")]),
    }
}

/// Every operation in the team space, by a member: the answers are the documented
/// ones (a read of a missing file, a write, an upload started, resumed and aborted, a
/// listing, a delete), and a copy from the home into the team space.
#[tokio::test]
async fn every_operation_in_the_team_space_answers_as_documented() {
    let stack = Stack::get();
    let contract = Contract::load();
    let team = format!(
        "contract-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let member = User::in_team(stack, &team).await;
    let walk = Walk::new(&contract, stack, member);
    let team_space = [("space", "team")];
    let started = walk
        .send(reaching_aws_in(START_OR_COMPLETE, "", &team_space).answers(201, ""))
        .await;
    let upload = started.json()["upload_id"]
        .as_str()
        .expect("an upload_id")
        .to_owned();
    walk.all(vec![
        reaching_aws_in(READ, &upload, &team_space).answers(404, "not_found"),
        reaching_aws_in(WRITE, &upload, &team_space).answers(200, ""),
        reaching_aws_in(READ, &upload, &team_space).answers(200, ""),
        reaching_aws_in(RESUME, &upload, &team_space).answers(200, ""),
        reaching_aws_in(ABORT, &upload, &team_space).answers(204, ""),
        reaching_aws_in(LIST, &upload, &team_space).answers(200, ""),
        LIST.with(&[("whoami", "1")]).answers(200, ""),
        WRITE
            .with(&[("key", "home.txt")])
            .body("home")
            .answers(200, ""),
        WRITE
            .with(&[
                ("key", "copied.txt"),
                ("copy_from", "home.txt"),
                ("from_space", "home"),
                ("space", "team"),
            ])
            .answers(200, ""),
        WRITE
            .with(&[
                ("key", "copied.txt"),
                ("copy_from", "home.txt"),
                ("from_space", "heim"),
            ])
            .answers(400, "invalid_request"),
        reaching_aws_in(DELETE, &upload, &team_space).answers(204, ""),
    ])
    .await;
}

#[tokio::test]
async fn disabled_users_and_refused_credentials_are_documented_for_every_operation() {
    let stack = Stack::get();
    let contract = Contract::load();
    let user = User::new(stack).await;
    let upload = stack.upload_id(&user.home_root(stack).await, "f", 10, "abc");
    let disabled = User::new(stack).await;
    stack
        .admin_idp()
        .admin_disable_user()
        .user_pool_id(stack.var("USER_POOL_ID"))
        .username(&disabled.email)
        .send()
        .await
        .expect("disable the user");
    let walk = Walk::new(&contract, stack, user).with_disabled_user(disabled);

    let mut cases = Vec::new();
    // Credentials that reach nothing: homes under a prefix the role does not cover.
    for op in ALL {
        cases.push(reaching_aws(op, &upload).on(HomeElsewhere).documented());
    }
    for op in ALL {
        let request = reaching_aws(op, &upload)
            .by(DisabledUser)
            .on(UserCheckedEachTime);
        cases.push(request.answers(403, "user_disabled"));
    }
    walk.all(cases).await;

    contract.saw_all(&[
        (READ, 403, "forbidden"),
        (WRITE, 403, "forbidden"),
        (START_OR_COMPLETE, 403, "forbidden"),
        (LIST, 403, "forbidden"),
        (DELETE, 403, "forbidden"),
    ]);
}

/// The S3 call each operation's request of [`reaching_aws`] makes for the caller.
const S3_CALLS: [(Op, &str); 7] = [
    (READ, "GetObject"),
    (WRITE, "PutObject"),
    (START_OR_COMPLETE, "CreateMultipartUpload"),
    (RESUME, "ListParts"),
    (ABORT, "AbortMultipartUpload"),
    (LIST, "ListObjectsV2"),
    (DELETE, "DeleteObject"),
];

#[tokio::test]
async fn throttled_and_failing_upstreams_are_documented_for_every_operation() {
    let private = PrivateStack::start().await;
    let stack = private.stack();
    let contract = Contract::load();
    let user = User::new(stack).await;
    let upload = stack.upload_id(&user.home_root(stack).await, "f", 10, "abc");
    let walk = Walk::new(&contract, stack, user);

    let mut cases = Vec::new();
    // Cognito throttles: each operation with a fresh app (nothing cached).
    for op in ALL {
        let request = reaching_aws(op, &upload)
            .on(Fresh)
            .fault("GetId", Fault::Throttle);
        cases.push(request.answers(503, "upstream_throttled"));
    }
    // The token key set cannot be fetched.
    for op in ALL {
        let request = reaching_aws(op, &upload)
            .on(Fresh)
            .fault("jwks", Fault::Error);
        cases.push(request.answers(503, "upstream_unavailable"));
    }
    // S3 fails on every attempt, or throttles.
    for (fault, code) in [
        (Fault::Error, "upstream_unavailable"),
        (Fault::Throttle, "upstream_throttled"),
    ] {
        for (op, operation) in S3_CALLS {
            cases.push(
                reaching_aws(op, &upload)
                    .fault(operation, fault)
                    .answers(503, code),
            );
        }
    }
    walk.all(cases).await;
}

/// Every variant of [`Error`]; the match makes a new variant a compile error here
/// until it is listed (and so checked against the document).
fn every_error() -> Vec<Error> {
    let all = vec![
        Error::MissingToken,
        Error::InvalidToken(InvalidToken::Expired),
        Error::UserDisabled,
        Error::Forbidden,
        Error::NoTeam(""),
        Error::InvalidKey(String::new()),
        Error::InvalidRequest(String::new()),
        Error::MethodNotAllowed { allowed: "GET" },
        Error::NotFound,
        Error::PreconditionFailed,
        Error::SourceChanged,
        Error::PayloadTooLarge(String::new()),
        Error::QuotaExceeded(QuotaExceeded {
            used: 1,
            quota: 1,
            size: 1,
        }),
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
            | Error::NoTeam(_)
            | Error::InvalidKey(_)
            | Error::InvalidRequest(_)
            | Error::MethodNotAllowed { .. }
            | Error::NotFound
            | Error::PreconditionFailed
            | Error::SourceChanged
            | Error::PayloadTooLarge(_)
            | Error::QuotaExceeded(_)
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
