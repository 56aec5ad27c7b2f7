//! Token-Based Authentication of a RESTlet call (contract 4.1; facts 4.1).
//!
//! Every failure is the same 401 to the client; the precise reason, in NetSuite's Login
//! Audit Trail vocabulary, and the base string the emulator computed go to the login audit.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use fixture::{Account, DeploymentDef};
use oauth1_signature::{NonceStore, NonceVerdict, OAuthHeader, RequestTarget};
use serde::Serialize;

/// Who a verified request acts as.
#[derive(Clone, Debug)]
pub(crate) struct Principal {
    /// The token's fixture name (`wms`), recorded as the actor in the audit trail.
    pub token_name: String,
    pub integration: String,
}

/// One failed login, as the admin login audit shows it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LoginAuditEntry {
    /// Unix milliseconds on the emulator clock.
    pub time: i64,
    pub account: String,
    /// Login Audit Trail detail (facts 4.1.10).
    pub detail: &'static str,
    pub token_id: Option<String>,
    pub consumer_key: Option<String>,
    pub method: String,
    pub url: String,
    /// The base string the emulator computed from the request (never a secret).
    pub base_string: Option<String>,
}

/// Authentication state of one account: used nonces and lockouts.
pub(crate) struct AuthState {
    nonces: Mutex<NonceStore>,
    /// Per token id: consecutive failures, and locked-until (Unix ms).
    lockouts: Mutex<HashMap<String, (u32, i64)>>,
}

/// The emulator keeps at most this many nonces per account (about 140 MB); past it the oldest
/// are forgotten early, so memory stays bounded and valid requests are never refused. That
/// covers about 13,000 requests a second inside a 300 s window.
const NONCE_CAPACITY: usize = 4_000_000;

impl AuthState {
    pub(crate) fn new(account: &Account) -> AuthState {
        AuthState {
            nonces: Mutex::new(NonceStore::new(
                account.settings.timestamp_window_secs,
                NONCE_CAPACITY,
            )),
            lockouts: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn reset(&self) {
        self.nonces.lock().expect("nonce lock").clear();
        self.lockouts.lock().expect("lockout lock").clear();
    }

    pub(crate) fn nonce_count(&self) -> usize {
        self.nonces.lock().expect("nonce lock").len()
    }
}

/// The request facts authentication needs.
pub(crate) struct AuthRequest<'a> {
    pub method: &'a str,
    pub target: RequestTarget<'a>,
    pub authorization: Option<&'a str>,
    /// Unix milliseconds on the emulator clock.
    pub now_ms: i64,
}

/// A failure: the detail name, and what the audit should show.
pub(crate) struct AuthFailure {
    pub detail: &'static str,
    pub token_id: Option<String>,
    pub consumer_key: Option<String>,
    pub base_string: Option<String>,
}

fn fail(detail: &'static str) -> AuthFailure {
    AuthFailure { detail, token_id: None, consumer_key: None, base_string: None }
}

/// Verifies a request against one account and the deployment it routes to.
pub(crate) fn authenticate(
    account: &Account,
    state: &AuthState,
    deployment: &DeploymentDef,
    req: &AuthRequest<'_>,
) -> Result<Principal, AuthFailure> {
    let header = match req.authorization {
        None => return Err(fail("MissingTokenPassportRequiredFields")),
        Some(h) => h,
    };
    let header = match OAuthHeader::parse(header) {
        Ok(h) => h,
        // NLAuth (not for RESTlets since 2021.1) and OAuth 2.0 bearer tokens (a later
        // capability) are refused like any other failed login (contract 4.1).
        Err(oauth1_signature::HeaderError::Scheme(_)) => return Err(fail("FeatureDisabled")),
        Err(_) => return Err(fail("parameter_rejected")),
    };
    let consumer_key = header.get("oauth_consumer_key").map(str::to_string);
    let token_id = header.get("oauth_token").map(str::to_string);
    let base_string = oauth1_signature::base_string(req.method, &req.target, &header.params);
    let failure = |detail: &'static str| AuthFailure {
        detail,
        token_id: token_id.clone(),
        consumer_key: consumer_key.clone(),
        base_string: base_string.clone(),
    };
    let (Some(consumer_key_value), Some(token_value), Some(signature), Some(base)) = (
        consumer_key.as_deref(),
        token_id.as_deref(),
        header.signature.as_deref(),
        base_string.as_deref(),
    ) else {
        return Err(failure("MissingTokenPassportRequiredFields"));
    };
    // The realm names the account exactly: credential form, case-sensitive (facts 4.1.2).
    if header.realm.as_deref() != Some(account.id.as_str()) {
        return Err(failure("parameter_rejected"));
    }
    if header.get("oauth_signature_method") != Some(oauth1_signature::SIGNATURE_METHOD) {
        return Err(failure("UnknownAlgorithm"));
    }
    if header.get("oauth_version").is_some_and(|v| v != "1.0") {
        return Err(failure("VersionRejected"));
    }
    let Some(integration) = account
        .integrations
        .iter()
        .map(|i| &i.value)
        .find(|i| i.consumer_key == consumer_key_value)
    else {
        return Err(failure("consumer_key_unknown"));
    };
    let Some(token) = account.tokens.iter().map(|t| &t.value).find(|t| t.token_id == token_value)
    else {
        return Err(failure("token_rejected"));
    };
    if token.revoked || token.integration != integration.name {
        return Err(failure("token_rejected"));
    }
    {
        let lockouts = state.lockouts.lock().expect("lockout lock");
        if lockouts.get(token_value).is_some_and(|(_, until)| *until > req.now_ms) {
            return Err(failure("temporary_locked"));
        }
    }
    let window_ms = account.settings.timestamp_window_secs as i64 * 1000;
    let timestamp: Option<i64> = header.get("oauth_timestamp").and_then(|t| t.parse().ok());
    let Some(timestamp) = timestamp.filter(|t| (t * 1000 - req.now_ms).abs() <= window_ms) else {
        return Err(record_failure(
            account,
            state,
            token_value,
            failure("InvalidTimestamp"),
            req.now_ms,
        ));
    };
    let nonce = header.get("oauth_nonce").unwrap_or("");
    if nonce.len() < 6 {
        return Err(record_failure(
            account,
            state,
            token_value,
            failure("nonce_rejected"),
            req.now_ms,
        ));
    }
    if !oauth1_signature::verify(base, &integration.consumer_secret, &token.token_secret, signature)
    {
        return Err(record_failure(
            account,
            state,
            token_value,
            failure("InvalidSignature"),
            req.now_ms,
        ));
    }
    // Nonces are recorded only for correctly signed requests, so nobody can burn another
    // client's nonces.
    let verdict = state.nonces.lock().expect("nonce lock").check_and_insert(
        token_value,
        nonce,
        timestamp.max(0) as u64,
        (req.now_ms / 1000).max(0) as u64,
    );
    match verdict {
        NonceVerdict::Fresh | NonceVerdict::FreshEvicted => {}
        NonceVerdict::Replayed => return Err(failure("nonce_used")),
    }
    if !deployment.audience.is_empty() && !deployment.audience.contains(&token.role) {
        return Err(failure("permission_denied"));
    }
    state.lockouts.lock().expect("lockout lock").remove(token_value);
    Ok(Principal { token_name: token.name.clone(), integration: integration.name.clone() })
}

/// Counts a failure towards the token's lockout (`temporary_locked`, facts 4.1.10).
fn record_failure(
    account: &Account,
    state: &AuthState,
    token_id: &str,
    failure: AuthFailure,
    now_ms: i64,
) -> AuthFailure {
    let limit = account.settings.lockout_after_failures;
    if limit > 0 {
        let mut lockouts = state.lockouts.lock().expect("lockout lock");
        let entry = lockouts.entry(token_id.to_string()).or_insert((0, 0));
        entry.0 += 1;
        if entry.0 >= limit {
            *entry = (0, now_ms + account.settings.lockout_secs as i64 * 1000);
        }
    }
    failure
}

/// The most recent login failures, newest first, bounded.
pub(crate) struct LoginAudit {
    entries: Mutex<VecDeque<LoginAuditEntry>>,
    capacity: usize,
}

impl LoginAudit {
    pub(crate) fn new(capacity: usize) -> LoginAudit {
        LoginAudit { entries: Mutex::new(VecDeque::new()), capacity }
    }

    pub(crate) fn push(&self, entry: LoginAuditEntry) {
        let mut entries = self.entries.lock().expect("audit lock");
        entries.push_front(entry);
        entries.truncate(self.capacity);
    }

    pub(crate) fn list(&self, account: Option<&str>) -> Vec<LoginAuditEntry> {
        let entries = self.entries.lock().expect("audit lock");
        entries.iter().filter(|e| account.is_none_or(|a| e.account == a)).cloned().collect()
    }

    pub(crate) fn clear(&self, account: Option<&str>) {
        let mut entries = self.entries.lock().expect("audit lock");
        entries.retain(|e| account.is_some_and(|a| e.account != a));
    }
}
