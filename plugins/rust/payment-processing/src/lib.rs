//! paymentProcessing: charges the order and marks it PAID.
//!
//! `"payment": {"card": "declined"}` in the order makes the charge fail with
//! `PaymentDeclined` (the workflow catches it and cancels the order);
//! `"payment": {"flaky_attempts": N}` makes the first N attempts fail with
//! the transient `PaymentGatewayTimeout` (the workflow retries it).

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use stepyard_plugin_sdk::{Context, TaskError, TypedPlugin, error, export_typed_plugin, kv, log, stable_id};

struct PaymentProcessing;

/// What it reads of the order (the rest of the input is skipped).
#[derive(Deserialize)]
struct Input {
    order_id: String,
    payment: Option<Value>,
}

#[derive(Deserialize)]
struct Stored {
    total: Option<Value>,
}

#[derive(Serialize)]
struct Paid {
    charged: f64,
    order_id: String,
    payment_id: String,
    status: &'static str,
}

impl TypedPlugin for PaymentProcessing {
    type Input = Input;
    type Output = Paid;

    fn handle(input: Input, ctx: &Context) -> Result<Paid, TaskError> {
        let order_id = input.order_id.as_str();
        let order = kv::get_as::<Stored>("orders", order_id)?.ok_or_else(|| error("OrderNotFound", format!("no order {order_id}")))?;
        let payment = input.payment.as_ref();
        let flaky = payment.and_then(|p| p.get("flaky_attempts")).and_then(Value::as_u64).unwrap_or(0);
        if u64::from(ctx.retry_count) < flaky {
            log::warn("payment gateway timed out", &[("order_id", order_id)]);
            return Err(error("PaymentGatewayTimeout", "the payment gateway did not answer in time"));
        }
        if payment.and_then(|p| p.get("card")).and_then(Value::as_str) == Some("declined") {
            log::warn("payment declined", &[("order_id", order_id)]);
            return Err(error("PaymentDeclined", format!("the card for order {order_id} was declined")));
        }
        let total = order.value.total.as_ref().and_then(Value::as_f64).unwrap_or(0.0);
        // The payment id derives from the idempotency key: a retried charge
        // is the same charge.
        let payment_id = format!("pay-{}", stable_id(&ctx.idempotency_key));
        kv::update_as::<IgnoredAny>("orders", order_id, &json!({"status": "PAID", "payment_id": payment_id, "charged": total}))?;
        log::info("payment captured", &[("order_id", order_id), ("payment_id", &payment_id)]);
        Ok(Paid { order_id: input.order_id, status: "PAID", payment_id, charged: total })
    }
}

export_typed_plugin!(PaymentProcessing);
