//! History snapshots: a case's execution history, as `GetExecutionHistory`
//! returns it, kept in a golden file beside its suite
//! (`__snapshots__/<suite file>/<execution name>.json`). A later run whose
//! history differs fails with the events that changed.
//!
//! Timestamps, task tokens and UUIDs are masked: they are not what a
//! change to a definition or plugin should be judged by (in virtual time
//! from a fixed start, timestamps repeat anyway; a real plugin's do not).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::matching::differences;
use crate::suite::Case;

/// What became of a case's snapshot.
#[derive(Debug, Clone, PartialEq)]
pub enum SnapshotOutcome {
    /// It matched.
    Matched,
    /// There was none: it was written.
    Written(PathBuf),
    /// It differed and `--update-snapshots` rewrote it.
    Updated(PathBuf),
    /// It differed.
    Differs {
        /// The golden file.
        file: PathBuf,
        /// Where, event by event.
        differences: Vec<String>,
    },
    /// The file could not be read or written.
    Unusable(String),
}

/// The golden file of `case` in `suite`.
pub fn file_for(suite: &Path, case: &Case) -> PathBuf {
    let dir = suite.parent().unwrap_or(Path::new("."));
    let name = suite
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.join("__snapshots__")
        .join(name)
        .join(format!("{}.json", case.execution_name))
}

/// Compares `events` with the case's snapshot (writing it when missing or
/// when `update` asks).
pub fn check(suite: &Path, case: &Case, events: &[Value], update: bool) -> SnapshotOutcome {
    let file = file_for(suite, case);
    let normalized: Vec<Value> = events.iter().map(normalize).collect();
    let text = match serde_json::to_string_pretty(&normalized) {
        Ok(t) => t + "\n",
        Err(e) => return SnapshotOutcome::Unusable(e.to_string()),
    };
    let write = |file: &Path| -> Result<(), String> {
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        std::fs::write(file, &text).map_err(|e| format!("cannot write {}: {e}", file.display()))
    };
    let stored = match std::fs::read_to_string(&file) {
        Ok(stored) => stored,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return match write(&file) {
                Ok(()) => SnapshotOutcome::Written(file),
                Err(e) => SnapshotOutcome::Unusable(e),
            };
        }
        Err(e) => return SnapshotOutcome::Unusable(format!("cannot read {}: {e}", file.display())),
    };
    let stored: Vec<Value> = match serde_json::from_str(&stored) {
        Ok(v) => v,
        Err(e) if !update => {
            return SnapshotOutcome::Unusable(format!("{} is not a history snapshot: {e}", file.display()));
        }
        Err(_) => Vec::new(),
    };
    if stored == normalized {
        return SnapshotOutcome::Matched;
    }
    if update {
        return match write(&file) {
            Ok(()) => SnapshotOutcome::Updated(file),
            Err(e) => SnapshotOutcome::Unusable(e),
        };
    }
    SnapshotOutcome::Differs {
        differences: event_differences(&stored, &normalized),
        file,
    }
}

/// The changed events, each named by its id and type.
fn event_differences(stored: &[Value], now: &[Value]) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..stored.len().max(now.len()) {
        if out.len() >= 20 {
            break;
        }
        let label = |e: &Value| format!("event {} {}", e["id"], e["type"].as_str().unwrap_or("?"));
        match (stored.get(i), now.get(i)) {
            (Some(a), Some(b)) if a == b => {}
            (Some(a), Some(b)) => {
                for d in differences(a, b, false, 5) {
                    out.push(format!("{}: {d}", label(a)));
                }
            }
            (Some(a), None) => out.push(format!("{}: no longer recorded", label(a))),
            (None, Some(b)) => out.push(format!("{}: new", label(b))),
            (None, None) => {}
        }
    }
    out
}

/// An event with its timestamp, task tokens and UUIDs masked.
pub fn normalize(event: &Value) -> Value {
    match event {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| {
                    let masked = match (k.as_str(), v) {
                        ("timestamp", _) => Value::String("<timestamp>".into()),
                        ("taskToken", Value::String(_)) => Value::String("<token>".into()),
                        // Lambda's HTTP metadata: the wall-clock time and trace of the call.
                        ("Date", _) => Value::String("<date>".into()),
                        ("X-Amzn-Trace-Id", _) => Value::String("<trace>".into()),
                        _ => normalize(v),
                    };
                    (k.clone(), masked)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalize).collect()),
        // Inputs and outputs are JSON text: mask inside it too.
        Value::String(s) if s.starts_with(['{', '[']) => match serde_json::from_str::<Value>(s) {
            Ok(inner) => Value::String(normalize(&inner).to_string()),
            Err(_) => Value::String(mask_uuids(s)),
        },
        Value::String(s) => Value::String(mask_uuids(s)),
        other => other.clone(),
    }
}

/// `s` with every UUID (8-4-4-4-12 hex digits) replaced by `<uuid>`.
fn mask_uuids(s: &str) -> String {
    const SHAPE: [usize; 5] = [8, 4, 4, 4, 12];
    let bytes = s.as_bytes();
    let is_uuid_at = |i: usize| {
        let mut at = i;
        for (n, len) in SHAPE.iter().enumerate() {
            if n > 0 {
                if bytes.get(at) != Some(&b'-') {
                    return false;
                }
                at += 1;
            }
            if at + len > bytes.len() || !bytes[at..at + len].iter().all(u8::is_ascii_hexdigit) {
                return false;
            }
            at += len;
        }
        true
    };
    if s.len() < 36 {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < bytes.len() {
        if is_uuid_at(i) {
            out.push_str("<uuid>");
            i += 36;
        } else {
            let c = s[i..].chars().next().unwrap_or('\0');
            out.push(c);
            i += c.len_utf8().max(1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn timestamps_tokens_and_uuids_are_masked() {
        let e = json!({"timestamp": "2024-01-01T00:00:00Z", "id": 3, "taskScheduledEventDetails": {
            "parameters": "{\"id\":\"0f8fad5b-d9cb-469f-a165-70867728950e\"}", "taskToken": "abc"}});
        let n = normalize(&e);
        assert_eq!(n["timestamp"], "<timestamp>");
        assert_eq!(n["id"], 3);
        assert_eq!(n["taskScheduledEventDetails"]["parameters"], "{\"id\":\"<uuid>\"}");
        assert_eq!(n["taskScheduledEventDetails"]["taskToken"], "<token>");
        let output = json!({"output": "{\"Date\":\"Mon, 07 Dec 2026 17:20:14 GMT\",\"n\":1}"});
        assert_eq!(normalize(&output)["output"], "{\"Date\":\"<date>\",\"n\":1}");
        assert_eq!(
            mask_uuids("plain text, no ids — ünïcode"),
            "plain text, no ids — ünïcode"
        );
    }

    #[test]
    fn changed_events_are_named() {
        let a = vec![json!({"id": 1, "type": "PassStateEntered", "x": 1})];
        let b = vec![
            json!({"id": 1, "type": "PassStateEntered", "x": 2}),
            json!({"id": 2, "type": "ExecutionSucceeded"}),
        ];
        let d = event_differences(&a, &b);
        assert_eq!(d[0], "event 1 PassStateEntered: /x: expected 1, got 2");
        assert_eq!(d[1], "event 2 ExecutionSucceeded: new");
    }
}
