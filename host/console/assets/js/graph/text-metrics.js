// Text widths without a browser, for graphs drawn by `stepyard graph`: the
// console measures with the page's real fonts (canvas measureText); a file
// is opened later by a viewer whose font nobody knows. These are the
// Helvetica/Arial advance widths (Adobe's core-font metrics, in 1/1000 em;
// Liberation Sans and Arial share them), with a margin because the
// stylesheet's first choices (system-ui, Segoe UI, Roboto, DejaVu) run a
// little wider. Boxes come out slightly roomy rather than text overflowing.

// Printable ASCII, U+0020 to U+007E, in order.
const REGULAR = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
  556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
  1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
  667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
  333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
  556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];
const BOLD = [
  278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
  556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
  975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
  667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
  333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
  611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];
const MARGIN = 1.08;

// The font of each text class, as graph.css sets it (size in px, bold for
// weights of 600 and up, letter-spacing in em).
const FONTS = {
  name: { size: 13, bold: true, spacing: 0 },
  type: { size: 11, bold: false, spacing: 0 },
  terminal: { size: 12, bold: true, spacing: 0 },
  caption: { size: 11, bold: true, spacing: 0.02 },
  label: { size: 11, bold: false, spacing: 0 },
  marker: { size: 10, bold: true, spacing: 0 },
};

/** Width in 1/1000 em of one character outside the table: wide scripts take a full em. */
function otherWidth(codePoint, bold) {
  if (codePoint >= 0x2e80) return 1000; // CJK, Hangul, emoji and the like
  return bold ? 650 : 600;
}

/** `(text, kind) => width` in user units, for `kind` one of the text classes above. */
export function estimateWidth(text, kind) {
  const font = FONTS[kind];
  if (!font) throw new Error(`no font for text class ${kind}`);
  const table = font.bold ? BOLD : REGULAR;
  let units = 0;
  let count = 0;
  for (const ch of String(text)) {
    const cp = ch.codePointAt(0);
    units += cp >= 0x20 && cp <= 0x7e ? table[cp - 0x20] : otherWidth(cp, font.bold);
    count += 1;
  }
  return ((units / 1000) * font.size * MARGIN) + (count * font.spacing * font.size);
}
