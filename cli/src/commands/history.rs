//! `versions KEY` and `restore KEY [VERSION]`.
//!
//! `restore` without a version chooses, from the file's history (newest first):
//! - a **deleted** file (its current version is a delete marker): the newest version
//!   that is not a delete marker, i.e. what it was when deleted (the trash's
//!   undelete, the version `ls --deleted` shows);
//! - an existing file: the version **before** the current one (undo the last write).
//!
//! Either way the restore is a new version: nothing is lost, and running it again
//! with the version `homedir versions` shows undoes it.

use homedir_wire::routes;
use homedir_wire::{FolderRestored, Written};
use http::Method;

use super::ls::{Version, all_versions, version_line};
use super::{emit, folder};
use crate::api::Api;
use crate::cli::{Restore, Versions};
use crate::error::{Error, Result};
use crate::remote::Remote;

pub async fn versions(api: &Api, args: Versions) -> Result<()> {
    let versions = all_versions(api, "key", &args.key).await?;
    if versions.is_empty() {
        return Err(Error::NotFound(args.key.to_string()));
    }
    emit(
        &versions
            .iter()
            .map(|v| version_line(v, None))
            .collect::<Vec<_>>(),
    )
}

pub async fn restore(api: &Api, args: Restore) -> Result<()> {
    let at = args.key;
    if args.recursive {
        return restore_folder(api, &at).await;
    }
    if at.is_top() {
        return Err(Error::Usage(format!(
            "restore needs a file, or with -r a folder; it does not restore the whole of {}",
            at.space_name()
        )));
    }
    if at.key.ends_with('/') {
        return Err(Error::Usage(format!(
            "{at} is a folder: use homedir restore -r {at}"
        )));
    }
    let version = match args.version {
        Some(version) => version,
        None => {
            let history = all_versions(api, "key", &at).await?;
            choose(&history, &at.to_string())?.version_id.clone()
        }
    };
    let written: Written = api
        .call(Method::PUT, routes::WRITE_FILE)
        .space(at.space)
        .query("key", &at.key)
        .query("restore", &version)
        .about(&at.to_string())
        .send()
        .await?
        .json()?;
    emit(&[format!(
        "restored {at} to version {version}{}",
        written
            .version_id
            .map(|v| format!(" (now its current version {v})"))
            .unwrap_or_default()
    )])
}

/// `restore -r P/`: the folder's deleted files, in as many calls as the API needs.
async fn restore_folder(api: &Api, at: &Remote) -> Result<()> {
    let prefix = at.with_key(folder(Some(&at.key)));
    if prefix.is_top() {
        return Err(Error::Usage(format!(
            "restore -r needs a folder (ending with /); it does not restore the whole of {}",
            at.space_name()
        )));
    }
    let (mut restored, mut skipped) = (0u64, 0u64);
    let mut cursor: Option<String> = None;
    loop {
        let mut call = api
            .call(Method::PUT, routes::WRITE_FILE)
            .space(prefix.space)
            .query("prefix", &prefix.key)
            .query("undelete", "1");
        if let Some(c) = &cursor {
            call = call.query("cursor", c);
        }
        let page: FolderRestored = call.send().await?.json()?;
        restored += page.restored;
        skipped += page.skipped;
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    if restored == 0 && skipped == 0 {
        return Err(Error::NotFound(format!(
            "{prefix} (nothing deleted under it)"
        )));
    }
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    let mut lines = vec![format!(
        "restored {restored} file{} under {prefix}",
        plural(restored)
    )];
    if skipped > 0 {
        lines.push(format!(
            "left {skipped} deleted file{} as {} (written again meanwhile, or a name the API no longer accepts)",
            plural(skipped),
            if skipped == 1 { "it is" } else { "they are" }
        ));
    }
    emit(&lines)
}

/// The version `restore` brings back when none is named (see the module's comment).
fn choose<'a>(history: &'a [Version], key: &str) -> Result<&'a Version> {
    let Some(current) = history.first() else {
        return Err(Error::NotFound(key.to_owned()));
    };
    let mut files = history.iter().filter(|v| !v.deleted);
    let chosen = if current.deleted {
        files.next()
    } else {
        files.nth(1)
    };
    chosen.ok_or_else(|| {
        if current.deleted {
            Error::NotFound(key.to_owned())
        } else {
            Error::NoEarlierVersion(key.to_owned())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(id: &str, latest: bool, deleted: bool) -> Version {
        Version {
            key: "k".into(),
            version_id: id.into(),
            size: Some(1),
            etag: None,
            last_modified: None,
            latest,
            deleted,
        }
    }

    #[test]
    fn a_deleted_file_gets_its_last_version_back() {
        let history = [
            v("m", true, true),
            v("b", false, false),
            v("a", false, false),
        ];
        assert_eq!(choose(&history, "k").unwrap().version_id, "b");
    }

    #[test]
    fn an_existing_file_gets_the_version_before_the_current_one() {
        let history = [
            v("c", true, false),
            v("m", false, true),
            v("b", false, false),
            v("a", false, false),
        ];
        assert_eq!(choose(&history, "k").unwrap().version_id, "b");
    }

    #[test]
    fn nothing_to_restore_is_said_in_words() {
        assert_eq!(choose(&[], "k").unwrap_err().to_string(), "no such file: k");
        assert_eq!(
            choose(&[v("c", true, false)], "k").unwrap_err().to_string(),
            "k has no earlier version to restore"
        );
    }
}
