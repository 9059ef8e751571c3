//! homedir's wire types: what travels between the functions and their clients.
//!
//! The functions serialize these types and the `homedir` command-line client
//! deserializes the same ones, so a renamed field or a new error code is a compile
//! error on both sides rather than a surprise at run time. `openapi.yaml` describes
//! the same shapes for everyone else; a test in `tests/` keeps the two in step (every
//! [`ErrorCode`] is in the document and back, and every response schema's property
//! names are the fields of its type here).
//!
//! This crate depends on `serde` only: no AWS SDK, no HTTP stack, so linking it costs
//! a client nothing.
//!
//! - [`routes`]: the route names and the headers the API defines;
//! - [`ErrorCode`], [`ErrorBody`]: every error answer;
//! - [`files`]: files, listings and writes;
//! - [`history`]: versions and the trash;
//! - [`uploads`]: multipart uploads and their part URLs;
//! - [`links`]: presigned download links;
//! - [`usage`]: what a space holds, and its quota.

mod error;
pub mod files;
pub mod history;
pub mod links;
pub mod routes;
pub mod uploads;
pub mod usage;

pub use error::{ErrorBody, ErrorCode, ErrorDetail, QuotaExceeded};
pub use files::{FileEntry, FolderDeleted, FolderRestored, Listing, Whoami, Written};
pub use history::{Trash, TrashEntry, Version, VersionListing};
pub use links::Link;
pub use uploads::{CompleteUpload, Completing, Part, PartUrl, StartUpload, Upload, UploadedPart};
pub use usage::Usage;
