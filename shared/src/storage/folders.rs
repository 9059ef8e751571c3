//! Deleting a folder: every file under a prefix, in batches, into the trash.
//!
//! One call lists up to 1,000 keys (ListObjectsV2) and deletes them with one
//! DeleteObjects, batch after batch, until the caller's `limit` or the time budget is
//! reached (the budget keeps the answer well inside API Gateway's 30 s); then it
//! answers with a cursor to continue from. In the versioned bucket every delete is a
//! delete marker: the whole folder lands in the trash, recoverable file by file.

use std::time::Instant;

use aws_sdk_s3::types::{Delete, ObjectIdentifier};
pub use homedir_wire::FolderDeleted;

use super::keys::Prefix;
use super::{Space, s3_error};
use crate::aws::Failure;
use crate::error::{Error, Upstream};

/// DeleteObjects takes at most 1,000 keys.
pub const BATCH: u32 = 1000;

/// The longest folder-delete cursor accepted (a relative key is shorter still).
pub const MAX_FOLDER_CURSOR_BYTES: usize = 1024;

/// A folder-delete `cursor` as `next_cursor` handed it out: the relative key of the
/// last file deleted, so it lies under `prefix` and, like every key, holds no
/// control character. Its only use is S3's `StartAfter` under the same prefix.
pub fn parse_folder_cursor<'c>(prefix: &Prefix, raw: &'c str) -> Result<&'c str, Error> {
    if !raw.starts_with(prefix.as_str())
        || raw.len() > MAX_FOLDER_CURSOR_BYTES
        || raw.chars().any(char::is_control)
    {
        return Err(Error::InvalidRequest(
            "the cursor is not valid for this folder".into(),
        ));
    }
    Ok(raw)
}

impl Space<'_> {
    /// Deletes up to `limit` files under `prefix` (a folder: ends with `/`), after the
    /// key `after` (a cursor: a key under `prefix`, relative to the home) if given.
    pub async fn delete_folder(
        &self,
        prefix: &Prefix,
        limit: u32,
        after: Option<&str>,
    ) -> Result<FolderDeleted, Error> {
        let started = Instant::now();
        let full_prefix = format!("{}{}", self.root(), prefix.as_str());
        let after = after
            .map(|raw| parse_folder_cursor(prefix, raw))
            .transpose()?;
        let mut start_after = after.map(|key| format!("{}{key}", self.root()));
        let mut deleted = 0u64;
        loop {
            let wanted = BATCH.min(limit - deleted as u32);
            let listed = self
                .s3()
                .list_objects_v2()
                .bucket(self.bucket())
                .prefix(&full_prefix)
                .max_keys(wanted as i32)
                .set_start_after(start_after.clone())
                .customize()
                .config_override(self.as_caller())
                .send()
                .await
                .map_err(|error| s3_error(Failure::of(&error), "ListObjectsV2"))?;
            let keys: Vec<String> = listed
                .contents()
                .iter()
                .filter_map(|object| object.key().map(str::to_owned))
                .collect();
            let Some(last) = keys.last().cloned() else {
                return Ok(FolderDeleted {
                    deleted,
                    next_cursor: None,
                });
            };
            self.delete_batch(&keys).await?;
            deleted += keys.len() as u64;
            let more = listed.is_truncated() == Some(true);
            let relative = last
                .strip_prefix(self.root())
                .ok_or_else(|| Error::Internal("a listed key outside the home".into()))?
                .to_owned();
            if !more {
                return Ok(FolderDeleted {
                    deleted,
                    next_cursor: None,
                });
            }
            if deleted as u32 >= limit || started.elapsed() >= self.storage.folder_delete_budget {
                return Ok(FolderDeleted {
                    deleted,
                    next_cursor: Some(relative),
                });
            }
            start_after = Some(last);
        }
    }

    /// One DeleteObjects of `keys` (full S3 keys, at most [`BATCH`]): a delete marker
    /// each. A key S3 refuses fails the batch.
    async fn delete_batch(&self, keys: &[String]) -> Result<(), Error> {
        let objects = keys
            .iter()
            .map(|key| ObjectIdentifier::builder().key(key).build())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| Error::Internal("a listed key without a name".into()))?;
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|_| Error::Internal("an empty DeleteObjects batch".into()))?;
        let output = self
            .s3()
            .delete_objects()
            .bucket(self.bucket())
            .delete(delete)
            .customize()
            .config_override(self.as_caller())
            .send()
            .await
            .map_err(|error| s3_error(Failure::of(&error), "DeleteObjects"))?;
        if let Some(failed) = output.errors().first() {
            tracing::warn!(
                aws_code = failed.code().unwrap_or("none"),
                failures = output.errors().len(),
                "DeleteObjects refused some keys of the caller's folder"
            );
            return Err(match failed.code() {
                Some("AccessDenied") => Error::Forbidden,
                _ => Error::UpstreamUnavailable(Upstream::S3),
            });
        }
        Ok(())
    }
}
