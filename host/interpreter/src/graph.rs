//! The state loop: enter a state, run it, exit it, follow the transition,
//! and route failures through `Catch`.

use serde_json::{Map, Value};

use super::Execution;
use super::error::{Failure, names};
use super::events::{Cursor, MAX_HISTORY_EVENTS};
use super::frame::Frame;
use super::journal::CheckpointRef;
use super::limits::{MAX_PAYLOAD_BYTES, exceeds_payload_limit, size_bound};
use super::outcomes::{Outcome, Report, Route, StateEnd, StateEnds, StateEntry};
use super::scope::Scope;
use super::states::{jsonata, jsonpath};
use crate::clock::BoxFuture;
use crate::history::EventDetails;
use stepyard_asl::definition::{
    Catcher, DataFlow, Graph, QueryLanguage, ResultPath, State, StateIndex, StateKind, Transition,
};

/// A graph's end: its output, or the failure that ended it, with the cursor
/// of the last event on its path.
pub(crate) type GraphResult = Result<(Value, Cursor), (Failure, Cursor)>;

/// A state's successful end.
pub(crate) struct Done {
    pub output: Value,
    /// An upper bound of `output`'s serialised size, when the data flow
    /// could derive one cheaply (see [`super::limits::size_bound`]).
    pub output_bound: Option<usize>,
    pub assigned: Option<Map<String, Value>>,
    /// Set by Choice; other states follow their `Next`/`End`.
    pub next: Option<StateIndex>,
}

enum Step {
    Next(StateIndex, Value, Option<usize>),
    End(Value),
}

/// Runs `graph` from its start with `input`, in a scope that reads `parent`.
/// `lineage` names the branch or iteration (see [`Scope`]).
pub(crate) fn run_graph<'a>(
    exec: &'a Execution<'a>,
    graph: &'a Graph,
    input: Value,
    parent: Option<&'a Scope<'a>>,
    lineage: String,
    cursor: Cursor,
) -> BoxFuture<'a, GraphResult> {
    run_from(exec, graph, graph.start_at, input, parent, Some(lineage), cursor, false)
}

/// Runs the machine's own graph from `start`: the only level that
/// checkpoints through the journal, and where a resumed run continues.
pub(crate) fn run_top_level<'a>(
    exec: &'a Execution<'a>,
    start: StateIndex,
    input: Value,
    cursor: Cursor,
) -> BoxFuture<'a, GraphResult> {
    run_from(exec, &exec.machine.graph, start, input, None, None, cursor, true)
}

#[allow(clippy::too_many_arguments)]
fn run_from<'a>(
    exec: &'a Execution<'a>,
    graph: &'a Graph,
    start: StateIndex,
    input: Value,
    parent: Option<&'a Scope<'a>>,
    lineage: Option<String>,
    cursor: Cursor,
    top_level: bool,
) -> BoxFuture<'a, GraphResult> {
    Box::pin(async move {
        let mut scope = Scope::branch(parent, lineage, graph.states.len());
        if top_level && let Some(checkpoint) = lock(&exec.resume).as_ref() {
            scope.assign(checkpoint.variables.clone());
        }
        let mut cursor = cursor;
        let mut index = start;
        let mut input = input;
        let mut input_bound = None;
        loop {
            if exec.events.overflowed() {
                let failure = Failure::new(
                    names::RUNTIME,
                    format!("The execution history reached the limit of {MAX_HISTORY_EVENTS} events."),
                );
                return Err((failure, cursor));
            }
            let state = &graph.states[index];
            let visit = scope.visit(index);
            let mut report = Report::default();
            let result = run_state(
                exec,
                state,
                input,
                input_bound,
                &mut scope,
                &mut cursor,
                top_level,
                visit,
                &mut report,
            )
            .await;
            if let Some(listener) = exec.state_ends {
                tell_end(exec, listener, state, &result, &report);
            }
            match result {
                Ok(Step::Next(next, output, bound)) => {
                    index = next;
                    input = output;
                    input_bound = bound;
                }
                Ok(Step::End(output)) => return Ok((output, cursor)),
                Err(failure) => return Err((failure, cursor)),
            }
        }
    })
}

/// Tells `listener` how `state` ended.
fn tell_end(
    exec: &Execution<'_>,
    listener: &dyn StateEnds,
    state: &State,
    result: &Result<Step, Failure>,
    report: &Report,
) {
    // A state that failed before it was entered (the history's limit) did not run.
    let Some(entered_at) = report.entered_at else {
        return;
    };
    let outcome = match (result, report.caught) {
        (Err(_), _) => Outcome::Failed,
        (Ok(_), Some(_)) => Outcome::CaughtError,
        (Ok(_), None) => Outcome::Succeeded,
    };
    let route = match (result, report.caught, report.choice) {
        (Err(_), _, _) => Route::Failed,
        (Ok(_), Some(i), _) => Route::Catch(i),
        (Ok(_), None, Some(Some(rule))) => Route::ChoiceRule(rule),
        (Ok(_), None, Some(None)) => Route::ChoiceDefault,
        (Ok(_), None, None) => Route::Onward,
    };
    let output = match result {
        Ok(Step::Next(_, output, _) | Step::End(output)) => Some(output),
        Err(_) => None,
    };
    listener.state_ended(&StateEnd {
        name: &state.name,
        state_type: state.type_name(),
        outcome,
        duration: (exec.clock.now() - entered_at).to_std().unwrap_or_default(),
        retries: report.retries,
        retry: report.retry,
        route,
        place: report.place.as_deref().unwrap_or_default(),
        output,
        assigned: report.assigned.as_ref(),
    });
}

#[allow(clippy::too_many_arguments)]
async fn run_state(
    exec: &Execution<'_>,
    state: &State,
    input: Value,
    input_bound: Option<usize>,
    scope: &mut Scope<'_>,
    cursor: &mut Cursor,
    top_level: bool,
    visit: u32,
    report: &mut Report,
) -> Result<Step, Failure> {
    let resumed = if top_level { lock(&exec.resume).take() } else { None };
    let (entered_id, entered_previous, entered_at) = match resumed {
        // Entered before a restart: its StateEntered event and checkpoint
        // are already durable.
        Some(checkpoint) => (
            checkpoint.entered_event_id,
            checkpoint.entered_previous_event_id,
            checkpoint.entered_time(),
        ),
        None => {
            let entered_previous = cursor.last;
            let entered_at = exec.clock.now();
            let entered_id = exec.events.advance(cursor, || EventDetails::StateEntered {
                state_type: state.type_name(),
                name: state.name.clone(),
                input: input.clone(),
            });
            if top_level && let Some(journal) = exec.journal {
                let checkpoint = CheckpointRef {
                    state: &state.name,
                    input: &input,
                    variables: scope.own_variables(),
                    entered_event_id: entered_id,
                    entered_previous_event_id: entered_previous,
                    entered_time_micros: entered_at.timestamp_micros(),
                };
                if let Err(e) = journal.checkpoint(&checkpoint).await {
                    *lock(&exec.interrupted) = Some(e);
                    return Err(Failure::new(
                        names::RUNTIME,
                        "The execution's progress could not be saved.",
                    ));
                }
            }
            (entered_id, entered_previous, entered_at)
        }
    };
    report.entered_at = Some(entered_at);
    // Catchers apply the error to the raw input, which the state consumes.
    let raw_input = (!state.catch.is_empty()).then(|| input.clone());

    let mut frame = Frame::new(exec, state, scope, entered_id, entered_previous, entered_at);
    frame.visit = visit;
    if let Some(listener) = exec.state_ends.filter(|l| l.wants_entries()) {
        let place = frame.lineage();
        listener.state_entered(&StateEntry {
            name: &state.name,
            place: &place,
            branch: scope.lineage(),
            input: &input,
        });
        report.place = Some(place);
    }
    frame.assign_task_token();
    frame.input_bound = input_bound;
    let outcome = match &state.io {
        DataFlow::JsonPath(flow) => jsonpath::run(&mut frame, flow, input, cursor).await,
        DataFlow::Jsonata(flow) => jsonata::run(&mut frame, flow, input, cursor).await,
    };
    let done = match outcome {
        Ok(mut done) => {
            match done.output_bound {
                Some(bound) if bound <= MAX_PAYLOAD_BYTES => {}
                _ => {
                    if exceeds_payload_limit(&done.output) {
                        return Err(data_limit(state));
                    }
                    done.output_bound = size_bound(&done.output);
                }
            }
            done
        }
        Err(mut failure) => {
            report.retries = frame.retry_count;
            report.retry = frame.retry_trace;
            report.choice = frame.choice_taken;
            if failure.evaluation {
                record_evaluation_failure(&frame, &failure, cursor);
                // Recorded where it happened: a Map or Parallel state that
                // fails with it (one of its iterations' or branches' errors)
                // records no EvaluationFailed of its own.
                failure.evaluation = false;
            }
            let Some(raw_input) = raw_input else {
                return Err(failure);
            };
            let Some(index) = state.catch.iter().position(|c| failure.matches(&c.error_equals)) else {
                return Err(failure);
            };
            let catcher = &state.catch[index];
            report.caught = Some(index);
            catch(&frame, catcher, &failure, raw_input)?
        }
    };
    report.retries = frame.retry_count;
    report.retry = frame.retry_trace;
    report.choice = frame.choice_taken;
    drop(frame);

    let Done {
        output,
        output_bound,
        assigned,
        next,
    } = done;
    exec.events.advance(cursor, || EventDetails::StateExited {
        state_type: state.type_name(),
        name: state.name.clone(),
        output: output.clone(),
        assigned: assigned.clone(),
    });
    if let Some(vars) = assigned {
        if report.place.is_some() {
            report.assigned = Some(vars.clone());
        }
        scope.assign(vars);
    }
    match (next, state.transition) {
        (Some(next), _) | (None, Transition::Next(next)) => Ok(Step::Next(next, output, output_bound)),
        (None, _) => Ok(Step::End(output)),
    }
}

/// AWS records interpreter-side evaluation errors (JSONata) as an
/// `EvaluationFailed` event; a Map or Parallel state then also fails.
fn record_evaluation_failure(frame: &Frame<'_>, failure: &Failure, cursor: &mut Cursor) {
    let events = &frame.exec.events;
    // Waits evaluate after entering; other states evaluate as they enter, so
    // AWS links the event to the one before the state.
    let previous = if matches!(frame.state.kind, StateKind::Wait(_)) {
        cursor.last
    } else {
        frame.entered_previous
    };
    let id = events.record(previous, || EventDetails::EvaluationFailed {
        error: failure.error.clone().unwrap_or_default(),
        cause: failure.cause.clone().unwrap_or_default(),
        location: failure.location.clone(),
        state: frame.state.name.clone(),
    });
    cursor.last = id;
    match frame.state.kind {
        StateKind::Map(_) => {
            events.advance(cursor, || EventDetails::MapStateFailed);
        }
        StateKind::Parallel(_) => {
            events.advance(cursor, || EventDetails::ParallelStateFailed);
        }
        _ => {}
    }
}

/// Handles a caught failure: the catcher's output, assignments and target.
fn catch(frame: &Frame<'_>, catcher: &Catcher, failure: &Failure, raw_input: Value) -> Result<Done, Failure> {
    let error_output = failure.to_output();
    let (output, assigned) = match frame.state.query_language {
        QueryLanguage::JsonPath => {
            let assigned = match &catcher.assign {
                Some(assign) => Some(jsonpath::evaluate_assign(frame, assign, &error_output)?),
                None => None,
            };
            let output = match &catcher.result_path {
                ResultPath::Whole => error_output,
                ResultPath::Null => raw_input,
                ResultPath::Path(p) => p
                    .apply(raw_input, error_output)
                    .map_err(|e| Failure::new(names::RESULT_PATH_MATCH_FAILURE, e.to_string()))?,
            };
            (output, assigned)
        }
        QueryLanguage::Jsonata => {
            let states = frame.states_var(&raw_input, None, Some(&error_output));
            let assigned = match &catcher.assign {
                Some(assign) => Some(jsonata::evaluate_assign(frame, assign, &states)?),
                None => None,
            };
            let output = match &catcher.output {
                Some(t) => frame.jsonata(t, &states, "Output")?,
                None => error_output,
            };
            (output, assigned)
        }
    };
    Ok(Done {
        output,
        output_bound: None,
        assigned,
        next: Some(catcher.next),
    })
}

/// `States.DataLimitExceeded` for a state whose output is too large.
pub(crate) fn data_limit(state: &State) -> Failure {
    Failure::new(
        names::DATA_LIMIT_EXCEEDED,
        format!(
            "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
            state.name
        ),
    )
}

/// Locks a mutex, ignoring poisoning (the data is a plain option).
fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
