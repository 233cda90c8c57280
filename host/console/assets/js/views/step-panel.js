// The step details panel: the selected state's input and output and how
// its data flowed, its definition, each attempt and the error it raised,
// the log lines its plugin wrote, and its events. A state entered many
// times (a loop, Map iterations) has a picker for which entry to show.

import * as api from '../api.js';
import { codeBlock, formatDuration, formatTime, h, replace, statusPill, tabs } from '../dom.js';
import { dataFlow } from './data-flow.js';
import { usageView } from './usage.js';
import { shortResource, statesByName } from './execution-table.js';
import { STATUS } from '../model/history.js';

const STATUS_TEXT = {
  [STATUS.inProgress]: 'RUNNING', [STATUS.succeeded]: 'SUCCEEDED', [STATUS.failed]: 'FAILED',
  [STATUS.caught]: 'CAUGHT_ERROR', [STATUS.cancelled]: 'ABORTED',
};

/** Which tab the panel showed last, kept when another state is selected. */
let lastTab = 'io';

export function stepPanel({ name, model, definition, executionArn, onClose }) {
  const visits = model.byState.get(name) || [];
  const state = statesByName(definition).get(name) || null;
  const host = h('div', { 'data-state': name });
  const picker = h('select', { 'aria-label': 'Which entry', 'data-testid': 'visit-picker' },
    visits.map((v, i) => h('option', { value: i }, `${i + 1}. ${v.lane ? model.lanes.get(v.lane)?.label || v.lane : 'top level'} — ${STATUS_TEXT[v.status] || v.status}`)));
  // The most telling entry first: a failed one, else the last.
  const failed = visits.findIndex((v) => v.status === STATUS.failed);
  picker.value = String(failed >= 0 ? failed : visits.length - 1);

  const body = h('div');
  const draw = () => {
    const visit = visits[Number(picker.value)] || null;
    replace(body, content(visit));
  };
  picker.onchange = draw;

  function content(visit) {
    const view = tabs([
      { id: 'io', label: 'Input & output', render: () => inputOutput(visit, state, executionArn, model) },
      { id: 'details', label: 'Details', render: () => detailsView(visit, state, model) },
      { id: 'definition', label: 'Definition', render: () => codeBlock(state ? JSON.stringify(state, null, 2) : null, { label: 'Amazon States Language' }) },
      ...(state?.Retry || (visit && visit.attempts.length > 1) ? [{ id: 'retries', label: `Retries${visit ? ` (${Math.max(0, visit.attempts.length - 1)})` : ''}`, render: () => attemptsView(visit, state) }] : []),
      { id: 'logs', label: 'Logs', render: () => logsView(executionArn, name, visit) },
      ...((state?.Type || visit?.type) === 'Task' ? [{ id: 'usage', label: 'Resources', render: () => usageView(executionArn, name, visit) }] : []),
      { id: 'events', label: 'Events', render: () => eventsOf(visit, model) },
    ], { selected: lastTab, onChange: (id) => { lastTab = id; } });
    return view.element;
  }

  replace(host,
    h('div', { class: 'page-title-row' },
      h('h2', { 'data-testid': 'step-name' }, name),
      h('button', { type: 'button', class: 'link', 'aria-label': 'Close', onclick: onClose }, '✕')),
    h('div', { class: 'actions' },
      h('span', { class: 'muted' }, state?.Type || visits[0]?.type || ''),
      visits.length ? statusPill(STATUS_TEXT[visits[Number(picker.value)]?.status]) : statusPill('NOT_STARTED')),
    visits.length > 1 ? h('div', { class: 'filters' }, h('label', {}, `Entered ${visits.length} times:`, picker)) : null,
    visits.length ? body : h('div', { class: 'empty' }, 'This state has not been entered in this execution.'));
  if (visits.length) draw();
  return host;
}

function inputOutput(visit, state, executionArn, model) {
  if (!visit) return h('div');
  const error = visit.error || visit.cause
    ? h('div', { class: 'banner error', 'data-testid': 'step-error' },
      h('span', { class: 'title' }, visit.error || 'Error'), h('span', { class: 'mono' }, visit.cause || ''))
    : null;
  return h('div', {},
    error,
    codeBlock(visit.input, { label: 'Input' }),
    codeBlock(visit.output, { label: 'Output', empty: visit.status === STATUS.inProgress ? '(running)' : '(none)' }),
    dataFlow({ visit, state, executionArn, model }));
}

function detailsView(visit, state, model) {
  const rows = [
    ['Type', state?.Type || visit?.type],
    ['Status', visit ? STATUS_TEXT[visit.status] : 'NOT STARTED'],
    ['Entered', visit ? formatTime(visit.start) : '–'],
    ['Duration', visit ? formatDuration((visit.end ?? Date.now()) - visit.start) : '–'],
    ['Resource', state?.Resource ? `${shortResource(state)} (${state.Resource})` : null],
    ['TimeoutSeconds', state?.TimeoutSeconds ?? state?.TimeoutSecondsPath ?? null],
    ['HeartbeatSeconds', state?.HeartbeatSeconds ?? state?.HeartbeatSecondsPath ?? null],
    ['Attempts', visit?.attempts.length || null],
  ];
  if (visit?.type === 'Map') {
    const lanes = visit.children.map((l) => model.lanes.get(l)).filter(Boolean);
    const count = (s) => lanes.filter((l) => l.visits.some((v) => v.status === s)).length;
    rows.push(['Iterations', `${visit.iterations ?? lanes.length} (${count(STATUS.succeeded)} succeeded, ${count(STATUS.failed)} failed, ${count(STATUS.inProgress)} running)`]);
  }
  return h('div', { class: 'kv' }, rows.filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => h('div', {}, h('div', { class: 'k' }, k), h('div', { class: 'v' }, String(v)))));
}

function attemptsView(visit, state) {
  const retriers = (state?.Retry || []).map((r) => h('li', {},
    `${(r.ErrorEquals || []).join(', ')}: up to ${r.MaxAttempts ?? 3} retries, ${r.IntervalSeconds ?? 1} s apart, ×${r.BackoffRate ?? 2}`));
  const attempts = (visit?.attempts || []).map((a, i) => {
    const ok = a.outcome === 'succeeded';
    const wait = i > 0 && visit.attempts[i - 1].end ? a.scheduled - visit.attempts[i - 1].end : null;
    return h('div', { class: `attempt ${ok ? 'ok' : a.outcome === 'running' ? '' : 'failed'}`, 'data-attempt': i + 1, 'data-outcome': a.outcome },
      h('div', {}, h('b', {}, i === 0 ? 'Initial attempt' : `Retry ${i}`), ' — ', a.outcome,
        a.end ? ` after ${formatDuration(a.end - a.scheduled)}` : '', wait !== null ? ` (waited ${formatDuration(wait)} before it)` : ''),
      a.error ? h('div', { class: 'error-text' }, a.error) : null,
      a.cause ? h('pre', { class: 'code' }, a.cause) : null,
      ok && a.output ? codeBlock(a.output, { label: 'Output' }) : null);
  });
  return h('div', {},
    retriers.length ? h('div', {}, h('h3', {}, 'Retriers'), h('ul', {}, retriers)) : null,
    h('h3', {}, 'Attempts'),
    attempts.length ? attempts : h('div', { class: 'empty' }, 'No task attempts.'));
}

function logsView(executionArn, name, visit) {
  const host = h('div', { 'data-testid': 'step-logs' }, 'Loading…');
  api.own('GetExecutionLogs', { executionArn })
    .then((answer) => {
      const lines = (answer.lines || []).filter((l) => l.state_name === name && ofVisit(l, visit));
      replace(host, lines.length
        ? lines.map((l) => h('div', { class: 'log-line', 'data-level': l.level },
          h('span', { class: `lvl lvl-${l.level}` }, l.level), ' ',
          h('span', { class: 'muted' }, `${l.timestamp} ${l.source}${l.attempt ? ` (retry ${l.attempt})` : ''}: `), l.message,
          (l.fields || []).filter(([k]) => k !== 'stream').map(([k, v]) => h('span', { class: 'muted' }, ` ${k}=${v}`))))
        : h('div', { class: 'empty' }, 'No log lines from this step.'));
    })
    .catch((e) => replace(host, h('div', { class: 'empty' }, e.code === 'ResourceNotFound' ? 'No log lines from this step.' : `${e.code}: ${e.message}`)));
  return host;
}

/**
 * Whether a log line was written by this entry of the state. Lines carry the
 * task's idempotency key, which ends with `#<entered event id>` at the top
 * level; inside a branch or an iteration every entry of the state is shown.
 */
function ofVisit(line, visit) {
  if (!visit || visit.lane || !line.entry) return true;
  return line.entry.endsWith(`#${visit.enteredId}`);
}

function eventsOf(visit, model) {
  if (!visit) return h('div');
  const byId = new Map(model.events.map((e) => [e.id, e]));
  return h('table', { class: 'list' },
    h('thead', {}, h('tr', {}, h('th', {}, 'ID'), h('th', {}, 'Type'), h('th', {}, 'Time'))),
    h('tbody', {}, visit.events.map((id) => byId.get(id)).filter(Boolean).map((e) => h('tr', {},
      h('td', {}, String(e.id)), h('td', {}, e.type), h('td', {}, formatTime(e.timestamp))))));
}
