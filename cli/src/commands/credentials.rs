//! `credentials`: the signed-in user's own temporary AWS credentials, from the stack's
//! identity pool, in the AWS `credential_process` format, so that the AWS CLI, the
//! SDKs and rclone reach the user's home (and team space) with them, refreshed by the
//! tool whenever they near expiry. Standard output carries that JSON and nothing else;
//! nothing is written to disk. `--setup` writes an AWS config profile that runs this
//! command, and shows the S3 paths of the home and the team space.

use std::io::Write;
use std::path::{Path, PathBuf};

use homedir_wire::{Whoami, routes};
use http::Method;
use serde::Serialize;

use super::emit;
use crate::api::Api;
use crate::auth::identity;
use crate::aws_profile::{self, Profile};
use crate::cli::Credentials;
use crate::config::Settings;
use crate::error::{Error, Result};

/// The profile `--setup` writes when no `--profile` is given.
pub const DEFAULT_PROFILE: &str = "homedir";

/// What a `credential_process` prints (AWS CLI User Guide, "Sourcing credentials
/// with an external process"), in this order.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Process<'a> {
    version: u8,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    session_token: &'a str,
    expiration: &'a str,
}

pub async fn credentials(args: Credentials) -> Result<()> {
    let settings = Settings::load()?;
    if args.setup {
        return setup(Api::new(settings)?, args).await;
    }
    let issued = identity::credentials(&settings).await?;
    let line = serde_json::to_string(&Process {
        version: 1,
        access_key_id: &issued.access_key_id,
        secret_access_key: &issued.secret_access_key,
        session_token: &issued.session_token,
        expiration: &issued.expiration,
    })
    .map_err(|e| Error::Service(format!("cannot encode the credentials: {e}")))?;
    emit(&[line])
}

async fn setup(api: Api, args: Credentials) -> Result<()> {
    let name = args.profile.as_deref().unwrap_or(DEFAULT_PROFILE);
    if !aws_profile::valid_name(name) {
        return Err(Error::Usage(format!(
            "{name:?} cannot be a profile's name here: use letters, digits, '.', '_' and '-'"
        )));
    }
    let settings = &api.settings;
    identity::identity_pool(settings)?;
    if settings.bucket.is_empty() {
        return Err(Error::NotConfigured(format!(
            "the configuration names no bucket: run homedir config --stack NAME or homedir \
             config --local again (or set {})",
            crate::config::ENV_BUCKET
        )));
    }
    // Signed in, and the identity pool issues this user credentials: the profile will
    // work. The credentials themselves are dropped here, never shown.
    let who: Whoami = api
        .call(Method::GET, routes::LIST)
        .query("whoami", "1")
        .send()
        .await?
        .json()?;
    let issued = identity::credentials(settings).await?;
    if issued.identity_id != who.identity_id {
        return Err(Error::Service(
            "the API and the identity pool name two different identities: do homedir \
             config's settings all belong to one stack?"
                .into(),
        ));
    }
    drop(issued);

    let (command, note) = match std::env::current_exe()
        .ok()
        .and_then(|path| aws_profile::command_line(&path.to_string_lossy()))
    {
        Some(command) => (command, None),
        None => (
            "homedir credentials".to_owned(),
            Some(
                "note: this binary's path cannot be written in a profile; homedir must be on PATH",
            ),
        ),
    };
    let profile = Profile {
        name: name.to_owned(),
        credential_process: command,
        region: settings.region.clone(),
        endpoint_url: settings.cognito_endpoint.clone(),
    };
    let uris = paths(settings, &who);
    let try_it = format!(
        "try: aws s3 ls {}{}",
        settings.home_uri(&who.identity_id).unwrap_or_default(),
        if name == "default" {
            String::new()
        } else {
            format!(" --profile {name}")
        }
    );
    let mut notes: Vec<String> = note.map(str::to_owned).into_iter().collect();
    notes.extend(environment_notes());

    if args.print {
        // Standard output is the profile alone (`>> ~/.aws/config` appends it).
        print_raw(&profile.text())?;
        for line in uris.iter().chain(&notes) {
            eprintln!("{line}");
        }
        return Ok(());
    }
    let file = aws_config_file()?;
    write_profile(&file, &profile)?;
    if let Some(credentials_file) = aws_credentials_file()
        && std::fs::read_to_string(&credentials_file)
            .is_ok_and(|text| aws_profile::has_static_keys(&text, name))
    {
        notes.push(format!(
            "note: {} has keys for the profile {name}, which the AWS tools use instead of \
             homedir's: remove them",
            credentials_file.display()
        ));
    }
    let mut lines = vec![format!("wrote the profile {name} to {}", file.display())];
    lines.extend(uris);
    lines.push(try_it);
    emit(&lines)?;
    for note in notes {
        eprintln!("{note}");
    }
    Ok(())
}

/// `home` and, for a member of a team, `team space` lines.
pub fn paths(settings: &Settings, who: &Whoami) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(home) = settings.home_uri(&who.identity_id) {
        lines.push(format!("home         {home}"));
    }
    if let Some(team) = who.team.as_deref().and_then(|t| settings.team_uri(t)) {
        lines.push(format!("team space   {team}"));
    }
    lines
}

/// The tools run `homedir credentials` with their own environment: a setting given
/// here through the environment must be there too.
fn environment_notes() -> Vec<String> {
    let set: Vec<&str> = [
        "HOMEDIR_CONFIG_DIR",
        crate::config::ENV_API_URL,
        crate::config::ENV_REGION,
        crate::config::ENV_USER_POOL_ID,
        crate::config::ENV_CLIENT_ID,
        crate::config::ENV_COGNITO_ENDPOINT,
        crate::config::ENV_IDENTITY_POOL_ID,
    ]
    .into_iter()
    .filter(|name| std::env::var_os(name).is_some_and(|v| !v.is_empty()))
    .collect();
    if set.is_empty() {
        return Vec::new();
    }
    vec![format!(
        "note: the AWS tools run homedir credentials with their own environment: set {} \
         there too",
        set.join(", ")
    )]
}

fn print_raw(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| Error::local("cannot write", "standard output", e))
}

/// `$AWS_CONFIG_FILE`, else `~/.aws/config`, as the AWS CLI and SDKs read it.
fn aws_config_file() -> Result<PathBuf> {
    aws_file("AWS_CONFIG_FILE", "config").ok_or_else(|| {
        Error::NotConfigured("no AWS config file: set AWS_CONFIG_FILE or HOME".into())
    })
}

/// `$AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
fn aws_credentials_file() -> Option<PathBuf> {
    aws_file("AWS_SHARED_CREDENTIALS_FILE", "credentials")
}

fn aws_file(variable: &str, name: &str) -> Option<PathBuf> {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty());
    match std::env::var(variable)
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        Some(path) => match (path.strip_prefix("~/"), &home) {
            (Some(rest), Some(home)) => Some(Path::new(home).join(rest)),
            _ => Some(PathBuf::from(path)),
        },
        None => home.map(|home| Path::new(&home).join(".aws").join(name)),
    }
}

/// Sets the profile in the AWS config file: read, edited, written whole beside it and
/// renamed over it (through a symbolic link to the file it names), keeping its mode;
/// a new file is 0600 in a 0700 folder, as the AWS CLI makes them.
fn write_profile(file: &Path, profile: &Profile) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
    let target = std::fs::canonicalize(file).unwrap_or_else(|_| file.to_owned());
    let (old, mode) = match std::fs::read_to_string(&target) {
        Ok(text) => {
            let mode = std::fs::metadata(&target)
                .map(|m| m.permissions().mode() & 0o7777)
                .unwrap_or(0o600);
            (text, mode)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(dir)
                    .map_err(|e| Error::local("cannot create", dir, e))?;
            }
            (String::new(), 0o600)
        }
        Err(e) => return Err(Error::local("cannot read", &target, e)),
    };
    let text = profile.merged_into(&old);
    let tmp = target.with_extension(format!("homedir-tmp{}", std::process::id()));
    let written = (|| {
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)?;
        out.set_permissions(std::fs::Permissions::from_mode(mode))?;
        out.write_all(text.as_bytes())?;
        out.sync_all()?;
        std::fs::rename(&tmp, &target)
    })();
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::local("cannot write", &target, e)
    })
}
