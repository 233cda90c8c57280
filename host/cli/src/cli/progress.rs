//! `stepyard run` on a terminal: a line per top-level state as it ends
//! (name, type, status, how long it took, retries), so a run can be watched
//! without a browser. Map and Parallel states get one line, with how many
//! iterations or branches ran inside them; their inner states are not
//! listed (a 1,000-item Map would bury everything else).
//!
//! The top level of an execution runs one state at a time, so the state
//! entered while none is open is top-level; everything entered before it
//! exits ran inside it.

use std::io::Write;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use stepyard_interpreter::history::{EventDetails, HistoryEvent, HistoryObserver};

/// The top-level state that is running.
struct Open {
    name: String,
    state_type: &'static str,
    entered: DateTime<Utc>,
    /// Attempts of its own task (Scheduled events while nothing is nested).
    attempts: u32,
    /// States entered inside it (Map iterations' and branches' states).
    inner: u32,
    /// The last error one of its attempts raised, if the last attempt failed.
    failed_with: Option<String>,
}

/// Prints a line per top-level state as it ends.
pub(super) struct Progress<W: Write + Send> {
    out: Mutex<W>,
    open: Mutex<Option<Open>>,
    /// What else wants the events (the history for `--history`).
    next: Option<std::sync::Arc<dyn HistoryObserver>>,
}

impl<W: Write + Send> Progress<W> {
    pub(super) fn new(out: W, next: Option<std::sync::Arc<dyn HistoryObserver>>) -> Progress<W> {
        Progress {
            out: Mutex::new(out),
            open: Mutex::new(None),
            next,
        }
    }

    fn print(&self, state: &Open, status: &str, at: DateTime<Utc>) {
        let millis = (at - state.entered).num_milliseconds().max(0) as f64;
        let mut extra = String::new();
        if state.attempts > 1 {
            let retries = state.attempts - 1;
            extra.push_str(&format!(
                "  {retries} {}",
                if retries == 1 { "retry" } else { "retries" }
            ));
        }
        if state.inner > 0 {
            extra.push_str(&format!("  {} states inside", state.inner));
        }
        if let (Some(error), "failed" | "caught error") = (&state.failed_with, status) {
            extra.push_str(&format!("  {error}"));
        }
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        let _ = writeln!(
            out,
            "  {:<28} {:<9} {:<13} {:>9}{extra}",
            state.name,
            state.state_type,
            status,
            duration(millis)
        );
        let _ = out.flush();
    }
}

/// `840 ms`, `2.31 s`, `4 min 12 s`.
pub(super) fn duration(millis: f64) -> String {
    if millis < 1000.0 {
        format!("{millis:.0} ms")
    } else if millis < 60_000.0 {
        format!("{:.2} s", millis / 1000.0)
    } else {
        let s = (millis / 1000.0).round() as u64;
        format!("{} min {} s", s / 60, s % 60)
    }
}

impl<W: Write + Send> HistoryObserver for Progress<W> {
    fn on_event(&self, event: HistoryEvent) {
        {
            let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
            match &event.details {
                EventDetails::StateEntered { state_type, name, .. } => match open.as_mut() {
                    None => {
                        *open = Some(Open {
                            name: name.clone(),
                            state_type,
                            entered: event.timestamp,
                            attempts: 0,
                            inner: 0,
                            failed_with: None,
                        });
                    }
                    Some(outer) => outer.inner += 1,
                },
                EventDetails::TaskScheduled { .. } | EventDetails::LambdaFunctionScheduled { .. } => {
                    if let Some(state) = open.as_mut().filter(|s| s.inner == 0) {
                        state.attempts += 1;
                    }
                }
                EventDetails::TaskFailed { error, .. }
                | EventDetails::TaskTimedOut { error, .. }
                | EventDetails::LambdaFunctionFailed { error, .. }
                | EventDetails::LambdaFunctionTimedOut { error, .. } => {
                    if let Some(state) = open.as_mut().filter(|s| s.inner == 0) {
                        state.failed_with = error.clone();
                    }
                }
                EventDetails::TaskSucceeded { .. } | EventDetails::LambdaFunctionSucceeded { .. } => {
                    if let Some(state) = open.as_mut().filter(|s| s.inner == 0) {
                        state.failed_with = None;
                    }
                }
                EventDetails::StateExited { name, .. } => {
                    if open.as_ref().is_some_and(|s| &s.name == name)
                        && let Some(state) = open.take()
                    {
                        let status = if state.failed_with.is_some() {
                            "caught error"
                        } else {
                            "succeeded"
                        };
                        self.print(&state, status, event.timestamp);
                    }
                }
                EventDetails::ExecutionFailed { .. }
                | EventDetails::ExecutionTimedOut { .. }
                | EventDetails::ExecutionAborted { .. } => {
                    if let Some(state) = open.take() {
                        let status = match &event.details {
                            EventDetails::ExecutionFailed { .. } => "failed",
                            EventDetails::ExecutionTimedOut { .. } => "timed out",
                            _ => "aborted",
                        };
                        self.print(&state, status, event.timestamp);
                    }
                }
                _ => {}
            }
        }
        if let Some(next) = &self.next {
            next.on_event(event);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn at(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(1_700_000_000_000 + ms).unwrap()
    }

    fn event(ms: i64, details: EventDetails) -> HistoryEvent {
        HistoryEvent {
            id: 0,
            previous_event_id: 0,
            timestamp: at(ms),
            details,
        }
    }

    fn entered(ms: i64, state_type: &'static str, name: &str) -> HistoryEvent {
        event(
            ms,
            EventDetails::StateEntered {
                state_type,
                name: name.into(),
                input: json!({}),
            },
        )
    }

    fn exited(ms: i64, state_type: &'static str, name: &str) -> HistoryEvent {
        event(
            ms,
            EventDetails::StateExited {
                state_type,
                name: name.into(),
                output: json!({}),
                assigned: None,
            },
        )
    }

    fn failed(ms: i64) -> HistoryEvent {
        event(
            ms,
            EventDetails::LambdaFunctionFailed {
                error: Some("Flaky".into()),
                cause: None,
            },
        )
    }

    fn scheduled(ms: i64) -> HistoryEvent {
        event(
            ms,
            EventDetails::LambdaFunctionScheduled {
                resource: "f".into(),
                input: json!({}),
                timeout: None,
            },
        )
    }

    fn lines(events: Vec<HistoryEvent>) -> Vec<String> {
        let progress = Progress::new(Vec::<u8>::new(), None);
        for e in events {
            progress.on_event(e);
        }
        let out = progress.out.into_inner().unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    }

    #[test]
    fn a_line_per_top_level_state_with_its_retries_and_what_ran_inside() {
        let out = lines(vec![
            entered(0, "Task", "Pay"),
            scheduled(1),
            failed(5),
            scheduled(1005),
            event(1200, EventDetails::LambdaFunctionSucceeded { output: json!({}) }),
            exited(1210, "Task", "Pay"),
            entered(1210, "Map", "Each"),
            entered(1211, "Pass", "Inner"),
            exited(1212, "Pass", "Inner"),
            entered(1211, "Pass", "Inner"),
            exited(1213, "Pass", "Inner"),
            exited(1300, "Map", "Each"),
            entered(1300, "Fail", "Stop"),
            event(
                1301,
                EventDetails::ExecutionFailed {
                    error: Some("E".into()),
                    cause: None,
                },
            ),
        ]);
        assert_eq!(
            out,
            vec![
                "Pay Task succeeded 1.21 s 1 retry",
                "Each Map succeeded 90 ms 2 states inside",
                "Stop Fail failed 1 ms",
            ]
        );
    }

    #[test]
    fn a_caught_error_shows_what_was_caught() {
        let out = lines(vec![
            entered(0, "Task", "Pay"),
            scheduled(0),
            failed(3),
            exited(4, "Task", "Pay"),
        ]);
        assert_eq!(out, vec!["Pay Task caught error 4 ms Flaky"]);
    }
}
