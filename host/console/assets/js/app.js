// The console's entry point: signs in when the server asks for it, then
// shows the page the address names (`#/machines`, `#/executions/ARN`, …).

import * as api from './api.js';
import { h, replace, toast } from './dom.js';
import { loadExecution } from './views/execution-data.js';

const main = document.getElementById('main');

/**
 * Routes: a pattern over the hash's parts, the nav section, and the page.
 * Pages are imported when shown: this module then needs only the two
 * above (and execution-data.js, which needs api.js) to start, so the
 * session check and the page's own requests go out while the page's code
 * is still loading. (index.html preloads what the execution page needs
 * for its graph; most other pages are one small module each.)
 */
const ROUTES = [
  [['machines'], 'machines', async () => (await import('./views/machines.js')).machinesPage()],
  [['machines', ':arn'], 'machines', async (p) => (await import('./views/machine.js')).machinePage(p.arn)],
  [['machines', ':arn', 'edit'], 'machines', async (p) => (await import('./views/editor.js')).editorPage(p.arn)],
  [['executions', ':arn'], 'machines', async (p) => {
    const loading = loadExecution(p.arn);
    // The page takes the failure, if any; until it awaits, this keeps the
    // browser from reporting the rejection as unhandled.
    loading.catch(() => {});
    return (await import('./views/execution.js')).executionPage(p.arn, loading);
  }],
  [['tables'], 'tables', async () => (await import('./views/tables.js')).tablesPage()],
  [['tables', ':name'], 'tables', async (p) => (await import('./views/tables.js')).tablePage(p.name)],
  [['logs'], 'logs', async () => (await import('./views/logs.js')).logsPage()],
  [['plugins'], 'plugins', async () => (await import('./views/plugins.js')).pluginsPage()],
  [['metrics'], 'metrics', async () => (await import('./views/metrics.js')).metricsPage()],
  [['audit'], 'audit', async () => (await import('./views/audit.js')).auditPage()],
  [['alerts'], 'alerts', async () => (await import('./views/alerts.js')).alertsPage()],
];

/** The page currently shown, so it can stop what it runs (live updates) when left. */
let current = null;
/**
 * Counts route() calls. Pages load asynchronously, so an earlier address's
 * page can finish loading after a later one's (signing in shows the start
 * page while the user already follows a link): only the latest may mount.
 */
let routing = 0;

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
  const turn = ++routing;
  replace(main, h('div', { class: 'muted' }, 'Loading…'));
  try {
    const page = await found.page();
    if (turn !== routing) {
      page.dispose?.();
      return;
    }
    current = page;
    replace(main, page.element);
    page.mounted?.();
  } catch (e) {
    if (turn !== routing) return;
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
    const { signInPage } = await import('./views/signin.js');
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
