//! Replays YAML integration scenarios against a [`Target`]: the emulator in-process, any live
//! server over HTTP, or a NetSuite sandbox. Scenarios are isolated (a fresh emulator or a reset
//! each), may run in parallel, and are reported on the console and as JUnit XML.
//!
//! This crate knows nothing of the server's internals: it speaks HTTP-shaped requests to a
//! `Target`, so the same scenario runs anywhere.

mod load;
mod matcher;
mod model;
mod record;
mod report;
mod run;
mod target;

use std::sync::Arc;
use std::time::{Duration, Instant};

use fixture::Fixture;

pub use load::{LoadError, LocatedStep, Scenario, discover, load};
pub use matcher::{Mismatch, compare, lookup};
pub use model::*;
pub use record::record_scenario;
pub use report::Summary;
pub use run::{
    CredentialSet, Failure, ScenarioOutcome, TokenCredentials, interpolate, run_scenario,
};
pub use target::{BoxFuture, HttpRequest, HttpResponse, HttpTarget, Target};

/// A target ready for one scenario, with the credentials to sign for it.
pub struct Prepared {
    pub target: Arc<dyn Target>,
    pub credentials: CredentialSet,
}

/// Why a scenario could not be prepared.
#[derive(Clone, Debug)]
pub enum PrepareError {
    /// It cannot run on this target (reported as skipped, with the reason).
    Skip(String),
    /// Something is broken (reported as a failure).
    Fail(String),
}

/// Gives each scenario an isolated target.
pub trait TargetFactory: Send + Sync {
    fn prepare<'a>(
        &'a self,
        scenario: &'a Scenario,
    ) -> BoxFuture<'a, Result<Prepared, PrepareError>>;
    /// Whether scenarios may run at the same time (false when they share one live server).
    fn parallel_safe(&self) -> bool;
}

/// The credentials of every token of a fixture's first account.
pub fn credentials_from_fixture(fixture: &Fixture) -> CredentialSet {
    let mut out = CredentialSet::new();
    if let Some(account) = fixture.accounts.first().map(|a| &a.value) {
        for token in account.tokens.iter().map(|t| &t.value) {
            if let Some(integration) = account.integration(&token.integration) {
                out.insert(
                    token.name.clone(),
                    TokenCredentials {
                        realm: account.id.clone(),
                        consumer_key: integration.consumer_key.clone(),
                        consumer_secret: integration.consumer_secret.clone(),
                        token_id: token.token_id.clone(),
                        token_secret: token.token_secret.clone(),
                    },
                );
            }
        }
    }
    out
}

/// Sandbox credentials from the environment: `NETSUITE_ACCOUNT`, `NETSUITE_CONSUMER_KEY`,
/// `NETSUITE_CONSUMER_SECRET`, `NETSUITE_TOKEN_ID`, `NETSUITE_TOKEN_SECRET` sign for every token
/// name; `NETSUITE_TOKEN_<NAME>_ID` / `_SECRET` override one token (e.g. `NETSUITE_TOKEN_SHOP_ID`).
pub fn credentials_from_env(token_names: &[&str]) -> Result<CredentialSet, String> {
    let var = |name: &str| std::env::var(name).map_err(|_| format!("{name} is not set"));
    let base = TokenCredentials {
        realm: var("NETSUITE_ACCOUNT")?,
        consumer_key: var("NETSUITE_CONSUMER_KEY")?,
        consumer_secret: var("NETSUITE_CONSUMER_SECRET")?,
        token_id: var("NETSUITE_TOKEN_ID")?,
        token_secret: var("NETSUITE_TOKEN_SECRET")?,
    };
    let mut out = CredentialSet::new();
    for name in token_names {
        let upper = name.to_ascii_uppercase();
        let mut creds = base.clone();
        if let (Ok(id), Ok(secret)) = (
            std::env::var(format!("NETSUITE_TOKEN_{upper}_ID")),
            std::env::var(format!("NETSUITE_TOKEN_{upper}_SECRET")),
        ) {
            creds.token_id = id;
            creds.token_secret = secret;
        }
        out.insert(name.to_string(), creds);
    }
    Ok(out)
}

/// A live server by URL. An emulator (its `/__admin/health` answers) is reset before each
/// scenario; anything else is treated as a NetSuite sandbox: credentials from the environment,
/// admin steps skipped.
pub struct HttpFactory {
    target: Arc<HttpTarget>,
    emulator: bool,
    fixture: Fixture,
}

impl HttpFactory {
    pub async fn connect(base: &str, fixture: Fixture) -> Result<HttpFactory, String> {
        let probe = HttpTarget::new(base, true)?;
        let (_, authority) = probe.origin();
        let health = probe
            .send(HttpRequest {
                method: "GET".into(),
                path_and_query: "/__admin/health".into(),
                headers: vec![("host".into(), authority)],
                body: Vec::new(),
            })
            .await?;
        let emulator = health.is_some_and(|r| {
            r.status == 200
                && serde_json::from_slice::<serde_json::Value>(&r.body)
                    .is_ok_and(|v| v["status"] == "ok")
        });
        Ok(HttpFactory { target: Arc::new(HttpTarget::new(base, emulator)?), emulator, fixture })
    }

    pub fn is_emulator(&self) -> bool {
        self.emulator
    }
}

impl TargetFactory for HttpFactory {
    fn prepare<'a>(
        &'a self,
        scenario: &'a Scenario,
    ) -> BoxFuture<'a, Result<Prepared, PrepareError>> {
        Box::pin(async move {
            if let Some(fixture) = &scenario.fixture {
                return Err(PrepareError::Skip(format!(
                    "needs fixture {}; a live target runs its own (run it in-process, or start the server with --fixture and drop the scenario's fixture line)",
                    fixture.display()
                )));
            }
            let target: Arc<dyn Target> = self.target.clone();
            if !self.emulator {
                let names: Vec<&str> = vec!["wms", "shop", "revoked", scenario.token.as_str()];
                let credentials = credentials_from_env(&names).map_err(PrepareError::Fail)?;
                return Ok(Prepared { target, credentials });
            }
            let (_, authority) = target.origin();
            let reset = target
                .send(HttpRequest {
                    method: "POST".into(),
                    path_and_query: "/__admin/reset".into(),
                    headers: vec![("host".into(), authority)],
                    body: Vec::new(),
                })
                .await
                .map_err(PrepareError::Fail)?;
            match reset {
                Some(r) if r.status == 200 => {}
                other => {
                    return Err(PrepareError::Fail(format!(
                        "reset failed: {:?}",
                        other.map(|r| r.status)
                    )));
                }
            }
            Ok(Prepared { target, credentials: credentials_from_fixture(&self.fixture) })
        })
    }

    fn parallel_safe(&self) -> bool {
        // One live server, one state: a reset would pull the rug from under a running scenario.
        false
    }
}

/// How to run a set of scenarios.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub jobs: usize,
    /// Only scenarios whose name or path contains this.
    pub filter: Option<String>,
}

/// Runs scenarios, isolated by the factory, `jobs` at a time when the factory allows.
pub async fn run_all(
    scenarios: Vec<Scenario>,
    factory: Arc<dyn TargetFactory>,
    options: &RunOptions,
) -> Summary {
    let started = Instant::now();
    let selected: Vec<Scenario> = scenarios
        .into_iter()
        .filter(|s| {
            options
                .filter
                .as_deref()
                .is_none_or(|f| s.name.contains(f) || s.path.display().to_string().contains(f))
        })
        .collect();
    let jobs = if factory.parallel_safe() { options.jobs.max(1) } else { 1 };
    let semaphore = Arc::new(tokio::sync::Semaphore::new(jobs));
    let mut set = tokio::task::JoinSet::new();
    for (index, scenario) in selected.into_iter().enumerate() {
        let factory = Arc::clone(&factory);
        let semaphore = Arc::clone(&semaphore);
        set.spawn(async move {
            let _permit = semaphore.acquire_owned().await.expect("the semaphore is never closed");
            (index, run_one(&scenario, factory.as_ref()).await)
        });
    }
    let mut outcomes = Vec::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok(outcome) => outcomes.push(outcome),
            Err(err) => outcomes.push((
                usize::MAX,
                ScenarioOutcome {
                    name: "(runner)".into(),
                    path: String::new(),
                    failure: Some(Failure {
                        location: String::new(),
                        step: String::new(),
                        problems: vec![format!("scenario task failed: {err}")],
                        response: None,
                    }),
                    skipped: None,
                    steps: 0,
                    requests: 0,
                    duration: Duration::ZERO,
                    notes: Vec::new(),
                },
            )),
        }
    }
    outcomes.sort_by_key(|(i, _)| *i);
    Summary {
        outcomes: outcomes.into_iter().map(|(_, o)| o).collect(),
        duration: started.elapsed(),
        jobs,
    }
}

/// Prepares and runs one scenario.
pub async fn run_one(scenario: &Scenario, factory: &dyn TargetFactory) -> ScenarioOutcome {
    let started = Instant::now();
    match factory.prepare(scenario).await {
        Ok(prepared) => run_scenario(scenario, prepared.target, &prepared.credentials).await,
        Err(err) => {
            let (skipped, failure) = match err {
                PrepareError::Skip(why) => (Some(why), None),
                PrepareError::Fail(why) => (
                    None,
                    Some(Failure {
                        location: scenario.path.display().to_string(),
                        step: "setup".into(),
                        problems: vec![why],
                        response: None,
                    }),
                ),
            };
            ScenarioOutcome {
                name: scenario.name.clone(),
                path: scenario.path.display().to_string(),
                failure,
                skipped,
                steps: 0,
                requests: 0,
                duration: started.elapsed(),
                notes: Vec::new(),
            }
        }
    }
}
