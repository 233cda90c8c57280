// Types for stepyard.js, the Stepyard plugin SDK for JavaScript/TypeScript.

export interface TaskContext {
  functionName: string;
  executionArn: string;
  executionName: string;
  stateMachineArn: string;
  stateName: string;
  retryCount: number;
  idempotencyKey: string;
}

export class TaskError extends Error {
  constructor(error: string, cause?: string);
  error: string;
  cause: string;
}

export function fail(error: string, cause?: string): never;

export interface Item<T = unknown> {
  key: string;
  value: T;
  version: number;
}

export const kv: {
  get<T = any>(table: string, key: string): Item<T> | null;
  put(table: string, key: string, value: unknown): number;
  putIfAbsent(table: string, key: string, value: unknown): number | null;
  putIfVersion(table: string, key: string, value: unknown, expected: number): number;
  update<T = any>(table: string, key: string, changes: Record<string, unknown>): Item<T>;
  delete(table: string, key: string): boolean;
  query<T = any>(table: string, prefix: string, options?: { startAfter?: string; limit?: number }): {
    items: Item<T>[];
    next: string | null;
  };
};

type Fields = Record<string, unknown>;
export const log: {
  debug(message: string, fields?: Fields): void;
  info(message: string, fields?: Fields): void;
  warn(message: string, fields?: Fields): void;
  error(message: string, fields?: Fields): void;
};

export function allowed(action: string, resource: string): boolean;

export function handler<I = any, O = unknown>(
  fn: (input: I, context: TaskContext) => O,
): (input: string, context: TaskContext) => string;
