//! shippingProcess: books a shipment and marks the order SHIPPED.

use serde_json::{Value, json};
use stepyard_plugin_sdk::{Context, Plugin, TaskError, error, export_plugin, field, kv, log, stable_id};

struct ShippingProcess;

impl Plugin for ShippingProcess {
    fn handle(input: Value, ctx: &Context) -> Result<Value, TaskError> {
        let order_id = field(&input, "order_id")?;
        let order = kv::get("orders", order_id)?.ok_or_else(|| error("OrderNotFound", format!("no order {order_id}")))?;
        if order.value.get("status").and_then(Value::as_str) != Some("PAID") {
            return Err(error("OrderNotPaid", format!("order {order_id} is not paid")));
        }
        let tracking = format!("TRK-{}", stable_id(&ctx.idempotency_key).to_uppercase());
        kv::update("orders", order_id, &json!({"status": "SHIPPED", "tracking_number": tracking}))?;
        log::info("shipment booked", &[("order_id", order_id), ("tracking_number", &tracking)]);
        Ok(json!({"order_id": order_id, "status": "SHIPPED", "tracking_number": tracking}))
    }
}

export_plugin!(ShippingProcess);
