//! The API of a stack of a test's own: the function binaries served by
//! `homedir-gateway` (gateway/) on a free loopback port, with the stack's function
//! environment, as tests/e2e.sh serves them for the shared stack. For end-to-end tests
//! that inject faults or count calls in the emulator's log ([`crate::emulator::PrivateStack`]):
//! nothing else shares the emulator, so its log is the test's alone.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use crate::stack::Stack;

/// A running gateway and its function processes (one process group), stopped when
/// dropped.
pub struct Served {
    child: Child,
    dir: PathBuf,
    url_template: String,
    base_url: String,
}

impl Served {
    /// Serves read-file, write-file, list and delete (`$CARGO_TARGET_DIR/debug`, built
    /// by tests/e2e.sh) for `stack`; `overrides` replace or add function settings.
    pub async fn start(stack: &Stack, overrides: &[(&str, &str)]) -> Served {
        Served::launch(
            stack,
            &["read-file", "write-file", "list", "delete"],
            overrides,
            false,
        )
        .await
    }

    /// Serves the stack's own `functions` (binaries `FUNCTION_BINARIES` names, such as
    /// `usage`) as tests/e2e.sh serves them: each with the template's environment and
    /// its role's credentials from the stack's `FUNCTIONS_CONFIG` (`--function-config`),
    /// the local settings on top. Asynchronous invocations that fail are retried after
    /// a tenth and two tenths of a second instead of Lambda's minutes.
    pub async fn stack_functions(stack: &Stack, functions: &[&str]) -> Served {
        Served::launch(stack, functions, &[], true).await
    }

    async fn launch(
        stack: &Stack,
        functions: &[&str],
        overrides: &[(&str, &str)],
        deployed: bool,
    ) -> Served {
        let bin_dir = crate::target_dir().join("debug");
        let gateway = bin_dir.join("homedir-gateway");
        assert!(
            gateway.is_file(),
            "no {}: build the workspace's binaries first (tests/e2e.sh does)",
            gateway.display()
        );
        let dir =
            std::env::temp_dir().join(format!("homedir-served-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("a folder for the gateway");
        let mut env = stack.function_env();
        env.retain(|(k, _)| !overrides.iter().any(|(name, _)| name == k));
        env.extend(
            overrides
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        env.push(("RUST_LOG".to_owned(), "warn".to_owned()));
        let env_file = dir.join("functions.env");
        let text: String = env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        std::fs::write(&env_file, text).expect("the functions' environment");
        let log_path = dir.join("gateway.log");
        let log = std::fs::File::create(&log_path).expect("the gateway's log");
        let mut command = Command::new(&gateway);
        command
            .args(["--listen", "127.0.0.1:0", "--functions"])
            .arg(functions.join(","))
            .arg("--bin-dir")
            .arg(&bin_dir)
            .arg("--env-file")
            .arg(&env_file);
        if deployed {
            command
                .arg("--function-config")
                .arg(stack.var("FUNCTIONS_CONFIG"))
                .args(["--async-retry-delays", "0.1,0.2"]);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            // Its own group: the function processes it starts stop with it.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", gateway.display()));
        let mut served = Served {
            child,
            dir,
            url_template: String::new(),
            base_url: String::new(),
        };
        // "homedir-gateway: serving … on http://127.0.0.1:PORT/lambda-url/<function>/"
        let started = Instant::now();
        loop {
            let text = std::fs::read_to_string(&log_path).unwrap_or_default();
            if let Some(base) = text
                .split_whitespace()
                .find_map(|word| word.strip_suffix("/lambda-url/<function>/"))
            {
                served.url_template = format!("{base}/lambda-url/{{route}}/");
                served.base_url = base.to_owned();
                return served;
            }
            if let Ok(Some(status)) = served.child.try_wait() {
                panic!("homedir-gateway exited ({status}): {text}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "homedir-gateway did not start in 30 s: {text}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The API's URL template, `http://127.0.0.1:PORT/lambda-url/{route}/`.
    pub fn url_template(&self) -> &str {
        &self.url_template
    }

    /// The gateway itself, `http://127.0.0.1:PORT`: its Invoke API and control
    /// endpoints.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(pid) = self.child.id() {
            // The whole group: the gateway and every function process it started.
            let _ = std::process::Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
