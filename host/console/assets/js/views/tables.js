// Tables (the DynamoDB console's item browser): the tables plugins wrote,
// and a table's items with their versions, filtered by key prefix, paged.

import * as api from '../api.js';
import { codeBlock, h, href, pageHeader, replace } from '../dom.js';

export async function tablesPage() {
  const { tables = [] } = await api.own('ListTables', {});
  return {
    element: h('div', {},
      pageHeader(`Tables (${tables.length})`, { subtitle: 'What plugins wrote through the kv interface: the DynamoDB tables of this machine.' }),
      h('section', { class: 'panel' }, tables.length
        ? h('table', { class: 'list', 'data-testid': 'tables' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Table'))),
          h('tbody', {}, tables.map((t) => h('tr', {}, h('td', {}, h('a', { href: href('tables', t) }, t))))))
        : h('div', { class: 'empty' }, 'No tables yet: a plugin creates one by writing to it.'))),
  };
}

export async function tablePage(name) {
  const prefix = h('input', { type: 'search', placeholder: 'Key starts with', 'aria-label': 'Key prefix' });
  const body = h('tbody');
  const detail = h('div');
  const more = h('button', { type: 'button', class: 'small' }, 'Load more');
  let next = null;

  async function load(reset) {
    if (reset) { next = null; replace(body); replace(detail); }
    const request = { table: name, prefix: prefix.value, limit: 100 };
    if (next) request.exclusiveStartKey = next;
    const page = await api.own('ScanTable', request);
    next = page.lastEvaluatedKey || null;
    more.hidden = !next;
    for (const item of page.items || []) {
      const preview = JSON.stringify(item.value);
      body.append(h('tr', {
        class: 'clickable', 'data-key': item.key,
        onclick: () => replace(detail, h('section', { class: 'panel' }, h('h2', {}, item.key),
          h('div', { class: 'muted' }, `version ${item.version}`), codeBlock(item.value, { label: 'Item' }))),
      },
      h('td', { class: 'mono' }, item.key),
      h('td', {}, String(item.version)),
      h('td', { class: 'mono' }, preview.length > 120 ? `${preview.slice(0, 120)}…` : preview)));
    }
    if (!body.children.length) body.append(h('tr', {}, h('td', { colspan: 3, class: 'empty' }, 'No items.')));
  }
  let typing;
  prefix.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(() => load(true), 250); });
  more.onclick = () => load(false);
  return {
    element: h('div', {},
      pageHeader(name, { crumbs: [{ text: 'Tables', href: '#/tables' }, { text: name }] }),
      h('div', { class: 'grid two' },
        h('section', { class: 'panel' },
          h('div', { class: 'filters' }, prefix),
          h('table', { class: 'list', 'data-testid': 'items' },
            h('thead', {}, h('tr', {}, h('th', {}, 'Key'), h('th', {}, 'Version'), h('th', {}, 'Value'))), body),
          h('div', { class: 'pager' }, more)),
        detail)),
    mounted: () => load(true),
  };
}
