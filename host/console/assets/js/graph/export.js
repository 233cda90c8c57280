// Standalone SVG and PNG export. The page's stylesheet does not travel with
// an exported file, so every element gets the computed values of the
// properties that matter inlined as a style attribute.

const INLINED = [
  'fill', 'fill-opacity', 'stroke', 'stroke-width', 'stroke-dasharray', 'stroke-opacity',
  'stroke-linecap', 'stroke-linejoin', 'opacity', 'visibility', 'display', 'filter',
  'font-family', 'font-size', 'font-weight', 'font-style', 'letter-spacing',
  'text-anchor', 'dominant-baseline', 'paint-order',
];

// Largest canvas Chromium will allocate comfortably.
const MAX_CANVAS_SIDE = 16384;
const MAX_CANVAS_AREA = 16384 * 16384;

/**
 * @param svg     the live <svg>
 * @param bounds  {width, height} of the drawing
 * @returns a complete SVG document as a string
 */
export function exportSvg(svg, bounds) {
  const clone = svg.cloneNode(true);
  // Walk the live tree and the clone in step: same structure, same order.
  const live = [svg, ...svg.querySelectorAll('*')];
  const copies = [clone, ...clone.querySelectorAll('*')];
  live.forEach((el, i) => {
    const copy = copies[i];
    for (const attr of ['tabindex', 'role']) copy.removeAttribute(attr);
    if (el.localName === 'title') return; // never painted; keep it a plain tooltip
    const cs = getComputedStyle(el);
    const style = INLINED.map((p) => `${p}:${cs.getPropertyValue(p)}`).join(';');
    copy.setAttribute('style', style);
  });

  const w = Math.ceil(bounds.width);
  const h = Math.ceil(bounds.height);
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('width', w);
  clone.setAttribute('height', h);
  clone.setAttribute('viewBox', `0 0 ${w} ${h}`);
  clone.removeAttribute('class');
  const viewport = clone.querySelector('.viewport');
  if (viewport) viewport.removeAttribute('transform');
  // An opaque background: viewers and the PNG would otherwise show transparency.
  const bg = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  for (const [k, v] of Object.entries({ x: 0, y: 0, width: w, height: h, style: 'fill:#ffffff;stroke:none' })) bg.setAttribute(k, v);
  clone.insertBefore(bg, viewport || clone.firstChild);

  return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(clone);
}

/** Renders the exported SVG onto a canvas at `scale` and returns a PNG Blob. */
export async function exportPng(svg, bounds, scale = 2) {
  const text = exportSvg(svg, bounds);
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    // Shrink the scale if the canvas would be too big to allocate.
    let s = Math.max(0.1, Number(scale) || 2);
    s = Math.min(s, MAX_CANVAS_SIDE / bounds.width, MAX_CANVAS_SIDE / bounds.height,
      Math.sqrt(MAX_CANVAS_AREA / (bounds.width * bounds.height)));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bounds.width * s));
    canvas.height = Math.max(1, Math.round(bounds.height * s));
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return await new Promise((resolve, reject) => {
      canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('PNG encoding failed'))), 'image/png');
    });
  } finally {
    URL.revokeObjectURL(url);
  }
}
