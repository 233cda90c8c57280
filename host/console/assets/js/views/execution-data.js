// What the execution page shows, read from the server: kept apart from the
// page's code (and importing nothing heavy) so that app.js can send these
// requests while that code is still loading.

import * as api from '../api.js';

/** GetExecutionHistory's largest page. */
const HISTORY_PAGE = 1000;
/** Events read at most (the page would be unusable long before). */
const HISTORY_LIMIT = 25_000;

/**
 * `{description, forExecution, events}` of an execution: its
 * DescribeExecution, its DescribeStateMachineForExecution and its whole
 * history, asked for all at once.
 */
export async function loadExecution(arn) {
  const [description, forExecution, events] = await Promise.all([
    api.call('DescribeExecution', { executionArn: arn }),
    api.call('DescribeStateMachineForExecution', { executionArn: arn }),
    readAllHistory(arn),
  ]);
  return { description, forExecution, events };
}

/**
 * Every event of an execution, in order. Stepyard's `nextToken` is the id
 * of the last event given (the page's refresh counts on it too) and ids
 * count from 1, so the second page is asked for together with the first
 * rather than after it: up to 2,000 events in one round trip instead of
 * two. (Under 1,000 events the second answer is empty and cheap.) It is
 * used only when the first page's token is exactly that id; any other
 * token is followed one page after the other.
 */
async function readAllHistory(arn) {
  const body = { executionArn: arn, maxResults: HISTORY_PAGE };
  const guess = String(HISTORY_PAGE);
  const [first, second] = await Promise.all([
    api.call('GetExecutionHistory', body),
    api.call('GetExecutionHistory', { ...body, nextToken: guess }).catch(() => null),
  ]);
  const events = first.events || [];
  let next = first.nextToken;
  if (next === guess && second) {
    events.push(...(second.events || []));
    next = second.nextToken;
  }
  while (next && events.length < HISTORY_LIMIT) {
    const page = await api.call('GetExecutionHistory', { ...body, nextToken: next });
    events.push(...(page.events || []));
    next = page.nextToken;
  }
  return events;
}
