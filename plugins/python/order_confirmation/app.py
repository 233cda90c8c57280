"""orderConfirmation, in Python: marks the order CONFIRMED.

The same contract as the Rust plugin (plugins/rust/order-confirmation):
JSON in, JSON out, a named error for Retry/Catch. Built into a component by
componentize-py (scripts/build-plugins.sh), with the SDK
(plugins/python/sdk/stepyard.py) on its path.
"""
from stepyard import fail, handler, kv, log


def confirm(order, context):
    order_id = order.get("order_id") if isinstance(order, dict) else None
    if not isinstance(order_id, str):
        fail("InvalidInput", "the input needs a string field 'order_id'")
    item = kv.update("orders", order_id, {"status": "CONFIRMED", "confirmed_by": "python"})
    log.info("order confirmed", order_id=order_id, language="python")
    return {"order_id": order_id, "status": "CONFIRMED", "version": item.version}


WitWorld = handler(confirm)
