//! Files: bodies and content types, overwrites, unusual keys, deletes.

use homedir_tests::data::random;

use crate::harness::{E2e, Target, file_keys};

#[tokio::test]
async fn a_300_kib_binary_body_round_trips_with_its_content_type() {
    let e2e = E2e::start().await;
    let user = e2e.user().await;
    // Under the default inline limit (360 KiB): the bytes come back in the answer.
    let data = random(300 * 1024).to_vec();

    let written = e2e
        .put("write-file", &[("key", "blobs/random.bin")], data.clone())
        .token(&user.id_token)
        .header("content-type", "application/x-homedir-e2e")
        .send()
        .await
        .expect(200, None)
        .json();
    assert_eq!(written["key"], "blobs/random.bin");
    assert_eq!(written["size"], 300 * 1024);
    let etag = written["etag"].as_str().expect("an etag").to_owned();
    assert!(!etag.is_empty());

    let read = e2e
        .get("read-file", &[("key", "blobs/random.bin")])
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None);
    assert_eq!(read.body.len(), data.len(), "the length read back");
    assert!(
        read.body.as_ref() == data.as_slice(),
        "the bytes read back differ from the bytes written"
    );
    assert_eq!(
        read.header("content-type").as_deref(),
        Some("application/x-homedir-e2e")
    );
    assert_eq!(read.header("etag"), Some(etag));
    let modified = read.header("last-modified").expect("Last-Modified");
    assert!(modified.ends_with(" GMT"), "an HTTP date: {modified}");
    assert_eq!(
        read.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );

    let text = e2e
        .put("write-file", &[("key", "notes/hello.txt")], "hello, world")
        .token(&user.id_token)
        .header("content-type", "text/plain; charset=utf-8")
        .send()
        .await
        .expect(200, None)
        .json();
    assert_eq!(text["size"], 12);
    let read = e2e
        .get("read-file", &[("key", "notes/hello.txt")])
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None);
    assert_eq!(read.body.as_ref(), b"hello, world");
    assert_eq!(
        read.header("content-type").as_deref(),
        Some("text/plain; charset=utf-8")
    );
    e2e.clean_up(&[&user]).await;
}

#[tokio::test]
async fn a_write_without_content_type_reads_back_as_octet_stream() {
    let e2e = E2e::start().await;
    let user = e2e.user().await;
    // API Gateway base64-encodes a body without Content-Type, so any bytes pass.
    // Locally the untyped body is text: a leftover from `cargo lambda watch`, which
    // passed such a body as text and answered 500 itself when it was not UTF-8.
    // homedir-gateway base64-encodes every body: the deployed bytes round-trip through
    // it as well.
    let body: Vec<u8> = match e2e.target {
        Target::Deployed => vec![0, 1, 2, 0xff, 0xfe],
        Target::Local => b"plain bytes, no type".to_vec(),
    };
    e2e.put("write-file", &[("key", "untyped")], body.clone())
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None);
    let read = e2e
        .get("read-file", &[("key", "untyped")])
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None);
    assert_eq!(read.body.as_ref(), body.as_slice());
    assert_eq!(
        read.header("content-type").as_deref(),
        Some("application/octet-stream")
    );
    e2e.clean_up(&[&user]).await;
}

#[tokio::test]
async fn an_overwrite_replaces_the_content_and_the_etag() {
    let e2e = E2e::start().await;
    let user = e2e.user().await;
    let mut etags = Vec::new();
    for body in ["first", "second"] {
        let written = e2e
            .put("write-file", &[("key", "f.txt")], body)
            .token(&user.id_token)
            .send()
            .await
            .expect(200, None)
            .json();
        etags.push(written["etag"].as_str().unwrap().to_owned());
    }
    assert_ne!(etags[0], etags[1]);
    let read = e2e
        .get("read-file", &[("key", "f.txt")])
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None);
    assert_eq!(read.body.as_ref(), b"second");
    assert_eq!(read.header("etag").as_ref(), Some(&etags[1]));
    e2e.clean_up(&[&user]).await;
}

#[tokio::test]
async fn unusual_keys_round_trip_and_list_exactly_as_sent() {
    let e2e = E2e::start().await;
    let user = e2e.user().await;
    let keys = [
        "with space.txt",
        "a+b.txt",
        "100%.txt",
        "%41 is not A",
        "what?.txt",
        "#hash.txt",
        "a&b=c;d.txt",
        "日本語/ファイル.txt",
        "émoji 🎉/naïve.txt",
        "all of them ?#%+ é/x",
    ];
    for key in keys {
        let written = e2e
            .put("write-file", &[("key", key)], key.as_bytes().to_vec())
            .token(&user.id_token)
            .send()
            .await
            .expect(200, None)
            .json();
        assert_eq!(written["key"], key, "the key echoed by write-file");
        assert_eq!(
            e2e.read(&user, key).await.as_ref(),
            key.as_bytes(),
            "read {key:?}"
        );
    }

    let mut listed = e2e.all_keys(&user, "").await;
    listed.sort();
    let mut sent: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    sent.sort();
    assert_eq!(listed, sent, "list shows the keys as sent, nothing else");

    let folder = e2e
        .get("list", &[("prefix", "日本語/"), ("delimiter", "/")])
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None)
        .json();
    assert_eq!(file_keys(&folder), ["日本語/ファイル.txt"]);

    // A `+` is a plus sign, not a space: `a b.txt` was never written.
    e2e.get("read-file", &[("key", "a b.txt")])
        .token(&user.id_token)
        .send()
        .await
        .expect(404, Some("not_found"));
    e2e.clean_up(&[&user]).await;
}

#[tokio::test]
async fn delete_gives_204_then_read_gives_404() {
    let e2e = E2e::start().await;
    let user = e2e.user().await;
    e2e.put("write-file", &[("key", "gone.txt")], "x")
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None);

    let deleted = e2e
        .delete("delete", &[("key", "gone.txt")])
        .token(&user.id_token)
        .send()
        .await
        .expect(204, None);
    assert!(deleted.body.is_empty());
    e2e.get("read-file", &[("key", "gone.txt")])
        .token(&user.id_token)
        .send()
        .await
        .expect(404, Some("not_found"));
    assert!(e2e.all_keys(&user, "").await.is_empty());
    // Deletes are idempotent.
    e2e.delete("delete", &[("key", "gone.txt")])
        .token(&user.id_token)
        .send()
        .await
        .expect(204, None);
    e2e.clean_up(&[&user]).await;
}
