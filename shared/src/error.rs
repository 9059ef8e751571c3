//! The one error type of the request path and its mapping to HTTP.
//!
//! Every failure a handler can meet ends up as an [`Error`], and [`Error::code`] is the
//! only place that says which [`ErrorCode`] (and so which HTTP status) it is; the
//! response itself is built in [`crate::http`]. The variants
//! carry only what is safe to show a caller: AWS error messages, tokens and credentials
//! never enter them, so they can never leak into a response. What operators need to
//! debug (which AWS error code, which step) goes to the log through [`Error::log_detail`].

use homedir_wire::{ErrorCode, QuotaExceeded};
use http::StatusCode;

/// Which AWS service an upstream failure came from (for messages and logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upstream {
    Cognito,
    S3,
    Jwks,
    DynamoDb,
    Iam,
}

impl Upstream {
    fn name(self) -> &'static str {
        match self {
            Upstream::Cognito => "Cognito",
            Upstream::S3 => "S3",
            Upstream::Jwks => "the token key set",
            Upstream::DynamoDb => "the usage table (DynamoDB)",
            Upstream::Iam => "IAM",
        }
    }
}

/// Everything that can go wrong while serving a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// No `Authorization: Bearer …` nor `idToken` header.
    #[error("the request carries no ID token")]
    MissingToken,
    /// The token failed local verification or Cognito refused it. The reason is for
    /// the log; the caller gets [`InvalidToken::public_message`].
    #[error("invalid token: {0}")]
    InvalidToken(InvalidToken),
    /// The user is disabled or no longer exists in the user pool.
    #[error("the user is disabled or no longer exists")]
    UserDisabled,
    /// AWS refused the caller's own credentials for this object.
    #[error("access denied")]
    Forbidden,
    /// The request names the team space and the caller's token carries no team.
    #[error("{0}")]
    NoTeam(&'static str),
    #[error("{0}")]
    InvalidKey(String),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("this route accepts {allowed} only")]
    MethodNotAllowed { allowed: &'static str },
    #[error("no such file")]
    NotFound,
    #[error("the file's current version does not match the request's precondition")]
    PreconditionFailed,
    /// A move's source changed between the copy and its delete.
    #[error(
        "the source changed while it was being moved: the copy was kept and the source was not deleted"
    )]
    SourceChanged,
    #[error("{0}")]
    PayloadTooLarge(String),
    /// The write would take the space over its quota; nothing was written.
    #[error("{}", quota_message(.0))]
    QuotaExceeded(QuotaExceeded),
    #[error("{} is throttling requests; retry shortly", .0.name())]
    UpstreamThrottled(Upstream),
    #[error("{} is unavailable; retry shortly", .0.name())]
    UpstreamUnavailable(Upstream),
    /// A bug or an AWS answer we do not understand. The string is for the log only.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Why a token was refused. Kept apart from the message so logs can say exactly why
/// while responses stay uniform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidToken {
    #[error("not a well-formed JWT")]
    Malformed,
    #[error("algorithm is not RS256")]
    Algorithm,
    #[error("no key id, or a key id the issuer does not publish")]
    UnknownKey,
    #[error("signature does not verify")]
    Signature,
    #[error("issuer is not this user pool")]
    Issuer,
    #[error("audience is not this app client")]
    Audience,
    #[error("not an ID token")]
    TokenUse,
    #[error("expired")]
    Expired,
    #[error("required claim missing or malformed")]
    Claims,
    #[error("refused by Cognito")]
    RefusedByCognito,
}

impl InvalidToken {
    fn public_message(self) -> &'static str {
        match self {
            InvalidToken::Expired => "the ID token has expired; sign in again or refresh it",
            // The commonest mistake: Cognito returns an access token beside the ID token.
            InvalidToken::TokenUse => {
                "this is not an ID token (an access token?): send the IdToken Cognito returned"
            }
            _ => "the token is not a valid ID token for this API",
        }
    }
}

impl Error {
    /// The stable machine-readable code of this error, which fixes its HTTP status.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::MissingToken => ErrorCode::MissingToken,
            Error::InvalidToken(_) => ErrorCode::InvalidToken,
            Error::UserDisabled => ErrorCode::UserDisabled,
            Error::Forbidden => ErrorCode::Forbidden,
            Error::NoTeam(_) => ErrorCode::NoTeam,
            Error::InvalidKey(_) => ErrorCode::InvalidKey,
            Error::InvalidRequest(_) => ErrorCode::InvalidRequest,
            Error::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
            Error::NotFound => ErrorCode::NotFound,
            Error::PreconditionFailed | Error::SourceChanged => ErrorCode::PreconditionFailed,
            Error::PayloadTooLarge(_) => ErrorCode::PayloadTooLarge,
            Error::QuotaExceeded(_) => ErrorCode::QuotaExceeded,
            Error::UpstreamThrottled(_) => ErrorCode::UpstreamThrottled,
            Error::UpstreamUnavailable(_) => ErrorCode::UpstreamUnavailable,
            Error::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The HTTP status and the stable machine-readable code of this error.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        let code = self.code();
        let status =
            StatusCode::from_u16(code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, code.as_str())
    }

    /// The message shown to the caller: never AWS text, never internals.
    pub fn public_message(&self) -> String {
        match self {
            Error::InvalidToken(reason) => reason.public_message().to_owned(),
            Error::Internal(_) => "internal error".to_owned(),
            other => other.to_string(),
        }
    }

    /// What the log gets: the full reason, which may name AWS error codes (never their
    /// messages, never secrets).
    pub fn log_detail(&self) -> String {
        self.to_string()
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The words of a 507: how full the space is, what the write needed, and how space is
/// freed (deleting alone does not: old versions and the trash count until they expire).
fn quota_message(quota: &QuotaExceeded) -> String {
    format!(
        "this space is full: it holds {} of its {} quota, and this needs {} more. \
         Deleted and overwritten files still count until their old versions expire \
         (the bucket's lifecycle rule removes them after a number of days); to free \
         space now, delete files and ask an operator to purge the trash and old versions",
        human_bytes(quota.used),
        human_bytes(quota.quota),
        human_bytes(quota.size)
    )
}

/// `1.5 MiB`, `300 bytes`: sizes for people, in binary units.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return if bytes == 1 {
            "1 byte".to_owned()
        } else {
            format!("{bytes} bytes")
        };
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(0), "0 bytes");
        assert_eq!(human_bytes(1), "1 byte");
        assert_eq!(human_bytes(1023), "1023 bytes");
        assert_eq!(human_bytes(1024), "1.0 KiB");
        assert_eq!(human_bytes(1_048_576), "1.0 MiB");
        assert_eq!(human_bytes(5 << 30), "5.0 GiB");
    }

    #[test]
    fn a_full_space_says_how_full_and_how_to_free_it() {
        let error = Error::QuotaExceeded(QuotaExceeded {
            used: 1_048_576,
            quota: 1_048_576,
            size: 10,
        });
        let message = error.public_message();
        assert!(
            message.contains("1.0 MiB of its 1.0 MiB quota"),
            "{message}"
        );
        assert!(message.contains("10 bytes more"), "{message}");
        assert!(message.contains("old versions expire"), "{message}");
        assert_eq!(error.code(), ErrorCode::QuotaExceeded);
    }

    #[test]
    fn token_reasons_are_logged_but_not_shown() {
        let error = Error::InvalidToken(InvalidToken::Audience);
        assert!(error.log_detail().contains("audience"));
        let message = error.public_message();
        assert!(!message.contains("audience"), "{message}");
        assert!(
            Error::InvalidToken(InvalidToken::Expired)
                .public_message()
                .contains("expired")
        );
        assert!(
            Error::InvalidToken(InvalidToken::TokenUse)
                .public_message()
                .contains("IdToken")
        );
    }
}
