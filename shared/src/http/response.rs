//! Building responses: JSON bodies, empty answers, and every [`Error`] as the
//! documented `{"error":{"code","message"}}` with the headers its status needs.

use homedir_wire::{ErrorBody, ErrorDetail, Written};
use http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};

use crate::error::Error;

/// Seconds a client is told to wait after a throttled or unavailable upstream.
const RETRY_AFTER_SECS: &str = "1";

/// A JSON response with `Cache-Control: no-store` (responses are per user).
pub fn json_response(status: StatusCode, body: &impl serde::Serialize) -> Response<Body> {
    // The wire types are plain data: serializing them cannot fail.
    let text = serde_json::to_string(body).unwrap_or_default();
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// An empty response with just a status.
pub fn empty_response(status: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = status;
    response
}

/// `{"key","etag","size","version_id"}`, and the same ETag where HTTP clients look
/// for it (a following `If-Match` write, a cache).
pub fn written_response(status: StatusCode, written: &Written) -> Response<Body> {
    let mut response = json_response(status, written);
    insert(response.headers_mut(), header::ETAG, &written.etag);
    response
}

/// Sets a header from text that came from S3 metadata, validated on the way in; a
/// value that is still not a legal header value is dropped rather than failing the
/// answer.
pub fn insert(headers: &mut http::HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

impl Error {
    /// The JSON error response: `{"error":{"code":…,"message":…}}`, with `Retry-After`,
    /// `Allow` or `WWW-Authenticate` where the status calls for one.
    pub fn to_response(&self) -> Response<Body> {
        let (status, _) = self.status_and_code();
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.public_message(),
                quota: match self {
                    Error::QuotaExceeded(quota) => Some(*quota),
                    _ => None,
                },
            },
        };
        let mut response = json_response(status, &body);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{InvalidToken, Upstream};

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
                Error::QuotaExceeded(homedir_wire::QuotaExceeded {
                    used: 3,
                    quota: 2,
                    size: 1,
                }),
                507,
                "quota_exceeded",
            ),
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
    fn a_quota_refusal_carries_used_quota_and_size() {
        let response = Error::QuotaExceeded(homedir_wire::QuotaExceeded {
            used: 1_048_576,
            quota: 1_048_576,
            size: 5,
        })
        .to_response();
        let body = body_json(&response);
        assert_eq!(body["error"]["code"], "quota_exceeded");
        assert_eq!(body["error"]["used"], 1_048_576);
        assert_eq!(body["error"]["quota"], 1_048_576);
        assert_eq!(body["error"]["size"], 5);
        // Any other error has just the code and the message.
        let other = body_json(&Error::NotFound.to_response());
        assert_eq!(
            other["error"].as_object().map(|fields| fields.len()),
            Some(2)
        );
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
}
