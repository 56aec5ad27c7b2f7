//! Statistics while the load runs (an HDR histogram overall and per second) and the final
//! report: text, JSON, and a self-contained HTML page with SVG charts.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::client::Reply;
use crate::ops::Recorder;

fn histogram() -> Histogram<u64> {
    // Microseconds from 1 µs to 10 minutes, 3 significant figures.
    Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds")
}

#[derive(Default)]
struct Second {
    requests: u64,
    ok: u64,
    throttled: u64,
    errors: u64,
    unknown: u64,
    latency: Option<Histogram<u64>>,
}

pub(crate) struct Stats {
    start: Instant,
    inner: Mutex<StatsInner>,
}

struct StatsInner {
    latency: Histogram<u64>,
    seconds: Vec<Second>,
    statuses: BTreeMap<u16, u64>,
    codes: BTreeMap<String, u64>,
    unknown: u64,
    retries: u64,
}

/// A one-line view while running.
#[derive(Clone, Debug)]
pub struct Progress {
    pub elapsed: Duration,
    pub requests: u64,
    pub per_second: f64,
    pub p99_ms: f64,
    pub throttled: u64,
    pub unknown: u64,
}

impl std::fmt::Display for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[{:>4.0}s] {} requests ({:.0}/s), p99 {:.2} ms, throttled {}, no answer {}",
            self.elapsed.as_secs_f64(),
            self.requests,
            self.per_second,
            self.p99_ms,
            self.throttled,
            self.unknown
        )
    }
}

impl Stats {
    pub(crate) fn new() -> Stats {
        Stats {
            start: Instant::now(),
            inner: Mutex::new(StatsInner {
                latency: histogram(),
                seconds: Vec::new(),
                statuses: BTreeMap::new(),
                codes: BTreeMap::new(),
                unknown: 0,
                retries: 0,
            }),
        }
    }

    pub(crate) fn progress(&self) -> Progress {
        let inner = self.inner.lock().expect("stats lock");
        let elapsed = self.start.elapsed();
        let requests = inner.latency.len();
        Progress {
            elapsed,
            requests,
            per_second: requests as f64 / elapsed.as_secs_f64().max(0.001),
            p99_ms: inner.latency.value_at_quantile(0.99) as f64 / 1000.0,
            throttled: inner.seconds.iter().map(|s| s.throttled).sum(),
            unknown: inner.unknown,
        }
    }

    pub(crate) fn finish(&self, duration: Duration) -> Measured {
        let inner = self.inner.lock().expect("stats lock");
        let h = &inner.latency;
        let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
        let ok = inner.statuses.get(&200).copied().unwrap_or(0);
        Measured {
            duration_secs: duration.as_secs_f64(),
            requests: h.len(),
            ok,
            requests_per_sec: h.len() as f64 / duration.as_secs_f64().max(0.001),
            ok_per_sec: ok as f64 / duration.as_secs_f64().max(0.001),
            latency_ms: Latency {
                p50: ms(0.5),
                p90: ms(0.9),
                p99: ms(0.99),
                p999: ms(0.999),
                max: h.max() as f64 / 1000.0,
                mean: h.mean() / 1000.0,
            },
            statuses: inner.statuses.clone(),
            codes: inner.codes.clone(),
            no_answer: inner.unknown,
            retries: inner.retries,
            timeline: inner
                .seconds
                .iter()
                .enumerate()
                .map(|(second, s)| Point {
                    second,
                    requests: s.requests,
                    ok: s.ok,
                    throttled: s.throttled,
                    errors: s.errors,
                    no_answer: s.unknown,
                    p50_ms: s
                        .latency
                        .as_ref()
                        .map_or(0.0, |h| h.value_at_quantile(0.5) as f64 / 1000.0),
                    p99_ms: s
                        .latency
                        .as_ref()
                        .map_or(0.0, |h| h.value_at_quantile(0.99) as f64 / 1000.0),
                })
                .collect(),
        }
    }
}

impl Recorder for Stats {
    fn attempt(&self, latency: Duration, reply: &Reply) {
        let micros = (latency.as_micros() as u64).clamp(1, 600_000_000);
        let second = self.start.elapsed().as_secs() as usize;
        let mut inner = self.inner.lock().expect("stats lock");
        let _ = inner.latency.record(micros);
        if inner.seconds.len() <= second {
            inner.seconds.resize_with(second + 1, Second::default);
        }
        let code = reply.code().map(str::to_string);
        let status = match reply {
            Reply::Answered { status, .. } => Some(*status),
            Reply::Unknown(_) => None,
        };
        {
            let s = &mut inner.seconds[second];
            s.requests += 1;
            match (status, code.as_deref()) {
                (Some(200), _) => s.ok += 1,
                (_, Some("SSS_REQUEST_LIMIT_EXCEEDED")) => s.throttled += 1,
                (None, _) => s.unknown += 1,
                _ => s.errors += 1,
            }
            let _ = s.latency.get_or_insert_with(histogram).record(micros);
        }
        match status {
            Some(status) => *inner.statuses.entry(status).or_default() += 1,
            None => inner.unknown += 1,
        }
        if let Some(code) = code {
            *inner.codes.entry(code).or_default() += 1;
        }
    }

    fn retry(&self) {
        self.inner.lock().expect("stats lock").retries += 1;
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    pub mean: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct Point {
    pub second: usize,
    pub requests: u64,
    pub ok: u64,
    pub throttled: u64,
    pub errors: u64,
    pub no_answer: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// What the load measured.
#[derive(Clone, Debug, Serialize)]
pub struct Measured {
    pub duration_secs: f64,
    pub requests: u64,
    pub ok: u64,
    pub requests_per_sec: f64,
    pub ok_per_sec: f64,
    pub latency_ms: Latency,
    pub statuses: BTreeMap<u16, u64>,
    pub codes: BTreeMap<String, u64>,
    /// Attempts with no answer (connection refused or dropped, timeout).
    pub no_answer: u64,
    pub retries: u64,
    pub timeline: Vec<Point>,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct LoadReport {
    pub target: String,
    pub mode: String,
    pub operations: BTreeMap<String, u64>,
    pub measured: Measured,
    pub reconciliation: Option<crate::reconcile::Reconciliation>,
    pub soak: Option<crate::soak::SoakReport>,
}

impl LoadReport {
    /// Whether the run proved what it had to: clean reconciliation, bounded growth.
    pub fn clean(&self) -> bool {
        self.reconciliation.as_ref().is_none_or(|r| r.clean)
    }

    pub fn text(&self) -> String {
        let m = &self.measured;
        let mut out = String::new();
        let _ = writeln!(out, "target {} ({}), {:.1} s", self.target, self.mode, m.duration_secs);
        let _ = writeln!(
            out,
            "operations: {}",
            self.operations.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
        );
        let _ = writeln!(
            out,
            "requests: {} ({:.0}/s), 200 OK: {} ({:.0}/s), retries: {}, no answer: {}",
            m.requests, m.requests_per_sec, m.ok, m.ok_per_sec, m.retries, m.no_answer
        );
        let l = &m.latency_ms;
        let _ = writeln!(
            out,
            "latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  p99.9 {:.2}  max {:.2}",
            l.p50, l.p90, l.p99, l.p999, l.max
        );
        let _ = writeln!(
            out,
            "statuses: {}",
            m.statuses.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", ")
        );
        if !m.codes.is_empty() {
            let _ = writeln!(
                out,
                "error codes: {}",
                m.codes.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(", ")
            );
        }
        if let Some(soak) = &self.soak {
            out += &soak.text();
        }
        match &self.reconciliation {
            None => out += "reconciliation: skipped\n",
            Some(r) => out += &r.text(),
        }
        out
    }

    /// A self-contained HTML page: latency and rejections over time as inline SVG.
    pub fn html(&self) -> String {
        let t = &self.measured.timeline;
        let latency = chart(
            "latency per second (ms)",
            t,
            &[("p50", "#2b6cb0", &|p: &Point| p.p50_ms), ("p99", "#c53030", &|p: &Point| p.p99_ms)],
        );
        let volume = chart(
            "requests per second",
            t,
            &[
                ("200 OK", "#2f855a", &|p: &Point| p.ok as f64),
                ("throttled", "#dd6b20", &|p: &Point| p.throttled as f64),
                ("errors", "#c53030", &|p: &Point| p.errors as f64),
                ("no answer", "#6b46c1", &|p: &Point| p.no_answer as f64),
            ],
        );
        format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>netsuite-mock load report</title>\
             <style>body{{font-family:sans-serif;margin:2em}}pre{{background:#f4f4f4;padding:1em}}</style></head><body>\
             <h1>Load report</h1><pre>{}</pre>{latency}{volume}</body></html>",
            escape(&self.text())
        )
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

type Series<'a> = (&'a str, &'a str, &'a dyn Fn(&Point) -> f64);

fn chart(title: &str, points: &[Point], series: &[Series<'_>]) -> String {
    let (w, h, pad) = (800.0, 240.0, 40.0);
    let max =
        series.iter().flat_map(|(_, _, f)| points.iter().map(f)).fold(0.0f64, f64::max).max(1e-9);
    let n = points.len().max(2) as f64 - 1.0;
    let mut svg = format!(
        "<h2>{}</h2><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\">",
        escape(title)
    );
    svg += &format!(
        "<line x1=\"{pad}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#999\"/>",
        h - pad,
        w - 10.0,
        h - pad
    );
    svg += &format!(
        "<text x=\"2\" y=\"{}\" font-size=\"11\">{max:.1}</text><text x=\"2\" y=\"{}\" font-size=\"11\">0</text>",
        pad - 5.0,
        h - pad
    );
    for (i, (name, color, f)) in series.iter().enumerate() {
        let coords: Vec<String> = points
            .iter()
            .enumerate()
            .map(|(x, p)| {
                format!(
                    "{:.1},{:.1}",
                    pad + (w - pad - 10.0) * x as f64 / n,
                    h - pad - (h - 2.0 * pad) * f(p) / max
                )
            })
            .collect();
        svg += &format!(
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" points=\"{}\"/>",
            coords.join(" ")
        );
        svg += &format!(
            "<text x=\"{}\" y=\"15\" font-size=\"12\" fill=\"{color}\">{}</text>",
            pad + 110.0 * i as f64,
            escape(name)
        );
    }
    svg += &format!(
        "<text x=\"{}\" y=\"{}\" font-size=\"11\">seconds</text></svg>",
        w / 2.0,
        h - 10.0
    );
    svg
}
