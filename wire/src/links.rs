//! Presigned download links.

use serde::{Deserialize, Serialize};

/// `GET /read-file?key=K&link=1`: a link to the file and what it will get.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// A bearer capability: never printed or logged (`Debug` leaves it out).
    pub url: String,
    pub expires_at: String,
    pub size: u64,
    pub etag: Option<String>,
    pub content_type: Option<String>,
    pub version_id: Option<String>,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("url", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}
