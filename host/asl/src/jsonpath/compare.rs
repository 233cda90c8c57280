//! Values inside filters and Jayway's relational operators over them.

use super::java;
use serde_json::Value;
use std::borrow::Cow;
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RelOp {
    Eq,
    Ne,
    TypeSafeEq,
    TypeSafeNe,
    Lt,
    Le,
    Gt,
    Ge,
    Regex,
}

/// A number as Jayway compares it (as a `BigDecimal`): exactly when both sides
/// are integers, otherwise as doubles. `text` is its string form, used when a
/// number is compared with a string.
#[derive(Debug, Clone)]
pub(crate) struct Num {
    int: Option<i128>,
    float: f64,
    text: String,
}

impl Num {
    pub(crate) fn parse(text: &str) -> Option<Num> {
        let trimmed = text.strip_prefix('+').unwrap_or(text);
        let valid = !trimmed.is_empty()
            && trimmed
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '-' | '.' | 'e' | 'E'))
            && trimmed.chars().any(|c| c.is_ascii_digit());
        if !valid {
            return None;
        }
        let float: f64 = trimmed.parse().ok()?;
        Some(Num {
            int: trimmed.parse::<i128>().ok(),
            float,
            text: text.to_owned(),
        })
    }

    fn from_json(number: &serde_json::Number) -> Num {
        let int = number
            .as_i64()
            .map(i128::from)
            .or_else(|| number.as_u64().map(i128::from));
        Num {
            int,
            float: number.as_f64().unwrap_or(f64::NAN),
            text: java::number_to_string(number),
        }
    }

    fn compare(&self, other: &Num) -> Option<Ordering> {
        match (self.int, other.int) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => self.float.partial_cmp(&other.float),
        }
    }
}

/// An operand after evaluation (Jayway's `ValueNode` kinds).
pub(crate) enum Val<'a> {
    Undefined,
    Null,
    Bool(bool),
    Num(Num),
    Str(Cow<'a, str>),
    Json(Cow<'a, Value>),
    Regex(&'a regex::Regex),
}

impl Val<'_> {
    fn kind(&self) -> u8 {
        match self {
            Val::Undefined => 0,
            Val::Null => 1,
            Val::Bool(_) => 2,
            Val::Num(_) => 3,
            Val::Str(_) => 4,
            Val::Json(_) => 5,
            Val::Regex(_) => 6,
        }
    }

    /// Jayway's `getInput` for regex matching.
    fn regex_input(&self) -> Cow<'_, str> {
        match self {
            Val::Str(s) => Cow::Borrowed(s),
            Val::Num(n) => Cow::Borrowed(&n.text),
            Val::Bool(b) => Cow::Borrowed(if *b { "true" } else { "false" }),
            _ => Cow::Borrowed(""),
        }
    }
}

pub(crate) fn value_to_val(value: Cow<'_, Value>) -> Val<'_> {
    match value {
        Cow::Borrowed(Value::String(s)) => Val::Str(Cow::Borrowed(s)),
        Cow::Borrowed(Value::Number(n)) => Val::Num(Num::from_json(n)),
        Cow::Borrowed(Value::Bool(b)) => Val::Bool(*b),
        Cow::Borrowed(Value::Null) => Val::Null,
        Cow::Owned(Value::String(s)) => Val::Str(Cow::Owned(s)),
        Cow::Owned(Value::Number(n)) => Val::Num(Num::from_json(&n)),
        Cow::Owned(Value::Bool(b)) => Val::Bool(b),
        Cow::Owned(Value::Null) => Val::Null,
        other => Val::Json(other),
    }
}

/// Jayway's `ValueNode.equals`, which is asymmetric between numbers and strings.
fn equals(left: &Val, right: &Val) -> bool {
    match (left, right) {
        (Val::Json(a), Val::Json(b)) => a == b,
        (Val::Str(a), Val::Str(b)) => a == b,
        (Val::Str(a), Val::Num(b)) => a.as_ref() == b.text,
        (Val::Num(a), Val::Num(b)) => a.compare(b) == Some(Ordering::Equal),
        (Val::Num(a), Val::Str(b)) => Num::parse(b).is_some_and(|b| a.compare(&b) == Some(Ordering::Equal)),
        (Val::Bool(a), Val::Bool(b)) => a == b,
        (Val::Null, Val::Null) => true,
        (Val::Regex(a), Val::Regex(b)) => a.as_str() == b.as_str(),
        _ => false,
    }
}

/// Java's `String.compareTo` orders by UTF-16 code units.
fn java_string_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}

pub(crate) fn compare(left: &Val, op: RelOp, right: &Val) -> bool {
    let ordering = || match (left, right) {
        (Val::Num(a), Val::Num(b)) => a.compare(b),
        (Val::Str(a), Val::Str(b)) => Some(java_string_cmp(a, b)),
        _ => None,
    };
    match op {
        RelOp::Eq => equals(left, right),
        RelOp::Ne => !equals(left, right),
        RelOp::TypeSafeEq => left.kind() == right.kind() && equals(left, right),
        RelOp::TypeSafeNe => !(left.kind() == right.kind() && equals(left, right)),
        RelOp::Lt => ordering() == Some(Ordering::Less),
        RelOp::Le => matches!(ordering(), Some(Ordering::Less | Ordering::Equal)),
        RelOp::Gt => ordering() == Some(Ordering::Greater),
        RelOp::Ge => matches!(ordering(), Some(Ordering::Greater | Ordering::Equal)),
        RelOp::Regex => match (left, right) {
            (Val::Regex(p), other) | (other, Val::Regex(p)) if !matches!(other, Val::Regex(_)) => {
                matches_regex(p, other)
            }
            _ => false,
        },
    }
}

fn matches_regex(pattern: &regex::Regex, input: &Val) -> bool {
    match input {
        Val::Json(json) => match json.as_ref() {
            Value::Array(items) => items.iter().any(|item| {
                let val = value_to_val(Cow::Borrowed(item));
                pattern.is_match(&val.regex_input())
            }),
            _ => pattern.is_match(""),
        },
        other => pattern.is_match(&other.regex_input()),
    }
}
