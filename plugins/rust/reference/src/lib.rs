//! The reference Lambda handlers of the conformance corpus, as one plugin.
//! Which handler it is comes from its manifest: `[wasi] env = { KIND = "…" }`.
//!
//! | KIND | behaviour |
//! |---|---|
//! | id_function | returns its input |
//! | echo_function | returns `{"Return": "HelloWorld"}` |
//! | raise_exception | fails with `Exception`: "Some exception was raised." |
//! | raise_custom_exception | fails with `CustomException` |
//! | return_bytes_str | returns the JSON string "HelloWorld!" |
//! | return_decorated_input | returns "input-event-" + Python's repr of its input |
//! | large_output_string | returns 257 KiB of "a" |
//! | wait_60_seconds | waits 60 seconds (needs the clocks grant), returns its input |

use serde_json::{Value, json};
use stepyard_plugin_sdk::{Context, Plugin, TaskError, error, export_plugin};

struct Reference;

impl Plugin for Reference {
    fn handle(input: Value, _ctx: &Context) -> Result<Value, TaskError> {
        let kind = std::env::var("KIND").unwrap_or_else(|_| "id_function".to_owned());
        match kind.as_str() {
            "id_function" => Ok(input),
            "echo_function" => Ok(json!({"Return": "HelloWorld"})),
            "raise_exception" => Err(error("Exception", "Some exception was raised.")),
            "raise_custom_exception" => Err(error("CustomException", "")),
            "return_bytes_str" => Ok(json!("HelloWorld!")),
            "return_decorated_input" => Ok(Value::String(format!("input-event-{}", python_repr(&input)))),
            "large_output_string" => Ok(Value::String("a".repeat(257 * 1024))),
            "wait_60_seconds" => {
                // Short sleeps rather than one long one: the host's time
                // limit interrupts wasm code, not a blocking host call.
                let start = std::time::Instant::now();
                while start.elapsed() < std::time::Duration::from_secs(60) {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                Ok(input)
            }
            other => Err(error("UnknownKind", format!("no reference handler '{other}'"))),
        }
    }
}

/// Python's `repr` of a JSON value as `json.loads` would give it.
fn python_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) => python_float(f),
            _ => n.to_string(),
        },
        Value::String(s) => python_str(s),
        Value::Array(a) => format!("[{}]", a.iter().map(python_repr).collect::<Vec<_>>().join(", ")),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter().map(|(k, v)| format!("{}: {}", python_str(k), python_repr(v))).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn python_float(f: f64) -> String {
    if f.is_finite() && f == f.trunc() && f.abs() < 1e16 {
        format!("{f:.1}")
    } else {
        let s = format!("{f:e}");
        // Rust writes 1e20; Python writes 1e+20.
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e:0>2}"),
            Some((m, e)) => format!("{m}e-{:0>2}", &e[1..]),
            None => s,
        }
    }
}

fn python_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

export_plugin!(Reference);
