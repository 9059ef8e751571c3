//! Structured JSON logs, one object per line on stdout (where Lambda collects them).

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber. `RUST_LOG` filters (default `info`). Called once in
/// each function's `main`; a second call is a no-op.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false)
        .try_init();
}
