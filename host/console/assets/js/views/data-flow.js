// "Data flow": how a state's input became its output, step by step
// (InputPath → Parameters → result → ResultSelector → ResultPath →
// OutputPath, or Arguments → result → Output for JSONata), as TestState's
// inspection data shows it.
//
// The steps are not in the history, so the state is run again through
// TestState with the input it had, in virtual time, and its task answered
// by a mock holding the result the task really gave (or the error it
// raised): nothing is called again. States that run other states (Map,
// Parallel) are not replayed, since their inner tasks cannot be mocked
// one by one.

import * as api from '../api.js';
import { codeBlock, h, replace } from '../dom.js';

const JSONPATH_STEPS = [
  ['input', 'Input', null],
  ['afterInputPath', 'After InputPath', 'InputPath'],
  ['afterParameters', 'After Parameters', 'Parameters'],
  ['result', 'Task result', null],
  ['afterResultSelector', 'After ResultSelector', 'ResultSelector'],
  ['afterResultPath', 'After ResultPath', 'ResultPath'],
];
const JSONATA_STEPS = [
  ['input', 'Input', null],
  ['afterArguments', 'After Arguments', 'Arguments'],
  ['result', 'Task result', null],
];

export function dataFlow({ visit, state, model }) {
  const host = h('div', { class: 'flow', 'data-testid': 'data-flow' });
  if (!visit || !state) return host;
  const button = h('button', { type: 'button', class: 'small', 'data-action': 'data-flow' }, 'Show data flow');
  replace(host, h('h3', {}, 'Data flow'), button);
  button.onclick = async () => {
    button.disabled = true;
    try {
      replace(host, h('h3', {}, 'Data flow'), await render(visit, state, model));
    } catch (e) {
      replace(host, h('h3', {}, 'Data flow'), h('div', { class: 'error-text' }, `${e.code || 'Error'}: ${e.message}`));
    }
  };
  return host;
}

async function render(visit, state, model) {
  if (state.Type === 'Map' || state.Type === 'Parallel') {
    return h('div', { class: 'muted' }, 'Map and Parallel states are not replayed (their inner tasks would run again).');
  }
  const jsonata = (state.QueryLanguage || model.definition?.QueryLanguage) === 'JSONata';
  const definition = { ...state };
  if (jsonata && !definition.QueryLanguage) definition.QueryLanguage = 'JSONata';
  const request = {
    definition: JSON.stringify(definition),
    stateName: visit.name,
    input: visit.input ?? '{}',
    inspectionLevel: 'DEBUG',
  };
  if (state.Type === 'Task') {
    const last = visit.attempts[visit.attempts.length - 1];
    if (!last || last.outcome === 'running') {
      return h('div', { class: 'muted' }, 'The task has not answered yet.');
    }
    request.mock = last.outcome === 'succeeded'
      ? { result: last.output ?? 'null' }
      : { errorOutput: { error: last.error || 'States.TaskFailed', cause: last.cause || '' } };
  }
  const answer = await api.call('TestState', request);
  const data = answer.inspectionData || {};
  const steps = jsonata ? JSONATA_STEPS : JSONPATH_STEPS;
  const out = [];
  for (const [field, label, setting] of steps) {
    if (data[field] === undefined) continue;
    const written = setting && state[setting] !== undefined ? JSON.stringify(state[setting]) : null;
    out.push(h('div', { class: 'step-name', 'data-step': field }, label, written ? h('span', { class: 'muted mono' }, ` (${setting}: ${written.length > 80 ? `${written.slice(0, 80)}…` : written})`) : null));
    out.push(codeBlock(data[field]));
  }
  if (answer.error) {
    out.push(h('div', { class: 'step-name' }, 'Error'), h('div', { class: 'error-text' }, `${answer.error}: ${answer.cause || ''}`));
  }
  const setting = jsonata ? 'Output' : 'OutputPath';
  out.push(h('div', { class: 'step-name', 'data-step': 'output' }, jsonata ? 'Output' : 'After OutputPath (the state output)',
    state[setting] !== undefined ? h('span', { class: 'muted mono' }, ` (${setting}: ${JSON.stringify(state[setting])})`) : null));
  out.push(codeBlock(answer.output ?? visit.output));
  out.push(h('div', { class: 'muted small' },
    'Replayed with TestState in virtual time; the task was answered with its recorded result. Variables and the context object are TestState\'s, not the execution\'s.'));
  return h('div', {}, out);
}
