// Alerts (EventBridge rules and CloudWatch alarms on one machine): the
// rules of `serve --alerts FILE` and those added here (PutAlertRule) with
// their patterns and targets, the alarms with their states, and the recent
// deliveries, failures marked.

import * as api from '../api.js';
import { codeBlock, formatTime, h, pageHeader, panel, replace } from '../dom.js';

/** Alarm state → pill class. */
const STATE_PILL = { OK: 'succeeded', ALARM: 'failed', INSUFFICIENT_DATA: 'neutral' };

/** What a new rule starts as: EventBridge's pattern for failed Step Functions executions. */
const NEW_PATTERN = {
  source: ['aws.states'],
  'detail-type': ['Step Functions Execution Status Change'],
  detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
};
const NEW_TARGETS = [{ webhook: 'http://127.0.0.1:9000/hook' }];

export async function alertsPage() {
  const body = h('div', { 'data-testid': 'alerts' });
  let timer = null;

  async function load() {
    let answer;
    try {
      answer = await api.own('ListAlerts', {});
    } catch (e) {
      replace(body, h('div', { class: 'banner error' }, h('span', { class: 'title' }, e.code || 'Error'), h('span', {}, e.message)));
      return;
    }
    const { rules = [], alarms = [], deliveries = [] } = answer;
    replace(body,
      panel(`Rules (${rules.length})`, rules.length ? rulesTable(rules, remove) : empty('No rules yet: add one below, or start the server with --alerts FILE.')),
      panel(`Alarms (${alarms.length})`, alarms.length ? alarmsTable(alarms) : empty('No alarms.')),
      panel(`Recent deliveries (${deliveries.length})`, deliveries.length ? deliveriesTable(deliveries) : empty('Nothing delivered yet.')));
  }

  async function remove(name) {
    try {
      await api.own('DeleteAlertRule', { name });
    } catch (e) {
      window.alert(`${e.code || 'Error'}: ${e.message}`);
    }
    await load();
  }

  const addForm = ruleForm(load);
  await load();
  return {
    element: h('div', {},
      pageHeader('Alerts', { subtitle: 'Rules match execution status changes as EventBridge patterns do; alarms are evaluated each minute over the metrics. Refreshed every 5 s.' }),
      body,
      // Outside the refreshed part, so that typing is not interrupted.
      addForm),
    mounted() { timer = setInterval(load, 5_000); },
    dispose() { clearInterval(timer); },
  };
}

function empty(text) {
  return h('div', { class: 'muted' }, text);
}

function targets(list) {
  return h('ul', { class: 'plain' }, (list || []).map((t) => h('li', { class: 'mono' }, t)));
}

function rulesTable(rules, remove) {
  return h('table', { class: 'list', 'data-testid': 'alert-rules' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Rule'), h('th', {}, 'Pattern'), h('th', {}, 'Targets'), h('th', {}, 'From'))),
    h('tbody', {}, rules.map((r) => h('tr', { 'data-rule': r.name, 'data-origin': r.origin },
      h('td', {}, r.name),
      h('td', {}, codeBlock(r.pattern)),
      h('td', {}, targets(r.targets)),
      h('td', {}, r.origin === 'api'
        ? h('button', { type: 'button', class: 'small', 'data-action': 'delete-rule', onclick: () => remove(r.name) }, 'Delete')
        : h('span', { class: 'muted' }, '--alerts file'))))));
}

/**
 * Adding a rule: a name, an EventBridge pattern and targets, as JSON in
 * the rules file's shape (webhook and startExecution targets only; the
 * server refuses commands and files from here). The server checks it and
 * its answer is shown as it is.
 */
function ruleForm(reload) {
  const name = h('input', { type: 'text', placeholder: 'Rule name', 'aria-label': 'Rule name', 'data-testid': 'rule-name' });
  const pattern = h('textarea', { class: 'editor small', spellcheck: 'false', 'aria-label': 'Pattern', 'data-testid': 'rule-pattern',
    value: JSON.stringify(NEW_PATTERN, null, 2) });
  const targetsText = h('textarea', { class: 'editor small', spellcheck: 'false', 'aria-label': 'Targets', 'data-testid': 'rule-targets',
    value: JSON.stringify(NEW_TARGETS, null, 2) });
  const message = h('div', { 'data-testid': 'rule-message' });
  async function add() {
    let rule;
    try {
      rule = { name: name.value.trim(), pattern: JSON.parse(pattern.value), targets: JSON.parse(targetsText.value) };
    } catch (e) {
      replace(message, h('div', { class: 'banner error' }, `Not JSON: ${e.message}`));
      return;
    }
    try {
      await api.own('PutAlertRule', { rule });
      replace(message);
      await reload();
    } catch (e) {
      replace(message, h('div', { class: 'banner error' }, h('span', { class: 'title' }, e.code || 'Error'), h('span', {}, e.message)));
    }
  }
  return panel('Add a rule', h('div', { class: 'grid two' },
    h('label', {}, 'Name', name),
    h('div', {}),
    h('label', {}, 'Pattern (EventBridge)', pattern),
    h('label', {}, 'Targets (webhook or startExecution)', targetsText)),
  h('button', { type: 'button', 'data-action': 'add-rule', onclick: add }, 'Add rule'),
  message);
}

function alarmsTable(alarms) {
  return h('table', { class: 'list', 'data-testid': 'alert-alarms' },
    h('thead', {}, h('tr', {},
      h('th', {}, 'Alarm'), h('th', {}, 'State'), h('th', {}, 'Condition'), h('th', {}, 'Last values'),
      h('th', {}, 'Since'), h('th', {}, 'Targets'))),
    h('tbody', {}, alarms.map((a) => {
      const dims = Object.entries(a.dimensions || {}).map(([k, v]) => `${k}=${v}`).join(', ');
      const condition = `${a.statistic} of ${a.metric}${dims ? ` (${dims})` : ''} ${a.comparison} ${a.threshold}, ` +
        `${a.datapointsToAlarm} of ${a.evaluationPeriods} × ${a.period} s, missing data: ${a.treatMissingData}`;
      return h('tr', { 'data-alarm': a.name, class: a.state === 'ALARM' ? 'failed-row' : null },
        h('td', {}, a.name, a.description ? h('div', { class: 'muted' }, a.description) : null),
        h('td', {}, h('span', { class: `pill pill-${STATE_PILL[a.state] || 'neutral'}`, 'data-state': a.state }, a.state),
          h('div', { class: 'muted' }, a.stateReason)),
        h('td', {}, condition),
        h('td', { class: 'mono' }, (a.lastValues || []).map((v) => (v === null ? '–' : String(v))).join(', ')),
        h('td', {}, formatTime(a.stateUpdated)),
        h('td', {}, targets(a.targets)));
    })));
}

function deliveriesTable(deliveries) {
  return h('table', { class: 'list', 'data-testid': 'alert-deliveries' },
    h('thead', {}, h('tr', {},
      h('th', {}, 'Time'), h('th', {}, 'Rule or alarm'), h('th', {}, 'Target'), h('th', {}, 'Attempt'),
      h('th', {}, 'Result'), h('th', {}, 'Event'), h('th', {}, 'Error'))),
    h('tbody', {}, deliveries.map((d) => {
      const bad = d.result !== 'delivered';
      return h('tr', { class: bad ? 'failed-row' : null, 'data-result': d.result },
        h('td', {}, formatTime(d.time)),
        h('td', {}, d.source),
        h('td', { class: 'mono' }, d.target),
        h('td', {}, String(d.attempt)),
        h('td', {}, h('span', { class: `pill pill-${bad ? (d.result === 'retry' ? 'caught' : 'failed') : 'succeeded'}` }, d.result)),
        h('td', {}, d.detailType || ''),
        h('td', {}, d.error || ''));
    })));
}
