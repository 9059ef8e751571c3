//! Files: listings, writes and folder deletes.

use serde::{Deserialize, Serialize};

/// What a write, restore, copy, move or completed upload stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Written {
    pub key: String,
    pub etag: String,
    pub size: u64,
    /// The version the write created (the bucket is versioned).
    pub version_id: Option<String>,
}

/// One file of a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub key: String,
    pub size: i64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// One page of a folder (`GET /list`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    pub files: Vec<FileEntry>,
    pub folders: Vec<String>,
    pub next_cursor: Option<String>,
}

/// One batch of a folder delete (`DELETE /delete?prefix=P/`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderDeleted {
    pub deleted: u64,
    /// Where to continue (`cursor`), while files may remain.
    pub next_cursor: Option<String>,
}

/// One batch of a folder restore (`PUT /write-file?prefix=P/&undelete=1`): the
/// folder's deleted files brought back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderRestored {
    /// Files restored (each as a new version: their history stays).
    pub restored: u64,
    /// Deleted files not restored: written again while the restore ran (each copy
    /// requires that no file be there), or named as the API no longer accepts.
    pub skipped: u64,
    /// Where to continue (`cursor`), while deleted files may remain.
    pub next_cursor: Option<String>,
}

/// `GET /list?whoami=1`: who the caller is to the API, so clients can show which
/// spaces exist without decoding the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Whoami {
    /// The caller's Identity ID: their home is `<HomePrefix>/<identity_id>/`.
    pub identity_id: String,
    /// The caller's team (`custom:team` in their ID token), if any.
    pub team: Option<String>,
}
