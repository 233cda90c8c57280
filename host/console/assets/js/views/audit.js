// Audit (the CloudTrail analogue): every API call the server answered and
// every plugin import a role refused, newest first, filtered by user,
// action, age and refusal; each record opens to its full text. "Verify"
// walks the trail's hash chain and says where it is broken, if anywhere.

import * as api from '../api.js';
import { codeBlock, h, pageHeader, replace } from '../dom.js';

/** Ages the trail can be searched back to, in seconds (0: all). */
const AGES = [['0', 'All time'], ['900', 'Last 15 minutes'], ['3600', 'Last hour'], ['86400', 'Last day'], ['604800', 'Last 7 days']];

export async function auditPage() {
  const user = h('input', { type: 'search', placeholder: 'User', 'aria-label': 'User' });
  const action = h('input', { type: 'search', placeholder: 'Action (StartExecution, PutItem)', 'aria-label': 'Action' });
  const age = h('select', { 'aria-label': 'Since' }, AGES.map(([value, label]) => h('option', { value }, label)));
  const denied = h('input', { type: 'checkbox', 'aria-label': 'Refused only', 'data-testid': 'audit-denied' });
  const body = h('tbody', {});
  const more = h('button', { type: 'button', class: 'small', hidden: true }, 'Older');
  const chain = h('div', { 'data-testid': 'audit-verify' });
  let next = null;

  function request() {
    const attributes = [];
    if (user.value.trim()) attributes.push({ attributeKey: 'Username', attributeValue: user.value.trim() });
    // `states:StopExecution` names the same event as `StopExecution`.
    const name = action.value.trim().split(':').pop();
    if (name) attributes.push({ attributeKey: 'EventName', attributeValue: name });
    const body = { lookupAttributes: attributes, deniedOnly: denied.checked, maxResults: 50 };
    if (age.value !== '0') body.startTime = Date.now() / 1000 - Number(age.value);
    return body;
  }

  async function load(older = false) {
    const ask = request();
    if (older && next) ask.nextToken = next;
    let answer;
    try {
      answer = await api.own('LookupEvents', ask);
    } catch (e) {
      replace(body, h('tr', {}, h('td', { colspan: 6, class: 'error-text' }, `${e.code}: ${e.message}`)));
      more.hidden = true;
      return;
    }
    const rows = (answer.events || []).map(row);
    if (older) body.append(...rows);
    else replace(body, rows.length ? rows : h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No records match.')));
    next = answer.nextToken || null;
    more.hidden = !next;
  }

  async function verify() {
    replace(chain, h('span', { class: 'muted' }, 'Verifying…'));
    try {
      const report = await api.own('VerifyAuditTrail', {});
      const dropped = report.dropped ? ` (retention dropped ${report.dropped} older records)` : '';
      replace(chain, report.intact
        ? h('div', { class: 'banner info', 'data-intact': 'true' }, h('span', { class: 'title' }, 'Intact'), `${report.records} records verified${dropped}.`)
        : h('div', { class: 'banner error', 'data-intact': 'false' }, h('span', { class: 'title' }, `Broken at record ${report.problem.sequence}`), report.problem.message));
    } catch (e) {
      replace(chain, h('div', { class: 'banner error' }, h('span', { class: 'title' }, e.code || 'Error'), e.message));
    }
  }

  for (const input of [user, action]) input.addEventListener('change', () => load());
  for (const input of [age, denied]) input.addEventListener('change', () => load());
  more.addEventListener('click', () => load(true));
  return {
    element: h('div', {},
      pageHeader('Audit', {
        subtitle: 'Every API call (console, CLI, SDKs) and every refused plugin import, in CloudTrail\'s record shape. Sensitive values read HIDDEN_DUE_TO_SECURITY_REASONS.',
        actions: [h('button', { type: 'button', onclick: verify }, 'Verify chain')],
      }),
      chain,
      h('section', { class: 'panel' },
        h('div', { class: 'filters' }, user, action, age, h('label', {}, denied, 'Refused only'),
          h('button', { type: 'button', class: 'small', onclick: () => load() }, 'Refresh')),
        h('table', { class: 'list', 'data-testid': 'audit-records' },
          h('thead', {}, h('tr', {}, ['Time', 'User', 'Action', 'Result', 'Resource', 'Source'].map((t) => h('th', {}, t)))),
          body),
        h('div', { class: 'pager' }, more))),
    mounted: () => load(),
  };
}

/** One record as a row, which opens to the record's full text below it. */
function row(event) {
  let record = {};
  try {
    record = JSON.parse(event.cloudTrailEvent);
  } catch {
    // Shown as text below, as stored.
  }
  const identity = record.userIdentity || {};
  const user = identity.userName || (identity.arn || '').split('/').pop() || identity.accountId || identity.type || '';
  const service = String(record.eventSource || '').replace(/\.amazonaws\.com$/, '');
  const result = record.errorCode || 'ok';
  const tr = h('tr', {
    class: record.errorCode ? 'audit-row failed-row' : 'audit-row',
    'data-event': record.eventName,
    'data-result': result,
    'data-user': user,
    title: 'Show the record',
  },
  h('td', { class: 'mono' }, record.eventTime || ''),
  h('td', {}, user),
  h('td', { class: 'mono' }, `${service}:${record.eventName || ''}`),
  h('td', {}, result),
  h('td', { class: 'mono' }, (record.resources || [])[0]?.ARN || ''),
  h('td', { class: 'mono' }, record.sourceIPAddress || ''));
  let detail = null;
  tr.addEventListener('click', () => {
    if (detail) {
      detail.remove();
      detail = null;
      return;
    }
    detail = h('tr', { class: 'audit-detail' },
      h('td', { colspan: 6 }, codeBlock(event.cloudTrailEvent, { label: `Record ${event.sequence}` })));
    tr.after(detail);
  });
  return tr;
}
