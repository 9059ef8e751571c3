//! The user directory's records (issue 21; docs/security.md, "The user check" and
//! "The identity_id claim"), through the real trigger and rule functions the local
//! stack's gateway runs:
//! - a token's `identity_id` claim is only a hint: one naming another user's identity
//!   gets no credentials and no data, one naming an identity the pool does not know
//!   (a re-created pool) recovers, and both repair the record;
//! - every way of ending a user's tokens that homedir watches is refused within
//!   `USER_CHECK_TTL_SECS` from the record alone (no AdminGetUser). (A change whose
//!   user is unknown would make every environment of the shared stack ask
//!   AdminGetUser for an hour; `homedir::auth::users`' tests pin that path.)

use std::collections::HashMap;
use std::time::Duration;

use homedir::auth::backend::IDENTITY_ATTRIBUTE;
use homedir::aws::dynamodb::{Attr, DynamoDb, Item};
use homedir_tests::forge::claims_of;
use homedir_tests::requests::Req;
use homedir_tests::stack::{Stack, User};
use serde_json::json;

fn tables(stack: &Stack) -> (String, String) {
    let env: HashMap<String, String> = stack.function_env().into_iter().collect();
    (
        env.get("IDENTITY_TABLE").expect("IDENTITY_TABLE").clone(),
        env.get("USER_CHANGES_TABLE")
            .expect("USER_CHANGES_TABLE")
            .clone(),
    )
}

fn admin_db(stack: &Stack) -> DynamoDb {
    homedir_tests::usage::admin_dynamodb(stack)
}

async fn recorded_identity(stack: &Stack, sub: &str) -> Option<String> {
    let (identities, _) = tables(stack);
    admin_db(stack)
        .get(
            &identities,
            &Item::new().with("sub", Attr::S(sub.to_owned())),
        )
        .await
        .expect("GetItem")
        .and_then(|item| item.s(IDENTITY_ATTRIBUTE).map(str::to_owned))
}

async fn record_identity(stack: &Stack, sub: &str, identity_id: &str) {
    let (identities, _) = tables(stack);
    let item = Item::new()
        .with("sub", Attr::S(sub.to_owned()))
        .with(IDENTITY_ATTRIBUTE, Attr::S(identity_id.to_owned()));
    admin_db(stack)
        .call(
            "PutItem",
            &json!({"TableName": identities, "Item": item.to_json()}),
        )
        .await
        .expect("PutItem");
}

fn sub_of(token: &str) -> String {
    claims_of(token)["sub"].as_str().expect("sub").to_owned()
}

#[tokio::test]
async fn a_claim_naming_another_users_identity_gets_no_credentials_and_is_repaired() {
    let stack = Stack::get();
    let (alice, bob) = (User::new(stack).await, User::new(stack).await);
    let bob_root = bob.home_root(stack).await;
    stack
        .admin_s3()
        .put_object()
        .bucket(stack.bucket())
        .key(format!("{bob_root}secret.txt"))
        .body(b"bob's".to_vec().into())
        .send()
        .await
        .expect("put");
    let bob_identity = bob.identity_id(stack).await;
    let alice_identity = alice.identity_id(stack).await;
    // The record says alice is bob (as if written wrongly): her next token says so too.
    record_identity(stack, &sub_of(&alice.id_token), &bob_identity).await;
    let token = alice.sign_in_again(stack).await;
    assert_eq!(claims_of(&token)["identity_id"], json!(bob_identity));

    let app = stack.app(&[]);
    let listing = Req::get("list", &[])
        .token(&token)
        .send(&app)
        .await
        .expect(200, None);
    let text = String::from_utf8_lossy(listing.bytes()).into_owned();
    assert!(
        !text.contains("secret.txt"),
        "bob's files stay bob's: {text}"
    );
    let read = Req::get("read-file", &[("key", "secret.txt")])
        .token(&token)
        .send(&app)
        .await;
    assert_eq!(read.status(), 404, "alice's own home has no such file");
    let whoami = Req::get("list", &[("whoami", "1")])
        .token(&token)
        .send(&app)
        .await
        .expect(200, None);
    assert!(
        String::from_utf8_lossy(whoami.bytes()).contains(&alice_identity),
        "alice acts as herself"
    );
    // Cognito refused bob's identity for alice's login; GetId found hers.
    assert_eq!(
        (
            app.calls().of("GetCredentialsForIdentity"),
            app.calls().of("GetId")
        ),
        (2, 1),
        "{:?}",
        app.calls().snapshot()
    );
    assert_eq!(
        recorded_identity(stack, &sub_of(&token)).await.as_deref(),
        Some(alice_identity.as_str()),
        "the record is repaired"
    );
}

#[tokio::test]
async fn a_claim_naming_an_identity_the_pool_does_not_know_recovers() {
    let stack = Stack::get();
    let user = User::new(stack).await;
    let own = user.identity_id(stack).await;
    // An identity of a pool that no longer exists (a re-created identity pool).
    let gone = format!("{}:00000000-0000-4000-8000-000000000000", stack.region());
    record_identity(stack, &sub_of(&user.id_token), &gone).await;
    let token = user.sign_in_again(stack).await;
    assert_eq!(claims_of(&token)["identity_id"], json!(gone));
    let app = stack.app(&[]);
    Req::put("write-file", &[("key", "k")], "v")
        .token(&token)
        .send(&app)
        .await
        .expect(200, None);
    let root = user.home_root(stack).await;
    assert!(root.contains(&own));
    stack
        .admin_s3()
        .head_object()
        .bucket(stack.bucket())
        .key(format!("{root}k"))
        .send()
        .await
        .expect("written in the user's own home");
    assert_eq!(
        recorded_identity(stack, &sub_of(&token)).await.as_deref(),
        Some(own.as_str())
    );
}

/// Every watched way of ending a user's tokens, done as an administrator would (the
/// console, the CLI): CloudTrail's event reaches the user-changes function, and after
/// one TTL every environment refuses the old token without asking AdminGetUser.
#[tokio::test]
async fn each_watched_change_refuses_old_tokens_within_the_ttl_without_admin_get_user() {
    let stack = Stack::get();
    let idp = stack.admin_idp();
    let pool = stack.var("USER_POOL_ID");
    for change in [
        "AdminDisableUser",
        "AdminDeleteUser",
        "AdminUserGlobalSignOut",
        "AdminResetUserPassword",
        // The user's own sign-out everywhere, with their access token (DeleteUser, the
        // other self-service change, is not served by the emulator: moto 5.2.5).
        "GlobalSignOut",
    ] {
        let app = stack.app(&[("USER_CHECK_TTL_SECS", "1")]);
        let user = User::new(stack).await;
        Req::get("list", &[])
            .token(&user.id_token)
            .send(&app)
            .await
            .expect(200, None);
        match change {
            "AdminDisableUser" => drop(
                idp.admin_disable_user()
                    .user_pool_id(pool)
                    .username(&user.email)
                    .send()
                    .await
                    .expect(change),
            ),
            "AdminDeleteUser" => drop(
                idp.admin_delete_user()
                    .user_pool_id(pool)
                    .username(&user.email)
                    .send()
                    .await
                    .expect(change),
            ),
            "AdminUserGlobalSignOut" => drop(
                idp.admin_user_global_sign_out()
                    .user_pool_id(pool)
                    .username(&user.email)
                    .send()
                    .await
                    .expect(change),
            ),
            "GlobalSignOut" => drop(
                idp.global_sign_out()
                    .access_token(&user.access_token)
                    .send()
                    .await
                    .expect(change),
            ),
            _ => drop({
                // Cognito resets only a user with a verified address to send the code to.
                idp.admin_update_user_attributes()
                    .user_pool_id(pool)
                    .username(&user.email)
                    .user_attributes(
                        aws_sdk_cognitoidentityprovider::types::AttributeType::builder()
                            .name("email_verified")
                            .value("true")
                            .build()
                            .expect("name"),
                    )
                    .send()
                    .await
                    .expect("verify the email");
                idp.admin_reset_user_password()
                    .user_pool_id(pool)
                    .username(&user.email)
                    .send()
                    .await
                    .expect(change)
            }),
        }
        homedir_tests::usage::drain_deliveries(stack).await;
        tokio::time::sleep(Duration::from_millis(1100)).await;
        Req::get("list", &[])
            .token(&user.id_token)
            .send(&app)
            .await
            .expect(403, Some("user_disabled"));
        assert_eq!(
            app.calls().of("AdminGetUser"),
            0,
            "{change}: the record answered: {:?}",
            app.calls().snapshot()
        );
        if change.ends_with("GlobalSignOut") {
            // Signed out, not disabled: a token issued after the change passes.
            tokio::time::sleep(Duration::from_millis(1100)).await;
            let fresh = user.sign_in_again(stack).await;
            Req::get("list", &[])
                .token(&fresh)
                .send(&app)
                .await
                .expect(200, None);
        }
    }
}
