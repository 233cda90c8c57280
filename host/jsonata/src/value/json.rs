//! Values to JSON: copying borrowed input, writing text, JavaScript key order.

use super::*;

pub(super) fn self_json<'a>(v: &Value<'a>) -> JRef<'a> {
    match v {
        Value::JArray(a) => JRef::Array(a),
        Value::JObject(o) => JRef::Object(o),
        _ => JRef::Array(&EMPTY),
    }
}

static EMPTY: Vec<J> = Vec::new();

pub(super) enum JRef<'a> {
    Array(&'a Vec<J>),
    Object(&'a serde_json::Map<String, J>),
}

/// The array-index value of a key JavaScript treats as an integer index ("0", "17", not "01").
pub(crate) fn array_index(k: &str) -> Option<u32> {
    let b = k.as_bytes();
    if b.is_empty() || b.len() > 10 || (b.len() > 1 && b[0] == b'0') || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    k.parse::<u64>().ok().filter(|v| *v < u32::MAX as u64).map(|v| v as u32)
}

/// Iterate an object's entries in JavaScript's property order: integer-index keys ascending,
/// then the rest in insertion order. jsonata-js objects (and JSON.parse'd input) enumerate
/// this way, so results and `$keys` & co. match it.
pub(crate) fn js_order<'m, V: 'm>(
    it: impl Iterator<Item = (&'m String, &'m V)> + Clone,
) -> impl Iterator<Item = (&'m String, &'m V)> {
    let mut idx: Vec<(u32, (&'m String, &'m V))> = it
        .clone()
        .filter_map(|(k, v)| array_index(k).map(|i| (i, (k, v))))
        .collect();
    let reorder = !idx.is_empty();
    idx.sort_by_key(|(i, _)| *i);
    let first = idx.into_iter().map(|(_, kv)| kv);
    let rest = it.filter(move |(k, _)| !reorder || array_index(k).is_none());
    first.chain(rest)
}

/// True when `j` can be cloned as-is into a result: no float that JavaScript would print as
/// an integer, and within the depth bound. (Cloning keeps the maps' hash tables, which is
/// much cheaper than rebuilding them.)
fn plain_json(j: &J, depth: usize) -> bool {
    match j {
        J::Number(n) => n.as_f64().is_none_or(|f| !n.is_f64() || f.fract() != 0.0),
        J::Array(a) => plain_json_array(a, depth + 1),
        J::Object(o) => plain_json_object(o, depth + 1),
        _ => true,
    }
}

pub(super) fn plain_json_array(a: &[J], depth: usize) -> bool {
    depth <= MAX_RESULT_DEPTH && stacker::maybe_grow(32 * 1024, 1024 * 1024, || a.iter().all(|x| plain_json(x, depth)))
}

pub(super) fn plain_json_object(o: &serde_json::Map<String, J>, depth: usize) -> bool {
    depth <= MAX_RESULT_DEPTH
        && !o.keys().any(|k| array_index(k).is_some())
        && stacker::maybe_grow(32 * 1024, 1024 * 1024, || o.values().all(|x| plain_json(x, depth)))
}

/// Copy borrowed input JSON into the result, normalising numbers the way JavaScript sees
/// them (`1.0` is the integer 1) and bounding depth like constructed values.
pub(super) fn copy_json(r: JRef<'_>, depth: usize) -> Result<J> {
    fn one(j: &J, depth: usize) -> Result<J> {
        Ok(match j {
            J::Number(n) if n.is_f64() => number_to_json(n.as_f64().unwrap_or(f64::NAN))?,
            J::Array(a) => copy_json(JRef::Array(a), depth + 1)?,
            J::Object(o) => copy_json(JRef::Object(o), depth + 1)?,
            other => other.clone(),
        })
    }
    if depth > MAX_RESULT_DEPTH {
        return Err(Err::new("U1001").build());
    }
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || {
        Ok(match r {
            JRef::Array(a) => J::Array(a.iter().map(|x| one(x, depth)).collect::<Result<_>>()?),
            JRef::Object(o) => {
                let mut m = serde_json::Map::with_capacity(o.len());
                for (k, x) in js_order(o.iter()) {
                    m.insert(k.clone(), one(x, depth)?);
                }
                J::Object(m)
            }
        })
    })
}

/// A finite double becomes a JSON integer when integral and within ±2^53, else a float.
pub(crate) fn number_to_json(n: f64) -> Result<J> {
    if !n.is_finite() {
        return Err(Err::new("D1001").value_json(js_number_to_string(n)).build());
    }
    if n.fract() == 0.0 && n.abs() <= 9_007_199_254_740_992.0 {
        return Ok(J::from(n as i64));
    }
    Ok(serde_json::Number::from_f64(n).map(J::Number).unwrap_or(J::Null))
}

fn write_str(s: &str, out: &mut String) {
    out.push_str(&serde_json::to_string(s).unwrap_or_default());
}

/// `JSON.stringify` with jsonata's replacer: numbers to 15 significant digits when
/// `precision15`, functions as `""`, undefined members dropped (objects) or `null` (arrays).
pub(crate) fn write_json(v: &Value<'_>, out: &mut String, indent: Option<usize>, level: usize, precision15: bool) {
    stacker::maybe_grow(32 * 1024, 1024 * 1024, || {
        write_json_inner(v, out, indent, level, precision15)
    })
}

fn write_json_inner(v: &Value<'_>, out: &mut String, indent: Option<usize>, level: usize, precision15: bool) {
    let nl = |out: &mut String, level: usize| {
        if let Some(w) = indent {
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', w * level));
        }
    };
    match v {
        Value::Undefined | Value::Tuples(_) => out.push_str("null"),
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if !n.is_finite() {
                out.push_str("null");
            } else if precision15 {
                out.push_str(&js_number_to_string(crate::numfmt::to_precision_15(*n)));
            } else {
                out.push_str(&js_number_to_string(*n));
            }
        }
        Value::Str(s) => write_str(s, out),
        Value::Func(_) => out.push_str("\"\""),
        Value::JArray(_) | Value::Array(_) => {
            let items: Vec<Value<'_>> = v.members().collect();
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                nl(out, level + 1);
                write_json(item, out, indent, level + 1, precision15);
            }
            if !items.is_empty() {
                nl(out, level);
            }
            out.push(']');
        }
        Value::JObject(_) | Value::Object(_) => {
            out.push('{');
            let mut first = true;
            for (k, item) in v.entries() {
                if item.is_undefined() {
                    continue;
                }
                if !first {
                    out.push(',');
                }
                first = false;
                nl(out, level + 1);
                write_str(&k, out);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write_json(&item, out, indent, level + 1, precision15);
            }
            if !first {
                nl(out, level);
            }
            out.push('}');
        }
    }
}
