//! The functions against the local stack, one module per capability.

/// Bad keys, queries, headers and bodies: the documented error, no AWS call.
mod bad_input;
/// The real function binaries under a Lambda Runtime API: events, logs.
mod binaries;
/// AWS calls per request: what is cached, for how long.
mod caching;
/// Conditional writes under contention.
mod concurrency;
/// Every status and error code answered is the one `openapi.yaml` documents.
mod contract;
/// Throttled, failing and stuck AWS calls (each test on its own emulator).
mod faults;
/// Copy, move and folder delete.
mod file_operations;
/// Versions, restore, the trash and undelete.
mod history;
/// Two users, one bucket: nobody reaches another's home.
mod isolation;
/// Multipart uploads through presigned URLs, downloads through a redirect or a link.
mod large_files;
/// Quotas through the API: 507 before any write, the usage answer.
mod quotas;
/// Each route's contract: round trips, listing, delete, conditional requests.
mod routes;
/// Team spaces: members share one, IAM keeps everyone else out.
mod teams;
/// Token verification, disabled and deleted users.
mod tokens;
