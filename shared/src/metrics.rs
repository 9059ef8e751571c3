//! Counting the AWS API calls the functions make.
//!
//! The whole performance story of homedir is "a warm request costs one S3 call", so
//! the count is a product metric, not a test hook: every client is built with the
//! [`CountCalls`] interceptor, each request's log line carries how many calls it
//! made, and the test and bench suites read the same counters.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Calls made since the process started, by operation name (retries count: each
/// attempt is a call AWS bills and throttles).
#[derive(Debug, Default)]
pub struct AwsCalls {
    total: AtomicU64,
    by_operation: Mutex<BTreeMap<String, u64>>,
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

    fn record(&self, operation: &str) {
        self.total.fetch_add(1, Ordering::Relaxed);
        let mut map = self
            .by_operation
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *map.entry(operation.to_owned()).or_default() += 1;
    }
}

/// The interceptor that feeds [`AwsCalls`]; attached to every SDK client.
#[derive(Debug, Clone)]
pub struct CountCalls(pub Arc<AwsCalls>);

impl Intercept for CountCalls {
    fn name(&self) -> &'static str {
        "CountCalls"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let operation = cfg
            .load::<Metadata>()
            .map(Metadata::name)
            .unwrap_or("unknown");
        self.0.record(operation);
        Ok(())
    }
}
