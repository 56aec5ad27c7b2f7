//! `netsuite-mock record`: the request journal of a running emulator as a scenario file.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use scenario_runner::{HttpRequest, HttpTarget, Target};

#[derive(Args, Debug)]
pub(crate) struct RecordArgs {
    /// The running emulator.
    #[arg(long, env = "NETSUITE_MOCK_TARGET", default_value = "http://127.0.0.1:8080")]
    target: String,
    /// Only journal entries after this sequence number (see GET /__admin/journal).
    #[arg(long, default_value_t = 0)]
    after_seq: u64,
    /// At most this many requests.
    #[arg(long, default_value_t = 1000)]
    limit: usize,
    /// The scenario's name.
    #[arg(long, default_value = "recorded session")]
    name: String,
    /// Where to write the scenario (default: standard output).
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[expect(clippy::print_stdout, reason = "the scenario is the command's output")]
pub(crate) fn run(args: RecordArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let journal = runtime.block_on(async {
        let target = HttpTarget::new(&args.target, true).map_err(anyhow::Error::msg)?;
        let (_, authority) = target.origin();
        let request = HttpRequest {
            method: "GET".into(),
            path_and_query: format!(
                "/__admin/journal?afterSeq={}&limit={}",
                args.after_seq, args.limit
            ),
            headers: vec![("host".into(), authority)],
            body: Vec::new(),
        };
        let response = target
            .send(request)
            .await
            .map_err(anyhow::Error::msg)?
            .context("the connection dropped")?;
        anyhow::ensure!(response.status == 200, "journal: HTTP {}", response.status);
        Ok::<_, anyhow::Error>(serde_json::from_slice::<serde_json::Value>(&response.body)?)
    })?;
    let entries = journal["entries"].as_array().cloned().unwrap_or_default();
    let yaml = scenario_runner::record_scenario(&args.name, &entries);
    match &args.output {
        Some(path) => {
            std::fs::write(path, yaml).with_context(|| format!("writing {}", path.display()))?
        }
        None => print!("{yaml}"),
    }
    Ok(ExitCode::SUCCESS)
}
