//! Tokens: none, garbage, forged, the access token, another pool's or client's.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde_json::json;

use homedir_tests::forge::{claims_of, kid_of, sign, stranger_key};

use crate::harness::E2e;

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

/// The `identity_id` claim (docs/security.md): a user's first request records their
/// Identity ID, and the pre-token-generation trigger puts it in their next ID token,
/// with which they reach their own home as before. Against a deployed stack this is
/// the real trigger on the real user pool.
#[tokio::test]
async fn the_next_token_carries_the_identity_id_the_first_request_recorded() {
    let e2e = E2e::start().await;
    let mut user = e2e.user().await;
    assert!(
        claims_of(&user.id_token).get("identity_id").is_none(),
        "a new user's first token has no claim yet"
    );
    e2e.put("write-file", &[("key", "claim.txt")], b"mine".to_vec())
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None);
    let identity = e2e.identity_id(&user).await;
    e2e.sign_in_again(&mut user).await;
    assert_eq!(claims_of(&user.id_token)["identity_id"], json!(identity));
    let read = e2e
        .get("read-file", &[("key", "claim.txt")])
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None);
    assert_eq!(read.text(), "mine");
    e2e.clean_up(&[&user]).await;
}
