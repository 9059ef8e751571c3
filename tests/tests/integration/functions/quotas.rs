//! Quotas through the API (the quota gate, `homedir::usage::quota`): a write that would
//! take the caller's space past its quota is refused with 507 `quota_exceeded` before
//! any S3 write, saying how full the space is and what was asked; reads, lists and
//! deletes always work; `GET /list?usage=1` answers the space's usage and quota.
//!
//! No usage function runs in this suite (S3's notifications reach no gateway here), so
//! every space's tally is empty: the quota here is smaller than the writes it refuses.
//! The tally itself and the IAM bound are proven in `tests/emulator/test_usage.py`
//! (the usage binary on the real path) and the case table (`infra::policies`).

use serde_json::json;

use homedir_tests::requests::{Req, write};
use homedir_tests::stack::{Stack, User, object};

#[tokio::test]
async fn a_write_past_the_quota_is_507_before_any_write_and_reads_lists_and_deletes_still_work() {
    let stack = Stack::get();
    let table = stack.var("USAGE_TABLE").to_owned();
    let app = stack.app(&[("USAGE_TABLE", &table), ("QUOTA_BYTES", "10")]);
    let user = User::new(stack).await;

    // Within the quota: stored.
    write(&app, &user, "small.txt", "12345").await;
    let usage = Req::get("list", &[("usage", "1")])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None)
        .json();
    assert_eq!(
        usage,
        json!({"bytes": 0, "versions": 0, "quota_bytes": 10, "over": false}),
        "nothing tallied in this suite; the quota is QUOTA_BYTES"
    );

    // Past it: 507 with the numbers, and nothing stored.
    let refused = Req::put("write-file", &[("key", "big.txt")], "0123456789x")
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(507, Some("quota_exceeded"))
        .json();
    assert_eq!(
        (
            &refused["error"]["used"],
            &refused["error"]["quota"],
            &refused["error"]["size"]
        ),
        (&json!(0), &json!(10), &json!(11))
    );
    let root = user.home_root(stack).await;
    assert!(object(stack, &format!("{root}big.txt")).await.is_none());

    // An upload declaring more than fits is refused when it starts.
    Req::post(
        "write-file",
        &[("key", "huge.bin")],
        r#"{"size": 6000000, "content_type": "application/octet-stream"}"#,
    )
    .token(&user.id_token)
    .send(&app)
    .await
    .expect(507, Some("quota_exceeded"));

    // Reads, lists and deletes work whatever the quota.
    Req::get("read-file", &[("key", "small.txt")])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    Req::get("list", &[("prefix", "")])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    Req::delete("delete", &[("key", "small.txt")])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(204, None);
}

#[tokio::test]
async fn without_a_quota_the_usage_answer_says_so_and_nothing_is_refused() {
    let stack = Stack::get();
    let table = stack.var("USAGE_TABLE").to_owned();
    let app = stack.app(&[("USAGE_TABLE", &table), ("QUOTA_BYTES", "0")]);
    let user = User::new(stack).await;
    write(&app, &user, "any.txt", "0123456789 and more").await;
    let usage = Req::get("list", &[("usage", "1")])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None)
        .json();
    assert_eq!(
        usage,
        json!({"bytes": 0, "versions": 0, "quota_bytes": null, "over": false})
    );
}
