//! Numbers for people: sizes in binary units, durations, dates as the API gives them.

use std::borrow::Cow;
use std::time::Duration;

/// Characters a terminal shows as nothing, or that reorder what follows: zero-width
/// spaces and joiners, direction marks, the soft hyphen, word joiners and invisible
/// operators, the byte-order mark, line and paragraph separators.
fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00ad}' | '\u{034f}' | '\u{061c}' | '\u{115f}' | '\u{1160}' | '\u{17b4}' | '\u{17b5}'
        | '\u{180b}'..='\u{180f}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{206f}' | '\u{3164}' | '\u{feff}' | '\u{ffa0}' | '\u{fff9}'..='\u{fffb}')
}

/// A key as it must be shown so that it cannot pass for another: unchanged when every
/// character is visible and it neither starts nor ends with a space; otherwise quoted,
/// with each invisible character as `\u{…}` (a name ending in a space shows as `"a "`).
pub fn visible(name: &str) -> Cow<'_, str> {
    let padded = name.starts_with(char::is_whitespace) || name.ends_with(char::is_whitespace);
    if !padded && !name.chars().any(is_invisible) {
        return Cow::Borrowed(name);
    }
    let mut shown = String::with_capacity(name.len() + 8);
    shown.push('"');
    for c in name.chars() {
        match c {
            '"' | '\\' => {
                shown.push('\\');
                shown.push(c);
            }
            c if is_invisible(c) => shown.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => shown.push(c),
        }
    }
    shown.push('"');
    Cow::Owned(shown)
}

/// `0 B`, `999 B`, `1.0 KiB`, `40.0 MiB`, `1.5 GiB`: one decimal above a KiB.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    // 1023.96 KiB would print as "1024.0 KiB": show the next unit instead.
    if value >= 1023.95 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `0.4 s`, `12.0 s`, `3 min 5 s`, `2 h 1 min`.
pub fn duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs < 60 {
        format!("{:.1} s", d.as_secs_f64())
    } else if secs < 3600 {
        format!("{} min {} s", secs / 60, secs % 60)
    } else {
        format!("{} h {} min", secs / 3600, secs % 3600 / 60)
    }
}

/// An RFC 3339 timestamp from the API, shortened to `2026-11-23 14:05:09` (UTC).
pub fn date(rfc3339: Option<&str>) -> String {
    match rfc3339 {
        Some(t) => match (t.get(..10), t.get(11..19)) {
            (Some(day), Some(time)) => format!("{day} {time}"),
            _ => t.to_owned(),
        },
        None => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1024), "1.0 KiB");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(40 * 1024 * 1024), "40.0 MiB");
        assert_eq!(bytes(1024 * 1024 - 1), "1.0 MiB");
        assert_eq!(bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
        assert_eq!(bytes(u64::MAX), "16.0 EiB");
    }

    #[test]
    fn durations_and_dates() {
        assert_eq!(duration(Duration::from_millis(400)), "0.4 s");
        assert_eq!(duration(Duration::from_secs(185)), "3 min 5 s");
        assert_eq!(duration(Duration::from_secs(7260)), "2 h 1 min");
        assert_eq!(
            date(Some("2026-11-23T14:05:09.000Z")),
            "2026-11-23 14:05:09"
        );
        assert_eq!(date(None), "-");
    }

    #[test]
    fn names_that_would_lie_are_shown_for_what_they_are() {
        assert_eq!(visible("report.pdf"), "report.pdf");
        assert_eq!(visible("日本語 ファイル.txt"), "日本語 ファイル.txt");
        assert_eq!(visible("zero\u{200b}width"), "\"zero\\u{200b}width\"");
        assert_eq!(visible(" padded "), "\" padded \"");
        assert_eq!(visible("trailing "), "\"trailing \"");
        assert_eq!(visible("a\u{feff}\"b"), "\"a\\u{feff}\\\"b\"");
        assert_eq!(visible("lrm\u{200e}"), "\"lrm\\u{200e}\"");
    }
}
