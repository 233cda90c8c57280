// Building the page safely, and formatting what it shows.
//
// Every string that comes from the server (names, inputs, outputs, log
// lines, items) reaches the DOM through `h` as a text node or an attribute
// value, never as markup: this module is the only place that creates
// elements, and it has no way to parse HTML.

/**
 * Creates an element. `attrs` sets attributes (`class`, `data-*`, …); keys
 * starting with `on` add event listeners; `false`/`null`/`undefined` values
 * are skipped. Children may be strings (text nodes), nodes, arrays or null.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

/** The same as `h` for SVG elements. */
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2).toLowerCase(), value);
    } else if (key === 'value' && 'value' in el) {
      el.value = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

/** Appends children (see `h`) to `el`. */
export function append(el, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces everything in `el` with `children`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** A short-lived message at the bottom of the page. */
export function toast(message, kind = 'info') {
  const box = document.getElementById('toasts');
  const item = h('div', { class: `toast toast-${kind}` }, message);
  box.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 4000);
}

/** Epoch seconds (the API's dates) or milliseconds → `Date`. */
export function toDate(value) {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  const n = Number(value);
  return new Date(n < 1e11 ? n * 1000 : n);
}

/** `2026-12-07 14:03:22.481` in local time. */
export function formatTime(value) {
  const d = toDate(value);
  if (!d || Number.isNaN(d.getTime())) return '';
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A duration in milliseconds as people read it: `840 ms`, `2.31 s`, `4 min 12 s`. */
export function formatDuration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** JSON text pretty-printed when it parses, as given when it does not. */
export function prettyJson(value) {
  if (typeof value !== 'string') return JSON.stringify(value, null, 2);
  try {
    return JSON.stringify(JSON.parse(value), null, 2);
  } catch {
    return value;
  }
}

/** A block of JSON (or other text) with a copy button. */
export function codeBlock(value, { label = null, empty = '(none)' } = {}) {
  const text = value === undefined || value === null || value === '' ? null : prettyJson(value);
  const pre = h('pre', { class: 'code' }, text ?? empty);
  const copy = h('button', {
    class: 'link small',
    type: 'button',
    onclick: () => navigator.clipboard?.writeText(text ?? '').then(() => toast('Copied')),
  }, 'Copy');
  return h('div', { class: 'code-block' },
    label || text ? h('div', { class: 'code-head' }, label ? h('span', { class: 'label' }, label) : null, text ? copy : null) : null,
    pre);
}

/** The status of an execution or state as a coloured pill. */
export function statusPill(status) {
  const s = String(status || '').toUpperCase();
  const kind = {
    RUNNING: 'running', SUCCEEDED: 'succeeded', FAILED: 'failed', TIMED_OUT: 'failed',
    ABORTED: 'aborted', PENDING_REDRIVE: 'running', CAUGHT_ERROR: 'caught',
  }[s] || 'neutral';
  const text = s.replace(/_/g, ' ').toLowerCase().replace(/^./, (c) => c.toUpperCase());
  return h('span', { class: `pill pill-${kind}`, 'data-status': s }, text || 'Unknown');
}

/** The last part of an ARN (`…:stateMachine:orders` → `orders`). */
export function arnName(arn) {
  const parts = String(arn || '').split(':');
  return parts[parts.length - 1];
}

/** Downloads `text` as a file named `name`. */
export function download(name, text, type = 'application/json') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** The console's address of a thing: `href('executions', arn)` → `#/executions/ARN`. */
export function href(kind, id, ...rest) {
  return `#/${kind}/${encodeURIComponent(id)}${rest.map((r) => `/${r}`).join('')}`;
}

/** A page header with a title, an optional subtitle and action buttons. */
export function pageHeader(title, { subtitle = null, actions = [], crumbs = [] } = {}) {
  return h('div', { class: 'page-head' },
    crumbs.length ? h('div', { class: 'crumbs' }, crumbs.map((c, i) => [i ? ' / ' : null, c.href ? h('a', { href: c.href }, c.text) : c.text])) : null,
    h('div', { class: 'page-title-row' },
      h('h1', {}, title),
      h('div', { class: 'actions' }, actions)),
    subtitle ? h('div', { class: 'subtitle' }, subtitle) : null);
}

/** A titled panel. */
export function panel(title, ...children) {
  return h('section', { class: 'panel' }, title ? h('h2', {}, title) : null, children);
}

/** Tabs: `[{id, label, render: () => Node}]`; returns the element and a `show(id)` function. */
export function tabs(items, { selected = items[0]?.id, onChange = null } = {}) {
  const bar = h('div', { class: 'tabs', role: 'tablist' });
  const body = h('div', { class: 'tab-body' });
  const buttons = new Map();
  function show(id) {
    for (const [key, button] of buttons) button.setAttribute('aria-selected', String(key === id));
    const item = items.find((i) => i.id === id) || items[0];
    replace(body, item.render());
    onChange?.(item.id);
  }
  for (const item of items) {
    const button = h('button', { type: 'button', role: 'tab', 'data-tab': item.id, onclick: () => show(item.id) }, item.label);
    buttons.set(item.id, button);
    bar.append(button);
  }
  show(selected);
  return { element: h('div', { class: 'tabbed' }, bar, body), show };
}
