//! `netsuite-mock run`: replays scenarios in-process (default) or against `--target`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use fixture::Fixture;
use netsuite_mock::InProcessFactory;
use scenario_runner::{HttpFactory, RunOptions, TargetFactory};

#[derive(Args, Debug)]
pub(crate) struct RunArgs {
    /// Scenario files or folders.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// A live server instead of an in-process emulator per scenario: this emulator
    /// (reset before each scenario) or a NetSuite sandbox (credentials from NETSUITE_* env).
    #[arg(long, env = "NETSUITE_MOCK_TARGET")]
    target: Option<String>,
    /// Write a JUnit XML report here.
    #[arg(long)]
    junit: Option<PathBuf>,
    /// Scenarios at once (in-process only; a live target runs one at a time).
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Only scenarios whose name or path contains this text.
    #[arg(long)]
    filter: Option<String>,
    /// The fixture of scenarios that name none (default: the built-in demo), and the one whose
    /// credentials sign against a live emulator.
    #[arg(long, env = "NETSUITE_MOCK_FIXTURE")]
    fixture: Option<PathBuf>,
}

#[expect(clippy::print_stdout, reason = "the report is the command's output")]
pub(crate) fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let fixture = match &args.fixture {
        Some(path) => Fixture::load(path)?,
        None => Fixture::demo(),
    };
    let files = scenario_runner::discover(&args.paths)?;
    if files.is_empty() {
        anyhow::bail!("no scenario files under {:?}", args.paths);
    }
    let scenarios =
        files.iter().map(|f| scenario_runner::load(f)).collect::<Result<Vec<_>, _>>()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let summary = runtime.block_on(async {
        let factory: Arc<dyn TargetFactory> = match &args.target {
            Some(url) => {
                let factory = HttpFactory::connect(url, fixture).await.map_err(|e| anyhow::anyhow!("target {url}: {e}"))?;
                if !factory.is_emulator() {
                    eprintln!("target {url} has no admin API: treating it as a NetSuite sandbox (state checks and admin steps are skipped)");
                }
                Arc::new(factory)
            }
            None => Arc::new(InProcessFactory::new(fixture)),
        };
        let options = RunOptions { jobs: args.jobs, filter: args.filter.clone() };
        Ok::<_, anyhow::Error>(scenario_runner::run_all(scenarios, factory, &options).await)
    })?;
    print!("{}", summary.render());
    if let Some(path) = &args.junit {
        std::fs::write(path, summary.junit())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(if summary.failed() > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
