//! Conditional requests: `If-None-Match` on reads, `If-Match` and `If-None-Match: *`
//! on writes.

use crate::harness::E2e;

#[tokio::test]
async fn if_none_match_on_read_gives_304_with_the_etag() {
    let e2e = E2e::start().await;
    let user = e2e.user().await;
    let etag = e2e
        .put("write-file", &[("key", "cached.txt")], "v1")
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None)
        .json()["etag"]
        .as_str()
        .unwrap()
        .to_owned();

    let not_modified = e2e
        .get("read-file", &[("key", "cached.txt")])
        .token(&user.id_token)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect(304, None);
    assert!(not_modified.body.is_empty());
    assert_eq!(not_modified.header("etag"), Some(etag));

    let changed = e2e
        .get("read-file", &[("key", "cached.txt")])
        .token(&user.id_token)
        .header("if-none-match", "\"0123456789abcdef0123456789abcdef\"")
        .send()
        .await
        .expect(200, None);
    assert_eq!(changed.body.as_ref(), b"v1");
    e2e.clean_up(&[&user]).await;
}

#[tokio::test]
async fn failed_if_match_and_if_none_match_star_give_412_and_change_nothing() {
    let e2e = E2e::start().await;
    let user = e2e.user().await;
    let put = |body: &'static str| {
        e2e.put("write-file", &[("key", "doc.txt")], body)
            .token(&user.id_token)
    };

    // Create-only: succeeds on a new key, then 412 once the key exists.
    let etag = put("v1")
        .header("if-none-match", "*")
        .send()
        .await
        .expect(200, None)
        .json()["etag"]
        .as_str()
        .unwrap()
        .to_owned();
    put("v2")
        .header("if-none-match", "*")
        .send()
        .await
        .expect(412, Some("precondition_failed"));
    assert_eq!(e2e.read(&user, "doc.txt").await.as_ref(), b"v1");

    // Replace-if-unchanged: 412 on a stale ETag, success on the current one.
    put("v3")
        .header("if-match", "\"0123456789abcdef0123456789abcdef\"")
        .send()
        .await
        .expect(412, Some("precondition_failed"));
    assert_eq!(e2e.read(&user, "doc.txt").await.as_ref(), b"v1");
    let v4 = put("v4")
        .header("if-match", &etag)
        .send()
        .await
        .expect(200, None)
        .json();
    assert_eq!(e2e.read(&user, "doc.txt").await.as_ref(), b"v4");

    // The old ETag is stale now.
    put("v5")
        .header("if-match", &etag)
        .send()
        .await
        .expect(412, Some("precondition_failed"));
    assert_ne!(v4["etag"].as_str(), Some(etag.as_str()));
    assert_eq!(e2e.read(&user, "doc.txt").await.as_ref(), b"v4");

    // If-Match on a key that does not exist fails too, and writes nothing: 412, as
    // RFC 9110 says. S3 answers the user's role AccessDenied there, not NoSuchKey (no
    // unconditional s3:ListBucket); the function tells a missing file from a refusal
    // with one listing.
    e2e.put("write-file", &[("key", "never.txt")], "x")
        .token(&user.id_token)
        .header("if-match", &etag)
        .send()
        .await
        .expect(412, Some("precondition_failed"));
    e2e.get("read-file", &[("key", "never.txt")])
        .token(&user.id_token)
        .send()
        .await
        .expect(404, Some("not_found"));
    e2e.clean_up(&[&user]).await;
}
