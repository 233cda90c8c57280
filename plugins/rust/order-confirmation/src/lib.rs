//! orderConfirmation: marks the order CONFIRMED (the end of the pipeline).
//! A Python version of this plugin lives in `plugins/python/`.

use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};
use serde_json::json;
use stepyard_plugin_sdk::{Context, TaskError, TypedPlugin, export_typed_plugin, kv, log};

struct OrderConfirmation;

/// What it reads of the order (the rest of the input is skipped).
#[derive(Deserialize)]
struct Input {
    order_id: String,
}

#[derive(Serialize)]
struct Confirmed {
    order_id: String,
    status: &'static str,
    version: u64,
}

impl TypedPlugin for OrderConfirmation {
    type Input = Input;
    type Output = Confirmed;

    fn handle(input: Input, _ctx: &Context) -> Result<Confirmed, TaskError> {
        let item = kv::update_as::<IgnoredAny>("orders", &input.order_id, &json!({"status": "CONFIRMED"}))?;
        log::info("order confirmed", &[("order_id", &input.order_id)]);
        Ok(Confirmed { order_id: input.order_id, status: "CONFIRMED", version: item.version })
    }
}

export_typed_plugin!(OrderConfirmation);
