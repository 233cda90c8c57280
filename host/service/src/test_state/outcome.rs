//! After a TestState run: what the state did (from its events and data
//! flow), and AWS's answer: status, output, error, nextState and
//! inspectionData (with errorDetails for a retry or a catch).

use std::sync::Mutex;

use serde_json::{Map, Value, json};

use stepyard_interpreter::history::{EventDetails, HistoryEvent, HistoryObserver};
use stepyard_interpreter::{Inspector, Stage};

/// Keeps the first value of each data-flow stage of one state.
pub(super) struct StageRecorder {
    pub state: String,
    pub stages: Mutex<Vec<(Stage, Value)>>,
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
pub(super) struct Watcher {
    pub events: Mutex<Vec<HistoryEvent>>,
    pub next_state: Mutex<Option<String>>,
    pub moved_on: tokio::sync::Notify,
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

/// Whether an `ErrorEquals` list names `error` as AWS matches: the name
/// itself, `States.ALL` for anything but the terminal errors, and
/// `States.TaskFailed` for anything but those and `States.Timeout`.
pub(super) fn error_matches(error_equals: Option<&Value>, error: &str) -> bool {
    let terminal = matches!(error, "States.Runtime" | "States.DataLimitExceeded");
    error_equals
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|e| {
            e == error || (!terminal && (e == "States.ALL" || (e == "States.TaskFailed" && error != "States.Timeout")))
        })
}

/// A failure's retry, when the state's first matching retrier still has
/// attempts after `retries_so_far`: (retrier index, back-off in seconds).
pub(super) fn retry_of(retry: Option<&Value>, error: &str, retries_so_far: u64) -> Option<(usize, f64)> {
    let retriers = retry.and_then(Value::as_array)?;
    // Only the first retrier whose ErrorEquals matches counts.
    let (index, retrier) = retriers
        .iter()
        .enumerate()
        .find(|(_, r)| error_matches(r.get("ErrorEquals"), error))?;
    let max_attempts = retrier.get("MaxAttempts").and_then(Value::as_u64).unwrap_or(3);
    if retries_so_far >= max_attempts {
        return None;
    }
    let interval = retrier.get("IntervalSeconds").and_then(Value::as_f64).unwrap_or(1.0);
    let rate = retrier.get("BackoffRate").and_then(Value::as_f64).unwrap_or(2.0);
    let mut backoff = interval * rate.powi(i32::try_from(retries_so_far).unwrap_or(i32::MAX));
    if let Some(cap) = retrier.get("MaxDelaySeconds").and_then(Value::as_f64) {
        backoff = backoff.min(cap);
    }
    Some((index, backoff))
}

/// The index of the state's Catch rule that takes `error`.
pub(super) fn catch_of(catch: Option<&Value>, error: &str) -> Option<usize> {
    catch
        .and_then(Value::as_array)?
        .iter()
        .position(|c| error_matches(c.get("ErrorEquals"), error))
}

/// Seconds as a JSON number: whole seconds as integers (AWS shows `4`).
fn seconds(s: f64) -> Value {
    if s.fract() == 0.0 && s.abs() < 1e15 {
        json!(s as i64)
    } else {
        json!(s)
    }
}

/// What the run gave, gathered from its events.
pub(super) struct Ran {
    pub exited: Option<(Value, Option<Map<String, Value>>)>,
    pub failure: Option<(Option<String>, Option<String>)>,
    pub result: Option<Value>,
    pub next_state: Option<String>,
}

impl Ran {
    pub(super) fn from_events(events: &[HistoryEvent], next_state: Option<String>) -> Ran {
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
        let result = events.iter().find_map(|e| match &e.details {
            EventDetails::TaskSucceeded { output, .. } | EventDetails::LambdaFunctionSucceeded { output } => {
                Some(output.clone())
            }
            _ => None,
        });
        Ran {
            exited,
            failure,
            result,
            next_state,
        }
    }
}

/// How the answer is shaped.
pub(super) struct Shape<'a> {
    pub input_text: &'a str,
    pub inspection_level: Option<&'a str>,
    pub retry: Option<&'a Value>,
    pub catch: Option<&'a Value>,
    /// `stateConfiguration.retrierRetryCount`.
    pub retries_so_far: u64,
    pub stages: Vec<(Stage, Value)>,
    /// More DEBUG fields (a mocked Map's own: `afterItemsPath`,
    /// `maxConcurrency`, the tolerated failures).
    pub debug_fields: Map<String, Value>,
}

/// TestState's answer.
pub(super) fn answer(ran: Ran, shape: Shape<'_>) -> Value {
    let mut out = Map::new();
    let mut inspection = json!({"input": shape.input_text});
    if let Some(r) = &ran.result {
        inspection["result"] = r.to_string().into();
    }
    if matches!(shape.inspection_level, Some("DEBUG" | "TRACE")) {
        for (stage, value) in &shape.stages {
            inspection[stage.field()] = value.to_string().into();
        }
        for (field, value) in shape.debug_fields {
            inspection[field] = value;
        }
    }
    let error_name = ran.failure.as_ref().and_then(|(e, _)| e.clone()).unwrap_or_default();
    let retry = ran
        .failure
        .as_ref()
        .and_then(|_| retry_of(shape.retry, &error_name, shape.retries_so_far));
    let status = match (&ran.exited, &ran.failure) {
        (_, Some(_)) if retry.is_some() => "RETRIABLE",
        (Some(_), Some(_)) => "CAUGHT_ERROR",
        (Some(_), None) => "SUCCEEDED",
        (None, _) => "FAILED",
    };
    let mut details = Map::new();
    if let Some((index, backoff)) = retry {
        details.insert("retryIndex".into(), json!(index));
        details.insert("retryBackoffIntervalSeconds".into(), seconds(backoff));
    }
    if status == "CAUGHT_ERROR"
        && let Some(index) = catch_of(shape.catch, &error_name)
    {
        details.insert("catchIndex".into(), json!(index));
    }
    if !details.is_empty() {
        inspection["errorDetails"] = Value::Object(details);
    }
    if let Some((output, assigned)) = &ran.exited
        && status != "RETRIABLE"
    {
        out.insert("output".into(), output.to_string().into());
        if let Some(vars) = assigned {
            inspection["variables"] = Value::Object(vars.clone()).to_string().into();
        }
    }
    if let Some((error, cause)) = ran.failure {
        if let Some(e) = error {
            out.insert("error".into(), e.into());
        }
        if let Some(c) = cause {
            out.insert("cause".into(), c.into());
        }
    }
    if status != "FAILED"
        && status != "RETRIABLE"
        && let Some(next) = ran.next_state
    {
        out.insert("nextState".into(), next.into());
    }
    let shows_inspection = shape.inspection_level.is_some_and(|l| l != "INFO")
        || out.contains_key("output")
        || inspection.get("errorDetails").is_some();
    if shows_inspection {
        out.insert("inspectionData".into(), inspection);
    }
    out.insert("status".into(), status.into());
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_grows_with_the_retries_already_made() {
        // AWS's example: IntervalSeconds 2, BackoffRate 2, one retry made.
        let retry = json!([{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "MaxAttempts": 3, "BackoffRate": 2}]);
        assert_eq!(retry_of(Some(&retry), "Boom", 1), Some((0, 4.0)));
        assert_eq!(retry_of(Some(&retry), "Boom", 0), Some((0, 2.0)));
        assert_eq!(retry_of(Some(&retry), "Boom", 3), None, "exhausted");
        assert_eq!(retry_of(Some(&retry), "States.Runtime", 0), None, "terminal");
        let capped = json!([{"ErrorEquals": ["E"], "IntervalSeconds": 10, "MaxDelaySeconds": 15, "MaxAttempts": 5}]);
        assert_eq!(retry_of(Some(&capped), "E", 2), Some((0, 15.0)));
        // Only the first matching retrier counts.
        let two = json!([{"ErrorEquals": ["E"], "MaxAttempts": 1}, {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5}]);
        assert_eq!(retry_of(Some(&two), "E", 1), None);
        assert_eq!(retry_of(Some(&two), "F", 1), Some((1, 2.0)));
    }

    #[test]
    fn task_failed_does_not_match_timeouts() {
        let list = json!(["States.TaskFailed"]);
        assert!(error_matches(Some(&list), "Boom"));
        assert!(!error_matches(Some(&list), "States.Timeout"));
        assert_eq!(
            catch_of(
                Some(&json!([{"ErrorEquals": ["X"]}, {"ErrorEquals": ["States.ALL"]}])),
                "Y"
            ),
            Some(1)
        );
    }
}
