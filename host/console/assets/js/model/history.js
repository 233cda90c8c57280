// An execution's history (GetExecutionHistory's events) read as the console
// shows it: which states ran, in which Map iteration or Parallel branch,
// when, how each attempt of a task went, and with what status.
//
// Pure functions over plain data (no DOM), so they run under `node --test`.
//
// Where an event belongs: events of concurrent Map iterations and Parallel
// branches interleave, so position in the list says nothing. Each event
// names the event before it in its own strand (`previousEventId`); a strand
// starts at a `MapIterationStarted` (its iteration) or `ParallelStateStarted`
// (the branch its first state belongs to) and ends at the iteration's or the
// branch's end event. Following those links gives every event a *lane*:
// "" for the top level, `Map#3` for iteration 3 of the Map state `Map`,
// `Par[1]` for the second branch of `Par`, nested as `Par[1]/Inner#0`.

/** Statuses a state (or one visit of it) can have, as the graph colours them. */
export const STATUS = Object.freeze({
  notStarted: 'not-started',
  inProgress: 'in-progress',
  succeeded: 'succeeded',
  failed: 'failed',
  caught: 'caught-error',
  cancelled: 'cancelled',
});

const END_OF_ATTEMPT = {
  TaskSucceeded: 'succeeded', TaskFailed: 'failed', TaskTimedOut: 'timed-out',
  TaskStartFailed: 'failed', TaskSubmitFailed: 'failed',
  LambdaFunctionSucceeded: 'succeeded', LambdaFunctionFailed: 'failed', LambdaFunctionTimedOut: 'timed-out',
  LambdaFunctionScheduleFailed: 'failed', LambdaFunctionStartFailed: 'failed',
  ActivitySucceeded: 'succeeded', ActivityFailed: 'failed', ActivityTimedOut: 'timed-out',
  ActivityScheduleFailed: 'failed',
};
const START_OF_ATTEMPT = new Set(['TaskScheduled', 'LambdaFunctionScheduled', 'ActivityScheduled']);
const RUNNING_OF_ATTEMPT = new Set(['TaskStarted', 'LambdaFunctionStarted', 'ActivityStarted']);
const STATE_FAILURES = new Set(['ParallelStateFailed', 'MapStateFailed', 'EvaluationFailed', 'FailStateEntered',
  'ExecutionFailed']);
const BRANCH_ENDS = new Set(['ParallelStateSucceeded', 'ParallelStateFailed', 'ParallelStateAborted']);
const ITERATION_EVENTS = new Set(['MapIterationStarted', 'MapIterationSucceeded', 'MapIterationFailed', 'MapIterationAborted']);
const MAP_ENDS = new Set(['MapStateSucceeded', 'MapStateFailed', 'MapStateAborted']);

/** The `…EventDetails` object of an event, whatever its type. */
export function details(event) {
  // for…in rather than Object.entries: called for every event, and the
  // arrays that built were a third of readHistory's time on long histories.
  for (const key in event) {
    if (!key.endsWith('EventDetails')) continue;
    const value = event[key];
    if (value && typeof value === 'object') return value;
  }
  return {};
}

/** Epoch milliseconds of an event's timestamp (the API gives epoch seconds, or a date string). */
export function millis(timestamp) {
  if (typeof timestamp === 'number') return timestamp < 1e11 ? Math.round(timestamp * 1000) : timestamp;
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? 0 : t;
}

/** The lane one level up: `Par[1]/Inner#0` → `Par[1]`. */
function parentLane(lane) {
  const i = lane.lastIndexOf('/');
  return i < 0 ? '' : lane.slice(0, i);
}

/**
 * For a definition, which branch of which Parallel each state starts in:
 * `Map name → {parallel, branch}` for the states directly inside a branch.
 */
export function branchIndex(definition) {
  const out = new Map();
  const walk = (states) => {
    for (const [name, state] of Object.entries(states || {})) {
      if (state?.Type === 'Parallel') {
        (state.Branches || []).forEach((branch, i) => {
          for (const inner of Object.keys(branch?.States || {})) out.set(inner, { parallel: name, branch: i });
          walk(branch?.States);
        });
      } else if (state?.Type === 'Map') {
        walk((state.ItemProcessor || state.Iterator)?.States);
      }
    }
  };
  walk(definition?.States);
  return out;
}

/** The state types of a definition by state name (all levels). */
export function stateTypes(definition) {
  const out = new Map();
  const walk = (states) => {
    for (const [name, state] of Object.entries(states || {})) {
      out.set(name, state?.Type);
      for (const branch of state?.Branches || []) walk(branch?.States);
      walk((state?.ItemProcessor || state?.Iterator)?.States);
    }
  };
  walk(definition?.States);
  return out;
}

/**
 * Reads a history into a run model:
 * `{execution: {status, start, end, input, output, error, cause, redrives},
 *   visits: [Visit], byState: Map(name → [Visit]), lanes: Map(lane → {parent, label, visits}),
 *   events, laneOf: Map(event id → lane), stateTransitions, definition}`.
 * A Visit is one entry into a state: `{key, name, type, lane, enteredId, exitedId, start, end,
 * input, output, attempts: [{scheduled, started, end, outcome, error, cause, output}], error, cause,
 * status, events: [ids]}`.
 * `definition` (parsed ASL) places Parallel branches; without it they show as branch `?`.
 */
export function readHistory(events, definition = null, { executionStatus = null } = {}) {
  const branches = branchIndex(definition);
  const types = stateTypes(definition);
  const byId = new Map();
  const lanes = new Map([['', { lane: '', parent: null, label: 'Execution', visits: [], index: null }]]);
  const visits = [];
  const openVisit = new Map(); // lane → visit currently entered in it
  const parallelNameOf = new Map(); // ParallelStateStarted id → the Parallel's name
  const laneOf = new Map(); // event id → its lane
  const iterationLaneOf = new Map(); // MapIteration* event id → the iteration's lane
  const execution = { status: executionStatus || 'RUNNING', start: null, end: null, input: null, output: null,
    error: null, cause: null, redrives: 0 };
  let stateTransitions = 0;

  const ensureLane = (lane, label, index) => {
    if (!lanes.has(lane)) lanes.set(lane, { lane, parent: parentLane(lane), label, visits: [], index });
    return lane;
  };

  for (const event of events) {
    byId.set(event.id, event);
    const prev = byId.get(event.previousEventId);
    const d = details(event);
    let lane = prev ? laneOf.get(prev.id) ?? '' : '';

    // Events that close (or open) an iteration or a branch link back from
    // inside it: walk up to the lane where the Map or Parallel is open.
    const climbTo = (found) => {
      while (lane && !(openVisit.get(lane) && found(openVisit.get(lane)))) lane = parentLane(lane);
    };
    if (event.type.endsWith('StateExited')) {
      // A Map's or Parallel's exit links to its last inner event.
      climbTo((v) => v.name === d.name);
    } else if (ITERATION_EVENTS.has(event.type)) {
      climbTo((v) => v.name === d.name);
      iterationLaneOf.set(event.id, ensureLane(`${lane ? `${lane}/` : ''}${d.name}#${d.index}`, `${d.name} #${d.index}`, d.index));
    } else if (MAP_ENDS.has(event.type)) {
      climbTo((v) => v.type === 'Map');
    } else if (BRANCH_ENDS.has(event.type)) {
      climbTo((v) => v.type === 'Parallel');
    } else if (prev?.type === 'MapIterationStarted') {
      lane = iterationLaneOf.get(prev.id);
    } else if (prev?.type === 'ParallelStateStarted' && event.type.endsWith('StateEntered')) {
      const place = branches.get(d.name);
      const name = parallelNameOf.get(prev.id) || place?.parallel || '?';
      const index = place ? place.branch : '?';
      lane = ensureLane(`${lane ? `${lane}/` : ''}${name}[${index}]`, `${name} branch ${index === '?' ? '?' : index + 1}`, index);
    }
    laneOf.set(event.id, lane);
    const time = millis(event.timestamp);

    switch (event.type) {
      case 'ExecutionStarted':
        execution.start = time;
        execution.input = d.input ?? null;
        break;
      case 'ExecutionSucceeded':
      case 'ExecutionFailed':
      case 'ExecutionTimedOut':
      case 'ExecutionAborted': {
        execution.end = time;
        execution.status = { ExecutionSucceeded: 'SUCCEEDED', ExecutionFailed: 'FAILED', ExecutionTimedOut: 'TIMED_OUT',
          ExecutionAborted: 'ABORTED' }[event.type];
        execution.output = d.output ?? execution.output;
        execution.error = d.error ?? null;
        execution.cause = d.cause ?? null;
        break;
      }
      case 'ExecutionRedriven':
        execution.redrives = d.redriveCount ?? execution.redrives + 1;
        execution.end = null;
        execution.status = executionStatus || 'RUNNING';
        break;
      default:
        break;
    }

    if (event.type.endsWith('StateEntered')) {
      stateTransitions += 1;
      const type = types.get(d.name) || event.type.replace(/StateEntered$/, '');
      const laneInfo = lanes.get(lane) || lanes.get(ensureLane(lane, lane, null));
      const visit = {
        key: `${lane}/${d.name}@${event.id}`, name: d.name, type, lane, enteredId: event.id, exitedId: null,
        start: time, end: null, input: d.input ?? null, output: null, attempts: [], error: null, cause: null,
        status: STATUS.inProgress, events: [event.id], children: [],
      };
      visits.push(visit);
      laneInfo.visits.push(visit);
      openVisit.set(lane, visit);
      if (event.type === 'FailStateEntered') {
        visit.status = STATUS.failed;
      }
      continue;
    }

    const visit = openVisit.get(lane);
    if (event.type === 'ParallelStateStarted' && visit) parallelNameOf.set(event.id, visit.name);
    if (event.type === 'MapIterationStarted' && visit) visit.children.push(iterationLaneOf.get(event.id));
    if (event.type === 'ParallelStateStarted' && visit) visit.parallelStartId = event.id;
    if (!visit) continue;
    visit.events.push(event.id);

    if (START_OF_ATTEMPT.has(event.type)) {
      visit.attempts.push({ scheduled: time, started: null, end: null, outcome: 'running', error: null, cause: null,
        output: null, resource: d.resource || d.resourceType ? `${d.resourceType ? `${d.resourceType}:` : ''}${d.resource || ''}` : null });
    } else if (RUNNING_OF_ATTEMPT.has(event.type)) {
      const attempt = visit.attempts[visit.attempts.length - 1];
      if (attempt) attempt.started = time;
    } else if (event.type in END_OF_ATTEMPT) {
      let attempt = visit.attempts[visit.attempts.length - 1];
      if (!attempt || attempt.end !== null) {
        attempt = { scheduled: time, started: null, end: null, outcome: 'running', error: null, cause: null, output: null };
        visit.attempts.push(attempt);
      }
      attempt.end = time;
      attempt.outcome = END_OF_ATTEMPT[event.type];
      attempt.error = d.error ?? (attempt.outcome === 'timed-out' ? 'States.Timeout' : null);
      attempt.cause = d.cause ?? null;
      attempt.output = d.output ?? null;
      if (attempt.outcome !== 'succeeded') {
        visit.error = attempt.error;
        visit.cause = attempt.cause;
      } else {
        visit.error = null;
        visit.cause = null;
      }
    } else if (STATE_FAILURES.has(event.type)) {
      visit.error = d.error ?? visit.error;
      visit.cause = d.cause ?? visit.cause;
      if (event.type !== 'ExecutionFailed' || visit.status === STATUS.inProgress) visit.failedHere = true;
    } else if (event.type === 'MapStateStarted') {
      visit.iterations = d.length ?? null;
    } else if (event.type.endsWith('StateExited')) {
      visit.exitedId = event.id;
      visit.end = time;
      visit.output = d.output ?? null;
      openVisit.delete(lane);
      const lastAttempt = visit.attempts[visit.attempts.length - 1];
      const failedLast = lastAttempt && lastAttempt.outcome !== 'succeeded';
      visit.status = failedLast || visit.failedHere ? STATUS.caught : STATUS.succeeded;
      if (visit.status === STATUS.succeeded) {
        visit.error = null;
        visit.cause = null;
      }
    }
  }

  // What did not exit: failed where the execution failed, cancelled where it
  // stopped, in progress while it runs.
  const ended = execution.end !== null;
  for (const visit of visits) {
    if (visit.exitedId !== null) continue;
    if (visit.type === 'Fail' || visit.failedHere) {
      visit.status = STATUS.failed;
    } else if (!ended) {
      visit.status = STATUS.inProgress;
    } else if (execution.status === 'FAILED' && (visit.error || visit.attempts.some((a) => a.outcome !== 'succeeded' && a.outcome !== 'running'))) {
      visit.status = STATUS.failed;
    } else if (execution.status === 'FAILED' && visit.type !== 'Parallel' && visit.type !== 'Map') {
      visit.status = visit.error ? STATUS.failed : STATUS.cancelled;
    } else if (execution.status === 'FAILED') {
      visit.status = STATUS.failed;
    } else {
      visit.status = STATUS.cancelled;
    }
    if (visit.end === null && ended) visit.end = execution.end;
  }

  const byState = new Map();
  for (const visit of visits) {
    if (!byState.has(visit.name)) byState.set(visit.name, []);
    byState.get(visit.name).push(visit);
  }
  return { execution, visits, byState, lanes, events, laneOf, stateTransitions, definition };
}

const PRIORITY = [STATUS.inProgress, STATUS.failed, STATUS.caught, STATUS.cancelled, STATUS.succeeded];

/**
 * One status per state for the graph (a state visited many times, in a loop
 * or in every Map iteration, shows the most telling one: in progress, then
 * failed, caught, cancelled, succeeded) and its retries (failed attempts
 * followed by another attempt, over all its visits).
 */
export function stateSummaries(model) {
  const out = new Map();
  for (const [name, visits] of model.byState) {
    const status = PRIORITY.find((s) => visits.some((v) => v.status === s)) || STATUS.notStarted;
    const retries = visits.reduce((n, v) => n + Math.max(0, v.attempts.length - 1), 0);
    out.set(name, { status, retries, visits: visits.length });
  }
  return out;
}

/**
 * The timeline segments of one visit, for the table view: each attempt
 * (`attempt-ok` / `attempt-failed`, or `running`), the waits between
 * attempts (`backoff`), or one segment for a state without attempts.
 * Times are epoch milliseconds; `now` closes what is still open.
 */
export function segments(visit, now) {
  const end = visit.end ?? now;
  if (!visit.attempts.length) {
    return [{ kind: visit.status === STATUS.inProgress ? 'running' : `state-${visit.status}`, from: visit.start, to: end }];
  }
  const out = [];
  let cursor = visit.start;
  visit.attempts.forEach((attempt, i) => {
    if (i > 0 && attempt.scheduled > cursor) out.push({ kind: 'backoff', from: cursor, to: attempt.scheduled });
    const to = attempt.end ?? end;
    const kind = attempt.outcome === 'running' ? 'running' : attempt.outcome === 'succeeded' ? 'attempt-ok' : 'attempt-failed';
    out.push({ kind, from: attempt.scheduled, to, attempt: i + 1, error: attempt.error });
    cursor = to;
  });
  if (visit.end !== null && visit.end > cursor) out.push({ kind: 'after', from: cursor, to: visit.end });
  return out;
}

/** Whether an event marks a failure (the events view colours those). */
export function isFailureEvent(event) {
  return /Failed$|TimedOut$|Aborted$/.test(event.type) || event.type === 'FailStateEntered';
}
