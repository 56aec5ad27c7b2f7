//! Soak sampling of a local server process: resident memory and open file descriptors over
//! time, and their growth after warm-up.

use std::fmt::Write;
use std::time::Duration;

use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct Sample {
    pub second: f64,
    pub rss_kb: u64,
    pub fds: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct SoakReport {
    pub pid: u32,
    pub samples: Vec<Sample>,
    /// Samples before this second are warm-up and left out of the growth figures.
    pub warmup_secs: f64,
    /// Least-squares slope of RSS after warm-up, KiB per minute.
    pub rss_slope_kb_per_min: f64,
    /// RSS at the end relative to the first sample after warm-up, in percent.
    pub rss_growth_percent: f64,
    pub fds_first: u64,
    pub fds_last: u64,
}

impl SoakReport {
    pub fn text(&self) -> String {
        let mut out = String::new();
        let last = self.samples.last().map_or(0, |s| s.rss_kb);
        let _ = writeln!(
            out,
            "soak (pid {}): RSS {} KiB at the end, growth after {:.0} s warm-up {:+.2} % (slope {:+.1} KiB/min), open fds {} -> {}",
            self.pid,
            last,
            self.warmup_secs,
            self.rss_growth_percent,
            self.rss_slope_kb_per_min,
            self.fds_first,
            self.fds_last
        );
        out
    }
}

/// Reads one sample from /proc (Linux); `None` if the process is gone.
pub(crate) fn sample(pid: u32, second: f64) -> Option<Sample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())?;
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count() as u64).unwrap_or(0);
    Some(Sample { second, rss_kb, fds })
}

/// Summarizes samples, leaving out the first `warmup` of the run.
pub(crate) fn summarize(pid: u32, samples: Vec<Sample>, warmup: Duration) -> SoakReport {
    let warmup_secs = warmup.as_secs_f64();
    let steady: Vec<&Sample> = samples.iter().filter(|s| s.second >= warmup_secs).collect();
    let n = steady.len() as f64;
    let slope = if steady.len() >= 2 {
        let mx = steady.iter().map(|s| s.second).sum::<f64>() / n;
        let my = steady.iter().map(|s| s.rss_kb as f64).sum::<f64>() / n;
        let num: f64 = steady.iter().map(|s| (s.second - mx) * (s.rss_kb as f64 - my)).sum();
        let den: f64 = steady.iter().map(|s| (s.second - mx).powi(2)).sum();
        if den > 0.0 { num / den * 60.0 } else { 0.0 }
    } else {
        0.0
    };
    let growth = match (steady.first(), steady.last()) {
        (Some(a), Some(b)) if a.rss_kb > 0 => {
            (b.rss_kb as f64 - a.rss_kb as f64) / a.rss_kb as f64 * 100.0
        }
        _ => 0.0,
    };
    SoakReport {
        pid,
        fds_first: samples.first().map_or(0, |s| s.fds),
        fds_last: samples.last().map_or(0, |s| s.fds),
        samples,
        warmup_secs,
        rss_slope_kb_per_min: slope,
        rss_growth_percent: growth,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slope_and_growth_after_warmup() {
        let samples: Vec<Sample> = (0..10)
            .map(|i| Sample {
                second: i as f64 * 6.0,
                rss_kb: if i < 2 { 500 } else { 1000 + i * 10 },
                fds: 7,
            })
            .collect();
        let report = summarize(1, samples, Duration::from_secs(12));
        // +10 KiB every 6 s after warm-up: 100 KiB/min.
        assert!(
            (report.rss_slope_kb_per_min - 100.0).abs() < 1e-6,
            "{}",
            report.rss_slope_kb_per_min
        );
        assert!((report.rss_growth_percent - 70.0 / 1020.0 * 100.0).abs() < 1e-6);
    }

    #[test]
    fn samples_this_process() {
        let s = sample(std::process::id(), 0.0).expect("own /proc entry");
        assert!(s.rss_kb > 0 && s.fds > 0);
    }
}
