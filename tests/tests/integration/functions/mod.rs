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
/// The identity_id claim (a hint Cognito verifies) and the record of user changes.
mod directory;
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
/// Each route's contract: round trips, listing, delete, conditional requests.
mod routes;
/// Team spaces: members share one, IAM keeps everyone else out.
mod teams;
/// Token verification, disabled and deleted users.
mod tokens;
/// Usage and quotas: S3's events counted by the usage function, the quota held by the
/// API and by IAM.
mod usage;
