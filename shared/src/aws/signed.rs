//! A small SigV4-signed HTTP client for AWS APIs whose SDK crate the functions do not
//! link: one POST with a body, signed with the function's own credentials, over the
//! SDK's own HTTPS connector (the one the JWKS fetch shares), bound by the same
//! timeouts and counted in the same [`AwsCalls`] as every SDK client.
//!
//! Why not the SDK crate: every function must stay under 6 MB unzipped (`make bench`),
//! and `write-file` was at 5.92 MB before usage and quotas. The DynamoDB and IAM SDK
//! crates bring their whole model; the two or three JSON (or query) operations homedir
//! needs are a signed POST each (see [`super::dynamodb`]).

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::http::{
    HttpConnector, HttpConnectorSettings, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::identity::Identity;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_types::body::SdkBody;
use bytes::Bytes;
use http_body_util::{BodyExt, Limited};

use super::calls::AwsCalls;
use super::failure::Failure;

/// Answers larger than this are refused (a Query page is at most 1 MB of items, in
/// JSON a little more).
const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;

/// Attempts per call: the SDK's standard retry mode makes three.
const ATTEMPTS: u32 = 3;

/// The first retry waits about this long; each next one twice as long.
const FIRST_BACKOFF: Duration = Duration::from_millis(25);

/// One AWS service's endpoint, signed for one region and signing name.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `https://dynamodb.eu-west-1.amazonaws.com`, or the emulator's URL.
    pub url: String,
    /// The region the signature names (`us-east-1` for IAM, a global service).
    pub region: String,
    /// The service's signing name: `dynamodb`, `iam`.
    pub service: &'static str,
}

/// An answer that came back: its status and body (an AWS error is an answer too).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Bytes,
}

/// A call that failed: what it boils down to, and the error answer's body if one came
/// (for details such as a transaction's cancellation reasons; never logged).
#[derive(Debug)]
pub struct Refusal {
    pub failure: Failure,
    pub body: Bytes,
}

/// Signs and sends POSTs with the function's own credentials.
pub struct SignedClient {
    /// The function's own credentials (static in Lambda: they last as long as the
    /// execution environment); `None` fails every call.
    credentials: Option<SharedCredentialsProvider>,
    calls: Arc<AwsCalls>,
    operation_timeout: Duration,
    attempt_timeout: Duration,
    /// Built by the first call: loading the platform's root certificates is work a
    /// cold start need not do.
    http: OnceLock<SharedHttpConnector>,
}

impl SignedClient {
    pub fn new(
        credentials: Option<SharedCredentialsProvider>,
        calls: Arc<AwsCalls>,
        operation_timeout: Duration,
    ) -> Self {
        SignedClient {
            credentials,
            calls,
            operation_timeout,
            attempt_timeout: operation_timeout / 2,
            http: OnceLock::new(),
        }
    }

    /// POSTs `body` to `endpoint` with `headers`, signed; retries what the SDK would
    /// retry (throttling, 5xx, no answer) with backoff, within the operation timeout.
    /// `operation` names the call in the counters (`GetItem`, `CreatePolicyVersion`).
    /// An error answer is returned as a [`Refusal`] with the code `code_of` reads.
    pub async fn post(
        &self,
        endpoint: &Endpoint,
        operation: &'static str,
        headers: &[(&str, &str)],
        body: Bytes,
        code_of: fn(&Answer) -> Option<String>,
    ) -> Result<Answer, Refusal> {
        let silent = || Refusal {
            failure: Failure {
                code: None,
                status: None,
                transport: true,
            },
            body: Bytes::new(),
        };
        let attempts = async {
            let mut last = None;
            for attempt in 0..ATTEMPTS {
                if attempt > 0 {
                    tokio::time::sleep(FIRST_BACKOFF * 2u32.pow(attempt - 1)).await;
                }
                let sequence = self.calls.begin(operation);
                let outcome = tokio::time::timeout(
                    self.attempt_timeout,
                    self.attempt(endpoint, headers, body.clone()),
                )
                .await
                .unwrap_or(Err(()));
                self.calls.finish(sequence);
                let refusal = match outcome {
                    Ok(answer) if (200..300).contains(&answer.status) => return Ok(answer),
                    Ok(answer) => Refusal {
                        failure: Failure {
                            code: code_of(&answer),
                            status: Some(answer.status),
                            transport: false,
                        },
                        body: answer.body,
                    },
                    Err(()) => silent(),
                };
                if !retryable(&refusal.failure) {
                    return Err(refusal);
                }
                last = Some(refusal);
            }
            Err(last.unwrap_or_else(silent))
        };
        tokio::time::timeout(self.operation_timeout, attempts)
            .await
            .unwrap_or_else(|_| Err(silent()))
    }

    async fn attempt(
        &self,
        endpoint: &Endpoint,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<Answer, ()> {
        let provider = self.credentials.as_ref().ok_or(())?;
        let credentials = provider.provide_credentials().await.map_err(|_| ())?;
        let request = signed(&credentials, endpoint, headers, &body).ok_or(())?;
        let http = match self.http.get() {
            Some(http) => http,
            None => {
                let connector = aws_smithy_http_client::default_connector(
                    &HttpConnectorSettings::default(),
                    None,
                )
                .ok_or(())?;
                self.http.get_or_init(|| connector)
            }
        };
        let response = http.call(request).await.map_err(|_| ())?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_ANSWER_BYTES)
            .collect()
            .await
            .map_err(|_| ())?
            .to_bytes();
        Ok(Answer { status, body })
    }
}

/// The request, signed (SigV4 over the method, URL, headers and body).
fn signed(
    credentials: &Credentials,
    endpoint: &Endpoint,
    headers: &[(&str, &str)],
    body: &Bytes,
) -> Option<HttpRequest> {
    {
        let identity: Identity = credentials.clone().into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&endpoint.region)
            .name(endpoint.service)
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .ok()?
            .into();
        let mut request = http::Request::builder()
            .method(http::Method::POST)
            .uri(format!("{}/", endpoint.url.trim_end_matches('/')));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut request = request.body(body.clone()).ok()?;
        let signable = SignableRequest::new(
            "POST",
            request.uri().to_string(),
            request
                .headers()
                .iter()
                .filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?))),
            SignableBody::Bytes(body),
        )
        .ok()?;
        let (instructions, _signature) = sign(signable, &params).ok()?.into_parts();
        instructions.apply_to_request_http1x(&mut request);
        HttpRequest::try_from(request.map(SdkBody::from)).ok()
    }
}

/// What the SDK's standard retry mode retries: throttling, server errors, no answer.
fn retryable(failure: &Failure) -> bool {
    failure.transport
        || failure
            .status
            .is_some_and(|status| status >= 500 || status == 429)
        || failure.is_throttling()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_outages_and_silence_are_retried_refusals_are_not() {
        let failure = |code: Option<&str>, status: Option<u16>, transport| Failure {
            code: code.map(str::to_owned),
            status,
            transport,
        };
        assert!(retryable(&failure(None, None, true)));
        assert!(retryable(&failure(None, Some(500), false)));
        assert!(retryable(&failure(
            Some("ProvisionedThroughputExceededException"),
            Some(400),
            false
        )));
        assert!(retryable(&failure(
            Some("ThrottlingException"),
            Some(400),
            false
        )));
        assert!(!retryable(&failure(
            Some("ConditionalCheckFailedException"),
            Some(400),
            false
        )));
        assert!(!retryable(&failure(
            Some("AccessDeniedException"),
            Some(400),
            false
        )));
    }

    #[test]
    fn requests_are_signed_for_the_endpoint_s_service_and_region() {
        let credentials = Credentials::new(
            "AKIDEXAMPLE",
            "secret",
            Some("session".into()),
            None,
            "test",
        );
        let endpoint = Endpoint {
            url: "https://dynamodb.eu-west-1.amazonaws.com".into(),
            region: "eu-west-1".into(),
            service: "dynamodb",
        };
        let request = signed(
            &credentials,
            &endpoint,
            &[("content-type", "application/x-amz-json-1.0")],
            &Bytes::from_static(b"{}"),
        )
        .expect("signs");
        let authorization = request
            .headers()
            .get("authorization")
            .expect("an Authorization header");
        assert!(authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
        assert!(authorization.contains("/eu-west-1/dynamodb/aws4_request"));
        assert_eq!(
            request.headers().get("x-amz-security-token"),
            Some("session")
        );
        assert_eq!(request.uri(), "https://dynamodb.eu-west-1.amazonaws.com/");
    }
}
