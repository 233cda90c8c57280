//! orderCancellation: the compensation step, marks the order CANCELLED.

use serde_json::{Value, json};
use stepyard_plugin_sdk::{Context, Plugin, TaskError, export_plugin, field, kv, log};

struct OrderCancellation;

impl Plugin for OrderCancellation {
    fn handle(input: Value, _ctx: &Context) -> Result<Value, TaskError> {
        let order_id = field(&input, "order_id")?;
        let reason = input.pointer("/error/Error").and_then(Value::as_str).unwrap_or("unknown").to_owned();
        kv::update("orders", order_id, &json!({"status": "CANCELLED", "cancel_reason": reason}))?;
        log::warn("order cancelled", &[("order_id", order_id), ("reason", &reason)]);
        Ok(json!({"order_id": order_id, "status": "CANCELLED", "reason": reason}))
    }
}

export_plugin!(OrderCancellation);
