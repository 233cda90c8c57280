// Model -> positions, through dagre (vendored). The only place that knows
// dagre's API. Output coordinates are in SVG user units, origin top-left.
//
// Why not one compound dagre graph: dagre supports clusters, but pays for
// each one with border nodes on every rank it spans, and its cost grows
// with clusters x ranks (50 states in 20 nested Parallel/Map boxes took
// over a second). ASL makes a cheaper way exact: a transition never leaves
// its scope (the top level, a branch, a Map's item processor). So each
// scope is laid out as its own flat dagre graph, bottom-up, and a Parallel
// or Map is a single big node in its parent's graph, sized from its
// laid-out contents. Edges to it arrive at its box; edges from it leave
// from its exit dot. Parallel branches sit side by side inside the box.
//
// Everything below is written for top-to-bottom. For 'LR' dagre lays each
// scope out left-to-right, and composing a Parallel/Map box runs the same
// code on coordinates with x and y exchanged (see `swapXY`).

import dagre from '../../vendor/dagre/dagre.esm.js';

// Spacing tuned by eye: room for edge labels between ranks.
const GRAPH_OPTIONS = { nodesep: 28, edgesep: 14, ranksep: 36, rankalign: 'top' };
const OUTER_MARGIN = 24;

// Inside a Parallel/Map box (in top-to-bottom terms).
const BOX = {
  side: 16,        // box border to the branch boxes
  band: 7,         // padding above and below the header in the title band
  gapTop: 14,      // title band to the branch boxes
  gap: 16,         // between branch boxes
  exitGap: 18,     // branch boxes' bottom to the exit dot, and exit dot to the border
  minWidth: 160,
};
// Inside a branch box, around its laid-out contents.
const BRANCH = { side: 14, top: 8, bottom: 10 };

// dagre keeps heavy edges short and straight; Catch edges may bend.
const EDGE_WEIGHT = { catch: 1 };

/**
 * dagre's node ordering (crossing reduction) sweeps every rank at least
 * four times, building a graph per rank each time: over half of dagre's
 * time for a long chain of states (a 100-state chain: ~200 ranks), where
 * there is nothing to reorder. When every rank holds a single node (a
 * chain, including its edges' dummy nodes), that order is the only one and
 * is set directly: the same positions, without the sweeps. Otherwise
 * dagre's own ordering runs. (Plain chains skip dagre altogether, see
 * layoutChain; this still serves chains with labelled edges.)
 */
function orderNodes(g, order) {
  const ranks = new Set();
  for (const v of g.nodes()) {
    const { rank } = g.node(v);
    if (ranks.has(rank)) {
      order(g, {});
      return;
    }
    ranks.add(rank);
  }
  for (const v of g.nodes()) g.node(v).order = 0;
}

/**
 * @param model  from buildModel()
 * @param sizes  Map node id -> {width, height}; and edge id -> {width, height} for labelled edges
 * @param direction 'TB' | 'LR'
 * @returns {{width, height, nodes: Map, clusters: Map, edges: Map}}
 *   nodes: id -> {x, y, width, height} (centre), clusters: id -> {x, y, width, height, band}
 *   (top-left corner; band is the title band rectangle of a Parallel/Map),
 *   edges: id -> {points: [{x, y}], label: {x, y, width, height} | null}
 */
export function layoutModel(model, sizes, direction = 'TB') {
  const ctx = { model, sizes, direction, index: indexModel(model) };
  const piece = layoutScope(ctx, null, OUTER_MARGIN);
  return { width: piece.width, height: piece.height, nodes: piece.nodes, clusters: piece.clusters, edges: piece.edges };
}

/**
 * Lookups the recursion needs: members of each scope and cluster, and for an
 * edge endpoint, which node stands for it in its scope's dagre graph (a
 * Parallel/Map header or exit stands for the whole box).
 */
function indexModel(model) {
  const nodesIn = new Map();
  const clustersIn = new Map();
  const push = (map, key, value) => (map.has(key) ? map.get(key).push(value) : map.set(key, [value]));
  for (const n of model.nodes) push(nodesIn, n.parent, n);
  for (const c of model.clusters) push(clustersIn, c.parent, c);
  const nodeById = new Map(model.nodes.map((n) => [n.id, n]));
  const clusterById = new Map(model.clusters.map((c) => [c.id, c]));
  const inBox = (n) => n.kind === 'header' || n.kind === 'exit';
  // The dagre node an endpoint is drawn to, and the scope it lives in.
  const rep = (id) => (inBox(nodeById.get(id)) ? nodeById.get(id).parent : id);
  const scopeOf = (id) => {
    const n = nodeById.get(id);
    return inBox(n) ? clusterById.get(n.parent).parent : n.parent;
  };
  const edgesIn = new Map();
  const joinFrom = new Map();
  for (const e of model.edges) {
    // Joins (merge point -> exit) are drawn by the box that holds them.
    if (e.kind === 'join') joinFrom.set(e.from, e);
    else push(edgesIn, scopeOf(e.from), e);
  }
  return {
    nodesIn: (id) => nodesIn.get(id) || [],
    clustersIn: (id) => clustersIn.get(id) || [],
    edgesIn: (id) => edgesIn.get(id) || [],
    /** The join edge leaving the merge point of box `id`, if it has one. */
    joinOf: (id) => {
      const merge = (nodesIn.get(id) || []).find((n) => n.kind === 'merge');
      return merge ? joinFrom.get(merge.id) : undefined;
    },
    rep,
  };
}

/**
 * The nodes of `g` in order if it is a simple chain (each node with at most
 * one edge in and one out, all linked in one line, no edge labels), else
 * null. Most scopes of real machines are: a run of states one after the
 * other, a Map's or a branch's few states.
 */
export function chainOf(g) {
  const nodes = g.nodes();
  const edges = g.edges();
  if (edges.length !== nodes.length - 1) return null;
  const next = new Map();
  const hasIn = new Set();
  for (const e of edges) {
    const label = g.edge(e);
    if (e.v === e.w || next.has(e.v) || hasIn.has(e.w) || label.width || label.height) return null;
    next.set(e.v, e);
    hasIn.add(e.w);
  }
  const heads = nodes.filter((v) => !hasIn.has(v));
  if (heads.length !== 1) return null;
  const order = [heads[0]];
  while (next.has(order[order.length - 1])) order.push(next.get(order[order.length - 1]).w);
  return order.length === nodes.length ? { order, next } : null;
}

/**
 * What dagre.layout() gives a simple chain, computed directly: dagre takes
 * tens of milliseconds over its ~200 ranks for a 100-state chain (ranking,
 * ordering, Brandes-Köpf), to put the nodes on one line. The arithmetic is
 * dagre's, step for step, so the numbers are the same (layout.test.mjs
 * checks it against dagre on chains of many sizes, both directions):
 * - every edge spans two ranks (dagre doubles edge lengths and halves
 *   ranksep to make room for labels), with an empty dummy rank between;
 * - with one node per rank, 'top' alignment puts a node's top edge where
 *   its rank starts, and all nodes share one centre line across the flow;
 * - an edge runs from its source's border through the dummy to its target's.
 * Written top-to-bottom; for 'LR', dagre swaps width and height before and
 * x and y after, and so does this.
 */
export function layoutChain(g, { order, next }) {
  const graph = g.graph();
  const lr = graph.rankdir === 'LR';
  const half = graph.ranksep / 2;
  const along = (n) => (lr ? n.width : n.height);
  // Along the flow, as dagre's positionY: each rank starts where the last
  // ended, plus the (halved) rank separation.
  const pos = new Map(); // node -> {a: centre along, dummy: the dummy's position along}
  let start = 0;
  for (const v of order) {
    const n = g.node(v);
    const a = start + along(n) / 2;
    start += along(n) + half;
    pos.set(v, { a, dummy: start });
    start += 0 + half; // the dummy rank: height 0
  }
  // Across: Brandes-Köpf puts a chain on one line, at 0. Then dagre's
  // translateGraph, on final (x, y) coordinates: the widest node's edge
  // moves to the margin.
  const point = (a, c) => (lr ? { x: a, y: c } : { x: c, y: a });
  let minX = Infinity;
  let maxX = 0;
  let minY = Infinity;
  let maxY = 0;
  for (const v of order) {
    const n = g.node(v);
    const { x, y } = point(pos.get(v).a, 0);
    minX = Math.min(minX, x - n.width / 2);
    maxX = Math.max(maxX, x + n.width / 2);
    minY = Math.min(minY, y - n.height / 2);
    maxY = Math.max(maxY, y + n.height / 2);
  }
  minX -= graph.marginx;
  minY -= graph.marginy;
  for (const v of order) {
    const n = g.node(v);
    const { x, y } = point(pos.get(v).a, 0);
    n.x = x - minX;
    n.y = y - minY;
  }
  graph.width = maxX - minX + graph.marginx;
  graph.height = maxY - minY + graph.marginy;
  // Each edge: source border, dummy, target border (dagre's intersectRect
  // on a straight line).
  for (const v of order) {
    const e = next.get(v);
    if (!e) continue;
    const from = g.node(e.v);
    const to = g.node(e.w);
    const d = point(pos.get(v).dummy, 0);
    const dummy = { x: d.x - minX, y: d.y - minY };
    g.edge(e).points = lr
      ? [{ x: from.x + from.width / 2, y: from.y }, dummy, { x: to.x - to.width / 2, y: to.y }]
      : [{ x: from.x, y: from.y + from.height / 2 }, dummy, { x: to.x, y: to.y - to.height / 2 }];
  }
}

/**
 * Lays out one scope (`scopeId` null for the top level, else a branch or
 * item-processor box) as a flat dagre graph, its Parallel/Map states as
 * single boxes. Returns a "piece": its size and everything inside it, in
 * coordinates local to it.
 */
function layoutScope(ctx, scopeId, margin) {
  const { index, sizes } = ctx;
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: ctx.direction, ...GRAPH_OPTIONS, marginx: margin, marginy: margin });
  g.setDefaultEdgeLabel(() => ({}));

  const boxes = new Map(); // cluster id -> its piece
  for (const c of index.clustersIn(scopeId)) {
    const piece = layoutBox(ctx, c);
    boxes.set(c.id, piece);
    g.setNode(c.id, { width: piece.width, height: piece.height });
  }
  for (const n of index.nodesIn(scopeId)) {
    const size = sizes.get(n.id);
    g.setNode(n.id, { width: size.width, height: size.height });
  }
  const scopeEdges = index.edgesIn(scopeId);
  for (const e of scopeEdges) {
    const label = sizes.get(e.id);
    g.setEdge(index.rep(e.from), index.rep(e.to), {
      width: label ? label.width : 0,
      height: label ? label.height : 0,
      labelpos: 'c',
      weight: EDGE_WEIGHT[e.kind] ?? 2,
    }, e.id);
  }

  const chain = chainOf(g);
  if (chain) layoutChain(g, chain);
  else dagre.layout(g, { customOrder: orderNodes });

  const piece = { width: g.graph().width, height: g.graph().height, nodes: new Map(), clusters: new Map(), edges: new Map() };
  for (const n of index.nodesIn(scopeId)) {
    const d = g.node(n.id);
    piece.nodes.set(n.id, { x: d.x, y: d.y, width: d.width, height: d.height });
  }
  for (const [id, inner] of boxes) {
    const d = g.node(id);
    place(piece, inner, d.x - d.width / 2, d.y - d.height / 2);
  }
  for (const e of scopeEdges) {
    const d = g.edge({ v: index.rep(e.from), w: index.rep(e.to), name: e.id });
    let points = d.points.map((p) => ({ x: p.x, y: p.y }));
    // A line into a merge point ends at its very centre, where the line on
    // to the exit starts: dagre's end on its tiny border would leave a jog.
    if (e.kind === 'merge') points[points.length - 1] = centre(piece.nodes.get(e.to));
    const fromBox = boxes.has(index.rep(e.from)) ? piece.clusters.get(index.rep(e.from)) : null;
    if (fromBox) points = leaveFromExit(points, fromBox, piece.nodes.get(e.from), ctx.direction);
    const label = e.label && Number.isFinite(d.x) ? { x: d.x, y: d.y, ...sizes.get(e.id) } : null;
    piece.edges.set(e.id, { points, label });
  }
  return piece;
}

/**
 * Lays out a Parallel or Map state: title band, its branch boxes side by
 * side (each a scope laid out by layoutScope, all stretched to one height),
 * and the exit dot below them that the branches' join lines lead to.
 */
function layoutBox(ctx, c) {
  const { index, sizes } = ctx;
  const flip = ctx.direction === 'LR' ? swapXY : (r) => r;
  const inner = index.clustersIn(c.id).map((b) => ({ box: b, piece: layoutScope(ctx, b.id, 0) }));

  // From here on, top-to-bottom terms ("height" is along the flow).
  const header = flip(sizes.get(c.header));
  const bandHeight = header.height + 2 * BOX.band;
  const sized = inner.map(({ piece }) => flip({
    width: piece.width + 2 * BRANCH.side,
    height: piece.height + BRANCH.top + BRANCH.bottom,
  }));
  const rowWidth = sized.reduce((sum, s) => sum + s.width, 0) + BOX.gap * Math.max(0, sized.length - 1);
  const rowHeight = Math.max(0, ...sized.map((s) => s.height));
  const width = Math.max(BOX.minWidth, header.width + 2 * BOX.side, rowWidth + 2 * BOX.side);
  const rowTop = bandHeight + BOX.gapTop;
  const rowBottom = rowTop + (sized.length ? rowHeight : 0);
  const exitNode = flip(sizes.get(c.exit));
  const exit = { x: width / 2, y: rowBottom + BOX.exitGap, width: exitNode.width, height: exitNode.height };
  const height = exit.y + exitNode.height / 2 + BOX.exitGap;

  const piece = { ...flip({ width, height }), nodes: new Map(), clusters: new Map(), edges: new Map() };
  piece.clusters.set(c.id, { ...flip({ x: 0, y: 0, width, height }), band: flip({ x: 0, y: 0, width, height: bandHeight }) });
  piece.nodes.set(c.header, flip({ x: width / 2, y: bandHeight / 2, width: header.width, height: header.height }));
  piece.nodes.set(c.exit, flip(exit));

  let x = (width - rowWidth) / 2;
  inner.forEach(({ box, piece: contents }, i) => {
    const rect = { x, y: rowTop, width: sized[i].width, height: rowHeight };
    x += sized[i].width + BOX.gap;
    piece.clusters.set(box.id, { ...flip(rect), band: null });
    // Contents sit at the top (LR: left) of their box, centred across it.
    const across = (rect.width - flip({ width: contents.width, height: contents.height }).width) / 2;
    const offset = flip({ x: rect.x + across, y: rect.y + BRANCH.top });
    place(piece, contents, offset.x, offset.y);
    // The join line runs straight down the (stretched) box and out of its
    // bottom to the exit dot.
    const join = index.joinOf(box.id);
    if (join) {
      const m = flip(piece.nodes.get(join.from));
      const bottom = rect.y + rect.height;
      piece.edges.set(join.id, {
        points: [m, { x: m.x, y: bottom - 6 }, { x: m.x, y: bottom }, { x: exit.x, y: exit.y - exit.height / 2 }].map(flip),
        label: null,
      });
    }
  });
  return piece;
}

/**
 * A line leaving a Parallel/Map box starts at its exit dot rather than
 * wherever dagre put it on the border: it drops straight out of the box,
 * then follows dagre's route. (A line leaving sideways or upwards, which
 * only loops do, keeps dagre's start.)
 */
function leaveFromExit(points, box, exit, direction) {
  const flip = direction === 'LR' ? swapXY : (r) => r;
  const b = flip(box);
  const e = flip(exit);
  const pts = points.map(flip);
  const bottom = b.y + b.height;
  if (Math.abs(pts[0].y - bottom) > 1) return points;
  const start = [{ x: e.x, y: e.y + e.height / 2 }, { x: e.x, y: bottom }];
  return [...start, ...pts.slice(1)].map(flip);
}

/** Copies everything in `piece` into `into`, moved by (dx, dy). */
function place(into, piece, dx, dy) {
  const move = (r) => ({ ...r, x: r.x + dx, y: r.y + dy });
  for (const [id, n] of piece.nodes) into.nodes.set(id, move(n));
  for (const [id, c] of piece.clusters) into.clusters.set(id, { ...move(c), band: c.band ? move(c.band) : null });
  for (const [id, e] of piece.edges) {
    into.edges.set(id, { points: e.points.map(move), label: e.label ? move(e.label) : null });
  }
}

const centre = (n) => ({ x: n.x, y: n.y });

/** The same rectangle, size or point with x and y exchanged (LR seen as TB). */
function swapXY(r) {
  const out = { ...r };
  if ('x' in r) { out.x = r.y; out.y = r.x; }
  if ('width' in r) { out.width = r.height; out.height = r.width; }
  return out;
}
