// The console's entry point: signs in when the server asks for it, then
// shows the page the address names (`#/machines`, `#/executions/ARN`, …).

import * as api from './api.js';
import { h, replace, toast } from './dom.js';
import { machinesPage } from './views/machines.js';
import { machinePage } from './views/machine.js';
import { executionPage } from './views/execution.js';
import { editorPage } from './views/editor.js';
import { tablesPage, tablePage } from './views/tables.js';
import { logsPage } from './views/logs.js';
import { pluginsPage } from './views/plugins.js';
import { metricsPage } from './views/metrics.js';
import { auditPage } from './views/audit.js';
import { alertsPage } from './views/alerts.js';
import { signInPage } from './views/signin.js';

const main = document.getElementById('main');

/** Routes: a pattern over the hash's parts, the nav section, and the page. */
const ROUTES = [
  [['machines'], 'machines', () => machinesPage()],
  [['machines', ':arn'], 'machines', (p) => machinePage(p.arn)],
  [['machines', ':arn', 'edit'], 'machines', (p) => editorPage(p.arn)],
  [['executions', ':arn'], 'machines', (p) => executionPage(p.arn)],
  [['tables'], 'tables', () => tablesPage()],
  [['tables', ':name'], 'tables', (p) => tablePage(p.name)],
  [['logs'], 'logs', () => logsPage()],
  [['plugins'], 'plugins', () => pluginsPage()],
  [['metrics'], 'metrics', () => metricsPage()],
  [['audit'], 'audit', () => auditPage()],
  [['alerts'], 'alerts', () => alertsPage()],
];

/** The page currently shown, so it can stop what it runs (live updates) when left. */
let current = null;

function match(parts) {
  for (const [pattern, section, page] of ROUTES) {
    if (pattern.length !== parts.length) continue;
    const params = {};
    if (pattern.every((p, i) => (p.startsWith(':') ? ((params[p.slice(1)] = parts[i]), true) : p === parts[i]))) {
      return { section, page: () => page(params) };
    }
  }
  return null;
}

async function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  const parts = hash ? hash.split('/').map((p) => decodeURIComponent(p)) : ['machines'];
  const found = match(parts) || match(['machines']);
  for (const link of document.querySelectorAll('#nav a')) {
    link.classList.toggle('active', link.dataset.section === found.section);
  }
  current?.dispose?.();
  current = null;
  replace(main, h('div', { class: 'muted' }, 'Loading…'));
  try {
    const page = await found.page();
    current = page;
    replace(main, page.element);
    page.mounted?.();
  } catch (e) {
    replace(main, h('div', { class: 'banner error' }, h('span', { class: 'title' }, e.code || 'Error'), h('span', {}, e.message)));
  }
}

async function start() {
  let status = { auth: false, user: null };
  try {
    status = await api.session();
  } catch {
    // An older server without sessions: carry on without.
  }
  window.addEventListener('hashchange', route);
  if (status.auth && !status.user) {
    document.getElementById('nav').hidden = true;
    replace(main, signInPage(async () => {
      document.getElementById('nav').hidden = false;
      await showUser();
      route();
    }).element);
    return;
  }
  await showUser(status);
  route();
}

async function showUser(status = null) {
  const who = document.getElementById('who');
  status = status || (await api.session().catch(() => ({ auth: false })));
  if (!status.auth) {
    replace(who, h('span', { title: 'Without --auth the server answers loopback addresses only' }, 'local (no sign-in)'));
    return;
  }
  replace(who,
    h('span', { 'data-user': status.user }, `Signed in as ${status.user}`),
    h('button', {
      type: 'button', class: 'small', onclick: async () => {
        await api.signOut();
        toast('Signed out');
        location.hash = '';
        location.reload();
      },
    }, 'Sign out'));
}

start();
