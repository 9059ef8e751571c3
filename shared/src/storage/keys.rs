//! File keys and list prefixes, relative to the root of the caller's space.
//!
//! A key is only ever turned into an S3 key by appending it to the caller's own home
//! root (see [`crate::storage`]); these rules make sure a key can never climb out of that
//! root or alias another key, whatever bytes the client sends.

use crate::auth::{MAX_IDENTITY_ID_BYTES, MAX_TEAM_BYTES};
use crate::error::Error;

/// The longest key S3 accepts (bytes of UTF-8).
const S3_MAX_KEY_BYTES: usize = 1024;

/// The room left for a relative key once `<home_prefix>/<identity id>/` is prepended.
/// It does not depend on the caller, so a key valid for one user is valid for all.
pub fn max_key_bytes(home_prefix: &str) -> usize {
    S3_MAX_KEY_BYTES - home_prefix.len() - 1 - MAX_IDENTITY_ID_BYTES - 1
}

/// The room left for a relative key in a team's space, once
/// `<team_prefix>/<team>/` is prepended (the longest team name counts).
pub fn max_team_key_bytes(team_prefix: &str) -> usize {
    S3_MAX_KEY_BYTES - team_prefix.len() - 1 - MAX_TEAM_BYTES - 1
}

/// A validated key of a file, relative to the caller's home.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key(String);

impl Key {
    /// Accepts `a`, `docs/report.pdf`, any UTF-8 without control characters; refuses
    /// empty keys, a leading `/`, empty, `.` or `..` segments (which includes a
    /// trailing `/`), and keys too long to fit S3 once prefixed.
    pub fn parse(raw: &str, max_bytes: usize) -> Result<Key, Error> {
        if raw.is_empty() {
            return Err(invalid("the key is empty"));
        }
        if raw.len() > max_bytes {
            return Err(invalid(format!("the key is longer than {max_bytes} bytes")));
        }
        if raw.starts_with('/') {
            return Err(invalid(
                "the key must be relative to your home (no leading /)",
            ));
        }
        check_characters(raw)?;
        check_segments(raw.split('/'))?;
        Ok(Key(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A validated list prefix, relative to the caller's home. Empty means the whole home.
/// Unlike a key it may end with `/` (a folder) or in the middle of a name (`rep`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Prefix(String);

impl Prefix {
    pub fn parse(raw: &str, max_bytes: usize) -> Result<Prefix, Error> {
        if raw.is_empty() {
            return Ok(Prefix::default());
        }
        if raw.len() > max_bytes {
            return Err(invalid(format!(
                "the prefix is longer than {max_bytes} bytes"
            )));
        }
        if raw.starts_with('/') {
            return Err(invalid(
                "the prefix must be relative to your home (no leading /)",
            ));
        }
        check_characters(raw)?;
        // Every complete segment must be a real folder name; the last, partial one
        // may be empty (the prefix ends with `/`) but not `.` or `..`.
        let mut segments: Vec<&str> = raw.split('/').collect();
        if segments.last() == Some(&"") {
            segments.pop();
        }
        check_segments(segments.into_iter())?;
        Ok(Prefix(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A version id as S3 hands them out (opaque URL-safe text; `null` for an object
/// written before versioning was enabled). Only its shape is checked here; S3 says
/// whether the version exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionId(String);

impl VersionId {
    pub fn parse(raw: &str) -> Result<VersionId, Error> {
        let fits = !raw.is_empty()
            && raw.len() <= 1024
            && raw.bytes().all(|b| b.is_ascii_graphic() && b != b'/');
        if fits {
            Ok(VersionId(raw.to_owned()))
        } else {
            Err(Error::InvalidRequest(
                "a version id is 1 to 1024 visible ASCII characters without /".into(),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidKey(message.into())
}

/// The Unicode bidirectional embedding, override and isolate controls (U+202A–U+202E,
/// U+2066–U+2069): they exist to reorder how text is shown, so in a name they make it
/// display as something it is not (`rtl\u{202e}exe.txt` shows as `rtltxt.exe`).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn check_characters(raw: &str) -> Result<(), Error> {
    if raw.chars().any(char::is_control) {
        return Err(invalid("the key contains a control character"));
    }
    if raw.chars().any(is_bidi_control) {
        return Err(invalid(
            "the key contains a Unicode bidirectional control (U+202A-U+202E, U+2066-U+2069), which makes a name display as something it is not",
        ));
    }
    Ok(())
}

fn check_segments<'a>(segments: impl Iterator<Item = &'a str>) -> Result<(), Error> {
    for segment in segments {
        match segment {
            "" => return Err(invalid("the key has an empty segment (// or a trailing /)")),
            "." | ".." => return Err(invalid("the key has a . or .. segment")),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: usize = 1024 - 5 - 55 - 1;

    #[test]
    fn room_for_the_home_root_is_reserved() {
        assert_eq!(max_key_bytes("home"), MAX);
        // teams/ + 63 + /
        assert_eq!(max_team_key_bytes("teams"), 1024 - 6 - 63 - 1);
    }

    #[test]
    fn ordinary_and_unusual_keys_are_accepted_verbatim() {
        for raw in [
            "a",
            "docs/report.pdf",
            "with space",
            "plus+sign",
            "per%cent",
            "question?mark",
            "hash#tag",
            "日本語/ファイル.txt",
            "emoji 🎉",
            "zero\u{200b}width and LRM \u{200e} are shown, not refused",
            " leading and trailing spaces ",
            "dots.../..hidden/...",
            ".profile",
            "a/b/c/d/e",
        ] {
            assert_eq!(Key::parse(raw, MAX).expect(raw).as_str(), raw);
        }
        let longest = "k".repeat(MAX);
        assert!(Key::parse(&longest, MAX).is_ok());
    }

    #[test]
    fn keys_that_escape_or_alias_are_refused() {
        let too_long = "k".repeat(MAX + 1);
        for raw in [
            "",
            "/abs",
            "../x",
            "a/../b",
            "a/./b",
            ".",
            "..",
            "a//b",
            "a/",
            "x/..",
            "tab\there",
            "nul\0",
            "line\nbreak",
            "del\u{7f}",
            "c1\u{85}",
            "rtl\u{202e}exe.txt",
            "a\u{202a}b",
            "isolate\u{2066}x\u{2069}",
            "\u{2067}",
            "\u{2068}fsi",
            too_long.as_str(),
        ] {
            let error = Key::parse(raw, MAX).expect_err(raw);
            assert_eq!(error.status_and_code().1, "invalid_key", "{raw:?}");
        }
    }

    #[test]
    fn version_ids_are_opaque_visible_ascii() {
        for raw in ["null", "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY", "a.b_c-d~e"] {
            assert_eq!(VersionId::parse(raw).expect(raw).as_str(), raw);
        }
        let long = "v".repeat(1025);
        for raw in ["", "a/b", "a b", "\u{1}", "日本", long.as_str()] {
            assert!(VersionId::parse(raw).is_err(), "{raw:?}");
        }
    }

    #[test]
    fn prefixes_may_be_empty_partial_or_folders() {
        for raw in ["", "docs/", "docs/rep", "a/b/", "日本"] {
            assert_eq!(Prefix::parse(raw, MAX).expect(raw).as_str(), raw);
        }
        for raw in ["/", "/docs", "../", "a/../", "a//", "..", "a/.", "\u{1}"] {
            assert!(Prefix::parse(raw, MAX).is_err(), "{raw:?}");
        }
    }
}
