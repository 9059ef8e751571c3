//! The emulator's log of the AWS calls it received (see tests/emulator/README.md):
//! the view from the other side of the wire, which also records the access key each
//! call was signed with.

use serde::Deserialize;

use crate::stack::Stack;

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Call {
    pub service: String,
    pub operation: String,
    pub access_key: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CallLog {
    calls: Vec<Call>,
}

async fn request(stack: &Stack, method: http::Method, path: &str) -> Vec<u8> {
    use http_body_util::{BodyExt, Empty};
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let client: Client<_, Empty<bytes::Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let uri: http::Uri = format!("{}{path}", stack.endpoint())
        .parse()
        .expect("emulator URI");
    let request = http::Request::builder()
        .method(method)
        .uri(uri)
        .body(Empty::new())
        .expect("request");
    let response = client.request(request).await.expect("the emulator answers");
    assert!(
        response.status().is_success(),
        "emulator {path}: {}",
        response.status()
    );
    response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec()
}

/// Every call the emulator received, in order.
pub async fn calls(stack: &Stack) -> Vec<Call> {
    let body = request(stack, http::Method::GET, "/_homedir/calls").await;
    serde_json::from_slice::<CallLog>(&body)
        .expect("call log JSON")
        .calls
}

/// Forgets the calls so far.
pub async fn reset_calls(stack: &Stack) {
    request(stack, http::Method::POST, "/_homedir/calls/reset").await;
}
