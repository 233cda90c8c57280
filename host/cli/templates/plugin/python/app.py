"""{{name}}: greets a name and counts the greetings in its table.

Built into a component by componentize-py (`stepyard plugin build`), with
the SDK beside it (stepyard.py).
"""
from stepyard import fail, handler, kv, log

TABLE = "{{name}}"


def greet(event, context):
    name = event.get("name") if isinstance(event, dict) else None
    if not isinstance(name, str):
        fail("InvalidInput", "the input needs a string field 'name'")
    item = kv.get(TABLE, name)
    seen = item.value.get("greetings", 0) if item else 0
    kv.put(TABLE, name, {"greetings": seen + 1})
    log.info("greeted", name=name)
    return {"message": f"Hello, {name}!", "greetings": seen + 1}


WitWorld = handler(greet)
