// The event view: the history as GetExecutionHistory gives it, 25 events a
// page (AWS's page size), failed events marked, each expandable to its
// details. The step of each event selects that state in the other views.

import { formatDuration, formatTime, h, replace } from '../dom.js';
import { details, isFailureEvent, millis } from '../model/history.js';

const PAGE = 25;

export function eventsView({ onSelect }) {
  const body = h('tbody');
  const info = h('span', { 'data-testid': 'events-count' });
  const prev = h('button', { type: 'button', class: 'small' }, 'Previous');
  const next = h('button', { type: 'button', class: 'small' }, 'Next');
  const newestFirst = h('input', { type: 'checkbox', 'aria-label': 'Newest first' });
  const failedOnly = h('input', { type: 'checkbox', 'aria-label': 'Failed events only' });
  const open = new Set();
  let page = 0;
  let last = null;

  prev.onclick = () => { page -= 1; draw(); };
  next.onclick = () => { page += 1; draw(); };
  newestFirst.onchange = () => { page = 0; draw(); };
  failedOnly.onchange = () => { page = 0; draw(); };

  let stale = false;

  /** As the table's: drawn now if on the page, else when refresh() is called. */
  function update(events, model, selected) {
    last = { events, model, selected };
    stale = !element.isConnected;
    if (!stale) draw();
  }

  function refresh() {
    if (stale) draw();
    stale = false;
  }

  function draw() {
    if (!last) return;
    const { events, model, selected } = last;
    const stateOf = new Map();
    for (const v of model.visits) for (const id of v.events) stateOf.set(id, v.name);
    let list = failedOnly.checked ? events.filter(isFailureEvent) : events;
    if (newestFirst.checked) list = list.slice().reverse();
    const pages = Math.max(1, Math.ceil(list.length / PAGE));
    page = Math.min(Math.max(0, page), pages - 1);
    const start = model.execution.start ?? millis(events[0]?.timestamp);
    const rows = [];
    for (const event of list.slice(page * PAGE, page * PAGE + PAGE)) {
      const d = details(event);
      const step = d.name && event.type.includes('State') ? d.name : stateOf.get(event.id);
      const failed = isFailureEvent(event);
      const isOpen = open.has(event.id);
      rows.push(h('tr', {
        class: `clickable${failed ? ' failed-row' : ''}${step && step === selected ? ' selected' : ''}`,
        'data-event-id': event.id, 'data-event-type': event.type, 'data-failed': failed ? 'true' : 'false',
        onclick: () => { isOpen ? open.delete(event.id) : open.add(event.id); draw(); },
      },
      h('td', {}, h('span', { class: 'tree-toggle' }, isOpen ? '▾' : '▸'), String(event.id)),
      h('td', {}, event.type),
      h('td', {}, step ? h('button', { type: 'button', class: 'link', onclick: (e) => { e.stopPropagation(); onSelect(step); } }, step) : ''),
      h('td', { class: 'mono' }, d.resourceType ? `${d.resourceType}:${d.resource || ''}` : ''),
      h('td', {}, formatDuration(millis(event.timestamp) - start)),
      h('td', {}, formatTime(millis(event.timestamp)))));
      if (isOpen) {
        rows.push(h('tr', { class: 'event-details' }, h('td', { colspan: 6 },
          h('pre', { class: 'code' }, JSON.stringify(event, null, 2)))));
      }
    }
    replace(body, rows.length ? rows : h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No events.')));
    replace(info, `${events.length} events${failedOnly.checked ? ` (${list.length} failed)` : ''} · page ${page + 1} of ${pages}`);
    prev.disabled = page === 0;
    next.disabled = page >= pages - 1;
  }

  const element = h('div', {},
    h('div', { class: 'filters' }, h('label', {}, newestFirst, 'Newest first'), h('label', {}, failedOnly, 'Failed events only')),
    h('table', { class: 'list', 'data-testid': 'events' },
      h('thead', {}, h('tr', {}, h('th', {}, 'ID'), h('th', {}, 'Type'), h('th', {}, 'Step'), h('th', {}, 'Resource'),
        h('th', {}, 'Started after'), h('th', {}, 'Timestamp'))),
      body),
    h('div', { class: 'pager' }, info, prev, next));
  return { element, update, refresh };
}
