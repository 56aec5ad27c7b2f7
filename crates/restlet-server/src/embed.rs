//! Embedding: start the emulator inside a Rust test, the way the `wiremock` crate's
//! `MockServer::start()` works, on a free loopback port with throw-away state; it stops when
//! dropped.

use std::net::SocketAddr;

use fixture::Fixture;
use inventory_store::{DbTarget, StoreError};
use oauth1_signature::TokenCredentials;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::app::{App, RESTLET_PATH, ServerConfig};

/// A running emulator on `127.0.0.1`.
pub struct MockNetSuite {
    app: App,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

/// An `Authorization` header for one request to `url`, with a fresh nonce and the current
/// time.
pub fn authorization(credentials: &TokenCredentials, method: &str, url: &str) -> String {
    let nonce = format!("{:020x}", rand::random::<u64>());
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    credentials
        .sign_url(method, url, &nonce, timestamp)
        .map(|signed| signed.authorization)
        .unwrap_or_default()
}

impl MockNetSuite {
    /// The demo fixture, in-memory state, a free port.
    pub async fn start() -> MockNetSuite {
        let config = ServerConfig::new(Fixture::demo(), DbTarget::Memory);
        MockNetSuite::start_with(config).await.expect("the demo fixture starts in memory")
    }

    pub async fn start_with(config: ServerConfig) -> Result<MockNetSuite, StoreError> {
        let app = App::new(config)?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| StoreError::Corrupt(format!("bind: {e}")))?;
        let addr = listener.local_addr().map_err(|e| StoreError::Corrupt(format!("bind: {e}")))?;
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(crate::run(listener, app.clone(), async {
            let _ = rx.await;
        }));
        Ok(MockNetSuite { app, addr, shutdown: Some(tx), task: Some(task) })
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The RESTlet URL of a script and deployment, plus extra query text (`item_id=100`).
    pub fn restlet_url(&self, script: &str, deploy: &str, extra_query: &str) -> String {
        let mut url = format!("{}{RESTLET_PATH}?script={script}&deploy={deploy}", self.url());
        if !extra_query.is_empty() {
            url.push('&');
            url.push_str(extra_query);
        }
        url
    }

    /// The credentials of a fixture token (`wms`, `shop`, `revoked` in the demo) of the first
    /// account.
    pub fn credentials(&self, token: &str) -> Option<TokenCredentials> {
        credentials(&self.app.config().fixture, token)
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    /// Stops and waits for in-flight requests.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for MockNetSuite {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The credentials of token `name` in the fixture's first account that has it.
pub fn credentials(fixture: &Fixture, name: &str) -> Option<TokenCredentials> {
    fixture.accounts.iter().map(|a| &a.value).find_map(|account| {
        let token = account.token(name)?;
        let integration = account.integration(&token.integration)?;
        Some(TokenCredentials {
            realm: account.id.clone(),
            consumer_key: integration.consumer_key.clone(),
            consumer_secret: integration.consumer_secret.clone(),
            token_id: token.token_id.clone(),
            token_secret: token.token_secret.clone(),
        })
    })
}
