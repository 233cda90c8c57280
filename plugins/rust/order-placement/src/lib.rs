//! orderPlacement: records a new order in the `orders` table as PLACED.
//!
//! Idempotent: a retry of the same task (same idempotency key) finds the
//! order it already wrote and returns it unchanged.

use serde_json::{Value, json};
use stepyard_plugin_sdk::{Context, Plugin, TaskError, error, export_plugin, field, kv, log};

struct OrderPlacement;

impl Plugin for OrderPlacement {
    fn handle(input: Value, ctx: &Context) -> Result<Value, TaskError> {
        let order_id = field(&input, "order_id")?;
        let total = input.get("total").and_then(Value::as_f64).unwrap_or(0.0);
        if total <= 0.0 {
            return Err(error("InvalidOrder", format!("order {order_id} needs a positive total")));
        }
        let order = json!({
            "order_id": order_id,
            "status": "PLACED",
            "total": total,
            "items": input.get("items").cloned().unwrap_or(json!([])),
            "customer": input.get("customer").cloned().unwrap_or(Value::Null),
            "placed_by": ctx.idempotency_key,
        });
        match kv::put_if_absent("orders", order_id, &order)? {
            Some(_) => log::info("order placed", &[("order_id", order_id)]),
            None => {
                let existing = kv::get("orders", order_id)?.map(|i| i.value).unwrap_or(Value::Null);
                if existing.get("placed_by").and_then(Value::as_str) != Some(ctx.idempotency_key.as_str()) {
                    return Err(error("DuplicateOrder", format!("order {order_id} already exists")));
                }
                log::info("order already placed by an earlier attempt", &[("order_id", order_id)]);
            }
        }
        Ok(json!({"order_id": order_id, "status": "PLACED", "total": total}))
    }
}

export_plugin!(OrderPlacement);
