// ASL definition -> a flat graph model (nodes, clusters, edges) that the
// layout and drawing steps consume. No DOM, no dagre here.
//
// Ids: a state's node id is 's:' + its name (names are unique across the
// whole machine, nested graphs included). Everything synthetic (Start, End,
// cluster headers/exits, branch captions, boxes, placeholders for missing
// targets) gets an 'x:' id, so a state called "Start" or "End" cannot clash.
//
// Parallel and Map states become clusters (boxes). Each holds a header node
// (its entry: transitions into the state end there; drawn as the box's
// title band, and the element that stands for the state) and an exit node
// (the dot at its bottom that transitions out of it leave from). Each
// branch (or the Map's item processor) is an inner box: a scope of its own,
// whose caption node ("Branch 1", "Map iterations") starts the branch's flow
// and whose merge point gathers its terminal states ('merge' edges, drawn
// without arrowheads) before one 'join' edge leads on to the exit.

import { choiceRuleLabel, catchLabel, retrySummary, typeLine, truncate } from './labels.js';

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

const START_ID = 'x:start';
const END_ID = 'x:end';

/**
 * @typedef {{id: string, kind: 'state'|'start'|'end'|'header'|'exit'|'caption'|'merge'|'missing',
 *   parent: string|null, name?: string, type?: string, typeLine?: string,
 *   retry?: string|null, title?: string, text?: string}} ModelNode
 * @typedef {{id: string, kind: 'parallel'|'map'|'branch'|'iterations', parent: string|null,
 *   name?: string, label?: string, header?: string, exit?: string, caption?: string, depth: number}} ModelCluster
 * @typedef {{id: string, from: string, to: string, kind: 'next'|'choice'|'default'|'catch'|'start'|'end'|'branch'|'merge'|'join',
 *   label?: string, title?: string}} ModelEdge
 */

/** Throws unless `definition` looks like a state machine at all. */
export function assertDefinition(definition) {
  if (!isObject(definition) || !isObject(definition.States) || typeof definition.StartAt !== 'string') {
    throw new Error('a state machine definition must be an object with a "StartAt" string and a "States" object');
  }
}

/** Builds the model of a whole definition. */
export function buildModel(definition) {
  assertDefinition(definition);
  const model = {
    nodes: [], clusters: [], edges: [],
    /** state name -> {nodeId (the element that stands for it), clusterId?} */
    states: new Map(),
    nextId: 0,
  };
  model.nodes.push({ id: START_ID, kind: 'start', parent: null, text: 'Start' });
  model.nodes.push({ id: END_ID, kind: 'end', parent: null, text: 'End' });
  buildScope(model, definition, { parent: null, depth: 0, startFrom: START_ID, endAt: END_ID });
  delete model.nextId;
  return model;
}

function synthId(model) {
  model.nextId += 1;
  return `x:${model.nextId}`;
}

/**
 * Adds the states of one scope (the top level, a branch, an item processor)
 * inside cluster `ctx.parent`, plus the edges between them, from
 * `ctx.startFrom` to StartAt, and from terminal states to `ctx.endAt`.
 */
function buildScope(model, scope, ctx) {
  const states = isObject(scope.States) ? scope.States : {};
  // name -> {entry, exit}: where edges into / out of that state attach.
  const local = new Map();
  const missing = new Map();

  for (const [name, state] of Object.entries(states)) {
    local.set(name, addState(model, name, isObject(state) ? state : {}, ctx));
  }

  // A transition to an unknown name gets a placeholder node so the mistake is visible.
  const entryOf = (target) => {
    if (local.has(target)) return local.get(target).entry;
    if (!missing.has(target)) {
      const id = synthId(model);
      model.nodes.push({ id, kind: 'missing', parent: ctx.parent, name: target,
        title: `${target}\n(no state with this name)` });
      missing.set(target, id);
    }
    return missing.get(target);
  };
  const edge = (from, to, kind, extra = {}) =>
    model.edges.push({ id: synthId(model), from, to, kind, ...extra });

  if (typeof scope.StartAt === 'string') edge(ctx.startFrom, entryOf(scope.StartAt), ctx.startKind || 'start');

  for (const [name, raw] of Object.entries(states)) {
    const state = isObject(raw) ? raw : {};
    const from = local.get(name).exit;
    if (state.Type === 'Choice') {
      (Array.isArray(state.Choices) ? state.Choices : []).forEach((rule, i) => {
        if (isObject(rule) && typeof rule.Next === 'string') {
          edge(from, entryOf(rule.Next), 'choice', choiceRuleLabel(rule, i));
        }
      });
      if (typeof state.Default === 'string') {
        edge(from, entryOf(state.Default), 'default', { label: 'Default', title: 'Default' });
      }
    } else if (typeof state.Next === 'string') {
      edge(from, entryOf(state.Next), 'next');
    }
    if (state.End === true || state.Type === 'Succeed' || state.Type === 'Fail') {
      edge(from, ctx.endAt, ctx.endKind || 'end');
    }
    if (Array.isArray(state.Catch)) {
      for (const catcher of state.Catch) {
        if (isObject(catcher) && typeof catcher.Next === 'string') {
          edge(from, entryOf(catcher.Next), 'catch', catchLabel(catcher));
        }
      }
    }
  }
}

/** Adds one state (recursing into Parallel/Map); returns where its edges attach. */
function addState(model, name, state, ctx) {
  const type = typeof state.Type === 'string' ? state.Type : 'Unknown';
  const id = `s:${name}`;
  // Names are unique per the spec; if a broken definition repeats one, the
  // second copy is still drawn but only the first answers to its name.
  const duplicate = model.states.has(name);
  const common = {
    name, type, typeLine: typeLine(state), retry: retrySummary(state.Retry),
    title: nodeTitle(name, state),
  };

  const inner = type === 'Parallel' ? parallelScopes(state)
    : type === 'Map' ? mapScopes(state) : null;
  if (!inner) {
    const nodeId = duplicate ? synthId(model) : id;
    model.nodes.push({ id: nodeId, kind: 'state', parent: ctx.parent, ...common });
    if (!duplicate) model.states.set(name, { nodeId });
    return { entry: nodeId, exit: nodeId };
  }

  // The header carries the state's id, so clicks and statuses find it.
  const clusterId = synthId(model);
  const headerId = duplicate ? synthId(model) : id;
  const exitId = synthId(model);
  model.clusters.push({ id: clusterId, kind: type === 'Map' ? 'map' : 'parallel', parent: ctx.parent,
    name, header: headerId, exit: exitId, depth: ctx.depth });
  model.nodes.push({ id: headerId, kind: 'header', parent: clusterId, ...common,
    title: common.title + (inner.itemsTitle ? `\n${inner.itemsTitle}` : '') });
  model.nodes.push({ id: exitId, kind: 'exit', parent: clusterId });
  if (!duplicate) model.states.set(name, { nodeId: headerId, clusterId });

  inner.scopes.forEach((scope, i) => {
    const boxId = synthId(model);
    const captionId = synthId(model);
    const boxExitId = synthId(model);
    model.clusters.push({ id: boxId, kind: type === 'Map' ? 'iterations' : 'branch', parent: clusterId,
      label: inner.labels[i], caption: captionId, depth: ctx.depth + 1 });
    model.nodes.push({ id: captionId, kind: 'caption', parent: boxId, text: inner.labels[i],
      title: inner.captionTitles ? inner.captionTitles[i] : inner.labels[i] });
    // The branch's terminal states converge on a merge point at the bottom
    // of its own box, and one line leads from there to the cluster's exit.
    const before = model.edges.length;
    buildScope(model, scope, {
      parent: boxId, depth: ctx.depth + 2,
      startFrom: captionId, startKind: 'branch',
      endAt: boxExitId, endKind: 'merge',
    });
    // A branch with no terminal state (empty, or looping forever) has
    // nothing to merge: no point, no line to the exit.
    if (model.edges.slice(before).some((e) => e.to === boxExitId)) {
      model.nodes.push({ id: boxExitId, kind: 'merge', parent: boxId });
      model.edges.push({ id: synthId(model), from: boxExitId, to: exitId, kind: 'join' });
    }
  });
  return { entry: headerId, exit: exitId };
}

function parallelScopes(state) {
  const branches = Array.isArray(state.Branches) ? state.Branches : [];
  return {
    scopes: branches.map((b) => (isObject(b) ? b : {})),
    labels: branches.map((_, i) => `Branch ${i + 1}`),
  };
}

function mapScopes(state) {
  const processor = isObject(state.ItemProcessor) ? state.ItemProcessor
    : isObject(state.Iterator) ? state.Iterator : {};
  let itemsTitle = null;
  if (state.ItemsPath !== undefined) itemsTitle = `ItemsPath: ${stringify(state.ItemsPath)}`;
  else if (state.Items !== undefined) itemsTitle = `Items: ${stringify(state.Items)}`;
  if (itemsTitle && state.MaxConcurrency !== undefined) itemsTitle += `\nMaxConcurrency: ${stringify(state.MaxConcurrency)}`;
  return {
    scopes: [processor], labels: ['Map iterations'], itemsTitle,
    captionTitles: [itemsTitle ? `Map iterations\n${itemsTitle}` : 'Map iterations'],
  };
}

function stringify(value) {
  return truncate(typeof value === 'string' ? value : JSON.stringify(value), 200);
}

/** Tooltip of a state: name, type line, and its Comment if any. */
function nodeTitle(name, state) {
  const lines = [name, typeLine(state)];
  if (state.Type === 'Task' && typeof state.Resource === 'string') lines.push(state.Resource);
  if (typeof state.Comment === 'string' && state.Comment) lines.push(state.Comment);
  return lines.join('\n');
}
