//! AWS's payload size limit.

use std::io::{self, Write};

use serde_json::Value;

/// Input and output of a state, task or execution: 256 KiB of UTF-8.
pub const MAX_PAYLOAD_BYTES: usize = 262_144;

/// Whether `value` serialises to more than [`MAX_PAYLOAD_BYTES`]. Stops
/// counting as soon as the limit is passed, and allocates nothing.
pub(crate) fn exceeds_payload_limit(value: &Value) -> bool {
    // Small scalars and tiny containers cannot reach the limit; skip the walk.
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => return false,
        Value::String(s) if s.len() < MAX_PAYLOAD_BYTES / 8 => return false,
        _ => {}
    }
    let mut counter = Counter { written: 0 };
    serde_json::to_writer(&mut counter, value).is_err()
}

struct Counter {
    written: usize,
}

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.written += buf.len();
        if self.written > MAX_PAYLOAD_BYTES {
            return Err(io::Error::other("payload limit exceeded"));
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn limit_counts_serialised_bytes() {
        let just_fits = json!("a".repeat(MAX_PAYLOAD_BYTES - 2));
        assert!(!exceeds_payload_limit(&just_fits));
        let over = json!("a".repeat(MAX_PAYLOAD_BYTES - 1));
        assert!(exceeds_payload_limit(&over));
        assert!(exceeds_payload_limit(&json!({"k": "a".repeat(MAX_PAYLOAD_BYTES)})));
        assert!(!exceeds_payload_limit(&json!({"k": 1})));
    }
}
