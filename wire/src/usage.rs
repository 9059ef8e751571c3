//! Usage and quotas: `GET /list?usage=1`.

use serde::{Deserialize, Serialize};

/// `GET /list?usage=1[&space=team]`: what a space holds and its quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Bytes the space holds: every version of every file, old versions and the trash
    /// included (they are billed), delete markers excluded (they hold no data).
    pub bytes: u64,
    /// Object versions the space holds (delete markers excluded).
    pub versions: u64,
    /// The space's quota in bytes; `null` when it has none.
    pub quota_bytes: Option<u64>,
    /// Whether the space is full: it holds at least its quota, so nothing more can be
    /// written (reads, lists and deletes still work).
    pub over: bool,
}

impl Usage {
    /// Bytes still free under the quota (`None` without a quota).
    pub fn free(&self) -> Option<u64> {
        self.quota_bytes
            .map(|quota| quota.saturating_sub(self.bytes))
    }
}
