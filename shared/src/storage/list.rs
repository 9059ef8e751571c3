//! Listing a folder, one page at a time.

use aws_sdk_s3::primitives::DateTimeFormat;
pub use homedir_wire::{FileEntry, Listing};

use super::keys::Prefix;
use super::{Space, prefix_under, s3_error};
use crate::aws::Failure;
use crate::error::Error;

/// How to list: what [`Space::list`] passes to ListObjectsV2.
#[derive(Debug, Default)]
pub struct ListRequest {
    pub prefix: Prefix,
    /// Group keys by `/` into folders.
    pub folders: bool,
    pub limit: i32,
    pub cursor: Option<String>,
}

/// The longest list cursor accepted; S3's continuation tokens are far shorter.
pub const MAX_LIST_CURSOR_BYTES: usize = 1024;

impl ListRequest {
    /// A `cursor` as a listing's `next_cursor` handed it out: S3's opaque
    /// continuation token, given back to S3 verbatim. Only its shape is checked here
    /// (1 to [`MAX_LIST_CURSOR_BYTES`] bytes, no control character); S3 says whether
    /// it is one of its own.
    pub fn parse_cursor(raw: &str) -> Result<String, Error> {
        if raw.is_empty() || raw.len() > MAX_LIST_CURSOR_BYTES || raw.chars().any(char::is_control)
        {
            return Err(invalid_cursor());
        }
        Ok(raw.to_owned())
    }
}

/// The answer to a cursor S3 did not accept (or that does not fit this listing).
pub(super) fn invalid_cursor() -> Error {
    Error::InvalidRequest("the cursor is not valid for this listing".into())
}

/// An S3 time as RFC 3339, as every timestamp in the API's JSON.
pub(super) fn time(t: Option<&aws_sdk_s3::primitives::DateTime>) -> Option<String> {
    t.and_then(|t| t.fmt(DateTimeFormat::DateTime).ok())
}

impl Space<'_> {
    pub async fn list(&self, request: &ListRequest) -> Result<Listing, Error> {
        let output = self
            .s3()
            .list_objects_v2()
            .bucket(self.bucket())
            .prefix(prefix_under(&self.root, &request.prefix))
            .set_delimiter(request.folders.then(|| "/".to_owned()))
            .max_keys(request.limit)
            .set_continuation_token(request.cursor.clone())
            .customize()
            .config_override(self.as_caller())
            .send()
            .await
            .map_err(|error| {
                let failure = Failure::of(&error);
                if failure.code() == "InvalidArgument" && request.cursor.is_some() {
                    return invalid_cursor();
                }
                s3_error(failure, "ListObjectsV2")
            })?;
        let files = output
            .contents()
            .iter()
            .filter_map(|object| {
                Some(FileEntry {
                    key: self.relative(object.key()?)?,
                    size: object.size().unwrap_or(0),
                    etag: object.e_tag().map(str::to_owned),
                    last_modified: time(object.last_modified()),
                })
            })
            .collect();
        let folders = output
            .common_prefixes()
            .iter()
            .filter_map(|p| self.relative(p.prefix()?))
            .collect();
        let next_cursor = if output.is_truncated() == Some(true) {
            output.next_continuation_token().map(str::to_owned)
        } else {
            None
        };
        Ok(Listing {
            files,
            folders,
            next_cursor,
        })
    }
}
