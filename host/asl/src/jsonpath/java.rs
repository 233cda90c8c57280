//! How AWS Step Functions (a Java service using Jackson) prints JSON values.
//!
//! AWS's cause texts and several intrinsic functions show values the way the JVM
//! prints them, not the way serde_json does: `1e20` is `1.0E20`, control
//! characters are escaped with upper-case hex, and an object interpolated by
//! `States.Format` reads `{a=1, b=x}` (Java's `Map.toString`). These helpers
//! reproduce those renderings so every module prints values the same way.

use serde_json::{Number, Value};
use std::fmt::Write as _;

/// Java's `Double.toString` for a finite double (JSON has no NaN or infinity).
///
/// Java prints magnitudes in `[1e-3, 1e7)` as plain decimals with at least one
/// fractional digit (`100.0`, `0.001`) and everything else in "computerized
/// scientific notation" (`1.0E7`, `1.5E-4`). The digits are the shortest that
/// round-trip, which is also what Rust's `{:e}` formatting produces.
pub(crate) fn double_to_string(value: f64) -> String {
    if value == 0.0 {
        return if value.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    if !value.is_finite() {
        // Unreachable for JSON input; Java spells these like this.
        return if value.is_nan() {
            "NaN".to_owned()
        } else if value > 0.0 {
            "Infinity".to_owned()
        } else {
            "-Infinity".to_owned()
        };
    }
    // `{:e}` gives e.g. "-1.2345e6": shortest round-trip digits and an exponent.
    let sci = format!("{value:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (negative, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut out = String::with_capacity(digits.len() + 8);
    if negative {
        out.push('-');
    }
    let magnitude = value.abs();
    if (1e-3..1e7).contains(&magnitude) {
        if exponent >= 0 {
            let int_len = exponent as usize + 1;
            if digits.len() > int_len {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            } else {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                out.push_str(".0");
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exponent - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        if digits.len() > 1 {
            out.push_str(&digits[1..]);
        } else {
            out.push('0');
        }
        let _ = write!(out, "E{exponent}");
    }
    out
}

/// A JSON number as Java prints it: integers as digits, doubles with
/// [`double_to_string`].
pub(crate) fn number_to_string(number: &Number) -> String {
    if number.is_f64() {
        double_to_string(number.as_f64().unwrap_or(0.0))
    } else {
        number.to_string()
    }
}

/// Compact JSON as Jackson writes it (`{"a":[1,"x"]}`): no whitespace, doubles
/// in Java notation, control characters escaped as `\n`-style or `\u00XX`.
pub fn to_json(value: &Value) -> String {
    let mut out = String::new();
    write_json(&mut out, value);
    out
}

/// Appends the Jackson rendering of `value` to `out` (see [`to_json`]).
pub fn write_json(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_to_string(n)),
        Value::String(s) => write_json_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json_string(out, key);
                out.push(':');
                write_json(out, item);
            }
            out.push('}');
        }
    }
}

/// A JSON string literal with Jackson's escaping.
pub(crate) fn write_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The value as Java's `toString` prints the objects Jackson parses it into:
/// strings bare, `null`, numbers as Java prints them, lists as `[a, b]` and maps
/// as `{k=v, k2=v2}`. AWS uses this rendering in `States.Format` and in some
/// JSONPath error messages.
pub(crate) fn to_display(value: &Value) -> String {
    let mut out = String::new();
    write_display(&mut out, value);
    out
}

fn write_display(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_to_string(n)),
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_display(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push('=');
                write_display(out, item);
            }
            out.push('}');
        }
    }
}

/// The Java class Jackson maps a JSON value to (`java.lang.String`, ...); Jayway
/// names it when a path expects an object and finds something else.
pub(crate) fn class_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "java.lang.Boolean",
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                if i32::try_from(i).is_ok() {
                    "java.lang.Integer"
                } else {
                    "java.lang.Long"
                }
            } else if n.is_u64() {
                "java.math.BigInteger"
            } else {
                "java.lang.Double"
            }
        }
        Value::String(_) => "java.lang.String",
        Value::Array(_) => "java.util.ArrayList",
        Value::Object(_) => "java.util.LinkedHashMap",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn doubles_print_like_java() {
        let cases = [
            (1.0, "1.0"),
            (1.1, "1.1"),
            (-1.5, "-1.5"),
            (100.0, "100.0"),
            (0.001, "0.001"),
            (0.0001, "1.0E-4"),
            (1.5e-7, "1.5E-7"),
            (9_999_999.0, "9999999.0"),
            (10_000_000.0, "1.0E7"),
            (12_345_678.9, "1.23456789E7"),
            (1e20, "1.0E20"),
            (-2.5e300, "-2.5E300"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (123.456, "123.456"),
            (0.1 + 0.2, "0.30000000000000004"),
        ];
        for (value, expected) in cases {
            assert_eq!(double_to_string(value), expected, "{value}");
        }
    }

    #[test]
    fn json_is_compact_with_java_numbers_and_upper_hex_escapes() {
        let value = json!({"a": [1, 1.0, 1e20, "x\"\\\n\u{1}"], "b": null, "c": true});
        assert_eq!(
            to_json(&value),
            r#"{"a":[1,1.0,1.0E20,"x\"\\\n\u0001"],"b":null,"c":true}"#
        );
    }

    #[test]
    fn display_matches_java_collections_to_string() {
        let value = json!({"Id": "arn:x", "Name": "n", "List": [1, "a", null, {"k": 2.5}]});
        assert_eq!(to_display(&value), "{Id=arn:x, Name=n, List=[1, a, null, {k=2.5}]}");
        assert_eq!(to_display(&json!("plain")), "plain");
    }

    #[test]
    fn class_names_follow_jackson_mapping() {
        assert_eq!(class_name(&json!("s")), "java.lang.String");
        assert_eq!(class_name(&json!(1)), "java.lang.Integer");
        assert_eq!(class_name(&json!(1_i64 << 40)), "java.lang.Long");
        assert_eq!(class_name(&json!(1.5)), "java.lang.Double");
        assert_eq!(class_name(&json!([1])), "java.util.ArrayList");
        assert_eq!(class_name(&Value::Null), "null");
    }
}
