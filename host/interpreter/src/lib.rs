//! Runs a validated [`StateMachine`].
//!
//! The interpreter talks to the outside world only through traits: task
//! resources through [`TaskInvoker`] ([`task`]), time through [`Clock`]
//! ([`clock`]), history through [`HistoryObserver`] ([`history`]) and
//! durability through [`Journal`]. It knows nothing of files, HTTP,
//! databases or Wasm.
//!
//! Must not depend on: the store, the plugin runtime, the service, the API
//! or the CLI (`stepyard-asl`, `stepyard-jsonata` and `stepyard-wildcard`
//! are the only Stepyard crates below it). Its futures need tokio's timers
//! and notifications, never a particular runtime.

pub mod clock;
pub mod history;
pub mod task;

mod error;
mod events;
mod frame;
mod graph;
mod inspect;
mod journal;
mod limits;
mod outcomes;
mod retry;
mod scope;
mod states;

pub use error::{Failure, names};
pub use inspect::{Inspector, Stage};
pub use journal::{Checkpoint, CheckpointRef, Interrupted, Journal, JournalError, Start};
pub use limits::MAX_PAYLOAD_BYTES;
pub use outcomes::{Outcome, RetryTrace, Route, StateEnd, StateEnds, StateEntry};

use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::clock::Clock;
use crate::history::{EventDetails, HistoryObserver};
use crate::task::TaskInvoker;
use events::{Cursor, EventLog};
use stepyard_asl::definition::StateMachine;

/// The services an execution uses.
#[derive(Clone)]
pub struct Services {
    /// Runs the `Resource` of every Task state.
    pub tasks: Arc<dyn TaskInvoker>,
    /// Time for timestamps, `Wait` states, timeouts and retry back-off.
    pub clock: Arc<dyn Clock>,
    /// Receives every history event the execution records.
    pub history: Arc<dyn HistoryObserver>,
}

/// Names and input of one execution.
#[derive(Debug, Clone)]
pub struct ExecutionSpec {
    /// `$$.Execution.Id`; also the prefix of every task's idempotency key.
    pub execution_arn: String,
    /// `$$.Execution.Name`.
    pub execution_name: String,
    /// `$$.StateMachine.Id`; a distributed Map derives its Map Run ARN from it.
    pub state_machine_arn: String,
    /// `$$.StateMachine.Name`.
    pub state_machine_name: String,
    /// `$$.Execution.RoleArn`, also recorded in `ExecutionStarted`.
    pub role_arn: String,
    /// The execution's input (`$$.Execution.Input`), which a fresh run's first state gets.
    pub input: Value,
    /// Express executions have no `RedriveCount` in their context object.
    pub express: bool,
    /// When the execution started; `None` means now. A resumed execution
    /// keeps its original start (`$$.Execution.StartTime`, its timeout).
    pub start_time: Option<chrono::DateTime<chrono::Utc>>,
    /// `$$.Execution.RedriveCount`.
    pub redrive_count: u32,
    /// Keys the tokens of `.waitForTaskToken` tasks: a token is the
    /// HMAC-SHA256 of its state entry under this key, so it stays the same
    /// across a restart but cannot be derived from the execution's ARN.
    /// `None` (runs nobody else can answer): a plain hash of the entry.
    pub task_token_key: Option<std::sync::Arc<[u8]>>,
    /// Fields laid over every context object the execution builds (`$$`),
    /// object by object: TestState's `context`, and the `Map.Item` a state
    /// tested on its own inside a Map gets.
    pub context_overlay: Option<std::sync::Arc<Value>>,
}

impl ExecutionSpec {
    /// A spec with AWS-shaped ARNs for a machine and an execution name, in
    /// the local pseudo-account.
    pub fn local(state_machine_name: &str, execution_name: &str, input: Value) -> ExecutionSpec {
        const PREFIX: &str = "arn:aws:states:us-east-1:123456789012";
        ExecutionSpec {
            execution_arn: format!("{PREFIX}:execution:{state_machine_name}:{execution_name}"),
            execution_name: execution_name.to_owned(),
            state_machine_arn: format!("{PREFIX}:stateMachine:{state_machine_name}"),
            state_machine_name: state_machine_name.to_owned(),
            role_arn: "arn:aws:iam::123456789012:role/StepyardExecutionRole".to_owned(),
            input,
            express: false,
            start_time: None,
            redrive_count: 0,
            task_token_key: None,
            context_overlay: None,
        }
    }
}

/// How an execution ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    /// The last state ended the execution with an output.
    Succeeded,
    /// A state failed and no `Catch` handled it, or a Fail state was reached.
    Failed,
    /// The machine's `TimeoutSeconds` passed before the execution ended.
    TimedOut,
    /// `StopExecution` stopped it; the interpreter itself never returns this.
    Aborted,
}

impl ExecutionStatus {
    /// The status as AWS spells it (`SUCCEEDED`, `TIMED_OUT`…).
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionStatus::Succeeded => "SUCCEEDED",
            ExecutionStatus::Failed => "FAILED",
            ExecutionStatus::TimedOut => "TIMED_OUT",
            ExecutionStatus::Aborted => "ABORTED",
        }
    }
}

/// The end of an execution.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionResult {
    /// How the execution ended.
    pub status: ExecutionStatus,
    /// The execution's output; only a succeeded execution has one.
    pub output: Option<Value>,
    /// The error name of a failed execution (`ExecutionFailed`'s `error`).
    pub error: Option<String>,
    /// The cause of a failed execution (`ExecutionFailed`'s `cause`).
    pub cause: Option<String>,
}

/// What one execution shares across all its states.
pub(crate) struct Execution<'a> {
    pub machine: &'a StateMachine,
    pub spec: &'a ExecutionSpec,
    pub tasks: &'a dyn TaskInvoker,
    pub clock: &'a dyn Clock,
    pub events: EventLog<'a>,
    pub start_time: String,
    pub journal: Option<&'a dyn Journal>,
    /// Set when the journal failed: the run stops without an end event.
    pub interrupted: Mutex<Option<JournalError>>,
    /// The checkpoint a resumed run continues in (taken by the first state).
    pub resume: Mutex<Option<Checkpoint>>,
    /// Who sees each state's data flow, if anyone.
    pub inspector: Option<&'a dyn Inspector>,
    /// Who hears how each state ended, if anyone.
    pub state_ends: Option<&'a dyn StateEnds>,
}

/// Runs executions of one state machine.
#[derive(Clone)]
pub struct Interpreter {
    machine: Arc<StateMachine>,
    services: Services,
    inspector: Option<Arc<dyn Inspector>>,
    state_ends: Option<Arc<dyn StateEnds>>,
}

impl Interpreter {
    /// An interpreter for `machine` that reaches the world through `services`.
    pub fn new(machine: Arc<StateMachine>, services: Services) -> Interpreter {
        Interpreter {
            machine,
            services,
            inspector: None,
            state_ends: None,
        }
    }

    /// Tells `listener` how every state ends (metrics).
    pub fn with_state_ends(mut self, listener: Arc<dyn StateEnds>) -> Interpreter {
        self.state_ends = Some(listener);
        self
    }

    /// Shows every state's data flow to `inspector` (TestState's inspection data).
    pub fn with_inspector(mut self, inspector: Arc<dyn Inspector>) -> Interpreter {
        self.inspector = Some(inspector);
        self
    }

    /// The state machine this interpreter runs.
    pub fn machine(&self) -> &StateMachine {
        &self.machine
    }

    /// Runs one execution to its end, with no durability.
    pub async fn execute(&self, spec: &ExecutionSpec) -> ExecutionResult {
        match self.run(spec, Start::Fresh, None).await {
            Ok(result) => result,
            // Without a journal nothing can interrupt a run.
            Err(Interrupted(e)) => ExecutionResult {
                status: ExecutionStatus::Failed,
                output: None,
                error: Some(names::RUNTIME.to_owned()),
                cause: Some(e.0),
            },
        }
    }

    /// Runs an execution from `start` to its end, checkpointing each
    /// top-level transition through `journal` when there is one.
    pub async fn run(
        &self,
        spec: &ExecutionSpec,
        start: Start,
        journal: Option<&dyn Journal>,
    ) -> Result<ExecutionResult, Interrupted> {
        let clock = &*self.services.clock;
        let started_at = spec.start_time.unwrap_or_else(|| clock.now());
        let mut exec = Execution {
            machine: &self.machine,
            spec,
            tasks: &*self.services.tasks,
            clock,
            events: EventLog::new(&*self.services.history, clock),
            start_time: stepyard_asl::timestamp::format_millis(started_at),
            journal,
            interrupted: Mutex::new(None),
            resume: Mutex::new(None),
            inspector: self.inspector.as_deref(),
            state_ends: self.state_ends.as_deref(),
        };
        let (input, cursor, first) = match start {
            Start::Fresh => {
                exec.events.record(0, || EventDetails::ExecutionStarted {
                    input: spec.input.clone(),
                    role_arn: spec.role_arn.clone(),
                });
                (spec.input.clone(), Cursor::default(), None)
            }
            Start::Resume(checkpoint) => {
                exec.events = EventLog::starting_at(&*self.services.history, clock, checkpoint.entered_event_id + 1);
                let cursor = Cursor {
                    last: checkpoint.entered_event_id,
                };
                let input = checkpoint.input.clone();
                let first = checkpoint.state.clone();
                *exec.resume.get_mut().unwrap_or_else(|e| e.into_inner()) = Some(checkpoint);
                (input, cursor, Some(first))
            }
            Start::Reenter {
                checkpoint,
                last_event_id,
            } => {
                exec.events = EventLog::starting_at(&*self.services.history, clock, last_event_id + 1);
                (checkpoint.input, Cursor { last: last_event_id }, Some(checkpoint.state))
            }
        };
        let Some(start_index) = (match &first {
            None => Some(self.machine.graph.start_at),
            Some(name) => self.machine.graph.states.iter().position(|s| &s.name == name),
        }) else {
            let name = first.unwrap_or_default();
            return Err(Interrupted(JournalError(format!(
                "the checkpoint names the state '{name}', which the definition does not have"
            ))));
        };

        let run = graph::run_top_level(&exec, start_index, input, cursor);
        let outcome = match self.machine.timeout_seconds {
            None => Some(run.await),
            Some(secs) => {
                let deadline = started_at + chrono::Duration::seconds(secs.min(i64::MAX as u64 / 1000) as i64);
                let left = (deadline - clock.now()).to_std().unwrap_or_default();
                let deadline = clock.sleep(left);
                tokio::select! {
                    r = run => Some(r),
                    () = deadline => None,
                }
            }
        };
        if let Some(e) = exec.interrupted.lock().unwrap_or_else(|e| e.into_inner()).take() {
            return Err(Interrupted(e));
        }
        let result = match outcome {
            Some(Ok((output, cursor))) => {
                exec.events.record(cursor.last, || EventDetails::ExecutionSucceeded {
                    output: output.clone(),
                });
                ExecutionResult {
                    status: ExecutionStatus::Succeeded,
                    output: Some(output),
                    error: None,
                    cause: None,
                }
            }
            Some(Err((failure, cursor))) => {
                exec.events.record(cursor.last, || EventDetails::ExecutionFailed {
                    error: failure.error.clone(),
                    cause: failure.cause.clone(),
                });
                ExecutionResult {
                    status: ExecutionStatus::Failed,
                    output: None,
                    error: failure.error,
                    cause: failure.cause,
                }
            }
            None => {
                let latest = exec.events.latest();
                // AWS reports an execution-level timeout with neither error nor cause.
                exec.events.record(latest, || EventDetails::ExecutionTimedOut {
                    error: None,
                    cause: None,
                });
                ExecutionResult {
                    status: ExecutionStatus::TimedOut,
                    output: None,
                    error: None,
                    cause: None,
                }
            }
        };
        Ok(result)
    }
}
