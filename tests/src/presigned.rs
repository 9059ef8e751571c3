//! What a client does with the URLs the API hands out: plain HTTP requests straight
//! to S3 (here, the emulator), with no AWS credentials of its own.

use bytes::Bytes;
use http::{HeaderMap, Method, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// What S3 answered.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    /// The `<Code>` of an S3 XML error.
    pub fn error_code(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        text.split_once("<Code>")
            .and_then(|(_, rest)| rest.split_once("</Code>"))
            .map(|(code, _)| code.to_owned())
            .unwrap_or_default()
    }

    pub fn etag(&self) -> Option<String> {
        self.headers
            .get(http::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }
}

fn client() -> Client<HttpConnector, Full<Bytes>> {
    Client::builder(TokioExecutor::new()).build_http()
}

/// Sends `method url` with `body` (its length as `Content-Length`) and `headers`.
pub async fn send(method: Method, url: &str, headers: &[(&str, &str)], body: Bytes) -> Answer {
    let mut request = http::Request::builder().method(method).uri(url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Full::new(body)).expect("a request");
    let response = client().request(request).await.expect("S3 answers");
    let (parts, body) = response.into_parts();
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: body.collect().await.expect("the body").to_bytes(),
    }
}

/// PUTs `bytes` to a presigned part URL.
pub async fn put(url: &str, bytes: Bytes) -> Answer {
    send(Method::PUT, url, &[], bytes).await
}

/// GETs a presigned URL, with a `Range` if given.
pub async fn get(url: &str, range: Option<&str>) -> Answer {
    match range {
        Some(range) => send(Method::GET, url, &[("range", range)], Bytes::new()).await,
        None => send(Method::GET, url, &[], Bytes::new()).await,
    }
}
