//! Comparing JSON: partial matches, and where two values differ.

use serde_json::Value;

/// Whether `actual` has everything `expected` has: objects may hold more
/// fields, arrays must have the same length with each item matching,
/// anything else must be equal (numbers by value: `1` matches `1.0`).
pub(crate) fn partial_match(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e.iter().all(|(k, v)| a.get(k).is_some_and(|x| partial_match(v, x))),
        (Value::Array(e), Value::Array(a)) => e.len() == a.len() && e.iter().zip(a).all(|(x, y)| partial_match(x, y)),
        _ => equal(expected, actual),
    }
}

/// Equality with numbers compared by value.
pub(crate) fn equal(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Number(e), Value::Number(a)) => e == a || e.as_f64() == a.as_f64(),
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len() && e.iter().all(|(k, v)| a.get(k).is_some_and(|x| equal(v, x)))
        }
        (Value::Array(e), Value::Array(a)) => e.len() == a.len() && e.iter().zip(a).all(|(x, y)| equal(x, y)),
        _ => expected == actual,
    }
}

/// The places where `actual` differs from `expected`, as JSON Pointer
/// lines (`/order/total: expected 10, got 12`); `partial` ignores fields
/// `expected` does not name. At most `limit` lines.
pub(crate) fn differences(expected: &Value, actual: &Value, partial: bool, limit: usize) -> Vec<String> {
    let mut out = Vec::new();
    walk(expected, actual, partial, &mut String::new(), &mut out, limit);
    out
}

fn walk(expected: &Value, actual: &Value, partial: bool, at: &mut String, out: &mut Vec<String>, limit: usize) {
    if out.len() >= limit {
        return;
    }
    let shown = |p: &str| {
        if p.is_empty() {
            "(the whole value)".to_owned()
        } else {
            p.to_owned()
        }
    };
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, v) in e {
                let len = at.len();
                at.push('/');
                at.push_str(&k.replace('~', "~0").replace('/', "~1"));
                match a.get(k) {
                    Some(x) => walk(v, x, partial, at, out, limit),
                    None if out.len() < limit => out.push(format!("{at}: expected {}, missing", brief(v))),
                    None => {}
                }
                at.truncate(len);
            }
            if !partial {
                for (k, x) in a {
                    if !e.contains_key(k) && out.len() < limit {
                        out.push(format!("{}/{k}: not expected, got {}", at, brief(x)));
                    }
                }
            }
        }
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => {
            for (i, (x, y)) in e.iter().zip(a).enumerate() {
                let len = at.len();
                at.push('/');
                at.push_str(&i.to_string());
                walk(x, y, partial, at, out, limit);
                at.truncate(len);
            }
        }
        (Value::Array(e), Value::Array(a)) => out.push(format!(
            "{}: expected {} items, got {}: {}",
            shown(at),
            e.len(),
            a.len(),
            brief(actual)
        )),
        _ if equal(expected, actual) => {}
        // History events carry inputs and outputs as JSON text: compare
        // what the text says, so the difference is named inside it.
        (Value::String(e), Value::String(a)) if e.starts_with(['{', '[']) && a.starts_with(['{', '[']) => {
            match (serde_json::from_str::<Value>(e), serde_json::from_str::<Value>(a)) {
                (Ok(e), Ok(a)) => {
                    at.push_str(" (JSON text)");
                    walk(&e, &a, partial, at, out, limit);
                }
                _ => out.push(format!(
                    "{}: expected {}, got {}",
                    shown(at),
                    brief(expected),
                    brief(actual)
                )),
            }
        }
        _ => out.push(format!(
            "{}: expected {}, got {}",
            shown(at),
            brief(expected),
            brief(actual)
        )),
    }
}

/// A value's JSON, shortened past 120 characters.
pub(crate) fn brief(v: &Value) -> String {
    let text = v.to_string();
    if text.chars().count() <= 120 {
        return text;
    }
    let cut: String = text.chars().take(117).collect();
    format!("{cut}...")
}

/// Whether `wanted` appears in `path` in order, other entries allowed between.
pub(crate) fn includes_in_order(path: &[String], wanted: &[String]) -> Result<(), String> {
    let mut rest = path.iter();
    for w in wanted {
        if !rest.any(|p| p == w) {
            return Err(w.clone());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn partial_matches_ignore_extra_fields_only() {
        assert!(partial_match(&json!({"a": 1}), &json!({"a": 1.0, "b": 2})));
        assert!(!partial_match(&json!({"a": 1}), &json!({"b": 1})));
        assert!(!partial_match(&json!([1]), &json!([1, 2])));
        assert!(partial_match(&json!([{"x": 1}]), &json!([{"x": 1, "y": 2}])));
        assert!(!partial_match(&json!("1"), &json!(1)));
    }

    #[test]
    fn differences_point_at_each_place() {
        let d = differences(
            &json!({"a": {"b": 1}, "c": 2}),
            &json!({"a": {"b": 2}, "d": 3}),
            false,
            10,
        );
        assert_eq!(
            d,
            vec![
                "/a/b: expected 1, got 2",
                "/c: expected 2, missing",
                "/d: not expected, got 3"
            ]
        );
        assert_eq!(
            differences(&json!({"a": 1}), &json!({"a": 1, "b": 2}), true, 10),
            Vec::<String>::new()
        );
        assert_eq!(
            differences(&json!(1), &json!(2), false, 10),
            vec!["(the whole value): expected 1, got 2"]
        );
    }

    #[test]
    fn includes_keeps_the_order() {
        let path: Vec<String> = ["A", "B", "C"].iter().map(|s| s.to_string()).collect();
        assert!(includes_in_order(&path, &["A".into(), "C".into()]).is_ok());
        assert_eq!(includes_in_order(&path, &["C".into(), "A".into()]), Err("A".into()));
    }
}
