//! Finding and loading scenario files: includes expanded, every step checked, every problem
//! reported with file, line and column.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::model::{ScenarioFile, Step, StepGroup};

/// A problem in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    pub file: PathBuf,
    /// 1-based; 0 when the problem has no single place.
    pub line: u64,
    pub column: u64,
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file.display(), self.line, self.column, self.message)
    }
}

impl std::error::Error for LoadError {}

/// A step with the place it was written.
#[derive(Clone, Debug)]
pub struct LocatedStep {
    pub step: Step,
    pub file: PathBuf,
    pub line: u64,
}

impl LocatedStep {
    pub fn location(&self) -> String {
        format!("{}:{}", self.file.display(), self.line)
    }

    pub fn label(&self, index: usize) -> String {
        match &self.step.name {
            Some(name) => format!("step {} {name:?}", index + 1),
            None => format!("step {}", index + 1),
        }
    }
}

/// A loaded scenario, ready to run.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub path: PathBuf,
    pub name: String,
    pub description: Option<String>,
    /// Resolved fixture path; `None` for the built-in demo.
    pub fixture: Option<PathBuf>,
    pub token: String,
    pub tags: Vec<String>,
    pub vars: BTreeMap<String, Value>,
    pub steps: Vec<LocatedStep>,
}

/// Whether a file is a step group for `include:` rather than a scenario: its name starts with
/// `_` or it sits in a folder named `includes`.
fn is_include_file(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('_'))
        || path.components().any(|c| c.as_os_str() == "includes")
}

/// Scenario files under `paths` (files as given; folders searched for `*.yaml`/`*.yml`), sorted.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, LoadError> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), LoadError> {
        let entries = std::fs::read_dir(dir).map_err(|e| io_error(dir, &e))?;
        for entry in entries {
            let path = entry.map_err(|e| io_error(dir, &e))?.path();
            if path.is_dir() {
                walk(&path, out)?;
            } else if matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
                && !is_include_file(&path)
            {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut out)?;
        } else if path.exists() {
            out.push(path.clone());
        } else {
            return Err(LoadError {
                file: path.clone(),
                line: 0,
                column: 0,
                message: "no such file or folder".into(),
            });
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn io_error(path: &Path, err: &std::io::Error) -> LoadError {
    LoadError {
        file: path.to_path_buf(),
        line: 0,
        column: 0,
        message: format!("cannot read: {err}"),
    }
}

fn parse<T: for<'de> serde::Deserialize<'de>>(path: &Path, text: &str) -> Result<T, LoadError> {
    serde_saphyr::from_str(text).map_err(|err| {
        let (line, column) = err.location().map_or((0, 0), |l| (l.line(), l.column()));
        LoadError { file: path.to_path_buf(), line, column, message: err.to_string() }
    })
}

/// Loads, expands and checks one scenario file.
pub fn load(path: &Path) -> Result<Scenario, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|e| io_error(path, &e))?;
    let file: ScenarioFile = parse(path, &text)?;
    let mut vars = file.vars.clone();
    let mut steps = Vec::new();
    expand(path, file.steps, &mut steps, &mut vars, 0)?;
    if steps.is_empty() {
        return Err(LoadError {
            file: path.to_path_buf(),
            line: 1,
            column: 1,
            message: "a scenario needs at least one step".into(),
        });
    }
    let name = file.name.unwrap_or_else(|| {
        path.file_stem().and_then(|s| s.to_str()).unwrap_or("scenario").replace(['_', '-'], " ")
    });
    let fixture = file
        .fixture
        .filter(|f| f != "demo")
        .map(|f| path.parent().unwrap_or(Path::new(".")).join(f));
    Ok(Scenario {
        path: path.to_path_buf(),
        name,
        description: file.description,
        fixture,
        token: file.token.unwrap_or_else(|| "wms".into()),
        tags: file.tags,
        vars,
        steps,
    })
}

fn expand(
    file: &Path,
    steps: Vec<serde_saphyr::Spanned<Step>>,
    out: &mut Vec<LocatedStep>,
    vars: &mut BTreeMap<String, Value>,
    depth: usize,
) -> Result<(), LoadError> {
    for spanned in steps {
        let (line, column) = (spanned.referenced.line(), spanned.referenced.column());
        let step = spanned.value;
        let located =
            |message: String| LoadError { file: file.to_path_buf(), line, column, message };
        check_step(&step).map_err(located)?;
        if let Some(include) = &step.include {
            if depth >= 8 {
                return Err(located("includes nest deeper than 8 (a cycle?)".into()));
            }
            let target = file.parent().unwrap_or(Path::new(".")).join(include);
            let text = std::fs::read_to_string(&target)
                .map_err(|e| located(format!("include {}: {e}", target.display())))?;
            let group: StepGroup = parse(&target, &text)?;
            for (k, v) in group.vars {
                vars.entry(k).or_insert(v);
            }
            expand(&target, group.steps, out, vars, depth + 1)?;
        } else {
            out.push(LocatedStep { step, file: file.to_path_buf(), line });
        }
    }
    Ok(())
}

/// Checks that a step is one thing and that its numbers are in range.
fn check_step(step: &Step) -> Result<(), String> {
    let kinds = [
        ("request", step.request.is_some()),
        ("parallel", step.parallel.is_some()),
        ("stock", step.stock.is_some()),
        ("transactions", step.transactions.is_some()),
        ("admin", step.admin.is_some()),
        ("include", step.include.is_some()),
    ];
    let present: Vec<&str> = kinds.iter().filter(|(_, p)| *p).map(|(k, _)| *k).collect();
    match present.len() {
        0 => {
            return Err(
                "a step needs one of request, parallel, stock, transactions, admin, include".into(),
            );
        }
        1 => {}
        _ => return Err(format!("a step has one kind, this one has {}", present.join(" and "))),
    }
    if step.request.is_none()
        && (step.expect.is_some() || step.retry.is_some() || !step.capture.is_empty())
    {
        return Err("expect, retry and capture belong to request steps".into());
    }
    let script_ok = |script: &Value| matches!(script, Value::String(_) | Value::Number(_));
    if let Some(request) = &step.request
        && !script_ok(&request.script)
    {
        return Err("request.script must be a numeric or string script id".into());
    }
    if let Some(retry) = &step.retry
        && !(1..=1000).contains(&retry.max)
    {
        return Err("retry.max must be between 1 and 1000".into());
    }
    if let Some(retry) = &step.retry
        && retry.interval_ms > 60_000
    {
        return Err("retry.interval_ms must be at most 60000".into());
    }
    if let Some(parallel) = &step.parallel {
        if !(1..=200).contains(&parallel.count) {
            return Err("parallel.count must be between 1 and 200".into());
        }
        if !script_ok(&parallel.request.script) {
            return Err("parallel.request.script must be a numeric or string script id".into());
        }
    }
    for (name, source) in &step.capture {
        if !(source == "status" || source.starts_with("body") || source.starts_with("header.")) {
            return Err(format!(
                "capture {name}: {source:?} must be status, body.<path> or header.<name>"
            ));
        }
    }
    Ok(())
}
