//! History: every version of a file, and the trash.

use serde::{Deserialize, Serialize};

/// One version of a file, or a delete marker (`deleted`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub key: String,
    pub version_id: String,
    pub size: Option<i64>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    /// The file's current state.
    pub latest: bool,
    /// A delete marker: the file was deleted at `last_modified`.
    pub deleted: bool,
}

/// One page of versions (`GET /list?versions=1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionListing {
    pub versions: Vec<Version>,
    pub next_cursor: Option<String>,
}

/// A deleted file: its current version is a delete marker, and `version_id` is the
/// version an undelete (`restore`) brings back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrashEntry {
    pub key: String,
    pub deleted_at: Option<String>,
    pub version_id: String,
    pub size: Option<i64>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// One page of the trash (`GET /list?deleted=1`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trash {
    pub files: Vec<TrashEntry>,
    pub next_cursor: Option<String>,
}
