//! `ls`: a folder, its versions or its trash, all pages.

pub(super) use homedir_wire::Version;
use homedir_wire::routes;
use homedir_wire::{FileEntry, Listing, Trash, VersionListing};

use super::{emit, find_file, folder};
use crate::api::Api;
use crate::cli::Ls;
use crate::error::{Error, Result};
use crate::human::{bytes, date, visible};
use http::Method;

pub async fn ls(api: &Api, args: Ls) -> Result<()> {
    let prefix = folder(args.prefix.as_deref());
    if args.versions {
        let versions = all_versions(api, "prefix", &prefix).await?;
        let lines = versions
            .iter()
            .map(|v| version_line(v, true))
            .collect::<Vec<_>>();
        return emit(&lines);
    }
    if args.deleted {
        return trash(api, &prefix).await;
    }
    let mut folders = Vec::new();
    let mut files = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut call = api
            .call(Method::GET, routes::LIST)
            .query("prefix", &prefix)
            .query("delimiter", "/");
        if let Some(c) = &cursor {
            call = call.query("cursor", c);
        }
        let page: Listing = call.send().await?.json()?;
        folders.extend(page.folders);
        files.extend(page.files);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    if folders.is_empty() && files.is_empty() {
        // Not a folder: the file of that name, or nothing at all.
        let raw = args.prefix.as_deref().unwrap_or_default();
        if prefix.is_empty() {
            return Ok(());
        }
        return match find_file(api, raw.trim_end_matches('/')).await? {
            Some(file) if !raw.ends_with('/') => emit(&[file_line(&file, args.long, &file.key)]),
            _ => Err(Error::NoSuchPath(raw.to_owned())),
        };
    }
    let name = |key: &str| key.strip_prefix(prefix.as_str()).unwrap_or(key).to_owned();
    let mut lines: Vec<String> = folders
        .iter()
        .map(|f| {
            if args.long {
                format!("{:>10}  {:19}  {:34}  {}", "-", "", "", visible(&name(f)))
            } else {
                format!("{:>10}  {}", "-", visible(&name(f)))
            }
        })
        .collect();
    lines.extend(files.iter().map(|f| file_line(f, args.long, &name(&f.key))));
    emit(&lines)
}

/// `SIZE  [DATE  ETAG]  NAME`, the name shown for what it is (see [`visible`]).
fn file_line(f: &FileEntry, long: bool, name: &str) -> String {
    let size = bytes(u64::try_from(f.size).unwrap_or(0));
    if long {
        format!(
            "{size:>10}  {:19}  {:34}  {}",
            date(f.last_modified.as_deref()),
            f.etag.as_deref().unwrap_or("-"),
            visible(name)
        )
    } else {
        format!("{size:>10}  {}", visible(name))
    }
}

/// Every version under a prefix (`by` = "prefix") or of one key (`by` = "key").
pub(super) async fn all_versions(api: &Api, by: &str, value: &str) -> Result<Vec<Version>> {
    let mut versions = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut call = api
            .call(Method::GET, routes::LIST)
            .query(by, value)
            .query("versions", "1");
        if by == "key" {
            call = call.about(value);
        }
        if let Some(c) = &cursor {
            call = call.query("cursor", c);
        }
        let page: VersionListing = call.send().await?.json()?;
        versions.extend(page.versions);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(versions),
        }
    }
}

/// `SIZE  DATE  VERSION  STATE  [KEY]`.
pub(super) fn version_line(v: &Version, with_key: bool) -> String {
    let size = match (v.deleted, v.size) {
        (true, _) => "-".to_owned(),
        (false, size) => bytes(size.and_then(|s| u64::try_from(s).ok()).unwrap_or(0)),
    };
    let state = match (v.latest, v.deleted) {
        (true, true) => "deleted",
        (false, true) => "deleted (earlier)",
        (true, false) => "current",
        (false, false) => "",
    };
    let line = format!(
        "{size:>10}  {:19}  {:34}  {state:17}",
        date(v.last_modified.as_deref()),
        v.version_id
    );
    if with_key {
        format!("{line}  {}", visible(&v.key))
    } else {
        line.trim_end().to_owned()
    }
}

async fn trash(api: &Api, prefix: &str) -> Result<()> {
    let mut lines = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut call = api
            .call(Method::GET, routes::LIST)
            .query("prefix", prefix)
            .query("deleted", "1");
        if let Some(c) = &cursor {
            call = call.query("cursor", c);
        }
        let page: Trash = call.send().await?.json()?;
        lines.extend(page.files.iter().map(|f| {
            format!(
                "{:>10}  deleted {:19}  {:34}  {}",
                bytes(f.size.and_then(|s| u64::try_from(s).ok()).unwrap_or(0)),
                date(f.deleted_at.as_deref()),
                f.version_id,
                visible(&f.key)
            )
        }));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    emit(&lines)
}
