//! What a case's execution did, state by state: the path it took, each
//! state's input, output and attempts, and which way each state left.
//!
//! States inside a Map iteration or Parallel branch are named after it:
//! `Process[2].Charge` is `Charge` in item 2 of the Map `Process`,
//! `Checks[1].Fraud` is `Fraud` in branch 1 of the Parallel `Checks`. The
//! path lists states in the order they were entered, except that the
//! states of concurrent iterations and branches are grouped by their
//! index, so the path does not depend on how they interleaved.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;
use stepyard_interpreter::{RetryTrace, Route, StateEnd, StateEnds, StateEntry};

/// One state entry.
#[derive(Debug, Clone)]
pub struct Step {
    /// The state's name.
    pub name: String,
    /// Its name in the path (`Process[2].Charge`).
    pub path_name: String,
    /// Its `Type`, once it ended.
    pub state_type: &'static str,
    /// Its input.
    pub input: Value,
    /// Its output, if it exited normally or through a `Catch`.
    pub output: Option<Value>,
    /// Which way it left; `None` if it never ended (the execution timed out).
    pub route: Option<Route>,
    /// Which retriers it used.
    pub retry: RetryTrace,
    /// How many attempts it made (retries + 1).
    pub attempts: u32,
    /// The variables it assigned.
    pub assigned: Option<serde_json::Map<String, Value>>,
    order: Vec<u64>,
}

#[derive(Default)]
struct Inner {
    steps: Vec<Step>,
    by_place: HashMap<String, usize>,
    seq: u64,
}

/// Collects a case's steps (the interpreter's [`StateEnds`] listener).
#[derive(Default)]
pub struct Trace {
    inner: Mutex<Inner>,
}

impl Trace {
    /// The steps, in path order.
    pub fn steps(&self) -> Vec<Step> {
        let mut steps = self.lock().steps.clone();
        steps.sort_by(|a, b| a.order.cmp(&b.order));
        steps
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl StateEnds for Trace {
    fn wants_entries(&self) -> bool {
        true
    }

    fn state_entered(&self, entered: &StateEntry<'_>) {
        let mut inner = self.lock();
        inner.seq += 1;
        let seq = inner.seq;
        // A branch is its Map's or Parallel's place plus `[index]`.
        let parent = entered.branch.and_then(|branch| {
            let open = branch.rfind('[')?;
            let index: u64 = branch[open + 1..].strip_suffix(']')?.parse().ok()?;
            let parent = *inner.by_place.get(&branch[..open])?;
            Some((parent, index))
        });
        let (path_name, order) = match parent {
            Some((p, index)) => {
                let parent = &inner.steps[p];
                let mut order = parent.order.clone();
                order.extend([index, seq]);
                (format!("{}[{index}].{}", parent.path_name, entered.name), order)
            }
            None => (entered.name.to_owned(), vec![seq]),
        };
        let index = inner.steps.len();
        inner.steps.push(Step {
            name: entered.name.to_owned(),
            path_name,
            state_type: "",
            input: entered.input.clone(),
            output: None,
            route: None,
            retry: RetryTrace::default(),
            attempts: 1,
            assigned: None,
            order,
        });
        inner.by_place.insert(entered.place.to_owned(), index);
    }

    fn state_ended(&self, ended: &StateEnd<'_>) {
        let mut inner = self.lock();
        let Some(&index) = inner.by_place.get(ended.place) else {
            return;
        };
        let step = &mut inner.steps[index];
        step.state_type = ended.state_type;
        step.output = ended.output.cloned();
        step.route = Some(ended.route);
        step.retry = ended.retry;
        step.attempts = ended.retries + 1;
        step.assigned = ended.assigned.cloned();
    }
}

/// The step a name in an expectation means: `Charge` is its first entry,
/// `Charge#2` the second, `Process[1].Charge` the one in item 1.
pub fn find<'a>(steps: &'a [Step], key: &str) -> Option<&'a Step> {
    let (name, visit) = match key.rsplit_once('#') {
        Some((name, n)) => match n.parse::<usize>() {
            Ok(n) if n >= 1 => (name, n),
            _ => (key, 1),
        },
        None => (key, 1),
    };
    steps.iter().filter(|s| s.path_name == name).nth(visit - 1)
}
