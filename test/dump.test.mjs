// DUMP and RESTORE: the RDB serialization of every type, TTL handling,
// REPLACE/ABSTTL/IDLETIME/FREQ, the errors, and payloads moving between this
// server and a real redis-server 7.0 in both directions (redis-server comes
// from Debian's package; .ci/run installs it).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import Redis from 'ioredis';
import { useServer, freePort, waitForPort, keyEvents } from './helpers.mjs';

let server;
let r;

useServer([], (s, client) => {
  server = s;
  r = client;
});

let redis;
let redisProc;
before(async () => {
  const port = await freePort();
  redisProc = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await waitForPort(port, redisProc);
  redis = new Redis({ port });
});
after(async () => {
  await redis?.quit();
  redisProc?.kill();
});

/** One value of every type and encoding Redis 7.0 dumps: listpacks, intsets, hash tables, LZF, integers. */
async function fill(c) {
  await c.set('str', 'hello');
  await c.set('int', '12345');
  await c.set('neg', '-7');
  await c.set('long', 'abc'.repeat(1000));
  await c.set('bin', Buffer.from([0, 1, 0xff, 13, 10]));
  await c.rpush('list', 'a', 'b', '1', '-5', 'x'.repeat(100));
  await c.rpush('biglist', ...Array.from({ length: 300 }, (_, i) => `e${i}`));
  await c.sadd('intset', 1, 2, 3, -7, 100000, 5000000000);
  await c.sadd('set', 'a', 'b');
  await c.sadd('bigset', ...Array.from({ length: 600 }, (_, i) => `m${i}`));
  await c.zadd('zset', 1.5, 'a', 2, 'b', -3, 'c', 'inf', 'd');
  await c.zadd('bigzset', ...Array.from({ length: 300 }, (_, i) => [i / 3, `z${i}`]).flat());
  await c.hset('hash', 'f1', 'v1', 'f2', '2');
  await c.hset('bighash', ...Array.from({ length: 600 }, (_, i) => [`f${i}`, `v${i}`]).flat());
}
const KEYS = ['str', 'int', 'neg', 'long', 'bin', 'list', 'biglist', 'intset', 'set', 'bigset', 'zset', 'bigzset', 'hash', 'bighash'];

/** A value in a form that compares equal across servers whatever its encoding. */
async function contents(c, key) {
  switch (await c.type(key)) {
    case 'string': return (await c.getBuffer(key)).toString('hex');
    case 'list': return c.lrange(key, 0, -1);
    case 'set': return (await c.smembers(key)).sort();
    case 'zset': return c.zrange(key, 0, -1, 'WITHSCORES');
    case 'hash': return Object.entries(await c.hgetall(key)).sort();
    default: return null;
  }
}

test('every type restores from its own DUMP, and values move both ways between Redis and this server', async () => {
  await redis.flushall();
  await fill(r);
  await fill(redis);
  for (const [from, to, label] of [[r, r, 'ours → ours'], [redis, r, 'redis → ours'], [r, redis, 'ours → redis']]) {
    for (const key of KEYS) {
      const payload = await from.dumpBuffer(key);
      assert.equal(await to.restore(`copy:${key}`, 0, payload, 'REPLACE'), 'OK', `${label} ${key}`);
      assert.deepEqual(await contents(to, `copy:${key}`), await contents(from, key), `${label} ${key}`);
    }
  }
});

test('RESTORE applies a TTL, relative or ABSTTL, and an expired one stores nothing', async () => {
  await r.set('src', 'v');
  const payload = await r.dumpBuffer('src');
  await r.restore('rel', 5000, payload);
  const pttl = await r.pttl('rel');
  assert.ok(pttl > 4000 && pttl <= 5000, `pttl ${pttl}`);
  const at = Date.now() + 60000;
  await r.restore('abs', at, payload, 'ABSTTL');
  assert.equal(await r.pexpiretime('abs'), at);
  assert.equal(await r.restore('past', 1, payload, 'ABSTTL'), 'OK');
  assert.equal(await r.exists('past'), 0);
  assert.equal(await r.restore('meta', 0, payload, 'IDLETIME', 100, 'REPLACE'), 'OK');
  assert.equal(await r.restore('meta', 0, payload, 'FREQ', 100, 'REPLACE'), 'OK');
  assert.equal(await r.ttl('meta'), -1);
});

test('RESTORE IDLETIME and FREQ set what the LRU and LFU policies know of the key', async () => {
  await r.set('k', 'v');
  const payload = await r.dumpBuffer('k');
  try {
    await r.config('SET', 'maxmemory-policy', 'allkeys-lru');
    await r.restore('lru', 0, payload, 'IDLETIME', 1000);
    const idle = await r.object('IDLETIME', 'lru');
    assert.ok(idle >= 1000 && idle <= 1010, `idle ${idle}`);
    await r.config('SET', 'maxmemory-policy', 'allkeys-lfu');
    await r.restore('lfu', 0, payload, 'FREQ', 100);
    assert.equal(await r.object('FREQ', 'lfu'), 100);
  } finally {
    await r.config('SET', 'maxmemory-policy', 'noeviction');
  }
});

test('RESTORE errors: existing key, bad payload, bad TTL and options', async () => {
  await r.set('k', 'v');
  const payload = await r.dumpBuffer('k');
  await assert.rejects(r.restore('k', 0, payload), /^ReplyError: BUSYKEY Target key name already exists\.$/);
  const corrupt = Buffer.from(payload);
  corrupt[1] ^= 1;
  await assert.rejects(r.restore('x', 0, corrupt), /^ReplyError: ERR DUMP payload version or checksum are wrong$/);
  await assert.rejects(r.restore('x', 0, Buffer.from('short')), /^ReplyError: ERR DUMP payload version or checksum are wrong$/);
  await assert.rejects(r.restore('x', -1, payload), /^ReplyError: ERR Invalid TTL value, must be >= 0$/);
  await assert.rejects(r.restore('x', 0, payload, 'IDLETIME', -1), /^ReplyError: ERR Invalid IDLETIME value, must be >= 0$/);
  await assert.rejects(r.restore('x', 0, payload, 'FREQ', 256), /^ReplyError: ERR Invalid FREQ value, must be >= 0 and <= 255$/);
  await assert.rejects(r.restore('x', 0, payload, 'SOON'), /^ReplyError: ERR syntax error$/);
  assert.equal(await r.dump('missing'), null);
});

test('RESTORE publishes a restore event', async (t) => {
  await r.set('k', 'v');
  const payload = await r.dumpBuffer('k');
  const seen = await keyEvents(t, server.port, 'Eg', () => r.restore('k2', 0, payload));
  assert.deepEqual(seen, ['E 0 restore k2']);
});

test('any value survives dumpValue then loadValue unchanged (property)', async () => {
  const fc = (await import('fast-check')).default;
  const { dumpValue, loadValue, payloadValid } = await import('../dist/persistence/rdb.js');
  const { storedValue, canonical, LIMITS } = await import('./values.mjs');
  fc.assert(
    fc.property(storedValue, (v) => {
      const payload = dumpValue(v);
      assert.ok(payloadValid(payload));
      assert.equal(canonical(loadValue(payload, LIMITS)), canonical(v));
    }),
    { numRuns: 300 },
  );
});
