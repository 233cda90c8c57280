//! The intrinsic functions themselves, over already-evaluated arguments.
//!
//! Where AWS's behaviour is recorded it is followed exactly: `States.MathAdd`
//! rounds non-integers half up (Java's `Math.round`), `States.StringSplit`
//! splits on any of the delimiter characters and drops empty tokens (Java's
//! `StringTokenizer`), `States.Format` prints objects as Java maps (`{a=1}`).

use super::IntrinsicError;
use super::parse::{Func, Piece};
use crate::jsonpath::java;
use base64::Engine as _;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashSet;

/// Longest string `States.Base64Encode`, `Base64Decode` and `Hash` accept.
const MAX_INPUT_CHARS: usize = 10_000;
/// Longest array `States.ArrayRange` may produce.
const MAX_RANGE_ITEMS: i64 = 1_000;

fn invalid(func: Func, message: impl Into<String>) -> IntrinsicError {
    IntrinsicError::Invalid {
        function: func.name(),
        message: message.into(),
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn ordinal(index: usize) -> &'static str {
    ["first", "second", "third"].get(index).copied().unwrap_or("last")
}

fn string_arg<'v>(func: Func, args: &'v [Cow<Value>], i: usize) -> Result<&'v str, IntrinsicError> {
    match args[i].as_ref() {
        Value::String(s) => Ok(s),
        other => Err(invalid(
            func,
            format!("The {} argument must be a string, not {}", ordinal(i), type_name(other)),
        )),
    }
}

fn array_arg<'v>(func: Func, args: &'v [Cow<Value>], i: usize) -> Result<&'v [Value], IntrinsicError> {
    match args[i].as_ref() {
        Value::Array(items) => Ok(items),
        other => Err(invalid(
            func,
            format!("The {} argument must be an array, not {}", ordinal(i), type_name(other)),
        )),
    }
}

fn object_arg<'v>(func: Func, args: &'v [Cow<Value>], i: usize) -> Result<&'v Map<String, Value>, IntrinsicError> {
    match args[i].as_ref() {
        Value::Object(map) => Ok(map),
        other => Err(invalid(
            func,
            format!(
                "The {} argument must be an object, not {}",
                ordinal(i),
                type_name(other)
            ),
        )),
    }
}

/// An integer argument; a double with no fractional part counts as one.
fn integer_arg(func: Func, args: &[Cow<Value>], i: usize) -> Result<i64, IntrinsicError> {
    let value = args[i].as_ref();
    let integer = match value {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e18)
                .map(|f| f as i64)
        }),
        _ => None,
    };
    integer.ok_or_else(|| {
        invalid(
            func,
            format!(
                "The {} argument must be an integer, not {}",
                ordinal(i),
                java::to_json(value)
            ),
        )
    })
}

/// Java's `String.length()`: UTF-16 code units.
fn java_length(s: &str) -> usize {
    s.encode_utf16().count()
}

pub(super) fn call(func: Func, args: &[Cow<Value>], template: Option<&[Piece]>) -> Result<Value, IntrinsicError> {
    match func {
        Func::Format => format(args, template),
        Func::StringToJson => {
            let text = string_arg(func, args, 0)?;
            serde_json::from_str::<Value>(text)
                .map_err(|e| invalid(func, format!("The argument is not valid JSON: {e}")))
                .map(|value| normalize_negative_zero(text, value))
        }
        Func::JsonToString => Ok(Value::String(java::to_json(&args[0]))),
        Func::Array => Ok(Value::Array(args.iter().map(|a| a.as_ref().clone()).collect())),
        Func::ArrayPartition => {
            let items = array_arg(func, args, 0)?;
            let size = integer_arg(func, args, 1)?;
            if size <= 0 {
                return Err(invalid(
                    func,
                    format!("The chunk size must be a positive integer, not {size}"),
                ));
            }
            let size = usize::try_from(size).unwrap_or(usize::MAX);
            Ok(Value::Array(
                items.chunks(size).map(|chunk| Value::Array(chunk.to_vec())).collect(),
            ))
        }
        Func::ArrayContains => {
            let items = array_arg(func, args, 0)?;
            Ok(Value::Bool(items.contains(args[1].as_ref())))
        }
        Func::ArrayRange => array_range(args),
        Func::ArrayGetItem => {
            let items = array_arg(func, args, 0)?;
            let index = integer_arg(func, args, 1)?;
            usize::try_from(index)
                .ok()
                .and_then(|i| items.get(i))
                .cloned()
                .ok_or_else(|| {
                    invalid(
                        func,
                        format!(
                            "The index {index} is out of bounds for an array of length {}",
                            items.len()
                        ),
                    )
                })
        }
        Func::ArrayLength => Ok(Value::from(array_arg(func, args, 0)?.len())),
        Func::ArrayUnique => {
            let items = array_arg(func, args, 0)?;
            let mut seen = HashSet::with_capacity(items.len());
            let unique = items
                .iter()
                .filter(|item| seen.insert(canonical(item)))
                .cloned()
                .collect();
            Ok(Value::Array(unique))
        }
        Func::Base64Encode => {
            let text = limited_string(func, args)?;
            Ok(Value::String(
                base64::engine::general_purpose::STANDARD.encode(text.as_bytes()),
            ))
        }
        Func::Base64Decode => {
            let text = limited_string(func, args)?;
            let bytes = LENIENT_BASE64
                .decode(text.as_bytes())
                .map_err(|e| invalid(func, format!("The argument is not valid Base64: {e}")))?;
            Ok(Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        }
        Func::Hash => hash(args),
        Func::JsonMerge => {
            let first = object_arg(func, args, 0)?;
            let second = object_arg(func, args, 1)?;
            match args[2].as_ref() {
                Value::Bool(false) => {}
                Value::Bool(true) => {
                    return Err(invalid(
                        func,
                        "Deep merge is not supported: the third argument must be false",
                    ));
                }
                other => {
                    return Err(invalid(
                        func,
                        format!("The third argument must be a boolean, not {}", type_name(other)),
                    ));
                }
            }
            let mut merged = first.clone();
            for (key, value) in second {
                merged.insert(key.clone(), value.clone());
            }
            Ok(Value::Object(merged))
        }
        Func::MathRandom => math_random(args),
        Func::MathAdd => {
            let sum = java_round(func, args, 0)?.checked_add(java_round(func, args, 1)?);
            sum.map(Value::from)
                .ok_or_else(|| invalid(func, "The sum is out of range"))
        }
        Func::StringSplit => {
            let text = string_arg(func, args, 0)?;
            let delimiters = string_arg(func, args, 1)?;
            let parts = text
                .split(|c: char| delimiters.contains(c))
                .filter(|part| !part.is_empty())
                .map(|part| Value::String(part.to_owned()))
                .collect();
            Ok(Value::Array(parts))
        }
        Func::Uuid => Ok(Value::String(crate::ids::random_uuid().to_string())),
    }
}

/// serde_json reads the integer `-0` as the double `-0.0`; Jackson reads it as
/// the integer 0 (recorded: `StringToJson('-0')` is `0`). Texts that spell a
/// negative zero double (`-0.0`, `-0e0`) keep it. Parsed values are at most 128
/// levels deep (serde_json's limit), so the recursion is bounded.
fn normalize_negative_zero(text: &str, value: Value) -> Value {
    if !text.contains("-0") || text.contains("-0.") || text.contains("-0e") || text.contains("-0E") {
        return value;
    }
    fn walk(value: Value) -> Value {
        match value {
            Value::Number(n) if n.as_f64().is_some_and(|f| f == 0.0 && f.is_sign_negative()) => Value::from(0),
            Value::Array(items) => Value::Array(items.into_iter().map(walk).collect()),
            Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, walk(v))).collect()),
            other => other,
        }
    }
    walk(value)
}

fn format(args: &[Cow<Value>], template: Option<&[Piece]>) -> Result<Value, IntrinsicError> {
    let func = Func::Format;
    let owned;
    let pieces = match template {
        Some(pieces) => pieces,
        None => {
            owned = super::parse::template_of(string_arg(func, args, 0)?);
            &owned
        }
    };
    let slots = pieces.iter().filter(|p| **p == Piece::Slot).count();
    if slots != args.len() - 1 {
        return Err(invalid(
            func,
            format!(
                "The template has {slots} placeholder(s) but {} argument(s) follow it",
                args.len() - 1
            ),
        ));
    }
    let mut out = String::new();
    let mut values = args[1..].iter();
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.push_str(text),
            Piece::Slot => match values.next().map(|v| v.as_ref()) {
                Some(Value::String(s)) => out.push_str(s),
                Some(other) => out.push_str(&java::to_display(other)),
                None => {}
            },
        }
    }
    Ok(Value::String(out))
}

fn array_range(args: &[Cow<Value>]) -> Result<Value, IntrinsicError> {
    let func = Func::ArrayRange;
    let (start, end, step) = (
        integer_arg(func, args, 0)?,
        integer_arg(func, args, 1)?,
        integer_arg(func, args, 2)?,
    );
    if step == 0 {
        return Err(invalid(func, "The step (third argument) must not be zero"));
    }
    let span = i128::from(end) - i128::from(start);
    let count = if span == 0 || (span > 0) == (step > 0) {
        span / i128::from(step) + 1
    } else {
        0
    };
    if count > i128::from(MAX_RANGE_ITEMS) {
        return Err(invalid(
            func,
            format!("The range would have {count} items; at most {MAX_RANGE_ITEMS} are allowed"),
        ));
    }
    Ok(Value::Array(
        (0..count as i64).map(|i| Value::from(start + i * step)).collect(),
    ))
}

fn limited_string<'v>(func: Func, args: &'v [Cow<Value>]) -> Result<&'v str, IntrinsicError> {
    let text = string_arg(func, args, 0)?;
    if java_length(text) > MAX_INPUT_CHARS {
        return Err(invalid(
            func,
            format!("The input is longer than {MAX_INPUT_CHARS} characters"),
        ));
    }
    Ok(text)
}

/// Java's basic Base64 decoder accepts input with or without padding.
const LENIENT_BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

fn hash(args: &[Cow<Value>]) -> Result<Value, IntrinsicError> {
    use sha2::Digest as _;
    let func = Func::Hash;
    // The limit applies to "the stringified version" of the data.
    let data: Cow<str> = match args[0].as_ref() {
        Value::String(s) => Cow::Borrowed(s),
        other => Cow::Owned(java::to_json(other)),
    };
    if java_length(&data) > MAX_INPUT_CHARS {
        return Err(invalid(
            func,
            format!("The data is longer than {MAX_INPUT_CHARS} characters"),
        ));
    }
    let bytes = data.as_bytes();
    let digest: Vec<u8> = match string_arg(func, args, 1)? {
        "MD5" => md5::Md5::digest(bytes).to_vec(),
        "SHA-1" => sha1::Sha1::digest(bytes).to_vec(),
        "SHA-256" => sha2::Sha256::digest(bytes).to_vec(),
        "SHA-384" => sha2::Sha384::digest(bytes).to_vec(),
        "SHA-512" => sha2::Sha512::digest(bytes).to_vec(),
        other => {
            return Err(invalid(
                func,
                format!("The algorithm '{other}' is not one of MD5, SHA-1, SHA-256, SHA-384, SHA-512"),
            ));
        }
    };
    Ok(Value::String(digest.iter().map(|b| format!("{b:02x}")).collect()))
}

/// Java's `Math.round`: half up, towards positive infinity (`-2.5` is `-2`).
fn java_round(func: Func, args: &[Cow<Value>], i: usize) -> Result<i64, IntrinsicError> {
    match args[i].as_ref() {
        Value::Number(n) => match n.as_i64() {
            Some(v) => Ok(v),
            None => {
                let rounded = (n.as_f64().unwrap_or(f64::NAN) + 0.5).floor();
                if rounded.is_finite() && rounded.abs() < 9.0e18 {
                    Ok(rounded as i64)
                } else {
                    Err(invalid(func, format!("The {} argument is out of range", ordinal(i))))
                }
            }
        },
        other => Err(invalid(
            func,
            format!("The {} argument must be a number, not {}", ordinal(i), type_name(other)),
        )),
    }
}

/// A random integer in `[start, end)`. With a seed the result is that of
/// Java's `new Random(seed).nextInt(end - start) + start`, so it is stable.
fn math_random(args: &[Cow<Value>]) -> Result<Value, IntrinsicError> {
    let func = Func::MathRandom;
    let (start, end) = (integer_arg(func, args, 0)?, integer_arg(func, args, 1)?);
    if end <= start {
        return Err(invalid(
            func,
            format!("The end ({end}) must be greater than the start ({start})"),
        ));
    }
    let bound = end
        .checked_sub(start)
        .ok_or_else(|| invalid(func, "The range between start and end is too large"))?;
    let offset = match args.get(2) {
        Some(_) => {
            let mut random = JavaRandom::new(integer_arg(func, args, 2)?);
            match i32::try_from(bound) {
                Ok(bound) => i64::from(random.next_int(bound)),
                Err(_) => random.next_long().rem_euclid(bound),
            }
        }
        None => rand::random_range(0..bound),
    };
    Ok(Value::from(start + offset))
}

/// `java.util.Random`'s linear congruential generator.
struct JavaRandom {
    seed: i64,
}

impl JavaRandom {
    const MULTIPLIER: i64 = 0x5_DEEC_E66D;
    const MASK: i64 = (1 << 48) - 1;

    fn new(seed: i64) -> JavaRandom {
        JavaRandom {
            seed: (seed ^ Self::MULTIPLIER) & Self::MASK,
        }
    }

    fn next(&mut self, bits: u32) -> i32 {
        self.seed = (self.seed.wrapping_mul(Self::MULTIPLIER).wrapping_add(0xB)) & Self::MASK;
        (self.seed >> (48 - bits)) as i32
    }

    fn next_int(&mut self, bound: i32) -> i32 {
        if bound & -bound == bound {
            return ((i64::from(bound) * i64::from(self.next(31))) >> 31) as i32;
        }
        loop {
            let bits = self.next(31);
            let value = bits % bound;
            if bits.wrapping_sub(value).wrapping_add(bound - 1) >= 0 {
                return value;
            }
        }
    }

    fn next_long(&mut self) -> i64 {
        (i64::from(self.next(32)) << 32).wrapping_add(i64::from(self.next(32)))
    }
}

/// A key under which equal JSON values (objects in any key order) coincide.
fn canonical(value: &Value) -> String {
    fn write(out: &mut String, value: &Value) {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                out.push('{');
                for key in keys {
                    java::write_json_string(out, key);
                    out.push(':');
                    write(out, &map[key.as_str()]);
                    out.push(',');
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for item in items {
                    write(out, item);
                    out.push(',');
                }
                out.push(']');
            }
            other => java::write_json(out, other),
        }
    }
    let mut out = String::new();
    write(&mut out, value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_random_matches_the_jdk_sequence() {
        // Reference values printed by OpenJDK 17's java.util.Random.
        let mut random = JavaRandom::new(42);
        assert_eq!(random.next_int(100), 30);
        assert_eq!(random.next_int(100), 63);
        assert_eq!(JavaRandom::new(3).next_int(999), 239);
        assert_eq!(JavaRandom::new(7).next_int(16), 11);
        assert_eq!(JavaRandom::new(-5).next_int(1000), 411);
        assert_eq!(JavaRandom::new(42).next_long(), -5025562857975149833);
    }
}
