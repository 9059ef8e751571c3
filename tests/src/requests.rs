//! Building requests for the in-process handlers, reading their responses, and
//! counting the AWS calls they cost.

use std::collections::BTreeMap;

use homedir::App;
use http::Method;
use lambda_http::{Body, Request, Response};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use crate::stack::User;

/// Everything but unreserved characters is escaped, as a careful client would.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `k=v&…` with each value percent-encoded.
pub fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, QUERY_VALUE)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A request as lambda_http hands it to a handler.
pub struct Req {
    method: Method,
    path_and_query: String,
    headers: Vec<(String, String)>,
    body: Body,
}

impl Req {
    pub fn new(method: Method, route: &str, raw_query: &str) -> Req {
        let path_and_query = if raw_query.is_empty() {
            format!("/{route}")
        } else {
            format!("/{route}?{raw_query}")
        };
        Req {
            method,
            path_and_query,
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    pub fn get(route: &str, pairs: &[(&str, &str)]) -> Req {
        Req::new(Method::GET, route, &query(pairs))
    }

    pub fn put(route: &str, pairs: &[(&str, &str)], body: impl Into<Vec<u8>>) -> Req {
        Req::new(Method::PUT, route, &query(pairs)).body(body)
    }

    pub fn post(route: &str, pairs: &[(&str, &str)], body: impl Into<Vec<u8>>) -> Req {
        Req::new(Method::POST, route, &query(pairs)).body(body)
    }

    pub fn delete(route: &str, pairs: &[(&str, &str)]) -> Req {
        Req::new(Method::DELETE, route, &query(pairs))
    }

    pub fn token(self, token: &str) -> Req {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub fn header(mut self, name: &str, value: &str) -> Req {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Req {
        self.body = Body::Binary(body.into());
        self
    }

    pub fn build(self) -> Request {
        let mut builder = http::Request::builder()
            .method(self.method)
            .uri(self.path_and_query);
        for (name, value) in &self.headers {
            builder = builder.header(name, value);
        }
        builder.body(self.body).expect("a valid request")
    }

    /// Sends the request to the handler of its route, in process.
    pub async fn send(self, app: &App) -> Reply {
        let route = self.path_and_query[1..]
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned();
        let request = self.build();
        let response = match route.as_str() {
            "read-file" => homedir::handlers::read_file(app, request).await,
            "write-file" => homedir::handlers::write_file(app, request).await,
            "list" => homedir::handlers::list(app, request).await,
            "delete" => homedir::handlers::delete(app, request).await,
            other => panic!("no route {other}"),
        };
        Reply(response.expect("handlers always answer"))
    }
}

/// A handler's response, with helpers for assertions.
#[derive(Debug)]
pub struct Reply(pub Response<Body>);

impl Reply {
    pub fn status(&self) -> u16 {
        self.0.status().as_u16()
    }

    pub fn bytes(&self) -> &[u8] {
        self.0.body().as_ref()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(self.bytes()).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {:?}",
                String::from_utf8_lossy(self.bytes())
            )
        })
    }

    /// The `error.code` of an error response.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The `error.message` of an error response.
    pub fn message(&self) -> String {
        self.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.0
            .headers()
            .get(name)
            .map(|v| v.to_str().expect("ASCII header").to_owned())
    }

    /// Asserts the status and, for errors, the code; returns self for more checks.
    #[track_caller]
    pub fn expect(self, status: u16, code: Option<&str>) -> Reply {
        assert_eq!(
            self.status(),
            status,
            "unexpected status; body: {}",
            String::from_utf8_lossy(self.bytes())
        );
        if let Some(code) = code {
            assert_eq!(self.code(), code, "unexpected error code");
        }
        self
    }
}

/// Writes `body` to `key` as `user` (`PUT /write-file`), asserting 200: its JSON answer.
pub async fn write(app: &App, user: &User, key: &str, body: &str) -> Value {
    Req::put("write-file", &[("key", key)], body)
        .token(&user.id_token)
        .send(app)
        .await
        .expect(200, None)
        .json()
}

/// Every page of `GET /list` with `pairs`, as `user`, following `next_cursor` to the
/// end (each page asserted 200). A listing that has not ended after 100 pages fails.
pub async fn list_pages(app: &App, user: &User, pairs: &[(&str, &str)]) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        assert!(pages.len() < 100, "the listing did not end after 100 pages");
        let mut params = pairs.to_vec();
        if let Some(c) = &cursor {
            params.push(("cursor", c.as_str()));
        }
        let page = Req::get("list", &params)
            .token(&user.id_token)
            .send(app)
            .await
            .expect(200, None)
            .json();
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        pages.push(page);
        if cursor.is_none() {
            return pages;
        }
    }
}

/// The AWS calls an in-process app made while some work ran, by operation.
#[derive(Debug)]
pub struct CallsMade(BTreeMap<String, u64>);

impl CallsMade {
    /// How many `operation` calls.
    pub fn of(&self, operation: &str) -> u64 {
        self.0.get(operation).copied().unwrap_or(0)
    }

    /// How many calls in all.
    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }
}

/// Runs `work` (a request sent to `app`, say) and counts the AWS calls `app` made
/// meanwhile.
pub async fn counting<T>(app: &App, work: impl Future<Output = T>) -> (T, CallsMade) {
    let before = app.calls().snapshot();
    let output = work.await;
    let made = app
        .calls()
        .snapshot()
        .into_iter()
        .map(|(operation, after)| {
            let before = before.get(&operation).copied().unwrap_or(0);
            (operation, after - before)
        })
        .filter(|(_, calls)| *calls > 0)
        .collect();
    (output, CallsMade(made))
}
