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

pub async fn rm(api: &Api, args: Rm) -> Result<()> {
    if args.recursive {
        return rm_folder(api, &args.key).await;
    }
    if args.key.ends_with('/') {
        return Err(Error::Usage(format!(
            "{} is a folder: use homedir rm -r {}",
            args.key, args.key
        )));
    }
    // `If-Match: *`: S3 deletes only an existing current version, so a missing file is
    // a 412 that writes nothing (no delete marker in its history), not a deletion.
    let deleted = api
        .call(Method::DELETE, routes::DELETE)
        .query("key", &args.key)
        .header(IF_MATCH, "*")
        .about(&args.key)
        .send()
        .await;
    match deleted {
        Ok(_) => emit(&[format!(
            "deleted {} (restore it with: homedir restore {})",
            args.key, args.key
        )]),
        Err(Error::Precondition(_) | Error::NotFound(_)) => {
            let as_folder = format!("{}/", args.key);
            if is_folder(api, &as_folder).await? {
                return Err(Error::Usage(format!(
                    "{} is a folder: use homedir rm -r {as_folder}",
                    args.key
                )));
            }
            if args.force {
                emit(&[format!("no such file: {} (nothing deleted)", args.key)])
            } else {
                Err(Error::NotFound(args.key))
            }
        }
        Err(other) => Err(other),
    }
}

/// Deletes a folder in as many calls as the API needs (it answers within its time
/// budget with a cursor while files remain).
async fn rm_folder(api: &Api, raw: &str) -> Result<()> {
    let prefix = folder(Some(raw));
    if prefix.is_empty() {
        return Err(Error::Usage(
            "rm -r needs a folder; it does not delete the whole home".into(),
        ));
    }
    let mut deleted = 0u64;
    let mut cursor: Option<String> = None;
    loop {
        let mut call = api
            .call(Method::DELETE, routes::DELETE)
            .query("prefix", &prefix);
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
        return Err(Error::NotFound(prefix));
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

pub async fn transfer(api: &Api, args: Transfer, kind: Kind) -> Result<()> {
    let destination = into_folder(&args.destination, base_name(&args.source));
    let (parameter, verb) = match kind {
        Kind::Move => ("move_from", "moved"),
        Kind::Copy => ("copy_from", "copied"),
    };
    let mut call = api
        .call(Method::PUT, routes::WRITE_FILE)
        .query("key", &destination)
        .query(parameter, &args.source)
        .about(&args.source);
    if args.if_absent {
        call = call.header(IF_NONE_MATCH, "*").on_precondition(match kind {
            Kind::Copy => format!("{destination} already exists (--if-absent)"),
            Kind::Move => format!(
                "{destination} already exists (--if-absent), or {} changed during the move; nothing was lost",
                args.source
            ),
        });
    }
    call.send().await?;
    emit(&[format!("{verb} {} to {destination}", args.source)])
}
