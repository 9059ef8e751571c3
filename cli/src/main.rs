//! `homedir`: the command-line client of a homedir stack. See `homedir --help` and the
//! README's "Command line" section.

mod api;
mod auth;
mod aws_profile;
mod cli;
mod commands;
mod config;
mod error;
mod human;
mod progress;
mod prompt;
mod remote;
mod state;
mod store;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::error::{Error, exit};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // clap exits 2 on usage errors; 2 means "signed out" here.
            return ExitCode::from(if e.use_stderr() { exit::USAGE } else { 0 });
        }
    };
    init_logs(cli.verbose);
    let interrupted = match cli.command {
        Command::Put(_) => "interrupted; run the same put again to resume",
        _ => "interrupted",
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("homedir: cannot start: {e}");
            return ExitCode::from(exit::SERVICE);
        }
    };
    let result = runtime.block_on(async {
        tokio::select! {
            result = commands::run(cli) => result,
            _ = tokio::signal::ctrl_c() => Err(Error::Interrupted(interrupted.into())),
        }
    });
    // Parts still in flight after an interruption are not waited for.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("homedir: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// `-v`: the client's own debug lines on stderr. Other crates stay at WARN: at DEBUG
/// the SDK and hyper print headers, which carry tokens and presigned URLs.
fn init_logs(verbose: bool) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let own = if verbose {
        LevelFilter::DEBUG
    } else {
        LevelFilter::WARN
    };
    let filter = Targets::new()
        .with_default(LevelFilter::WARN)
        .with_target("homedir", own);
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(false)
                .without_time()
                .with_filter(filter),
        )
        .try_init();
}
