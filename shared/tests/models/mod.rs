//! The documented rules of client input, written independently of the parsers they
//! judge. One copy, used by the property tests (`tests/properties.rs`) and by the
//! cargo-fuzz targets (`fuzz/src/lib.rs` includes this file by path), so a change of
//! a rule is made once and both checkers follow it.

use homedir::storage::write::WriteCondition;

/// A key: non-empty, within `max` bytes, no control character, no empty, `.` or `..`
/// segment.
pub fn key_is_valid(raw: &str, max: usize) -> bool {
    !raw.is_empty()
        && raw.len() <= max
        && !raw.chars().any(char::is_control)
        && !raw.chars().any(is_bidi_control)
        && raw.split('/').all(|s| !matches!(s, "" | "." | ".."))
}

/// The bidirectional embedding, override and isolate controls, which keys refuse.
fn is_bidi_control(c: char) -> bool {
    ('\u{202a}'..='\u{202e}').contains(&c) || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// A prefix: empty (the whole home), or a key that may end in one `/`.
pub fn prefix_is_valid(raw: &str, max: usize) -> bool {
    raw.is_empty()
        || (raw.len() <= max
            && !raw.chars().any(char::is_control)
            && !raw.chars().any(is_bidi_control)
            && raw
                .strip_suffix('/')
                .unwrap_or(raw)
                .split('/')
                .all(|s| !matches!(s, "" | "." | "..")))
}

/// A version id: 1–1024 visible ASCII characters other than `/`.
pub fn version_id_is_valid(raw: &str) -> bool {
    (1..=1024).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic() && b != b'/')
}

/// RFC 3986 percent-decoding, once, of a value that must be UTF-8 afterwards; `+`
/// is a literal plus.
pub fn model_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return None;
            }
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else if bytes[i] == b'+' {
            // application/x-www-form-urlencoded: a plus is a space.
            out.push(b' ');
            i += 1;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The raw values one conditional header arrived with: absent, one text value
/// (tabs and spaces may pad it, HTTP's optional whitespace, but a tab inside is
/// refused, as S3 would refuse it), or an error (repeated, or not visible ASCII).
fn header_value<V: AsRef<[u8]>>(values: &[V]) -> Result<Option<String>, ()> {
    match values {
        [] => Ok(None),
        [one] => {
            let one = one.as_ref();
            if !one.iter().all(|b| *b == b'\t' || (b' '..=b'~').contains(b)) {
                return Err(());
            }
            let text = String::from_utf8_lossy(one).trim().to_owned();
            if text.contains('\t') {
                Err(())
            } else {
                Ok(Some(text))
            }
        }
        _ => Err(()),
    }
}

/// The condition a write gets from the raw `If-Match` and `If-None-Match` values, or
/// `None` for a 400: not both, If-Match not empty, If-None-Match only `*`.
pub fn model_condition<V: AsRef<[u8]>>(
    if_match: &[V],
    if_none_match: &[V],
) -> Option<WriteCondition> {
    match (
        header_value(if_match).ok()?,
        header_value(if_none_match).ok()?,
    ) {
        (Some(_), Some(_)) => None,
        (Some(etag), None) if etag.is_empty() => None,
        (Some(etag), None) => Some(WriteCondition::Matches(etag)),
        (None, Some(star)) if star == "*" => Some(WriteCondition::Absent),
        (None, Some(_)) => None,
        (None, None) => Some(WriteCondition::None),
    }
}

/// An upload id's tag: exactly 32 lowercase hex digits (128 bits).
pub fn upload_tag_is_valid(raw: &str) -> bool {
    raw.len() == 32
        && raw
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
