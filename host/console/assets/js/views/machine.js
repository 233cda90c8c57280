// One state machine: its executions (filtered, paged), its definition drawn
// and as text, its versions and aliases; start an execution, edit, delete.

import * as api from '../api.js';
import { renderGraph, renderLegend } from '../graph.js';
import {
  arnName, codeBlock, formatDuration, formatTime, h, href, pageHeader, panel, replace, statusPill, tabs, toast, toDate,
} from '../dom.js';

const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

export async function machinePage(arn) {
  const machine = await api.call('DescribeStateMachine', { stateMachineArn: arn });
  let definition = null;
  try {
    definition = JSON.parse(machine.definition);
  } catch {
    // Shown as text below.
  }
  let graph = null;
  const executions = executionList(arn);
  const view = tabs([
    { id: 'executions', label: 'Executions', render: () => executions.element },
    {
      id: 'definition', label: 'Definition', render: () => {
        const box = h('div', { class: 'graph-box', 'data-testid': 'machine-graph' });
        const legend = h('div', { class: 'legend-host' });
        queueMicrotask(() => {
          graph?.destroy();
          graph = null;
          if (definition) {
            try {
              graph = renderGraph(box, definition);
              graph.fit();
              renderLegend(legend);
            } catch (e) {
              box.append(h('div', { class: 'banner error' }, e.message));
            }
          }
        });
        return h('div', { class: 'grid two' },
          h('div', {}, box, legend),
          codeBlock(machine.definition, { label: 'Amazon States Language' }));
      },
    },
    { id: 'versions', label: 'Versions and aliases', render: () => versionsView(arn) },
  ]);

  const element = h('div', {},
    pageHeader(machine.name, {
      crumbs: [{ text: 'State machines', href: '#/machines' }, { text: machine.name }],
      subtitle: arn,
      actions: [
        h('button', { type: 'button', class: 'primary', onclick: () => startDialog(arn, null) }, 'Start execution'),
        h('a', { class: 'button', href: href('machines', arn, 'edit') }, 'Edit'),
        h('button', { type: 'button', class: 'danger', onclick: () => deleteMachine(arn, machine.name) }, 'Delete'),
      ],
    }),
    h('section', { class: 'panel' }, h('div', { class: 'kv' },
      kv('Type', machine.type), kv('Status', machine.status), kv('Created', formatTime(machine.creationDate)),
      kv('Role', machine.roleArn), kv('Revision', machine.revisionId || '–'),
      kv('Logging', machine.loggingConfiguration ? machine.loggingConfiguration.level : 'OFF'))),
    view.element);
  return { element, mounted: () => executions.load(), dispose: () => graph?.destroy() };
}

function kv(k, v) {
  return h('div', {}, h('div', { class: 'k' }, k), h('div', { class: 'v' }, v ?? '–'));
}

/** The executions of a machine, with the console's filters, newest first. */
function executionList(machineArn) {
  const status = h('select', { 'aria-label': 'Status' }, h('option', { value: '' }, 'Any status'),
    STATUSES.map((s) => h('option', { value: s }, s.replace('_', ' ').toLowerCase())));
  const name = h('input', { type: 'search', placeholder: 'Name contains', 'aria-label': 'Name contains' });
  const from = h('input', { type: 'datetime-local', 'aria-label': 'Started after' });
  const to = h('input', { type: 'datetime-local', 'aria-label': 'Started before' });
  const size = h('select', { 'aria-label': 'Page size' }, [25, 50, 100].map((n) => h('option', { value: n }, `${n} per page`)));
  const body = h('tbody');
  const info = h('span');
  const prev = h('button', { type: 'button', class: 'small', disabled: true }, 'Previous');
  const next = h('button', { type: 'button', class: 'small', disabled: true }, 'Next');
  const tokens = [null]; // the token of each page seen, for going back
  let page = 0;

  async function load(go = 0) {
    page = Math.max(0, page + go);
    if (go === 0) { tokens.length = 1; page = 0; }
    const request = { stateMachineArn: machineArn, maxResults: Number(size.value) };
    if (status.value) request.statusFilter = status.value;
    if (name.value.trim()) request.nameContains = name.value.trim();
    if (from.value) request.startedAfter = new Date(from.value).getTime() / 1000;
    if (to.value) request.startedBefore = new Date(to.value).getTime() / 1000;
    if (tokens[page]) request.nextToken = tokens[page];
    replace(body, h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'Loading…')));
    try {
      const answer = await api.own('SearchExecutions', request);
      tokens[page + 1] = answer.nextToken || null;
      const items = answer.executions || [];
      replace(body, items.length ? items.map(row) : h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No executions match.')));
      replace(info, `Page ${page + 1}`);
      prev.disabled = page === 0;
      next.disabled = !answer.nextToken;
    } catch (e) {
      replace(body, h('tr', {}, h('td', { colspan: 5, class: 'error-text' }, `${e.code}: ${e.message}`)));
    }
  }
  prev.onclick = () => load(-1);
  next.onclick = () => load(1);
  for (const input of [status, from, to, size]) input.addEventListener('change', () => load());
  let typing;
  name.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(() => load(), 250); });

  const element = h('div', {},
    h('div', { class: 'filters' }, status, name, h('label', {}, 'From', from), h('label', {}, 'to', to), size,
      h('button', { type: 'button', class: 'small', onclick: () => load() }, 'Refresh')),
    h('table', { class: 'list', 'data-testid': 'executions' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Status'), h('th', {}, 'Started'), h('th', {}, 'Ended'), h('th', {}, 'Duration'))),
      body),
    h('div', { class: 'pager' }, info, prev, next));
  return { element, load: () => load() };
}

function row(e) {
  const start = toDate(e.startDate);
  const stop = toDate(e.stopDate);
  return h('tr', { 'data-execution': e.name },
    h('td', {}, h('a', { href: href('executions', e.executionArn) }, e.name)),
    h('td', {}, statusPill(e.status)),
    h('td', {}, formatTime(start)),
    h('td', {}, stop ? formatTime(stop) : '–'),
    h('td', {}, stop ? formatDuration(stop - start) : ''));
}

function versionsView(machineArn) {
  const host = h('div', {}, 'Loading…');
  (async () => {
    const [versions, aliases] = await Promise.all([
      api.call('ListStateMachineVersions', { stateMachineArn: machineArn, maxResults: 1000 }),
      api.call('ListStateMachineAliases', { stateMachineArn: machineArn, maxResults: 100 }),
    ]);
    const vs = versions.stateMachineVersions || [];
    const as = aliases.stateMachineAliases || [];
    const routes = await Promise.all(as.map((a) => api.call('DescribeStateMachineAlias', { stateMachineAliasArn: a.stateMachineAliasArn })));
    replace(host,
      panel('Versions',
        vs.length ? h('table', { class: 'list' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Version'), h('th', {}, 'Created'), h('th', {}, ''))),
          h('tbody', {}, vs.map((v) => h('tr', {},
            h('td', {}, arnName(v.stateMachineVersionArn)),
            h('td', {}, formatTime(v.creationDate)),
            h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => startDialog(v.stateMachineVersionArn, null) }, 'Start execution'))))))
          : h('div', { class: 'empty' }, 'No versions published.')),
      panel('Aliases',
        routes.length ? h('table', { class: 'list' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Alias'), h('th', {}, 'Routes to'), h('th', {}, 'Description'))),
          h('tbody', {}, routes.map((a) => h('tr', {},
            h('td', {}, a.name),
            h('td', {}, (a.routingConfiguration || []).map((r) => `version ${arnName(r.stateMachineVersionArn)} (${r.weight} %)`).join(', ')),
            h('td', {}, a.description || '')))))
          : h('div', { class: 'empty' }, 'No aliases.')));
  })().catch((e) => replace(host, h('div', { class: 'error-text' }, e.message)));
  return host;
}

async function deleteMachine(arn, name) {
  if (!window.confirm(`Delete the state machine ${name}? Its executions stay readable until they expire.`)) return;
  try {
    await api.call('DeleteStateMachine', { stateMachineArn: arn });
    toast(`Deleted ${name}`);
    location.hash = '#/machines';
  } catch (e) {
    toast(`${e.code}: ${e.message}`, 'error');
  }
}

/**
 * The "Start execution" dialog: an optional name and a JSON input, checked
 * as it is typed (the Start button stays off while the input is not JSON).
 */
export function startDialog(machineArn, input) {
  const name = h('input', { type: 'text', placeholder: 'Name (optional: a UUID is generated)', 'aria-label': 'Execution name', class: 'wide' });
  const text = h('textarea', { rows: 14, 'aria-label': 'Input', spellcheck: 'false' });
  text.value = input ?? '{\n  "order_id": "o-1",\n  "total": 42.5\n}';
  const problem = h('div', { class: 'error-text', 'data-testid': 'input-problem' });
  const start = h('button', { type: 'button', class: 'primary' }, 'Start execution');
  const check = () => {
    try {
      JSON.parse(text.value);
      replace(problem);
      start.disabled = false;
    } catch (e) {
      replace(problem, `The input is not valid JSON: ${e.message}`);
      start.disabled = true;
    }
  };
  text.addEventListener('input', check);
  check();
  const dialog = h('dialog', { 'data-testid': 'start-dialog' },
    h('h2', {}, 'Start execution'),
    h('div', { class: 'muted' }, machineArn),
    h('h3', {}, 'Name'), name,
    h('h3', {}, 'Input'), text, problem,
    h('div', { class: 'buttons' },
      h('button', { type: 'button', onclick: () => dialog.close() }, 'Cancel'),
      start));
  start.onclick = async () => {
    start.disabled = true;
    try {
      const request = { stateMachineArn: machineArn, input: JSON.stringify(JSON.parse(text.value)) };
      if (name.value.trim()) request.name = name.value.trim();
      const answer = await api.call('StartExecution', request);
      dialog.close();
      location.hash = href('executions', answer.executionArn);
    } catch (e) {
      replace(problem, `${e.code}: ${e.message}`);
      start.disabled = false;
    }
  };
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}
