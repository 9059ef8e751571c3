//! `test-recorder`: a function for tests of the local Lambda plumbing only (no
//! template.yaml function runs it). It polls the Lambda Runtime API
//! (<https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html>) like any
//! function, appends every event it receives to `$RECORDER_LOG` (one JSON line:
//! the function's name, the request id and the event), and answers
//! `{"function", "request_id", "event", "environment"}` (its variables, the secret
//! and session token left out), unless the event asks otherwise:
//!
//! - `{"recorder": {"fail": true}}`, or an event whose JSON text contains
//!   `$RECORDER_FAIL_MARK` (when set): reports an error (`RecorderFailure`);
//! - `{"recorder": {"sleep_ms": N}}`: answers after N milliseconds;
//! - `{"recorder": {"exit": N}}`: exits with status N without answering;
//! - `{"recorder": {"respond": VALUE}}`: answers VALUE.
//!
//! and, for events a service sends (which carry no `recorder` directive), as its
//! environment says:
//!
//! - `RECORDER_RESPONSE` (JSON text): answers the event itself with its `"response"`
//!   replaced by that value, as a Cognito trigger answers
//!   (<https://docs.aws.amazon.com/cognito/latest/developerguide/cognito-user-pools-working-with-lambda-triggers.html>);
//! - `RECORDER_SLEEP_MS` (a number): answers every event after that many milliseconds.
//!
//! Plain `std` HTTP/1.1 to the Runtime API: no SDK, no async runtime.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{Value, json};

fn main() {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API").unwrap_or_else(|_| {
        eprintln!("test-recorder: no AWS_LAMBDA_RUNTIME_API");
        std::process::exit(2)
    });
    loop {
        let (headers, body) = match call(&api, "GET", "/2018-06-01/runtime/invocation/next", b"") {
            Ok(answer) => answer,
            Err(problem) => {
                eprintln!("test-recorder: next: {problem}");
                std::process::exit(1)
            }
        };
        let id = header(&headers, "lambda-runtime-aws-request-id").unwrap_or_default();
        let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_default();
        record(&function, &id, &event);
        let directive = event.get("recorder").cloned().unwrap_or(Value::Null);
        let slept = std::env::var("RECORDER_SLEEP_MS")
            .ok()
            .and_then(|ms| ms.parse::<u64>().ok());
        if let Some(ms) = directive.get("sleep_ms").and_then(Value::as_u64).or(slept) {
            std::thread::sleep(Duration::from_millis(ms));
        }
        if let Some(status) = directive.get("exit").and_then(Value::as_i64) {
            std::process::exit(i32::try_from(status).unwrap_or(1));
        }
        let marked = std::env::var("RECORDER_FAIL_MARK")
            .ok()
            .filter(|mark| !mark.is_empty())
            .is_some_and(|mark| String::from_utf8_lossy(&body).contains(&mark));
        let outcome = if directive.get("fail") == Some(&Value::Bool(true)) || marked {
            let report = json!({
                "errorType": "RecorderFailure",
                "errorMessage": format!("test-recorder was asked to fail request {id}"),
            });
            call(
                &api,
                "POST",
                &format!("/2018-06-01/runtime/invocation/{id}/error"),
                report.to_string().as_bytes(),
            )
        } else {
            let canned = std::env::var("RECORDER_RESPONSE")
                .ok()
                .and_then(|text| serde_json::from_str::<Value>(&text).ok());
            let answer = match (directive.get("respond"), canned) {
                (Some(value), _) => value.clone(),
                (None, Some(response)) => {
                    let mut answered = event.clone();
                    if let Some(object) = answered.as_object_mut() {
                        object.insert("response".to_owned(), response);
                    }
                    answered
                }
                (None, None) => json!({
                    "function": function,
                    "request_id": id,
                    "event": event,
                    "environment": environment(),
                }),
            };
            call(
                &api,
                "POST",
                &format!("/2018-06-01/runtime/invocation/{id}/response"),
                answer.to_string().as_bytes(),
            )
        };
        if let Err(problem) = outcome {
            eprintln!("test-recorder: answer: {problem}");
        }
    }
}

/// The process's variables, without the secret key and the session token.
fn environment() -> Value {
    let mut found = serde_json::Map::new();
    for (key, value) in std::env::vars() {
        if key == "AWS_SECRET_ACCESS_KEY" || key == "AWS_SESSION_TOKEN" {
            found.insert(key, Value::Bool(true));
        } else {
            found.insert(key, Value::String(value));
        }
    }
    Value::Object(found)
}

fn record(function: &str, id: &str, event: &Value) {
    let Ok(path) = std::env::var("RECORDER_LOG") else {
        return;
    };
    let line = json!({ "function": function, "request_id": id, "event": event }).to_string() + "\n";
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| file.write_all(line.as_bytes()));
    if let Err(problem) = written {
        eprintln!("test-recorder: cannot append to {path}: {problem}");
    }
}

fn header(headers: &[(String, String)], name: &str) -> Option<String> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

type Answer = (Vec<(String, String)>, Vec<u8>);

/// One HTTP/1.1 request on its own connection; the answer's headers and body.
fn call(api: &str, method: &str, path: &str, body: &[u8]) -> std::io::Result<Answer> {
    let mut stream = TcpStream::connect(api)?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {api}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no end of headers"))?;
    let text = String::from_utf8_lossy(&answer[..split]).into_owned();
    let mut lines = text.split("\r\n");
    let status = lines.next().unwrap_or_default().to_owned();
    if !status.contains(" 200") && !status.contains(" 202") {
        return Err(std::io::Error::other(format!("answered {status}")));
    }
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut rest = answer[split + 4..].to_vec();
    if let Some(length) = header(&headers, "content-length").and_then(|l| l.parse::<usize>().ok()) {
        rest.truncate(length);
    }
    Ok((headers, rest))
}
