// Stream nodes, packed once closed: random XADD / XDEL / XTRIM / range reads
// with small node limits, so that entries are read, deleted and trimmed in
// packed nodes, nodes reopen when their successor goes, and IDs are far
// apart (ms deltas and sequences past 2^53). Every reply is compared byte
// for byte with a redis-server 7.0.15 started here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { HAVE_REDIS, replyConnection, startRedis, startServer } from './helpers.mjs';

let mine;
let reference;
let a;
let b;

before(async () => {
  mine = await startServer(['--save', '']);
  a = await replyConnection(mine.port);
  if (HAVE_REDIS) {
    reference = await startRedis();
    b = reference.conn;
  }
});

after(async () => {
  a?.close();
  reference?.stop();
  await mine?.stop();
});

/** Our inner radix-tree node count follows Redis's only for typical trees. */
const comparable = (reply) => reply.replace(/(radix-tree-nodes\r\n):\d+/, '$1:N');

async function both(...args) {
  const mineReply = await a.command(...args);
  if (b !== undefined) assert.equal(comparable(mineReply), comparable(await b.command(...args)), args.join(' '));
  return mineReply;
}

const U64_MAX = (1n << 64n) - 1n;

/** The next ID after ms-seq, by one of several steps; undefined past the largest. */
function step(ms, seq, kind, n) {
  let next;
  if (kind === 0) next = [ms, seq + 1n];
  else if (kind === 1) next = [ms + BigInt(n), 0n];
  else if (kind === 2) next = [ms, seq + (1n << 53n) + BigInt(n)];
  else if (kind === 3) next = [ms + (1n << 60n) + BigInt(n), BigInt(n)];
  else next = [ms + BigInt(n) * 1000n, BigInt(n % 3)];
  return next[0] > U64_MAX || next[1] > U64_MAX ? undefined : next;
}

const value = fc.oneof(
  fc.constantFrom('0', '-1', '127', '4096', '-32769', '2147483648', '9223372036854775807', '9223372036854775808', '007', '', 'x'),
  fc.integer({ min: -100000, max: 100000 }).map(String),
  fc.string({ maxLength: 20 }),
  fc.integer({ min: 100, max: 700 }).map((n) => 'L'.repeat(n)),
);

const op = fc.oneof(
  { weight: 8, arbitrary: fc.record({ t: fc.constant('add'), kind: fc.integer({ min: 0, max: 4 }), n: fc.integer({ min: 1, max: 300 }), other: fc.boolean(), vals: fc.array(value, { minLength: 1, maxLength: 3 }) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('del'), picks: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('trim'), minid: fc.boolean(), approx: fc.boolean(), n: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('range'), from: fc.nat(), to: fc.nat(), count: fc.nat({ max: 8 }), rev: fc.boolean(), open: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('info') }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('config'), entries: fc.integer({ min: 0, max: 6 }), bytes: fc.constantFrom(0, 60, 150, 400, 4096) }) },
);

test('random XADD / XDEL / XTRIM / XRANGE / XREAD over packed nodes: replies as redis-server', { skip: !HAVE_REDIS }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 70 }), async (ops) => {
      await both('FLUSHALL');
      await both('CONFIG', 'SET', 'stream-node-max-entries', '4');
      await both('CONFIG', 'SET', 'stream-node-max-bytes', '4096');
      const ids = [];
      let ms = 1n;
      let seq = 0n;
      const pick = (i) => (ids.length === 0 ? '0-1' : ids[i % ids.length]);
      for (const o of ops) {
        if (o.t === 'add') {
          const next = step(ms, seq, o.kind, o.n);
          if (next === undefined) continue;
          [ms, seq] = next;
          const fields = o.vals.flatMap((v, i) => [o.other ? `g${i}` : `f${i}`, v]);
          ids.push(await both('XADD', 's', `${ms}-${seq}`, ...fields).then((r) => r.split('\r\n')[1]));
        } else if (o.t === 'del') {
          await both('XDEL', 's', ...o.picks.map(pick));
        } else if (o.t === 'trim') {
          await both('XTRIM', 's', o.minid ? 'MINID' : 'MAXLEN', o.approx ? '~' : '=', o.minid ? pick(o.n) : String(o.n % 40));
        } else if (o.t === 'range') {
          const lo = o.open ? '-' : pick(o.from);
          const hi = o.open ? '+' : pick(o.to);
          const count = o.count === 0 ? [] : ['COUNT', String(o.count)];
          await both(...(o.rev ? ['XREVRANGE', 's', hi, lo] : ['XRANGE', 's', lo, hi]), ...count);
          await both('XREAD', 'COUNT', String(o.count + 1), 'STREAMS', 's', lo === '-' ? '0-0' : lo);
        } else if (o.t === 'info') {
          await both('XINFO', 'STREAM', 's');
          await both('XLEN', 's');
        } else {
          await both('CONFIG', 'SET', 'stream-node-max-entries', String(o.entries));
          await both('CONFIG', 'SET', 'stream-node-max-bytes', String(o.bytes));
        }
      }
      await both('XRANGE', 's', '-', '+');
      await both('XINFO', 'STREAM', 's', 'FULL');
    }),
    { numRuns: 40 },
  );
});

test('nodes past 64 KB (4-byte offsets), deleted from and trimmed inside, as redis-server', { skip: !HAVE_REDIS }, async () => {
  await both('FLUSHALL');
  await both('CONFIG', 'SET', 'stream-node-max-entries', '0');
  await both('CONFIG', 'SET', 'stream-node-max-bytes', '300000');
  for (let i = 1; i <= 400; i++) await both('XADD', 'big', `${i}-${i}`, 'f', `${i}:${'v'.repeat(1000)}`, 'n', String(i));
  await both('XINFO', 'STREAM', 'big');
  await both('XDEL', 'big', '150-150', '151-151', '3-3');
  await both('XRANGE', 'big', '140', '160');
  await both('XREVRANGE', 'big', '+', '-', 'COUNT', '30');
  await both('XTRIM', 'big', 'MINID', '100');
  await both('XRANGE', 'big', '-', '+', 'COUNT', '3');
  await both('XTRIM', 'big', 'MAXLEN', '~', '50');
  await both('XINFO', 'STREAM', 'big');
  await both('XRANGE', 'big', '-', '+');
  await both('CONFIG', 'SET', 'stream-node-max-entries', '100');
  await both('CONFIG', 'SET', 'stream-node-max-bytes', '4096');
});

test('XTRIM MINID past a node\'s deleted last entry empties the node and keeps it, as redis-server', { skip: !HAVE_REDIS }, async () => {
  await both('FLUSHALL');
  await both('CONFIG', 'SET', 'stream-node-max-entries', '4');
  for (let i = 1; i <= 10; i++) await both('XADD', 'e', `${i}-0`, 'f', String(i));
  await both('XDEL', 'e', '4-0');
  // 1..3 live and 4 deleted in the first node: the node's last ID is 4-0, not below MINID 4, so it is emptied, not dropped.
  assert.equal(await both('XTRIM', 'e', 'MINID', '4'), ':3\r\n');
  await both('XINFO', 'STREAM', 'e');
  await both('XRANGE', 'e', '-', '+');
  await both('XREVRANGE', 'e', '+', '-');
  await both('XRANGE', 'e', '0', '5');
  await both('XREAD', 'STREAMS', 'e', '0-0');
  await both('XTRIM', 'e', 'MINID', '5');
  await both('XINFO', 'STREAM', 'e', 'FULL');
  // MAXLEN drops the empty node once it trims at all.
  await both('XTRIM', 'e', 'MAXLEN', '5');
  await both('XINFO', 'STREAM', 'e');
  // A stream whose only node was emptied takes new entries into that node.
  for (let i = 1; i <= 3; i++) await both('XADD', 'one', `${i}-0`, 'f', String(i));
  await both('XDEL', 'one', '3-0');
  assert.equal(await both('XTRIM', 'one', 'MINID', '3'), ':2\r\n');
  await both('XINFO', 'STREAM', 'one');
  await both('XADD', 'one', '7-0', 'f', '7');
  await both('XADD', 'one', '8-0', 'f', '8');
  await both('XINFO', 'STREAM', 'one', 'FULL');
  await both('CONFIG', 'SET', 'stream-node-max-entries', '100');
});

test('MEMORY USAGE of a stream follows its packed size', async () => {
  await a.command('FLUSHALL');
  for (let i = 1; i <= 1000; i++) await a.command('XADD', 'm', `${i}-0`, 'name', `n${i}`, 'value', String(i % 1000));
  const usage = Number((await a.command('MEMORY', 'USAGE', 'm')).slice(1, -2));
  // About 20 bytes an entry packed (what the entries hold, plus offsets and node overhead), not the ~150 of arrays of strings.
  assert.ok(usage > 15000 && usage < 40000, `MEMORY USAGE ${usage}`);
});
