//! Execution history events, shaped as AWS's `GetExecutionHistory` returns them.
//!
//! The interpreter numbers every event (ids appear in AWS's error causes) and
//! hands it to a [`HistoryObserver`]; what the observer does with it (print,
//! keep in memory, persist) is not the interpreter's business.

mod encode;

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

/// One history event.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEvent {
    pub id: u64,
    pub previous_event_id: u64,
    pub timestamp: DateTime<Utc>,
    pub details: EventDetails,
}

/// What happened, with AWS's fields for each event type.
#[derive(Debug, Clone, PartialEq)]
pub enum EventDetails {
    ExecutionStarted {
        input: Value,
        role_arn: String,
    },
    ExecutionSucceeded {
        output: Value,
    },
    ExecutionFailed {
        error: Option<String>,
        cause: Option<String>,
    },
    ExecutionTimedOut {
        error: Option<String>,
        cause: Option<String>,
    },
    ExecutionAborted {
        error: Option<String>,
        cause: Option<String>,
    },
    /// `RedriveExecution` restarted a failed execution.
    ExecutionRedriven {
        redrive_count: u32,
    },
    StateEntered {
        state_type: &'static str,
        name: String,
        input: Value,
    },
    StateExited {
        state_type: &'static str,
        name: String,
        output: Value,
        assigned: Option<Map<String, Value>>,
    },
    TaskScheduled {
        resource_type: String,
        resource: String,
        region: String,
        parameters: Value,
        timeout: Option<u64>,
        heartbeat: Option<u64>,
    },
    TaskStarted {
        resource_type: String,
        resource: String,
    },
    TaskSucceeded {
        resource_type: String,
        resource: String,
        output: Value,
    },
    TaskFailed {
        resource_type: String,
        resource: String,
        error: Option<String>,
        cause: Option<String>,
    },
    TaskTimedOut {
        resource_type: String,
        resource: String,
        error: Option<String>,
        cause: Option<String>,
    },
    LambdaFunctionScheduled {
        resource: String,
        input: Value,
        timeout: Option<u64>,
    },
    LambdaFunctionStarted,
    LambdaFunctionSucceeded {
        output: Value,
    },
    LambdaFunctionFailed {
        error: Option<String>,
        cause: Option<String>,
    },
    LambdaFunctionTimedOut {
        error: Option<String>,
        cause: Option<String>,
    },
    MapStateStarted {
        length: usize,
    },
    MapStateSucceeded,
    MapStateFailed,
    MapStateAborted,
    MapIterationStarted {
        name: String,
        index: usize,
    },
    MapIterationSucceeded {
        name: String,
        index: usize,
    },
    MapIterationFailed {
        name: String,
        index: usize,
    },
    MapIterationAborted {
        name: String,
        index: usize,
    },
    MapRunStarted {
        map_run_arn: String,
    },
    MapRunSucceeded,
    MapRunFailed {
        error: Option<String>,
        cause: Option<String>,
    },
    ParallelStateStarted,
    ParallelStateSucceeded,
    ParallelStateFailed,
    ParallelStateAborted,
    WaitStateAborted,
    EvaluationFailed {
        error: String,
        cause: String,
        location: Option<String>,
        state: String,
    },
}

impl EventDetails {
    /// AWS's event type name (`PassStateEntered`, `TaskFailed`…).
    pub fn type_name(&self) -> String {
        use EventDetails::*;
        let fixed = match self {
            StateEntered { state_type, .. } => return format!("{state_type}StateEntered"),
            StateExited { state_type, .. } => return format!("{state_type}StateExited"),
            ExecutionStarted { .. } => "ExecutionStarted",
            ExecutionSucceeded { .. } => "ExecutionSucceeded",
            ExecutionFailed { .. } => "ExecutionFailed",
            ExecutionTimedOut { .. } => "ExecutionTimedOut",
            ExecutionAborted { .. } => "ExecutionAborted",
            ExecutionRedriven { .. } => "ExecutionRedriven",
            TaskScheduled { .. } => "TaskScheduled",
            TaskStarted { .. } => "TaskStarted",
            TaskSucceeded { .. } => "TaskSucceeded",
            TaskFailed { .. } => "TaskFailed",
            TaskTimedOut { .. } => "TaskTimedOut",
            LambdaFunctionScheduled { .. } => "LambdaFunctionScheduled",
            LambdaFunctionStarted => "LambdaFunctionStarted",
            LambdaFunctionSucceeded { .. } => "LambdaFunctionSucceeded",
            LambdaFunctionFailed { .. } => "LambdaFunctionFailed",
            LambdaFunctionTimedOut { .. } => "LambdaFunctionTimedOut",
            MapStateStarted { .. } => "MapStateStarted",
            MapStateSucceeded => "MapStateSucceeded",
            MapStateFailed => "MapStateFailed",
            MapStateAborted => "MapStateAborted",
            MapIterationStarted { .. } => "MapIterationStarted",
            MapIterationSucceeded { .. } => "MapIterationSucceeded",
            MapIterationFailed { .. } => "MapIterationFailed",
            MapIterationAborted { .. } => "MapIterationAborted",
            MapRunStarted { .. } => "MapRunStarted",
            MapRunSucceeded => "MapRunSucceeded",
            MapRunFailed { .. } => "MapRunFailed",
            ParallelStateStarted => "ParallelStateStarted",
            ParallelStateSucceeded => "ParallelStateSucceeded",
            ParallelStateFailed => "ParallelStateFailed",
            ParallelStateAborted => "ParallelStateAborted",
            WaitStateAborted => "WaitStateAborted",
            EvaluationFailed { .. } => "EvaluationFailed",
        };
        fixed.to_owned()
    }

    /// The `…EventDetails` member: its key and value, when the type has one.
    fn details_json(&self) -> Option<(&'static str, Value)> {
        use EventDetails::*;
        let text = |v: &Value| Value::String(v.to_string());
        let untruncated = json!({"truncated": false});
        let failure = |error: &Option<String>, cause: &Option<String>| {
            let mut m = Map::new();
            if let Some(e) = error {
                m.insert("error".into(), e.clone().into());
            }
            if let Some(c) = cause {
                m.insert("cause".into(), c.clone().into());
            }
            Value::Object(m)
        };
        let with_resource = |resource_type: &str, resource: &str, mut v: Value| {
            if let Some(m) = v.as_object_mut() {
                m.insert("resourceType".into(), resource_type.into());
                m.insert("resource".into(), resource.into());
            }
            v
        };
        Some(match self {
            ExecutionStarted { input, role_arn } => (
                "executionStartedEventDetails",
                json!({"input": text(input), "inputDetails": untruncated, "roleArn": role_arn}),
            ),
            ExecutionSucceeded { output } => (
                "executionSucceededEventDetails",
                json!({"output": text(output), "outputDetails": untruncated}),
            ),
            ExecutionFailed { error, cause } => ("executionFailedEventDetails", failure(error, cause)),
            ExecutionTimedOut { error, cause } => ("executionTimedOutEventDetails", failure(error, cause)),
            ExecutionAborted { error, cause } => ("executionAbortedEventDetails", failure(error, cause)),
            ExecutionRedriven { redrive_count } => {
                ("executionRedrivenEventDetails", json!({"redriveCount": redrive_count}))
            }
            StateEntered { name, input, .. } => (
                "stateEnteredEventDetails",
                json!({"name": name, "input": text(input), "inputDetails": untruncated}),
            ),
            StateExited {
                name, output, assigned, ..
            } => {
                let mut m = json!({"name": name, "output": text(output), "outputDetails": untruncated});
                if let Some(vars) = assigned {
                    let rendered: Map<String, Value> = vars.iter().map(|(k, v)| (k.clone(), text(v))).collect();
                    m["assignedVariables"] = Value::Object(rendered);
                    m["assignedVariablesDetails"] = untruncated;
                }
                ("stateExitedEventDetails", m)
            }
            TaskScheduled {
                resource_type,
                resource,
                region,
                parameters,
                timeout,
                heartbeat,
            } => {
                let mut m = json!({"region": region, "parameters": text(parameters)});
                if let Some(t) = timeout {
                    m["timeoutInSeconds"] = (*t).into();
                }
                if let Some(h) = heartbeat {
                    m["heartbeatInSeconds"] = (*h).into();
                }
                ("taskScheduledEventDetails", with_resource(resource_type, resource, m))
            }
            TaskStarted {
                resource_type,
                resource,
            } => (
                "taskStartedEventDetails",
                with_resource(resource_type, resource, json!({})),
            ),
            TaskSucceeded {
                resource_type,
                resource,
                output,
            } => (
                "taskSucceededEventDetails",
                with_resource(
                    resource_type,
                    resource,
                    json!({"output": text(output), "outputDetails": untruncated}),
                ),
            ),
            TaskFailed {
                resource_type,
                resource,
                error,
                cause,
            } => (
                "taskFailedEventDetails",
                with_resource(resource_type, resource, failure(error, cause)),
            ),
            TaskTimedOut {
                resource_type,
                resource,
                error,
                cause,
            } => (
                "taskTimedOutEventDetails",
                with_resource(resource_type, resource, failure(error, cause)),
            ),
            LambdaFunctionScheduled {
                resource,
                input,
                timeout,
            } => {
                let mut m = json!({"resource": resource, "input": text(input), "inputDetails": untruncated});
                if let Some(t) = timeout {
                    m["timeoutInSeconds"] = (*t).into();
                }
                ("lambdaFunctionScheduledEventDetails", m)
            }
            LambdaFunctionSucceeded { output } => (
                "lambdaFunctionSucceededEventDetails",
                json!({"output": text(output), "outputDetails": untruncated}),
            ),
            LambdaFunctionFailed { error, cause } => ("lambdaFunctionFailedEventDetails", failure(error, cause)),
            LambdaFunctionTimedOut { error, cause } => ("lambdaFunctionTimedOutEventDetails", failure(error, cause)),
            MapStateStarted { length } => ("mapStateStartedEventDetails", json!({"length": length})),
            MapIterationStarted { name, index } => {
                ("mapIterationStartedEventDetails", json!({"name": name, "index": index}))
            }
            MapIterationSucceeded { name, index } => (
                "mapIterationSucceededEventDetails",
                json!({"name": name, "index": index}),
            ),
            MapIterationFailed { name, index } => {
                ("mapIterationFailedEventDetails", json!({"name": name, "index": index}))
            }
            MapIterationAborted { name, index } => {
                ("mapIterationAbortedEventDetails", json!({"name": name, "index": index}))
            }
            MapRunStarted { map_run_arn } => ("mapRunStartedEventDetails", json!({"mapRunArn": map_run_arn})),
            MapRunFailed { error, cause } => ("mapRunFailedEventDetails", failure(error, cause)),
            EvaluationFailed {
                error,
                cause,
                location,
                state,
            } => {
                let mut m = json!({"error": error, "cause": cause, "state": state});
                if let Some(l) = location {
                    m["location"] = l.clone().into();
                }
                ("evaluationFailedEventDetails", m)
            }
            LambdaFunctionStarted
            | MapRunSucceeded
            | MapStateSucceeded
            | MapStateFailed
            | MapStateAborted
            | ParallelStateStarted
            | ParallelStateSucceeded
            | ParallelStateFailed
            | ParallelStateAborted
            | WaitStateAborted => return None,
        })
    }
}

impl HistoryEvent {
    /// The event as GetExecutionHistory returns it.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert(
            "timestamp".into(),
            stepyard_asl::timestamp::format_millis(self.timestamp).into(),
        );
        m.insert("type".into(), self.details.type_name().into());
        m.insert("id".into(), self.id.into());
        m.insert("previousEventId".into(), self.previous_event_id.into());
        if let Some((key, value)) = self.details.details_json() {
            m.insert(key.into(), value);
        }
        Value::Object(m)
    }
}

/// Receives every event of an execution, in id order per execution path.
pub trait HistoryObserver: Send + Sync {
    /// Whether events should be built at all. An observer that ignores them
    /// returns false, and the interpreter only counts ids (they appear in
    /// error causes), which keeps the hot path free of event construction.
    fn wants_events(&self) -> bool {
        true
    }
    /// Takes the event by value: an observer that keeps it needs no copy.
    fn on_event(&self, event: HistoryEvent);
}

/// Ignores events.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoHistory;

impl HistoryObserver for NoHistory {
    fn wants_events(&self) -> bool {
        false
    }
    fn on_event(&self, _event: HistoryEvent) {}
}

/// Keeps every event in memory.
#[derive(Debug, Default)]
pub struct MemoryHistory {
    events: Mutex<Vec<HistoryEvent>>,
}

impl MemoryHistory {
    pub fn new() -> MemoryHistory {
        MemoryHistory::default()
    }

    /// The events so far, sorted by id.
    pub fn events(&self) -> Vec<HistoryEvent> {
        let mut v = self.events.lock().unwrap_or_else(|e| e.into_inner()).clone();
        v.sort_by_key(|e| e.id);
        v
    }
}

impl HistoryObserver for MemoryHistory {
    fn on_event(&self, event: HistoryEvent) {
        self.events.lock().unwrap_or_else(|e| e.into_inner()).push(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_events_are_named_after_their_state_type() {
        let d = EventDetails::StateEntered {
            state_type: "Pass",
            name: "A".into(),
            input: json!({}),
        };
        assert_eq!(d.type_name(), "PassStateEntered");
    }

    #[test]
    fn json_shape_matches_get_execution_history() {
        let e = HistoryEvent {
            id: 3,
            previous_event_id: 2,
            timestamp: Utc::now(),
            details: EventDetails::StateExited {
                state_type: "Pass",
                name: "A".into(),
                output: json!({"a": 1}),
                assigned: Some(Map::from_iter([("x".to_owned(), json!(42))])),
            },
        };
        let v = e.to_json();
        assert_eq!(v["type"], "PassStateExited");
        assert_eq!(v["stateExitedEventDetails"]["output"], "{\"a\":1}");
        assert_eq!(v["stateExitedEventDetails"]["assignedVariables"]["x"], "42");
        assert_eq!(v["previousEventId"], 2);
    }
}
