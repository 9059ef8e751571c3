//! `homedir-gateway`: the function binaries served over HTTP as API Gateway and Lambda
//! serve them (see the library's documentation). `make dev` and the tests run it.
//!
//! ```text
//! homedir-gateway --listen 127.0.0.1:9000 --env-file .local/functions.env
//!                 [--bin-dir target/debug] [--functions read-file,write-file,list,delete,web]...
//!                 [--function-config FILE] [--concurrency 8] [--timeout 30]
//!                 [--async-retry-delays 60,120]
//! ```
//!
//! `--functions` may be given more than once (the lists are joined): the scripts pass
//! the stack's binaries (`FUNCTION_BINARIES`, from each function's
//! `Metadata.BuildProperties.Binary` in template.yaml) and tests add their own.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use homedir_gateway::invoke::{DEFAULT_RETRY_DELAYS, Lambda};
use homedir_gateway::settings::{self, FunctionSettings};
use homedir_gateway::{front, pool::Pool};

struct Options {
    listen: String,
    env_file: Option<PathBuf>,
    bin_dir: PathBuf,
    functions: Vec<String>,
    function_config: Option<PathBuf>,
    concurrency: usize,
    timeout: Duration,
    retry_delays: Vec<Duration>,
}

const DEFAULT_FUNCTIONS: [&str; 5] = ["read-file", "write-file", "list", "delete", "web"];

fn options() -> Result<Options, String> {
    let mut options = Options {
        listen: "127.0.0.1:9000".into(),
        env_file: None,
        bin_dir: PathBuf::from(
            std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into()),
        )
        .join("debug"),
        functions: Vec::new(),
        function_config: None,
        concurrency: 8,
        // API Gateway's integration timeout.
        timeout: Duration::from_secs(30),
        retry_delays: DEFAULT_RETRY_DELAYS.to_vec(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--listen" => options.listen = value()?,
            "--env-file" => options.env_file = Some(PathBuf::from(value()?)),
            "--bin-dir" => options.bin_dir = PathBuf::from(value()?),
            "--functions" => {
                for name in value()?.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                    if !options.functions.iter().any(|f| f == name) {
                        options.functions.push(name.to_owned());
                    }
                }
            }
            "--function-config" => options.function_config = Some(PathBuf::from(value()?)),
            "--async-retry-delays" => {
                options.retry_delays = value()?
                    .split(',')
                    .map(|s| s.trim().parse::<f64>().map(Duration::from_secs_f64))
                    .collect::<Result<_, _>>()
                    .map_err(|_| "--async-retry-delays takes seconds, e.g. 60,120".to_owned())?;
            }
            "--concurrency" => {
                options.concurrency = value()?
                    .parse()
                    .map_err(|_| "--concurrency takes a number".to_owned())?;
            }
            "--timeout" => {
                options.timeout = Duration::from_secs(
                    value()?
                        .parse()
                        .map_err(|_| "--timeout takes seconds".to_owned())?,
                );
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    if options.functions.is_empty() {
        options.functions = DEFAULT_FUNCTIONS.map(str::to_owned).to_vec();
    }
    Ok(options)
}

/// `KEY=VALUE` lines (blank lines and `#` comments skipped).
fn read_env(path: &PathBuf) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("homedir-gateway: {problem}");
            std::process::ExitCode::from(2)
        }
    }
}

async fn run() -> Result<(), String> {
    let options = options()?;
    let env = match &options.env_file {
        Some(path) => read_env(path)?,
        None => Vec::new(),
    };
    let config = match &options.function_config {
        Some(path) => settings::read_config(path)?,
        None => Default::default(),
    };
    let mut functions: Vec<FunctionSettings> = Vec::new();
    for name in &options.functions {
        let binary = options.bin_dir.join(name);
        if !binary.is_file() {
            return Err(format!(
                "no {}: build the functions first (cargo build --workspace --bins)",
                binary.display()
            ));
        }
        functions.push(match config.get(name) {
            Some(entry) => settings::configured(name, binary, entry),
            None => FunctionSettings::plain(name, binary),
        });
    }
    let pool = Arc::new(Pool::new(
        functions,
        env,
        options.concurrency,
        options.timeout,
    ));
    let lambda = Arc::new(Lambda::new(pool, options.retry_delays.clone()));
    let listener = tokio::net::TcpListener::bind(&options.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot listen: {e}"))?;
    eprintln!(
        "homedir-gateway: serving {} on http://{addr}/lambda-url/<function>/ (Invoke API: http://{addr}/2015-03-31/functions/<function>/invocations)",
        options.functions.join(", ")
    );
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| format!("cannot handle signals: {e}"))?;
    tokio::select! {
        () = front::serve(listener, lambda) => {},
        _ = tokio::signal::ctrl_c() => {},
        _ = terminate.recv() => {},
    }
    // Dropping the pool stops every function process.
    Ok(())
}
