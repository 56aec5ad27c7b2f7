//! The emulator as a value: shared state and the request path every RESTlet call takes,
//! route → authenticate → governance admission → content-type rules → handler → response
//! (contract 4). `App::handle` needs no socket, so tests and the scenario runner call it
//! directly.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use fixture::{Account, DeploymentDef, Fixture, Latency};
use http::header::{CONTENT_TYPE, HOST, WWW_AUTHENTICATE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::Full;
use inventory_domain::Inventory;
use inventory_store::{
    ApplyError, DbTarget, Durability, JobRow, Outcome, Store, StoreError, TxMeta, Work,
};
use oauth1_signature::{OAuthHeader, RequestTarget};
use serde_json::{Map, Value};

use crate::auth::{self, AuthRequest, AuthState, LoginAudit, LoginAuditEntry, Principal};
use crate::clock::Clock;
use crate::error::RestletError;
use crate::faults::{FaultAction, FaultTarget, Faults};
use crate::governance::{Limiter, Permit};
use crate::journal::{Journal, JournalEntry};
use crate::metrics::Metrics;
use crate::ops::batch::{Batch, Mode, results_json};
use crate::ops::{self, WriteOp};
use crate::wire::ContentType;

/// The RESTlet endpoint path (facts 1.1).
pub const RESTLET_PATH: &str = "/app/site/hosting/restlet.nl";

/// Everything the emulator is started with. No `Default`: every caller says what it wants.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub fixture: Fixture,
    pub db: DbTarget,
    pub durability: Durability,
    /// When set, admin calls must send `X-Admin-Token` with this value.
    pub admin_token: Option<String>,
    /// Serve the admin API to non-loopback peers too.
    pub admin_remote: bool,
    /// Request journal entries kept.
    pub journal_capacity: usize,
    /// Largest accepted request body (facts 2.8: 10 MB).
    pub max_body_bytes: usize,
    /// The scheme clients sign with: `http` when they call the emulator directly, `https`
    /// behind a TLS-terminating proxy.
    pub scheme: String,
}

impl ServerConfig {
    /// The contract's defaults around a fixture and a database.
    pub fn new(fixture: Fixture, db: DbTarget) -> ServerConfig {
        ServerConfig {
            fixture,
            db,
            durability: Durability::Full,
            admin_token: None,
            admin_remote: false,
            journal_capacity: 1000,
            max_body_bytes: 10 * 1024 * 1024,
            scheme: "http".into(),
        }
    }
}

/// The peer of a socket connection, put on the request by the server loop. In-process
/// requests have none and count as loopback.
#[derive(Clone, Copy, Debug)]
pub struct PeerAddr(pub SocketAddr);

/// Put on a request by the server loop when the body was over the limit and not read.
#[derive(Clone, Copy, Debug)]
pub struct BodyTooLarge;

/// Put on a response when the connection must close without sending it (fault rules).
#[derive(Clone, Copy, Debug)]
pub struct DropConnection;

pub(crate) struct AccountRt {
    pub def: Account,
    pub auth: AuthState,
    pub limiter: Arc<Limiter>,
    pub integration_limiters: HashMap<String, Arc<Limiter>>,
}

pub(crate) struct Inner {
    pub config: ServerConfig,
    pub store: Mutex<Store>,
    pub accounts: BTreeMap<String, AccountRt>,
    pub clock: Clock,
    pub journal: Journal,
    pub login_audit: LoginAudit,
    pub metrics: Metrics,
    pub faults: Faults,
    /// Queue of the group-commit writer thread.
    pub writer: std::sync::mpsc::Sender<WriteJob>,
}

type BatchResult = Result<Vec<Result<Value, RestletError>>, RestletError>;

/// One request's writes, waiting for the writer thread.
pub(crate) struct WriteJob {
    account: String,
    batch: Batch,
    actor: String,
    now: i64,
    reply: tokio::sync::oneshot::Sender<BatchResult>,
}

/// Most requests committed together in one db transaction.
const GROUP_MAX: usize = 64;

/// The writer thread: takes every queued write, applies each in its own savepoint (so one
/// request's refusal undoes only its part), commits them together with one sync, then answers
/// each. Group commit keeps "acknowledged means durable" while sharing the sync among
/// concurrent writers. Exits when the last `App` is dropped.
fn writer_loop(inner: std::sync::Weak<Inner>, jobs: std::sync::mpsc::Receiver<WriteJob>) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < GROUP_MAX {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let Some(inner) = inner.upgrade() else { return };
        let app = App { inner };
        let mut accounts: Vec<String> = group.iter().map(|j| j.account.clone()).collect();
        accounts.sort();
        accounts.dedup();
        for account in accounts {
            let (mine, rest): (Vec<WriteJob>, Vec<WriteJob>) =
                group.into_iter().partition(|j| j.account == account);
            group = rest;
            app.commit_group(&account, mine);
        }
    }
}

/// The emulator. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct App {
    pub(crate) inner: Arc<Inner>,
}

/// Per-call context handed to handlers.
pub(crate) struct Ctx {
    pub account: String,
    pub principal: Principal,
    pub now_ms: i64,
    pub meter: Meter,
}

/// Usage units of one execution (facts 5.2).
pub(crate) struct Meter {
    used: u32,
    limit: u32,
}

impl Meter {
    pub(crate) fn charge(&mut self, units: u32) -> Result<(), RestletError> {
        self.used = self.used.saturating_add(units);
        if self.used > self.limit { Err(RestletError::UsageLimit) } else { Ok(()) }
    }
}

/// What the journal and metrics learn about one call.
#[derive(Default)]
struct CallInfo {
    account: Option<String>,
    script: Option<String>,
    token: Option<String>,
}

impl App {
    /// Opens the store (seeding it on first start) and builds the runtime state.
    pub fn new(config: ServerConfig) -> Result<App, StoreError> {
        let store = Store::open(&config.db, config.fixture.clone(), config.durability)?;
        let accounts = config
            .fixture
            .accounts
            .iter()
            .map(|a| {
                let def = a.value.clone();
                let integration_limiters = def
                    .integrations
                    .iter()
                    .filter_map(|i| {
                        i.value
                            .concurrency_limit
                            .map(|limit| (i.value.name.clone(), Limiter::new(limit)))
                    })
                    .collect();
                let rt = AccountRt {
                    auth: AuthState::new(&def),
                    limiter: Limiter::new(def.settings.concurrency_limit),
                    integration_limiters,
                    def,
                };
                (rt.def.id.clone(), rt)
            })
            .collect();
        let (writer, jobs) = std::sync::mpsc::channel();
        let inner = Arc::new(Inner {
            journal: Journal::new(config.journal_capacity),
            config,
            store: Mutex::new(store),
            accounts,
            clock: Clock::default(),
            login_audit: LoginAudit::new(1000),
            metrics: Metrics::default(),
            faults: Faults::default(),
            writer,
        });
        let weak = Arc::downgrade(&inner);
        std::thread::Builder::new()
            .name("netsuite-mock-writer".into())
            .spawn(move || writer_loop(weak, jobs))
            .map_err(|e| StoreError::Corrupt(format!("cannot start the writer thread: {e}")))?;
        let app = App { inner };
        app.install_fixture_faults(None).map_err(StoreError::Corrupt)?;
        Ok(app)
    }

    /// Starts background work (resuming queued batch jobs); needs a tokio runtime.
    pub fn start_background(&self) {
        ops::resume_jobs(self);
    }

    pub fn config(&self) -> &ServerConfig {
        &self.inner.config
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the store cannot leave it half-written: units of work roll
        // back on drop. So a poisoned lock is still safe to use.
        self.inner.store.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn now_ms(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    /// Reads an account's inventory under the store lock.
    pub(crate) fn read<T>(
        &self,
        account: &str,
        f: impl FnOnce(&Inventory) -> Result<T, RestletError>,
    ) -> Result<T, RestletError> {
        let store = self.store();
        let inventory = store
            .inventory(account)
            .ok_or_else(|| RestletError::internal(format!("no account {account}")))?;
        f(inventory)
    }

    /// Handles one HTTP request: a RESTlet call, an admin call, or 404.
    pub async fn handle(&self, req: Request<Bytes>) -> Response<Full<Bytes>> {
        let path = req.uri().path();
        if path == "/metrics" || path.starts_with("/__admin") {
            return crate::admin::handle(self, req).await;
        }
        if path != RESTLET_PATH {
            return plain(StatusCode::NOT_FOUND, "Not Found");
        }
        let started = Instant::now();
        let mut info = CallInfo::default();
        let format = ContentType::from_header(header(&req, CONTENT_TYPE.as_str()))
            .ok()
            .flatten()
            .unwrap_or(ContentType::Text);
        let (mut response, code) = match self.restlet(&req, &mut info).await {
            Ok(response) => (response, None),
            Err(err) => {
                let (status, code, message) = err.parts();
                match &err {
                    RestletError::Internal { detail, .. } => {
                        tracing::error!(%detail, %code, "internal error")
                    }
                    _ => tracing::debug!(%code, %message, "request refused"),
                }
                let mut response =
                    body_response(status, format, crate::wire::error_body(format, &code, &message));
                if let RestletError::Login(_) = err {
                    let realm = info.account.clone().unwrap_or_default();
                    let value = format!(
                        "OAuth realm=\"{realm}\", error=\"token_rejected\", error_description=\"Invalid login attempt.\""
                    );
                    if let Ok(value) = HeaderValue::from_str(&value) {
                        response.headers_mut().insert(WWW_AUTHENTICATE, value);
                    }
                }
                (response, Some(code))
            }
        };
        let elapsed = started.elapsed();
        let account = info.account.clone().unwrap_or_default();
        let script = info.script.clone().unwrap_or_default();
        self.inner.metrics.request(
            &account,
            &script,
            response.status().as_u16(),
            code.as_deref().unwrap_or(""),
            elapsed.as_secs_f64(),
        );
        let body = http_body_util::BodyExt::collect(response.body_mut())
            .await
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        self.inner.journal.push(JournalEntry {
            seq: 0,
            time: self.now_ms(),
            account: info.account,
            method: req.method().to_string(),
            uri: req.uri().path_and_query().map(|p| p.to_string()).unwrap_or_default(),
            content_type: header(&req, CONTENT_TYPE.as_str()).map(str::to_string),
            token: info.token,
            request_body: Journal::cut(req.body()),
            status: response.status().as_u16(),
            code,
            response_body: Journal::cut(&body),
            duration_ms: elapsed.as_secs_f64() * 1000.0,
        });
        *response.body_mut() = Full::new(body);
        response
    }

    /// Chooses the account a call is for: the realm if it names one exactly, else the host's
    /// account URL prefix (`1234567-sb1.restlets…`), else the first account.
    fn pick_account(&self, req: &Request<Bytes>) -> &AccountRt {
        let accounts = &self.inner.accounts;
        let by_realm = header(req, "authorization")
            .and_then(|h| OAuthHeader::parse(h).ok())
            .and_then(|h| h.realm)
            .and_then(|realm| accounts.get(&realm));
        let by_host = || {
            let host = header(req, HOST.as_str())?.to_ascii_lowercase();
            accounts.values().find(|a| host.starts_with(&format!("{}.", a.def.url_id())))
        };
        by_realm
            .or_else(by_host)
            .or_else(|| accounts.values().next())
            .expect("a fixture has at least one account")
    }

    async fn restlet(
        &self,
        req: &Request<Bytes>,
        info: &mut CallInfo,
    ) -> Result<Response<Full<Bytes>>, RestletError> {
        let rt = self.pick_account(req);
        info.account = Some(rt.def.id.clone());
        let query = req.uri().query().unwrap_or("");
        let params = oauth1_signature::parse_query(query).ok_or(RestletError::MalformedRequest)?;
        let param = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());

        // Route (facts 1.5, 1.11, 1.12).
        let deployment = route(&rt.def, param("script"), param("deploy"))
            .ok_or(RestletError::InvalidScriptlet)?;
        info.script = Some(deployment.script_id.clone());

        // Authenticate (facts 4.1).
        let now_ms = self.now_ms();
        let host = header(req, HOST.as_str())
            .or_else(|| req.uri().authority().map(|a| a.as_str()))
            .unwrap_or("localhost");
        let auth_req = AuthRequest {
            method: req.method().as_str(),
            target: RequestTarget {
                scheme: &self.inner.config.scheme,
                host,
                path: req.uri().path(),
                query,
            },
            authorization: header(req, "authorization"),
            now_ms,
        };
        let principal = match auth::authenticate(&rt.def, &rt.auth, deployment, &auth_req) {
            Ok(principal) => principal,
            Err(failure) => {
                self.inner.metrics.auth_failure(&rt.def.id, failure.detail);
                self.inner.login_audit.push(LoginAuditEntry {
                    time: now_ms,
                    account: rt.def.id.clone(),
                    detail: failure.detail,
                    token_id: failure.token_id,
                    consumer_key: failure.consumer_key,
                    method: req.method().to_string(),
                    url: req.uri().to_string(),
                    base_string: failure.base_string,
                });
                return Err(RestletError::Login(failure.detail));
            }
        };
        info.token = Some(principal.token_name.clone());

        let method = req.method();
        if !ops::methods(deployment.handler).contains(method) {
            return Err(RestletError::MethodNotAllowed);
        }

        // Governance admission (facts 5.1): refused at once, nothing executed.
        let _permits = self.admit(rt, &principal)?;

        // Content-type rules (facts 1.10, 2.1-2.6).
        if req.extensions().get::<BodyTooLarge>().is_some()
            || req.body().len() > self.inner.config.max_body_bytes
        {
            return Err(RestletError::BodyTooLarge);
        }
        let has_body = !req.body().is_empty();
        let content_type = ContentType::from_header(header(req, CONTENT_TYPE.as_str()));
        if matches!(*method, Method::GET | Method::DELETE) {
            if has_body {
                return Err(RestletError::MalformedRequest);
            }
        } else if has_body && !matches!(content_type, Ok(Some(_))) {
            return Err(RestletError::InvalidContentType);
        }
        // Built-in handlers return objects: only a JSON request can receive one (facts 2.5, 2.6).
        if content_type != Ok(Some(ContentType::Json)) {
            return Err(RestletError::InvalidReturnFormat);
        }

        // Faults and simulated service time, while holding the governance slot (contract 8).
        let decision = self.inner.faults.decide(&FaultTarget {
            account: &rt.def.id,
            script_ids: [&deployment.script.to_string(), &deployment.script_id],
            deploy_ids: [&deployment.deploy.to_string(), &deployment.deploy_id()],
            method: method.as_str(),
        });
        let latency_ms = decision.latency_ms + sample_latency(&deployment.latency);
        if latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(latency_ms)).await;
        }
        match &decision.action {
            Some(FaultAction::Error { status, code, message }) => {
                return Err(RestletError::Injected {
                    status: *status,
                    code: code.clone(),
                    message: message.clone(),
                });
            }
            Some(FaultAction::Unavailable) => {
                return Ok(body_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ContentType::Text,
                    "Service Unavailable".into(),
                ));
            }
            Some(FaultAction::Drop) => return Ok(dropped()),
            _ => {}
        }

        // The handler.
        let input = if matches!(*method, Method::GET | Method::DELETE) {
            Value::Object(
                params
                    .iter()
                    .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                    .collect::<Map<_, _>>(),
            )
        } else {
            serde_json::from_slice(req.body())
                .map_err(|err| RestletError::Syntax(json_error_message(&err)))?
        };
        let mut ctx = Ctx {
            account: rt.def.id.clone(),
            principal,
            now_ms,
            meter: Meter { used: 0, limit: rt.def.settings.usage_limit },
        };
        let value = ops::dispatch(self, &mut ctx, deployment.handler, method, input).await?;
        if matches!(decision.action, Some(FaultAction::ApplyThenDrop)) {
            return Ok(dropped());
        }
        Ok(body_response(StatusCode::OK, ContentType::Json, value.to_string()))
    }

    fn admit(&self, rt: &AccountRt, principal: &Principal) -> Result<Vec<Permit>, RestletError> {
        let reject = || {
            self.inner.metrics.governance_rejection(&rt.def.id);
            RestletError::RequestLimit { status: rt.def.settings.concurrency_reject_status }
        };
        let account = rt.limiter.try_acquire().ok_or_else(reject)?;
        let mut permits = vec![account];
        if let Some(limiter) = rt.integration_limiters.get(&principal.integration) {
            permits.push(limiter.try_acquire().ok_or_else(reject)?);
        }
        Ok(permits)
    }

    /// Applies one write in its own unit of work; durable before this returns.
    pub(crate) async fn write_one(&self, ctx: &Ctx, op: WriteOp) -> Result<Value, RestletError> {
        let batch = Batch { mode: Mode::Atomic, operations: vec![Ok(op)] };
        let mut results = self.write_many(ctx, batch).await.map_err(|err| match err {
            RestletError::Batch { inner, .. } => *inner,
            other => other,
        })?;
        results.pop().expect("one operation, one result")
    }

    /// Applies a batch in one unit of work.
    pub(crate) async fn write_many(&self, ctx: &Ctx, batch: Batch) -> BatchResult {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = WriteJob {
            account: ctx.account.clone(),
            batch,
            actor: ctx.principal.token_name.clone(),
            now: ctx.now_ms,
            reply,
        };
        self.inner
            .writer
            .send(job)
            .map_err(|_| RestletError::internal("the writer thread is gone"))?;
        answer.await.map_err(|_| RestletError::internal("the writer thread dropped a job"))?
    }

    /// Applies a group of jobs in one unit of work and commits once.
    fn commit_group(&self, account: &str, jobs: Vec<WriteJob>) {
        let mut store = self.store();
        let mut work = match store.begin(account) {
            Ok(work) => work,
            Err(err) => {
                let err = RestletError::internal(err);
                for job in jobs {
                    let _ = job.reply.send(Err(err.clone()));
                }
                return;
            }
        };
        let mut answers = Vec::with_capacity(jobs.len());
        for job in jobs {
            let (actor, now) = (job.actor, job.now);
            let result = work.attempt(|work| run_ops(work, job.batch, &actor, now));
            answers.push((job.reply, result));
        }
        match work.commit() {
            Ok(()) => {
                for (reply, result) in answers {
                    let _ = reply.send(result);
                }
            }
            // Nothing of the group is durable, so nothing is acknowledged.
            Err(err) => {
                let err = RestletError::internal(err);
                for (reply, _) in answers {
                    let _ = reply.send(Err(err.clone()));
                }
            }
        }
    }

    pub(crate) async fn create_job(
        &self,
        ctx: &Ctx,
        input: &Value,
    ) -> Result<String, RestletError> {
        let app = self.clone();
        let id = format!("job-{:016x}", rand::random::<u64>());
        let job = JobRow {
            account: ctx.account.clone(),
            id: id.clone(),
            status: "PENDING".into(),
            request: input.to_string(),
            actor: ctx.principal.token_name.clone(),
            result: None,
            created_at: ctx.now_ms,
            updated_at: ctx.now_ms,
        };
        tokio::task::spawn_blocking(move || {
            app.store().put_job(&job).map_err(RestletError::internal)
        })
        .await
        .map_err(RestletError::internal)??;
        Ok(id)
    }

    pub(crate) fn job(&self, account: &str, id: &str) -> Result<Option<JobRow>, RestletError> {
        self.store().job(account, id).map_err(RestletError::internal)
    }

    pub(crate) fn unfinished_jobs(&self) -> Result<Vec<JobRow>, StoreError> {
        self.store().unfinished_jobs()
    }

    /// Runs a queued job to the end: its operations and its result row commit together.
    pub(crate) fn process_job(&self, account: &str, job_id: &str) -> Result<(), RestletError> {
        let mut store = self.store();
        let Some(mut job) = store.job(account, job_id).map_err(RestletError::internal)? else {
            return Ok(());
        };
        if job.status != "PENDING" && job.status != "PROCESSING" {
            return Ok(());
        }
        let request: Value = serde_json::from_str(&job.request).map_err(RestletError::internal)?;
        let (batch, _) = ops::batch::parse(&request)?;
        let mode = batch.mode;
        let now = self.now_ms();
        let mut work = store.begin(account).map_err(RestletError::internal)?;
        let outcome = run_ops(&mut work, batch, &job.actor.clone(), now);
        job.updated_at = now;
        match outcome {
            Ok(results) => {
                job.status = "COMPLETE".into();
                job.result = Some(results_json(mode, results).to_string());
                work.put_job(&job).map_err(RestletError::internal)?;
                work.commit().map_err(RestletError::internal)?;
            }
            Err(err) => {
                drop(work);
                let (_, code, message) = err.parts();
                job.status = "FAILED".into();
                job.result = Some(serde_json::json!({"success": false, "error": {"code": code, "message": message}}).to_string());
                store.put_job(&job).map_err(RestletError::internal)?;
            }
        }
        Ok(())
    }

    /// Adds the fault rules the fixture declares (for one account, or all).
    fn install_fixture_faults(&self, account: Option<&str>) -> Result<(), String> {
        for (id, rt) in &self.inner.accounts {
            if account.is_some_and(|a| a != id) {
                continue;
            }
            for (n, def) in rt.def.faults.iter().enumerate() {
                let mut spec = def.clone();
                spec.account.get_or_insert_with(|| id.clone());
                self.inner
                    .faults
                    .add(spec)
                    .map_err(|e| format!("fixture fault rule {n} of account {id}: {e}"))?;
            }
        }
        Ok(())
    }

    /// Restores one account (or all) to the fixture: stock, transactions, nonces, lockouts,
    /// fault rules, the clock, governance counters, journal and login audit (contract 7).
    pub fn reset(&self, account: Option<&str>) -> Result<(), StoreError> {
        self.store().reset(account)?;
        for (id, rt) in &self.inner.accounts {
            if account.is_none_or(|a| a == id) {
                rt.auth.reset();
                rt.limiter.reset_counters();
                for limiter in rt.integration_limiters.values() {
                    limiter.reset_counters();
                }
            }
        }
        self.inner.faults.clear(account);
        self.install_fixture_faults(account).map_err(StoreError::Corrupt)?;
        self.inner.login_audit.clear(account);
        if account.is_none() {
            self.inner.clock.reset();
            self.inner.journal.clear();
        }
        Ok(())
    }
}

/// Applies a batch's operations in `work`: atomic stops at the first failure (the caller drops
/// the unit); partial keeps going, each operation all-or-nothing on its own.
fn run_ops(
    work: &mut Work<'_>,
    batch: Batch,
    actor: &str,
    now: i64,
) -> Result<Vec<Result<Value, RestletError>>, RestletError> {
    let mut results = Vec::with_capacity(batch.operations.len());
    for (index, op) in batch.operations.into_iter().enumerate() {
        let result = op.and_then(|op| apply_op(work, op, actor, now));
        match result {
            Err(err) if batch.mode == Mode::Atomic => {
                return Err(RestletError::Batch { index, inner: Box::new(err) });
            }
            result => results.push(result),
        }
    }
    Ok(results)
}

fn apply_op(
    work: &mut Work<'_>,
    op: WriteOp,
    actor: &str,
    now: i64,
) -> Result<Value, RestletError> {
    let meta = TxMeta { external_id: op.external_id.as_deref(), actor, now };
    let kind = op.kind;
    let external_id = op.external_id.clone();
    let outcome = work.apply_once(op.txs, meta, &op.body_hash, |inv, applied| {
        ops::render(kind, inv, applied, external_id.as_deref()).to_string()
    });
    let parse = |text: &str| serde_json::from_str::<Value>(text).map_err(RestletError::internal);
    match outcome {
        Ok(Outcome::Applied { response }) => parse(&response),
        Ok(Outcome::Replayed { response }) => {
            let mut value = parse(&response)?;
            if let Value::Object(map) = &mut value {
                map.insert("duplicate".into(), Value::Bool(true));
            }
            Ok(value)
        }
        Err(ApplyError::Refused(err)) => Err(err.into()),
        Err(ApplyError::Store(err)) => Err(RestletError::internal(err)),
    }
}

/// Finds the Released deployment a script/deploy pair names, by numeric or string id.
fn route<'a>(
    account: &'a Account,
    script: Option<&str>,
    deploy: Option<&str>,
) -> Option<&'a DeploymentDef> {
    let (script, deploy) = (script?, deploy?);
    account.deployments.iter().map(|d| &d.value).find(|d| {
        (d.script.to_string() == script || d.script_id == script)
            && (d.deploy.to_string() == deploy || d.deploy_id() == deploy)
            && d.status == fixture::DeploymentStatus::Released
    })
}

fn header<'a>(req: &'a Request<Bytes>, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

fn body_response(status: StatusCode, format: ContentType, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(format.mime()));
    response
}

pub(crate) fn plain(status: StatusCode, text: &str) -> Response<Full<Bytes>> {
    body_response(status, ContentType::Text, text.to_string())
}

fn dropped() -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    response.extensions_mut().insert(DropConnection);
    response
}

/// A JavaScript-like parse error message, as `JSON.parse` would report it.
fn json_error_message(err: &serde_json::Error) -> String {
    format!("Unexpected token in JSON at line {} column {}: {err}", err.line(), err.column())
}

/// Draws one simulated service time for a deployment, in milliseconds.
fn sample_latency(latency: &Latency) -> u64 {
    match *latency {
        Latency::None => 0,
        Latency::Fixed { ms } => ms,
        Latency::Uniform { min_ms, max_ms } => {
            if max_ms <= min_ms {
                min_ms
            } else {
                min_ms + rand::random::<u64>() % (max_ms - min_ms + 1)
            }
        }
        Latency::LogNormal { median_ms, p99_ms } => {
            let median = (median_ms.max(1)) as f64;
            let sigma = ((p99_ms.max(median_ms + 1)) as f64 / median).ln() / 2.326;
            // Box-Muller for a standard normal draw.
            let (u1, u2): (f64, f64) =
                (rand::random::<f64>().max(f64::MIN_POSITIVE), rand::random());
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            (median.ln() + sigma * z).exp().round().min(300_000.0) as u64
        }
    }
}
