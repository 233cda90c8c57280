"""{{name}}: greets a name and counts the greetings in its table.

Built into a component by componentize-py (`stepyard plugin build`).
"""
import json

import wit_world
from componentize_py_types import Err
from wit_world.imports import kv, log
from wit_world.imports.types import TaskContext, TaskError

TABLE = "{{name}}"


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
            event = json.loads(input)
        except ValueError as e:
            fail("InvalidInput", f"input is not JSON: {e}")
        name = event.get("name") if isinstance(event, dict) else None
        if not isinstance(name, str):
            fail("InvalidInput", "the input needs a string field 'name'")
        try:
            item = kv.get(TABLE, name)
            seen = json.loads(item.value).get("greetings", 0) if item else 0
            kv.put(TABLE, name, json.dumps({"greetings": seen + 1}))
        except Err as e:
            kv_failure(e)
        log.log(log.Level.INFO, "greeted", [("name", name)])
        return json.dumps({"message": f"Hello, {name}!", "greetings": seen + 1})
