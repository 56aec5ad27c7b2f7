//! `netsuite-mock sign`: the Authorization header and base string for a request, so a user can
//! diff their own client's base string against it.

use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use fixture::Fixture;
use oauth1_signature::{Credentials, RequestTarget};

#[derive(Args, Debug)]
pub(crate) struct SignArgs {
    /// HTTP method.
    #[arg(long, default_value = "GET")]
    method: String,
    /// The full request URL, query included.
    #[arg(long)]
    url: String,
    /// A token of the fixture (demo: wms, shop, revoked); supplies every credential below.
    #[arg(long)]
    token: Option<String>,
    /// Fixture to take --token from (default: the built-in demo fixture).
    #[arg(long, env = "NETSUITE_MOCK_FIXTURE")]
    fixture: Option<std::path::PathBuf>,
    #[arg(long, env = "NETSUITE_ACCOUNT")]
    realm: Option<String>,
    #[arg(long, env = "NETSUITE_CONSUMER_KEY")]
    consumer_key: Option<String>,
    #[arg(long, env = "NETSUITE_CONSUMER_SECRET", hide_env_values = true)]
    consumer_secret: Option<String>,
    #[arg(long, env = "NETSUITE_TOKEN_ID")]
    token_id: Option<String>,
    #[arg(long, env = "NETSUITE_TOKEN_SECRET", hide_env_values = true)]
    token_secret: Option<String>,
    /// Fixed nonce (default: random).
    #[arg(long)]
    nonce: Option<String>,
    /// Fixed Unix timestamp (default: now).
    #[arg(long)]
    timestamp: Option<u64>,
    /// Print only the header value.
    #[arg(long)]
    header_only: bool,
}

#[expect(clippy::print_stdout, reason = "the header and base string are the command's output")]
pub(crate) fn run(args: SignArgs) -> anyhow::Result<ExitCode> {
    let from_token = match &args.token {
        Some(name) => {
            let fixture = match &args.fixture {
                Some(path) => Fixture::load(path)?,
                None => Fixture::demo(),
            };
            Some(
                restlet_server::credentials(&fixture, name)
                    .with_context(|| format!("no token {name:?} in the fixture"))?,
            )
        }
        None => None,
    };
    let pick =
        |flag: &Option<String>, from: Option<&String>, name: &str| -> anyhow::Result<String> {
            flag.clone()
                .or_else(|| from.cloned())
                .with_context(|| format!("--{name} (or --token) is required"))
        };
    let t = from_token.as_ref();
    let realm = pick(&args.realm, t.map(|c| &c.realm), "realm")?;
    let consumer_key = pick(&args.consumer_key, t.map(|c| &c.consumer_key), "consumer-key")?;
    let consumer_secret =
        pick(&args.consumer_secret, t.map(|c| &c.consumer_secret), "consumer-secret")?;
    let token_id = pick(&args.token_id, t.map(|c| &c.token_id), "token-id")?;
    let token_secret = pick(&args.token_secret, t.map(|c| &c.token_secret), "token-secret")?;

    let Some(target) = RequestTarget::from_url(&args.url) else {
        bail!("--url must start with http:// or https://")
    };
    let credentials = Credentials {
        realm: &realm,
        consumer_key: &consumer_key,
        consumer_secret: &consumer_secret,
        token_id: &token_id,
        token_secret: &token_secret,
    };
    let nonce = args.nonce.unwrap_or_else(|| format!("{:020x}", rand::random::<u64>()));
    let timestamp = args.timestamp.unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    });
    let signed =
        oauth1_signature::sign_request(&credentials, &args.method, &target, &nonce, timestamp)
            .context("the URL's query string has a broken percent-escape")?;
    if args.header_only {
        println!("{}", signed.authorization);
    } else {
        println!("Authorization: {}", signed.authorization);
        println!("Base string: {}", signed.base_string);
    }
    Ok(ExitCode::SUCCESS)
}
