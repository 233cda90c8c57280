// SVG drawing: node sizes (from measured text) before layout, then the
// elements after it. Every string from the definition goes in through
// textContent / createTextNode only.

export const SVG_NS = 'http://www.w3.org/2000/svg';

/** Creates an SVG element with attributes, appended to `parent` if given. */
export function svgEl(tag, attrs = {}, parent = null) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (parent) parent.appendChild(el);
  return el;
}

/** A <text> (or <title>) holding `content` as a text node: never parsed as markup. */
function textEl(tag, content, attrs, parent) {
  const el = svgEl(tag, attrs, parent);
  el.textContent = content;
  return el;
}

/** Adds a tooltip to `parent`; the <title> must be its first child to apply to it. */
export function addTitle(parent, content) {
  const title = document.createElementNS(SVG_NS, 'title');
  title.textContent = content;
  parent.insertBefore(title, parent.firstChild);
  return title;
}

// ---- sizes ---------------------------------------------------------------

// Geometry in user units. The fonts themselves come from graph.css (read
// back through probe elements), so changing a font size there re-measures.
const NODE = { padX: 14, minWidth: 128, maxText: 240, height: 46, nameY: -8, typeY: 11 };
const HEADER = { height: 40, nameY: -7, typeY: 10, padX: 14 };
const TERMINAL = { padX: 16, height: 28 };
const CAPTION = { padX: 6, height: 16 };
const EXIT = { size: 10 };
const LABEL = { padX: 6, height: 18, maxChars: 40 };
const RETRY_MARKER = { icon: 11, padX: 5, gap: 6, height: 15 };

const TEXT_CLASSES = {
  name: 'node-name', type: 'node-type', terminal: 'terminal-text', caption: 'cluster-caption',
  label: 'edge-label-text', marker: 'retry-marker-text',
};

/**
 * Text measurement with the fonts graph.css gives each text class. Canvas
 * measureText is far cheaper than laying out SVG text, and a cache makes
 * repeated strings ("Pass", "Default") free.
 */
export function createMeasurer(svg) {
  const probeGroup = svgEl('g', { class: 'measure-probe', visibility: 'hidden' }, svg);
  const fonts = {};
  for (const [key, cls] of Object.entries(TEXT_CLASSES)) {
    const probe = svgEl('text', { class: cls }, probeGroup);
    const cs = getComputedStyle(probe);
    fonts[key] = `${cs.fontStyle} ${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
  }
  probeGroup.remove();
  const ctx = document.createElement('canvas').getContext('2d');
  return fittingMeasurer((text, kind) => {
    ctx.font = fonts[kind];
    return ctx.measureText(text).width;
  });
}

/**
 * `{measure, fit}` over a raw `width(text, kind)`: measurements cached, and
 * `fit` shortening a text with an ellipsis until it fits. The console passes
 * the page's canvas; `stepyard graph` passes estimated font metrics.
 */
export function fittingMeasurer(width) {
  const cache = new Map();
  const measure = (text, kind) => {
    const key = kind + '\u0000' + text;
    let w = cache.get(key);
    if (w === undefined) {
      w = width(text, kind);
      cache.set(key, w);
    }
    return w;
  };
  /** `text` shortened with an ellipsis until it fits in `max` units. */
  const fit = (text, kind, max) => {
    if (measure(text, kind) <= max) return text;
    let lo = 0;
    let hi = text.length;
    while (lo < hi) { // longest prefix whose ellipsised form fits
      const mid = Math.ceil((lo + hi) / 2);
      if (measure(text.slice(0, mid) + '…', kind) <= max) lo = mid; else hi = mid - 1;
    }
    return text.slice(0, lo) + '…';
  };
  return { measure, fit };
}

/**
 * Computes each node's size and display texts (truncated to fit) and each
 * labelled edge's label box. Returns Map id -> {width, height, ...texts}.
 */
export function computeSizes(model, { measure, fit }) {
  const sizes = new Map();
  const markerWidth = RETRY_MARKER.icon + measure('Retry', 'marker') + 2 * RETRY_MARKER.padX;
  for (const n of model.nodes) {
    switch (n.kind) {
      case 'state':
      case 'header':
      case 'missing': {
        const nameText = fit(n.kind === 'missing' ? n.name : n.name, 'name', NODE.maxText);
        const second = n.kind === 'missing' ? 'missing state' : n.typeLine;
        const extra = n.retry ? markerWidth + RETRY_MARKER.gap : 0;
        const typeText = fit(second, 'type', NODE.maxText - extra);
        const row2 = measure(typeText, 'type') + extra;
        const width = Math.max(NODE.minWidth, Math.max(measure(nameText, 'name'), row2) + 2 * NODE.padX);
        sizes.set(n.id, { width: Math.ceil(width), height: n.kind === 'header' ? HEADER.height : NODE.height,
          nameText, typeText, row2, markerWidth });
        break;
      }
      case 'start':
      case 'end':
        sizes.set(n.id, { width: Math.ceil(measure(n.text, 'terminal') + 2 * TERMINAL.padX), height: TERMINAL.height });
        break;
      case 'caption':
        sizes.set(n.id, { width: Math.ceil(measure(n.text, 'caption') + 2 * CAPTION.padX), height: CAPTION.height });
        break;
      case 'exit':
        sizes.set(n.id, { width: EXIT.size, height: EXIT.size });
        break;
      case 'merge':
        sizes.set(n.id, { width: 2, height: 2 });
        break;
      default:
        throw new Error(`unknown node kind ${n.kind}`);
    }
  }
  for (const e of model.edges) {
    if (!e.label) continue;
    const text = fit(e.label, 'label', 280);
    sizes.set(e.id, { width: Math.ceil(measure(text, 'label') + 2 * LABEL.padX), height: LABEL.height, text });
  }
  return sizes;
}

// ---- drawing -------------------------------------------------------------

/** The curve d3 calls curveBasis: smooth, through the first and last point. */
export function basisPath(points) {
  if (points.length === 0) return '';
  const f = (n) => Math.round(n * 10) / 10;
  if (points.length < 3) return `M${points.map((p) => `${f(p.x)},${f(p.y)}`).join('L')}`;
  let d = `M${f(points[0].x)},${f(points[0].y)}`;
  let [x0, y0] = [points[0].x, points[0].y];
  let [x1, y1] = [points[1].x, points[1].y];
  d += `L${f((5 * x0 + x1) / 6)},${f((5 * y0 + y1) / 6)}`;
  const bezier = (x, y) => {
    d += `C${f((2 * x0 + x1) / 3)},${f((2 * y0 + y1) / 3)} ${f((x0 + 2 * x1) / 3)},${f((y0 + 2 * y1) / 3)} ${f((x0 + 4 * x1 + x) / 6)},${f((y0 + 4 * y1 + y) / 6)}`;
  };
  for (let i = 2; i < points.length; i += 1) {
    const { x, y } = points[i];
    bezier(x, y);
    [x0, y0, x1, y1] = [x1, y1, x, y];
  }
  bezier(x1, y1);
  d += `L${f(x1)},${f(y1)}`;
  return d;
}

/** A small clockwise-arrow icon (↻) centred on (cx, cy), drawn as paths so no font is needed. */
function retryIcon(parent, cx, cy, cls) {
  const g = svgEl('g', { class: cls, transform: `translate(${cx},${cy})` }, parent);
  svgEl('path', { d: 'M2.9,-2.4 A3.7,3.7 0 1 1 -2.9,-2.4', class: 'retry-icon-arc' }, g);
  svgEl('path', { d: 'M-4.6,-4.9 L-0.9,-3.9 L-3.7,-0.9 Z', class: 'retry-icon-head' }, g);
  return g;
}

/**
 * The arrowhead (as marker `arrowId`) and the layer groups, in paint order,
 * inside a `viewport` group that pans and zooms. Returns {viewportGroup, layers}.
 */
export function drawSkeleton(parent, arrowId) {
  const defs = svgEl('defs', {}, parent);
  const marker = svgEl('marker', { id: arrowId, viewBox: '0 0 10 10', refX: 9, refY: 5,
    markerWidth: 9, markerHeight: 9, markerUnits: 'userSpaceOnUse', orient: 'auto' }, defs);
  svgEl('path', { class: 'edge-arrow', d: 'M0,1 L10,5 L0,9 Z' }, marker);
  const viewportGroup = svgEl('g', { class: 'viewport' }, parent);
  const layers = {};
  for (const name of ['clusters', 'edges', 'labels', 'nodes']) layers[name] = svgEl('g', { class: `layer-${name}` }, viewportGroup);
  return { viewportGroup, layers };
}

/**
 * Draws everything into `layers` ({clusters, edges, labels, nodes} <g>s).
 * Returns Map stateName -> {group, box} where box is the element's outline
 * rectangle in the group's coordinates (badges and markers hang on it).
 */
export function drawGraph(layers, model, sizes, layout, { arrowId, direction }) {
  const stateElements = new Map();
  const register = (name, group, box, isDuplicate) => {
    if (!isDuplicate && !stateElements.has(name)) stateElements.set(name, { group, box });
  };
  const nodeById = new Map(model.nodes.map((n) => [n.id, n]));

  // Outer clusters first so inner boxes paint over them.
  const clusters = [...model.clusters].sort((a, b) => a.depth - b.depth);
  for (const c of clusters) {
    const box = layout.clusters.get(c.id);
    if (c.kind === 'parallel' || c.kind === 'map') {
      const header = nodeById.get(c.header);
      const g = drawStateCluster(layers.clusters, c, header, layout.nodes.get(c.header), box, sizes.get(c.header), direction);
      register(c.name, g, { x: box.x, y: box.y, width: box.width, height: box.height }, c.header !== `s:${c.name}`);
    } else {
      const g = svgEl('g', { class: `sy-cluster cluster-${c.kind}` }, layers.clusters);
      svgEl('rect', { class: 'cluster-box', x: box.x, y: box.y, width: box.width, height: box.height, rx: 6 }, g);
    }
  }

  for (const e of model.edges) {
    const { points, label } = layout.edges.get(e.id);
    const path = svgEl('path', { class: `sy-edge edge-${e.kind}`, d: basisPath(points) }, layers.edges);
    // Lines into a branch's merge point or a cluster's exit dot are joins,
    // not transitions: no arrowhead (the line out of the dot has one).
    if (e.kind !== 'merge' && e.kind !== 'join') path.setAttribute('marker-end', `url(#${arrowId})`);
    if (e.label && label) {
      const size = sizes.get(e.id);
      const g = svgEl('g', { class: `sy-edge-label edge-${e.kind}`, transform: `translate(${label.x},${label.y})` }, layers.labels);
      addTitle(g, e.title || e.label);
      svgEl('rect', { x: -size.width / 2, y: -size.height / 2, width: size.width, height: size.height, rx: 3 }, g);
      textEl('text', size.text, { class: 'edge-label-text', 'text-anchor': 'middle', 'dominant-baseline': 'central' }, g);
      addTitle(path, e.title || e.label);
    }
  }

  for (const n of model.nodes) {
    const pos = layout.nodes.get(n.id);
    const size = sizes.get(n.id);
    if (n.kind === 'header') continue; // drawn as its cluster's title band
    if (n.kind === 'state' || n.kind === 'missing') {
      const g = drawStateNode(layers.nodes, n, pos, size);
      if (n.kind === 'state') register(n.name, g, { x: -pos.width / 2, y: -pos.height / 2, width: pos.width, height: pos.height }, n.id !== `s:${n.name}`);
    } else if (n.kind === 'start' || n.kind === 'end') {
      const g = svgEl('g', { class: `sy-terminal terminal-${n.kind}`, transform: `translate(${pos.x},${pos.y})` }, layers.nodes);
      svgEl('rect', { x: -pos.width / 2, y: -pos.height / 2, width: pos.width, height: pos.height, rx: pos.height / 2 }, g);
      textEl('text', n.text, { class: 'terminal-text', 'text-anchor': 'middle', 'dominant-baseline': 'central' }, g);
    } else if (n.kind === 'caption') {
      const g = svgEl('g', { class: 'sy-caption', transform: `translate(${pos.x},${pos.y})` }, layers.nodes);
      addTitle(g, n.title);
      textEl('text', n.text, { class: 'cluster-caption', 'text-anchor': 'middle', 'dominant-baseline': 'central' }, g);
    } else if (n.kind === 'exit') {
      svgEl('circle', { class: 'sy-exit', cx: pos.x, cy: pos.y, r: 4 }, layers.nodes);
    }
  }
  return stateElements;
}

/** The common attributes that make an element stand for a state. */
function markAsState(g, name, type) {
  g.setAttribute('data-state', name);
  g.setAttribute('data-status', 'not-started');
  g.setAttribute('tabindex', '0');
  g.setAttribute('role', 'button');
  g.setAttribute('aria-label', `${name} (${type})`);
  g.classList.add('sy-state', 'status-not-started', `type-${String(type).toLowerCase().replace(/[^a-z0-9-]/g, '')}`);
}

function drawStateNode(parent, n, pos, size) {
  const g = svgEl('g', { class: n.kind === 'missing' ? 'sy-node sy-missing' : 'sy-node', transform: `translate(${pos.x},${pos.y})` }, parent);
  if (n.kind === 'state') markAsState(g, n.name, n.type);
  addTitle(g, n.title);
  svgEl('rect', { class: 'node-box', x: -pos.width / 2, y: -pos.height / 2, width: pos.width, height: pos.height, rx: 6 }, g);
  drawTwoLines(g, n, size, 0, NODE.nameY, NODE.typeY);
  return g;
}

/**
 * Name on the first line; type (and the retry marker, if any) on the second.
 * Centred on x, or (align 'start') starting at x.
 */
function drawTwoLines(g, n, size, x, nameY, typeY, align = 'middle') {
  textEl('text', size.nameText, { class: 'node-name', x, y: nameY, 'text-anchor': align, 'dominant-baseline': 'central' }, g);
  const left = align === 'start' ? x : x - size.row2 / 2;
  const typeWidth = size.row2 - (n.retry ? size.markerWidth + RETRY_MARKER.gap : 0);
  textEl('text', size.typeText, { class: 'node-type', x: left + typeWidth / 2, y: typeY, 'text-anchor': 'middle', 'dominant-baseline': 'central' }, g);
  if (n.retry) {
    const mx = left + typeWidth + RETRY_MARKER.gap;
    const marker = svgEl('g', { class: 'retry-marker', transform: `translate(${mx},${typeY})` }, g);
    addTitle(marker, n.retry);
    svgEl('rect', { x: 0, y: -RETRY_MARKER.height / 2, width: size.markerWidth, height: RETRY_MARKER.height, rx: RETRY_MARKER.height / 2 }, marker);
    retryIcon(marker, RETRY_MARKER.padX + RETRY_MARKER.icon / 2 - 1, 0.5, 'retry-icon');
    textEl('text', 'Retry', { class: 'retry-marker-text', x: RETRY_MARKER.padX + RETRY_MARKER.icon, y: 0, 'dominant-baseline': 'central' }, marker);
  }
}

/** A Parallel or Map: the box, its title band with name and type, marked as the state. */
function drawStateCluster(parent, c, header, headerPos, box, size, direction) {
  const g = svgEl('g', { class: `sy-cluster cluster-${c.kind}` }, parent);
  markAsState(g, c.name, header.type);
  addTitle(g, header.title);
  svgEl('rect', { class: 'cluster-box', x: box.x, y: box.y, width: box.width, height: box.height, rx: 8 }, g);
  const b = box.band;
  svgEl('path', { class: 'cluster-band', d: bandPath(b, 8, direction) }, g);
  // The band's inner edge gets a hairline so the title reads as a header.
  if (direction === 'LR') {
    svgEl('line', { class: 'cluster-band-rule', x1: b.x + b.width, y1: b.y, x2: b.x + b.width, y2: b.y + b.height }, g);
  } else {
    svgEl('line', { class: 'cluster-band-rule', x1: b.x, y1: b.y + b.height, x2: b.x + b.width, y2: b.y + b.height }, g);
  }
  // TB: the title sits at the band's left, like a panel heading, so it reads
  // the same wherever dagre made the incoming line arrive. LR: the band is a
  // column, and the title is centred in it at the height where lines arrive.
  const lines = svgEl('g', {}, g);
  if (direction === 'LR') {
    lines.setAttribute('transform', `translate(0,${headerPos.y})`);
    drawTwoLines(lines, header, size, b.x + b.width / 2, HEADER.nameY, HEADER.typeY);
  } else {
    lines.setAttribute('transform', `translate(0,${b.y + b.height / 2})`);
    drawTwoLines(lines, header, size, b.x + HEADER.padX, HEADER.nameY, HEADER.typeY, 'start');
  }
  return g;
}

/** A rectangle with the two corners on the box's outer side rounded. */
function bandPath(b, r, direction) {
  const { x, y, width: w, height: h } = b;
  if (direction === 'LR') {
    return `M${x + w},${y} L${x + r},${y} Q${x},${y} ${x},${y + r} L${x},${y + h - r} Q${x},${y + h} ${x + r},${y + h} L${x + w},${y + h} Z`;
  }
  return `M${x},${y + h} L${x},${y + r} Q${x},${y} ${x + r},${y} L${x + w - r},${y} Q${x + w},${y} ${x + w},${y + r} L${x + w},${y + h} Z`;
}

/** Statuses a state element can show (graph.css colours each). */
export const STATUSES = Object.freeze(['not-started', 'in-progress', 'succeeded', 'failed', 'caught-error', 'cancelled']);

/** Marks a state element with `status` (one of STATUSES). */
export function applyStatus(entry, status) {
  const g = entry.group;
  for (const s of STATUSES) g.classList.remove(`status-${s}`);
  g.classList.add(`status-${status}`);
  g.setAttribute('data-status', status);
}

/** Shows, updates or (count <= 0) removes the "↻ N" retry badge on a state element. */
export function setRetryBadge(entry, count) {
  const old = entry.group.querySelector(':scope > .retry-badge-wrap');
  if (old) old.remove();
  if (!(count > 0)) return;
  const n = String(Math.floor(count));
  const { box } = entry;
  const width = 24 + n.length * 7;
  const height = 18;
  const wrap = svgEl('g', { class: 'retry-badge-wrap',
    transform: `translate(${box.x + box.width - width + 8},${box.y - height / 2 - 1})` }, entry.group);
  // The tooltip sits outside .retry-badge so that element's text is just the number.
  addTitle(wrap, `Retried ${n} time${n === '1' ? '' : 's'}`);
  const badge = svgEl('g', { class: 'retry-badge', 'data-retries': n }, wrap);
  svgEl('rect', { class: 'retry-badge-box', x: 0, y: 0, width, height, rx: height / 2 }, badge);
  retryIcon(badge, 9.5, height / 2 + 0.5, 'retry-badge-icon');
  textEl('text', n, { class: 'retry-badge-text', x: 16, y: height / 2, 'dominant-baseline': 'central' }, badge);
}

/** Adds (or extends) the red diagnostic marker on a state element. */
export function setDiagnostic(entry, messages) {
  const old = entry.group.querySelector(':scope > .diagnostic-marker');
  if (old) old.remove();
  entry.group.classList.toggle('has-diagnostic', messages.length > 0);
  if (messages.length === 0) return;
  const { box } = entry;
  const g = svgEl('g', { class: 'diagnostic-marker', transform: `translate(${box.x + 2},${box.y + 2})` }, entry.group);
  addTitle(g, messages.join('\n'));
  svgEl('circle', { r: 8 }, g);
  textEl('text', '!', { class: 'diagnostic-text', 'text-anchor': 'middle', 'dominant-baseline': 'central', y: 0.5 }, g);
}
