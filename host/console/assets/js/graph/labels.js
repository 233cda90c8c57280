// Short human-readable texts derived from an ASL definition: the resource
// name shown under a Task, the label of a Choice rule, the summary of a
// Retry block. Pure functions over plain JSON, so they are easy to test and
// never touch the DOM (the caller puts the results in as text nodes).

/** Cut `text` to at most `max` characters, ending with an ellipsis when cut. */
export function truncate(text, max = 40) {
  const s = String(text);
  return s.length <= max ? s : s.slice(0, Math.max(1, max - 1)) + '…';
}

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The function name inside a Lambda ARN, partial ARN or bare `NAME[:QUAL]`. */
function lambdaFunctionName(ref) {
  if (typeof ref !== 'string' || ref === '') return null;
  // `arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUAL]` and the partial
  // `ACCOUNT:function:NAME[:QUAL]` both put the name right after `function:`.
  const m = /(?:^|:)function:([^:]+)/.exec(ref);
  if (m) return m[1];
  // A bare name may carry a qualifier (`name:$LATEST`, `name:prod`).
  return ref.split(':')[0] || null;
}

/**
 * The short name shown for a Task's resource:
 * - `arn:aws:lambda:…:function:NAME[:QUAL]`     -> NAME
 * - `arn:aws:states:::lambda:invoke` + FunctionName in Parameters/Arguments -> that function's NAME
 * - `arn:aws:states:::aws-sdk:SERVICE:ACTION`   -> SERVICE:ACTION
 * - `arn:aws:states:::SERVICE:ACTION[.sync…]`   -> SERVICE:ACTION
 * - `arn:aws:states:…:activity:NAME`            -> NAME
 * - a bare name (no `arn:`)                     -> the name itself (a function name)
 * Returns null when nothing sensible can be said (missing or dynamic resource).
 */
export function resourceShortName(state) {
  const resource = state && state.Resource;
  if (typeof resource !== 'string' || resource === '') return null;
  if (resource.startsWith('{%')) return null; // JSONata expression: only known at run time
  if (!resource.startsWith('arn:')) return resource;

  const parts = resource.split(':');
  const service = parts[2];
  if (service === 'lambda') return lambdaFunctionName(resource);
  if (service === 'states') {
    // Service integrations have empty region and account: arn:aws:states:::SERVICE:ACTION
    if (parts[3] === '' && parts[4] === '') {
      let rest = parts.slice(5);
      if (rest[0] === 'aws-sdk') rest = rest.slice(1);
      // Drop the integration pattern suffix (.sync, .sync:2, .waitForTaskToken).
      const action = (rest[1] || '').split('.')[0];
      const serviceName = rest[0] || '';
      if (serviceName === 'lambda' && action === 'invoke') {
        const args = isObject(state.Parameters) ? state.Parameters
          : isObject(state.Arguments) ? state.Arguments : null;
        const fn = args && args.FunctionName;
        if (typeof fn === 'string' && !fn.startsWith('{%')) {
          const name = lambdaFunctionName(fn);
          if (name) return name;
        }
      }
      return action ? `${serviceName}:${action}` : serviceName || null;
    }
    if (parts[5] === 'activity') return parts.slice(6).join(':') || null;
  }
  // Any other ARN: its last segment is the most telling part.
  return parts[parts.length - 1] || null;
}

// JSONPath comparison operators -> the symbol shown in labels. Each also has
// a `…Path` form whose value is a path (shown unquoted).
const COMPARATORS = [
  ['StringEquals', '=='], ['StringLessThanEquals', '<='], ['StringGreaterThanEquals', '>='],
  ['StringLessThan', '<'], ['StringGreaterThan', '>'], ['StringMatches', 'matches'],
  ['NumericEquals', '=='], ['NumericLessThanEquals', '<='], ['NumericGreaterThanEquals', '>='],
  ['NumericLessThan', '<'], ['NumericGreaterThan', '>'],
  ['BooleanEquals', '=='],
  ['TimestampEquals', '=='], ['TimestampLessThanEquals', '<='], ['TimestampGreaterThanEquals', '>='],
  ['TimestampLessThan', '<'], ['TimestampGreaterThan', '>'],
];
const TYPE_TESTS = ['IsPresent', 'IsNull', 'IsNumeric', 'IsString', 'IsBoolean', 'IsTimestamp'];

/** A comparison's value as written in JSON: strings quoted, numbers and booleans bare. */
function literal(value) {
  return String(JSON.stringify(value));
}

/** One comparison (no And/Or/Not) as `$.var OP value`, or null if none found. */
function formatComparison(rule) {
  const variable = typeof rule.Variable === 'string' ? rule.Variable : '?';
  for (const [op, symbol] of COMPARATORS) {
    if (op in rule) return `${variable} ${symbol} ${literal(rule[op])}`;
    if (op + 'Path' in rule) return `${variable} ${symbol} ${String(rule[op + 'Path'])}`;
  }
  for (const test of TYPE_TESTS) {
    if (test in rule) return rule[test] === false ? `${variable} ${test} == false` : `${variable} ${test}`;
  }
  return null;
}

/** The JSONata `{% expr %}` delimiters add nothing to a label. */
function stripJsonata(text) {
  const m = /^\s*\{%([\s\S]*)%\}\s*$/.exec(text);
  return m ? m[1].trim() : text;
}

/** Full text of a rule (nested rules expanded), for tooltips. */
export function describeRule(rule) {
  if (!isObject(rule)) return '?';
  if (typeof rule.Condition === 'string') return rule.Condition;
  if (Array.isArray(rule.And)) return rule.And.map((r) => `(${describeRule(r)})`).join(' And ') || 'And()';
  if (Array.isArray(rule.Or)) return rule.Or.map((r) => `(${describeRule(r)})`).join(' Or ') || 'Or()';
  if (isObject(rule.Not)) return `Not(${describeRule(rule.Not)})`;
  return formatComparison(rule) || '?';
}

/** Short text of a rule for an edge label: `$.a > 1`, `And(2)`, `Not($.x IsPresent)`. */
export function shortRule(rule) {
  if (!isObject(rule)) return '?';
  if (typeof rule.Condition === 'string') return stripJsonata(rule.Condition);
  if (Array.isArray(rule.And)) return `And(${rule.And.length})`;
  if (Array.isArray(rule.Or)) return `Or(${rule.Or.length})`;
  if (isObject(rule.Not)) return `Not(${shortRule(rule.Not)})`;
  return formatComparison(rule) || '?';
}

/** Label (truncated) and title (full) for the `index`-th (0-based) Choice rule. */
export function choiceRuleLabel(rule, index) {
  const full = `Rule ${index + 1}: ${describeRule(rule)}`;
  const comment = isObject(rule) && typeof rule.Comment === 'string' ? `\n${rule.Comment}` : '';
  return { label: truncate(`Rule ${index + 1}: ${shortRule(rule)}`, 40), title: full + comment };
}

/** Label and title for a Catcher. */
export function catchLabel(catcher) {
  const errors = isObject(catcher) && Array.isArray(catcher.ErrorEquals) ? catcher.ErrorEquals.map(String) : [];
  const full = `Catch: ${errors.join(', ') || '?'}`;
  return { label: truncate(full, 40), title: full };
}

/** One line per retrier: `ErrorEquals; MaxAttempts; IntervalSeconds; BackoffRate` (defaults filled in as AWS applies them). */
export function retrySummary(retriers) {
  if (!Array.isArray(retriers) || retriers.length === 0) return null;
  const lines = retriers.map((r, i) => {
    if (!isObject(r)) return `Retrier ${i + 1}: ?`;
    const errors = Array.isArray(r.ErrorEquals) ? r.ErrorEquals.map(String).join(', ') : '?';
    const attempts = r.MaxAttempts ?? 3;
    const interval = r.IntervalSeconds ?? 1;
    const backoff = r.BackoffRate ?? 2;
    let line = `Retrier ${i + 1}: ${errors} — MaxAttempts ${attempts}, IntervalSeconds ${interval}, BackoffRate ${backoff}`;
    if (r.MaxDelaySeconds !== undefined) line += `, MaxDelaySeconds ${r.MaxDelaySeconds}`;
    if (r.JitterStrategy !== undefined) line += `, JitterStrategy ${r.JitterStrategy}`;
    return line;
  });
  return `Retry\n${lines.join('\n')}`;
}

/** The smaller second line of a node: the type, plus the resource for Tasks. */
export function typeLine(state) {
  const type = isObject(state) && typeof state.Type === 'string' ? state.Type : 'Unknown';
  if (type === 'Task') {
    const short = resourceShortName(state);
    return short ? `Task · ${short}` : 'Task';
  }
  return type;
}
