//! The pieces of the `netsuite-mock` binary that its tests also use: the in-process scenario
//! target, which calls the emulator's `App::handle` directly, with no sockets.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use fixture::Fixture;
use http_body_util::BodyExt;
use inventory_store::DbTarget;
use restlet_server::{App, DropConnection, ServerConfig};
use scenario_runner::{
    BoxFuture, HttpRequest, HttpResponse, PrepareError, Prepared, Scenario, Target, TargetFactory,
};

/// One emulator, called in-process.
pub struct InProcessTarget {
    app: App,
}

impl InProcessTarget {
    pub fn new(app: App) -> InProcessTarget {
        InProcessTarget { app }
    }
}

impl Target for InProcessTarget {
    fn send(&self, request: HttpRequest) -> BoxFuture<'_, Result<Option<HttpResponse>, String>> {
        Box::pin(async move {
            let mut builder = http::Request::builder()
                .method(request.method.as_str())
                .uri(&request.path_and_query);
            for (k, v) in &request.headers {
                builder = builder.header(k, v);
            }
            let req = builder.body(Bytes::from(request.body)).map_err(|e| e.to_string())?;
            let response = self.app.handle(req).await;
            if response.extensions().get::<DropConnection>().is_some() {
                return Ok(None);
            }
            let (parts, body) = response.into_parts();
            let body = body.collect().await.map_err(|e| e.to_string())?.to_bytes().to_vec();
            Ok(Some(HttpResponse::from_parts(&parts, body)))
        })
    }

    fn origin(&self) -> (String, String) {
        ("http".into(), "localhost:8080".into())
    }

    fn has_admin(&self) -> bool {
        true
    }
}

/// A fresh in-memory emulator per scenario, seeded from the scenario's fixture (or the
/// default one): scenarios are isolated and may run in parallel.
pub struct InProcessFactory {
    default_fixture: Fixture,
    cache: Mutex<HashMap<PathBuf, Fixture>>,
}

impl InProcessFactory {
    pub fn new(default_fixture: Fixture) -> InProcessFactory {
        InProcessFactory { default_fixture, cache: Mutex::new(HashMap::new()) }
    }

    fn fixture(&self, scenario: &Scenario) -> Result<Fixture, String> {
        let Some(path) = &scenario.fixture else { return Ok(self.default_fixture.clone()) };
        let mut cache = self.cache.lock().expect("fixture cache lock");
        if let Some(fixture) = cache.get(path) {
            return Ok(fixture.clone());
        }
        let fixture = Fixture::load(path).map_err(|e| e.to_string())?;
        cache.insert(path.clone(), fixture.clone());
        Ok(fixture)
    }
}

impl TargetFactory for InProcessFactory {
    fn prepare<'a>(
        &'a self,
        scenario: &'a Scenario,
    ) -> BoxFuture<'a, Result<Prepared, PrepareError>> {
        Box::pin(async move {
            let fixture = self.fixture(scenario).map_err(PrepareError::Fail)?;
            let credentials = scenario_runner::credentials_from_fixture(&fixture);
            let app = App::new(ServerConfig::new(fixture, DbTarget::Memory))
                .map_err(|e| PrepareError::Fail(e.to_string()))?;
            app.start_background();
            let target: Arc<dyn Target> = Arc::new(InProcessTarget::new(app));
            Ok(Prepared { target, credentials })
        })
    }

    fn parallel_safe(&self) -> bool {
        true
    }
}
