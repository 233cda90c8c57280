// The table view of an execution: one row per state entered, with its
// type, status, resource, when it started (after the execution started),
// how long it took, and a timeline bar scaled to the whole run in which
// each task attempt and each wait before a retry is a segment of its own.
// Map iterations and Parallel branches are child rows, failed ones first.

import { formatDuration, h, replace, statusPill } from '../dom.js';
import { segments, STATUS } from '../model/history.js';

const STATUS_TEXT = {
  [STATUS.inProgress]: 'RUNNING', [STATUS.succeeded]: 'SUCCEEDED', [STATUS.failed]: 'FAILED',
  [STATUS.caught]: 'CAUGHT_ERROR', [STATUS.cancelled]: 'ABORTED', [STATUS.notStarted]: 'NOT_STARTED',
};

/** A state's `Resource`, short: the function name, or `service:action`. */
export function shortResource(state) {
  const resource = state?.Resource;
  if (!resource) return '';
  const parts = resource.split(':');
  const fn = parts.indexOf('function');
  if (resource.startsWith('arn:aws:lambda:') && fn >= 0) return parts[fn + 1];
  if (resource.startsWith('arn:aws:states:::lambda:invoke')) {
    const name = (state.Parameters || state.Arguments || {}).FunctionName;
    if (typeof name === 'string') {
      const p = name.split(':');
      const i = p.indexOf('function');
      return i >= 0 ? p[i + 1] : p[0];
    }
    return 'lambda:invoke';
  }
  if (resource.startsWith('arn:aws:states:::')) return resource.slice('arn:aws:states:::'.length);
  return resource;
}

/** Every state of a definition by name (all levels). */
export function statesByName(definition) {
  const out = new Map();
  const walk = (states) => {
    for (const [name, state] of Object.entries(states || {})) {
      out.set(name, state);
      for (const branch of state?.Branches || []) walk(branch?.States);
      walk((state?.ItemProcessor || state?.Iterator)?.States);
    }
  };
  walk(definition?.States);
  return out;
}

const RANK = { [STATUS.failed]: 0, [STATUS.inProgress]: 1, [STATUS.caught]: 2, [STATUS.cancelled]: 3, [STATUS.succeeded]: 4 };

/** The status of a lane (an iteration, a branch): its worst visit. */
function laneStatus(lane) {
  let best = STATUS.succeeded;
  for (const v of lane.visits) if ((RANK[v.status] ?? 9) < (RANK[best] ?? 9)) best = v.status;
  return lane.visits.length ? best : STATUS.notStarted;
}

export function tableView({ onSelect }) {
  const body = h('tbody');
  const element = h('div', {},
    h('table', { class: 'list', 'data-testid': 'execution-table' },
      h('thead', {}, h('tr', {},
        h('th', {}, 'Name'), h('th', {}, 'Type'), h('th', {}, 'Status'), h('th', {}, 'Resource'),
        h('th', {}, 'Started after'), h('th', {}, 'Duration'), h('th', {}, 'Timeline'))),
      body),
    h('div', { class: 'muted small' },
      'Timeline: green a successful attempt, red a failed one, grey the wait before a retry, blue running.'));
  const expanded = new Set();
  let last = null;
  let stale = false;

  /**
   * Takes a new model and selection. While the table is not on the page
   * (another tab is shown) its rows wait for `refresh()`, called when the
   * tab is shown: a long run's rows are not worth delaying the graph for.
   */
  function update(model, selected) {
    last = { model, selected };
    stale = !element.isConnected;
    if (!stale) draw();
  }

  /** Draws what the last update() gave, if it has not been drawn. */
  function refresh() {
    if (stale && last) draw();
    stale = false;
  }

  function draw() {
    const { model, selected } = last;
    const definitionStates = statesByName(model.definition);
    const start = model.execution.start ?? (model.visits[0]?.start || Date.now());
    const end = model.execution.end ?? Date.now();
    const span = Math.max(1, end - start);
    const rows = [];

    const visitRow = (visit, depth) => {
      const children = [...model.lanes.values()].filter((l) => l.parent === visit.lane &&
        (l.lane.slice(visit.lane ? visit.lane.length + 1 : 0).startsWith(`${visit.name}#`) ||
         l.lane.slice(visit.lane ? visit.lane.length + 1 : 0).startsWith(`${visit.name}[`)));
      const open = expanded.has(visit.key);
      const toggle = children.length
        ? h('span', { class: 'tree-toggle', 'data-toggle': visit.name, onclick: (e) => { e.stopPropagation(); open ? expanded.delete(visit.key) : expanded.add(visit.key); update(last.model, last.selected); } }, open ? '▾' : '▸')
        : h('span', { class: 'tree-toggle' });
      const definition = definitionStates.get(visit.name);
      const duration = (visit.end ?? (model.execution.end ?? Date.now())) - visit.start;
      rows.push(h('tr', {
        class: `clickable${visit.name === selected ? ' selected' : ''}${visit.status === STATUS.failed ? ' failed-row' : ''}`,
        'data-state': visit.name, 'data-status': visit.status, 'data-lane': visit.lane,
        onclick: () => onSelect(visit.name),
      },
      h('td', {}, h('span', { class: 'indent', 'data-depth': depth }, '\u00a0'.repeat(depth * 4)), toggle, visit.name),
      h('td', {}, visit.type),
      h('td', {}, statusPill(STATUS_TEXT[visit.status]),
        visit.attempts.length > 1 ? h('span', { class: 'muted small', 'data-retries': visit.attempts.length - 1 }, ` ↻ ${visit.attempts.length - 1}`) : null),
      h('td', { class: 'mono' }, shortResource(definition) || ''),
      h('td', {}, formatDuration(visit.start - start)),
      h('td', {}, formatDuration(duration)),
      h('td', {}, timeline(visit, start, span, model.execution.end ?? Date.now()))));
      if (open) {
        const ordered = children.slice().sort((a, b) => (RANK[laneStatus(a)] ?? 9) - (RANK[laneStatus(b)] ?? 9) ||
          (Number(a.index) || 0) - (Number(b.index) || 0));
        for (const lane of ordered) laneRows(lane, depth + 1);
      }
    };

    const laneRows = (lane, depth) => {
      const key = `lane:${lane.lane}`;
      const open = expanded.has(key);
      const status = laneStatus(lane);
      const first = lane.visits[0];
      const lastVisit = lane.visits[lane.visits.length - 1];
      const from = first?.start ?? start;
      const to = lastVisit?.end ?? (model.execution.end ?? Date.now());
      rows.push(h('tr', {
        class: `clickable${status === STATUS.failed ? ' failed-row' : ''}`, 'data-lane-row': lane.lane, 'data-status': status,
        onclick: () => { open ? expanded.delete(key) : expanded.add(key); update(last.model, last.selected); },
      },
      h('td', {}, h('span', { class: 'indent' }, '\u00a0'.repeat(depth * 4)), h('span', { class: 'tree-toggle' }, open ? '▾' : '▸'), lane.label),
      h('td', { class: 'muted' }, lane.lane.endsWith(']') ? 'Branch' : 'Iteration'),
      h('td', {}, statusPill(STATUS_TEXT[status])),
      h('td', {}),
      h('td', {}, formatDuration(from - start)),
      h('td', {}, formatDuration(to - from)),
      h('td', {}, h('div', { class: 'timeline' }, bar(`state-${status === STATUS.inProgress ? 'succeeded' : status}`, from, to, start, span)))));
      if (open) for (const v of lane.visits) visitRow(v, depth + 1);
    };

    for (const visit of model.lanes.get('')?.visits || []) visitRow(visit, 0);
    replace(body, rows.length ? rows : h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'No state has been entered yet.')));
  }

  return { element, update, refresh };
}

function bar(kind, from, to, start, span, title = '') {
  const left = ((from - start) / span) * 100;
  const width = Math.max(((to - from) / span) * 100, 0.4);
  const seg = h('div', { class: `seg ${kind}`, title, 'data-segment': kind });
  seg.style.left = `${Math.max(0, Math.min(100, left))}%`;
  seg.style.width = `${Math.min(width, 100 - Math.max(0, left))}%`;
  return seg;
}

function timeline(visit, start, span, now) {
  return h('div', { class: 'timeline' }, segments(visit, now).map((s) => bar(s.kind, s.from, s.to, start, span,
    `${s.kind === 'backoff' ? 'waiting before retry' : s.attempt ? `attempt ${s.attempt}` : s.kind}: ${formatDuration(s.to - s.from)}${s.error ? ` — ${s.error}` : ''}`)));
}
