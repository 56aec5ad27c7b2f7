//! Running one scenario against a target: variables, signing, requests, expectations,
//! captures, polling, parallel groups, state checks.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use oauth1_signature::{OAuthHeader, RequestTarget, percent_encode};
use serde_json::{Value, json};

use crate::load::{LocatedStep, Scenario};
use crate::matcher::{self, Mismatch};
use crate::model::{
    AdminCall, AuthMode, Expect, MatchMode, Parallel, RequestSpec, StockExpect, TransactionsExpect,
};
use crate::target::{HttpRequest, HttpResponse, Target};

pub use oauth1_signature::TokenCredentials;

/// Credentials by token name (`wms`, `shop`, …).
pub type CredentialSet = BTreeMap<String, TokenCredentials>;

/// Why a scenario failed, located at the step.
#[derive(Clone, Debug)]
pub struct Failure {
    /// `file:line` of the step.
    pub location: String,
    pub step: String,
    pub problems: Vec<String>,
    /// The last response, for context.
    pub response: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ScenarioOutcome {
    pub name: String,
    pub path: String,
    pub failure: Option<Failure>,
    /// Why the scenario did not run at all (e.g. a fixture the live target cannot load).
    pub skipped: Option<String>,
    pub steps: usize,
    pub requests: usize,
    pub duration: Duration,
    /// Steps skipped against a target without the admin API, and similar remarks.
    pub notes: Vec<String>,
}

const RESTLET_PATH: &str = "/app/site/hosting/restlet.nl";

struct Runner<'a> {
    scenario: &'a Scenario,
    target: Arc<dyn Target>,
    credentials: &'a CredentialSet,
    vars: BTreeMap<String, Value>,
    /// Token, nonce and timestamp of the last signed request, for `auth: replay_nonce`.
    last_signature: Option<(String, String, u64)>,
    requests: usize,
    notes: Vec<String>,
}

type StepResult = Result<(), (Vec<String>, Option<String>)>;

fn fail<T>(problem: impl Into<String>) -> Result<T, (Vec<String>, Option<String>)> {
    Err((vec![problem.into()], None))
}

/// Runs every step in order; stops at the first failing one.
pub async fn run_scenario(
    scenario: &Scenario,
    target: Arc<dyn Target>,
    credentials: &CredentialSet,
) -> ScenarioOutcome {
    let started = Instant::now();
    let mut vars = scenario.vars.clone();
    vars.insert("run_id".into(), json!(format!("{:08x}", rand::random::<u32>())));
    let mut runner = Runner {
        scenario,
        target,
        credentials,
        vars,
        last_signature: None,
        requests: 0,
        notes: Vec::new(),
    };
    let mut failure = None;
    let mut steps = 0;
    for (index, step) in scenario.steps.iter().enumerate() {
        steps += 1;
        if let Err((problems, response)) = runner.step(step).await {
            failure = Some(Failure {
                location: step.location(),
                step: step.label(index),
                problems,
                response,
            });
            break;
        }
    }
    ScenarioOutcome {
        name: scenario.name.clone(),
        path: scenario.path.display().to_string(),
        failure,
        skipped: None,
        steps,
        requests: runner.requests,
        duration: started.elapsed(),
        notes: runner.notes,
    }
}

impl Runner<'_> {
    async fn step(&mut self, located: &LocatedStep) -> StepResult {
        let step = &located.step;
        if let Some(request) = &step.request {
            let expect = step.expect.clone().unwrap_or_default();
            let (attempts, interval, until) = match &step.retry {
                Some(retry) => (
                    retry.max,
                    Duration::from_millis(retry.interval_ms),
                    retry.until.clone().unwrap_or_else(|| expect.clone()),
                ),
                None => (1, Duration::ZERO, expect.clone()),
            };
            let mut last = None;
            for attempt in 0..attempts {
                if attempt > 0 {
                    tokio::time::sleep(interval).await;
                }
                let response = self.request(request, None).await?;
                let problems = self.check(&until, response.as_ref());
                last = Some(response);
                if problems.is_empty() {
                    break;
                }
            }
            let response = last.expect("at least one attempt");
            let problems = self.check(&expect, response.as_ref());
            if !problems.is_empty() {
                return Err((problems, response.as_ref().map(describe)));
            }
            return self.capture(&step.capture, response.as_ref());
        }
        if let Some(parallel) = &step.parallel {
            return self.parallel(parallel).await;
        }
        if let Some(rows) = &step.stock {
            return self.stock(rows).await;
        }
        if let Some(expect) = &step.transactions {
            return self.transactions(expect).await;
        }
        if let Some(call) = &step.admin {
            return self.admin_step(call).await;
        }
        fail("empty step")
    }

    // ---- variables ----

    fn interpolate(&self, value: &Value) -> Result<Value, (Vec<String>, Option<String>)> {
        interpolate(value, &self.vars).map_err(|e| (vec![e], None))
    }

    // ---- requests ----

    fn text(value: &Value) -> String {
        match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        }
    }

    /// Builds, signs and sends one RESTlet request; `extra` adds variables (parallel index).
    async fn request(
        &mut self,
        spec: &RequestSpec,
        extra: Option<(&str, Value)>,
    ) -> Result<Option<HttpResponse>, (Vec<String>, Option<String>)> {
        let request = self.build(spec, extra)?;
        self.requests += 1;
        self.target.send(request).await.map_err(|e| (vec![format!("request failed: {e}")], None))
    }

    fn build(
        &mut self,
        spec: &RequestSpec,
        extra: Option<(&str, Value)>,
    ) -> Result<HttpRequest, (Vec<String>, Option<String>)> {
        let mut vars = self.vars.clone();
        if let Some((k, v)) = extra {
            vars.insert(k.to_string(), v);
        }
        let interp = |v: &Value| interpolate(v, &vars).map_err(|e| (vec![e], None));
        let script = Self::text(&interp(&spec.script)?);
        let deploy = spec
            .deploy
            .as_ref()
            .map(interp)
            .transpose()?
            .map_or_else(|| "1".to_string(), |d| Self::text(&d));
        let mut query =
            format!("script={}&deploy={}", percent_encode(&script), percent_encode(&deploy));
        for (k, v) in &spec.query {
            query +=
                &format!("&{}={}", percent_encode(k), percent_encode(&Self::text(&interp(v)?)));
        }
        let body = match (&spec.body, &spec.raw_body) {
            (Some(body), _) => interp(body)?.to_string().into_bytes(),
            (None, Some(raw)) => interpolate(&Value::String(raw.clone()), &vars)
                .map_err(|e| (vec![e], None))?
                .as_str()
                .unwrap_or("")
                .as_bytes()
                .to_vec(),
            (None, None) => Vec::new(),
        };
        let method = spec
            .method
            .clone()
            .unwrap_or_else(|| if body.is_empty() { "GET".into() } else { "POST".into() })
            .to_ascii_uppercase();
        let (scheme, authority) = self.target.origin();
        let mut headers = vec![("host".to_string(), authority.clone())];
        match spec.content_type.as_deref() {
            Some("none") => {}
            Some(ct) => headers.push(("content-type".into(), ct.into())),
            None => headers.push(("content-type".into(), "application/json".into())),
        }
        let token = spec.token.clone().unwrap_or_else(|| self.scenario.token.clone());
        if let Some(authorization) =
            self.authorization(&token, spec.auth, &method, &scheme, &authority, &query)?
        {
            headers.push(("authorization".into(), authorization));
        }
        for (k, v) in &spec.headers {
            let v = Self::text(&interp(&Value::String(v.clone()))?);
            headers.retain(|(name, _)| !name.eq_ignore_ascii_case(k));
            headers.push((k.to_ascii_lowercase(), v));
        }
        Ok(HttpRequest { method, path_and_query: format!("{RESTLET_PATH}?{query}"), headers, body })
    }

    fn authorization(
        &mut self,
        token: &str,
        mode: Option<AuthMode>,
        method: &str,
        scheme: &str,
        authority: &str,
        query: &str,
    ) -> Result<Option<String>, (Vec<String>, Option<String>)> {
        match mode {
            Some(AuthMode::None) => return Ok(None),
            Some(AuthMode::Nlauth) => return Ok(Some("NLAuth nlauth_account=1234567_SB1, nlauth_email=dev%40example.com, nlauth_signature=secret, nlauth_role=3".into())),
            Some(AuthMode::Bearer) => return Ok(Some("Bearer eyJhbGciOiJQUzI1NiJ9.e30.c2ln".into())),
            _ => {}
        }
        let Some(creds) = self.credentials.get(token) else {
            return fail(format!("no credentials for token {token:?}"));
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let (mut nonce, mut timestamp) =
            (format!("{:020}", rand::random::<u64>() % 10u64.pow(19)), now);
        match mode {
            Some(AuthMode::ReplayNonce) => match &self.last_signature {
                Some((t, n, ts)) if t == token => (nonce, timestamp) = (n.clone(), *ts),
                _ => {
                    return fail(
                        "auth: replay_nonce needs an earlier signed request with the same token",
                    );
                }
            },
            Some(AuthMode::StaleTimestamp) => timestamp = now.saturating_sub(600),
            Some(AuthMode::ShortNonce) => nonce = "abc12".into(),
            _ => {}
        }
        let realm = if mode == Some(AuthMode::LowercaseRealm) {
            creds.realm.to_lowercase()
        } else {
            creds.realm.clone()
        };
        let method_name = if mode == Some(AuthMode::Sha1) {
            "HMAC-SHA1"
        } else {
            oauth1_signature::SIGNATURE_METHOD
        };
        let version = if mode == Some(AuthMode::BadVersion) { "2.0" } else { "1.0" };
        let params: Vec<(String, String)> = vec![
            ("oauth_consumer_key".into(), creds.consumer_key.clone()),
            ("oauth_token".into(), creds.token_id.clone()),
            ("oauth_signature_method".into(), method_name.into()),
            ("oauth_timestamp".into(), timestamp.to_string()),
            ("oauth_nonce".into(), nonce.clone()),
            ("oauth_version".into(), version.into()),
        ];
        let target = RequestTarget { scheme, host: authority, path: RESTLET_PATH, query };
        let Some(base) = oauth1_signature::base_string(method, &target, &params) else {
            return fail("the query string has a broken percent-escape");
        };
        let secret = if mode == Some(AuthMode::BadSignature) {
            "not-the-token-secret"
        } else {
            creds.token_secret.as_str()
        };
        let signature = oauth1_signature::sign(&base, &creds.consumer_secret, secret);
        let mut header = format!("OAuth realm=\"{}\"", percent_encode(&realm));
        for (k, v) in
            params.iter().chain(std::iter::once(&("oauth_signature".to_string(), signature)))
        {
            header += &format!(", {k}=\"{}\"", percent_encode(v));
        }
        debug_assert!(OAuthHeader::parse(&header).is_ok());
        self.last_signature = Some((token.to_string(), nonce, timestamp));
        Ok(Some(header))
    }

    // ---- expectations ----

    fn check(&self, expect: &Expect, response: Option<&HttpResponse>) -> Vec<String> {
        let Some(response) = response else {
            return if expect.dropped {
                Vec::new()
            } else {
                vec!["the connection dropped without a response".into()]
            };
        };
        let mut problems = Vec::new();
        if expect.dropped {
            problems
                .push(format!("expected the connection to drop, got status {}", response.status));
        }
        match &expect.status {
            Some(status) if !status.accepts(response.status) => {
                problems.push(format!("status: expected {status:?}, got {}", response.status))
            }
            None if expect.code.is_none()
                && !(200..300).contains(&response.status)
                && !expect.dropped =>
            {
                problems.push(format!("status: expected 2xx, got {}", response.status));
            }
            _ => {}
        }
        let body: Option<Value> = serde_json::from_slice(&response.body).ok();
        let mut mismatches: Vec<Mismatch> = Vec::new();
        let mode = expect.match_mode.unwrap_or(MatchMode::Partial);
        let mut expected_error = serde_json::Map::new();
        if let Some(code) = &expect.code {
            expected_error.insert("code".into(), json!(code));
        }
        if let Some(message) = &expect.message {
            expected_error.insert("message".into(), json!(message));
        }
        if !expected_error.is_empty() {
            let expected = json!({"error": Value::Object(expected_error)});
            match self.interpolate(&expected) {
                Ok(expected) => matcher::compare(
                    &expected,
                    body.as_ref(),
                    MatchMode::Partial,
                    "body",
                    &mut mismatches,
                ),
                Err((p, _)) => problems.extend(p),
            }
        }
        if let Some(expected) = &expect.body {
            match (self.interpolate(expected), &body) {
                (Err((p, _)), _) => problems.extend(p),
                (Ok(_), None) => problems.push(format!(
                    "body: expected JSON, got {:?}",
                    String::from_utf8_lossy(&response.body)
                )),
                (Ok(expected), Some(_)) => {
                    matcher::compare(&expected, body.as_ref(), mode, "body", &mut mismatches)
                }
            }
        }
        if let Some(expected) = &expect.text {
            let actual = Value::String(String::from_utf8_lossy(&response.body).into_owned());
            match self.interpolate(expected) {
                Ok(expected) => matcher::compare(
                    &expected,
                    Some(&actual),
                    MatchMode::Partial,
                    "text",
                    &mut mismatches,
                ),
                Err((p, _)) => problems.extend(p),
            }
        }
        for (name, expected) in &expect.headers {
            let actual = response.header(name).map(|v| Value::String(v.to_string()));
            match self.interpolate(expected) {
                Ok(expected) => matcher::compare(
                    &expected,
                    actual.as_ref(),
                    MatchMode::Partial,
                    &format!("header.{name}"),
                    &mut mismatches,
                ),
                Err((p, _)) => problems.extend(p),
            }
        }
        problems.extend(
            mismatches
                .into_iter()
                .map(|m| format!("{}: expected {}, got {}", m.path, m.expected, m.actual)),
        );
        problems
    }

    fn capture(
        &mut self,
        captures: &BTreeMap<String, String>,
        response: Option<&HttpResponse>,
    ) -> StepResult {
        if captures.is_empty() {
            return Ok(());
        }
        let Some(response) = response else {
            return fail("nothing to capture: the connection dropped");
        };
        let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        for (name, source) in captures {
            let value = if source == "status" {
                Some(json!(response.status))
            } else if let Some(header) = source.strip_prefix("header.") {
                response.header(header).map(|v| json!(v))
            } else {
                matcher::lookup(&body, source.trim_start_matches("body")).cloned()
            };
            match value {
                Some(value) => {
                    self.vars.insert(name.clone(), value);
                }
                None => {
                    return Err((
                        vec![format!("capture {name}: nothing at {source}")],
                        Some(describe(response)),
                    ));
                }
            }
        }
        Ok(())
    }

    // ---- parallel groups ----

    async fn parallel(&mut self, parallel: &Parallel) -> StepResult {
        let mut requests = Vec::with_capacity(parallel.count);
        for i in 0..parallel.count {
            requests.push(self.build(&parallel.request, Some(("i", json!(i))))?);
        }
        self.requests += requests.len();
        // Built (and signed) first, then released together.
        let mut set = tokio::task::JoinSet::new();
        for request in requests {
            let target = Arc::clone(&self.target);
            set.spawn(async move { target.send(request).await });
        }
        let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
        let mut codes: BTreeMap<String, usize> = BTreeMap::new();
        let mut dropped = 0;
        while let Some(joined) = set.join_next().await {
            match joined.map_err(|e| (vec![format!("request task failed: {e}")], None))? {
                Err(e) => return fail(format!("request failed: {e}")),
                Ok(None) => dropped += 1,
                Ok(Some(response)) => {
                    *statuses.entry(response.status).or_default() += 1;
                    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
                    if let Some(code) = body["error"]["code"].as_str() {
                        *codes.entry(code.to_string()).or_default() += 1;
                    }
                }
            }
        }
        let mut problems = Vec::new();
        if dropped > 0 {
            problems.push(format!("{dropped} connections dropped without a response"));
        }
        if !parallel.statuses.is_empty() && parallel.statuses != statuses {
            problems.push(format!("statuses: expected {:?}, got {statuses:?}", parallel.statuses));
        }
        for (code, n) in &parallel.codes {
            let got = codes.get(code).copied().unwrap_or(0);
            if got != *n {
                problems.push(format!(
                    "code {code}: expected {n} responses, got {got} (all codes: {codes:?})"
                ));
            }
        }
        if problems.is_empty() { Ok(()) } else { Err((problems, None)) }
    }

    // ---- state checks through the admin API ----

    async fn admin(
        &mut self,
        method: &str,
        path_and_query: &str,
        body: Option<Value>,
    ) -> Result<HttpResponse, (Vec<String>, Option<String>)> {
        let (_, authority) = self.target.origin();
        let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let request = HttpRequest {
            method: method.to_string(),
            path_and_query: path_and_query.to_string(),
            headers: vec![
                ("host".into(), authority),
                ("content-type".into(), "application/json".into()),
            ],
            body,
        };
        self.requests += 1;
        match self.target.send(request).await {
            Ok(Some(response)) => Ok(response),
            Ok(None) => fail(format!("admin {path_and_query}: the connection dropped")),
            Err(e) => fail(format!("admin {path_and_query}: {e}")),
        }
    }

    fn skip_without_admin(&mut self, what: &str) -> bool {
        if self.target.has_admin() {
            return false;
        }
        self.notes
            .push(format!("skipped {what}: the target has no admin API (a NetSuite sandbox)"));
        true
    }

    async fn stock(&mut self, rows: &[StockExpect]) -> StepResult {
        if self.skip_without_admin("a stock check") {
            return Ok(());
        }
        let mut problems = Vec::new();
        for row in rows {
            let item = Self::text(&self.interpolate(&row.item)?);
            let key = if item.chars().all(|c| c.is_ascii_digit()) { "item" } else { "sku" };
            let path =
                format!("/__admin/stock?{key}={}&location={}", percent_encode(&item), row.location);
            let response = self.admin("GET", &path, None).await?;
            let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
            let actual = body["stock"].get(0).cloned().unwrap_or_else(|| {
                json!({"quantityOnHand": 0, "quantityAvailable": 0, "quantityCommitted": 0, "quantityOnOrder": 0, "quantityInTransit": 0, "quantityBackOrdered": 0})
            });
            let mut expected = serde_json::Map::new();
            for (field, value) in [
                ("quantityOnHand", &row.on_hand),
                ("quantityAvailable", &row.available),
                ("quantityCommitted", &row.committed),
                ("quantityOnOrder", &row.on_order),
                ("quantityInTransit", &row.in_transit),
                ("quantityBackOrdered", &row.back_ordered),
            ] {
                if let Some(value) = value {
                    expected.insert(field.into(), self.interpolate(value)?);
                }
            }
            let mut mismatches = Vec::new();
            matcher::compare(
                &Value::Object(expected),
                Some(&actual),
                MatchMode::Partial,
                &format!("stock[{item}@{}]", row.location),
                &mut mismatches,
            );
            problems.extend(
                mismatches
                    .into_iter()
                    .map(|m| format!("{}: expected {}, got {}", m.path, m.expected, m.actual)),
            );
        }
        if problems.is_empty() { Ok(()) } else { Err((problems, None)) }
    }

    async fn transactions(&mut self, expect: &TransactionsExpect) -> StepResult {
        if self.skip_without_admin("an audit-trail check") {
            return Ok(());
        }
        let mut path = "/__admin/transactions?limit=100000".to_string();
        if let Some(rt) = &expect.record_type {
            path += &format!("&recordType={}", percent_encode(rt));
        }
        if let Some(ext) = &expect.external_id {
            let ext = Self::text(&self.interpolate(&Value::String(ext.clone()))?);
            path += &format!("&externalId={}", percent_encode(&ext));
        }
        let response = self.admin("GET", &path, None).await?;
        let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        let rows = body["transactions"].as_array().cloned().unwrap_or_default();
        let mut problems = Vec::new();
        if let Some(count) = expect.count
            && rows.len() != count
        {
            problems.push(format!("transactions: expected {count}, got {}", rows.len()));
        }
        for (i, wanted) in expect.contains.iter().enumerate() {
            let wanted = self.interpolate(wanted)?;
            let found = rows.iter().any(|row| {
                let mut scratch = Vec::new();
                matcher::compare(&wanted, Some(row), MatchMode::Partial, "", &mut scratch);
                scratch.is_empty()
            });
            if !found {
                problems
                    .push(format!("transactions.contains[{i}]: no transaction matches {wanted}"));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err((problems, Some(Value::Array(rows).to_string())))
        }
    }

    async fn admin_step(&mut self, call: &AdminCall) -> StepResult {
        if self.skip_without_admin(&format!("admin {}", call.path)) {
            return Ok(());
        }
        let body = call.body.as_ref().map(|b| self.interpolate(b)).transpose()?;
        let method = call
            .method
            .clone()
            .unwrap_or_else(|| if body.is_some() { "POST".into() } else { "GET".into() });
        let path = Self::text(&self.interpolate(&Value::String(call.path.clone()))?);
        let response = self.admin(&method, &path, body).await?;
        let expect = call.expect.clone().unwrap_or_default();
        let problems = self.check(&expect, Some(&response));
        if problems.is_empty() { Ok(()) } else { Err((problems, Some(describe(&response)))) }
    }
}

fn describe(response: &HttpResponse) -> String {
    let body = String::from_utf8_lossy(&response.body);
    let body = if body.len() > 2000 { format!("{}…", &body[..2000]) } else { body.into_owned() };
    format!("HTTP {} {body}", response.status)
}

/// Replaces `${name}` in every string of `value`; a string that is exactly `${name}` takes the
/// variable's JSON value (so numbers stay numbers).
pub fn interpolate(value: &Value, vars: &BTreeMap<String, Value>) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => {
            if let Some(name) = s.strip_prefix("${").and_then(|r| r.strip_suffix('}'))
                && !name.contains("${")
                && !name.contains('}')
            {
                return vars
                    .get(name)
                    .cloned()
                    .ok_or_else(|| format!("unknown variable ${{{name}}}"));
            }
            let mut out = String::new();
            let mut rest = s.as_str();
            while let Some(start) = rest.find("${") {
                out.push_str(&rest[..start]);
                let after = &rest[start + 2..];
                let end = after.find('}').ok_or_else(|| format!("unclosed ${{ in {s:?}"))?;
                let name = &after[..end];
                let var = vars.get(name).ok_or_else(|| format!("unknown variable ${{{name}}}"))?;
                match var {
                    Value::String(v) => out.push_str(v),
                    other => out.push_str(&other.to_string()),
                }
                rest = &after[end + 1..];
            }
            out.push_str(rest);
            Value::String(out)
        }
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| interpolate(v, vars)).collect::<Result<_, _>>()?)
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), interpolate(v, vars)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}
