//! Fail: end the execution (or branch) with an error and a cause.

use serde_json::Value;

use crate::error::{AwsJson, Failure};
use crate::frame::Frame;
use stepyard_asl::definition::{Dynamic, FailState};

pub(crate) fn jsonpath(frame: &Frame<'_>, fail: &FailState, input: &Value) -> Failure {
    let error = match resolve(frame, fail.error.as_ref(), "ErrorPath", input) {
        Ok(e) => e,
        Err(f) => return f,
    };
    let cause = match resolve(frame, fail.cause.as_ref(), "CausePath", input) {
        Ok(c) => c,
        Err(f) => return f,
    };
    Failure::raw(error, cause)
}

fn resolve(
    frame: &Frame<'_>,
    field: Option<&Dynamic<String>>,
    name: &str,
    input: &Value,
) -> Result<Option<String>, Failure> {
    Ok(match field {
        None => None,
        Some(Dynamic::Literal(s)) => Some(s.clone()),
        Some(Dynamic::Path(p)) => {
            let v = frame.select(p, input).map_err(|_| {
                frame.runtime(format!(
                    "The JSONPath '{}' specified for the field '{name}' could not be found in the input '{}'",
                    p.as_str(),
                    AwsJson(input)
                ))
            })?;
            Some(text(&v))
        }
        Some(Dynamic::Intrinsic(call)) => {
            let v = call
                .evaluate(&frame.resolver(input))
                .map_err(|e| Failure::new(crate::names::INTRINSIC_FAILURE, format!("{} {e}", frame.cause_prefix())))?;
            Some(text(&v))
        }
        Some(Dynamic::Jsonata(_)) => None,
    })
}

pub(crate) fn jsonata(frame: &Frame<'_>, fail: &FailState, states: &Value) -> Result<Failure, Failure> {
    let eval = |field: Option<&Dynamic<String>>, name: &str| -> Result<Option<String>, Failure> {
        Ok(match field {
            None => None,
            Some(Dynamic::Literal(s)) => Some(s.clone()),
            Some(Dynamic::Jsonata(t)) => Some(text(&frame.jsonata(t, states, name)?)),
            Some(_) => None,
        })
    };
    Ok(Failure::raw(
        eval(fail.error.as_ref(), "Error")?,
        eval(fail.cause.as_ref(), "Cause")?,
    ))
}

/// Strings stay as they are; other values become their JSON text.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
