//! ASL errors: a name that `Retry`/`Catch` match, and a cause.

use serde_json::{Value, json};

/// The predefined error names.
pub mod names {
    /// `States.ALL`: the `ErrorEquals` wildcard, matching every error but a `States.Runtime`
    /// or `States.DataLimitExceeded` the interpreter raised itself. Never raised.
    pub const ALL: &str = "States.ALL";
    pub(crate) const TASK_FAILED: &str = "States.TaskFailed";
    /// `States.Timeout`: a task ran longer than its `TimeoutSeconds`, or its invoker
    /// reported a timeout. (An execution timeout records no error name.)
    pub const TIMEOUT: &str = "States.Timeout";
    pub(crate) const HEARTBEAT_TIMEOUT: &str = "States.HeartbeatTimeout";
    /// `States.Permissions`: the execution's role may not call a task's resource. The service
    /// raises it, not the interpreter.
    pub const PERMISSIONS: &str = "States.Permissions";
    /// `States.Runtime`: the interpreter cannot go on (a path that selects nothing, a bad
    /// value, an unsupported resource, a full history, a failed checkpoint). `States.ALL`
    /// catches it only when a task raised it.
    pub const RUNTIME: &str = "States.Runtime";
    /// `States.DataLimitExceeded`: a state's or task's output is larger than
    /// [`MAX_PAYLOAD_BYTES`](crate::MAX_PAYLOAD_BYTES). `States.ALL` catches it only when
    /// a task's result caused it.
    pub const DATA_LIMIT_EXCEEDED: &str = "States.DataLimitExceeded";
    pub(crate) const QUERY_EVALUATION_ERROR: &str = "States.QueryEvaluationError";
    pub(crate) const INTRINSIC_FAILURE: &str = "States.IntrinsicFailure";
    pub(crate) const RESULT_PATH_MATCH_FAILURE: &str = "States.ResultPathMatchFailure";
    /// `States.ParameterPathFailure`: AWS's error for a `Parameters` path that selects
    /// nothing. Nothing here raises it: such paths fail with `States.Runtime`.
    pub const PARAMETER_PATH_FAILURE: &str = "States.ParameterPathFailure";
    /// `States.BranchFailed`: AWS's error for a failed Parallel branch. Nothing here raises
    /// it: a Parallel state fails with its failing branch's own error.
    pub const BRANCH_FAILED: &str = "States.BranchFailed";
    pub(crate) const NO_CHOICE_MATCHED: &str = "States.NoChoiceMatched";
    pub(crate) const EXCEED_TOLERATED_FAILURE_THRESHOLD: &str = "States.ExceedToleratedFailureThreshold";
    /// `States.ItemReaderFailed`: a Map's `ItemReader` could not read its items. Nothing
    /// here raises it, since no `ItemReader` is supported.
    pub const ITEM_READER_FAILED: &str = "States.ItemReaderFailed";
}

/// An error raised while running a state: what `Retry` and `Catch` see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The error name that `ErrorEquals` matches; a Fail state may leave it out.
    pub error: Option<String>,
    /// The human-readable cause; a Fail state may leave it out.
    pub cause: Option<String>,
    /// Set for errors the interpreter itself raised while evaluating the
    /// state (bad paths, JSONata errors); AWS records those as
    /// `EvaluationFailed` events.
    pub evaluation: bool,
    /// Set for errors a task reported (or its result caused): those are
    /// ordinary task failures, which `States.ALL` catches even when their
    /// name is a terminal one such as `States.DataLimitExceeded`.
    pub from_task: bool,
    /// For an evaluation error: the field (and the place below it, as in
    /// `Output/a/0`) whose value failed, which AWS records as the
    /// `location` of `EvaluationFailedEventDetails`. `None` when the
    /// failure is not about one field (a Map input that is no array).
    pub location: Option<String>,
    /// Set for a task that timed out (`States.Timeout`, `States.HeartbeatTimeout`):
    /// AWS records such a failure without a cause (in the task's event and the
    /// execution's), yet the error output a catcher sees holds `"Cause": ""`.
    pub(crate) timed_out: bool,
}

impl Failure {
    /// A failure with both an error name and a cause.
    pub fn new(error: impl Into<String>, cause: impl Into<String>) -> Failure {
        Failure {
            error: Some(error.into()),
            cause: Some(cause.into()),
            evaluation: false,
            from_task: false,
            location: None,
            timed_out: false,
        }
    }

    /// A failure with optional parts, as a Fail state raises it.
    pub fn raw(error: Option<String>, cause: Option<String>) -> Failure {
        Failure {
            error,
            cause,
            evaluation: false,
            from_task: false,
            location: None,
            timed_out: false,
        }
    }

    /// The error name as `ErrorEquals` compares it: empty when there is none.
    pub fn name(&self) -> &str {
        self.error.as_deref().unwrap_or("")
    }

    /// The error output a catcher passes on: `{"Error": …, "Cause": …}`.
    pub(crate) fn to_output(&self) -> Value {
        let mut m = serde_json::Map::new();
        if let Some(e) = &self.error {
            m.insert("Error".into(), json!(e));
        }
        match &self.cause {
            Some(c) => {
                m.insert("Cause".into(), json!(c));
            }
            None if self.timed_out => {
                m.insert("Cause".into(), json!(""));
            }
            None => {}
        }
        Value::Object(m)
    }

    /// Whether `error_equals` (one retrier's or catcher's list) matches this error.
    ///
    /// `States.ALL` matches every error except the terminal ones
    /// (`States.Runtime`, `States.DataLimitExceeded`); `States.TaskFailed`
    /// matches every error but the timeouts; `States.Timeout` also matches
    /// `States.HeartbeatTimeout` (a heartbeat timeout is a timeout too).
    pub fn matches(&self, error_equals: &[String]) -> bool {
        let name = self.name();
        error_equals.iter().any(|pattern| match pattern.as_str() {
            names::ALL => self.from_task || !is_terminal(name),
            names::TASK_FAILED => name != names::TIMEOUT && name != names::HEARTBEAT_TIMEOUT && !is_terminal(name),
            // A heartbeat timeout is a timeout too.
            names::TIMEOUT => name == names::TIMEOUT || name == names::HEARTBEAT_TIMEOUT,
            p => p == name,
        })
    }
}

/// Displays a JSON value as AWS's (Java) services print it in causes.
pub(crate) struct AwsJson<'a>(pub &'a Value);

impl std::fmt::Display for AwsJson<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&stepyard_asl::jsonpath::java::to_json(self.0))
    }
}

/// Errors no wildcard catches.
pub(crate) fn is_terminal(name: &str) -> bool {
    name == names::RUNTIME || name == names::DATA_LIMIT_EXCEEDED
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(name: &str) -> Failure {
        Failure::new(name, "")
    }

    fn list(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn states_all_matches_everything_but_terminal_errors() {
        assert!(f("Custom").matches(&list(&["States.ALL"])));
        assert!(f("States.Timeout").matches(&list(&["States.ALL"])));
        assert!(!f("States.Runtime").matches(&list(&["States.ALL"])));
        assert!(!f("States.DataLimitExceeded").matches(&list(&["States.ALL"])));
    }

    #[test]
    fn task_failed_is_a_wildcard_except_for_timeouts() {
        assert!(f("Lambda.Unknown").matches(&list(&["States.TaskFailed"])));
        assert!(!f("States.Timeout").matches(&list(&["States.TaskFailed"])));
    }

    #[test]
    fn states_all_catches_a_task_result_over_the_size_limit() {
        let mut f = Failure::new("States.DataLimitExceeded", "too big");
        assert!(!f.matches(&list(&["States.ALL"])));
        f.from_task = true;
        assert!(f.matches(&list(&["States.ALL"])));
    }

    #[test]
    fn names_match_exactly() {
        assert!(f("A").matches(&list(&["B", "A"])));
        assert!(!f("A").matches(&list(&["a"])));
    }

    #[test]
    fn error_output_omits_missing_parts() {
        assert_eq!(Failure::raw(Some("E".into()), None).to_output(), json!({"Error": "E"}));
    }

    #[test]
    fn a_timeout_has_no_cause_but_its_error_output_has_an_empty_one() {
        let mut f = Failure::raw(Some(names::TIMEOUT.into()), None);
        f.timed_out = true;
        assert_eq!(f.cause, None);
        assert_eq!(f.to_output(), json!({"Error": "States.Timeout", "Cause": ""}));
    }
}
