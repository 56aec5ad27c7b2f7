//! A signing client that talks to the emulator in-process (`App::handle`) or over loopback.

use bytes::Bytes;
use fixture::Fixture;
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use inventory_store::DbTarget;
use restlet_server::{App, MockNetSuite, RESTLET_PATH, ServerConfig, TokenCredentials};
use serde_json::Value;

pub(crate) const ACCOUNT: &str = "1234567_SB1";

pub(crate) fn app() -> App {
    App::new(ServerConfig::new(Fixture::demo(), DbTarget::Memory)).unwrap()
}

pub(crate) fn app_with(fixture_yaml: &str) -> App {
    App::new(ServerConfig::new(
        Fixture::parse(fixture_yaml, "test.yaml").unwrap(),
        DbTarget::Memory,
    ))
    .unwrap()
}

/// The demo fixture with some settings or deployments changed.
pub(crate) fn demo_yaml_with(replace: &[(&str, &str)]) -> String {
    let mut text = fixture::DEMO_YAML.to_string();
    for (from, to) in replace {
        assert!(text.contains(from), "demo fixture lacks {from:?}");
        text = text.replace(from, to);
    }
    text
}

pub(crate) fn token(name: &str) -> TokenCredentials {
    restlet_server::credentials(&Fixture::demo(), name).unwrap()
}

#[derive(Debug)]
pub(crate) struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// (status, error code) of an error envelope.
    pub(crate) fn error(&self) -> (u16, String) {
        let json = self.json();
        (
            self.status.as_u16(),
            json["error"]["code"]
                .as_str()
                .unwrap_or_else(|| panic!("no error code: {}", self.body))
                .to_string(),
        )
    }

    #[track_caller]
    pub(crate) fn ok(&self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "{}", self.body);
        self.json()
    }
}

/// A request to build: method, script/deploy, extra query, body, and who signs it.
pub(crate) struct Call {
    pub method: Method,
    pub script: String,
    pub deploy: String,
    pub query: String,
    pub body: Option<String>,
    pub content_type: Option<&'static str>,
    pub token: Option<TokenCredentials>,
    pub authorization: Option<String>,
}

pub(crate) fn get(script: &str, query: &str) -> Call {
    Call {
        method: Method::GET,
        script: script.into(),
        deploy: "1".into(),
        query: query.into(),
        body: None,
        content_type: Some("application/json"),
        token: Some(token("wms")),
        authorization: None,
    }
}

pub(crate) fn post(script: &str, body: Value) -> Call {
    Call {
        method: Method::POST,
        script: script.into(),
        deploy: "1".into(),
        query: String::new(),
        body: Some(body.to_string()),
        content_type: Some("application/json"),
        token: Some(token("wms")),
        authorization: None,
    }
}

impl Call {
    pub(crate) fn token(mut self, name: &str) -> Call {
        self.token = Some(token(name));
        self
    }

    pub(crate) fn url(&self, base: &str) -> String {
        let mut url = format!("{base}{RESTLET_PATH}?script={}&deploy={}", self.script, self.deploy);
        if !self.query.is_empty() {
            url.push('&');
            url.push_str(&self.query);
        }
        url
    }

    fn request(&self, base: &str) -> Request<Full<Bytes>> {
        let url = self.url(base);
        let mut builder = Request::builder().method(self.method.clone()).uri(&url);
        if let Some(ct) = self.content_type {
            builder = builder.header("content-type", ct);
        }
        let host = base.trim_start_matches("http://");
        builder = builder.header("host", host);
        if let Some(auth) = &self.authorization {
            builder = builder.header("authorization", auth);
        } else if let Some(token) = &self.token {
            builder = builder.header(
                "authorization",
                restlet_server::authorization(token, self.method.as_str(), &url),
            );
        }
        builder.body(Full::new(Bytes::from(self.body.clone().unwrap_or_default()))).unwrap()
    }

    /// Through `App::handle`, no socket.
    pub(crate) async fn send(&self, app: &App) -> Reply {
        let req = self.request("http://localhost:8080");
        let (parts, body) = req.into_parts();
        let body = body.collect().await.unwrap().to_bytes();
        let response = app.handle(Request::from_parts(parts, body)).await;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Reply { status, headers, body: String::from_utf8_lossy(&body).into_owned() }
    }

    /// Over a real loopback socket.
    pub(crate) async fn send_to(&self, server: &MockNetSuite) -> Result<Reply, String> {
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let response =
            client.request(self.request(&server.url())).await.map_err(|e| format!("{e:?}"))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok(Reply { status, headers, body: String::from_utf8_lossy(&body).into_owned() })
    }
}

/// An admin call in-process.
pub(crate) async fn admin(
    app: &App,
    method: Method,
    path_and_query: &str,
    body: Option<Value>,
) -> Reply {
    let req = Request::builder()
        .method(method)
        .uri(path_and_query)
        .body(Bytes::from(body.map(|b| b.to_string()).unwrap_or_default()))
        .unwrap();
    let response = app.handle(req).await;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Reply { status, headers, body: String::from_utf8_lossy(&body).into_owned() }
}

/// One stock row as `on_hand/committed/on_order/in_transit/back_ordered avail N` from the
/// admin API.
pub(crate) async fn stock(app: &App, item: u64, location: u64) -> String {
    let reply =
        admin(app, Method::GET, &format!("/__admin/stock?item={item}&location={location}"), None)
            .await;
    let rows = reply.json()["stock"].as_array().unwrap().clone();
    match rows.first() {
        None => "0/0/0/0/0 avail 0".into(),
        Some(r) => format!(
            "{}/{}/{}/{}/{} avail {}",
            r["quantityOnHand"],
            r["quantityCommitted"],
            r["quantityOnOrder"],
            r["quantityInTransit"],
            r["quantityBackOrdered"],
            r["quantityAvailable"]
        ),
    }
}

pub(crate) async fn login_details(app: &App) -> Vec<String> {
    admin(app, Method::GET, "/__admin/login-audit", None).await.json()["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["detail"].as_str().unwrap().to_string())
        .collect()
}
