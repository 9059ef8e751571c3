//! The HTTP side: `http://<addr>/lambda-url/<function>[/<path>][?<query>]` becomes an
//! API Gateway HTTP API event (payload format 2.0, as
//! <https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html>
//! documents it), the function's answer an HTTP response. The URL shape is the one
//! `cargo lambda watch` served, so every client and test keeps its URLs; the event's
//! `rawPath` is the whole request path, as there.
//!
//! Where API Gateway and Lambda refuse before the function runs, this answers as they
//! do, with API Gateway's `{"message": …}` bodies: a request body over the HTTP API's
//! 10 MB, or an event over Lambda's 6 MB, is 413; a function that fails or crashes is
//! 500 "Internal Server Error"; one that does not answer within the timeout is 503.
//!
//! Beside it, on the same port: Lambda's Invoke API,
//! `POST /2015-03-31/functions/<function>/invocations` ([`crate::invoke`]), and the
//! gateway's control endpoints, `POST /_homedir/drain?timeout=SECS` (waits until no
//! asynchronous invocation is queued, running or waiting for a retry: `{"drained",
//! "pending"}`), `GET /_homedir/async` (the outcomes of the last asynchronous
//! invocations) and `GET /_homedir/health`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;

use crate::invoke::Lambda;
use crate::runtime::{Failed, MAX_PAYLOAD_BYTES};

/// The HTTP API's request payload limit.
const MAX_REQUEST_BYTES: usize = 10 * 1024 * 1024;
const PREFIX: &str = "/lambda-url/";
const INVOKE_PREFIX: &str = "/2015-03-31/functions/";
const INVOKE_SUFFIX: &str = "/invocations";

/// Serves `lambda`'s functions on `listener` until the process stops.
pub async fn serve(listener: TcpListener, lambda: Arc<Lambda>) {
    while let Ok((stream, peer)) = listener.accept().await {
        let lambda = lambda.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| route(request, lambda.clone(), peer));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn message(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(
        json!({ "message": text }).to_string(),
    )));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn json_answer(status: StatusCode, body: &Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A query parameter's value (`+` and `%XX` decoded).
fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(key) == name).then(|| percent_decode(value))
    })
}

/// `%XX` and `+` decoded (the Invoke API's path holds ARNs, `:` often sent as `%3A`).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(byte) => {
                        out.push(byte);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn route(
    request: Request<Incoming>,
    lambda: Arc<Lambda>,
    peer: SocketAddr,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    if let Some(rest) = path.strip_prefix(INVOKE_PREFIX) {
        let Some(function) = rest.strip_suffix(INVOKE_SUFFIX) else {
            return Ok(message(StatusCode::NOT_FOUND, "Not Found"));
        };
        if request.method() != http::Method::POST {
            return Ok(message(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method Not Allowed",
            ));
        }
        let function = percent_decode(function);
        let invocation_type = request
            .headers()
            .get("x-amz-invocation-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let Ok(body) = Limited::new(request.into_body(), MAX_PAYLOAD_BYTES + 1)
            .collect()
            .await
        else {
            return Ok(lambda
                .invoke(
                    &function,
                    None,
                    invocation_type.as_deref(),
                    Bytes::from(vec![b' '; MAX_PAYLOAD_BYTES + 1]),
                )
                .await);
        };
        let qualifier = query_value(query.as_deref(), "Qualifier");
        return Ok(lambda
            .invoke(
                &function,
                qualifier.as_deref(),
                invocation_type.as_deref(),
                body.to_bytes(),
            )
            .await);
    }
    match path.as_str() {
        "/_homedir/drain" => {
            let seconds = query_value(query.as_deref(), "timeout")
                .and_then(|t| t.parse::<f64>().ok())
                .unwrap_or(60.0)
                .clamp(0.0, 3600.0);
            let (drained, pending) = lambda.drain(Duration::from_secs_f64(seconds)).await;
            return Ok(json_answer(
                StatusCode::OK,
                &json!({ "drained": drained, "pending": pending }),
            ));
        }
        "/_homedir/async" => {
            return Ok(json_answer(
                StatusCode::OK,
                &json!({ "invocations": lambda.outcomes() }),
            ));
        }
        "/_homedir/health" => {
            return Ok(json_answer(StatusCode::OK, &json!({ "ok": true })));
        }
        _ => {}
    }
    answer(request, lambda.pool.clone(), peer).await
}

async fn answer(
    request: Request<Incoming>,
    pool: Arc<crate::pool::Pool>,
    peer: SocketAddr,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let function = path
        .strip_prefix(PREFIX)
        .map(|rest| rest.split('/').next().unwrap_or_default().to_owned())
        .filter(|name| pool.serves(name));
    let Some(function) = function else {
        return Ok(message(StatusCode::NOT_FOUND, "Not Found"));
    };
    let (parts, body) = request.into_parts();
    let Ok(body) = Limited::new(body, MAX_REQUEST_BYTES).collect().await else {
        return Ok(message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request Entity Too Large",
        ));
    };
    let body = body.to_bytes();
    let event = event(&parts, &path, &body, peer).to_string().into_bytes();
    if event.len() > MAX_PAYLOAD_BYTES {
        // Lambda's RequestEntityTooLargeException, which the HTTP API passes on.
        return Ok(message(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Request Entity Too Large",
        ));
    }
    Ok(match pool.invoke(&function, event).await {
        Ok(payload) => response(&payload),
        Err(Failed::TimedOut) => message(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable"),
        Err(failed) => {
            eprintln!("homedir-gateway: {function}: {failed:?}");
            message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
        }
    })
}

/// The payload-2.0 event of one request.
fn event(parts: &http::request::Parts, path: &str, body: &Bytes, peer: SocketAddr) -> Value {
    let mut headers = Map::new();
    let mut cookies = Vec::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        if name == http::header::COOKIE {
            cookies.extend(value.split(';').map(|c| Value::String(c.trim().to_owned())));
            continue;
        }
        // Repeated headers are joined with commas.
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|joined| {
                if let Value::String(joined) = joined {
                    joined.push(',');
                    joined.push_str(&value);
                }
            })
            .or_insert(Value::String(value));
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let method = parts.method.as_str();
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": parts.uri.query().unwrap_or_default(),
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": parts.headers.get(http::header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": peer.ip().to_string(),
                "userAgent": parts.headers.get(http::header::USER_AGENT).and_then(|h| h.to_str().ok()).unwrap_or_default(),
            },
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": "$default",
            "stage": "$default",
            "time": "",
            "timeEpoch": now.as_millis() as u64,
        },
        "isBase64Encoded": !body.is_empty(),
    });
    if !cookies.is_empty() {
        event["cookies"] = Value::Array(cookies);
    }
    if !body.is_empty() {
        // Every body travels base64: binary-safe, whatever its content type says.
        event["body"] = Value::String(BASE64.encode(body));
    }
    event
}

/// The HTTP response of a function's payload-2.0 answer.
fn response(payload: &[u8]) -> Response<Full<Bytes>> {
    let Ok(answer) = serde_json::from_slice::<Value>(payload) else {
        return message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
    };
    let status = answer["statusCode"]
        .as_u64()
        .and_then(|s| u16::try_from(s).ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    let text = answer["body"].as_str().unwrap_or_default();
    let body = if answer["isBase64Encoded"].as_bool() == Some(true) {
        match BASE64.decode(text) {
            Ok(bytes) => bytes,
            Err(_) => return message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error"),
        }
    } else {
        text.as_bytes().to_vec()
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    let mut add = |name: &str, value: &str| {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(name, value);
        }
    };
    if let Some(single) = answer["headers"].as_object() {
        for (name, value) in single {
            if let Some(value) = value.as_str() {
                add(name, value);
            }
        }
    }
    if let Some(multi) = answer["multiValueHeaders"].as_object() {
        for (name, values) in multi {
            if answer["headers"].get(name).is_some() {
                continue;
            }
            for value in values.as_array().into_iter().flatten() {
                if let Some(value) = value.as_str() {
                    add(name, value);
                }
            }
        }
    }
    for cookie in answer["cookies"].as_array().into_iter().flatten() {
        if let Some(cookie) = cookie.as_str() {
            add("set-cookie", cookie);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_become_responses_with_their_headers_and_bytes() {
        let payload = json!({
            "statusCode": 307,
            "headers": { "location": "https://b/k", "etag": "\"e\"" },
            "multiValueHeaders": { "x-a": ["1", "2"], "etag": ["\"e\""] },
            "cookies": ["a=b"],
            "body": BASE64.encode([0u8, 255, 7]),
            "isBase64Encoded": true,
        });
        let answered = response(payload.to_string().as_bytes());
        assert_eq!(answered.status(), 307);
        assert_eq!(answered.headers()["location"], "https://b/k");
        assert_eq!(answered.headers().get_all("etag").iter().count(), 1);
        assert_eq!(answered.headers().get_all("x-a").iter().count(), 2);
        assert_eq!(answered.headers()["set-cookie"], "a=b");
        let text = response(b"not json");
        assert_eq!(text.status(), 500);
    }

    #[test]
    fn requests_become_payload_2_events() {
        let request = Request::builder()
            .method("PUT")
            .uri("/lambda-url/write-file/?key=a+b%2B")
            .header("Authorization", "Bearer t")
            .header("x-d", "1")
            .header("x-d", "2")
            .header("cookie", "a=b; c=d")
            .body(())
            .expect("a request");
        let (parts, ()) = request.into_parts();
        let peer: SocketAddr = "127.0.0.1:5000".parse().expect("an address");
        let event = event(
            &parts,
            "/lambda-url/write-file/",
            &Bytes::from_static(b"\xff"),
            peer,
        );
        assert_eq!(event["rawQueryString"], "key=a+b%2B");
        assert_eq!(event["rawPath"], "/lambda-url/write-file/");
        assert_eq!(event["headers"]["authorization"], "Bearer t");
        assert_eq!(event["headers"]["x-d"], "1,2");
        assert_eq!(event["cookies"], json!(["a=b", "c=d"]));
        assert_eq!(event["requestContext"]["http"]["method"], "PUT");
        assert_eq!(event["isBase64Encoded"], true);
        assert_eq!(event["body"], "/w==");
    }

    #[test]
    fn invoke_paths_and_queries_are_decoded() {
        assert_eq!(
            percent_decode("arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af"),
            "arn:aws:lambda:us-east-1:1:function:f"
        );
        assert_eq!(percent_decode("a+b%2"), "a b%2");
        assert_eq!(
            query_value(Some("x=1&Qualifier=%24LATEST"), "Qualifier").as_deref(),
            Some("$LATEST")
        );
        assert_eq!(query_value(Some("x=1"), "Qualifier"), None);
    }
}
