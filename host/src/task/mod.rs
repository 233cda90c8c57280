//! How the interpreter reaches the outside world from a `Task` state.
//!
//! The interpreter classifies a `Resource` the way AWS does (which history
//! events it produces, which output shape applies) and hands the call to a
//! [`TaskInvoker`]. What actually runs — a Wasm plugin, a test double — is
//! the invoker's business.

use serde_json::Value;

mod registry;

pub use registry::{CallOutcome, Function, FunctionError, Registry, function_name_of, invoke_output};

use crate::clock::BoxFuture;

/// What kind of resource a Task names, which decides its history events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResourceKind {
    /// A Lambda function ARN (`arn:aws:lambda:…:function:NAME[:QUALIFIER]`)
    /// or a bare name: `LambdaFunction*` events, the function's raw result.
    LambdaFunction { function: String },
    /// A service integration (`arn:aws:states:::lambda:invoke`,
    /// `arn:aws:states:::dynamodb:putItem.sync`…): `Task*` events.
    Service {
        resource_type: String,
        resource: String,
        pattern: IntegrationPattern,
    },
    /// An activity ARN (`arn:aws:states:…:activity:NAME`).
    Activity { arn: String },
}

/// How Step Functions waits for a service integration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegrationPattern {
    RequestResponse,
    Sync,
    WaitForTaskToken,
}

impl ResourceKind {
    /// Classifies a `Resource` string.
    pub fn classify(resource: &str) -> ResourceKind {
        let parts: Vec<&str> = resource.split(':').collect();
        if parts.len() >= 6 && parts[0] == "arn" && parts[2] == "states" && parts[5] == "activity" {
            return ResourceKind::Activity {
                arn: resource.to_owned(),
            };
        }
        if parts.len() >= 6 && parts[0] == "arn" && parts[2] == "states" && parts[3].is_empty() && parts[4].is_empty() {
            let service = parts[5];
            let joined = parts.get(6..).map(|p| p.join(":")).unwrap_or_default();
            let action = joined.as_str();
            let (action, pattern) = if let Some(a) = action.strip_suffix(".sync") {
                (a, IntegrationPattern::Sync)
            } else if let Some(a) = action.strip_suffix(".sync:2") {
                (a, IntegrationPattern::Sync)
            } else if let Some(a) = action.strip_suffix(".waitForTaskToken") {
                (a, IntegrationPattern::WaitForTaskToken)
            } else {
                (action, IntegrationPattern::RequestResponse)
            };
            let (resource_type, resource) = match service {
                "aws-sdk" => {
                    let mut it = action.splitn(2, ':');
                    let svc = it.next().unwrap_or_default();
                    (format!("aws-sdk:{svc}"), it.next().unwrap_or_default().to_owned())
                }
                _ => (service.to_owned(), action.to_owned()),
            };
            return ResourceKind::Service {
                resource_type,
                resource,
                pattern,
            };
        }
        if parts.len() >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function" {
            return ResourceKind::LambdaFunction {
                function: parts[6].to_owned(),
            };
        }
        ResourceKind::LambdaFunction {
            function: resource.to_owned(),
        }
    }
}

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
    pub kind: ResourceKind,
    /// The state's effective input (after `Parameters`/`Arguments`).
    pub input: Value,
    pub context: TaskContext,
    /// Where the task reports heartbeats.
    pub heartbeat: Heartbeat,
}

/// Who is calling and how often it has tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskContext {
    pub execution_arn: String,
    pub execution_name: String,
    pub state_machine_arn: String,
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
    pub error: String,
    pub cause: Option<String>,
}

impl TaskFailure {
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> TaskFailure {
        TaskFailure {
            error: error.into(),
            cause: Some(cause.into()),
        }
    }
}

/// Runs task resources.
pub trait TaskInvoker: Send + Sync {
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'static, Result<Value, TaskFailure>>;

    /// Whether calls to resources of `kind` can send heartbeats. Only then
    /// does the interpreter enforce a state's `HeartbeatSeconds` (AWS does
    /// so for activities and callbacks, whose workers can send them).
    fn supports_heartbeats(&self, kind: &ResourceKind) -> bool {
        let _ = kind;
        false
    }
}

/// Where executions get their task invoker. An execution asks once, when
/// it starts, and keeps what it got: plugins replaced later do not change
/// a running execution.
pub trait TaskSource: Send + Sync {
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
                crate::interpreter::names::RUNTIME,
                format!(
                    "The resource '{}' ({resource_type}:{resource}) is not supported",
                    request.resource
                ),
            ),
            ResourceKind::Activity { arn } => TaskFailure::new(
                crate::interpreter::names::RUNTIME,
                format!("Activities are not supported: {arn}"),
            ),
        };
        Box::pin(async move { Err(failure) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_arns_and_bare_names_are_functions() {
        assert_eq!(
            ResourceKind::classify("arn:aws:lambda:us-east-1:123456789012:function:orderPlacement:prod"),
            ResourceKind::LambdaFunction {
                function: "orderPlacement".into()
            }
        );
        assert_eq!(
            ResourceKind::classify("orderPlacement"),
            ResourceKind::LambdaFunction {
                function: "orderPlacement".into()
            }
        );
    }

    #[test]
    fn service_integrations_split_type_action_and_pattern() {
        assert_eq!(
            ResourceKind::classify("arn:aws:states:::lambda:invoke"),
            ResourceKind::Service {
                resource_type: "lambda".into(),
                resource: "invoke".into(),
                pattern: IntegrationPattern::RequestResponse
            }
        );
        assert_eq!(
            ResourceKind::classify("arn:aws:states:::sqs:sendMessage.waitForTaskToken"),
            ResourceKind::Service {
                resource_type: "sqs".into(),
                resource: "sendMessage".into(),
                pattern: IntegrationPattern::WaitForTaskToken
            }
        );
        assert_eq!(
            ResourceKind::classify("arn:aws:states:::aws-sdk:s3:getObject"),
            ResourceKind::Service {
                resource_type: "aws-sdk:s3".into(),
                resource: "getObject".into(),
                pattern: IntegrationPattern::RequestResponse
            }
        );
    }
}
