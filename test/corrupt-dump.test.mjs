// Corrupt input refused, every Redis encoding loaded: RESTORE payloads and
// dump.rdb files built byte by byte here, in each encoding any Redis version
// wrote (zipmap, ziplist, intset, quicklist v1/v2, listpack, streams), valid
// ones loading to the right contents and broken ones answered "Bad data
// format" with the server alive and nothing stored; random byte flips in
// real DUMP payloads and RDB files (fast-check); and redis-server 7.0 doing
// the same with the same bytes, where Redis refuses them too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import fc from 'fast-check';
import Redis from 'ioredis';
import { HAVE_REDIS, freePort, launch, startRedis, startServer, tempDirs, waitForPort } from './helpers.mjs';
import { crc64 } from '../dist/persistence/rdb.js';
import { ListpackWriter } from '../dist/persistence/listpack.js';
import { loadSnapshot, SnapshotError } from '../dist/persistence/snapshot.js';
import { Keyspace } from '../dist/store/keyspace.js';
import { LIMITS } from './values.mjs';

const tempDir = tempDirs('noderedis-corrupt-');

// ---------------------------------------------------------------- byte builders

const u16 = (n) => { const b = Buffer.alloc(2); b.writeUInt16LE(n); return b; };
const u32 = (n) => { const b = Buffer.alloc(4); b.writeUInt32LE(n); return b; };
const u64 = (n) => { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(n)); return b; };
const bytes = (...parts) => Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));

/** An RDB length (6-bit, 14-bit or 32-bit form). */
function len(n) {
  if (n < 64) return Buffer.from([n]);
  if (n < 16384) return Buffer.from([0x40 | (n >> 8), n & 0xff]);
  const b = Buffer.alloc(5);
  b[0] = 0x80;
  b.writeUInt32BE(n, 1);
  return b;
}
/** An RDB string: its length, then its bytes. */
const str = (s) => { const b = Buffer.isBuffer(s) ? s : Buffer.from(s, 'latin1'); return bytes(len(b.length), b); };

/** A DUMP payload: type, body, RDB version, CRC64 of all that. */
function payload(type, body, version = 10) {
  const covered = bytes([type], body, u16(version));
  return bytes(covered, crc64(covered));
}

/** A ziplist entry after an entry of `prevlen` bytes: integers 0..12, int8 and int16 as Redis encodes them, else a string. */
function zlEntry(prevlen, value) {
  const prev = prevlen < 254 ? Buffer.from([prevlen]) : bytes([0xfe], u32(prevlen));
  if (typeof value === 'number') {
    if (value >= 0 && value <= 12) return bytes(prev, [0xf1 + value]);
    if (value >= -128 && value <= 127) return bytes(prev, [0xfe, value & 0xff]);
    const b = Buffer.alloc(3);
    b[0] = 0xc0;
    b.writeInt16LE(value, 1);
    return bytes(prev, b);
  }
  const s = Buffer.from(value, 'latin1');
  return s.length < 64 ? bytes(prev, [s.length], s) : bytes(prev, [0x40 | (s.length >> 8), s.length & 0xff], s);
}
/** A ziplist: zlbytes, zltail, zllen, the entries, 0xff. */
function ziplist(values) {
  const entries = [];
  let prev = 0;
  let offset = 10;
  let tail = 10;
  for (const v of values) {
    const e = zlEntry(prev, v);
    tail = offset;
    entries.push(e);
    offset += e.length;
    prev = e.length;
  }
  return bytes(u32(offset + 1), u32(tail), u16(values.length), ...entries, [0xff]);
}
/** A listpack, with our writer (each element's encoding as lpAppend picks it). */
function listpack(values) {
  const lp = new ListpackWriter();
  for (const v of values) (typeof v === 'number' ? lp.integer(v) : lp.string(v));
  return lp.finish();
}
/** An intset of `width`-byte integers (given in the order to write them). */
function intset(width, values) {
  const body = Buffer.alloc(width * values.length);
  values.forEach((v, i) => (width === 2 ? body.writeInt16LE(v, 2 * i) : width === 4 ? body.writeInt32LE(v, 4 * i) : body.writeBigInt64LE(BigInt(v), 8 * i)));
  return bytes(u32(width), u32(values.length), body);
}
/** A zipmap (Redis 2.x small hashes): count, then field length, field, value length, free byte, value; 0xff. */
function zipmap(pairs, count = pairs.length) {
  return bytes([count], ...pairs.map(([f, v]) => bytes([f.length], f, [v.length, 0], v)), [0xff]);
}

/** Stream IDs as the node keys and PELs write them: milliseconds then sequence, 8 bytes each, big-endian. */
function rawId(ms, seq) {
  const b = Buffer.alloc(16);
  b.writeBigUInt64BE(BigInt(ms), 0);
  b.writeBigUInt64BE(BigInt(seq), 8);
  return b;
}
/**
 * A stream payload (RDB_TYPE_STREAM_LISTPACKS_2) of entries 1-1..n-1 with
 * fields f=v<i>, one group "g" whose consumer "c" owns entry 1-1; `change`
 * edits the parts before they are put together, to break one thing.
 */
function stream(n, change = () => {}) {
  const parts = {
    masterId: rawId(1, 1),
    node: [n, 0, 1, 'f', 0, ...Array.from({ length: n }, (_, i) => [2, 0, i, `v${i + 1}`, 4]).flat()],
    length: n,
    lastId: [1, n],
    groups: [{ name: 'g', pel: [[1, 1]], consumers: [{ name: 'c', pel: [[1, 1]] }] }],
  };
  change(parts);
  const group = (g) => bytes(
    str(g.name), len(1), len(1), len(1), len(g.pel.length),
    ...g.pel.map(([ms, seq]) => bytes(rawId(ms, seq), u64(1000), len(1))),
    len(g.consumers.length),
    ...g.consumers.map((c) => bytes(str(c.name), u64(1000), len(c.pel.length), ...c.pel.map(([ms, seq]) => rawId(ms, seq)))),
  );
  return payload(19, bytes(
    len(1), str(parts.masterId), str(listpack(parts.node)),
    len(parts.length), len(parts.lastId[0]), len(parts.lastId[1]), len(1), len(1), len(0), len(0), len(n),
    len(parts.groups.length), ...parts.groups.map(group),
  ));
}

// ---------------------------------------------------------------- servers

let ours;
let r;
let redis;
let redisProc;
before(async () => {
  // Deep sanitization, as the reference below: what sanitize-dump-payload no lets through has its own tests.
  ours = await startServer(['--enable-debug-command', 'yes', '--sanitize-dump-payload', 'yes']);
  r = new Redis({ port: ours.port });
  if (HAVE_REDIS) {
    const port = await freePort();
    redisProc = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--enable-debug-command', 'yes', '--sanitize-dump-payload', 'yes'], { stdio: 'ignore' });
    await waitForPort(port, redisProc);
    redis = new Redis({ port });
  }
});
after(async () => {
  await r?.quit();
  await ours?.stop();
  await redis?.quit();
  redisProc?.kill('SIGKILL');
});

/** What a key holds, in a form that compares across servers whatever the encoding. */
async function contents(c, key) {
  switch (await c.type(key)) {
    case 'string': return c.get(key);
    case 'list': return c.lrange(key, 0, -1);
    case 'set': return (await c.smembers(key)).sort();
    case 'zset': return c.zrange(key, 0, -1, 'WITHSCORES');
    case 'hash': return Object.entries(await c.hgetall(key)).sort();
    case 'stream': return [await c.xrange(key, '-', '+'), await c.xinfo('GROUPS', key)];
    default: return null;
  }
}

// ---------------------------------------------------------------- valid old encodings

const OLD_ENCODINGS = [
  ['zipmap hash (type 9, Redis 2.x)', payload(9, str(zipmap([['f1', 'v1'], ['f2', 'v2']])), 6), [['f1', 'v1'], ['f2', 'v2']]],
  ['ziplist list (type 10)', payload(10, str(ziplist(['a', 7, -100, 3000, 'x'.repeat(70)])), 6), ['a', '7', '-100', '3000', 'x'.repeat(70)]],
  ['intset of 16-bit integers (type 11)', payload(11, str(intset(2, [-5, 1, 300]))), ['-5', '1', '300']],
  ['intset of 32-bit integers', payload(11, str(intset(4, [-70000, 2, 100000]))), ['-70000', '100000', '2']],
  ['intset of 64-bit integers', payload(11, str(intset(8, [-5000000000, 5000000000]))), ['-5000000000', '5000000000']],
  ['ziplist sorted set (type 12)', payload(12, str(ziplist(['c', -3, 'a', 1, 'b', '2.5'])), 8), ['c', '-3', 'a', '1', 'b', '2.5']],
  ['ziplist hash (type 13)', payload(13, str(ziplist(['f1', 'v1', 'n', 12])), 9), [['f1', 'v1'], ['n', '12']]],
  // Quicklist v1: an empty ziplist node is skipped, as Redis skips it.
  ['quicklist of ziplists (type 14)', payload(14, bytes(len(3), str(ziplist(['a', 'b'])), str(ziplist([])), str(ziplist([1, 2])))), ['a', 'b', '1', '2']],
  ['quicklist v2, packed and plain nodes (type 18)', payload(18, bytes(len(2), len(2), str(listpack(['a', 5])), len(1), str('plain'.repeat(3)))), ['a', '5', 'plainplainplain']],
  ['listpack hash (type 16)', payload(16, str(listpack(['f', 'v', 'g', 1]))), [['f', 'v'], ['g', '1']]],
  ['listpack sorted set (type 17)', payload(17, str(listpack(['n', -2, 'm', '1.5']))), ['n', '-2', 'm', '1.5']],
];

for (const [name, bytesOf, expected] of OLD_ENCODINGS) {
  test(`RESTORE loads a ${name} with the right contents`, async () => {
    await r.restore('old', 0, bytesOf, 'REPLACE');
    assert.deepEqual(await contents(r, 'old'), expected);
    if (redis) {
      await redis.restore('old', 0, bytesOf, 'REPLACE');
      assert.deepEqual(await contents(redis, 'old'), expected, 'redis-server reads these bytes the same way');
    }
  });
}

test('RESTORE loads a stream built byte by byte, with its group, PEL and consumer', async () => {
  const bytesOf = stream(3);
  await r.restore('s', 0, bytesOf, 'REPLACE');
  const mine = await contents(r, 's');
  assert.deepEqual(mine[0], [['1-1', ['f', 'v1']], ['1-2', ['f', 'v2']], ['1-3', ['f', 'v3']]]);
  assert.deepEqual(await r.xpending('s', 'g'), [1, '1-1', '1-1', [['c', '1']]]);
  if (redis) {
    await redis.restore('s', 0, bytesOf, 'REPLACE');
    assert.deepEqual(await contents(redis, 's'), mine);
  }
});

test('a zipmap hash past hash-max-listpack-entries or -value loads as a hash table', async (t) => {
  const s = await startServer(['--hash-max-ziplist-entries', '1']);
  const c = new Redis({ port: s.port });
  t.after(async () => { c.disconnect(); await s.stop(); });
  await c.restore('h', 0, payload(9, str(zipmap([['f1', 'v1'], ['f2', 'v2']])), 6));
  assert.equal(await c.object('ENCODING', 'h'), 'hashtable');
  assert.deepEqual(await c.hmget('h', 'f1', 'f2'), ['v1', 'v2']);
  await r.restore('h', 0, payload(9, str(zipmap([['f1', 'v'.repeat(65)]])), 6), 'REPLACE');
  assert.equal(await r.object('ENCODING', 'h'), 'hashtable');
});

// ---------------------------------------------------------------- corrupt payloads

/** Copies `b` and sets the byte at `at` (negative: from the end) to `value`. */
function patch(b, at, value) {
  const out = Buffer.from(b);
  out[at < 0 ? out.length + at : at] = value;
  return out;
}
const zl = ziplist(['f1', 'v1', 'f2', 'v2']);
const lp = listpack(['f1', 'v1', 'f2', 'v2']);

/** [name, payload, whether redis-server 7.0 with sanitize-dump-payload yes refuses it too]. */
const CORRUPT = [
  ['ziplist: zlbytes beyond the blob', payload(13, str(patch(zl, 0, zl.length + 1))), true],
  ['ziplist: zltail not at the last entry', payload(13, str(patch(zl, 4, 10))), true],
  ['ziplist: entry count in the header wrong', payload(13, str(patch(zl, 8, 5))), true],
  ['ziplist: prevlen not the previous entry\'s size', payload(13, str(patch(zl, 14, 9))), true],
  ['ziplist: string entry reaching past the end', payload(13, str(patch(zl, 11, 0x30))), true],
  ['ziplist: unknown encoding byte', payload(13, str(patch(zl, 11, 0xc5))), true],
  ['ziplist: no terminator', payload(13, str(patch(zl, -1, 0x00))), true],
  ['ziplist hash: odd number of entries', payload(13, str(ziplist(['f1', 'v1', 'f2']))), true],
  ['ziplist hash: duplicate field', payload(13, str(ziplist(['f1', 'v1', 'f1', 'v2']))), true],
  ['ziplist sorted set: duplicate member', payload(12, str(ziplist(['m', 1, 'm', 2]))), true],
  ['ziplist list in a quicklist: bad prevlen', payload(14, bytes(len(1), str(patch(ziplist(['a', 'b']), 13, 7)))), true],
  ['listpack: total bytes wrong', payload(16, str(patch(lp, 0, lp.length - 1))), true],
  ['listpack: element count wrong', payload(16, str(patch(lp, 4, 3))), true],
  ['listpack: back-length not the entry\'s size', payload(16, str(patch(lp, 9, 7))), true],
  ['listpack: unknown encoding byte', payload(16, str(patch(lp, 6, 0xf5))), true],
  ['listpack: string entry reaching past the end', payload(16, str(patch(lp, 6, 0xbf))), true],
  ['listpack: no terminator', payload(16, str(patch(lp, -1, 0x01))), true],
  ['listpack hash: duplicate field', payload(16, str(listpack(['f', '1', 'f', '2']))), true],
  ['listpack sorted set: odd number of entries', payload(17, str(listpack(['m', 1, 'n']))), true],
  ['quicklist v2: listpack with a bad back-length', payload(18, bytes(len(1), len(2), str(patch(listpack(['a', 'b']), 8, 9)))), true],
  ['quicklist v2: unknown node container', payload(18, bytes(len(1), len(3), str(listpack(['a'])))), true],
  ['quicklist v2: node of zero bytes', payload(18, bytes(len(1), len(2), len(0))), true],
  ['quicklist v1: only an empty ziplist (an empty list)', payload(14, bytes(len(1), str(ziplist([])))), true],
  ['intset: members out of order', payload(11, str(intset(2, [3, 1]))), true],
  ['intset: duplicate member', payload(11, str(intset(2, [1, 1]))), true],
  ['intset: unknown integer width', payload(11, str(bytes(u32(3), u32(1), [1, 0, 0]))), true],
  ['intset: count not matching the size', payload(11, str(bytes(u32(2), u32(3), [1, 0, 2, 0]))), true],
  ['intset: empty', payload(11, str(intset(2, []))), true],
  ['zipmap: empty', payload(9, str(Buffer.from([0, 0xff]))), true],
  ['zipmap: count in the header wrong', payload(9, str(zipmap([['a', 'b']], 3))), true],
  ['zipmap: value reaching past the end', payload(9, str(patch(zipmap([['a', 'b']]), 3, 40))), true],
  ['zipmap: duplicate field', payload(9, str(zipmap([['a', 'b'], ['a', 'c']]))), true],
  ['hash: duplicate field', payload(4, bytes(len(2), str('a'), str('1'), str('a'), str('2'))), true],
  ['hash: no fields', payload(4, len(0)), true],
  ['set: duplicate member', payload(2, bytes(len(2), str('a'), str('a'))), true],
  ['list: no elements', payload(1, len(0)), true],
  ['sorted set: duplicate member', payload(5, bytes(len(2), str('a'), Buffer.alloc(8), str('a'), Buffer.alloc(8))), true],
  ['sorted set: NaN score', payload(5, bytes(len(1), str('a'), Buffer.from([0, 0, 0, 0, 0, 0, 0xf8, 0x7f]))), true],
  ['sorted set: more members announced than present', payload(5, bytes(len(3), str('a'), Buffer.alloc(8))), true],
  ['string: LZF data shorter than announced', payload(0, bytes([0xc3], len(2), len(50), [1, 0x61])), true],
  ['string: length of 2^63 bytes', payload(0, bytes([0x81], Buffer.from([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))), true],
  ['set: 2^64-1 members announced', payload(2, bytes([0x81], Buffer.alloc(8, 0xff), str('a'))), true],
  ['unknown value type', payload(8, str('x')), true],
  ['stream: entry count in the listpack wrong', stream(2, (p) => { p.node[0] = 3; }), true],
  ['stream: bad lp-count', stream(2, (p) => { p.node[9] = 7; }), true],
  ['stream: length not the number of entries', stream(2, (p) => { p.length = 5; }), false],
  ['stream: node key not 16 bytes', stream(2, (p) => { p.masterId = p.masterId.subarray(0, 15); }), true],
  ['stream: duplicate consumer', stream(2, (p) => { p.groups[0].consumers.push({ name: 'c', pel: [] }); }), true],
  ['stream: duplicate group', stream(2, (p) => { p.groups.push({ ...p.groups[0] }); }), true],
  ['stream: PEL entry without a consumer', stream(2, (p) => { p.groups[0].consumers[0].pel = []; }), true],
  ['stream: consumer PEL entry missing from the group PEL', stream(2, (p) => { p.groups[0].consumers[0].pel.push([1, 2]); }), true],
  ['stream: last ID below the last entry', stream(2, (p) => { p.lastId = [1, 1]; }), false],
  // Redis 7.0 ignores what follows the value in a payload; nothing can follow a whole value here.
  ['bytes after the value', payload(0, bytes(str('abc'), [0])), false],
];

for (const [name, bad, redisRefuses] of CORRUPT) {
  test(`RESTORE refuses a corrupt payload (${name}) with Bad data format, storing nothing`, async () => {
    await r.del('bad');
    await assert.rejects(r.restore('bad', 0, bad), { message: 'ERR Bad data format' });
    assert.equal(await r.exists('bad'), 0);
    assert.equal(await r.ping(), 'PONG');
    if (redis && redisRefuses) await assert.rejects(redis.restore('bad', 0, bad), { message: 'ERR Bad data format' }, 'redis-server refuses it too');
  });
}

test('DEBUG SET-SKIP-CHECKSUM-VALIDATION 1 lets a payload with a wrong checksum through to the decoder', async () => {
  const good = payload(13, str(ziplist(['f', 'v'])));
  const wrongCrc = patch(good, -1, good[good.length - 1] ^ 0xff);
  await assert.rejects(r.restore('k', 0, wrongCrc, 'REPLACE'), { message: 'ERR DUMP payload version or checksum are wrong' });
  await r.debug('SET-SKIP-CHECKSUM-VALIDATION', '1');
  try {
    await r.restore('k', 0, wrongCrc, 'REPLACE');
    assert.deepEqual(await r.hgetall('k'), { f: 'v' });
    const bad = patch(payload(13, str(patch(ziplist(['f', 'v']), 8, 9))), -1, 0);
    await assert.rejects(r.restore('k', 0, bad, 'REPLACE'), { message: 'ERR Bad data format' });
    // The version is still checked: 7.0 reads payloads up to RDB 10.
    await assert.rejects(r.restore('k', 0, payload(0, str('x'), 11), 'REPLACE'), { message: 'ERR DUMP payload version or checksum are wrong' });
  } finally {
    await r.debug('SET-SKIP-CHECKSUM-VALIDATION', '0');
  }
  for (const mode of ['no', 'clients', 'yes']) await r.config('SET', 'sanitize-dump-payload', mode);
  assert.deepEqual(await r.config('GET', 'sanitize-dump-payload'), ['sanitize-dump-payload', 'yes']);
});

// ---------------------------------------------------------------- sanitize-dump-payload no and clients

/**
 * Payloads whose only faults are ones Redis looks for with deep sanitization
 * alone: without it Redis stores them and dies of an assertion when a
 * command walks them. [name, payload, type, a command reading the contents].
 */
const DEEP_ONLY = [
  ['stream node with a bad lp-count', stream(2, (p) => { p.node[9] = 7; }), 'stream', ['XRANGE', 'k', '-', '+']],
  ['stream PEL entry without a consumer', stream(2, (p) => { p.groups[0].consumers[0].pel = []; }), 'stream', ['XPENDING', 'k', 'g']],
  ['hash listpack with a duplicate field', payload(16, str(listpack(['f', '1', 'f', '2']))), 'hash', ['HGETALL', 'k']],
  ['sorted-set listpack with an odd number of entries', payload(17, str(listpack(['m', 1, 'n']))), 'zset', ['ZRANGE', 'k', '0', '-1']],
  ['quicklist v2 listpack with a bad back-length', payload(18, bytes(len(1), len(2), str(patch(listpack(['a', 'b']), 8, 9)))), 'list', ['LPOP', 'k']],
  ['intset out of order', payload(11, str(intset(2, [3, 1]))), 'set', ['SISMEMBER', 'k', '1']],
];

/** Faults Redis refuses whatever sanitize-dump-payload says: the headers of listpacks and intsets, and the rest of a stream. */
const ALWAYS_REFUSED = [
  ['listpack: total bytes wrong', payload(16, str(patch(lp, 0, lp.length - 1)))],
  ['listpack: no terminator', payload(16, str(patch(lp, -1, 0x01)))],
  ['quicklist v2: listpack total bytes wrong', payload(18, bytes(len(1), len(2), str(patch(listpack(['a']), 0, 9))))],
  ['intset: unknown integer width', payload(11, str(bytes(u32(3), u32(1), [1, 0, 0])))],
  ['intset: empty', payload(11, str(intset(2, [])))],
  ['stream: node key not 16 bytes', stream(2, (p) => { p.masterId = p.masterId.subarray(0, 15); })],
  ['stream: duplicate consumer', stream(2, (p) => { p.groups[0].consumers.push({ name: 'c', pel: [] }); })],
  ['ziplist hash: entry count in the header wrong', payload(13, str(patch(zl, 8, 5)))],
];

test('sanitize-dump-payload no: a payload only deep checks refuse is kept, reported as Redis\'s assertion, and reading it is an error, not a crash', async (t) => {
  const s = await startServer(['--enable-debug-command', 'yes']);
  const c = new Redis({ port: s.port });
  t.after(async () => { c.disconnect(); await s.stop(); });
  const reference = HAVE_REDIS ? await startRedis([]) : undefined;
  const ref = reference && new Redis({ port: reference.port });
  t.after(() => { ref?.disconnect(); reference?.stop(); });
  for (const [name, bad, type, read] of DEEP_ONLY) {
    assert.equal(await c.restore('k', 0, bad, 'REPLACE'), 'OK', name);
    if (ref) assert.equal(await ref.restore('k', 0, bad, 'REPLACE'), 'OK', `redis-server stores it too: ${name}`);
    assert.equal(await c.type('k'), type, name);
    await assert.rejects(c.call(...read), /^ReplyError: ERR the value at this key is corrupt \(.+\); it was loaded without deep sanitization/, name);
    // The bytes go on unchanged: DUMP gives back the payload (its checksum was right).
    assert.deepEqual(await c.dumpBuffer('k'), bad, name);
    assert.equal(await c.ping(), 'PONG');
  }
  const reports = s.output().split('\n').filter((l) => l.includes('=== ASSERTION FAILED ==='));
  assert.equal(reports.length, DEEP_ONLY.length, s.output());
  assert.match(s.output(), /==> Stream listpack integrity check failed\. \(the value of key 'k', loaded without deep sanitization/);
  // SAVE writes the bytes as they came and loading takes them back the same way.
  for (const [i, [, bad]] of DEEP_ONLY.entries()) await c.restore(`kept${i}`, 0, bad);
  await c.debug('RELOAD');
  for (const [i, [name, bad, type]] of DEEP_ONLY.entries()) {
    assert.equal(await c.type(`kept${i}`), type, name);
    assert.deepEqual(await c.dumpBuffer(`kept${i}`), bad, name);
  }
  assert.equal(await c.del('k'), 1);
  for (const [name, bad] of ALWAYS_REFUSED) {
    await assert.rejects(c.restore('bad', 0, bad), { message: 'ERR Bad data format' }, name);
    if (ref) await assert.rejects(ref.restore('bad', 0, bad), { message: 'ERR Bad data format' }, `redis-server refuses it too: ${name}`);
  }
  assert.equal(await c.exists('bad'), 0);
});

test('sanitize-dump-payload no: commands that look at types themselves (SORT, blocking pops, ZUNIONSTORE, XREAD) answer the corrupt-value error too', async (t) => {
  const s = await startServer([]);
  const c = new Redis({ port: s.port });
  t.after(async () => { c.disconnect(); await s.stop(); });
  const of = (type) => DEEP_ONLY.find(([, , kind]) => kind === type)[1];
  await c.restore('list', 0, of('list'));
  await c.restore('set', 0, of('set'));
  await c.restore('zset', 0, of('zset'));
  await c.restore('hash', 0, of('hash'));
  await c.restore('stream', 0, of('stream'));
  await c.rpush('names', 'hash');
  const calls = [
    ['SORT', 'list'], ['SORT', 'set', 'ALPHA'], ['SORT_RO', 'zset', 'BY', 'nosort'], ['SORT', 'names', 'BY', '*->f'],
    ['BLPOP', 'list', '0.01'], ['LMPOP', '1', 'list', 'LEFT'], ['BLMOVE', 'list', 'x', 'LEFT', 'LEFT', '0.01'],
    ['ZUNIONSTORE', 'out', '2', 'zset', 'set'], ['ZINTER', '1', 'set'], ['XREAD', 'STREAMS', 'stream', '0'], ['XREAD', 'BLOCK', '10', 'STREAMS', 'stream', '$'],
  ];
  for (const call of calls) await assert.rejects(c.call(...call), /^ReplyError: ERR the value at this key is corrupt/, call.join(' '));
  assert.doesNotMatch(s.output(), /Unexpected error/);
});

test('a hash listpack past hash-max-listpack-entries with duplicate fields is reported as Redis words it ("listpack with dup elements")', async (t) => {
  const s = await startServer(['--hash-max-listpack-entries', '1']);
  const c = new Redis({ port: s.port });
  t.after(async () => { c.disconnect(); await s.stop(); });
  await c.restore('h', 0, payload(16, str(listpack(['a', '1', 'b', '2', 'a', '3', 'd', '4']))));
  await assert.rejects(c.hlen('h'), /listpack with dup elements/);
  assert.equal(s.output().split('\n').filter((l) => l.includes('listpack with dup elements')).length, 1, s.output());
});

test('sanitize-dump-payload clients: deep checks for clients, none for a user with skip-sanitize-payload', async (t) => {
  const s = await startServer(['--sanitize-dump-payload', 'clients']);
  const c = new Redis({ port: s.port });
  const trusted = new Redis({ port: s.port, lazyConnect: true });
  t.after(async () => { c.disconnect(); trusted.disconnect(); await s.stop(); });
  const [, bad] = DEEP_ONLY[0];
  await assert.rejects(c.restore('k', 0, bad), { message: 'ERR Bad data format' });
  await c.acl('SETUSER', 'loader', 'on', 'nopass', '+@all', '~*', 'skip-sanitize-payload');
  await trusted.connect();
  await trusted.call('AUTH', 'loader', 'any');
  assert.equal(await trusted.restore('k', 0, bad), 'OK');
  await assert.rejects(trusted.xrange('k', '-', '+'), /corrupt/);
});

test('dump.rdb with a value only deep checks refuse: loaded and reported with sanitize-dump-payload no, refused at start with yes (as redis-server)', async (t) => {
  const file = rdbFile(10, [record(0, 'a', str('1')), record(16, 'h', str(listpack(['f', '1', 'f', '2'])))]);
  const loose = await startOnFile(t, file);
  assert.ok(loose.client, loose.output());
  assert.equal(await loose.client.type('h'), 'hash');
  await assert.rejects(loose.client.hgetall('h'), /corrupt/);
  assert.equal(await loose.client.get('a'), '1');
  assert.match(loose.output(), /=== ASSERTION FAILED ===\n.*==> Hash listpack integrity check failed\. \(the value of key 'h'/);
  const strict = await startOnFile(t, file, { args: ['--sanitize-dump-payload', 'yes'] });
  assert.equal(strict.code, 1, strict.output());
  assert.match(strict.output(), /Hash listpack integrity check failed\./);
  if (HAVE_REDIS) {
    assert.ok((await startOnFile(t, file, { redis: true })).client, 'redis-server loads it without deep checks');
    assert.equal((await startOnFile(t, file, { redis: true, args: ['--sanitize-dump-payload', 'yes'] })).code, 1, 'and refuses it with them');
  }
});

// ---------------------------------------------------------------- fuzzing

/** Reads a restored key the way its type is read, so a bad value would show up as an error or a crash. */
async function readBack(c, key) {
  const type = await c.type(key);
  if (type === 'string') await c.get(key);
  else if (type === 'list') await c.lrange(key, 0, -1);
  else if (type === 'set') await c.smembers(key);
  else if (type === 'zset') await c.zrange(key, 0, -1, 'WITHSCORES');
  else if (type === 'hash') await c.hgetall(key);
  else if (type === 'stream') {
    await c.xrange(key, '-', '+');
    await c.xinfo('STREAM', key, 'FULL');
  }
}

for (const mode of ['yes', 'no']) test(`RESTORE of DUMP payloads with random bytes changed, sanitize-dump-payload ${mode}: loaded and readable, or refused; the server stays up (property)`, async (t) => {
  await r.config('SET', 'sanitize-dump-payload', mode);
  t.after(() => r.config('SET', 'sanitize-dump-payload', 'yes'));
  // Without deep checks a value Redis would trip over later is kept, and reading it is an error.
  const refusal = mode === 'yes' ? /^(ERR Bad data format|WRONGTYPE)/ : /^(ERR Bad data format|WRONGTYPE|ERR the value at this key is corrupt)/;
  await r.flushall();
  await r.rpush('list', 'a', 'b', 1, 2, 'x'.repeat(80));
  await r.hset('hash', 'f1', 'v1', 'f2', 2, 'f3', 'z'.repeat(70));
  await r.sadd('intset', 1, 2, 300, -70000);
  await r.sadd('set', 'a', 'b', 'c');
  await r.zadd('zset', 1, 'a', 2.5, 'b', -3, 'c');
  await r.set('string', 'abc'.repeat(40));
  for (let i = 0; i < 5; i++) await r.xadd('stream', '*', 'item', i, 'value', `v${i}`);
  await r.xgroup('CREATE', 'stream', 'grp', '0');
  await r.xreadgroup('GROUP', 'grp', 'alice', 'COUNT', 2, 'STREAMS', 'stream', '>');
  const dumps = [];
  for (const key of ['list', 'hash', 'intset', 'set', 'zset', 'string', 'stream']) dumps.push(await r.dumpBuffer(key));
  await r.debug('SET-SKIP-CHECKSUM-VALIDATION', '1');
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: dumps.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 2 }),
        async (which, flips) => {
          const bad = Buffer.from(dumps[which]);
          // Flips stay out of the version (the checksum is skipped, not the version check).
          for (const [at, value] of flips) bad[at % (bad.length - 10)] = value;
          try {
            await r.restore('fuzzed', 0, bad, 'REPLACE');
            await readBack(r, 'fuzzed');
          } catch (error) {
            assert.match(error.message, refusal);
          }
          assert.equal(await r.ping(), 'PONG');
        },
      ),
      { numRuns: 300 },
    );
  } finally {
    await r.debug('SET-SKIP-CHECKSUM-VALIDATION', '0');
  }
});

// ---------------------------------------------------------------- RDB files

/** An RDB file of `version` with these records after SELECTDB 0; versions before 5 have no checksum. */
function rdbFile(version, records) {
  const body = bytes(`REDIS${String(version).padStart(4, '0')}`, [0xfe, 0], ...records, [0xff]);
  return version >= 5 ? bytes(body, crc64(body)) : body;
}
const record = (type, key, value) => bytes([type], str(key), value);

/** Starts a server (ours, or redis-server with `redis`) on the file; resolves with its client, or its exit code if it refused. */
async function startOnFile(t, file, { redis: useRedis = false, args = [] } = {}) {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'dump.rdb'), file);
  const port = await freePort();
  const argv = ['--port', String(port), '--dir', dir, '--save', '', ...args];
  const proc = useRedis ? spawn('redis-server', argv, { stdio: ['ignore', 'pipe', 'pipe'] }) : launch(argv).proc;
  let output = '';
  proc.stdout.on('data', (d) => (output += d));
  proc.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
  t.after(() => proc.kill('SIGKILL'));
  // Both servers listen before they load the file: only 'Ready' says the load went through.
  const ready = new Promise((resolve) => {
    const check = () => /Ready to accept connections/.test(output) && resolve('up');
    proc.stdout.on('data', check);
    proc.stderr.on('data', check);
  });
  const outcome = await Promise.race([ready, exited.then(() => 'exited'), new Promise((resolve) => setTimeout(resolve, 15000, 'timeout').unref())]);
  if (outcome === 'timeout') throw new Error(`neither ready nor exited in 15 s:\n${output}`);
  if (outcome !== 'up') return { code: await exited, output: () => output };
  const client = new Redis({ port, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  client.on('error', () => {});
  t.after(() => client.disconnect());
  return { client, output: () => output };
}

test('old RDB files load: version 3 (no checksum) with a zipmap hash, version 6 with ziplists, an intset and a quicklist', async (t) => {
  const v3 = rdbFile(3, [record(9, 'hash', str(zipmap([['f1', 'v1'], ['f2', 'v2']])))]);
  const v6 = rdbFile(6, [
    record(10, 'list', str(ziplist(['a', 1]))),
    record(11, 'set', str(intset(2, [1, 2]))),
    record(12, 'zset', str(ziplist(['one', 1, 'two', 2]))),
    record(13, 'h', str(ziplist(['f', 'v']))),
    record(14, 'ql', bytes(len(2), str(ziplist(['x'])), str(ziplist(['y', 'z'])))),
  ]);
  const expected = {
    hash: [['f1', 'v1'], ['f2', 'v2']], list: ['a', '1'], set: ['1', '2'], zset: ['one', '1', 'two', '2'], h: [['f', 'v']], ql: ['x', 'y', 'z'],
  };
  for (const useRedis of HAVE_REDIS ? [false, true] : [false]) {
    const a = await startOnFile(t, v3, { redis: useRedis });
    assert.ok(a.client, `${useRedis ? 'redis-server' : 'ours'} loads the v3 file: ${a.output?.()}`);
    assert.deepEqual(await contents(a.client, 'hash'), expected.hash);
    const b = await startOnFile(t, v6, { redis: useRedis });
    assert.ok(b.client, `${useRedis ? 'redis-server' : 'ours'} loads the v6 file: ${b.output?.()}`);
    for (const key of ['list', 'set', 'zset', 'h', 'ql']) assert.deepEqual(await contents(b.client, key), expected[key], key);
  }
});

test('empty collections in an RDB file are skipped and logged, as Redis skips them', async (t) => {
  const file = rdbFile(10, [
    record(2, 'set', len(0)), record(4, 'hash', len(0)), record(10, 'list_ziplist', str(ziplist([]))),
    record(5, 'zset', len(0)), record(17, 'zset_listpack', str(listpack([]))), record(16, 'hash_listpack', str(listpack([]))),
    record(14, 'list_quicklist', len(0)), record(12, 'zset_ziplist', str(ziplist([]))),
    record(14, 'list_quicklist_empty_ziplist', bytes(len(1), str(ziplist([])))), record(0, 'kept', str('yes')),
  ]);
  const s = await startOnFile(t, file);
  assert.ok(s.client, s.output());
  assert.equal(await s.client.dbsize(), 1);
  for (const key of ['set', 'hash', 'list_ziplist', 'zset', 'zset_listpack', 'hash_listpack', 'list_quicklist', 'zset_ziplist', 'list_quicklist_empty_ziplist']) {
    assert.match(s.output(), new RegExp(`skipping empty key: ${key}\\n`));
  }
  assert.match(s.output(), /Done loading RDB, keys loaded: 1, keys expired: 0, empty keys skipped: 9\./);
  if (HAVE_REDIS) {
    const other = await startOnFile(t, file, { redis: true });
    assert.equal(await other.client.dbsize(), 1);
  }
});

test('a corrupt encoding in dump.rdb (valid checksum) stops the start-up with Redis\'s report and exit code 1', async (t) => {
  const file = rdbFile(10, [record(0, 'a', str('1')), record(13, 'h', str(patch(ziplist(['f', 'v']), 8, 7)))]);
  const s = await startOnFile(t, file);
  assert.equal(s.code, 1);
  const log = s.output();
  assert.ok(log.split('\n').filter((l) => l.includes('Hash ziplist integrity check failed.')).length >= 2, log);
  assert.match(log, /Reading key 'h'/);
  assert.match(log, /Terminating server after rdb file reading failure\.\n$/);
  if (HAVE_REDIS) assert.equal((await startOnFile(t, file, { redis: true })).code, 1, 'redis-server refuses it too');
  const good = rdbFile(10, [record(0, 'a', str('1'))]);
  const crc = await startOnFile(t, patch(good, -1, good[good.length - 1] ^ 0xff));
  assert.equal(crc.code, 1);
  assert.match(crc.output(), /Wrong RDB checksum expected: \([0-9a-f]+\) but got \([0-9a-f]+\)\. Aborting now\.\n.*RDB CRC error/);
});

test('RDB files with random bytes changed (checksum fixed up) load whole or are refused with a SnapshotError (property)', () => {
  const lpHash = listpack(['f', 'v', 'g', 2]);
  const body = bytes('REDIS0010', [0xfe, 0],
    record(13, 'zh', str(ziplist(['a', 'b', 'c', 1]))), record(16, 'lh', str(lpHash)), record(11, 'is', str(intset(4, [1, 70000]))),
    record(18, 'ql', bytes(len(1), len(2), str(listpack(['x', 'y'])))), record(9, 'zm', str(zipmap([['k', 'v']]))),
    record(12, 'zz', str(ziplist(['m', 1]))), [0xff]);
  const dir = tempDir();
  const file = path.join(dir, 'fuzz.rdb');
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 2 }), (flips) => {
      const bad = Buffer.from(body);
      for (const [at, value] of flips) bad[9 + (at % (bad.length - 9))] = value;
      fs.writeFileSync(file, bytes(bad, crc64(bad)));
      const keyspace = new Keyspace(16, { lfuLogFactor: 10, lfuDecayTime: 1 });
      try {
        loadSnapshot(keyspace, file, LIMITS);
      } catch (error) {
        assert.ok(error instanceof SnapshotError, String(error));
        assert.equal(keyspace.dbs[0].size, 0, 'nothing is loaded from a refused file');
      }
    }),
    { numRuns: 300 },
  );
});
