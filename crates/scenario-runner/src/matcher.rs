//! Structural matching of expected against actual JSON, with typed wildcards.
//!
//! Objects match partially by default (extra actual keys are fine) or exactly; arrays match
//! element by element with equal length; numbers compare as exact decimals (`20` equals
//! `20.0`). A string starting with `!` is a matcher (`!any`, `!int`, `!re ^job-`,
//! `!approx 1.5 0.01`, …); `!!` escapes a literal `!`.

use std::str::FromStr;

use regex::Regex;
use rust_decimal::Decimal;
use serde_json::Value;

use crate::model::MatchMode;

/// One difference, located by a JSON path such as `body.lines[0].quantity`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    pub path: String,
    pub expected: String,
    pub actual: String,
}

fn show(value: Option<&Value>) -> String {
    match value {
        None => "(absent)".into(),
        Some(v) => {
            let text = v.to_string();
            if text.len() > 200 { format!("{}…", &text[..200]) } else { text }
        }
    }
}

fn decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(n) => {
            let text = n.to_string();
            Decimal::from_str(&text).ok().or_else(|| Decimal::from_scientific(&text).ok())
        }
        _ => None,
    }
}

fn parse_decimal(text: &str) -> Option<Decimal> {
    Decimal::from_str(text.trim()).ok()
}

/// Checks a `!matcher`; `Err` carries a problem with the matcher itself.
fn check_marker(marker: &str, actual: Option<&Value>) -> Result<bool, String> {
    let (name, arg) = marker.split_once(' ').map_or((marker, ""), |(n, a)| (n, a.trim()));
    let number = |v: Option<&Value>| v.and_then(decimal);
    Ok(match name {
        "any" => actual.is_some(),
        "absent" => actual.is_none(),
        "null" => matches!(actual, Some(Value::Null)),
        "notnull" => matches!(actual, Some(v) if !v.is_null()),
        "int" => matches!(actual, Some(Value::Number(n)) if n.is_i64() || n.is_u64()),
        "number" => matches!(actual, Some(Value::Number(_))),
        "string" => matches!(actual, Some(Value::String(_))),
        "bool" => matches!(actual, Some(Value::Bool(_))),
        "array" => matches!(actual, Some(Value::Array(_))),
        "object" => matches!(actual, Some(Value::Object(_))),
        "re" => {
            let re = Regex::new(arg).map_err(|e| format!("bad regex {arg:?}: {e}"))?;
            match actual {
                Some(Value::String(s)) => re.is_match(s),
                Some(Value::Number(n)) => re.is_match(&n.to_string()),
                _ => false,
            }
        }
        "approx" => {
            let mut parts = arg.split_whitespace();
            let (Some(target), Some(tolerance)) =
                (parts.next().and_then(parse_decimal), parts.next().and_then(parse_decimal))
            else {
                return Err(format!("!approx needs a value and a tolerance, got {arg:?}"));
            };
            number(actual).is_some_and(|n| (n - target).abs() <= tolerance)
        }
        "gt" | "ge" | "lt" | "le" => {
            let bound =
                parse_decimal(arg).ok_or_else(|| format!("!{name} needs a number, got {arg:?}"))?;
            number(actual).is_some_and(|n| match name {
                "gt" => n > bound,
                "ge" => n >= bound,
                "lt" => n < bound,
                _ => n <= bound,
            })
        }
        "len" => {
            let n: usize = arg.parse().map_err(|_| format!("!len needs a count, got {arg:?}"))?;
            match actual {
                Some(Value::Array(a)) => a.len() == n,
                Some(Value::String(s)) => s.chars().count() == n,
                Some(Value::Object(o)) => o.len() == n,
                _ => false,
            }
        }
        other => return Err(format!("unknown matcher !{other}")),
    })
}

/// Compares and appends every mismatch under `path`.
pub fn compare(
    expected: &Value,
    actual: Option<&Value>,
    mode: MatchMode,
    path: &str,
    out: &mut Vec<Mismatch>,
) {
    let mismatch = |out: &mut Vec<Mismatch>, expected: String| {
        out.push(Mismatch { path: path.to_string(), expected, actual: show(actual) });
    };
    match expected {
        Value::String(s) if s.starts_with('!') && !s.starts_with("!!") => {
            match check_marker(&s[1..], actual) {
                Ok(true) => {}
                Ok(false) => mismatch(out, s.clone()),
                Err(problem) => mismatch(out, format!("{s} ({problem})")),
            }
        }
        Value::String(s) => {
            let literal = s.strip_prefix('!').filter(|_| s.starts_with("!!")).unwrap_or(s);
            if actual.and_then(Value::as_str) != Some(literal) {
                mismatch(out, Value::String(literal.to_string()).to_string());
            }
        }
        Value::Number(_) => {
            if actual.and_then(decimal) != decimal(expected) {
                mismatch(out, expected.to_string());
            }
        }
        Value::Null | Value::Bool(_) => {
            if actual != Some(expected) {
                mismatch(out, expected.to_string());
            }
        }
        Value::Object(map) if map.len() == 1 && map.contains_key("!contains") => {
            let Some(Value::Array(items)) = actual else {
                return mismatch(out, "an array".into());
            };
            let wanted = match &map["!contains"] {
                Value::Array(w) => w.clone(),
                one => vec![one.clone()],
            };
            for (i, want) in wanted.iter().enumerate() {
                let found = items.iter().any(|item| {
                    let mut scratch = Vec::new();
                    compare(want, Some(item), MatchMode::Partial, path, &mut scratch);
                    scratch.is_empty()
                });
                if !found {
                    out.push(Mismatch {
                        path: format!("{path}[!contains {i}]"),
                        expected: format!("an element matching {want}"),
                        actual: show(actual),
                    });
                }
            }
        }
        Value::Object(map) => {
            let Some(Value::Object(actual_map)) = actual else {
                return mismatch(out, "an object".into());
            };
            for (key, want) in map {
                compare(want, actual_map.get(key), mode, &format!("{path}.{key}"), out);
            }
            if mode == MatchMode::Exact {
                for key in actual_map.keys().filter(|k| !map.contains_key(*k)) {
                    out.push(Mismatch {
                        path: format!("{path}.{key}"),
                        expected: "(absent)".into(),
                        actual: show(actual_map.get(key)),
                    });
                }
            }
        }
        Value::Array(items) => {
            let Some(Value::Array(actual_items)) = actual else {
                return mismatch(out, "an array".into());
            };
            if actual_items.len() != items.len() {
                mismatch(
                    out,
                    format!("an array of {} elements (got {})", items.len(), actual_items.len()),
                );
                return;
            }
            for (i, (want, got)) in items.iter().zip(actual_items).enumerate() {
                compare(want, Some(got), mode, &format!("{path}[{i}]"), out);
            }
        }
    }
}

/// Reads `body.a.b[2].c`-style paths out of a JSON value.
pub fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let mut current = value;
    for segment in path.split('.').filter(|s| !s.is_empty()) {
        let (key, indexes) = segment.split_once('[').map_or((segment, ""), |(k, rest)| (k, rest));
        if !key.is_empty() {
            current = current.get(key)?;
        }
        for index in indexes.split('[').filter(|s| !s.is_empty()) {
            let n: usize = index.trim_end_matches(']').parse().ok()?;
            current = current.get(n)?;
        }
    }
    Some(current)
}

#[cfg(test)]
mod tests {
    use rstest::rstest;
    use serde_json::json;

    use super::*;

    fn check(expected: Value, actual: Value, mode: MatchMode) -> Vec<String> {
        let mut out = Vec::new();
        compare(&expected, Some(&actual), mode, "body", &mut out);
        out.into_iter()
            .map(|m| format!("{}: expected {}, got {}", m.path, m.expected, m.actual))
            .collect()
    }

    #[rstest]
    #[case::partial_object(json!({"a": 1}), json!({"a": 1.0, "b": 2}), MatchMode::Partial, vec![])]
    #[case::exact_object(json!({"a": 1}), json!({"a": 1, "b": 2}), MatchMode::Exact, vec!["body.b: expected (absent), got 2"])]
    #[case::wrong_value(json!({"a": {"b": "x"}}), json!({"a": {"b": "y"}}), MatchMode::Partial, vec!["body.a.b: expected \"x\", got \"y\""])]
    #[case::missing(json!({"a": 1}), json!({}), MatchMode::Partial, vec!["body.a: expected 1, got (absent)"])]
    #[case::array_length(json!([1, 2]), json!([1]), MatchMode::Partial, vec!["body: expected an array of 2 elements (got 1), got [1]"])]
    #[case::typed(json!({"id": "!int", "s": "!string", "n": "!number", "z": "!absent"}), json!({"id": 7, "s": "x", "n": 1.5}), MatchMode::Partial, vec![])]
    #[case::typed_fails(json!({"id": "!int"}), json!({"id": "7"}), MatchMode::Partial, vec!["body.id: expected !int, got \"7\""])]
    #[case::regex(json!({"job": "!re ^job-[0-9a-f]{16}$"}), json!({"job": "job-00000000000000ff"}), MatchMode::Partial, vec![])]
    #[case::approx(json!({"q": "!approx 2.5 0.01"}), json!({"q": 2.505}), MatchMode::Partial, vec![])]
    #[case::contains(json!({"!contains": [{"code": "X"}]}), json!([{"code": "Y"}, {"code": "X", "m": 1}]), MatchMode::Partial, vec![])]
    #[case::contains_fails(json!({"!contains": {"code": "Z"}}), json!([{"code": "Y"}]), MatchMode::Partial, vec!["body[!contains 0]: expected an element matching {\"code\":\"Z\"}, got [{\"code\":\"Y\"}]"])]
    #[case::len(json!({"items": "!len 2"}), json!({"items": [1, 2]}), MatchMode::Partial, vec![])]
    #[case::escaped(json!("!!bang"), json!("!bang"), MatchMode::Partial, vec![])]
    #[case::bad_matcher(json!("!wat"), json!(1), MatchMode::Partial, vec!["body: expected !wat (unknown matcher !wat), got 1"])]
    fn matching(
        #[case] expected: Value,
        #[case] actual: Value,
        #[case] mode: MatchMode,
        #[case] problems: Vec<&str>,
    ) {
        assert_eq!(check(expected, actual, mode), problems);
    }

    #[test]
    fn lookup_paths() {
        let v = json!({"a": {"b": [{"c": 1}, {"c": 2}]}});
        assert_eq!(lookup(&v, "a.b[1].c"), Some(&json!(2)));
        assert_eq!(lookup(&v, "a.x"), None);
    }
}
