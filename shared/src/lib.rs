//! homedir: per-user home directories in one S3 bucket, reached with each caller's
//! own temporary AWS credentials from a Cognito Identity Pool.
//!
//! One module per step of the request flow:
//! [`token`] (find and verify the ID token) → [`users`] (still enabled?) →
//! [`identity`] (Identity ID and credentials) → [`home`] (S3 under
//! `home/<identityId>/`). [`config`] is read once at cold start, [`keys`] and
//! [`request`] validate input, [`error`] is the one error type and its HTTP mapping,
//! [`handlers`] are the routes (a module per function), [`presign`] signs URLs
//! with the caller's credentials, [`uploads`] runs multipart uploads through them,
//! [`versions`] (history, trash, restore), [`copies`] (copy, move) and [`folders`]
//! (folder delete) are the file-manager operations,
//! [`web`] is the browser page of the fifth function, which needs no AWS state;
//! [`app`] holds the state built in `main`, and [`runtime`] is the Lambda event loop
//! every `main` hands the handlers to.

pub mod app;
pub mod config;
pub mod copies;
pub mod error;
pub mod folders;
pub mod handlers;
pub mod home;
pub mod identity;
pub mod keys;
pub mod metrics;
pub mod presign;
pub mod request;
pub mod runtime;
pub mod telemetry;
pub mod token;
pub mod uploads;
pub mod upstream;
pub mod users;
pub mod versions;
pub mod web;

pub use app::App;
pub use config::Config;
pub use error::Error;
