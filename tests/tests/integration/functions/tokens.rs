//! Token verification: every bad token shape gets 401 before any AWS call; disabled
//! and deleted users get 403.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use homedir_tests::forge::{claims_of, kid_of, sign, stranger_key};
use homedir_tests::requests::Req;
use homedir_tests::stack::{Stack, User};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The emulator's own signing key (moto's bundled test key), written by the launcher.
fn emulator_key(stack: &Stack) -> EncodingKey {
    let pem = std::fs::read(stack.var("EMULATOR_SIGNING_KEY")).expect("the emulator's signing key");
    EncodingKey::from_rsa_pem(&pem).expect("an RSA key")
}

/// Sends `token` to every route and asserts 401 `code` and no AWS call at all.
async fn assert_refused(stack: &Stack, token: &str, code: &str, case: &str) {
    let app = stack.app(&[]);
    let requests = [
        Req::get("read-file", &[("key", "f")]),
        Req::put("write-file", &[("key", "f")], "x"),
        Req::get("list", &[]),
        Req::delete("delete", &[("key", "f")]),
    ];
    for request in requests {
        let reply = request.token(token).send(&app).await;
        assert_eq!(
            (reply.status(), reply.code().as_str()),
            (401, code),
            "{case}"
        );
        assert_eq!(
            reply.header("www-authenticate").as_deref(),
            Some("Bearer"),
            "{case}"
        );
        let body = String::from_utf8_lossy(reply.bytes()).into_owned();
        assert!(
            token.len() < 8 || !body.contains(token),
            "{case}: the response echoes the token"
        );
    }
    assert_eq!(
        app.calls().total(),
        0,
        "{case}: AWS calls were made: {:?}",
        app.calls().snapshot()
    );
}

#[tokio::test]
async fn no_token_is_missing_token() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    for request in [
        Req::get("read-file", &[("key", "f")]),
        Req::get("read-file", &[("key", "f")]).header("authorization", "Bearer "),
        Req::get("read-file", &[("key", "f")]).header("idToken", ""),
    ] {
        request.send(&app).await.expect(401, Some("missing_token"));
    }
    assert_eq!(app.calls().total(), 0);
}

#[tokio::test]
async fn malformed_tokens_are_invalid() {
    let stack = Stack::get();
    for (case, token) in [
        ("garbage", "garbage"),
        ("three garbage parts", "abc.def.ghi"),
        ("empty parts", ".."),
        ("huge", &"a".repeat(20_000)),
    ] {
        assert_refused(stack, token, "invalid_token", case).await;
    }
    let app = stack.app(&[]);
    Req::get("list", &[])
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send(&app)
        .await
        .expect(401, Some("invalid_token"));
}

#[tokio::test]
async fn forged_and_foreign_tokens_are_invalid_with_no_aws_call() {
    let stack = Stack::get();
    let user = User::new(stack).await;
    let claims = claims_of(&user.id_token);
    let kid = kid_of(&user.id_token);
    let ours = emulator_key(stack);

    // Sanity: the emulator's key really is the pool's, so the cases below differ from
    // a valid token only in the one property each one breaks.
    let resigned = sign(&claims, &ours, &kid);
    Req::get("list", &[])
        .token(&resigned)
        .send(&stack.app(&[]))
        .await
        .expect(200, None);

    // alg "none": no signature at all.
    let none_header = B64URL.encode(format!(r#"{{"alg":"none","typ":"JWT","kid":"{kid}"}}"#));
    let none_payload = B64URL.encode(claims.to_string());
    assert_refused(
        stack,
        &format!("{none_header}.{none_payload}."),
        "invalid_token",
        "alg none",
    )
    .await;

    // HS256 "signed" with the public key material as the HMAC secret.
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some(kid.clone());
    let hmac =
        jsonwebtoken::encode(&hs, &claims, &EncodingKey::from_secret(b"public key bytes")).unwrap();
    assert_refused(stack, &hmac, "invalid_token", "alg HS256").await;

    // Another RSA key under the pool's kid.
    assert_refused(
        stack,
        &sign(&claims, &stranger_key(), &kid),
        "invalid_token",
        "foreign key, same kid",
    )
    .await;

    // An unknown kid.
    assert_refused(
        stack,
        &sign(&claims, &ours, "not-a-published-kid"),
        "invalid_token",
        "unknown kid",
    )
    .await;

    // A real token whose payload was edited after signing.
    let mut parts: Vec<String> = user.id_token.split('.').map(str::to_owned).collect();
    let mut edited = claims.clone();
    edited["sub"] = Value::String("00000000-0000-0000-0000-000000000000".into());
    parts[1] = B64URL.encode(edited.to_string());
    assert_refused(stack, &parts.join("."), "invalid_token", "tampered payload").await;

    // Expired (validly signed).
    let mut expired = claims.clone();
    expired["iat"] = Value::from(now() - 7200);
    expired["exp"] = Value::from(now() - 60);
    assert_refused(
        stack,
        &sign(&expired, &ours, &kid),
        "invalid_token",
        "expired",
    )
    .await;

    // Validly signed ID tokens without an `aud`, or with a list of them.
    let mut no_aud = claims.clone();
    no_aud.as_object_mut().unwrap().remove("aud");
    assert_refused(
        stack,
        &sign(&no_aud, &ours, &kid),
        "invalid_token",
        "no aud",
    )
    .await;
    let mut aud_list = claims.clone();
    aud_list["aud"] = Value::Array(vec![claims["aud"].clone()]);
    assert_refused(
        stack,
        &sign(&aud_list, &ours, &kid),
        "invalid_token",
        "aud list",
    )
    .await;

    // Validly signed, but not an ID token.
    let mut access_use = claims.clone();
    access_use["token_use"] = Value::String("access".into());
    assert_refused(
        stack,
        &sign(&access_use, &ours, &kid),
        "invalid_token",
        "token_use access",
    )
    .await;

    // Missing sub.
    let mut no_sub = claims.clone();
    no_sub.as_object_mut().unwrap().remove("sub");
    assert_refused(
        stack,
        &sign(&no_sub, &ours, &kid),
        "invalid_token",
        "no sub",
    )
    .await;
}

#[tokio::test]
async fn real_tokens_of_the_wrong_kind_client_or_pool_are_invalid() {
    let stack = Stack::get();
    let user = User::new(stack).await;
    assert_refused(stack, &user.access_token, "invalid_token", "access token").await;
    // A real access token has no `aud`: it is still told it is not an ID token.
    let reply = Req::get("list", &[])
        .token(&user.access_token)
        .send(&stack.app(&[]))
        .await;
    assert!(
        reply.message().contains("access token?"),
        "the access token's 401 says what was sent: {}",
        reply.message()
    );

    // Same pool, an app client the API does not trust: wrong `aud`.
    let other_client = User::in_pool(
        stack,
        stack.var("USER_POOL_ID"),
        stack.var("OTHER_CLIENT_ID"),
    )
    .await;
    assert_refused(stack, &other_client.id_token, "invalid_token", "wrong aud").await;

    // Another pool, same signing key in the emulator: wrong `iss`.
    let other_pool = User::in_pool(
        stack,
        stack.var("OTHER_USER_POOL_ID"),
        stack.var("OTHER_USER_POOL_CLIENT_ID"),
    )
    .await;
    assert_refused(stack, &other_pool.id_token, "invalid_token", "wrong iss").await;
}

#[tokio::test]
async fn an_expired_token_says_so() {
    let stack = Stack::get();
    let user = User::new(stack).await;
    let mut claims = claims_of(&user.id_token);
    claims["exp"] = Value::from(now() - 1);
    let token = sign(&claims, &emulator_key(stack), &kid_of(&user.id_token));
    let reply = Req::get("list", &[])
        .token(&token)
        .send(&stack.app(&[]))
        .await
        .expect(401, Some("invalid_token"));
    assert!(
        reply.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired")
    );
}

#[tokio::test]
async fn disabled_and_deleted_users_are_403() {
    let stack = Stack::get();
    let app = stack.app(&[("USER_CHECK_TTL_SECS", "0")]);
    let idp = stack.admin_idp();
    let pool = stack.var("USER_POOL_ID");

    let user = User::new(stack).await;
    Req::get("list", &[])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    idp.admin_disable_user()
        .user_pool_id(pool)
        .username(&user.email)
        .send()
        .await
        .expect("disable");
    let s3_before = app.calls().of("ListObjectsV2");
    Req::get("list", &[])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(403, Some("user_disabled"));
    assert_eq!(
        app.calls().of("ListObjectsV2"),
        s3_before,
        "no S3 call for a disabled user"
    );

    idp.admin_enable_user()
        .user_pool_id(pool)
        .username(&user.email)
        .send()
        .await
        .expect("enable");
    Req::get("list", &[])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);

    let gone = User::new(stack).await;
    idp.admin_delete_user()
        .user_pool_id(pool)
        .username(&gone.email)
        .send()
        .await
        .expect("delete");
    Req::get("list", &[])
        .token(&gone.id_token)
        .send(&app)
        .await
        .expect(403, Some("user_disabled"));
}

/// A username can be taken again after its user is deleted; the new user has a new
/// `sub`. The old user's token, still unexpired, must not act as the new user, nor
/// may a user Cognito no longer counts as CONFIRMED act at all.
#[tokio::test]
async fn a_re_created_or_reset_user_cannot_use_an_old_token() {
    let stack = Stack::get();
    let app = stack.app(&[("USER_CHECK_TTL_SECS", "0")]);
    let idp = stack.admin_idp();
    let pool = stack.var("USER_POOL_ID");
    let client = stack.var("USER_POOL_CLIENT_ID");

    let old = User::new(stack).await;
    idp.admin_delete_user()
        .user_pool_id(pool)
        .username(&old.email)
        .send()
        .await
        .expect("delete");
    let new = User::register(stack, pool, client, &old.email).await;
    assert_ne!(
        claims_of(&new.id_token)["sub"],
        claims_of(&old.id_token)["sub"],
        "a new user"
    );
    Req::get("list", &[])
        .token(&old.id_token)
        .send(&app)
        .await
        .expect(403, Some("user_disabled"));
    Req::get("list", &[])
        .token(&new.id_token)
        .send(&app)
        .await
        .expect(200, None);

    // A reset needs a verified address (Cognito's rule, which moto applies too).
    idp.admin_update_user_attributes()
        .user_pool_id(pool)
        .username(&new.email)
        .user_attributes(
            aws_sdk_cognitoidentityprovider::types::AttributeType::builder()
                .name("email_verified")
                .value("true")
                .build()
                .expect("attribute"),
        )
        .send()
        .await
        .expect("verify the email");
    idp.admin_reset_user_password()
        .user_pool_id(pool)
        .username(&new.email)
        .send()
        .await
        .expect("reset");
    Req::get("list", &[])
        .token(&new.id_token)
        .send(&app)
        .await
        .expect(403, Some("user_disabled"));
}

#[tokio::test]
async fn the_user_check_ttl_is_the_window_a_disabled_user_keeps() {
    let stack = Stack::get();
    let app = stack.app(&[("USER_CHECK_TTL_SECS", "2")]);
    let user = User::new(stack).await;
    Req::get("list", &[])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    stack
        .admin_idp()
        .admin_disable_user()
        .user_pool_id(stack.var("USER_POOL_ID"))
        .username(&user.email)
        .send()
        .await
        .expect("disable");
    // Within the TTL the cached check still passes (documented behaviour)…
    Req::get("list", &[])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    // …and after it, the user is refused.
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    Req::get("list", &[])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(403, Some("user_disabled"));
}

/// A JWKS endpoint on loopback that serves `answers` in turn (the last one for
/// ever after) and counts the fetches.
async fn jwks_server(
    answers: Vec<String>,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let fetches = Arc::new(AtomicUsize::new(0));
    let counter = fetches.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await;
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let body = &answers[n.min(answers.len() - 1)];
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = socket.write_all(response.as_bytes()).await;
        }
    });
    (url, fetches)
}

/// A key set with no usable key (empty, or only keys of other kinds) must never
/// replace the one that verifies today's tokens.
#[tokio::test]
async fn a_key_set_without_usable_keys_never_replaces_a_working_one() {
    let stack = Stack::get();
    let user = User::new(stack).await;
    let jwks_url = format!(
        "{}/{}/.well-known/jwks.json",
        stack.endpoint(),
        stack.var("USER_POOL_ID")
    );
    let real = String::from_utf8(homedir_tests::emulator::get(&jwks_url).await).expect("JSON");
    let unusable = r#"{"keys":[{"kty":"EC","kid":"ec","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}"#;
    let (endpoint, fetches) =
        jwks_server(vec![real, r#"{"keys":[]}"#.to_owned(), unusable.to_owned()]).await;
    // Every fetch is allowed (no cool-down), so only the replacement rule protects.
    let app = stack.app(&[
        ("AWS_ENDPOINT_URL", &endpoint),
        ("JWKS_REFETCH_COOLDOWN_SECS", "0"),
    ]);
    let headers = |token: &str| {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::AUTHORIZATION,
            format!("Bearer {token}").parse().expect("a header value"),
        );
        headers
    };
    let rotated = sign(&claims_of(&user.id_token), &stranger_key(), "rotated-key");

    app.authenticate(&headers(&user.id_token))
        .await
        .expect("the real key set verifies the token");
    for answer in ["an empty key set", "a key set of EC keys only"] {
        let refused = app.authenticate(&headers(&rotated)).await.err();
        assert_eq!(
            refused.map(|e| e.status_and_code().1),
            Some("invalid_token"),
            "{answer}: an unknown kid"
        );
        app.authenticate(&headers(&user.id_token))
            .await
            .unwrap_or_else(|e| panic!("after {answer}, the working keys remain: {e:?}"));
    }
    assert_eq!(fetches.load(std::sync::atomic::Ordering::SeqCst), 3);
}
