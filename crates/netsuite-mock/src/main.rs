//! The `netsuite-mock` binary: parses the command line and wires the crates together.
//! Exit codes: 0 success, 1 a check failed, 2 usage, configuration or I/O error.

mod load;
mod record;
mod run;
mod serve;
mod sign;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc: the emulator allocates small JSON values and strings on every request, where
/// it measurably beats the system allocator (docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "netsuite-mock",
    version,
    about = "A local, stateful emulator of NetSuite's RESTlet platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the emulator (default http://127.0.0.1:8080, state in ./netsuite-mock.db).
    Serve(serve::ServeArgs),
    /// Replay YAML scenarios in-process (default) or against --target.
    Run(run::RunArgs),
    /// Signed load or soak against a target, ending with a reconciliation.
    Load(load::LoadArgs),
    /// Export a running emulator's request journal as a scenario file.
    Record(record::RecordArgs),
    /// Print the OAuth 1.0a Authorization header and signature base string for a request.
    Sign(sign::SignArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Run(args) => run::run(args),
        Command::Record(args) => record::run(args),
        Command::Load(args) => load::run(args),
        Command::Sign(args) => sign::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(2)
        }
    }
}
