//! History: every version of a file, the trash, and restoring a version.
//!
//! The bucket is versioned and the role may never delete a version
//! (`s3:DeleteObjectVersion` is not granted), so an overwrite or a delete only ever
//! adds to a file's history: whatever a client or a leaked token does, the old
//! content stays recoverable for `NoncurrentVersionExpirationDays`. These are the
//! read-only views of that history (ListObjectVersions, GetObject with a version
//! id) and the one way back: a restore copies an old version onto the file, as a new
//! version, so even a restore loses nothing.

use aws_sdk_s3::operation::list_object_versions::ListObjectVersionsOutput;
use futures::StreamExt;
pub use homedir_wire::{FolderRestored, Trash, TrashEntry, Version, VersionListing};

use super::keys::{Key, VersionId};
use super::list::{invalid_cursor, time};
use super::write::{WriteCondition, Written};
use super::{Space, s3_error};
use crate::aws::Failure;
use crate::error::Error;

/// Where a version listing goes on: S3's key and version-id markers, the key made
/// relative to the home. Text form `<version id marker>:<relative key marker>`
/// (version ids never contain `:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionCursor {
    pub key: String,
    pub version_id: String,
}

/// Versions listed per batch of a folder restore: a page of the trash.
pub const RESTORE_PAGE: i32 = 200;
/// Files restored at once (one HeadObject and one CopyObject each).
const RESTORES_IN_FLIGHT: usize = 8;

/// A version cursor holds a key (≤ 1 KB) and a version id (≤ 1 KB).
pub const MAX_VERSION_CURSOR_BYTES: usize = 2048;

impl VersionCursor {
    pub fn parse(raw: &str) -> Result<VersionCursor, Error> {
        if raw.len() > MAX_VERSION_CURSOR_BYTES {
            return Err(invalid_cursor());
        }
        let (version_id, key) = raw.split_once(':').ok_or_else(invalid_cursor)?;
        if key.is_empty() || key.chars().any(char::is_control) || key.starts_with('/') {
            return Err(invalid_cursor());
        }
        if !version_id.is_empty() {
            VersionId::parse(version_id).map_err(|_| invalid_cursor())?;
        }
        Ok(VersionCursor {
            key: key.to_owned(),
            version_id: version_id.to_owned(),
        })
    }

    /// The text form handed out as `next_cursor`, which [`VersionCursor::parse`] reads.
    pub fn text(&self) -> String {
        format!("{}:{}", self.version_id, self.key)
    }
}

/// What to list: a subtree (`prefix`) or exactly one file (`exact`).
#[derive(Debug)]
pub struct VersionsRequest {
    pub prefix: String,
    pub exact: bool,
    pub limit: i32,
    pub cursor: Option<VersionCursor>,
}

impl Space<'_> {
    async fn list_versions(
        &self,
        prefix: &str,
        limit: i32,
        cursor: Option<&VersionCursor>,
    ) -> Result<ListObjectVersionsOutput, Error> {
        self.s3()
            .list_object_versions()
            .bucket(self.bucket())
            .prefix(format!("{}{prefix}", self.root()))
            .max_keys(limit)
            .set_key_marker(cursor.map(|c| format!("{}{}", self.root(), c.key)))
            .set_version_id_marker(
                cursor
                    .filter(|c| !c.version_id.is_empty())
                    .map(|c| c.version_id.clone()),
            )
            .customize()
            .config_override(self.as_caller())
            .send()
            .await
            .map_err(|error| {
                let failure = Failure::of(&error);
                if failure.code() == "InvalidArgument" && cursor.is_some() {
                    return invalid_cursor();
                }
                s3_error(failure, "ListObjectVersions")
            })
    }

    /// Every version and delete marker in one page, by key, newest first.
    fn page_versions(&self, page: &ListObjectVersionsOutput) -> Vec<Version> {
        let files = page.versions().iter().filter_map(|v| {
            Some(Version {
                key: self.relative(v.key()?)?,
                version_id: v.version_id()?.to_owned(),
                size: v.size(),
                etag: v.e_tag().map(str::to_owned),
                last_modified: time(v.last_modified()),
                latest: v.is_latest() == Some(true),
                deleted: false,
            })
        });
        let markers = page.delete_markers().iter().filter_map(|m| {
            Some(Version {
                key: self.relative(m.key()?)?,
                version_id: m.version_id()?.to_owned(),
                size: None,
                etag: None,
                last_modified: time(m.last_modified()),
                latest: m.is_latest() == Some(true),
                deleted: true,
            })
        });
        let mut all: Vec<Version> = files.chain(markers).collect();
        // S3 sends versions and markers apart, each by key then newest first; RFC 3339
        // UTC times of one precision sort as text.
        all.sort_by(|a, b| {
            a.key
                .cmp(&b.key)
                .then(b.latest.cmp(&a.latest))
                .then(b.last_modified.cmp(&a.last_modified))
        });
        all
    }

    fn next_cursor(&self, page: &ListObjectVersionsOutput) -> Option<VersionCursor> {
        if page.is_truncated() != Some(true) {
            return None;
        }
        Some(VersionCursor {
            key: self.relative(page.next_key_marker()?)?,
            version_id: page.next_version_id_marker().unwrap_or_default().to_owned(),
        })
    }

    /// `GET /list?versions=1`: one page of versions and delete markers.
    pub async fn versions(&self, request: &VersionsRequest) -> Result<VersionListing, Error> {
        let page = self
            .list_versions(&request.prefix, request.limit, request.cursor.as_ref())
            .await?;
        let mut versions = self.page_versions(&page);
        let mut next = self.next_cursor(&page);
        if request.exact {
            // A file's key sorts before every longer key it is a prefix of, so its
            // versions come first; the rest belong to other files and never leak.
            versions.retain(|v| v.key == request.prefix);
            if next.as_ref().is_some_and(|c| c.key != request.prefix) {
                next = None;
            }
        }
        Ok(VersionListing {
            versions,
            next_cursor: next.map(|c| c.text()),
        })
    }

    /// `GET /list?deleted=1`: one page of the trash, each file with the version an
    /// undelete restores (its newest version that is not a delete marker).
    pub async fn trash(&self, request: &VersionsRequest) -> Result<Trash, Error> {
        let page = self
            .list_versions(&request.prefix, request.limit, request.cursor.as_ref())
            .await?;
        let versions = self.page_versions(&page);
        let truncated = page.is_truncated() == Some(true);
        let mut files = Vec::new();
        for (index, marker) in versions.iter().enumerate() {
            if !(marker.latest && marker.deleted) {
                continue;
            }
            let restorable = versions[index..]
                .iter()
                .take_while(|v| v.key == marker.key)
                .find(|v| !v.deleted);
            let restorable = match restorable {
                Some(version) => Some(version.clone()),
                // The file's older versions may lie beyond this page.
                None if truncated && versions.last().is_some_and(|v| v.key == marker.key) => {
                    self.newest_version(&marker.key).await?
                }
                None => None,
            };
            // A marker with no version before it (a delete of a file that never
            // existed) leaves nothing to restore.
            if let Some(version) = restorable {
                files.push(TrashEntry {
                    key: marker.key.clone(),
                    deleted_at: marker.last_modified.clone(),
                    version_id: version.version_id,
                    size: version.size,
                    etag: version.etag,
                    last_modified: version.last_modified,
                });
            }
        }
        Ok(Trash {
            files,
            next_cursor: self.next_cursor(&page).map(|c| c.text()),
        })
    }

    /// The newest version of exactly `key` that is not a delete marker.
    async fn newest_version(&self, key: &str) -> Result<Option<Version>, Error> {
        let mut cursor = None;
        loop {
            let page = self.list_versions(key, 1000, cursor.as_ref()).await?;
            let versions = self.page_versions(&page);
            if let Some(found) = versions.iter().find(|v| v.key == key && !v.deleted) {
                return Ok(Some(found.clone()));
            }
            cursor = self.next_cursor(&page);
            match &cursor {
                Some(next) if next.key == key => continue,
                _ => return Ok(None),
            }
        }
    }

    /// Whether `version` of `key` exists, for telling "denied" from "missing".
    pub(super) async fn version_denied_or_missing(
        &self,
        key: &Key,
        version: &VersionId,
    ) -> Result<Error, Error> {
        let mut cursor = None;
        loop {
            let page = self
                .list_versions(key.as_str(), 1000, cursor.as_ref())
                .await?;
            let versions = self.page_versions(&page);
            if versions
                .iter()
                .any(|v| v.key == key.as_str() && v.version_id == version.as_str())
            {
                tracing::warn!(
                    operation = "GetObject",
                    aws_code = "AccessDenied",
                    "S3 refused the caller's own credentials for a version in their home"
                );
                return Ok(Error::Forbidden);
            }
            cursor = self.next_cursor(&page);
            match &cursor {
                Some(next) if next.key == key.as_str() => continue,
                _ => return Ok(Error::NotFound),
            }
        }
    }

    /// `PUT /write-file?prefix=P/&undelete=1`: the deleted files under `prefix` (a
    /// folder) come back, each as a new version of its newest version that is not a
    /// delete marker (the trash's undelete), at most `limit` of them and within the
    /// folder budget, in batches of at most [`RESTORE_PAGE`] listed versions (and no
    /// more than `limit`; a page lists versions, so it may hold fewer deleted files);
    /// then a cursor to
    /// continue from. A file written again since it was deleted is no longer in the
    /// trash and is left as it is; one written while this runs is left too
    /// (`If-None-Match: *` on each copy) and counted as skipped. Restoring is
    /// idempotent: a restored file is no longer in the trash.
    pub async fn restore_folder(
        &self,
        prefix: &str,
        limit: u64,
        cursor: Option<VersionCursor>,
        admission: &impl super::Admission,
    ) -> Result<FolderRestored, Error> {
        let started = std::time::Instant::now();
        let mut outcome = FolderRestored {
            restored: 0,
            skipped: 0,
            next_cursor: None,
        };
        let mut cursor = cursor;
        loop {
            let remaining = limit
                .saturating_sub(outcome.restored + outcome.skipped)
                .max(1);
            let page = self
                .trash(&VersionsRequest {
                    prefix: prefix.to_owned(),
                    exact: false,
                    limit: i32::try_from(remaining)
                        .unwrap_or(RESTORE_PAGE)
                        .min(RESTORE_PAGE),
                    cursor: cursor.take(),
                })
                .await?;
            // The batch as a whole must fit: files restored by earlier batches stay,
            // and a call without the cursor later goes on from the trash as it is.
            let batch: u64 = page
                .files
                .iter()
                .map(|entry| u64::try_from(entry.size.unwrap_or(0)).unwrap_or(0))
                .sum();
            admission.admit(batch).await?;
            let results: Vec<Result<bool, Error>> = futures::stream::iter(page.files)
                .map(|entry| async move {
                    // A name stored before today's key rules (or with another client)
                    // cannot be restored through the API: it stays in the trash.
                    let (Ok(key), Ok(version)) = (
                        Key::parse(&entry.key, usize::MAX),
                        VersionId::parse(&entry.version_id),
                    ) else {
                        tracing::warn!("a deleted file whose name the API refuses was skipped");
                        return Ok(false);
                    };
                    match self
                        .restore(&key, &version, &WriteCondition::Absent, &super::Unlimited)
                        .await
                    {
                        Ok(_) => Ok(true),
                        Err(Error::PreconditionFailed) => Ok(false),
                        Err(other) => Err(other),
                    }
                })
                .buffer_unordered(RESTORES_IN_FLIGHT)
                .collect()
                .await;
            for result in results {
                if result? {
                    outcome.restored += 1;
                } else {
                    outcome.skipped += 1;
                }
            }
            let Some(next) = page.next_cursor else {
                return Ok(outcome);
            };
            if outcome.restored + outcome.skipped >= limit
                || started.elapsed() >= self.storage.folder_delete_budget
            {
                outcome.next_cursor = Some(next);
                return Ok(outcome);
            }
            cursor = Some(VersionCursor::parse(&next)?);
        }
    }

    /// `PUT /write-file?key=K&restore=V`: version `V` of `K` becomes its current
    /// content again, as a new version (an undelete is the restore of the version
    /// the trash names). `condition` applies to the current version.
    pub async fn restore(
        &self,
        key: &Key,
        version: &VersionId,
        condition: &WriteCondition,
        admission: &impl super::Admission,
    ) -> Result<Written, Error> {
        let source = self.source(key, Some(version), None).await?;
        admission.admit(source.size()).await?;
        self.copy_into(key, &source, condition).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let cursor = VersionCursor {
            key: "docs/a:b.txt".into(),
            version_id: "3HL4kqtJlcpXroDTDmJ".into(),
        };
        assert_eq!(VersionCursor::parse(&cursor.text()), Ok(cursor));
        let no_version = VersionCursor::parse(":docs/x").expect("a key marker alone");
        assert_eq!(no_version.version_id, "");
        for bad in ["", "no-colon", "v:", "v:/abs", "v:a\u{1}b", "a/b:key"] {
            assert!(VersionCursor::parse(bad).is_err(), "{bad:?}");
        }
    }
}
