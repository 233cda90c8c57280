//! What a case expects, and how a run is held to it.
//!
//! A case without `status` expects `SUCCEEDED`, or `FAILED` when it names an
//! `error` or `cause`: a case that checks nothing else still fails when its
//! execution does.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;
use stepyard_interpreter::ExecutionResult;

use crate::matching::{brief, differences, equal, includes_in_order, partial_match};
use crate::trace::{Step, find};

/// How an expected value is compared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Matching {
    /// Equal (numbers by value).
    #[default]
    Exact,
    /// The actual value has at least the expected fields.
    Partial,
}

/// How an expected path is compared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PathMatching {
    /// The whole path, state by state.
    #[default]
    Exact,
    /// These states in this order, others allowed between.
    Includes,
}

/// A case's `expect`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Expectations {
    /// `SUCCEEDED`, `FAILED` or `TIMED_OUT`.
    pub status: Option<String>,
    /// The execution's output.
    pub output: Option<Value>,
    /// How `output` is compared.
    #[serde(default)]
    pub output_matching: Matching,
    /// The execution's error.
    pub error: Option<String>,
    /// The execution's cause.
    pub cause: Option<String>,
    /// The states taken (`Process[2].Charge` for one in a Map iteration).
    pub path: Option<Vec<String>>,
    /// How `path` is compared.
    #[serde(default)]
    pub path_matching: PathMatching,
    /// States that must not be entered (by name, anywhere).
    #[serde(default)]
    pub not_entered: Vec<String>,
    /// Per state (`Charge`, `Charge#2`, `Process[1].Charge`).
    #[serde(default)]
    pub states: BTreeMap<String, StateExpectation>,
    /// Table items after the run (`{TABLE: {KEY: ITEM}}`, each item
    /// compared partially; `null` for an item that must not exist).
    #[serde(default)]
    pub tables: crate::world::Tables,
    /// Log lines the plugins wrote: each must match one line (partially:
    /// `{message, level, state, plugin, fields}`), in any order.
    #[serde(default)]
    pub logs: Vec<Value>,
}

/// What the plugins left behind, read after the run.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// The items `tables` names (absent ones missing).
    pub tables: crate::world::Tables,
    /// Every log line of the execution.
    pub logs: Vec<Value>,
}

/// What one state entry must show.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct StateExpectation {
    /// Its input.
    pub input: Option<Value>,
    /// Its output.
    pub output: Option<Value>,
    /// How `input` and `output` are compared.
    #[serde(default)]
    pub matching: Matching,
    /// Attempts it made (1 without retries).
    pub attempts: Option<u32>,
    /// Variables it assigned (`Assign`), compared partially.
    pub variables: Option<Value>,
}

/// One expectation a run did not meet.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Unmet {
    /// Which expectation (`status`, `output`, `states.Charge.attempts`).
    pub expectation: String,
    /// What was expected and what came.
    pub message: String,
    /// Where two values differ, one line per place.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub differences: Vec<String>,
}

const STATUSES: [&str; 4] = ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"];

impl Expectations {
    /// Checks the expectations themselves (called when the suite loads).
    pub fn check(&self, at: &str) -> Result<(), (String, String)> {
        if let Some(s) = &self.status
            && !STATUSES.contains(&s.as_str())
        {
            return Err((
                format!("{at}.status"),
                format!("'{s}' is not a status: {}", STATUSES.join(", ")),
            ));
        }
        Ok(())
    }

    /// The status the case expects.
    pub fn status(&self) -> &str {
        match &self.status {
            Some(s) => s,
            None if self.error.is_some() || self.cause.is_some() => "FAILED",
            None => "SUCCEEDED",
        }
    }

    /// Whether the expectations read tables or logs (the case then needs a
    /// world of its own).
    pub fn reads_world(&self) -> bool {
        !self.tables.is_empty() || !self.logs.is_empty()
    }

    /// Every expectation `result`, `steps` and `observed` do not meet.
    pub fn evaluate(&self, result: &ExecutionResult, steps: &[Step], observed: &Observed) -> Vec<Unmet> {
        let mut unmet = Vec::new();
        let mut miss = |expectation: &str, message: String, differences: Vec<String>| {
            unmet.push(Unmet {
                expectation: expectation.to_owned(),
                message,
                differences,
            })
        };
        let status = result.status.as_str();
        if status != self.status() {
            let why = match (&result.error, &result.cause) {
                (Some(e), Some(c)) => format!(" ({e}: {c})"),
                (Some(e), None) => format!(" ({e})"),
                _ => String::new(),
            };
            miss(
                "status",
                format!("expected {}, got {status}{why}", self.status()),
                vec![],
            );
        }
        if let Some(expected) = &self.output {
            let partial = self.output_matching == Matching::Partial;
            match &result.output {
                None => miss(
                    "output",
                    format!("expected {}, but the execution has no output", brief(expected)),
                    vec![],
                ),
                Some(actual) => compare(&mut miss, "output", expected, actual, partial),
            }
        }
        for (field, expected, actual) in [
            ("error", &self.error, &result.error),
            ("cause", &self.cause, &result.cause),
        ] {
            if let Some(e) = expected
                && actual.as_ref() != Some(e)
            {
                let got = actual
                    .as_deref()
                    .map(|a| format!("'{a}'"))
                    .unwrap_or_else(|| "none".into());
                miss(field, format!("expected '{e}', got {got}"), vec![]);
            }
        }
        let path: Vec<String> = steps.iter().map(|s| s.path_name.clone()).collect();
        if let Some(expected) = &self.path {
            match self.path_matching {
                PathMatching::Exact if &path != expected => miss(
                    "path",
                    "the states taken differ".into(),
                    vec![
                        format!("expected: {}", expected.join(" → ")),
                        format!("got:      {}", path.join(" → ")),
                    ],
                ),
                PathMatching::Includes => {
                    if let Err(missing) = includes_in_order(&path, expected) {
                        miss(
                            "path",
                            format!("'{missing}' was not taken (in the order given)"),
                            vec![format!("got: {}", path.join(" → "))],
                        );
                    }
                }
                PathMatching::Exact => {}
            }
        }
        for name in &self.not_entered {
            if steps.iter().any(|s| &s.name == name) {
                miss("notEntered", format!("'{name}' was entered"), vec![]);
            }
        }
        for (key, want) in &self.states {
            let Some(step) = find(steps, key) else {
                miss(
                    &format!("states.{key}"),
                    format!("'{key}' was not entered"),
                    vec![format!("got: {}", path.join(" → "))],
                );
                continue;
            };
            let partial = want.matching == Matching::Partial;
            if let Some(expected) = &want.input {
                compare(
                    &mut miss,
                    &format!("states.{key}.input"),
                    expected,
                    &step.input,
                    partial,
                );
            }
            if let Some(expected) = &want.output {
                match &step.output {
                    Some(actual) => compare(&mut miss, &format!("states.{key}.output"), expected, actual, partial),
                    None => miss(
                        &format!("states.{key}.output"),
                        "the state has no output (it failed)".into(),
                        vec![],
                    ),
                }
            }
            if let Some(expected) = &want.variables {
                let assigned = step
                    .assigned
                    .clone()
                    .map(Value::Object)
                    .unwrap_or(Value::Object(Default::default()));
                compare(&mut miss, &format!("states.{key}.variables"), expected, &assigned, true);
            }
            if let Some(n) = want.attempts
                && n != step.attempts
            {
                miss(
                    &format!("states.{key}.attempts"),
                    format!("expected {n}, got {}", step.attempts),
                    vec![],
                );
            }
        }
        for (table, items) in &self.tables {
            for (key, expected) in items {
                let what = format!("tables.{table}.{key}");
                let actual = observed.tables.get(table).and_then(|t| t.get(key));
                match (expected, actual) {
                    (Value::Null, None) => {}
                    (Value::Null, Some(a)) => miss(&what, format!("the item exists: {}", brief(a)), vec![]),
                    (_, None) => miss(&what, "the item does not exist".into(), vec![]),
                    (e, Some(a)) => compare(&mut miss, &what, e, a, true),
                }
            }
        }
        for (i, expected) in self.logs.iter().enumerate() {
            if !observed.logs.iter().any(|line| partial_match(expected, line)) {
                let lines: Vec<String> = observed.logs.iter().take(10).map(brief).collect();
                miss(
                    &format!("logs[{i}]"),
                    format!("no log line has {}", brief(expected)),
                    if lines.is_empty() {
                        vec!["(no log lines)".into()]
                    } else {
                        lines
                    },
                );
            }
        }
        unmet
    }
}

fn compare(
    miss: &mut impl FnMut(&str, String, Vec<String>),
    what: &str,
    expected: &Value,
    actual: &Value,
    partial: bool,
) {
    let matches = if partial {
        partial_match(expected, actual)
    } else {
        equal(expected, actual)
    };
    if !matches {
        let kind = if partial {
            "does not contain what was expected"
        } else {
            "differs"
        };
        miss(
            what,
            format!(
                "the {} {kind}",
                if what.starts_with("tables.") {
                    "item"
                } else {
                    what.rsplit('.').next().unwrap_or(what)
                }
            ),
            differences(expected, actual, partial, 20),
        );
    }
}
