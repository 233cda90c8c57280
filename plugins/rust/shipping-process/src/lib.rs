//! shippingProcess: books a shipment and marks the order SHIPPED.

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::json;
use stepyard_plugin_sdk::{Context, TaskError, TypedPlugin, error, export_typed_plugin, kv, log, stable_id};

struct ShippingProcess;

/// What it reads of the order (the rest of the input is skipped).
#[derive(Deserialize)]
struct Input {
    order_id: String,
}

#[derive(Deserialize)]
struct Stored {
    status: Option<String>,
    tracking_number: Option<String>,
}

#[derive(Serialize)]
struct Shipped {
    order_id: String,
    status: &'static str,
    tracking_number: String,
}

impl TypedPlugin for ShippingProcess {
    type Input = Input;
    type Output = Shipped;

    fn handle(input: Input, ctx: &Context) -> Result<Shipped, TaskError> {
        let order_id = input.order_id.as_str();
        let order = kv::get_as::<Stored>("orders", order_id)?.ok_or_else(|| error("OrderNotFound", format!("no order {order_id}")))?;
        // The tracking number derives from the idempotency key: invoked
        // again for the same shipment (Stepyard redoes a task whose result
        // a crash lost), the order shows this very shipment, booked.
        let tracking = format!("TRK-{}", stable_id(&ctx.idempotency_key).to_uppercase());
        let status = order.value.status.as_deref();
        let booked_here = order.value.tracking_number.as_deref() == Some(tracking.as_str());
        if status == Some("SHIPPED") && booked_here {
            return Ok(Shipped { order_id: input.order_id, status: "SHIPPED", tracking_number: tracking });
        }
        if status != Some("PAID") {
            return Err(error("OrderNotPaid", format!("order {order_id} is not paid")));
        }
        kv::update_as::<IgnoredAny>("orders", order_id, &json!({"status": "SHIPPED", "tracking_number": tracking}))?;
        log::info("shipment booked", &[("order_id", order_id), ("tracking_number", &tracking)]);
        Ok(Shipped { order_id: input.order_id, status: "SHIPPED", tracking_number: tracking })
    }
}

export_typed_plugin!(ShippingProcess);
