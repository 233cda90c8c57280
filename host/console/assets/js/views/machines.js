// The state machines: each with its type, versions and aliases, and how its
// executions went over the last hour and day.

import * as api from '../api.js';
import { arnName, h, href, pageHeader, formatTime, replace } from '../dom.js';

const HOUR = 3600;
const DAY = 24 * HOUR;

/** Counts of a machine's executions by status, started since `seconds` ago. */
async function counts(arn, seconds) {
  const since = Date.now() / 1000 - seconds;
  return (await api.own('CountExecutions', { stateMachineArn: arn, since })).counts || {};
}

function countCell(c) {
  if (!c) return h('span', { class: 'muted' }, '…');
  const part = (n, cls, label) => (n ? h('span', { class: cls, title: label }, `${n} ${label}`) : null);
  const parts = [
    part(c.RUNNING, 'pill pill-running', 'running'),
    part(c.SUCCEEDED, 'pill pill-succeeded', 'succeeded'),
    part((c.FAILED || 0) + (c.TIMED_OUT || 0), 'pill pill-failed', 'failed'),
    part(c.ABORTED, 'pill pill-aborted', 'aborted'),
  ].filter(Boolean);
  return parts.length ? h('span', { class: 'actions' }, parts) : h('span', { class: 'muted' }, 'none');
}

export async function machinesPage() {
  const machines = await api.listAll('ListStateMachines', { maxResults: 1000 }, 'stateMachines');
  const rows = new Map();
  const table = h('table', { class: 'list', 'data-testid': 'machines' },
    h('thead', {}, h('tr', {},
      h('th', {}, 'Name'), h('th', {}, 'Type'), h('th', {}, 'Versions'), h('th', {}, 'Aliases'),
      h('th', {}, 'Last hour'), h('th', {}, 'Last day'), h('th', {}, 'Created'))),
    h('tbody', {}, machines.length ? machines.map((m) => {
      const cells = { versions: h('td', {}, '…'), aliases: h('td', {}, '…'), hour: h('td', {}, countCell(null)), day: h('td', {}, countCell(null)) };
      rows.set(m.stateMachineArn, cells);
      return h('tr', { 'data-machine': m.name },
        h('td', {}, h('a', { href: href('machines', m.stateMachineArn) }, m.name)),
        h('td', {}, m.type),
        cells.versions, cells.aliases, cells.hour, cells.day,
        h('td', {}, formatTime(m.creationDate)));
    }) : h('tr', {}, h('td', { colspan: 7, class: 'empty' },
      'No state machines yet. Create one here, or with `aws stepfunctions create-state-machine --endpoint-url …`.'))));

  const page = h('div', {},
    pageHeader(`State machines (${machines.length})`, {
      actions: [h('a', { class: 'button primary', href: '#/machines/new/edit' }, 'Create state machine')],
    }),
    h('section', { class: 'panel' }, table));

  // The figures arrive after the list, machine by machine.
  const fill = async () => {
    for (const m of machines) {
      const cells = rows.get(m.stateMachineArn);
      try {
        const [hour, day, versions, aliases] = await Promise.all([
          counts(m.stateMachineArn, HOUR),
          counts(m.stateMachineArn, DAY),
          api.call('ListStateMachineVersions', { stateMachineArn: m.stateMachineArn, maxResults: 1000 }),
          api.call('ListStateMachineAliases', { stateMachineArn: m.stateMachineArn, maxResults: 100 }),
        ]);
        replace(cells.hour, countCell(hour));
        replace(cells.day, countCell(day));
        replace(cells.versions, String((versions.stateMachineVersions || []).length));
        replace(cells.aliases, (aliases.stateMachineAliases || []).map((a) => arnName(a.stateMachineAliasArn)).join(', ') || '–');
      } catch (e) {
        replace(cells.hour, h('span', { class: 'error-text', title: e.message }, e.code || 'error'));
      }
    }
  };
  return { element: page, mounted: fill };
}
