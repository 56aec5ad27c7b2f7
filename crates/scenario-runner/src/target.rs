//! Where scenarios send requests. The runner knows only this trait: request in, response out.
//! `HttpTarget` speaks HTTP to any server (this emulator or a NetSuite sandbox); the in-process
//! target that calls the emulator directly is wired in the `netsuite-mock` binary.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// A request as the runner builds it.
#[derive(Clone, Debug)]
pub struct HttpRequest {
    pub method: String,
    /// Path and query, e.g. `/app/site/hosting/restlet.nl?script=102&deploy=1`.
    pub path_and_query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What came back; `None` from `send` means the connection closed without a response.
#[derive(Clone, Debug)]
pub struct HttpResponse {
    pub status: u16,
    /// Lowercase names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// Status and headers of an `http` response (names lowercase), with its collected body.
    pub fn from_parts(parts: &http::response::Parts, body: Vec<u8>) -> HttpResponse {
        let headers = parts
            .headers
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
            .collect();
        HttpResponse { status: parts.status.as_u16(), headers, body }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A place to send requests.
pub trait Target: Send + Sync {
    /// `Ok(None)`: the connection dropped without a response. `Err`: the request could not be
    /// sent at all (connection refused, timeout).
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<Option<HttpResponse>, String>>;
    /// Scheme and authority the client signs (`http`, `127.0.0.1:8080`).
    fn origin(&self) -> (String, String);
    /// Whether the admin API is there (an emulator), so state checks and admin steps run.
    fn has_admin(&self) -> bool;
}

/// Any HTTP server, by base URL.
pub struct HttpTarget {
    client: Client<HttpConnector, Full<Bytes>>,
    scheme: String,
    authority: String,
    admin: bool,
    timeout: Duration,
}

impl HttpTarget {
    /// `base` is `http://host:port`; `admin` says whether admin steps may run there.
    pub fn new(base: &str, admin: bool) -> Result<HttpTarget, String> {
        let uri: http::Uri = base.parse().map_err(|e| format!("bad target URL {base:?}: {e}"))?;
        let scheme = uri.scheme_str().unwrap_or("http").to_string();
        if scheme != "http" {
            return Err(format!(
                "target {base:?}: only http:// targets are supported (put a TLS proxy in front of an https one)"
            ));
        }
        let authority = uri
            .authority()
            .map(|a| a.to_string())
            .ok_or_else(|| format!("target {base:?} has no host"))?;
        let client = Client::builder(TokioExecutor::new()).build_http();
        Ok(HttpTarget { client, scheme, authority, admin, timeout: Duration::from_secs(60) })
    }
}

impl Target for HttpTarget {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<Option<HttpResponse>, String>> {
        Box::pin(async move {
            let uri = format!("{}://{}{}", self.scheme, self.authority, request.path_and_query);
            let mut builder = http::Request::builder().method(request.method.as_str()).uri(uri);
            for (k, v) in &request.headers {
                builder = builder.header(k, v);
            }
            let req =
                builder.body(Full::new(Bytes::from(request.body))).map_err(|e| e.to_string())?;
            let response = match tokio::time::timeout(self.timeout, self.client.request(req)).await
            {
                Err(_) => return Err(format!("no response within {:?}", self.timeout)),
                Ok(Err(err)) if err.is_connect() => return Err(format!("cannot connect: {err}")),
                // The server closed the connection without answering.
                Ok(Err(_)) => return Ok(None),
                Ok(Ok(response)) => response,
            };
            let (parts, body) = response.into_parts();
            let body = match body.collect().await {
                Ok(body) => body.to_bytes().to_vec(),
                Err(_) => return Ok(None),
            };
            Ok(Some(HttpResponse::from_parts(&parts, body)))
        })
    }

    fn origin(&self) -> (String, String) {
        (self.scheme.clone(), self.authority.clone())
    }

    fn has_admin(&self) -> bool {
        self.admin
    }
}
