// The reference Lambda handlers of the conformance corpus in JavaScript,
// one component serving them all under their own names (id_function,
// echo_function, …): the same behaviour as plugins/rust/reference, so the
// corpus's Lambda cases run with `--plugins` pointing at this build.
import { handler, fail } from '../sdk/stepyard.js';

// Python's repr of a float, from JavaScript's shortest round-trip digits:
// positional between 1e-4 and 1e16, with at least one decimal; otherwise
// d.ddde±XX.
function pythonFloat(x) {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  const [mantissa, exp] = x.toExponential().split('e');
  const e = Number(exp);
  if (e >= -4 && e < 16) {
    // JavaScript writes these positionally too (it switches at 1e-7 and 1e21).
    const s = String(x);
    return s.includes('.') ? s : `${s}.0`;
  }
  return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

function pythonStr(s) {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const c of s) {
    const code = c.codePointAt(0);
    if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (c === quote) out += `\\${c}`;
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return out + quote;
}

// Python's repr of what json.loads makes of `text`, read from the text
// itself: JSON.parse would forget that 5.0 is a float and round big ints.
function pythonRepr(text) {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const parts = [];
      ws();
      if (text[i] === '}') {
        i++;
        return '{}';
      }
      for (;;) {
        ws();
        const key = string();
        ws();
        i++; // ':'
        parts.push(`${pythonStr(key)}: ${value()}`);
        ws();
        if (text[i++] === '}') return `{${parts.join(', ')}}`;
      }
    }
    if (c === '[') {
      i++;
      const parts = [];
      ws();
      if (text[i] === ']') {
        i++;
        return '[]';
      }
      for (;;) {
        parts.push(value());
        ws();
        if (text[i++] === ']') return `[${parts.join(', ')}]`;
      }
    }
    if (c === '"') return pythonStr(string());
    for (const [word, repr] of [['true', 'True'], ['false', 'False'], ['null', 'None']]) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return repr;
      }
    }
    const m = /^-?\d+(\.\d+)?([eE][-+]?\d+)?/.exec(text.slice(i));
    i += m[0].length;
    if (m[1] === undefined && m[2] === undefined) return BigInt(m[0]).toString();
    return pythonFloat(Number(m[0]));
  };
  const string = () => {
    const start = i;
    i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i));
  };
  return value();
}

const HANDLERS = {
  id_function: (input) => input,
  echo_function: () => ({ Return: 'HelloWorld' }),
  raise_exception: () => fail('Exception', 'Some exception was raised.'),
  raise_custom_exception: () => fail('CustomException', ''),
  return_bytes_str: () => 'HelloWorld!',
  large_output_string: () => 'a'.repeat(257 * 1024),
  wait_60_seconds: (input) => {
    // Busy until 60 s have passed (needs the clocks grant): the host's
    // time limit interrupts wasm code.
    const start = Date.now();
    while (Date.now() - start < 60_000) {
      // spin
    }
    return input;
  },
};

const handle_json = handler((input, context) => {
  const f = HANDLERS[context.functionName];
  if (!f) fail('UnknownKind', `no reference handler '${context.functionName}'`);
  return f(input);
});

export function handle(input, context) {
  if (context.functionName === 'return_decorated_input') {
    return JSON.stringify(`input-event-${pythonRepr(input)}`);
  }
  return handle_json(input, context);
}
