//! Signed load and soak against a RESTlet target (this emulator, or anything that speaks its
//! RESTlets), closed-loop (N workers) or open-loop (a fixed arrival rate, latency measured from
//! the intended start so overload is not hidden), with an HDR latency histogram and, at the
//! end, a reconciliation that proves nothing acknowledged was lost, nothing refused landed and
//! nothing landed twice.
//!
//! Every request loop is bounded in count and in time.

mod client;
mod ops;
mod reconcile;
mod report;
mod soak;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::SeedableRng;
use rand::rngs::StdRng;

pub use client::{Reply, SignedClient, Token};
pub use ops::{Op, OpResult, pick};
pub use reconcile::{Reconciliation, StockMap};
pub use report::{LoadReport, Measured, Progress};
pub use soak::{Sample, SoakReport};

use crate::report::Stats;

/// Relative weights of the operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mix {
    pub stock: u32,
    pub adjust: u32,
    pub transfer: u32,
    pub order: u32,
}

impl Mix {
    /// `stock=60,adjust=20,transfer=10,order=10`; omitted names weigh 0.
    pub fn parse(text: &str) -> Result<Mix, String> {
        let mut mix = Mix { stock: 0, adjust: 0, transfer: 0, order: 0 };
        for part in text.split(',').filter(|p| !p.trim().is_empty()) {
            let (name, weight) = part
                .split_once('=')
                .ok_or_else(|| format!("mix entry {part:?} is not name=weight"))?;
            let weight: u32 = weight
                .trim()
                .parse()
                .map_err(|_| format!("mix weight {weight:?} is not a whole number"))?;
            match name.trim() {
                "stock" => mix.stock = weight,
                "adjust" => mix.adjust = weight,
                "transfer" => mix.transfer = weight,
                "order" => mix.order = weight,
                other => {
                    return Err(format!(
                        "unknown operation {other:?} in the mix: use stock, adjust, transfer, order"
                    ));
                }
            }
        }
        if mix.stock + mix.adjust + mix.transfer + mix.order == 0 {
            return Err("the mix has no operation with a weight above 0".into());
        }
        Ok(mix)
    }
}

/// What the client does on `SSS_REQUEST_LIMIT_EXCEEDED`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryPolicy {
    /// Count it and move on.
    None,
    /// Re-send after exponential backoff with full jitter, up to `max_retries` times.
    Backoff { max_retries: u32, base_ms: u64, cap_ms: u64 },
}

/// Closed or open loop.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pace {
    /// N workers, each sending its next operation when the previous one finished.
    Concurrency(usize),
    /// Operations start at this many per second, whatever the target's speed.
    Rate(f64),
}

#[derive(Clone, Debug)]
pub struct LoadConfig {
    /// `http://127.0.0.1:8080`
    pub target: String,
    pub token: Token,
    pub pace: Pace,
    pub duration: Duration,
    /// Stop after this many operations (whichever comes first with `duration`).
    pub max_operations: Option<u64>,
    pub mix: Mix,
    pub items: Vec<u64>,
    pub locations: Vec<u64>,
    /// Lines per adjustment (1 by default; up to 1,000 for line-count scaling runs).
    pub lines: usize,
    pub retry: RetryPolicy,
    pub seed: u64,
    /// Reconcile at the end (default on).
    pub reconcile: bool,
    /// How long unknown outcomes are re-sent after the run's end.
    pub grace: Duration,
    /// Sample this local process's RSS and file descriptors (soak).
    pub server_pid: Option<u32>,
    pub sample_every: Duration,
    pub warmup: Duration,
    /// Per-request timeout.
    pub timeout: Duration,
}

struct Ledger {
    deltas: StockMap,
    acknowledged: Vec<(String, String)>,
    rejected: Vec<(String, String)>,
    unresolved: u64,
    operations: BTreeMap<String, u64>,
}

struct Shared {
    config: LoadConfig,
    client: SignedClient,
    stats: Stats,
    ledger: Mutex<Ledger>,
    next: AtomicU64,
    run_id: String,
    end: Instant,
}

impl Shared {
    /// Claims the next operation number, or `None` when the run is over.
    fn claim(&self) -> Option<u64> {
        if Instant::now() >= self.end {
            return None;
        }
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        match self.config.max_operations {
            Some(max) if n >= max => None,
            _ => Some(n),
        }
    }

    async fn one(&self, n: u64, rng: &mut StdRng, intended: Option<Instant>) {
        let op = pick(
            rng,
            &self.config.mix,
            &self.config.items,
            &self.config.locations,
            self.config.lines,
        );
        let mut exec = ops::Exec {
            client: &self.client,
            retry: self.config.retry,
            recorder: &self.stats,
            deadline: self.end + self.config.grace,
            intended,
        };
        let result = ops::execute(&mut exec, &op, &format!("{}-{n}", self.run_id)).await;
        let mut ledger = self.ledger.lock().expect("ledger lock");
        for (key, delta) in result.deltas {
            *ledger.deltas.entry(key).or_default() += delta;
        }
        ledger.acknowledged.extend(result.acknowledged);
        ledger.rejected.extend(result.rejected);
        ledger.unresolved += result.unresolved;
        *ledger.operations.entry(op.kind().to_string()).or_default() += 1;
    }
}

/// Runs the load; `progress` is called about once a second.
pub async fn run(
    config: LoadConfig,
    mut progress: impl FnMut(&Progress) + Send,
) -> Result<LoadReport, String> {
    if config.items.is_empty() || config.locations.is_empty() {
        return Err("the load needs at least one item and one location".into());
    }
    if !(1..=1000).contains(&config.lines) {
        return Err("lines per adjustment must be between 1 and 1000".into());
    }
    let pool = match config.pace {
        Pace::Concurrency(n) => n,
        Pace::Rate(r) => (r as usize).clamp(8, 512),
    };
    let client = SignedClient::new(&config.target, config.token.clone(), pool, config.timeout)?;
    let admin = matches!(
        client.admin("GET", "/__admin/health", None).await,
        Reply::Answered { status: 200, .. }
    );
    let opening = if config.reconcile {
        reconcile::read_stock(&client, admin, &config.items).await?
    } else {
        StockMap::new()
    };
    let run_id = format!("{:08x}", rand::random::<u32>());
    let start = Instant::now();
    let shared = Arc::new(Shared {
        end: start + config.duration,
        config: config.clone(),
        client,
        stats: Stats::new(),
        ledger: Mutex::new(Ledger {
            deltas: StockMap::new(),
            acknowledged: Vec::new(),
            rejected: Vec::new(),
            unresolved: 0,
            operations: BTreeMap::new(),
        }),
        next: AtomicU64::new(0),
        run_id,
    });

    let sampler = config.server_pid.map(|pid| {
        let every = config.sample_every;
        let end = shared.end;
        tokio::spawn(async move {
            let mut samples = Vec::new();
            while Instant::now() < end {
                if let Some(s) = soak::sample(pid, start.elapsed().as_secs_f64()) {
                    samples.push(s);
                }
                tokio::time::sleep(every.min(end.saturating_duration_since(Instant::now()))).await;
            }
            if let Some(s) = soak::sample(pid, start.elapsed().as_secs_f64()) {
                samples.push(s);
            }
            samples
        })
    });

    let mut workers = tokio::task::JoinSet::new();
    match config.pace {
        Pace::Concurrency(n) => {
            for worker in 0..n.max(1) {
                let shared = Arc::clone(&shared);
                workers.spawn(async move {
                    let mut rng =
                        StdRng::seed_from_u64(shared.config.seed.wrapping_add(worker as u64));
                    while let Some(n) = shared.claim() {
                        shared.one(n, &mut rng, None).await;
                    }
                });
            }
        }
        Pace::Rate(rate) => {
            let shared = Arc::clone(&shared);
            workers.spawn(async move {
                // Arrivals on a fixed schedule; each runs on its own task, so a slow target
                // does not delay later arrivals (no coordinated omission). At most 10,000 in
                // flight, so an overloaded target cannot exhaust the driver's memory.
                let in_flight = Arc::new(tokio::sync::Semaphore::new(10_000));
                let mut arrivals = tokio::task::JoinSet::new();
                let interval = Duration::from_secs_f64(1.0 / rate.max(0.001));
                let mut rng = StdRng::seed_from_u64(shared.config.seed);
                let mut i = 0u32;
                while let Some(n) = shared.claim() {
                    let intended = start + interval * i;
                    i = i.saturating_add(1);
                    tokio::time::sleep_until(intended.into()).await;
                    let Ok(permit) = Arc::clone(&in_flight).try_acquire_owned() else { continue };
                    let shared = Arc::clone(&shared);
                    let mut op_rng = StdRng::seed_from_u64(rand::Rng::r#gen(&mut rng));
                    arrivals.spawn(async move {
                        shared.one(n, &mut op_rng, Some(intended)).await;
                        drop(permit);
                    });
                }
                while arrivals.join_next().await.is_some() {}
            });
        }
    }

    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    ticker.tick().await;
    loop {
        tokio::select! {
            joined = workers.join_next() => {
                if joined.is_none() {
                    break;
                }
            }
            _ = ticker.tick() => progress(&shared.stats.progress()),
        }
    }
    let duration = start.elapsed();
    let measured = shared.stats.finish(
        duration.min(config.duration.max(Duration::from_millis(1))).max(Duration::from_millis(1)),
    );
    let soak = match sampler {
        Some(task) => {
            let samples = task.await.map_err(|e| e.to_string())?;
            Some(soak::summarize(config.server_pid.unwrap_or(0), samples, config.warmup))
        }
        None => None,
    };
    let ledger = std::mem::replace(
        &mut *shared.ledger.lock().expect("ledger lock"),
        Ledger {
            deltas: StockMap::new(),
            acknowledged: Vec::new(),
            rejected: Vec::new(),
            unresolved: 0,
            operations: BTreeMap::new(),
        },
    );
    let reconciliation = if config.reconcile {
        Some(
            reconcile::reconcile(
                &shared.client,
                admin,
                &config.items,
                &opening,
                &ledger.deltas,
                &ledger.acknowledged,
                &ledger.rejected,
                ledger.unresolved,
                &format!("ld-{}-", shared.run_id),
            )
            .await?,
        )
    } else {
        None
    };
    let mode = match config.pace {
        Pace::Concurrency(n) => format!("closed loop, concurrency {n}"),
        Pace::Rate(r) => format!("open loop, {r} operations/s"),
    };
    Ok(LoadReport {
        target: config.target.clone(),
        mode,
        operations: ledger.operations,
        measured,
        reconciliation,
        soak,
    })
}
