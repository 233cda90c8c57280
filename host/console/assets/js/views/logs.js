// Logs (the CloudWatch Logs analogue): the lines plugins wrote during an
// execution (the latest one by default), filtered by state, plugin and
// level, optionally followed as they arrive.

import * as api from '../api.js';
import { h, pageHeader, replace } from '../dom.js';

const LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

export async function logsPage() {
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const execution = h('input', { type: 'search', class: 'wide', placeholder: 'Execution ARN or name (empty: the latest)', 'aria-label': 'Execution', value: params.get('execution') || '' });
  const state = h('input', { type: 'search', placeholder: 'State', 'aria-label': 'State' });
  const plugin = h('input', { type: 'search', placeholder: 'Plugin', 'aria-label': 'Plugin' });
  const level = h('select', { 'aria-label': 'Lowest level' }, LEVELS.map((l) => h('option', { value: l }, `${l} and above`)));
  level.value = 'TRACE';
  const follow = h('input', { type: 'checkbox', 'aria-label': 'Follow' });
  const title = h('div', { class: 'muted mono' });
  const body = h('div', { 'data-testid': 'log-lines' });
  let lines = [];
  let timer = null;

  async function load() {
    const request = {};
    const which = execution.value.trim();
    if (which.startsWith('arn:')) request.executionArn = which;
    else if (which) request.executionName = which;
    try {
      const answer = await api.own('GetExecutionLogs', request);
      lines = answer.lines || [];
      replace(title, answer.executionArn || '');
    } catch (e) {
      lines = [];
      replace(title, e.code === 'ResourceNotFound' ? 'No log lines for that execution.' : `${e.code}: ${e.message}`);
    }
    draw();
  }

  function draw() {
    const min = LEVELS.indexOf(level.value);
    const shown = lines.filter((l) => LEVELS.indexOf(l.level) >= min
      && (!state.value || l.state_name.toLowerCase().includes(state.value.toLowerCase()))
      && (!plugin.value || l.source.toLowerCase().includes(plugin.value.toLowerCase())));
    replace(body, shown.length ? shown.map((l) => h('div', { class: 'log-line', 'data-level': l.level, 'data-state': l.state_name },
      h('span', { class: `lvl lvl-${l.level}` }, l.level), ' ',
      h('span', { class: 'muted' }, `${l.timestamp} ${l.state_name} ${l.source}: `), l.message))
      : h('div', { class: 'empty' }, 'No lines match.'));
  }

  for (const input of [state, plugin]) input.addEventListener('input', draw);
  level.addEventListener('change', draw);
  execution.addEventListener('change', load);
  follow.addEventListener('change', () => {
    clearInterval(timer);
    if (follow.checked) timer = setInterval(load, 1000);
  });
  return {
    element: h('div', {},
      pageHeader('Logs', { subtitle: 'Lines plugins wrote through the log interface, and what they printed.' }),
      h('section', { class: 'panel' },
        h('div', { class: 'filters' }, execution),
        h('div', { class: 'filters' }, state, plugin, level, h('label', {}, follow, 'Follow'),
          h('button', { type: 'button', class: 'small', onclick: load }, 'Refresh')),
        title, body)),
    mounted: load,
    dispose: () => clearInterval(timer),
  };
}
