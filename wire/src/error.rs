//! The error answer: `{"error":{"code":"…","message":"…"}}`.

use serde::{Deserialize, Serialize};

/// The stable, machine-readable code of every error the API answers. The HTTP status
/// of each is fixed (see [`ErrorCode::status`]); the message beside it is words for
/// people and may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    MissingToken,
    InvalidToken,
    UserDisabled,
    Forbidden,
    NoTeam,
    InvalidKey,
    InvalidRequest,
    MethodNotAllowed,
    NotFound,
    PreconditionFailed,
    PayloadTooLarge,
    UpstreamThrottled,
    UpstreamUnavailable,
    Internal,
    /// The write would take the space over its quota (507).
    QuotaExceeded,
}

impl ErrorCode {
    /// Every code, in the order of their statuses.
    pub const ALL: [ErrorCode; 15] = [
        ErrorCode::InvalidKey,
        ErrorCode::InvalidRequest,
        ErrorCode::MissingToken,
        ErrorCode::InvalidToken,
        ErrorCode::UserDisabled,
        ErrorCode::Forbidden,
        ErrorCode::NoTeam,
        ErrorCode::NotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::PreconditionFailed,
        ErrorCode::PayloadTooLarge,
        ErrorCode::Internal,
        ErrorCode::UpstreamThrottled,
        ErrorCode::UpstreamUnavailable,
        ErrorCode::QuotaExceeded,
    ];

    /// The code as it appears in the JSON body.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MissingToken => "missing_token",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::UserDisabled => "user_disabled",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NoTeam => "no_team",
            ErrorCode::InvalidKey => "invalid_key",
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::NotFound => "not_found",
            ErrorCode::PreconditionFailed => "precondition_failed",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UpstreamThrottled => "upstream_throttled",
            ErrorCode::UpstreamUnavailable => "upstream_unavailable",
            ErrorCode::Internal => "internal",
            ErrorCode::QuotaExceeded => "quota_exceeded",
        }
    }

    /// The code of `text`, if it is one this version knows.
    pub fn parse(text: &str) -> Option<ErrorCode> {
        ErrorCode::ALL
            .into_iter()
            .find(|code| code.as_str() == text)
    }

    /// The HTTP status every answer with this code carries.
    pub const fn status(self) -> u16 {
        match self {
            ErrorCode::InvalidKey | ErrorCode::InvalidRequest => 400,
            ErrorCode::MissingToken | ErrorCode::InvalidToken => 401,
            ErrorCode::UserDisabled | ErrorCode::Forbidden | ErrorCode::NoTeam => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::PreconditionFailed => 412,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::Internal => 500,
            ErrorCode::UpstreamThrottled | ErrorCode::UpstreamUnavailable => 503,
            ErrorCode::QuotaExceeded => 507,
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// Words for a person; never AWS text, tokens or URLs.
    pub message: String,
    /// With `quota_exceeded` only: the space's usage, its quota and the size asked for.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<QuotaExceeded>,
}

/// Why a write was refused with `quota_exceeded` (507): the space holds `used`
/// bytes of `quota`, and the write would add `size` more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaExceeded {
    /// Bytes the space holds (every version, the trash's and old versions included).
    pub used: u64,
    /// The space's quota in bytes.
    pub quota: u64,
    /// The bytes the refused write would have added.
    pub size: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_as_their_text_and_parse_back() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).expect("serializes");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
            let back: ErrorCode = serde_json::from_str(&json).expect("deserializes");
            assert_eq!(back, code);
        }
        assert_eq!(ErrorCode::parse("no_such_code"), None);
    }

    #[test]
    fn statuses_are_errors() {
        for code in ErrorCode::ALL {
            assert!((400..600).contains(&code.status()), "{code}");
        }
    }
}
