//! `netsuite-mock serve`: the emulator on a socket, with the contract's defaults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, ValueEnum};
use fixture::Fixture;
use inventory_store::{DbTarget, Durability};
use restlet_server::{App, ServerConfig};
use serde::Deserialize;

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, env = "NETSUITE_MOCK_LISTEN")]
    listen: Option<SocketAddr>,
    /// SQLite database file, or :memory: for throw-away state.
    #[arg(long, env = "NETSUITE_MOCK_DB")]
    db: Option<String>,
    /// Fixture to seed a new database from (default: the built-in demo fixture).
    #[arg(long, env = "NETSUITE_MOCK_FIXTURE")]
    fixture: Option<PathBuf>,
    /// YAML settings file; command-line flags win over it.
    #[arg(long, env = "NETSUITE_MOCK_CONFIG")]
    config: Option<PathBuf>,
    /// How hard commits sync: full survives power loss, normal survives a process crash.
    #[arg(long, value_enum, env = "NETSUITE_MOCK_DURABILITY")]
    durability: Option<DurabilityArg>,
    /// Require this token (header X-Admin-Token) on the admin API.
    #[arg(long, env = "NETSUITE_MOCK_ADMIN_TOKEN")]
    admin_token: Option<String>,
    /// Serve the admin API to non-loopback clients too.
    #[arg(long)]
    admin_remote: bool,
    /// The scheme clients sign with (https behind a TLS proxy).
    #[arg(long, env = "NETSUITE_MOCK_SCHEME")]
    scheme: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum, Deserialize)]
#[serde(rename_all = "snake_case")]
enum DurabilityArg {
    Full,
    Normal,
}

/// The `--config` file: the same settings as the flags.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    listen: Option<SocketAddr>,
    db: Option<String>,
    fixture: Option<PathBuf>,
    durability: Option<DurabilityArg>,
    admin_token: Option<String>,
    admin_remote: Option<bool>,
    scheme: Option<String>,
    journal_capacity: Option<usize>,
}

pub(crate) fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let file: ConfigFile = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading config {}", path.display()))?;
            serde_saphyr::from_str(&text)
                .map_err(|err| anyhow::anyhow!("{}: {err}", path.display()))?
        }
        None => ConfigFile::default(),
    };
    let listen = args
        .listen
        .or(file.listen)
        .unwrap_or_else(|| "127.0.0.1:8080".parse().expect("valid default"));
    let db = args.db.or(file.db).unwrap_or_else(|| "netsuite-mock.db".into());
    let fixture = match args.fixture.or(file.fixture) {
        Some(path) => Fixture::load(&path)?,
        None => Fixture::demo(),
    };
    let mut config = ServerConfig::new(fixture, DbTarget::parse(&db));
    config.durability = match args.durability.or(file.durability) {
        Some(DurabilityArg::Normal) => Durability::Normal,
        _ => Durability::Full,
    };
    config.admin_token = args.admin_token.or(file.admin_token);
    config.admin_remote = args.admin_remote || file.admin_remote.unwrap_or(false);
    if let Some(scheme) = args.scheme.or(file.scheme) {
        config.scheme = scheme;
    }
    if let Some(n) = file.journal_capacity {
        config.journal_capacity = n;
    }
    let app = App::new(config).with_context(|| format!("opening database {db}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        let addr = listener.local_addr()?;
        print_banner(&app, addr, &db);
        restlet_server::run(listener, app, shutdown_signal()).await?;
        eprintln!("netsuite-mock stopped");
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    eprintln!("shutting down: finishing in-flight requests");
}

#[expect(clippy::print_stdout, reason = "the banner is the command's output")]
fn print_banner(app: &App, addr: SocketAddr, db: &str) {
    let url = format!("http://{addr}");
    let fixture = &app.config().fixture;
    println!("netsuite-mock listening on {url}");
    println!("state: {db}");
    for account in fixture.accounts.iter().map(|a| &a.value) {
        println!("account (realm) {}", account.id);
        for token in account.tokens.iter().map(|t| &t.value) {
            let Some(integration) = account.integration(&token.integration) else { continue };
            println!(
                "  token {:<8} role {:<24} {}",
                token.name,
                format!("{:?}", token.role),
                if token.revoked { "(revoked)" } else { "" }
            );
            println!("    consumer key    {}", integration.consumer_key);
            println!("    consumer secret {}", integration.consumer_secret);
            println!("    token id        {}", token.token_id);
            println!("    token secret    {}", token.token_secret);
        }
    }
    let example = format!(
        "{url}/app/site/hosting/restlet.nl?script=customscript_inventory_stock&deploy=customdeploy_inventory_stock&item_id=100&location_id=3"
    );
    println!();
    println!("try it (signs with the demo wms token, then calls the stock query):");
    println!(
        "  curl -s -H 'Content-Type: application/json' -H \"Authorization: $(netsuite-mock sign --token wms --header-only --url '{example}')\" '{example}'"
    );
    println!("admin: {url}/__admin/health   metrics: {url}/metrics");
}
