//! A signing HTTP client for one target: every request gets a fresh nonce and timestamp.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use oauth1_signature::RequestTarget;
use serde_json::Value;

/// The credentials of the token that signs the load.
pub type Token = oauth1_signature::TokenCredentials;

/// What one request came back with.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A response: status and parsed JSON body (`Null` if it was not JSON).
    Answered { status: u16, body: Value },
    /// No response: connection refused or dropped, or no answer in time. The request may or
    /// may not have been applied.
    Unknown(String),
}

impl Reply {
    /// The NetSuite error code of an error envelope.
    pub fn code(&self) -> Option<&str> {
        match self {
            Reply::Answered { body, .. } => body["error"]["code"].as_str(),
            Reply::Unknown(_) => None,
        }
    }
}

pub struct SignedClient {
    client: Client<HttpConnector, Full<Bytes>>,
    scheme: String,
    authority: String,
    token: Token,
    nonce: AtomicU64,
    timeout: Duration,
}

impl SignedClient {
    pub fn new(
        base: &str,
        token: Token,
        pool: usize,
        timeout: Duration,
    ) -> Result<SignedClient, String> {
        let uri: http::Uri = base.parse().map_err(|e| format!("bad target {base:?}: {e}"))?;
        if uri.scheme_str() != Some("http") {
            return Err(format!("target {base:?}: only http:// is supported"));
        }
        let authority =
            uri.authority().ok_or_else(|| format!("target {base:?} has no host"))?.to_string();
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(pool.max(1))
            .build(connector);
        Ok(SignedClient {
            client,
            scheme: "http".into(),
            authority,
            token,
            nonce: AtomicU64::new(rand::random::<u32>() as u64 * 1_000_000_000),
            timeout,
        })
    }

    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// A RESTlet call: `query` without the leading `?`, JSON body for POST.
    pub async fn restlet(&self, method: &str, query: &str, body: Option<&Value>) -> Reply {
        let path = "/app/site/hosting/restlet.nl";
        let target = RequestTarget { scheme: &self.scheme, host: &self.authority, path, query };
        let credentials = self.token.as_credentials();
        let nonce = format!("ld{:018}", self.nonce.fetch_add(1, Ordering::Relaxed));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let Some(signed) =
            oauth1_signature::sign_request(&credentials, method, &target, &nonce, now)
        else {
            return Reply::Unknown("query string has a broken escape".into());
        };
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let request = http::Request::builder()
            .method(method)
            .uri(format!("{}://{}{path}?{query}", self.scheme, self.authority))
            .header("content-type", "application/json")
            .header("authorization", signed.authorization)
            .body(Full::new(Bytes::from(body)));
        self.send(request).await
    }

    /// An admin call (no signature).
    pub async fn admin(&self, method: &str, path: &str, body: Option<&Value>) -> Reply {
        let request = http::Request::builder()
            .method(method)
            .uri(format!("{}://{}{path}", self.scheme, self.authority))
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body.map(|b| b.to_string()).unwrap_or_default())));
        self.send(request).await
    }

    async fn send(&self, request: Result<http::Request<Full<Bytes>>, http::Error>) -> Reply {
        let request = match request {
            Ok(r) => r,
            Err(e) => return Reply::Unknown(e.to_string()),
        };
        let response = match tokio::time::timeout(self.timeout, self.client.request(request)).await
        {
            Err(_) => return Reply::Unknown("timed out".into()),
            Ok(Err(e)) => {
                return Reply::Unknown(if e.is_connect() {
                    "connection refused".into()
                } else {
                    "connection dropped".into()
                });
            }
            Ok(Ok(r)) => r,
        };
        let status = response.status().as_u16();
        match tokio::time::timeout(self.timeout, response.into_body().collect()).await {
            Ok(Ok(body)) => Reply::Answered {
                status,
                body: serde_json::from_slice(&body.to_bytes()).unwrap_or(Value::Null),
            },
            _ => Reply::Unknown("body cut off".into()),
        }
    }
}
