// One execution, as AWS's console shows it: a summary, then three linked
// views of its run (graph, table with a timeline, events) and the selected
// step's details. A running execution updates live: the server pushes each
// event as it is recorded, and every view is redrawn from the new model.

import * as api from '../api.js';
import { renderGraph, renderLegend } from '../graph.js';
import { readHistory, stateSummaries } from '../model/history.js';
import {
  arnName, codeBlock, download, formatDuration, formatTime, h, href, pageHeader, replace, statusPill, tabs, toast, toDate,
} from '../dom.js';
import { loadExecution } from './execution-data.js';

/** How often the views are redrawn at most while events stream in. */
const REDRAW_MS = 150;

/**
 * What the page's first view (the graph) does not show: the table and
 * event views, the step panel, the usage figures, the start dialog. Their
 * six modules are imported once the graph is up rather than before it:
 * fewer modules to fetch and compile before the first paint took ~40 ms
 * off it on the VM. Until they are here, those parts show "Loading…".
 */
function loadParts() {
  return Promise.all([
    import('./execution-table.js'), import('./execution-events.js'), import('./step-panel.js'),
    import('./usage.js'), import('./machine.js'),
  ]).then(([t, e, p, u, m]) => ({
    tableView: t.tableView, eventsView: e.eventsView, stepPanel: p.stepPanel,
    executionUsage: u.executionUsage, formatBytes: u.formatBytes, formatMs: u.formatMs, startDialog: m.startDialog,
  }));
}

/**
 * The page of execution `arn`. `loading` is loadExecution(arn) when the
 * caller has already sent those requests (app.js does, while this module
 * loads).
 */
export async function executionPage(arn, loading = loadExecution(arn)) {
  const { description, forExecution, events } = await loading;
  let definition = null;
  try { definition = JSON.parse(forExecution.definition); } catch { /* drawn without a graph */ }

  const state = {
    arn, description, definition, events,
    model: readHistory(events, definition, { executionStatus: description.status }),
    selected: null, // a state name
    view: 'graph',
  };

  // --- the parts of the page ---
  const header = h('div');
  const banner = h('div');
  const summary = h('section', { class: 'panel', 'data-testid': 'summary' });
  const graphBox = h('div', { class: 'graph-box', 'data-testid': 'execution-graph' });
  const legend = h('div', { class: 'legend-host' });
  let graph = null;
  let parts = null; // loadParts()'s, once here
  let partsLoading = null;
  let table = null; // the table view, once its module is here, in tableHost
  let eventList = null; // the event view, in eventsHost
  const tableHost = h('div', {}, h('div', { class: 'muted' }, 'Loading…'));
  const eventsHost = h('div', {}, h('div', { class: 'muted' }, 'Loading…'));
  const panelHost = h('aside', { class: 'step-panel', 'data-testid': 'step-panel', hidden: true });
  const layout = h('div', { class: 'exec-layout no-panel' });

  const graphView = h('div', {},
    h('div', { class: 'graph-tools' },
      h('button', { type: 'button', class: 'small', onclick: () => graph?.fit(), 'data-action': 'fit' }, 'Fit'),
      h('button', { type: 'button', class: 'small', onclick: () => graph?.zoom(1.25), 'data-action': 'zoom-in' }, 'Zoom in'),
      h('button', { type: 'button', class: 'small', onclick: () => graph?.zoom(0.8), 'data-action': 'zoom-out' }, 'Zoom out'),
      h('button', {
        type: 'button', class: 'small', 'data-action': 'export-svg',
        onclick: () => graph && download(`${description.name}.svg`, graph.exportSvg(), 'image/svg+xml'),
      }, 'Export SVG'),
      h('button', {
        type: 'button', class: 'small', 'data-action': 'export-png',
        onclick: async () => {
          if (!graph) return;
          const blob = await graph.exportPng(2);
          const url = URL.createObjectURL(blob);
          const a = h('a', { href: url, download: `${description.name}.png` });
          document.body.append(a);
          a.click();
          a.remove();
          setTimeout(() => URL.revokeObjectURL(url), 1000);
        },
      }, 'Export PNG')),
    graphBox, legend);

  const views = tabs([
    { id: 'graph', label: 'Graph view', render: () => graphView },
    { id: 'table', label: 'Table view', render: () => { wantParts(); table?.refresh(); return tableHost; } },
    { id: 'events', label: 'Event view', render: () => { wantParts(); eventList?.refresh(); return eventsHost; } },
  ], { onChange: (id) => { state.view = id; if (id === 'graph') queueMicrotask(() => graph?.fit()); } });

  replace(layout, h('div', { class: 'view-host' }, views.element), panelHost);

  // --- drawing ---
  function drawHeader() {
    const d = state.description;
    const running = d.status === 'RUNNING';
    const redrivable = d.redriveStatus === 'REDRIVABLE';
    replace(header, pageHeader(d.name, {
      crumbs: [
        { text: 'State machines', href: '#/machines' },
        { text: arnName(d.stateMachineArn), href: href('machines', d.stateMachineArn) },
        { text: d.name },
      ],
      subtitle: d.executionArn,
      actions: [
        h('span', { 'data-testid': 'execution-status' }, statusPill(d.status)),
        running ? h('button', { type: 'button', class: 'danger', 'data-action': 'stop', onclick: stop }, 'Stop execution') : null,
        redrivable ? h('button', { type: 'button', 'data-action': 'redrive', onclick: redrive }, 'Redrive') : null,
        h('button', {
          type: 'button', 'data-action': 'start-again',
          onclick: () => withParts().then((p) => p.startDialog(d.stateMachineVersionArn || d.stateMachineArn,
            JSON.stringify(JSON.parse(d.input || '{}'), null, 2))).catch(() => {}),
        }, 'New execution with same input'),
        h('button', { type: 'button', 'data-action': 'export', onclick: exportJson }, 'Export'),
      ],
    }));
  }

  function drawBanner() {
    const d = state.description;
    if (!['FAILED', 'TIMED_OUT', 'ABORTED'].includes(d.status)) {
      replace(banner);
      return;
    }
    const failing = [...state.model.visits].reverse().find((v) => v.status === 'failed');
    replace(banner, h('div', { class: 'banner error', 'data-testid': 'error-banner' },
      h('span', { class: 'title' }, d.error || d.status.replace('_', ' ').toLowerCase()),
      h('span', { class: 'mono' }, d.cause || ''),
      failing ? h('button', { type: 'button', class: 'small', onclick: () => select(failing.name, 'banner') }, 'Show step detail') : null));
  }

  function drawSummary() {
    const d = state.description;
    const start = toDate(d.startDate);
    const stop = toDate(d.stopDate);
    const duration = (stop ?? new Date()) - start;
    const kv = (k, v, attrs = {}) => h('div', attrs, h('div', { class: 'k' }, k), h('div', { class: 'v' }, v ?? '–'));
    replace(summary,
      h('div', { class: 'kv' },
        kv('Status', statusPill(d.status)),
        kv('Started', formatTime(start)),
        kv('Ended', stop ? formatTime(stop) : '–'),
        kv('Duration', formatDuration(duration), { 'data-testid': 'duration' }),
        kv('States entered', String(state.model.stateTransitions), { 'data-testid': 'transitions' }),
        kv('Redrives', String(d.redriveCount ?? 0)),
        // (state.usage is set only once the parts are here.)
        state.usage ? kv('Task CPU', parts.formatMs(state.usage.cpuMs), { 'data-testid': 'usage-cpu', title: `${state.usage.taskAttempts} task attempts, ${parts.formatMs(state.usage.runMs)} running` }) : null,
        state.usage ? kv('Peak memory', parts.formatBytes(state.usage.peakMemoryBytes)) : null,
        state.usage ? kv('Table reads / writes', `${state.usage.kvReads} / ${state.usage.kvWrites}`, { 'data-testid': 'usage-kv' }) : null,
        kv('State machine', h('a', { href: href('machines', d.stateMachineArn) }, arnName(d.stateMachineArn))),
        d.stateMachineVersionArn ? kv('Version', arnName(d.stateMachineVersionArn)) : null,
        d.stateMachineAliasArn ? kv('Alias', arnName(d.stateMachineAliasArn)) : null),
      h('details', { class: 'io', 'data-testid': 'execution-io', open: state.ioOpen || null,
        ontoggle: (e) => { state.ioOpen = e.target.open; } },
      h('summary', {}, 'Execution input and output'),
      h('div', { class: 'grid two' },
        codeBlock(d.input, { label: 'Input' }),
        codeBlock(d.output, { label: 'Output', empty: d.status === 'RUNNING' ? '(running)' : '(none)' }))));
  }

  function drawGraph() {
    if (!state.definition) {
      replace(graphBox, h('div', { class: 'empty' }, 'The definition could not be read, so there is no graph.'));
      return;
    }
    if (graph) {
      graph.clearStatuses(); // (a new graph is drawn with every state not started)
    } else {
      try {
        // Already fitted by renderGraph (another fit here would force a
        // layout of the page in the middle of drawing it).
        graph = renderGraph(graphBox, state.definition, { onSelect: (name) => select(name, 'graph') });
        renderLegend(legend);
      } catch (e) {
        replace(graphBox, h('div', { class: 'banner error' }, e.message));
        return;
      }
    }
    for (const [name, s] of stateSummaries(state.model)) {
      graph.setStatus(name, s.status, { retries: s.retries });
    }
    graph.select(state.selected);
  }

  function drawAll() {
    drawHeader();
    drawBanner();
    drawSummary();
    drawGraph();
    table?.update(state.model, state.selected);
    eventList?.update(state.events, state.model, state.selected);
    drawPanel();
  }

  function drawPanel() {
    if (!state.selected) {
      panelHost.hidden = true;
      layout.classList.add('no-panel');
      return;
    }
    panelHost.hidden = false;
    layout.classList.remove('no-panel');
    if (!parts) {
      replace(panelHost, h('div', { class: 'muted' }, 'Loading…')); // drawn again when the parts are here
      wantParts();
      return;
    }
    replace(panelHost, parts.stepPanel({
      name: state.selected, model: state.model, definition: state.definition,
      executionArn: state.arn, machineDefinition: forExecution.definition,
      onClose: () => select(null, 'panel'),
    }));
  }

  /** Selecting a state in any view selects it in the others. */
  function select(name, from) {
    state.selected = name;
    graph?.select(name);
    table?.update(state.model, name);
    eventList?.update(state.events, state.model, name);
    drawPanel();
    if (from === 'banner') views.show('graph');
  }

  // --- actions ---
  async function stop() {
    if (!window.confirm('Stop this execution? It ends as ABORTED.')) return;
    try {
      await api.call('StopExecution', { executionArn: arn, error: 'Stopped', cause: 'Stopped from the Stepyard console' });
      toast('Execution stopped');
      await refresh();
    } catch (e) {
      toast(`${e.code}: ${e.message}`, 'error');
    }
  }

  async function redrive() {
    try {
      await api.call('RedriveExecution', { executionArn: arn });
      toast('Execution redriven');
      await refresh();
      follow();
    } catch (e) {
      toast(`${e.code}: ${e.message}`, 'error');
    }
  }

  function exportJson() {
    const data = { execution: state.description, stateMachine: forExecution, events: state.events };
    download(`${state.description.name}.json`, JSON.stringify(data, null, 2));
  }

  async function refresh() {
    state.description = await api.call('DescribeExecution', { executionArn: arn });
    const last = state.events.length ? state.events[state.events.length - 1].id : 0;
    const more = await api.listAll('GetExecutionHistory', { executionArn: arn, maxResults: 1000, ...(last ? { nextToken: String(last) } : {}) }, 'events');
    state.events.push(...more.filter((e) => e.id > last));
    remodel();
    drawAll();
  }

  function remodel() {
    state.model = readHistory(state.events, state.definition, { executionStatus: state.description.status });
  }

  /** The parts of the page loadParts() brings, put in place when they arrive. */
  function withParts() {
    partsLoading ??= loadParts().then((loaded) => {
      parts = loaded;
      table = parts.tableView({ onSelect: (name) => select(name, 'table') });
      eventList = parts.eventsView({ onSelect: (name) => select(name, 'events') });
      // In place first: a view on the page draws at once, one behind
      // another tab waits for it (see tableView's update).
      replace(tableHost, table.element);
      replace(eventsHost, eventList.element);
      table.update(state.model, state.selected);
      eventList.update(state.events, state.model, state.selected);
      drawPanel();
      return parts;
    }, (e) => {
      partsLoading = null; // asked for again next time
      toast(`Part of the page did not load: ${e.message}`, 'error');
      throw e;
    });
    return partsLoading;
  }

  /** withParts() for callers that only need the parts on their way. */
  function wantParts() {
    withParts().catch(() => {});
  }

  // --- live updates ---
  let live = null;
  let pending = null;
  function scheduleRedraw() {
    if (pending) return;
    pending = setTimeout(() => {
      pending = null;
      remodel();
      drawAll();
    }, REDRAW_MS);
  }
  function follow() {
    live?.close();
    if (state.description.status !== 'RUNNING') return;
    const last = state.events.length ? state.events[state.events.length - 1].id : 0;
    live = api.follow(arn, last, {
      onEvent: (event) => {
        if (state.events.length && event.id <= state.events[state.events.length - 1].id) return;
        state.events.push(event);
        if (/^Execution(Succeeded|Failed|TimedOut|Aborted)$/.test(event.type)) {
          state.description = { ...state.description, status: statusOf(event.type) };
        }
        scheduleRedraw();
      },
      onEnd: (description) => {
        if (description && description.executionArn) state.description = description;
        loadUsage(true);
        scheduleRedraw();
      },
      onError: (e) => toast(`Live updates stopped: ${e.message}`, 'error'),
    });
  }

  /** The execution's summed task usage, shown in the summary once known. */
  function loadUsage(fresh = false) {
    withParts()
      .then((p) => p.executionUsage(arn, { fresh: fresh || state.description.status === 'RUNNING' }))
      .then((answer) => { state.usage = answer.totals; drawSummary(); })
      .catch(() => { /* a server without usage: the summary goes without */ });
  }

  const element = h('div', { 'data-testid': 'execution-page' }, header, banner, summary, layout);
  return {
    element,
    mounted: () => {
      drawAll();
      follow();
      // The rest of the page (and the usage figures) once the graph is
      // painted, so that their modules do not hold it up.
      requestAnimationFrame(() => setTimeout(loadUsage));
    },
    dispose: () => {
      live?.close();
      clearTimeout(pending);
      graph?.destroy();
    },
  };
}

function statusOf(type) {
  return { ExecutionSucceeded: 'SUCCEEDED', ExecutionFailed: 'FAILED', ExecutionTimedOut: 'TIMED_OUT', ExecutionAborted: 'ABORTED' }[type];
}
