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
}

/// Receives every state's end, nested ones included.
pub trait StateEnds: Send + Sync {
    /// `ended` is how one state ended.
    fn state_ended(&self, ended: &StateEnd<'_>);
}

/// What the state loop learns about a state while it runs.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub entered_at: Option<chrono::DateTime<chrono::Utc>>,
    pub caught: bool,
    pub retries: u32,
}
