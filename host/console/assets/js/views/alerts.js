// Alerts (EventBridge rules and CloudWatch alarms on one machine): the
// rules of `serve --alerts FILE` with their patterns and targets, the
// alarms with their states, and the recent deliveries, failures marked.

import * as api from '../api.js';
import { codeBlock, formatTime, h, pageHeader, panel, replace } from '../dom.js';

/** Alarm state → pill class. */
const STATE_PILL = { OK: 'succeeded', ALARM: 'failed', INSUFFICIENT_DATA: 'neutral' };

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
      panel(`Rules (${rules.length})`, rules.length ? rulesTable(rules) : empty('No rules: start the server with --alerts FILE.')),
      panel(`Alarms (${alarms.length})`, alarms.length ? alarmsTable(alarms) : empty('No alarms.')),
      panel(`Recent deliveries (${deliveries.length})`, deliveries.length ? deliveriesTable(deliveries) : empty('Nothing delivered yet.')));
  }

  await load();
  return {
    element: h('div', {},
      pageHeader('Alerts', { subtitle: 'Rules match execution status changes as EventBridge patterns do; alarms are evaluated each minute over the metrics. Refreshed every 5 s.' }),
      body),
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

function rulesTable(rules) {
  return h('table', { class: 'list', 'data-testid': 'alert-rules' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Rule'), h('th', {}, 'Pattern'), h('th', {}, 'Targets'))),
    h('tbody', {}, rules.map((r) => h('tr', { 'data-rule': r.name },
      h('td', {}, r.name),
      h('td', {}, codeBlock(r.pattern)),
      h('td', {}, targets(r.targets))))));
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
