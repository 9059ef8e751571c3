//! Reading the parts of an HTTP request the routes use: the query string, headers,
//! the body, and the small typed parameters every route shares. Everything here is
//! pure: a request that fails a check costs no AWS call.
//!
//! The query string is taken raw from the request URI (API Gateway's `rawQueryString`)
//! and decoded exactly once the way every mainstream client encodes it
//! (`application/x-www-form-urlencoded`, as Python's requests, the browser's
//! `URLSearchParams`, Go's `url.Values` and Rust's `form_urlencoded` send it): `+` and
//! `%20` are a space, `%2B` is a plus sign, and a malformed `%` escape is refused.

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{HeaderMap, Method};
use lambda_http::{Body, Request};
use percent_encoding::percent_decode_str;

use homedir_wire::routes::Space as SpaceName;

use crate::error::Error;
use crate::storage::keys::Key;
use crate::storage::write::WriteCondition;

/// Files are stored with this type when the writer sends none.
pub const DEFAULT_CONTENT_TYPE: &str = "application/octet-stream";
const MAX_CONTENT_TYPE_BYTES: usize = 256;

/// The longest query string accepted; far above any valid key + cursor.
const MAX_QUERY_BYTES: usize = 8 * 1024;

/// The decoded query parameters of a request, each name at most once.
#[derive(Debug, Default)]
pub struct Query(BTreeMap<String, String>);

impl Query {
    /// Parses `raw` (without the `?`). Parameters not in `allowed` are refused, so a
    /// misspelt `Key=` gets a clear 400 instead of silently meaning "no key".
    pub fn parse(raw: Option<&str>, allowed: &[&str]) -> Result<Query, Error> {
        let mut params = BTreeMap::new();
        let Some(raw) = raw else {
            return Ok(Query(params));
        };
        if raw.len() > MAX_QUERY_BYTES {
            return Err(bad(format!(
                "the query string is longer than {MAX_QUERY_BYTES} bytes"
            )));
        }
        for pair in raw.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let name = decode(name, "a parameter name")?;
            if !allowed.contains(&name.as_str()) {
                return Err(bad(format!(
                    "unknown query parameter {name:?}; this route takes {}",
                    allowed.join(", ")
                )));
            }
            let value = decode(value, &format!("parameter {name}"))?;
            if params.insert(name.clone(), value).is_some() {
                return Err(bad(format!(
                    "query parameter {name:?} is given more than once"
                )));
            }
        }
        Ok(Query(params))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The names of the parameters given.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    pub fn require(&self, name: &str) -> Result<&str, Error> {
        self.get(name)
            .ok_or_else(|| bad(format!("the query parameter {name:?} is required")))
    }
}

fn decode(raw: &str, what: &str) -> Result<String, Error> {
    // percent_decode leaves malformed escapes as they are; refuse them instead, so
    // `%zz` is an error rather than a key that differs from what the client meant.
    let bytes = raw.as_bytes();
    let well_formed = bytes.iter().enumerate().all(|(i, b)| {
        *b != b'%'
            || (bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    });
    if !well_formed {
        return Err(bad(format!("{what} has a malformed %-escape")));
    }
    percent_decode_str(&raw.replace('+', " "))
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| bad(format!("{what} is not UTF-8 once percent-decoded")))
}

fn bad(message: String) -> Error {
    Error::InvalidRequest(message)
}

/// Refuses any method but `expected` (API Gateway routes only one, but the function
/// may be invoked directly, or locally through `homedir-gateway`, which passes every
/// method on).
pub fn require_method(request: &Request, expected: Method) -> Result<(), Error> {
    if request.method() == expected {
        return Ok(());
    }
    let allowed = match expected {
        Method::GET => "GET",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        _ => "POST",
    };
    Err(Error::MethodNotAllowed { allowed })
}

/// A header as text, refusing values that are present but not visible ASCII.
pub fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, Error> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(bad(format!("the {name} header is given more than once")));
    }
    // `to_str` lets a tab through; no header this API reads may hold one (the SDK
    // refuses to send it on to S3).
    value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|v| !v.bytes().any(|b| b.is_ascii_control()))
        .map(Some)
        .ok_or_else(|| bad(format!("the {name} header is not visible ASCII")))
}

/// `If-Match: <etag>` (replace only that version) or `If-None-Match: *` (create
/// only); both at once, an empty `If-Match`, any other `If-None-Match`, a repeated
/// or non-ASCII header are refused before any AWS call.
pub fn write_condition(headers: &HeaderMap) -> Result<WriteCondition, Error> {
    Ok(
        match (
            header_text(headers, "if-match")?,
            header_text(headers, "if-none-match")?,
        ) {
            (Some(_), Some(_)) => {
                return Err(bad("send If-Match or If-None-Match, not both".into()));
            }
            (Some(""), None) => return Err(bad("If-Match is empty".into())),
            (Some(etag), None) => WriteCondition::Matches(etag.to_owned()),
            (None, Some("*")) => WriteCondition::Absent,
            (None, Some(_)) => return Err(bad("If-None-Match on a write must be *".into())),
            (None, None) => WriteCondition::None,
        },
    )
}

/// A file's content type as the writer gives it, or the default.
pub fn content_type(value: Option<&str>) -> Result<&str, Error> {
    match value {
        None | Some("") => Ok(DEFAULT_CONTENT_TYPE),
        Some(value) if value.len() > MAX_CONTENT_TYPE_BYTES => Err(bad(format!(
            "the content type is longer than {MAX_CONTENT_TYPE_BYTES} bytes"
        ))),
        Some(value) if !value.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) => {
            Err(bad("the content type must be visible ASCII".into()))
        }
        Some(value) => Ok(value),
    }
}

impl Query {
    /// The validated `key` parameter, at most `max_bytes` long.
    pub fn key(&self, max_bytes: usize) -> Result<Key, Error> {
        Key::parse(self.require("key")?, max_bytes)
    }

    /// A whole number parameter within `range`, or `default` when absent.
    pub fn number(
        &self,
        name: &str,
        range: std::ops::RangeInclusive<u64>,
        default: u64,
    ) -> Result<u64, Error> {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw
                .parse::<u64>()
                .ok()
                .filter(|n| range.contains(n) && !raw.starts_with('+'))
                .ok_or_else(|| {
                    bad(format!(
                        "{name} must be a whole number from {} to {}",
                        range.start(),
                        range.end()
                    ))
                }),
        }
    }

    /// `space=home` (the default) or `space=team`: which of the caller's spaces the
    /// request works in.
    pub fn space(&self) -> Result<SpaceName, Error> {
        self.space_named("space").map(Option::unwrap_or_default)
    }

    /// A space parameter (`space`, `from_space`): `home` or `team`, if given.
    pub fn space_named(&self, name: &str) -> Result<Option<SpaceName>, Error> {
        self.get(name)
            .map(|raw| {
                SpaceName::parse(raw).ok_or_else(|| bad(format!("{name} must be home or team")))
            })
            .transpose()
    }

    /// A flag parameter: absent, or `1`.
    pub fn flag(&self, name: &str) -> Result<bool, Error> {
        match self.get(name) {
            None => Ok(false),
            Some("1") => Ok(true),
            Some(_) => Err(bad(format!("{name} must be 1 when given"))),
        }
    }
}

/// The request body as bytes, moved (not copied) out of whatever form lambda_http
/// decoded it into: a file can be 4.5 MB.
pub fn into_bytes(body: Body) -> Bytes {
    match body {
        Body::Empty => Bytes::new(),
        Body::Text(text) => Bytes::from(text),
        Body::Binary(bytes) => Bytes::from(bytes),
        other => Bytes::copy_from_slice(other.as_ref()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    const KEYS: &[&str] = &["key"];

    fn key_of(raw: &str) -> Result<String, Error> {
        Query::parse(Some(raw), KEYS).and_then(|q| q.require("key").map(str::to_owned))
    }

    #[test]
    fn values_are_decoded_once_as_forms_encode_them() {
        assert_eq!(key_of("key=a%20b").unwrap(), "a b");
        assert_eq!(key_of("key=a+b").unwrap(), "a b");
        assert_eq!(key_of("key=form+style.txt").unwrap(), "form style.txt");
        assert_eq!(key_of("key=a%2Bb").unwrap(), "a+b");
        assert_eq!(key_of("key=a%2bb+c").unwrap(), "a+b c");
        assert_eq!(key_of("key=100%25").unwrap(), "100%");
        assert_eq!(key_of("key=%2541").unwrap(), "%41");
        assert_eq!(key_of("key=q%3F%23x").unwrap(), "q?#x");
        assert_eq!(key_of("key=%E6%97%A5").unwrap(), "日");
        assert_eq!(key_of("key=a=b").unwrap(), "a=b");
        assert_eq!(key_of("key=").unwrap(), "");
    }

    #[test]
    fn malformed_queries_are_refused() {
        for raw in [
            "key=%zz",
            "key=%4",
            "key=%",
            "key=%FF",
            "key=a&key=b",
            "Key=a",
            "other=1",
        ] {
            let error = key_of(raw).expect_err(raw);
            assert_eq!(error.status_and_code().1, "invalid_request", "{raw}");
        }
        assert!(key_of("").is_err(), "a missing key is refused");
        let long = format!("key={}", "a".repeat(MAX_QUERY_BYTES));
        assert!(key_of(&long).is_err());
    }

    #[test]
    fn spaces_are_home_by_default_or_named() {
        let space = |raw| Query::parse(Some(raw), &["space", "from_space"]);
        assert_eq!(space("").unwrap().space().unwrap(), SpaceName::Home);
        assert_eq!(
            space("space=home").unwrap().space().unwrap(),
            SpaceName::Home
        );
        assert_eq!(
            space("space=team").unwrap().space().unwrap(),
            SpaceName::Team
        );
        assert_eq!(space("").unwrap().space_named("from_space").unwrap(), None);
        assert_eq!(
            space("from_space=team")
                .unwrap()
                .space_named("from_space")
                .unwrap(),
            Some(SpaceName::Team)
        );
        for raw in [
            "space=",
            "space=Team",
            "space=teams",
            "space=home+",
            "space=acme",
        ] {
            let error = space(raw).unwrap().space().expect_err(raw);
            assert_eq!(error.status_and_code().1, "invalid_request", "{raw}");
        }
    }

    #[test]
    fn every_body_form_becomes_its_bytes() {
        assert_eq!(into_bytes(Body::Empty), Bytes::new());
        assert_eq!(into_bytes(Body::Text("héllo".into())), Bytes::from("héllo"));
        assert_eq!(
            into_bytes(Body::Binary(vec![0, 255, 7])),
            Bytes::from(vec![0u8, 255, 7])
        );
    }

    #[test]
    fn duplicate_or_binary_headers_are_refused() {
        let mut headers = HeaderMap::new();
        assert_eq!(header_text(&headers, "if-match").unwrap(), None);
        headers.append("if-match", HeaderValue::from_static("\"a\""));
        assert_eq!(header_text(&headers, "if-match").unwrap(), Some("\"a\""));
        headers.append("if-match", HeaderValue::from_static("\"b\""));
        assert!(header_text(&headers, "if-match").is_err());
        let mut binary = HeaderMap::new();
        binary.insert(
            "content-type",
            HeaderValue::from_bytes(b"text/\xff").unwrap(),
        );
        assert!(header_text(&binary, "content-type").is_err());
    }
}
