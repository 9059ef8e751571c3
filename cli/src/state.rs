//! What an interrupted `put` leaves behind so the next `put` of the same file resumes:
//! `uploads.json` in the config directory maps a file (destination key and its space,
//! local size and modification time, the API and the account) to its multipart upload
//! ID: a home upload and a team upload of the same key never mix. The
//! upload ID carries the plan (size and part size), so nothing else is needed: the
//! API's resume route says which parts S3 already holds. Once every part is sent,
//! their ETags are saved too: from then on only the completion is ever repeated (S3
//! may take minutes to complete a large upload), never a part. A changed file (another
//! size or mtime) never resumes an upload of its old content. Entries are removed
//! when their upload completes or turns out to be gone.

use std::collections::BTreeMap;

use homedir_wire::Part;
use homedir_wire::routes::Space;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::remote::Remote;
use crate::store;

const FILE: &str = "uploads.json";

/// What identifies one local file's upload to one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileId {
    pub api_url: String,
    pub email: String,
    /// The destination: a key in one of the spaces.
    pub key: Remote,
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: u128,
}

impl FileId {
    /// One line per field: none of them may contain a newline that would make two
    /// different files collide (a key with a control character is refused by the API).
    /// A home upload has the five lines it always had (one saved by an earlier version
    /// still resumes); a team upload a sixth, its space.
    fn entry(&self) -> String {
        let entry = format!(
            "{}\n{}\n{}\n{}\n{}",
            self.api_url, self.email, self.key.key, self.size, self.mtime_ns
        );
        match self.key.space {
            Space::Home => entry,
            Space::Team => format!("{entry}\n{}", Space::Team.as_str()),
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Uploads {
    #[serde(default)]
    uploads: BTreeMap<String, Saved>,
}

/// What is saved of one upload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Saved {
    pub upload_id: String,
    /// When it was started (seconds since the epoch): entries older than S3's abort
    /// rule are dropped on the next save.
    started_at: u64,
    /// Every part, once all were sent: what the completion needs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parts: Option<Vec<Part>>,
}

/// Entries older than this are forgotten (the bucket's lifecycle rule aborts
/// unfinished uploads after two days by default).
const KEEP_SECS: u64 = 7 * 24 * 3600;

pub fn find(file: &FileId) -> Result<Option<Saved>> {
    let uploads: Uploads = store::read_json(FILE)?.unwrap_or_default();
    Ok(uploads.uploads.get(&file.entry()).cloned())
}

/// Saves the parts of a file's upload once all were sent.
pub fn all_sent(file: &FileId, parts: &[Part]) -> Result<()> {
    let mut uploads: Uploads = store::read_json(FILE)?.unwrap_or_default();
    if let Some(saved) = uploads.uploads.get_mut(&file.entry()) {
        saved.parts = Some(parts.to_vec());
        store::write_json(FILE, &uploads)?;
    }
    Ok(())
}

pub fn remember(file: &FileId, upload_id: &str, now: u64) -> Result<()> {
    let mut uploads: Uploads = store::read_json(FILE)?.unwrap_or_default();
    uploads
        .uploads
        .retain(|_, s| s.started_at.saturating_add(KEEP_SECS) > now);
    uploads.uploads.insert(
        file.entry(),
        Saved {
            upload_id: upload_id.to_owned(),
            started_at: now,
            parts: None,
        },
    );
    store::write_json(FILE, &uploads)
}

pub fn forget(file: &FileId) -> Result<()> {
    let Some(mut uploads) = store::read_json::<Uploads>(FILE)? else {
        return Ok(());
    };
    if uploads.uploads.remove(&file.entry()).is_some() {
        store::write_json(FILE, &uploads)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(key: &str, size: u64, mtime_ns: u128) -> FileId {
        FileId {
            api_url: "http://h/{route}/".into(),
            email: "a@example.com".into(),
            key: Remote::parse(key),
            size,
            mtime_ns,
        }
    }

    #[test]
    fn a_home_entry_keeps_its_old_form_and_a_team_entry_names_its_space() {
        assert_eq!(
            file("big.bin", 100, 7).entry(),
            "http://h/{route}/\na@example.com\nbig.bin\n100\n7"
        );
        assert_eq!(
            file("team:big.bin", 100, 7).entry(),
            "http://h/{route}/\na@example.com\nbig.bin\n100\n7\nteam"
        );
    }

    /// One test (the config directory is process-wide).
    #[test]
    fn remembered_per_file_size_and_mtime_and_forgotten() {
        let dir = std::env::temp_dir().join(format!("homedir-cli-state-{}", std::process::id()));
        // SAFETY: the only test in this binary that reads the environment's config dir.
        unsafe { std::env::set_var("HOMEDIR_CONFIG_DIR", &dir) };
        let id = |f: &FileId| find(f).unwrap().map(|s| s.upload_id);
        let a = file("big.bin", 100, 7);
        assert_eq!(id(&a), None);
        remember(&a, "100.8.abc", 1_000).unwrap();
        assert_eq!(id(&a).as_deref(), Some("100.8.abc"));
        assert_eq!(
            find(&a).unwrap().unwrap().parts,
            None,
            "no parts before all are sent"
        );
        let parts = vec![Part {
            number: 1,
            etag: "\"e\"".into(),
        }];
        all_sent(&a, &parts).unwrap();
        assert_eq!(find(&a).unwrap().unwrap().parts, Some(parts));
        assert_eq!(id(&file("big.bin", 101, 7)), None, "another size");
        assert_eq!(id(&file("big.bin", 100, 8)), None, "another mtime");
        assert_eq!(id(&file("other.bin", 100, 7)), None, "another key");
        assert_eq!(id(&file("team:big.bin", 100, 7)), None, "another space");
        let team = file("team:big.bin", 100, 7);
        remember(&team, "100.8.team", 1_000).unwrap();
        assert_eq!(id(&team).as_deref(), Some("100.8.team"));
        assert_eq!(id(&a).as_deref(), Some("100.8.abc"), "the home's own");
        forget(&team).unwrap();
        assert_eq!(
            id(&a).as_deref(),
            Some("100.8.abc"),
            "forgetting one keeps the other"
        );
        // An old entry is dropped when another is saved much later.
        let b = file("b.bin", 1, 1);
        remember(&b, "1.1.b", 1_000 + KEEP_SECS + 1).unwrap();
        assert_eq!(id(&a), None);
        forget(&b).unwrap();
        assert_eq!(id(&b), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
