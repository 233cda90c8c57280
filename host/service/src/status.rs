//! Telling the outside when an execution's status changes: `RUNNING` when
//! it starts (or is redriven), then how it ended. The listener (the
//! binary wires the alerts to it) is called without waiting, and also
//! answers Stepyard's alert operations (`ListAlerts`, `FollowEvents`).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use super::{Service, ServiceError, ServiceResult};
use stepyard_store::ExecutionRecord;

/// An execution's status as it changed.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    /// The execution's ARN.
    pub execution_arn: String,
    /// Its state machine's ARN.
    pub state_machine_arn: String,
    /// Its name.
    pub name: String,
    /// `RUNNING`, `SUCCEEDED`, `FAILED`, `TIMED_OUT` or `ABORTED`.
    pub status: String,
    /// When it started, epoch milliseconds.
    pub start_millis: i64,
    /// When it ended, epoch milliseconds.
    pub stop_millis: Option<i64>,
    /// Its input (JSON text).
    pub input: String,
    /// Its output (JSON text), when it succeeded.
    pub output: Option<String>,
    /// The error it ended with.
    pub error: Option<String>,
    /// That error's cause.
    pub cause: Option<String>,
    /// How many times it was redriven.
    pub redrive_count: u32,
}

/// A boxed future answering a listener's request.
pub type ListenerFuture = Pin<Box<dyn Future<Output = Value> + Send>>;

/// Hears every status change of the executions this service runs.
pub trait StatusListener: Send + Sync {
    /// `change` happened; must return at once (hand work to a task).
    fn status_changed(&self, change: StatusChange);
    /// `Stepyard.ListAlerts`'s answer: rules, alarms, recent deliveries.
    fn list_alerts(&self) -> Value;
    /// `Stepyard.FollowEvents`'s answer: the events after `after`,
    /// waiting up to `wait` for one.
    fn events_after(&self, after: u64, wait: Duration) -> ListenerFuture;
    /// `Stepyard.PutAlertRule`: adds or replaces a rule given in the rules
    /// file's shape; the error says what is wrong with it.
    fn put_rule(&self, _rule: &Value) -> Result<(), String> {
        Err("this server keeps no alert rules".into())
    }
    /// `Stepyard.DeleteAlertRule`: false when no added rule has that name.
    fn delete_rule(&self, _name: &str) -> bool {
        false
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FollowRequest {
    #[serde(default)]
    after: u64,
    /// Seconds to wait for an event (at most 20).
    #[serde(default)]
    wait_seconds: f64,
}

impl Service {
    /// Tells the listener, if any, that `record` now has `status`.
    pub(crate) fn tell_status(&self, record: &ExecutionRecord, end: Option<&stepyard_store::ExecutionEnd>) {
        let Some(listener) = &self.listener else {
            return;
        };
        listener.status_changed(StatusChange {
            execution_arn: record.arn.clone(),
            state_machine_arn: record.state_machine_arn.clone(),
            name: record.name.clone(),
            status: end.map_or_else(|| "RUNNING".to_owned(), |e| e.status.clone()),
            start_millis: record.start_millis,
            stop_millis: end.map(|e| e.stop_millis),
            input: record.input.clone(),
            output: end.and_then(|e| e.output.clone()),
            error: end.and_then(|e| e.error.clone()),
            cause: end.and_then(|e| e.cause.clone()),
            redrive_count: record.redrive_count,
        });
    }

    pub(crate) fn list_alerts(&self) -> Value {
        match &self.listener {
            Some(listener) => listener.list_alerts(),
            None => json!({"rules": [], "alarms": [], "deliveries": []}),
        }
    }

    pub(crate) fn put_alert_rule(&self, request: Value) -> ServiceResult<Value> {
        let rule = request.get("rule").ok_or_else(|| {
            ServiceError::new(
                "ValidationException",
                "PutAlertRule needs a rule: {name, pattern, targets}",
            )
        })?;
        let listener = self
            .listener
            .as_ref()
            .ok_or_else(|| ServiceError::new("ValidationException", "this server keeps no alert rules"))?;
        listener
            .put_rule(rule)
            .map(|()| json!({}))
            .map_err(|message| ServiceError::new("ValidationException", message))
    }

    pub(crate) fn delete_alert_rule(&self, request: Value) -> ServiceResult<Value> {
        let name = request.get("name").and_then(Value::as_str).unwrap_or_default();
        match &self.listener {
            Some(listener) if listener.delete_rule(name) => Ok(json!({})),
            _ => Err(ServiceError::new(
                "ResourceNotFoundException",
                format!("No rule named '{name}' was added through the API"),
            )),
        }
    }

    pub(crate) async fn follow_events(&self, req: FollowRequest) -> ServiceResult<Value> {
        let Some(listener) = &self.listener else {
            return Ok(json!({"events": [], "next": 0}));
        };
        let wait = Duration::from_secs_f64(req.wait_seconds.clamp(0.0, 20.0));
        Ok(listener.events_after(req.after, wait).await)
    }
}
