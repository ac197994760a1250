// Bit commands compared byte for byte with a real redis-server 7.0.15 started
// here: random BITFIELD / BITFIELD_RO (every width and signedness, overflow
// modes, `#` offsets, bad arguments), BITOP, BITPOS, BITCOUNT, SETBIT and
// GETBIT over random binary strings, with the stored strings and the dirty
// counter after each command; then what the append-only file records and the
// keyspace events of the writes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import fc from 'fast-check';
import Redis from 'ioredis';
import { freePort, keyEvents, replyConnection, startInDir, startServer, tempDirs, waitForPort } from './helpers.mjs';

const haveRedis = (() => {
  try {
    execFileSync('redis-server', ['--version']);
    return true;
  } catch {
    return false;
  }
})();
const skip = !haveRedis && 'needs redis-server';
const tempDir = tempDirs('noderedis-bitfield-');

let mine;
let redisProc;
let redisPort;
let a;
let b;

before(async () => {
  mine = await startServer(['--save', '']);
  a = await replyConnection(mine.port);
  if (haveRedis) {
    redisPort = await freePort();
    redisProc = spawn('redis-server', ['--port', String(redisPort), '--save', '', '--appendonly', 'no', '--dir', tempDir()], { stdio: 'ignore' });
    await waitForPort(redisPort, redisProc);
    b = await replyConnection(redisPort);
  }
});

after(async () => {
  a?.close();
  b?.close();
  redisProc?.kill('SIGKILL');
  await mine?.stop();
});

const KEYS = ['k1', 'k2', 'k3'];
const dirtyOf = (info) => Number(/rdb_changes_since_last_save:(\d+)/.exec(info)[1]);

/**
 * Runs each command on both servers: the replies, every key's value and the
 * growth of the dirty counter (what decides propagation) must be the same.
 */
async function same(setup, lines) {
  for (const conn of [a, b]) {
    await conn.command('FLUSHALL');
    for (const args of setup) await conn.command(...args);
  }
  for (const args of lines) {
    const what = args.map((x) => JSON.stringify(x)).join(' ');
    const dirty = [];
    const replies = [];
    for (const conn of [a, b]) {
      const before = dirtyOf(await conn.command('INFO', 'persistence'));
      replies.push(await conn.command(...args));
      dirty.push(dirtyOf(await conn.command('INFO', 'persistence')) - before);
    }
    assert.equal(replies[0], replies[1], what);
    // Only the bit commands' counts are under test here.
    if (args[0].startsWith('BIT') || args[0].endsWith('BIT')) assert.equal(dirty[0], dirty[1], `dirty after ${what}`);
    for (const key of KEYS) assert.equal(await a.command('GET', key), await b.command('GET', key), `${key} after ${what}`);
  }
}

const latin1 = (bytes) => Buffer.from(bytes).toString('latin1');
const key = fc.constantFrom(...KEYS);
const binary = fc.uint8Array({ maxLength: 24 }).map(latin1);
/** Stored strings: random bytes, runs of all-zero or all-one bytes (BITPOS skips those), sometimes none. */
const value = fc.oneof(
  binary,
  fc.tuple(fc.constantFrom(0, 0xff), fc.nat(20), binary).map(([fill, n, tail]) => latin1(new Uint8Array(n).fill(fill)) + tail),
);
const setup = fc.array(fc.tuple(key, fc.option(value, { freq: 4 })), { maxLength: 3 }).map((pairs) => pairs.filter(([, v]) => v !== null).map(([k, v]) => ['SET', k, v]));

const index = fc.oneof(fc.integer({ min: -40, max: 40 }), fc.integer({ min: -300, max: 300 })).map(String);
const unit = fc.constantFrom([], ['BYTE'], ['BIT'], ['bit'], ['NIBBLE']);

/** A value or increment near the edges of every width, or any 64-bit integer. */
const edge = fc
  .tuple(fc.integer({ min: 0, max: 63 }), fc.constantFrom(-1n, 0n, 1n), fc.boolean())
  .map(([k, d, neg]) => (neg ? -(1n << BigInt(k)) : 1n << BigInt(k)) + d);
const int64 = fc.oneof(fc.integer({ min: -300, max: 300 }).map(BigInt), edge, fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }))
  .map(String);
const argument = fc.oneof({ weight: 20, arbitrary: int64 }, fc.constantFrom('9223372036854775808', '1.5', 'x', ''));
const type = fc.oneof(
  { weight: 20, arbitrary: fc.tuple(fc.constantFrom('i', 'u'), fc.integer({ min: 1, max: 64 })).map(([s, n]) => `${s}${n}`) },
  fc.constantFrom('u0', 'i65', 'u64', 'x8', 'I8', 'i08', 'i', 'u-1'),
);
const offset = fc.oneof(
  { weight: 10, arbitrary: fc.nat(160).map(String) },
  { weight: 5, arbitrary: fc.nat(12).map((n) => `#${n}`) },
  fc.constantFrom('-1', '#-1', '#', 'x', '4294967296', '#2305843009213693953', '#144115188075855873'),
);
const overflow = fc.oneof({ weight: 10, arbitrary: fc.constantFrom('WRAP', 'SAT', 'FAIL', 'sat') }, fc.constant('BOGUS'));
const fieldOp = fc.oneof(
  fc.tuple(fc.constant('GET'), type, offset),
  fc.tuple(fc.constantFrom('SET', 'INCRBY', 'incrby'), type, offset, argument),
  fc.tuple(fc.constant('OVERFLOW'), overflow),
);
/** Mostly well-formed operation lists; sometimes one cut short or an unknown word. */
const fieldOps = fc.oneof(
  { weight: 10, arbitrary: fc.array(fieldOp, { maxLength: 5 }).map((ops) => ops.flat()) },
  fc.array(fc.oneof(fieldOp, fc.constant(['NOPE'])), { maxLength: 4 }).chain((ops) => fc.nat(3).map((cut) => ops.flat().slice(0, Math.max(0, ops.flat().length - cut)))),
);

const command = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(key, fieldOps).map(([k, ops]) => ['BITFIELD', k, ...ops]) },
  { weight: 2, arbitrary: fc.tuple(key, fieldOps).map(([k, ops]) => ['BITFIELD_RO', k, ...ops]) },
  { weight: 3, arbitrary: fc.tuple(key, fc.oneof(fc.constant([]), fc.tuple(index, index), fc.tuple(index)), unit).map(([k, range, u]) => ['BITCOUNT', k, ...range, ...(range.length === 2 ? u : [])]) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(key, fc.constantFrom('0', '1', '2', 'x'), fc.oneof(fc.constant([]), fc.tuple(index), fc.tuple(index, index)), unit)
      .map(([k, bit, range, u]) => ['BITPOS', k, bit, ...range, ...(range.length === 2 ? u : [])]),
  },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom('AND', 'OR', 'XOR', 'NOT', 'or', 'NAND'), key, fc.array(key, { minLength: 1, maxLength: 4 }))
      .map(([op, dest, sources]) => ['BITOP', op, dest, ...sources]),
  },
  { weight: 2, arbitrary: fc.tuple(key, offset, fc.constantFrom('0', '1', '2')).map(([k, o, v]) => ['SETBIT', k, o, v]) },
  { weight: 1, arbitrary: fc.tuple(key, offset).map(([k, o]) => ['GETBIT', k, o]) },
  { weight: 1, arbitrary: key.map((k) => ['LPUSH', k, 'x']) },
  // Plain string commands between bit commands: the key changes form both ways.
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.tuple(key, binary).map(([k, v]) => ['APPEND', k, v]),
      fc.tuple(key, fc.nat(30), binary).map(([k, o, v]) => ['SETRANGE', k, String(o), v]),
      fc.tuple(key, index, index).map(([k, i, j]) => ['GETRANGE', k, i, j]),
      key.map((k) => ['STRLEN', k]),
      fc.tuple(key, key).map(([k, d]) => ['COPY', k, d, 'REPLACE']),
    ),
  },
);

test('random bit commands answer and store what Redis does', { skip }, async () => {
  await fc.assert(fc.asyncProperty(setup, fc.array(command, { minLength: 1, maxLength: 8 }), same), { numRuns: 500 });
});

test('BITFIELD edge cases: widths at their limits, #-offsets, growth, failures', { skip }, async () => {
  await same([], [
    ['BITFIELD', 'k1', 'SET', 'i64', '0', '-9223372036854775808', 'GET', 'i64', '0', 'GET', 'u63', '0', 'GET', 'u63', '1'],
    ['BITFIELD', 'k1', 'INCRBY', 'i64', '0', '-1', 'OVERFLOW', 'SAT', 'INCRBY', 'i64', '0', '-1', 'OVERFLOW', 'FAIL', 'INCRBY', 'i64', '0', '9223372036854775807'],
    ['BITFIELD', 'k2', 'OVERFLOW', 'FAIL', 'INCRBY', 'u8', '100', '300'],
    ['BITFIELD', 'k2', 'OVERFLOW', 'FAIL', 'SET', 'u2', '200', '4'],
    ['BITFIELD', 'k2', 'SET', 'u8', '#3', '255', 'SET', 'i5', '#7', '-16', 'GET', 'u40', '0'],
    ['BITFIELD', 'k3', 'GET', 'u8', '#2305843009213693953', 'GET', 'i3', '1000'],
    ['EXISTS', 'k3'],
    ['BITFIELD', 'k3', 'SET', 'u8', '#2305843009213693953', '7'],
    ['BITFIELD', 'k3'],
    ['BITFIELD_RO', 'k3', 'GET', 'u8', '0', 'SET', 'u8', '0', '1'],
    ['BITFIELD_RO', 'k3', 'GET', 'u8', '0', 'SET', 'x8', '0', '1'],
    ['BITFIELD', 'k3', 'SET', 'u8', '4294967296', '1'],
    ['BITFIELD', 'k3', 'OVERFLOW', 'SAT', 'SET', 'u8', '0', '-1', 'SET', 'i8', '0', '-1000', 'SET', 'u63', '0', '-1'],
    // Far enough below i60's minimum, Redis's 64-bit headroom wraps and SAT picks the maximum.
    ['BITFIELD', 'k4', 'OVERFLOW', 'SAT', 'SET', 'i60', '#0', '-8646911284551352320', 'GET', 'i60', '0', 'SET', 'i60', '#0', '-8646911284551352321', 'GET', 'i64', '0'],
  ]);
});

test('BITPOS and BITCOUNT: ranges in bytes and bits, bit 0 with and without an end', { skip }, async () => {
  const lines = [];
  for (const bit of ['0', '1']) {
    for (const range of [[], ['0'], ['1'], ['-1'], ['0', '-1'], ['1', '2'], ['2', '1'], ['0', '23', 'BIT'], ['3', '20', 'BIT'], ['-5', '-1', 'BIT'], ['7', '7', 'BIT'], ['0', '100']]) {
      for (const k of ['k1', 'k2', 'k3', 'missing']) lines.push(['BITPOS', k, bit, ...range]);
    }
  }
  for (const range of [[], ['0', '-1'], ['1', '1'], ['-2', '-1'], ['5', '30', 'BIT'], ['-1', '-2'], ['-1', '-2', 'NIBBLE'], ['0'], ['0', '1', 'BIT', 'X']]) {
    for (const k of ['k1', 'k2', 'k3', 'missing']) lines.push(['BITCOUNT', k, ...range]);
  }
  lines.push(['BITPOS', 'missing', '1', 'x', 'y', 'z', 'w'], ['BITPOS', 'k1', '1', '0', '1', 'BIT', 'extra'], ['BITPOS', 'k1', '1', '0', 'x', 'NIBBLE']);
  await same([['SET', 'k1', '\xff\xff\xff'], ['SET', 'k2', '\x00\x00\x00'], ['SET', 'k3', '']], lines);
});

test('BITOP: missing keys as zeros, the longest length, an empty result deletes, NOT takes one key', { skip }, async () => {
  await same([['SET', 'k1', 'foobar'], ['SET', 'k2', '\xff'], ['LPUSH', 'list', 'x']], [
    ['BITOP', 'AND', 'k3', 'k1', 'k2'],
    ['BITOP', 'OR', 'k3', 'k1', 'k2', 'missing'],
    ['BITOP', 'XOR', 'k3', 'k3', 'k1'],
    ['BITOP', 'NOT', 'k3', 'k1'],
    ['BITOP', 'NOT', 'k3', 'k1', 'k2'],
    ['BITOP', 'AND', 'k3', 'missing', 'missing2'],
    ['EXISTS', 'k3'],
    ['BITOP', 'AND', 'k3', 'missing'],
    ['BITOP', 'OR', 'k3', 'k1', 'list'],
    ['BITOP', 'NAND', 'k3', 'k1'],
    ['BITOP', 'OR', 'list', 'k1'],
    ['TYPE', 'list'],
  ]);
});

/** The commands a server appended to its append-only file for `lines`. */
async function appended(t, redis, lines) {
  const dir = tempDir();
  // always: under everysec Redis postpones its write while the last fsync runs, so the file could lag the replies.
  const { client } = await startInDir(t, dir, ['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { redis });
  for (const args of lines) await client.call(...args).catch(() => {});
  await client.call('PING');
  const incr = fs.readdirSync(path.join(dir, 'appendonlydir')).find((f) => f.endsWith('.incr.aof'));
  return fs.readFileSync(path.join(dir, 'appendonlydir', incr), 'latin1');
}

const WRITES = [
  ['BITFIELD', 'k', 'GET', 'u8', '0'],
  ['BITFIELD', 'k', 'SET', 'i5', '0', '0'],
  ['BITFIELD', 'k', 'SET', 'i5', '0', '0'],
  ['BITFIELD', 'k', 'INCRBY', 'u4', '2', '3', 'GET', 'u8', '0'],
  ['BITFIELD', 'k', 'OVERFLOW', 'FAIL', 'INCRBY', 'u4', '2', '100'],
  ['BITFIELD', 'k', 'SET', 'u8', '100', '0'],
  ['BITFIELD', 'k', 'SET', 'u8', 'x', '0'],
  ['BITFIELD', 'k2', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '0', '10'],
  ['SETBIT', 'b', '3', '1'],
  ['SETBIT', 'b', '3', '1'],
  ['BITOP', 'OR', 'd', 'k', 'b'],
  ['BITOP', 'AND', 'd', 'missing'],
  ['BITOP', 'AND', 'd', 'missing'],
];

test('writes reach the append-only file as Redis records them (only when something changed)', { skip }, async (t) => {
  assert.equal(await appended(t, false, WRITES), await appended(t, true, WRITES));
});

test('keyspace events of the bit writes are Redis\'s', { skip }, async (t) => {
  const run = (port) => async () => {
    const conn = await replyConnection(port);
    await conn.command('FLUSHALL');
    for (const args of WRITES) await conn.command(...args);
    conn.close();
  };
  assert.deepEqual(await keyEvents(t, mine.port, 'KEA', run(mine.port)), await keyEvents(t, redisPort, 'KEA', run(redisPort)));
});

test('a snapshot written while bit commands edit keys in place holds the values of its start', async (t) => {
  const dir = tempDir();
  const { client, proc } = await startInDir(t, dir, ['--save', '', '--enable-debug-command', 'yes']);
  const n = 500;
  const pipeline = client.pipeline();
  for (let i = 0; i < n; i++) pipeline.call('BITFIELD', `b${i}`, 'SET', 'u8', '8000', String(i & 255));
  await pipeline.exec();
  const digest = await client.call('DEBUG', 'DIGEST');
  // In one write with BGSAVE, the edits run before the snapshot's first step writes anything.
  const edits = client.pipeline().bgsave();
  for (let i = 0; i < n; i++) edits.call('BITFIELD', `b${i}`, 'INCRBY', 'u8', '8000', '1', 'SET', 'u8', '16000', '1');
  await edits.exec();
  while (/rdb_bgsave_in_progress:1/.test(await client.info('persistence'))) await new Promise((r) => setTimeout(r, 10));
  proc.kill('SIGKILL');
  const again = await startInDir(t, dir, ['--save', '', '--enable-debug-command', 'yes']);
  assert.equal(await again.client.call('DEBUG', 'DIGEST'), digest);
  assert.deepEqual(await again.client.call('BITFIELD_RO', 'b7', 'GET', 'u8', '8000', 'GET', 'u8', '16000'), [7, 0]);
});

test('WATCH sees bit writes that change a value, not those that rewrite it as it was', async (t) => {
  const other = new Redis({ port: mine.port });
  const client = new Redis({ port: mine.port });
  t.after(() => {
    other.disconnect();
    client.disconnect();
  });
  await client.flushall();
  await client.setbit('w', 5, 1);
  const attempt = async (write) => {
    await client.watch('w');
    await write();
    return client.multi().get('w').exec();
  };
  assert.notEqual(await attempt(() => other.setbit('w', 5, 1)), null);
  assert.notEqual(await attempt(() => other.call('BITFIELD', 'w', 'SET', 'u1', '5', '1')), null);
  assert.equal(await attempt(() => other.call('BITFIELD', 'w', 'INCRBY', 'u2', '4', '1')), null);
  assert.equal(await attempt(() => other.setbit('w', 40, 0)), null, 'growing is a change');
  assert.equal(await attempt(() => other.call('BITOP', 'NOT', 'w', 'w')), null);
  assert.equal(await client.strlen('w'), 6);
});
