//! Structured JSON logs, one object per line on stdout (where Lambda collects them).

use tracing::Level;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::prelude::*;

/// The most the other crates (the SDK, hyper, the Lambda runtime) may log. At DEBUG
/// and TRACE they write request and response headers and bodies, which carry ID
/// tokens, session tokens, presigned URLs and file contents; homedir's own logs
/// never do, so only they follow the configured level all the way down.
const OTHER_CRATES_MAX: LevelFilter = LevelFilter::INFO;

/// Installs the JSON subscriber at the level named by `AWS_LAMBDA_LOG_LEVEL` (set by
/// Lambda's logging controls) or `RUST_LOG` (`error`, `warn`, `info`, `debug`,
/// `trace`; default `info`) for homedir's own code, and at most INFO for every
/// other crate. A plain level rather than an env-filter keeps the regex engine out
/// of the binary. Called once in each function's `main`; a second call is a no-op.
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
        .finish()
        .with(filter(level))
        .try_init();
}

/// homedir's crate at `level`, everything else at `level` or INFO, whichever is less.
fn filter(level: Level) -> Targets {
    let ours = LevelFilter::from_level(level);
    Targets::new()
        .with_default(ours.min(OTHER_CRATES_MAX))
        .with_target(env!("CARGO_CRATE_NAME"), ours)
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
    fn other_crates_never_log_below_info() {
        let trace = filter(Level::TRACE);
        let enabled = |target: &str, level: Level| trace.would_enable(target, &level);
        assert!(enabled("homedir::token", Level::TRACE));
        for other in [
            "aws_smithy_runtime::client",
            "hyper_util::client",
            "lambda_runtime",
        ] {
            assert!(enabled(other, Level::INFO), "{other}");
            assert!(!enabled(other, Level::DEBUG), "{other}");
            assert!(!enabled(other, Level::TRACE), "{other}");
        }
        let warn = filter(Level::WARN);
        assert!(!warn.would_enable("homedir::token", &Level::INFO));
        assert!(!warn.would_enable("lambda_runtime", &Level::INFO));
    }

    #[test]
    fn levels_parse_case_insensitively_and_junk_is_ignored() {
        assert_eq!(parse_level("INFO"), Some(Level::INFO));
        assert_eq!(parse_level(" debug "), Some(Level::DEBUG));
        assert_eq!(parse_level("Warning"), Some(Level::WARN));
        assert_eq!(parse_level("homedir=debug"), None);
        assert_eq!(parse_level(""), None);
    }
}
