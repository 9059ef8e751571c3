//! The Lambda event loop: lambda_http's request conversion, minus its one way to
//! crash, and a response conversion that keeps bytes as they are.
//!
//! lambda_http turns an API Gateway event into an `http::Request` with `expect`: a
//! raw query string that `http::Uri` refuses (`?prefix=<"`, which curl sends as
//! typed and API Gateway passes on unchanged) or a `Host` header that is not a host
//! panics, and with `panic = "abort"` the process dies, failing every request in
//! flight and paying a cold start for the next. [`run`] checks each event the way
//! the conversion will read it, answers the ones it would panic on with 400
//! `invalid_request`, and hands every other event to lambda_http's conversion.
//!
//! On the way back, lambda_http (1.3, `IntoResponse`) decodes any body whose
//! `Content-Type` looks textual (`text/*`, JSON, XML, YAML) with that type's charset,
//! honouring a byte-order mark: a stored `text/plain` file that is not UTF-8, or that
//! starts with a BOM, or says `charset=latin1`, would reach the caller changed. A file
//! read is its bytes, so [`into_event_response`] builds the API Gateway answer from the
//! body as the handler made it: [`Body::Binary`] is sent base64-encoded and byte for
//! byte, [`Body::Text`] as text.

use std::future::Future;

use http::Uri;
use lambda_http::aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use lambda_http::lambda_runtime::{self, LambdaEvent};
use lambda_http::request::LambdaRequest;
use lambda_http::{Body, Request, RequestExt, Response, service_fn};

use crate::error::Error;
use crate::http::handlers::HandlerError;

/// Runs `handler` for every event until the Lambda runtime stops. `state` is what
/// `main` built once: the [`App`](crate::App) of the API functions, or the page of `web`.
pub async fn run<'a, S, H, F>(state: &'a S, handler: H) -> Result<(), lambda_runtime::Error>
where
    S: Sync + 'a,
    H: Fn(&'a S, Request) -> F + Copy + 'a,
    F: Future<Output = Result<Response<Body>, HandlerError>> + Send + 'a,
{
    lambda_runtime::run(service_fn(
        move |event: LambdaEvent<LambdaRequest>| async move {
            let response = match check(event) {
                Ok(event) => handler(state, into_request(event)).await?,
                Err(problem) => {
                    tracing::info!(
                        status = 400,
                        code = "invalid_request",
                        detail = problem,
                        "request refused"
                    );
                    Error::InvalidRequest(problem.into()).to_response()
                }
            };
            Ok::<_, HandlerError>(into_event_response(response))
        },
    ))
    .await
}

/// The event as an `http::Request`, by lambda_http's conversion (the event passed
/// [`check`]), with the invocation's context attached as lambda_http attaches it.
fn into_request(event: LambdaEvent<LambdaRequest>) -> Request {
    let LambdaEvent { payload, context } = event;
    Request::from(payload).with_lambda_context(context)
}

/// The HTTP API (payload format 2.0) answer to a response, its body untouched:
/// binary bodies base64-encoded, text as text, `Set-Cookie` in `cookies` as API
/// Gateway expects them.
pub fn into_event_response(response: Response<Body>) -> ApiGatewayV2httpResponse {
    let (parts, body) = response.into_parts();
    let mut headers = parts.headers;
    let cookies = headers
        .get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok().map(str::to_owned))
        .collect();
    headers.remove(http::header::SET_COOKIE);
    let (is_base64_encoded, body) = match body {
        Body::Empty => (false, None),
        text @ Body::Text(_) => (false, Some(text)),
        binary @ Body::Binary(_) => (true, Some(binary)),
        _ => (false, None),
    };
    let mut answer = ApiGatewayV2httpResponse::default();
    answer.status_code = i64::from(parts.status.as_u16());
    answer.headers = headers;
    answer.body = body;
    answer.is_base64_encoded = is_base64_encoded;
    answer.cookies = cookies;
    answer
}

/// The event as it came, if lambda_http converts it; else why it would panic on it
/// (the reason for the caller).
fn check(event: LambdaEvent<LambdaRequest>) -> Result<LambdaEvent<LambdaRequest>, &'static str> {
    match &event.payload {
        LambdaRequest::ApiGatewayV2(request) => match unconvertible(request) {
            None => Ok(event),
            Some(problem) => Err(problem),
        },
        #[allow(unreachable_patterns)]
        _ => Ok(event),
    }
}

/// Why lambda_http could not turn this event into a request, if it could not. The
/// steps are lambda_http 1.3's (`into_api_gateway_v2_request`): the path with the
/// stage, joined to the host by `Url::parse` (unwrapped), then the raw query string
/// appended and the whole parsed as an `http::Uri` (expected). Anything either would
/// refuse is refused here first; the unit tests compare the two on every byte.
pub fn unconvertible(event: &ApiGatewayV2httpRequest) -> Option<&'static str> {
    let raw_path = event.raw_path.as_deref().unwrap_or_default();
    let path = match event.request_context.stage.as_deref() {
        None | Some("$default") => raw_path.to_owned(),
        _ if std::env::var_os("AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH").is_some() => {
            raw_path.to_owned()
        }
        Some(stage) if raw_path.starts_with(&format!("/{stage}/")) => raw_path.to_owned(),
        Some(stage) => format!("/{stage}{raw_path}"),
    };
    let host = event
        .headers
        .get(http::header::HOST)
        .and_then(|value| value.to_str().ok())
        .or(event.request_context.domain_name.as_deref());
    let base = match host {
        None => match url::Url::parse(&format!("http://localhost{path}")) {
            Ok(url) => url.path().to_owned(),
            Err(_) => return Some("the request path is not a path"),
        },
        Some(host) => {
            let scheme = event
                .headers
                .get("x-forwarded-proto")
                .and_then(|value| value.to_str().ok())
                .unwrap_or("https");
            match url::Url::parse(&format!("{scheme}://{host}{path}")) {
                Ok(url) => url.to_string(),
                Err(_) => return Some("the Host header is not a host name"),
            }
        }
    };
    let uri = match event.raw_query_string.as_deref() {
        Some(query) if !query.is_empty() => format!("{base}?{query}"),
        _ => base,
    };
    if Uri::try_from(uri).is_err() {
        return Some(
            "the query string has characters that must be percent-encoded (such as < > \" or spaces)",
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(path: &str, query: &str, host: Option<&str>) -> ApiGatewayV2httpRequest {
        let mut event = ApiGatewayV2httpRequest::default();
        event.raw_path = Some(path.into());
        event.raw_query_string = Some(query.into());
        if let Some(host) = host {
            event
                .headers
                .insert(http::header::HOST, host.parse().expect("a header value"));
        }
        event
    }

    #[test]
    fn events_lambda_http_converts_pass() {
        for (path, query) in [
            ("/read-file", "key=a%20b"),
            ("/list", ""),
            ("/read-file", "key=%E6%97%A5&x=%3C%22"),
            ("/", "key=a+b"),
        ] {
            let event = event(path, query, Some("api.example.com"));
            assert_eq!(unconvertible(&event), None, "{path}?{query}");
            // And lambda_http indeed converts it without panicking.
            let _: Request = LambdaRequest::ApiGatewayV2(event).into();
        }
    }

    /// Whether lambda_http panics converting `event` (tests unwind; the binaries abort).
    fn panics(event: &ApiGatewayV2httpRequest) -> bool {
        let event = event.clone();
        std::panic::catch_unwind(move || {
            let _: Request = LambdaRequest::ApiGatewayV2(event).into();
        })
        .is_err()
    }

    #[test]
    fn events_lambda_http_would_panic_on_are_named_and_no_others() {
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let mut refused = Vec::new();
        // Every byte a client can put in a raw query string, between two letters.
        for byte in (0x20u8..0x7f).chain([0x80, 0xc3, 0xff]) {
            let query = format!("key=a{}b", char::from(byte));
            let event = event("/list", &query, Some("api.example.com"));
            let named = unconvertible(&event).is_some();
            assert_eq!(named, panics(&event), "{query:?}");
            if named {
                refused.push(char::from(byte));
            }
        }
        for host in [
            "api.example.com",
            "127.0.0.1:9000",
            "bad host",
            "h:notaport",
            "[::1]",
            "a/b",
            "a\\b",
            "a%b",
            "ü.example",
        ] {
            let event = event("/list", "", Some(host));
            assert_eq!(unconvertible(&event).is_some(), panics(&event), "{host:?}");
        }
        for path in ["/list", "list", "/a b", "/%zz", "/:9"] {
            let event = event(path, "", None);
            assert_eq!(unconvertible(&event).is_some(), panics(&event), "{path:?}");
        }
        std::panic::set_hook(default_hook);
        for c in ['<', '>', '"', ' '] {
            assert!(refused.contains(&c), "{c:?} is refused: {refused:?}");
        }
        let bad_host = event("/list", "", Some("bad host:notaport"));
        assert!(unconvertible(&bad_host).is_some());
    }

    /// A stored text file reaches the caller byte for byte, whatever its charset says
    /// and whatever its bytes are (lambda_http's own conversion would decode it).
    #[test]
    fn text_files_keep_their_bytes() {
        for (content_type, bytes) in [
            ("text/plain", &b"\xff\xfe\x00bad"[..]),
            ("text/plain; charset=utf-8", b"\xef\xbb\xbfwith a BOM"),
            ("text/plain; charset=latin1", b"caf\xe9"),
            ("application/json", b"{\"a\":\"\xc3\"}"),
            ("application/octet-stream", b"\x00\x01"),
        ] {
            let mut response = Response::new(Body::Binary(bytes.to_vec()));
            response.headers_mut().insert(
                http::header::CONTENT_TYPE,
                content_type.parse().expect("a type"),
            );
            let answer = into_event_response(response);
            assert!(answer.is_base64_encoded, "{content_type}");
            assert_eq!(
                answer.body,
                Some(Body::Binary(bytes.to_vec())),
                "{content_type}"
            );
            assert_eq!(answer.headers[http::header::CONTENT_TYPE], content_type);
        }
        let json = into_event_response(Response::new(Body::Text("{}".into())));
        assert!(!json.is_base64_encoded);
        assert_eq!(json.status_code, 200);
        let mut empty = Response::new(Body::Empty);
        *empty.status_mut() = http::StatusCode::NO_CONTENT;
        empty
            .headers_mut()
            .append(http::header::SET_COOKIE, "a=1".parse().expect("a cookie"));
        let empty = into_event_response(empty);
        assert_eq!((empty.status_code, empty.body), (204, None));
        assert_eq!(empty.cookies, ["a=1"]);
        assert!(empty.headers.get(http::header::SET_COOKIE).is_none());
    }

    #[test]
    fn an_event_lambda_http_would_panic_on_is_refused_with_its_reason() {
        let wrap = |request| {
            LambdaEvent::new(
                LambdaRequest::ApiGatewayV2(request),
                lambda_runtime::Context::default(),
            )
        };
        let problem =
            check(wrap(event("/list", "prefix=<\"", Some("bad host:x")))).expect_err("refused");
        assert!(problem.contains("percent-encoded") || problem.contains("Host"));
        assert!(check(wrap(event("/list", "prefix=a", Some("api.example.com")))).is_ok());
    }
}
