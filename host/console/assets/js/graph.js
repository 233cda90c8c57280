// State-machine graph renderer for the Stepyard console.
//
// Draws an Amazon States Language definition the way the AWS Step Functions
// console does: Start and End terminals, one rounded box per state (name,
// then type and, for Tasks, the resource's short name), labelled Choice
// edges, dashed Catch edges, a "↻ Retry" marker on states with retriers, and
// Parallel / Map states as boxes holding their branches (recursively).
// Modules: graph/model.js (ASL -> nodes, boxes, edges), graph/labels.js
// (texts), graph/layout.js (dagre), graph/draw.js (SVG), graph/viewport.js
// (pan, zoom, clicks), graph/export.js (SVG/PNG). Link css/graph.css in the
// page before rendering: text is measured with its fonts (if the sheet is
// missing, it is linked here, but the first render measures without it).
//
// API
//
//   import { renderGraph, renderLegend, STATUS_LABELS } from './graph.js';
//
//   renderGraph(container, definition, options = {}) -> GraphView
//     container   an element; the graph's <svg> is appended to it and fills it
//                 (give the container a size).
//     definition  a parsed ASL object; throws an Error unless it is an object
//                 with a "StartAt" string and a "States" object.
//     options     { direction: 'TB' | 'LR' (default 'TB'),
//                   onSelect: (stateName | null) => void }
//                 Clicking (or Enter/Space on) a state selects it and calls
//                 onSelect(name); clicking anything else calls onSelect(null).
//
//   GraphView
//     svg                          the <svg> element
//     states()                     every state name, nested ones included, in definition order
//     setStatus(name, status, {retries})
//                                  status: one of Object.keys(STATUS_LABELS);
//                                  an unknown status throws. retries: a number;
//                                  > 0 shows a "↻ N" badge (class retry-badge, text N),
//                                  0 removes it, omitted leaves it as it was.
//                                  Returns false if there is no such state.
//     clearStatuses()              every state back to 'not-started', badges removed
//     select(name | null)          highlights one state (class "selected") without
//                                  calling onSelect; null clears. Returns false if unknown.
//     markDiagnostic(name, message)  red "!" marker whose <title> lists the messages
//                                  given for that state (they accumulate). Returns false if unknown.
//     clearDiagnostics()
//     fit()                        scales (at most 100%) and centres the whole graph
//                                  (done once drawn, and again on resizes until the
//                                  user pans or zooms)
//     zoom(factor)                 zooms around the centre of the view
//                                  (dragging pans, the wheel zooms around the pointer)
//     exportSvg() -> string        standalone SVG document, styles inlined
//     exportPng(scale = 2) -> Promise<Blob>   the same as PNG
//     destroy()                    removes the svg and all listeners
//
//   Every state element carries data-state="<name>", data-status="<status>"
//   and the class status-<status>. Parallel/Map states are their box.
//
//   STATUS_LABELS   { 'not-started': 'Not started', 'in-progress': 'In progress', … }
//   renderLegend(container) -> the legend element appended to container
//
// Strings from the definition only ever enter the DOM as text nodes.

import { assertDefinition, buildModel } from './graph/model.js';
import { layoutModel } from './graph/layout.js';
import { svgEl, createMeasurer, computeSizes, drawSkeleton, drawGraph, setRetryBadge, setDiagnostic, applyStatus, STATUSES } from './graph/draw.js';
import { createViewport } from './graph/viewport.js';
import { exportSvg, exportPng } from './graph/export.js';

export const STATUS_LABELS = Object.freeze({
  'not-started': 'Not started',
  'in-progress': 'In progress',
  succeeded: 'Succeeded',
  failed: 'Failed',
  'caught-error': 'Caught error',
  cancelled: 'Cancelled',
});

const HTML_NS = 'http://www.w3.org/1999/xhtml';
let instances = 0; // keeps marker ids unique when several graphs share a page

export function renderGraph(container, definition, options = {}) {
  if (!(container instanceof Element)) throw new Error('renderGraph: container must be a DOM element');
  assertDefinition(definition);
  const direction = options.direction ?? 'TB';
  if (direction !== 'TB' && direction !== 'LR') throw new Error(`renderGraph: direction must be 'TB' or 'LR', not ${String(direction)}`);
  const onSelect = typeof options.onSelect === 'function' ? options.onSelect : () => {};

  const model = buildModel(definition);

  // The svg goes into the page first: measuring text needs graph.css applied.
  const svg = svgEl('svg', { class: 'sy-graph', role: 'group', 'aria-label': 'State machine graph' });
  container.appendChild(svg);
  ensureStylesheet(svg);
  // The room the graph has, read while the svg is still empty: that layout
  // is cheap, and the graph can then be fitted before the browser first
  // lays out its texts (read later, they would be laid out at 100%, then
  // all again at the fitted scale).
  const room = { width: svg.clientWidth, height: svg.clientHeight };
  const sizes = computeSizes(model, createMeasurer(svg));
  const layout = layoutModel(model, sizes, direction);

  instances += 1;
  const arrowId = `sy-graph-${instances}-arrow`;
  const { viewportGroup, layers } = drawSkeleton(svg, arrowId);
  const elements = drawGraph(layers, model, sizes, layout, { arrowId, direction });
  const bounds = { width: layout.width, height: layout.height };

  let selected = null;
  const diagnostics = new Map(); // name -> [message]

  function select(name) {
    if (selected) {
      selected.group.classList.remove('selected');
      selected.group.removeAttribute('aria-pressed');
    }
    selected = name == null ? null : elements.get(String(name)) || null;
    if (selected) {
      selected.group.classList.add('selected');
      selected.group.setAttribute('aria-pressed', 'true');
      // Paint a node last so its thicker outline is not hidden under a
      // neighbour's badge. (Not a cluster: it would cover its own branches.)
      if (!selected.group.classList.contains('sy-cluster')) selected.group.parentNode.appendChild(selected.group);
    }
    return name == null || selected !== null;
  }

  function setStatus(name, status, opts = {}) {
    if (!STATUSES.includes(status)) {
      throw new Error(`setStatus: unknown status ${JSON.stringify(status)}; expected one of ${STATUSES.join(', ')}`);
    }
    const entry = elements.get(String(name));
    if (!entry) return false;
    applyStatus(entry, status);
    if (opts && 'retries' in opts) setRetryBadge(entry, Number(opts.retries));
    return true;
  }

  // Resolves a click to the state it landed on, if any.
  const activate = (target) => {
    const el = target instanceof Element ? target.closest('[data-state]') : null;
    const name = el && svg.contains(el) ? el.getAttribute('data-state') : null;
    select(name);
    onSelect(name);
  };
  const viewport = createViewport(svg, viewportGroup, bounds, activate);
  const onKeyDown = (ev) => {
    if ((ev.key === 'Enter' || ev.key === ' ') && ev.target instanceof Element && ev.target.hasAttribute('data-state')) {
      ev.preventDefault();
      activate(ev.target);
    }
  };
  svg.addEventListener('keydown', onKeyDown);
  viewport.fit(room);

  return {
    svg,
    states: () => [...model.states.keys()],
    setStatus,
    clearStatuses() {
      for (const name of elements.keys()) setStatus(name, 'not-started', { retries: 0 });
    },
    select,
    markDiagnostic(name, message) {
      const entry = elements.get(String(name));
      if (!entry) return false;
      const list = diagnostics.get(entry) || [];
      list.push(String(message));
      diagnostics.set(entry, list);
      setDiagnostic(entry, list);
      return true;
    },
    clearDiagnostics() {
      for (const entry of diagnostics.keys()) setDiagnostic(entry, []);
      diagnostics.clear();
    },
    fit: () => viewport.fit(),
    zoom: (factor) => viewport.zoom(Number(factor)),
    exportSvg: () => exportSvg(svg, bounds),
    exportPng: (scale = 2) => exportPng(svg, bounds, scale),
    destroy() {
      viewport.destroy();
      svg.removeEventListener('keydown', onKeyDown);
      svg.remove();
    },
  };
}

/** Draws the status legend (swatch + label per status) into `container`. */
export function renderLegend(container) {
  const list = document.createElementNS(HTML_NS, 'ul');
  list.className = 'sy-graph-legend';
  list.setAttribute('aria-label', 'Status legend');
  for (const [status, label] of Object.entries(STATUS_LABELS)) {
    const item = document.createElementNS(HTML_NS, 'li');
    const swatch = document.createElementNS(HTML_NS, 'span');
    swatch.className = `sy-legend-swatch status-${status}`;
    swatch.setAttribute('aria-hidden', 'true');
    item.append(swatch, document.createTextNode(label));
    item.dataset.status = status;
    list.appendChild(item);
  }
  container.appendChild(list);
  return list;
}

/**
 * graph.css sets --sy-graph-css on .sy-graph. If the page forgot the
 * stylesheet, link it from next to this module rather than draw unstyled
 * black shapes (text measured before it loads will be slightly off).
 */
function ensureStylesheet(svg) {
  if (getComputedStyle(svg).getPropertyValue('--sy-graph-css').trim()) return;
  const href = new URL('../css/graph.css', import.meta.url).href;
  if ([...document.querySelectorAll('link[rel="stylesheet"]')].some((l) => l.href === href)) return;
  const link = document.createElementNS(HTML_NS, 'link');
  link.rel = 'stylesheet';
  link.href = href;
  document.head.appendChild(link);
}
