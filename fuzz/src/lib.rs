//! The invariants each fuzz target checks, one function per target. They are the
//! properties of `shared/tests/properties.rs`, on inputs libFuzzer grows instead of
//! inputs proptest generates: every parser answers (a value or its 400) and never
//! panics, and whatever it accepts obeys the documented rule.

// The models of the documented rules: one copy, shared with the property tests.
#[path = "../../shared/tests/models/mod.rs"]
mod models;

use homedir::Error;
use homedir::auth::MAX_IDENTITY_ID_BYTES;
use homedir::http::request::{Query, write_condition};
use homedir::storage::folders::{MAX_FOLDER_CURSOR_BYTES, parse_folder_cursor};
use homedir::storage::keys::{Key, Prefix, VersionId, max_key_bytes};
use homedir::storage::list::{ListRequest, MAX_LIST_CURSOR_BYTES};
use homedir::storage::uploads::plan::{MAX_PART_BYTES, MAX_PARTS, MIN_PART_BYTES, UploadId};
use homedir::storage::versions::{MAX_VERSION_CURSOR_BYTES, VersionCursor};
use homedir::storage::write::WriteCondition;
use homedir::storage::{home_root, key_under, prefix_under, relative_to};
use http::{HeaderMap, HeaderValue};
use models::{
    key_is_valid, model_condition, model_decode, prefix_is_valid, upload_tag_is_valid,
    version_id_is_valid,
};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

const MIB: u64 = 1024 * 1024;
const S3_MAX_KEY_BYTES: usize = 1024;
const HOME_PREFIXES: [&str; 3] = ["home", "h", "users/home-dirs_2"];
const ROUTE_PARAMETERS: [&str; 10] = [
    "key",
    "prefix",
    "delimiter",
    "limit",
    "cursor",
    "versions",
    "deleted",
    "upload_id",
    "from_part",
    "expires",
];

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// The one code each parser's refusal may carry.
fn refused_with(error: &Error, expected: &str) {
    assert_eq!(error.status_and_code().1, expected, "{error:?}");
}

/// Splits the input in two at the first NUL byte.
fn two(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[]),
    }
}

/// `Query::parse` on any text: a 400 or parameters decoded like the model; a value
/// percent-encoded comes back exactly; `+` is a space (the form convention).
pub fn query(data: &[u8]) {
    let raw = text(data);
    match Query::parse(Some(&raw), &ROUTE_PARAMETERS) {
        Ok(query) => {
            if raw.len() <= 8 * 1024 {
                for pair in raw.split('&').filter(|p| !p.is_empty()) {
                    let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                    let name = model_decode(name).expect("an accepted name decodes");
                    let value = model_decode(value).expect("an accepted value decodes");
                    assert_eq!(query.get(&name), Some(value.as_str()));
                }
            }
        }
        Err(error) => refused_with(&error, "invalid_request"),
    }
    // The same text as a value: encoded, it must come back unchanged.
    if raw.len() <= 600 {
        let encoded = format!("key={}", utf8_percent_encode(&raw, NON_ALPHANUMERIC));
        let query = Query::parse(Some(&encoded), &["key"]).expect("an encoded value");
        assert_eq!(query.get("key"), Some(raw.as_str()));
    }
    // Unencoded, it decodes like the model, and every `+` becomes a space.
    let value = raw.replace('&', "");
    if value.len() <= 8 * 1024 - 4 {
        let decoded = Query::parse(Some(&format!("key={value}")), &["key"])
            .ok()
            .and_then(|q| q.get("key").map(str::to_owned));
        assert_eq!(decoded, model_decode(&value), "{value:?}");
        if let Some(decoded) = decoded {
            assert!(decoded.matches(' ').count() >= value.matches('+').count());
        }
    }
}

/// Keys and prefixes: accepted exactly when the rule allows; accepted keys, joined
/// to a root, stay strictly under it, fit S3 and round-trip.
pub fn key_prefix(data: &[u8]) {
    let (selector, rest) = data.split_first().map_or((0, data), |(s, r)| (*s, r));
    let hp = HOME_PREFIXES[usize::from(selector) % HOME_PREFIXES.len()];
    let id = if selector & 0x80 == 0 {
        "eu-west-1:0f8f3d2a-1c2b-4d5e-8f90-a1b2c3d4e5f6".to_owned()
    } else {
        "x".repeat(MAX_IDENTITY_ID_BYTES)
    };
    let raw = text(rest);
    let max = max_key_bytes(hp);
    let root = home_root(hp, &id);
    assert_eq!(root, format!("{hp}/{id}/"));
    let root_segments: Vec<&str> = root.trim_end_matches('/').split('/').collect();

    match Key::parse(&raw, max) {
        Ok(key) => {
            assert!(key_is_valid(&raw, max), "{raw:?} accepted");
            assert_eq!(key.as_str(), raw);
            let s3 = key_under(&root, &key);
            assert!(s3.starts_with(&root) && s3.len() > root.len());
            assert!(s3.len() <= S3_MAX_KEY_BYTES);
            assert_eq!(relative_to(&root, &s3), Some(raw.as_str()));
            let segments: Vec<&str> = s3.split('/').collect();
            assert_eq!(&segments[..root_segments.len()], &root_segments[..]);
            assert!(
                segments[root_segments.len()..]
                    .iter()
                    .all(|s| !matches!(*s, "" | "." | "..")),
                "{s3:?}"
            );
            assert!(Prefix::parse(&raw, max).is_ok(), "a key is a prefix");
        }
        Err(error) => {
            assert!(!key_is_valid(&raw, max), "{raw:?} refused");
            refused_with(&error, "invalid_key");
        }
    }
    match Prefix::parse(&raw, max) {
        Ok(prefix) => {
            assert!(prefix_is_valid(&raw, max), "{raw:?} accepted as a prefix");
            let s3 = prefix_under(&root, &prefix);
            assert!(s3.starts_with(&root));
            assert_eq!(relative_to(&root, &s3), Some(raw.as_str()));
        }
        Err(error) => {
            assert!(!prefix_is_valid(&raw, max), "{raw:?} refused as a prefix");
            refused_with(&error, "invalid_key");
        }
    }
}

/// Version ids and version cursors: the documented shape; a cursor that parses
/// prints back as itself and parses again to the same cursor.
pub fn version(data: &[u8]) {
    let raw = text(data);
    match VersionId::parse(&raw) {
        Ok(id) => {
            assert!(version_id_is_valid(&raw), "{raw:?}");
            assert_eq!(id.as_str(), raw);
        }
        Err(error) => {
            assert!(!version_id_is_valid(&raw), "{raw:?}");
            refused_with(&error, "invalid_request");
        }
    }
    match VersionCursor::parse(&raw) {
        Ok(cursor) => {
            assert!(raw.len() <= MAX_VERSION_CURSOR_BYTES);
            assert_eq!(cursor.text(), raw);
            assert_eq!(VersionCursor::parse(&cursor.text()), Ok(cursor.clone()));
            assert!(!cursor.key.is_empty() && !cursor.key.starts_with('/'));
            assert!(!cursor.key.chars().any(char::is_control));
            assert!(!cursor.version_id.contains(':'));
            assert!(cursor.version_id.is_empty() || version_id_is_valid(&cursor.version_id));
        }
        Err(error) => refused_with(&error, "invalid_request"),
    }
}

/// List cursors (given back to S3 verbatim) and folder-delete cursors (a key under
/// the folder; the listing they restart cannot leave it).
pub fn cursors(data: &[u8]) {
    let (first, second) = two(data);
    let raw = text(data);
    match ListRequest::parse_cursor(&raw) {
        Ok(cursor) => {
            assert_eq!(cursor, raw);
            assert!(!raw.is_empty() && raw.len() <= MAX_LIST_CURSOR_BYTES);
            assert!(!raw.chars().any(char::is_control));
        }
        Err(error) => {
            assert!(
                raw.is_empty()
                    || raw.len() > MAX_LIST_CURSOR_BYTES
                    || raw.chars().any(char::is_control)
            );
            refused_with(&error, "invalid_request");
        }
    }
    let (folder, cursor) = (text(first), text(second));
    let max = max_key_bytes("home");
    let Ok(prefix) = Prefix::parse(&folder, max) else {
        return;
    };
    let root = home_root("home", "eu-west-1:0f8f3d2a-1c2b-4d5e-8f90-a1b2c3d4e5f6");
    match parse_folder_cursor(&prefix, &cursor) {
        Ok(after) => {
            assert_eq!(after, cursor);
            assert!(after.starts_with(prefix.as_str()));
            assert!(after.len() <= MAX_FOLDER_CURSOR_BYTES);
            assert!(!after.chars().any(char::is_control));
            assert!(format!("{root}{after}").starts_with(&prefix_under(&root, &prefix)));
        }
        Err(error) => {
            assert!(
                !cursor.starts_with(prefix.as_str())
                    || cursor.len() > MAX_FOLDER_CURSOR_BYTES
                    || cursor.chars().any(char::is_control)
            );
            refused_with(&error, "invalid_request");
        }
    }
    // Every key under the folder is a cursor the API may hand out.
    if let Ok(key) = Key::parse(&format!("{folder}{cursor}"), max) {
        assert!(parse_folder_cursor(&prefix, key.as_str()).is_ok());
    }
}

/// Upload ids: accepted only with a plan S3 can carry out (whole-MiB parts of
/// 8 MiB–5 GiB, at most 10,000, a size within the limit); printed back, equal.
pub fn upload_id(data: &[u8]) {
    let raw = text(data);
    for max_size in [5 * 1024 * 1024 * MIB, 5 * 1024 * MIB, u64::MAX] {
        match UploadId::parse(&raw, max_size) {
            Ok(id) => {
                let plan = id.plan;
                assert!((MIN_PART_BYTES..=MAX_PART_BYTES).contains(&plan.part_size));
                assert!(plan.part_size.is_multiple_of(MIB));
                assert!(plan.size <= max_size);
                let parts = plan.parts();
                assert!((1..=MAX_PARTS).contains(&parts));
                let last = plan.part_bytes(parts);
                assert!(last <= plan.part_size);
                assert_eq!(u64::from(parts - 1) * plan.part_size + last, plan.size);
                assert!(version_id_is_valid(&id.s3));
                assert!(upload_tag_is_valid(&id.tag));
                assert_eq!(UploadId::parse(&id.to_string(), max_size), Ok(id));
            }
            Err(error) => refused_with(&error, "invalid_request"),
        }
    }
}

/// `If-Match` / `If-None-Match` from any header bytes: the documented condition or
/// a 400. Input: values separated by `\n`, the first byte of each picks the header.
pub fn conditions(data: &[u8]) {
    let mut headers = HeaderMap::new();
    let mut sent: [Vec<&[u8]>; 2] = [Vec::new(), Vec::new()];
    for chunk in data.split(|b| *b == b'\n').take(4) {
        let Some((which, value)) = chunk.split_first() else {
            continue;
        };
        let index = usize::from(which & 1);
        let Ok(value_header) = HeaderValue::from_bytes(value) else {
            continue;
        };
        headers.append(["if-match", "if-none-match"][index], value_header);
        sent[index].push(value);
    }
    let expected = model_condition(&sent[0], &sent[1]);
    let parsed = write_condition(&headers);
    assert_eq!(parsed.as_ref().ok(), expected.as_ref(), "{sent:?}");
    match parsed {
        Ok(condition @ WriteCondition::Matches(_)) => {
            assert!(condition.if_match().is_some() && condition.if_none_match().is_none());
        }
        Ok(condition @ WriteCondition::Absent) => {
            assert_eq!(condition.if_none_match().as_deref(), Some("*"));
            assert!(condition.if_match().is_none());
        }
        Ok(WriteCondition::None) => {}
        Err(error) => refused_with(&error, "invalid_request"),
    }
}
