//! One module per group of commands; [`run`] dispatches. Results go to standard
//! output, progress and errors to standard error.

mod account;
mod config;
mod credentials;
mod files;
mod get;
mod history;
mod ls;
mod put;
mod usage;
mod whoami;

use std::io::Write;

use homedir_wire::{FileEntry, Listing, routes};
use http::Method;

use crate::api::Api;
use crate::cli::{Cli, Command};
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::remote::Remote;

pub async fn run(cli: Cli) -> Result<()> {
    let quiet = cli.quiet;
    match cli.command {
        Command::Login(args) => account::login(args).await,
        Command::Logout => account::logout().await,
        Command::Signup(args) => account::signup(args).await,
        Command::Confirm(args) => account::confirm(args).await,
        Command::ResetPassword(args) => account::reset_password(args).await,
        Command::Mfa(args) => account::mfa(args.code_stdin).await,
        Command::Config(args) => config::config(args).await,
        Command::Ls(args) => ls::ls(&api()?, args).await,
        Command::Get(args) => get::get(&api()?, args, quiet).await,
        Command::Put(args) => put::put(&api()?, args, quiet).await,
        Command::Rm(args) => files::rm(&api()?, args).await,
        Command::Mv(args) => files::transfer(&api()?, args, files::Kind::Move).await,
        Command::Cp(args) => files::transfer(&api()?, args, files::Kind::Copy).await,
        Command::Restore(args) => history::restore(&api()?, args).await,
        Command::Versions(args) => history::versions(&api()?, args).await,
        Command::Whoami => whoami::whoami(&api()?).await,
        Command::Df(args) => usage::df(&api()?, args).await,
        Command::Credentials(args) => credentials::credentials(args).await,
    }
}

fn api() -> Result<Api> {
    Api::new(Settings::load()?)
}

/// Writes lines to standard output. A closed pipe (`homedir ls | head`) ends the
/// output quietly instead of panicking as `println!` would.
fn emit(lines: &[String]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    let written = lines
        .iter()
        .try_for_each(|line| writeln!(out, "{line}"))
        .and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::local("cannot write", "standard output", e))
        }
        _ => Ok(()),
    }
}

/// The file `at`, if there is one: the first key listed under it as a prefix is the
/// key itself if it exists (keys list in byte order and a key sorts before its
/// extensions). One listing.
async fn find_file(api: &Api, at: &Remote) -> Result<Option<FileEntry>> {
    let listing: Listing = api
        .call(Method::GET, routes::LIST)
        .space(at.space)
        .query("prefix", &at.key)
        .query("limit", "1")
        .send()
        .await?
        .json()?;
    Ok(listing.files.into_iter().next().filter(|f| f.key == at.key))
}

/// Whether `at` is a file.
async fn exists(api: &Api, at: &Remote) -> Result<bool> {
    Ok(find_file(api, at).await?.is_some())
}

/// Whether `folder` (its key ending with `/`) holds any file.
async fn is_folder(api: &Api, folder: &Remote) -> Result<bool> {
    let listing: Listing = api
        .call(Method::GET, routes::LIST)
        .space(folder.space)
        .query("prefix", &folder.key)
        .query("limit", "1")
        .send()
        .await?
        .json()?;
    Ok(!listing.files.is_empty())
}

/// The last segment of a key (`a/b/c.txt` → `c.txt`).
fn base_name(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

/// A destination that names a folder (ends with `/`, or is a space's top level, as
/// `team:` alone) gets `name` appended.
fn into_folder(destination: &str, name: &str) -> String {
    if destination.is_empty() || destination == "/" {
        name.to_owned()
    } else if destination.ends_with('/') {
        format!("{destination}{name}")
    } else {
        destination.to_owned()
    }
}

/// A folder prefix: empty (the home) or ending with `/`.
fn folder(prefix: Option<&str>) -> String {
    match prefix.map(|p| p.trim_start_matches("./")) {
        None | Some("" | "/" | ".") => String::new(),
        Some(p) if p.ends_with('/') => p.to_owned(),
        Some(p) => format!("{p}/"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_folders() {
        assert_eq!(base_name("a/b/c.txt"), "c.txt");
        assert_eq!(base_name("c.txt"), "c.txt");
        assert_eq!(into_folder("docs/", "c.txt"), "docs/c.txt");
        assert_eq!(into_folder("docs/d.txt", "c.txt"), "docs/d.txt");
        assert_eq!(into_folder("", "c.txt"), "c.txt", "team: alone");
        assert_eq!(into_folder("/", "c.txt"), "c.txt", "team:/");
        assert_eq!(folder(None), "");
        assert_eq!(folder(Some("/")), "");
        assert_eq!(folder(Some("photos")), "photos/");
        assert_eq!(folder(Some("photos/2024/")), "photos/2024/");
    }
}
