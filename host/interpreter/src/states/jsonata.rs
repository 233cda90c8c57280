//! JSONata data flow: `Arguments` → action → `Output`, plus `Assign`, all
//! over `$states`.

use serde_json::{Map, Value};

use super::{choice, fail, map, parallel, task, wait};
use crate::Stage;
use crate::error::Failure;
use crate::events::Cursor;
use crate::frame::Frame;
use crate::graph::Done;
use stepyard_asl::definition::{Assign, JsonataFlow, StateKind};
use stepyard_asl::jsonata_template::JsonataTemplate;

pub(crate) async fn run(
    frame: &mut Frame<'_>,
    flow: &JsonataFlow,
    input: Value,
    cursor: &mut Cursor,
) -> Result<Done, Failure> {
    let state = frame.state;
    let mut states = frame.states_var(&input, None, None);
    let mut output_template = flow.output.as_ref();
    let mut next = None;
    let mut assign = state.assign.as_ref();

    let result = match &state.kind {
        StateKind::Fail(f) => return Err(fail::jsonata(frame, f, &states)?),
        StateKind::Pass(_) | StateKind::Succeed => None,
        StateKind::Task(t) => {
            let args = arguments(frame, flow.arguments.as_ref(), &states, &input)?;
            frame.inspect(Stage::AfterArguments, &args);
            let timeouts = task::timeouts_jsonata(frame, t, &states)?;
            Some(task::run(frame, t, args, timeouts, cursor).await?)
        }
        StateKind::Parallel(p) => {
            let args = arguments(frame, flow.arguments.as_ref(), &states, &input)?;
            frame.inspect(Stage::AfterArguments, &args);
            Some(parallel::run(frame, p, args, cursor).await?)
        }
        StateKind::Map(m) => Some(map::run_jsonata(frame, m, &states, cursor).await?),
        StateKind::Choice(c) => {
            let (target, branch) = choice::decide_jsonata(frame, c, &states)?;
            frame.choice_taken = Some(branch);
            next = Some(target);
            if let Some(b) = branch {
                let rule = &c.choices[b];
                if rule.output.is_some() {
                    output_template = rule.output.as_ref();
                }
                assign = rule.assign.as_ref();
            }
            None
        }
        StateKind::Wait(w) => {
            wait::run_jsonata(frame, w, &states, cursor).await?;
            None
        }
    };

    if let Some(r) = &result {
        frame.inspect(Stage::Result, r);
    }
    if let Some(r) = &result
        && let Value::Object(m) = &mut states
    {
        m.insert("result".into(), r.clone());
    }
    let assigned = match assign {
        Some(a) => Some(evaluate_assign(frame, a, &states)?),
        None => None,
    };
    let output = match output_template {
        Some(t) => frame.jsonata(t, &states, "Output")?,
        None => result.unwrap_or(input),
    };
    Ok(Done {
        output,
        output_bound: None,
        assigned,
        next,
    })
}

fn arguments(
    frame: &Frame<'_>,
    template: Option<&JsonataTemplate>,
    states: &Value,
    input: &Value,
) -> Result<Value, Failure> {
    match template {
        Some(t) => frame.jsonata(t, states, "Arguments"),
        None => Ok(input.clone()),
    }
}

/// JSONata `Assign` over `$states`.
pub(crate) fn evaluate_assign(
    frame: &Frame<'_>,
    assign: &Assign,
    states: &Value,
) -> Result<Map<String, Value>, Failure> {
    let value = match assign {
        Assign::Jsonata(t) => frame.jsonata(t, states, "Assign")?,
        Assign::JsonPath(t) => {
            let input = states.get("input").unwrap_or(&Value::Null);
            super::jsonpath::parameters(frame, t, input)?
        }
    };
    match value {
        Value::Object(m) => Ok(m),
        _ => Ok(Map::new()),
    }
}
