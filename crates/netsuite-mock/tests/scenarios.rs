//! Every file under `scenarios/` is one named test, run in-process against a fresh emulator.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use fixture::Fixture;
use libtest_mimic::{Arguments, Failed, Trial};
use netsuite_mock::InProcessFactory;

fn main() {
    let args = Arguments::from_args();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let files = scenario_runner::discover(std::slice::from_ref(&root)).expect("scenarios folder");
    let runtime = Arc::new(
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap(),
    );
    let factory = Arc::new(InProcessFactory::new(Fixture::demo()));
    let trials = files
        .into_iter()
        .map(|file: PathBuf| {
            let name = file.strip_prefix(&root).unwrap_or(&file).display().to_string();
            let (runtime, factory) = (Arc::clone(&runtime), Arc::clone(&factory));
            Trial::test(name, move || {
                let scenario =
                    scenario_runner::load(&file).map_err(|e| Failed::from(e.to_string()))?;
                let outcome =
                    runtime.block_on(scenario_runner::run_one(&scenario, factory.as_ref()));
                match (outcome.failure, outcome.skipped) {
                    (Some(failure), _) => {
                        let mut text = format!(
                            "{}: {}\n  {}",
                            failure.location,
                            failure.step,
                            failure.problems.join("\n  ")
                        );
                        if let Some(response) = failure.response {
                            text += &format!("\n  response: {response}");
                        }
                        Err(Failed::from(text))
                    }
                    (None, Some(why)) => Err(Failed::from(format!("skipped in-process: {why}"))),
                    (None, None) => Ok(()),
                }
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
