// Where a validation diagnostic points, in state terms (kept apart from the
// editor's page so it can be tested without a browser).

/** The state a diagnostic's location points into: `/States/A/Branches/0/States/B/Next` → `B`. */
export function stateOfLocation(location) {
  const parts = String(location || '').split('/');
  let name = null;
  for (let i = 0; i < parts.length - 1; i += 1) {
    if (parts[i] === 'States') name = parts[i + 1].replace(/~1/g, '/').replace(/~0/g, '~');
  }
  return name;
}
