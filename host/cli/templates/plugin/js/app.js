// {{name}}: greets a name and counts the greetings in its table.
import { handler, kv, log, fail } from './stepyard.js';

const TABLE = '{{name}}';

export const handle = handler((input, context) => {
  if (typeof input?.name !== 'string') fail('InvalidInput', "the input needs a string field 'name'");
  const seen = kv.get(TABLE, input.name)?.value.greetings ?? 0;
  kv.put(TABLE, input.name, { greetings: seen + 1 });
  log.info('greeted', { name: input.name });
  return { message: `Hello, ${input.name}!`, greetings: seen + 1 };
});
