//! homedir: per-user home directories in one S3 bucket, reached with each caller's
//! own temporary AWS credentials from a Cognito Identity Pool.
//!
//! The folders follow the request flow:
//!
//! | module | step | what lives there |
//! |---|---|---|
//! | [`http`] | in and out | request parsing, responses (the one [`Error`] → HTTP mapping), the routes ([`http::handlers`], one per function), the Lambda loop ([`http::runtime`]) |
//! | [`auth`] | 1–4, who is calling | the ID token verified locally, the user check, the exchange for the caller's Identity ID and credentials |
//! | [`storage`] | 5, the caller's space | keys, and every operation on a space: read, write, list, versions and the trash, copies, folder delete, multipart uploads, presigned URLs |
//! | [`aws`] | shared by 3–5 | the SDK clients with their timeouts and call counter; AWS failures classified; DynamoDB over a signed POST |
//! | [`directory`] | beside the user pool | the `directory` function: the pre-token-generation trigger's `identity_id` claim, user changes from CloudTrail |
//! | [`usage`] | usage and quotas | the quota check before a write; the usage function's tally, recount and IAM deny documents |
//! | [`app`] | all | [`App`], the state `main` builds once, and the flow that joins the steps |
//! | [`config`], [`error`], [`telemetry`], [`clock`] | all | settings read at cold start; the one error type; logging; the time the caches read |
//!
//! Dependencies point one way: `http` → `app` → `auth`, `storage` → `aws` → `config`,
//! `error`. Storage knows no HTTP; auth knows no S3. The JSON bodies and error codes
//! are the [`homedir_wire`] crate's, shared with the clients.

pub mod app;
pub mod auth;
pub mod aws;
pub mod clock;
pub mod config;
pub mod directory;
pub mod error;
pub mod http;
pub mod storage;
pub mod telemetry;
pub mod usage;

pub use app::App;
pub use config::Config;
pub use error::Error;
pub use http::{handlers, runtime};
