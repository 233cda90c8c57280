//! Task: call the resource through the [`TaskInvoker`], with timeouts and
//! retries, recording AWS's task or Lambda events.

use std::time::Duration;

use serde_json::Value;

use crate::error::{AwsJson, Failure, names};
use crate::events::Cursor;
use crate::frame::Frame;
use crate::history::EventDetails;
use crate::limits::exceeds_payload_limit;
use crate::retry::RetryState;
use crate::task::{Heartbeat, TaskContext, TaskFailure, TaskRequest};
use stepyard_asl::definition::ResourceKind;
use stepyard_asl::definition::{Dynamic, TaskState};

const REGION: &str = "us-east-1";

/// The state's `TimeoutSeconds` and `HeartbeatSeconds`, resolved.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Timeouts {
    pub timeout: Option<u64>,
    pub heartbeat: Option<u64>,
}

pub(crate) fn timeouts_jsonpath(frame: &Frame<'_>, task: &TaskState, input: &Value) -> Result<Timeouts, Failure> {
    let resolve = |d: Option<&Dynamic<u64>>| -> Result<Option<u64>, Failure> {
        Ok(match d {
            None => None,
            Some(Dynamic::Literal(n)) => Some(*n),
            Some(Dynamic::Path(p)) => {
                let v = frame.select(p, input).map_err(|e| frame.runtime(e.to_string()))?;
                match v.as_u64() {
                    Some(n) if n > 0 => Some(n),
                    _ => {
                        return Err(frame.runtime(format!(
                            "The value referenced by '{}' must be a positive integer, but was: {}",
                            p.as_str(),
                            v
                        )));
                    }
                }
            }
            Some(_) => None,
        })
    };
    Ok(Timeouts {
        timeout: resolve(task.timeout_seconds.as_ref())?,
        heartbeat: resolve(task.heartbeat_seconds.as_ref())?,
    })
}

pub(crate) fn timeouts_jsonata(frame: &Frame<'_>, task: &TaskState, states: &Value) -> Result<Timeouts, Failure> {
    let resolve = |d: Option<&Dynamic<u64>>, field: &str| -> Result<Option<u64>, Failure> {
        Ok(match d {
            None => None,
            Some(Dynamic::Literal(n)) => Some(*n),
            Some(Dynamic::Jsonata(t)) => {
                let v = frame.jsonata(t, states, field)?;
                match v.as_u64() {
                    Some(n) if n > 0 => Some(n),
                    _ => {
                        return Err(frame.field_error(
                            field,
                            format!(
                                "The {field} field must evaluate to a positive integer, but was: {}",
                                AwsJson(&v)
                            ),
                        ));
                    }
                }
            }
            Some(_) => None,
        })
    };
    Ok(Timeouts {
        timeout: resolve(task.timeout_seconds.as_ref(), "TimeoutSeconds")?,
        heartbeat: resolve(task.heartbeat_seconds.as_ref(), "HeartbeatSeconds")?,
    })
}

enum Attempt {
    Succeeded(Value),
    Failed(TaskFailure),
    TimedOut,
    HeartbeatTimedOut,
}

/// Invokes the task (with retries) and returns its result.
pub(crate) async fn run(
    frame: &mut Frame<'_>,
    task: &TaskState,
    args: Value,
    timeouts: Timeouts,
    cursor: &mut Cursor,
) -> Result<Value, Failure> {
    let exec = frame.exec;
    let mut retry = RetryState::default();
    loop {
        scheduled(frame, task, &args, timeouts, cursor);
        let heartbeat = Heartbeat::default();
        let request = TaskRequest {
            heartbeat: heartbeat.clone(),
            resource: task.resource.clone(),
            kind: task.kind.clone(),
            input: args.clone(),
            context: TaskContext {
                execution_arn: exec.spec.execution_arn.clone(),
                execution_name: exec.spec.execution_name.clone(),
                state_machine_arn: exec.spec.state_machine_arn.clone(),
                state_name: frame.state.name.clone(),
                retry_count: frame.retry_count,
                idempotency_key: frame.idempotency_key(),
                task_token: frame.task_token.clone(),
                timeout_seconds: timeouts.timeout,
            },
        };
        let watch_heartbeats = timeouts
            .heartbeat
            .filter(|_| exec.tasks.supports_heartbeats(&task.kind));
        let call = exec.tasks.invoke(request);
        let deadline = async {
            match timeouts.timeout {
                Some(secs) => exec.clock.sleep(Duration::from_secs(secs)).await,
                None => std::future::pending().await,
            }
        };
        let silence = async {
            let Some(secs) = watch_heartbeats else {
                return std::future::pending().await;
            };
            loop {
                tokio::select! {
                    () = exec.clock.sleep(Duration::from_secs(secs)) => return,
                    () = heartbeat.next() => {}
                }
            }
        };
        let attempt = tokio::select! {
            r = call => r.map_or_else(Attempt::Failed, Attempt::Succeeded),
            () = deadline => Attempt::TimedOut,
            () = silence => Attempt::HeartbeatTimedOut,
        };
        let failure = match attempt {
            Attempt::Succeeded(output) if exceeds_payload_limit(&output) => {
                let failure = result_too_large(task);
                failed(frame, task, &failure, cursor);
                failure
            }
            Attempt::Succeeded(output) => {
                succeeded(frame, task, &output, cursor);
                return Ok(output);
            }
            // An invoker that enforced the time limit itself reports it as
            // AWS does a timeout: the same error, no cause.
            Attempt::Failed(f) if f.error == names::TIMEOUT => {
                let failure = timeout_failure(names::TIMEOUT);
                timed_out(frame, task, &failure, cursor);
                failure
            }
            Attempt::Failed(f) if f.error == names::DATA_LIMIT_EXCEEDED => {
                let failure = result_too_large(task);
                failed(frame, task, &failure, cursor);
                failure
            }
            Attempt::Failed(f) => {
                let failure = task_failure(&f.error, f.cause);
                failed(frame, task, &failure, cursor);
                failure
            }
            Attempt::TimedOut => {
                let failure = timeout_failure(names::TIMEOUT);
                timed_out(frame, task, &failure, cursor);
                failure
            }
            Attempt::HeartbeatTimedOut => {
                let failure = timeout_failure(names::HEARTBEAT_TIMEOUT);
                timed_out(frame, task, &failure, cursor);
                failure
            }
        };
        match frame.next_retry(&mut retry, &failure) {
            Some(delay) => {
                exec.clock.sleep(delay).await;
            }
            None => return Err(failure),
        }
    }
}

fn task_failure(error: &str, cause: Option<String>) -> Failure {
    let mut f = Failure::raw(Some(error.to_owned()), cause);
    f.from_task = true;
    f
}

/// A task's timeout: AWS records it with its error name and no cause.
fn timeout_failure(error: &str) -> Failure {
    let mut f = task_failure(error, None);
    f.timed_out = true;
    f
}

/// AWS's failure for a task result over the payload limit; it names the
/// resource type ('lambda'), not the state, and `States.ALL` catches it.
fn result_too_large(task: &TaskState) -> Failure {
    let (resource_type, _) = names_of(&task.kind);
    task_failure(
        names::DATA_LIMIT_EXCEEDED,
        Some(format!(
            "The state/task '{resource_type}' returned a result with a size exceeding the maximum number of bytes service limit."
        )),
    )
}

fn scheduled(frame: &Frame<'_>, task: &TaskState, args: &Value, t: Timeouts, cursor: &mut Cursor) {
    let events = &frame.exec.events;
    match &task.kind {
        ResourceKind::LambdaFunction { .. } => {
            events.advance(cursor, || EventDetails::LambdaFunctionScheduled {
                resource: task.resource.clone(),
                input: args.clone(),
                timeout: t.timeout,
            });
            events.advance(cursor, || EventDetails::LambdaFunctionStarted);
        }
        kind => {
            let (resource_type, resource) = names_of(kind);
            events.advance(cursor, || EventDetails::TaskScheduled {
                resource_type: resource_type.clone(),
                resource: resource.clone(),
                region: REGION.to_owned(),
                parameters: args.clone(),
                timeout: t.timeout,
                heartbeat: t.heartbeat,
            });
            events.advance(cursor, || EventDetails::TaskStarted {
                resource_type,
                resource,
            });
        }
    }
}

fn succeeded(frame: &Frame<'_>, task: &TaskState, output: &Value, cursor: &mut Cursor) {
    let events = &frame.exec.events;
    match &task.kind {
        ResourceKind::LambdaFunction { .. } => {
            events.advance(cursor, || EventDetails::LambdaFunctionSucceeded {
                output: output.clone(),
            });
        }
        kind => {
            let (resource_type, resource) = names_of(kind);
            events.advance(cursor, || EventDetails::TaskSucceeded {
                resource_type,
                resource,
                output: output.clone(),
            });
        }
    }
}

fn failed(frame: &Frame<'_>, task: &TaskState, failure: &Failure, cursor: &mut Cursor) {
    let events = &frame.exec.events;
    let (error, cause) = (failure.error.clone(), failure.cause.clone());
    match &task.kind {
        ResourceKind::LambdaFunction { .. } => {
            events.advance(cursor, || EventDetails::LambdaFunctionFailed { error, cause });
        }
        kind => {
            let (resource_type, resource) = names_of(kind);
            events.advance(cursor, || EventDetails::TaskFailed {
                resource_type,
                resource,
                error,
                cause,
            });
        }
    }
}

fn timed_out(frame: &Frame<'_>, task: &TaskState, failure: &Failure, cursor: &mut Cursor) {
    let events = &frame.exec.events;
    let (error, cause) = (failure.error.clone(), failure.cause.clone());
    match &task.kind {
        ResourceKind::LambdaFunction { .. } => {
            events.advance(cursor, || EventDetails::LambdaFunctionTimedOut { error, cause });
        }
        kind => {
            let (resource_type, resource) = names_of(kind);
            events.advance(cursor, || EventDetails::TaskTimedOut {
                resource_type,
                resource,
                error,
                cause,
            });
        }
    }
}

/// `resourceType` and `resource` as AWS writes them in task events.
fn names_of(kind: &ResourceKind) -> (String, String) {
    match kind {
        ResourceKind::Service {
            resource_type,
            resource,
            pattern,
        } => {
            let suffix = match pattern {
                stepyard_asl::definition::IntegrationPattern::RequestResponse => "",
                stepyard_asl::definition::IntegrationPattern::Sync => ".sync",
                stepyard_asl::definition::IntegrationPattern::WaitForTaskToken => ".waitForTaskToken",
            };
            (resource_type.clone(), format!("{resource}{suffix}"))
        }
        ResourceKind::Activity { arn } => ("activity".to_owned(), arn.clone()),
        ResourceKind::LambdaFunction { function } => ("lambda".to_owned(), function.clone()),
    }
}
