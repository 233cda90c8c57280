// Metrics (CloudWatch's dashboard for AWS/States, and what it lacks): the
// figures kept per minute, so the last hours show after a restart.
// Executions by status over time, p50/p95/p99 durations per state machine
// and per state, and task attempts, failures and retries per plugin.

import * as api from '../api.js';
import { formatDuration, h, pageHeader, panel, replace, svg } from '../dom.js';

/** Ranges offered, with the period that gives at most 60 bars. */
const RANGES = [
  { id: '1h', label: 'Last hour', seconds: 3600, period: 60 },
  { id: '6h', label: 'Last 6 hours', seconds: 6 * 3600, period: 360 },
  { id: '24h', label: 'Last 24 hours', seconds: 86400, period: 1440 },
  { id: '7d', label: 'Last 7 days', seconds: 7 * 86400, period: 10080 },
];

/** The statuses charted, bottom up, with their colours (CSS classes: the
 * page's CSP allows no inline styles). */
const STATUSES = [
  ['ExecutionsSucceeded', 'Succeeded', 'ok'],
  ['ExecutionsFailed', 'Failed', 'bad'],
  ['ExecutionsTimedOut', 'Timed out', 'warn'],
  ['ExecutionsAborted', 'Aborted', 'grey'],
];

export async function metricsPage() {
  const range = h('select', { 'aria-label': 'Range' }, RANGES.map((r) => h('option', { value: r.id }, r.label)));
  const machine = h('select', { 'aria-label': 'State machine' }, h('option', { value: '' }, 'All state machines'));
  const body = h('div', { 'data-testid': 'metrics' });
  let timer = null;

  async function load() {
    const chosen = RANGES.find((r) => r.id === range.value) || RANGES[0];
    const now = Date.now() / 1000;
    const request = { startTime: now - chosen.seconds, endTime: now, period: chosen.period };
    if (machine.value) request.stateMachine = machine.value;
    let answer;
    try {
      answer = await api.own('GetMetricData', request);
    } catch (e) {
      replace(body, h('div', { class: 'banner error' }, h('span', { class: 'title' }, e.code || 'Error'), h('span', {}, e.message)));
      return;
    }
    const series = answer.series || [];
    const names = new Set(series.map((s) => s.stateMachine).filter(Boolean));
    for (const name of [...names].sort()) {
      if (![...machine.options].some((o) => o.value === name)) machine.append(h('option', { value: name }, name));
    }
    replace(body,
      panel('Executions by status', statusChart(series, answer)),
      panel('State machines', machinesTable(series)),
      panel('States', statesTable(series)),
      machine.value ? null : panel('Plugins', pluginsTable(series)));
  }

  range.addEventListener('change', load);
  machine.addEventListener('change', load);
  await load();
  return {
    element: h('div', {},
      pageHeader('Metrics', { subtitle: 'Kept per minute in the database (15 days by default); refreshed every 10 s. Prometheus scrapes /metrics.' }),
      h('div', { class: 'filters' }, range, machine),
      body),
    mounted() { timer = setInterval(load, 10_000); },
    dispose() { clearInterval(timer); },
  };
}

/** Stacked bars of executions ended per period, by status. */
function statusChart(series, answer) {
  const start = answer.startTime;
  const period = answer.period;
  const bars = Math.max(1, Math.ceil((answer.endTime - start) / period));
  const counts = STATUSES.map(([metric]) => {
    const row = new Array(bars).fill(0);
    for (const s of series.filter((x) => x.metric === metric && !x.state)) {
      for (const p of s.points || []) {
        const i = Math.floor((p.timestamp - start) / period);
        if (i >= 0 && i < bars) row[i] += p.sampleCount;
      }
    }
    return row;
  });
  const totals = counts[0].map((_, i) => counts.reduce((sum, row) => sum + row[i], 0));
  const top = Math.max(1, ...totals);
  const width = 720;
  const height = 160;
  const barWidth = width / bars;
  const rects = [];
  for (let i = 0; i < bars; i++) {
    let y = height;
    STATUSES.forEach(([metric, label, colour], k) => {
      const n = counts[k][i];
      if (!n) return;
      const tall = (n / top) * (height - 10);
      y -= tall;
      const when = new Date((start + i * period) * 1000).toLocaleTimeString();
      rects.push(svg('rect', { x: i * barWidth + 1, y, width: Math.max(1, barWidth - 2), height: tall, class: `bar bar-${colour}`, 'data-metric': metric, 'data-count': n },
        svg('title', {}, `${when}: ${n} ${label.toLowerCase()}`)));
    });
  }
  const ended = totals.reduce((a, b) => a + b, 0);
  return h('div', {},
    h('div', { class: 'legend' }, STATUSES.map(([metric, label, colour], k) => h('span', { class: 'legend-item', 'data-metric': metric },
      h('span', { class: `swatch bar-${colour}` }), `${label} ${counts[k].reduce((a, b) => a + b, 0)}`))),
    ended ? svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': 'Executions by status over time', 'data-testid': 'status-chart' },
      svg('line', { x1: 0, y1: height, x2: width, y2: height, stroke: 'var(--line)' }), rects)
      : h('div', { class: 'empty' }, 'No executions ended in this range.'));
}

/** series → Map(rowKey → {metric → summary}) for the series `pick` keeps. */
function rows(series, pick, key) {
  const out = new Map();
  for (const s of series.filter(pick)) {
    const k = key(s);
    if (!out.has(k)) out.set(k, { s, by: {} });
    out.get(k).by[s.metric] = s.summary || {};
  }
  return [...out.values()].sort((a, b) => key(a.s).localeCompare(key(b.s)));
}

const count = (by, metric) => by[metric]?.sampleCount ?? 0;
const ms = (by, metric, q) => (by[metric]?.[q] === undefined ? '–' : formatDuration(by[metric][q]));

function table(testid, head, body) {
  if (!body.length) return h('div', { class: 'empty' }, 'Nothing in this range.');
  return h('table', { class: 'list', 'data-testid': testid },
    h('thead', {}, h('tr', {}, head.map((c) => h('th', {}, c)))),
    h('tbody', {}, body));
}

function machinesTable(series) {
  const body = rows(series, (s) => s.stateMachine && !s.state, (s) => s.stateMachine).map(({ s, by }) => h('tr', { 'data-machine': s.stateMachine },
    h('td', {}, s.stateMachine),
    ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'].map((m) => h('td', { 'data-metric': m }, count(by, m))),
    ['p50', 'p95', 'p99'].map((q) => h('td', { 'data-q': q }, ms(by, 'ExecutionTime', q)))));
  return table('machine-metrics', ['State machine', 'Started', 'Succeeded', 'Failed', 'Timed out', 'Aborted', 'p50', 'p95', 'p99'], body);
}

function statesTable(series) {
  const body = rows(series, (s) => s.state, (s) => `${s.stateMachine}\u0000${s.state}`).map(({ s, by }) => h('tr', { 'data-machine': s.stateMachine, 'data-state': s.state, class: count(by, 'StatesFailed') ? 'failed-row' : null },
    h('td', {}, s.stateMachine), h('td', {}, s.state),
    h('td', { 'data-metric': 'StateTime' }, count(by, 'StateTime')),
    h('td', { 'data-metric': 'StatesFailed' }, count(by, 'StatesFailed')),
    ['p50', 'p95', 'p99'].map((q) => h('td', { 'data-q': q }, ms(by, 'StateTime', q)))));
  return table('state-metrics', ['State machine', 'State', 'Runs', 'Failed or caught', 'p50', 'p95', 'p99'], body);
}

function pluginsTable(series) {
  const body = rows(series, (s) => s.plugin, (s) => s.plugin).map(({ s, by }) => h('tr', { 'data-plugin': s.plugin },
    h('td', {}, s.plugin),
    ['TaskAttempts', 'TaskFailures', 'TaskTimeouts', 'TaskRetries', 'PolicyDenials'].map((m) => h('td', { 'data-metric': m }, count(by, m)))));
  return table('plugin-metrics', ['Plugin', 'Attempts', 'Failures', 'Timeouts', 'Retries', 'Policy denials'], body);
}
