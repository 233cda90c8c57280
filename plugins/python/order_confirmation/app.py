"""orderConfirmation, in Python: marks the order CONFIRMED.

The same contract as the Rust plugin (plugins/rust/order-confirmation):
JSON in, JSON out, a TaskError for Retry/Catch. Built into a component by
componentize-py (scripts/build-plugins.sh).
"""
import json

import wit_world
from componentize_py_types import Err
from wit_world.imports import kv, log
from wit_world.imports.types import TaskContext, TaskError


def fail(name: str, cause: str):
    raise Err(TaskError(error=name, cause=cause))


def kv_failure(e: Err):
    kinds = {
        "KvError_AccessDenied": "AccessDeniedException",
        "KvError_ConditionFailed": "ConditionalCheckFailedException",
        "KvError_Invalid": "ValidationException",
    }
    value = e.value
    fail(kinds.get(type(value).__name__, "InternalServerError"), str(getattr(value, "value", value)))


class WitWorld(wit_world.WitWorld):
    def handle(self, input: str, context: TaskContext) -> str:
        try:
            order = json.loads(input)
        except ValueError as e:
            fail("InvalidInput", f"input is not JSON: {e}")
        order_id = order.get("order_id") if isinstance(order, dict) else None
        if not isinstance(order_id, str):
            fail("InvalidInput", "the input needs a string field 'order_id'")
        try:
            item = kv.update("orders", order_id, json.dumps({"status": "CONFIRMED", "confirmed_by": "python"}))
        except Err as e:
            kv_failure(e)
        log.log(log.Level.INFO, "order confirmed", [("order_id", order_id), ("language", "python")])
        return json.dumps({"order_id": order_id, "status": "CONFIRMED", "version": item.version})
