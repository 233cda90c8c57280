//! The JSON text of a history event, written straight into a buffer.
//!
//! A durable execution stores every event it records, so this is on the hot
//! path: building a `Value` tree first (and the JSON text of each payload as
//! a separate string, escaped again when the tree is written) costs several
//! times more. The bytes are exactly those of
//! `HistoryEvent::to_json().to_string()`; the tests check every event type.

use std::io::Write;

use serde_json::{Map, Value};

use super::{EventDetails, HistoryEvent};

impl HistoryEvent {
    /// The event as GetExecutionHistory returns it, as JSON text (the same
    /// text as `to_json().to_string()`, written without the `Value`).
    pub fn to_json_text(&self) -> String {
        let mut out = Out {
            buf: Vec::with_capacity(256),
            first: true,
        };
        out.open();
        out.str_field("timestamp", &stepyard_asl::timestamp::format_millis(self.timestamp));
        out.str_field("type", &self.details.type_name());
        out.u64_field("id", self.id);
        out.u64_field("previousEventId", self.previous_event_id);
        write_details(&mut out, &self.details);
        out.close();
        // Only valid UTF-8 was written: strings, numbers and punctuation.
        String::from_utf8(out.buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

/// Compact JSON in the making. `first`: no member written yet in the
/// innermost open object (a nested object is always opened right after its
/// key, and the enclosing object has a member from then on, so one flag is
/// enough).
struct Out {
    buf: Vec<u8>,
    first: bool,
}

impl Out {
    fn open(&mut self) {
        self.buf.push(b'{');
        self.first = true;
    }

    fn close(&mut self) {
        self.buf.push(b'}');
        self.first = false;
    }

    fn key(&mut self, key: &str) {
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
        self.string(key);
        self.buf.push(b':');
    }

    /// A JSON string, escaped as serde_json escapes it.
    fn string(&mut self, s: &str) {
        // Writing into a Vec cannot fail.
        let _ = serde_json::to_writer(&mut self.buf, s);
    }

    fn str_field(&mut self, key: &str, value: &str) {
        self.key(key);
        self.string(value);
    }

    fn u64_field(&mut self, key: &str, value: u64) {
        self.key(key);
        let _ = write!(self.buf, "{value}");
    }

    /// `value`'s JSON text as a JSON string (how AWS shows payloads),
    /// written in one walk over the value: each string in it is escaped
    /// twice over as it is written (once as JSON text, once as the content
    /// of the outer string), so no intermediate text is made or shifted.
    fn text_field(&mut self, key: &str, value: &Value) {
        self.key(key);
        self.buf.push(b'"');
        write_doubly_escaped(&mut self.buf, value);
        self.buf.push(b'"');
    }

    /// `{"truncated": false}`: AWS's details of an untruncated payload.
    fn untruncated(&mut self, key: &str) {
        self.key(key);
        self.buf.extend_from_slice(br#"{"truncated":false}"#);
    }

    fn opt_str_field(&mut self, key: &str, value: &Option<String>) {
        if let Some(v) = value {
            self.str_field(key, v);
        }
    }

    fn opt_u64_field(&mut self, key: &str, value: Option<u64>) {
        if let Some(v) = value {
            self.u64_field(key, v);
        }
    }
}

/// The `…EventDetails` member, in the key order of `details_json`.
fn write_details(out: &mut Out, details: &EventDetails) {
    use EventDetails::*;
    let failure = |out: &mut Out, error: &Option<String>, cause: &Option<String>| {
        out.opt_str_field("error", error);
        out.opt_str_field("cause", cause);
    };
    let resource = |out: &mut Out, resource_type: &str, resource: &str| {
        out.str_field("resourceType", resource_type);
        out.str_field("resource", resource);
    };
    let name_index = |out: &mut Out, name: &str, index: usize| {
        out.str_field("name", name);
        out.u64_field("index", index as u64);
    };
    let Some(key) = details_key(details) else {
        return;
    };
    out.key(key);
    out.open();
    match details {
        ExecutionStarted { input, role_arn } => {
            out.text_field("input", input);
            out.untruncated("inputDetails");
            out.str_field("roleArn", role_arn);
        }
        ExecutionSucceeded { output } | LambdaFunctionSucceeded { output } => {
            out.text_field("output", output);
            out.untruncated("outputDetails");
        }
        ExecutionFailed { error, cause }
        | ExecutionTimedOut { error, cause }
        | ExecutionAborted { error, cause }
        | LambdaFunctionFailed { error, cause }
        | LambdaFunctionTimedOut { error, cause }
        | MapRunFailed { error, cause } => failure(out, error, cause),
        ExecutionRedriven { redrive_count } => out.u64_field("redriveCount", u64::from(*redrive_count)),
        StateEntered { name, input, .. } => {
            out.str_field("name", name);
            out.text_field("input", input);
            out.untruncated("inputDetails");
        }
        StateExited {
            name, output, assigned, ..
        } => {
            out.str_field("name", name);
            out.text_field("output", output);
            out.untruncated("outputDetails");
            if let Some(vars) = assigned.as_ref().filter(|v| !v.is_empty()) {
                write_assigned(out, vars);
            }
        }
        TaskScheduled {
            resource_type,
            resource: res,
            region,
            parameters,
            timeout,
            heartbeat,
        } => {
            out.str_field("region", region);
            out.text_field("parameters", parameters);
            out.opt_u64_field("timeoutInSeconds", *timeout);
            out.opt_u64_field("heartbeatInSeconds", *heartbeat);
            resource(out, resource_type, res);
        }
        TaskStarted {
            resource_type,
            resource: res,
        } => resource(out, resource_type, res),
        TaskSucceeded {
            resource_type,
            resource: res,
            output,
        } => {
            out.text_field("output", output);
            out.untruncated("outputDetails");
            resource(out, resource_type, res);
        }
        TaskFailed {
            resource_type,
            resource: res,
            error,
            cause,
        }
        | TaskTimedOut {
            resource_type,
            resource: res,
            error,
            cause,
        } => {
            failure(out, error, cause);
            resource(out, resource_type, res);
        }
        LambdaFunctionScheduled {
            resource: res,
            input,
            timeout,
        } => {
            out.str_field("resource", res);
            out.text_field("input", input);
            out.untruncated("inputDetails");
            out.opt_u64_field("timeoutInSeconds", *timeout);
        }
        MapStateStarted { length } => out.u64_field("length", *length as u64),
        MapIterationStarted { name, index }
        | MapIterationSucceeded { name, index }
        | MapIterationFailed { name, index }
        | MapIterationAborted { name, index } => name_index(out, name, *index),
        MapRunStarted { map_run_arn } => out.str_field("mapRunArn", map_run_arn),
        EvaluationFailed {
            error,
            cause,
            location,
            state,
        } => {
            out.str_field("error", error);
            out.str_field("cause", cause);
            out.str_field("state", state);
            out.opt_str_field("location", location);
        }
        LambdaFunctionStarted
        | MapRunSucceeded
        | MapStateSucceeded
        | MapStateFailed
        | MapStateAborted
        | ParallelStateStarted
        | ParallelStateSucceeded
        | ParallelStateFailed
        | ParallelStateAborted
        | WaitStateAborted => {}
    }
    out.close();
}

/// Writes `value`'s compact JSON text (serde_json's bytes) escaped as the
/// content of a JSON string.
fn write_doubly_escaped(buf: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => buf.extend_from_slice(b"null"),
        Value::Bool(true) => buf.extend_from_slice(b"true"),
        Value::Bool(false) => buf.extend_from_slice(b"false"),
        // Digits, signs, '.', 'e': nothing to escape.
        Value::Number(n) => {
            let _ = serde_json::to_writer(&mut *buf, n);
        }
        Value::String(s) => write_doubly_escaped_str(buf, s),
        Value::Array(items) => {
            buf.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                write_doubly_escaped(buf, item);
            }
            buf.push(b']');
        }
        Value::Object(members) => {
            buf.push(b'{');
            for (i, (name, member)) in members.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                write_doubly_escaped_str(buf, name);
                buf.push(b':');
                write_doubly_escaped(buf, member);
            }
            buf.push(b'}');
        }
    }
}

/// A JSON string literal (escaped as serde_json escapes strings), escaped
/// again: its quotes become `\"`, a quote in `s` becomes `\\\"`.
fn write_doubly_escaped_str(buf: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    buf.extend_from_slice(br#"\""#);
    let bytes = s.as_bytes();
    let mut copied = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'"' => br#"\\\""#,
            b'\\' => br#"\\\\"#,
            b'\n' => br#"\\n"#,
            b'\r' => br#"\\r"#,
            b'\t' => br#"\\t"#,
            0x08 => br#"\\b"#,
            0x0c => br#"\\f"#,
            0x00..=0x1f => {
                buf.extend_from_slice(&bytes[copied..i]);
                buf.extend_from_slice(br#"\\u00"#);
                buf.push(HEX[usize::from(b >> 4)]);
                buf.push(HEX[usize::from(b & 0xf)]);
                copied = i + 1;
                continue;
            }
            _ => continue,
        };
        buf.extend_from_slice(&bytes[copied..i]);
        buf.extend_from_slice(escaped);
        copied = i + 1;
    }
    buf.extend_from_slice(&bytes[copied..]);
    buf.extend_from_slice(br#"\""#);
}

fn write_assigned(out: &mut Out, vars: &Map<String, Value>) {
    out.key("assignedVariables");
    out.open();
    for (name, value) in vars {
        out.text_field(name, value);
    }
    out.close();
    out.untruncated("assignedVariablesDetails");
}

/// The key of the details member, for the types that have one.
fn details_key(details: &EventDetails) -> Option<&'static str> {
    use EventDetails::*;
    Some(match details {
        ExecutionStarted { .. } => "executionStartedEventDetails",
        ExecutionSucceeded { .. } => "executionSucceededEventDetails",
        ExecutionFailed { .. } => "executionFailedEventDetails",
        ExecutionTimedOut { .. } => "executionTimedOutEventDetails",
        ExecutionAborted { .. } => "executionAbortedEventDetails",
        ExecutionRedriven { .. } => "executionRedrivenEventDetails",
        StateEntered { .. } => "stateEnteredEventDetails",
        StateExited { .. } => "stateExitedEventDetails",
        TaskScheduled { .. } => "taskScheduledEventDetails",
        TaskStarted { .. } => "taskStartedEventDetails",
        TaskSucceeded { .. } => "taskSucceededEventDetails",
        TaskFailed { .. } => "taskFailedEventDetails",
        TaskTimedOut { .. } => "taskTimedOutEventDetails",
        LambdaFunctionScheduled { .. } => "lambdaFunctionScheduledEventDetails",
        LambdaFunctionSucceeded { .. } => "lambdaFunctionSucceededEventDetails",
        LambdaFunctionFailed { .. } => "lambdaFunctionFailedEventDetails",
        LambdaFunctionTimedOut { .. } => "lambdaFunctionTimedOutEventDetails",
        MapStateStarted { .. } => "mapStateStartedEventDetails",
        MapIterationStarted { .. } => "mapIterationStartedEventDetails",
        MapIterationSucceeded { .. } => "mapIterationSucceededEventDetails",
        MapIterationFailed { .. } => "mapIterationFailedEventDetails",
        MapIterationAborted { .. } => "mapIterationAbortedEventDetails",
        MapRunStarted { .. } => "mapRunStartedEventDetails",
        MapRunFailed { .. } => "mapRunFailedEventDetails",
        EvaluationFailed { .. } => "evaluationFailedEventDetails",
        LambdaFunctionStarted
        | MapRunSucceeded
        | MapStateSucceeded
        | MapStateFailed
        | MapStateAborted
        | ParallelStateStarted
        | ParallelStateSucceeded
        | ParallelStateFailed
        | ParallelStateAborted
        | WaitStateAborted => return None,
    })
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use serde_json::json;

    use super::*;

    /// Payloads and names with everything JSON escapes.
    fn tricky() -> Value {
        json!({"q": "say \"hi\"\\", "nl": "a\nb\r\tc\u{8}\u{c}\u{1}\u{1f}", "u": "é€😀", "n": [1, -2.5, 1e300, null, true], "e": {}})
    }

    fn every_type() -> Vec<EventDetails> {
        use EventDetails::*;
        let s = |t: &str| t.to_owned();
        let some = |t: &str| Some(t.to_owned());
        let vars = Map::from_iter([("x".to_owned(), json!(42)), ("we\"ird".to_owned(), tricky())]);
        vec![
            ExecutionStarted {
                input: tricky(),
                role_arn: s("arn:aws:iam::1:role/R"),
            },
            ExecutionSucceeded { output: json!("text") },
            ExecutionFailed {
                error: some("E"),
                cause: some("a \"cause\"\n"),
            },
            ExecutionFailed {
                error: None,
                cause: None,
            },
            ExecutionTimedOut {
                error: some("States.Timeout"),
                cause: None,
            },
            ExecutionAborted {
                error: None,
                cause: some("c"),
            },
            ExecutionRedriven { redrive_count: 3 },
            StateEntered {
                state_type: "Task",
                name: s("Ünïcode \"name\""),
                input: tricky(),
            },
            StateExited {
                state_type: "Pass",
                name: s("A"),
                output: json!(null),
                assigned: None,
            },
            StateExited {
                state_type: "Pass",
                name: s("A"),
                output: json!([1, 2]),
                assigned: Some(vars),
            },
            StateExited {
                state_type: "Pass",
                name: s("A"),
                output: json!({}),
                assigned: Some(Map::new()),
            },
            TaskScheduled {
                resource_type: s("lambda"),
                resource: s("invoke"),
                region: s("us-east-1"),
                parameters: tricky(),
                timeout: Some(30),
                heartbeat: Some(5),
            },
            TaskScheduled {
                resource_type: s("lambda"),
                resource: s("invoke"),
                region: s("us-east-1"),
                parameters: json!({}),
                timeout: None,
                heartbeat: None,
            },
            TaskStarted {
                resource_type: s("lambda"),
                resource: s("invoke"),
            },
            TaskSucceeded {
                resource_type: s("lambda"),
                resource: s("invoke"),
                output: tricky(),
            },
            TaskFailed {
                resource_type: s("lambda"),
                resource: s("invoke"),
                error: some("E"),
                cause: some("C"),
            },
            TaskTimedOut {
                resource_type: s("lambda"),
                resource: s("invoke"),
                error: None,
                cause: None,
            },
            LambdaFunctionScheduled {
                resource: s("arn:aws:lambda:us-east-1:1:function:f"),
                input: tricky(),
                timeout: Some(10),
            },
            LambdaFunctionScheduled {
                resource: s("f"),
                input: json!(1),
                timeout: None,
            },
            LambdaFunctionStarted,
            LambdaFunctionSucceeded { output: tricky() },
            LambdaFunctionFailed {
                error: some("E"),
                cause: None,
            },
            LambdaFunctionTimedOut {
                error: some("States.Timeout"),
                cause: some("late"),
            },
            MapStateStarted { length: 12 },
            MapStateSucceeded,
            MapStateFailed,
            MapStateAborted,
            MapIterationStarted { name: s("M"), index: 0 },
            MapIterationSucceeded { name: s("M"), index: 7 },
            MapIterationFailed { name: s("M"), index: 1 },
            MapIterationAborted { name: s("M"), index: 2 },
            MapRunStarted {
                map_run_arn: s("arn:aws:states:us-east-1:1:mapRun:m/x:y"),
            },
            MapRunSucceeded,
            MapRunFailed {
                error: some("E"),
                cause: some("C"),
            },
            ParallelStateStarted,
            ParallelStateSucceeded,
            ParallelStateFailed,
            ParallelStateAborted,
            WaitStateAborted,
            EvaluationFailed {
                error: s("States.Runtime"),
                cause: s("bad \"path\""),
                location: Some(s("InputPath")),
                state: s("S"),
            },
            EvaluationFailed {
                error: s("States.Runtime"),
                cause: s("c"),
                location: None,
                state: s("S"),
            },
        ]
    }

    #[test]
    fn text_is_exactly_the_value_s_text() {
        for (i, details) in every_type().into_iter().enumerate() {
            let event = HistoryEvent {
                id: i as u64 + 2,
                previous_event_id: i as u64 + 1,
                timestamp: Utc::now(),
                details,
            };
            assert_eq!(event.to_json_text(), event.to_json().to_string(), "{:?}", event.details);
        }
    }

    fn any_value() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            "[\\x00-\\x7f\"\\\\]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::vec((any::<String>(), inner), 0..6)
                    .prop_map(|members| Value::Object(members.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn any_payload_is_written_as_serde_json_writes_its_text_as_a_string(value in any_value()) {
            let mut out = Out { buf: Vec::new(), first: true };
            out.text_field("k", &value);
            let expected = format!("\"k\":{}", serde_json::to_string(&value.to_string()).unwrap());
            proptest::prop_assert_eq!(String::from_utf8(out.buf).unwrap(), expected);
        }
    }

    #[test]
    fn payload_text_is_escaped_like_serde_json_escapes_it() {
        let all: String = (0u32..0x80).filter_map(char::from_u32).chain("é€😀".chars()).collect();
        let value = json!({ all.clone(): [all, "\\\"", {"q": "\""}] });
        let mut out = Out {
            buf: Vec::new(),
            first: true,
        };
        out.text_field("k", &value);
        let expected = format!("\"k\":{}", serde_json::to_string(&value.to_string()).unwrap());
        assert_eq!(String::from_utf8(out.buf).unwrap(), expected);
    }
}
