// {{name}}: greets a name and counts the greetings in its table.
import { handler, kv, log, fail, type TaskContext } from './stepyard.js';

const TABLE = '{{name}}';

interface Input {
  name?: unknown;
}

interface Output {
  message: string;
  greetings: number;
}

export const handle = handler((input: Input, _context: TaskContext): Output => {
  if (typeof input?.name !== 'string') fail('InvalidInput', "the input needs a string field 'name'");
  const name = input.name as string;
  const seen = (kv.get(TABLE, name)?.value as { greetings?: number } | undefined)?.greetings ?? 0;
  kv.put(TABLE, name, { greetings: seen + 1 });
  log.info('greeted', { name });
  return { message: `Hello, ${name}!`, greetings: seen + 1 };
});
