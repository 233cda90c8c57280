// Just enough of the DOM for draw.js to draw into when there is no browser
// (`stepyard graph` runs these modules in an embedded QuickJS): elements with
// attributes, children, text and classList, and serialisation to XML. The
// drawing code stays the console's own, so a file written by the CLI is the
// graph the console shows.
//
// Text only ever leaves here escaped: an element's text and its attribute
// values go through `escapeXml`, so a state named `<script>` stays text.

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** `text` safe inside XML character data and quoted attribute values. */
export function escapeXml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

class ClassList {
  constructor(element) { this.element = element; }
  names() { return (this.element.getAttribute('class') || '').split(/\s+/).filter(Boolean); }
  write(names) { this.element.setAttribute('class', names.join(' ')); }
  contains(name) { return this.names().includes(name); }
  add(...names) {
    const list = this.names();
    for (const n of names) if (!list.includes(n)) list.push(n);
    this.write(list);
  }
  remove(...names) { this.write(this.names().filter((n) => !names.includes(n))); }
  toggle(name, force) {
    const on = force === undefined ? !this.contains(name) : Boolean(force);
    if (on) this.add(name); else this.remove(name);
    return on;
  }
}

class HeadlessElement {
  constructor(tag) {
    this.localName = tag;
    this.attributes = new Map();
    this.childNodes = [];
    this.parentNode = null;
    this.text = null; // set by textContent; an element holds either text or children
    this.classList = new ClassList(this);
  }

  setAttribute(name, value) { this.attributes.set(String(name), String(value)); }
  getAttribute(name) { return this.attributes.has(name) ? this.attributes.get(name) : null; }
  hasAttribute(name) { return this.attributes.has(name); }
  removeAttribute(name) { this.attributes.delete(name); }

  get firstChild() { return this.childNodes[0] ?? null; }
  set textContent(value) { this.childNodes = []; this.text = String(value); }
  get textContent() { return this.text ?? this.childNodes.map((c) => c.textContent).join(''); }

  appendChild(child) { return this.insertBefore(child, null); }
  insertBefore(child, reference) {
    child.remove();
    const at = reference ? this.childNodes.indexOf(reference) : -1;
    if (at < 0) this.childNodes.push(child); else this.childNodes.splice(at, 0, child);
    child.parentNode = this;
    this.text = null;
    return child;
  }
  remove() {
    if (!this.parentNode) return;
    const siblings = this.parentNode.childNodes;
    siblings.splice(siblings.indexOf(this), 1);
    this.parentNode = null;
  }

  /** Only the form draw.js uses: `:scope > .class` (a direct child with that class). */
  querySelector(selector) {
    const m = /^:scope > \.([\w-]+)$/.exec(selector);
    if (!m) throw new Error(`headless DOM: unsupported selector ${selector}`);
    return this.childNodes.find((c) => c.classList.contains(m[1])) ?? null;
  }

  /** The element as XML. */
  serialize() {
    let out = `<${this.localName}`;
    for (const [k, v] of this.attributes) out += ` ${k}="${escapeXml(v)}"`;
    if (this.text !== null) return `${out}>${escapeXml(this.text)}</${this.localName}>`;
    if (this.childNodes.length === 0) return `${out}/>`;
    return `${out}>${this.childNodes.map((c) => c.serialize()).join('')}</${this.localName}>`;
  }
}

/** A stand-in for `document`, enough for draw.js's `svgEl` and `addTitle`. */
export function createHeadlessDocument() {
  return { createElementNS: (_namespace, tag) => new HeadlessElement(tag) };
}
