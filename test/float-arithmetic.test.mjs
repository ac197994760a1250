// Float arithmetic compared byte for byte with a real redis-server 7.0.15:
// INCRBYFLOAT and HINCRBYFLOAT (strtold, x87 long double addition, "%.17Lf"),
// ZINCRBY and ZADD INCR (doubles printed as "%.17g"; with NX/XX/GT/LT/CH
// on both encodings), in a table of tricky cases and in random command
// streams; then what the append-only file records for the float increments.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { HAVE_REDIS, replyConnection, startInDir, startRedis, startServer, tempDirs } from './helpers.mjs';

const ours = process.env.TEST_TARGET !== 'redis';
const differential = HAVE_REDIS && ours;
const tempDir = tempDirs('noderedis-float-');

let mine;
let reference;
let a;
let b;

before(async () => {
  mine = await startServer(['--save', '']);
  a = await replyConnection(mine.port);
  if (differential) {
    reference = await startRedis();
    b = reference.conn;
  }
});

after(async () => {
  a?.close();
  reference?.stop();
  await mine?.stop();
});

/** Runs a command on both servers; the replies must be the same bytes. Returns Redis's. */
async function both(args) {
  const mineReply = await a.command(...args);
  if (b === undefined) return mineReply;
  const theirs = await b.command(...args);
  assert.equal(mineReply, theirs, args.map((x) => JSON.stringify(x)).join(' '));
  return theirs;
}

async function same(lines) {
  await both(['FLUSHALL']);
  for (const args of lines) await both(args);
}

const big = '9'.repeat(4932);
const TRICKY = [
  // The examples: the 64-bit significand shows through.
  ['SET', 'k', '2'], ['INCRBYFLOAT', 'k', '1e17'],
  ['INCRBYFLOAT', 'pi', '3.14159265358979323846'],
  ['INCRBYFLOAT', 'd', '1000.1'], ['INCRBYFLOAT', 'd', '0.1'], ['INCRBYFLOAT', 'd', '-1000.2'],
  ['INCRBYFLOAT', 'p', '0.1'], ['INCRBYFLOAT', 'p', '0.2'], ['INCRBYFLOAT', 'p', '-0.3'],
  // Ties at the 17th decimal round to even (1 + 2^-18, 1 + 3 * 2^-18).
  ['SET', 't', '1.000003814697265625'], ['INCRBYFLOAT', 't', '0'],
  ['SET', 't2', '1.000011444091796875'], ['INCRBYFLOAT', 't2', '0'],
  ['INCRBYFLOAT', 'h1', '0.000000000000000005'], ['INCRBYFLOAT', 'h2', '-0.000000000000000015'],
  ['INCRBYFLOAT', 'h3', '0.000000000000000025'], ['INCRBYFLOAT', 'h4', '0.00000000000000000500001'],
  // Large and tiny magnitudes: every digit of the binary value, or 0.
  ['INCRBYFLOAT', 'e', '1e300'], ['INCRBYFLOAT', 'e', '-1e300'], ['INCRBYFLOAT', 'e', '1e-30'],
  ['INCRBYFLOAT', 'm', '1.18973149535723176502e4932'], ['INCRBYFLOAT', 'm', '1e4932'],
  ['INCRBYFLOAT', 'm2', '1.18973149535723176509e4932'], ['INCRBYFLOAT', 'm3', `${big}`],
  ['INCRBYFLOAT', 'u', '1e-4951'], ['INCRBYFLOAT', 'u', '2e-4951'], ['INCRBYFLOAT', 'u', '1e-4952'],
  ['INCRBYFLOAT', 'u2', '0e-99999'], ['INCRBYFLOAT', 'u2', '0x0p99999'], ['INCRBYFLOAT', 'u3', '1e99999999999999999999'],
  ['INCRBYFLOAT', 'u4', '0.' + '0'.repeat(5000) + '1e5000'],
  ['INCRBYFLOAT', 'i', '9007199254740993'], ['INCRBYFLOAT', 'i', '0.5'], ['INCRBYFLOAT', 'i', '18446744073709551617'],
  ['INCRBYFLOAT', 'i2', '-9223372036854775808'], ['INCRBYFLOAT', 'i2', '-1'],
  ['INCRBYFLOAT', 'c', '12345678901234567890.123456789'], ['INCRBYFLOAT', 'c', '-12345678901234567890.123456789'],
  ['INCRBYFLOAT', 'c2', '123456789012345678901234567890e-40'],
  // What strtold reads, and what string2ld then refuses.
  ['INCRBYFLOAT', 'x', '0x1p-3'], ['INCRBYFLOAT', 'x', '0x.8'], ['INCRBYFLOAT', 'x', '0X1.8P1'],
  ['INCRBYFLOAT', 'x', '0x1.fffffffffffffffep16383'], ['INCRBYFLOAT', 'x2', '0x1.ffffffffffffffffp16383'],
  ['INCRBYFLOAT', 'x3', '0x1.00000000000000018'], ['INCRBYFLOAT', 'x3', '0x1p-16445'], ['INCRBYFLOAT', 'x4', '0x1p-16446'],
  ['INCRBYFLOAT', 'v', ' 1'], ['INCRBYFLOAT', 'v', '1 '], ['INCRBYFLOAT', 'v', '\t1'], ['INCRBYFLOAT', 'v', '+1'],
  ['INCRBYFLOAT', 'v', '5.'], ['INCRBYFLOAT', 'v', '.5'], ['INCRBYFLOAT', 'v', '-.5'], ['INCRBYFLOAT', 'v', '.'],
  ['INCRBYFLOAT', 'v', ''], ['INCRBYFLOAT', 'v', '+'], ['INCRBYFLOAT', 'v', '.e5'], ['INCRBYFLOAT', 'v', '1e'],
  ['INCRBYFLOAT', 'v', '1e+'], ['INCRBYFLOAT', 'v', '1E+2'], ['INCRBYFLOAT', 'v', '0x'], ['INCRBYFLOAT', 'v', '0x1p'],
  ['INCRBYFLOAT', 'v', '0xg'], ['INCRBYFLOAT', 'v', '+-1'], ['INCRBYFLOAT', 'v', '1\x002'], ['INCRBYFLOAT', 'v', '1,5'],
  ['INCRBYFLOAT', 'v', 'inf'], ['INCRBYFLOAT', 'v', '-Infinity'], ['INCRBYFLOAT', 'v', 'infinit'],
  ['INCRBYFLOAT', 'v', 'nan'], ['INCRBYFLOAT', 'v', '-nan'], ['INCRBYFLOAT', 'v', 'nan(1)'],
  ['INCRBYFLOAT', 'v', '0'.repeat(5119)], ['INCRBYFLOAT', 'v', '0'.repeat(5120)], ['INCRBYFLOAT', 'v', '-0'],
  ['SET', 'w', '1'.repeat(5119)], ['INCRBYFLOAT', 'w', '1'], ['SET', 'w2', '1'.repeat(5120)], ['INCRBYFLOAT', 'w2', '1'],
  ['SET', 'w3', 'inf'], ['INCRBYFLOAT', 'w3', '1'], ['SET', 'w4', ' 2'], ['INCRBYFLOAT', 'w4', '1'],
  ['LPUSH', 'list', 'a'], ['INCRBYFLOAT', 'list', 'x'], ['GET', 'k'], ['GET', 'pi'],
  // HINCRBYFLOAT: the same arithmetic, its own errors.
  ['HINCRBYFLOAT', 'h', 'f', '1e300'], ['HINCRBYFLOAT', 'h', 'f', '-1e300'], ['HINCRBYFLOAT', 'h', 'f', '1000.1'],
  ['HINCRBYFLOAT', 'h', 'g', 'inf'], ['HINCRBYFLOAT', 'h', 'g', 'x'], ['HINCRBYFLOAT', 'h', 'g', '0x10'],
  ['HSET', 'h', 'i', 'inf', 'j', 'abc', 'l', '1'.repeat(5119), 'n', '12'],
  ['HINCRBYFLOAT', 'h', 'i', '1'], ['HINCRBYFLOAT', 'h', 'j', '1'], ['HINCRBYFLOAT', 'h', 'l', '1'], ['HINCRBYFLOAT', 'h', 'n', '0.1'],
  ['HINCRBYFLOAT', 'list', 'f', '1'], ['HINCRBYFLOAT', 'list', 'f', 'x'], ['HMGET', 'h', 'f', 'g', 'i', 'j', 'l', 'n'],
  // ZINCRBY and ZADD INCR: doubles, "%.17g", inf and -0.
  ['ZINCRBY', 'z', '1e17', 'a'], ['ZINCRBY', 'z', '0.1', 'b'], ['ZINCRBY', 'z', '0.2', 'b'], ['ZINCRBY', 'z', '1e-5', 'c'],
  ['ZINCRBY', 'z', '1e-300', 'd'], ['ZINCRBY', 'z', '1e300', 'e'], ['ZINCRBY', 'z', '1e300', 'e'],
  ['ZINCRBY', 'z', 'inf', 'f'], ['ZINCRBY', 'z', '-inf', 'f'], ['ZINCRBY', 'z', '-0', 'g'], ['ZADD', 'z', '-0', 'h'],
  ['ZSCORE', 'z', 'h'], ['ZADD', 'z', 'INCR', '-0', 'h'], ['ZINCRBY', 'z', '1e400', 'i'], ['ZINCRBY', 'z', '1e-400', 'i'],
  ['ZINCRBY', 'z', '4.9e-324', 'j'], ['ZINCRBY', 'z', '123456789012345678', 'k'], ['ZINCRBY', 'z', '0.000012345', 'l'],
  ['ZINCRBY', 'z', '0x1.8p1', 'm'], ['ZINCRBY', 'z', 'nan', 'n'], ['ZINCRBY', 'z', ' 1', 'n'], ['ZINCRBY', 'z', '1e308', 'o'],
  ['ZINCRBY', 'z', '1e308', 'o'], ['ZINCRBY', 'z', '9.999999999999999e22', 'p'], ['ZADD', 'z', 'INCR', '0.3', 'b'],
  ['ZADD', 'z', 'INCR', '5e-324', 'q'], ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
];

test('a table of tricky cases gives Redis’s replies', { skip: !differential && 'needs redis-server' }, async () => {
  await same(TRICKY);
});

test('doubles in RESP3 print as Redis prints them', { skip: !differential && 'needs redis-server' }, async () => {
  // HELLO's reply holds the connection's id, which differs.
  await Promise.all([a.command('HELLO', '3'), b.command('HELLO', '3')]);
  try {
    await same([
      ['ZINCRBY', 'z', '0.1', 'a'], ['ZINCRBY', 'z', '0.2', 'a'], ['ZINCRBY', 'z', 'inf', 'b'], ['ZINCRBY', 'z', '-0', 'c'],
      ['ZADD', 'z', 'INCR', '1e-7', 'd'], ['ZSCORE', 'z', 'c'], ['INCRBYFLOAT', 'k', '1e-7'], ['HINCRBYFLOAT', 'h', 'f', '1e21'],
    ]);
  } finally {
    await Promise.all([a.command('HELLO', '2'), b.command('HELLO', '2')]);
  }
});

// ---------------------------------------------------------------- random streams

const digits = (min, max) => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));
const sign = fc.constantFrom('', '', '-', '+');
/** Increments of every shape: integers, long decimals, exponents from 1e-30 to 1e300, hex, a few invalid ones. */
const increment = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: -1000, max: 1000 }).map(String) },
  { weight: 3, arbitrary: fc.tuple(sign, digits(0, 6), fc.constantFrom('5', '25', '125', '75', '0625')).map(([s, i, f]) => `${s}${i}.${f}`) },
  { weight: 5, arbitrary: fc.tuple(sign, digits(1, 22), digits(0, 25)).map(([s, i, f]) => (f === '' ? `${s}${i}` : `${s}${i}.${f}`)) },
  { weight: 4, arbitrary: fc.tuple(sign, digits(1, 1), digits(0, 20), fc.integer({ min: -30, max: 300 })).map(([s, i, f, e]) => `${s}${i}.${f}e${e}`) },
  { weight: 1, arbitrary: fc.tuple(sign, fc.stringMatching(/^[0-9a-f]{1,20}$/), fc.integer({ min: -80, max: 80 })).map(([s, h, p]) => `${s}0x${h}p${p}`) },
  // Subnormals, overflow, and hex significands at the edges of the exponent range.
  { weight: 1, arbitrary: fc.tuple(sign, digits(1, 3), fc.constantFrom(-4953, -4951, -4950, -4940, 4930, 4932, 4933)).map(([s, m, e]) => `${s}${m}e${e}`) },
  { weight: 1, arbitrary: fc.tuple(sign, fc.stringMatching(/^[0-9a-f]{15,18}$/), fc.integer({ min: -16520, max: -16380 })).map(([s, h, p]) => `${s}0x${h}p${p}`) },
  { weight: 1, arbitrary: fc.constantFrom('inf', '-inf', 'nan', '1e', ' 1', '1.2.3', '', '0', '-0', '1e309', '1e-400') },
);

/** One step: `cancel` adds the negation of a key's value, slightly off, to get near-total cancellation. */
const step = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('incrbyfloat'), key: fc.integer({ min: 0, max: 3 }), by: increment }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('hincrbyfloat'), key: fc.integer({ min: 0, max: 3 }), by: increment }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('zincrby'), key: fc.integer({ min: 0, max: 3 }), by: increment }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('zaddincr'), key: fc.integer({ min: 0, max: 3 }), by: increment }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('cancel'), key: fc.integer({ min: 0, max: 3 }), by: fc.constantFrom('', '1', '9', '0001', 'e-3') }) },
);

/** The bulk string inside a RESP2 reply, or null. */
const bulk = (reply) => (reply.startsWith('$') && !reply.startsWith('$-1') ? reply.slice(reply.indexOf('\r\n') + 2, -2) : null);
const negate = (text) => (text.startsWith('-') ? text.slice(1) : `-${text}`);

async function run(s) {
  const key = `s${s.key}`;
  switch (s.op) {
    case 'incrbyfloat':
      return both(['INCRBYFLOAT', key, s.by]);
    case 'hincrbyfloat':
      return both(['HINCRBYFLOAT', 'h', key, s.by]);
    case 'zincrby':
      return both(['ZINCRBY', 'z', s.by, key]);
    case 'zaddincr':
      return both(['ZADD', 'z', 'INCR', s.by, key]);
    case 'cancel': {
      const value = bulk(await both(['GET', key]));
      if (value === null || value.length > 300) return undefined;
      // A perturbation appended to the digits (or the exponent) of the exact negation.
      const by = s.by.startsWith('e') ? `${negate(value)}${s.by}` : `${negate(value)}${value.includes('.') ? '' : '.'}${s.by}`;
      return both(['INCRBYFLOAT', key, by]);
    }
  }
}

test('random streams of float increments give Redis’s replies', { skip: !differential && 'needs redis-server' }, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 50, maxLength: 150 }), async (steps) => {
      await both(['FLUSHALL']);
      for (const s of steps) await run(s);
      await both(['HMGET', 'h', 's0', 's1', 's2', 's3']);
      await both(['ZRANGE', 'z', '0', '-1', 'WITHSCORES']);
    }),
    { numRuns: 30 },
  );
});

test('random ZADD INCR with NX / XX / GT / LT / CH and ZINCRBY on both encodings give Redis’s scores', { skip: !differential && 'needs redis-server' }, async () => {
  const flags = fc.constantFrom([], ['NX'], ['XX'], ['GT'], ['LT'], ['CH'], ['XX', 'GT'], ['XX', 'LT', 'CH'], ['NX', 'GT'], ['GT', 'LT'], ['NX', 'XX']);
  const member = fc.constantFrom('a', 'b', 'c', '1', '-0', 'x'.repeat(70));
  const zstep = fc.oneof(
    { weight: 3, arbitrary: fc.tuple(flags, increment, member).map(([f, by, m]) => ['ZADD', 'z', ...f, 'INCR', by, m]) },
    { weight: 2, arbitrary: fc.tuple(increment, member).map(([by, m]) => ['ZINCRBY', 'z', by, m]) },
    { weight: 1, arbitrary: fc.tuple(flags, increment, member).map(([f, score, m]) => ['ZADD', 'z', ...f, score, m]) },
    { weight: 1, arbitrary: member.map((m) => ['ZSCORE', 'z', m]) },
  );
  await fc.assert(
    fc.asyncProperty(fc.constantFrom('128', '2'), fc.array(zstep, { minLength: 5, maxLength: 40 }), async (maxEntries, steps) => {
      await both(['FLUSHALL']);
      await both(['CONFIG', 'SET', 'zset-max-listpack-entries', maxEntries]);
      for (const args of steps) await both(args);
      await both(['ZRANGE', 'z', '0', '-1', 'WITHSCORES']);
      await both(['OBJECT', 'ENCODING', 'z']);
    }),
    { numRuns: 60 },
  );
  await both(['CONFIG', 'SET', 'zset-max-listpack-entries', '128']);
});

// ---------------------------------------------------------------- propagation

test('the append-only file records INCRBYFLOAT as SET KEEPTTL and HINCRBYFLOAT as HSET, as Redis does', { skip: !differential && 'needs redis-server' }, async (t) => {
  const files = [];
  for (const redis of [false, true]) {
    const dir = tempDir();
    const s = await startInDir(t, dir, ['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''], { redis });
    await s.client.set('i', '10');
    await s.client.expire('i', 1000);
    await s.client.call('INCRBYFLOAT', 'i', '0.1');
    await s.client.call('INCRBYFLOAT', 'n', '1e17');
    await s.client.call('HINCRBYFLOAT', 'h', 'f', '1000.1');
    await s.client.call('HINCRBYFLOAT', 'h', 'f', '1e-30');
    await assert.rejects(s.client.call('INCRBYFLOAT', 'n', 'inf'));
    await assert.rejects(s.client.call('HINCRBYFLOAT', 'h', 'f', 'x'));
    files.push(fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'latin1'));
  }
  const floats = (file) => file.split('*').filter((record) => /^4\r\n\$\d+\r\n(SET\r\n.*KEEPTTL|HSET)\r\n/s.test(record));
  assert.deepEqual(floats(files[0]), floats(files[1]));
  assert.deepEqual(floats(files[1]), [
    '4\r\n$3\r\nSET\r\n$1\r\ni\r\n$4\r\n10.1\r\n$7\r\nKEEPTTL\r\n',
    '4\r\n$3\r\nSET\r\n$1\r\nn\r\n$18\r\n100000000000000000\r\n$7\r\nKEEPTTL\r\n',
    '4\r\n$4\r\nHSET\r\n$1\r\nh\r\n$1\r\nf\r\n$22\r\n1000.09999999999999998\r\n',
    '4\r\n$4\r\nHSET\r\n$1\r\nh\r\n$1\r\nf\r\n$22\r\n1000.09999999999999998\r\n',
  ]);
});
