// List commands: pushes and pops, index and range access, LINSERT/LREM/LTRIM/LPOS,
// moves, LMPOP, and the blocking commands (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP).
// Every expectation here is what Redis 7.0.15 replies (check with TEST_TARGET=redis).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Redis from 'ioredis';
import fc from 'fast-check';
import { blockedClients, useServer, rawConnect, resp, sleep } from './helpers.mjs';

let server;
let r;

const SYNTAX = { message: 'ERR syntax error' };
const NOT_INT = { message: 'ERR value is not an integer or out of range' };
const WRONGTYPE = { message: 'WRONGTYPE Operation against a key holding the wrong kind of value' };
const NOT_POSITIVE = { message: 'ERR value is out of range, must be positive' };
const BAD_TIMEOUT = { message: 'ERR timeout is not a float or out of range' };
const NEGATIVE_TIMEOUT = { message: 'ERR timeout is negative' };

useServer([], (s, client) => {
  server = s;
  r = client;
});

/** A second (third, ...) connection, closed at the end of the test. */
function connect(t) {
  const client = new Redis({ port: server.port, maxRetriesPerRequest: 0 });
  t.after(() => client.disconnect());
  return client;
}

/** Marks a reply that will fail as handled at once; the test checks it later with assert.rejects. */
const later = (promise) => {
  promise.catch(() => {});
  return promise;
};

/** Whether a promise has settled yet, without waiting for it. */
async function settled(promise) {
  const marker = Symbol('pending');
  const result = await Promise.race([promise.then(() => true, () => true), sleep(20).then(() => marker)]);
  return result !== marker;
}

// ---------------------------------------------------------------- push

test('LPUSH prepends each element in turn and RPUSH appends; both return the new length', async () => {
  assert.equal(await r.lpush('l', 'a', 'b', 'c'), 3);
  assert.deepEqual(await r.lrange('l', 0, -1), ['c', 'b', 'a']);
  assert.equal(await r.rpush('l', 'x', 'y'), 5);
  assert.deepEqual(await r.lrange('l', 0, -1), ['c', 'b', 'a', 'x', 'y']);
  assert.equal(await r.type('l'), 'list');
});

test('list elements are binary safe', async () => {
  const bytes = Buffer.from([0, 0xff, 0x0d, 0x0a, 0x80, 0x20]);
  await r.rpush('l', bytes, '', 'plain');
  assert.deepEqual(await r.lrangeBuffer('l', 0, -1), [bytes, Buffer.alloc(0), Buffer.from('plain')]);
  assert.deepEqual(await r.lindexBuffer('l', 0), bytes);
});

test('numbers and texts that only look like them stay distinct elements', async () => {
  const values = ['1', '01', '+1', ' 1', '1e0', '0', '-0', '-1', '2147483647', '2147483648', '-2147483648', '-2147483649', '99999999999'];
  await r.rpush('l', ...values);
  assert.deepEqual(await r.lrange('l', 0, -1), values);
  assert.equal(await r.call('LPOS', 'l', '0'), 5);
  assert.equal(await r.call('LPOS', 'l', '-0'), 6);
  assert.equal(await r.call('LPOS', 'l', '2147483648'), 9);
  assert.equal(await r.lrem('l', 0, '1'), 1);
  assert.equal(await r.linsert('l', 'AFTER', '-1', '-1'), values.length);
  assert.equal(await r.lset('l', 0, '7'), 'OK');
  assert.deepEqual(await r.lrange('l', 0, 6), ['7', '+1', ' 1', '1e0', '0', '-0', '-1']);
  assert.equal(await r.lindex('l', 7), '-1');
  assert.equal(await r.rpop('l'), '99999999999');
  assert.equal(await r.lpop('l'), '7');
});

test('LPUSHX and RPUSHX push only onto an existing list', async () => {
  assert.equal(await r.lpushx('l', 'a'), 0);
  assert.equal(await r.rpushx('l', 'a', 'b'), 0);
  assert.equal(await r.exists('l'), 0);
  await r.rpush('l', 'm');
  assert.equal(await r.lpushx('l', 'a', 'b'), 3);
  assert.equal(await r.rpushx('l', 'y', 'z'), 5);
  assert.deepEqual(await r.lrange('l', 0, -1), ['b', 'a', 'm', 'y', 'z']);
});

test('pushing onto a key of another type is WRONGTYPE and changes nothing', async () => {
  await r.set('s', 'v');
  for (const cmd of ['LPUSH', 'RPUSH', 'LPUSHX', 'RPUSHX']) {
    await assert.rejects(r.call(cmd, 's', 'x'), WRONGTYPE);
  }
  assert.equal(await r.get('s'), 'v');
});

test('a push preserves the TTL of an existing list', async () => {
  await r.rpush('l', 'a');
  await r.expire('l', 100);
  await r.rpush('l', 'b');
  assert.ok((await r.ttl('l')) > 0);
});

// ---------------------------------------------------------------- pop

test('LPOP and RPOP remove from each end; the key goes away with its last element', async () => {
  await r.rpush('l', 'a', 'b', 'c');
  assert.equal(await r.lpop('l'), 'a');
  assert.equal(await r.rpop('l'), 'c');
  assert.equal(await r.lpop('l'), 'b');
  assert.equal(await r.exists('l'), 0);
  assert.equal(await r.lpop('l'), null);
  assert.equal(await r.rpop('l'), null);
});

test('LPOP/RPOP with a count return an array in pop order, at most the length', async () => {
  await r.rpush('l', 'a', 'b', 'c', 'd', 'e');
  assert.deepEqual(await r.lpop('l', 2), ['a', 'b']);
  assert.deepEqual(await r.rpop('l', 2), ['e', 'd']);
  assert.deepEqual(await r.rpop('l', 10), ['c']);
  assert.equal(await r.exists('l'), 0);
});

test('LPOP/RPOP count 0 is an empty array on a list and nil on a missing key', async () => {
  await r.rpush('l', 'a');
  assert.deepEqual(await r.lpop('l', 0), []);
  assert.deepEqual(await r.rpop('l', 0), []);
  assert.equal(await r.llen('l'), 1);
  assert.equal(await r.lpop('missing', 0), null);
  assert.equal(await r.rpop('missing', 3), null);
});

test('LPOP/RPOP reject a negative or non-numeric count, and extra arguments', async () => {
  await r.rpush('l', 'a');
  await assert.rejects(r.call('LPOP', 'l', '-1'), NOT_POSITIVE);
  await assert.rejects(r.call('RPOP', 'missing', '-1'), NOT_POSITIVE);
  await assert.rejects(r.call('LPOP', 'l', 'x'), NOT_POSITIVE);
  await assert.rejects(r.call('LPOP', 'l', '1', '2'), { message: "ERR wrong number of arguments for 'lpop' command" });
  await assert.rejects(r.call('RPOP', 'l', '1', '2'), { message: "ERR wrong number of arguments for 'rpop' command" });
  await assert.rejects(r.call('LPOP'), { message: "ERR wrong number of arguments for 'lpop' command" });
});

test('the null replies of LPOP, LMPOP and LINDEX keep their RESP2 and RESP3 shapes', async () => {
  const conn = await rawConnect(server.port);
  try {
    const probes = [
      [['LPOP', 'missing'], '$-1\r\n', '_\r\n'],
      [['LPOP', 'missing', '2'], '*-1\r\n', '_\r\n'],
      [['RPOP', 'missing', '0'], '*-1\r\n', '_\r\n'],
      [['LMPOP', '1', 'missing', 'LEFT'], '*-1\r\n', '_\r\n'],
      [['LINDEX', 'missing', '0'], '$-1\r\n', '_\r\n'],
      [['LPOS', 'missing', 'x'], '$-1\r\n', '_\r\n'],
      [['LPOS', 'missing', 'x', 'COUNT', '0'], '*0\r\n', '*0\r\n'],
      [['RPOPLPUSH', 'missing', 'd'], '$-1\r\n', '_\r\n'],
      [['BLPOP', 'missing', '0.01'], '*-1\r\n', '_\r\n'],
      [['BLMPOP', '0.01', '1', 'missing', 'RIGHT'], '*-1\r\n', '_\r\n'],
      // A timed-out BLMOVE answers the null array, not the null bulk string.
      [['BLMOVE', 'missing', 'd', 'LEFT', 'LEFT', '0.01'], '*-1\r\n', '_\r\n'],
      [['BRPOPLPUSH', 'missing', 'd', '0.01'], '*-1\r\n', '_\r\n'],
    ];
    for (const [command, resp2] of probes) assert.equal(await conn.roundTrip(resp(...command), resp2), resp2, command.join(' '));
    conn.write(resp('HELLO', '3') + resp('PING'));
    let hello = '';
    while (!hello.endsWith('+PONG\r\n')) hello += await conn.read(1);
    for (const [command, , resp3] of probes) assert.equal(await conn.roundTrip(resp(...command), resp3), resp3, command.join(' '));
  } finally {
    conn.close();
  }
});

// ---------------------------------------------------------------- reads

test('LLEN counts the elements, 0 for a missing key', async () => {
  assert.equal(await r.llen('l'), 0);
  await r.rpush('l', 'a', 'b');
  assert.equal(await r.llen('l'), 2);
});

test('LINDEX reads by index from either end; out of range is nil', async () => {
  await r.rpush('l', 'a', 'b', 'c');
  assert.equal(await r.lindex('l', 0), 'a');
  assert.equal(await r.lindex('l', 2), 'c');
  assert.equal(await r.lindex('l', -1), 'c');
  assert.equal(await r.lindex('l', -3), 'a');
  assert.equal(await r.lindex('l', 3), null);
  assert.equal(await r.lindex('l', -4), null);
});

test('LINDEX looks at the key before the index: a missing key is nil even with a bad index', async () => {
  assert.equal(await r.call('LINDEX', 'missing', 'x'), null);
  await r.rpush('l', 'a');
  await assert.rejects(r.call('LINDEX', 'l', 'x'), NOT_INT);
  await assert.rejects(r.call('LINDEX', 'l', '1.5'), NOT_INT);
});

test('LRANGE takes inclusive indexes, negative from the tail, clamped to the list', async () => {
  await r.rpush('l', 'a', 'b', 'c', 'd');
  assert.deepEqual(await r.lrange('l', 1, 2), ['b', 'c']);
  assert.deepEqual(await r.lrange('l', -2, -1), ['c', 'd']);
  assert.deepEqual(await r.lrange('l', -100, 100), ['a', 'b', 'c', 'd']);
  assert.deepEqual(await r.lrange('l', 0, -10), []);
  assert.deepEqual(await r.lrange('l', 3, 1), []);
  assert.deepEqual(await r.lrange('l', 4, 10), []);
  assert.deepEqual(await r.lrange('l', -1, -2), []);
  assert.deepEqual(await r.lrange('missing', 0, -1), []);
  await assert.rejects(r.call('LRANGE', 'l', 'a', '1'), NOT_INT);
  await assert.rejects(r.call('LRANGE', 'missing', '0', 'b'), NOT_INT);
});

// ---------------------------------------------------------------- LSET / LINSERT / LREM / LTRIM

test('LSET replaces by index from either end', async () => {
  await r.rpush('l', 'a', 'b', 'c');
  assert.equal(await r.lset('l', 0, 'A'), 'OK');
  assert.equal(await r.lset('l', -1, 'C'), 'OK');
  assert.deepEqual(await r.lrange('l', 0, -1), ['A', 'b', 'C']);
});

test('LSET errors: index out of range, no such key, wrong type, bad index', async () => {
  await r.rpush('l', 'a');
  await assert.rejects(r.lset('l', 1, 'x'), { message: 'ERR index out of range' });
  await assert.rejects(r.lset('l', -2, 'x'), { message: 'ERR index out of range' });
  await assert.rejects(r.lset('missing', 0, 'x'), { message: 'ERR no such key' });
  await assert.rejects(r.call('LSET', 'missing', 'x', 'x'), { message: 'ERR no such key' });
  await assert.rejects(r.call('LSET', 'l', 'x', 'x'), NOT_INT);
  await r.set('s', 'v');
  await assert.rejects(r.lset('s', 0, 'x'), WRONGTYPE);
});

test('LINSERT puts the element before or after the first pivot and returns the length', async () => {
  await r.rpush('l', 'a', 'b', 'a');
  assert.equal(await r.linsert('l', 'BEFORE', 'a', 'x'), 4);
  assert.equal(await r.linsert('l', 'after', 'a', 'y'), 5);
  assert.equal(await r.call('LINSERT', 'l', 'AfTeR', 'b', 'z'), 6);
  assert.deepEqual(await r.lrange('l', 0, -1), ['x', 'a', 'y', 'b', 'z', 'a']);
});

test('LINSERT answers -1 without the pivot, 0 without the key, and checks BEFORE|AFTER first', async () => {
  await r.rpush('l', 'a');
  assert.equal(await r.linsert('l', 'BEFORE', 'nope', 'x'), -1);
  assert.equal(await r.linsert('missing', 'BEFORE', 'a', 'x'), 0);
  assert.equal(await r.exists('missing'), 0);
  await assert.rejects(r.call('LINSERT', 'missing', 'middle', 'a', 'x'), SYNTAX);
  await assert.rejects(r.call('LINSERT', 'l', 'middle', 'a', 'x'), SYNTAX);
});

test('LREM removes from the head (count > 0), the tail (count < 0) or everywhere (0)', async () => {
  await r.rpush('l', 'x', 'a', 'x', 'b', 'x', 'c', 'x');
  assert.equal(await r.lrem('l', 2, 'x'), 2);
  assert.deepEqual(await r.lrange('l', 0, -1), ['a', 'b', 'x', 'c', 'x']);
  assert.equal(await r.lrem('l', -1, 'x'), 1);
  assert.deepEqual(await r.lrange('l', 0, -1), ['a', 'b', 'x', 'c']);
  await r.rpush('l', 'x', 'x');
  assert.equal(await r.lrem('l', 0, 'x'), 3);
  assert.deepEqual(await r.lrange('l', 0, -1), ['a', 'b', 'c']);
  assert.equal(await r.lrem('l', 0, 'nope'), 0);
  assert.equal(await r.lrem('missing', 0, 'a'), 0);
  await assert.rejects(r.call('LREM', 'l', 'x', 'a'), NOT_INT);
});

test('LREM of every element deletes the key', async () => {
  await r.rpush('l', 'a', 'a');
  assert.equal(await r.lrem('l', -5, 'a'), 2);
  assert.equal(await r.exists('l'), 0);
});

test('LTRIM keeps an inclusive range, and an empty range deletes the key', async () => {
  await r.rpush('l', 'a', 'b', 'c', 'd', 'e');
  assert.equal(await r.ltrim('l', 1, -2), 'OK');
  assert.deepEqual(await r.lrange('l', 0, -1), ['b', 'c', 'd']);
  assert.equal(await r.ltrim('l', -100, 100), 'OK');
  assert.deepEqual(await r.lrange('l', 0, -1), ['b', 'c', 'd']);
  assert.equal(await r.ltrim('l', 2, 1), 'OK');
  assert.equal(await r.exists('l'), 0);
  assert.equal(await r.ltrim('missing', 0, 1), 'OK');
  await r.rpush('l', 'a', 'b');
  assert.equal(await r.ltrim('l', 0, -10), 'OK');
  assert.equal(await r.exists('l'), 0);
  await assert.rejects(r.call('LTRIM', 'l', '0', 'x'), NOT_INT);
});

// ---------------------------------------------------------------- LPOS

test('LPOS finds the first match, the Nth with RANK, from the tail with a negative RANK', async () => {
  await r.rpush('l', 'a', 'b', 'c', 'b', 'd', 'b');
  assert.equal(await r.call('LPOS', 'l', 'b'), 1);
  assert.equal(await r.call('LPOS', 'l', 'b', 'RANK', '2'), 3);
  assert.equal(await r.call('LPOS', 'l', 'b', 'RANK', '-1'), 5);
  assert.equal(await r.call('LPOS', 'l', 'b', 'RANK', '-3'), 1);
  assert.equal(await r.call('LPOS', 'l', 'b', 'RANK', '4'), null);
  assert.equal(await r.call('LPOS', 'l', 'z'), null);
});

test('LPOS COUNT returns several positions (0: all), combined with RANK and MAXLEN', async () => {
  await r.rpush('l', 'a', 'b', 'c', 'b', 'd', 'b');
  assert.deepEqual(await r.call('LPOS', 'l', 'b', 'COUNT', '2'), [1, 3]);
  assert.deepEqual(await r.call('LPOS', 'l', 'b', 'COUNT', '0'), [1, 3, 5]);
  assert.deepEqual(await r.call('LPOS', 'l', 'b', 'COUNT', '0', 'RANK', '2'), [3, 5]);
  assert.deepEqual(await r.call('LPOS', 'l', 'b', 'COUNT', '0', 'RANK', '-1'), [5, 3, 1]);
  assert.deepEqual(await r.call('LPOS', 'l', 'b', 'COUNT', '0', 'MAXLEN', '4'), [1, 3]);
  assert.deepEqual(await r.call('LPOS', 'l', 'b', 'COUNT', '0', 'RANK', '-1', 'MAXLEN', '2'), [5]);
  assert.deepEqual(await r.call('LPOS', 'l', 'b', 'RANK', '5', 'COUNT', '1'), []);
  assert.equal(await r.call('LPOS', 'l', 'd', 'MAXLEN', '4'), null);
  assert.equal(await r.call('LPOS', 'l', 'd', 'MAXLEN', '5'), 4);
  assert.deepEqual(await r.call('LPOS', 'l', 'z', 'COUNT', '1'), []);
  assert.deepEqual(await r.call('LPOS', 'missing', 'z', 'COUNT', '1'), []);
});

test('LPOS option errors, checked before the key', async () => {
  await r.set('s', 'v');
  await assert.rejects(r.call('LPOS', 'missing', 'a', 'RANK', '0'), {
    message: "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
  });
  await assert.rejects(r.call('LPOS', 'missing', 'a', 'RANK', 'x'), NOT_INT);
  await assert.rejects(r.call('LPOS', 'missing', 'a', 'COUNT', '-1'), { message: "ERR COUNT can't be negative" });
  await assert.rejects(r.call('LPOS', 'missing', 'a', 'COUNT', 'x'), { message: "ERR COUNT can't be negative" });
  await assert.rejects(r.call('LPOS', 'missing', 'a', 'MAXLEN', '-1'), { message: "ERR MAXLEN can't be negative" });
  await assert.rejects(r.call('LPOS', 'missing', 'a', 'RANK'), SYNTAX);
  await assert.rejects(r.call('LPOS', 'missing', 'a', 'BOGUS', '1'), SYNTAX);
  await assert.rejects(r.call('LPOS', 's', 'a'), WRONGTYPE);
});

// ---------------------------------------------------------------- LMOVE / RPOPLPUSH

test('LMOVE moves between every pair of ends', async () => {
  const cases = [
    ['LEFT', 'LEFT', 'a', ['a', 'x', 'y']],
    ['LEFT', 'RIGHT', 'a', ['x', 'y', 'a']],
    ['RIGHT', 'LEFT', 'c', ['c', 'x', 'y']],
    ['RIGHT', 'RIGHT', 'c', ['x', 'y', 'c']],
  ];
  for (const [from, to, moved, target] of cases) {
    await r.del('src', 'dst');
    await r.rpush('src', 'a', 'b', 'c');
    await r.rpush('dst', 'x', 'y');
    assert.equal(await r.call('LMOVE', 'src', 'dst', from, to), moved);
    assert.deepEqual(await r.lrange('dst', 0, -1), target);
    assert.equal(await r.llen('src'), 2);
  }
});

test('RPOPLPUSH takes the tail to the head, creates the target and deletes an emptied source', async () => {
  await r.rpush('src', 'a', 'b');
  assert.equal(await r.rpoplpush('src', 'dst'), 'b');
  assert.equal(await r.rpoplpush('src', 'dst'), 'a');
  assert.deepEqual(await r.lrange('dst', 0, -1), ['a', 'b']);
  assert.equal(await r.exists('src'), 0);
  assert.equal(await r.rpoplpush('src', 'dst'), null);
  assert.equal(await r.call('LMOVE', 'src', 'dst', 'LEFT', 'RIGHT'), null);
});

test('LMOVE on one list rotates it, even with a single element', async () => {
  await r.rpush('l', 'a', 'b', 'c');
  assert.equal(await r.rpoplpush('l', 'l'), 'c');
  assert.deepEqual(await r.lrange('l', 0, -1), ['c', 'a', 'b']);
  assert.equal(await r.call('LMOVE', 'l', 'l', 'LEFT', 'RIGHT'), 'c');
  assert.deepEqual(await r.lrange('l', 0, -1), ['a', 'b', 'c']);
  await r.del('l');
  await r.rpush('l', 'only');
  assert.equal(await r.call('LMOVE', 'l', 'l', 'RIGHT', 'RIGHT'), 'only');
  assert.deepEqual(await r.lrange('l', 0, -1), ['only']);
});

test('LMOVE errors: bad direction, wrong source or destination type (nothing moves)', async () => {
  await r.rpush('l', 'a');
  await r.set('s', 'v');
  await assert.rejects(r.call('LMOVE', 'l', 'd', 'UP', 'LEFT'), SYNTAX);
  await assert.rejects(r.call('LMOVE', 'l', 'd', 'LEFT', 'DOWN'), SYNTAX);
  await assert.rejects(r.call('LMOVE', 's', 'l', 'LEFT', 'LEFT'), WRONGTYPE);
  await assert.rejects(r.call('LMOVE', 'l', 's', 'LEFT', 'LEFT'), WRONGTYPE);
  await assert.rejects(r.rpoplpush('l', 's'), WRONGTYPE);
  assert.deepEqual(await r.lrange('l', 0, -1), ['a']);
  // Without a source element the destination's type is not looked at.
  assert.equal(await r.rpoplpush('missing', 's'), null);
});

// ---------------------------------------------------------------- LMPOP

test('LMPOP pops from the first non-empty list: [key, elements]', async () => {
  await r.rpush('b', '1', '2', '3');
  await r.rpush('c', 'x');
  assert.deepEqual(await r.call('LMPOP', '3', 'a', 'b', 'c', 'LEFT'), ['b', ['1']]);
  assert.deepEqual(await r.call('LMPOP', '3', 'a', 'b', 'c', 'right', 'COUNT', '5'), ['b', ['3', '2']]);
  assert.equal(await r.exists('b'), 0);
  assert.deepEqual(await r.call('LMPOP', '2', 'c', 'c', 'LEFT', 'count', '2'), ['c', ['x']]);
  assert.equal(await r.call('LMPOP', '2', 'a', 'b', 'LEFT'), null);
});

test('LMPOP argument errors', async () => {
  const numkeys = { message: 'ERR numkeys should be greater than 0' };
  const count = { message: 'ERR count should be greater than 0' };
  await assert.rejects(r.call('LMPOP', '0', 'l', 'LEFT'), numkeys);
  await assert.rejects(r.call('LMPOP', '-1', 'l', 'LEFT'), numkeys);
  await assert.rejects(r.call('LMPOP', 'x', 'l', 'LEFT'), numkeys);
  await assert.rejects(r.call('LMPOP', '2', 'l', 'LEFT'), SYNTAX);
  await assert.rejects(r.call('LMPOP', '1', 'l', 'MIDDLE'), SYNTAX);
  await assert.rejects(r.call('LMPOP', '1', 'l', 'LEFT', 'COUNT'), SYNTAX);
  await assert.rejects(r.call('LMPOP', '1', 'l', 'LEFT', 'COUNT', '1', 'COUNT', '2'), SYNTAX);
  await assert.rejects(r.call('LMPOP', '1', 'l', 'LEFT', 'extra'), SYNTAX);
  await assert.rejects(r.call('LMPOP', '1', 'l', 'LEFT', 'COUNT', '0'), count);
  await assert.rejects(r.call('LMPOP', '1', 'l', 'LEFT', 'COUNT', 'x'), count);
  await assert.rejects(r.call('LMPOP', '1', 'l'), { message: "ERR wrong number of arguments for 'lmpop' command" });
});

test('LMPOP stops with WRONGTYPE at a key of another type before any list', async () => {
  await r.set('s', 'v');
  await r.rpush('l', 'a');
  await assert.rejects(r.call('LMPOP', '2', 's', 'l', 'LEFT'), WRONGTYPE);
  assert.deepEqual(await r.call('LMPOP', '2', 'l', 's', 'LEFT'), ['l', ['a']]);
});

// ---------------------------------------------------------------- types, encoding, copy

test('every list command answers WRONGTYPE on a string key', async () => {
  await r.set('s', 'v');
  const commands = [
    ['LPOP', 's'], ['RPOP', 's', '2'], ['LLEN', 's'], ['LRANGE', 's', '0', '1'], ['LINDEX', 's', '0'],
    ['LINSERT', 's', 'BEFORE', 'a', 'b'], ['LREM', 's', '0', 'a'], ['LTRIM', 's', '0', '1'],
    ['BLPOP', 's', '0'], ['BRPOP', 'missing', 's', '0'], ['BLMPOP', '0', '1', 's', 'LEFT'],
    ['BLMOVE', 's', 'd', 'LEFT', 'LEFT', '0'], ['BRPOPLPUSH', 's', 'd', '0'],
  ];
  for (const command of commands) await assert.rejects(r.call(...command), WRONGTYPE, command.join(' '));
});

test('OBJECT ENCODING says quicklist for small and large lists, as Redis 7.0 does', async () => {
  await r.rpush('small', 'a');
  assert.equal(await r.object('ENCODING', 'small'), 'quicklist');
  await r.rpush('big', ...Array.from({ length: 1000 }, (_, i) => `element-${i}`));
  assert.equal(await r.object('ENCODING', 'big'), 'quicklist');
});

test('COPY makes an independent list', async () => {
  await r.rpush('l', 'a', 'b');
  assert.equal(await r.call('COPY', 'l', 'c'), 1);
  await r.rpush('c', 'x');
  await r.lpop('l');
  assert.deepEqual(await r.lrange('l', 0, -1), ['b']);
  assert.deepEqual(await r.lrange('c', 0, -1), ['a', 'b', 'x']);
});

test('a list survives growing to thousands of elements and shrinking back', async () => {
  const n = 5000;
  const values = Array.from({ length: n }, (_, i) => String(i));
  await r.rpush('l', ...values.slice(0, n / 2));
  await r.lpush('l', ...values.slice(n / 2));
  assert.equal(await r.llen('l'), n);
  assert.equal(await r.lindex('l', 0), String(n - 1));
  assert.equal(await r.lindex('l', -1), String(n / 2 - 1));
  assert.equal((await r.lpop('l', n - 3)).length, n - 3);
  assert.deepEqual(await r.lrange('l', 0, -1), ['2497', '2498', '2499']);
});

// ---------------------------------------------------------------- blocking: immediate answers

test('a client waiting on several keys is served from the key that became ready first, as Redis serves it', async (t) => {
  // One transaction fills both keys, the second argument first: the wait ends on that key, the other keeps its element.
  const cases = [
    { wait: ['BLPOP', 'a', 'b', '0'], fill: [['RPUSH', 'b', 'x'], ['RPUSH', 'a', 'y']], served: ['b', 'x'], left: ['LRANGE', 'a', '0', '-1'], rest: ['y'] },
    { wait: ['BLMPOP', '0', '2', 'a', 'b', 'LEFT'], fill: [['RPUSH', 'b', 'x'], ['RPUSH', 'a', 'y']], served: ['b', ['x']], left: ['LRANGE', 'a', '0', '-1'], rest: ['y'] },
    { wait: ['BZPOPMIN', 'a', 'b', '0'], fill: [['ZADD', 'b', '1', 'x'], ['ZADD', 'a', '2', 'y']], served: ['b', 'x', '1'], left: ['ZRANGE', 'a', '0', '-1'], rest: ['y'] },
    {
      wait: ['XREAD', 'BLOCK', '0', 'STREAMS', 'a', 'b', '$', '$'],
      fill: [['XADD', 'b', '1-1', 'f', 'x'], ['XADD', 'a', '1-1', 'f', 'y']],
      served: [['b', [['1-1', ['f', 'x']]]]],
    },
    {
      setup: [['XGROUP', 'CREATE', 'a', 'g', '$', 'MKSTREAM'], ['XGROUP', 'CREATE', 'b', 'g', '$', 'MKSTREAM']],
      wait: ['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 'a', 'b', '>', '>'],
      fill: [['XADD', 'b', '1-1', 'f', 'x'], ['XADD', 'a', '1-1', 'f', 'y']],
      served: [['b', [['1-1', ['f', 'x']]]]],
      left: ['XPENDING', 'a', 'g'],
      rest: [0, null, null, null],
    },
  ];
  const waiter = connect(t);
  for (const { setup = [], wait, fill, served, left, rest } of cases) {
    await r.del('a', 'b');
    for (const args of setup) await r.call(...args);
    const reply = waiter.call(...wait);
    await blockedClients(r, 1);
    await r.multi(fill.map((args) => ['call', ...args])).exec();
    assert.deepEqual(await reply, served, wait[0]);
    if (left) assert.deepEqual(await r.call(...left), rest, wait[0]);
  }
});

test('BLPOP/BRPOP answer at once from the first non-empty list', async () => {
  await r.rpush('b', '1', '2');
  assert.deepEqual(await r.blpop('a', 'b', 0), ['b', '1']);
  assert.deepEqual(await r.brpop('a', 'b', 0), ['b', '2']);
  assert.equal(await r.exists('b'), 0);
});

test('BLPOP/BRPOP/BLMOVE/BLMPOP check the timeout argument', async () => {
  for (const command of [['BLPOP', 'l'], ['BRPOP', 'l'], ['BRPOPLPUSH', 'l', 'd'], ['BLMOVE', 'l', 'd', 'LEFT', 'LEFT']]) {
    await assert.rejects(r.call(...command, 'x'), BAD_TIMEOUT);
    await assert.rejects(r.call(...command, '-1'), NEGATIVE_TIMEOUT);
    await assert.rejects(r.call(...command, '-0.5'), NEGATIVE_TIMEOUT);
  }
  await assert.rejects(r.call('BLMPOP', 'x', '1', 'l', 'LEFT'), BAD_TIMEOUT);
  await assert.rejects(r.call('BLMPOP', '-1', '1', 'l', 'LEFT'), NEGATIVE_TIMEOUT);
  // BLMPOP checks its other arguments first.
  await assert.rejects(r.call('BLMPOP', 'x', '0', 'l', 'LEFT'), { message: 'ERR numkeys should be greater than 0' });
  await assert.rejects(r.call('BLMPOP', 'x', '1', 'l', 'LEFT', 'COUNT', '0'), { message: 'ERR count should be greater than 0' });
  // BLMOVE checks the directions before the timeout.
  await assert.rejects(r.call('BLMOVE', 'l', 'd', 'UP', 'LEFT', 'x'), SYNTAX);
});

test('BLMPOP answers at once with up to COUNT elements', async () => {
  await r.rpush('l', 'a', 'b', 'c');
  assert.deepEqual(await r.call('BLMPOP', '0', '2', 'x', 'l', 'RIGHT', 'COUNT', '2'), ['l', ['c', 'b']]);
  assert.deepEqual(await r.call('BLMPOP', '0', '1', 'l', 'LEFT'), ['l', ['a']]);
});

// ---------------------------------------------------------------- blocking: waiting

test('BLPOP waits until another client pushes', async (t) => {
  const waiter = connect(t);
  const reply = waiter.blpop('l', 0);
  await blockedClients(r, 1);
  assert.equal(await r.rpush('l', 'a', 'b'), 2);
  assert.deepEqual(await reply, ['l', 'a']);
  assert.deepEqual(await r.lrange('l', 0, -1), ['b']);
  await blockedClients(r, 0);
});

test('a pushed element goes to the waiter, leaving no key behind', async (t) => {
  const waiter = connect(t);
  const reply = waiter.brpop('a', 'b', 0);
  await blockedClients(r, 1);
  await r.lpush('b', 'x');
  assert.deepEqual(await reply, ['b', 'x']);
  assert.equal(await r.exists('b'), 0);
});

test('clients blocked on one key are served first come, first served', async (t) => {
  const clients = [connect(t), connect(t), connect(t)];
  const replies = [];
  for (const [i, client] of clients.entries()) {
    replies.push(client.blpop('l', 0));
    await blockedClients(r, i + 1);
  }
  await r.rpush('l', '1', '2');
  assert.deepEqual(await replies[0], ['l', '1']);
  assert.deepEqual(await replies[1], ['l', '2']);
  assert.equal(await settled(replies[2]), false);
  await r.rpush('l', '3');
  assert.deepEqual(await replies[2], ['l', '3']);
});

test('BLPOP with a timeout answers nil after about that long', async (t) => {
  const waiter = connect(t);
  const started = Date.now();
  assert.equal(await waiter.blpop('l', 0.2), null);
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 190 && elapsed < 1000, `elapsed ${elapsed}`);
  await blockedClients(r, 0);
});

test('a timeout longer than a timer can hold (about 25 days) still waits', async (t) => {
  const waiter = connect(t);
  const reply = waiter.blpop('l', 3_000_000);
  await blockedClients(r, 1);
  await sleep(50);
  assert.equal(await settled(reply), false);
  await r.rpush('l', 'x');
  assert.deepEqual(await reply, ['l', 'x']);
});

test('BLMPOP and BRPOPLPUSH time out with nil too', async (t) => {
  const waiter = connect(t);
  assert.equal(await waiter.call('BLMPOP', '0.05', '2', 'a', 'b', 'LEFT'), null);
  assert.equal(await waiter.brpoplpush('a', 'b', 0.05), null);
  assert.equal(await waiter.call('BLMOVE', 'a', 'b', 'LEFT', 'RIGHT', '0.05'), null);
});

test('timeout 0 waits as long as it takes', async (t) => {
  const waiter = connect(t);
  const reply = waiter.blpop('l', 0);
  await blockedClients(r, 1);
  await sleep(300);
  assert.equal(await settled(reply), false);
  await r.rpush('l', 'late');
  assert.deepEqual(await reply, ['l', 'late']);
});

test('BLMPOP waits and then takes up to COUNT from the list that got elements', async (t) => {
  const waiter = connect(t);
  const reply = waiter.call('BLMPOP', '0', '2', 'a', 'b', 'RIGHT', 'COUNT', '2');
  await blockedClients(r, 1);
  await r.rpush('b', '1', '2', '3');
  assert.deepEqual(await reply, ['b', ['3', '2']]);
  assert.deepEqual(await r.lrange('b', 0, -1), ['1']);
});

test('BLMOVE waits for the source, and its push wakes a client waiting on the destination', async (t) => {
  const mover = connect(t);
  const popper = connect(t);
  const moved = mover.call('BLMOVE', 'src', 'dst', 'RIGHT', 'LEFT', '0');
  await blockedClients(r, 1);
  const popped = popper.blpop('dst', 0);
  await blockedClients(r, 2);
  await r.rpush('src', 'a', 'b');
  assert.equal(await moved, 'b');
  assert.deepEqual(await popped, ['dst', 'b']);
  assert.deepEqual(await r.lrange('src', 0, -1), ['a']);
  assert.equal(await r.exists('dst'), 0);
});

test('a chain of BRPOPLPUSH clients passes an element along', async (t) => {
  const [c1, c2, c3] = [connect(t), connect(t), connect(t)];
  const r1 = c1.brpoplpush('l1', 'l2', 0);
  await blockedClients(r, 1);
  const r2 = c2.brpoplpush('l2', 'l3', 0);
  await blockedClients(r, 2);
  const r3 = c3.blpop('l3', 0);
  await blockedClients(r, 3);
  await r.rpush('l1', 'x');
  assert.equal(await r1, 'x');
  assert.equal(await r2, 'x');
  assert.deepEqual(await r3, ['l3', 'x']);
  assert.deepEqual(await r.keys('*'), []);
});

test('a blocked BRPOPLPUSH onto its own source keeps the element', async (t) => {
  const waiter = connect(t);
  const reply = waiter.brpoplpush('l', 'l', 0);
  await blockedClients(r, 1);
  await r.rpush('l', 'foo');
  assert.equal(await reply, 'foo');
  assert.deepEqual(await r.lrange('l', 0, -1), ['foo']);
});

test('a blocked BLMOVE whose destination turned into another type fails with WRONGTYPE and moves nothing', async (t) => {
  const waiter = connect(t);
  const reply = later(waiter.call('BLMOVE', 'src', 'dst', 'LEFT', 'LEFT', '0'));
  await blockedClients(r, 1);
  await r.set('dst', 'string');
  await r.rpush('src', 'a', 'b');
  await assert.rejects(reply, WRONGTYPE);
  assert.deepEqual(await r.lrange('src', 0, -1), ['a', 'b']);
  await blockedClients(r, 0);
});

test('a key that becomes another type keeps its waiters waiting', async (t) => {
  const waiter = connect(t);
  const reply = waiter.blpop('a', 'b', 0);
  await blockedClients(r, 1);
  await r.set('a', 'string');
  await sleep(30);
  assert.equal(await settled(reply), false);
  await r.rpush('b', 'x');
  assert.deepEqual(await reply, ['b', 'x']);
});

test('a client that disconnects while blocked is forgotten: a later push stays in the list', async (t) => {
  const waiter = connect(t);
  waiter.blpop('l', 0).catch(() => {});
  await blockedClients(r, 1);
  waiter.disconnect();
  await blockedClients(r, 0);
  await r.rpush('l', 'kept');
  assert.deepEqual(await r.lrange('l', 0, -1), ['kept']);
});

test('CLIENT UNBLOCK ends a wait with nil (TIMEOUT, the default) or an error (ERROR)', async (t) => {
  const waiter = connect(t);
  const id = await waiter.client('ID');
  let reply = waiter.blpop('l', 0);
  await blockedClients(r, 1);
  assert.equal(await r.client('UNBLOCK', id), 1);
  assert.equal(await reply, null);

  reply = waiter.call('BLMOVE', 'l', 'd', 'LEFT', 'LEFT', '0');
  await blockedClients(r, 1);
  assert.equal(await r.client('UNBLOCK', id, 'TIMEOUT'), 1);
  assert.equal(await reply, null);

  reply = later(waiter.brpop('l', 0));
  await blockedClients(r, 1);
  assert.equal(await r.client('UNBLOCK', id, 'ERROR'), 1);
  await assert.rejects(reply, { message: 'UNBLOCKED client unblocked via CLIENT UNBLOCK' });
  assert.equal(await r.client('UNBLOCK', id), 0);

  // The wait really ended: a later push is not taken.
  await r.rpush('l', 'x');
  assert.equal(await r.llen('l'), 1);
});

test('commands pipelined behind a blocked BLPOP run after it is served, in order', async () => {
  const conn = await rawConnect(server.port);
  try {
    conn.write(resp('BLPOP', 'l', '0') + resp('LLEN', 'l') + resp('ECHO', 'after'));
    await blockedClients(r, 1);
    await sleep(30);
    await r.rpush('l', 'a', 'b');
    const expected = '*2\r\n$1\r\nl\r\n$1\r\na\r\n:1\r\n$5\r\nafter\r\n';
    assert.equal(await conn.read(expected.length), expected);
  } finally {
    conn.close();
  }
});

test('RENAME onto a waited key wakes the waiter', async (t) => {
  const waiter = connect(t);
  const reply = waiter.blpop('target', 0);
  await blockedClients(r, 1);
  await r.rpush('other', 'a', 'b', 'c');
  await r.rename('other', 'target');
  assert.deepEqual(await reply, ['target', 'a']);
  assert.deepEqual(await r.lrange('target', 0, -1), ['b', 'c']);
});

test('LMOVE onto a waited key wakes the waiter', async (t) => {
  const waiter = connect(t);
  const reply = waiter.brpop('target', 0);
  await blockedClients(r, 1);
  await r.rpush('src', 'a');
  assert.equal(await r.call('LMOVE', 'src', 'target', 'LEFT', 'LEFT'), 'a');
  assert.deepEqual(await reply, ['target', 'a']);
  assert.equal(await r.exists('target'), 0);
});

test('a waiter blocked in another database is served only by pushes there', async (t) => {
  const waiter = connect(t);
  await waiter.select(1);
  const reply = waiter.blpop('l', 0);
  await blockedClients(r, 1);
  await r.rpush('l', 'db0');
  assert.equal(await settled(reply), false);
  await r.select(1);
  await r.rpush('l', 'db1');
  await r.select(0);
  assert.deepEqual(await reply, ['l', 'db1']);
  assert.deepEqual(await r.lrange('l', 0, -1), ['db0']);
});

// ---------------------------------------------------------------- model test

test('random push/pop/LSET/LTRIM/LINSERT/LREM sequences match a JS array', async () => {
  const element = fc.constantFrom('a', 'b', '', '\u0000\u00ff', '1', '01', '-0', '0', '2147483648', '-2147483648');
  const index = fc.integer({ min: -6, max: 6 });
  const op = fc.oneof(
    fc.tuple(fc.constantFrom('LPUSH', 'RPUSH'), fc.array(element, { minLength: 1, maxLength: 3 })),
    fc.tuple(fc.constantFrom('LPOP', 'RPOP'), fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined })),
    fc.tuple(fc.constant('LSET'), index, element),
    fc.tuple(fc.constant('LTRIM'), index, index),
    fc.tuple(fc.constant('LINSERT'), fc.constantFrom('BEFORE', 'AFTER'), element, element),
    fc.tuple(fc.constant('LREM'), fc.integer({ min: -2, max: 2 }), element),
    fc.tuple(fc.constant('LINDEX'), index),
  );

  /** Applies one operation to the model; returns the reply Redis should give ('ERR' for an error). */
  function apply(model, [name, ...args]) {
    const norm = (i) => (i < 0 ? i + model.length : i);
    switch (name) {
      case 'LPUSH':
        for (const e of args[0]) model.unshift(e);
        return model.length;
      case 'RPUSH':
        model.push(...args[0]);
        return model.length;
      case 'LPOP':
      case 'RPOP': {
        const [count] = args;
        if (model.length === 0) return null;
        const take = () => (name === 'LPOP' ? model.shift() : model.pop());
        if (count === undefined) return take();
        const out = [];
        while (out.length < count && model.length > 0) out.push(take());
        return out;
      }
      case 'LSET': {
        const i = norm(args[0]);
        if (model.length === 0 || i < 0 || i >= model.length) return 'ERR';
        model[i] = args[1];
        return 'OK';
      }
      case 'LTRIM': {
        let [start, end] = args.map(norm);
        if (start < 0) start = 0;
        const kept = start > end || start >= model.length ? [] : model.slice(start, end + 1);
        model.splice(0, model.length, ...kept);
        return 'OK';
      }
      case 'LINSERT': {
        const [where, pivot, value] = args;
        if (model.length === 0) return 0;
        const at = model.indexOf(pivot);
        if (at < 0) return -1;
        model.splice(where === 'BEFORE' ? at : at + 1, 0, value);
        return model.length;
      }
      case 'LREM': {
        const [count, value] = args;
        let removed = 0;
        const limit = Math.abs(count);
        const order = [...model.keys()];
        if (count < 0) order.reverse();
        const drop = new Set();
        for (const i of order) {
          if (model[i] === value && (limit === 0 || removed < limit)) {
            drop.add(i);
            removed++;
          }
        }
        model.splice(0, model.length, ...model.filter((_, i) => !drop.has(i)));
        return removed;
      }
      case 'LINDEX': {
        const i = norm(args[0]);
        return i >= 0 && i < model.length ? model[i] : null;
      }
    }
    throw new Error(`unknown op ${name}`);
  }

  // Elements go out as latin1 bytes (ioredis would send strings as UTF-8).
  const toCommand = ([name, ...args]) => {
    if (name === 'LPUSH' || name === 'RPUSH') return [name, 'k', ...args[0]];
    if ((name === 'LPOP' || name === 'RPOP') && args[0] === undefined) return [name, 'k'];
    return [name, 'k', ...args.map(String)];
  };
  const bytes = ([name, ...args]) => [name, ...args.map((a) => Buffer.from(a, 'latin1'))];

  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
      await r.del('k');
      const model = [];
      const pipeline = r.pipeline();
      for (const o of ops) pipeline.callBuffer(...bytes(toCommand(o)));
      pipeline.lrangeBuffer('k', 0, -1);
      pipeline.exists('k');
      const results = await pipeline.exec();
      const decode = (v) => (Buffer.isBuffer(v) ? v.toString('latin1') : Array.isArray(v) ? v.map(decode) : v);
      ops.forEach((o, i) => {
        const expected = apply(model, o);
        const [error, reply] = results[i];
        if (expected === 'ERR') assert.ok(error, `${toCommand(o).join(' ')} should fail`);
        else assert.deepEqual(decode(reply), expected, toCommand(o).join(' '));
      });
      assert.deepEqual(decode(results[ops.length][1]), model);
      assert.equal(results[ops.length + 1][1], model.length > 0 ? 1 : 0);
    }),
    { numRuns: 150 },
  );
});
