//! How each state ended, for whoever counts (the service's metrics): the
//! history says it too, but pairing entries with exits across concurrent
//! Map iterations is work the state loop need not make anyone redo.

use std::time::Duration;

/// How a state ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It exited normally.
    Succeeded,
    /// It failed and one of its `Catch` rules took over.
    CaughtError,
    /// It failed, and the failure went on to its branch or execution.
    Failed,
}

/// Which way a state left, for whoever counts edges (test coverage).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Through its `Next`, or as the end of its branch or execution.
    Onward,
    /// A Choice through its rule at this index.
    ChoiceRule(usize),
    /// A Choice through its `Default`.
    ChoiceDefault,
    /// Through the `Catch` rule at this index.
    Catch(usize),
    /// It failed and its failure went on.
    Failed,
}

/// Which `Retry` rules a state entry used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetryTrace {
    /// Bit `i` is set when retrier `i` gave at least one retry (the first
    /// 64 retriers only; a state with more is not plausible).
    pub used: u64,
    /// The retrier that matched a failure but had no attempts left.
    pub exhausted: Option<usize>,
}

/// One state's entry.
#[derive(Debug, Clone, Copy)]
pub struct StateEntry<'a> {
    /// The state's name.
    pub name: &'a str,
    /// Where this entry sits in the execution: the same text as its
    /// [`StateEnd::place`], and the prefix of the `branch` of every state
    /// inside it (`12`: entered at event 12 at the top level;
    /// `12[3]/Inner#0`: the first visit of `Inner` in item 3 of that Map).
    pub place: &'a str,
    /// The branch or iteration it runs in (`12[3]`), `None` at the top level.
    pub branch: Option<&'a str>,
    /// Its input, as its `StateEntered` event records it.
    pub input: &'a serde_json::Value,
}

/// One state's end.
#[derive(Debug, Clone, Copy)]
pub struct StateEnd<'a> {
    /// The state's name.
    pub name: &'a str,
    /// Its `Type` (`Task`, `Map`…).
    pub state_type: &'static str,
    /// How it ended.
    pub outcome: Outcome,
    /// From its entry to its end, by the execution's clock.
    pub duration: Duration,
    /// Task (or Map, Parallel) attempts after the first.
    pub retries: u32,
    /// Which retriers it used.
    pub retry: RetryTrace,
    /// Which way it left.
    pub route: Route,
    /// Its place (see [`StateEntry::place`]); empty unless the listener
    /// [wants entries](StateEnds::wants_entries).
    pub place: &'a str,
    /// Its output, when it exited normally or through a `Catch`.
    pub output: Option<&'a serde_json::Value>,
    /// The variables it assigned (`Assign`), for listeners that want entries.
    pub assigned: Option<&'a serde_json::Map<String, serde_json::Value>>,
}

/// Receives every state's end, nested ones included.
pub trait StateEnds: Send + Sync {
    /// `ended` is how one state ended.
    fn state_ended(&self, ended: &StateEnd<'_>);

    /// Whether to be told of entries too, and of places (which cost a
    /// string per state); metrics need neither.
    fn wants_entries(&self) -> bool {
        false
    }

    /// `entered` is a state's entry; called only when
    /// [`wants_entries`](StateEnds::wants_entries) says so.
    fn state_entered(&self, entered: &StateEntry<'_>) {
        let _ = entered;
    }
}

/// What the state loop learns about a state while it runs.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub entered_at: Option<chrono::DateTime<chrono::Utc>>,
    pub caught: Option<usize>,
    pub retries: u32,
    pub retry: RetryTrace,
    pub choice: Option<Option<usize>>,
    /// The entry's place, when the listener wants entries.
    pub place: Option<String>,
    /// What it assigned, kept only when the listener wants entries.
    pub assigned: Option<serde_json::Map<String, serde_json::Value>>,
}
