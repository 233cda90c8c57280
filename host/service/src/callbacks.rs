//! Task tokens: a `.waitForTaskToken` Task waits, after its resource
//! answered, until a worker calls SendTaskSuccess or SendTaskFailure with
//! the token (SendTaskHeartbeat keeps a `HeartbeatSeconds` task alive).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::oneshot;

use super::{Service, ServiceError, ServiceResult};
use stepyard_asl::definition::{IntegrationPattern, ResourceKind};
use stepyard_interpreter::MAX_PAYLOAD_BYTES;
use stepyard_interpreter::clock::BoxFuture;
use stepyard_interpreter::task::{Heartbeat, TaskFailure, TaskInvoker, TaskRequest};

/// The tasks waiting for their token, in this process.
#[derive(Default)]
pub(super) struct Callbacks {
    waiting: Mutex<HashMap<String, Waiter>>,
}

struct Waiter {
    reply: oneshot::Sender<Result<Value, TaskFailure>>,
    heartbeat: Heartbeat,
}

impl Callbacks {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Waiter>> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Removes a token when its task stops waiting (answered, timed out, or
/// the execution stopped).
struct Registration {
    callbacks: Arc<Callbacks>,
    token: String,
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.callbacks.lock().remove(&self.token);
    }
}

/// A task invoker that turns `.waitForTaskToken` calls into waits.
pub(super) struct CallbackInvoker {
    pub inner: Arc<dyn TaskInvoker>,
    pub callbacks: Arc<Callbacks>,
}

fn waits_for_token(kind: &ResourceKind) -> bool {
    matches!(
        kind,
        ResourceKind::Service {
            pattern: IntegrationPattern::WaitForTaskToken,
            ..
        }
    )
}

impl TaskInvoker for CallbackInvoker {
    fn invoke(&self, request: TaskRequest) -> BoxFuture<'static, Result<Value, TaskFailure>> {
        let token = match &request.context.task_token {
            Some(token) if waits_for_token(&request.kind) => token.clone(),
            _ => return self.inner.invoke(request),
        };
        let (reply, answer) = oneshot::channel();
        self.callbacks.lock().insert(
            token.clone(),
            Waiter {
                reply,
                heartbeat: request.heartbeat.clone(),
            },
        );
        let registration = Registration {
            callbacks: self.callbacks.clone(),
            token,
        };
        let dispatch = self.inner.invoke(request);
        Box::pin(async move {
            let _registration = registration;
            // The resource's answer only says the work was handed over; its
            // failure fails the task.
            dispatch.await?;
            answer.await.unwrap_or_else(|_| {
                Err(TaskFailure::new(
                    "States.Runtime",
                    "The task token was abandoned before an answer arrived",
                ))
            })
        })
    }

    fn supports_heartbeats(&self, kind: &ResourceKind) -> bool {
        waits_for_token(kind) || self.inner.supports_heartbeats(kind)
    }

    fn serves(&self, kind: &ResourceKind) -> bool {
        self.inner.serves(kind)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SuccessRequest {
    task_token: String,
    output: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct FailureRequest {
    task_token: String,
    error: Option<String>,
    cause: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct HeartbeatRequest {
    task_token: String,
}

fn no_such_task(token: &str) -> ServiceError {
    if token.is_empty() || token.len() > 1024 {
        ServiceError::new("InvalidToken", format!("Invalid Token: '{token}'"))
    } else {
        ServiceError::new("TaskDoesNotExist", "Task Does Not Exist")
    }
}

impl Service {
    fn answer(&self, token: &str, result: Result<Value, TaskFailure>) -> ServiceResult<Value> {
        let waiter = self.callbacks.lock().remove(token).ok_or_else(|| no_such_task(token))?;
        // The task may have stopped waiting a moment ago; AWS answers the
        // same in that case.
        waiter
            .reply
            .send(result)
            .map_err(|_| ServiceError::new("TaskTimedOut", "Task Timed Out"))?;
        Ok(json!({}))
    }

    pub(super) fn send_task_success(&self, req: SuccessRequest) -> ServiceResult<Value> {
        if req.output.len() > MAX_PAYLOAD_BYTES {
            return Err(ServiceError::validation(format!(
                "1 validation error detected: Value at 'output' failed to satisfy constraint: Member must have length less than or equal to {MAX_PAYLOAD_BYTES}"
            )));
        }
        let output: Value = serde_json::from_str(&req.output)
            .map_err(|e| ServiceError::new("InvalidOutput", format!("Invalid Output: '{e}'")))?;
        self.answer(&req.task_token, Ok(output))
    }

    pub(super) fn send_task_failure(&self, req: FailureRequest) -> ServiceResult<Value> {
        let failure = TaskFailure {
            error: req.error.clone().unwrap_or_default(),
            cause: req.cause.clone(),
        };
        self.answer(&req.task_token, Err(failure))
    }

    pub(super) fn send_task_heartbeat(&self, req: HeartbeatRequest) -> ServiceResult<Value> {
        let waiting = self.callbacks.lock();
        let waiter = waiting
            .get(&req.task_token)
            .ok_or_else(|| no_such_task(&req.task_token))?;
        waiter.heartbeat.beat();
        Ok(json!({}))
    }
}
