// index.html's <link rel="modulepreload"> list against the modules'
// imports: a module missing from it still loads, a round trip later, so
// nothing else would notice. Run: node --test host/console/tests/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';

const assets = new URL('../assets/', import.meta.url);

/** The file and every file it imports statically, directly or not, as paths below assets/. */
function closure(path, into = new Set()) {
  if (into.has(path)) return into;
  into.add(path);
  const source = readFileSync(new URL(path, assets), 'utf8');
  for (const [, spec] of source.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+['"]([^'"]+)['"]/gm)) {
    closure(new URL(spec, new URL(path, assets)).href.slice(assets.href.length), into);
  }
  return into;
}

const html = readFileSync(new URL('index.html', assets), 'utf8');
const preloaded = [...html.matchAll(/<link rel="modulepreload" href="\/console\/([^"]+)"[^>]*>/g)].map((m) => m[1]);

// Static imports only: what the execution page imports with import() once
// its graph is drawn is left out on purpose (it would hold the graph up).
test('index.html preloads what app.js and the execution page import, and no more', () => {
  const needed = new Set([...closure('js/app.js'), ...closure('js/views/execution.js')]);
  needed.delete('js/app.js'); // its <script> tag asks for it
  const missing = [...needed].filter((p) => !preloaded.includes(p));
  assert.deepEqual(missing, [], `add to index.html: ${missing.map((p) => `<link rel="modulepreload" href="/console/${p}">`).join(' ')}`);
  const extra = preloaded.filter((p) => !needed.has(p));
  assert.deepEqual(extra, [], 'preloaded, but not imported before the execution page is drawn');
});

test('every preloaded module exists and is listed once', () => {
  for (const path of preloaded) assert.ok(existsSync(new URL(path, assets)), `${path} does not exist`);
  assert.equal(new Set(preloaded).size, preloaded.length);
});
