// Pan and zoom: one transform on the viewport <g>, driven by fit(), zoom(),
// background dragging and the wheel. Also tells a click from a drag, so the
// caller gets clean "clicked this element" callbacks.

const MIN_SCALE = 0.05;
const MAX_SCALE = 4;
const DRAG_THRESHOLD = 4; // px of movement before a press becomes a pan

/**
 * @param svg       the <svg>
 * @param viewport  the <g> holding the drawing
 * @param bounds    {width, height} of the drawing in user units
 * @param onClick   (target: Element) => void, for presses that did not move
 */
export function createViewport(svg, viewport, bounds, onClick) {
  const t = { k: 1, x: 0, y: 0 };
  let userMoved = false; // once the user pans or zooms, resizes stop re-fitting

  let applied = null;
  const apply = () => {
    const transform = `translate(${round(t.x)},${round(t.y)}) scale(${round(t.k, 5)})`;
    // Unchanged, it is not set again: a new scale makes the browser lay
    // out every text of the graph again (SVG text is laid out at the size
    // it has on screen), and the first resize notice repeats the first fit.
    if (transform === applied) return;
    applied = transform;
    viewport.setAttribute('transform', transform);
  };
  const size = () => ({ width: svg.clientWidth, height: svg.clientHeight });

  /** Fits the drawing in the svg, whose size the caller may know already (reading it forces a layout). */
  function fit({ width, height } = size()) {
    if (!width || !height || !bounds.width || !bounds.height) return;
    // Never enlarge past 100%: the drawing is designed at that size.
    t.k = clamp(Math.min(width / bounds.width, height / bounds.height, 1));
    t.x = (width - bounds.width * t.k) / 2;
    t.y = (height - bounds.height * t.k) / 2;
    userMoved = false;
    apply();
  }

  /** Zooms by `factor` keeping the point (px, py), in svg pixels, still. */
  function zoomAt(factor, px, py) {
    const k = clamp(t.k * factor);
    t.x = px - ((px - t.x) * k) / t.k;
    t.y = py - ((py - t.y) * k) / t.k;
    t.k = k;
    userMoved = true;
    apply();
  }

  function zoom(factor) {
    const { width, height } = size();
    zoomAt(factor, width / 2, height / 2);
  }

  // ---- pointer: drag to pan, press without moving = click --------------
  let press = null;
  const onPointerDown = (ev) => {
    if (ev.button !== 0) return;
    press = { id: ev.pointerId, x: ev.clientX, y: ev.clientY, tx: t.x, ty: t.y, target: ev.target, panning: false };
  };
  const onPointerMove = (ev) => {
    if (!press || ev.pointerId !== press.id) return;
    const dx = ev.clientX - press.x;
    const dy = ev.clientY - press.y;
    if (!press.panning && Math.hypot(dx, dy) < DRAG_THRESHOLD) return;
    if (!press.panning) {
      press.panning = true;
      // Keep receiving moves when the pointer leaves the svg mid-drag.
      try { svg.setPointerCapture(ev.pointerId); } catch { /* pointer already gone */ }
      svg.classList.add('panning');
    }
    t.x = press.tx + dx;
    t.y = press.ty + dy;
    userMoved = true;
    apply();
  };
  const onPointerUp = (ev) => {
    if (!press || ev.pointerId !== press.id) return;
    const { panning, target } = press;
    press = null;
    svg.classList.remove('panning');
    if (svg.hasPointerCapture(ev.pointerId)) svg.releasePointerCapture(ev.pointerId);
    if (!panning) onClick(target);
  };
  const onPointerCancel = () => {
    press = null;
    svg.classList.remove('panning');
  };
  const onWheel = (ev) => {
    ev.preventDefault();
    // Pixel deltas from wheels and trackpads; line deltas (Firefox) are ~20x bigger.
    const delta = ev.deltaMode === 1 ? ev.deltaY * 20 : ev.deltaY;
    const rect = svg.getBoundingClientRect();
    zoomAt(Math.exp(-delta * 0.0015), ev.clientX - rect.left, ev.clientY - rect.top);
  };

  svg.addEventListener('pointerdown', onPointerDown);
  svg.addEventListener('pointermove', onPointerMove);
  svg.addEventListener('pointerup', onPointerUp);
  svg.addEventListener('pointercancel', onPointerCancel);
  svg.addEventListener('wheel', onWheel, { passive: false });

  // Keep the graph fitted while the container changes size, until the user
  // has taken control of the view.
  const resizeObserver = new ResizeObserver(() => { if (!userMoved) fit(); });
  resizeObserver.observe(svg);

  return {
    fit,
    zoom,
    get transform() { return { ...t }; },
    destroy() {
      resizeObserver.disconnect();
      svg.removeEventListener('pointerdown', onPointerDown);
      svg.removeEventListener('pointermove', onPointerMove);
      svg.removeEventListener('pointerup', onPointerUp);
      svg.removeEventListener('pointercancel', onPointerCancel);
      svg.removeEventListener('wheel', onWheel);
    },
  };
}

function clamp(k) {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, k));
}

function round(n, digits = 2) {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
