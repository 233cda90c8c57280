"""Write a Stepyard task plugin in Python (componentize-py).

    from stepyard import handler, kv, log, fail

    def greet(event, context):
        if not isinstance(event.get("name"), str):
            fail("InvalidInput", "the input needs a string field 'name'")
        log.info("greeted", name=event["name"])
        return {"message": f"Hello, {event['name']}!"}

    WitWorld = handler(greet)   # componentize-py calls WitWorld().handle

JSON in, JSON out; `fail` (or a raised TaskFailure) becomes the task's
error, which Retry and Catch match by name. Table errors are raised with
DynamoDB's names (AccessDeniedException, ConditionalCheckFailedException…).
"""
import json

import wit_world
from componentize_py_types import Err
from wit_world.imports import kv as _kv
from wit_world.imports import log as _log
from wit_world.imports import permissions as _permissions
from wit_world.imports.types import TaskContext, TaskError

__all__ = ["TaskContext", "TaskFailure", "allowed", "fail", "handler", "kv", "log"]


class TaskFailure(Exception):
    """A failure the task reports: `error` is the name Retry and Catch match."""

    def __init__(self, error: str, cause: str = ""):
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause


def fail(error: str, cause: str = ""):
    """Ends the task with the error `error`."""
    raise TaskFailure(error, cause)


_KV_ERRORS = {
    "KvError_AccessDenied": "AccessDeniedException",
    "KvError_ConditionFailed": "ConditionalCheckFailedException",
    "KvError_Invalid": "ValidationException",
}


def _kv_failure(e: Err) -> TaskFailure:
    value = e.value
    name = _KV_ERRORS.get(type(value).__name__, "InternalServerError")
    return TaskFailure(name, str(getattr(value, "value", value)))


class Item:
    """A table item: its key, its JSON document and its version."""

    def __init__(self, raw):
        self.key = raw.key
        self.value = json.loads(raw.value)
        self.version = raw.version


class kv:
    """Tables (the DynamoDB analogue): values are JSON documents."""

    @staticmethod
    def get(table: str, key: str):
        try:
            raw = _kv.get(table, key)
        except Err as e:
            raise _kv_failure(e) from None
        return Item(raw) if raw is not None else None

    @staticmethod
    def put(table: str, key: str, value) -> int:
        try:
            return _kv.put(table, key, json.dumps(value))
        except Err as e:
            raise _kv_failure(e) from None

    @staticmethod
    def put_if_absent(table: str, key: str, value):
        """The new version, or None when the key already exists."""
        try:
            return _kv.put_if_absent(table, key, json.dumps(value))
        except Err as e:
            if type(e.value).__name__ == "KvError_ConditionFailed":
                return None
            raise _kv_failure(e) from None

    @staticmethod
    def update(table: str, key: str, changes: dict) -> Item:
        """Merges the fields of `changes` into the item (creating it)."""
        try:
            return Item(_kv.update(table, key, json.dumps(changes)))
        except Err as e:
            raise _kv_failure(e) from None

    @staticmethod
    def delete(table: str, key: str) -> bool:
        try:
            return _kv.delete(table, key)
        except Err as e:
            raise _kv_failure(e) from None

    @staticmethod
    def query(table: str, prefix: str, start_after=None, limit: int = 100):
        """Items whose key starts with `prefix`, in key order, and the next page's start."""
        try:
            page = _kv.query(table, prefix, start_after, limit)
        except Err as e:
            raise _kv_failure(e) from None
        return [Item(i) for i in page.items], page.next


def _write(level, message: str, fields: dict):
    pairs = [(k, v if isinstance(v, str) else json.dumps(v)) for k, v in fields.items()]
    _log.log(level, str(message), pairs)


class log:
    """Structured log lines (the CloudWatch Logs analogue)."""

    @staticmethod
    def debug(message: str, **fields):
        _write(_log.Level.DEBUG, message, fields)

    @staticmethod
    def info(message: str, **fields):
        _write(_log.Level.INFO, message, fields)

    @staticmethod
    def warn(message: str, **fields):
        _write(_log.Level.WARN, message, fields)

    @staticmethod
    def error(message: str, **fields):
        _write(_log.Level.ERROR, message, fields)


def allowed(action: str, resource: str) -> bool:
    """Whether the plugin's role allows `action` on `resource` (a table name or an ARN)."""
    return _permissions.allowed(action, resource)


def handler(fn):
    """The WitWorld class componentize-py exports, calling fn(event, context)."""

    class WitWorld(wit_world.WitWorld):
        def handle(self, input: str, context: TaskContext) -> str:
            try:
                event = json.loads(input)
            except ValueError as e:
                raise Err(TaskError(error="InvalidInput", cause=f"input is not JSON: {e}")) from None
            try:
                return json.dumps(fn(event, context))
            except TaskFailure as e:
                raise Err(TaskError(error=e.error, cause=e.cause)) from None

    return WitWorld
