//! DynamoDB, with the function's own credentials, through its JSON protocol (AWS JSON
//! 1.0: a POST of the request document with `X-Amz-Target:
//! DynamoDB_20120810.<Operation>`), signed by [`super::signed`]: the operations homedir
//! uses (GetItem, UpdateItem, PutItem, Query, TransactWriteItems) without the SDK
//! crate's weight. Requests and answers are the documented JSON documents
//! (<https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/Welcome.html>);
//! [`Item`] reads and writes their typed attribute values.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use aws_credential_types::provider::SharedCredentialsProvider;
use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::calls::AwsCalls;
use super::failure::Failure;
use super::signed::{Answer, Endpoint, Refusal, SignedClient};
use crate::error::{Error, Upstream};

/// A DynamoDB client with the function's own credentials.
pub struct DynamoDb {
    client: SignedClient,
    endpoint: Endpoint,
}

/// Why a DynamoDB call failed.
#[derive(Debug)]
pub enum DbError {
    /// A `ConditionExpression` did not hold (ConditionalCheckFailedException).
    ConditionFailed,
    /// A transaction was cancelled; each entry is the reason code of the action at
    /// that index (`None`, `ConditionalCheckFailed`, `TransactionConflict`, …).
    Cancelled(Vec<String>),
    /// Anything else, boiled down to its code and status.
    Other(Failure),
}

impl DbError {
    /// What the failure means to a caller of the API: throttling and outages are 503s,
    /// the rest an internal error whose code goes to the log.
    pub fn into_error(self, operation: &str) -> Error {
        match self {
            DbError::ConditionFailed => {
                Error::Internal(format!("{operation}: a condition did not hold"))
            }
            DbError::Cancelled(reasons) => Error::Internal(format!(
                "{operation}: the transaction was cancelled ({})",
                reasons.join(",")
            )),
            DbError::Other(failure) => failure.into_error(Upstream::DynamoDb, operation),
        }
    }
}

impl DynamoDb {
    /// A client of `region`'s DynamoDB (or of `endpoint_url`, locally), whose calls
    /// each get `timeout` for all their attempts.
    pub fn new(
        region: &str,
        endpoint_url: Option<&str>,
        timeout: Duration,
        credentials: Option<SharedCredentialsProvider>,
        calls: Arc<AwsCalls>,
    ) -> Self {
        DynamoDb {
            client: SignedClient::new(credentials, calls, timeout),
            endpoint: Endpoint {
                url: endpoint_url.map_or_else(
                    || format!("https://dynamodb.{region}.{}", dns_suffix(region)),
                    str::to_owned,
                ),
                region: region.to_owned(),
                service: "dynamodb",
            },
        }
    }

    /// One call: `operation` with the request document `request`; its answer document.
    pub async fn call(&self, operation: &'static str, request: &Value) -> Result<Value, DbError> {
        let target = format!("DynamoDB_20120810.{operation}");
        let body = Bytes::from(request.to_string());
        let answer = self
            .client
            .post(
                &self.endpoint,
                operation,
                &[
                    ("content-type", "application/x-amz-json-1.0"),
                    ("x-amz-target", &target),
                ],
                body,
                error_code,
            )
            .await
            .map_err(refused)?;
        serde_json::from_slice(&answer.body).map_err(|_| {
            DbError::Other(Failure {
                code: Some("UnreadableAnswer".into()),
                status: Some(answer.status),
                transport: false,
            })
        })
    }

    /// GetItem of `key`, strongly consistent; `None` when there is no such item.
    pub async fn get(&self, table: &str, key: &Item) -> Result<Option<Item>, DbError> {
        let answer = self
            .call(
                "GetItem",
                &json!({"TableName": table, "Key": key.to_json(), "ConsistentRead": true}),
            )
            .await?;
        Ok(answer.get("Item").and_then(Item::from_json))
    }

    /// Every item a Query `request` finds, page after page (`ExclusiveStartKey` from
    /// each answer's `LastEvaluatedKey`).
    pub async fn query(&self, mut request: Value) -> Result<Vec<Item>, DbError> {
        let mut items = Vec::new();
        loop {
            let answer = self.call("Query", &request).await?;
            items.extend(
                answer
                    .get("Items")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Item::from_json),
            );
            match answer.get("LastEvaluatedKey") {
                Some(next) if !next.is_null() => request["ExclusiveStartKey"] = next.clone(),
                _ => return Ok(items),
            }
        }
    }
}

/// The DNS suffix of `region`'s partition: `amazonaws.com`, or `amazonaws.com.cn` in
/// China.
pub fn dns_suffix(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}

/// The error code of a DynamoDB error answer: the part of `__type` after `#`.
fn error_code(answer: &Answer) -> Option<String> {
    let document: Value = serde_json::from_slice(&answer.body).ok()?;
    let kind = document.get("__type")?.as_str()?;
    Some(kind.rsplit('#').next().unwrap_or(kind).to_owned())
}

fn refused(refusal: Refusal) -> DbError {
    match refusal.failure.code() {
        "ConditionalCheckFailedException" => DbError::ConditionFailed,
        "TransactionCanceledException" => {
            let reasons = serde_json::from_slice::<Value>(&refusal.body)
                .ok()
                .and_then(|body| body.get("CancellationReasons").cloned())
                .and_then(|reasons| reasons.as_array().cloned())
                .unwrap_or_default()
                .iter()
                .map(|reason| {
                    reason
                        .get("Code")
                        .and_then(Value::as_str)
                        .unwrap_or("None")
                        .to_owned()
                })
                .collect();
            DbError::Cancelled(reasons)
        }
        _ => DbError::Other(refusal.failure),
    }
}

/// One item: attribute names and their typed values (strings, numbers, string sets,
/// booleans: what homedir stores).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Item(BTreeMap<String, Attr>);

/// A typed attribute value.
#[derive(Debug, Clone, PartialEq)]
pub enum Attr {
    S(String),
    /// A number, kept as DynamoDB's decimal text; homedir's are whole.
    N(String),
    Bool(bool),
    /// A string set (never empty: DynamoDB has no empty sets).
    Ss(Vec<String>),
}

impl Item {
    pub fn new() -> Self {
        Item::default()
    }

    pub fn with(mut self, name: &str, value: Attr) -> Self {
        self.0.insert(name.to_owned(), value);
        self
    }

    pub fn s(&self, name: &str) -> Option<&str> {
        match self.0.get(name) {
            Some(Attr::S(text)) => Some(text),
            _ => None,
        }
    }

    /// A whole number (`None` if absent, not a number, or negative).
    pub fn u64(&self, name: &str) -> Option<u64> {
        self.i64(name).and_then(|n| u64::try_from(n).ok())
    }

    /// A whole number that may be negative (a total that drifted below zero).
    pub fn i64(&self, name: &str) -> Option<i64> {
        match self.0.get(name) {
            Some(Attr::N(text)) => text.parse().ok(),
            _ => None,
        }
    }

    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.0.get(name) {
            Some(Attr::Bool(value)) => Some(*value),
            _ => None,
        }
    }

    pub fn strings(&self, name: &str) -> Vec<String> {
        match self.0.get(name) {
            Some(Attr::Ss(values)) => values.clone(),
            _ => Vec::new(),
        }
    }

    /// The item in DynamoDB's JSON (`{"name": {"S": "…"}}`).
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        for (name, value) in &self.0 {
            map.insert(name.clone(), value.to_json());
        }
        Value::Object(map)
    }

    /// An item from DynamoDB's JSON; attributes of other types are left out.
    pub fn from_json(value: &Value) -> Option<Item> {
        let map = value.as_object()?;
        Some(Item(
            map.iter()
                .filter_map(|(name, value)| Some((name.clone(), Attr::from_json(value)?)))
                .collect(),
        ))
    }
}

impl Attr {
    pub fn n(value: impl std::fmt::Display) -> Attr {
        Attr::N(value.to_string())
    }

    pub fn to_json(&self) -> Value {
        match self {
            Attr::S(text) => json!({ "S": text }),
            Attr::N(text) => json!({ "N": text }),
            Attr::Bool(value) => json!({ "BOOL": value }),
            Attr::Ss(values) => json!({ "SS": values }),
        }
    }

    fn from_json(value: &Value) -> Option<Attr> {
        let (kind, inner) = value.as_object()?.iter().next()?;
        match kind.as_str() {
            "S" => Some(Attr::S(inner.as_str()?.to_owned())),
            "N" => Some(Attr::N(inner.as_str()?.to_owned())),
            "BOOL" => Some(Attr::Bool(inner.as_bool()?)),
            "SS" => Some(Attr::Ss(
                inner
                    .as_array()?
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect(),
            )),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_round_trip_through_dynamodb_json() {
        let item = Item::new()
            .with("space", Attr::S("home/x/".into()))
            .with("bytes", Attr::n(42))
            .with("over", Attr::Bool(true))
            .with("spaces", Attr::Ss(vec!["a".into(), "b".into()]));
        let json = item.to_json();
        assert_eq!(json["bytes"], json!({"N": "42"}));
        let back = Item::from_json(&json).expect("an item");
        assert_eq!(back, item);
        assert_eq!(back.u64("bytes"), Some(42));
        assert_eq!(back.s("space"), Some("home/x/"));
        assert_eq!(back.bool("over"), Some(true));
        assert_eq!(back.strings("spaces"), ["a", "b"]);
        assert_eq!(back.u64("missing"), None);
    }

    #[test]
    fn negative_numbers_are_not_sizes() {
        let item = Item::new().with("bytes", Attr::n(-5));
        assert_eq!(item.u64("bytes"), None);
        assert_eq!(item.i64("bytes"), Some(-5));
    }

    #[test]
    fn error_codes_and_cancellation_reasons_are_read_from_the_answer() {
        let answer = Answer {
            status: 400,
            body: Bytes::from_static(
                br#"{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","message":"x","CancellationReasons":[{"Code":"ConditionalCheckFailed"},{"Code":"None"}]}"#,
            ),
        };
        assert_eq!(
            error_code(&answer).as_deref(),
            Some("TransactionCanceledException")
        );
        let refusal = Refusal {
            failure: Failure {
                code: error_code(&answer),
                status: Some(400),
                transport: false,
            },
            body: answer.body,
        };
        match refused(refusal) {
            DbError::Cancelled(reasons) => assert_eq!(reasons, ["ConditionalCheckFailed", "None"]),
            other => panic!("{other:?}"),
        }
    }
}
