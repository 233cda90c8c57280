//! {{name}}: greets a name and counts the greetings in its table.

use serde_json::{Value, json};
use stepyard_plugin_sdk::{Context, Plugin, TaskError, error, export_plugin, kv, log};

struct Handler;

impl Plugin for Handler {
    fn handle(input: Value, _ctx: &Context) -> Result<Value, TaskError> {
        let name = input
            .get("name")
            .and_then(Value::as_str)
            .ok_or_else(|| error("InvalidInput", "the input needs a string field 'name'"))?;
        let seen = kv::get("{{name}}", name)?
            .and_then(|item| item.value.get("greetings").and_then(Value::as_u64))
            .unwrap_or(0);
        kv::put("{{name}}", name, &json!({"greetings": seen + 1}))?;
        log::info("greeted", &[("name", name)]);
        Ok(json!({"message": format!("Hello, {name}!"), "greetings": seen + 1}))
    }
}

export_plugin!(Handler);
