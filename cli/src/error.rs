//! The one error type of the client, and the one place that turns it into a message
//! and an exit code ([`Error::exit_code`]). Messages are words for a person: never a
//! raw JSON body, a token, a presigned URL or an AWS error dump.

use std::path::PathBuf;

use homedir_wire::QuotaExceeded;
use homedir_wire::routes::Space;

use crate::human::bytes;

/// Exit codes, documented in the README ("Command line"). Scripts can rely on them.
pub mod exit {
    pub const NOT_FOUND: u8 = 1;
    pub const SIGNED_OUT: u8 = 2;
    pub const NOT_CONFIGURED: u8 = 3;
    pub const PRECONDITION: u8 = 4;
    pub const FORBIDDEN: u8 = 5;
    pub const INVALID: u8 = 6;
    pub const UNAVAILABLE: u8 = 7;
    pub const LOCAL_FILE: u8 = 8;
    pub const SERVICE: u8 = 9;
    pub const QUOTA: u8 = 10;
    pub const USAGE: u8 = 64;
    pub const INTERRUPTED: u8 = 130;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `not_found` from the API, or a file the client looked for and did not find.
    #[error("no such file: {}", crate::human::visible(.0))]
    NotFound(String),
    /// `ls PATH` of something that is neither a file nor a folder.
    #[error("no such file or folder: {}", crate::human::visible(.0))]
    NoSuchPath(String),
    /// `restore KEY` without a version, when the file has no earlier version.
    #[error("{0} has no earlier version to restore")]
    NoEarlierVersion(String),
    /// No tokens, tokens Cognito no longer refreshes, or `missing_token` /
    /// `invalid_token` from the API.
    #[error("signed out; run homedir login")]
    SignedOut,
    /// Cognito refused the email and password (or asked for a step this client cannot do).
    #[error("{0}")]
    SignInRefused(String),
    #[error("{0}")]
    NotConfigured(String),
    /// `precondition_failed`: the message says which condition, in the command's terms.
    #[error("{0}")]
    Precondition(String),
    /// `forbidden` or `user_disabled`.
    #[error("{0}")]
    Forbidden(String),
    /// `invalid_key`, `invalid_request`, `payload_too_large`: the API's own message.
    #[error("{0}")]
    Invalid(String),
    /// The service or the network failed in a way a retry may fix.
    #[error("{0}")]
    Unavailable(String),
    /// A local file could not be read or written.
    #[error("{what} {}: {source}", path.display())]
    LocalFile {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `quota_exceeded` (507), or `put` refusing a file that cannot fit before it
    /// sends anything: how full the space is and how to free it.
    #[error("{0}")]
    QuotaExceeded(String),
    /// Any other answer of the service (a bug on its side, an unexpected shape).
    #[error("{0}")]
    Service(String),
    /// A usage mistake clap cannot see (e.g. `rm` of a folder without `-r`).
    #[error("{0}")]
    Usage(String),
    /// Ctrl-C, or the test-only stop of an upload (see `commands::put`).
    #[error("{0}")]
    Interrupted(String),
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::NotFound(_) | Error::NoSuchPath(_) | Error::NoEarlierVersion(_) => {
                exit::NOT_FOUND
            }
            Error::SignedOut | Error::SignInRefused(_) => exit::SIGNED_OUT,
            Error::NotConfigured(_) => exit::NOT_CONFIGURED,
            Error::Precondition(_) => exit::PRECONDITION,
            Error::Forbidden(_) => exit::FORBIDDEN,
            Error::Invalid(_) => exit::INVALID,
            Error::Unavailable(_) => exit::UNAVAILABLE,
            Error::LocalFile { .. } => exit::LOCAL_FILE,
            Error::Service(_) => exit::SERVICE,
            Error::QuotaExceeded(_) => exit::QUOTA,
            Error::Usage(_) => exit::USAGE,
            Error::Interrupted(_) => exit::INTERRUPTED,
        }
    }

    /// A write refused for want of room (`quota_exceeded`, or `put`'s own check before
    /// it sends anything): how full `space` is and what `what` needed, in human sizes.
    pub fn quota(space: Space, refused: &QuotaExceeded, what: &str) -> Error {
        Error::QuotaExceeded(quota_message(space, refused, what))
    }

    pub fn local(what: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::LocalFile {
            what,
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `your home is full: it holds 1.0 GiB of its 1.0 GiB quota. …`, or, when there is
/// room but not enough, what is free and what `what` needs; then how room is made
/// (deleting alone frees nothing until the old versions expire).
pub fn quota_message(space: Space, refused: &QuotaExceeded, what: &str) -> String {
    let name = crate::remote::Remote::new(space, "").space_name();
    let QuotaExceeded { used, quota, size } = *refused;
    let head = if used >= quota {
        format!(
            "{name} is full: it holds {} of its {} quota",
            bytes(used),
            bytes(quota)
        )
    } else {
        format!(
            "{name} has no room for {what}: it holds {} of its {} quota, {} free, and {what} needs {}",
            bytes(used),
            bytes(quota),
            bytes(quota - used),
            bytes(size)
        )
    };
    format!(
        "{head}. Deleted and overwritten files count until their old versions expire: \
         delete what you can spare and ask an operator to purge the trash and old versions, \
         or for a larger quota (homedir df shows the usage)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_s_messages_and_codes() {
        let e = Error::NotFound("notes/a.txt".into());
        assert_eq!(e.to_string(), "no such file: notes/a.txt");
        assert_eq!(e.exit_code(), 1);
        assert_eq!(
            Error::SignedOut.to_string(),
            "signed out; run homedir login"
        );
        assert_eq!(Error::SignedOut.exit_code(), 2);
    }

    #[test]
    fn a_full_space_is_said_in_words_with_human_sizes() {
        let full = QuotaExceeded {
            used: 1 << 30,
            quota: 1 << 30,
            size: 10,
        };
        let e = Error::quota(Space::Home, &full, "this");
        assert_eq!(e.exit_code(), 10);
        assert_eq!(
            e.to_string(),
            "your home is full: it holds 1.0 GiB of its 1.0 GiB quota. Deleted and \
             overwritten files count until their old versions expire: delete what you can \
             spare and ask an operator to purge the trash and old versions, or for a larger \
             quota (homedir df shows the usage)"
        );
        let short = QuotaExceeded {
            used: 1536,
            quota: 2048,
            size: 40 << 20,
        };
        let message = quota_message(Space::Team, &short, "big.bin");
        assert!(
            message.starts_with(
                "the team's space has no room for big.bin: it holds 1.5 KiB of its 2.0 KiB \
                 quota, 512 B free, and big.bin needs 40.0 MiB. "
            ),
            "{message}"
        );
        // Past the quota (an upload started under it completed): full, never negative.
        let past = QuotaExceeded {
            used: 3000,
            quota: 2048,
            size: 0,
        };
        assert!(
            quota_message(Space::Home, &past, "this")
                .starts_with("your home is full: it holds 2.9 KiB of its 2.0 KiB quota."),
        );
    }

    #[test]
    fn codes_are_distinct() {
        let mut codes = [
            exit::NOT_FOUND,
            exit::SIGNED_OUT,
            exit::NOT_CONFIGURED,
            exit::PRECONDITION,
            exit::FORBIDDEN,
            exit::INVALID,
            exit::UNAVAILABLE,
            exit::LOCAL_FILE,
            exit::SERVICE,
            exit::QUOTA,
            exit::USAGE,
            exit::INTERRUPTED,
        ]
        .to_vec();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 12);
    }
}
