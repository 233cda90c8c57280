// layoutChain() against dagre itself: it claims dagre's numbers for a
// simple chain, exactly. Run: node --test host/console/tests/
import { test } from 'node:test';
import assert from 'node:assert/strict';

import dagre from '../assets/vendor/dagre/dagre.esm.js';
import { chainOf, layoutChain } from '../assets/js/graph/layout.js';

/** A chain of `sizes.length` nodes, with layout.js's graph settings. */
function chain(sizes, rankdir, margin) {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir, nodesep: 28, edgesep: 14, ranksep: 36, rankalign: 'top', marginx: margin, marginy: margin });
  g.setDefaultEdgeLabel(() => ({}));
  // Added out of order, as a scope's nodes may be.
  const ids = sizes.map((_, i) => `n${i}`);
  for (const i of [...ids.keys()].reverse()) g.setNode(ids[i], { width: sizes[i][0], height: sizes[i][1] });
  for (let i = 0; i + 1 < ids.length; i += 1) {
    g.setEdge(ids[i], ids[i + 1], { width: 0, height: 0, labelpos: 'c', weight: 2 }, `e${i}`);
  }
  return g;
}

const result = (g) => ({
  width: g.graph().width,
  height: g.graph().height,
  nodes: g.nodes().map((v) => [v, g.node(v).x, g.node(v).y]),
  edges: g.edges().map((e) => [e.name, g.edge(e).points]),
});

test('a chain is laid out as dagre lays it out', () => {
  let seed = 1;
  const random = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  for (let round = 0; round < 60; round += 1) {
    // Node sizes as the graph has them: whole numbers, and boxes with halves.
    const sizes = Array.from({ length: 1 + random(30) }, () => [40 + random(300) + random(2) / 2, 10 + random(200) + random(2) / 2]);
    for (const rankdir of ['TB', 'LR']) {
      const margin = random(2) ? 24 : 0;
      const expected = chain(sizes, rankdir, margin);
      dagre.layout(expected);
      const actual = chain(sizes, rankdir, margin);
      layoutChain(actual, chainOf(actual));
      assert.deepEqual(result(actual), result(expected), `${rankdir} ${JSON.stringify(sizes)}`);
    }
  }
});

test('only simple chains without labels count as chains', () => {
  const g = chain([[10, 10], [10, 10], [10, 10]], 'TB', 0);
  assert.deepEqual(chainOf(g).order, ['n0', 'n1', 'n2']);
  g.setEdge('n0', 'n2', { width: 0, height: 0 }, 'skip');
  assert.equal(chainOf(g), null, 'a node with two edges out');
  const loop = chain([[10, 10], [10, 10]], 'TB', 0);
  loop.setEdge('n1', 'n0', { width: 0, height: 0 }, 'back');
  assert.equal(chainOf(loop), null, 'a cycle');
  const labelled = chain([[10, 10], [10, 10]], 'TB', 0);
  labelled.edge({ v: 'n0', w: 'n1', name: 'e0' }).width = 30;
  assert.equal(chainOf(labelled), null, 'an edge with a label');
  const apart = chain([[10, 10], [10, 10], [10, 10], [10, 10]], 'TB', 0);
  apart.removeEdge('n1', 'n2', 'e1');
  apart.setEdge('n3', 'n2', { width: 0, height: 0 }, 'x');
  assert.equal(chainOf(apart), null, 'two pieces');
});
