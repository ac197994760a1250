// Sorted set commands: ZADD and options, scores and their formatting, ranks,
// ranges by rank/score/lex, removal, pops (blocking too), random members,
// set algebra, ZSCAN, encodings and RESP3 reply shapes.
// Every expectation here is what Redis 7.0.15 replies (check with TEST_TARGET=redis).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import fc from 'fast-check';
import { blockedClients, rawConnect, resp, useServer } from './helpers.mjs';

let server;
let r;

const SYNTAX = { message: 'ERR syntax error' };
const NOT_INT = { message: 'ERR value is not an integer or out of range' };
const NOT_FLOAT = { message: 'ERR value is not a valid float' };
const RANGE_FLOAT = { message: 'ERR min or max is not a float' };
const RANGE_LEX = { message: 'ERR min or max not valid string range item' };
const NAN = { message: 'ERR resulting score is not a number (NaN)' };
const WRONGTYPE = { message: 'WRONGTYPE Operation against a key holding the wrong kind of value' };
const arity = (cmd) => ({ message: `ERR wrong number of arguments for '${cmd}' command` });

useServer([], (s, client) => {
  server = s;
  r = client;
});

/** A second connection (blocking commands), closed by the caller. */
const connect = () => new Redis({ port: server.port });

/** A raw connection switched to RESP3. */
async function resp3() {
  const conn = await rawConnect(server.port);
  conn.write(resp('HELLO', '3') + resp('ECHO', 'resp3-ready'));
  let seen = '';
  while (!seen.endsWith('$11\r\nresp3-ready\r\n')) seen += await conn.read(1);
  return conn;
}

async function withListpackLimits(entries, value, body) {
  await r.config('SET', 'zset-max-listpack-entries', String(entries), 'zset-max-listpack-value', String(value));
  try {
    await body();
  } finally {
    await r.config('SET', 'zset-max-listpack-entries', '128', 'zset-max-listpack-value', '64');
  }
}

/** Both encodings: tests that exercise the data run once with each. */
const ENCODINGS = [
  ['listpack', 128, 64],
  ['skiplist', 0, 0],
];

// ---------------------------------------------------------------- ZADD

test('ZADD adds members, updates scores and counts only additions', async () => {
  assert.equal(await r.zadd('z', 1, 'a', 2, 'b'), 2);
  assert.equal(await r.zadd('z', 3, 'a', 4, 'c'), 1);
  assert.deepEqual(await r.zrange('z', 0, -1, 'WITHSCORES'), ['b', '2', 'a', '3', 'c', '4']);
  assert.equal(await r.zcard('z'), 3);
  assert.equal(await r.type('z'), 'zset');
});

test('ZADD with the same member twice keeps the last score', async () => {
  assert.equal(await r.zadd('z', 1, 'a', 5, 'a'), 1);
  assert.equal(await r.zscore('z', 'a'), '5');
});

test('ZADD CH counts added and changed members', async () => {
  await r.zadd('z', 1, 'a', 2, 'b');
  assert.equal(await r.zadd('z', 'CH', 1, 'a', 3, 'b', 4, 'c'), 2);
  assert.equal(await r.zadd('z', 'CH', 1, 'a'), 0);
});

test('ZADD NX adds new members only; XX updates existing members only', async () => {
  await r.zadd('z', 1, 'a');
  assert.equal(await r.zadd('z', 'NX', 5, 'a', 2, 'b'), 1);
  assert.equal(await r.zscore('z', 'a'), '1');
  assert.equal(await r.zadd('z', 'XX', 'CH', 7, 'a', 3, 'c'), 1);
  assert.equal(await r.zscore('z', 'a'), '7');
  assert.equal(await r.zscore('z', 'c'), null);
});

test('ZADD XX on a missing key creates nothing', async () => {
  assert.equal(await r.zadd('z', 'XX', 1, 'a'), 0);
  assert.equal(await r.exists('z'), 0);
  assert.equal(await r.call('ZADD', 'z', 'XX', 'INCR', 1, 'a'), null);
  assert.equal(await r.exists('z'), 0);
});

test('ZADD GT/LT update only when the new score is greater/lower, and still add new members', async () => {
  await r.zadd('z', 5, 'a', 5, 'b');
  assert.equal(await r.zadd('z', 'GT', 'CH', 6, 'a', 4, 'b', 1, 'c'), 2);
  assert.deepEqual(await r.zmscore('z', 'a', 'b', 'c'), ['6', '5', '1']);
  assert.equal(await r.zadd('z', 'LT', 'CH', 7, 'a', 3, 'b'), 1);
  assert.deepEqual(await r.zmscore('z', 'a', 'b'), ['6', '3']);
  assert.equal(await r.zadd('z', 'GT', 'XX', 'CH', 10, 'a', 10, 'new'), 1);
  assert.equal(await r.zscore('z', 'new'), null);
});

test('ZADD rejects incompatible options with Redis error texts', async () => {
  await assert.rejects(r.call('ZADD', 'z', 'NX', 'XX', 1, 'a'), { message: 'ERR XX and NX options at the same time are not compatible' });
  const gtlt = { message: 'ERR GT, LT, and/or NX options at the same time are not compatible' };
  await assert.rejects(r.call('ZADD', 'z', 'GT', 'NX', 1, 'a'), gtlt);
  await assert.rejects(r.call('ZADD', 'z', 'LT', 'NX', 1, 'a'), gtlt);
  await assert.rejects(r.call('ZADD', 'z', 'GT', 'LT', 1, 'a'), gtlt);
  await assert.rejects(r.call('ZADD', 'z', 'INCR', 1, 'a', 2, 'b'), { message: 'ERR INCR option supports a single increment-element pair' });
  assert.equal(await r.exists('z'), 0);
});

test('ZADD needs complete score/member pairs', async () => {
  await assert.rejects(r.call('ZADD', 'z', 1, 'a', 2), SYNTAX);
  await assert.rejects(r.call('ZADD', 'z', 'NX', 'CH', 1), SYNTAX);
  await assert.rejects(r.call('ZADD', 'z', 'NX', 'XX'), SYNTAX);
  await assert.rejects(r.call('ZADD', 'z', 1), arity('zadd'));
});

test('ZADD checks every score before changing anything', async () => {
  await assert.rejects(r.call('ZADD', 'z', 1, 'a', 'x', 'b'), NOT_FLOAT);
  assert.equal(await r.exists('z'), 0);
  await r.zadd('z', 1, 'a');
  await assert.rejects(r.call('ZADD', 'z', 2, 'a', 'nan', 'b'), NOT_FLOAT);
  assert.equal(await r.zscore('z', 'a'), '1');
});

test('ZADD accepts the float syntaxes strtod does and refuses the rest', async () => {
  await r.zadd('z', '+inf', 'a', '-inf', 'b', '0x10', 'c', '1e3', 'd', '.5', 'e', '5.', 'f', 'Infinity', 'g', '4.9e-324', 'h');
  assert.deepEqual(await r.zmscore('z', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'), ['inf', '-inf', '16', '1000', '0.5', '5', 'inf', '4.9406564584124654e-324']);
  for (const bad of ['', ' 1', '1 ', 'nan', 'abc', '1e400', '-1e400', '1e-400', '1e']) {
    await assert.rejects(r.call('ZADD', 'z', bad, 'x'), NOT_FLOAT, `score ${JSON.stringify(bad)}`);
  }
});

test('ZADD INCR returns the new score, or nil when a condition blocks the update', async () => {
  assert.equal(await r.call('ZADD', 'z', 'INCR', 1.5, 'a'), '1.5');
  assert.equal(await r.call('ZADD', 'z', 'INCR', 2, 'a'), '3.5');
  assert.equal(await r.call('ZADD', 'z', 'NX', 'INCR', 1, 'a'), null);
  assert.equal(await r.call('ZADD', 'z', 'GT', 'INCR', -1, 'a'), null);
  assert.equal(await r.call('ZADD', 'z', 'LT', 'INCR', 1, 'a'), null);
  assert.equal(await r.call('ZADD', 'z', 'XX', 'INCR', 1, 'b'), null);
  assert.equal(await r.call('ZADD', 'z', 'LT', 'INCR', -1, 'a'), '2.5');
  assert.equal(await r.zscore('z', 'a'), '2.5');
});

test('ZADD INCR and ZINCRBY refuse a NaN result and leave the score', async () => {
  await r.zadd('z', 'inf', 'a');
  await assert.rejects(r.call('ZADD', 'z', 'INCR', '-inf', 'a'), NAN);
  await assert.rejects(r.zincrby('z', '-inf', 'a'), NAN);
  assert.equal(await r.zscore('z', 'a'), 'inf');
  assert.equal(await r.call('ZADD', 'z', 'GT', 'INCR', 'inf', 'a'), null);
});

test('ZADD against a key of another type is WRONGTYPE', async () => {
  await r.set('s', 'x');
  await assert.rejects(r.zadd('s', 1, 'a'), WRONGTYPE);
  for (const args of [['ZSCORE', 's', 'a'], ['ZCARD', 's'], ['ZRANGE', 's', 0, -1], ['ZRANK', 's', 'a'], ['ZREM', 's', 'a'],
    ['ZPOPMIN', 's'], ['ZRANDMEMBER', 's'], ['ZSCAN', 's', 0], ['ZCOUNT', 's', 0, 1], ['ZINCRBY', 's', 1, 'a'], ['ZMSCORE', 's', 'a']]) {
    await assert.rejects(r.call(...args), WRONGTYPE, args[0]);
  }
});

// ---------------------------------------------------------------- ZINCRBY

test('ZINCRBY creates the set and member, and adds to scores', async () => {
  assert.equal(await r.zincrby('z', 2, 'a'), '2');
  assert.equal(await r.zincrby('z', -5.5, 'a'), '-3.5');
  assert.equal(await r.zincrby('z', 1, 'b'), '1');
  assert.deepEqual(await r.zrange('z', 0, -1), ['a', 'b']);
});

test('ZINCRBY refuses a bad increment and extra arguments', async () => {
  await assert.rejects(r.zincrby('z', 'x', 'a'), NOT_FLOAT);
  await assert.rejects(r.call('ZINCRBY', 'z', 1, 'a', 2, 'b'), arity('zincrby'));
  assert.equal(await r.exists('z'), 0);
});

// ---------------------------------------------------------------- scores and their formatting

test('scores print as %.17g: 0.1, 1e20, inf, 1.5, large integers', async () => {
  await r.zadd('z', 0.1, 'a', '1e20', 'b', 'inf', 'c', 1.5, 'd', '-inf', 'e', '1e17', 'f', '123456789012345678', 'g', '3.0', 'h');
  assert.deepEqual(await r.zmscore('z', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'),
    ['0.10000000000000001', '1e+20', 'inf', '1.5', '-inf', '1e+17', '1.2345678901234568e+17', '3']);
  assert.equal(await r.zincrby('z', 0.2, 'a'), '0.30000000000000004');
});

for (const [encoding, entries, value] of ENCODINGS) {
  test(`-0 as a score: kept by a skiplist, 0 in a listpack (${encoding})`, async () => {
    await withListpackLimits(entries, value, async () => {
      await r.zadd('z', '-0', 'a');
      assert.equal(await r.zscore('z', 'a'), encoding === 'skiplist' ? '-0' : '0');
      assert.equal(await r.zadd('z', '0', 'a'), 0);
      assert.equal(await r.zadd('z', 'CH', '0', 'a'), 0);
    });
  });
}

test('ZSCORE and ZMSCORE answer nil for missing members and keys', async () => {
  assert.equal(await r.zscore('z', 'a'), null);
  assert.deepEqual(await r.zmscore('z', 'a', 'b'), [null, null]);
  await r.zadd('z', 1, 'a');
  assert.deepEqual(await r.zmscore('z', 'x', 'a'), [null, '1']);
  await assert.rejects(r.call('ZMSCORE', 'z'), arity('zmscore'));
});

// ---------------------------------------------------------------- ZCARD / ZCOUNT / ZLEXCOUNT

test('ZCOUNT counts by score with exclusive ends and infinities', async () => {
  await r.zadd('z', 1, 'a', 2, 'b', 3, 'c', 'inf', 'd', '-inf', 'e');
  assert.equal(await r.zcount('z', '-inf', '+inf'), 5);
  assert.equal(await r.zcount('z', 1, 3), 3);
  assert.equal(await r.zcount('z', '(1', 3), 2);
  assert.equal(await r.zcount('z', '(1', '(3'), 1);
  assert.equal(await r.zcount('z', 3, 1), 0);
  assert.equal(await r.zcount('z', '(2', '(2'), 0);
  assert.equal(await r.zcount('z', '(inf', '+inf'), 0);
  assert.equal(await r.zcount('missing', 0, 1), 0);
  assert.equal(await r.zcard('missing'), 0);
});

test('score ranges accept what strtod does: spaces before, empty, hex, huge', async () => {
  await r.zadd('z', 0, 'zero', 1, 'one', 16, 'sixteen');
  assert.equal(await r.zcount('z', '', ''), 1);
  assert.equal(await r.zcount('z', ' 1', '0x10'), 2);
  assert.equal(await r.zcount('z', '(', '1e400'), 2);
  for (const [min, max] of [['a', '1'], ['1', 'x'], ['1 ', '2'], ['nan', '1'], ['((1', '2'], [' ', '1'], ['[1', '2']]) {
    await assert.rejects(r.zcount('z', min, max), RANGE_FLOAT, `${min} ${max}`);
  }
  await assert.rejects(r.zcount('missing', 'x', 1), RANGE_FLOAT);
});

test('ZLEXCOUNT counts by member with [ ( - +', async () => {
  await r.zadd('z', 0, 'a', 0, 'b', 0, 'c', 0, 'd', 0, 'e');
  assert.equal(await r.zlexcount('z', '-', '+'), 5);
  assert.equal(await r.zlexcount('z', '[b', '[d'), 3);
  assert.equal(await r.zlexcount('z', '(b', '(d'), 1);
  assert.equal(await r.zlexcount('z', '[bb', '+'), 3);
  assert.equal(await r.zlexcount('z', '+', '-'), 0);
  assert.equal(await r.zlexcount('z', '-', '-'), 0);
  assert.equal(await r.zlexcount('z', '[d', '[b'), 0);
  for (const [min, max] of [['a', '+'], ['-', 'b'], ['--', '+'], ['-', '++'], ['1', '2']]) {
    await assert.rejects(r.zlexcount('z', min, max), RANGE_LEX, `${min} ${max}`);
  }
});

// ---------------------------------------------------------------- ZRANGE and its forms

for (const [encoding, entries, value] of ENCODINGS) {
  test(`ZRANGE by rank with negative and out-of-range indexes (${encoding})`, async () => {
    await withListpackLimits(entries, value, async () => {
      await r.zadd('z', 1, 'a', 2, 'b', 3, 'c', 4, 'd');
      assert.deepEqual(await r.zrange('z', 0, -1), ['a', 'b', 'c', 'd']);
      assert.deepEqual(await r.zrange('z', 1, 2), ['b', 'c']);
      assert.deepEqual(await r.zrange('z', -2, -1), ['c', 'd']);
      assert.deepEqual(await r.zrange('z', -100, 1), ['a', 'b']);
      assert.deepEqual(await r.zrange('z', 2, 100), ['c', 'd']);
      assert.deepEqual(await r.zrange('z', 3, 1), []);
      assert.deepEqual(await r.zrange('z', 5, 10), []);
      assert.deepEqual(await r.zrange('z', 0, -5), []);
      assert.deepEqual(await r.call('ZRANGE', 'z', 0, 1, 'REV'), ['d', 'c']);
      assert.deepEqual(await r.zrevrange('z', 0, -1, 'WITHSCORES'), ['d', '4', 'c', '3', 'b', '2', 'a', '1']);
      assert.deepEqual(await r.zrevrange('z', -1, -1), ['a']);
      assert.deepEqual(await r.zrange('missing', 0, -1), []);
    });
  });
}

test('equal scores order members by their bytes', async () => {
  await r.zadd('z', 1, 'b', 1, 'a', 1, 'ab', 1, '', 1, 'B', 1, '\xff', 0, 'z');
  const members = await r.zrangeBuffer('z', 0, -1);
  assert.deepEqual(members.map((m) => m.toString('latin1')), ['z', '', 'B', 'a', 'ab', 'b', '\xc3\xbf']);
});

for (const [encoding, entries, value] of ENCODINGS) {
  test(`ZRANGEBYSCORE / ZREVRANGEBYSCORE with exclusive ends, WITHSCORES and LIMIT (${encoding})`, async () => {
    await withListpackLimits(entries, value, async () => {
      await r.zadd('z', 1, 'a', 2, 'b', 3, 'c', 4, 'd', 5, 'e');
      assert.deepEqual(await r.zrangebyscore('z', 2, 4), ['b', 'c', 'd']);
      assert.deepEqual(await r.zrangebyscore('z', '(2', '(4'), ['c']);
      assert.deepEqual(await r.zrangebyscore('z', '-inf', '+inf', 'WITHSCORES'), ['a', '1', 'b', '2', 'c', '3', 'd', '4', 'e', '5']);
      assert.deepEqual(await r.zrevrangebyscore('z', 4, 2), ['d', 'c', 'b']);
      assert.deepEqual(await r.zrevrangebyscore('z', '(4', '(2', 'WITHSCORES'), ['c', '3']);
      assert.deepEqual(await r.zrangebyscore('z', '-inf', '+inf', 'LIMIT', 1, 2), ['b', 'c']);
      assert.deepEqual(await r.zrangebyscore('z', '-inf', '+inf', 'LIMIT', 3, -1), ['d', 'e']);
      assert.deepEqual(await r.zrangebyscore('z', '-inf', '+inf', 'LIMIT', 0, 0), []);
      assert.deepEqual(await r.zrangebyscore('z', '-inf', '+inf', 'LIMIT', -1, 2), []);
      assert.deepEqual(await r.zrangebyscore('z', '-inf', '+inf', 'LIMIT', 5, 2), []);
      assert.deepEqual(await r.zrevrangebyscore('z', '+inf', '-inf', 'WITHSCORES', 'LIMIT', 1, 2), ['d', '4', 'c', '3']);
      assert.deepEqual(await r.zrangebyscore('z', 10, 20), []);
      assert.deepEqual(await r.zrangebyscore('z', 4, 2), []);
      assert.deepEqual(await r.zrevrangebyscore('z', 2, 4), []);
    });
  });

  test(`ZRANGEBYLEX / ZREVRANGEBYLEX with LIMIT (${encoding})`, async () => {
    await withListpackLimits(entries, value, async () => {
      await r.zadd('z', 0, 'alpha', 0, 'bar', 0, 'cool', 0, 'down', 0, 'elephant', 0, 'foo');
      assert.deepEqual(await r.zrangebylex('z', '-', '[cool'), ['alpha', 'bar', 'cool']);
      assert.deepEqual(await r.zrangebylex('z', '[bar', '(down'), ['bar', 'cool']);
      assert.deepEqual(await r.zrangebylex('z', '(foo', '+'), []);
      assert.deepEqual(await r.zrevrangebylex('z', '[cool', '-'), ['cool', 'bar', 'alpha']);
      assert.deepEqual(await r.zrevrangebylex('z', '+', '(d'), ['foo', 'elephant', 'down']);
      assert.deepEqual(await r.zrangebylex('z', '-', '+', 'LIMIT', 2, 3), ['cool', 'down', 'elephant']);
      assert.deepEqual(await r.zrevrangebylex('z', '+', '-', 'LIMIT', 1, 2), ['elephant', 'down']);
      assert.deepEqual(await r.zrangebylex('z', '[d', '[c'), []);
      await assert.rejects(r.zrangebylex('z', 'a', '+'), RANGE_LEX);
    });
  });
}

test('ZRANGE BYSCORE / BYLEX / REV / LIMIT / WITHSCORES combine as in Redis 6.2+', async () => {
  await r.zadd('z', 1, 'a', 2, 'b', 3, 'c', 4, 'd');
  assert.deepEqual(await r.call('ZRANGE', 'z', '(1', 3, 'BYSCORE', 'WITHSCORES'), ['b', '2', 'c', '3']);
  assert.deepEqual(await r.call('ZRANGE', 'z', 3, '(1', 'BYSCORE', 'REV'), ['c', 'b']);
  assert.deepEqual(await r.call('ZRANGE', 'z', '-inf', 'inf', 'BYSCORE', 'LIMIT', 1, 2), ['b', 'c']);
  assert.deepEqual(await r.call('ZRANGE', 'z', 'inf', '-inf', 'rev', 'byscore', 'limit', 0, 1, 'withscores'), ['d', '4']);
  await r.zadd('l', 0, 'a', 0, 'b', 0, 'c');
  assert.deepEqual(await r.call('ZRANGE', 'l', '[b', '+', 'BYLEX'), ['b', 'c']);
  assert.deepEqual(await r.call('ZRANGE', 'l', '+', '-', 'BYLEX', 'REV', 'LIMIT', 0, 2), ['c', 'b']);
  assert.deepEqual(await r.call('ZRANGE', 'z', 0, -1, 'LIMIT', 0, -1), ['a', 'b', 'c', 'd']);
});

test('ZRANGE option errors', async () => {
  await r.zadd('z', 1, 'a');
  await assert.rejects(r.call('ZRANGE', 'z', 0, -1, 'LIMIT', 0, 1),
    { message: 'ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX' });
  await assert.rejects(r.call('ZRANGE', 'z', '-', '+', 'BYLEX', 'WITHSCORES'),
    { message: 'ERR syntax error, WITHSCORES not supported in combination with BYLEX' });
  await assert.rejects(r.call('ZRANGE', 'z', 0, -1, 'BYSCORE', 'BYLEX'), SYNTAX);
  await assert.rejects(r.call('ZRANGE', 'z', 0, -1, 'REV', 'REV'), SYNTAX);
  await assert.rejects(r.call('ZRANGE', 'z', 0, -1, 'LIMIT', 0), SYNTAX);
  await assert.rejects(r.call('ZRANGE', 'z', 0, -1, 'FOO'), SYNTAX);
  await assert.rejects(r.call('ZRANGE', 'z', 'a', -1), NOT_INT);
  await assert.rejects(r.call('ZRANGE', 'z', 0, 1, 'BYSCORE', 'LIMIT', 'x', 1), NOT_INT);
  await assert.rejects(r.call('ZRANGE', 'missing', 'x', 1, 'BYSCORE'), RANGE_FLOAT);
  await assert.rejects(r.call('ZRANGEBYSCORE', 'z', 0, 1, 'REV'), SYNTAX);
  await assert.rejects(r.call('ZRANGEBYSCORE', 'z', 0, 1, 'BYLEX'), SYNTAX);
  await assert.rejects(r.call('ZREVRANGE', 'z', 0, 1, 'REV'), SYNTAX);
  await assert.rejects(r.call('ZRANGEBYLEX', 'z', '-', '+', 'WITHSCORES'),
    { message: 'ERR syntax error, WITHSCORES not supported in combination with BYLEX' });
  await assert.rejects(r.call('ZRANGE', 'z', 0), arity('zrange'));
});

test('ZRANGESTORE stores a range and returns its size', async () => {
  await r.zadd('z', 1, 'a', 2, 'b', 3, 'c', 4, 'd');
  assert.equal(await r.call('ZRANGESTORE', 'dst', 'z', 1, 2), 2);
  assert.deepEqual(await r.zrange('dst', 0, -1, 'WITHSCORES'), ['b', '2', 'c', '3']);
  assert.equal(await r.call('ZRANGESTORE', 'dst', 'z', '(1', '+inf', 'BYSCORE', 'REV', 'LIMIT', 0, 2), 0);
  assert.equal(await r.call('ZRANGESTORE', 'dst', 'z', '+inf', '(1', 'BYSCORE', 'REV', 'LIMIT', 0, 2), 2);
  assert.deepEqual(await r.zrange('dst', 0, -1), ['c', 'd']);
  await r.set('str', 'x');
  assert.equal(await r.call('ZRANGESTORE', 'str', 'z', 0, 0), 1);
  assert.equal(await r.type('str'), 'zset');
  await assert.rejects(r.call('ZRANGESTORE', 'dst', 'z', 0, -1, 'WITHSCORES'), SYNTAX);
  await assert.rejects(r.call('ZRANGESTORE', 'dst', 'z', 0), arity('zrangestore'));
});

test('ZRANGESTORE with an empty result deletes the destination', async () => {
  await r.zadd('dst', 1, 'x');
  assert.equal(await r.call('ZRANGESTORE', 'dst', 'missing', 0, -1), 0);
  assert.equal(await r.exists('dst'), 0);
  await r.zadd('z', 1, 'a');
  await r.set('dst', 'string');
  assert.equal(await r.call('ZRANGESTORE', 'dst', 'z', 5, 6), 0);
  assert.equal(await r.exists('dst'), 0);
  await r.set('s', 'x');
  await assert.rejects(r.call('ZRANGESTORE', 'dst', 's', 0, -1), WRONGTYPE);
});

// ---------------------------------------------------------------- ZRANK / ZREVRANK

for (const [encoding, entries, value] of ENCODINGS) {
  test(`ZRANK / ZREVRANK count from either end; nil for missing (${encoding})`, async () => {
    await withListpackLimits(entries, value, async () => {
      await r.zadd('z', 10, 'x', 20, 'y', 30, 'z');
      assert.deepEqual([await r.zrank('z', 'x'), await r.zrank('z', 'y'), await r.zrank('z', 'z')], [0, 1, 2]);
      assert.deepEqual([await r.zrevrank('z', 'x'), await r.zrevrank('z', 'z')], [2, 0]);
      assert.equal(await r.zrank('z', 'nope'), null);
      assert.equal(await r.zrevrank('missing', 'x'), null);
      await r.zrem('z', 'y');
      assert.equal(await r.zrank('z', 'z'), 1);
    });
  });
}

test('ZRANK has no WITHSCORE option in Redis 7.0', async () => {
  await r.zadd('z', 1, 'a');
  await assert.rejects(r.call('ZRANK', 'z', 'a', 'WITHSCORE'), arity('zrank'));
});

// ---------------------------------------------------------------- ZREM and range removal

test('ZREM removes members, counts them, and deletes the emptied key', async () => {
  await r.zadd('z', 1, 'a', 2, 'b', 3, 'c');
  assert.equal(await r.zrem('z', 'a', 'x', 'a'), 1);
  assert.equal(await r.zrem('z', 'b', 'c', 'd'), 2);
  assert.equal(await r.exists('z'), 0);
  assert.equal(await r.zrem('z', 'a'), 0);
});

test('ZREMRANGEBYRANK removes by rank with negative indexes', async () => {
  await r.zadd('z', 1, 'a', 2, 'b', 3, 'c', 4, 'd', 5, 'e');
  assert.equal(await r.zremrangebyrank('z', 1, 2), 2);
  assert.deepEqual(await r.zrange('z', 0, -1), ['a', 'd', 'e']);
  assert.equal(await r.zremrangebyrank('z', -1, -1), 1);
  assert.equal(await r.zremrangebyrank('z', 5, 10), 0);
  assert.equal(await r.zremrangebyrank('z', 0, -1), 2);
  assert.equal(await r.exists('z'), 0);
  await assert.rejects(r.zremrangebyrank('z', 'a', 1), NOT_INT);
});

test('ZREMRANGEBYSCORE and ZREMRANGEBYLEX remove ranges and delete emptied keys', async () => {
  await r.zadd('z', 1, 'a', 2, 'b', 3, 'c', 4, 'd');
  assert.equal(await r.zremrangebyscore('z', '(1', 3), 2);
  assert.deepEqual(await r.zrange('z', 0, -1), ['a', 'd']);
  assert.equal(await r.zremrangebyscore('z', 5, 10), 0);
  assert.equal(await r.zremrangebyscore('z', '-inf', '+inf'), 2);
  assert.equal(await r.exists('z'), 0);
  await r.zadd('l', 0, 'a', 0, 'b', 0, 'c', 0, 'd');
  assert.equal(await r.zremrangebylex('l', '[b', '(d'), 2);
  assert.deepEqual(await r.zrange('l', 0, -1), ['a', 'd']);
  assert.equal(await r.zremrangebylex('l', '-', '+'), 2);
  assert.equal(await r.exists('l'), 0);
  await assert.rejects(r.zremrangebyscore('missing', 'a', 1), RANGE_FLOAT);
  await assert.rejects(r.zremrangebylex('missing', 'a', '+'), RANGE_LEX);
  assert.equal(await r.zremrangebyscore('missing', 0, 1), 0);
});

// ---------------------------------------------------------------- ZPOPMIN / ZPOPMAX / ZMPOP

test('ZPOPMIN / ZPOPMAX pop one or count members and delete the emptied key', async () => {
  await r.zadd('z', 1, 'a', 2, 'b', 3, 'c');
  assert.deepEqual(await r.zpopmin('z'), ['a', '1']);
  assert.deepEqual(await r.zpopmax('z'), ['c', '3']);
  assert.deepEqual(await r.zpopmin('z', 10), ['b', '2']);
  assert.equal(await r.exists('z'), 0);
  assert.deepEqual(await r.zpopmin('z'), []);
  assert.deepEqual(await r.zpopmax('z', 3), []);
  await r.zadd('z', 1, 'a', 2, 'b', 3, 'c');
  assert.deepEqual(await r.zpopmax('z', 2), ['c', '3', 'b', '2']);
  assert.deepEqual(await r.zpopmax('z', 0), []);
  assert.equal(await r.zcard('z'), 1);
});

test('ZPOPMIN argument errors', async () => {
  await r.zadd('z', 1, 'a');
  const positive = { message: 'ERR value is out of range, must be positive' };
  await assert.rejects(r.call('ZPOPMIN', 'z', -1), positive);
  await assert.rejects(r.call('ZPOPMIN', 'z', 'x'), positive);
  await assert.rejects(r.call('ZPOPMAX', 'z', 1, 2), SYNTAX);
});

test('ZMPOP pops from the first non-empty key, with COUNT', async () => {
  await r.zadd('b', 1, 'x', 2, 'y', 3, 'z');
  assert.deepEqual(await r.call('ZMPOP', 2, 'a', 'b', 'MIN'), ['b', [['x', '1']]]);
  assert.deepEqual(await r.call('ZMPOP', 2, 'a', 'b', 'max', 'COUNT', 10), ['b', [['z', '3'], ['y', '2']]]);
  assert.equal(await r.exists('b'), 0);
  assert.equal(await r.call('ZMPOP', 2, 'a', 'b', 'MIN'), null);
});

test('ZMPOP argument errors', async () => {
  const numkeys = { message: 'ERR numkeys should be greater than 0' };
  const count = { message: 'ERR count should be greater than 0' };
  await assert.rejects(r.call('ZMPOP', 0, 'a', 'MIN'), numkeys);
  await assert.rejects(r.call('ZMPOP', 'x', 'a', 'MIN'), numkeys);
  await assert.rejects(r.call('ZMPOP', 1, 'a', 'MIN', 'COUNT', 0), count);
  await assert.rejects(r.call('ZMPOP', 1, 'a', 'MIN', 'COUNT', 'x'), count);
  await assert.rejects(r.call('ZMPOP', 1, 'a', 'MIN', 'COUNT', 1, 'COUNT', 1), SYNTAX);
  await assert.rejects(r.call('ZMPOP', 1, 'a', 'LEFT'), SYNTAX);
  await assert.rejects(r.call('ZMPOP', 2, 'a', 'MIN'), SYNTAX);
  await assert.rejects(r.call('ZMPOP', 1, 'a', 'MIN', 'COUNT'), SYNTAX);
  await r.set('s', 'x');
  await assert.rejects(r.call('ZMPOP', 2, 'missing', 's', 'MIN'), WRONGTYPE);
});

// ---------------------------------------------------------------- ZRANDMEMBER

test('ZRANDMEMBER without count returns one member, or nil', async () => {
  assert.equal(await r.zrandmember('z'), null);
  await r.zadd('z', 1, 'a', 2, 'b', 3, 'c');
  for (let i = 0; i < 10; i++) assert.ok(['a', 'b', 'c'].includes(await r.zrandmember('z')));
});

for (const [encoding, entries, value] of ENCODINGS) {
  test(`ZRANDMEMBER with a count: distinct when positive, repeats when negative (${encoding})`, async () => {
    await withListpackLimits(entries, value, async () => {
      const members = Array.from({ length: 30 }, (_, i) => `m${i}`);
      await r.zadd('z', ...members.flatMap((m, i) => [i, m]));
      for (const count of [1, 5, 15, 29]) {
        const got = await r.zrandmember('z', count);
        assert.equal(got.length, count);
        assert.equal(new Set(got).size, count);
        for (const m of got) assert.ok(members.includes(m));
      }
      // The whole set comes highest score first.
      assert.deepEqual(await r.zrandmember('z', 100), [...members].reverse());
      assert.deepEqual(await r.zrandmember('z', 30, 'WITHSCORES'), members.flatMap((m, i) => [m, String(i)]).reverse().flatMap((_, i, a) => (i % 2 ? [] : [a[i + 1], a[i]])));
      const repeated = await r.zrandmember('z', -200);
      assert.equal(repeated.length, 200);
      assert.ok(new Set(repeated).size < 30 || repeated.length === 200);
      const withScores = await r.zrandmember('z', -5, 'WITHSCORES');
      assert.equal(withScores.length, 10);
      for (let i = 0; i < 10; i += 2) assert.equal(withScores[i + 1], String(members.indexOf(withScores[i])));
      assert.deepEqual(await r.zrandmember('z', 0), []);
      assert.deepEqual(await r.zrandmember('missing', 5), []);
    });
  });
}

test('ZRANDMEMBER count errors', async () => {
  await r.zadd('z', 1, 'a');
  await assert.rejects(r.zrandmember('z', 'x'), NOT_INT);
  await assert.rejects(r.zrandmember('z', 1, 'WITHSCORE'), SYNTAX);
  await assert.rejects(r.call('ZRANDMEMBER', 'z', 1, 'WITHSCORES', 'x'), SYNTAX);
  await assert.rejects(r.zrandmember('z', '-9223372036854775808'),
    { message: 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807' });
  await assert.rejects(r.zrandmember('z', '-9223372036854770000', 'WITHSCORES'), { message: 'ERR value is out of range' });
});

// ---------------------------------------------------------------- set algebra

test('ZUNION / ZUNIONSTORE sum scores, with WEIGHTS and AGGREGATE', async () => {
  await r.zadd('a', 1, 'x', 2, 'y');
  await r.zadd('b', 10, 'y', 20, 'z');
  assert.deepEqual(await r.call('ZUNION', 2, 'a', 'b', 'WITHSCORES'), ['x', '1', 'y', '12', 'z', '20']);
  assert.deepEqual(await r.call('ZUNION', 2, 'a', 'b', 'WEIGHTS', 2, 0.5, 'WITHSCORES'), ['x', '2', 'y', '9', 'z', '10']);
  assert.deepEqual(await r.call('ZUNION', 2, 'a', 'b', 'AGGREGATE', 'MIN', 'WITHSCORES'), ['x', '1', 'y', '2', 'z', '20']);
  assert.deepEqual(await r.call('ZUNION', 2, 'a', 'b', 'AGGREGATE', 'max', 'WITHSCORES'), ['x', '1', 'y', '10', 'z', '20']);
  assert.deepEqual(await r.call('ZUNION', 3, 'a', 'missing', 'b'), ['x', 'y', 'z']);
  assert.equal(await r.zunionstore('dst', 2, 'a', 'b'), 3);
  assert.deepEqual(await r.zrange('dst', 0, -1, 'WITHSCORES'), ['x', '1', 'y', '12', 'z', '20']);
});

test('ZINTER / ZINTERSTORE keep members present everywhere', async () => {
  await r.zadd('a', 1, 'x', 2, 'y', 3, 'w');
  await r.zadd('b', 10, 'y', 20, 'z', 30, 'w');
  assert.deepEqual(await r.call('ZINTER', 2, 'a', 'b', 'WITHSCORES'), ['y', '12', 'w', '33']);
  assert.deepEqual(await r.call('ZINTER', 2, 'a', 'b', 'WEIGHTS', 1, -1, 'AGGREGATE', 'MAX', 'WITHSCORES'), ['y', '2', 'w', '3']);
  assert.deepEqual(await r.call('ZINTER', 2, 'a', 'a', 'WITHSCORES'), ['x', '2', 'y', '4', 'w', '6']);
  assert.deepEqual(await r.call('ZINTER', 2, 'a', 'missing'), []);
  assert.equal(await r.zinterstore('dst', 2, 'a', 'b', 'WEIGHTS', 2, 3), 2);
  assert.deepEqual(await r.zrange('dst', 0, -1, 'WITHSCORES'), ['y', '34', 'w', '96']);
  assert.equal(await r.zinterstore('dst', 2, 'a', 'missing'), 0);
  assert.equal(await r.exists('dst'), 0);
});

test('ZDIFF / ZDIFFSTORE keep members of the first set only', async () => {
  await r.zadd('a', 1, 'x', 2, 'y', 3, 'z');
  await r.zadd('b', 10, 'y');
  assert.deepEqual(await r.call('ZDIFF', 2, 'a', 'b', 'WITHSCORES'), ['x', '1', 'z', '3']);
  assert.deepEqual(await r.call('ZDIFF', 3, 'a', 'missing', 'b'), ['x', 'z']);
  assert.deepEqual(await r.call('ZDIFF', 2, 'missing', 'a'), []);
  assert.equal(await r.call('ZDIFFSTORE', 'dst', 2, 'a', 'b'), 2);
  assert.deepEqual(await r.zrange('dst', 0, -1, 'WITHSCORES'), ['x', '1', 'z', '3']);
  assert.equal(await r.call('ZDIFFSTORE', 'dst', 2, 'a', 'a'), 0);
  assert.equal(await r.exists('dst'), 0);
});

test('ZINTERCARD counts the intersection, stopping at LIMIT', async () => {
  await r.zadd('a', 1, 'x', 2, 'y', 3, 'z');
  await r.zadd('b', 1, 'x', 2, 'y', 3, 'z', 4, 'w');
  assert.equal(await r.call('ZINTERCARD', 2, 'a', 'b'), 3);
  assert.equal(await r.call('ZINTERCARD', 2, 'a', 'b', 'LIMIT', 2), 2);
  assert.equal(await r.call('ZINTERCARD', 2, 'a', 'b', 'LIMIT', 0), 3);
  assert.equal(await r.call('ZINTERCARD', 2, 'a', 'missing'), 0);
  const limit = { message: "ERR LIMIT can't be negative" };
  await assert.rejects(r.call('ZINTERCARD', 2, 'a', 'b', 'LIMIT', -1), limit);
  await assert.rejects(r.call('ZINTERCARD', 2, 'a', 'b', 'LIMIT', 'x'), limit);
  await assert.rejects(r.call('ZINTERCARD', 2, 'a', 'b', 'WITHSCORES'), SYNTAX);
  await assert.rejects(r.call('ZINTERCARD', 0, 'a'), { message: "ERR at least 1 input key is needed for 'zintercard' command" });
});

test('set algebra accepts plain sets as inputs, every score being 1', async () => {
  await r.sadd('s', 'x', 'y');
  await r.zadd('z', 5, 'y', 7, 'q');
  assert.deepEqual(await r.call('ZUNION', 2, 's', 'z', 'WITHSCORES'), ['x', '1', 'y', '6', 'q', '7']);
  assert.deepEqual(await r.call('ZINTER', 2, 's', 'z', 'WITHSCORES'), ['y', '6']);
  assert.deepEqual(await r.call('ZDIFF', 2, 's', 'z', 'WITHSCORES'), ['x', '1']);
  assert.equal(await r.zunionstore('dst', 2, 's', 'z', 'WEIGHTS', 3, 1), 3);
  assert.deepEqual(await r.zrange('dst', 0, -1, 'WITHSCORES'), ['x', '3', 'q', '7', 'y', '8']);
  assert.equal(await r.call('ZINTERCARD', 2, 's', 'z'), 1);
});

test('set algebra: inf + -inf sums to 0; scores times weights', async () => {
  await r.zadd('a', 'inf', 'x', 1, 'y');
  await r.zadd('b', '-inf', 'x', 'inf', 'y');
  assert.deepEqual(await r.call('ZUNION', 2, 'a', 'b', 'WITHSCORES'), ['x', '0', 'y', 'inf']);
  assert.deepEqual(await r.call('ZINTER', 2, 'a', 'b', 'WITHSCORES'), ['x', '0', 'y', 'inf']);
  assert.deepEqual(await r.call('ZUNION', 1, 'a', 'WEIGHTS', 0, 'WITHSCORES'), ['x', '0', 'y', '0']);
});

test('set algebra argument errors', async () => {
  await r.zadd('a', 1, 'x');
  await assert.rejects(r.call('ZUNION', 0, 'a'), { message: "ERR at least 1 input key is needed for 'zunion' command" });
  await assert.rejects(r.call('ZUNIONSTORE', 'd', 0, 'a'), { message: "ERR at least 1 input key is needed for 'zunionstore' command" });
  await assert.rejects(r.call('ZINTER', -1, 'a'), { message: "ERR at least 1 input key is needed for 'zinter' command" });
  await assert.rejects(r.call('ZUNION', 'x', 'a'), NOT_INT);
  await assert.rejects(r.call('ZUNION', 3, 'a', 'b'), SYNTAX);
  await assert.rejects(r.call('ZUNION', 1, 'a', 'WEIGHTS', 'x'), { message: 'ERR weight value is not a float' });
  await assert.rejects(r.call('ZUNION', 2, 'a', 'a', 'WEIGHTS', 1), SYNTAX);
  await assert.rejects(r.call('ZUNION', 1, 'a', 'AGGREGATE', 'AVG'), SYNTAX);
  await assert.rejects(r.call('ZUNION', 1, 'a', 'AGGREGATE'), SYNTAX);
  await assert.rejects(r.call('ZDIFF', 1, 'a', 'WEIGHTS', 1), SYNTAX);
  await assert.rejects(r.call('ZDIFF', 1, 'a', 'AGGREGATE', 'SUM'), SYNTAX);
  await assert.rejects(r.call('ZUNIONSTORE', 'd', 1, 'a', 'WITHSCORES'), SYNTAX);
  await r.set('str', 'x');
  await assert.rejects(r.call('ZUNION', 2, 'a', 'str'), WRONGTYPE);
  await assert.rejects(r.call('ZUNION', 2, 'a', 'str', 'BADOPTION'), WRONGTYPE);
  await assert.rejects(r.call('ZINTERSTORE', 'a', 2, 'a', 'str'), WRONGTYPE);
});

test('ZUNIONSTORE overwrites a destination of another type', async () => {
  await r.zadd('a', 1, 'x');
  await r.set('dst', 'string');
  assert.equal(await r.zunionstore('dst', 1, 'a'), 1);
  assert.equal(await r.type('dst'), 'zset');
});

// ---------------------------------------------------------------- ZSCAN

test('ZSCAN returns a small (listpack) set whole, scores as listpack integers', async () => {
  await r.zadd('z', 1, 'a', 2.5, 'b', '1e17', 'c');
  assert.deepEqual(await r.zscan('z', 0), ['0', ['a', '1', 'b', '2.5', 'c', '100000000000000000']]);
  assert.deepEqual(await r.zscan('z', 0, 'MATCH', 'b*'), ['0', ['b', '2.5']]);
  assert.deepEqual(await r.zscan('missing', 0), ['0', []]);
  assert.deepEqual(await r.zscan('missing', 0, 'COUNT', 0), ['0', []]);
  await assert.rejects(r.zscan('z', 'x'), { message: 'ERR invalid cursor' });
  await assert.rejects(r.zscan('z', 0, 'COUNT', 0), SYNTAX);
  await assert.rejects(r.zscan('z', 0, 'FOO', 1), SYNTAX);
});

test('ZSCAN of a big set returns every member present throughout, with its score', async () => {
  const members = Array.from({ length: 1000 }, (_, i) => `m${i}`);
  await r.zadd('z', ...members.flatMap((m, i) => [i, m]));
  await r.zadd('z', '1e17', 'big');
  const seen = new Map();
  let cursor = '0';
  let round = 0;
  do {
    const [next, flat] = await r.zscan('z', cursor, 'COUNT', 20);
    for (let i = 0; i < flat.length; i += 2) seen.set(flat[i], flat[i + 1]);
    // Churn during the walk: new members come and go, m0..m99 are removed.
    if (round < 100) {
      await r.zadd('z', 5000 + round, `new${round}`);
      await r.zrem('z', `m${round}`);
    }
    round++;
    cursor = next;
  } while (cursor !== '0');
  for (let i = 100; i < 1000; i++) assert.equal(seen.get(`m${i}`), String(i), `m${i}`);
  assert.equal(seen.get('big'), '1e+17');
});

// ---------------------------------------------------------------- encodings

test('OBJECT ENCODING: listpack, then skiplist for good past either limit', async () => {
  await r.zadd('z', ...Array.from({ length: 128 }, (_, i) => [i, `m${i}`]).flat());
  assert.equal(await r.object('ENCODING', 'z'), 'listpack');
  await r.zadd('z', 128, 'm128');
  assert.equal(await r.object('ENCODING', 'z'), 'skiplist');
  await r.zremrangebyrank('z', 0, 100);
  assert.equal(await r.object('ENCODING', 'z'), 'skiplist');
  await r.zadd('long', 1, 'a');
  await r.zadd('long', 2, 'x'.repeat(64));
  assert.equal(await r.object('ENCODING', 'long'), 'listpack');
  await r.zadd('long', 3, 'x'.repeat(65));
  assert.equal(await r.object('ENCODING', 'long'), 'skiplist');
  await r.zadd('first', 1, 'y'.repeat(65));
  assert.equal(await r.object('ENCODING', 'first'), 'skiplist');
});

test('stored results take the encoding their size calls for', async () => {
  await r.zadd('big', ...Array.from({ length: 200 }, (_, i) => [i, `m${i}`]).flat());
  assert.equal(await r.object('ENCODING', 'big'), 'skiplist');
  await r.call('ZRANGESTORE', 'small', 'big', 0, 9);
  assert.equal(await r.object('ENCODING', 'small'), 'listpack');
  await r.zunionstore('u', 1, 'small');
  assert.equal(await r.object('ENCODING', 'u'), 'listpack');
  await r.zunionstore('u2', 1, 'big');
  assert.equal(await r.object('ENCODING', 'u2'), 'skiplist');
  await withListpackLimits(0, 64, async () => {
    await r.zadd('z0', 1, 'a');
    assert.equal(await r.object('ENCODING', 'z0'), 'skiplist');
  });
});

test('COPY makes an independent sorted set', async () => {
  await r.zadd('z', 1, 'a', 2, 'b');
  assert.equal(await r.copy('z', 'c'), 1);
  await r.zadd('c', 3, 'c');
  await r.zrem('z', 'a');
  assert.deepEqual(await r.zrange('c', 0, -1), ['a', 'b', 'c']);
  assert.deepEqual(await r.zrange('z', 0, -1), ['b']);
});

// ---------------------------------------------------------------- RESP3 and RESP2 shapes

test('RESP3: scores are doubles, WITHSCORES pairs are nested arrays', async () => {
  await r.zadd('z', 0.1, 'a', 1.5, 'b', 'inf', 'c');
  const c = await resp3();
  try {
    assert.equal(await c.roundTrip(resp('ZSCORE', 'z', 'a'), ',0.10000000000000001\r\n'), ',0.10000000000000001\r\n');
    assert.equal(await c.roundTrip(resp('ZSCORE', 'z', 'c'), ',inf\r\n'), ',inf\r\n');
    assert.equal(await c.roundTrip(resp('ZSCORE', 'z', 'x'), '_\r\n'), '_\r\n');
    assert.equal(await c.roundTrip(resp('ZMSCORE', 'z', 'b', 'x'), '*2\r\n,1.5\r\n_\r\n'), '*2\r\n,1.5\r\n_\r\n');
    let want = '*2\r\n*2\r\n$1\r\na\r\n,0.10000000000000001\r\n*2\r\n$1\r\nb\r\n,1.5\r\n';
    assert.equal(await c.roundTrip(resp('ZRANGE', 'z', 0, 1, 'WITHSCORES'), want), want);
    want = '*1\r\n*2\r\n$1\r\nc\r\n,inf\r\n';
    assert.equal(await c.roundTrip(resp('ZRANGEBYSCORE', 'z', '(2', 'inf', 'WITHSCORES'), want), want);
    want = '*3\r\n*2\r\n$1\r\na\r\n,0.10000000000000001\r\n*2\r\n$1\r\nb\r\n,1.5\r\n*2\r\n$1\r\nc\r\n,inf\r\n';
    assert.equal(await c.roundTrip(resp('ZUNION', 1, 'z', 'WEIGHTS', 1, 'AGGREGATE', 'SUM', 'WITHSCORES'), want), want);
    assert.equal(await c.roundTrip(resp('ZINCRBY', 'z', 1, 'b'), ',2.5\r\n'), ',2.5\r\n');
    assert.equal(await c.roundTrip(resp('ZADD', 'z', 'NX', 'INCR', 1, 'b'), '_\r\n'), '_\r\n');
    want = '*2\r\n$1\r\na\r\n,0.10000000000000001\r\n';
    assert.equal(await c.roundTrip(resp('ZPOPMIN', 'z'), want), want);
    want = '*1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n';
    assert.equal(await c.roundTrip(resp('ZPOPMIN', 'z', 1), want), want);
    want = '*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nc\r\n,inf\r\n';
    assert.equal(await c.roundTrip(resp('ZMPOP', 1, 'z', 'MIN'), want), want);
    assert.equal(await c.roundTrip(resp('ZMPOP', 1, 'z', 'MIN'), '_\r\n'), '_\r\n');
    await r.zadd('z', 2, 'm');
    want = '*1\r\n*2\r\n$1\r\nm\r\n,2\r\n';
    assert.equal(await c.roundTrip(resp('ZRANDMEMBER', 'z', 1, 'WITHSCORES'), want), want);
    want = '*2\r\n*2\r\n$1\r\nm\r\n,2\r\n*2\r\n$1\r\nm\r\n,2\r\n';
    assert.equal(await c.roundTrip(resp('ZRANDMEMBER', 'z', -2, 'WITHSCORES'), want), want);
    want = '*2\r\n$1\r\n0\r\n*2\r\n$1\r\nm\r\n$1\r\n2\r\n';
    assert.equal(await c.roundTrip(resp('ZSCAN', 'z', 0), want), want);
    want = '*3\r\n$1\r\nz\r\n$1\r\nm\r\n,2\r\n';
    assert.equal(await c.roundTrip(resp('BZPOPMIN', 'z', 0), want), want);
    assert.equal(await c.roundTrip(resp('BZPOPMIN', 'z', 0.01), '_\r\n'), '_\r\n');
  } finally {
    c.close();
  }
});

test('RESP2: scores are bulk strings; WITHSCORES replies are flat', async () => {
  await r.zadd('z', 0.1, 'a', '-inf', 'b');
  const c = await rawConnect(server.port);
  try {
    let want = '$19\r\n0.10000000000000001\r\n';
    assert.equal(await c.roundTrip(resp('ZSCORE', 'z', 'a'), want), want);
    want = '*4\r\n$1\r\nb\r\n$4\r\n-inf\r\n$1\r\na\r\n$19\r\n0.10000000000000001\r\n';
    assert.equal(await c.roundTrip(resp('ZRANGE', 'z', 0, -1, 'WITHSCORES'), want), want);
    want = '*2\r\n$1\r\nb\r\n$4\r\n-inf\r\n';
    assert.equal(await c.roundTrip(resp('ZPOPMIN', 'z', 1), want), want);
    assert.equal(await c.roundTrip(resp('ZMPOP', 1, 'nope', 'MIN'), '*-1\r\n'), '*-1\r\n');
    assert.equal(await c.roundTrip(resp('ZSCORE', 'z', 'x'), '$-1\r\n'), '$-1\r\n');
    assert.equal(await c.roundTrip(resp('BZPOPMAX', 'nope', 0.01), '*-1\r\n'), '*-1\r\n');
  } finally {
    c.close();
  }
});

// ---------------------------------------------------------------- blocking pops

test('BZPOPMIN / BZPOPMAX serve at once from the first non-empty key', async () => {
  await r.zadd('b', 1, 'x', 2, 'y');
  assert.deepEqual(await r.bzpopmin('a', 'b', 0), ['b', 'x', '1']);
  assert.deepEqual(await r.bzpopmax('a', 'b', 0), ['b', 'y', '2']);
  assert.equal(await r.exists('b'), 0);
});

test('BZPOPMIN waits and is served by a later ZADD from another client', async () => {
  const waiter = connect();
  try {
    const pending = waiter.bzpopmin('z1', 'z2', 0);
    await blockedClients(r, 1);
    await r.zadd('z2', 5, 'late', 3, 'early');
    assert.deepEqual(await pending, ['z2', 'early', '3']);
    assert.deepEqual(await r.zrange('z2', 0, -1), ['late']);
  } finally {
    waiter.disconnect();
  }
});

test('blocked clients are served first come, first served', async () => {
  const first = connect();
  const second = connect();
  try {
    const one = first.bzpopmax('z', 0);
    await blockedClients(r, 1);
    const two = second.bzpopmax('z', 0);
    await blockedClients(r, 2);
    await r.zadd('z', 1, 'a');
    assert.deepEqual(await one, ['z', 'a', '1']);
    await blockedClients(r, 1);
    await r.zadd('z', 2, 'b', 3, 'c');
    assert.deepEqual(await two, ['z', 'c', '3']);
    assert.deepEqual(await r.zrange('z', 0, -1), ['b']);
  } finally {
    first.disconnect();
    second.disconnect();
  }
});

test('BZMPOP waits, then pops up to COUNT members', async () => {
  const waiter = connect();
  try {
    const pending = waiter.call('BZMPOP', 0, 2, 'a', 'b', 'MAX', 'COUNT', 2);
    await blockedClients(r, 1);
    await r.zadd('b', 1, 'x', 2, 'y', 3, 'z');
    assert.deepEqual(await pending, ['b', [['z', '3'], ['y', '2']]]);
    await r.zadd('a', 7, 'q');
    assert.deepEqual(await r.call('BZMPOP', 1, 2, 'a', 'b', 'MIN'), ['a', [['q', '7']]]);
  } finally {
    waiter.disconnect();
  }
});

test('blocking pops time out with a null reply', async () => {
  const started = Date.now();
  assert.equal(await r.bzpopmin('z', 0.1), null);
  assert.ok(Date.now() - started >= 90);
  assert.equal(await r.call('BZMPOP', 0.05, 1, 'z', 'MIN'), null);
});

test('blocking pops inside MULTI answer at once', async (t) => {
  const [info] = await r.command('INFO', 'multi');
  if (info === null) return t.skip('transactions are not implemented yet');
  const replies = await r.multi().bzpopmin('z', 0).call('BZMPOP', 0, 1, 'z', 'MIN').exec();
  assert.deepEqual(replies, [[null, null], [null, null]]);
});

test('blocking pop argument errors', async () => {
  await assert.rejects(r.bzpopmin('z', -1), { message: 'ERR timeout is negative' });
  await assert.rejects(r.bzpopmin('z', 'x'), { message: 'ERR timeout is not a float or out of range' });
  await assert.rejects(r.call('BZMPOP', 'x', 1, 'z', 'MIN'), { message: 'ERR timeout is not a float or out of range' });
  await assert.rejects(r.call('BZMPOP', 'x', 0, 'z', 'MIN'), { message: 'ERR numkeys should be greater than 0' });
  await assert.rejects(r.call('BZMPOP', 0, 1, 'z', 'UP'), SYNTAX);
  await r.set('s', 'x');
  await assert.rejects(r.bzpopmin('s', 'z', 0), WRONGTYPE);
  await assert.rejects(r.call('BZMPOP', 0, 2, 'nope', 's', 'MIN'), WRONGTYPE);
});

// ---------------------------------------------------------------- model test

/** %.17g for the values the model produces (halves of small integers). */
const fmt = (score) => String(score);

test('random ZADD/ZINCRBY/ZREM/ZRANGE/ZRANK sequences agree with a sorted-array model', async () => {
  const member = fc.constantFrom(...Array.from({ length: 40 }, (_, i) => `m${String(i).padStart(2, '0')}`), 'a', 'b', '');
  const score = fc.integer({ min: -20, max: 20 }).map((n) => n / 2);
  const op = fc.oneof(
    fc.record({ kind: fc.constant('zadd'), pairs: fc.array(fc.tuple(score, member), { minLength: 1, maxLength: 6 }), flag: fc.constantFrom('', 'NX', 'XX', 'GT', 'LT') }),
    fc.record({ kind: fc.constant('zincrby'), by: score, member }),
    fc.record({ kind: fc.constant('zrem'), members: fc.array(member, { minLength: 1, maxLength: 4 }) }),
    fc.record({ kind: fc.constant('zrange'), start: fc.integer({ min: -50, max: 50 }), stop: fc.integer({ min: -50, max: 50 }) }),
    fc.record({ kind: fc.constant('zrank'), member, reverse: fc.boolean() }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), fc.boolean(), async (ops, skiplist) => {
      await r.del('model');
      await r.config('SET', 'zset-max-listpack-entries', skiplist ? '4' : '128');
      /** @type {Map<string, number>} */
      const model = new Map();
      const ordered = () => [...model].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      for (const o of ops) {
        if (o.kind === 'zadd') {
          let added = 0;
          for (const [s, m] of o.pairs) {
            const cur = model.get(m);
            if (cur === undefined) {
              if (o.flag !== 'XX') {
                model.set(m, s);
                added++;
              }
            } else if (o.flag !== 'NX' && !(o.flag === 'GT' && s <= cur) && !(o.flag === 'LT' && s >= cur)) {
              model.set(m, s);
            }
          }
          const args = o.flag ? [o.flag] : [];
          assert.equal(await r.call('ZADD', 'model', ...args, ...o.pairs.flat()), added);
        } else if (o.kind === 'zincrby') {
          const next = (model.get(o.member) ?? 0) + o.by;
          model.set(o.member, next);
          assert.equal(await r.zincrby('model', o.by, o.member), fmt(next));
        } else if (o.kind === 'zrem') {
          let removed = 0;
          for (const m of o.members) if (model.delete(m)) removed++;
          assert.equal(await r.zrem('model', ...o.members), removed);
        } else if (o.kind === 'zrange') {
          const all = ordered();
          const n = all.length;
          const start = o.start < 0 ? Math.max(0, n + o.start) : o.start;
          const stop = o.stop < 0 ? n + o.stop : Math.min(o.stop, n - 1);
          const expected = start > stop || start >= n ? [] : all.slice(start, stop + 1).flatMap(([m, s]) => [m, fmt(s)]);
          assert.deepEqual(await r.zrange('model', o.start, o.stop, 'WITHSCORES'), expected);
        } else {
          const all = ordered();
          const index = all.findIndex(([m]) => m === o.member);
          const expected = index < 0 ? null : o.reverse ? all.length - 1 - index : index;
          assert.equal(await (o.reverse ? r.zrevrank('model', o.member) : r.zrank('model', o.member)), expected);
        }
      }
      assert.equal(await r.zcard('model'), model.size);
    }),
    { numRuns: 60 },
  );
  await r.config('SET', 'zset-max-listpack-entries', '128');
});

test('a big sorted set keeps ranks, ranges and counts right through churn', async () => {
  // Enough members for the ordered index to split and merge nodes on several levels.
  const n = 20000;
  const scores = new Map();
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const batch = [];
  for (let i = 0; i < n; i++) {
    const s = Math.floor(random() * 5000);
    scores.set(`k${i}`, s);
    batch.push(s, `k${i}`);
  }
  await r.zadd('big', ...batch);
  const pipeline = r.pipeline();
  for (let i = 0; i < n; i += 3) {
    pipeline.zrem('big', `k${i}`);
    scores.delete(`k${i}`);
  }
  for (let i = 0; i < n; i += 7) {
    const s = Math.floor(random() * 5000);
    pipeline.zadd('big', s, `k${i}`);
    scores.set(`k${i}`, s);
  }
  await pipeline.exec();
  const ordered = [...scores].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  assert.equal(await r.zcard('big'), ordered.length);
  assert.deepEqual(await r.zrange('big', 0, -1), ordered.map(([m]) => m));
  const probes = r.pipeline();
  const expected = [];
  for (let i = 0; i < 300; i++) {
    const rank = Math.floor(random() * ordered.length);
    probes.zrank('big', ordered[rank][0]);
    expected.push(rank);
    probes.zrange('big', rank, rank);
    expected.push([ordered[rank][0]]);
    const lo = Math.floor(random() * 5000);
    probes.zcount('big', lo, lo + 100);
    expected.push(ordered.filter(([, s]) => s >= lo && s <= lo + 100).length);
  }
  const replies = (await probes.exec()).map(([, v]) => v);
  assert.deepEqual(replies, expected);
  assert.equal(await r.zremrangebyrank('big', 0, -2), ordered.length - 1);
  assert.deepEqual(await r.zrange('big', 0, -1), [ordered[ordered.length - 1][0]]);
});
