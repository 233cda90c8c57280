"""The reference Lambda handlers of the conformance corpus in Python, one
component serving them all under their own names (id_function,
echo_function, …): the same behaviour as plugins/rust/reference (which
imitates these Python handlers), so the corpus's Lambda cases run with
`--plugins` pointing at this build.
"""
import time

from stepyard import TaskContext, fail, handler


def wait_60_seconds(event):
    # Short sleeps rather than one long one: the host's time limit
    # interrupts wasm code, not a sleep inside the host.
    start = time.monotonic()
    while time.monotonic() - start < 60:
        time.sleep(0.01)
    return event


HANDLERS = {
    "id_function": lambda event: event,
    "echo_function": lambda event: {"Return": "HelloWorld"},
    "raise_exception": lambda event: fail("Exception", "Some exception was raised."),
    "raise_custom_exception": lambda event: fail("CustomException", ""),
    "return_bytes_str": lambda event: "HelloWorld!",
    "return_decorated_input": lambda event: "input-event-" + repr(event),
    "large_output_string": lambda event: "a" * (257 * 1024),
    "wait_60_seconds": wait_60_seconds,
}


def dispatch(event, context: TaskContext):
    f = HANDLERS.get(context.function_name)
    if f is None:
        fail("UnknownKind", f"no reference handler '{context.function_name}'")
    return f(event)


WitWorld = handler(dispatch)
