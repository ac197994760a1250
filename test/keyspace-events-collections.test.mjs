// Keyspace notifications of the hash, set and sorted-set commands: which
// event each command publishes, on which key, in which order (the command's
// own event first, then `del` when it emptied the collection), and that a
// command which changes nothing publishes nothing. Every expectation is what
// Redis 7.0.15 publishes (check with TEST_TARGET=redis).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blockedClients, useServer, extraClient, keyEvents } from './helpers.mjs';

let server;
let r;

useServer([], (s, client) => {
  server = s;
  r = client;
});

const events = (t, flags, run) => keyEvents(t, server.port, flags, run);

/** A keyevent in database 0, as keyEvents reports it. */
const ev = (event, key) => `E 0 ${event} ${key}`;

// ---------------------------------------------------------------- hashes

test('hash commands', async (t) => {
  await r.set('str', 'v');
  const seen = await events(t, 'EA', async () => {
    await r.hset('h', 'f1', 'v1', 'f2', 'v2');
    await r.hset('h', 'f1', 'v1'); // no new field, still an event
    await r.hmset('h', 'f3', 'v3');
    await r.hsetnx('h', 'f1', 'x'); // field exists: nothing
    await r.hsetnx('h', 'f4', 'v4');
    await r.hsetnx('h2', 'f', 'v');
    await r.hincrby('h', 'n', 5);
    await r.hincrbyfloat('h', 'x', '1.5');
    await assert.rejects(r.hincrby('h', 'f1', 1), /not an integer/);
    await assert.rejects(r.hincrbyfloat('h', 'f1', '1'), /not a float/);
    await assert.rejects(r.hset('str', 'f', 'v'), /WRONGTYPE/);
    await r.hget('h', 'f1');
    await r.hgetall('missing');
    await r.hdel('h', 'nope');
    await r.hdel('missing', 'f');
    await r.hdel('h', 'f1', 'f2', 'nope');
    await r.hdel('h2', 'f');
    await r.hdel('h', 'f3', 'f4', 'n', 'x', 'nope');
  });
  assert.deepEqual(seen, [
    ev('hset', 'h'),
    ev('hset', 'h'),
    ev('hset', 'h'),
    ev('hset', 'h'),
    ev('hset', 'h2'),
    ev('hincrby', 'h'),
    ev('hincrbyfloat', 'h'),
    ev('hdel', 'h'),
    ev('hdel', 'h2'), ev('del', 'h2'),
    ev('hdel', 'h'), ev('del', 'h'),
  ]);
});

// ---------------------------------------------------------------- sets

test('set commands: SADD, SREM, SMOVE, SPOP', async (t) => {
  await r.set('str', 'v');
  const seen = await events(t, 'EA', async () => {
    await r.sadd('s', 'a', 'b', 'c');
    await r.sadd('s', 'a'); // nothing added
    await assert.rejects(r.sadd('str', 'a'), /WRONGTYPE/);
    await r.srem('s', 'nope');
    await r.srem('missing', 'a');
    await r.srem('s', 'a', 'nope');
    await r.sadd('s2', 'x');
    await r.smove('s', 's2', 'b');
    await r.smove('s', 's2', 'nope');
    await r.smove('missing', 's2', 'x');
    await r.smove('s2', 's2', 'x'); // same key: a no-op
    await assert.rejects(r.smove('s2', 'str', 'x'), /WRONGTYPE/);
    await r.sadd('s3', 'c');
    await r.smove('s', 's3', 'c'); // destination has it: srem and del only
    await r.smove('s2', 'fresh', 'x');
    await r.spop('s2');
    await r.sadd('p', '1', '2', '3', '4', '5');
    await r.spop('p', 0);
    await r.spop('missing');
    await r.spop('missing', 2);
    await r.spop('p', 2);
    await r.spop('p', 10);
    await r.sadd('q', 'only');
    await r.srem('q', 'only', 'more');
    await r.smembers('s3');
    await r.sismember('missing', 'a');
  });
  assert.deepEqual(seen, [
    ev('sadd', 's'),
    ev('srem', 's'),
    ev('sadd', 's2'),
    ev('srem', 's'), ev('sadd', 's2'),
    ev('sadd', 's3'),
    ev('srem', 's'), ev('del', 's'),
    ev('srem', 's2'), ev('sadd', 'fresh'),
    ev('spop', 's2'), ev('del', 's2'),
    ev('sadd', 'p'),
    ev('spop', 'p'),
    ev('spop', 'p'), ev('del', 'p'),
    ev('sadd', 'q'),
    ev('srem', 'q'), ev('del', 'q'),
  ]);
});

test('set commands: SINTERSTORE, SUNIONSTORE, SDIFFSTORE', async (t) => {
  await r.sadd('a', '1', '2', '3');
  await r.sadd('b', '2', '3', '4');
  await r.sadd('c', '9');
  await r.set('d4', 'a string');
  await r.set('str', 'v');
  const seen = await events(t, 'EA', async () => {
    await r.sinterstore('d1', 'a', 'b');
    await r.sinterstore('d1', 'a', 'missing'); // empty result: the destination goes
    await r.sinterstore('d1', 'a', 'missing'); // ... and only once
    await r.sinterstore('d1', 'a', 'c'); // empty without a missing key
    await r.sunionstore('d2', 'a', 'b');
    await r.sunionstore('d2', 'm1', 'm2');
    await r.sunionstore('d2', 'm1', 'm2');
    await r.sdiffstore('d3', 'a', 'b');
    await r.sdiffstore('d3', 'a', 'a');
    await r.sdiffstore('d3', 'missing', 'a');
    await r.sinterstore('d4', 'a', 'b'); // overwrites another type
    await r.sinterstore('d4', 'a', 'c');
    await assert.rejects(r.sunionstore('d5', 'a', 'str'), /WRONGTYPE/);
    await r.sinter('a', 'b');
    await r.sunion('a', 'b');
    await r.sdiff('a', 'b');
    await r.sintercard(2, 'a', 'b');
  });
  assert.deepEqual(seen, [
    ev('sinterstore', 'd1'),
    ev('del', 'd1'),
    ev('sunionstore', 'd2'),
    ev('del', 'd2'),
    ev('sdiffstore', 'd3'),
    ev('del', 'd3'),
    ev('sinterstore', 'd4'),
    ev('del', 'd4'),
  ]);
});

// ---------------------------------------------------------------- sorted sets

test('sorted-set commands: ZADD, ZINCRBY, ZREM', async (t) => {
  await r.set('str', 'v');
  const seen = await events(t, 'EA', async () => {
    await r.zadd('z', 1, 'a', 2, 'b', 3, 'c');
    await r.zadd('z', 1, 'a'); // same score: nothing changed
    await r.zadd('z', 'NX', 5, 'a');
    await r.zadd('z', 'XX', 5, 'nope');
    await r.zadd('missing', 'XX', 1, 'a');
    await r.zadd('z', 'GT', 0, 'a');
    await r.zadd('z', 'LT', 9, 'a');
    await r.zadd('z', 'CH', 4, 'a');
    await r.zadd('z', 'XX', 5, 'a', 7, 'nope');
    await r.zadd('z', 'INCR', 1, 'a');
    await r.zadd('z', 'INCR', 'XX', 1, 'nope');
    await r.zadd('z', 'INCR', 'GT', -1, 'a');
    await r.zincrby('z', 2, 'b');
    await r.zincrby('z', 0, 'b'); // the score stays: nothing
    await r.zincrby('zi', 1, 'new');
    await assert.rejects(r.zadd('str', 1, 'a'), /WRONGTYPE/);
    await assert.rejects(r.zadd('z', 'nan', 'a'), /not a valid float/);
    await r.zincrby('zi', 'inf', 'new');
    await assert.rejects(r.zincrby('zi', '-inf', 'new'), /NaN/); // inf + -inf: refused, nothing
    await r.zrem('z', 'nope');
    await r.zrem('missing', 'a');
    await r.zrem('z', 'a', 'nope');
    await r.zrem('z', 'b', 'c', 'nope');
    await r.zscore('zi', 'new');
    await r.zrange('missing', 0, -1);
  });
  assert.deepEqual(seen, [
    ev('zadd', 'z'),
    ev('zadd', 'z'),
    ev('zadd', 'z'),
    ev('zincr', 'z'),
    ev('zincr', 'z'),
    ev('zincr', 'zi'),
    ev('zincr', 'zi'),
    ev('zrem', 'z'),
    ev('zrem', 'z'), ev('del', 'z'),
  ]);
});

test('sorted-set commands: ZREMRANGEBYRANK, ZREMRANGEBYSCORE, ZREMRANGEBYLEX', async (t) => {
  await r.zadd('r', 0, 'a', 0, 'b', 0, 'c', 0, 'd', 0, 'e', 0, 'f');
  await r.zadd('r2', 1, 'x', 2, 'y');
  await r.zadd('r3', 0, 'x');
  const seen = await events(t, 'EA', async () => {
    await r.zremrangebyrank('r', 0, 0);
    await r.zremrangebyrank('r', 10, 20);
    await r.zremrangebyrank('missing', 0, -1);
    await r.zremrangebylex('r', '[b', '[c');
    await r.zremrangebylex('r', '[x', '[z');
    await r.zremrangebyscore('r', 1, 2);
    await r.zremrangebyscore('r', '-inf', '+inf');
    await r.zremrangebyrank('r2', 0, -1);
    await r.zremrangebylex('r3', '-', '+');
    await assert.rejects(r.zremrangebyscore('r', 'x', 1), /not a float/);
  });
  assert.deepEqual(seen, [
    ev('zremrangebyrank', 'r'),
    ev('zremrangebylex', 'r'),
    ev('zremrangebyscore', 'r'), ev('del', 'r'),
    ev('zremrangebyrank', 'r2'), ev('del', 'r2'),
    ev('zremrangebylex', 'r3'), ev('del', 'r3'),
  ]);
});

test('sorted-set commands: ZPOPMIN, ZPOPMAX, ZMPOP and the blocking pops with data', async (t) => {
  await r.zadd('p', 1, 'a', 2, 'b', 3, 'c', 4, 'd', 5, 'e');
  await r.zadd('p2', 1, 'a', 2, 'b');
  await r.zadd('p3', 1, 'a');
  await r.set('str', 'v');
  const seen = await events(t, 'EA', async () => {
    await r.zpopmin('p');
    await r.zpopmax('p', 2);
    await r.zpopmin('p', 0);
    await r.zpopmin('missing');
    await r.zpopmax('missing', 3);
    await r.zmpop(2, 'missing', 'p', 'MIN');
    await r.zmpop(1, 'p', 'MAX', 'COUNT', 10);
    await r.zmpop(1, 'missing', 'MIN');
    await assert.rejects(r.zpopmin('str'), /WRONGTYPE/);
    await r.bzpopmax('p2', 0);
    await r.bzpopmin('missing', 'p2', 0);
    await r.bzmpop(0, 1, 'p3', 'MAX', 'COUNT', 5);
  });
  assert.deepEqual(seen, [
    ev('zpopmin', 'p'),
    ev('zpopmax', 'p'),
    ev('zpopmin', 'p'),
    ev('zpopmax', 'p'), ev('del', 'p'),
    ev('zpopmax', 'p2'),
    ev('zpopmin', 'p2'), ev('del', 'p2'),
    ev('zpopmax', 'p3'), ev('del', 'p3'),
  ]);
});

test('a blocked sorted-set pop served by ZADD publishes zadd, then the pop', async (t) => {
  const first = extraClient(t, server.port);
  const second = extraClient(t, server.port);
  const seen = await events(t, 'EA', async () => {
    const popped = first.bzpopmin('w', 0);
    await blockedClients(r, 1);
    await r.zadd('w', 1, 'a');
    assert.deepEqual(await popped, ['w', 'a', '1']);
    const multi = second.bzmpop(0, 2, 'w1', 'w2', 'MAX', 'COUNT', 1);
    await blockedClients(r, 1);
    await r.zadd('w2', 1, 'x', 2, 'y');
    assert.deepEqual(await multi, ['w2', [['y', '2']]]);
  });
  assert.deepEqual(seen, [
    ev('zadd', 'w'), ev('zpopmin', 'w'), ev('del', 'w'),
    ev('zadd', 'w2'), ev('zpopmax', 'w2'),
  ]);
});

test('sorted-set commands: ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE, ZRANGESTORE', async (t) => {
  await r.zadd('za', 1, 'a', 2, 'b');
  await r.zadd('zb', 2, 'b', 3, 'c');
  await r.sadd('set', 'a', 'z');
  await r.set('str', 'v');
  const seen = await events(t, 'EA', async () => {
    await r.zunionstore('d', 2, 'za', 'zb');
    await r.zinterstore('d', 2, 'za', 'zb');
    await r.zdiffstore('d', 2, 'za', 'zb');
    await r.zinterstore('d', 2, 'za', 'missing'); // empty result: the destination goes
    await r.zinterstore('d', 2, 'za', 'missing'); // ... and only once
    await r.zunionstore('d', 1, 'missing');
    await r.zdiffstore('d', 2, 'za', 'za');
    await r.zunionstore('d', 2, 'za', 'set'); // a plain set counts as scores of 1
    await r.zdiffstore('d', 1, 'missing');
    await assert.rejects(r.zunionstore('d', 2, 'za', 'str'), /WRONGTYPE/);
    await assert.rejects(r.zunionstore('d', 2, 'za', 'zb', 'WEIGHTS', 1, 'x'), /not a float/);
    await r.zrangestore('e', 'za', 0, -1);
    await r.zrangestore('e', 'za', 5, 10);
    await r.zrangestore('e', 'za', 5, 10);
    await r.zrangestore('e', 'zb', '(2', '+inf', 'BYSCORE');
    await r.zrangestore('e', 'missing', 0, -1);
    await r.zrangestore('str', 'za', 0, 0); // overwrites another type
    await r.zunion(2, 'za', 'zb');
    await r.zinter(2, 'za', 'zb');
    await r.zdiff(2, 'za', 'zb');
    await r.zintercard(2, 'za', 'zb');
    await r.zrange('za', 0, -1);
  });
  assert.deepEqual(seen, [
    ev('zunionstore', 'd'),
    ev('zinterstore', 'd'),
    ev('zdiffstore', 'd'),
    ev('del', 'd'),
    ev('zunionstore', 'd'),
    ev('del', 'd'),
    ev('zrangestore', 'e'),
    ev('del', 'e'),
    ev('zrangestore', 'e'),
    ev('del', 'e'),
    ev('zrangestore', 'str'),
  ]);
});

// ---------------------------------------------------------------- channels and classes

test('keyspace channels carry the event for each key the command touched', async (t) => {
  await r.hset('h', 'f', 'v');
  await r.sadd('s', 'm');
  await r.zadd('z', 1, 'a');
  const seen = await events(t, 'KA', async () => {
    await r.hdel('h', 'f');
    await r.smove('s', 'dst', 'm');
    await r.zincrby('z', 1, 'a');
    await r.zpopmax('z');
    await r.zadd('z', 'NX', 1, 'x');
  });
  assert.deepEqual(seen, [
    'K 0 h hdel', 'K 0 h del',
    'K 0 s srem', 'K 0 s del', 'K 0 dst sadd',
    'K 0 z zincr',
    'K 0 z zpopmax', 'K 0 z del',
    'K 0 z zadd',
  ]);
});

test('the hash, set and sorted-set classes are separate, and del is generic', async (t) => {
  const run = async () => {
    await r.hset('h', 'f', 'v');
    await r.hdel('h', 'f');
    await r.sadd('s', 'm');
    await r.srem('s', 'm');
    await r.zadd('z', 1, 'a');
    await r.zrem('z', 'a');
  };
  const cases = [
    ['E$h', [ev('hset', 'h'), ev('hdel', 'h')]],
    ['E$s', [ev('sadd', 's'), ev('srem', 's')]],
    ['E$z', [ev('zadd', 'z'), ev('zrem', 'z')]],
    ['E$g', [ev('del', 'h'), ev('del', 's'), ev('del', 'z')]],
  ];
  for (const [flags, expected] of cases) {
    assert.deepEqual(await events(t, flags, run), expected, flags);
  }
});

test('a key in another database reports its number', async (t) => {
  const other = extraClient(t, server.port, { db: 3 });
  await other.ping();
  const seen = await events(t, 'EA', async () => {
    await other.hset('h', 'f', 'v');
    await other.sadd('s', 'm');
    await other.zadd('z', 1, 'a');
    await other.zpopmin('z');
  });
  assert.deepEqual(seen, [
    'E 3 hset h',
    'E 3 sadd s',
    'E 3 zadd z',
    'E 3 zpopmin z', 'E 3 del z',
  ]);
  await other.flushdb();
});
