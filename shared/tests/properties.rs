//! Property tests of every parser that reads client input: query decoding, key and
//! prefix validation, version ids, the three cursors, upload ids and the conditional
//! headers. Each property is checked on generated inputs (proptest's default 256
//! cases) against an independent model of the documented rule, so a parser that
//! accepts one input too many or refuses one too few fails here. They need no stack:
//! `cargo nextest run -p homedir --test properties`. `fuzz/` runs the same
//! invariants under cargo-fuzz.

use std::collections::BTreeMap;

use http::{HeaderMap, HeaderValue};
use percent_encoding::{AsciiSet, CONTROLS, NON_ALPHANUMERIC, utf8_percent_encode};
use proptest::prelude::*;

mod models;

use homedir::Error;
use homedir::auth::MAX_IDENTITY_ID_BYTES;
use homedir::http::request::{Query, header_text, write_condition};
use homedir::storage::folders::{MAX_FOLDER_CURSOR_BYTES, parse_folder_cursor};
use homedir::storage::keys::{Key, Prefix, VersionId, max_key_bytes};
use homedir::storage::list::{ListRequest, MAX_LIST_CURSOR_BYTES};
use homedir::storage::uploads::plan::{MAX_PART_BYTES, MAX_PARTS, MIN_PART_BYTES, Plan, UploadId};
use homedir::storage::versions::{MAX_VERSION_CURSOR_BYTES, VersionCursor};
use homedir::storage::write::WriteCondition;
use homedir::storage::{home_root, key_under, prefix_under, relative_to};
use models::{
    key_is_valid, model_condition, model_decode, prefix_is_valid, upload_tag_is_valid,
    version_id_is_valid,
};

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;
const TIB: u64 = 1024 * GIB;
/// The longest S3 key.
const S3_MAX_KEY_BYTES: usize = 1024;
/// The longest query string `Query::parse` takes.
const MAX_QUERY_BYTES: usize = 8 * 1024;

// ---------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------

/// A `HOME_PREFIX` the configuration accepts (`^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$`).
fn home_prefix() -> impl Strategy<Value = String> {
    "[A-Za-z0-9_-]{1,12}(/[A-Za-z0-9_-]{1,12}){0,3}"
}

/// An Identity ID as Cognito issues them (`<region>:<uuid>`), or the longest one the
/// API allows.
fn identity_id() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{2}-[a-z]{4,9}-[1-9]:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        Just("x".repeat(MAX_IDENTITY_ID_BYTES)),
    ]
}

/// One character of a key, biased towards the ones parsers get wrong.
fn key_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::char::range('a', 'z'),
        2 => prop::sample::select(vec![
            '.', '%', '+', ' ', '?', '#', '&', '=', ':', '\\', '~', '*', '"', '\'', '<', '>',
        ]),
        1 => prop::sample::select(vec!['é', '日', '🎉', '\u{200b}', '\u{feff}', '\u{fffd}']),
        1 => any::<char>().prop_filter("not a control character", |c| !c.is_control()),
    ]
}

/// A segment with no `/` and no control character, possibly `.` or `..` or empty.
fn raw_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => prop::collection::vec(key_char().prop_filter("no /", |c| *c != '/'), 1..12)
            .prop_map(|chars| chars.into_iter().collect::<String>()),
        1 => Just(String::new()),
        1 => Just(".".to_owned()),
        1 => Just("..".to_owned()),
        1 => Just("...".to_owned()),
    ]
}

/// A segment a key may hold: not empty, not `.`, not `..`.
fn good_segment() -> impl Strategy<Value = String> {
    raw_segment().prop_filter("a real name", |s| !matches!(s.as_str(), "" | "." | ".."))
}

fn good_key() -> impl Strategy<Value = String> {
    prop::collection::vec(good_segment(), 1..6).prop_map(|segments| segments.join("/"))
}

/// Strings that look like keys: segments of every kind, sometimes a leading or
/// trailing `/`, sometimes a control character.
fn key_like() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(raw_segment(), 0..6),
        any::<bool>(),
        any::<bool>(),
        prop::option::weighted(0.15, (any::<prop::sample::Index>(), control_char())),
    )
        .prop_map(|(segments, lead, trail, control)| {
            let mut s = segments.join("/");
            if lead {
                s.insert(0, '/');
            }
            if trail {
                s.push('/');
            }
            if let Some((at, c)) = control {
                let chars: Vec<char> = s.chars().collect();
                let at = if chars.is_empty() {
                    0
                } else {
                    at.index(chars.len() + 1)
                };
                let mut chars = chars;
                chars.insert(at, c);
                s = chars.into_iter().collect();
            }
            s
        })
}

/// Every control character (`char::is_control`: C0, DEL and C1).
fn control_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::char::range('\u{0}', '\u{1f}'),
        Just('\u{7f}'),
        prop::char::range('\u{80}', '\u{9f}'),
    ]
}

/// An S3-style opaque id: URL-safe visible ASCII.
fn s3_token(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+=._-~"
                .iter()
                .map(|b| char::from(*b))
                .collect::<Vec<_>>(),
        ),
        1..=max,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

/// Text of arbitrary bytes, as the runtime could hand it over (lossily decoded).
fn lossy_text() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<u8>(), 0..256)
        .prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

// ---------------------------------------------------------------------------------
// Helpers (the models of the documented rules are in `models/`, shared with fuzz/)
// ---------------------------------------------------------------------------------

fn code(error: &Error) -> &'static str {
    error.status_and_code().1
}

/// Percent-encodes only what the query syntax itself needs (`%`, `&`, and `+`, which
/// the form convention reads as a space), plus the bytes an HTTP request line cannot
/// carry; `=`, `/`, `?` stay as they are.
const MINIMAL: &AsciiSet = &CONTROLS.add(b' ').add(b'%').add(b'&').add(b'#').add(b'+');

const KEY: &[&str] = &["key"];

fn key_param(raw_query: &str) -> Result<String, Error> {
    Query::parse(Some(raw_query), KEY).and_then(|q| q.require("key").map(str::to_owned))
}

// ---------------------------------------------------------------------------------
// Keys, prefixes and the home root
// ---------------------------------------------------------------------------------

proptest! {
    /// The parser accepts exactly the keys the documented rule allows.
    #[test]
    fn key_parse_is_the_documented_rule(raw in key_like(), hp in home_prefix()) {
        let max = max_key_bytes(&hp);
        let parsed = Key::parse(&raw, max);
        prop_assert_eq!(parsed.is_ok(), key_is_valid(&raw, max), "{:?}", raw);
        match parsed {
            Ok(key) => prop_assert_eq!(key.as_str(), raw.as_str()),
            Err(error) => prop_assert_eq!(code(&error), "invalid_key"),
        }
    }

    /// Every accepted key, joined to a caller's root the way `Homes::open` and
    /// `Home::object_key` join it, stays strictly under that root (as text and as a
    /// path: no segment a path normalisation could resolve), fits S3, and the
    /// listing's inverse gives the key back exactly.
    #[test]
    fn accepted_keys_stay_under_the_root_and_round_trip(
        raw in prop_oneof![good_key(), key_like()],
        hp in home_prefix(),
        id in identity_id(),
    ) {
        let Ok(key) = Key::parse(&raw, max_key_bytes(&hp)) else {
            return Ok(());
        };
        let root = home_root(&hp, &id);
        prop_assert_eq!(&root, &format!("{hp}/{id}/"));
        let s3 = key_under(&root, &key);
        prop_assert!(s3.starts_with(&root) && s3.len() > root.len());
        prop_assert!(s3.len() <= S3_MAX_KEY_BYTES, "{} bytes", s3.len());
        prop_assert_eq!(relative_to(&root, &s3), Some(raw.as_str()));
        let root_segments: Vec<&str> = root.trim_end_matches('/').split('/').collect();
        let segments: Vec<&str> = s3.split('/').collect();
        prop_assert_eq!(&segments[..root_segments.len()], &root_segments[..]);
        for segment in &segments[root_segments.len()..] {
            prop_assert!(!matches!(*segment, "" | "." | ".."), "{:?}", s3);
        }
    }

    /// Two different keys never share an S3 key, in one home or across two.
    #[test]
    fn distinct_keys_or_callers_never_alias(
        a in good_key(), b in good_key(), hp in home_prefix(), id1 in identity_id(), id2 in identity_id(),
    ) {
        let max = max_key_bytes(&hp);
        let (Ok(ka), Ok(kb)) = (Key::parse(&a, max), Key::parse(&b, max)) else {
            return Ok(());
        };
        let (r1, r2) = (home_root(&hp, &id1), home_root(&hp, &id2));
        prop_assert_eq!(key_under(&r1, &ka) == key_under(&r2, &kb), a == b && id1 == id2);
        // No key of one caller lies under another caller's root.
        if id1 != id2 {
            prop_assert!(!key_under(&r1, &ka).starts_with(&r2));
        }
    }

    /// A key with an empty, `.` or `..` segment anywhere is refused.
    #[test]
    fn keys_with_a_dot_or_empty_segment_are_refused(
        mut segments in prop::collection::vec(good_segment(), 0..5),
        bad in prop::sample::select(vec!["", ".", ".."]),
        at in any::<prop::sample::Index>(),
    ) {
        let at = at.index(segments.len() + 1);
        segments.insert(at, bad.to_owned());
        let raw = segments.join("/");
        let error = Key::parse(&raw, 10_000).expect_err(&raw);
        prop_assert_eq!(code(&error), "invalid_key");
        // `a/` and `a/..`, trailing forms included.
        let trailing = format!("{raw}/");
        prop_assert!(Key::parse(&trailing, 10_000).is_err());
    }

    /// A key with a control character anywhere is refused, also as a prefix.
    #[test]
    fn keys_with_a_control_character_are_refused(
        key in good_key(), c in control_char(), at in any::<prop::sample::Index>(),
    ) {
        let mut chars: Vec<char> = key.chars().collect();
        chars.insert(at.index(chars.len() + 1), c);
        let raw: String = chars.into_iter().collect();
        prop_assert_eq!(code(&Key::parse(&raw, 10_000).expect_err(&raw)), "invalid_key");
        prop_assert!(Prefix::parse(&raw, 10_000).is_err());
    }

    /// The parser accepts exactly the prefixes the rule allows; an accepted prefix
    /// joined to a root stays under it, and every key the prefix names starts with it
    /// once both are joined (a listing finds it).
    #[test]
    fn prefix_parse_is_the_documented_rule(
        raw in key_like(), key in good_key(), hp in home_prefix(), id in identity_id(),
    ) {
        let max = max_key_bytes(&hp);
        let parsed = Prefix::parse(&raw, max);
        prop_assert_eq!(parsed.is_ok(), prefix_is_valid(&raw, max), "{:?}", raw);
        let root = home_root(&hp, &id);
        if let Ok(prefix) = parsed {
            prop_assert_eq!(prefix.as_str(), raw.as_str());
            let s3 = prefix_under(&root, &prefix);
            prop_assert!(s3.starts_with(&root));
            prop_assert_eq!(relative_to(&root, &s3), Some(raw.as_str()));
            let under = format!("{raw}{key}");
            if let Ok(k) = Key::parse(&under, max) {
                prop_assert!(key_under(&root, &k).starts_with(&s3));
            }
        }
        // Every key is a prefix, and so is the folder it names.
        if let Ok(k) = Key::parse(&key, max) {
            prop_assert!(Prefix::parse(k.as_str(), max).is_ok());
            if key.len() < max {
                let folder = format!("{key}/");
                prop_assert!(Prefix::parse(&folder, max).is_ok());
            }
        }
    }

    /// The length limit holds at the byte, whatever the characters' widths: a key of
    /// exactly `max_key_bytes` is accepted and fills S3's 1,024 bytes exactly under
    /// the longest root; one byte more is refused.
    #[test]
    fn the_key_length_limit_is_exact(
        hp in home_prefix(), fill in prop::sample::select(vec!['k', 'é', '日', '🎉']),
    ) {
        let max = max_key_bytes(&hp);
        let wide = fill.len_utf8();
        let at_limit = format!("{}{}", fill.to_string().repeat(max / wide), "a".repeat(max % wide));
        prop_assert_eq!(at_limit.len(), max);
        let over = format!("{at_limit}b");
        let key = Key::parse(&at_limit, max).expect("a key of exactly the limit");
        prop_assert!(Prefix::parse(&at_limit, max).is_ok());
        prop_assert_eq!(code(&Key::parse(&over, max).expect_err("one byte over")), "invalid_key");
        prop_assert!(Prefix::parse(&over, max).is_err());
        let longest_root = home_root(&hp, &"x".repeat(MAX_IDENTITY_ID_BYTES));
        prop_assert_eq!(key_under(&longest_root, &key).len(), S3_MAX_KEY_BYTES);
    }

    /// Version ids: exactly 1–1024 visible ASCII characters without `/`.
    #[test]
    fn version_ids_are_the_documented_shape(
        raw in prop_oneof![s3_token(40), lossy_text(), "[ -~]{0,8}"],
    ) {
        let parsed = VersionId::parse(&raw);
        prop_assert_eq!(parsed.is_ok(), version_id_is_valid(&raw), "{:?}", raw);
        if let Ok(v) = parsed {
            prop_assert_eq!(v.as_str(), raw.as_str());
        }
    }
}

#[test]
fn the_version_id_length_limit_is_exact() {
    assert!(VersionId::parse(&"v".repeat(1024)).is_ok());
    assert!(VersionId::parse(&"v".repeat(1025)).is_err());
}

// ---------------------------------------------------------------------------------
// Query decoding
// ---------------------------------------------------------------------------------

proptest! {
    /// Whatever bytes arrive, parsing answers (a query or a 400) and never panics.
    #[test]
    fn query_parsing_never_panics(raw in lossy_text(), any_text in ".{0,64}") {
        for raw in [raw.as_str(), any_text.as_str()] {
            for allowed in [&[][..], KEY, &["key", "prefix", "cursor", "limit", "versions"][..]] {
                if let Err(error) = Query::parse(Some(raw), allowed) {
                    prop_assert_eq!(code(&error), "invalid_request");
                }
            }
        }
    }

    /// A value is decoded exactly as RFC 3986 percent-decoding once would (malformed
    /// escapes and non-UTF-8 results refused); `+` is never a space.
    #[test]
    fn values_decode_like_the_model(
        value in prop::collection::vec(
            prop_oneof![
                "[a-z+=/ ]",
                "%[0-9A-Fa-f]{2}",
                "%[0-9A-Za-z%]{0,2}",
                "%[CEce][0-9A-Fa-f]%[89ABab][0-9A-Fa-f]",
            ],
            0..12,
        ).prop_map(|parts| parts.concat()),
    ) {
        let decoded = key_param(&format!("key={value}"));
        let model = model_decode(&value);
        prop_assert_eq!(decoded.as_ref().ok(), model.as_ref(), "{:?}", value);
        if let Err(error) = decoded {
            prop_assert_eq!(code(&error), "invalid_request");
        }
        if let Some(decoded) = model {
            let pluses = value.matches('+').count();
            prop_assert!(decoded.matches(' ').count() >= pluses, "+ turned into something but a space");
        }
    }

    /// percent-encode(k) → parse → k, for any text, whether the client encodes every
    /// non-alphanumeric byte or only what the syntax needs; through `http::Uri` too,
    /// which is how the runtime hands the query over.
    #[test]
    fn percent_encoding_round_trips(k in any::<String>(), also in "[a-z]{0,8}") {
        let full = utf8_percent_encode(&k, NON_ALPHANUMERIC).to_string();
        let minimal = utf8_percent_encode(&k, MINIMAL).to_string();
        for encoded in [&full, &minimal] {
            prop_assert_eq!(key_param(&format!("key={encoded}")).ok(), Some(k.clone()));
        }
        let uri: http::Uri = format!("/list/?prefix={also}&key={full}").parse().expect("a URI");
        let query = Query::parse(uri.query(), &["key", "prefix"]).expect("valid");
        prop_assert_eq!(query.get("key"), Some(k.as_str()));
        prop_assert_eq!(query.get("prefix"), Some(also.as_str()));
    }

    /// As docs/api.md documents, the form convention every mainstream client uses:
    /// `+` and `%20` are a space, `%2B` (or `%2b`) is a plus sign.
    #[test]
    fn plus_and_percent_20_are_a_space_percent_2b_a_plus(a in any::<String>(), b in any::<String>()) {
        let (ea, eb) = (
            utf8_percent_encode(&a, NON_ALPHANUMERIC).to_string(),
            utf8_percent_encode(&b, NON_ALPHANUMERIC).to_string(),
        );
        let space = format!("{a} {b}");
        let plus = format!("{a}+{b}");
        prop_assert_eq!(key_param(&format!("key={ea}+{eb}")).ok(), Some(space.clone()));
        prop_assert_eq!(key_param(&format!("key={ea}%20{eb}")).ok(), Some(space));
        prop_assert_eq!(key_param(&format!("key={ea}%2B{eb}")).ok(), Some(plus.clone()));
        prop_assert_eq!(key_param(&format!("key={ea}%2b{eb}")).ok(), Some(plus.clone()));
        prop_assert_ne!(key_param(&format!("key={ea}+{eb}")).ok(), Some(plus));
    }

    /// Several parameters in any order, with stray `&`s, give back exactly the map
    /// encoded; a repeated or unknown name is refused.
    #[test]
    fn parameters_round_trip_and_repeats_are_refused(
        params in prop::collection::btree_map(
            prop::sample::select(vec!["key", "prefix", "cursor", "limit"]),
            any::<String>(),
            0..4,
        ),
        order in any::<prop::sample::Index>(),
        strays in 0usize..3,
        unknown in "[A-Z][a-z]{0,6}",
    ) {
        let allowed = ["key", "prefix", "cursor", "limit"];
        let mut pairs: Vec<String> = params
            .iter()
            .map(|(name, value)| format!("{name}={}", utf8_percent_encode(value, NON_ALPHANUMERIC)))
            .collect();
        if !pairs.is_empty() {
            let by = order.index(pairs.len());
            pairs.rotate_left(by);
        }
        let raw = format!("{}{}", "&".repeat(strays), pairs.join("&"));
        let query = Query::parse(Some(&raw), &allowed).expect("a valid query");
        let got: BTreeMap<&str, &str> = allowed
            .iter()
            .filter_map(|name| query.get(name).map(|v| (*name, v)))
            .collect();
        let want: BTreeMap<&str, &str> =
            params.iter().map(|(n, v)| (*n, v.as_str())).collect();
        prop_assert_eq!(got, want);
        if let Some(first) = pairs.first() {
            let repeated = format!("{raw}&{first}");
            prop_assert_eq!(code(&Query::parse(Some(&repeated), &allowed).expect_err("repeat")), "invalid_request");
        }
        let with_unknown = format!("{raw}&{unknown}=1");
        prop_assert!(Query::parse(Some(&with_unknown), &allowed).is_err());
    }
}

#[test]
fn the_query_length_limit_is_exact() {
    let at_limit = format!("key={}", "a".repeat(MAX_QUERY_BYTES - 4));
    assert_eq!(at_limit.len(), MAX_QUERY_BYTES);
    assert!(key_param(&at_limit).is_ok());
    assert!(key_param(&format!("{at_limit}a")).is_err());
}

// ---------------------------------------------------------------------------------
// Cursors
// ---------------------------------------------------------------------------------

proptest! {
    /// A list cursor (S3's continuation token) is given back to S3 exactly as issued;
    /// anything empty, too long or with a control character is refused.
    #[test]
    fn list_cursors_round_trip_and_refuse_garbage(
        token in s3_token(300), garbage in prop_oneof![lossy_text(), key_like()],
    ) {
        prop_assert_eq!(ListRequest::parse_cursor(&token).ok(), Some(token.clone()));
        let parsed = ListRequest::parse_cursor(&garbage);
        let valid = !garbage.is_empty()
            && garbage.len() <= MAX_LIST_CURSOR_BYTES
            && !garbage.chars().any(char::is_control);
        prop_assert_eq!(parsed.is_ok(), valid);
        match parsed {
            Ok(cursor) => prop_assert_eq!(cursor, garbage),
            Err(error) => prop_assert_eq!(code(&error), "invalid_request"),
        }
    }

    /// A version cursor built from a key and a version id (S3's never hold `:`, or
    /// none at all) survives text → parse unchanged; whatever text parses prints back
    /// as itself.
    #[test]
    fn version_cursors_round_trip(
        key in prop_oneof![good_key(), "[a-z:]{1,20}"],
        version_id in prop_oneof![Just(String::new()), s3_token(64), "[a-z0-9.]{1,8}(\\+[a-z]{1,4})?"],
        garbage in prop_oneof![lossy_text(), "[a-z:/]{0,12}", "[ -~]{0,16}"],
    ) {
        let cursor = VersionCursor { key, version_id };
        prop_assert_eq!(VersionCursor::parse(&cursor.text()), Ok(cursor));
        match VersionCursor::parse(&garbage) {
            Ok(parsed) => {
                prop_assert_eq!(parsed.text(), garbage);
                prop_assert!(!parsed.key.is_empty() && !parsed.key.starts_with('/'));
                prop_assert!(!parsed.key.chars().any(char::is_control));
                prop_assert!(!parsed.version_id.contains(':'));
                prop_assert!(parsed.version_id.is_empty() || VersionId::parse(&parsed.version_id).is_ok());
            }
            Err(error) => prop_assert_eq!(code(&error), "invalid_request"),
        }
    }

    /// A folder-delete cursor is the last key deleted: every key under the folder is
    /// accepted as one, and an accepted cursor, joined to the root, starts under the
    /// folder's S3 prefix (the listing it restarts cannot leave the folder).
    #[test]
    fn folder_cursors_stay_under_the_folder(
        folder in good_key(),
        rest in good_key(),
        garbage in prop_oneof![lossy_text(), key_like()],
        hp in home_prefix(),
        id in identity_id(),
    ) {
        let max = max_key_bytes(&hp);
        let Ok(prefix) = Prefix::parse(&format!("{folder}/"), max) else {
            return Ok(());
        };
        let root = home_root(&hp, &id);
        let issued = format!("{folder}/{rest}");
        if let Ok(key) = Key::parse(&issued, max) {
            prop_assert_eq!(parse_folder_cursor(&prefix, key.as_str()).ok(), Some(issued.as_str()));
        }
        for raw in [garbage.as_str(), issued.as_str()] {
            match parse_folder_cursor(&prefix, raw) {
                Ok(cursor) => {
                    prop_assert_eq!(cursor, raw);
                    prop_assert!(cursor.len() <= MAX_FOLDER_CURSOR_BYTES);
                    prop_assert!(!cursor.chars().any(char::is_control));
                    let start_after = format!("{root}{cursor}");
                    prop_assert!(start_after.starts_with(&prefix_under(&root, &prefix)));
                }
                Err(error) => {
                    prop_assert!(
                        !raw.starts_with(prefix.as_str())
                            || raw.len() > MAX_FOLDER_CURSOR_BYTES
                            || raw.chars().any(char::is_control)
                    );
                    prop_assert_eq!(code(&error), "invalid_request");
                }
            }
        }
    }
}

#[test]
fn cursor_length_limits_are_exact() {
    assert!(ListRequest::parse_cursor(&"c".repeat(MAX_LIST_CURSOR_BYTES)).is_ok());
    assert!(ListRequest::parse_cursor(&"c".repeat(MAX_LIST_CURSOR_BYTES + 1)).is_err());
    let version = format!("v:{}", "k".repeat(MAX_VERSION_CURSOR_BYTES - 2));
    assert_eq!(version.len(), MAX_VERSION_CURSOR_BYTES);
    assert!(VersionCursor::parse(&version).is_ok());
    assert!(VersionCursor::parse(&format!("{version}k")).is_err());
    let prefix = Prefix::parse("d/", 1000).expect("a folder");
    let folder = format!("d/{}", "k".repeat(MAX_FOLDER_CURSOR_BYTES - 2));
    assert!(parse_folder_cursor(&prefix, &folder).is_ok());
    assert!(parse_folder_cursor(&prefix, &format!("{folder}k")).is_err());
    assert!(parse_folder_cursor(&prefix, "d/a\u{1}b").is_err());
}

// ---------------------------------------------------------------------------------
// Upload ids
// ---------------------------------------------------------------------------------

/// The plan rule: whole-MiB parts of 8 MiB–5 GiB, at most 10,000 of them, a size
/// within the configured maximum.
fn plan_is_valid(size: u64, part_size: u64, max_size: u64) -> bool {
    (MIN_PART_BYTES..=MAX_PART_BYTES).contains(&part_size)
        && part_size.is_multiple_of(MIB)
        && size.div_ceil(part_size) <= u64::from(MAX_PARTS)
        && size <= max_size
}

/// Numbers near every boundary of the plan rule, and some anywhere.
fn plan_number() -> impl Strategy<Value = u64> {
    prop_oneof![
        any::<u64>(),
        0..=16 * MIB,
        prop::sample::select(vec![
            MIN_PART_BYTES - MIB,
            MIN_PART_BYTES,
            MIN_PART_BYTES + 1,
            MAX_PART_BYTES,
            MAX_PART_BYTES + MIB,
            u64::from(MAX_PARTS) * MIN_PART_BYTES,
            u64::from(MAX_PARTS) * MIN_PART_BYTES + 1,
            5 * TIB,
            u64::MAX,
        ]),
        (1u64..=5 * 1024).prop_map(|n| n * MIB),
    ]
}

proptest! {
    /// Every upload id the API issues (a plan for a size within the limit and S3's id)
    /// parses back to itself; a plan is one part of the size it covers.
    #[test]
    fn issued_upload_ids_round_trip(size in 0..=5 * TIB, tag in "[0-9a-f]{32}", s3 in s3_token(200)) {
        let id = UploadId { plan: Plan::for_size(size), tag, s3 };
        prop_assert_eq!(UploadId::parse(&id.to_string(), 5 * TIB), Ok(id.clone()));
        let plan = id.plan;
        prop_assert!(plan.parts() <= MAX_PARTS);
        let last = plan.parts();
        prop_assert_eq!(u64::from(last - 1) * plan.part_size + plan.part_bytes(last), size);
        prop_assert!(plan.part_bytes(last) <= plan.part_size);
    }

    /// The parser accepts exactly the plans the rule allows, with a tag of 32 lowercase
    /// hex digits and an S3 id of visible ASCII without `/`; whatever it accepts prints
    /// back to an equal id. (Whether the tag is right is the key's to say: see the
    /// unit tests of `UploadKey` and the integration tests of forged plans.)
    #[test]
    fn upload_ids_are_refused_unless_the_plan_holds(
        size in plan_number(),
        part_size in plan_number(),
        max_size in prop_oneof![Just(5 * TIB), Just(5 * GIB), 0..=u64::MAX],
        tag in prop_oneof!["[0-9a-f]{32}", "[0-9a-fA-F]{30,33}", "[ -~]{0,34}"],
        s3 in prop_oneof![s3_token(40), "[ -~]{0,6}"],
        garbage in prop_oneof![lossy_text(), "[0-9.]{0,30}[a-z]{0,3}"],
    ) {
        let raw = format!("{size}.{part_size}.{tag}.{s3}");
        let s3_ok = version_id_is_valid(&s3);
        let tag_ok = upload_tag_is_valid(&tag);
        let parsed = UploadId::parse(&raw, max_size);
        prop_assert_eq!(parsed.is_ok(), tag_ok && s3_ok && plan_is_valid(size, part_size, max_size), "{}", raw);
        if let Ok(id) = parsed {
            prop_assert_eq!((id.plan.size, id.plan.part_size, id.tag.as_str(), id.s3.as_str()), (size, part_size, tag.as_str(), s3.as_str()));
            prop_assert!(id.plan.parts() <= MAX_PARTS);
        }
        match UploadId::parse(&garbage, max_size) {
            Ok(id) => prop_assert_eq!(UploadId::parse(&id.to_string(), max_size), Ok(id)),
            Err(error) => prop_assert_eq!(code(&error), "invalid_request"),
        }
    }
}

#[test]
fn upload_id_limits_are_exact() {
    let max = 5 * TIB;
    const T: &str = "0123456789abcdef0123456789abcdef";
    let ok = |size: u64, part: u64| UploadId::parse(&format!("{size}.{part}.{T}.id"), max).is_ok();
    assert!(ok(0, MIN_PART_BYTES));
    assert!(!ok(0, MIN_PART_BYTES - MIB));
    assert!(ok(1, MAX_PART_BYTES));
    assert!(!ok(1, MAX_PART_BYTES + MIB));
    assert!(!ok(1, MIN_PART_BYTES + 1));
    let most = u64::from(MAX_PARTS) * MIN_PART_BYTES;
    assert!(ok(most, MIN_PART_BYTES));
    assert!(!ok(most + 1, MIN_PART_BYTES));
    assert!(ok(max, Plan::for_size(max).part_size));
    assert!(!ok(max + 1, Plan::for_size(max + 1).part_size));
    assert!(UploadId::parse(&format!("1.{MIN_PART_BYTES}.{T}.{}", "i".repeat(1024)), max).is_ok());
    assert!(UploadId::parse(&format!("1.{MIN_PART_BYTES}.{T}.{}", "i".repeat(1025)), max).is_err());
    // 20 digits is u64's width; a 21st (leading zero) is refused, not wrapped.
    assert!(UploadId::parse(&format!("{:020}.{MIN_PART_BYTES}.{T}.id", 1), max).is_ok());
    assert!(UploadId::parse(&format!("{:021}.{MIN_PART_BYTES}.{T}.id", 1), max).is_err());
    assert!(UploadId::parse(&format!("18446744073709551616.8388608.{T}.id"), u64::MAX).is_err());
}

// ---------------------------------------------------------------------------------
// Conditional headers
// ---------------------------------------------------------------------------------

/// A header value: visible ASCII, spaces and tabs, sometimes bytes above 0x7f.
fn header_bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        3 => "[ -~\t]{0,12}".prop_map(String::into_bytes),
        2 => prop::sample::select(vec!["*", " * ", "\"abc\"", "W/\"x\"", "", "  ", "*,*", "A\ta", "\t*\t", "\"a\"\t"])
            .prop_map(|s| s.as_bytes().to_vec()),
        1 => prop::collection::vec(any::<u8>(), 0..12),
    ]
}

proptest! {
    /// `If-Match` / `If-None-Match` become exactly the condition the rule says, or a
    /// 400; S3 then gets the matching header and nothing else.
    #[test]
    fn conditional_headers_follow_the_rule(
        if_match in prop::collection::vec(header_bytes(), 0..3),
        if_none_match in prop::collection::vec(header_bytes(), 0..3),
    ) {
        let mut headers = HeaderMap::new();
        let mut sent = (Vec::new(), Vec::new());
        for (name, values, kept) in [
            ("if-match", &if_match, &mut sent.0),
            ("if-none-match", &if_none_match, &mut sent.1),
        ] {
            for value in values {
                // Bytes HTTP cannot carry never reach the handler.
                if let Ok(v) = HeaderValue::from_bytes(value) {
                    headers.append(name, v);
                    kept.push(value.clone());
                }
            }
        }
        let parsed = write_condition(&headers);
        let expected = model_condition(&sent.0, &sent.1);
        prop_assert_eq!(parsed.as_ref().ok(), expected.as_ref());
        match parsed {
            Ok(WriteCondition::Matches(etag)) => {
                prop_assert!(!etag.is_empty() && etag.trim() == etag);
                prop_assert_eq!(WriteCondition::Matches(etag.clone()).if_match(), Some(etag.clone()));
                prop_assert_eq!(WriteCondition::Matches(etag).if_none_match(), None);
            }
            Ok(WriteCondition::Absent) => {
                prop_assert_eq!(WriteCondition::Absent.if_none_match(), Some("*".to_owned()));
                prop_assert_eq!(WriteCondition::Absent.if_match(), None);
            }
            Ok(WriteCondition::None) => {
                prop_assert_eq!((WriteCondition::None.if_match(), WriteCondition::None.if_none_match()), (None, None));
            }
            Err(error) => prop_assert_eq!(code(&error), "invalid_request"),
        }
        // The reader the read route uses for If-None-Match agrees on what is text.
        if let Ok(Some(value)) = header_text(&headers, "if-none-match") {
            prop_assert!(value.bytes().all(|b| (b' '..=b'~').contains(&b)));
        }
    }
}
