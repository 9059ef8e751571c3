//! Two users: neither can reach the other's home through the API.

use serde_json::json;

use homedir_tests::forge::{VICTIM_FILES, keys_aimed_at};

use crate::harness::{E2e, file_keys};

#[tokio::test]
async fn bob_can_read_list_overwrite_or_delete_nothing_of_alices() {
    let e2e = E2e::start().await;
    let (alice, bob) = (e2e.user().await, e2e.user().await);
    let home = e2e.stack.var("HOME_PREFIX").to_owned();
    let alice_id = e2e.identity_id(&alice).await;
    let bob_id = e2e.identity_id(&bob).await;
    assert_ne!(alice_id, bob_id, "two users, two Identity IDs");

    let mut alice_etags = Vec::new();
    for (key, body) in VICTIM_FILES {
        let written = e2e
            .put("write-file", &[("key", key)], body)
            .token(&alice.id_token)
            .send()
            .await
            .expect(200, None)
            .json();
        alice_etags.push(written["etag"].as_str().unwrap().to_owned());
    }

    for key in keys_aimed_at(&alice_id, &home) {
        let read = e2e
            .get("read-file", &[("key", &key)])
            .token(&bob.id_token)
            .send()
            .await;
        assert!(
            matches!(read.status, 400 | 404),
            "Bob reads {key:?}: {} {}",
            read.status,
            read.text()
        );
        assert!(
            !read.text().contains("alice's"),
            "Bob read Alice's data with {key:?}"
        );

        let list = e2e
            .get("list", &[("prefix", &key)])
            .token(&bob.id_token)
            .send()
            .await;
        assert!(
            matches!(list.status, 200 | 400),
            "Bob lists {key:?}: {} {}",
            list.status,
            list.text()
        );
        if list.status == 200 {
            let listing = list.json();
            assert_eq!(file_keys(&listing), Vec::<String>::new(), "list {key:?}");
            assert_eq!(listing["folders"], json!([]), "list {key:?}");
        }

        let write = e2e
            .put("write-file", &[("key", &key)], "bob was here")
            .token(&bob.id_token)
            .send()
            .await;
        assert!(
            matches!(write.status, 200 | 400),
            "Bob writes {key:?}: {} {}",
            write.status,
            write.text()
        );
        if write.status == 200 {
            // Whatever the key says, it landed in Bob's own home.
            assert_eq!(write.json()["key"], key.as_str());
            assert_eq!(
                e2e.read(&bob, &key).await.as_ref(),
                b"bob was here",
                "{key:?}"
            );
            assert!(
                e2e.all_keys(&bob, "").await.contains(&key),
                "Bob's {key:?} is listed in his own home"
            );
        }

        let delete = e2e
            .delete("delete", &[("key", &key)])
            .token(&bob.id_token)
            .send()
            .await;
        assert!(
            matches!(delete.status, 204 | 400),
            "Bob deletes {key:?}: {} {}",
            delete.status,
            delete.text()
        );
    }

    // Alice's files are all there, unchanged (same bytes, same ETags), and nothing
    // was added to her home.
    for ((key, body), etag) in VICTIM_FILES.iter().zip(&alice_etags) {
        let read = e2e
            .get("read-file", &[("key", key)])
            .token(&alice.id_token)
            .send()
            .await
            .expect(200, None);
        assert_eq!(read.body.as_ref(), body.as_bytes(), "Alice's {key}");
        assert_eq!(read.header("etag").as_ref(), Some(etag), "Alice's {key}");
    }
    let mut alice_keys = e2e.all_keys(&alice, "").await;
    alice_keys.sort();
    let mut expected: Vec<String> = VICTIM_FILES.iter().map(|(k, _)| (*k).to_owned()).collect();
    expected.sort();
    assert_eq!(alice_keys, expected, "Alice's home is exactly her files");
    assert!(
        e2e.all_keys(&bob, "").await.is_empty(),
        "Bob deleted only his own files"
    );
    e2e.clean_up(&[&alice, &bob]).await;
}

#[tokio::test]
async fn each_user_sees_only_their_own_home() {
    let e2e = E2e::start().await;
    let (alice, bob) = (e2e.user().await, e2e.user().await);
    for (user, body) in [(&alice, "alice's copy"), (&bob, "bob's copy")] {
        e2e.put("write-file", &[("key", "shared/name.txt")], body)
            .token(&user.id_token)
            .send()
            .await
            .expect(200, None);
    }
    e2e.put("write-file", &[("key", "only-alice.txt")], "a")
        .token(&alice.id_token)
        .send()
        .await
        .expect(200, None);

    for (user, body) in [(&alice, "alice's copy"), (&bob, "bob's copy")] {
        assert_eq!(
            e2e.read(user, "shared/name.txt").await.as_ref(),
            body.as_bytes()
        );
    }
    e2e.get("read-file", &[("key", "only-alice.txt")])
        .token(&bob.id_token)
        .send()
        .await
        .expect(404, Some("not_found"));

    let mut alice_keys = e2e.all_keys(&alice, "").await;
    alice_keys.sort();
    assert_eq!(alice_keys, ["only-alice.txt", "shared/name.txt"]);
    assert_eq!(e2e.all_keys(&bob, "").await, ["shared/name.txt"]);

    // Bob deleting "his" copy leaves Alice's.
    e2e.delete("delete", &[("key", "shared/name.txt")])
        .token(&bob.id_token)
        .send()
        .await
        .expect(204, None);
    e2e.read(&alice, "shared/name.txt").await;
    e2e.clean_up(&[&alice, &bob]).await;
}

#[tokio::test]
async fn the_authorization_header_decides_whose_home_it_is() {
    let e2e = E2e::start().await;
    let (alice, bob) = (e2e.user().await, e2e.user().await);
    e2e.put("write-file", &[("key", "mine.txt")], "alice")
        .token(&alice.id_token)
        .send()
        .await
        .expect(200, None);
    // Bob adds Alice's token in the seed client's header: Authorization wins.
    e2e.get("read-file", &[("key", "mine.txt")])
        .token(&bob.id_token)
        .header("idToken", &alice.id_token)
        .send()
        .await
        .expect(404, Some("not_found"));
    e2e.clean_up(&[&alice, &bob]).await;
}
