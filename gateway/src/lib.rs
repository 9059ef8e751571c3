//! The local API Gateway: the function binaries served over HTTP the way API Gateway
//! (an HTTP API, payload format 2.0) and Lambda serve them in AWS, for `make dev` and
//! the tests.
//!
//! Why not `cargo lambda watch`: its Runtime API answers a function's response POST
//! before reading the body (cargo-lambda 1.9.2, `respond_to_next_invocation` hands the
//! request on and returns 200 at once), so with a response of a few megabytes the
//! connection can close mid-body and the HTTP client is never answered: inline reads
//! near the 4.5 MB limit hung about one time in three. Lambda's own Runtime API takes
//! the whole response first; so does [`runtime`] here.
//!
//! - [`runtime`]: one execution environment: a function process and the Runtime API
//!   it polls, one invocation at a time;
//! - [`pool`]: the environments of each function, started on demand, replaced when
//!   the binary is rebuilt;
//! - [`front`]: the HTTP side: `/lambda-url/<function>/<path>?<query>` (the URL shape
//!   `cargo lambda watch` used) to an API Gateway event and back;
//! - [`invoke`]: Lambda's Invoke API (`RequestResponse`, `Event` with its asynchronous
//!   queue and retries, `DryRun`), on the same port;
//! - [`settings`]: each function's name, ARN, timeout, environment and role credentials
//!   (`--function-config`, written by the local stack's deploy).

pub mod front;
pub mod invoke;
pub mod pool;
pub mod runtime;
pub mod settings;
