//! paymentProcessing: charges the order and marks it PAID.
//!
//! `"payment": {"card": "declined"}` in the order makes the charge fail with
//! `PaymentDeclined` (the workflow catches it and cancels the order);
//! `"payment": {"flaky_attempts": N}` makes the first N attempts fail with
//! the transient `PaymentGatewayTimeout` (the workflow retries it).

use serde_json::{Value, json};
use stepyard_plugin_sdk::{Context, Plugin, TaskError, error, export_plugin, field, kv, log, stable_id};

struct PaymentProcessing;

impl Plugin for PaymentProcessing {
    fn handle(input: Value, ctx: &Context) -> Result<Value, TaskError> {
        let order_id = field(&input, "order_id")?;
        let order = kv::get("orders", order_id)?.ok_or_else(|| error("OrderNotFound", format!("no order {order_id}")))?;
        let payment = input.get("payment").cloned().unwrap_or(json!({}));
        let flaky = payment.get("flaky_attempts").and_then(Value::as_u64).unwrap_or(0);
        if u64::from(ctx.retry_count) < flaky {
            log::warn("payment gateway timed out", &[("order_id", order_id)]);
            return Err(error("PaymentGatewayTimeout", "the payment gateway did not answer in time"));
        }
        if payment.get("card").and_then(Value::as_str) == Some("declined") {
            log::warn("payment declined", &[("order_id", order_id)]);
            return Err(error("PaymentDeclined", format!("the card for order {order_id} was declined")));
        }
        let total = order.value.get("total").and_then(Value::as_f64).unwrap_or(0.0);
        // The payment id derives from the idempotency key: a retried charge
        // is the same charge.
        let payment_id = format!("pay-{}", stable_id(&ctx.idempotency_key));
        kv::update("orders", order_id, &json!({"status": "PAID", "payment_id": payment_id, "charged": total}))?;
        log::info("payment captured", &[("order_id", order_id), ("payment_id", &payment_id)]);
        Ok(json!({"order_id": order_id, "status": "PAID", "payment_id": payment_id, "charged": total}))
    }
}

export_plugin!(PaymentProcessing);
