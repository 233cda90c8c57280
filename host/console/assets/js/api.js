// The console's way to the server: the Step Functions API itself (the same
// operations and permission checks as the AWS SDKs get), plus the console's
// own two endpoints (live events, sessions).
//
// Every request carries `X-Stepyard-Console`: with `--auth` the server
// takes the session cookie only from requests that have it, and a page of
// another site cannot send it.

const CONSOLE_HEADER = { 'X-Stepyard-Console': '1' };

/** An error the API answered with (`__type` and `message`). */
export class ApiError extends Error {
  constructor(code, message, status) {
    super(message || code);
    this.code = code;
    this.status = status;
  }
}

async function post(target, body) {
  const response = await fetch('/', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': target, ...CONSOLE_HEADER },
    body: JSON.stringify(body ?? {}),
  });
  const text = await response.text();
  let value = {};
  try { value = text ? JSON.parse(text) : {}; } catch { value = { message: text }; }
  if (!response.ok) {
    const code = String(value.__type || 'Error').split('#').pop();
    throw new ApiError(code, value.message || value.Message || text, response.status);
  }
  return value;
}

/** Calls a Step Functions operation (`StartExecution`, …). */
export function call(operation, body) {
  return post(`AWSStepFunctions.${operation}`, body);
}

/** Calls one of Stepyard's own operations (`GetItem`, `ScanTable`, …). */
export function own(operation, body) {
  return post(`Stepyard.${operation}`, body);
}

/**
 * Every page of a paginated operation, concatenated: `listAll('ListStateMachines', {}, 'stateMachines')`.
 * Stops after `limit` items.
 */
export async function listAll(operation, body, key, { limit = 10_000 } = {}) {
  const items = [];
  let nextToken;
  do {
    const page = await call(operation, { ...body, ...(nextToken ? { nextToken } : {}) });
    items.push(...(page[key] || []));
    nextToken = page.nextToken;
  } while (nextToken && items.length < limit);
  return items;
}

/**
 * Follows a running execution: `onEvent(event)` for each history event after
 * `after` (pushed by the server as it is recorded), then `onEnd(description)`.
 * Returns `{close()}`. Read with fetch rather than EventSource so the request
 * can carry the console header.
 */
export function follow(executionArn, after, { onEvent, onEnd, onError }) {
  const controller = new AbortController();
  const url = `/console/live?executionArn=${encodeURIComponent(executionArn)}&after=${after}`;
  (async () => {
    const response = await fetch(url, { headers: CONSOLE_HEADER, credentials: 'same-origin', signal: controller.signal });
    if (!response.ok) {
      const value = await response.json().catch(() => ({}));
      throw new ApiError(value.__type || 'Error', value.message, response.status);
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      // Server-Sent Events: messages end with a blank line; fields are `name: value` lines.
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let type = 'message';
        const data = [];
        for (const line of message.split('\n')) {
          if (line.startsWith('event:')) type = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (!data.length) continue;
        const parsed = JSON.parse(data.join('\n'));
        if (type === 'history') onEvent(parsed);
        else if (type === 'end') { onEnd?.(parsed); controller.abort(); return; }
      }
    }
  })().catch((e) => {
    if (e.name !== 'AbortError') onError?.(e);
  });
  return { close: () => controller.abort() };
}

/** `{auth, user}`: whether the server wants a sign-in, and who is signed in. */
export async function session() {
  const response = await fetch('/console/session', { credentials: 'same-origin' });
  return response.json();
}

/** Signs in with an access key of the server's auth file. */
export async function signIn(accessKeyId, secretAccessKey) {
  const response = await fetch('/console/session', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', ...CONSOLE_HEADER },
    body: JSON.stringify({ accessKeyId, secretAccessKey }),
  });
  const value = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(value.__type || 'Error', value.message, response.status);
  return value;
}

/** Ends the session. */
export async function signOut() {
  await fetch('/console/session', { method: 'DELETE', credentials: 'same-origin', headers: CONSOLE_HEADER });
}
