//! homedir's integration tests: one test binary (the AWS SDK is linked once), a
//! folder per kind of test and a module per capability.
//!
//! - [`functions`]: the functions' behaviour against the local stack that
//!   `scripts/local-stack.sh` starts (`make test` does): the handlers in process with
//!   real tokens, real credential exchange and real S3 objects, and the real binaries
//!   under a Lambda Runtime API on loopback;
//! - [`infra`]: `template.yaml` and the IAM documents of `infra-policies/`, offline
//!   (no stack needed).
//!
//! Test names are module paths, so a folder or a module is a filter:
//! `scripts/local-stack.sh -- cargo nextest run --workspace -E 'test(/^functions::routes::/)'`,
//! or offline `cargo nextest run --workspace -E 'test(/^infra::/)'` (`--workspace`, not
//! `-p`: another feature set rebuilds the AWS SDK).
//! The harness they share is the `homedir_tests` library (`tests/src`); the
//! end-to-end suite (`tests/tests/e2e`, run by `tests/e2e.sh`) is a binary of its own.

mod functions;
mod infra;
