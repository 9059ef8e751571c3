//! The execution environments of each function, as Lambda keeps them: one invocation
//! at a time per environment, an idle one reused (warm), a new one started when all
//! are busy (cold), up to a limit per function (the function's concurrency). An
//! environment whose binary was rebuilt since it started is replaced at its next use,
//! so `cargo build` in another shell takes effect without a restart. An environment
//! that timed out or died is discarded, as Lambda discards one.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::runtime::{Environment, Failed};
use crate::settings::FunctionSettings;

struct Function {
    settings: FunctionSettings,
    idle: Mutex<Vec<Environment>>,
    slots: Arc<Semaphore>,
}

/// The functions this gateway serves, by binary name.
pub struct Pool {
    functions: Vec<Function>,
    env: Vec<(String, String)>,
    timeout: Duration,
}

impl Pool {
    /// `functions`: each binary and its configuration; `env`: every function's local
    /// settings (`--env-file`); at most `concurrency` environments per function; each
    /// invocation through the HTTP front at most `timeout` (API Gateway's).
    pub fn new(
        functions: Vec<FunctionSettings>,
        env: Vec<(String, String)>,
        concurrency: usize,
        timeout: Duration,
    ) -> Pool {
        Pool {
            functions: functions
                .into_iter()
                .map(|settings| Function {
                    settings,
                    idle: Mutex::new(Vec::new()),
                    slots: Arc::new(Semaphore::new(concurrency.max(1))),
                })
                .collect(),
            env,
            timeout,
        }
    }

    /// Whether `binary` is one of the served binaries (the HTTP front's names).
    pub fn serves(&self, binary: &str) -> bool {
        self.functions.iter().any(|f| f.settings.binary == binary)
    }

    /// The binary of the function `reference` names (a binary, a function name or ARN,
    /// see [`FunctionSettings::answers_to`]).
    pub fn resolve(&self, reference: &str) -> Option<&FunctionSettings> {
        self.functions
            .iter()
            .map(|f| &f.settings)
            .find(|s| s.answers_to(reference))
    }

    /// The function's own timeout (its `Timeout`), else the gateway's.
    pub fn function_timeout(&self, binary: &str) -> Duration {
        self.functions
            .iter()
            .find(|f| f.settings.binary == binary)
            .and_then(|f| f.settings.timeout)
            .unwrap_or(self.timeout)
    }

    /// The gateway's own timeout (API Gateway's integration timeout).
    pub fn http_timeout(&self) -> Duration {
        self.timeout
    }

    /// Invokes `binary` with `event` through the HTTP front: API Gateway's timeout.
    pub async fn invoke(&self, binary: &str, event: Vec<u8>) -> Result<Bytes, Failed> {
        let id = uuid::Uuid::new_v4().to_string();
        self.invoke_as(binary, &id, event, self.timeout).await
    }

    /// Invokes `binary` with `event` as request `id`, at most `timeout`: in an idle
    /// environment, or a new one.
    pub async fn invoke_as(
        &self,
        binary: &str,
        id: &str,
        event: Vec<u8>,
        timeout: Duration,
    ) -> Result<Bytes, Failed> {
        let Some(entry) = self.functions.iter().find(|f| f.settings.binary == binary) else {
            return Err(Failed::Exited(format!("no function {binary}")));
        };
        let _slot: OwnedSemaphorePermit = entry
            .slots
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Failed::Exited("the gateway is stopping".into()))?;
        let environment = match self.warm(entry).await {
            Some(environment) => environment,
            None => Environment::start(&entry.settings, &self.env)
                .await
                .map_err(|e| {
                    Failed::Exited(format!(
                        "cannot start {}: {e}",
                        entry.settings.path.display()
                    ))
                })?,
        };
        let outcome = environment.invoke(id, event, timeout).await;
        // A timed-out or dead environment is not reused.
        if matches!(outcome, Ok(_) | Err(Failed::Reported(_) | Failed::TooLarge)) {
            lock(&entry.idle).push(environment);
        }
        outcome
    }

    /// An idle environment still running the current binary.
    async fn warm(&self, entry: &Function) -> Option<Environment> {
        let current = modified(&entry.settings.path);
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

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
