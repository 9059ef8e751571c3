//! Classifying AWS SDK errors without ever carrying their text forward.
//!
//! The SDK's error messages can quote request details; only the error *code* and the
//! HTTP status are kept, and only in logs. Callers match the codes that mean
//! something to them first and hand everything else to [`classify`].

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::error::{Error, Upstream};

/// What an SDK error boils down to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The AWS error code (`NoSuchKey`, `NotAuthorizedException`…), if the service sent one.
    pub code: Option<String>,
    /// The HTTP status, if a response arrived.
    pub status: Option<u16>,
    /// No response at all: timeout, connection refused, DNS.
    pub transport: bool,
}

impl Failure {
    pub fn of<E: ProvideErrorMetadata>(error: &SdkError<E, HttpResponse>) -> Failure {
        let status = error.raw_response().map(|r| r.status().as_u16());
        let transport = matches!(
            error,
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_)
        );
        let code = match error {
            SdkError::ServiceError(service) => service.err().code().map(str::to_owned),
            _ => None,
        };
        Failure {
            code,
            status,
            transport,
        }
    }

    pub fn code(&self) -> &str {
        self.code.as_deref().unwrap_or("")
    }

    /// Whether AWS said to slow down (any service's throttling code, or 429).
    pub fn is_throttling(&self) -> bool {
        const THROTTLING: &[&str] = &[
            "TooManyRequestsException",
            "ThrottlingException",
            "Throttling",
            "SlowDown",
            "RequestLimitExceeded",
            "LimitExceededException",
            "ProvisionedThroughputExceededException",
        ];
        THROTTLING.contains(&self.code()) || self.status == Some(429)
    }

    /// The generic mapping: throttling and outages become 503s the client may retry,
    /// anything else is an internal error whose code goes to the log.
    pub fn into_error(self, upstream: Upstream, operation: &str) -> Error {
        if self.is_throttling() {
            return Error::UpstreamThrottled(upstream);
        }
        if self.transport || self.status.is_some_and(|s| s >= 500) {
            return Error::UpstreamUnavailable(upstream);
        }
        Error::Internal(format!(
            "{operation} failed: code={} status={}",
            self.code.as_deref().unwrap_or("none"),
            self.status.map_or("none".to_owned(), |s| s.to_string())
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: Option<&str>, status: Option<u16>, transport: bool) -> Failure {
        Failure {
            code: code.map(str::to_owned),
            status,
            transport,
        }
    }

    #[test]
    fn throttling_and_outages_are_retryable() {
        let throttled = failure(Some("TooManyRequestsException"), Some(400), false);
        assert_eq!(
            throttled.into_error(Upstream::Cognito, "GetId"),
            Error::UpstreamThrottled(Upstream::Cognito)
        );
        let slow = failure(Some("SlowDown"), Some(503), false);
        assert_eq!(
            slow.into_error(Upstream::S3, "PutObject"),
            Error::UpstreamThrottled(Upstream::S3)
        );
        let down = failure(None, Some(500), false);
        assert_eq!(
            down.into_error(Upstream::S3, "GetObject"),
            Error::UpstreamUnavailable(Upstream::S3)
        );
        let timeout = failure(None, None, true);
        assert_eq!(
            timeout.into_error(Upstream::Cognito, "GetId"),
            Error::UpstreamUnavailable(Upstream::Cognito)
        );
    }

    #[test]
    fn other_failures_are_internal_with_the_code_only() {
        let error = failure(Some("InvalidParameterException"), Some(400), false)
            .into_error(Upstream::Cognito, "GetId");
        assert_eq!(
            error,
            Error::Internal("GetId failed: code=InvalidParameterException status=400".into())
        );
        assert_eq!(error.public_message(), "internal error");
    }
}
