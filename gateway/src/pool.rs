//! The execution environments of each function, as Lambda keeps them: one invocation
//! at a time per environment, an idle one reused (warm), a new one started when all
//! are busy (cold), up to a limit per function (the function's concurrency). An
//! environment whose binary was rebuilt since it started is replaced at its next use,
//! so `cargo build` in another shell takes effect without a restart. An environment
//! that timed out or died is discarded, as Lambda discards one.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::runtime::{Environment, Failed};

struct Function {
    binary: PathBuf,
    idle: Mutex<Vec<Environment>>,
    slots: Arc<Semaphore>,
}

/// The functions this gateway serves, by name.
pub struct Pool {
    functions: HashMap<String, Function>,
    env: Vec<(String, String)>,
    timeout: Duration,
}

impl Pool {
    /// `functions`: name and binary; `env`: every function's environment; at most
    /// `concurrency` environments per function; each invocation at most `timeout`.
    pub fn new(
        functions: Vec<(String, PathBuf)>,
        env: Vec<(String, String)>,
        concurrency: usize,
        timeout: Duration,
    ) -> Pool {
        Pool {
            functions: functions
                .into_iter()
                .map(|(name, binary)| {
                    let function = Function {
                        binary,
                        idle: Mutex::new(Vec::new()),
                        slots: Arc::new(Semaphore::new(concurrency.max(1))),
                    };
                    (name, function)
                })
                .collect(),
            env,
            timeout,
        }
    }

    pub fn serves(&self, function: &str) -> bool {
        self.functions.contains_key(function)
    }

    /// Invokes `function` with `event`: in an idle environment, or a new one.
    pub async fn invoke(&self, function: &str, event: Vec<u8>) -> Result<Bytes, Failed> {
        let Some(entry) = self.functions.get(function) else {
            return Err(Failed::Exited(format!("no function {function}")));
        };
        let _slot: OwnedSemaphorePermit = entry
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Failed::Exited("the gateway is stopping".into()))?;
        let environment = match self.warm(entry).await {
            Some(environment) => environment,
            None => Environment::start(function, &entry.binary, &self.env)
                .await
                .map_err(|e| {
                    Failed::Exited(format!("cannot start {}: {e}", entry.binary.display()))
                })?,
        };
        let outcome = environment.invoke(event, self.timeout).await;
        // A timed-out or dead environment is not reused.
        if matches!(outcome, Ok(_) | Err(Failed::Reported(_) | Failed::TooLarge)) {
            lock(&entry.idle).push(environment);
        }
        outcome
    }

    /// An idle environment still running the current binary.
    async fn warm(&self, entry: &Function) -> Option<Environment> {
        let current = modified(&entry.binary);
        loop {
            let candidate = lock(&entry.idle).pop()?;
            if candidate.binary_modified == current && candidate.alive().await {
                return Some(candidate);
            }
            // Dropped: the process is killed (a rebuilt binary, or it died).
        }
    }
}

fn modified(binary: &PathBuf) -> Option<SystemTime> {
    std::fs::metadata(binary).and_then(|m| m.modified()).ok()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
