//! Fault rules (contract 8): matched by account, script/deploy and method, firing with a
//! probability from a seeded generator (so a run is reproducible) and at most `count` times.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// What a matching rule does to the call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "action")]
pub(crate) enum FaultAction {
    /// Adds `latencyMs` before the handler runs; the call holds its governance slot meanwhile.
    #[serde(rename_all = "camelCase")]
    Latency { latency_ms: u64 },
    /// Answers with a NetSuite error instead of running the handler.
    #[serde(rename_all = "camelCase")]
    Error { status: u16, code: String, message: String },
    /// 503 Service Unavailable, as when NetSuite's database is offline (facts 3.2).
    Unavailable,
    /// Closes the connection before any response; nothing is applied.
    Drop,
    /// Runs the handler (the write commits), then closes the connection without a response.
    ApplyThenDrop,
}

/// A rule as the admin API and fixtures take it. `latencyMs` alone (the pinned minimum) means
/// a latency rule.
pub(crate) type FaultSpec = fixture::FaultDef;

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FaultRule {
    pub id: u64,
    pub account: Option<String>,
    pub script: Option<String>,
    pub deploy: Option<String>,
    pub method: Option<String>,
    pub probability: f64,
    pub remaining: Option<u64>,
    pub seed: u64,
    pub fired: u64,
    #[serde(flatten)]
    pub action: FaultAction,
    #[serde(skip)]
    rng: u64,
}

/// The call being matched: its account, the deployment's ids in both forms, and the method.
pub(crate) struct FaultTarget<'a> {
    pub account: &'a str,
    pub script_ids: [&'a str; 2],
    pub deploy_ids: [&'a str; 2],
    pub method: &'a str,
}

/// Checks a rule and gives it an id.
fn into_rule(spec: FaultSpec, id: u64) -> Result<FaultRule, String> {
    {
        let action = match spec.action.as_deref() {
            None | Some("latency") => FaultAction::Latency {
                latency_ms: spec.latency_ms.ok_or("a latency rule needs latencyMs")?,
            },
            Some("error") => FaultAction::Error {
                status: spec.status.unwrap_or(400),
                code: spec.code.ok_or("an error rule needs code")?,
                message: spec.message.unwrap_or_else(|| "Injected fault".into()),
            },
            Some("unavailable") => FaultAction::Unavailable,
            Some("drop") => FaultAction::Drop,
            Some("applyThenDrop") => FaultAction::ApplyThenDrop,
            Some(other) => {
                return Err(format!(
                    "unknown action {other:?}: use latency, error, unavailable, drop or applyThenDrop"
                ));
            }
        };
        let probability = spec.probability.unwrap_or(1.0);
        if !(0.0..=1.0).contains(&probability) {
            return Err("probability must be between 0 and 1".into());
        }
        if let FaultAction::Error { status, .. } = &action
            && !(400..=599).contains(status)
        {
            return Err("status must be 400..599".into());
        }
        let script = spec.script.as_ref().map(ToString::to_string);
        let deploy = spec.deploy.as_ref().map(ToString::to_string);
        let seed = spec.seed.unwrap_or(id);
        Ok(FaultRule {
            id,
            account: spec.account,
            script,
            deploy,
            method: spec.method.map(|m| m.to_ascii_uppercase()),
            probability,
            remaining: spec.count,
            seed,
            fired: 0,
            action,
            rng: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
        })
    }
}

impl FaultRule {
    fn matches(&self, target: &FaultTarget<'_>) -> bool {
        self.account.as_deref().is_none_or(|a| a == target.account)
            && self.script.as_deref().is_none_or(|s| target.script_ids.contains(&s))
            && self.deploy.as_deref().is_none_or(|d| target.deploy_ids.contains(&d))
            && self.method.as_deref().is_none_or(|m| m == target.method)
            && self.remaining != Some(0)
    }

    /// Draws from the rule's own generator (xorshift64*), so a seed replays the same choices.
    fn roll(&mut self) -> bool {
        if self.probability >= 1.0 {
            return true;
        }
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        let x = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
        ((x >> 11) as f64 / (1u64 << 53) as f64) < self.probability
    }
}

#[derive(Default)]
pub(crate) struct Faults {
    inner: Mutex<(u64, Vec<FaultRule>)>,
}

/// What the matching rules decided for one call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Decision {
    pub latency_ms: u64,
    /// An action replacing or following the handler (the first matching rule's).
    pub action: Option<FaultAction>,
}

impl Faults {
    pub(crate) fn add(&self, spec: FaultSpec) -> Result<FaultRule, String> {
        let mut inner = self.inner.lock().expect("faults lock");
        let id = inner.0 + 1;
        let rule = into_rule(spec, id)?;
        inner.0 = id;
        inner.1.push(rule.clone());
        Ok(rule)
    }

    pub(crate) fn list(&self) -> Vec<FaultRule> {
        self.inner.lock().expect("faults lock").1.clone()
    }

    pub(crate) fn remove(&self, id: u64) -> bool {
        let mut inner = self.inner.lock().expect("faults lock");
        let before = inner.1.len();
        inner.1.retain(|r| r.id != id);
        inner.1.len() != before
    }

    pub(crate) fn clear(&self, account: Option<&str>) {
        let mut inner = self.inner.lock().expect("faults lock");
        inner.1.retain(|r| account.is_some_and(|a| r.account.as_deref().is_some_and(|ra| ra != a)));
    }

    /// Evaluates every rule for a call: latencies add up; the first firing non-latency action
    /// wins.
    pub(crate) fn decide(&self, target: &FaultTarget<'_>) -> Decision {
        let mut inner = self.inner.lock().expect("faults lock");
        let mut decision = Decision::default();
        for rule in inner.1.iter_mut() {
            if !rule.matches(target) || !rule.roll() {
                continue;
            }
            match &rule.action {
                FaultAction::Latency { latency_ms } => decision.latency_ms += latency_ms,
                action if decision.action.is_none() => decision.action = Some(action.clone()),
                _ => continue,
            }
            rule.fired += 1;
            if let Some(remaining) = rule.remaining.as_mut() {
                *remaining -= 1;
            }
        }
        decision
    }
}
