//! Structured JSON logs, one object per line on stdout (where Lambda collects them).

use tracing::Level;

/// Installs the JSON subscriber at the level named by `AWS_LAMBDA_LOG_LEVEL` (set by
/// Lambda's logging controls) or `RUST_LOG` (`error`, `warn`, `info`, `debug`,
/// `trace`; default `info`). A plain level rather than an env-filter keeps the regex
/// engine out of the binary. Called once in each function's `main`; a second call
/// is a no-op.
pub fn init() {
    let level = ["AWS_LAMBDA_LOG_LEVEL", "RUST_LOG"]
        .iter()
        .find_map(|name| {
            std::env::var(name)
                .ok()
                .and_then(|value| parse_level(&value))
        })
        .unwrap_or(Level::INFO);
    let _ = tracing_subscriber::fmt()
        .json()
        .with_max_level(level)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false)
        .try_init();
}

fn parse_level(value: &str) -> Option<Level> {
    match value.trim().to_ascii_lowercase().as_str() {
        "error" => Some(Level::ERROR),
        "warn" | "warning" => Some(Level::WARN),
        "info" => Some(Level::INFO),
        "debug" => Some(Level::DEBUG),
        "trace" => Some(Level::TRACE),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_case_insensitively_and_junk_is_ignored() {
        assert_eq!(parse_level("INFO"), Some(Level::INFO));
        assert_eq!(parse_level(" debug "), Some(Level::DEBUG));
        assert_eq!(parse_level("Warning"), Some(Level::WARN));
        assert_eq!(parse_level("homedir=debug"), None);
        assert_eq!(parse_level(""), None);
    }
}
