//! Two users, one bucket: Bob can read, list, overwrite or delete nothing of Alice's
//! through any route, whatever key he sends, and each home is named after the
//! Identity ID Cognito returned, stably.

use homedir_tests::emulator;
use homedir_tests::forge::{VICTIM_FILES, keys_aimed_at};
use homedir_tests::requests::Req;
use homedir_tests::stack::{FUNCTION_ACCESS_KEY, Stack, User, keys_under, object};

async fn alice_unchanged(stack: &Stack, root: &str) {
    for (key, body) in VICTIM_FILES {
        let (bytes, _) = object(stack, &format!("{root}{key}"))
            .await
            .expect("Alice's file is still there");
        assert_eq!(bytes, body.as_bytes(), "Alice's {key} is unchanged");
    }
}

#[tokio::test]
async fn bob_can_reach_nothing_of_alices_through_any_route() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let home = stack.var("HOME_PREFIX");
    let (alice, bob) = (User::new(stack).await, User::new(stack).await);
    let alice_id = alice.identity_id(stack).await;
    let alice_root = alice.home_root(stack).await;
    let bob_root = bob.home_root(stack).await;
    assert_ne!(alice_root, bob_root);

    for (key, body) in VICTIM_FILES {
        Req::put("write-file", &[("key", key)], body)
            .token(&alice.id_token)
            .send(&app)
            .await
            .expect(200, None);
    }
    let alice_before = keys_under(stack, &alice_root).await;

    for key in keys_aimed_at(&alice_id, home) {
        let read = Req::get("read-file", &[("key", &key)])
            .token(&bob.id_token)
            .send(&app)
            .await;
        assert!(
            matches!(read.status(), 400 | 404),
            "read {key:?}: {}",
            read.status()
        );
        assert!(
            !String::from_utf8_lossy(read.bytes()).contains("alice's"),
            "read {key:?} returned Alice's data"
        );

        let write = Req::put("write-file", &[("key", &key)], "bob was here")
            .token(&bob.id_token)
            .send(&app)
            .await;
        assert!(
            matches!(write.status(), 200 | 400),
            "write {key:?}: {}",
            write.status()
        );
        if write.status() == 200 {
            let (bytes, _) = object(stack, &format!("{bob_root}{key}"))
                .await
                .expect("Bob's write is in his home");
            assert_eq!(bytes, b"bob was here");
        }

        let delete = Req::delete("delete", &[("key", &key)])
            .token(&bob.id_token)
            .send(&app)
            .await;
        assert!(
            matches!(delete.status(), 204 | 400),
            "delete {key:?}: {}",
            delete.status()
        );
        if delete.status() == 204 {
            assert!(
                object(stack, &format!("{bob_root}{key}")).await.is_none(),
                "Bob deleted his own {key:?}"
            );
        }

        let list = Req::get("list", &[("prefix", &key)])
            .token(&bob.id_token)
            .send(&app)
            .await;
        assert!(
            matches!(list.status(), 200 | 400),
            "list {key:?}: {}",
            list.status()
        );
        if list.status() == 200 {
            let text = list.json().to_string();
            assert!(
                !text.contains("plan.txt") && !text.contains("secret.txt"),
                "list {key:?} leaked Alice's keys: {text}"
            );
        }
    }

    alice_unchanged(stack, &alice_root).await;
    assert_eq!(
        keys_under(stack, &alice_root).await,
        alice_before,
        "nothing was added to Alice's home"
    );
    Req::put("write-file", &[("key", "bobs.txt")], "bob")
        .token(&bob.id_token)
        .send(&app)
        .await
        .expect(200, None);
    let bob_keys = keys_under(stack, &bob_root).await;
    assert_eq!(bob_keys, [format!("{bob_root}bobs.txt")]);

    // Bob's listing of his whole home shows only his own files.
    let listing = Req::get("list", &[])
        .token(&bob.id_token)
        .send(&app)
        .await
        .expect(200, None)
        .json();
    let listed: Vec<String> = listing["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{bob_root}{}", f["key"].as_str().unwrap()))
        .collect();
    assert_eq!(listed, bob_keys, "Bob's listing is exactly his home");

    // Alice still sees exactly her own two files.
    let listing = Req::get("list", &[])
        .token(&alice.id_token)
        .send(&app)
        .await
        .expect(200, None)
        .json();
    let mut alice_listed: Vec<&str> = listing["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["key"].as_str().unwrap())
        .collect();
    alice_listed.sort();
    assert_eq!(alice_listed, ["docs/plan.txt", "secret.txt"]);
}

#[tokio::test]
async fn the_authorization_header_decides_whose_home_it_is() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let (alice, bob) = (User::new(stack).await, User::new(stack).await);
    Req::put("write-file", &[("key", "mine.txt")], "alice")
        .token(&alice.id_token)
        .send(&app)
        .await
        .expect(200, None);
    // Bob adds Alice's token as a second header: Authorization wins, he gets his own home.
    Req::get("read-file", &[("key", "mine.txt")])
        .token(&bob.id_token)
        .header("idToken", &alice.id_token)
        .send(&app)
        .await
        .expect(404, Some("not_found"));
}

#[tokio::test]
async fn a_users_identity_id_is_stable_across_requests_tokens_and_cold_starts() {
    let stack = Stack::get();
    let user = User::new(stack).await;
    let root = user.home_root(stack).await;

    // Two separate App instances: two cold starts, no shared cache.
    let first = stack.app(&[]);
    Req::put("write-file", &[("key", "one.txt")], "1")
        .token(&user.id_token)
        .send(&first)
        .await
        .expect(200, None);
    let second = stack.app(&[]);
    let fresh_token = user.sign_in_again(stack).await;
    Req::put("write-file", &[("key", "two.txt")], "2")
        .token(&fresh_token)
        .send(&second)
        .await
        .expect(200, None);
    Req::get("read-file", &[("key", "one.txt")])
        .token(&fresh_token)
        .send(&second)
        .await
        .expect(200, None);

    let mut keys = keys_under(stack, &root).await;
    keys.sort();
    assert_eq!(keys, [format!("{root}one.txt"), format!("{root}two.txt")]);
}

#[tokio::test]
async fn s3_is_only_ever_called_with_issued_credentials() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    Req::put("write-file", &[("key", "k")], "v")
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    Req::get("read-file", &[("key", "k")])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    // The emulator saw every call of every test so far: none to S3 was signed with
    // the function's own key, and every function S3 call used a Cognito-issued key.
    let calls = emulator::calls(stack).await;
    let s3: Vec<_> = calls.iter().filter(|c| c.service == "s3").collect();
    assert!(!s3.is_empty());
    for call in &s3 {
        assert_ne!(
            call.access_key.as_deref(),
            Some(FUNCTION_ACCESS_KEY),
            "{call:?}"
        );
    }
    assert!(
        s3.iter().any(|c| c
            .access_key
            .as_deref()
            .is_some_and(|k| k.starts_with("ASIA"))),
        "S3 calls were made with issued (ASIA…) credentials"
    );
}
