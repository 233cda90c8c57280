//! orderConfirmation: marks the order CONFIRMED (the end of the pipeline).
//! A Python version of this plugin lives in `plugins/python/`.

use serde_json::{Value, json};
use stepyard_plugin_sdk::{Context, Plugin, TaskError, export_plugin, field, kv, log};

struct OrderConfirmation;

impl Plugin for OrderConfirmation {
    fn handle(input: Value, _ctx: &Context) -> Result<Value, TaskError> {
        let order_id = field(&input, "order_id")?;
        let item = kv::update("orders", order_id, &json!({"status": "CONFIRMED"}))?;
        log::info("order confirmed", &[("order_id", order_id)]);
        Ok(json!({"order_id": order_id, "status": "CONFIRMED", "version": item.version}))
    }
}

export_plugin!(OrderConfirmation);
