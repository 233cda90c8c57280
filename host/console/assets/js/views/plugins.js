// Plugins: what the plugin folder holds, each with its functions, role,
// limits and WASI grants, and the plugins that failed to load, with why.

import * as api from '../api.js';
import { codeBlock, h, pageHeader, panel } from '../dom.js';

export async function pluginsPage() {
  const { plugins = [], problems = [] } = await api.own('ListPlugins', {});
  return {
    element: h('div', {},
      pageHeader(`Plugins (${plugins.length})`, { subtitle: 'Each Task runs one of these WebAssembly components, as its role allows.' }),
      problems.length ? panel('Not loaded', h('table', { class: 'list', 'data-testid': 'plugin-problems' },
        h('thead', {}, h('tr', {}, h('th', {}, 'Plugin'), h('th', {}, 'File'), h('th', {}, 'Why'))),
        h('tbody', {}, problems.map((p) => h('tr', { class: 'failed-row' }, h('td', {}, p.name), h('td', { class: 'mono' }, p.path), h('td', {}, p.reason)))))) : null,
      plugins.length ? plugins.map((p) => h('section', { class: 'panel', 'data-plugin': p.name },
        h('h2', {}, p.name),
        h('div', { class: 'kv' },
          kv('Functions', (p.functions || []).join(', ')),
          kv('State', p.state + (p.compiled ? ` (${p.compiled})` : '')),
          kv('Memory limit', `${p.limits?.memory_mb} MiB`),
          kv('Time limit', `${p.limits?.timeout_ms} ms`),
          kv('Output limit', `${p.limits?.max_output_kb} KiB`),
          kv('Environment', (p.wasi?.env || []).join(', ') || 'none'),
          kv('Folders', (p.wasi?.preopens || []).map((d) => `${d.guest} ← ${d.host}${d.read_only ? ' (read-only)' : ''}`).join(', ') || 'none'),
          kv('Clocks', p.wasi?.clocks ? 'yes' : 'no'),
          kv('File', p.path)),
        codeBlock(p.role ? JSON.stringify(p.role, null, 2) : null, { label: 'Role (deny by default)', empty: '(no role: every table and log call is denied)' })))
        : h('section', { class: 'panel empty' }, 'No plugins in the folder.')),
  };
}

function kv(k, v) {
  return h('div', {}, h('div', { class: 'k' }, k), h('div', { class: 'v' }, v ?? '–'));
}
