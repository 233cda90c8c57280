//! `ItemBatcher`: group a Map state's items into batches.

use serde_json::{Map, Value};

use crate::error::{AwsJson, Failure};
use crate::frame::Frame;
use stepyard_asl::definition::{Dynamic, ItemBatcher, ItemSelector};

/// The limits of one Map run, resolved from the state and its input.
pub(crate) struct Limits {
    pub max_items: Option<u64>,
    pub max_bytes: Option<u64>,
    pub batch_input: Option<Value>,
}

/// Resolves the limits in a JSONPath state (`…Path` fields read `input`).
pub(crate) fn limits_jsonpath(frame: &Frame<'_>, batcher: &ItemBatcher, input: &Value) -> Result<Limits, Failure> {
    let resolve = |d: &Option<Dynamic<u64>>, field: &str| -> Result<Option<u64>, Failure> {
        Ok(match d {
            None => None,
            Some(Dynamic::Literal(n)) => Some(*n),
            Some(Dynamic::Path(p)) => {
                let v = frame.select(p, input).map_err(|e| frame.runtime(e.to_string()))?;
                Some(as_count(&v).ok_or_else(|| {
                    frame.runtime(format!(
                        "The {field}Path field refers to value \"{}\" which is not a valid integer: {}",
                        AwsJson(&v),
                        p.as_str()
                    ))
                })?)
            }
            Some(_) => None,
        })
    };
    let batch_input = match &batcher.batch_input {
        Some(ItemSelector::JsonPath(t)) => Some(super::jsonpath::parameters(frame, t, input)?),
        _ => None,
    };
    Ok(Limits {
        max_items: resolve(&batcher.max_items, "MaxItemsPerBatch")?,
        max_bytes: resolve(&batcher.max_bytes, "MaxInputBytesPerBatch")?,
        batch_input,
    })
}

/// Resolves the limits in a JSONata state.
pub(crate) fn limits_jsonata(frame: &Frame<'_>, batcher: &ItemBatcher, states: &Value) -> Result<Limits, Failure> {
    let resolve = |d: &Option<Dynamic<u64>>, field: &str| -> Result<Option<u64>, Failure> {
        Ok(match d {
            None => None,
            Some(Dynamic::Literal(n)) => Some(*n),
            Some(Dynamic::Jsonata(t)) => {
                let v = frame.jsonata(t, states, field)?;
                Some(as_count(&v).ok_or_else(|| {
                    frame.field_error(
                        field,
                        format!(
                            "The {field} field must be a non-negative integer, but was: {}",
                            AwsJson(&v)
                        ),
                    )
                })?)
            }
            Some(_) => None,
        })
    };
    let batch_input = match &batcher.batch_input {
        Some(ItemSelector::Jsonata(t)) => Some(frame.jsonata(t, states, "BatchInput")?),
        _ => None,
    };
    Ok(Limits {
        max_items: resolve(&batcher.max_items, "MaxItemsPerBatch")?,
        max_bytes: resolve(&batcher.max_bytes, "MaxInputBytesPerBatch")?,
        batch_input,
    })
}

/// Non-negative integers, also written as strings (`"2"`), as AWS accepts them.
fn as_count(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Groups `items` into batches of at most `max_items` items and
/// `max_bytes` serialised bytes (an item larger than the byte limit gets a
/// batch of its own).
pub(crate) fn batches(items: Vec<Value>, limits: &Limits) -> Vec<Value> {
    let max_items = limits.max_items.filter(|&n| n > 0).map_or(usize::MAX, |n| n as usize);
    let max_bytes = limits.max_bytes.filter(|&n| n > 0).map_or(usize::MAX, |n| n as usize);
    let mut out = Vec::new();
    let mut current: Vec<Value> = Vec::new();
    let mut bytes = 0usize;
    for item in items {
        let size = serde_json::to_string(&item).map_or(0, |s| s.len());
        if !current.is_empty() && (current.len() >= max_items || bytes + size > max_bytes) {
            out.push(wrap(std::mem::take(&mut current), limits));
            bytes = 0;
        }
        bytes += size;
        current.push(item);
    }
    if !current.is_empty() {
        out.push(wrap(current, limits));
    }
    out
}

fn wrap(items: Vec<Value>, limits: &Limits) -> Value {
    let mut m = Map::new();
    if let Some(b) = &limits.batch_input {
        m.insert("BatchInput".into(), b.clone());
    }
    m.insert("Items".into(), Value::Array(items));
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn batches_split_on_item_count_and_keep_order() {
        let limits = Limits {
            max_items: Some(2),
            max_bytes: None,
            batch_input: Some(json!({"k": 1})),
        };
        let out = batches(vec![json!(1), json!(2), json!(3)], &limits);
        assert_eq!(
            out,
            vec![
                json!({"BatchInput": {"k": 1}, "Items": [1, 2]}),
                json!({"BatchInput": {"k": 1}, "Items": [3]})
            ]
        );
    }

    #[test]
    fn batches_split_on_bytes() {
        let limits = Limits {
            max_items: None,
            max_bytes: Some(10),
            batch_input: None,
        };
        let out = batches(vec![json!("aaaa"), json!("bbbb"), json!("cc")], &limits);
        assert_eq!(out, vec![json!({"Items": ["aaaa"]}), json!({"Items": ["bbbb", "cc"]})]);
    }

    #[test]
    fn numeric_strings_count() {
        assert_eq!(as_count(&json!("2")), Some(2));
        assert_eq!(as_count(&json!(-1)), None);
    }
}
