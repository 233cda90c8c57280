//! Runs a validated [`StateMachine`].
//!
//! The interpreter talks to the outside world only through traits: task
//! resources through [`TaskInvoker`], time through [`Clock`], history
//! through [`HistoryObserver`]. It knows nothing of files, HTTP or storage.

mod error;
mod events;
mod frame;
mod graph;
mod limits;
mod retry;
mod scope;
mod states;

pub use error::{Failure, is_terminal, names};
pub use events::MAX_HISTORY_EVENTS;
pub use limits::MAX_PAYLOAD_BYTES;

use std::sync::Arc;

use serde_json::Value;

use crate::clock::Clock;
use crate::definition::StateMachine;
use crate::history::{EventDetails, HistoryObserver};
use crate::task::TaskInvoker;
use events::{Cursor, EventLog};

/// The services an execution uses.
#[derive(Clone)]
pub struct Services {
    pub tasks: Arc<dyn TaskInvoker>,
    pub clock: Arc<dyn Clock>,
    pub history: Arc<dyn HistoryObserver>,
}

/// Names and input of one execution.
#[derive(Debug, Clone)]
pub struct ExecutionSpec {
    pub execution_arn: String,
    pub execution_name: String,
    pub state_machine_arn: String,
    pub state_machine_name: String,
    pub role_arn: String,
    pub input: Value,
    /// Express executions have no `RedriveCount` in their context object.
    pub express: bool,
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
        }
    }
}

/// How an execution ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ExecutionStatus {
    Succeeded,
    Failed,
    TimedOut,
    Aborted,
}

impl ExecutionStatus {
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
    pub status: ExecutionStatus,
    pub output: Option<Value>,
    pub error: Option<String>,
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
}

/// Runs executions of one state machine.
#[derive(Clone)]
pub struct Interpreter {
    machine: Arc<StateMachine>,
    services: Services,
}

impl Interpreter {
    pub fn new(machine: Arc<StateMachine>, services: Services) -> Interpreter {
        Interpreter { machine, services }
    }

    pub fn machine(&self) -> &StateMachine {
        &self.machine
    }

    /// Runs one execution to its end.
    pub async fn execute(&self, spec: &ExecutionSpec) -> ExecutionResult {
        let clock = &*self.services.clock;
        let exec = Execution {
            machine: &self.machine,
            spec,
            tasks: &*self.services.tasks,
            clock,
            events: EventLog::new(&*self.services.history, clock),
            start_time: crate::timestamp::format_millis(clock.now()),
        };
        exec.events.record(0, || EventDetails::ExecutionStarted {
            input: spec.input.clone(),
            role_arn: spec.role_arn.clone(),
        });

        let run = graph::run_graph(&exec, &self.machine.graph, spec.input.clone(), None, Cursor::default());
        let outcome = match self.machine.timeout_seconds {
            None => Some(run.await),
            Some(secs) => {
                let deadline = clock.sleep(std::time::Duration::from_secs(secs));
                tokio::select! {
                    r = run => Some(r),
                    () = deadline => None,
                }
            }
        };
        match outcome {
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
        }
    }
}
