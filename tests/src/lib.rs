//! The harness shared by homedir's integration, end-to-end and benchmark suites.
//!
//! - [`stack`]: the local stack `scripts/local-stack.sh` started (settings, admin
//!   clients, real users and tokens from the emulator's Cognito);
//! - [`requests`]: requests for the in-process handlers, their responses and the AWS
//!   calls they cost;
//! - [`runtime`]: a Lambda Runtime API on loopback that runs the real binaries;
//! - [`emulator`]: the emulator's own call log, its faults and the codes its user pools
//!   would have e-mailed;
//! - [`served`]: the function binaries served by homedir-gateway for a stack of a
//!   test's own;
//! - [`usage`]: a stack of a test's own whose usage function receives the bucket's
//!   notifications (served by homedir-gateway), drained, with the usage table at hand;
//! - [`totp`]: the codes of an authenticator app (RFC 6238);
//! - [`forge`]: forged tokens and keys aimed at another user's home;
//! - [`presigned`]: plain HTTP to the URLs the API signs, as a client sends it;
//! - [`data`]: random test data and its digest;
//! - [`repo_path`], [`repo_text`], [`target_dir`]: files of the repository
//!   (`template.yaml`, `openapi.yaml`, `infra-policies/`) and the binaries `cargo
//!   build` made.

use std::path::{Path, PathBuf};

pub mod data;
pub mod emulator;
pub mod forge;
pub mod presigned;
pub mod requests;
pub mod runtime;
pub mod served;
pub mod stack;
pub mod totp;
pub mod usage;

/// `relative`, a path inside the repository (this crate is its `tests/` folder).
pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives one level below the repository root")
        .join(relative)
}

/// The text of the repository's file `relative`; panics naming it if it cannot be read.
pub fn repo_text(relative: &str) -> String {
    let path = repo_path(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Where cargo builds: `$CARGO_TARGET_DIR` (the Makefile sets it), else `target/`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_path("target"))
}
