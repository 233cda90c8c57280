//! TestState: one state run on its own, with AWS's answer shape.
//!
//! The state is placed in a machine of its own (every state it can move to
//! becomes a `Succeed` placeholder) and run by the interpreter in virtual
//! time (waits and retry intervals take no real time; plugins do run). The
//! run stops once the next state is entered: its name is `nextState`.
//! Retries are not run: a failure a retrier would catch answers `RETRIABLE`,
//! as AWS does.

use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Service, ServiceError, ServiceResult};
use stepyard_asl::definition::StateMachine;
use stepyard_interpreter::clock::BoxFuture;
use stepyard_interpreter::history::{EventDetails, HistoryEvent, HistoryObserver};
use stepyard_interpreter::task::{TaskFailure, TaskInvoker, TaskRequest};
use stepyard_interpreter::{Checkpoint, ExecutionSpec, Inspector, Interpreter, Services, Stage, Start};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TestStateRequest {
    definition: String,
    role_arn: Option<String>,
    input: Option<String>,
    variables: Option<String>,
    state_name: Option<String>,
    inspection_level: Option<String>,
    /// A task's answer given instead of calling it (AWS's `mock`).
    mock: Option<Mock>,
}

/// TestState's `mock`: the result (or error) the state's task gives, so
/// the state runs without calling anything.
#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct Mock {
    /// The task's result, as JSON text.
    result: Option<String>,
    error_output: Option<MockError>,
    /// How strictly a mocked result is checked against the integration's
    /// answer shape; taken, but every mode is `NONE` for now.
    #[allow(dead_code)]
    field_validation_mode: Option<String>,
}

#[derive(Deserialize, Clone)]
struct MockError {
    error: Option<String>,
    cause: Option<String>,
}

/// Answers every task with the mock.
struct MockTasks(Result<Value, TaskFailure>);

impl TaskInvoker for MockTasks {
    fn invoke(&self, _request: TaskRequest) -> BoxFuture<'static, Result<Value, TaskFailure>> {
        let answer = self.0.clone();
        Box::pin(async move { answer })
    }
}

/// Keeps the first value of each data-flow stage of one state.
struct StageRecorder {
    state: String,
    stages: Mutex<Vec<(Stage, Value)>>,
}

impl Inspector for StageRecorder {
    fn stage(&self, state: &str, stage: Stage, value: &Value) {
        if state != self.state {
            return;
        }
        let mut stages = self.stages.lock().unwrap_or_else(|e| e.into_inner());
        if !stages.iter().any(|(s, _)| *s == stage) {
            stages.push((stage, value.clone()));
        }
    }
}

/// Records events and notices when a second state is entered.
#[derive(Default)]
struct Watcher {
    events: Mutex<Vec<HistoryEvent>>,
    next_state: Mutex<Option<String>>,
    moved_on: tokio::sync::Notify,
}

impl HistoryObserver for Watcher {
    fn on_event(&self, event: HistoryEvent) {
        if let EventDetails::StateEntered { name, .. } = &event.details {
            let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
            let entered_before = events
                .iter()
                .any(|e| matches!(e.details, EventDetails::StateEntered { .. }));
            if entered_before {
                *self.next_state.lock().unwrap_or_else(|e| e.into_inner()) = Some(name.clone());
                self.moved_on.notify_one();
                return;
            }
            events.push(event);
            return;
        }
        self.events.lock().unwrap_or_else(|e| e.into_inner()).push(event);
    }
}

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::new("InvalidDefinition", message)
}

/// The state to test and the query language its machine declares.
fn pick_state(
    definition: &Value,
    state_name: Option<&str>,
) -> ServiceResult<(String, Map<String, Value>, Option<Value>)> {
    let Some(object) = definition.as_object() else {
        return Err(invalid(
            "Invalid State Machine Definition: the definition must be a JSON object",
        ));
    };
    if let Some(states) = object.get("States").and_then(Value::as_object) {
        let Some(name) = state_name else {
            return Err(ServiceError::validation(
                "stateName is required when the definition is a state machine",
            ));
        };
        let state = states
            .get(name)
            .and_then(Value::as_object)
            .ok_or_else(|| ServiceError::validation(format!("The state '{name}' is not in the definition")))?;
        return Ok((name.to_owned(), state.clone(), object.get("QueryLanguage").cloned()));
    }
    let name = state_name.unwrap_or("TestState").to_owned();
    Ok((name, object.clone(), None))
}

/// Every state name `state` can move to.
fn targets(state: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |v: Option<&Value>| {
        if let Some(name) = v.and_then(Value::as_str) {
            out.push(name.to_owned());
        }
    };
    add(state.get("Next"));
    add(state.get("Default"));
    for key in ["Choices", "Catch"] {
        for item in state.get(key).and_then(Value::as_array).into_iter().flatten() {
            add(item.get("Next"));
        }
    }
    out
}

/// Whether a retrier of `retry` would retry `error` (AWS's matching:
/// `States.ALL`, `States.TaskFailed` for any non-timeout task error, or the
/// name itself).
fn retriable(retry: Option<&Value>, error: &str) -> bool {
    retry.and_then(Value::as_array).into_iter().flatten().any(|retrier| {
        retrier
            .get("ErrorEquals")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .any(|e| {
                e == error
                    || e == "States.ALL"
                    || (e == "States.TaskFailed" && error != "States.Timeout" && error != "States.Runtime")
            })
            && retrier.get("MaxAttempts").and_then(Value::as_u64) != Some(0)
    })
}

/// The task answer a mock stands for.
fn mock_answer(mock: &Mock) -> ServiceResult<Result<Value, TaskFailure>> {
    match (&mock.result, &mock.error_output) {
        (Some(text), None) => serde_json::from_str(text)
            .map(Ok)
            .map_err(|e| ServiceError::validation(format!("mock.result is not valid JSON: {e}"))),
        (None, Some(e)) => Ok(Err(TaskFailure {
            error: e.error.clone().unwrap_or_else(|| "States.TaskFailed".to_owned()),
            cause: e.cause.clone(),
        })),
        _ => Err(ServiceError::validation(
            "mock needs exactly one of result and errorOutput",
        )),
    }
}

impl Service {
    pub(super) async fn test_state(self: &Arc<Self>, req: TestStateRequest) -> ServiceResult<Value> {
        let definition: Value = serde_json::from_str(&req.definition)
            .map_err(|e| invalid(format!("Invalid State Machine Definition: '{e}'")))?;
        let (name, mut state, query_language) = pick_state(&definition, req.state_name.as_deref())?;
        let input_text = req.input.clone().unwrap_or_else(|| "{}".to_owned());
        let input: Value = serde_json::from_str(&input_text).map_err(|e| {
            ServiceError::new(
                "InvalidExecutionInput",
                format!("Invalid State Machine Execution Input: '{e}'"),
            )
        })?;
        let variables = match &req.variables {
            None => Map::new(),
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(m)) => m,
                _ => return Err(ServiceError::validation("variables must be a JSON object")),
            },
        };
        let retry = state.remove("Retry");
        let mut states = Map::new();
        for target in targets(&state) {
            if target != name {
                states.insert(target, json!({"Type": "Succeed"}));
            }
        }
        states.insert(name.clone(), Value::Object(state));
        let mut machine = json!({"StartAt": name, "States": states});
        if let Some(ql) = query_language {
            machine["QueryLanguage"] = ql;
        }
        let machine = Arc::new(
            StateMachine::from_value(&machine)
                .map_err(|invalid_definition| invalid(invalid_definition.aws_message()))?,
        );

        let role_arn = req
            .role_arn
            .clone()
            .unwrap_or_else(|| format!("arn:aws:iam::{}:role/TestStateRole", self.here.account));
        let mut spec = ExecutionSpec::local("TestState", "test", input.clone());
        spec.role_arn = role_arn.clone();
        let watcher = Arc::new(Watcher::default());
        let tasks: Arc<dyn TaskInvoker> = match &req.mock {
            None => self.tasks_for(&role_arn),
            Some(mock) => Arc::new(MockTasks(mock_answer(mock)?)),
        };
        let recorder = Arc::new(StageRecorder {
            state: name.clone(),
            stages: Mutex::new(Vec::new()),
        });
        let services = Services {
            tasks,
            clock: Arc::new(stepyard_interpreter::clock::ScaledClock::real()),
            history: watcher.clone(),
        };
        let checkpoint = Checkpoint {
            state: name.clone(),
            input: input.clone(),
            variables,
            entered_event_id: 0,
            entered_previous_event_id: 0,
            entered_time_micros: 0,
        };
        let run_watcher = watcher.clone();
        let inspector: Arc<dyn Inspector> = recorder.clone();
        // Virtual time on a runtime of its own: a Wait answers at once.
        let outcome = tokio::task::spawn_blocking(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async move {
                let interpreter = Interpreter::new(machine, services).with_inspector(inspector);
                let start = Start::Reenter {
                    checkpoint,
                    last_event_id: 0,
                };
                tokio::select! {
                    result = interpreter.run(&spec, start, None) => Ok(result.ok()),
                    () = run_watcher.moved_on.notified() => Ok(None),
                }
            })
        })
        .await
        .map_err(|e| ServiceError::new("InternalFailure", e.to_string()))?
        .map_err(|e: String| ServiceError::new("InternalFailure", e))?;

        let events = watcher.events.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let next_state = watcher.next_state.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let exited = events.iter().find_map(|e| match &e.details {
            EventDetails::StateExited { output, assigned, .. } => Some((output.clone(), assigned.clone())),
            _ => None,
        });
        let failure = events.iter().find_map(|e| match &e.details {
            EventDetails::TaskFailed { error, cause, .. }
            | EventDetails::TaskTimedOut { error, cause, .. }
            | EventDetails::LambdaFunctionFailed { error, cause }
            | EventDetails::LambdaFunctionTimedOut { error, cause }
            | EventDetails::ExecutionFailed { error, cause } => Some((error.clone(), cause.clone())),
            _ => None,
        });
        let failure = failure.or_else(|| {
            outcome
                .as_ref()
                .filter(|r| r.error.is_some())
                .map(|r| (r.error.clone(), r.cause.clone()))
        });
        let result = events.iter().find_map(|e| match &e.details {
            EventDetails::TaskSucceeded { output, .. } | EventDetails::LambdaFunctionSucceeded { output } => {
                Some(output.clone())
            }
            _ => None,
        });

        let mut out = Map::new();
        let mut inspection = json!({"input": input_text});
        if let Some(r) = result {
            inspection["result"] = r.to_string().into();
        }
        let debug = matches!(req.inspection_level.as_deref(), Some("DEBUG" | "TRACE"));
        if debug {
            for (stage, value) in recorder.stages.lock().unwrap_or_else(|e| e.into_inner()).iter() {
                inspection[stage.field()] = value.to_string().into();
            }
        }
        let error_name = failure.as_ref().and_then(|(e, _)| e.clone()).unwrap_or_default();
        let status = match (&exited, &failure) {
            (_, Some(_)) if retriable(retry.as_ref(), &error_name) => "RETRIABLE",
            (Some(_), Some(_)) => "CAUGHT_ERROR",
            (Some(_), None) => "SUCCEEDED",
            (None, _) => "FAILED",
        };
        if let Some((output, assigned)) = &exited
            && status != "RETRIABLE"
        {
            out.insert("output".into(), output.to_string().into());
            if let Some(vars) = assigned {
                inspection["variables"] = Value::Object(vars.clone()).to_string().into();
            }
        }
        if let Some((error, cause)) = failure {
            if let Some(e) = error {
                out.insert("error".into(), e.into());
            }
            if let Some(c) = cause {
                out.insert("cause".into(), c.into());
            }
        }
        if status != "FAILED"
            && status != "RETRIABLE"
            && let Some(next) = next_state
        {
            out.insert("nextState".into(), next.into());
        }
        if req.inspection_level.as_deref().is_some_and(|l| l != "INFO") || out.contains_key("output") {
            out.insert("inspectionData".into(), inspection);
        }
        out.insert("status".into(), status.into());
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::tests::{Recorder, service};
    use stepyard_store::RedbStore;

    const TASK: &str = r#"{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "InputPath": "$.order",
        "Parameters": {"FunctionName": "pay", "Payload": {"id.$": "$.id"}},
        "ResultSelector": {"paid.$": "$.Payload.ok"},
        "ResultPath": "$.payment",
        "Catch": [{"ErrorEquals": ["Declined"], "Next": "Cancel"}],
        "Next": "Ship"}"#;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_mocked_task_shows_each_step_of_its_data_flow_and_calls_nothing() {
        let store = std::sync::Arc::new(RedbStore::in_memory().unwrap());
        let tasks = Recorder::new(false, 0);
        let service = service(&store, tasks.clone());
        let answer = service
            .call(
                "TestState",
                json!({
                    "definition": TASK,
                    "input": r#"{"order": {"id": "o-1"}, "note": "x"}"#,
                    "inspectionLevel": "DEBUG",
                    "mock": {"result": r#"{"Payload": {"ok": true}, "StatusCode": 200}"#},
                }),
            )
            .await
            .unwrap();
        assert_eq!(answer["status"], "SUCCEEDED", "{answer:#}");
        assert_eq!(answer["nextState"], "Ship");
        let data = &answer["inspectionData"];
        let parsed = |field: &str| serde_json::from_str::<serde_json::Value>(data[field].as_str().unwrap()).unwrap();
        assert_eq!(parsed("afterInputPath"), json!({"id": "o-1"}));
        assert_eq!(
            parsed("afterParameters"),
            json!({"FunctionName": "pay", "Payload": {"id": "o-1"}})
        );
        assert_eq!(parsed("result"), json!({"Payload": {"ok": true}, "StatusCode": 200}));
        assert_eq!(parsed("afterResultSelector"), json!({"paid": true}));
        // ResultPath places the result in the state's raw input, not in what InputPath chose.
        assert_eq!(
            parsed("afterResultPath"),
            json!({"order": {"id": "o-1"}, "note": "x", "payment": {"paid": true}})
        );
        assert!(tasks.keys().is_empty(), "the mock answered, nothing was called");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_mocked_error_is_caught_as_the_state_says() {
        let store = std::sync::Arc::new(RedbStore::in_memory().unwrap());
        let service = service(&store, Recorder::new(false, 0));
        let answer = service
            .call(
                "TestState",
                json!({
                    "definition": TASK,
                    "input": r#"{"order": {"id": "o-1"}}"#,
                    "mock": {"errorOutput": {"error": "Declined", "cause": "card refused"}},
                }),
            )
            .await
            .unwrap();
        assert_eq!(answer["status"], "CAUGHT_ERROR", "{answer:#}");
        assert_eq!(answer["error"], "Declined");
        assert_eq!(answer["nextState"], "Cancel");
        let bad = service
            .call(
                "TestState",
                json!({"definition": TASK, "mock": {"result": "{not json"}}),
            )
            .await
            .unwrap_err();
        assert_eq!(bad.code, "ValidationException");
    }
}
