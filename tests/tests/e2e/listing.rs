//! Listing: prefix, delimiter, limit and cursor.

use serde_json::json;

use crate::harness::{E2e, file_keys};

#[tokio::test]
async fn list_pages_with_prefix_delimiter_limit_and_cursor() {
    let e2e = E2e::start().await;
    let user = e2e.user().await;
    for key in ["a/1", "a/2", "a/b/3", "a/b/4", "c", "d e/5"] {
        e2e.put("write-file", &[("key", key)], "x")
            .token(&user.id_token)
            .send()
            .await
            .expect(200, None);
    }

    let folder = e2e
        .get("list", &[("prefix", "a/"), ("delimiter", "/")])
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None)
        .json();
    assert_eq!(file_keys(&folder), ["a/1", "a/2"]);
    assert_eq!(folder["folders"], json!(["a/b/"]));
    assert!(folder["next_cursor"].is_null(), "{folder}");
    let entry = &folder["files"][0];
    assert_eq!(entry["size"], 1);
    assert!(entry["etag"].as_str().is_some_and(|e| !e.is_empty()));
    assert!(
        entry["last_modified"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{entry}"
    );

    let top = e2e
        .get("list", &[("delimiter", "/")])
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None)
        .json();
    assert_eq!(top["folders"], json!(["a/", "d e/"]));
    assert_eq!(file_keys(&top), ["c"]);

    let partial = e2e
        .get("list", &[("prefix", "a/b")])
        .token(&user.id_token)
        .send()
        .await
        .expect(200, None)
        .json();
    assert_eq!(file_keys(&partial), ["a/b/3", "a/b/4"]);

    // Every page at most `limit` long, the cursor carried through the query string.
    for (limit, prefix, expected) in [
        ("2", "", vec!["a/1", "a/2", "a/b/3", "a/b/4", "c", "d e/5"]),
        ("1", "a/", vec!["a/1", "a/2", "a/b/3", "a/b/4"]),
    ] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            pages += 1;
            assert!(pages <= 10, "paging does not end");
            let mut params = vec![("limit", limit)];
            if !prefix.is_empty() {
                params.push(("prefix", prefix));
            }
            if let Some(c) = &cursor {
                params.push(("cursor", c.as_str()));
            }
            let page = e2e
                .get("list", &params)
                .token(&user.id_token)
                .send()
                .await
                .expect(200, None)
                .json();
            let files = file_keys(&page);
            assert!(files.len() <= limit.parse().unwrap(), "{page}");
            seen.extend(files);
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(
            seen, expected,
            "limit {limit}, prefix {prefix:?}: the pages cover every file once, in order"
        );
    }
    e2e.clean_up(&[&user]).await;
}
