//! Usage and quotas on a stack of a test's own: the stack's usage function served by
//! `homedir-gateway` as `tests/e2e.sh` serves it (the binary named in
//! `FUNCTION_BINARIES`, its template environment and role credentials from
//! `FUNCTIONS_CONFIG`), with the emulator's Lambda pointed at that gateway, so S3's
//! notifications reach it; the emulator's drain instead of sleeps; lifecycle runs "days
//! later"; the usage function invoked directly (the gateway's Invoke API); the usage
//! table read and edited with the emulator's admin key.
//!
//! Each [`UsageStack`] is a [`PrivateStack`]: the emulator's Lambda has one gateway,
//! and its call log and deny policies are the test's alone.

use std::sync::Arc;
use std::time::Duration;

use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use bytes::Bytes;
use homedir::App;
use homedir::aws::AwsCalls;
use homedir::aws::dynamodb::{Attr, DynamoDb, Item};
use homedir::usage::table;
use http::Method;
use serde_json::{Value, json};

use crate::emulator::PrivateStack;
use crate::presigned;
use crate::stack::{ADMIN_ACCESS_KEY, Stack};

/// How long a drain may wait for every delivery and invocation.
const DRAIN_SECS: f64 = 60.0;

/// A private stack whose usage function runs and receives the bucket's notifications.
pub struct UsageStack {
    // Dropped first: the gateway, then the emulator.
    private: PrivateStack,
    table: String,
    db: DynamoDb,
}

impl UsageStack {
    pub async fn start() -> UsageStack {
        let mut private = PrivateStack::start().await;
        private.serve(&["usage"]).await;
        let stack = private.stack();
        let config = functions_config(stack);
        let table = config["functions"]["usage"]["environment"]["USAGE_TABLE"]
            .as_str()
            .expect("the usage function's USAGE_TABLE")
            .to_owned();
        let db = admin_dynamodb(stack);
        UsageStack { private, table, db }
    }

    pub fn stack(&self) -> &Stack {
        self.private.stack()
    }

    /// The usage table's name.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// An in-process API [`App`] configured as the stack deployed its functions: the
    /// template's usage table and quotas, with `overrides` on top.
    pub fn app(&self, overrides: &[(&str, &str)]) -> App {
        let config = functions_config(self.stack());
        let deployed = &config["functions"]["write-file"]["environment"];
        let mut settings: Vec<(String, String)> =
            ["USAGE_TABLE", "QUOTA_BYTES", "TEAM_QUOTA_BYTES"]
                .iter()
                .filter_map(|name| {
                    deployed[*name]
                        .as_str()
                        .map(|value| ((*name).to_owned(), value.to_owned()))
                })
                .collect();
        for (name, value) in overrides {
            settings.retain(|(k, _)| k != name);
            settings.push(((*name).to_owned(), (*value).to_owned()));
        }
        let pairs: Vec<(&str, &str)> = settings
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.stack().app(&pairs)
    }

    /// Waits until every notification the emulator queued was delivered and every
    /// invocation of the usage function ran, and asserts that none was refused or
    /// failed: what the usage function has counted is then final. Returns how many
    /// invocations the gateway has run so far.
    pub async fn drain(&self) -> usize {
        let (status, body) = post(
            &format!("{}/_homedir/lambda/drain", self.stack().endpoint()),
            &[],
            json!({ "timeout": DRAIN_SECS }).to_string(),
        )
        .await;
        assert_eq!(status, 200, "drain: {body}");
        assert_eq!(body["drained"], true, "nothing left in flight: {body}");
        let (_, deliveries) = get(&format!(
            "{}/_homedir/lambda/deliveries",
            self.stack().endpoint()
        ))
        .await;
        for delivery in deliveries["deliveries"].as_array().expect("deliveries") {
            assert_eq!(
                delivery["status"], "delivered",
                "every notification reaches the usage function: {delivery}"
            );
        }
        let (_, outcomes) = get(&format!(
            "{}/_homedir/async",
            self.private.served().base_url()
        ))
        .await;
        let outcomes = outcomes["invocations"].as_array().expect("invocations");
        for outcome in outcomes {
            assert_eq!(
                outcome["result"], "succeeded",
                "the usage function counted every event: {outcome}"
            );
            assert_eq!(outcome["attempts"], 1, "on the first attempt: {outcome}");
        }
        outcomes.len()
    }

    /// The bucket's lifecycle rules run as if `days` days had passed; the report.
    pub async fn lifecycle(&self, days: u32) -> Value {
        let (status, body) = post(
            &format!("{}/_homedir/s3/lifecycle", self.stack().endpoint()),
            &[],
            json!({ "bucket": self.stack().bucket(), "days": days }).to_string(),
        )
        .await;
        assert_eq!(status, 200, "lifecycle: {body}");
        body
    }

    /// Invokes the usage function with `event` through the gateway's Invoke API
    /// (RequestResponse), as an operator's `aws lambda invoke` would; its answer.
    /// Panics on a function error.
    pub async fn invoke(&self, event: &Value) -> Value {
        let (status, body) = self.invoke_raw(event).await;
        assert_eq!(status, 200, "Invoke: {body}");
        assert!(
            body.get("errorType").is_none(),
            "the usage function failed: {body}"
        );
        body
    }

    /// The same, the answer whatever it is (an error document for a function error).
    pub async fn invoke_raw(&self, event: &Value) -> (u16, Value) {
        post(
            &format!(
                "{}/2015-03-31/functions/usage/invocations",
                self.private.served().base_url()
            ),
            &[("x-amz-invocation-type", "RequestResponse")],
            event.to_string(),
        )
        .await
    }

    /// The total item of the space whose root is `root`, as the table holds it.
    pub async fn total(&self, root: &str) -> Option<Item> {
        self.db
            .get(&self.table, &table::total_key(root))
            .await
            .expect("GetItem of a total")
    }

    /// What the table's total says: (bytes, versions).
    pub async fn counted(&self, root: &str) -> (i64, i64) {
        let totals = table::Totals::from_item(self.total(root).await.as_ref());
        (totals.bytes, totals.versions)
    }

    /// An admin's edit of a total (a drift made on purpose).
    pub async fn corrupt_total(&self, root: &str, bytes: i64, versions: i64) {
        self.db
            .call(
                "UpdateItem",
                &json!({
                    "TableName": self.table,
                    "Key": table::total_key(root).to_json(),
                    "UpdateExpression": "SET #b = :b, #v = :v",
                    "ExpressionAttributeNames": {"#b": "bytes", "#v": "versions"},
                    "ExpressionAttributeValues": {
                        ":b": Attr::n(bytes).to_json(),
                        ":v": Attr::n(versions).to_json(),
                    },
                }),
            )
            .await
            .expect("UpdateItem of a total");
    }

    /// An admin's removal of one version's item (an event the table lost).
    pub async fn forget_version(&self, root: &str, s3_key: &str, version: &str) {
        self.db
            .call(
                "DeleteItem",
                &json!({
                    "TableName": self.table,
                    "Key": table::version_key(root, s3_key, version).to_json(),
                }),
            )
            .await
            .expect("DeleteItem of a version item");
    }

    /// The bookkeeping item listing the spaces over quota (`spaces`, `version`,
    /// `written`).
    pub async fn over_set(&self) -> Item {
        self.db
            .get(&self.table, &table::bookkeeping_key(table::OVER))
            .await
            .expect("GetItem of the over set")
            .unwrap_or_default()
    }
}

/// The stack's `FUNCTIONS_CONFIG`: each function binary's deployed settings.
/// DynamoDB with the emulator's admin key: the tests' view of the stack's tables.
pub fn admin_dynamodb(stack: &Stack) -> DynamoDb {
    DynamoDb::new(
        stack.region(),
        Some(stack.endpoint()),
        Duration::from_secs(10),
        Some(SharedCredentialsProvider::new(Credentials::new(
            ADMIN_ACCESS_KEY,
            "local",
            None,
            None,
            "homedir-tests",
        ))),
        Arc::new(AwsCalls::default()),
    )
}

/// Waits until the emulator delivered everything it queued for the functions (S3's
/// notifications, the CloudTrail rule's events) on any stack, the shared one included.
pub async fn drain_deliveries(stack: &Stack) {
    let (status, body) = post(
        &format!("{}/_homedir/lambda/drain", stack.endpoint()),
        &[],
        json!({ "timeout": DRAIN_SECS }).to_string(),
    )
    .await;
    assert_eq!(status, 200, "drain: {body}");
    assert_eq!(body["drained"], true, "nothing left in flight: {body}");
}

pub fn functions_config(stack: &Stack) -> Value {
    let path = stack.var("FUNCTIONS_CONFIG");
    serde_json::from_slice(&std::fs::read(path).expect("the functions' config"))
        .expect("the functions' config is JSON")
}

/// One record of an S3 notification, as the S3 User Guide's "Event message structure"
/// documents it (what the emulator sends): `name` `ObjectCreated:Put`, …; `size` for a
/// creation. The key is form-encoded as S3 encodes it.
pub fn record(bucket: &str, name: &str, key: &str, version: &str, size: Option<u64>) -> Value {
    let encoded: String = url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
    let mut object = json!({
        "key": encoded,
        "versionId": version,
        "sequencer": "0A1B2C3D4E5F678901",
    });
    if let Some(size) = size {
        object["size"] = json!(size);
        object["eTag"] = json!("0123456789abcdef0123456789abcdef");
    }
    json!({
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2024-01-01T00:00:00.000Z",
        "eventName": name,
        "userIdentity": {"principalId": "AWS:AROAEXAMPLE:CognitoIdentityCredentials"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "usage",
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": "123456789012"}, "arn": format!("arn:aws:s3:::{bucket}")},
            "object": object,
        }
    })
}

/// A notification of `records`.
pub fn notification(records: &[Value]) -> Value {
    json!({ "Records": records })
}

async fn post(url: &str, headers: &[(&str, &str)], body: String) -> (u16, Value) {
    let mut all = vec![("content-type", "application/json")];
    all.extend_from_slice(headers);
    let answer = presigned::send(Method::POST, url, &all, Bytes::from(body)).await;
    (answer.status.as_u16(), parse(&answer.body))
}

async fn get(url: &str) -> (u16, Value) {
    let answer = presigned::send(Method::GET, url, &[], Bytes::new()).await;
    assert!(answer.status.is_success(), "GET {url}: {}", answer.status);
    (answer.status.as_u16(), parse(&answer.body))
}

fn parse(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}
