// A state machine's graph as a standalone SVG document, without a browser:
// what `stepyard graph` writes (it runs this module in an embedded QuickJS).
// The model, layout and drawing are the console's own modules, so the file
// shows what the console's graph view shows, statuses and retry badges
// included when an execution's history is given. Only the text metrics
// differ: estimated (text-metrics.js) rather than measured.

import { assertDefinition, buildModel } from './model.js';
import { layoutModel } from './layout.js';
import { svgEl, fittingMeasurer, computeSizes, drawSkeleton, drawGraph, setRetryBadge, applyStatus } from './draw.js';
import { createHeadlessDocument } from './headless-dom.js';
import { estimateWidth } from './text-metrics.js';
import { readHistory, stateSummaries } from '../model/history.js';

/**
 * @param definition  a parsed ASL object
 * @param options     { css: graph.css's text, direction: 'TB' | 'LR',
 *                      events: GetExecutionHistory's events (oldest first) or null,
 *                      executionStatus: the execution's status when events are given }
 * @returns the SVG document as a string
 */
export function renderSvgDocument(definition, options = {}) {
  assertDefinition(definition);
  const { css = '', direction = 'TB', events = null, executionStatus = null } = options;
  if (direction !== 'TB' && direction !== 'LR') throw new Error(`direction must be TB or LR, not ${String(direction)}`);
  // draw.js creates its elements through the global `document`, and dagre
  // copies graph labels (plain data) with structuredClone, which QuickJS lacks.
  globalThis.document = createHeadlessDocument();
  globalThis.structuredClone ??= (value) => JSON.parse(JSON.stringify(value));

  const model = buildModel(definition);
  const sizes = computeSizes(model, fittingMeasurer(estimateWidth));
  const layout = layoutModel(model, sizes, direction);
  const width = Math.ceil(layout.width);
  const height = Math.ceil(layout.height);

  const svg = svgEl('svg', { xmlns: 'http://www.w3.org/2000/svg', width, height, viewBox: `0 0 ${width} ${height}` });
  svgEl('style', {}, svg).textContent = css;
  svgEl('rect', { x: 0, y: 0, width, height, fill: '#ffffff' }, svg);
  // graph.css scopes everything under .sy-graph; a group carries it here so
  // the stylesheet's width and cursor rules for the console's <svg> do not
  // size this document.
  const root = svgEl('g', { class: 'sy-graph' }, svg);
  const { layers } = drawSkeleton(root, 'sy-graph-arrow');
  const elements = drawGraph(layers, model, sizes, layout, { arrowId: 'sy-graph-arrow', direction });

  if (events) {
    const run = readHistory(events, definition, { executionStatus });
    for (const [name, summary] of stateSummaries(run)) {
      const entry = elements.get(name);
      if (!entry) continue; // a state the history names but this definition lacks
      applyStatus(entry, summary.status);
      setRetryBadge(entry, summary.retries);
    }
  }
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + svg.serialize() + '\n';
}
