//! S3 event notifications, read as the changes the tally counts.
//!
//! The bucket notifies the usage function of `s3:ObjectCreated:*`,
//! `s3:ObjectRemoved:*` and `s3:LifecycleExpiration:*` (Amazon S3 User Guide, "Event
//! notification types and destinations" and "Event message structure":
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html>,
//! <https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html>).
//! In a versioned bucket each one names exactly one version:
//!
//! | event | what it means | change |
//! |---|---|---|
//! | `ObjectCreated:Put`, `:Post`, `:Copy`, `:CompleteMultipartUpload` | a new version of `size` bytes | [`Change::Created`] |
//! | `ObjectRemoved:Delete`, `LifecycleExpiration:Delete` | that version is gone for good (deleted by version id, or expired) | [`Change::Removed`] |
//! | `ObjectRemoved:DeleteMarkerCreated`, `LifecycleExpiration:DeleteMarkerCreated` | a delete marker: it holds no data | none |
//!
//! A removal carries no size: the tally finds it in the item the creation wrote (or
//! remembers the removal until the creation comes, when events arrive out of order).
//! Keys are URL-encoded as forms are (`+` for a space).

use percent_encoding::percent_decode_str;
use serde::Deserialize;

/// What one event changes in the count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The version `version` of `key` was stored, `size` bytes.
    Created {
        key: String,
        version: String,
        size: u64,
    },
    /// The version `version` of `key` no longer exists.
    Removed { key: String, version: String },
}

impl Change {
    pub fn key(&self) -> &str {
        match self {
            Change::Created { key, .. } | Change::Removed { key, .. } => key,
        }
    }

    pub fn version(&self) -> &str {
        match self {
            Change::Created { version, .. } | Change::Removed { version, .. } => version,
        }
    }
}

/// One record of a notification, as the tally needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The bucket the event happened in.
    pub bucket: String,
    /// `ObjectCreated:Put`, …
    pub name: String,
    /// What it changes; `None` for a delete marker or an event the tally ignores.
    pub change: Option<Change>,
}

/// `{"Records": [...]}`; S3's test message on configuration has no records.
#[derive(Deserialize)]
struct Notification {
    #[serde(rename = "Records", default)]
    records: Vec<Record>,
}

#[derive(Deserialize)]
struct Record {
    #[serde(rename = "eventSource", default)]
    source: String,
    #[serde(rename = "eventName")]
    name: String,
    s3: Entity,
}

#[derive(Deserialize)]
struct Entity {
    bucket: Bucket,
    object: Object,
}

#[derive(Deserialize)]
struct Bucket {
    name: String,
}

#[derive(Deserialize)]
struct Object {
    key: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(rename = "versionId", default)]
    version_id: Option<String>,
}

/// Whether a JSON document is an S3 notification (it has `Records` from `aws:s3`).
pub fn is_notification(document: &serde_json::Value) -> bool {
    document
        .get("Records")
        .and_then(serde_json::Value::as_array)
        .is_some_and(|records| {
            records
                .iter()
                .any(|r| r.get("eventSource").and_then(|s| s.as_str()) == Some("aws:s3"))
        })
}

/// The events of a notification; `Err` if it is not one S3 would send.
pub fn parse(document: serde_json::Value) -> Result<Vec<Event>, String> {
    let notification: Notification =
        serde_json::from_value(document).map_err(|e| format!("not an S3 notification: {e}"))?;
    notification
        .records
        .into_iter()
        .filter(|record| record.source == "aws:s3")
        .map(|record| {
            let key = decode_key(&record.s3.object.key)?;
            // A bucket that was never versioned names its one version "null".
            let version = record
                .s3
                .object
                .version_id
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| "null".to_owned());
            let (kind, detail) = record.name.split_once(':').unwrap_or((&record.name, ""));
            let change = match (kind, detail) {
                ("ObjectCreated", _) => Some(Change::Created {
                    key,
                    version,
                    size: record.s3.object.size.unwrap_or(0),
                }),
                ("ObjectRemoved" | "LifecycleExpiration", "Delete") => {
                    Some(Change::Removed { key, version })
                }
                _ => None,
            };
            Ok(Event {
                bucket: record.s3.bucket.name,
                name: record.name,
                change,
            })
        })
        .collect()
}

/// An S3 event's key: form-encoded (`+` is a space, `%2B` a plus).
fn decode_key(raw: &str) -> Result<String, String> {
    percent_decode_str(&raw.replace('+', " "))
        .decode_utf8()
        .map(|key| key.into_owned())
        .map_err(|_| "an event's key is not UTF-8 once decoded".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// One record as the S3 User Guide's "Event message structure" shows it.
    pub(crate) fn record(
        name: &str,
        key: &str,
        size: Option<u64>,
        version: &str,
    ) -> serde_json::Value {
        let mut object = json!({
            "key": key,
            "eTag": "0123456789abcdef0123456789abcdef",
            "versionId": version,
            "sequencer": "0A1B2C3D4E5F678901"
        });
        if let Some(size) = size {
            object["size"] = json!(size);
        }
        json!({
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": "us-east-1",
            "eventTime": "2024-01-01T00:00:00.000Z",
            "eventName": name,
            "userIdentity": {"principalId": "AWS:AROAEXAMPLE:CognitoIdentityCredentials"},
            "requestParameters": {"sourceIPAddress": "192.0.2.1"},
            "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8"},
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "usage",
                "bucket": {"name": "homes", "ownerIdentity": {"principalId": "A3NL1KOZZKExample"}, "arn": "arn:aws:s3:::homes"},
                "object": object
            }
        })
    }

    #[test]
    fn creations_removals_and_markers_are_told_apart() {
        let document = json!({"Records": [
            record("ObjectCreated:Put", "home/a/f.txt", Some(5), "v1"),
            record("ObjectCreated:CompleteMultipartUpload", "home/a/big", Some(9), "v2"),
            record("ObjectCreated:Copy", "home/a/copy", Some(5), "v3"),
            record("ObjectRemoved:DeleteMarkerCreated", "home/a/f.txt", None, "m1"),
            record("ObjectRemoved:Delete", "home/a/f.txt", None, "v1"),
            record("LifecycleExpiration:Delete", "home/a/big", None, "v2"),
            record("LifecycleExpiration:DeleteMarkerCreated", "home/a/copy", None, "m2"),
        ]});
        assert!(is_notification(&document));
        let changes: Vec<Option<Change>> = parse(document)
            .expect("parses")
            .into_iter()
            .map(|event| event.change)
            .collect();
        let created = |key: &str, version: &str, size| {
            Some(Change::Created {
                key: key.into(),
                version: version.into(),
                size,
            })
        };
        let removed = |key: &str, version: &str| {
            Some(Change::Removed {
                key: key.into(),
                version: version.into(),
            })
        };
        assert_eq!(
            changes,
            [
                created("home/a/f.txt", "v1", 5),
                created("home/a/big", "v2", 9),
                created("home/a/copy", "v3", 5),
                None,
                removed("home/a/f.txt", "v1"),
                removed("home/a/big", "v2"),
                None,
            ]
        );
    }

    #[test]
    fn keys_are_form_decoded() {
        let events = parse(json!({"Records": [
            record("ObjectCreated:Put", "home/a/red+flower%2B1%3A%C3%A9.jpg", Some(1), "v")
        ]}))
        .expect("parses");
        assert_eq!(
            events[0].change.as_ref().map(Change::key),
            Some("home/a/red flower+1:é.jpg")
        );
        assert_eq!(events[0].bucket, "homes");
    }

    #[test]
    fn the_test_message_and_other_sources_change_nothing() {
        let test_event = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2024-01-01T00:00:00.000Z", "Bucket": "homes", "RequestId": "x", "HostId": "y"});
        assert!(!is_notification(&test_event));
        assert_eq!(parse(test_event), Ok(vec![]));
        let mut other = record("ObjectCreated:Put", "home/a/f", Some(1), "v");
        other["eventSource"] = json!("aws:sqs");
        assert_eq!(parse(json!({"Records": [other]})), Ok(vec![]));
        assert!(parse(json!({"Records": [{"eventName": "x"}]})).is_err());
    }
}
