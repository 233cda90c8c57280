//! orderPlacement: records a new order in the `orders` table as PLACED.
//!
//! Idempotent: a retry of the same task (same idempotency key) finds the
//! order it already wrote and returns it unchanged.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use stepyard_plugin_sdk::{Context, TaskError, TypedPlugin, error, export_typed_plugin, kv, log};

struct OrderPlacement;

/// What it reads of the order (the rest of the input is skipped).
#[derive(Deserialize)]
struct Input {
    order_id: String,
    /// Anything but a positive number is refused as `InvalidOrder`.
    total: Option<Value>,
    items: Option<Box<RawValue>>,
    customer: Option<Box<RawValue>>,
}

/// The order as stored; `items` and `customer` are copied through as they
/// came. (Fields in name order, as the untyped version wrote them.)
#[derive(Serialize)]
struct Order<'a> {
    customer: &'a RawValue,
    items: &'a RawValue,
    order_id: &'a str,
    placed_by: &'a str,
    status: &'static str,
    total: f64,
}

#[derive(Deserialize)]
struct PlacedBy {
    placed_by: Option<String>,
}

#[derive(Serialize)]
struct Placed {
    order_id: String,
    status: &'static str,
    total: f64,
}

impl TypedPlugin for OrderPlacement {
    type Input = Input;
    type Output = Placed;

    fn handle(input: Input, ctx: &Context) -> Result<Placed, TaskError> {
        let order_id = input.order_id.as_str();
        let total = input.total.as_ref().and_then(Value::as_f64).unwrap_or(0.0);
        if total <= 0.0 {
            return Err(error("InvalidOrder", format!("order {order_id} needs a positive total")));
        }
        let no_items = RawValue::from_string("[]".into()).expect("valid JSON");
        let no_customer = RawValue::from_string("null".into()).expect("valid JSON");
        let order = Order {
            order_id,
            status: "PLACED",
            total,
            items: input.items.as_deref().unwrap_or(&no_items),
            customer: input.customer.as_deref().unwrap_or(&no_customer),
            placed_by: &ctx.idempotency_key,
        };
        match kv::put_if_absent("orders", order_id, &order)? {
            Some(_) => log::info("order placed", &[("order_id", order_id)]),
            None => {
                let existing = kv::get_as::<PlacedBy>("orders", order_id)?.and_then(|i| i.value.placed_by);
                if existing.as_deref() != Some(ctx.idempotency_key.as_str()) {
                    return Err(error("DuplicateOrder", format!("order {order_id} already exists")));
                }
                log::info("order already placed by an earlier attempt", &[("order_id", order_id)]);
            }
        }
        Ok(Placed { order_id: input.order_id, status: "PLACED", total })
    }
}

export_typed_plugin!(OrderPlacement);
