//! Counters for `GET /metrics` in Prometheus text format (contract 7).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

#[derive(Default)]
struct Inner {
    /// (account, script, status, code) -> count.
    requests: BTreeMap<(String, String, u16, String), u64>,
    auth_failures: BTreeMap<(String, String), u64>,
    governance_rejections: BTreeMap<String, u64>,
    buckets: [u64; BUCKETS.len()],
    latency_count: u64,
    latency_sum: f64,
}

#[derive(Default)]
pub(crate) struct Metrics {
    inner: Mutex<Inner>,
}

impl Metrics {
    pub(crate) fn request(
        &self,
        account: &str,
        script: &str,
        status: u16,
        code: &str,
        seconds: f64,
    ) {
        let mut m = self.inner.lock().expect("metrics lock");
        *m.requests.entry((account.into(), script.into(), status, code.into())).or_default() += 1;
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                m.buckets[i] += 1;
            }
        }
        m.latency_count += 1;
        m.latency_sum += seconds;
    }

    pub(crate) fn auth_failure(&self, account: &str, detail: &str) {
        *self
            .inner
            .lock()
            .expect("metrics lock")
            .auth_failures
            .entry((account.into(), detail.into()))
            .or_default() += 1;
    }

    pub(crate) fn governance_rejection(&self, account: &str) {
        *self
            .inner
            .lock()
            .expect("metrics lock")
            .governance_rejections
            .entry(account.into())
            .or_default() += 1;
    }

    /// Prometheus text exposition; `gauges` adds (name, help, labels, value) lines.
    pub(crate) fn render(&self, gauges: &[(&str, &str, String, f64)]) -> String {
        let m = self.inner.lock().expect("metrics lock");
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP netsuite_mock_requests_total RESTlet requests by account, script, status and error code."
        );
        let _ = writeln!(out, "# TYPE netsuite_mock_requests_total counter");
        for ((account, script, status, code), n) in &m.requests {
            let _ = writeln!(
                out,
                "netsuite_mock_requests_total{{account=\"{account}\",script=\"{script}\",status=\"{status}\",code=\"{code}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP netsuite_mock_auth_failures_total Failed logins by Login Audit Trail detail."
        );
        let _ = writeln!(out, "# TYPE netsuite_mock_auth_failures_total counter");
        for ((account, detail), n) in &m.auth_failures {
            let _ = writeln!(
                out,
                "netsuite_mock_auth_failures_total{{account=\"{account}\",detail=\"{detail}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP netsuite_mock_governance_rejections_total Requests refused with SSS_REQUEST_LIMIT_EXCEEDED."
        );
        let _ = writeln!(out, "# TYPE netsuite_mock_governance_rejections_total counter");
        for (account, n) in &m.governance_rejections {
            let _ = writeln!(
                out,
                "netsuite_mock_governance_rejections_total{{account=\"{account}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP netsuite_mock_request_duration_seconds RESTlet request latency inside the emulator."
        );
        let _ = writeln!(out, "# TYPE netsuite_mock_request_duration_seconds histogram");
        for (i, bound) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                out,
                "netsuite_mock_request_duration_seconds_bucket{{le=\"{bound}\"}} {}",
                m.buckets[i]
            );
        }
        let _ = writeln!(
            out,
            "netsuite_mock_request_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            m.latency_count
        );
        let _ = writeln!(out, "netsuite_mock_request_duration_seconds_sum {}", m.latency_sum);
        let _ = writeln!(out, "netsuite_mock_request_duration_seconds_count {}", m.latency_count);
        let mut last = "";
        for (name, help, labels, value) in gauges {
            if *name != last {
                let _ = writeln!(out, "# HELP {name} {help}");
                let _ = writeln!(out, "# TYPE {name} gauge");
                last = name;
            }
            let _ = writeln!(out, "{name}{{{labels}}} {value}");
        }
        out
    }
}
