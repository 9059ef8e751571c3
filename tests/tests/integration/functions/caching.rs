//! AWS call counts per request, pinned so a caching regression fails `make test`:
//! a warm request costs exactly one S3 call; a user's first request costs GetId and
//! GetCredentialsForIdentity (two Cognito round trips), and once their token carries
//! the `identity_id` claim, GetCredentialsForIdentity alone (one); the user check
//! reads the record of user changes once per TTL, not AdminGetUser; a burst of first
//! requests shares one exchange.

use std::time::Duration;

use homedir::aws::sequential_round_trips;
use homedir_tests::requests::Req;
use homedir_tests::stack::{Stack, User};

fn cognito_calls(app: &homedir::App) -> (u64, u64, u64) {
    let calls = app.calls();
    (
        calls.of("AdminGetUser"),
        calls.of("GetId"),
        calls.of("GetCredentialsForIdentity"),
    )
}

#[tokio::test]
async fn a_first_request_costs_one_cognito_round_trip_once_the_token_has_the_claim() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;

    // A new user's first token has no claim yet: GetId, then the exchange, with the
    // Identity ID recorded (PutItem) beside it; the user check reads the record of user
    // changes (Query), never AdminGetUser.
    Req::get("list", &[])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    assert_eq!(
        cognito_calls(&app),
        (0, 1, 1),
        "first request without the claim: {:?}",
        app.calls().snapshot()
    );
    assert_eq!((app.calls().of("Query"), app.calls().of("PutItem")), (1, 1));
    let cognito: Vec<_> = app
        .calls()
        .spans()
        .into_iter()
        .filter(|s| COGNITO.contains(&s.operation.as_str()))
        .collect();
    assert_eq!(sequential_round_trips(&cognito), 2, "{cognito:?}");

    // The next token carries the claim: in a new environment, the first request is the
    // exchange alone, concurrent with the record's read, then the S3 call.
    let claimed = user.sign_in_again(stack).await;
    let fresh = stack.app(&[]);
    Req::get("list", &[])
        .token(&claimed)
        .send(&fresh)
        .await
        .expect(200, None);
    assert_eq!(
        cognito_calls(&fresh),
        (0, 0, 1),
        "with the claim: {:?}",
        fresh.calls().snapshot()
    );
    assert_eq!(
        fresh.calls().total(),
        3,
        "Query, GetCredentialsForIdentity, ListObjectsV2"
    );
    let spans = fresh.calls().spans();
    let cognito: Vec<_> = spans
        .iter()
        .filter(|s| COGNITO.contains(&s.operation.as_str()))
        .cloned()
        .collect();
    assert_eq!(sequential_round_trips(&cognito), 1, "{cognito:?}");
    assert_eq!(sequential_round_trips(&spans), 2, "then the S3 call");

    for (i, request) in [
        Req::put("write-file", &[("key", "k")], "v"),
        Req::get("read-file", &[("key", "k")]),
        Req::get("list", &[]),
        Req::delete("delete", &[("key", "k")]),
    ]
    .into_iter()
    .enumerate()
    {
        let before = fresh.calls().total();
        let reply = request.token(&claimed).send(&fresh).await;
        assert!(reply.status() < 300, "request {i}: {}", reply.status());
        assert_eq!(
            fresh.calls().total() - before,
            1,
            "warm request {i} costs exactly one AWS call"
        );
    }
    assert_eq!(
        cognito_calls(&fresh),
        (0, 0, 1),
        "no further Cognito call while warm"
    );
    assert_eq!(
        fresh.jwks_fetches(),
        1,
        "the key set is fetched once per process"
    );
}

const COGNITO: [&str; 3] = ["AdminGetUser", "GetId", "GetCredentialsForIdentity"];

#[tokio::test]
async fn fifty_concurrent_first_requests_share_one_exchange() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    let requests = (0..50).map(|_| Req::get("list", &[]).token(&user.id_token).send(&app));
    for reply in futures::future::join_all(requests).await {
        reply.expect(200, None);
    }
    assert_eq!(
        cognito_calls(&app),
        (0, 1, 1),
        "{:?}",
        app.calls().snapshot()
    );
    assert_eq!(
        app.calls().of("Query"),
        1,
        "one read of the record for the burst"
    );
    assert_eq!(app.calls().of("ListObjectsV2"), 50);
}

#[tokio::test]
async fn a_new_token_of_a_known_user_skips_get_id() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    Req::get("list", &[])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    let second = user.sign_in_again(stack).await;
    assert_ne!(second, user.id_token);
    Req::get("list", &[])
        .token(&second)
        .send(&app)
        .await
        .expect(200, None);
    let (_, get_id, get_credentials) = cognito_calls(&app);
    assert_eq!(
        (get_id, get_credentials),
        (1, 2),
        "credentials are per token, the Identity ID per user"
    );
}

#[tokio::test]
async fn credentials_are_refreshed_before_they_expire() {
    let stack = Stack::get();
    // The emulator's credentials live 90 s; an 87 s margin leaves 3 s of reuse.
    let app = stack.app(&[("CREDENTIALS_REFRESH_MARGIN_SECS", "87")]);
    let user = User::new(stack).await;
    Req::get("list", &[])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    Req::get("list", &[])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    assert_eq!(cognito_calls(&app).2, 1, "reused within their window");
    tokio::time::sleep(Duration::from_millis(3500)).await;
    Req::get("list", &[])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    let (_, get_id, get_credentials) = cognito_calls(&app);
    assert_eq!(
        (get_id, get_credentials),
        (1, 2),
        "refreshed after the window, Identity ID still cached"
    );
}

#[tokio::test]
async fn credentials_never_outlive_the_token_margin() {
    let stack = Stack::get();
    // A margin longer than the credentials' life: nothing is reusable, every request
    // exchanges afresh (and still succeeds).
    let app = stack.app(&[("CREDENTIALS_REFRESH_MARGIN_SECS", "120")]);
    let user = User::new(stack).await;
    for _ in 0..3 {
        Req::get("list", &[])
            .token(&user.id_token)
            .send(&app)
            .await
            .expect(200, None);
    }
    assert_eq!(cognito_calls(&app).2, 3);
}

#[tokio::test]
async fn the_user_check_reads_the_record_once_per_ttl_and_ttl_zero_asks_admin_get_user() {
    let stack = Stack::get();
    let cached = stack.app(&[("USER_CHECK_TTL_SECS", "1")]);
    let user = User::new(stack).await;
    let other = User::new(stack).await;
    for token in [&user.id_token, &other.id_token, &user.id_token] {
        Req::get("list", &[])
            .token(token)
            .send(&cached)
            .await
            .expect(200, None);
    }
    assert_eq!(
        (cognito_calls(&cached).0, cached.calls().of("Query")),
        (0, 1),
        "one read of the record answers every user of the environment"
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    Req::get("list", &[])
        .token(&user.id_token)
        .send(&cached)
        .await
        .expect(200, None);
    assert_eq!(
        (cognito_calls(&cached).0, cached.calls().of("Query")),
        (0, 2),
        "read again once the TTL passed"
    );

    let uncached = stack.app(&[("USER_CHECK_TTL_SECS", "0")]);
    for _ in 0..3 {
        Req::get("list", &[])
            .token(&user.id_token)
            .send(&uncached)
            .await
            .expect(200, None);
    }
    assert_eq!(
        cognito_calls(&uncached),
        (3, 1, 1),
        "TTL 0 checks every request with AdminGetUser, nothing else changes"
    );
    assert_eq!(uncached.calls().of("Query"), 0);
}

#[tokio::test]
async fn an_unknown_kid_refetches_the_key_set_at_most_once_per_cooldown() {
    let stack = Stack::get();
    let user = User::new(stack).await;
    let forged = {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut parts: Vec<String> = user.id_token.split('.').map(str::to_owned).collect();
        parts[0] = b64.encode(r#"{"alg":"RS256","kid":"rotated-key"}"#);
        parts.join(".")
    };

    let app = stack.app(&[]);
    Req::get("list", &[])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    for _ in 0..5 {
        Req::get("list", &[])
            .token(&forged)
            .send(&app)
            .await
            .expect(401, Some("invalid_token"));
    }
    assert_eq!(
        app.jwks_fetches(),
        1,
        "within the cool-down an unknown kid does not refetch"
    );

    let eager = stack.app(&[("JWKS_REFETCH_COOLDOWN_SECS", "0")]);
    Req::get("list", &[])
        .token(&user.id_token)
        .send(&eager)
        .await
        .expect(200, None);
    Req::get("list", &[])
        .token(&forged)
        .send(&eager)
        .await
        .expect(401, Some("invalid_token"));
    assert_eq!(
        eager.jwks_fetches(),
        2,
        "after the cool-down an unknown kid refetches once"
    );
}
