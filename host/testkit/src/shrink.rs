//! `--shrink`: a failing case's input made as small as it can be while
//! the case still fails the same way: the same first unmet expectation,
//! and the execution ending with the same error (an input stripped of the
//! field a rule reads fails too, but with `States.Runtime`).
//!
//! Greedy and bounded: each round tries removing one field or array item,
//! or making one value simpler (a number 0, a string empty, an array or
//! object empty, a boolean false), keeps the first change that still fails
//! the same way, and starts again, until no change does or the budget of
//! runs is spent. Every try is a whole run of the case, in virtual time.

use serde_json::{Map, Value};

use crate::run::{Runner, Verdict};
use crate::suite::Case;

/// A smaller input that fails as the original did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Shrunk {
    /// The smallest failing input found.
    pub input: Value,
    /// The expectation it still misses.
    pub fails: String,
    /// Runs it took.
    pub runs: usize,
}

/// Shrinks `case`'s input while its first unmet expectation stays
/// `fails` and its execution's error stays `error`, in at most `budget`
/// runs. `None` when no smaller input fails the same way.
pub fn shrink(runner: &Runner, case: &Case, fails: &str, error: Option<&str>, budget: usize) -> Option<Shrunk> {
    let still_fails = |input: &Value| {
        let ran = runner.run_trial(case, input);
        let same_error = ran.result.as_ref().map(|r| r.error.as_deref()) == Some(error);
        match ran.verdict {
            Verdict::Failed(unmet) => same_error && unmet.first().is_some_and(|u| u.expectation == fails),
            _ => false,
        }
    };
    let mut current = case.input.clone();
    let mut runs = 0;
    let mut changed = false;
    'rounds: while runs < budget {
        for candidate in simpler(&current) {
            if runs >= budget {
                break 'rounds;
            }
            runs += 1;
            if still_fails(&candidate) {
                current = candidate;
                changed = true;
                continue 'rounds;
            }
        }
        break;
    }
    changed.then(|| Shrunk {
        input: current,
        fails: fails.to_owned(),
        runs,
    })
}

/// Every input one step simpler than `value`, most drastic first.
fn simpler(value: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    match value {
        Value::Object(fields) => {
            if !fields.is_empty() {
                out.push(Value::Object(Map::new()));
            }
            for key in fields.keys() {
                let mut without = fields.clone();
                without.shift_remove(key);
                out.push(Value::Object(without));
            }
            for (key, v) in fields {
                for smaller in simpler(v) {
                    let mut with = fields.clone();
                    with.insert(key.clone(), smaller);
                    out.push(Value::Object(with));
                }
            }
        }
        Value::Array(items) => {
            if !items.is_empty() {
                out.push(Value::Array(Vec::new()));
            }
            if items.len() > 1 {
                out.push(Value::Array(items[..items.len() / 2].to_vec()));
            }
            for i in 0..items.len() {
                let mut without = items.clone();
                without.remove(i);
                out.push(Value::Array(without));
            }
            for (i, v) in items.iter().enumerate() {
                for smaller in simpler(v) {
                    let mut with = items.clone();
                    with[i] = smaller;
                    out.push(Value::Array(with));
                }
            }
        }
        Value::Number(n) if n.as_f64() != Some(0.0) => out.push(Value::from(0)),
        Value::String(s) if !s.is_empty() => out.push(Value::String(String::new())),
        Value::Bool(true) => out.push(Value::Bool(false)),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn simpler_values_remove_and_reduce_one_thing_at_a_time() {
        let v = json!({"a": 5, "b": "x"});
        let s = simpler(&v);
        assert_eq!(s[0], json!({}));
        assert!(s.contains(&json!({"b": "x"})));
        assert!(s.contains(&json!({"a": 0, "b": "x"})));
        assert!(s.contains(&json!({"a": 5, "b": ""})));
        assert!(simpler(&json!(0)).is_empty());
        assert!(simpler(&json!(null)).is_empty());
    }
}
