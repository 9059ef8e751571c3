//! The Lambda event loop: lambda_http's, minus its one way to crash.
//!
//! lambda_http turns an API Gateway event into an `http::Request` with `expect`: a
//! raw query string that `http::Uri` refuses (`?prefix=<"`, which curl sends as
//! typed and API Gateway passes on unchanged) or a `Host` header that is not a host
//! panics, and with `panic = "abort"` the process dies, failing every request in
//! flight and paying a cold start for the next. [`run`] checks each event the way
//! the conversion will read it, answers the ones it would panic on with 400
//! `invalid_request`, and hands every other event to lambda_http unchanged.

use std::future::Future;

use http::Uri;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequest;
use lambda_http::lambda_runtime::{self, LambdaEvent};
use lambda_http::request::LambdaRequest;
use lambda_http::{Adapter, Body, Request, Response, Service, service_fn};

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
            match check(event) {
                Checked::Convertible(event) => {
                    Adapter::from(service_fn(move |request| handler(state, request)))
                        .call(event)
                        .await
                }
                // The refusal travels through lambda_http too, as an event it can convert,
                // so both answers take the same shape on the way back to API Gateway.
                Checked::Refused(event, problem) => {
                    tracing::info!(
                        status = 400,
                        code = "invalid_request",
                        detail = problem,
                        "request refused"
                    );
                    Adapter::from(service_fn(move |_: Request| async move {
                        Ok::<_, HandlerError>(Error::InvalidRequest(problem.into()).to_response())
                    }))
                    .call(event)
                    .await
                }
            }
        },
    ))
    .await
}

/// An event checked against lambda_http's conversion.
enum Checked {
    /// As it came: lambda_http converts it.
    Convertible(LambdaEvent<LambdaRequest>),
    /// lambda_http would panic on it: a stripped copy it can convert (no path, host,
    /// query or body), and the reason for the caller.
    Refused(LambdaEvent<LambdaRequest>, &'static str),
}

fn check(event: LambdaEvent<LambdaRequest>) -> Checked {
    let LambdaEvent { payload, context } = event;
    match payload {
        LambdaRequest::ApiGatewayV2(mut request) => match unconvertible(&request) {
            None => Checked::Convertible(LambdaEvent::new(
                LambdaRequest::ApiGatewayV2(request),
                context,
            )),
            Some(problem) => {
                request.raw_path = Some("/".into());
                request.raw_query_string = None;
                request.headers.remove(http::header::HOST);
                request.headers.remove("x-forwarded-proto");
                request.request_context.domain_name = None;
                request.body = None;
                let stripped = LambdaEvent::new(LambdaRequest::ApiGatewayV2(request), context);
                Checked::Refused(stripped, problem)
            }
        },
        other => Checked::Convertible(LambdaEvent::new(other, context)),
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

    #[test]
    fn the_stripped_refusal_event_converts() {
        let event = LambdaEvent::new(
            LambdaRequest::ApiGatewayV2(event("/list", "prefix=<\"", Some("bad host:x"))),
            lambda_runtime::Context::default(),
        );
        let Checked::Refused(stripped, problem) = check(event) else {
            panic!("refused");
        };
        assert!(problem.contains("percent-encoded") || problem.contains("Host"));
        let LambdaRequest::ApiGatewayV2(request) = &stripped.payload else {
            panic!("still an HTTP API event");
        };
        assert_eq!(unconvertible(request), None);
        let _: Request = stripped.payload.into();
    }
}
