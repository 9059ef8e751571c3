//! The HTTP client: the API's routes with the user's ID token, and S3's presigned URLs
//! without it (a presigned request carrying a second kind of authentication is refused
//! by S3, and the token has no business leaving for another host). One TLS stack, the
//! workspace's: hyper 1 + rustls + aws-lc-rs, with the Mozilla roots compiled in.
//!
//! Errors of the API (`{"error":{"code","message"}}`) become [`Error`]s here, in one
//! place: `not_found` names the file, `missing_token`/`invalid_token` say "signed
//! out", `quota_exceeded` says how full the space is from the numbers it carries, and
//! everything else keeps the API's own message, which is words by contract.

use std::convert::Infallible;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use homedir_wire::routes::Space;
use homedir_wire::{ErrorBody, ErrorCode, QuotaExceeded};
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::de::DeserializeOwned;

use crate::auth;
use crate::config::Settings;
use crate::error::{Error, Result};

/// The longest one API call may take; the API itself answers within 30 s.
const CALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Everything but unreserved characters is escaped: the API decodes query values once
/// and takes `+` literally.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub type Body = BoxBody<Bytes, Infallible>;
type HttpClient = Client<HttpsConnector<HttpConnector>, Body>;

pub struct Api {
    pub settings: Settings,
    http: HttpClient,
    /// The ID token in use, and whether it was already renewed in this run after the
    /// API refused one (renewing twice would not help).
    session: Mutex<Option<(String, bool)>>,
}

/// A successful (1xx–3xx) answer of the API, its body read.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body)
            .map_err(|_| Error::Service("the service's answer could not be understood".into()))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Api {
    pub fn new(settings: Settings) -> Result<Api> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(Duration::from_secs(15)));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(rustls::crypto::aws_lc_rs::default_provider())
            .map_err(|e| Error::Service(format!("TLS setup failed: {e}")))?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Api {
            settings,
            http: Client::builder(TokioExecutor::new()).build(connector),
            session: Mutex::new(None),
        })
    }

    pub fn call(&self, method: Method, route: &'static str) -> Call<'_> {
        Call {
            api: self,
            method,
            route,
            query: Vec::new(),
            headers: Vec::new(),
            body: Bytes::new(),
            space: Space::Home,
            subject: None,
            precondition: None,
        }
    }

    /// The token to send, renewed if near expiry (or if `after_refusal`, once a run).
    async fn token(&self, after_refusal: bool) -> Result<Option<String>> {
        if !after_refusal && let Some((token, _)) = self.lock().as_ref() {
            return Ok(Some(token.clone()));
        }
        if after_refusal && self.lock().as_ref().is_some_and(|(_, renewed)| *renewed) {
            return Ok(None);
        }
        let tokens = auth::id_token(&self.settings, after_refusal).await?;
        *self.lock() = Some((tokens.id_token.clone(), after_refusal));
        Ok(Some(tokens.id_token))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(String, bool)>> {
        // A poisoned lock only means another task panicked holding a string.
        self.session
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sends a request to a URL outside the API (a presigned S3 URL): no token.
    pub async fn send_unauthenticated(
        &self,
        request: Request<Body>,
        what: &str,
    ) -> Result<Response<Incoming>> {
        self.http
            .request(request)
            .await
            .map_err(|e| network_error(what, &e))
    }
}

/// One request to the API under construction.
pub struct Call<'a> {
    api: &'a Api,
    method: Method,
    route: &'static str,
    query: Vec<(String, String)>,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
    /// The space the request writes to (a 507 names it).
    space: Space,
    subject: Option<String>,
    precondition: Option<String>,
}

impl Call<'_> {
    pub fn query(mut self, name: &str, value: impl Into<String>) -> Self {
        self.query.push((name.to_owned(), value.into()));
        self
    }

    /// The space the request works in: `space=team` for the team's; nothing for the
    /// home, the API's default (a home request is what it always was).
    pub fn space(mut self, space: Space) -> Self {
        self.space = space;
        match space {
            Space::Home => self,
            Space::Team => self.query("space", space.as_str()),
        }
    }

    /// The space a copy or move takes its source from, when it is not the
    /// destination's (`from_space`; call after [`Call::space`] with the destination's).
    pub fn source_space(self, source: Space, destination: Space) -> Self {
        if source == destination {
            self
        } else {
            self.query("from_space", source.as_str())
        }
    }

    pub fn header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.push((name, value));
        }
        self
    }

    /// A JSON body (one of the API's request types).
    pub fn json(self, value: &impl serde::Serialize) -> Self {
        // The request types are plain data: serializing them cannot fail.
        let body = Bytes::from(serde_json::to_vec(value).unwrap_or_default());
        self.header(CONTENT_TYPE, "application/json").body(body)
    }

    pub fn body(mut self, body: Bytes) -> Self {
        self.body = body;
        self
    }

    /// The file a `not_found` answer is about ("no such file: KEY").
    pub fn about(mut self, key: &str) -> Self {
        self.subject = Some(key.to_owned());
        self
    }

    /// What to say when the API answers 412 (the command knows which condition).
    pub fn on_precondition(mut self, message: impl Into<String>) -> Self {
        self.precondition = Some(message.into());
        self
    }

    fn url(&self) -> String {
        let base = self.api.settings.route_url(self.route);
        if self.query.is_empty() {
            return base;
        }
        let query: Vec<String> = self
            .query
            .iter()
            .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, QUERY_VALUE)))
            .collect();
        format!("{base}?{}", query.join("&"))
    }

    /// Sends it; a 4xx/5xx answer is an [`Error`]. An `invalid_token` answer renews
    /// the token once and tries again (the saved one may have been revoked or the
    /// clock may be off).
    pub async fn send(self) -> Result<Reply> {
        let mut token = self.api.token(false).await?;
        loop {
            let reply = self.send_once(token.as_deref()).await?;
            if reply.status == StatusCode::UNAUTHORIZED
                && let Some(fresh) = self.api.token(true).await?
            {
                token = Some(fresh);
                continue;
            }
            if reply.status.as_u16() >= 400 {
                return Err(self.error_of(&reply));
            }
            return Ok(reply);
        }
    }

    async fn send_once(&self, token: Option<&str>) -> Result<Reply> {
        let url = self.url();
        let mut builder = Request::builder().method(self.method.clone()).uri(&url);
        if let Some(token) = token {
            builder = builder.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        let request = builder
            .body(Full::new(self.body.clone()).boxed())
            .map_err(|_| Error::NotConfigured(format!("the API URL {url:?} is not a valid URL")))?;
        let what = format!("the API ({})", self.api.settings.route_url(self.route));
        let started = std::time::Instant::now();
        let exchange = async {
            let response = self
                .api
                .http
                .request(request)
                .await
                .map_err(|e| network_error(&what, &e))?;
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| network_error(&what, &e))?
                .to_bytes();
            Ok::<_, Error>(Reply {
                status: parts.status,
                headers: parts.headers,
                body,
            })
        };
        let reply = tokio::time::timeout(CALL_TIMEOUT, exchange)
            .await
            .map_err(|_| Error::Unavailable(format!("{what} did not answer in time")))??;
        tracing::debug!(
            method = %self.method,
            route = self.route,
            status = reply.status.as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "API call"
        );
        Ok(reply)
    }

    fn error_of(&self, reply: &Reply) -> Error {
        let (code, message, refused) = error_body(&reply.body);
        classify(
            reply.status,
            code,
            message,
            refused.map(|refused| (self.space, refused)),
            self.subject.as_deref(),
            self.precondition.as_deref(),
        )
    }
}

/// `{"error":{"code","message"}}` ([`ErrorBody`], with a 507's numbers), a code this
/// client does not know yet with its message, or API Gateway's own `{"message"}`.
fn error_body(body: &[u8]) -> (Option<ErrorCode>, Option<String>, Option<QuotaExceeded>) {
    if let Ok(known) = serde_json::from_slice::<ErrorBody>(body) {
        return (
            Some(known.error.code),
            Some(known.error.message),
            known.error.quota,
        );
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return (None, None, None);
    };
    let message = value
        .get("error")
        .unwrap_or(&value)
        .get("message")
        .and_then(|m| m.as_str())
        .map(str::to_owned);
    (None, message, None)
}

/// The API's answer as the client's error: the one mapping of codes to meanings. A
/// code is matched exhaustively, so a new one in [`homedir_wire`] is a compile error
/// here; without a code (API Gateway's own answers), the status decides. `refused`:
/// the space written to and a 507's numbers, said in this client's words.
pub fn classify(
    status: StatusCode,
    code: Option<ErrorCode>,
    message: Option<String>,
    refused: Option<(Space, QuotaExceeded)>,
    subject: Option<&str>,
    precondition: Option<&str>,
) -> Error {
    let message = message.filter(|m| !m.trim().is_empty());
    let said = |fallback: &str| message.clone().unwrap_or_else(|| fallback.to_owned());
    let not_found = || match subject {
        Some(key) => Error::NotFound(key.to_owned()),
        None => Error::NotFound(said("the file")),
    };
    let failed = || match precondition {
        Some(text) => Error::Precondition(text.to_owned()),
        None => Error::Precondition(said("the file changed in the meantime")),
    };
    let unavailable = || Error::Unavailable(said("the service is unavailable; retry shortly"));
    let service = || {
        Error::Service(match &message {
            Some(m) => format!("the service failed ({}): {m}", status.as_u16()),
            None => format!("the service failed ({})", status.as_u16()),
        })
    };
    if status == StatusCode::UNAUTHORIZED {
        return Error::SignedOut;
    }
    match code {
        Some(ErrorCode::MissingToken | ErrorCode::InvalidToken) => Error::SignedOut,
        Some(ErrorCode::NotFound) => not_found(),
        Some(ErrorCode::PreconditionFailed) => failed(),
        Some(ErrorCode::UserDisabled) => {
            Error::Forbidden("the account is disabled or no longer exists".into())
        }
        Some(ErrorCode::Forbidden) => Error::Forbidden(said("access denied")),
        Some(ErrorCode::NoTeam) => Error::Forbidden(said(
            "your account belongs to no team; an operator adds people to teams",
        )),
        Some(ErrorCode::InvalidKey | ErrorCode::InvalidRequest | ErrorCode::PayloadTooLarge) => {
            Error::Invalid(said("the request was refused"))
        }
        Some(ErrorCode::UpstreamThrottled | ErrorCode::UpstreamUnavailable) => unavailable(),
        Some(ErrorCode::QuotaExceeded) => match refused {
            Some((space, refused)) => Error::quota(space, &refused, "this"),
            None => Error::QuotaExceeded(said(
                "the space is full: delete files, or ask an operator for more room",
            )),
        },
        Some(ErrorCode::MethodNotAllowed | ErrorCode::Internal) => match status.as_u16() {
            429 | 502 | 503 | 504 => unavailable(),
            _ => service(),
        },
        None => match status.as_u16() {
            404 => not_found(),
            412 => failed(),
            403 => Error::Forbidden(said("access denied")),
            400 | 413 => Error::Invalid(said("the request was refused")),
            507 => Error::QuotaExceeded(said("the space is full")),
            429 | 502 | 503 | 504 => unavailable(),
            _ => service(),
        },
    }
}

/// A transport failure in words (never the URL: a presigned one is a capability).
pub fn network_error(what: &str, error: &dyn std::error::Error) -> Error {
    let mut cause = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    Error::Unavailable(format!("cannot reach {what}: {cause}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify_body(status: u16, body: &str, subject: Option<&str>) -> Error {
        let (code, message, refused) = error_body(body.as_bytes());
        classify(
            StatusCode::from_u16(status).unwrap(),
            code,
            message,
            refused.map(|refused| (Space::Home, refused)),
            subject,
            None,
        )
    }

    #[test]
    fn a_507_is_said_with_its_numbers_and_exit_10() {
        let e = classify_body(
            507,
            r#"{"error":{"code":"quota_exceeded","message":"this space is full: it holds 1.0 MiB of its 1.0 MiB quota","used":1048576,"quota":1048576,"size":5}}"#,
            Some("a.txt"),
        );
        assert_eq!(e.exit_code(), 10);
        assert!(
            e.to_string()
                .starts_with("your home is full: it holds 1.0 MiB of its 1.0 MiB quota. "),
            "{e}"
        );
        let e = classify_body(
            507,
            r#"{"error":{"code":"quota_exceeded","message":"m","used":1000,"quota":1024,"size":100}}"#,
            None,
        );
        assert!(
            e.to_string().starts_with(
                "your home has no room for this: it holds 1000 B of its 1.0 KiB quota, 24 B free, and this needs 100 B. "
            ),
            "{e}"
        );
        // Without the numbers, the API's words; without a body at all, the status.
        let e = classify_body(
            507,
            r#"{"error":{"code":"quota_exceeded","message":"the space is full"}}"#,
            None,
        );
        assert_eq!(
            (e.to_string().as_str(), e.exit_code()),
            ("the space is full", 10)
        );
        assert_eq!(classify_body(507, "", None).exit_code(), 10);
    }

    #[test]
    fn the_api_s_codes_map_to_messages_and_exit_codes() {
        let e = classify_body(
            404,
            r#"{"error":{"code":"not_found","message":"no such file"}}"#,
            Some("a/b.txt"),
        );
        assert_eq!(
            (e.to_string().as_str(), e.exit_code()),
            ("no such file: a/b.txt", 1)
        );
        for body in [
            r#"{"error":{"code":"invalid_token","message":"x"}}"#,
            r#"{"error":{"code":"missing_token","message":"x"}}"#,
            r#"{"message":"Unauthorized"}"#,
        ] {
            let e = classify_body(401, body, None);
            assert_eq!(e.to_string(), "signed out; run homedir login");
            assert_eq!(e.exit_code(), 2);
        }
        let e = classify_body(
            400,
            r#"{"error":{"code":"invalid_key","message":"a key has no empty segment"}}"#,
            None,
        );
        assert_eq!(e.to_string(), "a key has no empty segment");
        assert_eq!(e.exit_code(), 6);
        let e = classify_body(
            503,
            r#"{"error":{"code":"upstream_unavailable","message":"S3 is unavailable; retry shortly"}}"#,
            None,
        );
        assert_eq!(e.exit_code(), 7);
    }

    #[test]
    fn no_team_is_forbidden_in_the_api_s_words() {
        let e = classify_body(
            403,
            r#"{"error":{"code":"no_team","message":"your account belongs to no team; an operator adds you to one"}}"#,
            Some("q3/a.txt"),
        );
        assert_eq!(
            (e.to_string().as_str(), e.exit_code()),
            (
                "your account belongs to no team; an operator adds you to one",
                5
            )
        );
        let e = classify_body(403, r#"{"error":{"code":"no_team","message":""}}"#, None);
        assert_eq!(
            e.to_string(),
            "your account belongs to no team; an operator adds people to teams"
        );
    }

    #[test]
    fn raw_bodies_never_reach_the_message() {
        let e = classify_body(500, "<html>{\"raw\":1}</html>", None);
        assert_eq!(e.to_string(), "the service failed (500)");
        assert_eq!(e.exit_code(), 9);
    }

    #[test]
    fn query_values_are_escaped_except_unreserved() {
        let api = Api::new(Settings {
            api_url: "http://h/{route}/".into(),
            ..Settings::default()
        })
        .unwrap();
        let call = api
            .call(Method::GET, homedir_wire::routes::LIST)
            .query("prefix", "a b+c/ü?#%");
        assert_eq!(
            call.url(),
            "http://h/list/?prefix=a%20b%2Bc%2F%C3%BC%3F%23%25"
        );
    }

    #[test]
    fn the_team_space_is_named_and_the_home_is_the_default() {
        let api = Api::new(Settings {
            api_url: "http://h/{route}/".into(),
            ..Settings::default()
        })
        .unwrap();
        let list = |space| {
            api.call(Method::GET, homedir_wire::routes::LIST)
                .space(space)
                .query("prefix", "q3/")
                .url()
        };
        assert_eq!(list(Space::Home), "http://h/list/?prefix=q3%2F");
        assert_eq!(list(Space::Team), "http://h/list/?space=team&prefix=q3%2F");
        let copy = |from, to| {
            api.call(Method::PUT, homedir_wire::routes::WRITE_FILE)
                .space(to)
                .source_space(from, to)
                .url()
        };
        assert_eq!(copy(Space::Home, Space::Home), "http://h/write-file/");
        assert_eq!(
            copy(Space::Team, Space::Team),
            "http://h/write-file/?space=team"
        );
        assert_eq!(
            copy(Space::Home, Space::Team),
            "http://h/write-file/?space=team&from_space=home"
        );
        assert_eq!(
            copy(Space::Team, Space::Home),
            "http://h/write-file/?from_space=team"
        );
    }
}
