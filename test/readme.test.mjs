// The README's command list must name exactly what the command table serves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { COMMANDS } from '../dist/commands/table.js';

test('the README lists every command and subcommand of the command table, and nothing else', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const section = readme.split('<!-- commands:start')[1].split('<!-- commands:end -->')[0];
  const listed = new Set();
  for (const line of section.split('\n').filter((l) => l.startsWith('- **'))) {
    const body = line.replace(/^- \*\*[a-z_ ]+\*\*: /, '');
    for (const [, name, subs] of body.matchAll(/([A-Z_-]+)(?: \(([A-Z_ -]+)\))?/g)) {
      listed.add(name.toLowerCase());
      for (const sub of subs?.split(' ') ?? []) listed.add(`${name.toLowerCase()}|${sub.toLowerCase()}`);
    }
  }
  const served = new Set();
  for (const spec of COMMANDS) {
    served.add(spec.name);
    for (const sub of spec.subcommands ?? []) served.add(`${spec.name}|${sub.name}`);
  }
  assert.deepEqual([...listed].sort(), [...served].sort());
});
