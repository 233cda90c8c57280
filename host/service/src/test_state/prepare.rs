//! Before a TestState run: the state found (at the top level or inside a
//! Map or Parallel), the request checked as AWS checks it, and the machine
//! of one state built around it.

use serde_json::{Map, Value, json};

use super::{Mock, TestStateRequest};
use crate::{ServiceError, ServiceResult};
use stepyard_interpreter::task::TaskFailure;

pub(super) fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::new("InvalidDefinition", message)
}

/// The state under test.
pub(super) struct Picked {
    pub name: String,
    pub state: Map<String, Value>,
    /// The query language its graph runs in (the machine's).
    pub query_language: Option<Value>,
    /// Whether it sits inside a Map's item processor (its `$$.Map.Item`
    /// is then filled in, as AWS does).
    pub in_map: bool,
}

/// The state to test: the definition itself when it is one state, else the
/// state `state_name` names, wherever it is nested.
pub(super) fn pick_state(definition: &Value, state_name: Option<&str>) -> ServiceResult<Picked> {
    let Some(object) = definition.as_object() else {
        return Err(invalid(
            "Invalid State Machine Definition: the definition must be a JSON object",
        ));
    };
    if object.get("States").is_some_and(Value::is_object) {
        let Some(name) = state_name else {
            return Err(ServiceError::validation(
                "stateName is required when the definition is a state machine",
            ));
        };
        let (state, in_map) = find_nested(definition, name, false)
            .ok_or_else(|| ServiceError::validation(format!("The state '{name}' is not in the definition")))?;
        return Ok(Picked {
            name: name.to_owned(),
            state: state.clone(),
            query_language: object.get("QueryLanguage").cloned(),
            in_map,
        });
    }
    Ok(Picked {
        name: state_name.unwrap_or("TestState").to_owned(),
        state: object.clone(),
        query_language: None,
        in_map: false,
    })
}

/// The state named `name` in `graph` or any graph nested in it, and
/// whether a Map's item processor holds it.
fn find_nested<'a>(graph: &'a Value, name: &str, in_map: bool) -> Option<(&'a Map<String, Value>, bool)> {
    let states = graph.get("States")?.as_object()?;
    if let Some(Value::Object(state)) = states.get(name) {
        return Some((state, in_map));
    }
    states.values().find_map(|state| {
        let processor = state.get("ItemProcessor").or_else(|| state.get("Iterator"));
        if let Some(found) = processor.and_then(|p| find_nested(p, name, true)) {
            return Some(found);
        }
        state
            .get("Branches")?
            .as_array()?
            .iter()
            .find_map(|branch| find_nested(branch, name, in_map))
    })
}

/// Every state name `state` can move to.
pub(super) fn targets(state: &Map<String, Value>) -> Vec<String> {
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

/// The checks AWS makes of a request before running anything, with its
/// messages.
pub(super) fn check_request(req: &TestStateRequest, state: &Map<String, Value>) -> ServiceResult<()> {
    let state_type = state.get("Type").and_then(Value::as_str).unwrap_or_default();
    match &req.mock {
        Some(mock) => {
            if mock.result.is_some() && mock.error_output.is_some() {
                return Err(ServiceError::validation(
                    "A test mock should have only one of the following fields: [result, errorOutput].",
                ));
            }
            if !matches!(state_type, "Task" | "Map" | "Parallel") {
                return Err(ServiceError::validation(format!(
                    "State type '{state_type}' is not supported when a mock is specified"
                )));
            }
            if req.reveal_secrets == Some(true) {
                return Err(ServiceError::validation(
                    "TestState does not support RevealSecrets when a mock is specified.",
                ));
            }
            if let Some(mode) = &mock.field_validation_mode
                && !matches!(mode.as_str(), "STRICT" | "PRESENT" | "NONE")
            {
                return Err(ServiceError::validation(format!(
                    "1 validation error detected: Value '{mode}' at 'mock.fieldValidationMode' failed to satisfy constraint: Member must satisfy enum value set: [STRICT, PRESENT, NONE]"
                )));
            }
        }
        None => {
            if matches!(state_type, "Map" | "Parallel") {
                return Err(invalid(
                    "TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]",
                ));
            }
            if req.context.is_some() {
                return Err(ServiceError::validation(
                    "TestState accepts a context only when a mock is specified.",
                ));
            }
        }
    }
    if let Some(config) = &req.state_configuration {
        for (field, value) in [
            ("retrierRetryCount", config.retrier_retry_count),
            ("mapIterationFailureCount", config.map_iteration_failure_count),
        ] {
            if value.is_some_and(|n| n < 0) {
                return Err(ServiceError::validation(format!(
                    "1 validation error detected: Value '{}' at 'stateConfiguration.{field}' failed to satisfy constraint: Member must have value greater than or equal to 0",
                    value.unwrap_or_default()
                )));
            }
        }
    }
    Ok(())
}

/// The task answer a mock stands for; for a Map or Parallel, the result is
/// checked against the state's shape first.
pub(super) fn mock_answer(mock: &Mock, state: &Map<String, Value>) -> ServiceResult<Result<Value, TaskFailure>> {
    match (&mock.result, &mock.error_output) {
        (Some(text), None) => {
            let result: Value = serde_json::from_str(text)
                .map_err(|e| ServiceError::validation(format!("mock.result is not valid JSON: {e}")))?;
            match state.get("Type").and_then(Value::as_str) {
                Some("Map") if state.contains_key("ResultWriter") && !result.is_object() => {
                    return Err(ServiceError::validation("Mocked result must be a JSON object."));
                }
                Some("Map") if !state.contains_key("ResultWriter") && !result.is_array() => {
                    return Err(ServiceError::validation("Mocked result must be an array."));
                }
                Some("Parallel") => {
                    let branches = state.get("Branches").and_then(Value::as_array).map_or(0, Vec::len);
                    if result.as_array().map(Vec::len) != Some(branches) {
                        return Err(ServiceError::validation(
                            "Mocked result must contain the same number of items as number of Parallel branches.",
                        ));
                    }
                }
                _ => {}
            }
            Ok(Ok(result))
        }
        (None, Some(e)) => Ok(Err(TaskFailure {
            error: e.error.clone().unwrap_or_else(|| "States.TaskFailed".to_owned()),
            cause: e.cause.clone(),
        })),
        _ => Err(ServiceError::validation(
            "A test mock should have only one of the following fields: [result, errorOutput].",
        )),
    }
}

/// A mocked Map or Parallel as a Task whose (mocked) result is the state's:
/// its iterations or branches do not run, as on AWS, and its own data flow
/// (InputPath, Parameters of a Parallel, ResultSelector, ResultPath,
/// OutputPath, or Arguments/Output) applies to the mock.
pub(super) fn as_mocked_task(state: &Map<String, Value>) -> Map<String, Value> {
    let is_map = state.get("Type").and_then(Value::as_str) == Some("Map");
    let mut task = Map::new();
    for (key, value) in state {
        let keep = match key.as_str() {
            "Type"
            | "Branches"
            | "ItemProcessor"
            | "Iterator"
            | "ItemsPath"
            | "Items"
            | "ItemSelector"
            | "MaxConcurrency"
            | "MaxConcurrencyPath"
            | "ToleratedFailureCount"
            | "ToleratedFailureCountPath"
            | "ToleratedFailurePercentage"
            | "ToleratedFailurePercentagePath"
            | "Label"
            | "ItemReader"
            | "ItemBatcher"
            | "ResultWriter" => false,
            // A Map's Parameters are its items' (the old name of ItemSelector).
            "Parameters" => !is_map,
            _ => true,
        };
        if keep {
            task.insert(key.clone(), value.clone());
        }
    }
    task.insert("Type".into(), json!("Task"));
    task.insert("Resource".into(), json!(MOCKED_RESOURCE));
    task
}

/// The resource a mocked Map or Parallel calls (only the mock answers it).
pub(super) const MOCKED_RESOURCE: &str = "arn:aws:lambda:us-east-1:123456789012:function:StepyardTestStateMock";
