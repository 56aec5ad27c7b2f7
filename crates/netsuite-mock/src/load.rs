//! `netsuite-mock load`: signed load and soak with a reconciliation at the end.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use fixture::Fixture;
use load_driver::{LoadConfig, Mix, Pace, RetryPolicy, Token};

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Retry {
    None,
    Backoff,
}

#[derive(Args, Debug)]
pub(crate) struct LoadArgs {
    /// The server to load (loopback addresses or your own test hosts only).
    #[arg(long, env = "NETSUITE_MOCK_TARGET", default_value = "http://127.0.0.1:8080")]
    target: String,
    /// Closed loop: this many workers.
    #[arg(long, conflicts_with = "rate")]
    concurrency: Option<usize>,
    /// Open loop: operations started per second.
    #[arg(long)]
    rate: Option<f64>,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 10.0)]
    duration: f64,
    /// Stop after this many operations.
    #[arg(long)]
    requests: Option<u64>,
    /// Operation weights.
    #[arg(long, default_value = "stock=60,adjust=20,transfer=10,order=10")]
    mix: String,
    /// Item ids to spread over (default: every item of the fixture).
    #[arg(long, value_delimiter = ',')]
    items: Vec<u64>,
    /// Location ids to spread over (default: every location of the fixture).
    #[arg(long, value_delimiter = ',')]
    locations: Vec<u64>,
    /// Lines per adjustment (1 to 1,000).
    #[arg(long, default_value_t = 1)]
    lines: usize,
    /// The fixture token that signs (default wms); NETSUITE_* env credentials win when set.
    #[arg(long, default_value = "wms")]
    token: String,
    #[arg(long, env = "NETSUITE_MOCK_FIXTURE")]
    fixture: Option<PathBuf>,
    /// Client behaviour on SSS_REQUEST_LIMIT_EXCEEDED.
    #[arg(long, value_enum, default_value = "none")]
    retry: Retry,
    #[arg(long, default_value_t = 8)]
    max_retries: u32,
    /// Write the report as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Write a self-contained HTML report (latency and rejections over time) here.
    #[arg(long)]
    html: Option<PathBuf>,
    /// Soak: sample this local process's RSS and open files.
    #[arg(long)]
    server_pid: Option<u32>,
    #[arg(long, default_value_t = 5.0)]
    sample_secs: f64,
    /// Soak samples before this are warm-up.
    #[arg(long, default_value_t = 30.0)]
    warmup_secs: f64,
    /// Skip the reconciliation.
    #[arg(long)]
    no_reconcile: bool,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Per-request timeout, seconds.
    #[arg(long, default_value_t = 30.0)]
    timeout_secs: f64,
    /// How long after the run unknown outcomes are still re-sent, seconds.
    #[arg(long, default_value_t = 30.0)]
    grace_secs: f64,
}

fn token(args: &LoadArgs, fixture: &Fixture) -> anyhow::Result<Token> {
    let env = |name: &str| std::env::var(name).ok();
    if let (Some(realm), Some(ck), Some(cs), Some(tid), Some(ts)) = (
        env("NETSUITE_ACCOUNT"),
        env("NETSUITE_CONSUMER_KEY"),
        env("NETSUITE_CONSUMER_SECRET"),
        env("NETSUITE_TOKEN_ID"),
        env("NETSUITE_TOKEN_SECRET"),
    ) {
        return Ok(Token {
            realm,
            consumer_key: ck,
            consumer_secret: cs,
            token_id: tid,
            token_secret: ts,
        });
    }
    let c = restlet_server::credentials(fixture, &args.token)
        .with_context(|| format!("no token {:?} in the fixture", args.token))?;
    Ok(Token {
        realm: c.realm,
        consumer_key: c.consumer_key,
        consumer_secret: c.consumer_secret,
        token_id: c.token_id,
        token_secret: c.token_secret,
    })
}

#[expect(clippy::print_stdout, reason = "the report is the command's output")]
pub(crate) fn run(args: LoadArgs) -> anyhow::Result<ExitCode> {
    let fixture = match &args.fixture {
        Some(path) => Fixture::load(path)?,
        None => Fixture::demo(),
    };
    let account = &fixture.accounts.first().context("the fixture has no account")?.value;
    let items = if args.items.is_empty() {
        account.items.iter().map(|i| i.value.id).collect()
    } else {
        args.items.clone()
    };
    let locations = if args.locations.is_empty() {
        account.locations.iter().map(|l| l.value.id).collect()
    } else {
        args.locations.clone()
    };
    let pace = match (args.concurrency, args.rate) {
        (Some(n), None) if n > 0 => Pace::Concurrency(n),
        (None, Some(r)) if r > 0.0 => Pace::Rate(r),
        (None, None) => Pace::Concurrency(5),
        _ => bail!("--concurrency must be at least 1 and --rate above 0"),
    };
    if !(args.duration > 0.0 && args.duration <= 86_400.0) {
        bail!("--duration must be between 0 and 86400 seconds");
    }
    let config = LoadConfig {
        target: args.target.clone(),
        token: token(&args, &fixture)?,
        pace,
        duration: Duration::from_secs_f64(args.duration),
        max_operations: args.requests,
        mix: Mix::parse(&args.mix).map_err(anyhow::Error::msg)?,
        items,
        locations,
        lines: args.lines,
        retry: match args.retry {
            Retry::None => RetryPolicy::None,
            Retry::Backoff => {
                RetryPolicy::Backoff { max_retries: args.max_retries, base_ms: 50, cap_ms: 2000 }
            }
        },
        seed: args.seed,
        reconcile: !args.no_reconcile,
        grace: Duration::from_secs_f64(args.grace_secs.max(0.0)),
        server_pid: args.server_pid,
        sample_every: Duration::from_secs_f64(args.sample_secs.max(0.1)),
        warmup: Duration::from_secs_f64(args.warmup_secs.max(0.0)),
        timeout: Duration::from_secs_f64(args.timeout_secs.max(0.1)),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let terminal = std::io::stderr().is_terminal();
    let report = runtime
        .block_on(load_driver::run(config, |p| {
            if terminal {
                eprint!("\r{p}   ");
            } else if p.elapsed.as_secs() % 5 == 0 {
                eprintln!("{p}");
            }
            let _ = std::io::stderr().flush();
        }))
        .map_err(anyhow::Error::msg)?;
    if terminal {
        eprintln!();
    }
    print!("{}", report.text());
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.html {
        std::fs::write(path, report.html())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(if report.clean() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
