//! `ls`: a folder, its versions or its trash, all pages.

pub(super) use homedir_wire::Version;
use homedir_wire::routes;
use homedir_wire::{FileEntry, Listing, Trash, VersionListing};

use super::{emit, find_file, folder};
use crate::api::Api;
use crate::cli::Ls;
use crate::error::{Error, Result};
use crate::human::{bytes, date, visible};
use crate::remote::Remote;
use http::Method;

/// Names in a folder are shown relative to it, as ls(1) shows them; whole keys (a file
/// listed by its name, versions, the trash) as remote paths that can be typed back
/// (`team:q3/a.pdf` in the team's space).
pub async fn ls(api: &Api, args: Ls) -> Result<()> {
    let at = args.prefix.unwrap_or_else(|| Remote::home(""));
    let prefix = folder(Some(&at.key));
    if args.versions {
        let versions = all_versions(api, "prefix", &at.with_key(prefix.as_str())).await?;
        let lines = versions
            .iter()
            .map(|v| version_line(v, Some(&at.with_key(v.key.as_str()))))
            .collect::<Vec<_>>();
        return emit(&lines);
    }
    if args.deleted {
        return trash(api, &at.with_key(prefix)).await;
    }
    let mut folders = Vec::new();
    let mut files = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut call = api
            .call(Method::GET, routes::LIST)
            .space(at.space)
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
        if prefix.is_empty() {
            return Ok(());
        }
        let file = at.with_key(at.key.trim_end_matches('/'));
        return match find_file(api, &file).await? {
            Some(found) if !at.key.ends_with('/') => {
                emit(&[file_line(&found, args.long, &file.to_string())])
            }
            _ => Err(Error::NoSuchPath(at.to_string())),
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
pub(super) async fn all_versions(api: &Api, by: &str, at: &Remote) -> Result<Vec<Version>> {
    let mut versions = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut call = api
            .call(Method::GET, routes::LIST)
            .space(at.space)
            .query(by, &at.key)
            .query("versions", "1");
        if by == "key" {
            call = call.about(&at.to_string());
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

/// `SIZE  DATE  VERSION  STATE  [KEY]`, the key as a remote path (`Some`: its space's).
pub(super) fn version_line(v: &Version, key: Option<&Remote>) -> String {
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
    match key {
        Some(key) => format!("{line}  {key}"),
        None => line.trim_end().to_owned(),
    }
}

async fn trash(api: &Api, folder: &Remote) -> Result<()> {
    let mut lines = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut call = api
            .call(Method::GET, routes::LIST)
            .space(folder.space)
            .query("prefix", &folder.key)
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
                folder.with_key(f.key.as_str())
            )
        }));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    emit(&lines)
}
