// What each task attempt used (Stepyard.GetExecutionUsage): time queued
// and running, CPU, peak memory, table reads and writes, log lines, output.
// AWS shows none of this; it is kept beside the history, not in it.

import * as api from '../api.js';
import { formatDuration, h, replace } from '../dom.js';

/** One fetch per execution while its page is open (ended executions do not change). */
const cache = new Map();

/** The execution's usage; `fresh` asks again (a running execution). */
export function executionUsage(executionArn, { fresh = false } = {}) {
  if (fresh || !cache.has(executionArn)) {
    cache.set(executionArn, api.own('GetExecutionUsage', { executionArn }).catch((e) => {
      cache.delete(executionArn);
      throw e;
    }));
  }
  return cache.get(executionArn);
}

export function formatBytes(n) {
  if (n === null || n === undefined) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** The step panel's Resources tab: one row per attempt of this entry of the state. */
export function usageView(executionArn, name, visit) {
  const host = h('div', { 'data-testid': 'step-usage' }, 'Loading…');
  executionUsage(executionArn, { fresh: visit?.status === 'in-progress' })
    .then((answer) => {
      const rows = (answer.attempts || []).filter((u) => u.stateName === name
        && (!visit || visit.lane || !u.entry || u.entry.endsWith(`#${visit.enteredId}`)));
      replace(host, rows.length ? h('div', { class: 'scroll-x' }, h('table', { class: 'list compact' },
        h('thead', {}, h('tr', {}, ['Attempt', 'Outcome', 'Queued', 'Ran', 'CPU', 'Peak memory', 'Table reads', 'Table writes', 'Log lines', 'Output']
          .map((c) => h('th', {}, c)))),
        h('tbody', {}, rows.map((u) => h('tr', { 'data-attempt': u.attempt, class: u.outcome === 'succeeded' ? null : 'failed-row' },
          h('td', {}, u.attempt === 0 ? 'Initial' : `Retry ${u.attempt}`),
          h('td', {}, u.outcome),
          h('td', {}, formatMs(u.queuedMs)),
          h('td', {}, formatMs(u.runMs)),
          h('td', { 'data-usage': 'cpu' }, formatMs(u.cpuMs)),
          h('td', { 'data-usage': 'memory' }, formatBytes(u.peakMemoryBytes)),
          h('td', { 'data-usage': 'kv-reads' }, `${u.kvReads} (${formatBytes(u.kvReadBytes)})`),
          h('td', { 'data-usage': 'kv-writes' }, `${u.kvWrites} (${formatBytes(u.kvWriteBytes)})`),
          h('td', {}, String(u.logLines)),
          h('td', {}, formatBytes(u.outputBytes)))))))
        : h('div', { class: 'empty' }, 'No task attempts recorded for this step (not a Task, or run with --no-usage).'));
    })
    .catch((e) => replace(host, h('div', { class: 'empty' }, `${e.code}: ${e.message}`)));
  return host;
}

/** Milliseconds with sub-millisecond precision where it matters. */
export function formatMs(ms) {
  if (ms === null || ms === undefined) return '–';
  return ms < 10 ? `${ms.toFixed(2)} ms` : formatDuration(ms);
}
