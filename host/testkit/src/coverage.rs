//! Edge coverage: which states the cases entered and which ways out they
//! took, per state machine.
//!
//! Counted, each at its place in the definition:
//! - every state entered (`/States/Charge`), which for a Fail state is
//!   reaching it;
//! - every Choice rule (`/States/Route/Choices/1`) and `Default`
//!   (`/States/Route/Default`), unless the case forced that Choice;
//! - every Catch rule taken (`/States/Charge/Catch/0`);
//! - every Retry rule both retried (`/States/Charge/Retry/0`, "retried")
//!   and run out (the same place, "exhausted"); a rule with
//!   `MaxAttempts: 0` can only run out.
//!
//! States inside Map and Parallel states are counted the same way.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;
use stepyard_interpreter::Route;

use crate::run::{CaseResult, Verdict};
use crate::suite::Machine;

/// What an item of coverage is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum EdgeKind {
    /// The state was entered.
    State,
    /// A Choice rule was taken.
    ChoiceRule,
    /// A Choice's `Default` was taken.
    ChoiceDefault,
    /// A Catch rule was taken.
    Catch,
    /// A Retry rule retried.
    RetryTaken,
    /// A Retry rule ran out of attempts.
    RetryExhausted,
}

impl EdgeKind {
    fn label(self) -> &'static str {
        match self {
            EdgeKind::State => "state entered",
            EdgeKind::ChoiceRule => "Choice rule taken",
            EdgeKind::ChoiceDefault => "Choice Default taken",
            EdgeKind::Catch => "Catch taken",
            EdgeKind::RetryTaken => "Retry retried",
            EdgeKind::RetryExhausted => "Retry exhausted",
        }
    }
}

/// One item to cover.
#[derive(Debug, Clone, Serialize)]
pub struct Edge {
    /// Its place in the definition (JSON Pointer).
    pub location: String,
    /// What it is.
    pub kind: EdgeKind,
    /// The state it belongs to.
    pub state: String,
    /// How many times cases took it.
    pub hits: u64,
}

/// One machine's coverage.
#[derive(Debug, Clone, Serialize)]
pub struct MachineCoverage {
    /// The definition's file (or inline place).
    pub machine: String,
    /// Every item, in definition order.
    pub edges: Vec<Edge>,
}

impl MachineCoverage {
    /// The items of `machine`, none taken yet.
    pub fn new(machine: &Machine) -> MachineCoverage {
        let mut edges = Vec::new();
        for state in crate::locate::states(&machine.source) {
            let mut add = |location: String, kind: EdgeKind| {
                edges.push(Edge {
                    location,
                    kind,
                    state: state.name.to_owned(),
                    hits: 0,
                })
            };
            add(state.pointer.clone(), EdgeKind::State);
            let list = |key: &str| match state.fields.get(key) {
                Some(Value::Array(items)) => items.clone(),
                _ => Vec::new(),
            };
            if state.state_type() == "Choice" {
                for i in 0..list("Choices").len() {
                    add(format!("{}/Choices/{i}", state.pointer), EdgeKind::ChoiceRule);
                }
                if state.fields.contains_key("Default") {
                    add(format!("{}/Default", state.pointer), EdgeKind::ChoiceDefault);
                }
            }
            for (i, retrier) in list("Retry").iter().enumerate() {
                let at = format!("{}/Retry/{i}", state.pointer);
                // MaxAttempts defaults to 3; 0 never retries.
                if retrier.get("MaxAttempts").and_then(Value::as_u64) != Some(0) {
                    add(at.clone(), EdgeKind::RetryTaken);
                }
                add(at, EdgeKind::RetryExhausted);
            }
            for i in 0..list("Catch").len() {
                add(format!("{}/Catch/{i}", state.pointer), EdgeKind::Catch);
            }
        }
        MachineCoverage {
            machine: machine.origin.clone(),
            edges,
        }
    }

    /// Counts what `case` took (cases that did not run count nothing).
    pub fn record(&mut self, case: &CaseResult) {
        if matches!(case.verdict, Verdict::Skipped | Verdict::Error(_)) {
            return;
        }
        for step in &case.steps {
            let forced = case.forced.contains(&step.name);
            self.hit(&step.name, EdgeKind::State, None);
            match step.route {
                Some(Route::ChoiceRule(i)) if !forced => {
                    self.hit(&step.name, EdgeKind::ChoiceRule, Some(("Choices", i)))
                }
                Some(Route::ChoiceDefault) if !forced => self.hit(&step.name, EdgeKind::ChoiceDefault, None),
                Some(Route::Catch(i)) => self.hit(&step.name, EdgeKind::Catch, Some(("Catch", i))),
                _ => {}
            }
            for i in 0..64 {
                if step.retry.used & (1 << i) != 0 {
                    self.hit(&step.name, EdgeKind::RetryTaken, Some(("Retry", i)));
                }
            }
            if let Some(i) = step.retry.exhausted {
                self.hit(&step.name, EdgeKind::RetryExhausted, Some(("Retry", i)));
            }
        }
    }

    fn hit(&mut self, state: &str, kind: EdgeKind, index: Option<(&str, usize)>) {
        let suffix = index.map(|(key, i)| format!("/{key}/{i}"));
        if let Some(edge) = self
            .edges
            .iter_mut()
            .find(|e| e.state == state && e.kind == kind && suffix.as_deref().is_none_or(|s| e.location.ends_with(s)))
        {
            edge.hits += 1;
        }
    }

    /// Items taken at least once.
    pub fn covered(&self) -> usize {
        self.edges.iter().filter(|e| e.hits > 0).count()
    }

    /// Covered items as a percentage (100 for a machine with none).
    pub fn percent(&self) -> f64 {
        if self.edges.is_empty() {
            return 100.0;
        }
        self.covered() as f64 * 100.0 / self.edges.len() as f64
    }
}

/// Coverage of every machine the suites ran.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Coverage {
    /// By machine origin.
    pub machines: BTreeMap<String, MachineCoverage>,
}

impl Coverage {
    /// Coverage over `machines`, counting `cases`.
    pub fn of<'a>(
        machines: impl IntoIterator<Item = &'a Machine>,
        cases: impl IntoIterator<Item = &'a CaseResult>,
    ) -> Coverage {
        let mut coverage = Coverage {
            machines: machines
                .into_iter()
                .map(|m| (m.origin.clone(), MachineCoverage::new(m)))
                .collect(),
        };
        for case in cases {
            if let Some(m) = coverage.machines.get_mut(&case.machine) {
                m.record(case);
            }
        }
        coverage
    }

    /// The lowest percentage over all machines (100 with none).
    pub fn lowest_percent(&self) -> f64 {
        self.machines
            .values()
            .map(MachineCoverage::percent)
            .fold(100.0, f64::min)
    }

    /// A readable report: each machine's figure, then what is not covered.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for m in self.machines.values() {
            out.push_str(&format!(
                "coverage {}: {:.1}% ({} of {} states and edges)\n",
                m.machine,
                m.percent(),
                m.covered(),
                m.edges.len()
            ));
            for e in m.edges.iter().filter(|e| e.hits == 0) {
                out.push_str(&format!("  not covered: {} ({})\n", e.location, e.kind.label()));
            }
        }
        out
    }

    /// LCOV tracefile text: each state as a line (`DA`), each edge as a
    /// branch (`BRDA`) at its state's line in the definition file.
    pub fn lcov(&self) -> String {
        let mut out = String::new();
        for m in self.machines.values() {
            let text = std::fs::read_to_string(&m.machine).unwrap_or_default();
            let line_of = |state: &str| -> usize {
                let key = format!("\"{}\"", state.replace('\\', "\\\\").replace('"', "\\\""));
                text.lines()
                    .position(|l| l.trim_start().starts_with(&key) && l.contains(':'))
                    .map(|i| i + 1)
                    .unwrap_or(1)
            };
            out.push_str(&format!("TN:\nSF:{}\n", m.machine));
            let mut branch = 0;
            let (mut lines, mut lines_hit, mut branches, mut branches_hit) = (0, 0, 0, 0);
            for e in &m.edges {
                let line = line_of(&e.state);
                if e.kind == EdgeKind::State {
                    out.push_str(&format!("DA:{line},{}\n", e.hits));
                    lines += 1;
                    lines_hit += usize::from(e.hits > 0);
                    branch = 0;
                } else {
                    let taken = if e.hits > 0 { e.hits.to_string() } else { "-".into() };
                    out.push_str(&format!("BRDA:{line},0,{branch},{taken}\n"));
                    branch += 1;
                    branches += 1;
                    branches_hit += usize::from(e.hits > 0);
                }
            }
            out.push_str(&format!(
                "LF:{lines}\nLH:{lines_hit}\nBRF:{branches}\nBRH:{branches_hit}\nend_of_record\n"
            ));
        }
        out
    }
}
