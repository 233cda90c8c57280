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
    /// `id`: the event's number in the execution, counting from 1.
    pub id: u64,
    /// `previousEventId`: the event this one follows on its path (0 for the first).
    pub previous_event_id: u64,
    /// `timestamp`: when the event happened, by the execution's clock.
    pub timestamp: DateTime<Utc>,
    /// The event's type and its `…EventDetails`.
    pub details: EventDetails,
}

/// What happened, with AWS's fields for each event type.
#[derive(Debug, Clone, PartialEq)]
pub enum EventDetails {
    /// The execution began.
    ExecutionStarted {
        /// `input` of `ExecutionStartedEventDetails`.
        input: Value,
        /// `roleArn` of `ExecutionStartedEventDetails`.
        role_arn: String,
    },
    /// The execution ended with an output.
    ExecutionSucceeded {
        /// `output` of `ExecutionSucceededEventDetails`.
        output: Value,
    },
    /// A failure no `Catch` handled, or a Fail state, ended the execution.
    ExecutionFailed {
        /// `error` of `ExecutionFailedEventDetails`.
        error: Option<String>,
        /// `cause` of `ExecutionFailedEventDetails`.
        cause: Option<String>,
    },
    /// The machine's `TimeoutSeconds` passed before the execution ended.
    ExecutionTimedOut {
        /// `error` of `ExecutionTimedOutEventDetails`; AWS leaves it out.
        error: Option<String>,
        /// `cause` of `ExecutionTimedOutEventDetails`; AWS leaves it out.
        cause: Option<String>,
    },
    /// `StopExecution` stopped the execution (the service records it, not the interpreter).
    ExecutionAborted {
        /// `error` of `ExecutionAbortedEventDetails`: the one `StopExecution` was given.
        error: Option<String>,
        /// `cause` of `ExecutionAbortedEventDetails`: the one `StopExecution` was given.
        cause: Option<String>,
    },
    /// `RedriveExecution` restarted a failed execution.
    ExecutionRedriven {
        /// `redriveCount` of `ExecutionRedrivenEventDetails`: redrives so far, this one included.
        redrive_count: u32,
    },
    /// A state was entered (`PassStateEntered`, `TaskStateEntered`…).
    StateEntered {
        /// The state's `Type` (`Pass`, `Task`…), which prefixes the event type.
        state_type: &'static str,
        /// `name` of `StateEnteredEventDetails`.
        name: String,
        /// `input` of `StateEnteredEventDetails`: the input the state received.
        input: Value,
    },
    /// A state finished and hands its output on (`PassStateExited`…).
    StateExited {
        /// The state's `Type` (`Pass`, `Task`…), which prefixes the event type.
        state_type: &'static str,
        /// `name` of `StateExitedEventDetails`.
        name: String,
        /// `output` of `StateExitedEventDetails`.
        output: Value,
        /// `assignedVariables` of `StateExitedEventDetails`: what the state's `Assign` set.
        /// AWS leaves the member out when that is nothing (no `Assign`, or an empty one).
        assigned: Option<Map<String, Value>>,
    },
    /// A Task state scheduled a call to a service integration or an activity.
    TaskScheduled {
        /// `resourceType` of `TaskScheduledEventDetails` (`lambda`, `sqs`, `activity`…).
        resource_type: String,
        /// `resource` of `TaskScheduledEventDetails`: the action with its pattern suffix
        /// (`invoke`, `sendMessage.waitForTaskToken`), or the activity's ARN.
        resource: String,
        /// `region` of `TaskScheduledEventDetails`.
        region: String,
        /// `parameters` of `TaskScheduledEventDetails`: the effective input sent.
        parameters: Value,
        /// `timeoutInSeconds` of `TaskScheduledEventDetails`.
        timeout: Option<u64>,
        /// `heartbeatInSeconds` of `TaskScheduledEventDetails`.
        heartbeat: Option<u64>,
    },
    /// A scheduled task began to run.
    TaskStarted {
        /// `resourceType` of `TaskStartedEventDetails`.
        resource_type: String,
        /// `resource` of `TaskStartedEventDetails`.
        resource: String,
    },
    /// A task returned its result.
    TaskSucceeded {
        /// `resourceType` of `TaskSucceededEventDetails`.
        resource_type: String,
        /// `resource` of `TaskSucceededEventDetails`.
        resource: String,
        /// `output` of `TaskSucceededEventDetails`: the task's raw result.
        output: Value,
    },
    /// One attempt of a task failed; a retry schedules the task again.
    TaskFailed {
        /// `resourceType` of `TaskFailedEventDetails`.
        resource_type: String,
        /// `resource` of `TaskFailedEventDetails`.
        resource: String,
        /// `error` of `TaskFailedEventDetails`.
        error: Option<String>,
        /// `cause` of `TaskFailedEventDetails`.
        cause: Option<String>,
    },
    /// A task ran past its `TimeoutSeconds` or went silent past its `HeartbeatSeconds`.
    TaskTimedOut {
        /// `resourceType` of `TaskTimedOutEventDetails`.
        resource_type: String,
        /// `resource` of `TaskTimedOutEventDetails`.
        resource: String,
        /// `error` of `TaskTimedOutEventDetails`.
        error: Option<String>,
        /// `cause` of `TaskTimedOutEventDetails`.
        cause: Option<String>,
    },
    /// A Task state whose `Resource` is a Lambda function ARN scheduled the call.
    LambdaFunctionScheduled {
        /// `resource` of `LambdaFunctionScheduledEventDetails`: the `Resource` as written.
        resource: String,
        /// `input` of `LambdaFunctionScheduledEventDetails`: the payload sent.
        input: Value,
        /// `timeoutInSeconds` of `LambdaFunctionScheduledEventDetails`.
        timeout: Option<u64>,
    },
    /// A scheduled Lambda function began to run.
    LambdaFunctionStarted,
    /// A Lambda function returned its result.
    LambdaFunctionSucceeded {
        /// `output` of `LambdaFunctionSucceededEventDetails`.
        output: Value,
    },
    /// One attempt of a Lambda function failed; a retry schedules it again.
    LambdaFunctionFailed {
        /// `error` of `LambdaFunctionFailedEventDetails`.
        error: Option<String>,
        /// `cause` of `LambdaFunctionFailedEventDetails`.
        cause: Option<String>,
    },
    /// A Lambda function ran past its state's `TimeoutSeconds` (or `HeartbeatSeconds`).
    LambdaFunctionTimedOut {
        /// `error` of `LambdaFunctionTimedOutEventDetails`.
        error: Option<String>,
        /// `cause` of `LambdaFunctionTimedOutEventDetails`.
        cause: Option<String>,
    },
    /// A Map state began iterating over its items.
    MapStateStarted {
        /// `length` of `MapStateStartedEventDetails`: the number of items.
        length: usize,
    },
    /// A Map state's iterations ended with no more failures than it tolerates.
    MapStateSucceeded,
    /// A Map state failed for good: too many iterations failed and no retry is left, or
    /// evaluating it failed.
    MapStateFailed,
    /// A Map state was stopped from outside. The interpreter never records it.
    MapStateAborted,
    /// An inline Map iteration began.
    MapIterationStarted {
        /// `name` of `MapIterationStartedEventDetails`: the Map state's name.
        name: String,
        /// `index` of `MapIterationStartedEventDetails`: the item's position.
        index: usize,
    },
    /// An inline Map iteration reached the end of the item processor.
    MapIterationSucceeded {
        /// `name` of `MapIterationSucceededEventDetails`: the Map state's name.
        name: String,
        /// `index` of `MapIterationSucceededEventDetails`: the item's position.
        index: usize,
    },
    /// An inline Map iteration failed.
    MapIterationFailed {
        /// `name` of `MapIterationFailedEventDetails`: the Map state's name.
        name: String,
        /// `index` of `MapIterationFailedEventDetails`: the item's position.
        index: usize,
    },
    /// An inline Map iteration was stopped. The interpreter never records it.
    MapIterationAborted {
        /// `name` of `MapIterationAbortedEventDetails`: the Map state's name.
        name: String,
        /// `index` of `MapIterationAbortedEventDetails`: the item's position.
        index: usize,
    },
    /// A distributed Map state started its Map Run of child executions.
    MapRunStarted {
        /// `mapRunArn` of `MapRunStartedEventDetails`.
        map_run_arn: String,
    },
    /// A Map Run ended with no more failed children than it tolerates.
    MapRunSucceeded,
    /// A Map Run failed.
    MapRunFailed {
        /// `error` of `MapRunFailedEventDetails`.
        error: Option<String>,
        /// `cause` of `MapRunFailedEventDetails`.
        cause: Option<String>,
    },
    /// A Parallel state started its branches (again on each retry).
    ParallelStateStarted,
    /// Every branch of a Parallel state succeeded.
    ParallelStateSucceeded,
    /// A Parallel state failed for good: a branch failed and no retry is left, or
    /// evaluating it failed.
    ParallelStateFailed,
    /// A Parallel state was stopped from outside. The interpreter never records it.
    ParallelStateAborted,
    /// A Wait state was stopped before its time. The interpreter never records it.
    WaitStateAborted,
    /// A state's JSONata failed to evaluate (`States.QueryEvaluationError`).
    EvaluationFailed {
        /// `error` of `EvaluationFailedEventDetails`.
        error: String,
        /// `cause` of `EvaluationFailedEventDetails`.
        cause: String,
        /// `location` of `EvaluationFailedEventDetails`: the field whose value failed
        /// (`Items`, `Output/a/0`), when the failure is about one field.
        location: Option<String>,
        /// `state` of `EvaluationFailedEventDetails`: the state's name.
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
                // AWS records the member only when the state assigned something.
                if let Some(vars) = assigned.as_ref().filter(|v| !v.is_empty()) {
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
    /// A history with no events yet.
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

    #[test]
    fn an_empty_assign_records_no_assigned_variables() {
        let exited = |assigned| HistoryEvent {
            id: 3,
            previous_event_id: 2,
            timestamp: Utc::now(),
            details: EventDetails::StateExited {
                state_type: "Pass",
                name: "A".into(),
                output: json!({}),
                assigned,
            },
        };
        for assigned in [None, Some(Map::new())] {
            let event = exited(assigned);
            let details = &event.to_json()["stateExitedEventDetails"];
            assert!(details.get("assignedVariables").is_none(), "{details}");
            assert!(details.get("assignedVariablesDetails").is_none(), "{details}");
            assert_eq!(event.to_json_text(), event.to_json().to_string());
        }
    }
}
