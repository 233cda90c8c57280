//! How the interpreter reaches the outside world from a `Task` state.
//!
//! The definition classifies a `Resource` the way AWS does
//! ([`ResourceKind`]: which history events it produces, which output shape
//! applies); the interpreter hands the call to a [`TaskInvoker`]. What
//! actually runs — a Wasm plugin, a test double — is the invoker's business.

use serde_json::Value;

mod registry;
mod shapes;

pub use registry::{CallOutcome, Function, FunctionError, Registry};
pub use shapes::{FieldValidation, check_mocked_result};

use stepyard_asl::definition::{IntegrationPattern, ResourceKind};

use crate::clock::BoxFuture;

/// Lets a running task report that it is alive (`SendTaskHeartbeat`).
///
/// When the state sets `HeartbeatSeconds` and the invoker supports
/// heartbeats, a task that stays silent for longer fails with
/// `States.HeartbeatTimeout`.
#[derive(Debug, Clone, Default)]
pub struct Heartbeat {
    notify: std::sync::Arc<tokio::sync::Notify>,
}

impl Heartbeat {
    /// Records a heartbeat.
    pub fn beat(&self) {
        self.notify.notify_one();
    }

    /// Completes at the next heartbeat.
    pub async fn next(&self) {
        self.notify.notified().await;
    }
}

/// One call of a task resource.
#[derive(Debug, Clone)]
pub struct TaskRequest {
    /// The `Resource` string as written.
    pub resource: String,
    /// What `resource` names: a Lambda function, a service integration or an activity.
    pub kind: ResourceKind,
    /// The state's effective input (after `Parameters`/`Arguments`).
    pub input: Value,
    /// Who calls, and which attempt this is.
    pub context: TaskContext,
    /// Where the task reports heartbeats.
    pub heartbeat: Heartbeat,
}

/// Who is calling and how often it has tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskContext {
    /// The calling execution (`$$.Execution.Id`).
    pub execution_arn: String,
    /// `$$.Execution.Name`.
    pub execution_name: String,
    /// `$$.StateMachine.Id`.
    pub state_machine_arn: String,
    /// The Task state making the call (`$$.State.Name`).
    pub state_name: String,
    /// 0 for the first attempt, then 1, 2… for each retry.
    pub retry_count: u32,
    /// Stable across retries of the same state entry, so an idempotent
    /// resource can tell a retry from a new call.
    pub idempotency_key: String,
    /// `$$.Task.Token`, for `.waitForTaskToken` integrations.
    pub task_token: Option<String>,
    /// The state's `TimeoutSeconds`, when it has one.
    pub timeout_seconds: Option<u64>,
}

/// A failed call: the error name and cause that `Retry`/`Catch` see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskFailure {
    /// The error name the state fails with, e.g. `Lambda.Unknown`.
    pub error: String,
    /// The cause; `None` leaves it out of the failure's history event.
    pub cause: Option<String>,
}

impl TaskFailure {
    /// A failure with both an error name and a cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> TaskFailure {
        TaskFailure {
            error: error.into(),
            cause: Some(cause.into()),
        }
    }
}

/// Runs task resources.
pub trait TaskInvoker: Send + Sync {
    /// Calls the resource: `Ok` is the task's result, `Err` fails this attempt (which
    /// `Retry` may repeat). The interpreter enforces `TimeoutSeconds` around the call.
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'static, Result<Value, TaskFailure>>;

    /// Whether calls to resources of `kind` can send heartbeats. Only then
    /// does the interpreter enforce a state's `HeartbeatSeconds` (AWS does
    /// so for activities and callbacks, whose workers can send them).
    fn supports_heartbeats(&self, kind: &ResourceKind) -> bool {
        let _ = kind;
        false
    }

    /// Whether resources of `kind` can be called at all, so a definition
    /// naming one it cannot serve is refused when it is created, at its
    /// `Resource`, rather than failing each execution there. A Lambda
    /// function counts as served even if none of that name is loaded yet:
    /// AWS accepts it too, and fails the call. Invokers that do not say
    /// serve everything.
    fn serves(&self, kind: &ResourceKind) -> bool {
        let _ = kind;
        true
    }
}

/// Whether `kind` is the `lambda:invoke` integration (with or without a
/// task token: `.sync` does not exist for it).
pub fn is_lambda_invoke(kind: &ResourceKind) -> bool {
    matches!(
        kind,
        ResourceKind::Service { resource_type, resource, pattern }
            if resource_type == "lambda" && resource == "invoke" && *pattern != IntegrationPattern::Sync
    )
}

/// Where executions get their task invoker. An execution asks once, when
/// it starts, and keeps what it got: plugins replaced later do not change
/// a running execution.
pub trait TaskSource: Send + Sync {
    /// The invoker for an execution that starts now.
    fn current(&self) -> std::sync::Arc<dyn TaskInvoker>;
}

impl TaskSource for std::sync::Arc<dyn TaskInvoker> {
    fn current(&self) -> std::sync::Arc<dyn TaskInvoker> {
        self.clone()
    }
}

/// An invoker that knows no resource: every call fails as AWS fails a call
/// to a function that does not exist.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoTasks;

impl TaskInvoker for NoTasks {
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'static, Result<Value, TaskFailure>> {
        let failure = match &request.kind {
            ResourceKind::LambdaFunction { function } => TaskFailure::new(
                "Lambda.ResourceNotFoundException",
                format!("Function not found: {function} (no plugin of that name is loaded)"),
            ),
            ResourceKind::Service {
                resource_type,
                resource,
                ..
            } => TaskFailure::new(
                crate::names::RUNTIME,
                format!(
                    "The resource '{}' ({resource_type}:{resource}) is not supported",
                    request.resource
                ),
            ),
            ResourceKind::Activity { arn } => {
                TaskFailure::new(crate::names::RUNTIME, format!("Activities are not supported: {arn}"))
            }
        };
        Box::pin(async move { Err(failure) })
    }

    fn serves(&self, kind: &ResourceKind) -> bool {
        matches!(kind, ResourceKind::LambdaFunction { .. })
    }
}
