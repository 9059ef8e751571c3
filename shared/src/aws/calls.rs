//! Counting the AWS API calls the functions make.
//!
//! The whole performance story of homedir is "a warm request costs one S3 call", so
//! the count is a product metric, not a test hook: every client is built with the
//! [`CountCalls`] interceptor, each request's log line carries how many calls it
//! made, and the test and bench suites read the same counters.

use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};

/// How many recent call spans are kept (enough for any one request's cold path).
const SPANS_KEPT: usize = 256;

/// When one AWS call was on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallSpan {
    pub operation: String,
    pub started: Instant,
    /// `None` while the call is in flight.
    pub finished: Option<Instant>,
}

/// Calls made since the process started, by operation name (retries count: each
/// attempt is a call AWS bills and throttles).
#[derive(Debug, Default)]
pub struct AwsCalls {
    total: AtomicU64,
    by_operation: Mutex<BTreeMap<String, u64>>,
    /// The most recent calls, oldest first, each tagged with its sequence number.
    spans: Mutex<VecDeque<(u64, CallSpan)>>,
}

impl AwsCalls {
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// A copy of the per-operation counters.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.by_operation
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Calls of one operation (`GetId`, `GetObject`, …).
    pub fn of(&self, operation: &str) -> u64 {
        self.snapshot().get(operation).copied().unwrap_or(0)
    }

    /// The spans of the most recent calls, oldest first.
    pub fn spans(&self) -> Vec<CallSpan> {
        let spans = self
            .spans
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        spans.iter().map(|(_, span)| span.clone()).collect()
    }

    /// A call of `operation` going out now (for clients that are not SDK clients);
    /// hand the number back to [`AwsCalls::finish`] when it ends.
    pub(crate) fn begin(&self, operation: &str) -> u64 {
        self.record(operation)
    }

    fn record(&self, operation: &str) -> u64 {
        let sequence = self.total.fetch_add(1, Ordering::Relaxed);
        {
            let mut map = self
                .by_operation
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            *map.entry(operation.to_owned()).or_default() += 1;
        }
        let mut spans = self
            .spans
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if spans.len() == SPANS_KEPT {
            spans.pop_front();
        }
        let span = CallSpan {
            operation: operation.to_owned(),
            started: Instant::now(),
            finished: None,
        };
        spans.push_back((sequence, span));
        sequence
    }

    pub(crate) fn finish(&self, sequence: u64) {
        let mut spans = self
            .spans
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some((_, span)) = spans.iter_mut().rev().find(|(s, _)| *s == sequence) {
            span.finished = Some(Instant::now());
        }
    }
}

/// The longest chain of calls where each starts only after the previous finished:
/// how many round trips a request waited for one after another. Calls that overlap
/// (run concurrently) share a step.
pub fn sequential_round_trips(spans: &[CallSpan]) -> usize {
    let mut sorted: Vec<&CallSpan> = spans.iter().collect();
    sorted.sort_by_key(|span| span.started);
    // depth[i]: the longest chain ending with call i.
    let mut depth = vec![1usize; sorted.len()];
    for i in 0..sorted.len() {
        for j in 0..i {
            if sorted[j]
                .finished
                .is_some_and(|end| end <= sorted[i].started)
            {
                depth[i] = depth[i].max(depth[j] + 1);
            }
        }
    }
    depth.into_iter().max().unwrap_or(0)
}

/// The sequence number of the call in flight, kept in the operation's config bag.
#[derive(Debug, Clone, Copy)]
struct InFlight(u64);

impl Storable for InFlight {
    type Storer = StoreReplace<Self>;
}

/// The interceptor that feeds [`AwsCalls`]; attached to every SDK client.
#[derive(Debug, Clone)]
pub struct CountCalls(pub Arc<AwsCalls>);

/// Whether a request is signed in its query string (a presigned URL) rather than
/// in its `Authorization` header.
fn is_presigned(uri: &str) -> bool {
    uri.split_once('?').is_some_and(|(_, query)| {
        query
            .split('&')
            .any(|pair| pair.starts_with("X-Amz-Signature="))
    })
}

impl Intercept for CountCalls {
    fn name(&self) -> &'static str {
        "CountCalls"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        // Presigning runs the same pipeline up to here and stops: a URL signed in its
        // query string is handed to the client, not sent, and costs no AWS call.
        if is_presigned(context.request().uri()) {
            return Ok(());
        }
        let operation = cfg
            .load::<Metadata>()
            .map(Metadata::name)
            .unwrap_or("unknown");
        let sequence = self.0.record(operation);
        cfg.interceptor_state().store_put(InFlight(sequence));
        Ok(())
    }

    fn read_after_attempt(
        &self,
        _context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(InFlight(sequence)) = cfg.load::<InFlight>().copied() {
            self.0.finish(sequence);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn span(start_ms: u64, end_ms: u64) -> CallSpan {
        let origin = Instant::now();
        CallSpan {
            operation: "Op".into(),
            started: origin + Duration::from_millis(start_ms),
            finished: Some(origin + Duration::from_millis(end_ms)),
        }
    }

    #[test]
    fn presigned_requests_are_told_by_their_query_signature() {
        assert!(is_presigned(
            "http://127.0.0.1:5000/b/k?x-id=GetObject&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature=abc"
        ));
        assert!(!is_presigned("http://127.0.0.1:5000/b/k?x-id=GetObject"));
        assert!(!is_presigned("http://127.0.0.1:5000/b/X-Amz-Signature=k"));
    }

    #[test]
    fn overlapping_calls_share_a_round_trip() {
        // AdminGetUser 0–10 alongside GetId 0–8, then GetCredentials 8–16, then S3 16–20.
        let spans = [span(0, 10), span(0, 8), span(8, 16), span(16, 20)];
        assert_eq!(sequential_round_trips(&spans), 3);
        assert_eq!(sequential_round_trips(&spans[..3]), 2);
    }

    #[test]
    fn strictly_sequential_calls_each_count() {
        let spans = [span(0, 5), span(5, 9), span(9, 12), span(12, 13)];
        assert_eq!(sequential_round_trips(&spans), 4);
        assert_eq!(sequential_round_trips(&[]), 0);
    }
}
