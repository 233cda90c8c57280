//! orderCancellation: the compensation step, marks the order CANCELLED.

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use stepyard_plugin_sdk::{Context, TaskError, TypedPlugin, export_typed_plugin, kv, log};

struct OrderCancellation;

/// What it reads of the order (the rest of the input is skipped).
#[derive(Deserialize)]
struct Input {
    order_id: String,
    /// The caught error (`{"Error": …, "Cause": …}`).
    error: Option<Value>,
}

#[derive(Serialize)]
struct Cancelled {
    order_id: String,
    reason: String,
    status: &'static str,
}

impl TypedPlugin for OrderCancellation {
    type Input = Input;
    type Output = Cancelled;

    fn handle(input: Input, _ctx: &Context) -> Result<Cancelled, TaskError> {
        let order_id = input.order_id.as_str();
        let reason = input.error.as_ref().and_then(|e| e.get("Error")).and_then(Value::as_str).unwrap_or("unknown").to_owned();
        kv::update_as::<IgnoredAny>("orders", order_id, &json!({"status": "CANCELLED", "cancel_reason": reason}))?;
        log::warn("order cancelled", &[("order_id", order_id), ("reason", &reason)]);
        Ok(Cancelled { order_id: input.order_id, status: "CANCELLED", reason })
    }
}

export_typed_plugin!(OrderCancellation);
