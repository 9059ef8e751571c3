//! The one error type of the request path and its mapping to HTTP.
//!
//! Every failure a handler can meet ends up as an [`Error`], and [`Error::to_response`]
//! is the only place that turns one into a status code and a JSON body. The variants
//! carry only what is safe to show a caller: AWS error messages, tokens and credentials
//! never enter them, so they can never leak into a response. What operators need to
//! debug (which AWS error code, which step) goes to the log through [`Error::log_detail`].

use http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde_json::json;

/// Seconds a client is told to wait after a throttled or unavailable upstream.
const RETRY_AFTER_SECS: &str = "1";

/// Which AWS service an upstream failure came from (for messages and logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upstream {
    Cognito,
    S3,
    Jwks,
}

impl Upstream {
    fn name(self) -> &'static str {
        match self {
            Upstream::Cognito => "Cognito",
            Upstream::S3 => "S3",
            Upstream::Jwks => "the token key set",
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
            _ => "the token is not a valid ID token for this API",
        }
    }
}

impl Error {
    /// The HTTP status and the stable machine-readable code of this error.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Error::MissingToken => (StatusCode::UNAUTHORIZED, "missing_token"),
            Error::InvalidToken(_) => (StatusCode::UNAUTHORIZED, "invalid_token"),
            Error::UserDisabled => (StatusCode::FORBIDDEN, "user_disabled"),
            Error::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            Error::InvalidKey(_) => (StatusCode::BAD_REQUEST, "invalid_key"),
            Error::InvalidRequest(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            Error::MethodNotAllowed { .. } => {
                (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
            }
            Error::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            Error::PreconditionFailed | Error::SourceChanged => {
                (StatusCode::PRECONDITION_FAILED, "precondition_failed")
            }
            Error::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Error::UpstreamThrottled(_) => (StatusCode::SERVICE_UNAVAILABLE, "upstream_throttled"),
            Error::UpstreamUnavailable(_) => {
                (StatusCode::SERVICE_UNAVAILABLE, "upstream_unavailable")
            }
            Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
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

    /// The JSON error response: `{"error":{"code":…,"message":…}}`.
    pub fn to_response(&self) -> Response<Body> {
        let (status, code) = self.status_and_code();
        let body = json!({ "error": { "code": code, "message": self.public_message() } });
        let mut response = crate::request::json_response(status, &body);
        let headers = response.headers_mut();
        match self {
            Error::UpstreamThrottled(_) | Error::UpstreamUnavailable(_) => {
                headers.insert(
                    header::RETRY_AFTER,
                    HeaderValue::from_static(RETRY_AFTER_SECS),
                );
            }
            Error::MethodNotAllowed { allowed } => {
                headers.insert(header::ALLOW, HeaderValue::from_static(allowed));
            }
            Error::MissingToken | Error::InvalidToken(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            _ => {}
        }
        response
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    fn body_json(response: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(response.body().as_ref()).expect("error bodies are JSON")
    }

    #[test]
    fn every_documented_code_maps_to_its_status() {
        let cases = [
            (Error::MissingToken, 401, "missing_token"),
            (
                Error::InvalidToken(InvalidToken::Signature),
                401,
                "invalid_token",
            ),
            (Error::UserDisabled, 403, "user_disabled"),
            (Error::Forbidden, 403, "forbidden"),
            (Error::InvalidKey("k".into()), 400, "invalid_key"),
            (Error::InvalidRequest("r".into()), 400, "invalid_request"),
            (Error::NotFound, 404, "not_found"),
            (Error::PreconditionFailed, 412, "precondition_failed"),
            (Error::SourceChanged, 412, "precondition_failed"),
            (Error::PayloadTooLarge("p".into()), 413, "payload_too_large"),
            (
                Error::UpstreamThrottled(Upstream::Cognito),
                503,
                "upstream_throttled",
            ),
            (
                Error::UpstreamUnavailable(Upstream::S3),
                503,
                "upstream_unavailable",
            ),
            (Error::Internal("x".into()), 500, "internal"),
        ];
        for (error, status, code) in cases {
            let response = error.to_response();
            assert_eq!(response.status().as_u16(), status, "{error:?}");
            assert_eq!(body_json(&response)["error"]["code"], code, "{error:?}");
            assert_eq!(
                response.headers()[header::CONTENT_TYPE],
                "application/json",
                "{error:?}"
            );
        }
    }

    #[test]
    fn upstream_errors_say_when_to_retry() {
        for error in [
            Error::UpstreamThrottled(Upstream::Cognito),
            Error::UpstreamUnavailable(Upstream::S3),
        ] {
            assert_eq!(error.to_response().headers()[header::RETRY_AFTER], "1");
        }
    }

    #[test]
    fn internal_details_stay_out_of_the_response() {
        let response = Error::Internal("AccessDenied from S3: secret detail".into()).to_response();
        let text = String::from_utf8_lossy(response.body().as_ref()).into_owned();
        assert!(!text.contains("secret detail"), "{text}");
        assert_eq!(body_json(&response)["error"]["message"], "internal error");
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
    }
}
