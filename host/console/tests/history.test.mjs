// The console's reading of histories, on histories Stepyard recorded
// (`stepyard run --history`, see fixtures/). Run: node --test host/console/tests/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

import { readHistory, segments, stateSummaries, STATUS, isFailureEvent } from '../assets/js/model/history.js';
import { stateOfLocation } from '../assets/js/views/editor-location.js';

const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url)));

test('map iterations and parallel branches get lanes of their own', () => {
  const { definition, history, status } = fixture('map-parallel');
  const model = readHistory(history, definition, { executionStatus: status });
  assert.equal(model.execution.status, 'SUCCEEDED');
  const lanes = [...model.lanes.keys()].sort();
  assert.deepEqual(lanes, ['', 'Both[0]', 'Both[0]/EachItem#0', 'Both[0]/EachItem#1', 'Both[0]/EachItem#2', 'Both[1]']);
  const doubles = model.byState.get('Double');
  assert.equal(doubles.length, 3);
  assert.deepEqual(doubles.map((v) => v.lane), ['Both[0]/EachItem#0', 'Both[0]/EachItem#1', 'Both[0]/EachItem#2']);
  assert.deepEqual(doubles.map((v) => v.input), ['1', '2', '3']);
  // The Map and Parallel close in the lane they opened in, whatever their exit event links to.
  const both = model.byState.get('Both')[0];
  assert.equal(both.lane, '');
  assert.equal(both.status, STATUS.succeeded);
  assert.equal(model.byState.get('EachItem')[0].lane, 'Both[0]');
  assert.equal(model.byState.get('EachItem')[0].status, STATUS.succeeded);
  assert.equal(model.byState.get('EachItem')[0].iterations, 3);
  assert.deepEqual(model.byState.get('Note').map((v) => v.lane), ['Both[1]']);
  assert.deepEqual(model.lanes.get('').visits.map((v) => v.name), ['Prepare', 'Both', 'Done']);
  assert.equal(model.stateTransitions, 9); // Prepare, Both, EachItem, Double ×3, Pause, Note, Done
  for (const [, s] of stateSummaries(model)) assert.equal(s.status, STATUS.succeeded);
});

test('retried task attempts are counted, with the waits between them', () => {
  const { definition, history, status } = fixture('order-flaky');
  const model = readHistory(history, definition, { executionStatus: status });
  const pay = model.byState.get('ProcessPayment')[0];
  assert.equal(pay.attempts.length, 3);
  assert.deepEqual(pay.attempts.map((a) => a.outcome), ['failed', 'failed', 'succeeded']);
  assert.equal(pay.attempts[0].error, 'PaymentGatewayTimeout');
  assert.equal(pay.status, STATUS.succeeded);
  assert.equal(stateSummaries(model).get('ProcessPayment').retries, 2);
  assert.equal(stateSummaries(model).get('ShipOrder').retries, 0);
  const kinds = segments(pay, Date.now()).map((s) => s.kind);
  assert.deepEqual(kinds.filter((k) => k !== 'after'), ['attempt-failed', 'backoff', 'attempt-failed', 'backoff', 'attempt-ok']);
});

test('a caught error and a Fail state end in their own statuses', () => {
  const { definition, history, status } = fixture('order-declined');
  const model = readHistory(history, definition, { executionStatus: status });
  assert.equal(model.execution.status, 'FAILED');
  assert.equal(model.execution.error, 'OrderCancelled');
  const summaries = stateSummaries(model);
  assert.equal(summaries.get('ProcessPayment').status, STATUS.caught);
  assert.equal(summaries.get('CancelOrder').status, STATUS.succeeded);
  assert.equal(summaries.get('OrderCancelled').status, STATUS.failed);
  assert.equal(summaries.has('ShipOrder'), false, 'a state never entered has no summary (the graph shows it not started)');
  assert.ok(history.filter(isFailureEvent).some((e) => e.type === 'TaskFailed'));
});

test('a running execution shows its open state in progress', () => {
  const { definition, history } = fixture('order-flaky');
  const partial = history.slice(0, 12); // inside ProcessPayment's second attempt
  const model = readHistory(partial, definition, { executionStatus: 'RUNNING' });
  const pay = model.byState.get('ProcessPayment')[0];
  assert.equal(pay.status, STATUS.inProgress);
  assert.equal(pay.attempts.length, 2);
  assert.equal(pay.attempts[1].outcome, 'running');
  assert.equal(stateSummaries(model).get('PlaceOrder').status, STATUS.succeeded);
});

test('a diagnostic location names the state it is in', () => {
  assert.equal(stateOfLocation('/States/Charge/Retry/0/BackoffRate'), 'Charge');
  assert.equal(stateOfLocation('/States/P/Branches/0/States/Inner/Next'), 'Inner');
  assert.equal(stateOfLocation('/StartAt'), null);
});
