//! TestState: one state run on its own, with AWS's answer shape.
//!
//! The state is placed in a machine of its own (every state it can move to
//! becomes a `Succeed` placeholder) and run by the interpreter in virtual
//! time (waits and retry intervals take no real time; plugins do run). The
//! run stops once the next state is entered: its name is `nextState`.
//! Retries are not run: a failure a retrier would still retry (after
//! `stateConfiguration.retrierRetryCount` retries) answers `RETRIABLE`
//! with the retrier and its back-off, as AWS does.
//!
//! With a `mock`, the state's task answers with it; a mocked Map or
//! Parallel does not run its iterations or branches (the mock is their
//! result). The state may be nested in a Map or Parallel (`stateName`);
//! in a Map it gets `$$.Map.Item` (index 0, the input as value), and
//! `context` (only with a mock) lays fields over the context object.

mod outcome;
mod prepare;

use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Service, ServiceError, ServiceResult};
use outcome::{Ran, Shape, StageRecorder, Watcher};
use prepare::{as_mocked_task, check_request, invalid, mock_answer, pick_state, targets};
use stepyard_asl::definition::{StateKind, StateMachine};
use stepyard_interpreter::clock::BoxFuture;
use stepyard_interpreter::task::{FieldValidation, TaskFailure, TaskInvoker, TaskRequest, check_mocked_result};
use stepyard_interpreter::{Checkpoint, ExecutionSpec, Inspector, Interpreter, Services, Start};

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
    /// The context object's fields (JSON text); only with a mock.
    context: Option<String>,
    state_configuration: Option<StateConfiguration>,
    reveal_secrets: Option<bool>,
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
    /// answer (`STRICT` by default; only lambda:invoke's is modelled).
    field_validation_mode: Option<String>,
}

#[derive(Deserialize, Clone)]
struct MockError {
    error: Option<String>,
    cause: Option<String>,
}

/// TestState's `stateConfiguration`.
#[derive(Deserialize, Clone, Default)]
#[serde(rename_all = "camelCase")]
struct StateConfiguration {
    /// Retries already made by the retrier that takes the error.
    retrier_retry_count: Option<i64>,
    /// Failed iterations of a mocked Map, held to its tolerated threshold.
    map_iteration_failure_count: Option<i64>,
    /// Accepted (names the inner state a Map's or Parallel's mocked error
    /// comes from); it changes nothing in the answer yet.
    #[allow(dead_code)]
    error_caused_by_state: Option<String>,
    /// Accepted; ItemReader is not run by TestState here.
    #[allow(dead_code)]
    map_item_reader_data: Option<String>,
}

/// Answers every task with the mock.
struct MockTasks(Result<Value, TaskFailure>);

impl TaskInvoker for MockTasks {
    fn invoke(&self, _request: TaskRequest) -> BoxFuture<'static, Result<Value, TaskFailure>> {
        let answer = self.0.clone();
        Box::pin(async move { answer })
    }
}

/// A mocked Map's own DEBUG inspection fields: the items its `ItemsPath`
/// selects (after `InputPath`), and its concurrency and tolerated failures
/// as written (JSONPath fields; what cannot be read is left out).
fn map_inspection(state: &Map<String, Value>, input: &Value) -> Map<String, Value> {
    use stepyard_asl::jsonpath::JsonPath;
    let select = |path: Option<&Value>, from: &Value| -> Option<Value> {
        match path {
            None => Some(from.clone()),
            Some(Value::String(p)) => JsonPath::parse(p).ok()?.select(from).ok().map(|v| v.into_owned()),
            Some(_) => None,
        }
    };
    let mut out = Map::new();
    if let Some(items) = select(state.get("InputPath"), input).and_then(|i| select(state.get("ItemsPath"), &i)) {
        out.insert("afterItemsPath".into(), Value::String(items.to_string()));
    }
    for (field, key) in [
        ("maxConcurrency", "MaxConcurrency"),
        ("toleratedFailureCount", "ToleratedFailureCount"),
        ("toleratedFailurePercentage", "ToleratedFailurePercentage"),
    ] {
        if let Some(v) = state.get(key).filter(|v| v.is_number()) {
            out.insert(field.into(), v.clone());
        }
    }
    out
}

/// `stateConfiguration.mapIterationFailureCount` for a mocked Map: more
/// failures than its items is refused; past the Map's tolerated threshold
/// (`ToleratedFailureCount`, `ToleratedFailurePercentage`), the Map fails
/// as it would after running them.
fn map_failures(
    state: &Map<String, Value>,
    answer: &mut Result<Value, TaskFailure>,
    failures: i64,
) -> ServiceResult<()> {
    let Ok(Value::Array(items)) = answer else {
        return Ok(());
    };
    let (failures, total) = (failures.max(0) as f64, items.len() as f64);
    if failures > total {
        return Err(ServiceError::validation(format!(
            "mapIterationFailureCount ({failures}) must not exceed the number of items ({total})"
        )));
    }
    let count = state.get("ToleratedFailureCount").and_then(Value::as_f64);
    let percentage = state.get("ToleratedFailurePercentage").and_then(Value::as_f64);
    if count.is_none() && percentage.is_none() {
        return Ok(());
    }
    let within = count.is_some_and(|c| failures <= c)
        || percentage.is_some_and(|p| total > 0.0 && failures * 100.0 / total <= p);
    if !within {
        *answer = Err(TaskFailure::new(
            "States.ExceedToleratedFailureThreshold",
            "The specified tolerated failure threshold was exceeded",
        ));
    }
    Ok(())
}

impl Service {
    pub(super) async fn test_state(self: &Arc<Self>, req: TestStateRequest) -> ServiceResult<Value> {
        let definition: Value = serde_json::from_str(&req.definition)
            .map_err(|e| invalid(format!("Invalid State Machine Definition: '{e}'")))?;
        let picked = pick_state(&definition, req.state_name.as_deref())?;
        check_request(&req, &picked.state)?;
        let name = picked.name;
        let mut state = picked.state;
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
        let mut overlay = match &req.context {
            None => None,
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(v @ Value::Object(_)) => Some(v),
                _ => return Err(ServiceError::validation("context must be a JSON object")),
            },
        };
        if picked.in_map && overlay.as_ref().is_none_or(|o| o.get("Map").is_none()) {
            let item = json!({"Map": {"Item": {"Index": 0, "Value": input.clone()}}});
            overlay = Some(match overlay {
                Some(Value::Object(mut o)) => {
                    o.extend(item.as_object().cloned().unwrap_or_default());
                    Value::Object(o)
                }
                _ => item,
            });
        }
        let mut answer = match &req.mock {
            Some(mock) => Some(mock_answer(mock, &state)?),
            None => None,
        };
        if let (Some(answer), Some(failures)) = (
            answer.as_mut(),
            req.state_configuration
                .as_ref()
                .and_then(|c| c.map_iteration_failure_count),
        ) && state.get("Type").and_then(Value::as_str) == Some("Map")
        {
            map_failures(&state, answer, failures)?;
        }
        let debug_fields = if answer.is_some() && state.get("Type").and_then(Value::as_str) == Some("Map") {
            map_inspection(&state, &input)
        } else {
            Map::new()
        };
        if answer.is_some() && matches!(state.get("Type").and_then(Value::as_str), Some("Map" | "Parallel")) {
            state = as_mocked_task(&state);
        }
        let retry = state.remove("Retry");
        let catch = state.get("Catch").cloned();
        let mut states = Map::new();
        for target in targets(&state) {
            if target != name {
                states.insert(target, json!({"Type": "Succeed"}));
            }
        }
        states.insert(name.clone(), Value::Object(state));
        let mut machine = json!({"StartAt": name, "States": states});
        if let Some(ql) = picked.query_language {
            machine["QueryLanguage"] = ql;
        }
        let machine = Arc::new(
            StateMachine::from_value(&machine)
                .map_err(|invalid_definition| invalid(invalid_definition.aws_message()))?,
        );
        if let (Some(Ok(result)), Some(mock)) = (&answer, &req.mock) {
            let mode = mock
                .field_validation_mode
                .as_deref()
                .and_then(FieldValidation::parse)
                .unwrap_or_default();
            let tested = machine.graph.states.iter().find(|s| s.name == name);
            if let Some(StateKind::Task(task)) = tested.map(|s| &s.kind) {
                check_mocked_result(&task.kind, result, mode).map_err(ServiceError::validation)?;
            }
        }

        let role_arn = req
            .role_arn
            .clone()
            .unwrap_or_else(|| format!("arn:aws:iam::{}:role/TestStateRole", self.here.account));
        let mut spec = ExecutionSpec::local("TestState", "test", input.clone());
        spec.role_arn = role_arn.clone();
        spec.context_overlay = overlay.map(Arc::new);
        let watcher = Arc::new(Watcher::default());
        let tasks: Arc<dyn TaskInvoker> = match answer {
            None => self.tasks_for(&role_arn),
            Some(answer) => Arc::new(MockTasks(answer)),
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
        let mut ran = Ran::from_events(&events, next_state);
        if ran.failure.is_none() {
            ran.failure = outcome
                .as_ref()
                .filter(|r| r.error.is_some())
                .map(|r| (r.error.clone(), r.cause.clone()));
        }
        let retries_so_far = req
            .state_configuration
            .as_ref()
            .and_then(|c| c.retrier_retry_count)
            .unwrap_or(0)
            .max(0) as u64;
        let stages = std::mem::take(&mut *recorder.stages.lock().unwrap_or_else(|e| e.into_inner()));
        Ok(outcome::answer(
            ran,
            Shape {
                input_text: &input_text,
                inspection_level: req.inspection_level.as_deref(),
                retry: retry.as_ref(),
                catch: catch.as_ref(),
                retries_so_far,
                stages,
                debug_fields,
            },
        ))
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

    /// Calls TestState on a fresh service.
    async fn test_state(request: serde_json::Value) -> Result<serde_json::Value, crate::ServiceError> {
        let store = std::sync::Arc::new(RedbStore::in_memory().unwrap());
        service(&store, Recorder::new(false, 0))
            .call("TestState", request)
            .await
    }

    const RETRIED: &str = r#"{"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "pay"},
        "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2}],
        "Catch": [{"ErrorEquals": ["Other"], "Next": "A"}, {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recover"}],
        "Next": "Done"}"#;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_mocked_error_is_retriable_until_the_retrier_runs_out_then_caught() {
        let error = json!({"errorOutput": {"error": "Boom", "cause": "it broke"}});
        // AWS's example: one retry made, IntervalSeconds 2, BackoffRate 2.
        let answer = test_state(json!({"definition": RETRIED, "input": "{\"n\": 1}", "mock": error,
            "stateConfiguration": {"retrierRetryCount": 1}}))
        .await
        .unwrap();
        assert_eq!(answer["status"], "RETRIABLE", "{answer:#}");
        assert_eq!(answer["error"], "Boom");
        assert_eq!(
            answer["inspectionData"]["errorDetails"],
            json!({"retryIndex": 0, "retryBackoffIntervalSeconds": 4})
        );
        assert!(answer.get("nextState").is_none());

        let answer = test_state(json!({"definition": RETRIED, "input": "{\"n\": 1}", "mock": error,
            "stateConfiguration": {"retrierRetryCount": 3}}))
        .await
        .unwrap();
        assert_eq!(answer["status"], "CAUGHT_ERROR", "{answer:#}");
        assert_eq!(answer["nextState"], "Recover");
        assert_eq!(answer["inspectionData"]["errorDetails"], json!({"catchIndex": 1}));
        let output: serde_json::Value = serde_json::from_str(answer["output"].as_str().unwrap()).unwrap();
        assert_eq!(output, json!({"n": 1, "error": {"Error": "Boom", "Cause": "it broke"}}));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn requests_aws_refuses_are_refused_with_its_messages() {
        let pass = r#"{"Type": "Pass", "End": true}"#;
        let map = r#"{"Type": "Map", "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}}, "End": true}"#;
        let parallel = r#"{"Type": "Parallel", "Branches": [
            {"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}},
            {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}], "End": true}"#;
        let cases = [
            (
                json!({"definition": pass, "mock": {"result": "1"}}),
                "ValidationException",
                "State type 'Pass' is not supported when a mock is specified",
            ),
            (
                json!({"definition": map}),
                "InvalidDefinition",
                "TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]",
            ),
            (
                json!({"definition": RETRIED, "mock": {"result": "1", "errorOutput": {"error": "E"}}}),
                "ValidationException",
                "A test mock should have only one of the following fields: [result, errorOutput].",
            ),
            (
                json!({"definition": RETRIED, "mock": {"result": "1"}, "revealSecrets": true}),
                "ValidationException",
                "TestState does not support RevealSecrets when a mock is specified.",
            ),
            (
                json!({"definition": map, "mock": {"result": "{}"}}),
                "ValidationException",
                "Mocked result must be an array.",
            ),
            (
                json!({"definition": parallel, "mock": {"result": "[1]"}}),
                "ValidationException",
                "Mocked result must contain the same number of items as number of Parallel branches.",
            ),
        ];
        for (request, code, message) in cases {
            let e = test_state(request.clone()).await.unwrap_err();
            assert_eq!((e.code, e.message.as_str()), (code, message), "{request}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_mocked_map_takes_the_mock_as_its_result_without_running_its_items() {
        let map = r#"{"Type": "Map", "ItemsPath": "$.items",
            "ItemProcessor": {"StartAt": "Fail", "States": {"Fail": {"Type": "Fail", "Error": "NotRun"}}},
            "ResultSelector": {"count.$": "States.ArrayLength($)"}, "ResultPath": "$.summary", "Next": "After"}"#;
        let answer = test_state(json!({"definition": map, "input": "{\"items\": [1, 2]}",
            "mock": {"result": "[\"a\", \"b\", \"c\"]"}, "inspectionLevel": "DEBUG"}))
        .await
        .unwrap();
        assert_eq!(answer["inspectionData"]["afterItemsPath"], "[1,2]", "{answer:#}");
        assert_eq!(answer["status"], "SUCCEEDED", "{answer:#}");
        assert_eq!(answer["nextState"], "After");
        let output: serde_json::Value = serde_json::from_str(answer["output"].as_str().unwrap()).unwrap();
        assert_eq!(output, json!({"items": [1, 2], "summary": {"count": 3}}));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_state_inside_a_map_gets_its_item_and_the_context_given() {
        let machine = r#"{"StartAt": "M", "States": {"M": {"Type": "Map", "End": true,
            "ItemProcessor": {"StartAt": "Inner", "States": {"Inner": {"Type": "Task",
              "Resource": "arn:aws:states:::lambda:invoke",
              "Parameters": {"index.$": "$$.Map.Item.Index", "value.$": "$$.Map.Item.Value", "name.$": "$$.Execution.Name"},
              "ResultSelector": {"got.$": "$"}, "End": true}}}}}}"#;
        let answer = test_state(
            json!({"definition": machine, "stateName": "Inner", "input": "{\"sku\": \"x\"}",
            "mock": {"result": "{\"ok\": true}"}, "inspectionLevel": "DEBUG",
            "context": "{\"Execution\": {\"Name\": \"given\"}}"}),
        )
        .await
        .unwrap();
        assert_eq!(answer["status"], "SUCCEEDED", "{answer:#}");
        let parameters: serde_json::Value =
            serde_json::from_str(answer["inspectionData"]["afterParameters"].as_str().unwrap()).unwrap();
        assert_eq!(parameters, json!({"index": 0, "value": {"sku": "x"}, "name": "given"}));
        // A context without a mock is refused.
        let e = test_state(json!({"definition": machine, "stateName": "Inner", "context": "{}"}))
            .await
            .unwrap_err();
        assert_eq!(e.code, "ValidationException");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_mocked_lambda_invoke_result_must_fit_lambdas_response_unless_told_not_to() {
        let bad = json!({"result": "{\"StatusCode\": \"200\", \"Payload\": {\"ok\": true}}"});
        let e = test_state(json!({"definition": TASK, "mock": bad})).await.unwrap_err();
        assert_eq!(e.code, "ValidationException");
        assert!(e.message.contains("StatusCode"), "{}", e.message);
        let mut lenient = bad.clone();
        lenient["fieldValidationMode"] = json!("NONE");
        let answer = test_state(json!({"definition": TASK, "input": "{\"order\": {\"id\": 1}}", "mock": lenient}))
            .await
            .unwrap();
        assert_eq!(answer["status"], "SUCCEEDED", "{answer:#}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_mocked_map_fails_when_its_iteration_failures_pass_the_threshold() {
        let map = r#"{"Type": "Map", "ToleratedFailureCount": 1,
            "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": true}}},
            "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "TooMany"}], "Next": "After"}"#;
        let ask = |failures: i64| {
            test_state(json!({"definition": map, "mock": {"result": "[1, 2, 3]"},
                "stateConfiguration": {"mapIterationFailureCount": failures}}))
        };
        let answer = ask(1).await.unwrap();
        assert_eq!(
            (answer["status"].as_str(), answer["nextState"].as_str()),
            (Some("SUCCEEDED"), Some("After")),
            "{answer:#}"
        );
        let answer = ask(2).await.unwrap();
        assert_eq!(answer["status"], "CAUGHT_ERROR", "{answer:#}");
        assert_eq!(answer["error"], "States.ExceedToleratedFailureThreshold");
        assert_eq!(answer["nextState"], "TooMany");
        assert_eq!(ask(4).await.unwrap_err().code, "ValidationException");
    }
}
