// Editing a definition: the text beside its graph, validated as it is
// typed (ValidateStateMachineDefinition, the same checks as saving), with
// each diagnostic listed with its location and marked on its state; saved
// with CreateStateMachine or UpdateStateMachine (optionally publishing a
// version).

import * as api from '../api.js';
import { renderGraph } from '../graph.js';
import { h, href, pageHeader, replace, toast } from '../dom.js';
import { stateOfLocation } from './editor-location.js';

const STARTER = {
  Comment: 'A new state machine',
  StartAt: 'Hello',
  States: {
    Hello: { Type: 'Pass', Result: { hello: 'world' }, Next: 'Done' },
    Done: { Type: 'Succeed' },
  },
};

export async function editorPage(arn) {
  const creating = arn === 'new';
  const machine = creating ? null : await api.call('DescribeStateMachine', { stateMachineArn: arn });
  const text = h('textarea', { class: 'editor', spellcheck: 'false', 'aria-label': 'Definition', 'data-testid': 'definition-editor' });
  text.value = creating ? JSON.stringify(STARTER, null, 2) : prettyIfJson(machine.definition);
  const graphBox = h('div', { class: 'graph-box', 'data-testid': 'editor-graph' });
  const problems = h('ul', { class: 'diagnostics', 'data-testid': 'diagnostics' });
  const verdict = h('div', { 'data-testid': 'verdict' });
  const name = h('input', { type: 'text', 'aria-label': 'Name', placeholder: 'Name', value: machine?.name || '' });
  const type = h('select', { 'aria-label': 'Type' }, h('option', { value: 'STANDARD' }, 'Standard'), h('option', { value: 'EXPRESS' }, 'Express'));
  const role = h('input', { type: 'text', class: 'wide', 'aria-label': 'Role ARN', value: machine?.roleArn || 'arn:aws:iam::123456789012:role/StepyardExecutionRole' });
  const publish = h('input', { type: 'checkbox', 'aria-label': 'Publish a version' });
  const description = h('input', { type: 'text', 'aria-label': 'Version description', placeholder: 'Version description (optional)' });
  const save = h('button', { type: 'button', class: 'primary', 'data-action': 'save' }, creating ? 'Create' : 'Save');
  let graph = null;
  let valid = false;
  let generation = 0;

  async function check() {
    const mine = ++generation;
    let parsed;
    try {
      parsed = JSON.parse(text.value);
    } catch (e) {
      valid = false;
      save.disabled = true;
      replace(verdict, h('span', { class: 'error-text' }, `Not valid JSON: ${e.message}`));
      replace(problems);
      return;
    }
    // Redraw at once; the server's verdict follows.
    try {
      const fresh = renderGraphSafely(parsed);
      if (fresh) { graph?.destroy(); graph = fresh; graph.fit(); }
    } catch { /* the diagnostics say why */ }
    let answer;
    try {
      answer = await api.call('ValidateStateMachineDefinition', { definition: text.value, type: type.value });
    } catch (e) {
      if (mine === generation) replace(verdict, h('span', { class: 'error-text' }, `${e.code}: ${e.message}`));
      return;
    }
    if (mine !== generation) return;
    const diagnostics = answer.diagnostics || [];
    valid = answer.result === 'OK';
    save.disabled = !valid;
    graph?.clearDiagnostics();
    replace(problems, diagnostics.map((d) => {
      const state = stateOfLocation(d.location);
      if (state) graph?.markDiagnostic(state, `${d.code}: ${d.message}`);
      return h('li', { 'data-location': d.location || '' }, h('b', {}, d.code), ` ${d.message}`, d.location ? h('span', { class: 'muted mono' }, ` at ${d.location}`) : null);
    }));
    replace(verdict, valid
      ? h('span', { class: 'pill pill-succeeded', 'data-valid': 'true' }, 'Valid')
      : h('span', { class: 'pill pill-failed', 'data-valid': 'false' }, `${diagnostics.length} problem${diagnostics.length === 1 ? '' : 's'}`));
  }

  let holder = null;
  function renderGraphSafely(parsed) {
    if (!parsed || typeof parsed !== 'object' || !parsed.States) return null;
    // Draw into a new layer first: a half-typed definition that cannot be
    // drawn must not wipe the last good drawing.
    const layer = h('div', { class: 'graph-holder' });
    graphBox.append(layer);
    try {
      const fresh = renderGraph(layer, parsed);
      holder?.remove();
      holder = layer;
      return fresh;
    } catch (e) {
      layer.remove();
      throw e;
    }
  }

  let typing;
  text.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(check, 300); });
  type.addEventListener('change', check);
  text.addEventListener('keydown', (e) => {
    if (e.key === 'Tab') {
      e.preventDefault();
      const { selectionStart: a, selectionEnd: b } = text;
      text.setRangeText('  ', a, b, 'end');
      text.dispatchEvent(new Event('input'));
    }
  });

  save.onclick = async () => {
    if (!valid) return;
    save.disabled = true;
    try {
      if (creating) {
        if (!name.value.trim()) throw Object.assign(new Error('Give the state machine a name'), { code: 'ValidationException' });
        const answer = await api.call('CreateStateMachine', {
          name: name.value.trim(), definition: text.value, roleArn: role.value, type: type.value, publish: publish.checked,
          ...(description.value ? { versionDescription: description.value } : {}),
        });
        toast(`Created ${name.value.trim()}`);
        location.hash = href('machines', answer.stateMachineArn);
      } else {
        const answer = await api.call('UpdateStateMachine', {
          stateMachineArn: arn, definition: text.value, roleArn: role.value, publish: publish.checked,
          ...(description.value && publish.checked ? { versionDescription: description.value } : {}),
        });
        toast(answer.stateMachineVersionArn ? `Saved and published version ${answer.stateMachineVersionArn.split(':').pop()}` : 'Saved');
        location.hash = href('machines', arn);
      }
    } catch (e) {
      toast(`${e.code}: ${e.message}`, 'error');
      save.disabled = false;
    }
  };

  if (machine) type.value = machine.type;
  const element = h('div', {},
    pageHeader(creating ? 'Create state machine' : `Edit ${machine.name}`, {
      crumbs: [{ text: 'State machines', href: '#/machines' }, ...(machine ? [{ text: machine.name, href: href('machines', arn) }] : []), { text: creating ? 'Create' : 'Edit' }],
      actions: [verdict, save],
    }),
    h('section', { class: 'panel' }, h('div', { class: 'filters' },
      creating ? h('label', {}, 'Name', name) : null,
      creating ? h('label', {}, 'Type', type) : null,
      h('label', {}, 'Role', role),
      h('label', {}, publish, 'Publish a version'), description)),
    h('div', { class: 'editor-layout' },
      h('div', {}, text, problems),
      graphBox));
  return { element, mounted: () => check(), dispose: () => graph?.destroy() };
}

function prettyIfJson(text) {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}
