"""The order workflow's five plugins in Python, one component serving them
all (its manifest lists the functions; `handle` dispatches on the function
name). The same contract as the Rust plugins in plugins/rust/: the same
outputs, table writes, errors and ids for the same input and idempotency
key. Build: `stepyard plugin build plugins/python/order`.
"""
from stepyard import fail, handler, kv, log

ORDERS = "orders"


def stable_id(s: str) -> str:
    """A short id derived from `s` (64-bit FNV-1a, as the Rust SDK's stable_id)."""
    h = 0xCBF29CE484222325
    for b in s.encode():
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def order_id(event) -> str:
    value = event.get("order_id") if isinstance(event, dict) else None
    if not isinstance(value, str):
        fail("InvalidInput", "the input needs a string field 'order_id'")
    return value


def stored(oid: str) -> dict:
    item = kv.get(ORDERS, oid)
    if item is None:
        fail("OrderNotFound", f"no order {oid}")
    return item.value


def number(value) -> float:
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else 0


def place_order(event, context):
    oid = order_id(event)
    total = number(event.get("total"))
    if total <= 0:
        fail("InvalidOrder", f"order {oid} needs a positive total")
    order = {
        "customer": event.get("customer"),
        "items": event.get("items", []),
        "order_id": oid,
        "placed_by": context.idempotency_key,
        "status": "PLACED",
        "total": total,
    }
    if kv.put_if_absent(ORDERS, oid, order) is not None:
        log.info("order placed", order_id=oid)
    else:
        existing = kv.get(ORDERS, oid)
        if existing is None or existing.value.get("placed_by") != context.idempotency_key:
            fail("DuplicateOrder", f"order {oid} already exists")
        log.info("order already placed by an earlier attempt", order_id=oid)
    return {"order_id": oid, "status": "PLACED", "total": total}


def process_payment(event, context):
    oid = order_id(event)
    order = stored(oid)
    payment = event.get("payment") if isinstance(event.get("payment"), dict) else {}
    flaky = payment.get("flaky_attempts")
    flaky = flaky if isinstance(flaky, int) and not isinstance(flaky, bool) else 0
    if context.retry_count < flaky:
        log.warn("payment gateway timed out", order_id=oid)
        fail("PaymentGatewayTimeout", "the payment gateway did not answer in time")
    if payment.get("card") == "declined":
        log.warn("payment declined", order_id=oid)
        fail("PaymentDeclined", f"the card for order {oid} was declined")
    total = number(order.get("total"))
    payment_id = f"pay-{stable_id(context.idempotency_key)}"
    kv.update(ORDERS, oid, {"status": "PAID", "payment_id": payment_id, "charged": total})
    log.info("payment captured", order_id=oid, payment_id=payment_id)
    return {"charged": total, "order_id": oid, "payment_id": payment_id, "status": "PAID"}


def ship_order(event, context):
    oid = order_id(event)
    order = stored(oid)
    tracking = f"TRK-{stable_id(context.idempotency_key).upper()}"
    if order.get("status") == "SHIPPED" and order.get("tracking_number") == tracking:
        return {"order_id": oid, "status": "SHIPPED", "tracking_number": tracking}
    if order.get("status") != "PAID":
        fail("OrderNotPaid", f"order {oid} is not paid")
    kv.update(ORDERS, oid, {"status": "SHIPPED", "tracking_number": tracking})
    log.info("shipment booked", order_id=oid, tracking_number=tracking)
    return {"order_id": oid, "status": "SHIPPED", "tracking_number": tracking}


def confirm_order(event, context):
    oid = order_id(event)
    item = kv.update(ORDERS, oid, {"status": "CONFIRMED"})
    log.info("order confirmed", order_id=oid)
    return {"order_id": oid, "status": "CONFIRMED", "version": item.version}


def cancel_order(event, context):
    oid = order_id(event)
    error = event.get("error")
    reason = error.get("Error") if isinstance(error, dict) else None
    reason = reason if isinstance(reason, str) else "unknown"
    kv.update(ORDERS, oid, {"status": "CANCELLED", "cancel_reason": reason})
    log.warn("order cancelled", order_id=oid, reason=reason)
    return {"order_id": oid, "reason": reason, "status": "CANCELLED"}


FUNCTIONS = {
    "orderPlacementPython": place_order,
    "paymentProcessingPython": process_payment,
    "shippingProcessPython": ship_order,
    "orderConfirmationPython": confirm_order,
    "orderCancellationPython": cancel_order,
}


def dispatch(event, context):
    f = FUNCTIONS.get(context.function_name)
    if f is None:
        fail("UnknownFunction", f"orderPy serves {', '.join(FUNCTIONS)}, not {context.function_name}")
    return f(event, context)


WitWorld = handler(dispatch)
