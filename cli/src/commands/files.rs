//! `rm`, `rm -r`, `mv` and `cp`. Nothing is ever lost: a delete adds a delete marker
//! (the file goes to the trash, `homedir ls --deleted`), a move is a copy then a delete.

use homedir_wire::FolderDeleted;
use homedir_wire::routes;
use http::Method;
use http::header::{IF_MATCH, IF_NONE_MATCH};

use super::{base_name, emit, folder, into_folder, is_folder};
use crate::api::Api;
use crate::cli::{Rm, Transfer};
use crate::error::{Error, Result};
use crate::remote::Remote;

pub async fn rm(api: &Api, args: Rm) -> Result<()> {
    let at = args.key;
    if args.recursive {
        return rm_folder(api, &at).await;
    }
    if at.is_top() {
        return Err(Error::Usage(format!(
            "rm needs a file, or with -r a folder; it does not delete the whole of {}",
            at.space_name()
        )));
    }
    if at.key.ends_with('/') {
        return Err(Error::Usage(format!(
            "{at} is a folder: use homedir rm -r {at}"
        )));
    }
    // `If-Match: *`: S3 deletes only an existing current version, so a missing file is
    // a 412 that writes nothing (no delete marker in its history), not a deletion.
    let deleted = api
        .call(Method::DELETE, routes::DELETE)
        .space(at.space)
        .query("key", &at.key)
        .header(IF_MATCH, "*")
        .about(&at.to_string())
        .send()
        .await;
    match deleted {
        Ok(_) => emit(&[format!(
            "deleted {at} (restore it with: homedir restore {at})"
        )]),
        Err(Error::Precondition(_) | Error::NotFound(_)) => {
            let as_folder = at.with_key(format!("{}/", at.key));
            if is_folder(api, &as_folder).await? {
                return Err(Error::Usage(format!(
                    "{at} is a folder: use homedir rm -r {as_folder}"
                )));
            }
            if args.force {
                emit(&[format!("no such file: {at} (nothing deleted)")])
            } else {
                Err(Error::NotFound(at.to_string()))
            }
        }
        Err(other) => Err(other),
    }
}

/// Deletes a folder in as many calls as the API needs (it answers within its time
/// budget with a cursor while files remain).
async fn rm_folder(api: &Api, at: &Remote) -> Result<()> {
    let prefix = at.with_key(folder(Some(&at.key)));
    if prefix.is_top() {
        return Err(Error::Usage(format!(
            "rm -r needs a folder; it does not delete the whole of {}",
            at.space_name()
        )));
    }
    let mut deleted = 0u64;
    let mut cursor: Option<String> = None;
    loop {
        let mut call = api
            .call(Method::DELETE, routes::DELETE)
            .space(prefix.space)
            .query("prefix", &prefix.key);
        if let Some(c) = &cursor {
            call = call.query("cursor", c);
        }
        let page: FolderDeleted = call.send().await?.json()?;
        deleted += page.deleted;
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    if deleted == 0 {
        return Err(Error::NotFound(prefix.to_string()));
    }
    emit(&[format!(
        "deleted {deleted} file{} under {prefix} (see homedir ls --deleted {prefix})",
        if deleted == 1 { "" } else { "s" }
    )])
}

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Move,
    Copy,
}

/// Within a space, or across (`from_space`): a copy from the home into the team's
/// space, or back, is done by the API with the caller's own credentials.
pub async fn transfer(api: &Api, args: Transfer, kind: Kind) -> Result<()> {
    let source = args.source;
    let destination = args
        .destination
        .with_key(into_folder(&args.destination.key, base_name(&source.key)));
    let (parameter, verb) = match kind {
        Kind::Move => ("move_from", "moved"),
        Kind::Copy => ("copy_from", "copied"),
    };
    let mut call = api
        .call(Method::PUT, routes::WRITE_FILE)
        .space(destination.space)
        .source_space(source.space, destination.space)
        .query("key", &destination.key)
        .query(parameter, &source.key)
        .about(&source.to_string());
    if args.if_absent {
        call = call.header(IF_NONE_MATCH, "*").on_precondition(match kind {
            Kind::Copy => format!("{destination} already exists (--if-absent)"),
            Kind::Move => format!(
                "{destination} already exists (--if-absent), or {source} changed during the move; nothing was lost"
            ),
        });
    }
    call.send().await?;
    emit(&[format!("{verb} {source} to {destination}")])
}
