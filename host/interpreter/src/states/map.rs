//! Map: run the item processor once per item, with bounded concurrency and
//! tolerated failures; the result is the array of iteration outputs.

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serde_json::Value;

use super::batch;
use super::choice::type_name;
use super::jsonpath::payload_failure;
use crate::Execution;
use crate::error::{AwsJson, Failure, names};
use crate::events::{Cursor, EventLog};
use crate::frame::Frame;
use crate::graph::run_graph;
use crate::history::{EventDetails, NoHistory};
use crate::retry::RetryState;
use stepyard_asl::definition::{Dynamic, ItemSelector, MapItems, MapState, OptionalPathOrWhole, ProcessorMode};

/// Inline Map runs at most this many iterations at once, as AWS does.
const INLINE_CONCURRENCY_CAP: usize = 40;

/// The settings resolved from the state and its input.
struct Plan {
    items: Vec<Value>,
    max_concurrency: usize,
    tolerated_count: Option<u64>,
    tolerated_percentage: Option<f64>,
}

pub(crate) async fn run_jsonpath(
    frame: &mut Frame<'_>,
    map: &MapState,
    input: &Value,
    cursor: &mut Cursor,
) -> Result<Value, Failure> {
    let max_concurrency = match &map.max_concurrency {
        Dynamic::Literal(n) => *n,
        Dynamic::Path(p) => integer_at(frame, p, input, "MaxConcurrencyPath", "integer")?,
        _ => 0,
    };
    let items = match &map.items {
        MapItems::Path(OptionalPathOrWhole::Whole) => input.clone(),
        MapItems::Path(OptionalPathOrWhole::Path(p)) => frame
            .select(p, input)
            .map_err(|e| frame.runtime(e.to_string()))?
            .into_owned(),
        MapItems::Jsonata(_) => input.clone(),
    };
    let Value::Array(items) = items else {
        return Err(frame.runtime(format!(
            "The Map state's items must be an array but was: {}",
            AwsJson(&items)
        )));
    };
    let mut selected = select_items_jsonpath(frame, map, input, items)?;
    if let Some(batcher) = &map.item_batcher {
        selected = batch::batches(selected, &batch::limits_jsonpath(frame, batcher, input)?);
    }
    run(
        frame,
        map,
        input,
        selected,
        max_concurrency,
        cursor,
        |frame: &Frame<'_>| {
            let count = match &map.tolerated_failure_count {
                None => None,
                Some(Dynamic::Literal(n)) => Some(*n),
                Some(Dynamic::Path(p)) => Some(integer_at(frame, p, input, "ToleratedFailureCountPath", "integer")?),
                Some(_) => None,
            };
            let percentage = match &map.tolerated_failure_percentage {
                None => None,
                Some(Dynamic::Literal(p)) => Some(*p),
                Some(Dynamic::Path(p)) => Some(float_at(frame, p, input)?),
                Some(_) => None,
            };
            Ok((count, percentage))
        },
    )
    .await
}

pub(crate) async fn run_jsonata(
    frame: &mut Frame<'_>,
    map: &MapState,
    states: &Value,
    cursor: &mut Cursor,
) -> Result<Value, Failure> {
    let input = states.get("input").cloned().unwrap_or(Value::Null);
    let max_concurrency = match &map.max_concurrency {
        Dynamic::Literal(n) => *n,
        Dynamic::Jsonata(t) => {
            let v = frame.jsonata(t, states, "MaxConcurrency")?;
            v.as_u64().ok_or_else(|| {
                frame.field_error(
                    "MaxConcurrency",
                    format!(
                        "The MaxConcurrency field must be a non-negative integer, but was: {}",
                        AwsJson(&v)
                    ),
                )
            })?
        }
        _ => 0,
    };
    let items = match &map.items {
        MapItems::Jsonata(t) => {
            let v = frame.jsonata(t, states, "Items")?;
            match v {
                Value::Array(a) => a,
                other => {
                    let text = t.expressions().first().map(|e| e.text.clone()).unwrap_or_default();
                    return Err(frame.field_error("Items", format!(
                        "The JSONata expression '{text}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '{}' for value: {}",
                        type_name(&other),
                        AwsJson(&other)
                    )));
                }
            }
        }
        MapItems::Path(_) => match &input {
            Value::Array(a) => a.clone(),
            other => {
                return Err(frame.query_error(format!("Map state input must be an array but was: {}", AwsJson(other))));
            }
        },
    };
    let selected = match &map.item_selector {
        Some(ItemSelector::Jsonata(t)) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                let mut item_states = states.clone();
                item_states["context"] = frame.context_for_item(i, &item);
                out.push(frame.jsonata(t, &item_states, "ItemSelector")?);
            }
            out
        }
        _ => items,
    };
    let selected = match &map.item_batcher {
        Some(batcher) => batch::batches(selected, &batch::limits_jsonata(frame, batcher, states)?),
        None => selected,
    };
    run(
        frame,
        map,
        &input,
        selected,
        max_concurrency,
        cursor,
        |frame: &Frame<'_>| {
            let count = match &map.tolerated_failure_count {
                Some(Dynamic::Literal(n)) => Some(*n),
                Some(Dynamic::Jsonata(t)) => {
                    let v = frame.jsonata(t, states, "ToleratedFailureCount")?;
                    Some(v.as_u64().ok_or_else(|| {
                        frame.field_error(
                            "ToleratedFailureCount",
                            "ToleratedFailureCount must be a non-negative integer.",
                        )
                    })?)
                }
                _ => None,
            };
            let percentage = match &map.tolerated_failure_percentage {
                Some(Dynamic::Literal(p)) => Some(*p),
                Some(Dynamic::Jsonata(t)) => {
                    let v = frame.jsonata(t, states, "ToleratedFailurePercentage")?;
                    match v.as_f64() {
                        Some(p) if (0.0..=100.0).contains(&p) => Some(p),
                        _ => {
                            return Err(frame.field_error(
                                "ToleratedFailurePercentage",
                                "ToleratedFailurePercentage must be between 0 and 100.",
                            ));
                        }
                    }
                }
                _ => None,
            };
            Ok((count, percentage))
        },
    )
    .await
}

fn select_items_jsonpath(
    frame: &Frame<'_>,
    map: &MapState,
    input: &Value,
    items: Vec<Value>,
) -> Result<Vec<Value>, Failure> {
    let Some(ItemSelector::JsonPath(template)) = &map.item_selector else {
        return Ok(items);
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let context = frame.context_for_item(i, item);
        let resolver = frame.resolver(input).with_context(&context);
        out.push(
            template
                .evaluate(&resolver)
                .map_err(|e| payload_failure(frame, e, input))?,
        );
    }
    Ok(out)
}

/// An integer at a `…Path`, with AWS's message when it is not one.
fn integer_at(
    frame: &Frame<'_>,
    path: &stepyard_asl::jsonpath::JsonPath,
    input: &Value,
    field: &str,
    kind: &str,
) -> Result<u64, Failure> {
    let v = frame.select(path, input).map_err(|e| frame.runtime(e.to_string()))?;
    if let Some(n) = v.as_u64() {
        return Ok(n);
    }
    if v.as_i64().is_some_and(|n| n < 0) && field == "ToleratedFailureCountPath" {
        return Err(frame.runtime("ToleratedFailureCount cannot be negative."));
    }
    Err(frame.runtime(format!(
        "The {field} field refers to value \"{}\" which is not a valid {kind}: {}",
        raw_text(&v),
        path.as_str()
    )))
}

fn float_at(frame: &Frame<'_>, path: &stepyard_asl::jsonpath::JsonPath, input: &Value) -> Result<f64, Failure> {
    let v = frame.select(path, input).map_err(|e| frame.runtime(e.to_string()))?;
    match v.as_f64() {
        Some(p) if (0.0..=100.0).contains(&p) => Ok(p),
        Some(_) => Err(frame.runtime("ToleratedFailurePercentage must be between 0 and 100.")),
        None => Err(frame.runtime(format!(
            "The ToleratedFailurePercentagePath field refers to value \"{}\" which is not a valid float: {}",
            raw_text(&v),
            path.as_str()
        ))),
    }
}

/// Strings as their text, everything else as JSON (AWS's rendering in causes).
fn raw_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

type Tolerance = (Option<u64>, Option<f64>);

/// Runs the iterations over already-selected items.
async fn run(
    frame: &mut Frame<'_>,
    map: &MapState,
    _input: &Value,
    items: Vec<Value>,
    max_concurrency: u64,
    cursor: &mut Cursor,
    tolerance: impl Fn(&Frame<'_>) -> Result<Tolerance, Failure>,
) -> Result<Value, Failure> {
    let exec = frame.exec;
    let mut retry = RetryState::default();
    loop {
        exec.events
            .advance(cursor, || EventDetails::MapStateStarted { length: items.len() });
        let (tolerated_count, tolerated_percentage) = tolerance(frame)?;
        let plan = Plan {
            items: items.clone(),
            max_concurrency: effective_concurrency(max_concurrency, map.mode, items.len()),
            tolerated_count,
            tolerated_percentage,
        };
        let outcome = match map.mode {
            ProcessorMode::Inline => iterate(frame, map, exec, plan, cursor, true).await,
            ProcessorMode::Distributed => distributed(frame, map, plan, cursor).await,
        };
        let failure = match outcome {
            Ok(outputs) => {
                exec.events.side(cursor, || EventDetails::MapStateSucceeded);
                return Ok(Value::Array(outputs));
            }
            Err(failure) => failure,
        };
        match frame.next_retry(&mut retry, &failure) {
            Some(delay) => {
                exec.clock.sleep(delay).await;
            }
            None => {
                // Only the final failure is recorded; a retry starts the state over.
                exec.events.advance(cursor, || EventDetails::MapStateFailed);
                return Err(failure);
            }
        }
    }
}

fn effective_concurrency(max: u64, mode: ProcessorMode, len: usize) -> usize {
    let cap = match mode {
        ProcessorMode::Inline => INLINE_CONCURRENCY_CAP,
        ProcessorMode::Distributed => 10_000,
    };
    let wanted = if max == 0 {
        cap
    } else {
        usize::try_from(max).unwrap_or(cap).min(cap)
    };
    wanted.clamp(1, len.max(1))
}

/// Runs iterations on `exec` (the execution's own history for inline mode,
/// a child history for distributed mode).
async fn iterate(
    frame: &Frame<'_>,
    map: &MapState,
    exec: &Execution<'_>,
    plan: Plan,
    cursor: &mut Cursor,
    record_iterations: bool,
) -> Result<Vec<Value>, Failure> {
    let name = &frame.state.name;
    let total = plan.items.len();
    let mut outputs: Vec<Option<Value>> = vec![None; total];
    let mut failures: u64 = 0;
    let mut pending = plan.items.into_iter().enumerate();
    let mut running = FuturesUnordered::new();
    // Where the next iteration's first event links: the newest finished path.
    let mut link = *cursor;
    // Distributed children cannot read the parent's variables.
    let parent_scope = record_iterations.then_some(frame.scope);
    let lineage = frame.lineage();

    let spawn = |index: usize, item: Value, link: Cursor| {
        let mut start = link;
        if record_iterations {
            exec.events.advance(&mut start, || EventDetails::MapIterationStarted {
                name: name.clone(),
                index,
            });
        }
        let fut = run_graph(
            exec,
            &map.processor,
            item,
            parent_scope,
            format!("{lineage}[{index}]"),
            start,
        );
        async move { (index, fut.await) }
    };
    for _ in 0..plan.max_concurrency {
        if let Some((i, item)) = pending.next() {
            running.push(spawn(i, item, link));
        }
    }
    while let Some((index, result)) = running.next().await {
        match result {
            Ok((output, end)) => {
                if record_iterations {
                    exec.events.side(&end, || EventDetails::MapIterationSucceeded {
                        name: name.clone(),
                        index,
                    });
                }
                link = end;
                outputs[index] = Some(output);
            }
            Err((failure, end)) => {
                if record_iterations {
                    exec.events.side(&end, || EventDetails::MapIterationFailed {
                        name: name.clone(),
                        index,
                    });
                }
                link = end;
                failures += 1;
                if !tolerated(failures, total, plan.tolerated_count, plan.tolerated_percentage) {
                    *cursor = end;
                    return Err(
                        if plan.tolerated_count.is_some() || plan.tolerated_percentage.is_some() {
                            Failure::new(
                                names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
                                "The specified tolerated failure threshold was exceeded",
                            )
                        } else {
                            failure
                        },
                    );
                }
                outputs[index] = Some(failure.to_output());
            }
        }
        if let Some((i, item)) = pending.next() {
            running.push(spawn(i, item, link));
        }
    }
    // AWS links what follows to the newest event of the iterations.
    cursor.last = if record_iterations {
        exec.events.latest()
    } else {
        link.last
    };
    Ok(outputs.into_iter().map(|o| o.unwrap_or(Value::Null)).collect())
}

fn tolerated(failures: u64, total: usize, count: Option<u64>, percentage: Option<f64>) -> bool {
    if count.is_none() && percentage.is_none() {
        return false;
    }
    let within_count = count.is_some_and(|c| failures <= c);
    let within_percentage = percentage.is_some_and(|p| total > 0 && (failures as f64) * 100.0 / (total as f64) <= p);
    within_count || within_percentage
}

/// Distributed mode: iterations are child executions with their own
/// histories; the parent records only the map run.
async fn distributed(
    frame: &Frame<'_>,
    map: &MapState,
    plan: Plan,
    cursor: &mut Cursor,
) -> Result<Vec<Value>, Failure> {
    let exec = frame.exec;
    let map_run_arn = format!(
        "{}/{}:{}",
        exec.spec.state_machine_arn.replace(":stateMachine:", ":mapRun:"),
        frame.state.name,
        stepyard_asl::ids::random_uuid()
    );
    exec.events
        .advance(cursor, || EventDetails::MapRunStarted { map_run_arn });
    let no_history = NoHistory;
    let child = Execution {
        machine: exec.machine,
        spec: exec.spec,
        tasks: exec.tasks,
        clock: exec.clock,
        events: EventLog::new(&no_history, exec.clock),
        start_time: exec.start_time.clone(),
        // Child executions are not checkpointed: the Map state reruns whole.
        journal: None,
        interrupted: Default::default(),
        resume: Default::default(),
        inspector: exec.inspector,
        state_ends: exec.state_ends,
    };
    let mut child_cursor = Cursor::default();
    match iterate(frame, map, &child, plan, &mut child_cursor, false).await {
        Ok(outputs) => {
            exec.events.advance(cursor, || EventDetails::MapRunSucceeded);
            Ok(outputs)
        }
        Err(failure) => {
            exec.events.advance(cursor, || EventDetails::MapRunFailed {
                error: failure.error.clone(),
                cause: failure.cause.clone(),
            });
            Err(failure)
        }
    }
}
