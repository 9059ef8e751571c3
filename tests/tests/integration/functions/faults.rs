//! When AWS misbehaves: throttled Cognito, failing and stuck S3 calls, a JWKS
//! endpoint that is down, an Identity ID Cognito no longer knows. Each test runs its
//! own emulator ([`PrivateStack`]): faults apply to every caller of an emulator.

use std::time::{Duration, Instant};

use homedir_tests::emulator::{self, Fault, PrivateStack, clear_faults, inject, jwks_fetches};
use homedir_tests::requests::Req;
use homedir_tests::stack::{Stack, User, keys_under};

fn s3_calls(calls: &[emulator::Call], operation: &str) -> usize {
    calls
        .iter()
        .filter(|c| c.service == "s3" && c.operation == operation)
        .count()
}

async fn nothing_stored(stack: &Stack) {
    let prefix = format!("{}/", stack.var("HOME_PREFIX"));
    assert_eq!(
        keys_under(stack, &prefix).await,
        Vec::<String>::new(),
        "nothing was written"
    );
}

#[tokio::test]
async fn throttled_cognito_is_503_upstream_throttled_and_nothing_is_written() {
    let private = PrivateStack::start().await;
    let stack = private.stack();
    let user = User::new(stack).await;
    // AdminGetUser is reached where the record of user changes cannot answer: with it
    // unreadable, or with USER_CHECK_TTL_SECS=0.
    for (operations, ttl) in [
        (&["GetId"][..], "60"),
        (&["GetCredentialsForIdentity"][..], "60"),
        (&["Query", "AdminGetUser"][..], "60"),
        (&["AdminGetUser"][..], "0"),
    ] {
        let app = stack.app(&[("USER_CHECK_TTL_SECS", ttl)]);
        for operation in operations {
            inject(stack, operation, Fault::Throttle, None).await;
        }
        let reply = Req::put("write-file", &[("key", "f")], "data")
            .token(&user.id_token)
            .send(&app)
            .await
            .expect(503, Some("upstream_throttled"));
        assert!(
            reply.header("retry-after").is_some(),
            "{operations:?}: Retry-After"
        );
        assert_eq!(app.calls().of("PutObject"), 0, "{operations:?}: no S3 call");
        clear_faults(stack).await;
    }
    nothing_stored(stack).await;
    // The record alone throttled: the check falls back to AdminGetUser and the write
    // goes through.
    let app = stack.app(&[]);
    inject(stack, "Query", Fault::Throttle, None).await;
    Req::put("write-file", &[("key", "f")], "data")
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    assert_eq!(app.calls().of("AdminGetUser"), 1);
    clear_faults(stack).await;
}

#[tokio::test]
async fn s3_500s_are_retried_by_the_sdk_then_answered_503() {
    let private = PrivateStack::start().await;
    let stack = private.stack();
    let user = User::new(stack).await;
    let app = stack.app(&[]);
    Req::get("list", &[])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);

    // One failure: the SDK's retry hides it.
    emulator::reset_calls(stack).await;
    inject(stack, "PutObject", Fault::Error, Some(1)).await;
    Req::put("write-file", &[("key", "once")], "data")
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    assert_eq!(s3_calls(&emulator::calls(stack).await, "PutObject"), 2);

    // Failures on every attempt: 503 after the SDK's three attempts, nothing stored.
    emulator::reset_calls(stack).await;
    inject(stack, "PutObject", Fault::Error, None).await;
    let reply = Req::put("write-file", &[("key", "always")], "data")
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(503, Some("upstream_unavailable"));
    assert!(reply.header("retry-after").is_some());
    assert_eq!(s3_calls(&emulator::calls(stack).await, "PutObject"), 3);
    let root = user.home_root(stack).await;
    assert_eq!(keys_under(stack, &root).await, vec![format!("{root}once")]);
}

#[tokio::test]
async fn a_stuck_s3_call_is_cut_by_the_operation_timeout() {
    let private = PrivateStack::start().await;
    let stack = private.stack();
    let user = User::new(stack).await;
    let app = stack.app(&[("UPSTREAM_TIMEOUT_SECS", "2")]);
    Req::get("list", &[])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    inject(
        stack,
        "GetObject",
        Fault::Delay(Duration::from_secs(8)),
        None,
    )
    .await;
    let started = Instant::now();
    let reply = Req::get("read-file", &[("key", "f")])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(503, Some("upstream_unavailable"));
    let took = started.elapsed();
    assert!(reply.header("retry-after").is_some());
    assert!(
        took < Duration::from_secs(4),
        "cut at the 2 s operation timeout, took {took:?}"
    );
}

#[tokio::test]
async fn a_jwks_endpoint_that_is_down_is_asked_once_per_cool_down() {
    let private = PrivateStack::start().await;
    let stack = private.stack();
    let user = User::new(stack).await;
    inject(stack, "jwks", Fault::Error, None).await;
    let app = stack.app(&[("JWKS_REFETCH_COOLDOWN_SECS", "2")]);
    let before = jwks_fetches(stack).await;
    for _ in 0..5 {
        Req::get("list", &[])
            .token(&user.id_token)
            .send(&app)
            .await
            .expect(503, Some("upstream_unavailable"));
    }
    assert_eq!(jwks_fetches(stack).await - before, 1, "no refetch storm");
    assert_eq!(
        app.calls().total(),
        0,
        "no AWS call without a verified token"
    );

    // Back up: the next fetch waits out the cool-down, then works.
    clear_faults(stack).await;
    Req::get("list", &[])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(503, Some("upstream_unavailable"));
    assert_eq!(jwks_fetches(stack).await - before, 1);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    Req::get("list", &[])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    assert_eq!(jwks_fetches(stack).await - before, 2);
}

#[tokio::test]
async fn an_identity_cognito_no_longer_knows_is_resolved_again_once() {
    let stack = Stack::get();
    let user = User::new(stack).await;
    let app = stack.app(&[]);
    let old_id = user.identity_id(stack).await;
    Req::put("write-file", &[("key", "before")], "1")
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    aws_sdk_cognitoidentity::Client::new(&stack.admin_sdk())
        .delete_identities()
        .identity_ids_to_delete(&old_id)
        .send()
        .await
        .expect("DeleteIdentities");

    // A new token misses the credentials cache; the cached Identity ID is refused.
    let token = user.sign_in_again(stack).await;
    let get_ids = app.calls().of("GetId");
    Req::put("write-file", &[("key", "after")], "2")
        .token(&token)
        .send(&app)
        .await
        .expect(200, None);
    assert_eq!(app.calls().of("GetId"), get_ids + 1, "resolved again, once");
    let new_id = user.identity_id(stack).await;
    assert_ne!(new_id, old_id, "Cognito gave the user a new identity");
    let new_root = format!("{}/{new_id}/", stack.var("HOME_PREFIX"));
    assert_eq!(
        keys_under(stack, &new_root).await,
        vec![format!("{new_root}after")]
    );
}
