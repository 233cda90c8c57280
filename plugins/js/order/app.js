// The order workflow's five plugins in JavaScript, one component serving
// them all (its manifest lists the functions; `handle` dispatches on the
// function name). The same contract as the Rust plugins in plugins/rust/:
// the same outputs, table writes, errors and ids for the same input and
// idempotency key. Build: `stepyard plugin build plugins/js/order`.
import { handler, kv, log, fail } from '../sdk/stepyard.js';

const ORDERS = 'orders';

/** A short id derived from `s` (64-bit FNV-1a, as the Rust SDK's stable_id). */
function stableId(s) {
  let h = 0xcbf29ce484222325n;
  for (const b of new TextEncoder().encode(s)) {
    h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

function orderId(input) {
  if (typeof input?.order_id !== 'string') fail('InvalidInput', "the input needs a string field 'order_id'");
  return input.order_id;
}

function stored(id) {
  const item = kv.get(ORDERS, id);
  if (!item) fail('OrderNotFound', `no order ${id}`);
  return item.value;
}

const number = (v) => (typeof v === 'number' ? v : 0);

function placeOrder(input, context) {
  const id = orderId(input);
  const total = number(input.total);
  if (total <= 0) fail('InvalidOrder', `order ${id} needs a positive total`);
  const order = {
    customer: input.customer ?? null,
    items: input.items ?? [],
    order_id: id,
    placed_by: context.idempotencyKey,
    status: 'PLACED',
    total,
  };
  if (kv.putIfAbsent(ORDERS, id, order) !== null) {
    log.info('order placed', { order_id: id });
  } else {
    if (kv.get(ORDERS, id)?.value.placed_by !== context.idempotencyKey) {
      fail('DuplicateOrder', `order ${id} already exists`);
    }
    log.info('order already placed by an earlier attempt', { order_id: id });
  }
  return { order_id: id, status: 'PLACED', total };
}

function processPayment(input, context) {
  const id = orderId(input);
  const order = stored(id);
  const payment = input.payment;
  const flaky = Number.isInteger(payment?.flaky_attempts) ? payment.flaky_attempts : 0;
  if (context.retryCount < flaky) {
    log.warn('payment gateway timed out', { order_id: id });
    fail('PaymentGatewayTimeout', 'the payment gateway did not answer in time');
  }
  if (payment?.card === 'declined') {
    log.warn('payment declined', { order_id: id });
    fail('PaymentDeclined', `the card for order ${id} was declined`);
  }
  const total = number(order.total);
  const paymentId = `pay-${stableId(context.idempotencyKey)}`;
  kv.update(ORDERS, id, { status: 'PAID', payment_id: paymentId, charged: total });
  log.info('payment captured', { order_id: id, payment_id: paymentId });
  return { charged: total, order_id: id, payment_id: paymentId, status: 'PAID' };
}

function shipOrder(input, context) {
  const id = orderId(input);
  const order = stored(id);
  const tracking = `TRK-${stableId(context.idempotencyKey).toUpperCase()}`;
  if (order.status === 'SHIPPED' && order.tracking_number === tracking) {
    return { order_id: id, status: 'SHIPPED', tracking_number: tracking };
  }
  if (order.status !== 'PAID') fail('OrderNotPaid', `order ${id} is not paid`);
  kv.update(ORDERS, id, { status: 'SHIPPED', tracking_number: tracking });
  log.info('shipment booked', { order_id: id, tracking_number: tracking });
  return { order_id: id, status: 'SHIPPED', tracking_number: tracking };
}

function confirmOrder(input) {
  const id = orderId(input);
  const item = kv.update(ORDERS, id, { status: 'CONFIRMED' });
  log.info('order confirmed', { order_id: id });
  return { order_id: id, status: 'CONFIRMED', version: item.version };
}

function cancelOrder(input) {
  const id = orderId(input);
  const reason = typeof input.error?.Error === 'string' ? input.error.Error : 'unknown';
  kv.update(ORDERS, id, { status: 'CANCELLED', cancel_reason: reason });
  log.warn('order cancelled', { order_id: id, reason });
  return { order_id: id, reason, status: 'CANCELLED' };
}

const FUNCTIONS = {
  orderPlacementJs: placeOrder,
  paymentProcessingJs: processPayment,
  shippingProcessJs: shipOrder,
  orderConfirmationJs: confirmOrder,
  orderCancellationJs: cancelOrder,
};

export const handle = handler((input, context) => {
  const f = FUNCTIONS[context.functionName];
  if (!f) fail('UnknownFunction', `orderJs serves ${Object.keys(FUNCTIONS).join(', ')}, not ${context.functionName}`);
  return f(input, context);
});
