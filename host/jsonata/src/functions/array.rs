//! Array functions.

use super::arg;
use crate::error::Result;
use crate::eval::Ctx;
use crate::value::{Value, deep_equal};

pub(crate) fn count<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let v = arg(&args, 0);
    Ok(Value::Number(
        v.array_len().unwrap_or(if v.is_undefined() { 0 } else { 1 }) as f64,
    ))
}

/// jsonata-js `fn.append`: concatenation where non-arrays count as one-item arrays.
pub(crate) fn append_values<'a>(a: Value<'a>, b: Value<'a>) -> Value<'a> {
    if a.is_undefined() {
        return b;
    }
    if b.is_undefined() {
        return a;
    }
    let mut items = a.to_vec();
    items.extend(b.to_vec());
    Value::array_of(items)
}

pub(crate) fn append<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    Ok(append_values(arg(&args, 0), arg(&args, 1)))
}

pub(crate) fn reverse<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let v = arg(&args, 0);
    if v.array_len().is_none_or(|n| n <= 1) {
        return Ok(v);
    }
    let mut items = v.to_vec();
    items.reverse();
    Ok(Value::array_of(items))
}

pub(crate) fn shuffle<'a>(ctx: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let v = arg(&args, 0);
    if v.array_len().is_none_or(|n| n <= 1) {
        return Ok(v);
    }
    let mut items = v.to_vec();
    // Fisher-Yates, from the end.
    for i in (1..items.len()).rev() {
        let j = (super::numeric::next_random(ctx) * (i + 1) as f64) as usize;
        items.swap(i, j.min(i));
    }
    Ok(Value::array_of(items))
}

pub(crate) fn distinct<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let v = arg(&args, 0);
    if v.array_len().is_none_or(|n| n <= 1) {
        return Ok(v);
    }
    // Scalars are deduplicated by hash (jsonata-js compares every pair, which is quadratic);
    // arrays and objects by deep equality against the earlier containers only.
    let mut seen: std::collections::HashSet<(u8, String)> = std::collections::HashSet::new();
    let mut containers: Vec<Value<'a>> = Vec::new();
    let mut out: Vec<Value<'a>> = Vec::new();
    for m in v.members() {
        let key = match &m {
            Value::Null => Some((0, String::new())),
            Value::Bool(b) => Some((1, b.to_string())),
            Value::Number(n) => Some((2, (if *n == 0.0 { 0.0 } else { *n }).to_bits().to_string())),
            Value::Str(s) => Some((3, s.to_string())),
            _ => None,
        };
        let fresh = match key {
            Some(k) => seen.insert(k),
            None => {
                let f = !containers.iter().any(|o| deep_equal(o, &m));
                if f {
                    containers.push(m.clone());
                }
                f
            }
        };
        if fresh {
            out.push(m);
        }
    }
    Ok(if v.is_sequence() {
        Value::seq(out)
    } else {
        Value::array_of(out)
    })
}

pub(crate) fn zip<'a>(_: &Ctx<'a>, args: Vec<Value<'a>>, _: &Value<'a>) -> Result<Value<'a>> {
    let len = args.iter().map(|a| a.array_len().unwrap_or(0)).min().unwrap_or(0);
    let rows = (0..len)
        .map(|i| Value::array_of(args.iter().map(|a| a.get_index(i).unwrap_or_default()).collect()))
        .collect();
    Ok(Value::array_of(rows))
}
