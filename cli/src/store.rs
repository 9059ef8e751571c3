//! The client's own files: where they live and how they are written. Tokens are
//! secrets, so the directory is 0700 and every file 0600, written whole to a fresh
//! file and renamed over the old one (a crash never leaves half a token file, and the
//! file never exists with wider permissions, even for a moment).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// `$HOMEDIR_CONFIG_DIR`, else `$XDG_CONFIG_HOME/homedir`, else `~/.config/homedir`.
pub fn config_dir() -> Result<PathBuf> {
    dir_from(
        std::env::var_os("HOMEDIR_CONFIG_DIR"),
        std::env::var_os("XDG_CONFIG_HOME"),
        std::env::var_os("HOME"),
    )
}

fn dir_from(
    explicit: Option<std::ffi::OsString>,
    xdg: Option<std::ffi::OsString>,
    home: Option<std::ffi::OsString>,
) -> Result<PathBuf> {
    let non_empty = |v: Option<std::ffi::OsString>| v.filter(|v| !v.is_empty());
    if let Some(dir) = non_empty(explicit) {
        return Ok(PathBuf::from(dir));
    }
    if let Some(xdg) = non_empty(xdg) {
        return Ok(PathBuf::from(xdg).join("homedir"));
    }
    match non_empty(home) {
        Some(home) => Ok(PathBuf::from(home).join(".config").join("homedir")),
        None => Err(Error::NotConfigured(
            "no config directory: set HOMEDIR_CONFIG_DIR or HOME".into(),
        )),
    }
}

/// Reads `name` from the config directory; `None` when it does not exist.
pub fn read_json<T: DeserializeOwned>(name: &str) -> Result<Option<T>> {
    let path = config_dir()?.join(name);
    let text = match fs::read(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::local("cannot read", path, e)),
    };
    serde_json::from_slice(&text).map(Some).map_err(|e| {
        Error::local(
            "cannot understand",
            path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        )
    })
}

/// Writes `value` as `name` in the config directory, 0600 in a 0700 directory.
pub fn write_json<T: Serialize>(name: &str, value: &T) -> Result<()> {
    let dir = private_dir()?;
    let path = dir.join(name);
    let text = serde_json::to_vec_pretty(value).map_err(|e| {
        Error::local(
            "cannot encode",
            &path,
            std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        )
    })?;
    write_private(&path, &text)
}

/// Removes `name` from the config directory; true if it was there.
pub fn remove(name: &str) -> Result<bool> {
    let path = config_dir()?.join(name);
    match fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::local("cannot remove", path, e)),
    }
}

/// The config directory, created 0700 (and narrowed to 0700 if it was wider).
fn private_dir() -> Result<PathBuf> {
    let dir = config_dir()?;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir)
        .map_err(|e| Error::local("cannot create", &dir, e))?;
    let meta = fs::metadata(&dir).map_err(|e| Error::local("cannot read", &dir, e))?;
    if meta.permissions().mode() & 0o077 != 0 {
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::local("cannot protect", &dir, e))?;
    }
    Ok(dir)
}

/// Writes `bytes` to a new 0600 file beside `path`, then renames it over `path`.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        // A leftover temporary file from a crashed run may have other permissions.
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        Error::local("cannot write", path, e)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_directory_follows_the_documented_order() {
        let os = |s: &str| Some(std::ffi::OsString::from(s));
        assert_eq!(
            dir_from(os("/x"), os("/xdg"), os("/home/a")).ok(),
            Some(PathBuf::from("/x"))
        );
        assert_eq!(
            dir_from(None, os("/xdg"), os("/home/a")).ok(),
            Some(PathBuf::from("/xdg/homedir"))
        );
        assert_eq!(
            dir_from(os(""), os(""), os("/home/a")).ok(),
            Some(PathBuf::from("/home/a/.config/homedir"))
        );
        assert!(dir_from(None, None, None).is_err());
    }

    #[test]
    fn private_files_are_0600_and_replace_the_old_one() {
        let dir = std::env::temp_dir().join(format!("homedir-cli-store-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.json");
        write_private(&path, b"one").unwrap();
        write_private(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::read_dir(&dir).unwrap().count(),
            1,
            "no temporary file left"
        );
        fs::remove_dir_all(&dir).unwrap();
    }
}
