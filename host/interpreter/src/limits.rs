//! AWS's payload size limit.

use std::io::{self, Write};

use serde_json::Value;

/// Input and output of a state, task or execution: 256 KiB of UTF-8.
pub const MAX_PAYLOAD_BYTES: usize = 262_144;

/// Whether `value` serialises to more than [`MAX_PAYLOAD_BYTES`]. Stops
/// counting as soon as the limit is passed, and allocates nothing.
pub(crate) fn exceeds_payload_limit(value: &Value) -> bool {
    // Serialising is the exact test but costs more than the rest of a Pass
    // state; a cheap upper bound settles almost every case first.
    let mut budget = MAX_PAYLOAD_BYTES as isize;
    if fits_upper_bound(value, &mut budget) {
        return false;
    }
    let mut counter = Counter { written: 0 };
    serde_json::to_writer(&mut counter, value).is_err()
}

/// An upper bound of `value`'s serialised size, or `None` when the bound
/// passes [`MAX_PAYLOAD_BYTES`] (then only an exact count can tell).
pub(crate) fn size_bound(value: &Value) -> Option<usize> {
    let mut budget = MAX_PAYLOAD_BYTES as isize;
    fits_upper_bound(value, &mut budget).then(|| (MAX_PAYLOAD_BYTES as isize - budget) as usize)
}

/// Subtracts an upper bound of `value`'s serialised size from `budget`;
/// false as soon as the budget is spent.
fn fits_upper_bound(value: &Value, budget: &mut isize) -> bool {
    // Worst cases: a number prints in at most 24 bytes, a string character
    // escapes to at most 6 bytes.
    let cost = |n: usize| n as isize;
    *budget -= match value {
        Value::Null | Value::Bool(_) => 5,
        Value::Number(_) => 24,
        Value::String(s) => cost(s.len()).saturating_mul(6).saturating_add(2),
        Value::Array(items) => {
            *budget -= cost(items.len()) + 2;
            for item in items {
                if !fits_upper_bound(item, budget) {
                    return false;
                }
            }
            0
        }
        Value::Object(map) => {
            *budget -= cost(map.len()) * 2 + 2;
            for (key, item) in map {
                *budget -= cost(key.len()).saturating_mul(6).saturating_add(2);
                if !fits_upper_bound(item, budget) {
                    return false;
                }
            }
            0
        }
    };
    *budget >= 0
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
    fn size_bound_is_never_below_the_serialised_size() {
        for v in [
            json!(null),
            json!("a\"b\u{1}"),
            json!({"k": [1, 2.5, "x"], "e": {}}),
            json!([[], {}]),
        ] {
            let exact = serde_json::to_string(&v).unwrap().len();
            assert!(size_bound(&v).unwrap() >= exact, "{v}");
        }
        assert_eq!(size_bound(&json!("a".repeat(MAX_PAYLOAD_BYTES))), None);
    }

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
