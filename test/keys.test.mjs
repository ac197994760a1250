// Generic key commands: DEL/EXISTS/TYPE, KEYS and SCAN, renaming and copying,
// databases, OBJECT. Every expectation is what Redis 7.0.15 replies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, sleep } from './helpers.mjs';

let r;

const SYNTAX = { message: 'ERR syntax error' };
const NOT_INT = { message: 'ERR value is not an integer or out of range' };
const DB_RANGE = { message: 'ERR DB index is out of range' };
const SAME = { message: 'ERR source and destination objects are the same' };
const INVALID_CURSOR = { message: 'ERR invalid cursor' };
const sorted = (list) => [...list].sort();

useServer([], (_server, client) => {
  r = client;
});

/** Runs a full SCAN with the given options; returns every key returned (with repeats). */
async function scanAll(client, ...options) {
  const seen = [];
  let cursor = '0';
  let rounds = 0;
  do {
    const [next, keys] = await client.call('SCAN', cursor, ...options);
    assert.equal(typeof next, 'string');
    seen.push(...keys);
    cursor = next;
    assert.ok(++rounds < 100_000, 'SCAN did not terminate');
  } while (cursor !== '0');
  return seen;
}

// TODO collections: TYPE of list/hash/set/zset/stream keys, SCAN TYPE list, OBJECT ENCODING
// of collections, COPY of a collection being a deep copy.

// ---------------------------------------------------------------- DEL / UNLINK / EXISTS / TYPE

test('DEL removes keys and counts those that existed', async () => {
  await r.mset('a', '1', 'b', '2');
  assert.equal(await r.del('a', 'b', 'c'), 2);
  assert.equal(await r.exists('a', 'b'), 0);
  assert.equal(await r.del('a'), 0);
});

test('DEL of the same key twice counts it once', async () => {
  await r.set('a', '1');
  assert.equal(await r.del('a', 'a'), 1);
});

test('UNLINK removes keys and counts those that existed', async () => {
  await r.mset('a', '1', 'b', '2');
  assert.equal(await r.unlink('a', 'b', 'c', 'a'), 2);
  assert.equal(await r.dbsize(), 0);
});

test("INFO lazyfreed_objects counts what Redis frees lazily: big values UNLINKed, keys flushed ASYNC", async () => {
  const lazyfreed = async () => Number((await r.info('memory')).match(/lazyfreed_objects:(\d+)/)[1]);
  await r.config('RESETSTAT');
  await r.sadd('big', ...Array.from({ length: 100 }, (_, i) => `m${i}`));
  await r.sadd('small', 'a', 'b');
  await r.rpush('list', 'x');
  assert.equal(await r.unlink('big', 'small', 'list'), 3);
  assert.equal(await lazyfreed(), 1);
  await r.sadd('big', ...Array.from({ length: 100 }, (_, i) => `m${i}`));
  assert.equal(await r.del('big'), 1, 'DEL frees at once by default');
  assert.equal(await lazyfreed(), 1);
  await r.mset('a', '1', 'b', '2');
  await r.flushdb('ASYNC');
  assert.equal(await lazyfreed(), 3);
  await r.config('RESETSTAT');
  assert.equal(await lazyfreed(), 0);
});

test('EXISTS counts repeated keys each time', async () => {
  await r.mset('a', '1', 'b', '2');
  assert.equal(await r.exists('a'), 1);
  assert.equal(await r.exists('a', 'a', 'a'), 3);
  assert.equal(await r.exists('a', 'b', 'missing', 'b'), 3);
  assert.equal(await r.exists('missing'), 0);
});

test('TYPE is string for a string and none for a missing key', async () => {
  await r.set('s', 'v');
  await r.set('n', '12');
  assert.equal(await r.type('s'), 'string');
  assert.equal(await r.type('n'), 'string');
  assert.equal(await r.type('missing'), 'none');
});

// ---------------------------------------------------------------- KEYS

async function globFixture() {
  await r.mset(
    'hello', '1', 'hallo', '1', 'hxllo', '1', 'heeeello', '1', 'hllo', '1',
    'h*llo', '1', 'h!llo', '1', 'h^llo', '1', 'a', '1', 'b', '1', 'c', '1', 'd', '1', 'ha', '1',
  );
}

test('KEYS * lists every key', async () => {
  await globFixture();
  assert.deepEqual(sorted(await r.keys('*')), sorted([
    'hello', 'hallo', 'hxllo', 'heeeello', 'hllo', 'h*llo', 'h!llo', 'h^llo', 'a', 'b', 'c', 'd', 'ha',
  ]));
});

test('KEYS glob patterns match as in Redis', async () => {
  await globFixture();
  const cases = {
    'h?llo': ['h!llo', 'h*llo', 'h^llo', 'hallo', 'hello', 'hxllo'],
    'h*llo': ['h!llo', 'h*llo', 'h^llo', 'hallo', 'heeeello', 'hello', 'hllo', 'hxllo'],
    'h[ae]llo': ['hallo', 'hello'],
    'h[^e]llo': ['h!llo', 'h*llo', 'h^llo', 'hallo', 'hxllo'],
    'h[a-b]llo': ['hallo'],
    '[a-c]': ['a', 'b', 'c'],
    '[c-a]': ['a', 'b', 'c'], // reversed ranges are swapped
    '[^a]': ['b', 'c', 'd'],
    'h\\*llo': ['h*llo'],
    'h[\\!]llo': ['h!llo'],
    'nomatch*': [],
    'h?': ['ha'],
    '?': ['a', 'b', 'c', 'd'],
  };
  for (const [pattern, expected] of Object.entries(cases)) {
    assert.deepEqual(sorted(await r.keys(pattern)), sorted(expected), `KEYS ${pattern}`);
  }
});

test('KEYS h[!a]llo: ! is not a negation, it is a class member', async () => {
  await globFixture();
  assert.deepEqual(sorted(await r.keys('h[!a]llo')), ['h!llo', 'hallo']);
});

test('KEYS with an unterminated class still matches one character', async () => {
  await globFixture();
  assert.deepEqual(await r.keys('h[ae'), ['ha']);
});

test('KEYS is case-sensitive', async () => {
  await r.mset('Key', '1', 'key', '2');
  assert.deepEqual(await r.keys('k*'), ['key']);
  assert.deepEqual(await r.keys('K*'), ['Key']);
});

test('KEYS does not return expired keys', async () => {
  await r.set('live', '1');
  await r.call('SET', 'dead', '1', 'PX', '1');
  await sleep(20);
  assert.deepEqual(await r.keys('*'), ['live']);
});

test('KEYS on an empty database is an empty array', async () => {
  assert.deepEqual(await r.keys('*'), []);
});

// ---------------------------------------------------------------- SCAN

test('SCAN of an empty database returns cursor 0 and no keys', async () => {
  assert.deepEqual(await r.scan('0'), ['0', []]);
});

test('SCAN returns every key of a full iteration at least once', async () => {
  const keys = Array.from({ length: 1000 }, (_, i) => `key:${i}`);
  await r.mset(...keys.flatMap((k) => [k, 'v']));
  const seen = await scanAll(r, 'COUNT', '10');
  assert.deepEqual(sorted(new Set(seen)), sorted(keys));
});

test('SCAN of a database that does not change returns each key exactly once', async () => {
  const keys = Array.from({ length: 500 }, (_, i) => `k${i}`);
  await r.mset(...keys.flatMap((k) => [k, 'v']));
  const seen = await scanAll(r, 'COUNT', '7');
  assert.equal(seen.length, keys.length);
  assert.deepEqual(sorted(seen), sorted(keys));
});

test('SCAN with a large COUNT can return everything in one call', async () => {
  const keys = Array.from({ length: 50 }, (_, i) => `k${i}`);
  await r.mset(...keys.flatMap((k) => [k, 'v']));
  const [cursor, found] = await r.call('SCAN', '0', 'COUNT', '1000');
  assert.equal(cursor, '0');
  assert.deepEqual(sorted(found), sorted(keys));
});

test('SCAN MATCH filters keys by glob pattern', async () => {
  const users = Array.from({ length: 100 }, (_, i) => `user:${i}`);
  const others = Array.from({ length: 100 }, (_, i) => `item:${i}`);
  await r.mset(...[...users, ...others].flatMap((k) => [k, 'v']));
  const seen = await scanAll(r, 'MATCH', 'user:*', 'COUNT', '20');
  assert.deepEqual(sorted(new Set(seen)), sorted(users));
  const one = await scanAll(r, 'MATCH', 'user:1?');
  assert.deepEqual(sorted(new Set(one)), sorted(Array.from({ length: 10 }, (_, i) => `user:1${i}`)));
});

test('SCAN TYPE filters keys by type', async () => {
  const keys = Array.from({ length: 30 }, (_, i) => `s${i}`);
  await r.mset(...keys.flatMap((k) => [k, 'v']));
  assert.deepEqual(sorted(new Set(await scanAll(r, 'TYPE', 'string'))), sorted(keys));
  assert.deepEqual(sorted(new Set(await scanAll(r, 'TYPE', 'STRING', 'COUNT', '100'))), sorted(keys));
  assert.deepEqual(await scanAll(r, 'TYPE', 'list'), []);
  assert.deepEqual(await scanAll(r, 'TYPE', 'nosuchtype'), []);
});

test('SCAN combines MATCH, COUNT and TYPE', async () => {
  await r.mset('a1', 'v', 'a2', 'v', 'b1', 'v');
  assert.deepEqual(sorted(new Set(await scanAll(r, 'MATCH', 'a*', 'COUNT', '1', 'TYPE', 'string'))), ['a1', 'a2']);
});

test('SCAN returns every key that exists throughout, while keys are added and deleted', async () => {
  const stable = Array.from({ length: 400 }, (_, i) => `stable:${i}`);
  const volatile = Array.from({ length: 400 }, (_, i) => `volatile:${i}`);
  await r.mset(...[...stable, ...volatile].flatMap((k) => [k, 'v']));
  const seen = new Set();
  let cursor = '0';
  let step = 0;
  let added = 0;
  do {
    const [next, keys] = await r.call('SCAN', cursor, 'COUNT', '10');
    keys.forEach((k) => seen.add(k));
    cursor = next;
    // Between calls: delete a few volatile keys and add new ones (which may or may not be seen).
    const batch = [];
    for (let i = 0; i < 5; i++) {
      const victim = volatile[(step * 5 + i) % volatile.length];
      batch.push(['del', victim]);
      batch.push(['set', `new:${added++}`, 'v']);
    }
    await r.pipeline(batch).exec();
    step++;
  } while (cursor !== '0');
  for (const key of stable) assert.ok(seen.has(key), `${key} was never returned`);
  for (const key of seen) {
    assert.ok(/^(stable|volatile|new):\d+$/.test(key), `unexpected key ${key}`);
  }
});

test('SCAN with an invalid cursor is refused', async () => {
  for (const cursor of ['abc', '1.5', ' 0', '0 ', '18446744073709551616', '0x10']) {
    await assert.rejects(r.call('SCAN', cursor), INVALID_CURSOR, JSON.stringify(cursor));
  }
});

test('SCAN accepts the largest 64-bit unsigned cursor', async () => {
  await r.set('a', '1');
  const [cursor, keys] = await r.call('SCAN', '18446744073709551615');
  assert.equal(typeof cursor, 'string');
  assert.ok(Array.isArray(keys));
});

test('SCAN with a bad COUNT or unknown option is refused', async () => {
  await assert.rejects(r.call('SCAN', '0', 'COUNT', '0'), SYNTAX);
  await assert.rejects(r.call('SCAN', '0', 'COUNT', '-1'), SYNTAX);
  await assert.rejects(r.call('SCAN', '0', 'COUNT', 'abc'), NOT_INT);
  await assert.rejects(r.call('SCAN', '0', 'COUNT'), SYNTAX);
  await assert.rejects(r.call('SCAN', '0', 'MATCH'), SYNTAX);
  await assert.rejects(r.call('SCAN', '0', 'FOO', 'bar'), SYNTAX);
});

test('SCAN does not return expired keys', async () => {
  await r.set('live', '1');
  await r.call('SET', 'dead', '1', 'PX', '1');
  await sleep(20);
  assert.deepEqual(await scanAll(r), ['live']);
});

// ---------------------------------------------------------------- RANDOMKEY

test('RANDOMKEY is nil on an empty database', async () => {
  assert.equal(await r.randomkey(), null);
});

test('RANDOMKEY returns an existing key, and eventually each of them', async () => {
  await r.mset('a', '1', 'b', '2', 'c', '3');
  const seen = new Set();
  for (let i = 0; i < 200 && seen.size < 3; i++) seen.add(await r.randomkey());
  assert.deepEqual(sorted(seen), ['a', 'b', 'c']);
});

test('RANDOMKEY never returns an expired key', async () => {
  await r.set('live', '1');
  for (let i = 0; i < 20; i++) await r.call('SET', `dead${i}`, '1', 'PX', '1');
  await sleep(20);
  for (let i = 0; i < 20; i++) assert.equal(await r.randomkey(), 'live');
});

// ---------------------------------------------------------------- RENAME / RENAMENX

test('RENAME moves the value to the new name', async () => {
  await r.set('a', 'v');
  assert.equal(await r.rename('a', 'b'), 'OK');
  assert.equal(await r.exists('a'), 0);
  assert.equal(await r.get('b'), 'v');
});

test('RENAME overwrites the destination, including its TTL', async () => {
  await r.set('a', 'v');
  await r.call('SET', 'b', 'old', 'EX', '100');
  await r.rename('a', 'b');
  assert.equal(await r.get('b'), 'v');
  assert.equal(await r.ttl('b'), -1);
});

test('RENAME of a missing key is an error', async () => {
  await assert.rejects(r.rename('missing', 'x'), { message: 'ERR no such key' });
  await assert.rejects(r.renamenx('missing', 'x'), { message: 'ERR no such key' });
});

test('RENAME keeps the TTL', async () => {
  await r.call('SET', 'a', 'v', 'PX', '100000');
  await r.rename('a', 'b');
  const pttl = await r.pttl('b');
  assert.ok(pttl > 90000 && pttl <= 100000, `pttl ${pttl}`);
});

test('RENAME of a key to itself is OK and keeps it', async () => {
  await r.call('SET', 'a', 'v', 'EX', '100');
  assert.equal(await r.rename('a', 'a'), 'OK');
  assert.equal(await r.get('a'), 'v');
  assert.ok((await r.ttl('a')) > 90);
});

test('RENAMENX renames only when the destination is free', async () => {
  await r.mset('a', '1', 'b', '2');
  assert.equal(await r.renamenx('a', 'b'), 0);
  assert.deepEqual(await r.mget('a', 'b'), ['1', '2']);
  assert.equal(await r.renamenx('a', 'c'), 1);
  assert.deepEqual(await r.mget('a', 'c'), [null, '1']);
  assert.equal(await r.renamenx('c', 'c'), 0);
});

test('RENAMENX keeps the TTL', async () => {
  await r.call('SET', 'a', 'v', 'EX', '100');
  await r.renamenx('a', 'b');
  assert.ok((await r.ttl('b')) > 90);
});

// ---------------------------------------------------------------- COPY

test('COPY copies a value and its TTL', async () => {
  await r.call('SET', 'a', 'v', 'EX', '100');
  assert.equal(await r.copy('a', 'b'), 1);
  assert.deepEqual(await r.mget('a', 'b'), ['v', 'v']);
  assert.ok((await r.ttl('b')) > 90);
});

test('COPY does not overwrite without REPLACE', async () => {
  await r.mset('a', '1', 'b', '2');
  assert.equal(await r.copy('a', 'b'), 0);
  assert.equal(await r.get('b'), '2');
  assert.equal(await r.call('COPY', 'a', 'b', 'REPLACE'), 1);
  assert.equal(await r.get('b'), '1');
});

test('COPY REPLACE of a key without TTL removes the destination TTL', async () => {
  await r.set('a', '1');
  await r.call('SET', 'b', '2', 'EX', '100');
  await r.call('COPY', 'a', 'b', 'REPLACE');
  assert.equal(await r.ttl('b'), -1);
});

test('COPY of a missing key replies 0', async () => {
  assert.equal(await r.copy('missing', 'b'), 0);
  assert.equal(await r.exists('b'), 0);
});

test('COPY DB copies into another database', async () => {
  await r.set('a', 'v');
  assert.equal(await r.call('COPY', 'a', 'a', 'DB', '1'), 1);
  assert.equal(await r.call('COPY', 'a', 'b', 'DB', '1'), 1);
  assert.equal(await r.call('COPY', 'a', 'b', 'DB', '1'), 0);
  await r.select(1);
  assert.deepEqual(await r.mget('a', 'b'), ['v', 'v']);
  await r.select(0);
  assert.equal(await r.get('a'), 'v');
  assert.equal(await r.exists('b'), 0);
});

test('COPY of a key onto itself is an error', async () => {
  await r.set('a', 'v');
  await assert.rejects(r.copy('a', 'a'), SAME);
  await assert.rejects(r.call('COPY', 'a', 'a', 'DB', '0'), SAME);
  await assert.rejects(r.call('COPY', 'a', 'a', 'REPLACE'), SAME);
});

test('COPY with a bad DB or option is refused', async () => {
  await r.set('a', 'v');
  await assert.rejects(r.call('COPY', 'a', 'b', 'DB', '99'), DB_RANGE);
  await assert.rejects(r.call('COPY', 'a', 'b', 'DB', 'abc'), NOT_INT);
  await assert.rejects(r.call('COPY', 'a', 'b', 'FOO'), SYNTAX);
  await assert.rejects(r.call('COPY', 'a', 'b', 'DB'), SYNTAX);
  assert.equal(await r.exists('b'), 0);
});

test('COPY makes an independent copy', async () => {
  await r.set('a', 'hello');
  await r.copy('a', 'b');
  await r.append('b', ' world');
  assert.deepEqual(await r.mget('a', 'b'), ['hello', 'hello world']);
});

// ---------------------------------------------------------------- MOVE / SWAPDB / SELECT / DBSIZE

test('MOVE moves a key (with its TTL) to another database', async () => {
  await r.call('SET', 'a', 'v', 'EX', '100');
  assert.equal(await r.move('a', 1), 1);
  assert.equal(await r.exists('a'), 0);
  await r.select(1);
  assert.equal(await r.get('a'), 'v');
  assert.ok((await r.ttl('a')) > 90);
});

test('MOVE does nothing when the key is missing or exists in the target', async () => {
  assert.equal(await r.move('missing', 1), 0);
  await r.set('a', 'here');
  await r.select(1);
  await r.set('a', 'there');
  await r.select(0);
  assert.equal(await r.move('a', 1), 0);
  assert.equal(await r.get('a'), 'here');
});

test('MOVE to the same or a bad database is an error', async () => {
  await r.set('a', 'v');
  await assert.rejects(r.move('a', 0), SAME);
  await assert.rejects(r.move('a', 99), DB_RANGE);
  await assert.rejects(r.call('MOVE', 'a', 'abc'), NOT_INT);
});

test('SWAPDB exchanges the contents of two databases', async () => {
  await r.set('in0', 'a');
  await r.select(1);
  await r.mset('in1', 'b', 'also1', 'c');
  assert.equal(await r.swapdb(0, 1), 'OK');
  assert.deepEqual(sorted(await r.keys('*')), ['in0']);
  assert.equal(await r.dbsize(), 1);
  await r.select(0);
  assert.deepEqual(sorted(await r.keys('*')), ['also1', 'in1']);
  assert.equal(await r.swapdb(0, 0), 'OK');
  assert.equal(await r.dbsize(), 2);
});

test('SWAPDB with a bad index is refused', async () => {
  await assert.rejects(r.swapdb(0, 99), DB_RANGE);
  await assert.rejects(r.call('SWAPDB', 'a', '1'), { message: 'ERR invalid first DB index' });
  await assert.rejects(r.call('SWAPDB', '0', 'b'), { message: 'ERR invalid second DB index' });
});

test('SELECT switches databases', async () => {
  await r.set('k', 'db0');
  assert.equal(await r.select(15), 'OK');
  assert.equal(await r.get('k'), null);
  await r.set('k', 'db15');
  await r.select(0);
  assert.equal(await r.get('k'), 'db0');
});

test('SELECT of an out-of-range or invalid index is refused', async () => {
  await assert.rejects(r.select(16), DB_RANGE);
  await assert.rejects(r.call('SELECT', '-1'), DB_RANGE);
  await assert.rejects(r.call('SELECT', 'abc'), NOT_INT);
  await assert.rejects(r.call('SELECT', '1.0'), NOT_INT);
});

test('a database index beyond 32 bits is refused with the int range error', async () => {
  const INT_RANGE = { message: 'ERR value is out of range, value must between -2147483648 and 2147483647' };
  await r.set('a', 'v');
  await assert.rejects(r.call('SELECT', '2147483648'), INT_RANGE);
  await assert.rejects(r.call('SELECT', '-2147483649'), INT_RANGE);
  await assert.rejects(r.call('MOVE', 'a', '2147483648'), INT_RANGE);
  await assert.rejects(r.call('COPY', 'a', 'b', 'DB', '2147483648'), INT_RANGE);
  await assert.rejects(r.call('SELECT', '2147483647'), DB_RANGE);
});

test('DBSIZE counts the keys of the selected database', async () => {
  assert.equal(await r.dbsize(), 0);
  await r.mset('a', '1', 'b', '2', 'c', '3');
  assert.equal(await r.dbsize(), 3);
  await r.select(2);
  assert.equal(await r.dbsize(), 0);
});

// ---------------------------------------------------------------- TOUCH

test('TOUCH counts existing keys, repeats included', async () => {
  await r.mset('a', '1', 'b', '2');
  assert.equal(await r.touch('a', 'b', 'missing'), 2);
  assert.equal(await r.touch('a', 'a'), 2);
  assert.equal(await r.touch('missing'), 0);
});

// ---------------------------------------------------------------- FLUSHDB / FLUSHALL

test('FLUSHDB empties only the selected database', async () => {
  await r.set('a', '1');
  await r.select(1);
  await r.set('b', '2');
  assert.equal(await r.flushdb(), 'OK');
  assert.equal(await r.dbsize(), 0);
  await r.select(0);
  assert.equal(await r.get('a'), '1');
});

test('FLUSHALL empties every database', async () => {
  await r.set('a', '1');
  await r.select(3);
  await r.set('b', '2');
  assert.equal(await r.flushall(), 'OK');
  assert.equal(await r.dbsize(), 0);
  await r.select(0);
  assert.equal(await r.dbsize(), 0);
});

test('FLUSHDB and FLUSHALL accept ASYNC and SYNC', async () => {
  for (const cmd of ['FLUSHDB', 'FLUSHALL']) {
    for (const mode of ['ASYNC', 'SYNC', 'async', 'sync']) {
      await r.set('a', '1');
      assert.equal(await r.call(cmd, mode), 'OK');
      assert.equal(await r.dbsize(), 0, `${cmd} ${mode}`);
    }
  }
});

test('FLUSHDB and FLUSHALL with a bad argument are syntax errors and flush nothing', async () => {
  await r.set('a', '1');
  for (const args of [['FLUSHDB', 'foo'], ['FLUSHALL', 'foo'], ['FLUSHALL', 'ASYNC', 'SYNC'], ['FLUSHDB', 'SYNC', 'SYNC']]) {
    await assert.rejects(r.call(...args), SYNTAX, args.join(' '));
  }
  assert.equal(await r.get('a'), '1');
});

// ---------------------------------------------------------------- OBJECT

test('OBJECT ENCODING of strings: int, embstr, raw', async () => {
  const cases = {
    i: ['12345', 'int'],
    neg: ['-5', 'int'],
    zero: ['0', 'int'],
    max: ['9223372036854775807', 'int'],
    toobig: ['9223372036854775808', 'embstr'],
    leadingZero: ['012', 'embstr'],
    plus: ['+1', 'embstr'],
    s: ['hello', 'embstr'],
    e44: ['x'.repeat(44), 'embstr'],
    r45: ['x'.repeat(45), 'raw'],
  };
  for (const [key, [value]] of Object.entries(cases)) await r.set(key, value);
  for (const [key, [, encoding]] of Object.entries(cases)) {
    assert.equal(await r.object('ENCODING', key), encoding, key);
  }
});

test('OBJECT ENCODING of a string follows how it was made, as Redis 7.0.15 reports it', async () => {
  // Each step, then the encodings redis-server 7.0.15 gives after all of them.
  const steps = [
    ['APPEND', 'newAppend', 'x'], ['SET', 'appended', 'x'], ['APPEND', 'appended', 'y'],
    ['SET', 'appendedEmpty', ''], ['APPEND', 'appendedEmpty', ''],
    ['SET', 'int', '12'], ['APPEND', 'int', '3'], ['RENAME', 'int', 'renamed'], ['COPY', 'renamed', 'copied'],
    ['SET', 'moved', 'ab'], ['APPEND', 'moved', 'c'], ['MOVE', 'moved', '1'],
    ['SET', 'ranged', 'hello'], ['SETRANGE', 'ranged', '1', 'a'], ['SETRANGE', 'newRange', '2', 'ab'],
    ['SET', 'emptyRange', '1234'], ['SETRANGE', 'emptyRange', '0', ''],
    ['SETBIT', 'newBit', '3', '1'], ['SET', 'sameBit', '1'], ['SETBIT', 'sameBit', '0', '0'],
    ['BITFIELD', 'field', 'SET', 'u8', '0', '1'], ['SET', 'readField', 'ab'], ['BITFIELD', 'readField', 'GET', 'u8', '0'],
    ['SET', 'src', 'ab'], ['BITOP', 'NOT', 'bitop', 'src'],
    ['SET', 'float', '1.5'], ['INCRBYFLOAT', 'float', '1.5'], ['INCRBYFLOAT', 'floatThenInt', '1'], ['INCR', 'floatThenInt'],
    ['SET', 'reset', 'ab'], ['APPEND', 'reset', 'c'], ['SET', 'reset', 'abc'],
  ];
  const expected = {
    newAppend: 'embstr', appended: 'raw', appendedEmpty: 'raw', renamed: 'raw', copied: 'raw', ranged: 'raw', newRange: 'raw',
    emptyRange: 'int', newBit: 'raw', sameBit: 'raw', field: 'raw', readField: 'embstr', bitop: 'raw', float: 'embstr',
    floatThenInt: 'int', reset: 'embstr',
  };
  for (const step of steps) await r.call(...step);
  for (const [key, encoding] of Object.entries(expected)) assert.equal(await r.object('ENCODING', key), encoding, key);
  await r.select(1);
  assert.equal(await r.object('ENCODING', 'moved'), 'raw');
  await r.flushdb();
  await r.select(0);
});

test('OBJECT subcommands of a missing key are nil', async () => {
  assert.equal(await r.object('ENCODING', 'missing'), null);
  assert.equal(await r.object('REFCOUNT', 'missing'), null);
  assert.equal(await r.object('IDLETIME', 'missing'), null);
});

test('OBJECT REFCOUNT of a string is 1', async () => {
  await r.set('s', 'hello');
  await r.set('i', '12345');
  assert.equal(await r.object('REFCOUNT', 's'), 1);
  assert.equal(await r.object('REFCOUNT', 'i'), 1);
});

test('OBJECT REFCOUNT of a small integer is INT_MAX (a shared object)', async () => {
  await r.set('small', '100');
  assert.equal(await r.object('REFCOUNT', 'small'), 2147483647);
});

// Redis keeps every key's access time whatever the policy, and TTL, TYPE,
// EXISTS, OBJECT and SCAN's TYPE filter look a key up without touching it.
test('OBJECT IDLETIME under noeviction: introspection leaves it, reads and writes reset it', async () => {
  await r.set('k', 'v');
  await r.set('other', 'v');
  await sleep(2200);
  await r.ttl('k');
  await r.pttl('k');
  await r.expiretime('k');
  await r.type('k');
  await r.exists('k');
  await r.object('ENCODING', 'k');
  await r.scan(0, 'TYPE', 'string');
  const idle = await r.object('IDLETIME', 'k');
  assert.ok(idle >= 2 && idle <= 3, `idletime ${idle}`);
  await r.get('k');
  await r.touch('other');
  assert.equal(await r.object('IDLETIME', 'k'), 0);
  assert.equal(await r.object('IDLETIME', 'other'), 0);
});

// Collections keep their access time themselves, strings in a map by key: a
// key that changes kind, or a string the bit commands hold as bytes, keeps
// the right time across the change.
test('OBJECT IDLETIME under noeviction for every type, across changes of type and form', async () => {
  await r.set('s', 'v');
  await r.hset('h', 'f', 'v');
  await r.rpush('l', 'a');
  await r.sadd('ints', '1', '2');
  await r.sadd('words', 'a', 'b');
  await r.zadd('z', 1, 'a');
  await r.xadd('x', '*', 'f', 'v');
  await r.set('bits', 'x');
  await r.getbit('bits', 0);
  await r.hset('tostring', 'f', 'v');
  await r.set('tostring', 'v');
  await r.set('tocollection', 'v');
  await r.sunionstore('tocollection', 'words');
  await r.restore('restored', 0, await r.dumpBuffer('h'), 'IDLETIME', 100);
  const keys = ['s', 'h', 'l', 'ints', 'words', 'z', 'x', 'bits', 'tostring', 'tocollection'];
  // Redis counts whole seconds of its clock: a second may tick between the access and the question.
  const fresh = async () => {
    for (const key of keys) assert.ok((await r.object('IDLETIME', key)) <= 1, key);
  };
  await fresh();
  assert.ok((await r.object('IDLETIME', 'restored')) >= 100);
  await sleep(2200);
  for (const key of keys) {
    const idle = await r.object('IDLETIME', key);
    assert.ok(idle >= 2 && idle <= 3, `${key}: idletime ${idle}`);
  }
  await r.get('s');
  await r.hget('h', 'f');
  await r.llen('l');
  await r.sismember('ints', '1');
  await r.scard('words');
  await r.zscore('z', 'a');
  await r.xlen('x');
  await r.getbit('bits', 0);
  await r.get('tostring');
  await r.scard('tocollection');
  await fresh();
  await r.del(...keys, 'restored');
});

test('OBJECT IDLETIME grows while a key is untouched and resets on access', async () => {
  await r.config('SET', 'maxmemory-policy', 'allkeys-lru');
  try {
    await r.set('k', 'v');
    assert.equal(await r.object('IDLETIME', 'k'), 0);
    await sleep(2200);
    const idle = await r.object('IDLETIME', 'k');
    assert.ok(idle >= 1 && idle <= 3, `idletime ${idle}`);
    await r.get('k');
    assert.equal(await r.object('IDLETIME', 'k'), 0);
  } finally {
    await r.config('SET', 'maxmemory-policy', 'noeviction');
  }
});

test('OBJECT FREQ is refused without an LFU maxmemory-policy', async () => {
  await r.set('k', 'v');
  await assert.rejects(r.object('FREQ', 'k'), {
    message:
      'ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
  });
});

test('OBJECT FREQ counts accesses under an LFU policy, and IDLETIME is then refused', async () => {
  await r.config('SET', 'maxmemory-policy', 'allkeys-lfu');
  try {
    await r.set('k', 'hello');
    assert.equal(await r.object('FREQ', 'k'), 5); // LFU_INIT_VAL
    await r.get('k');
    assert.equal(await r.object('FREQ', 'k'), 6);
    await assert.rejects(r.object('IDLETIME', 'k'), {
      message:
        'ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
    });
  } finally {
    await r.config('SET', 'maxmemory-policy', 'noeviction');
  }
});

test('OBJECT HELP lists the subcommands', async () => {
  assert.deepEqual(await r.object('HELP'), [
    'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
    'ENCODING <key>',
    '    Return the kind of internal representation used in order to store the value',
    '    associated with a <key>.',
    'FREQ <key>',
    '    Return the access frequency index of the <key>. The returned integer is',
    '    proportional to the logarithm of the recent access frequency of the key.',
    'IDLETIME <key>',
    '    Return the idle time of the <key>, that is the approximated number of',
    '    seconds elapsed since the last access to the key.',
    'REFCOUNT <key>',
    '    Return the number of references of the value associated with the specified',
    '    <key>.',
    'HELP',
    '    Prints this help.',
  ]);
});

test('OBJECT with an unknown subcommand or wrong arity is refused', async () => {
  await r.set('k', 'v');
  await assert.rejects(r.object('FOO', 'k'), { message: "ERR unknown subcommand 'FOO'. Try OBJECT HELP." });
  await assert.rejects(r.call('OBJECT'), { message: "ERR wrong number of arguments for 'object' command" });
  await assert.rejects(r.call('OBJECT', 'ENCODING'), { message: "ERR wrong number of arguments for 'object|encoding' command" });
  await assert.rejects(r.call('OBJECT', 'ENCODING', 'a', 'b'), {
    message: "ERR wrong number of arguments for 'object|encoding' command",
  });
});

test('EXISTS counts keyspace hits and misses, as Redis does', async () => {
  await r.config('RESETSTAT');
  await r.set('here', '1');
  assert.equal(await r.exists('here', 'gone', 'missing'), 1);
  const stats = await r.info('stats');
  assert.match(stats, /keyspace_hits:1\r\n/);
  assert.match(stats, /keyspace_misses:2\r\n/);
});
