//! No lost updates: read → modify → `If-Match` write, retried on 412, is a correct
//! counter under contention, because S3 (and the emulator, as S3 documents) applies
//! a conditional write atomically.

use futures::future::join_all;
use homedir_tests::requests::Req;
use homedir_tests::stack::{Stack, User};

const WRITERS: u64 = 8;
const INCREMENTS: u64 = 50;
const KEY: &str = "counter.txt";

async fn increment(app: &homedir::App, token: &str) -> u64 {
    let mut lost_races = 0;
    for _ in 0..INCREMENTS {
        loop {
            let read = Req::get("read-file", &[("key", KEY)])
                .token(token)
                .send(app)
                .await
                .expect(200, None);
            let etag = read.header("etag").expect("an ETag");
            let value: u64 = std::str::from_utf8(read.bytes())
                .expect("text")
                .parse()
                .expect("a number");
            let written = Req::put("write-file", &[("key", KEY)], (value + 1).to_string())
                .token(token)
                .header("if-match", &etag)
                .send(app)
                .await;
            match written.status() {
                200 => break,
                412 => lost_races += 1,
                other => panic!("unexpected {other}: {:?}", written.json()),
            }
        }
    }
    lost_races
}

#[tokio::test]
async fn concurrent_if_match_writers_lose_no_update() {
    let stack = Stack::get();
    let app = stack.app(&[]);
    let user = User::new(stack).await;
    Req::put("write-file", &[("key", KEY)], "0")
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);

    let lost_races: u64 = join_all((0..WRITERS).map(|_| increment(&app, &user.id_token)))
        .await
        .into_iter()
        .sum();

    let final_value = Req::get("read-file", &[("key", KEY)])
        .token(&user.id_token)
        .send(&app)
        .await
        .expect(200, None);
    assert_eq!(
        std::str::from_utf8(final_value.bytes()).expect("text"),
        (WRITERS * INCREMENTS).to_string(),
        "every increment counted ({lost_races} lost races were retried)"
    );
    assert!(lost_races > 0, "the writers really contended");
}
