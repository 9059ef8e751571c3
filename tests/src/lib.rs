//! The harness shared by homedir's integration, end-to-end and benchmark suites.
//!
//! - [`stack`]: the local stack `scripts/local-stack.sh` started (settings, admin
//!   clients, real users and tokens from the emulator's Cognito);
//! - [`requests`]: requests for the in-process handlers and their responses;
//! - [`runtime`]: a Lambda Runtime API on loopback that runs the real binaries;
//! - [`emulator`]: the emulator's own call log;
//! - [`forge`]: forged tokens and keys aimed at another user's home;
//! - [`presigned`]: plain HTTP to the URLs the API signs, as a client sends it.

pub mod emulator;
pub mod forge;
pub mod presigned;
pub mod requests;
pub mod runtime;
pub mod stack;
