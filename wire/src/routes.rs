//! The API's routes and the headers it defines. Keys, prefixes and every other
//! argument travel in the query string (see `openapi.yaml` for why).

/// `GET`: a file's bytes, a link to it, or one of its versions.
pub const READ_FILE: &str = "read-file";
/// `PUT`: write, restore, copy, move; `POST`/`GET`/`DELETE`: multipart uploads.
pub const WRITE_FILE: &str = "write-file";
/// `GET`: a folder, the versions under a prefix, or the trash.
pub const LIST: &str = "list";
/// `DELETE`: a file or a folder.
pub const DELETE: &str = "delete";

/// Every API route.
pub const ALL: [&str; 4] = [READ_FILE, WRITE_FILE, LIST, DELETE];

/// The response header naming the version a read returned or a delete created.
pub const VERSION_ID_HEADER: &str = "x-version-id";
