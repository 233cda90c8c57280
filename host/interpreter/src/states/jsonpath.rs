//! JSONPath data flow: `InputPath` → `Parameters` → action →
//! `ResultSelector` → `ResultPath` → `OutputPath`, plus `Assign`.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::{choice, fail, map, parallel, task, wait};
use crate::Stage;
use crate::error::{Failure, names};
use crate::events::Cursor;
use crate::frame::Frame;
use crate::graph::Done;
use crate::limits::size_bound;
use stepyard_asl::definition::{Assign, JsonPathFlow, OptionalPath, ResultPath, StateKind};
use stepyard_asl::jsonpath::{JsonPath, PathRoot};
use stepyard_asl::payload::{PayloadError, PayloadTemplate};

pub(crate) async fn run(
    frame: &mut Frame<'_>,
    flow: &JsonPathFlow,
    input: Value,
    cursor: &mut Cursor,
) -> Result<Done, Failure> {
    let state = frame.state;
    if let StateKind::Fail(f) = &state.kind {
        return Err(fail::jsonpath(frame, f, &input));
    }
    let selected = input_path(frame, &flow.input_path, &input)?;
    let effective: &Value = selected.as_ref().unwrap_or(&input);
    frame.inspect(Stage::AfterInputPath, effective);

    // The state's result, and where a Choice goes.
    let (result, next, has_result) = match &state.kind {
        StateKind::Pass(pass) => {
            let result = match (&pass.result, &flow.parameters) {
                (Some(r), _) => r.clone(),
                (None, Some(params)) => parameters(frame, params, effective)?,
                (None, None) => effective.clone(),
            };
            if flow.parameters.is_some() {
                frame.inspect(Stage::AfterParameters, &result);
            }
            (result, None, true)
        }
        StateKind::Task(t) => {
            let args = match &flow.parameters {
                Some(params) => parameters(frame, params, effective)?,
                None => effective.clone(),
            };
            frame.inspect(Stage::AfterParameters, &args);
            let timeouts = task::timeouts_jsonpath(frame, t, effective)?;
            let result = task::run(frame, t, args, timeouts, cursor).await?;
            (select_result(frame, &flow.result_selector, result)?, None, true)
        }
        StateKind::Parallel(p) => {
            let args = match &flow.parameters {
                Some(params) => parameters(frame, params, effective)?,
                None => effective.clone(),
            };
            frame.inspect(Stage::AfterParameters, &args);
            let result = parallel::run(frame, p, args, cursor).await?;
            (select_result(frame, &flow.result_selector, result)?, None, true)
        }
        StateKind::Map(m) => {
            let result = map::run_jsonpath(frame, m, effective, cursor).await?;
            (select_result(frame, &flow.result_selector, result)?, None, true)
        }
        StateKind::Choice(c) => {
            let next = choice::decide_jsonpath(frame, c, effective)?;
            frame.choice_taken = Some(next.1);
            (effective.clone(), Some(next), false)
        }
        StateKind::Wait(w) => {
            wait::run_jsonpath(frame, w, effective, cursor).await?;
            (effective.clone(), None, false)
        }
        StateKind::Succeed => (effective.clone(), None, false),
        StateKind::Fail(_) => unreachable!("handled above"),
    };

    let assign = match &state.kind {
        StateKind::Choice(c) => choice::chosen_assign(c, next, state.assign.as_ref()),
        _ => state.assign.as_ref(),
    };
    let assigned = match assign {
        Some(a) => Some(evaluate_assign(frame, a, &result)?),
        None => None,
    };

    let combined_bound = if has_result {
        combined_bound(frame.input_bound, &flow.result_path, &result)
    } else if selected.is_none() {
        frame.input_bound
    } else {
        None
    };
    drop(selected);
    let combined = if has_result {
        result_path(frame, &flow.result_path, input, result)?
    } else {
        result
    };
    if has_result {
        frame.inspect(Stage::AfterResultPath, &combined);
    }
    let output_bound = match &flow.output_path {
        OptionalPath::Whole => combined_bound,
        OptionalPath::Null => Some(2),
        // A definite path over the state's own data selects a part of it.
        OptionalPath::Path(p) if p.is_definite() && *p.root() == PathRoot::Input => combined_bound,
        OptionalPath::Path(_) => None,
    };
    let output = output_path(frame, &flow.output_path, combined)?;
    Ok(Done {
        output,
        output_bound,
        assigned,
        next: next.map(|(i, _)| i),
    })
}

/// An upper bound of the size after `ResultPath`, from the input's bound and
/// the (usually small) result's, without walking the input.
fn combined_bound(input_bound: Option<usize>, path: &ResultPath, result: &Value) -> Option<usize> {
    match path {
        ResultPath::Whole => size_bound(result),
        ResultPath::Null => input_bound,
        // Inserting adds the result and, at worst, one new object per path
        // segment; replacing an existing value only shrinks the document.
        ResultPath::Path(p) => Some(input_bound? + size_bound(result)? + p.as_str().len() * 8 + 16),
    }
}

/// `InputPath`: the part of the input the state works on, or `None` for
/// the whole input (which then needs no copy).
pub(crate) fn input_path(frame: &Frame<'_>, path: &OptionalPath, input: &Value) -> Result<Option<Value>, Failure> {
    match path {
        OptionalPath::Whole => Ok(None),
        OptionalPath::Null => Ok(Some(Value::Object(Map::new()))),
        OptionalPath::Path(p) => Ok(Some(select_or_fail(frame, p, input)?.into_owned())),
    }
}

/// Selects `path`; a definite path that finds nothing fails the state as
/// AWS fails an `InputPath`/`OutputPath`.
fn select_or_fail<'v>(frame: &'v Frame<'_>, path: &JsonPath, input: &'v Value) -> Result<Cow<'v, Value>, Failure> {
    frame.select(path, input).map_err(|e| frame.runtime(e.to_string()))
}

fn output_path(frame: &Frame<'_>, path: &OptionalPath, output: Value) -> Result<Value, Failure> {
    match path {
        OptionalPath::Whole => Ok(output),
        OptionalPath::Null => Ok(Value::Object(Map::new())),
        OptionalPath::Path(p) => Ok(select_or_fail(frame, p, &output)?.into_owned()),
    }
}

/// Evaluates a payload template (`Parameters`, `ItemSelector`…) over `input`.
pub(crate) fn parameters(frame: &Frame<'_>, template: &PayloadTemplate, input: &Value) -> Result<Value, Failure> {
    template
        .evaluate(&frame.resolver(input))
        .map_err(|e| payload_failure(frame, e, input))
}

/// Maps a template evaluation error to AWS's error.
pub(crate) fn payload_failure(frame: &Frame<'_>, error: PayloadError, input: &Value) -> Failure {
    Failure::new(
        error.error_name(),
        format!("{} {}", frame.cause_prefix(), error.cause(input)),
    )
}

fn select_result(frame: &Frame<'_>, selector: &Option<PayloadTemplate>, result: Value) -> Result<Value, Failure> {
    frame.inspect(Stage::Result, &result);
    match selector {
        None => Ok(result),
        Some(t) => {
            let selected = parameters(frame, t, &result)?;
            frame.inspect(Stage::AfterResultSelector, &selected);
            Ok(selected)
        }
    }
}

/// `ResultPath`: where the result goes in the raw input.
fn result_path(frame: &Frame<'_>, path: &ResultPath, input: Value, result: Value) -> Result<Value, Failure> {
    match path {
        ResultPath::Whole => Ok(result),
        ResultPath::Null => Ok(input),
        ResultPath::Path(p) => p.apply(input, result).map_err(|e| {
            Failure::new(
                names::RESULT_PATH_MATCH_FAILURE,
                format!("{} {e}", frame.cause_prefix()),
            )
        }),
    }
}

/// JSONPath `Assign`: `$` is the state's result.
pub(crate) fn evaluate_assign(
    frame: &Frame<'_>,
    assign: &Assign,
    result: &Value,
) -> Result<Map<String, Value>, Failure> {
    let value = match assign {
        Assign::JsonPath(t) => parameters(frame, t, result)?,
        Assign::Jsonata(t) => {
            let states = frame.states_var(result, None, None);
            frame.jsonata(t, &states, "Assign")?
        }
    };
    match value {
        Value::Object(m) => Ok(m),
        _ => Ok(Map::new()),
    }
}
