// Set commands: membership, random members, SMOVE, the set algebra, SSCAN,
// encodings and RESP3 shapes.
// Every expectation here is what Redis 7.0.15 replies (check with TEST_TARGET=redis).
// Hash-table sets list their members in no particular order, so only intset
// replies (numeric order) are compared without sorting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { useServer, rawConnect, resp } from './helpers.mjs';

let server;
let r;

const SYNTAX = { message: 'ERR syntax error' };
const NOT_INT = { message: 'ERR value is not an integer or out of range' };
const WRONGTYPE = { message: 'WRONGTYPE Operation against a key holding the wrong kind of value' };
const NOT_POSITIVE = { message: 'ERR value is out of range, must be positive' };
const arity = (cmd) => ({ message: `ERR wrong number of arguments for '${cmd}' command` });
const sorted = (members) => [...members].sort();
const range = (from, to) => Array.from({ length: to - from }, (_, i) => String(from + i));

useServer(['--enable-debug-command', 'yes'], (s, client) => {
  server = s;
  r = client;
});

/** Runs `body` with set-max-intset-entries at `value`, restoring the default after. */
async function withIntsetLimit(value, body) {
  await r.config('SET', 'set-max-intset-entries', String(value));
  try {
    await body();
  } finally {
    await r.config('SET', 'set-max-intset-entries', '512');
  }
}

/** Reads raw bytes until `suffix` has arrived. */
async function readUntil(conn, suffix) {
  let got = '';
  while (!got.endsWith(suffix)) got += await conn.read(1);
  return got;
}

/** A raw connection that has switched to RESP3. */
async function resp3() {
  const conn = await rawConnect(server.port);
  conn.write(resp('HELLO', '3'));
  await readUntil(conn, '$7\r\nmodules\r\n*0\r\n');
  return conn;
}

// ---------------------------------------------------------------- SADD / SREM / SCARD

test('SADD creates a set and counts only new members, once each', async () => {
  assert.equal(await r.sadd('s', 'a', 'b', 'a'), 2);
  assert.equal(await r.sadd('s', 'b', 'c'), 1);
  assert.equal(await r.sadd('s', 'c'), 0);
  assert.equal(await r.scard('s'), 3);
  assert.equal(await r.type('s'), 'set');
  assert.deepEqual(sorted(await r.smembers('s')), ['a', 'b', 'c']);
});

test('SADD needs at least one member', async () => {
  await assert.rejects(r.call('SADD', 's'), arity('sadd'));
  await assert.rejects(r.call('SREM', 's'), arity('srem'));
  await assert.rejects(r.call('SMISMEMBER', 's'), arity('smismember'));
});

test('SCARD of a missing key is 0', async () => {
  assert.equal(await r.scard('missing'), 0);
});

test('SREM removes members and reports how many were there', async () => {
  await r.sadd('s', 'a', 'b', 'c', 'd');
  assert.equal(await r.srem('s', 'a', 'x', 'b', 'a'), 2);
  assert.deepEqual(sorted(await r.smembers('s')), ['c', 'd']);
  assert.equal(await r.srem('missing', 'a'), 0);
});

test('SREM of the last members deletes the key', async () => {
  await r.sadd('s', '1', '2', '3');
  assert.equal(await r.srem('s', '1', '2', '3', '4', '5'), 3);
  assert.equal(await r.exists('s'), 0);
  await r.sadd('h', 'a');
  assert.equal(await r.srem('h', 'a'), 1);
  assert.equal(await r.exists('h'), 0);
});

test('SADD keeps the TTL of an existing set', async () => {
  await r.sadd('s', 'a');
  await r.expire('s', 100);
  await r.sadd('s', 'b');
  await r.srem('s', 'a');
  assert.ok((await r.ttl('s')) > 90);
});

test('members are binary safe, including the empty string', async () => {
  const odd = [Buffer.from([0, 1, 0xff, 0x0d, 0x0a]), Buffer.from(''), Buffer.from([0x80, 0x00]), Buffer.from('\r\n')];
  assert.equal(await r.sadd('bin', ...odd), 4);
  for (const m of odd) assert.equal(await r.sismember('bin', m), 1);
  assert.equal(await r.sismember('bin', Buffer.from([0, 1, 0xff])), 0);
  const back = await r.smembersBuffer('bin');
  assert.deepEqual(back.map((b) => b.toString('hex')).sort(), odd.map((b) => b.toString('hex')).sort());
  assert.deepEqual((await r.spopBuffer('bin', 10)).map((b) => b.toString('hex')).sort(), odd.map((b) => b.toString('hex')).sort());
});

// ---------------------------------------------------------------- SISMEMBER / SMISMEMBER / SMEMBERS

test('SISMEMBER and SMISMEMBER answer per member', async () => {
  await r.sadd('s', 'foo', 'bar', '17');
  assert.equal(await r.sismember('s', 'foo'), 1);
  assert.equal(await r.sismember('s', 'baz'), 0);
  assert.equal(await r.sismember('s', '017'), 0);
  assert.deepEqual(await r.smismember('s', 'foo', 'baz', 'bar', '17', 'foo'), [1, 0, 1, 1, 1]);
});

test('SISMEMBER / SMISMEMBER / SMEMBERS of a missing key are 0, zeros and empty', async () => {
  assert.equal(await r.sismember('missing', 'a'), 0);
  assert.deepEqual(await r.smismember('missing', 'a', 'b'), [0, 0]);
  assert.deepEqual(await r.smembers('missing'), []);
});

test('every set command refuses a key of another type', async () => {
  await r.set('str', 'x');
  await r.sadd('s', 'a');
  const calls = [
    ['SADD', 'str', 'a'], ['SREM', 'str', 'a'], ['SCARD', 'str'], ['SISMEMBER', 'str', 'a'], ['SMISMEMBER', 'str', 'a'],
    ['SMEMBERS', 'str'], ['SRANDMEMBER', 'str'], ['SRANDMEMBER', 'str', '2'], ['SPOP', 'str'], ['SPOP', 'str', '2'],
    ['SMOVE', 'str', 's', 'a'], ['SMOVE', 's', 'str', 'a'], ['SINTER', 's', 'str'], ['SINTER', 'missing', 'str'],
    ['SINTERCARD', '2', 's', 'str'], ['SINTERCARD', '2', 'str', 'missing'], ['SINTERSTORE', 'd', 's', 'str'],
    ['SUNION', 's', 'str'], ['SUNIONSTORE', 'd', 'missing', 'str'], ['SDIFF', 'str', 'missing'], ['SDIFF', 'missing', 'str'],
    ['SDIFFSTORE', 'd', 's', 'str'], ['SSCAN', 'str', '0'],
  ];
  for (const call of calls) await assert.rejects(r.call(...call), WRONGTYPE, call.join(' '));
  assert.equal(await r.get('str'), 'x');
  assert.equal(await r.exists('d'), 0);
});

// ---------------------------------------------------------------- encodings

test('an all-integer set is an intset and lists its members in numeric order', async () => {
  await r.sadd('s', '10', '-5', '3', '100', '2', '9223372036854775807', '-9223372036854775808', '0');
  assert.equal(await r.object('ENCODING', 's'), 'intset');
  const expected = ['-9223372036854775808', '-5', '0', '2', '3', '10', '100', '9223372036854775807'];
  assert.deepEqual(await r.smembers('s'), expected);
  await r.srem('s', '-5', '100');
  await r.sadd('s', '-1', '50');
  assert.deepEqual(await r.smembers('s'), ['-9223372036854775808', '-1', '0', '2', '3', '10', '50', '9223372036854775807']);
  assert.deepEqual(await r.srandmember('s', 100), ['-9223372036854775808', '-1', '0', '2', '3', '10', '50', '9223372036854775807']);
});

test('a member that is not a canonical 64-bit integer turns an intset into a hashtable for good', async () => {
  for (const odd of ['a', '01', '+1', ' 1', '1.0', '-0', '9223372036854775808', '-9223372036854775809', '']) {
    await r.del('s');
    await r.sadd('s', '1', '2');
    assert.equal(await r.object('ENCODING', 's'), 'intset');
    await r.sadd('s', odd);
    assert.equal(await r.object('ENCODING', 's'), 'hashtable', JSON.stringify(odd));
    assert.equal(await r.sismember('s', odd), 1);
    await r.srem('s', odd);
    assert.equal(await r.object('ENCODING', 's'), 'hashtable', 'no way back');
  }
  await r.sadd('big', '213244124402402314402033402');
  assert.equal(await r.object('ENCODING', 'big'), 'hashtable');
});

test('an intset becomes a hashtable past set-max-intset-entries', async () => {
  await r.sadd('s', ...range(0, 512));
  assert.equal(await r.object('ENCODING', 's'), 'intset');
  await r.sadd('s', '512');
  assert.equal(await r.object('ENCODING', 's'), 'hashtable');
  await r.srem('s', '512', '511');
  assert.equal(await r.object('ENCODING', 's'), 'hashtable');
  await withIntsetLimit(3, async () => {
    await r.sadd('t', '1', '2', '3');
    assert.equal(await r.object('ENCODING', 't'), 'intset');
    await r.sadd('t', '4');
    assert.equal(await r.object('ENCODING', 't'), 'hashtable');
  });
  await withIntsetLimit(0, async () => {
    await r.sadd('z', '1');
    assert.equal(await r.object('ENCODING', 'z'), 'hashtable');
  });
});

test('OBJECT ENCODING of a missing key is nil', async () => {
  assert.equal(await r.object('ENCODING', 'missing'), null);
});

test('COPY makes an independent set with the same encoding', async () => {
  await r.sadd('ints', '1', '2', '3');
  await r.sadd('strs', 'a', 'b');
  assert.equal(await r.copy('ints', 'ints2'), 1);
  assert.equal(await r.copy('strs', 'strs2'), 1);
  assert.equal(await r.object('ENCODING', 'ints2'), 'intset');
  assert.equal(await r.object('ENCODING', 'strs2'), 'hashtable');
  await r.sadd('ints2', '4');
  await r.srem('ints', '1');
  await r.spop('strs2');
  await r.sadd('strs', 'c');
  assert.deepEqual(await r.smembers('ints'), ['2', '3']);
  assert.deepEqual(await r.smembers('ints2'), ['1', '2', '3', '4']);
  assert.deepEqual(sorted(await r.smembers('strs')), ['a', 'b', 'c']);
  assert.equal(await r.scard('strs2'), 1);
});

test('DEBUG DIGEST-VALUE depends on the members only, not on their order or the encoding', async () => {
  await r.sadd('a', '1', '2', '3');
  await r.sadd('b', '3', 'x', '2', '1');
  await r.srem('b', 'x');
  assert.equal(await r.object('ENCODING', 'b'), 'hashtable');
  await r.sadd('c', '1', '2', '4');
  const [a, b, c] = await r.call('DEBUG', 'DIGEST-VALUE', 'a', 'b', 'c');
  assert.equal(a, b);
  assert.notEqual(a, c);
});

// ---------------------------------------------------------------- SMOVE

test('SMOVE moves a member between sets', async () => {
  await r.sadd('src', 'a', 'b', '1');
  await r.sadd('dst', '2', '3');
  assert.equal(await r.smove('src', 'dst', '1'), 1);
  assert.equal(await r.object('ENCODING', 'dst'), 'intset');
  assert.equal(await r.smove('src', 'dst', 'a'), 1);
  assert.equal(await r.object('ENCODING', 'dst'), 'hashtable');
  assert.deepEqual(sorted(await r.smembers('src')), ['b']);
  assert.deepEqual(sorted(await r.smembers('dst')), ['1', '2', '3', 'a']);
  assert.equal(await r.smove('src', 'dst', 'nope'), 0);
});

test('SMOVE into a missing destination creates it; moving the last member deletes the source', async () => {
  await r.sadd('src', '7');
  assert.equal(await r.smove('src', 'dst', '7'), 1);
  assert.equal(await r.exists('src'), 0);
  assert.deepEqual(await r.smembers('dst'), ['7']);
  assert.equal(await r.object('ENCODING', 'dst'), 'intset');
  await r.sadd('src2', 'x', 'y');
  assert.equal(await r.smove('src2', 'dst2', 'x'), 1);
  assert.equal(await r.object('ENCODING', 'dst2'), 'hashtable');
});

test('SMOVE of a member the destination already has still removes it from the source', async () => {
  await r.sadd('src', 'a', 'b');
  await r.sadd('dst', 'a');
  assert.equal(await r.smove('src', 'dst', 'a'), 1);
  assert.deepEqual(await r.smembers('src'), ['b']);
  assert.deepEqual(await r.smembers('dst'), ['a']);
});

test('SMOVE with the same source and destination changes nothing', async () => {
  await r.sadd('s', 'a', 'b', 'c');
  assert.equal(await r.smove('s', 's', 'b'), 1);
  assert.equal(await r.smove('s', 's', 'x'), 0);
  assert.deepEqual(sorted(await r.smembers('s')), ['a', 'b', 'c']);
});

test('SMOVE from a missing source is 0 whatever the destination holds', async () => {
  await r.set('str', 'x');
  assert.equal(await r.smove('missing', 'str', 'a'), 0);
  assert.equal(await r.smove('missing', 'other', 'a'), 0);
  assert.equal(await r.exists('other'), 0);
  await r.sadd('s', 'a');
  await assert.rejects(r.smove('s', 'str', 'a'), WRONGTYPE);
  await assert.rejects(r.smove('str', 's', 'a'), WRONGTYPE);
  assert.deepEqual(await r.smembers('s'), ['a']);
});

// ---------------------------------------------------------------- SPOP

test('SPOP removes and returns a random member; the last one deletes the key', async () => {
  await r.sadd('s', 'a', 'b', 'c');
  const popped = [await r.spop('s'), await r.spop('s'), await r.spop('s')];
  assert.deepEqual(sorted(popped), ['a', 'b', 'c']);
  assert.equal(await r.exists('s'), 0);
  assert.equal(await r.spop('s'), null);
});

test('SPOP with a count returns that many distinct members and removes them', async () => {
  const all = range(0, 26).map((i) => `m${i}`);
  await r.sadd('s', ...all);
  const got = [];
  for (const count of [11, 9, 0, 4, 1, 0, 1, 0]) {
    const popped = await r.spop('s', count);
    assert.equal(popped.length, count);
    got.push(...popped);
  }
  assert.deepEqual(sorted(got), sorted(all));
  assert.equal(await r.exists('s'), 0);
});

test('SPOP with a count of most of a set leaves the rest (both strategies)', async () => {
  const content = range(1, 21);
  for (const count of [2, 18, 19]) {
    await r.del('s');
    await r.sadd('s', ...content);
    const popped = await r.spop('s', count);
    assert.equal(popped.length, count);
    assert.equal(await r.scard('s'), 20 - count);
    assert.deepEqual(sorted([...popped, ...(await r.smembers('s'))]), sorted(content));
  }
});

test('SPOP with a count of the whole set or more returns it all and deletes the key', async () => {
  await r.sadd('s', '5', '3', '40', '-1');
  assert.deepEqual(await r.spop('s', 30), ['-1', '3', '5', '40']);
  assert.equal(await r.exists('s'), 0);
  await r.sadd('h', 'a', 'b');
  assert.deepEqual(sorted(await r.spop('h', 2)), ['a', 'b']);
  assert.equal(await r.exists('h'), 0);
});

test('SPOP of a whole hashtable set of a few integers replies in numeric order, as a fresh set would list them', async () => {
  await r.sadd('s', ...range(0, 600));
  await r.srem('s', ...range(0, 595));
  assert.equal(await r.object('ENCODING', 's'), 'hashtable');
  assert.deepEqual(await r.sunion('s'), ['595', '596', '597', '598', '599']);
  assert.deepEqual(await r.spop('s', 5), ['595', '596', '597', '598', '599']);
});

test('SPOP with a count on a missing key or a count of 0 is empty', async () => {
  assert.deepEqual(await r.spop('missing', 5), []);
  await r.sadd('s', 'a');
  assert.deepEqual(await r.spop('s', 0), []);
  assert.equal(await r.scard('s'), 1);
});

test('SPOP refuses a negative or non-integer count, and extra arguments', async () => {
  await r.sadd('s', 'a');
  await assert.rejects(r.spop('s', -1), NOT_POSITIVE);
  await assert.rejects(r.call('SPOP', 's', 'abc'), NOT_POSITIVE);
  await assert.rejects(r.call('SPOP', 'missing', '-1'), NOT_POSITIVE);
  await assert.rejects(r.call('SPOP', 's', '1', '2'), SYNTAX);
  assert.equal(await r.scard('s'), 1);
});

test('SPOP of most of a large set rebuilds it from the survivors, as an intset when they allow', async () => {
  await r.sadd('s', ...range(0, 600));
  assert.equal(await r.object('ENCODING', 's'), 'hashtable');
  const popped = await r.spop('s', 590);
  assert.equal(popped.length, 590);
  assert.equal(await r.object('ENCODING', 's'), 'intset');
  const rest = await r.smembers('s');
  assert.deepEqual(rest, [...rest].sort((a, b) => a - b));
  // A few at a time: the set stays as it was.
  await r.sadd('t', ...range(0, 600));
  await r.spop('t', 100);
  assert.equal(await r.object('ENCODING', 't'), 'hashtable');
});

test('SPOP reaches every member', async () => {
  const seen = new Set();
  for (let round = 0; round < 100 && seen.size < 10; round++) {
    await r.del('s');
    await r.sadd('s', ...range(0, 10).map((i) => `m${i}`));
    seen.add(await r.spop('s'));
  }
  assert.equal(seen.size, 10);
});

// ---------------------------------------------------------------- SRANDMEMBER

test('SRANDMEMBER returns a member without removing it, nil for a missing key', async () => {
  await r.sadd('s', 'a', 'b', 'c');
  assert.ok(['a', 'b', 'c'].includes(await r.srandmember('s')));
  assert.equal(await r.scard('s'), 3);
  assert.equal(await r.srandmember('missing'), null);
});

test('SRANDMEMBER with a positive count returns distinct members', async () => {
  const all = range(0, 50).map((i) => `m${i}`);
  await r.sadd('s', ...all);
  for (const count of [1, 5, 20, 45, 49]) {
    const got = await r.srandmember('s', count);
    assert.equal(got.length, count);
    assert.equal(new Set(got).size, count);
    for (const m of got) assert.ok(all.includes(m));
  }
  for (const count of [50, 100]) assert.deepEqual(sorted(await r.srandmember('s', count)), sorted(all));
  assert.equal(await r.scard('s'), 50);
});

test('SRANDMEMBER with a negative count may repeat members', async () => {
  await r.sadd('s', 'a', 'b');
  const got = await r.srandmember('s', -100);
  assert.equal(got.length, 100);
  assert.deepEqual(sorted(new Set(got)), ['a', 'b']);
  assert.deepEqual(await r.srandmember('s', 0), []);
  assert.deepEqual(await r.srandmember('missing', 5), []);
  assert.deepEqual(await r.srandmember('missing', -5), []);
});

test('SRANDMEMBER refuses a bad count and extra arguments', async () => {
  await r.sadd('s', 'a');
  await assert.rejects(r.call('SRANDMEMBER', 's', 'x'), NOT_INT);
  await assert.rejects(r.call('SRANDMEMBER', 's', '1.5'), NOT_INT);
  await assert.rejects(r.call('SRANDMEMBER', 's', '-9223372036854775808'), {
    message: 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
  });
  await assert.rejects(r.call('SRANDMEMBER', 's', '9223372036854775808'), NOT_INT);
  await assert.rejects(r.call('SRANDMEMBER', 's', '1', '2'), SYNTAX);
});

test('SRANDMEMBER with a negative count too large for one reply is refused', { skip: process.env.TEST_TARGET === 'redis' && 'Redis starts building the reply anyway' }, async () => {
  await r.sadd('s', 'a');
  await assert.rejects(r.call('SRANDMEMBER', 's', '-9223372036854775807'), {
    message: 'ERR the reply would exceed the largest reply this server can build',
  });
  assert.equal((await r.srandmember('s', -1000)).length, 1000);
});

/** Pearson's chi-square of the counts of `picks` against a uniform spread over `members`. */
function chiSquare(picks, members) {
  const counts = new Map(members.map((m) => [m, 0]));
  for (const p of picks) counts.set(p, counts.get(p) + 1);
  assert.equal(counts.size, members.length, 'only members are picked');
  const expected = picks.length / members.length;
  let sum = 0;
  for (const c of counts.values()) sum += (c - expected) ** 2 / expected;
  return sum;
}

test('SRANDMEMBER picks members evenly (chi-square, 9 degrees of freedom)', async () => {
  for (const members of [range(0, 10), ['1', '5', '10', '50', '125', 'MARY', 'PATRICIA', 'LINDA', 'BARBARA', 'ELIZABETH']]) {
    await r.del('s');
    await r.sadd('s', ...members);
    // 40 is exceeded with probability about 1e-5.
    assert.ok(chiSquare(await r.srandmember('s', -1000), members) < 40);
    for (const size of [8, 2]) {
      const picks = [];
      for (let i = 0; i < 1000 / size; i++) picks.push(...(await r.srandmember('s', size)));
      assert.ok(chiSquare(picks, members) < 40, `count ${size}`);
    }
  }
});

// ---------------------------------------------------------------- SINTER / SINTERCARD / SINTERSTORE

test('SINTER lists the common members; a missing key makes it empty', async () => {
  await r.sadd('a', 'x', 'y', 'z', '1');
  await r.sadd('b', 'y', 'z', 'w', '1');
  await r.sadd('c', 'z', '1', 'q');
  assert.deepEqual(sorted(await r.sinter('a', 'b')), ['1', 'y', 'z']);
  assert.deepEqual(sorted(await r.sinter('a', 'b', 'c')), ['1', 'z']);
  assert.deepEqual(sorted(await r.sinter('a', 'a', 'a')), ['1', 'x', 'y', 'z']);
  assert.deepEqual(await r.sinter('a', 'missing'), []);
});

test('SINTER walks the smallest set: an intset there gives numeric order', async () => {
  await r.sadd('ints', '30', '2', '10', '-4');
  await r.sadd('big', ...range(-10, 40), 'x');
  assert.deepEqual(await r.sinter('big', 'ints'), ['-4', '2', '10', '30']);
});

test('SINTER of integers across an intset and a hashtable', async () => {
  await r.sadd('ints', '1', '2', '3');
  await r.sadd('mixed', '1', '2', 'a', '4');
  assert.deepEqual(sorted(await r.sinter('ints', 'mixed')), ['1', '2']);
  assert.deepEqual(sorted(await r.sinter('mixed', 'ints')), ['1', '2']);
});

test('SINTERCARD counts the intersection, stopping at LIMIT', async () => {
  await r.sadd('a', ...range(0, 200));
  await r.sadd('b', ...range(195, 300));
  assert.equal(await r.call('SINTERCARD', '2', 'a', 'b'), 5);
  assert.equal(await r.call('SINTERCARD', '2', 'a', 'b', 'LIMIT', '0'), 5);
  assert.equal(await r.call('SINTERCARD', '2', 'a', 'b', 'limit', '3'), 3);
  assert.equal(await r.call('SINTERCARD', '2', 'a', 'b', 'LIMIT', '10'), 5);
  assert.equal(await r.call('SINTERCARD', '2', 'a', 'b', 'LIMIT', '1', 'LIMIT', '4'), 4);
  assert.equal(await r.call('SINTERCARD', '1', 'a'), 200);
  assert.equal(await r.call('SINTERCARD', '2', 'a', 'missing'), 0);
  assert.equal(await r.call('SINTERCARD', '1', 'missing', 'LIMIT', '10'), 0);
});

test('SINTERCARD refuses bad numkeys, LIMIT and extra arguments with Redis error texts', async () => {
  await r.sadd('a', 'x');
  await assert.rejects(r.call('SINTERCARD', '1'), arity('sintercard'));
  for (const n of ['0', '-1', 'a', '1.5', '']) {
    await assert.rejects(r.call('SINTERCARD', n, 'a'), { message: 'ERR numkeys should be greater than 0' }, n);
  }
  await assert.rejects(r.call('SINTERCARD', '2', 'a'), { message: "ERR Number of keys can't be greater than number of args" });
  await assert.rejects(r.call('SINTERCARD', '3', 'a', 'b'), { message: "ERR Number of keys can't be greater than number of args" });
  await assert.rejects(r.call('SINTERCARD', '1', 'a', 'b'), SYNTAX);
  await assert.rejects(r.call('SINTERCARD', '1', 'a', 'LIMIT'), SYNTAX);
  for (const limit of ['-1', 'a']) {
    await assert.rejects(r.call('SINTERCARD', '1', 'a', 'LIMIT', limit), { message: "ERR LIMIT can't be negative" });
  }
});

test('SINTERSTORE stores the intersection and returns its size', async () => {
  await r.sadd('a', '1', '2', '3', 'x');
  await r.sadd('b', '2', '3', '4', 'x');
  assert.equal(await r.sinterstore('d', 'a', 'b'), 3);
  assert.deepEqual(sorted(await r.smembers('d')), ['2', '3', 'x']);
  assert.equal(await r.object('ENCODING', 'd'), 'hashtable');
  await r.srem('a', 'x');
  assert.equal(await r.sinterstore('d', 'a', 'b'), 2);
  assert.equal(await r.object('ENCODING', 'd'), 'intset', 'the result gets its own encoding');
});

test('SINTERSTORE overwrites a key of any type and drops its TTL; a source may be the destination', async () => {
  await r.set('d', 'string');
  await r.expire('d', 100);
  await r.sadd('a', 'x', 'y');
  await r.sadd('b', 'y');
  assert.equal(await r.sinterstore('d', 'a', 'b'), 1);
  assert.equal(await r.type('d'), 'set');
  assert.equal(await r.ttl('d'), -1);
  assert.equal(await r.sinterstore('a', 'a', 'b'), 1);
  assert.deepEqual(await r.smembers('a'), ['y']);
});

test('SINTERSTORE with an empty result deletes the destination', async () => {
  await r.set('d', 'string');
  await r.sadd('a', 'x');
  await r.sadd('b', 'y');
  assert.equal(await r.sinterstore('d', 'a', 'b'), 0);
  assert.equal(await r.exists('d'), 0);
  await r.set('d', 'string');
  assert.equal(await r.sinterstore('d', 'a', 'missing'), 0);
  assert.equal(await r.exists('d'), 0);
});

// ---------------------------------------------------------------- SUNION / SUNIONSTORE

test('SUNION merges sets, missing keys count as empty', async () => {
  await r.sadd('a', 'x', 'y');
  await r.sadd('b', 'y', 'z');
  assert.deepEqual(sorted(await r.sunion('missing', 'a', 'b', 'other')), ['x', 'y', 'z']);
  assert.deepEqual(await r.sunion('missing'), []);
});

test('SUNION of integer sets lists the members in numeric order', async () => {
  await r.sadd('a', '10', '3');
  await r.sadd('b', '-2', '3', '7');
  assert.deepEqual(await r.sunion('a', 'b'), ['-2', '3', '7', '10']);
});

test('SUNIONSTORE stores the union, overwriting any type; an empty one deletes the destination', async () => {
  await r.sadd('a', '1', '2');
  await r.sadd('b', '2', '3');
  await r.set('d', 'x');
  assert.equal(await r.sunionstore('d', 'a', 'b'), 3);
  assert.deepEqual(await r.smembers('d'), ['1', '2', '3']);
  assert.equal(await r.object('ENCODING', 'd'), 'intset');
  assert.equal(await r.sunionstore('d', 'missing', 'nothing'), 0);
  assert.equal(await r.exists('d'), 0);
  await r.sadd('c', 'z');
  assert.equal(await r.sunionstore('a', 'a', 'c'), 3);
  assert.equal(await r.object('ENCODING', 'a'), 'hashtable');
});

// ---------------------------------------------------------------- SDIFF / SDIFFSTORE

test('SDIFF keeps the members of the first set no other set has', async () => {
  await r.sadd('a', ...range(0, 200));
  await r.sadd('b', ...range(5, 200));
  await r.sadd('c', '0');
  assert.deepEqual(await r.sdiff('a', 'b'), ['0', '1', '2', '3', '4']);
  assert.deepEqual(await r.sdiff('a', 'b', 'c', 'missing'), ['1', '2', '3', '4']);
  assert.deepEqual(await r.sdiff('missing', 'a'), []);
  assert.deepEqual(await r.sdiff('a', 'missing').then((m) => m.length), 200);
});

test('SDIFF of a set with itself is empty', async () => {
  await r.sadd('a', 'x', 'y', '1');
  assert.deepEqual(await r.sdiff('a', 'a'), []);
  assert.deepEqual(await r.sdiff('a', 'missing', 'a'), []);
});

test('SDIFF agrees with a model on random sets', async () => {
  for (let round = 0; round < 20; round++) {
    const keys = [];
    const model = new Set();
    const numSets = 1 + Math.floor(Math.random() * 6);
    for (let i = 0; i < numSets; i++) {
      const members = range(0, Math.floor(Math.random() * 40)).map(() => String(Math.floor(Math.random() * 60)) + (Math.random() < 0.3 ? 'x' : ''));
      const key = `set${i}`;
      keys.push(key);
      await r.del(key);
      if (members.length > 0) await r.sadd(key, ...members);
      for (const m of members) if (i === 0) model.add(m);
      if (i > 0) for (const m of members) model.delete(m);
    }
    assert.deepEqual(sorted(await r.sdiff(...keys)), sorted(model));
  }
});

test('SDIFFSTORE stores the difference; an empty one deletes the destination', async () => {
  await r.sadd('a', '1', '2', '3', '4');
  await r.sadd('b', '2');
  await r.sadd('c', '4');
  await r.set('d', 'x');
  assert.equal(await r.sdiffstore('d', 'a', 'b', 'c'), 2);
  assert.deepEqual(await r.smembers('d'), ['1', '3']);
  assert.equal(await r.object('ENCODING', 'd'), 'intset');
  assert.equal(await r.sdiffstore('d', 'b', 'a'), 0);
  assert.equal(await r.exists('d'), 0);
  await r.set('d', 'x');
  assert.equal(await r.sdiffstore('d', 'missing', 'a'), 0);
  assert.equal(await r.exists('d'), 0);
});

test('SDIFFSTORE result encoding follows the algorithm Redis picks', async () => {
  // Few small sets to subtract: each member of the first is tested, only survivors are added.
  await r.sadd('first', ...range(1, 10), 'x');
  await r.sadd('one', 'x');
  assert.equal(await r.sdiffstore('d1', 'first', 'one'), 9);
  assert.equal(await r.object('ENCODING', 'd1'), 'intset');
  // More sets to subtract: the first is copied whole (x included) and the others removed.
  await r.sadd('two', '100');
  await r.sadd('three', '200');
  assert.equal(await r.sdiffstore('d2', 'first', 'one', 'two', 'three'), 9);
  assert.equal(await r.object('ENCODING', 'd2'), 'hashtable');
});

// ---------------------------------------------------------------- SSCAN

test('SSCAN of an intset returns everything in one call', async () => {
  await r.sadd('s', '5', '1', '3');
  assert.deepEqual(await r.sscan('s', 0, 'COUNT', 1), ['0', ['1', '3', '5']]);
  assert.deepEqual(await r.sscan('s', 0, 'MATCH', '[13]'), ['0', ['1', '3']]);
});

test('SSCAN walks a hashtable set completely', async () => {
  const all = range(0, 500).map((i) => `m${i}`);
  await r.sadd('s', ...all);
  const seen = new Set();
  let cursor = '0';
  let calls = 0;
  do {
    const [next, members] = await r.sscan('s', cursor, 'COUNT', 20);
    for (const m of members) seen.add(m);
    cursor = next;
    calls++;
  } while (cursor !== '0');
  assert.equal(seen.size, 500);
  assert.ok(calls > 5, `${calls} calls`);
});

test('SSCAN MATCH filters members', async () => {
  await r.sadd('s', 'apple', 'apricot', 'banana', 'avocado', 'cherry');
  const seen = new Set();
  let cursor = '0';
  do {
    const [next, members] = await r.sscan('s', cursor, 'MATCH', 'a*', 'COUNT', 2);
    for (const m of members) seen.add(m);
    cursor = next;
  } while (cursor !== '0');
  assert.deepEqual(sorted(seen), ['apple', 'apricot', 'avocado']);
});

test('SSCAN returns every member present throughout, while the set changes', async () => {
  const stable = range(0, 1000).map((i) => `s${i}`);
  const volatile = range(0, 1000).map((i) => `v${i}`);
  await r.sadd('s', ...stable, ...volatile);
  const seen = new Set();
  let cursor = '0';
  let step = 0;
  do {
    const [next, members] = await r.sscan('s', cursor, 'COUNT', 25);
    for (const m of members) seen.add(m);
    cursor = next;
    // Churn between calls: remove some volatile members, add new ones (growing and shrinking the table).
    const leaving = volatile.slice(step * 20, step * 20 + 20);
    if (leaving.length > 0) await r.srem('s', ...leaving);
    await r.sadd('s', ...range(0, 30).map((i) => `n${step}_${i}`));
    step++;
  } while (cursor !== '0');
  for (const m of stable) assert.ok(seen.has(m), m);
  for (const m of seen) assert.ok(/^[svn]/.test(m));
  // Members keep arriving faster than the scan reads them, yet it ends.
  assert.ok(step < 200, `${step} calls`);
});

test('SSCAN of a missing key is empty, whatever the options', async () => {
  assert.deepEqual(await r.sscan('missing', 0), ['0', []]);
  assert.deepEqual(await r.call('SSCAN', 'missing', '0', 'COUNT', '0'), ['0', []]);
});

test('SSCAN refuses a bad cursor and bad options', async () => {
  await r.sadd('s', 'a', 'b');
  await assert.rejects(r.call('SSCAN', 's', 'abc'), { message: 'ERR invalid cursor' });
  await assert.rejects(r.call('SSCAN', 'missing', 'abc'), { message: 'ERR invalid cursor' });
  await assert.rejects(r.call('SSCAN', 's', '0', 'COUNT', '0'), SYNTAX);
  await assert.rejects(r.call('SSCAN', 's', '0', 'COUNT', 'x'), NOT_INT);
  await assert.rejects(r.call('SSCAN', 's', '0', 'TYPE', 'set'), SYNTAX);
  await assert.rejects(r.call('SSCAN', 's', '0', 'MATCH'), SYNTAX);
});

// ---------------------------------------------------------------- RESP3 and RESP2 shapes

test('RESP3: set replies are sets, SMISMEMBER and SRANDMEMBER arrays, missing members null', async () => {
  await r.sadd('s', '3', '1', '2');
  const conn = await resp3();
  try {
    const ints = '~3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n';
    const cases = [
      [['SMEMBERS', 's'], ints],
      [['SINTER', 's', 's'], ints],
      [['SUNION', 's', 'missing'], ints],
      [['SDIFF', 's', 'missing'], ints],
      [['SMEMBERS', 'missing'], '~0\r\n'],
      [['SINTER', 's', 'missing'], '~0\r\n'],
      [['SDIFF', 'missing'], '~0\r\n'],
      [['SMISMEMBER', 's', '1', '7'], '*2\r\n:1\r\n:0\r\n'],
      [['SRANDMEMBER', 's', '3'], '*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n'],
      [['SRANDMEMBER', 's', '0'], '*0\r\n'],
      [['SRANDMEMBER', 'missing', '2'], '*0\r\n'],
      [['SRANDMEMBER', 'missing'], '_\r\n'],
      [['SPOP', 'missing'], '_\r\n'],
      [['SPOP', 'missing', '2'], '~0\r\n'],
      [['SPOP', 's', '0'], '~0\r\n'],
      [['SSCAN', 's', '0'], '*2\r\n$1\r\n0\r\n*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n'],
      [['SINTERCARD', '1', 's'], ':3\r\n'],
      [['SPOP', 's', '5'], ints],
    ];
    for (const [command, expected] of cases) {
      assert.equal(await conn.roundTrip(resp(...command), expected), expected, command.join(' '));
    }
    await r.sadd('one', 'x');
    assert.equal(await conn.roundTrip(resp('SPOP', 'one', '1'), '~1\r\n$1\r\nx\r\n'), '~1\r\n$1\r\nx\r\n');
  } finally {
    conn.close();
  }
});

test('RESP2: the same replies are plain arrays and null bulk strings', async () => {
  await r.sadd('s', '2', '1');
  const conn = await rawConnect(server.port);
  try {
    const cases = [
      [['SMEMBERS', 's'], '*2\r\n$1\r\n1\r\n$1\r\n2\r\n'],
      [['SMEMBERS', 'missing'], '*0\r\n'],
      [['SPOP', 'missing'], '$-1\r\n'],
      [['SRANDMEMBER', 'missing'], '$-1\r\n'],
      [['SPOP', 'missing', '1'], '*0\r\n'],
      [['SPOP', 's', '2'], '*2\r\n$1\r\n1\r\n$1\r\n2\r\n'],
    ];
    for (const [command, expected] of cases) {
      assert.equal(await conn.roundTrip(resp(...command), expected), expected, command.join(' '));
    }
  } finally {
    conn.close();
  }
});

test('COMMAND INFO describes the set commands as Redis does', async () => {
  const [sintercard] = await r.command('INFO', 'sintercard');
  assert.deepEqual(sintercard.slice(0, 6), ['sintercard', -3, ['readonly', 'movablekeys'], 0, 0, 0]);
  const [smove] = await r.command('INFO', 'smove');
  assert.deepEqual(smove.slice(0, 6), ['smove', 4, ['write', 'fast'], 1, 2, 1]);
  const [sunionstore] = await r.command('INFO', 'sunionstore');
  assert.deepEqual(sunionstore.slice(0, 6), ['sunionstore', -3, ['write', 'denyoom'], 1, -1, 1]);
});

// ---------------------------------------------------------------- model test

test('random SADD/SREM/SPOP/SMOVE/SRANDMEMBER sequences agree with a JS Set model, encodings included', async () => {
  const member = fc.oneof(
    fc.integer({ min: -20, max: 20 }).map(String),
    fc.constantFrom('a', 'b', '', '\x00', '\xff', '007', '-0', '9223372036854775807'),
  );
  const op = fc.oneof(
    fc.record({ kind: fc.constant('sadd'), key: fc.constantFrom('x', 'y'), members: fc.array(member, { minLength: 1, maxLength: 5 }) }),
    fc.record({ kind: fc.constant('srem'), key: fc.constantFrom('x', 'y'), members: fc.array(member, { minLength: 1, maxLength: 5 }) }),
    fc.record({ kind: fc.constant('spop'), key: fc.constantFrom('x', 'y'), count: fc.option(fc.integer({ min: 0, max: 8 })) }),
    fc.record({ kind: fc.constant('smove'), key: fc.constantFrom('x', 'y'), member }),
    fc.record({ kind: fc.constant('srandmember'), key: fc.constantFrom('x', 'y'), count: fc.integer({ min: -8, max: 8 }) }),
  );
  // Members are latin1 strings of bytes; ioredis would send JS strings as UTF-8.
  const bytes = (m) => Buffer.from(m, 'latin1');
  const isInt = (m) => /^(0|-?[1-9][0-9]*)$/.test(m) && BigInt(m) <= 9223372036854775807n && BigInt(m) >= -9223372036854775808n;
  await withIntsetLimit(6, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 25 }), async (ops) => {
        await r.del('x', 'y');
        const model = { x: new Set(), y: new Set() };
        // Intset-ness only goes away (a SPOP of most of a set recomputes it).
        const intset = { x: true, y: true };
        const fresh = (key) => {
          if (model[key].size === 0) intset[key] = true;
        };
        const add = (key, m) => {
          fresh(key);
          if (model[key].has(m)) return 0;
          model[key].add(m);
          if (!isInt(m) || model[key].size > 6) intset[key] = false;
          return 1;
        };
        for (const o of ops) {
          const s = model[o.key];
          if (o.kind === 'sadd') {
            let added = 0;
            for (const m of o.members) added += add(o.key, m);
            assert.equal(await r.sadd(o.key, ...o.members.map(bytes)), added);
          } else if (o.kind === 'srem') {
            let removed = 0;
            for (const m of o.members) if (s.delete(m)) removed++;
            assert.equal(await r.srem(o.key, ...o.members.map(bytes)), removed);
          } else if (o.kind === 'spop' && o.count === null) {
            const popped = await r.spopBuffer(o.key);
            if (s.size === 0) assert.equal(popped, null);
            else assert.ok(s.delete(popped.toString('latin1')), `popped ${popped.toString('hex')}`);
          } else if (o.kind === 'spop') {
            const size = s.size;
            const popped = await r.spopBuffer(o.key, o.count);
            assert.equal(popped.length, Math.min(o.count, size));
            for (const m of popped) assert.ok(s.delete(m.toString('latin1')));
            if (o.count > 0 && o.count < size && (size - o.count) * 5 <= o.count) {
              intset[o.key] = s.size <= 6 && [...s].every(isInt);
            }
          } else if (o.kind === 'srandmember') {
            const drawn = (await r.srandmemberBuffer(o.key, o.count)).map((m) => m.toString('latin1'));
            assert.equal(drawn.length, o.count >= 0 ? Math.min(o.count, s.size) : s.size === 0 ? 0 : -o.count);
            for (const m of drawn) assert.ok(s.has(m), `drew ${Buffer.from(m, 'latin1').toString('hex')}, not a member`);
            if (o.count > 0) assert.equal(new Set(drawn).size, drawn.length);
          } else {
            const other = o.key === 'x' ? 'y' : 'x';
            const moved = s.delete(o.member) ? 1 : 0;
            if (moved) add(other, o.member);
            assert.equal(await r.smove(o.key, other, bytes(o.member)), moved);
          }
        }
        for (const key of ['x', 'y']) {
          assert.equal(await r.scard(key), model[key].size);
          assert.equal(await r.exists(key), model[key].size > 0 ? 1 : 0);
          if (model[key].size === 0) continue;
          const members = await r.smembersBuffer(key);
          assert.deepEqual(sorted(members.map((b) => b.toString('latin1'))), sorted(model[key]));
          assert.equal(await r.object('ENCODING', key), intset[key] ? 'intset' : 'hashtable');
          if (intset[key]) assert.deepEqual(members.map((b) => b.toString('latin1')), [...model[key]].sort((a, b) => Number(BigInt(a) - BigInt(b) > 0n) - Number(BigInt(a) < BigInt(b))), 'an intset lists in numeric order');
          for (const m of model[key]) assert.equal(await r.sismember(key, bytes(m)), 1);
        }
      }),
      { numRuns: 200 },
    );
  });
});
