// Write a Stepyard task plugin in JavaScript or TypeScript.
//
//   import { handler, kv, log, fail } from './stepyard.js';
//   export const handle = handler((input, context) => {
//     if (!input.name) fail('InvalidInput', 'the input needs a name');
//     log.info('greeting', { name: input.name });
//     return { message: `Hello, ${input.name}!` };
//   });
//
// `stepyard plugin build` bundles it (esbuild) and makes it a component
// (componentize-js). JSON in, JSON out; a thrown TaskError (or `fail`)
// becomes the task's error, which Retry and Catch match by name.

import * as rawKv from 'stepyard:plugin/kv@0.1.0';
import * as rawLog from 'stepyard:plugin/log@0.1.0';
import * as rawPermissions from 'stepyard:plugin/permissions@0.1.0';

/** A failure the task reports: `error` is the name Retry and Catch match. */
export class TaskError extends Error {
  constructor(error, cause) {
    super(`${error}: ${cause}`);
    this.error = String(error);
    this.cause = String(cause ?? '');
  }
}

/** Throws a TaskError. */
export function fail(error, cause) {
  throw new TaskError(error, cause);
}

// A kv error as DynamoDB names it (as the Rust and Python SDKs do).
const KV_ERRORS = {
  'access-denied': 'AccessDeniedException',
  'condition-failed': 'ConditionalCheckFailedException',
  invalid: 'ValidationException',
  internal: 'InternalServerError',
};

function kvError(e) {
  const payload = e && e.payload;
  if (payload && typeof payload.tag === 'string') {
    return new TaskError(KV_ERRORS[payload.tag] ?? 'InternalServerError', payload.val ?? '');
  }
  return e;
}

function call(f) {
  try {
    return f();
  } catch (e) {
    throw kvError(e);
  }
}

function item(raw) {
  return raw ? { key: raw.key, value: JSON.parse(raw.value), version: Number(raw.version) } : null;
}

/** Tables (the DynamoDB analogue): values are JSON documents. */
export const kv = {
  /** The item under `key`, or null. */
  get: (table, key) => item(call(() => rawKv.get(table, key))),
  /** Writes `value`; returns the new version. */
  put: (table, key, value) => Number(call(() => rawKv.put(table, key, JSON.stringify(value)))),
  /** Writes `value` unless the key exists; the new version, or null when it existed. */
  putIfAbsent(table, key, value) {
    try {
      return Number(rawKv.putIfAbsent(table, key, JSON.stringify(value)));
    } catch (e) {
      if (e && e.payload && e.payload.tag === 'condition-failed') return null;
      throw kvError(e);
    }
  },
  /** Writes `value` if the item is at version `expected`. */
  putIfVersion: (table, key, value, expected) =>
    Number(call(() => rawKv.putIfVersion(table, key, JSON.stringify(value), BigInt(expected)))),
  /** Merges the fields of `changes` into the item (creating it); the item after. */
  update: (table, key, changes) => item(call(() => rawKv.update(table, key, JSON.stringify(changes)))),
  /** Removes the item; whether there was one. */
  delete: (table, key) => call(() => rawKv['delete'](table, key)),
  /** Items whose key starts with `prefix`, in key order: `{ items, next }`. */
  query(table, prefix, { startAfter, limit = 100 } = {}) {
    const page = call(() => rawKv.query(table, prefix, startAfter, limit));
    return { items: page.items.map(item), next: page.next ?? null };
  },
};

function write(level, message, fields = {}) {
  const pairs = Object.entries(fields).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]);
  rawLog.log(level, String(message), pairs);
}

/** Structured log lines (the CloudWatch Logs analogue). */
export const log = {
  debug: (message, fields) => write('debug', message, fields),
  info: (message, fields) => write('info', message, fields),
  warn: (message, fields) => write('warn', message, fields),
  error: (message, fields) => write('error', message, fields),
};

/** Whether the plugin's role allows `action` on `resource` (a table name or an ARN). */
export function allowed(action, resource) {
  return rawPermissions.allowed(action, resource);
}

/**
 * The exported `handle`: parses the input, calls `fn(input, context)`, and
 * returns its result as JSON; a TaskError becomes the task's error, any
 * other exception an error named after it.
 */
export function handler(fn) {
  return function handle(input, context) {
    let value;
    try {
      value = JSON.parse(input);
    } catch (e) {
      throw { error: 'InvalidInput', cause: `input is not JSON: ${e.message}` };
    }
    try {
      const output = fn(value, context);
      return JSON.stringify(output === undefined ? null : output);
    } catch (e) {
      if (e instanceof TaskError) throw { error: e.error, cause: e.cause };
      const error = kvError(e);
      if (error instanceof TaskError) throw { error: error.error, cause: error.cause };
      throw { error: (e && e.name) || 'Error', cause: String((e && e.message) || e) };
    }
  };
}
