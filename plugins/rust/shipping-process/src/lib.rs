//! shippingProcess: books a shipment and marks the order SHIPPED.

use serde_json::{Value, json};
use stepyard_plugin_sdk::{Context, Plugin, TaskError, error, export_plugin, field, kv, log, stable_id};

struct ShippingProcess;

impl Plugin for ShippingProcess {
    fn handle(input: Value, ctx: &Context) -> Result<Value, TaskError> {
        let order_id = field(&input, "order_id")?;
        let order = kv::get("orders", order_id)?.ok_or_else(|| error("OrderNotFound", format!("no order {order_id}")))?;
        // The tracking number derives from the idempotency key: invoked
        // again for the same shipment (Stepyard redoes a task whose result
        // a crash lost), the order shows this very shipment, booked.
        let tracking = format!("TRK-{}", stable_id(&ctx.idempotency_key).to_uppercase());
        let status = order.value.get("status").and_then(Value::as_str);
        let booked_here = order.value.get("tracking_number").and_then(Value::as_str) == Some(tracking.as_str());
        if status == Some("SHIPPED") && booked_here {
            return Ok(json!({"order_id": order_id, "status": "SHIPPED", "tracking_number": tracking}));
        }
        if status != Some("PAID") {
            return Err(error("OrderNotPaid", format!("order {order_id} is not paid")));
        }
        kv::update("orders", order_id, &json!({"status": "SHIPPED", "tracking_number": tracking}))?;
        log::info("shipment booked", &[("order_id", order_id), ("tracking_number", &tracking)]);
        Ok(json!({"order_id": order_id, "status": "SHIPPED", "tracking_number": tracking}))
    }
}

export_plugin!(ShippingProcess);
