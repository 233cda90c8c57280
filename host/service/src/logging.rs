//! A state machine's `loggingConfiguration` (CloudWatch Logs): which of its
//! executions' history events are also written as log records, in the shape
//! Step Functions writes them to a log group.
//!
//! A record is one JSON object: `id`, `type`, `details` (the event's
//! `…EventDetails`), `previous_event_id`, `event_timestamp` (epoch
//! milliseconds), `execution_arn` and `redrive_count`, every number as a
//! string. `level` decides which events are written: `ALL` every event;
//! `ERROR` the failures (`ExecutionFailed`, `FailStateEntered`, every
//! `…Failed`, `…TimedOut`, `…Aborted`, `…StartFailed`, `…SubmitFailed`,
//! `…ScheduleFailed`); `FATAL` only how an execution failed, timed out or was
//! aborted; `OFF` none. Without `includeExecutionData` the records keep only
//! metadata (names, errors, the role): inputs, outputs and parameters go.
//!
//! Records are kept beside the plugins' log lines of the execution (source
//! `states`), in the order they happened, written in batches outside the
//! journal's commits (logs are best effort, as CloudWatch's are).

use serde_json::{Map, Value, json};

use super::{ServiceError, ServiceResult};

/// Which events a configuration writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogLevel {
    All,
    Error,
    Fatal,
    Off,
}

/// A validated `loggingConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Logging {
    pub level: LogLevel,
    pub include_execution_data: bool,
    /// The log group's ARN (`…:log-group:NAME:*`).
    pub log_group_arn: Option<String>,
}

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::new("InvalidLoggingConfiguration", message)
}

impl Logging {
    /// Checks a `loggingConfiguration` as CreateStateMachine does.
    pub(crate) fn parse(value: &Value) -> ServiceResult<Logging> {
        let Some(object) = value.as_object() else {
            return Err(invalid("loggingConfiguration must be an object"));
        };
        let level = match object.get("level").map(|v| v.as_str()) {
            None => LogLevel::Off,
            Some(Some("ALL")) => LogLevel::All,
            Some(Some("ERROR")) => LogLevel::Error,
            Some(Some("FATAL")) => LogLevel::Fatal,
            Some(Some("OFF")) => LogLevel::Off,
            Some(other) => {
                return Err(ServiceError::validation(format!(
                    "1 validation error detected: Value '{}' at 'loggingConfiguration.level' failed to satisfy constraint: Member must satisfy enum value set: [ALL, ERROR, FATAL, OFF]",
                    other.map_or_else(|| value["level"].to_string(), str::to_owned)
                )));
            }
        };
        let include_execution_data = match object.get("includeExecutionData") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(invalid("includeExecutionData must be a boolean")),
        };
        let destinations = match object.get("destinations") {
            None => Vec::new(),
            Some(Value::Array(d)) => d.clone(),
            Some(_) => return Err(invalid("destinations must be an array")),
        };
        if destinations.len() > 1 {
            return Err(ServiceError::validation(
                "1 validation error detected: Value at 'loggingConfiguration.destinations' failed to satisfy constraint: Member must have length less than or equal to 1",
            ));
        }
        let log_group_arn = match destinations.first() {
            None => None,
            Some(d) => {
                let arn = d
                    .pointer("/cloudWatchLogsLogGroup/logGroupArn")
                    .and_then(Value::as_str)
                    .ok_or_else(|| invalid("A destination needs cloudWatchLogsLogGroup.logGroupArn"))?;
                let parts: Vec<&str> = arn.split(':').collect();
                if !(parts.len() == 8
                    && parts[0] == "arn"
                    && parts[2] == "logs"
                    && parts[5] == "log-group"
                    && !parts[6].is_empty()
                    && parts[7] == "*")
                {
                    return Err(invalid(format!(
                        "Invalid Logging Configuration: The CloudWatch Logs Resource Policy size was exceeded or the log group ARN is not valid: '{arn}' (expected arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*)"
                    )));
                }
                Some(arn.to_owned())
            }
        };
        if level != LogLevel::Off && log_group_arn.is_none() {
            return Err(invalid(
                "Invalid Logging Configuration: Must specify exactly one Log Destination.",
            ));
        }
        Ok(Logging {
            level,
            include_execution_data,
            log_group_arn,
        })
    }

    /// The configuration of a stored machine, when it writes anything.
    pub(crate) fn active(value: Option<&Value>) -> Option<Logging> {
        let logging = Logging::parse(value?).ok()?;
        (logging.level != LogLevel::Off).then_some(logging)
    }

    /// Whether an event of `event_type` is written at this level.
    pub(crate) fn writes(&self, event_type: &str) -> bool {
        match self.level {
            LogLevel::Off => false,
            LogLevel::All => true,
            LogLevel::Fatal => is_fatal(event_type),
            LogLevel::Error => is_fatal(event_type) || is_error(event_type),
        }
    }

    /// Whether an event of `event_type` is one of the failures (`ERROR`).
    pub(crate) fn writes_at_error(&self, event_type: &str) -> bool {
        is_fatal(event_type) || is_error(event_type)
    }

    /// The log record of `event` (GetExecutionHistory's shape, with epoch
    /// timestamps) of the execution `execution_arn`.
    pub(crate) fn record(&self, event: &Value, execution_arn: &str, redrive_count: u32) -> Value {
        let id = event.get("id").and_then(Value::as_u64).unwrap_or(0);
        let previous = event.get("previousEventId").and_then(Value::as_u64).unwrap_or(0);
        let event_type = event.get("type").and_then(Value::as_str).unwrap_or("");
        let millis = event
            .get("timestamp")
            .and_then(Value::as_f64)
            .map_or(0, |s| (s * 1000.0).round() as i64);
        let mut details = event
            .as_object()
            .and_then(|o| o.iter().find(|(k, _)| k.ends_with("EventDetails")))
            .and_then(|(_, d)| d.as_object().cloned())
            .unwrap_or_default();
        if !self.include_execution_data {
            strip_execution_data(&mut details);
        }
        json!({
            "id": id.to_string(),
            "type": event_type,
            "details": details,
            "previous_event_id": previous.to_string(),
            "event_timestamp": millis.to_string(),
            "execution_arn": execution_arn,
            "redrive_count": redrive_count.to_string(),
        })
    }
}

fn is_fatal(event_type: &str) -> bool {
    matches!(event_type, "ExecutionFailed" | "ExecutionTimedOut" | "ExecutionAborted")
}

fn is_error(event_type: &str) -> bool {
    event_type == "FailStateEntered"
        || [
            "Failed",
            "TimedOut",
            "Aborted",
            "StartFailed",
            "SubmitFailed",
            "ScheduleFailed",
        ]
        .iter()
        .any(|suffix| event_type.ends_with(suffix))
}

/// Inputs, outputs and parameters (and their size details) out.
fn strip_execution_data(details: &mut Map<String, Value>) {
    for key in [
        "input",
        "inputDetails",
        "output",
        "outputDetails",
        "parameters",
        "assignedVariables",
        "assignedVariablesDetails",
    ] {
        details.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group() -> Value {
        json!([{"cloudWatchLogsLogGroup": {"logGroupArn": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/states/orders:*"}}])
    }

    #[test]
    fn levels_choose_the_events_aws_logs() {
        let at = |level: &str| Logging::parse(&json!({"level": level, "destinations": group()})).unwrap();
        let (all, error, fatal) = (at("ALL"), at("ERROR"), at("FATAL"));
        for t in ["PassStateEntered", "TaskSucceeded", "ExecutionStarted"] {
            assert!(all.writes(t) && !error.writes(t) && !fatal.writes(t), "{t}");
        }
        for t in [
            "TaskFailed",
            "LambdaFunctionTimedOut",
            "FailStateEntered",
            "MapIterationAborted",
            "LambdaFunctionScheduleFailed",
        ] {
            assert!(all.writes(t) && error.writes(t) && !fatal.writes(t), "{t}");
        }
        for t in ["ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"] {
            assert!(all.writes(t) && error.writes(t) && fatal.writes(t), "{t}");
        }
        assert!(Logging::active(Some(&json!({"level": "OFF"}))).is_none());
    }

    #[test]
    fn a_record_has_aws_shape_and_drops_execution_data_unless_included() {
        let event = json!({"id": 3, "previousEventId": 2, "type": "PassStateExited", "timestamp": 1700000000.123,
            "stateExitedEventDetails": {"name": "P", "output": "{\"a\":1}", "outputDetails": {"truncated": false}}});
        let with =
            Logging::parse(&json!({"level": "ALL", "includeExecutionData": true, "destinations": group()})).unwrap();
        let record = with.record(&event, "arn:e", 0);
        assert_eq!(
            record,
            json!({"id": "3", "type": "PassStateExited", "previous_event_id": "2", "event_timestamp": "1700000000123",
                   "execution_arn": "arn:e", "redrive_count": "0",
                   "details": {"name": "P", "output": "{\"a\":1}", "outputDetails": {"truncated": false}}})
        );
        let without = Logging::parse(&json!({"level": "ALL", "destinations": group()})).unwrap();
        assert_eq!(without.record(&event, "arn:e", 1)["details"], json!({"name": "P"}));
        assert_eq!(without.record(&event, "arn:e", 1)["redrive_count"], "1");
    }

    #[test]
    fn a_configuration_is_checked_as_aws_checks_it() {
        let code = |v: Value| Logging::parse(&v).unwrap_err().code;
        assert_eq!(code(json!({"level": "LOUD"})), "ValidationException");
        assert_eq!(code(json!({"level": "ALL"})), "InvalidLoggingConfiguration");
        assert_eq!(
            code(
                json!({"level": "ALL", "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": "arn:aws:logs:us-east-1:1:log-group:x"}}]})
            ),
            "InvalidLoggingConfiguration"
        );
        let two = json!([group()[0].clone(), group()[0].clone()]);
        assert_eq!(
            code(json!({"level": "ERROR", "destinations": two})),
            "ValidationException"
        );
        assert!(Logging::parse(&json!({"level": "OFF"})).is_ok());
    }
}
