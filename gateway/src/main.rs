//! `homedir-gateway`: the function binaries served over HTTP as API Gateway and Lambda
//! serve them (see the library's documentation). `make dev` and the tests run it.
//!
//! ```text
//! homedir-gateway --listen 127.0.0.1:9000 --env-file .local/functions.env
//!                 [--bin-dir target/debug] [--functions read-file,write-file,list,delete,web]
//!                 [--concurrency 8] [--timeout 30]
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use homedir_gateway::{front, pool::Pool};

struct Options {
    listen: String,
    env_file: Option<PathBuf>,
    bin_dir: PathBuf,
    functions: Vec<String>,
    concurrency: usize,
    timeout: Duration,
}

fn options() -> Result<Options, String> {
    let mut options = Options {
        listen: "127.0.0.1:9000".into(),
        env_file: None,
        bin_dir: PathBuf::from(
            std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".into()),
        )
        .join("debug"),
        functions: ["read-file", "write-file", "list", "delete", "web"]
            .map(str::to_owned)
            .to_vec(),
        concurrency: 8,
        // API Gateway's integration timeout.
        timeout: Duration::from_secs(30),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--listen" => options.listen = value()?,
            "--env-file" => options.env_file = Some(PathBuf::from(value()?)),
            "--bin-dir" => options.bin_dir = PathBuf::from(value()?),
            "--functions" => {
                options.functions = value()?.split(',').map(str::to_owned).collect();
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
    let mut functions = Vec::new();
    for name in &options.functions {
        let binary = options.bin_dir.join(name);
        if !binary.is_file() {
            return Err(format!(
                "no {}: build the functions first (cargo build --workspace --bins)",
                binary.display()
            ));
        }
        functions.push((name.clone(), binary));
    }
    let pool = Arc::new(Pool::new(
        functions,
        env,
        options.concurrency,
        options.timeout,
    ));
    let listener = tokio::net::TcpListener::bind(&options.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot listen: {e}"))?;
    eprintln!(
        "homedir-gateway: serving {} on http://{addr}/lambda-url/<function>/",
        options.functions.join(", ")
    );
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| format!("cannot handle signals: {e}"))?;
    tokio::select! {
        () = front::serve(listener, pool) => {},
        _ = tokio::signal::ctrl_c() => {},
        _ = terminate.recv() => {},
    }
    // Dropping the pool stops every function process.
    Ok(())
}
