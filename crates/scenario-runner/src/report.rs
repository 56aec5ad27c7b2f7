//! Reporting: a console summary with located failures, and JUnit XML for CI.

use std::fmt::Write;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::run::ScenarioOutcome;

/// Every outcome of a run.
#[derive(Clone, Debug)]
pub struct Summary {
    pub outcomes: Vec<ScenarioOutcome>,
    pub duration: Duration,
    pub jobs: usize,
}

impl Summary {
    pub fn passed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.failure.is_none() && o.skipped.is_none()).count()
    }

    pub fn failed(&self) -> usize {
        self.outcomes.iter().filter(|o| o.failure.is_some()).count()
    }

    pub fn skipped(&self) -> usize {
        self.outcomes.iter().filter(|o| o.skipped.is_some()).count()
    }

    pub fn steps(&self) -> usize {
        self.outcomes.iter().map(|o| o.steps).sum()
    }

    pub fn requests(&self) -> usize {
        self.outcomes.iter().map(|o| o.requests).sum()
    }

    /// The console report: one line per scenario, failures in detail, then the totals.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for o in &self.outcomes {
            let ms = o.duration.as_secs_f64() * 1000.0;
            match (&o.failure, &o.skipped) {
                (Some(failure), _) => {
                    let _ = writeln!(out, "FAIL {} ({}) {ms:.0} ms", o.name, o.path);
                    let _ = writeln!(out, "  at {}: {}", failure.location, failure.step);
                    for problem in &failure.problems {
                        let _ = writeln!(out, "    {problem}");
                    }
                    if let Some(response) = &failure.response {
                        let _ = writeln!(out, "  response: {response}");
                    }
                }
                (None, Some(why)) => {
                    let _ = writeln!(out, "skip {} ({}): {why}", o.name, o.path);
                }
                (None, None) => {
                    let _ = writeln!(out, "ok   {} ({} steps, {ms:.0} ms)", o.name, o.steps);
                }
            }
            for note in &o.notes {
                let _ = writeln!(out, "     note: {note}");
            }
        }
        let secs = self.duration.as_secs_f64();
        let rate = if secs > 0.0 { self.steps() as f64 / secs } else { 0.0 };
        let _ = writeln!(
            out,
            "{} steps, {} requests in {secs:.2} s ({rate:.0} steps/s, {} job{})",
            self.steps(),
            self.requests(),
            self.jobs,
            if self.jobs == 1 { "" } else { "s" }
        );
        let _ = writeln!(
            out,
            "scenarios: {} passed, {} failed, {} skipped",
            self.passed(),
            self.failed(),
            self.skipped()
        );
        out
    }

    /// JUnit XML: one test case per scenario.
    pub fn junit(&self) -> String {
        let mut suite = TestSuite::new("netsuite-mock scenarios");
        for o in &self.outcomes {
            let status = match (&o.failure, &o.skipped) {
                (Some(failure), _) => {
                    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    status.set_message(format!("{}: {}", failure.location, failure.step));
                    let mut text = failure.problems.join("\n");
                    if let Some(response) = &failure.response {
                        text += &format!("\nresponse: {response}");
                    }
                    status.set_description(text);
                    status
                }
                (None, Some(why)) => {
                    let mut status = TestCaseStatus::skipped();
                    status.set_message(why.clone());
                    status
                }
                (None, None) => TestCaseStatus::success(),
            };
            let mut case = TestCase::new(o.name.clone(), status);
            case.set_classname(o.path.clone());
            case.set_time(o.duration);
            suite.add_test_case(case);
        }
        suite.set_time(self.duration);
        let mut report = Report::new("netsuite-mock");
        report.add_test_suite(suite);
        report.set_time(self.duration);
        report.to_string().unwrap_or_else(|e| format!("<!-- cannot render JUnit XML: {e} -->"))
    }
}
