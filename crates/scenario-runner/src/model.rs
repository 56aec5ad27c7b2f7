//! The scenario file format (docs/scenarios.md is its reference). Deserialized with
//! serde-saphyr; steps keep their source location for error messages.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;

/// One scenario file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub name: Option<String>,
    pub description: Option<String>,
    /// A fixture file, relative to the scenario; the built-in demo when absent.
    pub fixture: Option<String>,
    /// The token that signs requests unless a step says otherwise (default `wms`).
    pub token: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Variables available as `${name}`.
    #[serde(default)]
    pub vars: BTreeMap<String, Value>,
    pub steps: Vec<Spanned<Step>>,
}

/// A file of reusable steps, pulled in by `include:`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepGroup {
    #[serde(default)]
    pub vars: BTreeMap<String, Value>,
    pub steps: Vec<Spanned<Step>>,
}

/// One step: exactly one of `request`, `parallel`, `stock`, `transactions`, `admin`,
/// `include`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub name: Option<String>,
    pub request: Option<RequestSpec>,
    pub expect: Option<Expect>,
    /// Variables taken from the response: `name: body.path.to[0].field`, `header.name`, `status`.
    #[serde(default)]
    pub capture: BTreeMap<String, String>,
    pub retry: Option<Retry>,
    pub parallel: Option<Parallel>,
    pub stock: Option<Vec<StockExpect>>,
    pub transactions: Option<TransactionsExpect>,
    pub admin: Option<AdminCall>,
    pub include: Option<String>,
}

/// A RESTlet call.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    /// GET by default, POST when there is a body.
    pub method: Option<String>,
    /// Numeric or string script id.
    pub script: Value,
    /// Numeric or string deploy id; `1` by default.
    pub deploy: Option<Value>,
    #[serde(default)]
    pub query: BTreeMap<String, Value>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// A JSON body.
    pub body: Option<Value>,
    /// A body sent as is (for malformed-input scenarios).
    pub raw_body: Option<String>,
    /// `application/json` by default; `none` sends no Content-Type.
    pub content_type: Option<String>,
    /// The fixture token that signs (default: the scenario's `token`).
    pub token: Option<String>,
    /// Deliberately broken authentication.
    pub auth: Option<AuthMode>,
}

/// Ways to break authentication on purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// No Authorization header.
    None,
    /// A signature made with a wrong token secret.
    BadSignature,
    /// A timestamp ten minutes old.
    StaleTimestamp,
    /// The realm in lowercase.
    LowercaseRealm,
    /// `HMAC-SHA1` as the signature method.
    Sha1,
    /// `oauth_version="2.0"`.
    BadVersion,
    /// A 5-character nonce.
    ShortNonce,
    /// The nonce and timestamp of the previous signed request of this scenario.
    ReplayNonce,
    /// An NLAuth header.
    Nlauth,
    /// An OAuth 2.0 bearer header.
    Bearer,
}

/// What a response must look like.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// A status or a list of accepted statuses.
    pub status: Option<StatusSpec>,
    /// Shorthand for `body: {error: {code: …}}`.
    pub code: Option<String>,
    /// Shorthand for `body: {error: {message: …}}`.
    pub message: Option<String>,
    pub body: Option<Value>,
    /// The raw body as text: a string, or a `!re …` matcher (for text and XML responses).
    pub text: Option<Value>,
    /// `partial` (default): objects may have more keys than expected; `exact`: same keys.
    #[serde(rename = "match")]
    pub match_mode: Option<MatchMode>,
    /// Header matchers (names case-insensitive).
    #[serde(default)]
    pub headers: BTreeMap<String, Value>,
    /// The connection is expected to drop without a response.
    #[serde(default)]
    pub dropped: bool,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum StatusSpec {
    One(u16),
    Any(Vec<u16>),
}

impl StatusSpec {
    pub fn accepts(&self, status: u16) -> bool {
        match self {
            StatusSpec::One(s) => *s == status,
            StatusSpec::Any(list) => list.contains(&status),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchMode {
    #[default]
    Partial,
    Exact,
}

/// Repeat the request until `until` (or the step's `expect`) holds.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    pub until: Option<Expect>,
    /// Attempts at most (1..=1000).
    pub max: u32,
    pub interval_ms: u64,
}

/// `count` copies of one request released together.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parallel {
    /// 1..=200; `${i}` is the copy's index in the request.
    pub count: usize,
    pub request: RequestSpec,
    /// Expected number of responses per status, e.g. `{200: 5, 429: 1}`.
    #[serde(default)]
    pub statuses: BTreeMap<u16, usize>,
    /// Expected number of responses per error code.
    #[serde(default)]
    pub codes: BTreeMap<String, usize>,
}

/// A stock row read through the admin API; omitted quantities are not checked.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockExpect {
    /// Internal id or SKU.
    pub item: Value,
    pub location: u64,
    pub on_hand: Option<Value>,
    pub available: Option<Value>,
    pub committed: Option<Value>,
    pub on_order: Option<Value>,
    pub in_transit: Option<Value>,
    pub back_ordered: Option<Value>,
}

/// Facts about the audit trail.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransactionsExpect {
    pub record_type: Option<String>,
    pub external_id: Option<String>,
    pub count: Option<usize>,
    /// Each expected entry must partially match some transaction.
    #[serde(default)]
    pub contains: Vec<Value>,
}

/// A call to the emulator's admin API (skipped, with a note, against a sandbox).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminCall {
    pub method: Option<String>,
    pub path: String,
    pub body: Option<Value>,
    pub expect: Option<Expect>,
}
